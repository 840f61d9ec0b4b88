using System.Net;
using System.Net.Http.Headers;
using CloudRunSpace.SpaceChecks.Space;

namespace CloudRunSpace.SpaceChecks.Composition;

/// <summary>
/// A space that grew (dotnet new cloudrun-service / cloudrun-job at its root), started through its own AppHost: every
/// service the manifest added sits behind its own private front end that only its invokers get through, checks tokens
/// itself too, and is wired into the frontend; every job the manifest added runs once and exits 0.
/// </summary>
[Trait("Category", "Composition")]
public sealed class CompositionTests(SpaceFixture space) : IClassFixture<SpaceFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static IReadOnlyList<ManifestEntry> AddedServices(SpaceFixture space) =>
        ManifestEntry.Added(space.SpaceDirectory).Where(e => e.Kind == "service").ToList();

    [Fact]
    public async Task The_space_was_grown_and_the_AppHost_runs_every_added_entry()
    {
        var added = ManifestEntry.Added(space.SpaceDirectory);
        var resources = space.ResourceNames();

        Assert.True(added.Count > 0, $"{space.SpaceDirectory}/space holds no entry beside frontend and backend: the composed space was not grown");
        var missing = added.SelectMany(e => e.Kind == "service" ? [e.Name, FrontEndOf(e)] : new[] { e.Name }).Where(r => !resources.Contains(r)).ToList();
        await space.ExpectAsync(missing.Count == 0, $"the AppHost has no resource {string.Join(", ", missing)} for the manifest's added entries; it has {string.Join(", ", resources)}");
    }

    [Fact]
    public async Task Every_added_service_starts_from_the_AppHost_s_build_without_building_itself()
    {
        // Started by path, a project is built by its own `dotnet run` at every start: the added ones all at once, each
        // with its own MSBuild, while the space starts (in CI that pushed a space's start past its limit).
        foreach (var service in AddedServices(space))
        {
            await WaitHealthyAsync(service);
            var commandLine = ProcessTree.CommandLine(space.Pid(service.Name));

            await space.ExpectAsync(commandLine.Split(' ').Contains("--no-build"),
                $"{service.Name} was started with '{commandLine}': without --no-build it builds itself as the space starts", service.Name);
        }
    }

    [Fact]
    public async Task Every_added_service_refuses_a_call_without_a_token_at_its_front_end_and_at_itself()
    {
        foreach (var service in AddedServices(space))
        {
            await WaitHealthyAsync(service);
            var atFrontEnd = await GetAsync(space.Url(FrontEndOf(service)), token: null);
            var atItself = await GetAsync(space.Url(service.Name), token: null);

            await space.ExpectAsync(atFrontEnd == HttpStatusCode.Forbidden && atItself == HttpStatusCode.Unauthorized,
                $"without a token {service.Name}'s front end answered {(int)atFrontEnd} (not 403: the invoker check) and {service.Name} itself {(int)atItself} (not 401: its own token check)",
                FrontEndOf(service), service.Name);
        }
    }

    [Fact]
    public async Task A_stranger_s_valid_token_is_refused_by_every_added_service_s_front_end()
    {
        foreach (var service in AddedServices(space))
        {
            await WaitHealthyAsync(service);
            var url = space.Url(FrontEndOf(service));
            var token = await space.MintIdTokenAsync(SpaceFixture.StrangerServiceAccount, url, Cancellation);

            var status = await GetAsync(url, token);

            await space.ExpectAsync(status == HttpStatusCode.Forbidden,
                $"{service.Name}'s front end answered {(int)status} to a valid token of {SpaceFixture.StrangerServiceAccount}, which is no invoker of it, not 403", FrontEndOf(service));
        }
    }

    [Fact]
    public async Task The_frontend_reaches_every_added_service_it_may_call_at_the_url_it_is_given_with_its_own_token()
    {
        var called = AddedServices(space).Where(s => s.Invokers.Contains("frontend")).ToList();
        Assert.True(called.Count > 0, "no added service lists the frontend among its INVOKERS: nothing to reach");
        foreach (var service in called)
        {
            await WaitHealthyAsync(service);
            foreach (var instance in SpaceFixture.FrontendInstances)
            {
                var environment = space.Snapshot(instance).EnvironmentVariables.ToDictionary(v => v.Name, v => v.Value);
                var baseUrl = environment.GetValueOrDefault($"PrivateServices__{service.Name}__BaseUrl");
                var audience = environment.GetValueOrDefault($"PrivateServices__{service.Name}__Audience") ?? baseUrl;
                await space.ExpectAsync(baseUrl is not null && new Uri(baseUrl).Port == space.Url(FrontEndOf(service)).Port,
                    $"{instance} is given PrivateServices__{service.Name}__BaseUrl={baseUrl ?? "(nothing)"}, not {service.Name}'s front end {space.Url(FrontEndOf(service))}", instance);
                var token = await space.MintIdTokenAsync(SpaceFixture.FrontendServiceAccount, new Uri(audience!), Cancellation);

                var status = await GetAsync(new Uri(baseUrl!), token);

                await space.ExpectAsync(status == HttpStatusCode.OK,
                    $"{SpaceFixture.FrontendServiceAccount} (the frontend's account) got {(int)status} from {service.Name} through its front end at {baseUrl}, not 200", FrontEndOf(service), service.Name);
            }
        }
    }

    [Fact]
    public async Task Every_added_service_with_the_database_reads_the_schema_the_migrations_made()
    {
        var withDatabase = AddedServices(space).Where(s => s.Settings.GetValueOrDefault("DATABASE") == "true" && s.Invokers.Contains("frontend")).ToList();
        if (withDatabase.Count == 0)
        {
            Assert.Skip("no added service of this space signs in to the database (cloudrun-service --database)");
        }

        foreach (var service in withDatabase)
        {
            await WaitHealthyAsync(service);
            var url = space.Url(FrontEndOf(service));
            var token = await space.MintIdTokenAsync(SpaceFixture.FrontendServiceAccount, url, Cancellation);
            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(20) };
            using var request = new HttpRequestMessage(HttpMethod.Get, RecordCountPath);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

            using var response = await http.SendAsync(request, Cancellation);
            var body = await response.Content.ReadAsStringAsync(Cancellation);

            await space.ExpectAsync(response.StatusCode == HttpStatusCode.OK && body.Contains("\"count\":", StringComparison.Ordinal),
                $"GET {RecordCountPath} of {service.Name} as the frontend answered {(int)response.StatusCode}: {body}", service.Name, SpaceFixture.Migrate);
        }
    }

    [Fact]
    public async Task Every_added_job_runs_once_and_exits_0()
    {
        var jobs = ManifestEntry.Added(space.SpaceDirectory).Where(e => e.Kind == "job").ToList();
        Assert.True(jobs.Count > 0, "the manifest adds no job to check");
        foreach (var job in jobs)
        {
            var finished = await space.WaitStoppedAsync(job.Name, TimeSpan.FromMinutes(2), Cancellation);

            await space.ExpectAsync(finished.ExitCode == 0, $"job {job.Name} ended {finished.State?.Text} with exit code {finished.ExitCode?.ToString() ?? "none"}, not 0", job.Name);
        }
    }

    // The AppHost names an added service's local Cloud Run front end after it, as it names the backend's.
    private static string FrontEndOf(ManifestEntry service) => service.Name + "-front-end";

    private async Task WaitHealthyAsync(ManifestEntry service)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        limit.CancelAfter(TimeSpan.FromMinutes(2));
        foreach (var resource in new[] { service.Name, FrontEndOf(service) })
        {
            await space.App.ResourceNotifications.WaitForResourceHealthyAsync(resource, limit.Token);
        }
    }

    private static async Task<HttpStatusCode> GetAsync(Uri service, string? token)
    {
        using var http = new HttpClient { BaseAddress = service, Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Get, AddedServicePath);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request, Cancellation);
        return response.StatusCode;
    }

    // The example endpoints of a service made by dotnet new cloudrun-service (the second with --database): they answer
    // its callers only.
    private const string AddedServicePath = "/api/hello";
    private const string RecordCountPath = "/api/records/count";
}
