using Microsoft.Extensions.Configuration;

namespace CloudRunSpace_1.AppHost;

/// <summary>How the local space is laid out (configuration section <c>Space</c>, and the database setting).</summary>
internal sealed record SpaceSettings(int FrontendInstances, int? Port, string KeysPath, string? ConnectionString, bool IamDatabaseAuth)
{
    /// <summary>The account the local metadata server speaks for: the frontend's, the backend's only invoker.</summary>
    public const string FrontendServiceAccount = "frontend@test-project.iam.gserviceaccount.com";

    /// <summary>The database role of the backend's account in Cloud SQL IAM mode (its e-mail without the domain suffix).</summary>
    public const string IamDatabaseUser = "backend@test-project.iam";

    /// <summary>The access token the local metadata server hands out: the IAM role's password.</summary>
    public const string LocalAccessToken = "ya29.fake-access-token";

    /// <summary>Reads the settings; a bad one fails the start with its name.</summary>
    public static SpaceSettings From(IConfiguration configuration, string appHostDirectory)
    {
        var instances = configuration.GetValue("Space:FrontendInstances", 2);
        if (instances is < 1 or > 10)
        {
            throw new InvalidOperationException($"Space:FrontendInstances must be from 1 to 10, not {instances}.");
        }

        var port = configuration.GetValue("Space:Port", 8080);
        if (port is < 0 or > 65535)
        {
            throw new InvalidOperationException($"Space:Port must be a TCP port number (1-65535; 0 for any free one), not {port}.");
        }

        var keys = configuration["Space:KeysPath"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(appHostDirectory, ".local", "data-protection-keys");
        return new SpaceSettings(instances, port == 0 ? null : port, Path.GetFullPath(keys), configuration.GetConnectionString("Database"),
#if (UseIamAuth)
            IamDatabaseAuth: true);
#else
            IamDatabaseAuth: false);
#endif
    }
}
