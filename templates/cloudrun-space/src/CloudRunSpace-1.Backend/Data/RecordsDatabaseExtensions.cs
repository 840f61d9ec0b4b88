using CloudRunSpace_1.Database;

namespace CloudRunSpace_1.Backend.Data;

/// <summary>Registers the backend's records over the space's database, and its migrations.</summary>
public static class RecordsDatabaseExtensions
{
    /// <summary>
    /// Adds the space's database (<see cref="SpaceDatabaseExtensions.AddSpaceDatabase{TBuilder}"/>), the
    /// <see cref="Records.RecordStore"/> over it and the <see cref="DatabaseMigrator"/>.
    /// </summary>
    public static WebApplicationBuilder AddRecordsDatabase(this WebApplicationBuilder builder)
    {
        builder.AddSpaceDatabase();
        builder.Services.AddSingleton<Records.RecordStore>();
        builder.Services.AddSingleton<DatabaseMigrator>();
        return builder;
    }
}
