namespace CloudRunSpace_1.Backend.Records;

/// <summary>A stored record.</summary>
/// <param name="Id">The database identity.</param>
/// <param name="Title">The text the user entered.</param>
/// <param name="CreatedAt">When the record was stored (UTC).</param>
public sealed record RecordItem(long Id, string Title, DateTimeOffset CreatedAt);

/// <summary>The body of a request that adds a record.</summary>
/// <param name="Title">1 to <see cref="MaxTitleLength"/> characters, no control characters.</param>
public sealed record NewRecord(string? Title)
{
    /// <summary>The longest title the database accepts.</summary>
    public const int MaxTitleLength = 200;

    /// <summary>Checks the request; returns the errors by field name, empty when valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        var title = Title?.Trim();
        if (string.IsNullOrEmpty(title))
        {
            errors["title"] = ["A title is required."];
        }
        else if (title.Length > MaxTitleLength)
        {
            errors["title"] = [$"A title has at most {MaxTitleLength} characters."];
        }
        else if (title.Any(char.IsControl))
        {
            errors["title"] = ["A title cannot contain control characters."];
        }

        return errors;
    }
}
