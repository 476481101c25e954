using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>UpBlock2D</c> / <c>CrossAttnUpBlock2D</c>: layers_per_block + 1 <c>resnets</c>, each
/// taking the previous output concatenated with one skip connection (newest first), each followed by
/// a <see cref="Transformer2D"/> when the block has attention, then <c>upsamplers.0</c> unless it is
/// the last (full-resolution) block.
/// </summary>
public sealed class UpBlock : nn.Module
{
    private readonly ModuleList<ResnetBlock> resnets;
    private readonly ModuleList<Transformer2D> attentions;
    private readonly ModuleList<Upsample2D> upsamplers;

    /// <summary>
    /// A block producing <paramref name="outChannels"/> from the previous block's
    /// <paramref name="prevOutChannels"/>; its last skip comes from a level with <paramref name="inChannels"/>.
    /// </summary>
    public UpBlock(UNetConfig config, int inChannels, int outChannels, int prevOutChannels, bool attention, bool upsample) : base(nameof(UpBlock))
    {
        var temb = config.BlockOutChannels[0] * 4;
        var layers = config.LayersPerBlock + 1;
        resnets = nn.ModuleList(Enumerable.Range(0, layers).Select(i =>
        {
            var skipChannels = i == layers - 1 ? inChannels : outChannels;
            var resnetIn = i == 0 ? prevOutChannels : outChannels;
            return new ResnetBlock(resnetIn + skipChannels, outChannels, temb, config.NormNumGroups);
        }).ToArray());
        attentions = nn.ModuleList(attention
            ? Enumerable.Range(0, layers)
                .Select(_ => new Transformer2D(config, outChannels)).ToArray()
            : []);
        upsamplers = nn.ModuleList(upsample ? [new Upsample2D(outChannels)] : Array.Empty<Upsample2D>());
        RegisterComponents();
    }

    /// <summary>The block's output; takes its skip connections off the end of <paramref name="skips"/>. Runs in the caller's dispose scope.</summary>
    public Tensor Forward(Tensor sample, Tensor temb, Tensor context, List<Tensor> skips)
    {
        for (var i = 0; i < resnets.Count; i++)
        {
            var skip = skips[^1];
            skips.RemoveAt(skips.Count - 1);
            sample = resnets[i].call(cat([sample, skip], 1), temb);
            if (attentions.Count > 0)
                sample = attentions[i].call(sample, context);
        }
        return upsamplers.Count > 0 ? upsamplers[0].call(sample) : sample;
    }
}
