using CloudRunSpace.Bench;
using CloudRunSpace.Validation.Processes;

// dotnet run --project build/bench/CloudRunSpace.Bench -- --root <repository> [--configuration Release] [--quick]
// (./build.sh --target=Bench runs it). --quick: one repetition, one short load round: shows the machinery works,
// measures nothing worth comparing.
var settings = BenchSettings.Parse(args);
try
{
    new Bench(settings, Console.WriteLine, Console.Error.WriteLine).Run();
    return 0;
}
catch (Exception e) when (e is LoggedFailureException or InvalidOperationException or TimeoutException)
{
    Console.Error.WriteLine($"Bench failed: {e.Message}" + (e is LoggedFailureException { LogFile: not "" } logged ? $" — read {logged.LogFile}" : ""));
    return 1;
}
