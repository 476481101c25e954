namespace LoraNotebooks.Engine.World;

/// <summary>
/// Produces labelled, captioned pictures of the world. Sample i of a seed depends only on
/// (seed, i): the same call always returns the same bytes, and asking for more samples keeps
/// the first ones unchanged.
/// </summary>
public static class WorldGenerator
{
    /// <summary>The smallest picture size the world draws legibly.</summary>
    public const int MinSize = 16;

    /// <summary>The default picture size in pixels (square).</summary>
    public const int DefaultSize = 32;

    /// <summary>
    /// Pictures of the held-in world, the base model's pretraining data: every shape, or only
    /// <paramref name="shape"/> (one of <see cref="HeldInWorld.Shapes"/>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="shape"/> is not a held-in shape.</exception>
    public static IReadOnlyList<WorldSample> HeldIn(int count, int seed, int size = DefaultSize, string? shape = null)
    {
        if (shape is not null && !HeldInWorld.Shapes.Contains(shape))
            throw new ArgumentException($"'{shape}' is not a shape of the held-in world ({string.Join(", ", HeldInWorld.Shapes)})", nameof(shape));
        return Generate(count, seed, size, rng => HeldInWorld.Sample(rng, shape), labels => Captioner.Caption(labels, null));
    }

    /// <summary>
    /// Pictures of one member of a held-out family. Captions name the member by
    /// <paramref name="trigger"/> (default: the member's name), or not at all when
    /// <paramref name="includeTrigger"/> is false.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown family or member, or a blank trigger.</exception>
    public static IReadOnlyList<WorldSample> Member(
        string family, string member, int count, int seed,
        string? trigger = null, bool includeTrigger = true, int size = DefaultSize)
    {
        var owner = Families.Get(family);
        var name = owner.Member(member).Name;
        var word = includeTrigger ? trigger ?? name : null;
        return Generate(count, seed, size, rng => owner.Sample(name, rng), labels => Captioner.Caption(labels, word));
    }

    /// <summary>The random source for sample <paramref name="index"/> of <paramref name="seed"/> (a SplitMix64 step, so neighbours are unrelated).</summary>
    internal static Random SampleRandom(int seed, int index)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return new Random((int)((z ^ (z >> 31)) & int.MaxValue));
    }

    private static WorldSample[] Generate(int count, int seed, int size, Func<Random, WorldLabels> sample, Func<WorldLabels, string> caption)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinSize);
        var samples = new WorldSample[count];
        for (int i = 0; i < count; i++)
        {
            var rng = SampleRandom(seed, i);
            var labels = sample(rng);
            var (pixels, subject) = SceneRenderer.Draw(labels, rng, size);
            samples[i] = new WorldSample(pixels, size, size, caption(labels), labels, subject);
        }
        return samples;
    }
}
