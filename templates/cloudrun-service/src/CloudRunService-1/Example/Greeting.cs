namespace CloudRunService_1.Example;

/// <summary>The example endpoint's answer.</summary>
/// <param name="Message">Whom the service greets: the verified caller.</param>
/// <param name="At">When it answered.</param>
public sealed record Greeting(string Message, DateTimeOffset At);
