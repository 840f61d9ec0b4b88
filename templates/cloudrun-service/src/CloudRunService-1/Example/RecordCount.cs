namespace CloudRunService_1.Example;

/// <summary>The answer of <c>GET /api/records/count</c>: how many records the space's database holds.</summary>
/// <param name="Count">The number of rows of the records table.</param>
public sealed record RecordCount(long Count);
