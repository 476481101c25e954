using LoraNotebooks.Engine.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace LoraNotebooks.Engine.Data;

/// <summary>A file that could not be used, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);

/// <summary>
/// A dataset folder laid out like kohya's: <c>NAME.png|jpg|jpeg|webp</c> beside <c>NAME.txt</c>.
/// Pictures are decoded with ImageSharp under size limits, resized so the short side fits and
/// centre-cropped to a square. Unreadable files are skipped and listed, never fatal.
/// </summary>
public sealed class CaptionedFolder
{
    /// <summary>Extensions read as pictures.</summary>
    public static readonly IReadOnlyList<string> ImageExtensions = [".png", ".jpg", ".jpeg", ".webp"];

    /// <summary>Largest file accepted (bytes).</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>Largest picture accepted (pixels), checked from the header before decoding.</summary>
    public const long MaxPixels = 64L << 20;

    private CaptionedFolder(IReadOnlyList<CaptionedImage> images, IReadOnlyList<SkippedFile> skipped)
    {
        Images = images;
        Skipped = skipped;
    }

    /// <summary>The usable pictures with their captions, in file-name order.</summary>
    public IReadOnlyList<CaptionedImage> Images { get; }

    /// <summary>Files that were skipped, with the reason.</summary>
    public IReadOnlyList<SkippedFile> Skipped { get; }

    /// <summary>Reads <paramref name="folder"/> at <paramref name="size"/>×<paramref name="size"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static CaptionedFolder Read(string folder, int size, string captionExtension = ".txt")
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"dataset folder '{folder}' does not exist");
        var images = new List<CaptionedImage>();
        var skipped = new List<SkippedFile>();
        foreach (var path in Directory.EnumerateFiles(folder).Where(p => ImageExtensions.Contains(Path.GetExtension(p).ToLowerInvariant())).Order(StringComparer.Ordinal))
        {
            var reason = TryRead(path, size, out var rgb);
            if (reason is not null)
            {
                skipped.Add(new SkippedFile(path, reason));
                continue;
            }
            var captionPath = Path.ChangeExtension(path, captionExtension);
            var caption = File.Exists(captionPath) ? File.ReadAllText(captionPath).Trim() : "";
            images.Add(new CaptionedImage(rgb!, caption));
        }
        return new CaptionedFolder(images, skipped);
    }

    private static string? TryRead(string path, int size, out byte[]? rgb)
    {
        rgb = null;
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
            image.Mutate(i => i.Resize(new ResizeOptions { Size = new Size(size, size), Mode = ResizeMode.Crop, Position = AnchorPositionMode.Center }));
            rgb = new byte[size * size * 3];
            image.CopyPixelDataTo(rgb);
            return null;
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or IOException or NotSupportedException)
        {
            return $"cannot be decoded: {e.Message}";
        }
    }
}
