namespace LoraNotebooks.Engine.World;

/// <summary>
/// Draws the picture for a set of labels. Where exactly things go varies a little (a small
/// random offset and scale), so two pictures with one caption are never identical.
/// </summary>
internal static class SceneRenderer
{
    private const float Jitter = 0.03f;

    /// <summary>Renders <paramref name="labels"/> as a size × size picture, drawing the placement jitter from <paramref name="rng"/>.</summary>
    public static byte[] Render(WorldLabels labels, Random rng, int size) => Draw(labels, rng, size).Pixels;

    /// <summary>
    /// Renders <paramref name="labels"/> as <see cref="Render"/> does, with where its subject was painted: the
    /// accessory in an accessory scene, else the shape, figure or character (<see cref="WorldSample.Subject"/>).
    /// </summary>
    public static (byte[] Pixels, byte[] Subject) Draw(WorldLabels labels, Random rng, int size)
    {
        float scale = 0.92f + 0.16f * rng.NextSingle();
        float e = size * scale * (labels.Size == "small" ? 0.13f : 0.22f);
        float cx = size * (HorizontalCentre(labels.Position) + Jitter * (2 * rng.NextSingle() - 1));
        float cy = size * (0.5f + Jitter * (2 * rng.NextSingle() - 1));

        var canvas = new Canvas(size, size, Palette.Get(labels.Background));
        // Figures are tall and thin: they get more height than other shapes of their size, and
        // stand a little low to leave room for hats and umbrellas.
        var figure = new Figure(cx, cy + 0.1f * 1.2f * e, 1.2f * e);
        if (labels.Character is { } character)
        {
            foreach (var (shape, colour) in CharacterFamily.Parts(character, figure))
                canvas.Fill(shape, colour, labels.Style, subject: labels.Accessory is null);
        }
        else
        {
            var colour = Palette.Get(labels.Colour ?? throw new ArgumentException("a scene without a character needs a colour", nameof(labels)));
            var shape = labels.Shape == "figure" ? figure.Outline : Shapes.Draw(labels.Shape, cx, cy, e);
            canvas.Fill(shape, colour, labels.Style, subject: labels.Accessory is null);
        }
        if (labels.Accessory is { } accessory)
        {
            int side = labels.Position == "right" ? -1 : 1; // hold things towards the middle, inside the picture
            var (shape, colour) = AccessoryFamily.Draw(accessory, figure, side);
            canvas.Fill(shape, colour, labels.Style, subject: true);
        }
        if (labels.Style == "pixel")
            canvas.Pixelate(Math.Max(2, size / 8));
        return (canvas.ToBytes(), canvas.SubjectMask());
    }

    private static float HorizontalCentre(string position) => position switch
    {
        "left" => 0.27f,
        "center" => 0.5f,
        "right" => 0.73f,
        _ => throw new ArgumentException($"unknown position '{position}'", nameof(position)),
    };
}
