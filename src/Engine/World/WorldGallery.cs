namespace LoraNotebooks.Engine.World;

/// <summary>Contact sheets of world pictures, for docs and for a first look at a family.</summary>
public static class WorldGallery
{
    private const int Gap = 2;
    private static readonly Rgb GapColour = new(40, 40, 40);

    /// <summary>
    /// Writes <paramref name="samples"/> (all one size) as one PNG grid of
    /// <paramref name="columns"/> columns, each picture enlarged <paramref name="scale"/> times.
    /// </summary>
    public static void Write(string path, IReadOnlyList<WorldSample> samples, int columns, int scale = 3)
    {
        ArgumentOutOfRangeException.ThrowIfZero(samples.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        int cellW = samples[0].Width * scale, cellH = samples[0].Height * scale;
        int rows = (samples.Count + columns - 1) / columns;
        int width = Gap + columns * (cellW + Gap), height = Gap + rows * (cellH + Gap);
        var sheet = new byte[width * height * 3];
        for (int i = 0; i < sheet.Length; i += 3)
            (sheet[i], sheet[i + 1], sheet[i + 2]) = (GapColour.R, GapColour.G, GapColour.B);

        for (int n = 0; n < samples.Count; n++)
        {
            var s = samples[n];
            if (s.Width * scale != cellW || s.Height * scale != cellH)
                throw new ArgumentException("all samples must have one size", nameof(samples));
            int left = Gap + n % columns * (cellW + Gap), top = Gap + n / columns * (cellH + Gap);
            for (int y = 0; y < cellH; y++)
                for (int x = 0; x < cellW; x++)
                    Array.Copy(s.Pixels, ((y / scale) * s.Width + x / scale) * 3, sheet, ((top + y) * width + left + x) * 3, 3);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        WorldExporter.WritePng(path, sheet, width, height);
    }

    /// <summary>A grid of held-in pictures.</summary>
    public static void WriteHeldIn(string path, int count = 64, int seed = 0, int columns = 8) =>
        Write(path, WorldGenerator.HeldIn(count, seed), columns);

    /// <summary>One row per family member, in catalogue order, <paramref name="perMember"/> pictures each.</summary>
    public static void WriteFamilies(string path, int perMember = 8, int seed = 0) =>
        Write(path, Families.All
            .SelectMany(f => f.Members.SelectMany(m => WorldGenerator.Member(f.Name, m.Name, perMember, seed)))
            .ToArray(), perMember);
}
