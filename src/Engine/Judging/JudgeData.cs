using LoraNotebooks.Engine.World;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Judging;

/// <summary>
/// The pictures a judge learns from and is measured on, and their conversion to tensors.
/// </summary>
public static class JudgeData
{
    /// <summary>
    /// <paramref name="count"/> pictures of the whole world, held-out families included: a fifth
    /// from the held-in world and a fifth from each family (concept, character, style,
    /// accessory), its members in turn. Like the generator, the result depends only on
    /// (count, seed) and asking for more keeps the first ones.
    /// </summary>
    public static IReadOnlyList<WorldSample> Mixed(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        // Picture i comes from source (i % 5): 0 is the held-in world, then each family; within a
        // family, members take turns. Each source is generated once with the same seed.
        var picks = new (string? Family, string? Member, int Index)[count];
        var taken = new Dictionary<(string?, string?), int>();
        for (int i = 0; i < count; i++)
        {
            int part = i % 5;
            (string?, string?) source = (null, null);
            if (part > 0)
            {
                var family = Families.All[part - 1];
                source = (family.Name, family.Members[i / 5 % family.Members.Count].Name);
            }
            taken[source] = taken.GetValueOrDefault(source) + 1;
            picks[i] = (source.Item1, source.Item2, taken[source] - 1);
        }
        var generated = taken.ToDictionary(
            pair => pair.Key,
            pair => pair.Key is (string family, string member)
                ? WorldGenerator.Member(family, member, pair.Value, seed)
                : WorldGenerator.HeldIn(pair.Value, seed));
        return picks.Select(p => generated[(p.Family, p.Member)][p.Index]).ToArray();
    }

    /// <summary>The pictures as a float tensor [B, 3, H, W] with values in [0, 1], the layout a judge reads.</summary>
    /// <exception cref="ArgumentException">The pictures are not all of one size.</exception>
    public static Tensor ToImages(IReadOnlyList<WorldSample> samples)
    {
        ArgumentOutOfRangeException.ThrowIfZero(samples.Count);
        int width = samples[0].Width, height = samples[0].Height;
        if (samples.Any(s => s.Width != width || s.Height != height))
            throw new ArgumentException("the pictures must all have one size", nameof(samples));
        var bytes = new byte[samples.Count * height * width * 3];
        for (int i = 0; i < samples.Count; i++)
            samples[i].Pixels.CopyTo(bytes, i * samples[i].Pixels.Length);
        using var scope = NewDisposeScope();
        var hwc = tensor(bytes, [samples.Count, height, width, 3]);
        return (hwc.permute(0, 3, 1, 2).to(ScalarType.Float32) / 255f).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The class index of every attribute of every picture: a long tensor [B, attributes] in <see cref="WorldVocabulary.Attributes"/> order.</summary>
    public static Tensor ToTargets(IReadOnlyList<WorldSample> samples) =>
        tensor(samples.SelectMany(s => WorldVocabulary.Encode(s.Labels)).Select(c => (long)c).ToArray(),
            [samples.Count, WorldVocabulary.Attributes.Count]);
}
