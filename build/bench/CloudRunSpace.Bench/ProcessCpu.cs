using System.Globalization;
using System.Diagnostics;

namespace CloudRunSpace.Bench;

/// <summary>CPU time a process has used (user + system, all its threads), read from /proc/PID/stat.</summary>
public static class ProcessCpu
{
    // The unit of /proc/PID/stat's times (sysconf(_SC_CLK_TCK)), as getconf reports it.
    private static readonly double TicksPerSecond = ClockTicks();

    /// <summary>Milliseconds of CPU the process has used so far.</summary>
    /// <param name="pid">The process.</param>
    /// <param name="withEndedChildren">Also the CPU of its children that have ended and that it waited for.</param>
    public static double Milliseconds(int pid, bool withEndedChildren = false)
    {
        // "pid (comm) state ppid …": the fields after the command name, which may hold spaces, start at state (3).
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime (14), stime (15)
        if (withEndedChildren)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture); // cutime (16), cstime (17)
        }

        return ticks * 1000.0 / TicksPerSecond;
    }

    /// <summary>
    /// Milliseconds of CPU a PostgreSQL cluster has used so far: its postmaster (from the data directory's
    /// postmaster.pid) and every process it started (one per connection, the writer, the WAL writer, …), running or
    /// ended (a connection a pool closes counts after its end: without the ended ones the sum fell when one closed,
    /// once below zero).
    /// </summary>
    /// <param name="dataDirectory">The cluster's data directory.</param>
    public static double PostgresMilliseconds(string dataDirectory)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var total = Milliseconds(postmaster, withEndedChildren: true);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == postmaster)
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (parent == postmaster)
                {
                    total += Milliseconds(pid);
                }
            }
            catch (IOException)
            {
                // ended between the listing and the read
            }
        }

        return total;
    }

    private static double ClockTicks()
    {
        using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("getconf could not be started");
        var text = getconf.StandardOutput.ReadToEnd().Trim();
        getconf.WaitForExit();
        return double.Parse(text, CultureInfo.InvariantCulture);
    }
}
