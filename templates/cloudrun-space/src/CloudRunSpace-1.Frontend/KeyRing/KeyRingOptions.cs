namespace CloudRunSpace_1.Frontend.KeyRing;

/// <summary>
/// Where the frontend's Data Protection key ring lives (configuration section <c>DataProtection</c>). Antiforgery
/// tokens and cookies are protected with it, so every instance and revision must share one.
/// </summary>
public sealed class KeyRingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "DataProtection";

    /// <summary>
    /// The application name every instance protects data under: fixed, so that instances started from other folders
    /// or images read each other's data.
    /// </summary>
    public const string ApplicationName = "cloudrunspace-app-frontend";

    /// <summary>
    /// The folder of the key ring (<c>DataProtection__KeysPath</c>): on Cloud Run a Cloud Storage bucket mounted as a
    /// volume, locally a folder the instances share. Required on Cloud Run.
    /// </summary>
    public string? KeysPath { get; set; }

    /// <summary>
    /// A PEM file with a certificate and its private key (<c>DataProtection__CertificatePath</c>) that encrypts the
    /// keys at rest: on Cloud Run a Secret Manager secret mounted as a file. Required on Cloud Run.
    /// </summary>
    public string? CertificatePath { get; set; }
}
