namespace CloudRunSpace.Bench;

/// <summary>The highest resident memory of a process, sampled every 200 ms from creation until disposal.</summary>
public sealed class ResidentPeak : IDisposable
{
    private readonly Timer _timer;
    private double _peak;

    /// <summary>Starts sampling.</summary>
    /// <param name="pid">The process to sample, read at each sample (it may be restarted between runs).</param>
    public ResidentPeak(Func<int> pid) => _timer = new Timer(_ =>
    {
        try
        {
            _peak = Math.Max(_peak, Measurements.ResidentMiB(pid()));
        }
        catch (IOException)
        {
            // the process ended between samples
        }
    }, null, 0, 200);

    /// <summary>The highest value sampled so far, in MiB.</summary>
    public double MiB => _peak;

    /// <inheritdoc />
    public void Dispose() => _timer.Dispose();
}
