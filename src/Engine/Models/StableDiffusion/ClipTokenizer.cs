using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// CLIP's byte-level BPE tokenizer (transformers' <c>CLIPTokenizer</c>) over a checkpoint's
/// <c>tokenizer/vocab.json</c> and <c>tokenizer/merges.txt</c>: text is HTML-unescaped, whitespace
/// collapsed and lower-cased, split into words, each word's UTF-8 bytes mapped to printable
/// characters with <c>&lt;/w&gt;</c> marking its end, then merged pair by pair in merge-rank order.
/// Sequences are <c>&lt;|startoftext|&gt;</c>, the tokens, <c>&lt;|endoftext|&gt;</c>, padded with
/// <c>&lt;|endoftext|&gt;</c> to the text encoder's 77 positions (SD 1.5's tokenizer pads with EOS).
/// </summary>
/// <remarks>transformers also runs <c>ftfy.fix_text</c> when ftfy is installed; mojibake repair is not done here.</remarks>
public sealed class ClipTokenizer
{
    /// <summary>The beginning-of-text token.</summary>
    public const string StartOfText = "<|startoftext|>";

    /// <summary>The end-of-text token (also padding and unknown).</summary>
    public const string EndOfText = "<|endoftext|>";

    private const string EndOfWord = "</w>";

