namespace LoraNotebooks.Engine.World;

/// <summary>
/// The attributes the built-in base model is pretrained on: one shape of one colour, of a size,
/// at a position, on a flat background. Kept small on purpose: a tiny diffusion model has to
/// learn every combination on two CPU cores.
/// </summary>
public static class HeldInWorld
{
    /// <summary>Shapes the base model knows. "figure" is a simple standing person, the base of characters and accessories.</summary>
    public static IReadOnlyList<string> Shapes { get; } = ["circle", "square", "triangle", "figure"];

    /// <summary>Colours a shape can have.</summary>
    public static IReadOnlyList<string> Colours { get; } = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"];

    /// <summary>Sizes, smallest first.</summary>
    public static IReadOnlyList<string> Sizes { get; } = ["small", "large"];

    /// <summary>Horizontal positions, left to right.</summary>
    public static IReadOnlyList<string> Positions { get; } = ["left", "center", "right"];

    /// <summary>Background colours. A scene never has a shape on a background of its own colour.</summary>
    public static IReadOnlyList<string> Backgrounds { get; } = ["gray", "white", "black", "blue"];

    /// <summary>
    /// Random labels for one scene. Shape and colour are drawn unless given; the background
    /// avoids the colour and every colour in <paramref name="reserved"/> (an accessory's or a
    /// character's colours), and so does a drawn colour.
    /// </summary>
    internal static WorldLabels Sample(Random rng, string? shape = null, string? colour = null, IReadOnlyCollection<string>? reserved = null)
    {
        reserved ??= [];
        shape ??= Pick(rng, Shapes);
        colour ??= Pick(rng, Colours.Where(c => !reserved.Contains(c)).ToList());
        var size = Pick(rng, Sizes);
        var position = Pick(rng, Positions);
        var background = Pick(rng, Backgrounds.Where(b => b != colour && !reserved.Contains(b)).ToList());
        return new WorldLabels(shape, colour, size, position, background);
    }

    /// <summary>One item of <paramref name="items"/>, uniformly.</summary>
    internal static string Pick(Random rng, IReadOnlyList<string> items) => items[rng.Next(items.Count)];
}
