namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>
/// A clock that only moves when the test moves it, for what the backend times with its <see cref="TimeProvider"/>
/// (how long it waits before it asks for the signing keys again). It starts at the real time.
/// </summary>
public sealed class ManualClock : TimeProvider
{
    private long _utcTicks = DateTimeOffset.UtcNow.UtcTicks;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}
