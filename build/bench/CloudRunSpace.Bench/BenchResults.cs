namespace CloudRunSpace.Bench;

/// <summary>One wrk run of one path in one round: the requests it completed and the CPU each process of the path used.</summary>
/// <param name="Path">full-path, bare-razor, backend-alone or single-query.</param>
/// <param name="Requests">Requests completed.</param>
/// <param name="CpuMs">Milliseconds of CPU per process of the path (frontend, backend, postgres, …) over the run.</param>
/// <param name="PeakRssMiB">The highest resident memory of the path's first process during the run.</param>
/// <param name="P50Ms">Median latency.</param>
/// <param name="P99Ms">99th percentile latency.</param>
public sealed record HopRun(string Path, long Requests, IReadOnlyDictionary<string, double> CpuMs, double PeakRssMiB, double P50Ms, double P99Ms)
{
    /// <summary>CPU milliseconds per request of one process.</summary>
    /// <param name="process">frontend, backend, postgres, bare-razor or single-query.</param>
    public double PerRequest(string process) => CpuMs[process] / Requests;

    /// <summary>CPU milliseconds per request of the whole path.</summary>
    public double TotalPerRequest => CpuMs.Values.Sum() / Requests;
}

/// <summary>One service alone in a Cloud Run-shaped cgroup under wrk load.</summary>
/// <param name="Service">The subject's key.</param>
/// <param name="MemoryMiB">The memory limit.</param>
/// <param name="Requests">Requests completed (0 when it never answered).</param>
/// <param name="Errors">Socket errors and non-2xx/3xx answers.</param>
/// <param name="P50Ms">Median latency.</param>
/// <param name="P99Ms">99th percentile latency.</param>
/// <param name="PeakMiB">The group's peak memory use (memory.max_usage_in_bytes).</param>
/// <param name="PeakRssMiB">The process's peak resident memory, sampled every 200 ms during the measured run.</param>
/// <param name="LimitHits">How often the group hit its limit.</param>
/// <param name="Survived">Whether the process was still running after the load.</param>
/// <param name="Note">What went wrong, or "".</param>
public sealed record ShapedRun(string Service, int MemoryMiB, long Requests, long Errors, double P50Ms, double P99Ms, double PeakMiB, double PeakRssMiB, long LimitHits, bool Survived, string Note)
{
    /// <summary>Held: answered everything without an error and was not killed.</summary>
    public bool Held => Survived && Requests > 0 && Errors == 0;
}
