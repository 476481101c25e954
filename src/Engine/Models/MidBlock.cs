using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>UNetMidBlock2DCrossAttn</c> at the deepest level: <c>resnets.0</c>,
/// <c>attentions.0</c>, <c>resnets.1</c>.
/// </summary>
public sealed class MidBlock : nn.Module
{
    private readonly ModuleList<ResnetBlock> resnets;
    private readonly ModuleList<Transformer2D> attentions;

    /// <summary>A middle block over <paramref name="channels"/> channels.</summary>
    public MidBlock(UNetConfig config, int channels) : base(nameof(MidBlock))
    {
        var temb = config.BlockOutChannels[0] * 4;
        resnets = nn.ModuleList(
            new ResnetBlock(channels, channels, temb, config.NormNumGroups),
            new ResnetBlock(channels, channels, temb, config.NormNumGroups));
        attentions = nn.ModuleList(new Transformer2D(config, channels));
        RegisterComponents();
    }

    /// <summary>The block's output; runs in the caller's dispose scope.</summary>
    public Tensor Forward(Tensor sample, Tensor temb, Tensor context)
    {
        sample = resnets[0].call(sample, temb);
        sample = attentions[0].call(sample, context);
        return resnets[1].call(sample, temb);
    }
}
