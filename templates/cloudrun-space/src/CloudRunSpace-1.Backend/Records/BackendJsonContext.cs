using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudRunSpace_1.Backend.Records;

/// <summary>
/// The JSON contracts of the API, generated at compile time: no reflection when the first request is
/// (de)serialised, which shortens the cold start and is what Native AOT needs. A list is answered as the exact
/// <see cref="List{T}"/> registered here: a result declared as an interface is written by its runtime type, which
/// would miss this context and its fast path.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RecordItem))]
[JsonSerializable(typeof(List<RecordItem>))]
[JsonSerializable(typeof(NewRecord))]
public sealed partial class BackendJsonContext : JsonSerializerContext;
