using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudRunService_1.Example;

/// <summary>The service's JSON contract, generated at compile time (no reflection on the start-up path).</summary>
[JsonSerializable(typeof(Greeting))]
#if (Database)
[JsonSerializable(typeof(RecordCount))]
#endif
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
public sealed partial class ExampleJsonContext : JsonSerializerContext;
