using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// diffusers' <c>DownEncoderBlock2D</c>: <c>resnets</c> without timestep input, then
/// <c>downsamplers.0</c> (padded right and bottom only) unless it is the deepest level.
/// </summary>
public sealed class VaeDownBlock : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ResnetBlock> resnets;
    private readonly ModuleList<Downsample2D> downsamplers;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public VaeDownBlock(VaeConfig config, int inChannels, int outChannels, bool downsample) : base(nameof(VaeDownBlock))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, config.LayersPerBlock)
            .Select(i => new ResnetBlock(i == 0 ? inChannels : outChannels, outChannels, null, config.NormNumGroups, AutoencoderKL.NormEps)).ToArray());
        downsamplers = nn.ModuleList(downsample ? [new Downsample2D(outChannels, padRightBottom: true)] : Array.Empty<Downsample2D>());
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor sample)
    {
        using var scope = NewDisposeScope();
        foreach (var resnet in resnets)
            sample = resnet.call(sample, null!);
        foreach (var downsampler in downsamplers)
            sample = downsampler.call(sample);
        return sample.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// diffusers' <c>UpDecoderBlock2D</c>: layers_per_block + 1 <c>resnets</c> (no skip connections in a
/// VAE), then <c>upsamplers.0</c> unless it is the last (full-resolution) block.
/// </summary>
public sealed class VaeUpBlock : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ResnetBlock> resnets;
    private readonly ModuleList<Upsample2D> upsamplers;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public VaeUpBlock(VaeConfig config, int inChannels, int outChannels, bool upsample) : base(nameof(VaeUpBlock))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, config.LayersPerBlock + 1)
            .Select(i => new ResnetBlock(i == 0 ? inChannels : outChannels, outChannels, null, config.NormNumGroups, AutoencoderKL.NormEps)).ToArray());
        upsamplers = nn.ModuleList(upsample ? [new Upsample2D(outChannels)] : Array.Empty<Upsample2D>());
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor sample)
    {
        using var scope = NewDisposeScope();
        foreach (var resnet in resnets)
            sample = resnet.call(sample, null!);
        foreach (var upsampler in upsamplers)
            sample = upsampler.call(sample);
        return sample.MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' <c>UNetMidBlock2D</c> as the VAE uses it: <c>resnets.0</c>, <c>attentions.0</c>, <c>resnets.1</c>.</summary>
public sealed class VaeMidBlock : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ResnetBlock> resnets;
    private readonly ModuleList<VaeAttention> attentions;

    /// <summary>A middle block over <paramref name="channels"/> channels.</summary>
    public VaeMidBlock(VaeConfig config, int channels) : base(nameof(VaeMidBlock))
    {
        resnets = nn.ModuleList(
            new ResnetBlock(channels, channels, null, config.NormNumGroups, AutoencoderKL.NormEps),
            new ResnetBlock(channels, channels, null, config.NormNumGroups, AutoencoderKL.NormEps));
        attentions = nn.ModuleList(new VaeAttention(channels, config.NormNumGroups));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor sample)
    {
        using var scope = NewDisposeScope();
        sample = resnets[0].call(sample, null!);
        sample = attentions[0].call(sample);
        return resnets[1].call(sample, null!).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// diffusers' <c>Attention</c> as the VAE's middle block builds it: single-head self-attention over
/// the pixels of a feature map, with <c>group_norm</c> first, biased <c>to_q</c>, <c>to_k</c>,
/// <c>to_v</c>, <c>to_out.0</c>, and the input added back.
/// </summary>
public sealed class VaeAttention : nn.Module<Tensor, Tensor>
{
    private readonly GroupNorm group_norm;
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<Linear> to_out;

    /// <summary>Attention over <paramref name="channels"/> channels.</summary>
    public VaeAttention(int channels, int groups) : base(nameof(VaeAttention))
    {
        group_norm = Norms.Group(groups, channels, AutoencoderKL.NormEps);
        to_q = nn.Linear(channels, channels);
        to_k = nn.Linear(channels, channels);
        to_v = nn.Linear(channels, channels);
        to_out = nn.ModuleList(nn.Linear(channels, channels));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor sample)
    {
        using var scope = NewDisposeScope();
        var (batch, channels, height, width) = (sample.shape[0], sample.shape[1], sample.shape[2], sample.shape[3]);
        var tokens = group_norm.call(sample).view(batch, channels, height * width).transpose(1, 2);
        var attended = Attention.MultiHead(to_q.call(tokens), to_k.call(tokens), to_v.call(tokens), heads: 1);
        var map = to_out[0].call(attended).transpose(1, 2).reshape(batch, channels, height, width);
        return (map + sample).MoveToOuterDisposeScope();
    }
}
