using System.Security.Cryptography.X509Certificates;
using CloudRunSpace_1.ServiceDefaults;
using Microsoft.AspNetCore.DataProtection;

namespace CloudRunSpace_1.Frontend.KeyRing;

/// <summary>Registers one Data Protection key ring for every instance of the frontend.</summary>
public static class SharedKeyRingExtensions
{
    /// <summary>
    /// Keeps the Data Protection keys in <see cref="KeyRingOptions.KeysPath"/>, encrypted with the certificate in
    /// <see cref="KeyRingOptions.CertificatePath"/>, under a fixed application name, so that a form rendered by one
    /// instance is accepted by another, and after a deploy. On Cloud Run both settings are required.
    /// </summary>
    /// <exception cref="InvalidOperationException">A setting is missing on Cloud Run, or the certificate cannot be read.</exception>
    public static WebApplicationBuilder AddSharedKeyRing(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(KeyRingOptions.Section).Get<KeyRingOptions>() ?? new KeyRingOptions();
        var onCloudRun = CloudRunEnvironment.FromConfiguration(builder.Configuration).IsCloudRun;
        if (onCloudRun && (string.IsNullOrWhiteSpace(options.KeysPath) || string.IsNullOrWhiteSpace(options.CertificatePath)))
        {
            throw new InvalidOperationException(
                "DataProtection__KeysPath and DataProtection__CertificatePath must be set on Cloud Run: without one key ring " +
                "for every instance, a form rendered by one instance is refused by another.");
        }

        var dataProtection = builder.Services.AddDataProtection().SetApplicationName(KeyRingOptions.ApplicationName);
        if (!string.IsNullOrWhiteSpace(options.KeysPath))
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(options.KeysPath));
        }

        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            var certificate = LoadCertificate(options.CertificatePath);
            // Linux has no certificate store to find the decryption key in: name the certificate for both ways.
            dataProtection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }

        return builder;
    }

    private static X509Certificate2 LoadCertificate(string path)
    {
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(path);
            return certificate.HasPrivateKey
                ? certificate
                : throw new InvalidOperationException($"DataProtection__CertificatePath ({path}) holds no private key.");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"DataProtection__CertificatePath ({path}) must be a readable PEM file with a certificate and its private key: {exception.Message}", exception);
        }
    }
}
