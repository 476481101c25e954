using System.Text.Json;

namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// Reads the architecture of a diffusers folder from <c>unet/config.json</c>, <c>text_encoder/config.json</c>
/// and <c>vae/config.json</c>. Fields that are absent keep SD 1.5's values; fields that do not matter for
/// SD 1.x (class embeddings, addition embeddings) are not read.
/// </summary>
public static class DiffusersConfigs
{
    /// <summary>The architecture described in <paramref name="folder"/>.</summary>
    public static StableDiffusionConfig Read(string folder)
    {
        var sd15 = StableDiffusionConfig.Sd15;
        var unet = Open(folder, "unet");
        var text = Open(folder, "text_encoder");
        var vae = Open(folder, "vae");
        return sd15 with
        {
            Unet = sd15.Unet with
            {
                SampleSize = Int(unet, "sample_size") ?? sd15.Unet.SampleSize,
                InChannels = Int(unet, "in_channels") ?? sd15.Unet.InChannels,
                OutChannels = Int(unet, "out_channels") ?? sd15.Unet.OutChannels,
                BlockOutChannels = Ints(unet, "block_out_channels") ?? sd15.Unet.BlockOutChannels,
                DownBlockTypes = Strings(unet, "down_block_types") ?? sd15.Unet.DownBlockTypes,
                UpBlockTypes = Strings(unet, "up_block_types") ?? sd15.Unet.UpBlockTypes,
                LayersPerBlock = Int(unet, "layers_per_block") ?? sd15.Unet.LayersPerBlock,
                CrossAttentionDim = Int(unet, "cross_attention_dim") ?? sd15.Unet.CrossAttentionDim,
                // SD 1.x configs say attention_head_dim but mean heads (diffusers reads it as num_attention_heads).
                NumAttentionHeads = Int(unet, "num_attention_heads") ?? Int(unet, "attention_head_dim") ?? sd15.Unet.NumAttentionHeads,
                NormNumGroups = Int(unet, "norm_num_groups") ?? sd15.Unet.NormNumGroups,
                UseLinearProjection = Bool(unet, "use_linear_projection") ?? sd15.Unet.UseLinearProjection,
            },
            TextEncoder = sd15.TextEncoder with
            {
                VocabSize = Int(text, "vocab_size") ?? sd15.TextEncoder.VocabSize,
                MaxPositionEmbeddings = Int(text, "max_position_embeddings") ?? sd15.TextEncoder.MaxPositionEmbeddings,
                HiddenSize = Int(text, "hidden_size") ?? sd15.TextEncoder.HiddenSize,
                IntermediateSize = Int(text, "intermediate_size") ?? sd15.TextEncoder.IntermediateSize,
                NumHiddenLayers = Int(text, "num_hidden_layers") ?? sd15.TextEncoder.NumHiddenLayers,
                NumAttentionHeads = Int(text, "num_attention_heads") ?? sd15.TextEncoder.NumAttentionHeads,
                HiddenAct = String(text, "hidden_act") ?? sd15.TextEncoder.HiddenAct,
            },
            Vae = sd15.Vae with
            {
                InChannels = Int(vae, "in_channels") ?? sd15.Vae.InChannels,
                OutChannels = Int(vae, "out_channels") ?? sd15.Vae.OutChannels,
                BlockOutChannels = Ints(vae, "block_out_channels") ?? sd15.Vae.BlockOutChannels,
                LayersPerBlock = Int(vae, "layers_per_block") ?? sd15.Vae.LayersPerBlock,
                LatentChannels = Int(vae, "latent_channels") ?? sd15.Vae.LatentChannels,
                NormNumGroups = Int(vae, "norm_num_groups") ?? sd15.Vae.NormNumGroups,
                ScalingFactor = Double(vae, "scaling_factor") ?? sd15.Vae.ScalingFactor,
            },
        };
    }

    private static JsonElement Open(string folder, string part)
    {
        var path = Path.Combine(folder, part, "config.json");
        if (!File.Exists(path))
            throw new FileNotFoundException($"the {part} config is missing: expected {Path.Combine(part, "config.json")} in {folder}", path);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    private static JsonElement? Field(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static int? Int(JsonElement json, string name) => Field(json, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value => value.GetInt32(),
        { } value => throw new InvalidDataException($"config field {name} is {value.GetRawText()}; only a single integer is supported (SD 1.x)"),
    };

    private static double? Double(JsonElement json, string name) => Field(json, name)?.GetDouble();

    private static bool? Bool(JsonElement json, string name) => Field(json, name)?.GetBoolean();

    private static string? String(JsonElement json, string name) => Field(json, name)?.GetString();

    private static int[]? Ints(JsonElement json, string name) => Field(json, name)?.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static string[]? Strings(JsonElement json, string name) => Field(json, name)?.EnumerateArray().Select(e => e.GetString()!).ToArray();
}
