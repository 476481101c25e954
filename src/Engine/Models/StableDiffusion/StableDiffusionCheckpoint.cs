using LoraNotebooks.Engine.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// Loads Stable Diffusion 1.x weights in the two layouts users have, and saves the single-file one:
/// <list type="bullet">
/// <item>a diffusers folder: <c>unet/</c>, <c>text_encoder/</c>, <c>vae/</c> (each a <c>config.json</c> and
/// a safetensors file) and <c>tokenizer/</c> (<c>vocab.json</c>, <c>merges.txt</c>);</item>
/// <item>a single <c>*.safetensors</c> checkpoint with original keys (<see cref="OriginalKeys"/>), with
/// the CLIP tokenizer files in a <c>tokenizer/</c> folder beside it (or given).</item>
/// </list>
/// Every key and shape is checked before anything is copied. Weights stored in fp16/bf16 are cast to
/// the requested dtype (default fp32, the only sensible choice on a CPU).
/// </summary>
public static class StableDiffusionCheckpoint
{
    private static readonly string[] UNetFiles = ["diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"];
    private static readonly string[] TextEncoderFiles = ["model.safetensors", "model.fp16.safetensors"];

    /// <summary>True for keys that hold no weights: CLIP's <c>position_ids</c> buffer (saved by older transformers).</summary>
    private static bool IsPositionIds(string key) => key.EndsWith("embeddings.position_ids", StringComparison.Ordinal);

    /// <summary>Loads a diffusers folder; the architecture comes from its config.json files.</summary>
    public static StableDiffusionModel LoadFolder(string folder, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"no Stable Diffusion folder at {folder}");
        var config = DiffusersConfigs.Read(folder);
        var model = Create(config, ClipTokenizer.Load(Path.Combine(folder, "tokenizer"), config.TextEncoder.MaxPositionEmbeddings), dtype);
        LoadPart(model.UNet, "UNet", FindFile(folder, "unet", UNetFiles));
        LoadPart(model.TextEncoder, "text encoder", FindFile(folder, "text_encoder", TextEncoderFiles));
        LoadPart(model.Vae, "VAE", FindFile(folder, "vae", UNetFiles));
        return Finish(model, device);
    }

    /// <summary>
    /// Loads a single-file checkpoint with original keys, of architecture <paramref name="config"/>
    /// (default: the file's <see cref="StableDiffusionConfig.MetadataKey"/> entry, else SD 1.5). The tokenizer files come from <paramref name="tokenizerFolder"/>, by default
    /// <c>tokenizer/</c> beside the file. EMA weights (<c>model_ema.*</c>) and schedule buffers are ignored.
    /// </summary>
    public static StableDiffusionModel LoadSingleFile(string path, StableDiffusionConfig? config = null, string? tokenizerFolder = null,
        ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        tokenizerFolder ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer");
        using var file = SafeTensorsFile.Open(path);
        config ??= ConfigOf(file);
        var model = Create(config, ClipTokenizer.Load(tokenizerFolder, config.TextEncoder.MaxPositionEmbeddings), dtype);
        CheckpointWeights.Load(model.UNet, "UNet", file, path, k => OriginalKeys.UNetPrefix + OriginalKeys.UNet(k, config.Unet), OriginalKeys.UNetPrefix);
        CheckpointWeights.Load(model.TextEncoder, "text encoder", file, path, k => TextEncoderKey(file, k), OriginalKeys.TextEncoderPrefix, IsPositionIds);
        CheckpointWeights.Load(model.Vae, "VAE", file, path, k => OriginalKeys.VaePrefix + OriginalKeys.Vae(k, config.Vae), OriginalKeys.VaePrefix);
        return Finish(model, device);
    }

    /// <summary>
    /// Writes <paramref name="model"/>'s weights as a single-file checkpoint with original keys (what
    /// A1111 and ComfyUI load, and <see cref="LoadSingleFile"/> reads back), in their current dtype, with
    /// the architecture in the <see cref="StableDiffusionConfig.MetadataKey"/> metadata entry.
    /// </summary>
    public static void SaveSingleFile(StableDiffusionModel model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var config = model.Config;
        var tensors = new List<TensorData>();
        foreach (var (key, value) in model.UNet.state_dict())
            tensors.Add(SafeTensorsTorch.ToTensorData(OriginalKeys.UNetPrefix + OriginalKeys.UNet(key, config.Unet), value));
        foreach (var (key, value) in model.TextEncoder.state_dict())
            tensors.Add(SafeTensorsTorch.ToTensorData(OriginalKeys.TextEncoderPrefix + key, value));
        foreach (var (key, value) in model.Vae.state_dict())
        {
            using var stored = OriginalKeys.IsVaeConvAttentionWeight(key) ? value.reshape(value.shape[0], value.shape[1], 1, 1) : value.alias();
            tensors.Add(SafeTensorsTorch.ToTensorData(OriginalKeys.VaePrefix + OriginalKeys.Vae(key, config.Vae), stored));
        }
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { [StableDiffusionConfig.MetadataKey] = config.ToJson() };
        SafeTensorsWriter.Write(path, tensors, meta);
    }

    /// <summary>The architecture a single-file checkpoint names in its metadata, else SD 1.5.</summary>
    public static StableDiffusionConfig ConfigOf(SafeTensorsFile file) =>
        file.Metadata.TryGetValue(StableDiffusionConfig.MetadataKey, out var json) ? StableDiffusionConfig.FromJson(json) : StableDiffusionConfig.Sd15;

    /// <summary>True when <paramref name="file"/> holds original-layout SD weights (<c>model.diffusion_model.*</c> keys).</summary>
    public static bool IsSingleFile(SafeTensorsFile file) => file.Tensors.Keys.Any(k => k.StartsWith(OriginalKeys.UNetPrefix, StringComparison.Ordinal));

    /// <summary>The file key of a text encoder key; some checkpoints omit <c>text_model.</c> (older transformers).</summary>
    private static string TextEncoderKey(SafeTensorsFile file, string key)
    {
        var full = OriginalKeys.TextEncoderPrefix + key;
        const string textModel = "text_model.";
        var legacy = OriginalKeys.TextEncoderPrefix + key[textModel.Length..];
        return !file.Tensors.ContainsKey(full) && key.StartsWith(textModel, StringComparison.Ordinal) && file.Tensors.ContainsKey(legacy) ? legacy : full;
    }

    private static StableDiffusionModel Create(StableDiffusionConfig config, ClipTokenizer tokenizer, ScalarType dtype)
    {
        var model = new StableDiffusionModel(config, tokenizer);
        if (dtype != ScalarType.Float32)
            model.CastWeights(dtype);
        return model;
    }

    private static StableDiffusionModel Finish(StableDiffusionModel model, Device? device)
    {
        if (device is not null)
            model.to(device);
        model.eval();
        return model;
    }

    private static void LoadPart(nn.Module module, string partName, string path)
    {
        using var file = SafeTensorsFile.Open(path);
        CheckpointWeights.Load(module, partName, file, path, k => k, "", IsPositionIds);
    }

    private static string FindFile(string folder, string part, string[] names)
    {
        foreach (var name in names)
        {
            var path = Path.Combine(folder, part, name);
            if (File.Exists(path))
                return path;
        }
        throw new FileNotFoundException($"the {part} weights are missing: expected {string.Join(" or ", names.Select(n => Path.Combine(part, n)))} in {folder} (only .safetensors is read)");
    }
}
