namespace LoraNotebooks.Engine.World;

/// <summary>A caption-style prompt for evaluation and the labels a faithful picture would have.</summary>
public sealed record WorldPrompt(string Prompt, WorldLabels Expected);

/// <summary>
/// Prompts for judging a model: held-in prompts (does the base model follow captions?),
/// trigger prompts (does an adapter show what it was taught?) and non-trigger prompts (does
/// it leave everything else alone?).
/// </summary>
public static class WorldPrompts
{
    /// <summary>Held-in prompts cycling through every shape × colour pair, the rest drawn at random.</summary>
    public static IReadOnlyList<WorldPrompt> HeldIn(int count, int seed) => Cycle(HeldInWorld.Shapes, count, seed);

    /// <summary>Prompts naming one family member by <paramref name="trigger"/> (default: the member's name).</summary>
    public static IReadOnlyList<WorldPrompt> Trigger(string family, string member, int count, int seed, string? trigger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var owner = Families.Get(family);
        var name = owner.Member(member).Name;
        return Enumerable.Range(0, count).Select(i =>
        {
            var labels = owner.Sample(name, WorldGenerator.SampleRandom(seed, i));
            return new WorldPrompt(Captioner.Caption(labels, trigger ?? name), labels);
        }).ToArray();
    }

    /// <summary>
    /// Held-in prompts without any trigger, for measuring leakage from an adapter of
    /// <paramref name="family"/>: they use the held-in shapes that family is likeliest to change
    /// (figures for characters and accessories, every shape otherwise).
    /// </summary>
    public static IReadOnlyList<WorldPrompt> NonTrigger(string family, int count, int seed) =>
        Cycle(Families.Get(family).LeakageShapes, count, seed);

    private static WorldPrompt[] Cycle(IReadOnlyList<string> shapes, int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var colours = HeldInWorld.Colours;
        return Enumerable.Range(0, count).Select(i =>
        {
            var labels = HeldInWorld.Sample(
                WorldGenerator.SampleRandom(seed, i), shapes[i % shapes.Count], colours[i / shapes.Count % colours.Count]);
            return new WorldPrompt(Captioner.Caption(labels, null), labels);
        }).ToArray();
    }
}
