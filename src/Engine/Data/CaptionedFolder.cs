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
    /// <param name="folder">The dataset folder.</param>
    /// <param name="resolution">The training size whose buckets the pictures go to.</param>
    /// <param name="captionExtension">The caption files' extension.</param>
    /// <param name="keepCover">Also keep each picture resized to just cover its bucket, uncut (<see cref="TrainingImage.Cover"/>), for random crops.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static CaptionedFolder Read(string folder, int resolution, string captionExtension = ".txt", bool keepCover = false)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"dataset folder '{folder}' does not exist");
        var images = new List<TrainingImage>();
        var skipped = new List<SkippedFile>();
        foreach (var path in Directory.EnumerateFiles(folder).Where(p => ImageExtensions.Contains(Path.GetExtension(p).ToLowerInvariant())).Order(StringComparer.Ordinal))
        {
            var reason = TryRead(path, resolution, keepCover, out var rgb, out var bucket, out var cover);
            if (reason is not null)
            {
                skipped.Add(new SkippedFile(path, reason));
                continue;
            }
            var captionPath = Path.ChangeExtension(path, captionExtension);
            var caption = File.Exists(captionPath) ? File.ReadAllText(captionPath).Trim() : "";
            images.Add(new TrainingImage(rgb!, bucket, caption, path, cover));
        }
        return new CaptionedFolder(images, skipped);
    }

    private static string? TryRead(string path, int resolution, bool keepCover, out byte[]? rgb, out Bucket bucket, out CoverImage? cover)
    {
        rgb = null;
        bucket = default;
        cover = null;
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
            // Resize to just cover the bucket (the smallest scale at which both sides reach it), then cut.
            var scale = Math.Max((double)chosen.Width / image.Width, (double)chosen.Height / image.Height);
            var coverSize = new Size(Math.Max(chosen.Width, (int)Math.Round(image.Width * scale)), Math.Max(chosen.Height, (int)Math.Round(image.Height * scale)));
            image.Mutate(i => i.Resize(coverSize));
            if (keepCover)
            {
                var whole = new byte[coverSize.Width * coverSize.Height * 3];
                image.CopyPixelDataTo(whole);
                cover = new CoverImage(whole, coverSize.Width, coverSize.Height);
            }
            image.Mutate(i => i.Crop(new Rectangle((coverSize.Width - chosen.Width) / 2, (coverSize.Height - chosen.Height) / 2, chosen.Width, chosen.Height)));
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
