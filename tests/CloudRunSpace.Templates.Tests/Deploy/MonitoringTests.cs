using System.Text.Json.Nodes;
using static CloudRunSpace.Templates.Tests.Deploy.SpaceVariants;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// Cloud Monitoring (deploy/lib/monitoring.sh): each service's availability and latency SLO through the Monitoring REST
/// API (the stand-in curl), a burn-rate alert policy per SLO and the e-mail notification channel (the stand-in gcloud).
/// A second run changes nothing, an edited setting changes only its object, off removes it, down.sh removes all.
/// </summary>
public sealed class MonitoringTests
{
    private const string Space = App + "-prod";
    private const string Services = $"projects/{ProjectId}/services";

    private static string Slo(string entry, string kind) => $"{Services}/{Space}--{entry}/serviceLevelObjectives/{kind}";

    [Fact]
    public async Task Up_makes_two_slos_and_their_policies_per_service_an_added_one_included_and_a_second_run_changes_nothing()
    {
        using var space = new DeploySpace();
        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders"));
        space.AddEntry("nightly", DeploySpace.JobEntry("Nightly"));
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();

        var first = await gcloud.UpAsync(space);

        var made = gcloud.ApiCalls().Where(c => c.Mutates).Select(c => c.ToString()).ToList();
        Assert.Equal(
        [
            $"POST {Services}?serviceId={Space}--backend",
            $"POST {Services}/{Space}--backend/serviceLevelObjectives?serviceLevelObjectiveId=availability",
            $"POST {Services}/{Space}--backend/serviceLevelObjectives?serviceLevelObjectiveId=latency",
            $"POST {Services}?serviceId={Space}--frontend",
            $"POST {Services}/{Space}--frontend/serviceLevelObjectives?serviceLevelObjectiveId=availability",
            $"POST {Services}/{Space}--frontend/serviceLevelObjectives?serviceLevelObjectiveId=latency",
            $"POST {Services}?serviceId={Space}--orders",
            $"POST {Services}/{Space}--orders/serviceLevelObjectives?serviceLevelObjectiveId=availability",
            $"POST {Services}/{Space}--orders/serviceLevelObjectives?serviceLevelObjectiveId=latency",
        ], made);
        var objects = gcloud.ApiObjects();
        // The frontend's: the article's 90 % under 200 ms in a calendar month; 99.5 % available over 28 days.
        Assert.Equal(0.9, (double)objects[Slo("frontend", "latency")]["goal"]!);
        Assert.Equal("0.2s", (string)objects[Slo("frontend", "latency")]["serviceLevelIndicator"]!["basicSli"]!["latency"]!["threshold"]!);
        Assert.Equal("MONTH", (string)objects[Slo("frontend", "latency")]["calendarPeriod"]!);
        Assert.Equal(0.995, (double)objects[Slo("frontend", "availability")]["goal"]!);
        Assert.Equal("2419200s", (string)objects[Slo("frontend", "availability")]["rollingPeriod"]!);
        // The backend's, and an added service's (the backend's unless its own are set): 95 % under 150 ms.
        Assert.Equal("0.15s", (string)objects[Slo("orders", "latency")]["serviceLevelIndicator"]!["basicSli"]!["latency"]!["threshold"]!);
        Assert.Equal(0.95, (double)objects[Slo("backend", "latency")]["goal"]!);
        var orders = objects[$"{Services}/{Space}--orders"];
        Assert.Equal($"{App}-prod-orders", (string)orders["cloudRun"]!["serviceName"]!);
        Assert.Equal("us-central1", (string)orders["cloudRun"]!["location"]!);
        Assert.DoesNotContain(objects.Keys, k => k.Contains("nightly", StringComparison.Ordinal));

        var policies = gcloud.MonitoringDocuments("monitoring.policies");
        Assert.Equal(6, policies.Count);
        Assert.Equal(
            new[] { "backend", "frontend", "orders" }.SelectMany(e => new[] { $"{e}-availability", $"{e}-latency" }),
            policies.Select(p => (string)p["userLabels"]!["slo"]!).Order(StringComparer.Ordinal));
        var frontendLatency = policies.Single(p => (string)p["userLabels"]!["slo"]! == "frontend-latency");
        Assert.Equal(
            [$"select_slo_burn_rate(\"{Slo("frontend", "latency")}\", \"3600s\")", $"select_slo_burn_rate(\"{Slo("frontend", "latency")}\", \"21600s\")"],
            frontendLatency["conditions"]!.AsArray().Select(c => (string)c!["conditionThreshold"]!["filter"]!));
        Assert.Empty(frontendLatency["notificationChannels"]!.AsArray());
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.channels"));
        Assert.Contains(gcloud.Calls(), c => c.Is("services", "enable") && c.Argv.Contains("monitoring.googleapis.com"));
        Assert.DoesNotContain(FakeAccessToken, first.Output);

        var apiBefore = gcloud.ApiCalls().Count;
        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        Assert.DoesNotContain(gcloud.ApiCalls().Skip(apiBefore), c => c.Mutates);
        Assert.DoesNotContain(gcloud.Since(before), c => c.Is("monitoring") || c.Is("beta", "monitoring") ? c.Mutates : false);
        Assert.All(gcloud.MonitoringDocuments("monitoring.policies"), p => Assert.Null(p["updates"]));
    }

