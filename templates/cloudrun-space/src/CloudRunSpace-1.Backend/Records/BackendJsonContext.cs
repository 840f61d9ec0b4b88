using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudRunSpace_1.Backend.Records;

/// <summary>
/// The JSON contracts of the API, generated at compile time: no reflection when the first request is
/// (de)serialised, which shortens the cold start and is what Native AOT needs.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RecordItem))]
[JsonSerializable(typeof(IReadOnlyList<RecordItem>))]
[JsonSerializable(typeof(NewRecord))]
public sealed partial class BackendJsonContext : JsonSerializerContext;
