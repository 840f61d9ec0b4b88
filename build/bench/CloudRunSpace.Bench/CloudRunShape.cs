using System.Globalization;

namespace CloudRunSpace.Bench;

/// <summary>
/// A Cloud Run-shaped instance on this machine: a cgroup (v1) with one CPU (cpuset) and a memory limit, created for
/// one process and removed after it. The process is placed in it before .NET starts, so the runtime sees the limits
/// as it would in Cloud Run (one processor, a GC heap limit from the memory limit).
/// </summary>
public sealed class CloudRunShape : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private readonly string _memory;
    private readonly string _cpuset;

    private CloudRunShape(string name, int memoryMiB)
    {
        MemoryMiB = memoryMiB;
        _memory = Path.Combine(Root, "memory", name);
        _cpuset = Path.Combine(Root, "cpuset", name);
        Directory.CreateDirectory(_memory);
        Directory.CreateDirectory(_cpuset);
        var bytes = (memoryMiB * 1024L * 1024L).ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(_memory, "memory.limit_in_bytes"), bytes);
        // No swap beyond the limit: Cloud Run has none.
        var withSwap = Path.Combine(_memory, "memory.memsw.limit_in_bytes");
        if (File.Exists(withSwap))
        {
            File.WriteAllText(withSwap, bytes);
        }

        File.WriteAllText(Path.Combine(_cpuset, "cpuset.cpus"), "0");
        File.WriteAllText(Path.Combine(_cpuset, "cpuset.mems"), File.ReadAllText(Path.Combine(Root, "cpuset", "cpuset.mems")).Trim());
    }

    /// <summary>The memory limit.</summary>
    public int MemoryMiB { get; }

    /// <summary>The highest memory use of the group so far (memory.max_usage_in_bytes), in MiB.</summary>
    public double PeakMiB => long.Parse(File.ReadAllText(Path.Combine(_memory, "memory.max_usage_in_bytes")).Trim(), CultureInfo.InvariantCulture) / 1048576.0;

    /// <summary>How often the group hit its limit (memory.failcnt): reclaim, and an OOM kill when reclaim is not enough.</summary>
    public long LimitHits => long.Parse(File.ReadAllText(Path.Combine(_memory, "memory.failcnt")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Why this machine cannot make such groups, or null when it can.</summary>
    public static string? Unavailable()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return "cgroups need root to create";
        }

        foreach (var controller in new[] { "memory", "cpuset" })
        {
            if (!File.Exists(Path.Combine(Root, controller, "cgroup.procs")))
            {
                return $"no cgroup v1 {controller} controller at {Root}/{controller}";
            }
        }

        return null;
    }

    /// <summary>Creates the groups; throws (IOException, UnauthorizedAccessException) when the machine refuses.</summary>
    /// <param name="key">What runs in it, e.g. frontend.</param>
    /// <param name="memoryMiB">The memory limit.</param>
    public static CloudRunShape Create(string key, int memoryMiB) => new($"cloudrunspace-bench-{key}-{memoryMiB}-{Environment.ProcessId}", memoryMiB);

    /// <summary>The command that runs a program inside the groups: a shell that joins them, then becomes the program.</summary>
    /// <param name="file">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    public (string File, string[] Arguments) Wrap(string file, IEnumerable<string> arguments) =>
        ("/bin/sh", ["-c", "echo $$ > \"$1\" && echo $$ > \"$2\" && shift 2 && exec \"$@\"", "sh",
            Path.Combine(_memory, "cgroup.procs"), Path.Combine(_cpuset, "cgroup.procs"), file, .. arguments]);

    /// <summary>Removes the groups (their process has ended).</summary>
    public void Dispose()
    {
        foreach (var group in new[] { _memory, _cpuset })
        {
            for (var attempt = 0; attempt < 20 && Directory.Exists(group); attempt++)
            {
                try
                {
                    Directory.Delete(group);
                }
                catch (IOException)
                {
                    Thread.Sleep(100); // its last task is still leaving
                }
            }
        }
    }
}
