using LoraNotebooks.Engine.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>Transformer2DModel</c>: a feature map [B, C, H, W] is group-normed (<c>norm</c>),
/// projected (<c>proj_in</c>), flattened to H·W tokens, passed through <c>transformer_blocks.0</c> with
/// the text as context, projected back (<c>proj_out</c>) and added to the input. The projections are
/// Linear layers on the tokens, or (SD 1.5) 1×1 convolutions on the map: the same maps, other shapes.
/// </summary>
public sealed class Transformer2D : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GroupNorm norm;
    private readonly nn.Module<Tensor, Tensor> proj_in;
    private readonly ModuleList<BasicTransformerBlock> transformer_blocks;
    private readonly nn.Module<Tensor, Tensor> proj_out;
    private readonly bool _linearProjection;

    /// <summary>A transformer over <paramref name="channels"/> channels shaped by <paramref name="config"/>.</summary>
    public Transformer2D(UNetConfig config, int channels) : base(nameof(Transformer2D))
    {
        var heads = config.HeadsFor(channels);
        _linearProjection = config.UseLinearProjection;
        norm = Norms.Group(config.NormNumGroups, channels, eps: 1e-6);
        proj_in = _linearProjection ? nn.Linear(channels, channels) : nn.Conv2d(channels, channels, 1);
        transformer_blocks = nn.ModuleList(new BasicTransformerBlock(channels, config.CrossAttentionDim, heads, channels / heads));
        proj_out = _linearProjection ? nn.Linear(channels, channels) : nn.Conv2d(channels, channels, 1);
        RegisterComponents();
    }

    /// <summary>
    /// When true (and gradients are being recorded), each transformer block's activations are dropped
    /// after the forward pass and recomputed in the backward pass (<see cref="GradientCheckpoint"/>).
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor sample, Tensor context)
    {
        using var scope = NewDisposeScope();
        var (batch, channels, height, width) = (sample.shape[0], sample.shape[1], sample.shape[2], sample.shape[3]);
        var normed = norm.call(sample);
        Tensor ToTokens(Tensor map) => map.permute(0, 2, 3, 1).reshape(batch, height * width, channels);
        Tensor ToMap(Tensor tokens) => tokens.reshape(batch, height, width, channels).permute(0, 3, 1, 2);

        var hidden = _linearProjection ? proj_in.call(ToTokens(normed)) : ToTokens(proj_in.call(normed));
        foreach (var block in transformer_blocks)
            hidden = GradientCheckpointing && is_grad_enabled() ? GradientCheckpoint.Run(block, hidden, context) : block.call(hidden, context);
        var map = _linearProjection ? ToMap(proj_out.call(hidden)) : proj_out.call(ToMap(hidden).contiguous());
        return ScalarMath.Plus(map, sample).MoveToOuterDisposeScope();
    }
}
