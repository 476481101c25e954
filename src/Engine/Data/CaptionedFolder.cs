using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace LoraNotebooks.Engine.Data;

/// <summary>A file that could not be used, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);

/// <summary>
/// A dataset folder laid out like kohya's: <c>NAME.png|jpg|jpeg|webp</c> beside <c>NAME.txt</c>.
/// Pictures are decoded with ImageSharp under size limits, then resized to cover the
/// <see cref="AspectBuckets">aspect bucket</see> closest to their shape and centre-cropped to it.
/// Unreadable files are skipped and listed, never fatal.
/// </summary>
public sealed class CaptionedFolder
{
    /// <summary>Extensions read as pictures.</summary>
    public static readonly IReadOnlyList<string> ImageExtensions = [".png", ".jpg", ".jpeg", ".webp"];

    /// <summary>Largest file accepted (bytes).</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>Largest picture accepted (pixels), checked from the header before decoding.</summary>
    public const long MaxPixels = 64L << 20;

    private CaptionedFolder(IReadOnlyList<TrainingImage> images, IReadOnlyList<SkippedFile> skipped)
    {
        Images = images;
        Skipped = skipped;
    }

    /// <summary>The usable pictures with their captions, in file-name order.</summary>
    public IReadOnlyList<TrainingImage> Images { get; }

    /// <summary>Files that were skipped, with the reason.</summary>
    public IReadOnlyList<SkippedFile> Skipped { get; }

    /// <summary>Reads <paramref name="folder"/> into the aspect buckets of <paramref name="resolution"/>; a missing caption file reads as "".</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static CaptionedFolder Read(string folder, int resolution, string captionExtension = ".txt")
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"dataset folder '{folder}' does not exist");
        var images = new List<TrainingImage>();
        var skipped = new List<SkippedFile>();
        foreach (var path in Directory.EnumerateFiles(folder).Where(p => ImageExtensions.Contains(Path.GetExtension(p).ToLowerInvariant())).Order(StringComparer.Ordinal))
        {
            var reason = TryRead(path, resolution, out var rgb, out var bucket);
            if (reason is not null)
            {
                skipped.Add(new SkippedFile(path, reason));
                continue;
            }
            var captionPath = Path.ChangeExtension(path, captionExtension);
            var caption = File.Exists(captionPath) ? File.ReadAllText(captionPath).Trim() : "";
            images.Add(new TrainingImage(rgb!, bucket, caption, path));
        }
        return new CaptionedFolder(images, skipped);
    }

    private static string? TryRead(string path, int resolution, out byte[]? rgb, out Bucket bucket)
    {
        rgb = null;
        bucket = default;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
                return $"the file is {length} bytes; the limit is {MaxFileBytes}";
            var info = Image.Identify(path);
            if (info is null)
                return "not a picture ImageSharp can read";
            if ((long)info.Width * info.Height > MaxPixels)
                return $"{info.Width}×{info.Height} pixels is over the limit of {MaxPixels}";
            using var image = Image.Load<Rgb24>(path);
            var chosen = bucket = AspectBuckets.Choose(image.Width, image.Height, resolution);
            image.Mutate(i => i.Resize(new ResizeOptions { Size = new Size(chosen.Width, chosen.Height), Mode = ResizeMode.Crop, Position = AnchorPositionMode.Center }));
            rgb = new byte[chosen.Width * chosen.Height * 3];
            image.CopyPixelDataTo(rgb);
            return null;
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or IOException or NotSupportedException)
        {
            return $"cannot be decoded: {e.Message}";
        }
    }
}
