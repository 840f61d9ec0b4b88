using System.ComponentModel.DataAnnotations;

namespace CloudRunSpace_1.Frontend.Backend;

/// <summary>A record as the backend returns it.</summary>
public sealed record RecordItem(long Id, string Title, DateTimeOffset CreatedAt);

/// <summary>The add-record form.</summary>
public sealed class NewRecordInput
{
    /// <summary>The title, checked here and again by the backend.</summary>
    [Required(ErrorMessage = "Enter a title.")]
    [StringLength(200, ErrorMessage = "A title has at most 200 characters.")]
    public string? Title { get; set; }
}

/// <summary>The backend could not be reached or failed; the page says so plainly.</summary>
public sealed class BackendUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);

/// <summary>The backend refused a record; the messages say why, by field.</summary>
public sealed class RecordRejectedException(IReadOnlyDictionary<string, string[]> errors)
    : Exception("The backend refused the record.")
{
    /// <summary>The reasons, by field name.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}
