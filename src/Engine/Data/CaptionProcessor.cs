using System.Text.RegularExpressions;

namespace LoraNotebooks.Engine.Data;

/// <summary>
/// What happens to a caption before each step, in kohya's order: the trigger is put first when the
/// caption lacks it, comma-separated tags are shuffled except the first N, and the whole caption is
/// dropped (trained as "") at the dropout rate, which teaches the unconditional prediction.
/// </summary>
public static partial class CaptionProcessor
{
    /// <summary>
    /// The caption of the mirrored picture: "left" and "right" (as words, in any case) swap, so that
    /// "a red circle on the left" stays true of a flipped picture and a flip never teaches the wrong side.
    /// </summary>
    public static string Mirrored(string caption) => SideWord().Replace(caption, side =>
    {
        var other = side.Value.Equals("left", StringComparison.OrdinalIgnoreCase) ? "right" : "left";
        if (side.Value.All(char.IsUpper)) return other.ToUpperInvariant();
        return char.IsUpper(side.Value[0]) ? char.ToUpperInvariant(other[0]) + other[1..] : other;
    });

    /// <summary><paramref name="caption"/> with <paramref name="trigger"/> put first (as its own tag) unless it already contains it.</summary>
    public static string WithTrigger(string caption, string? trigger)
    {
        if (string.IsNullOrWhiteSpace(trigger) || caption.Contains(trigger, StringComparison.OrdinalIgnoreCase))
            return caption;
        return caption.Length == 0 ? trigger : trigger + ", " + caption;
    }

    /// <summary>The comma-separated tags with all but the first <paramref name="keep"/> shuffled by <paramref name="random"/>.</summary>
    public static string Shuffle(string caption, int keep, Random random)
    {
        var tags = caption.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (tags.Length <= keep + 1)
            return string.Join(", ", tags);
        var rest = tags[keep..];
        random.Shuffle(rest);
        return string.Join(", ", tags[..keep].Concat(rest));
    }

    /// <summary>
    /// The caption one step trains with: shuffled when <paramref name="shuffleKeep"/> is given, or
    /// empty with probability <paramref name="dropout"/>. The trigger was put in at load time.
    /// </summary>
    public static string ForStep(string caption, int? shuffleKeep, double dropout, Random random)
    {
        if (dropout > 0 && random.NextDouble() < dropout)
            return "";
        return shuffleKeep is { } keep ? Shuffle(caption, keep, random) : caption;
    }

    [GeneratedRegex(@"\b(left|right)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SideWord();
}
