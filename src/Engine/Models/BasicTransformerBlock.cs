using LoraNotebooks.Engine.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>BasicTransformerBlock</c>: self-attention (<c>attn1</c>), cross-attention over the
/// text (<c>attn2</c>) and a GEGLU feed-forward (<c>ff</c>), each pre-normed (<c>norm1..3</c>) and residual.
/// Inputs: tokens [B, N, dim] and text hidden states [B, L, context_dim].
/// </summary>
public sealed class BasicTransformerBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly Attention attn1;
    private readonly LayerNorm norm2;
    private readonly Attention attn2;
    private readonly LayerNorm norm3;
    private readonly FeedForward ff;

    /// <summary>A block of width <paramref name="dim"/> = heads · headDim.</summary>
    public BasicTransformerBlock(int dim, int contextDim, int heads, int headDim) : base(nameof(BasicTransformerBlock))
    {
        norm1 = Norms.Layer(dim);
        attn1 = new Attention(dim, dim, heads, headDim);
        norm2 = Norms.Layer(dim);
        attn2 = new Attention(dim, contextDim, heads, headDim);
        norm3 = Norms.Layer(dim);
        ff = new FeedForward(dim);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, Tensor context)
    {
        using var scope = NewDisposeScope();
        var normed = norm1.call(hidden);
        hidden = ScalarMath.Plus(hidden, attn1.call(normed, normed));
        hidden = ScalarMath.Plus(hidden, attn2.call(norm2.call(hidden), context));
        hidden = ScalarMath.Plus(hidden, ff.call(norm3.call(hidden)));
        return hidden.MoveToOuterDisposeScope();
    }
}
