using System.Net;
using CloudRunSpace_1.Tests.Fakes;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CloudRunSpace_1.Tests.Frontend;

/// <summary>
/// One Data Protection key ring for every frontend instance: a form rendered by one instance is accepted by another
/// that shares the keys folder, and by an instance started after a restart; one with a folder of its own refuses it.
/// </summary>
public sealed class SharedKeyRingTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private readonly RunningSpace _space = new(google, postgres);
    private readonly List<string> _folders = [];

    public ValueTask InitializeAsync() => _space.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        await _space.DisposeAsync();
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_form_rendered_by_one_instance_is_accepted_by_another_with_the_same_keys_folder()
    {
        var keys = NewFolder();
        await using var first = Frontend(keys);
        await using var second = Frontend(keys);

        var (status, title) = await RenderOnOnePostToOther(first, second);

        Assert.Equal(HttpStatusCode.Redirect, status);
        Assert.Contains(title, await second.CreateClient().GetStringAsync("/", Cancellation));
    }

    [Fact]
    public async Task A_form_rendered_by_one_instance_is_refused_by_another_with_a_keys_folder_of_its_own()
    {
        await using var first = Frontend(NewFolder());
        await using var second = Frontend(NewFolder());

        var (status, title) = await RenderOnOnePostToOther(first, second);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.DoesNotContain(title, await second.CreateClient().GetStringAsync("/", Cancellation));
    }

    [Fact]
    public async Task A_form_rendered_before_a_restart_is_accepted_after_it()
    {
        var keys = NewFolder();
        var before = Frontend(keys);
        var (cookies, form) = await RenderAsync(before);
        await before.DisposeAsync();
        await using var after = Frontend(keys);

        var status = await PostAsync(after, cookies, form, "After a restart " + Guid.NewGuid().ToString("N")[..8]);

        Assert.Equal(HttpStatusCode.Redirect, status);
    }

    [Fact]
    public async Task With_a_certificate_the_keys_are_encrypted_at_rest_and_still_shared()
    {
        var keys = NewFolder();
        var certificate = KeyRingCertificate.Write(Path.Combine(NewFolder(), "key-ring.pem"));
        await using var first = Frontend(keys, certificate);
        await using var second = Frontend(keys, certificate);

        var (status, _) = await RenderOnOnePostToOther(first, second);

        Assert.Equal(HttpStatusCode.Redirect, status);
        var keyFiles = Directory.GetFiles(keys, "key-*.xml");
        Assert.NotEmpty(keyFiles);
        Assert.All(keyFiles, file =>
        {
            var xml = File.ReadAllText(file);
            Assert.Contains("EncryptedData", xml);
            Assert.DoesNotContain("<value>", xml);
        });
    }

    [Fact]
    public void On_Cloud_Run_the_frontend_refuses_to_start_without_a_keys_folder()
    {
        using var frontend = new FrontendHost(_space.Backend, _space.Audience, new Dictionary<string, string?> { ["K_SERVICE"] = "frontend" });

        var error = Assert.Throws<InvalidOperationException>(() => frontend.CreateClient());

        Assert.Contains("DataProtection__KeysPath", error.Message);
    }

    [Fact]
    public void A_certificate_file_that_is_not_a_pem_certificate_stops_the_start_with_its_path()
    {
        var file = Path.Combine(NewFolder(), "not-a-certificate.pem");
        File.WriteAllText(file, "not a certificate");
        using var frontend = Frontend(NewFolder(), file);

        var error = Assert.Throws<InvalidOperationException>(() => frontend.CreateClient());

        Assert.Contains(file, error.Message);
    }

    private FrontendHost Frontend(string keysFolder, string? certificate = null) =>
        new(_space.Backend, _space.Audience, new Dictionary<string, string?>
        {
            ["DataProtection:KeysPath"] = keysFolder,
            ["DataProtection:CertificatePath"] = certificate,
        });

    private async Task<(HttpStatusCode Status, string Title)> RenderOnOnePostToOther(FrontendHost renderer, FrontendHost receiver)
    {
        var (cookies, form) = await RenderAsync(renderer);
        var title = "Across instances " + Guid.NewGuid().ToString("N")[..8];
        return (await PostAsync(receiver, cookies, form, title), title);
    }

    // A browser's round trip split over two instances: the page (and its antiforgery cookie) from one, the post to the other.
    private static async Task<(string Cookies, Dictionary<string, string> Form)> RenderAsync(FrontendHost frontend)
    {
        var client = frontend.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var page = await client.GetAsync("/", Cancellation);
        page.EnsureSuccessStatusCode();
        var cookies = string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        return (cookies, HtmlForm.HiddenInputs(await page.Content.ReadAsStringAsync(Cancellation)));
    }

    private static async Task<HttpStatusCode> PostAsync(FrontendHost frontend, string cookies, Dictionary<string, string> form, string title)
    {
        var client = frontend.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });
        form["Input.Title"] = title;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("Cookie", cookies);
        using var response = await client.SendAsync(request, Cancellation);
        return response.StatusCode;
    }

    private string NewFolder()
    {
        var folder = Directory.CreateTempSubdirectory("key-ring-").FullName;
        _folders.Add(folder);
        return folder;
    }
}
