using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>A self-signed certificate and its key in one PEM file, as the frontend's key ring certificate secret holds it.</summary>
public static class KeyRingCertificate
{
    /// <summary>Writes a new certificate to <paramref name="path"/> and returns the path.</summary>
    public static string Write(string path)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=frontend key ring", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
        return path;
    }
}
