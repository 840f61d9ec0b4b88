using CloudRunSpace_1.Backend.Data;
using CloudRunSpace_1.Tests.Fakes;
using Npgsql;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>
/// Least privilege on a database set up as Cloud SQL sets one up (<see cref="CloudSqlLikeDatabase"/>): the migrator
/// owns the schema; the backend's role reads and writes the application's rows and can do nothing else, whether the
/// migration makes it (password sign-in) or finds it made without rights (an IAM database user).
/// </summary>
public sealed class DatabaseRoleTests(PostgresServer postgres)
{
    private const string InsufficientPrivilege = "42501";

    public static TheoryData<string> Modes => new() { "password", "iam" };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task After_migrating_the_backend_role_reads_and_writes_the_records_and_cannot_change_the_schema_or_make_roles_or_databases(string mode)
    {
        var database = await CloudSqlLikeDatabase.CreateAsync(postgres);
        var user = database.BackendUsers[0];
        const string password = "backend-password-for-tests";
        if (mode == "password")
        {
            Assert.Equal(0, await database.MigrateAsync(user, password));
        }
        else
        {
            // Cloud SQL makes an IAM database user as a plain login role without rights (its password stands in for the
            // IAM token here); the migration only grants to it.
            await CloudSqlLikeDatabase.ExecuteAsync(postgres.AdminConnectionString, $"CREATE ROLE {user} LOGIN PASSWORD '{password}'");
            Assert.Equal(0, await database.MigrateAsync(null, null, createGrantees: false, grantTo: [user]));
        }

        // The simulation holds: the migrator is a built-in user, with the rights the backend must not have.
        Assert.Equal(true, await CloudSqlLikeDatabase.ScalarAsync(database.AdminConnectionString,
            $"SELECT pg_has_role('{database.Migrator}', '{CloudSqlLikeDatabase.SuperuserRole}', 'MEMBER') AND rolcreaterole AND rolcreatedb FROM pg_roles WHERE rolname = '{database.Migrator}'"));
        Assert.Equal(database.Migrator, await CloudSqlLikeDatabase.ScalarAsync(database.AdminConnectionString,
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'records'"));

        var backend = database.As(user, password);
        await CloudSqlLikeDatabase.ExecuteAsync(backend, "INSERT INTO records (title) VALUES ('written by the backend')");
        await CloudSqlLikeDatabase.ExecuteAsync(backend, "UPDATE records SET title = 'changed by the backend' WHERE title = 'written by the backend'");
        Assert.Equal(2L, await CloudSqlLikeDatabase.ScalarAsync(backend, "SELECT count(*) FROM records"));
        await CloudSqlLikeDatabase.ExecuteAsync(backend, "DELETE FROM records WHERE title = 'changed by the backend'");
        Assert.Equal(1L, await CloudSqlLikeDatabase.ScalarAsync(backend, "SELECT count(*) FROM records"));

        string[] refused =
        [
            "CREATE TABLE intruder (id int)",
            "DROP TABLE records",
            "ALTER TABLE records ADD COLUMN intruder text",
            "TRUNCATE records",
            "CREATE INDEX intruder ON records (title)",
            "CREATE SCHEMA intruder",
            $"CREATE ROLE intruder_{database.Name}",
            $"CREATE DATABASE intruder_{database.Name}",
            $"GRANT {CloudSqlLikeDatabase.SuperuserRole} TO {user}",
            $"INSERT INTO {DatabaseMigrator.JournalTable} (scriptname, applied) VALUES ('forged', now())",
            $"DELETE FROM {DatabaseMigrator.JournalTable}",
        ];
        foreach (var sql in refused)
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => CloudSqlLikeDatabase.ExecuteAsync(backend, sql));
            Assert.True(error.SqlState == InsufficientPrivilege, $"{sql}: {error.SqlState} {error.MessageText}");
        }

        Assert.Equal(false, await CloudSqlLikeDatabase.ScalarAsync(database.AdminConnectionString,
            $"SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls OR pg_has_role(oid, '{CloudSqlLikeDatabase.SuperuserRole}', 'MEMBER') FROM pg_roles WHERE rolname = '{user}'"));
        Assert.Equal(1L, await CloudSqlLikeDatabase.ScalarAsync(database.AdminConnectionString, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'records'"));
    }

    [Fact]
    public async Task Tables_a_later_migration_makes_are_readable_and_writable_by_the_backend_role_without_another_grant()
    {
        var database = await CloudSqlLikeDatabase.CreateAsync(postgres);
        var user = database.BackendUsers[0];
        Assert.Equal(0, await database.MigrateAsync(user, "backend-password-for-tests"));

        // As a later migration script would, as the migrator: the grants after migrating have not run for this table.
        await CloudSqlLikeDatabase.ExecuteAsync(database.MigratorConnectionString,
            "CREATE TABLE later_things (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL)");

        var backend = database.As(user, "backend-password-for-tests");
        await CloudSqlLikeDatabase.ExecuteAsync(backend, "INSERT INTO later_things (name) VALUES ('new')");
        Assert.Equal(1L, await CloudSqlLikeDatabase.ScalarAsync(backend, "SELECT count(*) FROM later_things"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => CloudSqlLikeDatabase.ExecuteAsync(backend, "DROP TABLE later_things"));
        Assert.Equal(InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task The_public_schemas_create_right_of_older_PostgreSQL_versions_is_taken_from_everyone()
    {
        var database = await CloudSqlLikeDatabase.CreateAsync(postgres);
        // PostgreSQL 14 and older let every role create tables in the public schema.
        await CloudSqlLikeDatabase.ExecuteAsync(database.AdminConnectionString, "GRANT CREATE ON SCHEMA public TO PUBLIC");
        var user = database.BackendUsers[0];

        Assert.Equal(0, await database.MigrateAsync(user, "backend-password-for-tests"));

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            CloudSqlLikeDatabase.ExecuteAsync(database.As(user, "backend-password-for-tests"), "CREATE TABLE intruder (id int)"));
        Assert.Equal(InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task A_backend_role_made_as_a_built_in_user_is_refused_and_gets_no_rights()
    {
        var database = await CloudSqlLikeDatabase.CreateAsync(postgres);
        var user = database.BackendUsers[0];
        // What `gcloud sql users create` would have made: a member of cloudsqlsuperuser with CREATEROLE and CREATEDB.
        await CloudSqlLikeDatabase.ExecuteAsync(postgres.AdminConnectionString,
            $"CREATE ROLE {user} LOGIN CREATEROLE CREATEDB IN ROLE {CloudSqlLikeDatabase.SuperuserRole} PASSWORD 'built-in-password'");

        Assert.Equal(1, await database.MigrateAsync(user, "backend-password-for-tests"));

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            CloudSqlLikeDatabase.ScalarAsync(database.As(user, "built-in-password"), "SELECT count(*) FROM records"));
        Assert.Equal(InsufficientPrivilege, error.SqlState);
        // Nothing of the refused run stayed: the other backend user was not made either.
        Assert.Equal(0L, await CloudSqlLikeDatabase.ScalarAsync(postgres.AdminConnectionString, $"SELECT count(*) FROM pg_roles WHERE rolname = '{database.BackendUsers[1]}'"));
    }

    [Fact]
    public async Task Migrating_with_the_other_user_sets_its_password_and_the_first_keeps_signing_in()
    {
        var database = await CloudSqlLikeDatabase.CreateAsync(postgres);
        var (first, second) = (database.BackendUsers[0], database.BackendUsers[1]);

        Assert.Equal(0, await database.MigrateAsync(first, "first-password"));
        // The idle user exists, with the same rights, but cannot sign in before it has a password.
        var noPassword = await Assert.ThrowsAsync<PostgresException>(() => CloudSqlLikeDatabase.ScalarAsync(database.As(second, "anything"), "SELECT 1"));
        Assert.Equal("28P01", noPassword.SqlState);

        Assert.Equal(0, await database.MigrateAsync(second, "second-password"));

        Assert.Equal(1L, await CloudSqlLikeDatabase.ScalarAsync(database.As(second, "second-password"), "SELECT count(*) FROM records"));
        Assert.Equal(1L, await CloudSqlLikeDatabase.ScalarAsync(database.As(first, "first-password"), "SELECT count(*) FROM records"));
        // The password is stored as a SCRAM verifier made by the migrator, never as the text itself.
        var stored = (string)(await CloudSqlLikeDatabase.ScalarAsync(postgres.AdminConnectionString, $"SELECT rolpassword FROM pg_authid WHERE rolname = '{second}'"))!;
        Assert.StartsWith("SCRAM-SHA-256$4096:", stored);
        Assert.DoesNotContain("second-password", stored);
    }

    [Fact]
    public async Task A_backend_connection_string_for_a_user_outside_the_grantees_stops_the_migration()
    {
        var database = await CloudSqlLikeDatabase.CreateAsync(postgres);

        Assert.Equal(1, await database.MigrateAsync(database.Migrator, "a-new-password-for-the-migrator"));

        // The migrator's own password is untouched.
        Assert.Equal(1L, await CloudSqlLikeDatabase.ScalarAsync(database.MigratorConnectionString, "SELECT 1::bigint"));
    }

    [Fact]
    public async Task The_SCRAM_verifier_is_the_one_PostgreSQL_makes_for_the_same_salt()
    {
        postgres.SkipIfUnavailable();
        var role = "scram_" + Guid.NewGuid().ToString("N")[..10];
        await CloudSqlLikeDatabase.ExecuteAsync(postgres.AdminConnectionString,
            $"SET password_encryption = 'scram-sha-256'; CREATE ROLE {role} LOGIN PASSWORD 'pencil ✓ 1234'");
        var made = (string)(await CloudSqlLikeDatabase.ScalarAsync(postgres.AdminConnectionString, $"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'"))!;
        // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
        var salt = Convert.FromBase64String(made.Split('$')[1].Split(':')[1]);

        Assert.Equal(made, DatabaseMigrator.ScramVerifier("pencil ✓ 1234", salt));
    }
}
