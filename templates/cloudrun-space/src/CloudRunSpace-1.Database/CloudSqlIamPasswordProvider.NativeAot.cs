using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudRunSpace_1.Database;

/// <summary>
/// Cloud SQL IAM database authentication: the password of each new physical connection is an OAuth access
/// token of the signed-in service's or job's own account (scope <c>sqlservice.login</c>). No database password exists anywhere.
/// </summary>
/// <remarks>
/// Native AOT build: Google.Apis.Auth is not trim-safe, so the token comes straight from the metadata server (the
/// only credential source on Cloud Run; GCE_METADATA_HOST points it elsewhere, as the library honours).
/// </remarks>
public sealed partial class CloudSqlIamPasswordProvider
{
    private static readonly TimeSpan RenewBeforeExpiry = TimeSpan.FromMinutes(5);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Token, DateTimeOffset RenewAt)? _current;

    /// <summary>Returns a valid access token to use as the database password.</summary>
    public async ValueTask<string> GetPasswordAsync(CancellationToken cancellationToken)
    {
        if (_current is { } cached && cached.RenewAt > DateTimeOffset.UtcNow)
        {
            return cached.Token;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_current is { } renewed && renewed.RenewAt > DateTimeOffset.UtcNow)
            {
                return renewed.Token;
            }

            var host = Environment.GetEnvironmentVariable("GCE_METADATA_HOST") is { Length: > 0 } configured ? configured : "metadata.google.internal";
            using var request = new HttpRequestMessage(HttpMethod.Get,
                $"http://{host}/computeMetadata/v1/instance/service-accounts/default/token?scopes={Uri.EscapeDataString(Scope)}");
            request.Headers.Add("Metadata-Flavor", "Google");
            using var response = await _http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            var token = await JsonSerializer.DeserializeAsync(
                await response.Content.ReadAsStreamAsync(cancellationToken), MetadataJsonContext.Default.MetadataAccessToken, cancellationToken)
                ?? throw new InvalidOperationException("The metadata server answered no access token.");
            _current = (token.AccessToken, DateTimeOffset.UtcNow + TimeSpan.FromSeconds(token.ExpiresIn) - RenewBeforeExpiry);
            return token.AccessToken;
        }
        finally
        {
            _gate.Release();
        }
    }

    internal sealed record MetadataAccessToken(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);

    [JsonSerializable(typeof(MetadataAccessToken))]
    internal sealed partial class MetadataJsonContext : JsonSerializerContext;
}
