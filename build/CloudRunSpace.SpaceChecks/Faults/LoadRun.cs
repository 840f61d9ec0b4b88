using System.Collections.Concurrent;
using System.Diagnostics;

namespace CloudRunSpace.SpaceChecks.Faults;

/// <summary>One request of a load run: when it started and ended (seconds since the run began), its status or error.</summary>
public sealed record LoadSample(double Start, double End, int Status, string? Error, string? Tag, string? Body)
{
    /// <summary>How long it took.</summary>
    public double Seconds => End - Start;
}

/// <summary>Workers that send requests until stopped; every request is kept as a <see cref="LoadSample"/>.</summary>
public sealed class LoadRun : IAsyncDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];

    /// <summary>
    /// Starts <paramref name="workers"/> workers, each sending with <paramref name="send"/> (worker, request number, and
    /// a token that is cancelled when the run stops) in a loop.
    /// </summary>
    public LoadRun(int workers, Func<int, long, CancellationToken, Task<(int Status, string? Tag, string? Body)>> send)
    {
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            _workers.Add(Task.Run(async () =>
            {
                for (long i = 0; !_stop.IsCancellationRequested; i++)
                {
                    var start = Now;
                    try
                    {
                        var (status, tag, body) = await send(worker, i, _stop.Token);
                        Samples.Enqueue(new LoadSample(start, Now, status, null, tag, body));
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                    {
                        Samples.Enqueue(new LoadSample(start, Now, Cancelled, "cancelled when the run stopped", null, null));
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        Samples.Enqueue(new LoadSample(start, Now, 0, e.GetType().Name + ": " + e.Message, null, null));
                        await Task.Delay(20);
                    }
                }
            }));
        }
    }

    /// <summary>The status of a request still open when the run stopped (its answer never came).</summary>
    public const int Cancelled = -1;

    /// <summary>Every request so far.</summary>
    public ConcurrentQueue<LoadSample> Samples { get; } = new();

    /// <summary>Seconds since the run began.</summary>
    public double Now => _clock.Elapsed.TotalSeconds;

    /// <summary>Waits until a request that started after <paramref name="since"/> satisfies <paramref name="done"/>; false on timeout.</summary>
    public async Task<bool> WaitForAsync(double since, Func<LoadSample, bool> done, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (Samples.Any(s => s.Start > since && done(s)))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    /// <summary>Stops the workers and waits for their last requests.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }
}
