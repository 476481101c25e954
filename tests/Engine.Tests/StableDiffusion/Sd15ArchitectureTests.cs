using System.Runtime.CompilerServices;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Models.StableDiffusion;
using LoraNotebooks.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.StableDiffusion;

/// <summary>
/// The full-size SD 1.5 architecture, built on the meta device (no memory, no weights): key listings
/// approved against diffusers/transformers names, parameter counts, kohya's default LoRA targets.
/// </summary>
public class Sd15ArchitectureTests
{
    /// <summary>Set to 1 to (re)write approved listings instead of comparing with them.</summary>
    private const string ApproveVariable = "LORA_APPROVE";

    static Sd15ArchitectureTests() => TorchNativeLoader.EnsureLoadable();

    private static T OnMeta<T>(Func<T> build)
    {
        var previous = get_default_device();
        set_default_device(META);
        try
        {
            return build();
        }
        finally
        {
            set_default_device(previous);
        }
    }

    private static StableDiffusionModel Sd15() => OnMeta(() => new StableDiffusionModel(StableDiffusionConfig.Sd15,
        new ClipTokenizer(new Dictionary<string, int> { [ClipTokenizer.StartOfText] = 0, [ClipTokenizer.EndOfText] = 1 }, [])));

    private static string Listing(nn.Module module) => string.Join("\n",
        module.state_dict().Select(kv => $"{kv.Key} {string.Join("x", kv.Value.shape)}").Order(StringComparer.Ordinal)) + "\n";

