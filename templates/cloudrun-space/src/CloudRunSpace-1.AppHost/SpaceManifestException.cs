namespace CloudRunSpace_1.AppHost;

/// <summary>A manifest file (<c>space/NAME.conf</c>) the AppHost cannot use: the message names the file and line.</summary>
internal sealed class SpaceManifestException(string file, int? line, string problem)
    : Exception(line is null ? $"{file}: {problem} (see space/README.md)." : $"{file}:{line}: {problem} (see space/README.md).");
