using System.Text;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// Teaches a base to read a caption that has words put into it as it read the caption as written:
/// the loss of a <see cref="PretrainObjective.Reading"/> run. A frozen teacher (the base the run
/// started from) reads each caption as written; the student reads it with made-up words put in
/// (<see cref="CaptionNoise"/>) and learns to give the denoiser the same thing. Only the text
/// encoder and the cross-attention keys and values train (<see cref="Trains"/>), so everything the
/// base draws stays the teacher's.
/// </summary>
/// <remarks>
/// Two terms, both distillation (no picture is a target):
/// <list type="bullet">
/// <item>the denoiser's prediction for a noisy picture, student with the shown caption against teacher
/// with the written one (mean squared error);</item>
/// <item>the text encoder's output at each token of the written caption against the student's at the
/// token where that byte went in the shown caption (<see cref="TokenMap"/>), weighted by
/// <see cref="AlignWeight"/>. This dense term is what moves the encoder: the first term alone barely
/// taught the colour of a caption led by "zj," (docs/pretraining.md).</item>
/// </list>
/// </remarks>
public static class ReadingDistillation
{
    /// <summary>Weight of the per-token term against the prediction term (the encoder's outputs are layer-normed, so it starts about 100 times larger).</summary>
    public const double AlignWeight = 0.1;

    /// <summary>Whether the parameter named <paramref name="name"/> (of a <see cref="TinyDiffusionModel"/>) trains in a reading run.</summary>
    public static bool Trains(string name) =>
        name.StartsWith("text_encoder.", StringComparison.Ordinal)
        || name.Contains(".attn2.to_k.", StringComparison.Ordinal)
        || name.Contains(".attn2.to_v.", StringComparison.Ordinal);

    /// <summary>
    /// The loss for clean <paramref name="images"/> [B, 3, H, W] in [0, 1], their captions as
    /// <paramref name="written"/> (what the teacher reads) and as <paramref name="shown"/> to the student
    /// (the same with words put in at one place, or as written).
    /// </summary>
    public static Tensor Loss(TinyDiffusionModel student, TinyDiffusionModel teacher, Tensor images, IReadOnlyList<string> written, IReadOnlyList<string> shown, Generator generator)
    {
        using var scope = NewDisposeScope();
        var device = student.Device;
        var clean = student.ToDenoiserSpace(images);
        var noise = randn(clean.shape, generator: generator).to(device);
        var timesteps = randint(0, teacher.TrainTimesteps, [clean.shape[0]], dtype: int64, generator: generator).to(device);
        var noisy = teacher.Schedule.AddNoise(clean, noise, timesteps);

        Tensor teacherText, target;
        using (no_grad())
        {
            teacherText = teacher.EncodeText(written);
            target = teacher.Predict(noisy, timesteps, teacherText);
        }
        var studentText = student.EncodeText(shown);
        var loss = (student.Predict(noisy, timesteps, studentText) - target).square().mean();

        var length = student.Tokenizer.MaxLength;
        var (from, to) = (new List<long>(), new List<long>());
        for (var b = 0; b < written.Count; b++)
        {
            var map = TokenMap(student.Tokenizer, written[b], shown[b]);
            for (var j = 0; j < map.Length; j++)
                if (map[j] >= 0)
                {
                    from.Add(b * length + j);
                    to.Add(b * length + map[j]);
                }
        }
        var width = studentText.shape[2];
        var taught = teacherText.reshape(-1, width).index_select(0, tensor(from.ToArray(), device: device));
        var read = studentText.reshape(-1, width).index_select(0, tensor(to.ToArray(), device: device));
        return (loss + AlignWeight * (read - taught).square().mean()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// For each token position of <paramref name="written"/> as <paramref name="tokenizer"/> encodes it,
    /// the position of the same token in <paramref name="shown"/> (which is <paramref name="written"/> with
    /// bytes put in at one place), or −1 where it has none (cut off by the encoder's window, or the
    /// caption differs otherwise). BOS maps to BOS; EOS and the padding after it follow the shown caption's end.
    /// </summary>
    public static int[] TokenMap(ByteTokenizer tokenizer, string written, string shown)
    {
        var (w, s) = (Bytes(written), Bytes(shown));
        var (wIds, sIds) = (tokenizer.Encode(written), tokenizer.Encode(shown));
        var (wEnd, sEnd) = (Array.IndexOf(wIds, (long)ByteTokenizer.Eos), Array.IndexOf(sIds, (long)ByteTokenizer.Eos));
        var map = new int[wIds.Length];
        Array.Fill(map, -1);
        // The bytes put in sit between a common start and a common end; the end is matched first, so
        // a put-in word that repeats the next one ("a a large ...") still maps every byte to an equal byte.
        var shift = s.Length - w.Length;
        var suffix = 0;
        while (suffix < w.Length && suffix < s.Length && w[^(suffix + 1)] == s[^(suffix + 1)])
            suffix++;
        var moved = w.Length - suffix;
        if (shift < 0 || !w.AsSpan(0, moved).SequenceEqual(s.AsSpan(0, moved)))
            return map;
        for (var j = 0; j < wIds.Length; j++)
        {
            var m = j == 0 ? 0 : j < wEnd ? (j - 1 < moved ? j : j + shift) : j - wEnd + sEnd;
            var sameKind = j < wEnd ? m < sEnd : m >= sEnd; // a byte maps to a byte, EOS and padding to EOS and padding
            if (m >= 0 && m < sIds.Length && sameKind)
                map[j] = m;
        }
        return map;
    }

    private static byte[] Bytes(string caption) => Encoding.UTF8.GetBytes(caption.Trim().ToLowerInvariant());
}
