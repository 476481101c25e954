using LoraNotebooks.Engine.Models.StableDiffusion;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.StableDiffusion;

/// <summary>Tiny Stable Diffusion models, tokenizers and checkpoint folders for tests.</summary>
public static class TinyStableDiffusion
{
    /// <summary>The CLIP tokenizer files: letters, letters ending a word, a few merges, the two specials.</summary>
    public static (Dictionary<string, int> Vocab, List<(string, string)> Merges) TokenizerFiles()
    {
        var tokens = new List<string>();
        for (var c = 'a'; c <= 'z'; c++)
            tokens.Add(c.ToString());
        for (var c = 'a'; c <= 'z'; c++)
            tokens.Add(c + "</w>");
        var merges = new List<(string, string)> { ("c", "a"), ("ca", "t</w>"), ("o", "g</w>"), ("d", "og</w>") };
        tokens.AddRange(merges.Select(m => m.Item1 + m.Item2));
        tokens.Add(ClipTokenizer.StartOfText);
        tokens.Add(ClipTokenizer.EndOfText);
        return (tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i), merges);
    }

    /// <summary>A tokenizer over <see cref="TokenizerFiles"/> for the tiny text encoder's 16 positions.</summary>
    public static ClipTokenizer Tokenizer()
    {
        var (vocab, merges) = TokenizerFiles();
        return new ClipTokenizer(vocab, merges, StableDiffusionConfig.Tiny.TextEncoder.MaxPositionEmbeddings);
    }

    /// <summary>A tiny model with random weights from <paramref name="seed"/>.</summary>
    public static StableDiffusionModel Model(long seed = 1)
    {
        manual_seed(seed);
        return new StableDiffusionModel(StableDiffusionConfig.Tiny, Tokenizer());
    }

    /// <summary>Writes <c>tokenizer/vocab.json</c> and <c>tokenizer/merges.txt</c> under <paramref name="folder"/>.</summary>
    public static void WriteTokenizer(string folder)
    {
        var (vocab, merges) = TokenizerFiles();
        var tokenizer = Directory.CreateDirectory(Path.Combine(folder, "tokenizer")).FullName;
        File.WriteAllText(Path.Combine(tokenizer, "vocab.json"), System.Text.Json.JsonSerializer.Serialize(vocab));
        File.WriteAllLines(Path.Combine(tokenizer, "merges.txt"), ["#version: 0.2", .. merges.Select(m => $"{m.Item1} {m.Item2}")]);
    }

    /// <summary>A fresh temporary folder.</summary>
    public static string TempFolder() => Directory.CreateTempSubdirectory("lora-sd-").FullName;

    /// <summary>Random images [B, 3, 16, 16] in [0, 1].</summary>
    public static Tensor Images(int batch, long seed = 7)
    {
        using var generator = new Generator((ulong)seed);
        return rand([batch, 3, 16, 16], generator: generator);
    }
}
