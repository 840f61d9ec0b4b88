using Xunit.Sdk;
using Xunit.v3;

namespace CloudRunSpace.SpaceChecks.Faults;

/// <summary>Runs a class's tests in the order they are declared (their methods' metadata order), theory rows as written.</summary>
public sealed class DeclarationOrderer : ITestCaseOrderer
{
    /// <inheritdoc />
    public IReadOnlyCollection<TTestCase> OrderTestCases<TTestCase>(IReadOnlyCollection<TTestCase> testCases)
        where TTestCase : notnull, ITestCase =>
        testCases.OrderBy(t => t is IXunitTestCase x ? x.TestMethod.Method.MetadataToken : int.MaxValue).ToList();
}
