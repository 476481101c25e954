namespace LoraNotebooks.Engine.Models;

/// <summary>One training example: an RGB image (row-major, 3 bytes a pixel) and its caption.</summary>
public sealed record CaptionedImage(byte[] Rgb, string Caption);

/// <summary>
/// An endless, deterministic stream of captioned square images, as the procedural world produces
/// them: <see cref="Get"/> with the same index always returns the same example, which makes a
/// pretraining run reproducible and resumable from its step number alone.
/// </summary>
public interface ICaptionedImageSource
{
    /// <summary>Height and width of every image, in pixels.</summary>
    int ImageSize { get; }

    /// <summary>The example at <paramref name="index"/> (any non-negative number).</summary>
    CaptionedImage Get(long index);
}
