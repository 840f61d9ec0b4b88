namespace CloudRunSpace_1.LocalCloud.FrontEnd;

/// <summary>One Cloud Run service's front end (configuration section <c>FrontEnd</c>).</summary>
public sealed class FrontEndOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "FrontEnd";

    /// <summary>The service's instances (<c>FrontEnd__Instances__0</c>, …): requests go to each in turn.</summary>
    public List<Uri> Instances { get; set; } = [];

    /// <summary>
    /// The accounts allowed to invoke the service (<c>FrontEnd__Invokers</c>, comma-separated e-mails): Cloud Run's
    /// IAM check of a private service. Empty: the service is public (no invoker check).
    /// </summary>
    public string? Invokers { get; set; }

    /// <summary>The audience an invoker's ID token must carry: the service's URL (<c>FrontEnd__Audience</c>).</summary>
    public string? Audience { get; set; }

    /// <summary>The issuer's key set (JWKS) the ID tokens are checked against (<c>FrontEnd__CertificatesUrl</c>).</summary>
    public Uri? CertificatesUrl { get; set; }

    /// <summary>The invoker e-mails, parsed.</summary>
    public IReadOnlySet<string> InvokerEmails =>
        (Invokers ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
}
