using System.Text;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// Turns text into byte-level token ids: the UTF-8 bytes (ids 0-255) between BOS and EOS, padded
/// with PAD to a fixed length. Every string has an encoding, so a trigger word the model never saw
/// (say <c>"zxqv"</c>) still reaches the text encoder as its own characters. Text is trimmed and
/// lower-cased first, so the small model need not learn capitals as separate letters.
/// </summary>
public sealed class ByteTokenizer
{
    /// <summary>Beginning of text.</summary>
    public const int Bos = 256;

    /// <summary>End of text.</summary>
    public const int Eos = 257;

    /// <summary>Padding after EOS.</summary>
    public const int Pad = 258;

    /// <summary>The number of distinct ids: 256 bytes and three specials.</summary>
    public const int VocabSize = 259;

    /// <summary>A tokenizer producing sequences of <paramref name="maxLength"/> ids (BOS and EOS included).</summary>
    public ByteTokenizer(int maxLength)
    {
        if (maxLength < 3)
            throw new ArgumentException($"a token sequence needs room for BOS, EOS and one byte; max length {maxLength} is too short");
        MaxLength = maxLength;
    }

    /// <summary>The length of every encoded sequence.</summary>
    public int MaxLength { get; }

    /// <summary>The ids of <paramref name="text"/>; bytes beyond <see cref="MaxLength"/> - 2 are cut off.</summary>
    public long[] Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text.Trim().ToLowerInvariant());
        var length = Math.Min(bytes.Length, MaxLength - 2);
        var ids = new long[MaxLength];
        ids[0] = Bos;
        for (var i = 0; i < length; i++)
            ids[i + 1] = bytes[i];
        ids[length + 1] = Eos;
        Array.Fill(ids, Pad, length + 2, MaxLength - length - 2);
        return ids;
    }

    /// <summary>A batch of encodings as an int64 tensor [texts.Count, MaxLength].</summary>
    public Tensor Encode(IReadOnlyList<string> texts, Device? device = null)
    {
        var ids = new long[texts.Count * MaxLength];
        for (var i = 0; i < texts.Count; i++)
            Encode(texts[i]).CopyTo(ids, i * MaxLength);
        return tensor(ids, [texts.Count, MaxLength], device: device);
    }

    /// <summary>The text of <paramref name="ids"/> (specials dropped); the inverse of <see cref="Encode(string)"/> up to trimming, case and cut-off.</summary>
    public static string Decode(IEnumerable<long> ids) =>
        Encoding.UTF8.GetString(ids.TakeWhile(id => id != Eos).Where(id => id < 256).Select(id => (byte)id).ToArray());
}
