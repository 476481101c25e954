namespace LoraNotebooks.Dsl.Binding;

/// <summary>Counts the images of a folder dataset (top level only) and those without a caption file.</summary>
internal static class ImageFolder
{
    public static readonly IReadOnlyList<string> ImageExtensions = [".png", ".jpg", ".jpeg", ".webp"];

    public static (int Images, int WithoutCaption) Count(string folder, string captionExtension)
    {
        try
        {
            var images = Directory.EnumerateFiles(folder)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .ToList();
            var withoutCaption = images.Count(f => !File.Exists(Path.ChangeExtension(f, captionExtension)));
            return (images.Count, withoutCaption);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (0, 0);
        }
    }

    /// <summary>The images of <paramref name="folder"/>, and how many of them have no mask picture of the same name in <paramref name="masks"/>.</summary>
    public static (int Images, int WithoutMask) CountWithoutMask(string folder, string masks)
    {
        try
        {
            var images = Directory.EnumerateFiles(folder)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .ToList();
            var named = Directory.EnumerateFiles(masks)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Select(Path.GetFileNameWithoutExtension)
                .ToHashSet(StringComparer.Ordinal);
            return (images.Count, images.Count(f => !named.Contains(Path.GetFileNameWithoutExtension(f))));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (0, 0);
        }
    }
}
