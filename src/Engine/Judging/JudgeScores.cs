using System.Text.Json.Serialization;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Judging;

/// <summary>
/// The numbers an evaluation reports, computed from what a <see cref="WorldJudge"/> read from
/// samples (<see cref="Judgement.Labels"/>) and what the prompts asked for. Pure functions:
/// each is a share between 0 and 1.
/// </summary>
public static class JudgeScores
{
    /// <summary>
    /// <c>prompt_following</c>: the share of samples whose shape AND colour are both judged as
    /// prompted. <paramref name="judged"/>[i] is what the judge read from the sample of
    /// <paramref name="prompted"/>[i].
    /// </summary>
    /// <exception cref="ArgumentException">The lists are empty or of different lengths.</exception>
    public static double PromptFollowing(IReadOnlyList<WorldLabels> prompted, IReadOnlyList<WorldLabels> judged) =>
        Share(prompted, judged, (p, j) => j.Shape == p.Shape && j.Colour == p.Colour);

    /// <summary>The attributes every held-in prompt names, in caption order.</summary>
    public static IReadOnlyList<string> PromptedAttributes { get; } = ["shape", "colour", "size", "position", "background"];

    /// <summary>
    /// For each of <see cref="PromptedAttributes"/>, the share of samples judged with that attribute
    /// as prompted: which words of a caption a base model follows. <c>prompt_following</c> needs
    /// shape and colour together; a base can score well there and still ignore, say, the background.
    /// </summary>
    /// <exception cref="ArgumentException">The lists are empty or of different lengths.</exception>
    public static IReadOnlyDictionary<string, double> Agreement(IReadOnlyList<WorldLabels> prompted, IReadOnlyList<WorldLabels> judged) =>
        PromptedAttributes.ToDictionary(a => a, a => Share(prompted, judged, (p, j) => j.Get(a) == p.Get(a)));

    /// <summary>
    /// <c>fidelity</c>: the share of trigger-prompt samples judged as the taught thing, member
    /// <paramref name="member"/> of <paramref name="family"/> (<see cref="Shows"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown family or member, or no samples.</exception>
    public static double Fidelity(string family, string member, IReadOnlyList<WorldLabels> judged)
    {
        var shows = Shows(family, member);
        return Share(judged, judged, (j, _) => shows(j));
    }

    /// <summary>
    /// Whether a sample judged as given shows member <paramref name="member"/> of <paramref name="family"/>:
    /// for a concept the judged shape is the member, for a character the judged character, for a style
    /// the judged style, for an accessory the judged accessory.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown family or member.</exception>
    public static Func<WorldLabels, bool> Shows(string family, string member)
    {
        var name = Families.Get(family).Member(member).Name;
        Func<WorldLabels, string?> taught = family switch
        {
            "concept" => j => j.Shape,
            "character" => j => j.Character,
            "style" => j => j.Style,
            "accessory" => j => j.Accessory,
            _ => throw new ArgumentException($"no fidelity rule for family '{family}'", nameof(family)),
        };
        return j => taught(j) == name;
    }

    /// <summary>
    /// <c>leakage</c>: the share of non-trigger samples whose judged attributes (any of them)
    /// differ from the base model's judged attributes at the same seed and prompt.
    /// <paramref name="judged"/>[i] comes from the adapted model, <paramref name="baseJudged"/>[i]
    /// from the base model, for the same prompt and seed.
    /// </summary>
    /// <exception cref="ArgumentException">The lists are empty or of different lengths.</exception>
    public static double Leakage(IReadOnlyList<WorldLabels> judged, IReadOnlyList<WorldLabels> baseJudged) =>
        Share(judged, baseJudged, (j, b) => j != b);

    /// <summary>
    /// What a leak changed: each attribute (<see cref="WorldVocabulary.Attributes"/> order) whose judged value
    /// differs between <paramref name="baseJudged"/> and <paramref name="judged"/>; empty when
    /// <see cref="Leakage"/> would not count the pair.
    /// </summary>
    public static IReadOnlyList<AttributeChange> Changes(WorldLabels judged, WorldLabels baseJudged) =>
        [.. WorldVocabulary.Attributes.Where(a => judged.Get(a) != baseJudged.Get(a)).Select(a => new AttributeChange(a, baseJudged.Get(a), judged.Get(a)))];

    /// <summary>
    /// Which way a leak moved a sample, against what its prompt asked for (<paramref name="prompted"/>):
    /// <see cref="ChangeDirection.Closer"/> when some changed attribute now reads as prompted and none that read as
    /// prompted was lost (the base drew it wrong and the adapter drew it right), <see cref="ChangeDirection.Further"/>
    /// the other way round, <see cref="ChangeDirection.Mixed"/> for both, <see cref="ChangeDirection.Sideways"/> for
    /// neither (one wrong reading for another). <see cref="Leakage"/> counts every direction alike; this says
    /// which changes were damage.
    /// </summary>
    public static ChangeDirection Direction(IReadOnlyList<AttributeChange> changes, WorldLabels prompted)
    {
        var gained = changes.Any(c => c.Adapted == prompted.Get(c.Attribute));
        var lost = changes.Any(c => c.Base == prompted.Get(c.Attribute));
        return (gained, lost) switch
        {
            (true, false) => ChangeDirection.Closer,
            (false, true) => ChangeDirection.Further,
            (true, true) => ChangeDirection.Mixed,
            _ => ChangeDirection.Sideways,
        };
    }

    private static double Share(IReadOnlyList<WorldLabels> first, IReadOnlyList<WorldLabels> second, Func<WorldLabels, WorldLabels, bool> counts)
    {
        if (first.Count == 0)
            throw new ArgumentException("there are no samples to score", nameof(first));
        if (first.Count != second.Count)
            throw new ArgumentException($"{first.Count} samples but {second.Count} to compare them with", nameof(second));
        return (double)first.Zip(second).Count(p => counts(p.First, p.Second)) / first.Count;
    }
}

/// <summary>One attribute a judge read differently with an adapter (<paramref name="Adapted"/>) than without it (<paramref name="Base"/>); null is "none".</summary>
public sealed record AttributeChange(string Attribute, string? Base, string? Adapted);

/// <summary>Which way an adapter moved a prompt's sample relative to the prompt (<see cref="JudgeScores.Direction"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChangeDirection>))]
public enum ChangeDirection
{
    /// <summary>Some attribute now reads as prompted, and none that did was lost.</summary>
    [JsonStringEnumMemberName("closer")]
    Closer,
    /// <summary>Some attribute that read as prompted no longer does, and none was gained.</summary>
    [JsonStringEnumMemberName("further")]
    Further,
    /// <summary>Attributes were both gained and lost.</summary>
    [JsonStringEnumMemberName("mixed")]
    Mixed,
    /// <summary>Only wrong readings turned into other wrong readings.</summary>
    [JsonStringEnumMemberName("sideways")]
    Sideways,
}
