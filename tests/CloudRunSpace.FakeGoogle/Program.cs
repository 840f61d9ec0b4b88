using System.Globalization;
using CloudRunSpace_1.LocalCloud.Google;

// Usage: CloudRunSpace.FakeGoogle [--port N]   (0 or none: a free port)
// Prints "listening on http://127.0.0.1:PORT" once ready; stops on SIGTERM or Ctrl+C.
var port = 0;
if (args is ["--port", var text] && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535))
{
    Console.Error.WriteLine($"--port needs a TCP port number, not '{text}'");
    return 2;
}
else if (args.Length > 0 && args is not ["--port", _])
{
    Console.Error.WriteLine("Usage: CloudRunSpace.FakeGoogle [--port N]");
    return 2;
}

await using var server = new FakeGoogleServer();
await server.StartAsync(port);
Console.WriteLine($"listening on {server.BaseUrl.GetLeftPart(UriPartial.Authority)}");

var stopped = new TaskCompletionSource();
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stopped.TrySetResult();
});
Console.CancelKeyPress += (_, eventArgs) =>
{
    eventArgs.Cancel = true;
    stopped.TrySetResult();
};
await stopped.Task;
return 0;
