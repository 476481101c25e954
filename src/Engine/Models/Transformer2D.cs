using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>Transformer2DModel</c> with linear projections: a feature map [B, C, H, W] is
/// group-normed (<c>norm</c>), flattened to H·W tokens, projected (<c>proj_in</c>), passed through
/// <c>transformer_blocks.0</c> with the text as context, projected back (<c>proj_out</c>) and added
/// to the input.
/// </summary>
public sealed class Transformer2D : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GroupNorm norm;
    private readonly Linear proj_in;
    private readonly ModuleList<BasicTransformerBlock> transformer_blocks;
    private readonly Linear proj_out;

    /// <summary>A transformer over <paramref name="channels"/> channels in heads of <paramref name="headDim"/>.</summary>
    public Transformer2D(int channels, int contextDim, int headDim, int groups) : base(nameof(Transformer2D))
    {
        if (channels % headDim != 0)
            throw new ArgumentException($"attention_head_dim {headDim} must divide the block's {channels} channels");
        norm = Norms.Group(groups, channels, eps: 1e-6);
        proj_in = nn.Linear(channels, channels);
        transformer_blocks = nn.ModuleList(new BasicTransformerBlock(channels, contextDim, channels / headDim, headDim));
        proj_out = nn.Linear(channels, channels);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor sample, Tensor context)
    {
        using var scope = NewDisposeScope();
        var (batch, channels, height, width) = (sample.shape[0], sample.shape[1], sample.shape[2], sample.shape[3]);
        var tokens = norm.call(sample).permute(0, 2, 3, 1).reshape(batch, height * width, channels);
        tokens = proj_in.call(tokens);
        foreach (var block in transformer_blocks)
            tokens = block.call(tokens, context);
        tokens = proj_out.call(tokens);
        var map = tokens.reshape(batch, height, width, channels).permute(0, 3, 1, 2);
        return (map + sample).MoveToOuterDisposeScope();
    }
}
