namespace LoraNotebooks.Engine.Models;

/// <summary>The shape of a <see cref="UNet2DConditionModel"/>, named after diffusers' UNet2DConditionModel config.</summary>
/// <remarks>
/// The defaults are the built-in base model: 32×32 → 16×16 → 8×8 with (32, 64, 64) channels and
/// attention at 16×16 and 8×8 (the two deeper down blocks, the middle, the two deeper up blocks);
/// 1.69 M parameters. The first base had attention at 8×8 only (0.68 s of CPU a pretraining step at
/// batch 32 on one core, against about 0.9 s now): it followed shape and colour, but a LoRA could
/// not draw a few-pixel detail (a hat) from the prompt, and it put shapes at the prompted position
/// only half the time. It was grown by the 16×16 transformers (<c>lora pretrain --from</c>, see
/// docs/pretraining.md). <see cref="AdditionEmbedType"/> "text" adds a pooled text path into every
/// ResNet, which with noise offset taught a base the background word (not shipped: docs/pretraining.md,
/// "The background").
/// </remarks>
public sealed record UNetConfig
{
    /// <summary>The <see cref="AdditionEmbedType"/> that adds the pooled text to the timestep embedding (<see cref="TextTimeEmbedding"/>).</summary>
    public const string TextAddition = "text";

    /// <summary>A down block with ResNets only.</summary>
    public const string DownBlock = "DownBlock2D";

    /// <summary>A down block with ResNets, each followed by a transformer with cross-attention.</summary>
    public const string CrossAttnDownBlock = "CrossAttnDownBlock2D";

    /// <summary>An up block with ResNets only.</summary>
    public const string UpBlock = "UpBlock2D";

    /// <summary>An up block with ResNets, each followed by a transformer with cross-attention.</summary>
    public const string CrossAttnUpBlock = "CrossAttnUpBlock2D";

    /// <summary>Height and width of the images, in pixels.</summary>
    public int SampleSize { get; init; } = 32;

    /// <summary>Image channels in (RGB).</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Channels predicted (RGB).</summary>
    public int OutChannels { get; init; } = 3;

    /// <summary>Channels of each resolution level; every level but the last halves height and width.</summary>
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [32, 64, 64];

    /// <summary>The kind of each down block, one per entry of <see cref="BlockOutChannels"/>.</summary>
    public IReadOnlyList<string> DownBlockTypes { get; init; } = [DownBlock, CrossAttnDownBlock, CrossAttnDownBlock];

    /// <summary>The kind of each up block, deepest first.</summary>
    public IReadOnlyList<string> UpBlockTypes { get; init; } = [CrossAttnUpBlock, CrossAttnUpBlock, UpBlock];

    /// <summary>ResNets per down block (up blocks have one more).</summary>
    public int LayersPerBlock { get; init; } = 1;

    /// <summary>Width of the text encoder's hidden states.</summary>
    public int CrossAttentionDim { get; init; } = 64;

    /// <summary>Width of one attention head (heads = channels / this), unless <see cref="NumAttentionHeads"/> is set.</summary>
    public int AttentionHeadDim { get; init; } = 16;

    /// <summary>
    /// A fixed number of heads in every transformer (head width = channels / heads). SD 1.5 has 8; its
    /// diffusers config.json calls this <c>attention_head_dim</c>, a historical misnomer diffusers keeps.
    /// </summary>
    public int? NumAttentionHeads { get; init; }

    /// <summary>
    /// True: the transformers' <c>proj_in</c>/<c>proj_out</c> are Linear layers (SD 2, SDXL, the built-in
    /// base); false: 1×1 Conv2d layers, as in SD 1.5.
    /// </summary>
    public bool UseLinearProjection { get; init; } = true;

    /// <summary>
    /// "text": the prompt, pooled, is added to the timestep embedding (<c>add_embedding</c>, see
    /// <see cref="TextTimeEmbedding"/>), so every ResNet hears it; null (SD 1.5, the first bases): the
    /// prompt reaches the picture through cross-attention only. diffusers' name.
    /// </summary>
    public string? AdditionEmbedType { get; init; }

    /// <summary>Heads of the <c>add_embedding</c>'s attention pooling; must divide <see cref="CrossAttentionDim"/>. diffusers' <c>addition_embed_type_num_heads</c>.</summary>
    public int AdditionEmbedTypeNumHeads { get; init; } = 4;

    /// <summary>Groups of every GroupNorm; must divide every entry of <see cref="BlockOutChannels"/>.</summary>
    public int NormNumGroups { get; init; } = 8;

    /// <summary>The attention heads of a transformer over <paramref name="channels"/> channels.</summary>
    public int HeadsFor(int channels) => NumAttentionHeads ?? channels / AttentionHeadDim;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent value.</summary>
    public void Validate()
    {
        var levels = BlockOutChannels.Count;
        if (levels == 0 || DownBlockTypes.Count != levels || UpBlockTypes.Count != levels)
            throw new ArgumentException($"block_out_channels ({levels}), down_block_types ({DownBlockTypes.Count}) and up_block_types ({UpBlockTypes.Count}) must have one entry per level");
        if (SampleSize % (1 << (levels - 1)) != 0)
            throw new ArgumentException($"sample_size {SampleSize} must be divisible by 2^{levels - 1} for {levels} levels");
        foreach (var channels in BlockOutChannels)
            if (channels < 1 || channels % NormNumGroups != 0)
                throw new ArgumentException($"norm_num_groups {NormNumGroups} must divide every block_out_channels entry, not {channels}");
        foreach (var type in DownBlockTypes)
            if (type is not (DownBlock or CrossAttnDownBlock))
                throw new ArgumentException($"unknown down block type '{type}'; expected {DownBlock} or {CrossAttnDownBlock}");
        foreach (var type in UpBlockTypes)
            if (type is not (UpBlock or CrossAttnUpBlock))
                throw new ArgumentException($"unknown up block type '{type}'; expected {UpBlock} or {CrossAttnUpBlock}");
        if (LayersPerBlock < 1 || CrossAttentionDim < 1 || AttentionHeadDim < 1 || NumAttentionHeads < 1)
            throw new ArgumentException("layers_per_block, cross_attention_dim and attention heads must be positive");
        if (AdditionEmbedType is not (null or TextAddition))
            throw new ArgumentException($"unknown addition_embed_type '{AdditionEmbedType}'; expected \"{TextAddition}\" or none");
        if (AdditionEmbedType is not null && (AdditionEmbedTypeNumHeads < 1 || CrossAttentionDim % AdditionEmbedTypeNumHeads != 0))
            throw new ArgumentException($"addition_embed_type_num_heads {AdditionEmbedTypeNumHeads} must divide cross_attention_dim {CrossAttentionDim}");
        foreach (var channels in BlockOutChannels)
            if (channels % (NumAttentionHeads ?? AttentionHeadDim) != 0)
                throw new ArgumentException(NumAttentionHeads is { } heads
                    ? $"{heads} attention heads do not divide a block's {channels} channels"
                    : $"attention_head_dim {AttentionHeadDim} must divide the block's {channels} channels");
    }
}
