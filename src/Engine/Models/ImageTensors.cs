using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>Conversions between interleaved RGB bytes (row-major, 3 bytes a pixel) and image tensors [B, 3, H, W] in [0, 1].</summary>
public static class ImageTensors
{
    /// <summary>A batch [B, 3, size, size] in [0, 1] from RGB byte arrays of size·size·3 bytes each.</summary>
    public static Tensor FromRgb(IReadOnlyList<byte[]> images, int size) => FromRgb(images, size, size);

    /// <summary>A batch [B, 3, height, width] in [0, 1] from RGB byte arrays of width·height·3 bytes each.</summary>
    public static Tensor FromRgb(IReadOnlyList<byte[]> images, int width, int height)
    {
        var pixels = width * height * 3;
        var all = new byte[images.Count * pixels];
        for (var i = 0; i < images.Count; i++)
        {
            if (images[i].Length != pixels)
                throw new ArgumentException($"image {i} has {images[i].Length} bytes; a {width}×{height} RGB image has {pixels}");
            images[i].CopyTo(all, i * pixels);
        }
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var bytes = tensor(all, [images.Count, height, width, 3]);
        return bytes.permute(0, 3, 1, 2).to(float32).div(s[255f]).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>RGB byte arrays (H·W·3 each) from images [B, 3, H, W] in [0, 1]; values outside are clamped.</summary>
    public static byte[][] ToRgb(Tensor images)
    {
        using var scope = NewDisposeScope();
        var bytes = (images.detach().to(float32).cpu().clamp(0, 1) * 255f).round().to(uint8).permute(0, 2, 3, 1).contiguous();
        var all = bytes.data<byte>().ToArray();
        var count = (int)images.shape[0];
        var each = all.Length / Math.Max(count, 1);
        return Enumerable.Range(0, count).Select(i => all.AsSpan(i * each, each).ToArray()).ToArray();
    }
}
