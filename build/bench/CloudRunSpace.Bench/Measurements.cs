using System.Globalization;
using CloudRunSpace.Validation.Postgres;

namespace CloudRunSpace.Bench;

/// <summary>Where resident memory goes: mapped files (runtime, framework, app images), JIT-compiled code (the double-mapped executable memory of W^X), the rest (GC heap, native allocations, stacks).</summary>
/// <param name="FilesMiB">Mapped files.</param>
/// <param name="JitCodeMiB">JIT-compiled code.</param>
/// <param name="OtherMiB">Everything else.</param>
public sealed record RssBreakdown(double FilesMiB, double JitCodeMiB, double OtherMiB);

/// <summary>Figures read from /proc and the file system, and the statistics over them.</summary>
public static class Measurements
{
    /// <summary>The median; NaN for none.</summary>
    /// <param name="values">The values.</param>
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>A process's resident memory (VmRSS) in MiB.</summary>
    /// <param name="pid">The process.</param>
    public static double ResidentMiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>Where a process's resident memory goes, from /proc/PID/smaps.</summary>
    /// <param name="pid">The process.</param>
    public static RssBreakdown ResidentParts(int pid)
    {
        double files = 0, jit = 0, other = 0;
        var mapping = "";
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 5 && parts[0].Contains('-', StringComparison.Ordinal) && parts[3].Contains(':', StringComparison.Ordinal))
            {
                mapping = parts.Length > 5 ? parts[5] : "";
                continue;
            }

            if (!line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                continue;
            }

            var mib = double.Parse(parts[1], CultureInfo.InvariantCulture) / 1024.0;
            if (mapping.Contains("doublemapper", StringComparison.Ordinal))
            {
                jit += mib;
            }
            else if (mapping.StartsWith('/'))
            {
                files += mib;
            }
            else
            {
                other += mib;
            }
        }

        return new RssBreakdown(files, jit, other);
    }

    /// <summary>The size of a published folder in MiB, without debug symbols.</summary>
    /// <param name="directory">The folder.</param>
    public static double DirectoryMiB(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => !f.Name.EndsWith(".dbg", StringComparison.Ordinal) && !f.Name.EndsWith(".pdb", StringComparison.Ordinal))
            .Sum(f => f.Length) / 1024.0 / 1024.0;

    /// <summary>A program on PATH, else (for PostgreSQL's tools) in the newest /usr/lib/postgresql/*/bin; null if none.</summary>
    /// <param name="name">The program.</param>
    public static string? FindTool(string name)
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        if (onPath is not null || ThrowawayPostgres.FindBinaries() is not { } bin)
        {
            return onPath;
        }

        var candidate = Path.Combine(bin, name);
        return File.Exists(candidate) ? candidate : null;
    }
}
