using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Tests.Models;

/// <summary>The smallest model that still runs every code path: two levels, (4, 8) channels, 8×8 images.</summary>
public static class TinyConfigs
{
    public static TinyDiffusionConfig Tiny => new()
    {
        TextEncoder = new TextEncoderConfig { MaxPositionEmbeddings = 16, HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2 },
        Unet = new UNetConfig
        {
            SampleSize = 8,
            BlockOutChannels = [4, 8],
            DownBlockTypes = [UNetConfig.DownBlock, UNetConfig.CrossAttnDownBlock],
            UpBlockTypes = [UNetConfig.CrossAttnUpBlock, UNetConfig.UpBlock],
            CrossAttentionDim = 8,
            AttentionHeadDim = 4,
            NormNumGroups = 2,
        },
    };
}
