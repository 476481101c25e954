using System.Text.RegularExpressions;

namespace LoraNotebooks.Dsl.Binding;

/// <summary>What binding needs to know about a folder dataset (top level only): its images and their captions.</summary>
/// <param name="Images">Image files.</param>
/// <param name="WithoutCaption">Images without a caption file.</param>
/// <param name="Sided">Captions that say left or right, which a mirrored picture contradicts.</param>
internal sealed record FolderFacts(int Images, int WithoutCaption, int Sided);

/// <summary>Counts the images of a folder dataset, those without a caption file, and the captions that name a side.</summary>
internal static partial class ImageFolder
{
    public static readonly IReadOnlyList<string> ImageExtensions = [".png", ".jpg", ".jpeg", ".webp"];

    // A caption is a line or two; reading more than this of a stray large file would only slow checking down.
    private const int CaptionBytesRead = 4096;

    public static FolderFacts Read(string folder, string captionExtension)
    {
        try
        {
            var images = Directory.EnumerateFiles(folder)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .ToList();
            var captions = images.Select(f => Path.ChangeExtension(f, captionExtension)).Where(File.Exists).ToList();
            return new FolderFacts(images.Count, images.Count - captions.Count, captions.Count(c => NamesSide(ReadStart(c))));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FolderFacts(0, 0, 0);
        }
    }

    /// <summary>Whether a caption says "left" or "right" (as words, any case), which mirroring the picture would make false.</summary>
    public static bool NamesSide(string caption) => SideWord().IsMatch(caption);

    private static string ReadStart(string path)
    {
        using var reader = new StreamReader(path);
        var buffer = new char[CaptionBytesRead];
        return new string(buffer, 0, reader.ReadBlock(buffer, 0, buffer.Length));
    }

    [GeneratedRegex(@"\b(left|right)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SideWord();
}
