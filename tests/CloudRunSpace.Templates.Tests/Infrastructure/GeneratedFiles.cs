namespace CloudRunSpace.Templates.Tests.Infrastructure;

/// <summary>Reading a generated solution's files for content assertions.</summary>
public static class GeneratedFiles
{
    /// <summary>Every text file of the output (files with a NUL byte in their first 8 KB count as binary and are skipped).</summary>
    /// <param name="instantiation">A successful instantiation.</param>
    /// <returns>Pairs of the '/'-separated relative path and the file's text.</returns>
    public static IEnumerable<(string Path, string Text)> TextFiles(Instantiation instantiation)
    {
        foreach (var relative in instantiation.Files)
        {
            var bytes = File.ReadAllBytes(instantiation.PathOf(relative));
            if (Array.IndexOf(bytes, (byte)0, 0, Math.Min(bytes.Length, 8192)) >= 0)
            {
                continue;
            }

            yield return (relative, System.Text.Encoding.UTF8.GetString(bytes));
        }
    }

    /// <summary>The '/'-separated relative paths of the files whose names end with <paramref name="extension"/>.</summary>
    /// <param name="instantiation">A successful instantiation.</param>
    /// <param name="extension">e.g. <c>.csproj</c>.</param>
    public static IReadOnlyList<string> WithExtension(Instantiation instantiation, string extension) =>
        instantiation.Files.Where(f => f.EndsWith(extension, StringComparison.OrdinalIgnoreCase)).ToList();
}
