using System.Text.Json;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Models.StableDiffusion;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.SafeTensors;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.StableDiffusion;

/// <summary>Both checkpoint layouts, written from a tiny model and read back.</summary>
public class CheckpointLoadingTests
{
    static CheckpointLoadingTests() => TorchNativeLoader.EnsureLoadable();

    private static readonly StableDiffusionConfig Tiny = StableDiffusionConfig.Tiny;

    /// <summary>The UNet prediction and decoded images of a model, for comparing two loads.</summary>
    private static (Tensor Prediction, Tensor Decoded) Outputs(StableDiffusionModel model)
    {
        using var _ = no_grad();
        var latents = model.EncodeImages(TinyStableDiffusion.Images(1));
        var prediction = model.Predict(latents, tensor(new long[] { 500 }), model.EncodeText(["a cat"]));
        return (prediction, model.DecodeLatents(latents));
    }

    private static void AssertSameOutputs(StableDiffusionModel expected, StableDiffusionModel actual, double tolerance)
    {
        var (p1, d1) = Outputs(expected);
        var (p2, d2) = Outputs(actual);
        Assert.True(p1.allclose(p2, rtol: tolerance, atol: tolerance), "UNet predictions differ");
        Assert.True(d1.allclose(d2, rtol: tolerance, atol: tolerance), "decoded images differ");
    }

    [Fact]
    public void a_diffusers_folder_loads_to_the_same_outputs()
    {
        using var model = TinyStableDiffusion.Model();
        var folder = TinyStableDiffusion.TempFolder();
        TinyStableDiffusion.WriteDiffusersFolder(model, folder, ScalarType.Float32);
        using var loaded = StableDiffusionCheckpoint.LoadFolder(folder);
        Assert.Equal(JsonSerializer.Serialize(Tiny), JsonSerializer.Serialize(loaded.Config));
        AssertSameOutputs(model, loaded, 1e-6);
    }

