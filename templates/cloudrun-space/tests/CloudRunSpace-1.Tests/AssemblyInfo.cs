using CloudRunSpace_1.Tests.Fakes;

// One fake metadata server and one PostgreSQL server for the whole run: Google.Apis.Auth caches the
// metadata host and the default credential process-wide, and a PostgreSQL cluster takes seconds to start.
[assembly: AssemblyFixture(typeof(FakeGoogle))]
[assembly: AssemblyFixture(typeof(PostgresServer))]
