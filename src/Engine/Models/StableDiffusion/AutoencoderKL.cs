using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// diffusers' <c>AutoencoderKL</c>, Stable Diffusion's VAE: the <c>encoder</c> maps images
/// [B, 3, H, W] in [−1, 1] to a Gaussian over latents (mean and log-variance, 2 × latent_channels at
/// H/8 × W/8 for SD 1.5) through <c>quant_conv</c>; the <c>decoder</c> maps latents back through
/// <c>post_quant_conv</c>. <see cref="Encode"/> and <see cref="Decode"/> apply the scaling factor, so
/// the UNet sees latents of about unit variance.
/// </summary>
public sealed class AutoencoderKL : nn.Module
{
    /// <summary>The epsilon of every GroupNorm in the VAE.</summary>
    internal const double NormEps = 1e-6;

    private readonly VaeEncoder encoder;
    private readonly VaeDecoder decoder;
    private readonly Conv2d quant_conv;
    private readonly Conv2d post_quant_conv;

    /// <summary>A VAE with fresh weights shaped by <paramref name="config"/>.</summary>
    public AutoencoderKL(VaeConfig config) : base(nameof(AutoencoderKL))
    {
        config.Validate();
        Config = config;
        encoder = new VaeEncoder(config);
        decoder = new VaeDecoder(config);
        quant_conv = nn.Conv2d(2 * config.LatentChannels, 2 * config.LatentChannels, 1);
        post_quant_conv = nn.Conv2d(config.LatentChannels, config.LatentChannels, 1);
        RegisterComponents();
    }

    /// <summary>The shape of this VAE.</summary>
    public VaeConfig Config { get; }

    /// <summary>
    /// Scaled latents [B, latent_channels, H/f, W/f] of <paramref name="images"/> in [−1, 1]: the mean
    /// of the encoder's Gaussian times the scaling factor. The mean (not a sample) makes a cached latent
    /// the same on every use; SD's VAE posterior is narrow, so the two differ little.
    /// </summary>
    public Tensor Encode(Tensor images)
    {
        using var scope = NewDisposeScope();
        var moments = quant_conv.call(encoder.call(images));
        var mean = moments.narrow(1, 0, Config.LatentChannels);
        return (mean * Config.ScalingFactor).MoveToOuterDisposeScope();
    }

    /// <summary>Images [B, 3, H, W] in about [−1, 1] from scaled <paramref name="latents"/>.</summary>
    public Tensor Decode(Tensor latents)
    {
        using var scope = NewDisposeScope();
        return decoder.call(post_quant_conv.call(latents / Config.ScalingFactor)).MoveToOuterDisposeScope();
    }

    /// <summary>diffusers' <c>Encoder</c>: conv_in, down blocks, middle block, norm, SiLU, conv_out to 2 × latent channels.</summary>
    private sealed class VaeEncoder : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv_in;
        private readonly ModuleList<VaeDownBlock> down_blocks;
        private readonly VaeMidBlock mid_block;
        private readonly GroupNorm conv_norm_out;
        private readonly Conv2d conv_out;

        public VaeEncoder(VaeConfig config) : base(nameof(VaeEncoder))
        {
            var channels = config.BlockOutChannels;
            conv_in = nn.Conv2d(config.InChannels, channels[0], 3, padding: 1);
            down_blocks = nn.ModuleList(Enumerable.Range(0, channels.Count).Select(i =>
                new VaeDownBlock(config, i == 0 ? channels[0] : channels[i - 1], channels[i], downsample: i < channels.Count - 1)).ToArray());
            mid_block = new VaeMidBlock(config, channels[^1]);
            conv_norm_out = Norms.Group(config.NormNumGroups, channels[^1], NormEps);
            conv_out = nn.Conv2d(channels[^1], 2 * config.LatentChannels, 3, padding: 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor images)
        {
            using var scope = NewDisposeScope();
            var hidden = conv_in.call(images);
            foreach (var block in down_blocks)
                hidden = block.call(hidden);
            hidden = mid_block.call(hidden);
            return conv_out.call(nn.functional.silu(conv_norm_out.call(hidden))).MoveToOuterDisposeScope();
        }
    }

    /// <summary>diffusers' <c>Decoder</c>: conv_in, middle block, up blocks (deepest first), norm, SiLU, conv_out to RGB.</summary>
    private sealed class VaeDecoder : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv_in;
        private readonly VaeMidBlock mid_block;
        private readonly ModuleList<VaeUpBlock> up_blocks;
        private readonly GroupNorm conv_norm_out;
        private readonly Conv2d conv_out;

        public VaeDecoder(VaeConfig config) : base(nameof(VaeDecoder))
        {
            var reversed = config.BlockOutChannels.Reverse().ToArray();
            conv_in = nn.Conv2d(config.LatentChannels, reversed[0], 3, padding: 1);
            mid_block = new VaeMidBlock(config, reversed[0]);
            up_blocks = nn.ModuleList(Enumerable.Range(0, reversed.Length).Select(i =>
                new VaeUpBlock(config, i == 0 ? reversed[0] : reversed[i - 1], reversed[i], upsample: i < reversed.Length - 1)).ToArray());
            conv_norm_out = Norms.Group(config.NormNumGroups, reversed[^1], NormEps);
            conv_out = nn.Conv2d(reversed[^1], config.OutChannels, 3, padding: 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor latents)
        {
            using var scope = NewDisposeScope();
            var hidden = mid_block.call(conv_in.call(latents));
            foreach (var block in up_blocks)
                hidden = block.call(hidden);
            return conv_out.call(nn.functional.silu(conv_norm_out.call(hidden))).MoveToOuterDisposeScope();
        }
    }
}
