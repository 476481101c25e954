using System.Text.Json;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Models.StableDiffusion;
using LoraNotebooks.Engine.SafeTensors;
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
        File.WriteAllText(Path.Combine(tokenizer, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllLines(Path.Combine(tokenizer, "merges.txt"), ["#version: 0.2", .. merges.Select(m => $"{m.Item1} {m.Item2}")]);
    }

    /// <summary>A diffusers folder: config.json files as diffusers writes them (SD 1.x names), weights, tokenizer.</summary>
    public static void WriteDiffusersFolder(StableDiffusionModel model, string folder, ScalarType unetStoredAs)
    {
        void Write(string part, string weights, object config, TorchSharp.torch.nn.Module module, ScalarType? storeAs = null)
        {
            var dir = Directory.CreateDirectory(Path.Combine(folder, part)).FullName;
            File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config));
            ModuleWeights.Save(module, Path.Combine(dir, weights), storeAs: storeAs);
        }
        var (u, t, v) = (model.Config.Unet, model.Config.TextEncoder, model.Config.Vae);
        Write("unet", "diffusion_pytorch_model.safetensors", new
        {
            sample_size = u.SampleSize, in_channels = u.InChannels, out_channels = u.OutChannels,
            block_out_channels = u.BlockOutChannels, down_block_types = u.DownBlockTypes, up_block_types = u.UpBlockTypes,
            layers_per_block = u.LayersPerBlock, cross_attention_dim = u.CrossAttentionDim, attention_head_dim = u.NumAttentionHeads,
            norm_num_groups = u.NormNumGroups,
        }, model.UNet, unetStoredAs);
        Write("text_encoder", "model.safetensors", new
        {
            vocab_size = t.VocabSize, max_position_embeddings = t.MaxPositionEmbeddings, hidden_size = t.HiddenSize,
            intermediate_size = t.IntermediateSize, num_hidden_layers = t.NumHiddenLayers, num_attention_heads = t.NumAttentionHeads,
            hidden_act = t.HiddenAct,
        }, model.TextEncoder);
        Write("vae", "diffusion_pytorch_model.safetensors", new
        {
            block_out_channels = v.BlockOutChannels, layers_per_block = v.LayersPerBlock, latent_channels = v.LatentChannels,
            norm_num_groups = v.NormNumGroups, scaling_factor = v.ScalingFactor,
        }, model.Vae);
        WriteTokenizer(folder);
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