    [Fact]
    public void fp16_weights_are_cast_to_the_requested_dtype()
    {
        using var model = TinyStableDiffusion.Model();
        var folder = TinyStableDiffusion.TempFolder();
        TinyStableDiffusion.WriteDiffusersFolder(model, folder, ScalarType.Float16);
        using var loaded = StableDiffusionCheckpoint.LoadFolder(folder);
        Assert.All(loaded.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        AssertSameOutputs(model, loaded, 1e-2);

        using var bf16 = StableDiffusionCheckpoint.LoadFolder(folder, ScalarType.BFloat16);
        Assert.All(bf16.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
    }

    [Fact]
    public void a_single_file_with_original_keys_round_trips()
    {
        using var model = TinyStableDiffusion.Model();
        var folder = TinyStableDiffusion.TempFolder();
        var path = Path.Combine(folder, "tiny.safetensors");
        model.SaveWeights(path);
        TinyStableDiffusion.WriteTokenizer(folder);

        using (var file = SafeTensorsFile.Open(path))
        {
            Assert.Equal(model.state_dict().Count, file.Tensors.Count);
            foreach (var key in new[]
            {
                "model.diffusion_model.input_blocks.0.0.weight",
                "model.diffusion_model.time_embed.0.weight",
                "model.diffusion_model.input_blocks.1.0.in_layers.0.weight",
                "model.diffusion_model.input_blocks.1.1.proj_in.weight",
                "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight",
                "model.diffusion_model.input_blocks.2.0.op.weight",
                "model.diffusion_model.input_blocks.3.0.skip_connection.weight",
                "model.diffusion_model.middle_block.1.transformer_blocks.0.ff.net.0.proj.weight",
                "model.diffusion_model.middle_block.2.emb_layers.1.weight",
                "model.diffusion_model.output_blocks.1.1.conv.weight",
                "model.diffusion_model.output_blocks.2.1.transformer_blocks.0.attn2.to_k.weight",
                "model.diffusion_model.out.2.weight",
                "cond_stage_model.transformer.text_model.encoder.layers.1.self_attn.q_proj.weight",
                "first_stage_model.encoder.down.0.downsample.conv.weight",
                "first_stage_model.encoder.mid.attn_1.q.weight",
                "first_stage_model.decoder.up.0.block.0.nin_shortcut.weight",
                "first_stage_model.decoder.up.0.block.1.conv1.weight",
                "first_stage_model.decoder.norm_out.weight",
            })
                Assert.True(file.Tensors.ContainsKey(key), key);
            Assert.Equal([64, 64, 1, 1], file.Tensors["first_stage_model.decoder.mid.attn_1.proj_out.weight"].Shape);
        }

        using var loaded = StableDiffusionCheckpoint.LoadSingleFile(path, Tiny);
        AssertSameOutputs(model, loaded, 1e-6);
    }

    [Fact]
    public void missing_and_unexpected_keys_are_named()
    {
        using var model = TinyStableDiffusion.Model();
        var folder = TinyStableDiffusion.TempFolder();
        TinyStableDiffusion.WriteTokenizer(folder);
        var good = Path.Combine(folder, "good.safetensors");
        StableDiffusionCheckpoint.SaveSingleFile(model, good);
        var bad = Path.Combine(folder, "bad.safetensors");
        using (var file = SafeTensorsFile.Open(good))
            SafeTensorsWriter.Write(bad, file.Tensors.Keys
                .Where(k => k != "model.diffusion_model.out.2.bias")
                .Select(k => SafeTensorsTorch.ToTensorData(k == "model.diffusion_model.time_embed.2.weight" ? "model.diffusion_model.time_embed.3.weight" : k, file.ReadTensor(k)))
                .Append(SafeTensorsTorch.ToTensorData("model_ema.decay", tensor(0.999f)))
                .ToList());

        var error = Assert.Throws<InvalidDataException>(() => StableDiffusionCheckpoint.LoadSingleFile(bad, Tiny));
        Assert.Contains("UNet", error.Message);
        Assert.Contains("2 missing keys ('model.diffusion_model.time_embed.2.weight', 'model.diffusion_model.out.2.bias')", error.Message);
        Assert.Contains("1 unexpected key ('model.diffusion_model.time_embed.3.weight')", error.Message);
        Assert.DoesNotContain("model_ema", error.Message);
    }

    [Fact]
    public void a_wrong_shape_is_named_with_both_shapes()
    {
        using var model = TinyStableDiffusion.Model();
        var folder = TinyStableDiffusion.TempFolder();
        TinyStableDiffusion.WriteTokenizer(folder);
        var path = Path.Combine(folder, "tiny.safetensors");
        StableDiffusionCheckpoint.SaveSingleFile(model, path);
        var wider = StableDiffusionConfig.Tiny with { Unet = Tiny.Unet with { BlockOutChannels = [32, 96] } };
        var error = Assert.Throws<InvalidDataException>(() => StableDiffusionCheckpoint.LoadSingleFile(path, wider));
        Assert.Contains("has shape [64, 32, 3, 3] but 'down_blocks.1.resnets.0.conv1.weight' needs [96, 32, 3, 3]", error.Message);
    }

    [Fact]
    public void original_keys_follow_kohyas_sd15_conversion_table()
    {
        var unet = StableDiffusionConfig.Sd15.Unet;
        var vae = StableDiffusionConfig.Sd15.Vae;
        // Pairs from kohya-ss/sd-scripts library/model_util.py (convert_unet_state_dict_to_sd, convert_vae_state_dict).
        foreach (var (diffusers, original) in new[]
        {
            ("time_embedding.linear_2.bias", "time_embed.2.bias"),
            ("down_blocks.1.resnets.0.norm1.weight", "input_blocks.4.0.in_layers.0.weight"),
            ("down_blocks.1.resnets.0.conv_shortcut.weight", "input_blocks.4.0.skip_connection.weight"),
            ("down_blocks.2.attentions.1.transformer_blocks.0.attn1.to_q.weight", "input_blocks.8.1.transformer_blocks.0.attn1.to_q.weight"),
            ("down_blocks.2.downsamplers.0.conv.weight", "input_blocks.9.0.op.weight"),
            ("down_blocks.3.resnets.1.time_emb_proj.weight", "input_blocks.11.0.emb_layers.1.weight"),
            ("mid_block.resnets.1.conv2.weight", "middle_block.2.out_layers.3.weight"),
            ("mid_block.attentions.0.proj_in.weight", "middle_block.1.proj_in.weight"),
            ("up_blocks.0.resnets.2.conv1.weight", "output_blocks.2.0.in_layers.2.weight"),
            ("up_blocks.0.upsamplers.0.conv.weight", "output_blocks.2.1.conv.weight"),
            ("up_blocks.1.upsamplers.0.conv.weight", "output_blocks.5.2.conv.weight"),
            ("up_blocks.3.attentions.2.proj_out.bias", "output_blocks.11.1.proj_out.bias"),
            ("conv_norm_out.weight", "out.0.weight"),
        })
            Assert.Equal(original, OriginalKeys.UNet(diffusers, unet));
        foreach (var (diffusers, original) in new[]
        {
            ("encoder.down_blocks.1.resnets.0.conv_shortcut.weight", "encoder.down.1.block.0.nin_shortcut.weight"),
            ("encoder.down_blocks.0.downsamplers.0.conv.bias", "encoder.down.0.downsample.conv.bias"),
            ("encoder.mid_block.resnets.1.norm1.weight", "encoder.mid.block_2.norm1.weight"),
            ("encoder.mid_block.attentions.0.to_out.0.weight", "encoder.mid.attn_1.proj_out.weight"),
            ("decoder.up_blocks.0.resnets.2.conv1.weight", "decoder.up.3.block.2.conv1.weight"),
            ("decoder.up_blocks.1.upsamplers.0.conv.weight", "decoder.up.2.upsample.conv.weight"),
            ("decoder.mid_block.attentions.0.group_norm.bias", "decoder.mid.attn_1.norm.bias"),
            ("decoder.conv_norm_out.bias", "decoder.norm_out.bias"),
            ("quant_conv.weight", "quant_conv.weight"),
        })
            Assert.Equal(original, OriginalKeys.Vae(diffusers, vae));
    }
}
