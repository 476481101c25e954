namespace LoraNotebooks.Dsl.Diagnostics;

/// <summary>Finds the known word closest to a misspelt one (optimal string alignment distance).</summary>
public static class DidYouMean
{
    /// <summary>
    /// The candidate closest to <paramref name="word"/>, or null when none is close enough
    /// (at most one edit for short words, a third of the length for longer ones).
    /// </summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        var limit = Math.Max(1, word.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(word.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance <= limit && distance < bestDistance && distance < candidate.Length)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>Edits (insert, delete, substitute, swap two neighbours) that turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>
    /// The tail of an "unknown word" message: "; did you mean 'x'?" when one is close,
    /// otherwise the list of valid words when it is short, otherwise nothing.
    /// </summary>
    internal static string Hint(string word, IReadOnlyCollection<string> candidates)
    {
        var closest = Closest(word, candidates);
        if (closest is not null) return string.Format(DiagnosticDescriptors.DidYouMeanHint, closest);
        if (candidates.Count is > 0 and <= 8) return string.Format(DiagnosticDescriptors.ExpectedOneOfHint, string.Join(", ", candidates));
        return "";
    }
}
