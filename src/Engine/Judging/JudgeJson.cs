using System.Text.Json.Serialization;

namespace LoraNotebooks.Engine.Judging;

/// <summary>Source-generated JSON for the judge's file metadata (trimmed and AOT hosts have no reflection-based serializer).</summary>
[JsonSerializable(typeof(JudgeConfig))]
[JsonSerializable(typeof(JudgeTrainingOptions))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, IReadOnlyList<string>>))]
internal sealed partial class JudgeJson : JsonSerializerContext;
