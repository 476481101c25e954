using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace LoraNotebooks.Engine.Imaging;

/// <summary>Square RGB pictures as bytes (HWC), the format the world, the data loader and the samplers share.</summary>
public static class RgbImage
{
    /// <summary>Writes a grid of equally sized square tiles as one PNG, atomically; row-major, <paramref name="columns"/> per row.</summary>
    public static void WriteGrid(string path, IReadOnlyList<byte[]> tiles, int size, int columns, int scale = 4, int gap = 2)
    {
        if (tiles.Count == 0)
            throw new ArgumentException("a grid needs at least one image");
        var rows = (tiles.Count + columns - 1) / columns;
        var cell = size * scale;
        using var grid = new Image<Rgb24>(columns * cell + (columns + 1) * gap, rows * cell + (rows + 1) * gap, new Rgb24(255, 255, 255));
        for (var i = 0; i < tiles.Count; i++)
        {
            using var tile = Image.LoadPixelData<Rgb24>(tiles[i], size, size);
            tile.Mutate(t => t.Resize(cell, cell, KnownResamplers.NearestNeighbor));
            var x = gap + (i % columns) * (cell + gap);
            var y = gap + (i / columns) * (cell + gap);
            grid.Mutate(g => g.DrawImage(tile, new Point(x, y), 1f));
        }
        AtomicFile.Write(path, stream => grid.SaveAsPng(stream));
    }

    /// <summary>Writes one square RGB picture as a PNG, atomically.</summary>
    public static void WritePng(string path, byte[] rgb, int size)
    {
        using var image = Image.LoadPixelData<Rgb24>(rgb, size, size);
        AtomicFile.Write(path, stream => image.SaveAsPng(stream));
    }

    /// <summary>One square RGB picture as PNG bytes, for showing in notebooks and HTML.</summary>
    public static byte[] EncodePng(byte[] rgb, int size)
    {
        using var image = Image.LoadPixelData<Rgb24>(rgb, size, size);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
