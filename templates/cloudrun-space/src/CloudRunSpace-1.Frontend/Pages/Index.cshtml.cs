using CloudRunSpace_1.Frontend.Backend;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CloudRunSpace_1.Frontend.Pages;

/// <summary>Lists the records read through the backend, and adds one.</summary>
public sealed class IndexModel(RecordsClient records) : PageModel
{
    /// <summary>The newest records.</summary>
    public IReadOnlyList<RecordItem> Records { get; private set; } = [];

    /// <summary>True when the backend could not serve this request.</summary>
    public bool BackendUnavailable { get; private set; }

    /// <summary>The add-record form.</summary>
    [BindProperty]
    public NewRecordInput Input { get; set; } = new();

    /// <summary>Shows the records.</summary>
    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    /// <summary>Adds a record, then shows the list again (post/redirect/get).</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (ModelState.IsValid)
        {
            try
            {
                await records.AddAsync(Input.Title!, cancellationToken);
                return RedirectToPage();
            }
            catch (RecordRejectedException rejected)
            {
                foreach (var (field, messages) in rejected.Errors)
                {
                    foreach (var message in messages)
                    {
                        ModelState.AddModelError($"{nameof(Input)}.{char.ToUpperInvariant(field[0])}{field[1..]}", message);
                    }
                }
            }
            catch (BackendUnavailableException)
            {
                BackendUnavailable = true;
                Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return Page();
            }
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            Records = await records.ListAsync(cancellationToken);
        }
        catch (BackendUnavailableException)
        {
            BackendUnavailable = true;
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }
    }
}
