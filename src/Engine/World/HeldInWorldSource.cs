using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.World;

/// <summary>The held-in world as an endless pretraining stream: example <c>i</c> is world sample 0 of seed <c>seed + i</c>.</summary>
public sealed class HeldInWorldSource(int seed = 0, int size = WorldGenerator.DefaultSize) : ICaptionedImageSource
{
    /// <inheritdoc />
    public int ImageSize => size;

    /// <inheritdoc />
    public CaptionedImage Get(long index)
    {
        var sample = WorldGenerator.HeldIn(1, unchecked(seed + (int)(index % int.MaxValue)), size)[0];
        return new CaptionedImage(sample.Pixels, sample.Caption);
    }
}