    private static void AssertApproved(string name, string listing, [CallerFilePath] string here = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(here)!, $"{name}.approved.txt");
        if (Environment.GetEnvironmentVariable(ApproveVariable) == "1")
            File.WriteAllText(path, listing);
        Assert.Equal(File.ReadAllText(path), listing);
    }

    private static long Parameters(nn.Module module) => module.parameters().Sum(p => p.numel());

    [Fact]
    public void the_unet_has_the_approved_diffusers_keys_and_859_5_million_parameters()
    {
        using var model = Sd15();
        var listing = Listing(model.UNet);
        AssertApproved("Sd15UNet", listing);
        Assert.Equal(859_520_964, Parameters(model.UNet));
        // Checked by hand against diffusers' UNet2DConditionModel for SD 1.5 and kohya's conversion table.
        foreach (var line in new[]
        {
            "conv_in.weight 320x4x3x3",
            "time_embedding.linear_1.weight 1280x320",
            "time_embedding.linear_2.weight 1280x1280",
            "down_blocks.0.resnets.0.time_emb_proj.weight 320x1280",
            "down_blocks.0.attentions.0.proj_in.weight 320x320x1x1",
            "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight 320x320",
            "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight 320x768",
            "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_out.0.bias 320",
            "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj.weight 2560x320",
            "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2.weight 320x1280",
            "down_blocks.0.downsamplers.0.conv.weight 320x320x3x3",
            "down_blocks.1.resnets.0.conv_shortcut.weight 640x320x1x1",
            "down_blocks.3.resnets.1.conv2.weight 1280x1280x3x3",
            "mid_block.attentions.0.proj_out.weight 1280x1280x1x1",
            "mid_block.resnets.1.norm2.weight 1280",
            "up_blocks.0.resnets.2.conv_shortcut.weight 1280x2560x1x1",
            "up_blocks.0.upsamplers.0.conv.weight 1280x1280x3x3",
            "up_blocks.3.attentions.2.transformer_blocks.0.norm3.weight 320",
            "up_blocks.3.resnets.0.conv1.weight 320x960x3x3",
            "conv_norm_out.weight 320",
            "conv_out.weight 4x320x3x3",
        })
            Assert.Contains(line + "\n", listing);
        Assert.DoesNotContain("down_blocks.3.attentions", listing);
        Assert.DoesNotContain("up_blocks.0.attentions", listing);
        Assert.DoesNotContain("up_blocks.3.upsamplers", listing);
    }

    [Fact]
    public void the_text_encoder_has_clip_vit_l_14_keys_and_123_1_million_parameters()
    {
        using var model = Sd15();
        var listing = Listing(model.TextEncoder);
        AssertApproved("Sd15TextEncoder", listing);
        Assert.Equal(123_060_480, Parameters(model.TextEncoder));
        foreach (var line in new[]
        {
            "text_model.embeddings.token_embedding.weight 49408x768",
            "text_model.embeddings.position_embedding.weight 77x768",
            "text_model.encoder.layers.0.self_attn.q_proj.weight 768x768",
            "text_model.encoder.layers.0.self_attn.out_proj.bias 768",
            "text_model.encoder.layers.0.layer_norm1.weight 768",
            "text_model.encoder.layers.11.mlp.fc1.weight 3072x768",
            "text_model.encoder.layers.11.mlp.fc2.weight 768x3072",
            "text_model.encoder.layers.11.layer_norm2.bias 768",
            "text_model.final_layer_norm.weight 768",
        })
            Assert.Contains(line + "\n", listing);
        Assert.DoesNotContain("layers.12.", listing);
    }

    [Fact]
    public void the_vae_has_the_approved_autoencoder_kl_keys_and_83_7_million_parameters()
    {
        using var model = Sd15();
        var listing = Listing(model.Vae);
        AssertApproved("Sd15Vae", listing);
        Assert.Equal(83_653_863, Parameters(model.Vae));
        foreach (var line in new[]
        {
            "encoder.conv_in.weight 128x3x3x3",
            "encoder.down_blocks.0.resnets.0.norm1.weight 128",
            "encoder.down_blocks.1.resnets.0.conv_shortcut.weight 256x128x1x1",
            "encoder.down_blocks.2.downsamplers.0.conv.weight 512x512x3x3",
            "encoder.mid_block.attentions.0.group_norm.weight 512",
            "encoder.mid_block.attentions.0.to_q.weight 512x512",
            "encoder.mid_block.attentions.0.to_out.0.weight 512x512",
            "encoder.conv_norm_out.weight 512",
            "encoder.conv_out.weight 8x512x3x3",
            "quant_conv.weight 8x8x1x1",
            "post_quant_conv.weight 4x4x1x1",
            "decoder.conv_in.weight 512x4x3x3",
            "decoder.up_blocks.0.resnets.2.conv2.weight 512x512x3x3",
            "decoder.up_blocks.2.resnets.0.conv_shortcut.weight 256x512x1x1",
            "decoder.up_blocks.2.upsamplers.0.conv.weight 256x256x3x3",
            "decoder.up_blocks.3.resnets.0.conv1.weight 128x256x3x3",
            "decoder.conv_out.weight 3x128x3x3",
        })
            Assert.Contains(line + "\n", listing);
        Assert.DoesNotContain("time_emb_proj", listing);
        Assert.DoesNotContain("encoder.down_blocks.3.downsamplers", listing);
    }

    [Fact]
    public void kohyas_default_targets_are_192_unet_and_72_text_encoder_modules_and_rank_8_is_9_mib_in_fp16()
    {
        using var model = Sd15();
        var targets = LoraTarget.Find(model.Parts, new LoraOptions { Rank = 8, Targets = StableDiffusionModel.KohyaTargets });
        Assert.Equal(192, targets.Count(t => t.Part.Prefix == ModelPart.UNet));
        Assert.Equal(72, targets.Count(t => t.Part.Prefix == ModelPart.TextEncoder));
        Assert.Equal(32, targets.Count(t => t.Kind == LayerKinds.Conv2d)); // proj_in and proj_out of 16 transformers

        var names = targets.Select(t => t.Name).ToHashSet();
        foreach (var name in new[]
        {
            "lora_unet_down_blocks_0_attentions_0_proj_in",
            "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
            "lora_unet_down_blocks_2_attentions_1_transformer_blocks_0_attn2_to_out_0",
            "lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_0_proj",
            "lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_ff_net_2",
            "lora_unet_up_blocks_1_attentions_0_proj_out",
            "lora_te_text_model_encoder_layers_0_self_attn_q_proj",
            "lora_te_text_model_encoder_layers_11_mlp_fc2",
        })
            Assert.Contains(name, names);

        // Each adapter is rank × (in + out) values: 589,824 per unit of rank over the 264 modules.
        var perRank = targets.Sum(t => t.Module switch
        {
            TorchSharp.Modules.Linear l => l.in_features + l.out_features,
            TorchSharp.Modules.Conv2d c => c.in_channels + c.out_channels,
            _ => throw new InvalidOperationException(t.Path),
        });
        Assert.Equal(589_824, perRank);
        var fp16Bytes = perRank * 8 * 2;
        Assert.Equal(9.0, fp16Bytes / 1024.0 / 1024.0, 2);
    }

    [Fact]
    public void the_memory_estimate_for_512_px_grows_with_the_batch_and_shrinks_with_checkpointing()
    {
        var sd15 = ArchitectureSummary.Of(StableDiffusionConfig.Sd15);
        double GiB(int batch, bool checkpointing) => GpuMemoryEstimate.Training(sd15, batch, gradientCheckpointing: checkpointing) / (double)(1L << 30);
        // The numbers docs/gpu.md quotes.
        Assert.Equal(3.7, GiB(1, false), 1);
        Assert.Equal(4.5, GiB(2, false), 1);
        Assert.Equal(6.2, GiB(4, false), 1);
        Assert.Equal(3.1, GiB(1, true), 1);
        Assert.Equal(3.4, GiB(2, true), 1);
        Assert.Equal(4.0, GiB(4, true), 1);
    }
}
