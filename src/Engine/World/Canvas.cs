namespace LoraNotebooks.Engine.World;

/// <summary>
/// A float RGB picture that silhouettes are painted onto in order, each over what is already
/// there. Rendering is plain loops over each silhouette's bounding box: no drawing library.
/// </summary>
internal sealed class Canvas
{
    private readonly float[] _rgb;
    private readonly float[] _subject;

    /// <summary>A canvas filled with <paramref name="background"/>.</summary>
    public Canvas(int width, int height, Rgb background)
    {
        Width = width;
        Height = height;
        _rgb = new float[width * height * 3];
        _subject = new float[width * height];
        for (int i = 0; i < _rgb.Length; i += 3)
            (_rgb[i], _rgb[i + 1], _rgb[i + 2]) = (background.R, background.G, background.B);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>
    /// Paints <paramref name="shape"/> in <paramref name="colour"/>, drawn in the given style (null = plain fill).
    /// With <paramref name="subject"/> the fill also counts as the picture's subject (see <see cref="SubjectMask"/>).
    /// </summary>
    public void Fill(Silhouette shape, Rgb colour, string? style = null, bool subject = false)
    {
        int x0 = Math.Max(0, (int)MathF.Floor(shape.MinX) - 1), x1 = Math.Min(Width - 1, (int)MathF.Ceiling(shape.MaxX) + 1);
        int y0 = Math.Max(0, (int)MathF.Floor(shape.MinY) - 1), y1 = Math.Min(Height - 1, (int)MathF.Ceiling(shape.MaxY) + 1);
        int size = Math.Min(Width, Height);
        int stripePeriod = Math.Max(4, size / 8), dotPeriod = Math.Max(3, size / 8);
        var stripe = StripeColour(colour);
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                float d = shape.Distance(x + 0.5f, y + 0.5f);
                var paint = colour;
                float cover;
                switch (style)
                {
                    case null or "pixel": // pixel art is a whole-picture step: see Pixelate
                        cover = Coverage(d);
                        break;
                    case "outline":
                        cover = Coverage(MathF.Abs(d) - 0.6f);
                        break;
                    case "striped":
                        cover = Coverage(d);
                        if ((x + y) % stripePeriod >= stripePeriod / 2) paint = stripe;
                        break;
                    case "dotted":
                        float dx = x % dotPeriod - (dotPeriod - 1) / 2f, dy = y % dotPeriod - (dotPeriod - 1) / 2f;
                        cover = Coverage(d) * Coverage(MathF.Sqrt(dx * dx + dy * dy) - 0.3f * dotPeriod);
                        break;
                    default:
                        throw new ArgumentException($"unknown style '{style}'", nameof(style));
                }
                if (cover <= 0) continue;
                if (subject)
                    _subject[y * Width + x] = MathF.Max(_subject[y * Width + x], cover);
                int i = (y * Width + x) * 3;
                _rgb[i] += (paint.R - _rgb[i]) * cover;
                _rgb[i + 1] += (paint.G - _rgb[i + 1]) * cover;
                _rgb[i + 2] += (paint.B - _rgb[i + 2]) * cover;
            }
        }
    }

    /// <summary>Replaces each <paramref name="block"/>×<paramref name="block"/> tile with its average colour.</summary>
    public void Pixelate(int block)
    {
        for (int by = 0; by < Height; by += block)
        {
            for (int bx = 0; bx < Width; bx += block)
            {
                int yEnd = Math.Min(Height, by + block), xEnd = Math.Min(Width, bx + block);
                float r = 0, g = 0, b = 0;
                for (int y = by; y < yEnd; y++)
                    for (int x = bx; x < xEnd; x++)
                    {
                        int i = (y * Width + x) * 3;
                        r += _rgb[i]; g += _rgb[i + 1]; b += _rgb[i + 2];
                    }
                float n = (yEnd - by) * (xEnd - bx);
                for (int y = by; y < yEnd; y++)
                    for (int x = bx; x < xEnd; x++)
                    {
                        int i = (y * Width + x) * 3;
                        (_rgb[i], _rgb[i + 1], _rgb[i + 2]) = (r / n, g / n, b / n);
                    }
            }
        }
    }

    /// <summary>
    /// How much of each pixel the fills marked as the subject covered, 0 to 255, row by row: one byte per
    /// pixel, the picture's <see cref="WorldSample.Subject"/>. Pixelation does not change it.
    /// </summary>
    public byte[] SubjectMask()
    {
        var bytes = new byte[_subject.Length];
        for (int i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)Math.Clamp(MathF.Round(_subject[i] * 255), 0, 255);
        return bytes;
    }

    /// <summary>The picture as bytes, row by row, R, G, B per pixel (HWC).</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[_rgb.Length];
        for (int i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)Math.Clamp(MathF.Round(_rgb[i]), 0, 255);
        return bytes;
    }

    private static float Coverage(float distance) => Math.Clamp(0.5f - distance, 0, 1);

    // The second stripe colour: the fill pushed halfway towards black, or towards white if it is dark.
    private static Rgb StripeColour(Rgb c)
    {
        bool dark = c.R * 0.3f + c.G * 0.59f + c.B * 0.11f < 100;
        return dark
            ? new((byte)((c.R + 255) / 2), (byte)((c.G + 255) / 2), (byte)((c.B + 255) / 2))
            : c.Shade(0.45f);
    }
}
