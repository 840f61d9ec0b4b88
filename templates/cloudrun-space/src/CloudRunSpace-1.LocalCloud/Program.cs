using System.Globalization;
using System.Runtime.InteropServices;
using CloudRunSpace_1.LocalCloud.FrontEnd;
using CloudRunSpace_1.LocalCloud.Google;
using CloudRunSpace_1.ServiceDefaults;

// Usage: LocalCloud google [--port N]   the metadata server and ID-token issuer (PORT, else --port, else a free port)
//        LocalCloud front-end           Cloud Run's front end for one service (settings: FrontEnd__*, PORT)
switch (args)
{
    case ["google", .. var rest]:
        return await RunGoogleAsync(rest);
    case ["front-end"]:
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.AddCloudRunDefaults();
        builder.AddLocalFrontEnd();
        var app = builder.Build();
        app.MapLocalFrontEnd();
        await app.RunAsync();
        return 0;
    default:
        Console.Error.WriteLine("Usage: LocalCloud google [--port N] | LocalCloud front-end");
        return 2;
}

static async Task<int> RunGoogleAsync(string[] args)
{
    var portText = args is ["--port", var text] ? text : Environment.GetEnvironmentVariable("PORT") ?? "0";
    if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
    {
        Console.Error.WriteLine($"The port must be a TCP port number, not '{portText}'.");
        return 2;
    }

    await using var server = new FakeGoogleServer();
    await server.StartAsync(port);
    Console.WriteLine($"listening on {server.BaseUrl.GetLeftPart(UriPartial.Authority)}");

    var stopped = new TaskCompletionSource();
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        stopped.TrySetResult();
    });
    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
    {
        context.Cancel = true;
        stopped.TrySetResult();
    });
    await stopped.Task;
    return 0;
}
