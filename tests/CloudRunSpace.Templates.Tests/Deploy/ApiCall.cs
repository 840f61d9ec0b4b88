using System.Text.Json.Nodes;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>One Cloud Monitoring REST call as the stand-in curl recorded it.</summary>
/// <param name="Method">GET, POST, PATCH or DELETE.</param>
/// <param name="Url">The full URL, query included.</param>
/// <param name="Body">The JSON body, or null.</param>
public sealed record ApiCall(string Method, string Url, JsonObject? Body)
{
    /// <summary>The URL after <c>https://monitoring.googleapis.com/v3/</c>.</summary>
    public string Path => Url["https://monitoring.googleapis.com/v3/".Length..];

    /// <summary>Whether the call changes something (anything but GET).</summary>
    public bool Mutates => Method != "GET";

    /// <inheritdoc />
    public override string ToString() => $"{Method} {Path}";
}