    private static readonly Regex Words = new(
        @"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex Whitespace = new(@"\s+");

    private static readonly string[] ByteChars = BytesToUnicode();
    private static readonly Dictionary<char, byte> CharBytes = Enumerable.Range(0, 256).ToDictionary(b => ByteChars[b][0], b => (byte)b);

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _mergeRanks;
    private readonly Dictionary<string, string[]> _cache = new(StringComparer.Ordinal);

    /// <summary>A tokenizer over a vocabulary (token → id) and merges in rank order, producing sequences of <paramref name="maxLength"/> ids.</summary>
    public ClipTokenizer(IReadOnlyDictionary<string, int> vocab, IEnumerable<(string Left, string Right)> merges, int maxLength = 77)
    {
        if (maxLength < 3)
            throw new ArgumentException($"a token sequence needs room for BOS, EOS and one token; max length {maxLength} is too short");
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        _mergeRanks = [];
        foreach (var merge in merges)
            _mergeRanks.TryAdd(merge, _mergeRanks.Count);
        Bos = _vocab.TryGetValue(StartOfText, out var bos) ? bos : throw new ArgumentException($"the vocabulary has no {StartOfText} token");
        Eos = _vocab.TryGetValue(EndOfText, out var eos) ? eos : throw new ArgumentException($"the vocabulary has no {EndOfText} token");
        MaxLength = maxLength;
    }

    /// <summary>A tokenizer of just the two special tokens, for building a model whose sizes matter but whose text does not (on the meta device).</summary>
    public static ClipTokenizer Placeholder(int maxLength) =>
        new(new Dictionary<string, int> { [StartOfText] = 0, [EndOfText] = 1 }, [], maxLength);

    /// <summary>The id of <see cref="StartOfText"/>.</summary>
    public int Bos { get; }

    /// <summary>The id of <see cref="EndOfText"/>.</summary>
    public int Eos { get; }

    /// <summary>The length of every encoded sequence.</summary>
    public int MaxLength { get; }

    /// <summary>The number of tokens in the vocabulary.</summary>
    public int VocabSize => _vocab.Count;

    /// <summary>Reads <c>vocab.json</c> and <c>merges.txt</c> from <paramref name="folder"/> (a checkpoint's <c>tokenizer/</c>).</summary>
    public static ClipTokenizer Load(string folder, int maxLength = 77)
    {
        var vocabPath = Path.Combine(folder, "vocab.json");
        var mergesPath = Path.Combine(folder, "merges.txt");
        foreach (var path in new[] { vocabPath, mergesPath })
            if (!File.Exists(path))
                throw new FileNotFoundException($"the CLIP tokenizer needs {Path.GetFileName(path)} in {folder}", path);
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath))
            ?? throw new InvalidDataException($"{vocabPath} is empty");
        return new ClipTokenizer(vocab, ReadMerges(File.ReadLines(mergesPath)), maxLength);
    }

    /// <summary>The merges of a <c>merges.txt</c>: one <c>left right</c> pair a line; a <c>#version</c> header and blank lines are skipped.</summary>
    public static IEnumerable<(string Left, string Right)> ReadMerges(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            if (line.StartsWith("#version", StringComparison.Ordinal) || string.IsNullOrWhiteSpace(line))
                continue;
            var parts = line.Split(' ');
            if (parts.Length != 2)
                throw new InvalidDataException($"merges.txt line '{line}' is not two tokens separated by one space");
            yield return (parts[0], parts[1]);
        }
    }

    /// <summary>The BPE tokens of <paramref name="text"/>, without BOS, EOS or padding.</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var cleaned = Whitespace.Replace(WebUtility.HtmlDecode(WebUtility.HtmlDecode(text)), " ").Trim().ToLowerInvariant();
        var tokens = new List<string>();
        foreach (Match word in Words.Matches(cleaned))
        {
            var mapped = string.Concat(Encoding.UTF8.GetBytes(word.Value).Select(b => ByteChars[b]));
            tokens.AddRange(Bpe(mapped));
        }
        return tokens;
    }

    /// <summary>
    /// The text of the tokens <see cref="Encode(string)"/> keeps: <paramref name="text"/> cleaned as
    /// <see cref="Tokenize"/> cleans it, cut after the last token that fits, words separated by one space.
    /// </summary>
    public string TextRead(string text)
    {
        var bytes = new List<byte>();
        foreach (var token in Tokenize(text).Take(MaxLength - 2))
        {
            var endsWord = token.EndsWith(EndOfWord, StringComparison.Ordinal);
            bytes.AddRange((endsWord ? token[..^EndOfWord.Length] : token).Select(c => CharBytes[c]));
            if (endsWord)
                bytes.Add((byte)' ');
        }
        return Encoding.UTF8.GetString([.. bytes]).TrimEnd();
    }

    /// <summary>The ids of <paramref name="text"/>: BOS, tokens (cut to fit), EOS, EOS padding.</summary>
    public long[] Encode(string text)
    {
        var ids = Tokenize(text).Select(t => (long)(_vocab.TryGetValue(t, out var id) ? id : Eos)).Take(MaxLength - 2).ToList();
        var sequence = new long[MaxLength];
        Array.Fill(sequence, Eos);
        sequence[0] = Bos;
        ids.CopyTo(sequence, 1);
        return sequence;
    }

    /// <summary>A batch of encodings as an int64 tensor [texts.Count, MaxLength].</summary>
    public Tensor Encode(IReadOnlyList<string> texts, Device? device = null)
    {
        var ids = new long[texts.Count * MaxLength];
        for (var i = 0; i < texts.Count; i++)
            Encode(texts[i]).CopyTo(ids, i * MaxLength);
        return tensor(ids, [texts.Count, MaxLength], device: device);
    }

    /// <summary>Merges the characters of one word (last one marked end-of-word) by merge rank until no listed pair is left.</summary>
    private string[] Bpe(string word)
    {
        if (_cache.TryGetValue(word, out var cached))
            return cached;
        var symbols = word.EnumerateRunes().Select(r => r.ToString()).ToList();
        symbols[^1] += EndOfWord;
        while (symbols.Count > 1)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            for (var i = 0; i < symbols.Count - 1; i++)
                if (_mergeRanks.TryGetValue((symbols[i], symbols[i + 1]), out var rank) && rank < bestRank)
                    (best, bestRank) = (i, rank);
            if (best < 0)
                break;
            var (left, right) = (symbols[best], symbols[best + 1]);
            var merged = new List<string>(symbols.Count);
            for (var i = 0; i < symbols.Count; i++)
            {
                if (i < symbols.Count - 1 && symbols[i] == left && symbols[i + 1] == right)
                {
                    merged.Add(left + right);
                    i++;
                }
                else
                    merged.Add(symbols[i]);
            }
            symbols = merged;
        }
        return _cache[word] = [.. symbols];
    }

    /// <summary>
    /// GPT-2's reversible map from bytes to printable characters: printable Latin-1 bytes map to
    /// themselves, the others to code points from 256 upwards, so BPE never sees whitespace or controls.
    /// </summary>
    private static string[] BytesToUnicode()
    {
        static bool Printable(int b) => b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';
        var chars = new string[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
            chars[b] = char.ConvertFromUtf32(Printable(b) ? b : next++);
        return chars;
    }
}
