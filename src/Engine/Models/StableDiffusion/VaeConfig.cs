namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>The shape of an <see cref="AutoencoderKL"/>, named after diffusers' AutoencoderKL config.json.</summary>
public sealed record VaeConfig
{
    /// <summary>Image channels (RGB).</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Decoded image channels (RGB).</summary>
    public int OutChannels { get; init; } = 3;

    /// <summary>Channels of each encoder level (the decoder mirrors them); every level but the last halves the size.</summary>
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [128, 256, 512, 512];

    /// <summary>ResNets per encoder block (decoder blocks have one more).</summary>
    public int LayersPerBlock { get; init; } = 2;

    /// <summary>Channels of the latent space.</summary>
    public int LatentChannels { get; init; } = 4;

    /// <summary>Groups of every GroupNorm.</summary>
    public int NormNumGroups { get; init; } = 32;

    /// <summary>Latents are multiplied by this before the UNet sees them (SD 1.5: 0.18215, so they have about unit variance).</summary>
    public double ScalingFactor { get; init; } = 0.18215;

    /// <summary>How many pixels one latent covers along each side.</summary>
    public int DownscaleFactor => 1 << (BlockOutChannels.Count - 1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent value.</summary>
    public void Validate()
    {
        if (BlockOutChannels.Count == 0 || LayersPerBlock < 1 || LatentChannels < 1 || !(ScalingFactor > 0))
            throw new ArgumentException("the VAE needs block_out_channels, and positive layers_per_block, latent_channels and scaling_factor");
        foreach (var channels in BlockOutChannels)
            if (channels < 1 || channels % NormNumGroups != 0)
                throw new ArgumentException($"VAE norm_num_groups {NormNumGroups} must divide every block_out_channels entry, not {channels}");
    }
}
