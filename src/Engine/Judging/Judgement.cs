using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Judging;

/// <summary>What a <see cref="WorldJudge"/> reads from one picture.</summary>
/// <param name="Labels">The most likely class of every attribute; a <see cref="WorldVocabulary.None"/> class reads as null, as in ground-truth labels.</param>
/// <param name="Confidences">Attribute name → the probability the judge gives its chosen class (0 to 1).</param>
public sealed record Judgement(WorldLabels Labels, IReadOnlyDictionary<string, float> Confidences);
