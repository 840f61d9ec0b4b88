namespace CloudRunSpace.Validation.Tests;

/// <summary>A fresh temp folder for one test, removed after it.</summary>
public sealed class TemporaryFolder : IDisposable
{
    /// <summary>The folder.</summary>
    public string Path { get; } = Directory.CreateTempSubdirectory("validation-tests-").FullName;

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
