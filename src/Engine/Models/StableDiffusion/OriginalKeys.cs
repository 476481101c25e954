namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// Where each diffusers key lives in an original-layout (CompVis / A1111 / ComfyUI) single-file
/// checkpoint: <c>model.diffusion_model.*</c> (UNet), <c>cond_stage_model.transformer.*</c> (CLIP),
/// <c>first_stage_model.*</c> (VAE). The rules are those of kohya's <c>library/model_util.py</c>
/// (<c>convert_unet_state_dict_to_sd</c>, <c>convert_vae_state_dict</c>) and diffusers'
/// <c>convert_from_ckpt</c>, generalised from SD 1.5's four levels to any config.
/// </summary>
public static class OriginalKeys
{
    /// <summary>The UNet's prefix in a single-file checkpoint.</summary>
    public const string UNetPrefix = "model.diffusion_model.";

    /// <summary>The text encoder's prefix in a single-file checkpoint.</summary>
    public const string TextEncoderPrefix = "cond_stage_model.transformer.";

    /// <summary>The VAE's prefix in a single-file checkpoint.</summary>
    public const string VaePrefix = "first_stage_model.";

    private static readonly (string Diffusers, string Original)[] UNetFixed =
    [
        ("time_embedding.linear_1.", "time_embed.0."),
        ("time_embedding.linear_2.", "time_embed.2."),
        ("conv_in.", "input_blocks.0.0."),
        ("conv_norm_out.", "out.0."),
        ("conv_out.", "out.2."),
    ];

    private static readonly (string Diffusers, string Original)[] UNetResnet =
    [
        ("norm1.", "in_layers.0."),
        ("conv1.", "in_layers.2."),
        ("norm2.", "out_layers.0."),
        ("conv2.", "out_layers.3."),
        ("time_emb_proj.", "emb_layers.1."),
        ("conv_shortcut.", "skip_connection."),
    ];

    private static readonly (string Diffusers, string Original)[] VaeAttention =
    [
        ("group_norm.", "norm."),
        ("to_q.", "q."),
        ("to_k.", "k."),
        ("to_v.", "v."),
        ("to_out.0.", "proj_out."),
    ];

    /// <summary>
    /// The original key of UNet key <paramref name="key"/> (without <see cref="UNetPrefix"/>), e.g.
    /// <c>down_blocks.1.resnets.0.norm1.weight</c> → <c>input_blocks.4.0.in_layers.0.weight</c>.
    /// </summary>
    public static string UNet(string key, UNetConfig config)
    {
        foreach (var (diffusers, original) in UNetFixed)
            if (key.StartsWith(diffusers, StringComparison.Ordinal))
                return original + key[diffusers.Length..];
        foreach (var (diffusers, original, resnet) in UNetBlockPrefixes(config))
            if (key.StartsWith(diffusers, StringComparison.Ordinal))
                return original + (resnet ? Rename(key[diffusers.Length..], UNetResnet) : key[diffusers.Length..]);
        throw new ArgumentException($"no original-layout key is known for UNet key '{key}'");
    }

    /// <summary>
    /// The original key of VAE key <paramref name="key"/> (without <see cref="VaePrefix"/>), e.g.
    /// <c>decoder.up_blocks.0.resnets.2.conv1.weight</c> → <c>decoder.up.3.block.2.conv1.weight</c>.
    /// </summary>
    public static string Vae(string key, VaeConfig config)
    {
        var levels = config.BlockOutChannels.Count;
        var parts = key.Split('.');
        string Rest(int from) => string.Join('.', parts[from..]);
        return parts switch
        {
            [var side, "down_blocks", var i, "resnets", var j, ..] => $"{side}.down.{i}.block.{j}.{Rename(Rest(5), UNetResnetOfVae)}",
            [var side, "down_blocks", var i, "downsamplers", "0", ..] => $"{side}.down.{i}.downsample.{Rest(5)}",
            [var side, "up_blocks", var i, "resnets", var j, ..] => $"{side}.up.{levels - 1 - int.Parse(i)}.block.{j}.{Rename(Rest(5), UNetResnetOfVae)}",
            [var side, "up_blocks", var i, "upsamplers", "0", ..] => $"{side}.up.{levels - 1 - int.Parse(i)}.upsample.{Rest(5)}",
            [var side, "mid_block", "resnets", var j, ..] => $"{side}.mid.block_{int.Parse(j) + 1}.{Rename(Rest(4), UNetResnetOfVae)}",
            [var side, "mid_block", "attentions", "0", ..] => $"{side}.mid.attn_1.{Rename(Rest(4), VaeAttention)}",
            [var side, "conv_norm_out", ..] => $"{side}.norm_out.{Rest(2)}",
            _ => key,
        };
    }

    /// <summary>True for VAE keys stored as 1×1 convolutions in the original layout (the middle attention's q, k, v, proj_out weights).</summary>
    public static bool IsVaeConvAttentionWeight(string key) =>
        key.Contains(".mid_block.attentions.0.", StringComparison.Ordinal) && key.EndsWith(".weight", StringComparison.Ordinal) && !key.Contains(".group_norm.", StringComparison.Ordinal);

    private static readonly (string Diffusers, string Original)[] UNetResnetOfVae = [("conv_shortcut.", "nin_shortcut.")];

    private static string Rename(string rest, (string Diffusers, string Original)[] table)
    {
        foreach (var (diffusers, original) in table)
            if (rest.StartsWith(diffusers, StringComparison.Ordinal))
                return original + rest[diffusers.Length..];
        return rest;
    }

    /// <summary>
    /// The block prefixes: ResNet j of down block i is <c>input_blocks.{(L+1)·i + j + 1}.0</c>, its
    /// transformer <c>….1</c>, the downsampler <c>input_blocks.{(L+1)·(i+1)}.0.op</c>; up block i's
    /// layer j is <c>output_blocks.{(L+1)·i + j}</c>, its upsampler after the ResNet (and transformer).
    /// </summary>
    private static IEnumerable<(string Diffusers, string Original, bool Resnet)> UNetBlockPrefixes(UNetConfig config)
    {
        var stride = config.LayersPerBlock + 1;
        var levels = config.BlockOutChannels.Count;
        for (var i = 0; i < levels; i++)
        {
            for (var j = 0; j < config.LayersPerBlock; j++)
            {
                yield return ($"down_blocks.{i}.resnets.{j}.", $"input_blocks.{stride * i + j + 1}.0.", true);
                yield return ($"down_blocks.{i}.attentions.{j}.", $"input_blocks.{stride * i + j + 1}.1.", false);
            }
            yield return ($"down_blocks.{i}.downsamplers.0.conv.", $"input_blocks.{stride * (i + 1)}.0.op.", false);
            for (var j = 0; j < stride; j++)
            {
                yield return ($"up_blocks.{i}.resnets.{j}.", $"output_blocks.{stride * i + j}.0.", true);
                yield return ($"up_blocks.{i}.attentions.{j}.", $"output_blocks.{stride * i + j}.1.", false);
            }
            var upsamplerIndex = config.UpBlockTypes[i] == UNetConfig.CrossAttnUpBlock ? 2 : 1;
            yield return ($"up_blocks.{i}.upsamplers.0.", $"output_blocks.{stride * i + stride - 1}.{upsamplerIndex}.", false);
        }
        yield return ("mid_block.resnets.0.", "middle_block.0.", true);
        yield return ("mid_block.attentions.0.", "middle_block.1.", false);
        yield return ("mid_block.resnets.1.", "middle_block.2.", true);
    }
}
