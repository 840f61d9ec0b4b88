using CloudRunSpace_1.Frontend.PrivateServices;

namespace CloudRunSpace_1.Frontend.Backend;

/// <summary>Registers the client of the space's private backend.</summary>
public static class RecordsBackendExtensions
{
    /// <summary>The backend's entry name in <c>space/</c>.</summary>
    public const string ServiceName = "backend";

    /// <summary>The backend's configuration section (<c>Backend__BaseUrl</c>, <c>Backend__Audience</c>, <c>Backend__SendIdToken</c>).</summary>
    public const string Section = "Backend";

    /// <summary>Adds <see cref="RecordsClient"/>, the backend's typed client (see <see cref="PrivateServiceClientExtensions.AddPrivateServiceClient{TClient}"/>).</summary>
    public static WebApplicationBuilder AddRecordsBackend(this WebApplicationBuilder builder)
    {
        builder.AddPrivateServiceClient<RecordsClient>(ServiceName, Section);
        return builder;
    }
}
