using CloudRunSpace.Validation.Load;

namespace CloudRunSpace.Validation.Tests.Load;

/// <summary>Reading wrk's report: the rate, the latencies in one unit, and every kind of error.</summary>
public sealed class WrkTests
{
    private const string CleanReport = """
        Running 30s test @ http://127.0.0.1:8080/
          2 threads and 64 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency    29.40ms   12.01ms 201.33ms   80.12%
            Req/Sec     1.10k   120.22     1.40k    70.00%
          Latency Distribution
             50%   27.10ms
             75%   33.00ms
             90%   41.20ms
             99%   66.45ms
          65327 requests in 30.00s, 401.22MB read
        Requests/sec:   2177.57
        Transfer/sec:     13.37MB
        """;

    [Fact]
    public void A_clean_report_gives_the_count_the_rate_and_the_latencies_in_milliseconds()
    {
        var result = Wrk.Parse(CleanReport);

        Assert.NotNull(result);
        Assert.Equal(65327, result.Requests);
        Assert.Equal(2177.57, result.RequestsPerSecond);
        Assert.Equal(27.10, result.P50Milliseconds, 3);
        Assert.Equal(66.45, result.P99Milliseconds, 3);
        Assert.Null(result.Errors);
    }

    [Fact]
    public void Latencies_in_microseconds_and_seconds_are_converted()
    {
        var report = CleanReport.Replace("27.10ms", "910.00us", StringComparison.Ordinal).Replace("66.45ms", "1.20s", StringComparison.Ordinal);

        var result = Wrk.Parse(report)!;

        Assert.Equal(0.91, result.P50Milliseconds, 3);
        Assert.Equal(1200, result.P99Milliseconds, 3);
    }

    [Fact]
    public void Socket_errors_and_non_2xx_answers_are_counted_as_errors()
    {
        var report = CleanReport.Replace(
            "Requests/sec:",
            "  Socket errors: connect 0, read 3, write 0, timeout 2\n  Non-2xx or 3xx responses: 7\nRequests/sec:",
            StringComparison.Ordinal);

        var result = Wrk.Parse(report)!;

        Assert.Equal(5, result.SocketErrors);
        Assert.Equal(7, result.Non2xxOr3xx);
        Assert.Equal("5 socket errors and 7 non-2xx/3xx answers of 65327 requests", result.Errors);
    }

    [Fact]
    public void Output_without_a_report_is_no_result()
    {
        Assert.Null(Wrk.Parse("unable to connect to 127.0.0.1:8080 Connection refused"));
    }
}
