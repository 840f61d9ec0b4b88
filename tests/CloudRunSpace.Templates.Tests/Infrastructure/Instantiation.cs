namespace CloudRunSpace.Templates.Tests.Infrastructure;

/// <summary>The result of one real `dotnet new cloudrun-space` run.</summary>
/// <param name="OutputDirectory">The absolute output folder (<c>-o</c>); it may not exist when the run failed.</param>
/// <param name="ExitCode">The exit code of `dotnet new`.</param>
/// <param name="Output">stdout and stderr of `dotnet new`.</param>
public sealed record Instantiation(string OutputDirectory, int ExitCode, string Output)
{
    /// <summary>Every file written, as paths relative to <see cref="OutputDirectory"/> with '/' separators, sorted.</summary>
    public IReadOnlyList<string> Files =>
        Directory.Exists(OutputDirectory)
            ? Directory.EnumerateFiles(OutputDirectory, "*", SearchOption.AllDirectories)
                .Select(RelativePath)
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    /// <summary>The absolute path of a file in the output, from a '/'-separated relative path.</summary>
    /// <param name="relativePath">e.g. <c>deploy/env/prod.env</c>.</param>
    public string PathOf(string relativePath) =>
        Path.Combine(OutputDirectory, relativePath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Converts an absolute path below <see cref="OutputDirectory"/> to the '/'-separated relative form.</summary>
    /// <param name="absolutePath">A path below the output folder.</param>
    public string RelativePath(string absolutePath) =>
        Path.GetRelativePath(OutputDirectory, absolutePath).Replace(Path.DirectorySeparatorChar, '/');
}

/// <summary>The result of one `dotnet new cloudrun-space --dry-run`: the files it would create, nothing written.</summary>
/// <param name="ExitCode">The exit code of `dotnet new`.</param>
/// <param name="Output">stdout and stderr of `dotnet new`.</param>
/// <param name="Files">The files it would create, relative to the output folder with '/' separators.</param>
public sealed record DryRun(int ExitCode, string Output, IReadOnlySet<string> Files);
