namespace LoraNotebooks.Engine.World;

/// <summary>An 8-bit RGB colour.</summary>
internal readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>This colour with each channel multiplied by <paramref name="factor"/> (0 = black, 1 = unchanged).</summary>
    public Rgb Shade(float factor) =>
        new((byte)(R * factor), (byte)(G * factor), (byte)(B * factor));
}

/// <summary>
/// The named colours of the world. Every colour a caption can name is here, so the renderer,
/// the captioner and the label vocabularies agree on one spelling.
/// </summary>
internal static class Palette
{
    private static readonly Dictionary<string, Rgb> Colours = new()
    {
        ["red"] = new(220, 40, 40),
        ["green"] = new(40, 170, 60),
        ["blue"] = new(40, 80, 220),
        ["yellow"] = new(240, 210, 40),
        ["purple"] = new(140, 50, 180),
        ["orange"] = new(245, 130, 20),
        ["white"] = new(245, 245, 245),
        ["black"] = new(20, 20, 20),
        ["gray"] = new(128, 128, 128),
    };

    /// <summary>The RGB value of a named colour.</summary>
    /// <exception cref="ArgumentException">The name is not a palette colour.</exception>
    public static Rgb Get(string name) =>
        Colours.TryGetValue(name, out var rgb)
            ? rgb
            : throw new ArgumentException($"unknown colour '{name}'", nameof(name));
}
