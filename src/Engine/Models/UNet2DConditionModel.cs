using LoraNotebooks.Engine.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' UNet2DConditionModel, so its keys (and kohya's adapter names) are the familiar ones:
/// <c>conv_in</c>, <c>time_embedding</c>, <c>down_blocks</c>, <c>mid_block</c>, <c>up_blocks</c>,
/// <c>conv_norm_out</c>, <c>conv_out</c>. A noisy sample [B, in_channels, H, W] (pixels for the
/// built-in base, VAE latents for Stable Diffusion), timesteps [B] and text hidden states
/// [B, L, cross_attention_dim] give a prediction [B, out_channels, H, W]. With
/// <c>addition_embed_type</c> "text", an <c>add_embedding</c> adds the pooled text to the timestep embedding.
/// </summary>
public sealed class UNet2DConditionModel : nn.Module
{
    private readonly Conv2d conv_in;
    private readonly TimestepEmbedding time_embedding;
    private readonly TextTimeEmbedding? add_embedding;
    private readonly ModuleList<DownBlock> down_blocks;
    private readonly MidBlock mid_block;
    private readonly ModuleList<UpBlock> up_blocks;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;

    /// <summary>A UNet with fresh weights shaped by <paramref name="config"/>.</summary>
    public UNet2DConditionModel(UNetConfig config) : base(nameof(UNet2DConditionModel))
    {
        config.Validate();
        Config = config;
        var channels = config.BlockOutChannels;
        var levels = channels.Count;
        conv_in = nn.Conv2d(config.InChannels, channels[0], 3, padding: 1);
        time_embedding = new TimestepEmbedding(channels[0], channels[0] * 4);
        if (config.AdditionEmbedType == UNetConfig.TextAddition)
            add_embedding = new TextTimeEmbedding(config.CrossAttentionDim, channels[0] * 4, config.AdditionEmbedTypeNumHeads);

        down_blocks = nn.ModuleList(Enumerable.Range(0, levels).Select(i => new DownBlock(
            config, i == 0 ? channels[0] : channels[i - 1], channels[i],
            attention: config.DownBlockTypes[i] == UNetConfig.CrossAttnDownBlock, downsample: i < levels - 1)).ToArray());
        mid_block = new MidBlock(config, channels[^1]);
        up_blocks = nn.ModuleList(Enumerable.Range(0, levels).Select(i =>
        {
            var level = levels - 1 - i;
            return new UpBlock(config,
                inChannels: channels[Math.Max(level - 1, 0)], outChannels: channels[level],
                prevOutChannels: channels[Math.Min(level + 1, levels - 1)],
                attention: config.UpBlockTypes[i] == UNetConfig.CrossAttnUpBlock, upsample: i < levels - 1);
        }).ToArray());

        conv_norm_out = Norms.Group(config.NormNumGroups, channels[0]);
        conv_out = nn.Conv2d(channels[0], config.OutChannels, 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>The shape of this UNet.</summary>
    public UNetConfig Config { get; }

    /// <summary>Recompute every transformer block in the backward pass instead of keeping its activations (see <see cref="GradientCheckpoint"/>).</summary>
    public bool GradientCheckpointing
    {
        get => modules().OfType<Transformer2D>().Any(t => t.GradientCheckpointing);
        set
        {
            foreach (var transformer in modules().OfType<Transformer2D>())
                transformer.GradientCheckpointing = value;
        }
    }

    /// <summary>The prediction [B, out_channels, H, W] for a noisy <paramref name="sample"/> at <paramref name="timesteps"/> given the text <paramref name="context"/>.</summary>
    public Tensor Forward(Tensor sample, Tensor timesteps, Tensor context)
    {
        using var scope = NewDisposeScope();
        var temb = time_embedding.call(timesteps);
        if (add_embedding is not null)
            temb = ScalarMath.Plus(temb, add_embedding.call(context));
        var hidden = conv_in.call(sample);
        var skips = new List<Tensor> { hidden };
        foreach (var block in down_blocks)
            hidden = block.Forward(hidden, temb, context, skips);
        hidden = mid_block.Forward(hidden, temb, context);
        foreach (var block in up_blocks)
            hidden = block.Forward(hidden, temb, context, skips);
        hidden = conv_out.call(nn.functional.silu(conv_norm_out.call(hidden)));
        return hidden.MoveToOuterDisposeScope();
    }
}
