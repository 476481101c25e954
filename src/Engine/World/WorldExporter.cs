using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace LoraNotebooks.Engine.World;

/// <summary>
/// Writes a family member as a training set: NAME.png beside NAME.txt holding its caption, the
/// same layout as a user's own dataset.
/// </summary>
public static class WorldExporter
{
    /// <summary>
    /// Writes <paramref name="count"/> pictures of <paramref name="member"/> into
    /// <paramref name="dir"/> (created if missing) as <c>member_0000.png</c> + <c>member_0000.txt</c>, ...
    /// Each file appears whole or not at all. Returns the PNG paths.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown family or member, or a blank trigger.</exception>
    public static IReadOnlyList<string> Export(
        string family, string member, string dir, int count, int seed = 0,
        string? trigger = null, int size = WorldGenerator.DefaultSize)
    {
        var samples = WorldGenerator.Member(family, member, count, seed, trigger, size: size);
        Directory.CreateDirectory(dir);
        int digits = Math.Max(4, (count - 1).ToString().Length);
        var paths = new List<string>(count);
        for (int i = 0; i < samples.Count; i++)
        {
            var stem = Path.Combine(dir, $"{member}_{i.ToString().PadLeft(digits, '0')}");
            WritePng(stem + ".png", samples[i].Pixels, samples[i].Width, samples[i].Height);
            WriteAtomically(stem + ".txt", stream =>
            {
                using var writer = new StreamWriter(stream);
                writer.Write(samples[i].Caption + "\n");
            });
            paths.Add(stem + ".png");
        }
        return paths;
    }

    /// <summary>Writes RGB bytes (height × width × 3) as a PNG file, atomically.</summary>
    internal static void WritePng(string path, byte[] rgb, int width, int height)
    {
        using var image = Image.LoadPixelData<Rgb24>(rgb, width, height);
        WriteAtomically(path, stream => image.SaveAsPng(stream));
    }

    // Written to a hidden temporary file beside the target, then renamed over it, so a reader
    // (or a crash) never sees half a file.
    private static void WriteAtomically(string path, Action<Stream> write)
    {
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                write(stream);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
