using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>DownBlock2D</c> / <c>CrossAttnDownBlock2D</c>: <c>resnets</c>, each followed by a
/// <see cref="Transformer2D"/> in <c>attentions</c> when the block has attention, then a
/// <c>downsamplers.0</c> unless it is the deepest level. Every intermediate result is kept as a
/// skip connection for the matching up block.
/// </summary>
public sealed class DownBlock : nn.Module
{
    private readonly ModuleList<ResnetBlock> resnets;
    private readonly ModuleList<Transformer2D> attentions;
    private readonly ModuleList<Downsample2D> downsamplers;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public DownBlock(UNetConfig config, int inChannels, int outChannels, bool attention, bool downsample) : base(nameof(DownBlock))
    {
        var temb = config.BlockOutChannels[0] * 4;
        resnets = nn.ModuleList(Enumerable.Range(0, config.LayersPerBlock)
            .Select(i => new ResnetBlock(i == 0 ? inChannels : outChannels, outChannels, temb, config.NormNumGroups)).ToArray());
        attentions = nn.ModuleList(attention
            ? Enumerable.Range(0, config.LayersPerBlock)
                .Select(_ => new Transformer2D(config, outChannels)).ToArray()
            : []);
        downsamplers = nn.ModuleList(downsample ? [new Downsample2D(outChannels)] : Array.Empty<Downsample2D>());
        RegisterComponents();
    }

    /// <summary>
    /// The block's output; appends its skip connections to <paramref name="skips"/>. Runs in the
    /// caller's dispose scope (the skips must outlive this call).
    /// </summary>
    public Tensor Forward(Tensor sample, Tensor temb, Tensor context, List<Tensor> skips)
    {
        for (var i = 0; i < resnets.Count; i++)
        {
            sample = resnets[i].call(sample, temb);
            if (attentions.Count > 0)
                sample = attentions[i].call(sample, context);
            skips.Add(sample);
        }
        if (downsamplers.Count > 0)
        {
            sample = downsamplers[0].call(sample);
            skips.Add(sample);
        }
        return sample;
    }
}
