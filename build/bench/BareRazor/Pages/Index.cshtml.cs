using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareRazor.Pages;

public sealed record RecordItem(long Id, string Title, DateTimeOffset CreatedAt);

public sealed class NewRecordInput
{
    [Required, StringLength(200)]
    public string? Title { get; set; }
}

public sealed class IndexModel(IHttpClientFactory clients) : PageModel
{
    public IReadOnlyList<RecordItem> Records { get; private set; } = [];

    [BindProperty]
    public NewRecordInput Input { get; set; } = new();

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Records = await clients.CreateClient("backend").GetFromJsonAsync<List<RecordItem>>("/api/records?limit=50", cancellationToken) ?? [];
}
