namespace LoraNotebooks.Engine.Models;

/// <summary>
/// Inserts made-up words into captions during pretraining, so the base learns to read a caption's
/// words wherever they stand and to draw what it knows around a word it does not. Without it the
/// small text encoder learns the world's one caption template by byte position: a trigger put in
/// ("zj, a large red circle ...", "a figure wearing a zj hat on the left ...") shifts every word
/// after it, and the base stops following the colour, shape or position. A LoRA trained on such a
/// base has to re-teach the whole prompt, not just its trigger (docs/pretraining.md).
/// </summary>
public static class CaptionNoise
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";

    /// <summary>Words of trigger phrases in captions (the world's own and users'): the base sees them among made-up ones.</summary>
    private static readonly string[] PhraseWords = ["wearing", "holding", "a", "style", "person", "in", "with"];

    /// <summary>
    /// <paramref name="caption"/> with one to three words inserted at one word boundary: the start in
    /// about two cases of five (where triggers usually go), else any boundary, the end included. About
    /// one word in four is a trigger-phrase word, the rest 2 to 6 random letters. Captions without
    /// words come back as they are.
    /// </summary>
    public static string Insert(string caption, Random random)
    {
        var words = caption.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (words.Count == 0)
            return caption;
        var inserted = Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(4) == 0
            ? PhraseWords[random.Next(PhraseWords.Length)]
            : new string([.. Enumerable.Range(0, random.Next(2, 7)).Select(_ => Letters[random.Next(Letters.Length)])])).ToList();
        var at = random.Next(3) == 0 ? 0 : random.Next(words.Count + 1); // triggers usually lead a caption
        if (at == 0)
            inserted[^1] += ",";
        words.InsertRange(at, inserted);
        return string.Join(' ', words);
    }
}