    [Fact]
    public async Task An_edited_slo_setting_updates_that_slo_only_and_the_dry_run_shows_nothing_else()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["FRONTEND_SLO_LATENCY"] = "95%<300ms/28d" });
        var apiBefore = gcloud.ApiCalls().Count;
        var before = gcloud.Calls().Count;
        var edited = await gcloud.UpAsync(space);

        var change = Assert.Single(gcloud.ApiCalls().Skip(apiBefore), c => c.Mutates);
        Assert.Equal("PATCH", change.Method);
        Assert.Equal($"{Slo("frontend", "latency")}?updateMask=displayName,serviceLevelIndicator,goal,rollingPeriod,calendarPeriod,userLabels", change.Path);
        var slo = gcloud.ApiObjects()[Slo("frontend", "latency")];
        Assert.Equal(0.95, (double)slo["goal"]!);
        Assert.Equal("2419200s", (string)slo["rollingPeriod"]!);
        Assert.Null(slo["calendarPeriod"]);
        Assert.Equal("0.3s", (string)slo["serviceLevelIndicator"]!["basicSli"]!["latency"]!["threshold"]!);
        Assert.DoesNotContain(gcloud.Since(before), c => (c.Is("monitoring") || c.Is("beta", "monitoring")) && c.Mutates);
        Assert.Contains("==> FRONTEND_SLO_LATENCY: updating the SLO to 95%<300ms/28d\n", edited.StandardError);
    }

    public static TheoryData<string, string> SloSettings => new()
    {
        { "frontend", "availability" },
        { "frontend", "latency" },
        { "backend", "availability" },
        { "backend", "latency" },
    };

    [Theory]
    [MemberData(nameof(SloSettings))]
    public async Task An_slo_turned_off_goes_with_its_policy_and_one_off_from_the_start_is_never_made(string entry, string kind)
    {
        var setting = $"{entry.ToUpperInvariant()}_SLO_{kind.ToUpperInvariant()}";
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        space.WriteEnv("prod", settings: new Dictionary<string, string?> { [setting] = "off" });
        var apiBefore = gcloud.ApiCalls().Count;
        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        Assert.Equal([$"DELETE {Slo(entry, kind)}"], gcloud.ApiCalls().Skip(apiBefore).Where(c => c.Mutates).Select(c => c.ToString()));
        var deleted = Assert.Single(gcloud.Since(before), c => (c.Is("monitoring") || c.Is("beta", "monitoring")) && c.Mutates);
        Assert.True(deleted.Is("monitoring", "policies", "delete"), deleted.ToString());
        // The policy went before the SLO it watched.
        Assert.DoesNotContain(gcloud.MonitoringDocuments("monitoring.policies"), p => (string)p["userLabels"]!["slo"]! == $"{entry}-{kind}");
        Assert.Equal(3, gcloud.MonitoringDocuments("monitoring.policies").Count);
        Assert.DoesNotContain(Slo(entry, kind), gcloud.ApiObjects().Keys);
        Assert.Equal(5, gcloud.ApiObjects().Count); // two services, three SLOs

        using var fresh = new FakeGcloud();
        await fresh.UpAsync(space);
        Assert.DoesNotContain(fresh.ApiCalls(), c => c.Path.Contains($"--{entry}/serviceLevelObjectives?serviceLevelObjectiveId={kind}", StringComparison.Ordinal));
        Assert.Equal(3, fresh.MonitoringDocuments("monitoring.policies").Count);
    }

    [Fact]
    public async Task The_email_setting_makes_the_channel_every_policy_notifies_changes_its_address_in_place_and_empty_removes_it()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["MONITORING_EMAIL"] = "ops@example.com" });
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        var channel = Assert.Single(gcloud.MonitoringDocuments("monitoring.channels"));
        Assert.Equal("email", (string)channel["type"]!);
        Assert.Equal("ops@example.com", (string)channel["labels"]!["email_address"]!);
        var name = (string)channel["name"]!;
        Assert.All(gcloud.MonitoringDocuments("monitoring.policies"), p => Assert.Equal([name], p["notificationChannels"]!.AsArray().Select(c => (string)c!)));

        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["MONITORING_EMAIL"] = "oncall@example.com" });
        var before = gcloud.Calls().Count;
        var apiBefore = gcloud.ApiCalls().Count;
        var changed = await gcloud.UpAsync(space);
        var update = Assert.Single(gcloud.Since(before), c => (c.Is("monitoring") || c.Is("beta", "monitoring")) && c.Mutates);
        Assert.Equal(["beta", "monitoring", "channels", "update", name, "--update-channel-labels=email_address=oncall@example.com", $"--project={ProjectId}"], update.Argv);
        Assert.DoesNotContain(gcloud.ApiCalls().Skip(apiBefore), c => c.Mutates);
        Assert.Contains("==> MONITORING_EMAIL: ops@example.com -> oncall@example.com\n", changed.StandardError);

        space.WriteEnv("prod");
        before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        Assert.Contains(gcloud.Since(before), c => c.Is("beta", "monitoring", "channels", "delete", name) && c.Has("--force"));
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.channels"));
        Assert.All(gcloud.MonitoringDocuments("monitoring.policies"), p => Assert.Empty(p["notificationChannels"]!.AsArray()));
    }

    [Fact]
    public async Task Turning_every_monitoring_setting_off_removes_all_it_made_and_a_space_without_them_makes_nothing()
    {
        using var space = new DeploySpace();
        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders"));
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["MONITORING_EMAIL"] = "ops@example.com" });
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);
        Assert.NotEmpty(gcloud.ApiObjects());

        space.WriteEnv("prod", settings: AllOff);
        await gcloud.UpAsync(space);
        Assert.Empty(gcloud.ApiObjects());
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.policies"));
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.channels"));
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.uptime"));
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.dashboards"));

        // An env file without the settings (written before they existed) is the same as all off.
        using var fresh = new FakeGcloud();
        space.WriteEnv("prod", settings: new Dictionary<string, string?>(AllOff.Keys.Select(k => KeyValuePair.Create(k, (string?)null))));
        await fresh.UpAsync(space);
        Assert.DoesNotContain(fresh.ApiCalls(), c => c.Mutates);
        Assert.DoesNotContain(fresh.Calls(), c => (c.Is("monitoring") || c.Is("beta", "monitoring")) && c.Mutates);
        Assert.DoesNotContain(fresh.Calls(), c => c.Is("services", "enable") && c.Argv.Contains("monitoring.googleapis.com"));
    }

    [Fact]
    public async Task Down_removes_the_policies_the_slos_and_their_services_and_the_channel()
    {
        using var space = new DeploySpace();
        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders"));
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["MONITORING_EMAIL"] = "ops@example.com" });
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        Assert.Single(gcloud.MonitoringDocuments("monitoring.uptime"));
        Assert.Single(gcloud.MonitoringDocuments("monitoring.dashboards"));

        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.Empty(gcloud.ApiObjects());
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.policies"));
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.channels"));
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.uptime"));
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.dashboards"));
    }

    [Fact]
    public async Task An_entry_removed_from_space_loses_its_slos_policies_and_monitoring_service()
    {
        using var space = new DeploySpace();
        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders"));
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        space.RemoveEntry("orders");
        space.WriteEnv("prod");
        await gcloud.UpAsync(space);
        Assert.DoesNotContain(gcloud.ApiObjects().Keys, k => k.Contains("--orders", StringComparison.Ordinal));
        Assert.DoesNotContain(gcloud.MonitoringDocuments("monitoring.policies"), p => ((string)p["userLabels"]!["slo"]!).StartsWith("orders-", StringComparison.Ordinal));
        Assert.Equal(4, gcloud.MonitoringDocuments("monitoring.policies").Count);
    }

    [Fact]
    public async Task The_uptime_check_watches_the_frontend_url_a_new_period_replaces_it_and_off_removes_it()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        var create = Assert.Single(gcloud.Calls(), c => c.Is("monitoring", "uptime", "create"));
        Assert.Equal(
        [
            "monitoring", "uptime", "create", $"{App} prod frontend", "--resource-type=uptime-url",
            $"--resource-labels=host={Frontend}-{FakeGcloud.ProjectNumber}.us-central1.run.app,project_id={ProjectId}",
            "--protocol=https", "--path=/", "--period=5",
        ], create.Argv.Take(9));
        var check = Assert.Single(gcloud.MonitoringDocuments("monitoring.uptime"));

        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["UPTIME_CHECK_PERIOD"] = "15" });
        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        var changes = gcloud.Since(before).Where(c => c.Is("monitoring") && c.Mutates).ToList();
        Assert.Equal(2, changes.Count);
        Assert.True(changes[0].Is("monitoring", "uptime", "delete", (string)check["name"]!), changes[0].ToString());
        Assert.Equal("15", changes[1].Flag("--period"));

        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["UPTIME_CHECK_PERIOD"] = "off" });
        before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        Assert.True(Assert.Single(gcloud.Since(before), c => c.Is("monitoring") && c.Mutates).Is("monitoring", "uptime", "delete"));
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.uptime"));
    }

    [Fact]
    public async Task The_dashboard_charts_every_service_and_the_database_follows_an_added_service_and_false_removes_it()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        var dashboard = Assert.Single(gcloud.MonitoringDocuments("monitoring.dashboards"));
        Assert.Equal($"projects/{ProjectId}/dashboards/{Space}", (string)dashboard["name"]!);
        var filters = Filters(dashboard);
        Assert.Equal(5, filters.Count);
        foreach (var metric in new[] { "run.googleapis.com/request_count", "run.googleapis.com/request_latencies", "run.googleapis.com/container/instance_count" })
        {
            Assert.Contains(filters, f => f.Contains($"metric.type=\"{metric}\"", StringComparison.Ordinal)
                && f.Contains($"one_of(\"{Backend}\", \"{Frontend}\")", StringComparison.Ordinal));
        }

        Assert.Contains(filters, f => f.Contains("metric.label.\"response_code_class\"=\"5xx\"", StringComparison.Ordinal));
        Assert.Contains(filters, f => f.Contains($"cloudsql.googleapis.com/database/postgresql/num_backends", StringComparison.Ordinal)
            && f.Contains($"resource.label.\"database_id\"=\"{ProjectId}:{App}-prod-db\"", StringComparison.Ordinal));

        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders"));
        space.WriteEnv("prod");
        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        var update = Assert.Single(gcloud.Since(before), c => c.Is("monitoring", "dashboards") && c.Mutates);
        Assert.True(update.Is("monitoring", "dashboards", "update", Space), update.ToString());
        Assert.Contains($"one_of(\"{Backend}\", \"{Frontend}\", \"{App}-prod-orders\")", Filters(gcloud.MonitoringDocuments("monitoring.dashboards").Single())[0]);

        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["DASHBOARD"] = "false" });
        before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        Assert.Contains(gcloud.Since(before), c => c.Is("monitoring", "dashboards", "delete", Space));
        Assert.Empty(gcloud.MonitoringDocuments("monitoring.dashboards"));
    }

    [Fact]
    public async Task The_dry_run_prints_the_slo_api_calls_with_their_documents_and_makes_none()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();

        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");

        Assert.True(result.ExitCode == 0, result.Output);
        var printed = result.StandardOutput.Split('\n').Where(l => l.StartsWith("DRY-RUN: curl ", StringComparison.Ordinal)).ToList();
        Assert.Contains(printed, l => l.StartsWith($@"DRY-RUN: curl -X POST https://monitoring.googleapis.com/v3/{Services}\?serviceId={Space}--frontend --data-binary ", StringComparison.Ordinal));
        var latency = Assert.Single(printed, l => l.Contains($@"--frontend/serviceLevelObjectives\?serviceLevelObjectiveId=latency", StringComparison.Ordinal));
        Assert.Contains(@"\""goal\"":\ 0.9\,", latency);
        Assert.Contains(@"\""calendarPeriod\"":\ \""MONTH\""", latency);
        Assert.Equal(4, printed.Count(l => l.Contains("serviceLevelObjectiveId=", StringComparison.Ordinal)));
        Assert.Equal(4, DryRunOutput.Calls(result.StandardOutput).Count(c => c.Is("monitoring", "policies", "create")));
        Assert.Empty(gcloud.ApiCalls());
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    // The fields of each document, as the Cloud Monitoring API reference documents them:
    // Service: https://cloud.google.com/monitoring/api/ref_v3/rest/v3/services (CloudRun:
    //   https://googleapis.dev/dotnet/Google.Apis.Monitoring.v3/latest/api/Google.Apis.Monitoring.v3.Data.CloudRun.html)
    // ServiceLevelObjective: https://cloud.google.com/monitoring/api/ref_v3/rest/v3/services.serviceLevelObjectives
    // AlertPolicy: https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.alertPolicies
    // ("Creating an alerting policy" for SLOs: https://cloud.google.com/stackdriver/docs/solutions/slo-monitoring/api/create-policy-api)
    private static readonly Dictionary<string, string[]> ServiceFields = new()
    {
        [""] = ["name", "displayName", "custom", "appEngine", "cloudEndpoints", "clusterIstio", "meshIstio", "istioCanonicalService", "cloudRun", "gkeNamespace", "gkeWorkload", "gkeService", "basicService", "telemetry", "userLabels"],
        ["cloudRun"] = ["serviceName", "location"],
    };

    private static readonly Dictionary<string, string[]> SloFields = new()
    {
        [""] = ["name", "displayName", "serviceLevelIndicator", "goal", "userLabels", "rollingPeriod", "calendarPeriod"],
        ["serviceLevelIndicator"] = ["basicSli", "requestBased", "windowsBased"],
        ["serviceLevelIndicator.basicSli"] = ["method", "location", "version", "availability", "latency", "operationAvailability", "operationLatency"],
        ["serviceLevelIndicator.basicSli.availability"] = [],
        ["serviceLevelIndicator.basicSli.latency"] = ["threshold"],
    };

    private static readonly Dictionary<string, string[]> PolicyFields = new()
    {
        [""] = ["name", "displayName", "documentation", "userLabels", "conditions", "combiner", "enabled", "validity", "notificationChannels", "creationRecord", "mutationRecord", "alertStrategy", "severity"],
        ["documentation"] = ["content", "mimeType", "subject", "links"],
        ["conditions[]"] = ["name", "displayName", "conditionThreshold", "conditionAbsent", "conditionMatchedLog", "conditionMonitoringQueryLanguage", "conditionPrometheusQueryLanguage", "conditionSql"],
        ["conditions[].conditionThreshold"] = ["filter", "aggregations", "denominatorFilter", "denominatorAggregations", "forecastOptions", "comparison", "thresholdValue", "duration", "trigger", "evaluationMissingData"],
        ["conditions[].conditionThreshold.trigger"] = ["count", "percent"],
    };

    // Dashboard: https://cloud.google.com/monitoring/api/ref_v3/rest/v1/projects.dashboards (Dashboard, GridLayout, Widget,
    // XyChart, DataSet, TimeSeriesQuery, TimeSeriesFilter, Aggregation).
    private static readonly Dictionary<string, string[]> DashboardFields = new()
    {
        [""] = ["name", "displayName", "etag", "dashboardFilters", "gridLayout", "mosaicLayout", "rowLayout", "columnLayout", "labels", "annotations"],
        ["gridLayout"] = ["columns", "widgets"],
        ["gridLayout.widgets[]"] = ["title", "xyChart", "scorecard", "text", "blank", "alertChart", "timeSeriesTable", "collapsibleGroup", "logsPanel", "incidentList", "pieChart", "errorReportingPanel", "sectionHeader", "singleViewGroup", "id", "visibilityCondition"],
        ["gridLayout.widgets[].xyChart"] = ["dataSets", "timeshiftDuration", "thresholds", "xAxis", "yAxis", "y2Axis", "chartOptions"],
        ["gridLayout.widgets[].xyChart.dataSets[]"] = ["timeSeriesQuery", "plotType", "legendTemplate", "minAlignmentPeriod", "targetAxis", "breakdowns", "dimensions", "measures", "sort"],
        ["gridLayout.widgets[].xyChart.dataSets[].timeSeriesQuery"] = ["timeSeriesFilter", "timeSeriesFilterRatio", "timeSeriesQueryLanguage", "prometheusQuery", "opsAnalyticsQuery", "unitOverride", "outputFullDuration"],
        ["gridLayout.widgets[].xyChart.dataSets[].timeSeriesQuery.timeSeriesFilter"] = ["filter", "aggregation", "secondaryAggregation", "pickTimeSeriesFilter", "statisticalTimeSeriesFilter"],
        ["gridLayout.widgets[].xyChart.dataSets[].timeSeriesQuery.timeSeriesFilter.aggregation"] = ["alignmentPeriod", "perSeriesAligner", "crossSeriesReducer", "groupByFields"],
    };

    /// <summary>Maps of the user's keys: not fields.</summary>
    private static readonly string[] Maps = ["userLabels", "labels"];

    [Fact]
    public async Task The_documents_sent_hold_only_the_fields_the_api_reference_documents()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["MONITORING_EMAIL"] = "ops@example.com" });
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        var sent = gcloud.ApiCalls().Where(c => c.Method == "POST").ToList();
        var services = sent.Where(c => c.Path.Contains("?serviceId=", StringComparison.Ordinal)).Select(c => c.Body!).ToList();
        var slos = sent.Where(c => c.Path.Contains("?serviceLevelObjectiveId=", StringComparison.Ordinal)).Select(c => c.Body!).ToList();
        Assert.Equal(2, services.Count);
        Assert.Equal(4, slos.Count);
        Assert.All(services, s => AssertDocumented(s, ServiceFields));
        Assert.All(slos, s =>
        {
            AssertDocumented(s, SloFields);
            // goal: 0 < goal <= 0.9999; one period: rolling (whole days, at most 30) or calendar (DAY, WEEK, FORTNIGHT, MONTH).
            Assert.InRange((double)s["goal"]!, 0.0001, 0.9999);
            Assert.True(s.ContainsKey("rollingPeriod") ^ s.ContainsKey("calendarPeriod"), s.ToJsonString());
            if (s["rollingPeriod"] is { } rolling)
            {
                var seconds = long.Parse(((string)rolling!).TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(seconds % 86400 == 0 && seconds <= 30 * 86400, s.ToJsonString());
            }
            else
            {
                Assert.Contains((string)s["calendarPeriod"]!, new[] { "DAY", "WEEK", "FORTNIGHT", "MONTH" });
            }
        });
        var policies = gcloud.MonitoringDocuments("monitoring.policies");
        Assert.Equal(4, policies.Count);
        Assert.All(policies, p =>
        {
            var document = p.DeepClone().AsObject();
            document.Remove("name"); // given by the API (the stand-in)
            AssertDocumented(document, PolicyFields);
            Assert.Equal("OR", (string)document["combiner"]!);
            Assert.All(document["conditions"]!.AsArray(), c => Assert.Equal("COMPARISON_GT", (string)c!["conditionThreshold"]!["comparison"]!));
        });
        AssertDocumented(Assert.Single(gcloud.MonitoringDocuments("monitoring.dashboards")), DashboardFields);
    }

    [Fact]
    public void The_template_documents_are_json_and_their_placeholders_are_the_scripts()
    {
        var folder = Path.Combine(Infrastructure.RepositoryPaths.TemplateFolder, "deploy", "monitoring");
        var files = Directory.GetFiles(folder, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["burn-rate-policy.json", "dashboard.json", "service.json", "slo-availability.json", "slo-latency.json"], files);
        foreach (var file in files)
        {
            Assert.NotNull(JsonNode.Parse(File.ReadAllText(Path.Combine(folder, file!))));
        }
    }

    private static Dictionary<string, string?> AllOff => new()
    {
        ["FRONTEND_SLO_AVAILABILITY"] = "off",
        ["FRONTEND_SLO_LATENCY"] = "off",
        ["BACKEND_SLO_AVAILABILITY"] = "off",
        ["BACKEND_SLO_LATENCY"] = "off",
        ["MONITORING_EMAIL"] = "",
        ["UPTIME_CHECK_PERIOD"] = "off",
        ["DASHBOARD"] = "false",
    };

    private const string FakeAccessToken = "fake-access-token";

    /// <summary>The filters of a dashboard's charts, in order.</summary>
    private static List<string> Filters(JsonObject dashboard) =>
        dashboard["gridLayout"]!["widgets"]!.AsArray()
            .Select(w => (string)w!["xyChart"]!["dataSets"]![0]!["timeSeriesQuery"]!["timeSeriesFilter"]!["filter"]!).ToList();

    /// <summary>Every key of <paramref name="document"/> (recursively, arrays as <c>name[]</c>) is a documented field of its object.</summary>
    private static void AssertDocumented(JsonObject document, Dictionary<string, string[]> fields, string path = "")
    {
        Assert.True(fields.TryGetValue(path, out var documented), $"no documented fields for '{path}'");
        foreach (var (key, value) in document)
        {
            Assert.True(documented!.Contains(key), $"'{key}' at '{path}' is not a documented field (documented: {string.Join(", ", documented!)})");
            if (Maps.Contains(key))
            {
                continue;
            }

            var child = path.Length == 0 ? key : $"{path}.{key}";
            switch (value)
            {
                case JsonObject inner:
                    AssertDocumented(inner, fields, child);
                    break;
                case JsonArray array:
                    foreach (var item in array.OfType<JsonObject>())
                    {
                        AssertDocumented(item, fields, child + "[]");
                    }

                    break;
            }
        }
    }
}
