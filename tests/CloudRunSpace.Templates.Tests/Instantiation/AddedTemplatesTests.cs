using CloudRunSpace.Templates.Tests.Infrastructure;
using CloudRunSpace.Validation.Processes;

namespace CloudRunSpace.Templates.Tests.Instantiation;

/// <summary>
/// cloudrun-service and cloudrun-job, run at a generated space's root: listed, documented in --help, and writing
/// their project, manifest entry and tests into the space (and the projects into its solution).
/// </summary>
public sealed class AddedTemplatesTests(TemplateHive hive)
{
    public static TheoryData<string, string[]> OptionsByTemplate => new()
    {
        { "cloudrun-service", ["--callers", "--database", "--tests", "--no-restore"] },
        { "cloudrun-job", ["--schedule", "--time-zone", "--database", "--tests", "--no-restore"] },
    };

    [Fact]
    public async Task Both_templates_are_listed_in_the_hive()
    {
        var list = await hive.RunDotnetNewAsync("list");

        Assert.Contains("cloudrun-service", list.Output, StringComparison.Ordinal);
        Assert.Contains("cloudrun-job", list.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(OptionsByTemplate))]
    public async Task Help_shows_every_option_with_its_description(string template, string[] options)
    {
        var help = await hive.RunDotnetNewAsync(template, "--help");
        var config = TemplateConfig.Load(template);

        Assert.Equal(0, help.ExitCode);
        foreach (var option in options)
        {
            Assert.Contains(option, help.Output, StringComparison.Ordinal);
        }

        foreach (var (name, symbol) in config.ParameterSymbols)
        {
            var description = (string)symbol["description"]!;
            Assert.True(help.Output.Contains(description[..30], StringComparison.Ordinal), $"{template} --help lacks the description of {name}:{Environment.NewLine}{help.Output}");
        }
    }

