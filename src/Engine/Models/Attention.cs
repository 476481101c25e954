using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>Attention</c>: multi-head attention of a query sequence [B, N, query_dim] over a
/// context [B, M, context_dim] (the query itself for self-attention, <c>attn1</c>; the text
/// encoder's hidden states for cross-attention, <c>attn2</c>). Keys <c>to_q</c>, <c>to_k</c>,
/// <c>to_v</c> (no bias in the UNet, biased in the VAE) and <c>to_out.0</c>.
/// </summary>
public sealed class Attention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<Linear> to_out;
    private readonly int _heads;

    /// <summary>Attention with <paramref name="heads"/> heads of width <paramref name="headDim"/>; q, k, v biased when <paramref name="qkvBias"/>.</summary>
    public Attention(int queryDim, int contextDim, int heads, int headDim, bool qkvBias = false) : base(nameof(Attention))
    {
        var inner = heads * headDim;
        to_q = nn.Linear(queryDim, inner, hasBias: qkvBias);
        to_k = nn.Linear(contextDim, inner, hasBias: qkvBias);
        to_v = nn.Linear(contextDim, inner, hasBias: qkvBias);
        to_out = nn.ModuleList(nn.Linear(inner, queryDim));
        _heads = heads;
        RegisterComponents();
    }

    /// <summary>The attended query [B, N, query_dim].</summary>
    public override Tensor forward(Tensor hidden, Tensor context)
    {
        using var scope = NewDisposeScope();
        var attended = MultiHead(to_q.call(hidden), to_k.call(context), to_v.call(context), _heads);
        return to_out[0].call(attended).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Scaled dot-product attention of projected q [B, N, H·d] over k, v [B, M, H·d] split into
    /// <paramref name="heads"/> heads, merged back to [B, N, H·d]. <paramref name="mask"/> is added to
    /// the scores (broadcast to [B, H, N, M]).
    /// </summary>
    internal static Tensor MultiHead(Tensor q, Tensor k, Tensor v, int heads, Tensor? mask = null)
    {
        using var scope = NewDisposeScope();
        var (batch, queries, width) = (q.shape[0], q.shape[1], q.shape[2]);
        Tensor Split(Tensor x) => x.view(batch, x.shape[1], heads, width / heads).transpose(1, 2);
        var attended = nn.functional.scaled_dot_product_attention(Split(q), Split(k), Split(v), mask);
        return attended.transpose(1, 2).reshape(batch, queries, width).MoveToOuterDisposeScope();
    }
}
