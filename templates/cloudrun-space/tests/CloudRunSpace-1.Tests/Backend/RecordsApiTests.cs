using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using CloudRunSpace_1.Backend.Records;
using CloudRunSpace_1.Tests.Fakes;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>Records round-trip through PostgreSQL; bad input gets problem details, never a 500.</summary>
public sealed class RecordsApiTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private BackendHost? _backend;
    private HttpClient? _client;

    public async ValueTask InitializeAsync()
    {
        _backend = new BackendHost(await postgres.CreateDatabaseAsync(), google);
        await _backend.MigrateAsync();
        _client = _backend.CreateClient();
        _client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Bearer", google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail));
    }

    public async ValueTask DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }

    private HttpClient Client => _client!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_record_added_is_read_back_from_the_database()
    {
        var title = "Round trip ✓ " + Guid.NewGuid();

        var created = await Client.PostAsJsonAsync("/api/records", new { title }, Cancellation);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var stored = await created.Content.ReadFromJsonAsync<RecordItem>(Cancellation);
        Assert.Equal(title, stored!.Title);
        Assert.Equal($"/api/records/{stored.Id}", created.Headers.Location?.ToString());

        var one = await Client.GetFromJsonAsync<RecordItem>($"/api/records/{stored.Id}", Cancellation);
        Assert.Equal(stored, one);
        var list = await Client.GetFromJsonAsync<List<RecordItem>>("/api/records", Cancellation);
        Assert.Equal(stored, list![0]);
    }

    [Fact]
    public async Task SQL_metacharacters_are_stored_as_plain_text()
    {
        const string title = "Robert'); DROP TABLE records;--";
        var created = await Client.PostAsJsonAsync("/api/records", new { title }, Cancellation);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var list = await Client.GetFromJsonAsync<List<RecordItem>>("/api/records", Cancellation);
        Assert.Contains(list!, record => record.Title == title);
    }

    [Theory]
    [InlineData("""{"title":""}""")]
    [InlineData("""{"title":"   "}""")]
    [InlineData("""{}""")]
    [InlineData("""{"title":"tab\there"}""")]
    public async Task An_invalid_record_is_422_problem_details(string body)
    {
        var response = await PostRawAsync(body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_title_longer_than_the_limit_is_422_and_nothing_is_stored()
    {
        var before = await Client.GetFromJsonAsync<List<RecordItem>>("/api/records", Cancellation);
        var response = await Client.PostAsJsonAsync("/api/records", new { title = new string('x', NewRecord.MaxTitleLength + 1) }, Cancellation);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var after = await Client.GetFromJsonAsync<List<RecordItem>>("/api/records", Cancellation);
        Assert.Equal(before!.Count, after!.Count);
    }

    [Theory]
    [InlineData("""{"title":""")]
    [InlineData("""not json""")]
    [InlineData("""{"title":42}""")]
    public async Task Malformed_or_wrongly_typed_JSON_is_400_problem_details(string body)
    {
        var response = await PostRawAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unknown_id_is_404_problem_details()
    {
        var response = await Client.GetAsync("/api/records/9223372036854775807", Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(RecordsEndpoints.MaxLimit + 1)]
    public async Task A_page_size_out_of_range_is_400(int limit)
    {
        var response = await Client.GetAsync($"/api/records?limit={limit}", Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private Task<HttpResponseMessage> PostRawAsync(string body) =>
        Client.PostAsync("/api/records", new StringContent(body, Encoding.UTF8, "application/json"), Cancellation);
}
