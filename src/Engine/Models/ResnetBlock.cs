using LoraNotebooks.Engine.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>ResnetBlock2D</c>: <c>norm1</c>, SiLU, <c>conv1</c>, plus the timestep embedding
/// through <c>time_emb_proj</c>, then <c>norm2</c>, SiLU, <c>conv2</c>, added to the input (through a
/// 1×1 <c>conv_shortcut</c> when the channel count changes).
/// Inputs: features [B, in, H, W] and the timestep embedding [B, temb]. A block built without
/// timestep channels (the VAE's) has no <c>time_emb_proj</c> and takes null for the embedding.
/// </summary>
public sealed class ResnetBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly Linear? time_emb_proj;
    private readonly GroupNorm norm2;
    private readonly Conv2d conv2;
    private readonly Conv2d? conv_shortcut;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/>; GroupNorms with <paramref name="eps"/>.</summary>
    public ResnetBlock(int inChannels, int outChannels, int? tembChannels, int groups, double eps = 1e-5) : base(nameof(ResnetBlock))
    {
        norm1 = Norms.Group(groups, inChannels, eps);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1);
        time_emb_proj = tembChannels is { } temb ? nn.Linear(temb, outChannels) : null;
        norm2 = Norms.Group(groups, outChannels, eps);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1);
        conv_shortcut = inChannels == outChannels ? null : nn.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor sample, Tensor temb)
    {
        using var scope = NewDisposeScope();
        var hidden = conv1.call(nn.functional.silu(norm1.call(sample)));
        if (time_emb_proj is not null)
            hidden = ScalarMath.Plus(hidden, time_emb_proj.call(nn.functional.silu(temb)).unsqueeze(-1).unsqueeze(-1));
        hidden = conv2.call(nn.functional.silu(norm2.call(hidden)));
        var shortcut = conv_shortcut is null ? sample : conv_shortcut.call(sample);
        return ScalarMath.Plus(shortcut, hidden).MoveToOuterDisposeScope();
    }
}
