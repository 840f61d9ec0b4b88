using CloudRunSpace.Validation.Stages;

namespace CloudRunSpace.Validation.Tests.Stages;

/// <summary>A test stage is judged by the counters of its TRX file, not only by the exit code.</summary>
public sealed class TrxCountersTests(TemporaryFolder temp) : IClassFixture<TemporaryFolder>
{
    [Fact]
    public void The_counters_are_read_from_the_trx_file()
    {
        var counters = TrxCounters.Read(Trx("""<Counters total="12" executed="11" passed="10" failed="1" error="0" />"""));

        Assert.Equal(new TrxCounters(12, 11, 10, 1), counters);
        Assert.Equal("10 passed, 1 failed, 11 executed of 12", counters.ToString());
    }

    [Fact]
    public void A_failed_test_fails_the_run()
    {
        Assert.Equal("1 test(s) failed", TrxCounters.Read(Trx("""<Counters total="2" executed="2" passed="1" failed="1" />""")).Problem);
    }

    [Fact]
    public void A_run_in_which_no_test_ran_fails_although_nothing_failed()
    {
        Assert.Equal("no test ran", TrxCounters.Read(Trx("""<Counters total="3" executed="0" passed="0" failed="0" />""")).Problem);
    }

    [Fact]
    public void A_run_in_which_every_test_passed_has_no_problem()
    {
        Assert.Null(TrxCounters.Read(Trx("""<Counters total="3" executed="3" passed="3" failed="0" />""")).Problem);
    }

    [Fact]
    public void A_trx_file_without_counters_is_an_error_not_a_pass()
    {
        Assert.Throws<InvalidOperationException>(() => TrxCounters.Read(Trx("")));
    }

    private string Trx(string counters)
    {
        var file = Path.Combine(temp.Path, Guid.NewGuid() + ".trx");
        File.WriteAllText(file, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
              <ResultSummary outcome="Completed">{counters}</ResultSummary>
            </TestRun>
            """);
        return file;
    }
}