    [Fact]
    public async Task A_service_writes_its_project_entry_and_tests_into_the_space_and_its_solution()
    {
        var space = await hive.InstantiateAsync("Acme.Shop");
        var result = await hive.RunDotnetNewAsync("cloudrun-service", "-n", "Orders", "-o", space.OutputDirectory, "--no-restore",
            "--callers", "frontend,backend", "--database");

        Assert.True(result.ExitCode == 0, result.Output);
        foreach (var file in new[] { "src/Orders/Orders.csproj", "src/Orders/Program.cs", "src/Orders/Dockerfile", "space/orders.conf", "tests/Orders.Tests/Orders.Tests.csproj" })
        {
            Assert.Contains(file, space.Files);
        }

        Assert.Equal(
            ["KIND=service", "PROJECT=src/Orders/Orders.csproj", "DOCKERFILE=src/Orders/Dockerfile", "DATABASE=true", "INGRESS=internal",
                "INVOKERS=frontend,backend", "CONCURRENCY=80", "CPU=1", "MEMORY=512Mi", "MIN_INSTANCES=0", "MAX_INSTANCES=3", "DB_POOL_SIZE=1"],
            Settings(space, "space/orders.conf"));
        var solution = await File.ReadAllTextAsync(space.PathOf("Acme.Shop.sln"), TestContext.Current.CancellationToken);
        Assert.Contains(@"src\Orders\Orders.csproj", solution, StringComparison.Ordinal);
        Assert.Contains(@"tests\Orders.Tests\Orders.Tests.csproj", solution, StringComparison.Ordinal);
        Assert.DoesNotContain("Acme", await File.ReadAllTextAsync(space.PathOf("src/Orders/Orders.csproj"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_writes_its_schedule_into_its_entry_and_no_tests_when_asked()
    {
        var space = await hive.InstantiateAsync("Acme.Shop");
        var result = await hive.RunDotnetNewAsync("cloudrun-job", "-n", "Nightly.Export", "-o", space.OutputDirectory, "--no-restore",
            "--schedule", "30 2 * * 1", "--time-zone", "Europe/Berlin", "--tests", "false");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("src/Nightly.Export/Nightly.Export.csproj", space.Files);
        Assert.DoesNotContain(space.Files, file => file.StartsWith("tests/Nightly", StringComparison.Ordinal));
        Assert.Equal(
            ["KIND=job", "PROJECT=src/Nightly.Export/Nightly.Export.csproj", "DOCKERFILE=src/Nightly.Export/Dockerfile", "DATABASE=false",
                "CPU=1", "MEMORY=512Mi", "TASK_TIMEOUT=600s", "MAX_RETRIES=1", "SCHEDULE=\"30 2 * * 1\"", "TIME_ZONE=Europe/Berlin"],
            Settings(space, "space/nightly-export.conf"));
    }

    [Fact]
    public async Task A_space_grown_by_both_templates_with_the_database_passes_the_deploy_dry_run_as_generated()
    {
        // The entries as the templates write them, not as a test would: their sizes must fit the new space's
        // connection budget and carry every key the manifest asks of their kind.
        var space = await hive.InstantiateAsync("Acme.Shop");
        foreach (var template in new[] { "cloudrun-service", "cloudrun-job" })
        {
            var added = await hive.RunDotnetNewAsync(template, "-n", template == "cloudrun-service" ? "Orders" : "Nightly", "-o", space.OutputDirectory,
                "--no-restore", "--database");
            Assert.True(added.ExitCode == 0, added.Output);
        }

        using var gcloud = new Deploy.FakeGcloud();
        var result = await gcloud.RunAsync(space.OutputDirectory, "deploy/up.sh", "--dry-run");

        Assert.True(result.ExitCode == 0, result.Output);
        var printed = Deploy.DryRunOutput.Calls(result.StandardOutput);
        var orders = Assert.Single(printed, c => c.Is("run", "deploy") && c.Words[2].EndsWith("-orders", StringComparison.Ordinal));
        Assert.Equal("internal", orders.Flag("--ingress"));
        var invokers = printed.Where(c => c.Is("run", "services", "add-iam-policy-binding", orders.Words[2]) && c.Flag("--role") == "roles/run.invoker").ToList();
        var prefix = orders.Words[2][..^"-orders".Length];
        Assert.Equal([$"serviceAccount:{prefix}-fe@{orders.Flag("--project")}.iam.gserviceaccount.com"], invokers.Select(c => c.Flag("--member")));
        Assert.Contains(printed, c => c.Is("scheduler", "jobs", "create", "http"));
    }

    [Theory]
    [InlineData("cloudrun-service", "--database", "maybe")]
    [InlineData("cloudrun-job", "--tests", "nah")]
    public async Task A_bad_option_value_is_refused_with_a_message_naming_it_and_nothing_is_written(string template, string option, string value)
    {
        // For a bool option the engine names the value it could not read ("'maybe' is not a valid option"), not the option.
        var output = Path.Combine(hive.WorkspaceRoot, "bad-" + template);
        var result = await hive.RunDotnetNewAsync(template, "-n", "Bad", "-o", output, "--no-restore", option, value);

        Assert.True(result.ExitCode != 0, $"`{option} {value}` was accepted:{Environment.NewLine}{result.Output}");
        Assert.Contains($"'{value}'", result.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output), $"{output} was written.");
    }

    [Fact]
    public async Task An_entry_name_longer_than_a_cloud_run_name_allows_fails_the_build_with_a_clear_error()
    {
        var space = await hive.InstantiateAsync("Acme.Shop");
        await hive.RunDotnetNewAsync("cloudrun-service", "-n", "Customer.Notifications", "-o", space.OutputDirectory, "--no-restore");

        var check = await ProcessRunner.RunAsync("dotnet",
            ["msbuild", space.PathOf("src/Customer.Notifications/Customer.Notifications.csproj"), "-t:CheckCloudRunSpaceEntry", "-nologo"],
            space.OutputDirectory, TimeSpan.FromMinutes(2), cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(0, check.ExitCode);
        Assert.Contains("CRS001", check.Output, StringComparison.Ordinal);
        Assert.Contains("'customer-notifications'", check.Output, StringComparison.Ordinal);
    }

    private static List<string> Settings(Infrastructure.Instantiation space, string entry) =>
        File.ReadAllLines(space.PathOf(entry)).Where(line => line.Length > 0 && !line.StartsWith('#')).ToList();
}
