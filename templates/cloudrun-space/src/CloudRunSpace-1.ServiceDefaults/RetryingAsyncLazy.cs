namespace CloudRunSpace_1.ServiceDefaults;

/// <summary>
/// A value created once, on first use, by an asynchronous factory. Unlike <see cref="Lazy{T}"/> over a task,
/// a failed attempt is not kept: the next caller tries again, so a service recovers by itself when, say, the
/// metadata server was unreachable for a moment.
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
public sealed class RetryingAsyncLazy<T>(Func<CancellationToken, Task<T>> factory)
    where T : class
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private T? _value;

    /// <summary>Returns the value, creating it first if no earlier attempt succeeded.</summary>
    public async ValueTask<T> GetValueAsync(CancellationToken cancellationToken)
    {
        if (_value is { } value)
        {
            return value;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _value ??= await factory(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }
}
