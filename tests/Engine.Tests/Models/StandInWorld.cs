using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Tests.Models;

/// <summary>A stand-in for the procedural world: one coloured square on a coloured background, decided by the index alone.</summary>
public sealed class StandInWorld(int imageSize) : ICaptionedImageSource
{
    private static readonly (string Name, byte R, byte G, byte B)[] Colours =
        [("red", 220, 30, 30), ("green", 30, 200, 60), ("blue", 40, 60, 220), ("yellow", 230, 220, 40)];

    public int ImageSize => imageSize;

    public CaptionedImage Get(long index)
    {
        var random = new Random((int)(index % int.MaxValue));
        var shape = Colours[random.Next(Colours.Length)];
        var background = Colours[(Array.IndexOf(Colours, shape) + 1 + random.Next(Colours.Length - 1)) % Colours.Length];
        var side = imageSize / 2;
        var (left, top) = (random.Next(imageSize - side + 1), random.Next(imageSize - side + 1));
        var rgb = new byte[imageSize * imageSize * 3];
        for (var y = 0; y < imageSize; y++)
            for (var x = 0; x < imageSize; x++)
            {
                var inside = x >= left && x < left + side && y >= top && y < top + side;
                var (_, r, g, b) = inside ? shape : background;
                var at = (y * imageSize + x) * 3;
                (rgb[at], rgb[at + 1], rgb[at + 2]) = (r, g, b);
            }
        return new CaptionedImage(rgb, $"a {shape.Name} square, {background.Name} background");
    }
}
