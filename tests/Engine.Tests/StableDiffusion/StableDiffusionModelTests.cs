using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Models.StableDiffusion;
using LoraNotebooks.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.StableDiffusion;

/// <summary>The SD 1.x code at toy sizes with random weights.</summary>
public class StableDiffusionModelTests
{
    static StableDiffusionModelTests() => TorchNativeLoader.EnsureLoadable();

    [Fact]
    public void the_parts_have_the_expected_shapes()
    {
        using var model = TinyStableDiffusion.Model();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var context = model.EncodeText(["a cat", "dog"]);
        Assert.Equal([2, 16, 32], context.shape);

        var latents = model.EncodeImages(TinyStableDiffusion.Images(2));
        Assert.Equal([2, 4, 8, 8], latents.shape);
        Assert.Equal([2, 3, 16, 16], model.DecodeLatents(latents).shape);
        Assert.Equal([2, 4, 8, 8], model.Predict(latents, tensor(new long[] { 10, 900 }), context).shape);
        Assert.Equal(16, model.Resolution);
    }

    [Fact]
    public void the_loss_is_finite_and_each_image_is_encoded_once()
    {
        using var model = TinyStableDiffusion.Model();
        using var generator = new Generator(3);
        using var scope = NewDisposeScope();
        var images = TinyStableDiffusion.Images(2);
        var first = model.Loss(images, ["a cat", "a dog"], generator).item<float>();
        model.Loss(images, ["a cat", "a dog"], generator);
        Assert.True(float.IsFinite(first));
        Assert.Equal(2, model.Latents.Count);
        model.Loss(cat([images[..1], TinyStableDiffusion.Images(1, seed: 8)]), ["a cat", "a cow"], generator);
        Assert.Equal(3, model.Latents.Count);
    }

    [Fact]
    public void sampling_gives_one_image_per_prompt_that_depends_only_on_its_seed()
    {
        using var model = TinyStableDiffusion.Model();
        using var scope = NewDisposeScope();
        var pair = model.Sample(["a cat", "a dog"], [5, 6], steps: 2, guidance: 3);
        var single = model.Sample(["a dog"], [6], steps: 2, guidance: 3);
        Assert.Equal([2, 3, 16, 16], pair.shape);
        Assert.True(pair[1].allclose(single[0], rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void lora_attaches_to_the_default_targets_with_kohya_names()
    {
        using var model = TinyStableDiffusion.Model();
        using var lora = new LoraModel([.. model.Parts]);
        var network = lora.Add("style", new LoraOptions { Rank = 4, Targets = StableDiffusionModel.KohyaTargets });
        // Tiny layout: one transformer in down block 0, the middle and up block 1 (2 layers): 4 × 12; 2 text layers × 6.
        Assert.Equal(4 * 12 + 2 * 6, network.Targets.Count);
        var keys = network.state_dict().Keys.ToHashSet();
        foreach (var key in new[]
        {
            "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight",
            "lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight",
            "lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_0_proj.alpha",
            "lora_unet_up_blocks_1_attentions_1_transformer_blocks_0_attn2_to_out_0.lora_down.weight",
            "lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight",
            "lora_te_text_model_encoder_layers_1_mlp_fc2.lora_up.weight",
        })
            Assert.Contains(key, keys);
        Assert.Equal([4, 32, 1, 1], network.state_dict()["lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight"].shape);
    }

    [Fact]
    public void gradient_checkpointing_gives_the_same_gradients()
    {
        var (plain, plainLoss) = LoraGradients(checkpointing: false);
        var (checkpointed, checkpointedLoss) = LoraGradients(checkpointing: true);
        Assert.Equal(plainLoss, checkpointedLoss, 6);
        Assert.Equal(plain.Keys.Order(), checkpointed.Keys.Order());
        foreach (var (name, gradient) in plain)
            Assert.True(gradient.allclose(checkpointed[name], rtol: 1e-4, atol: 1e-6), $"gradient of {name} differs");
        Assert.Contains(plain, kv => kv.Key.StartsWith("lora_te_") && kv.Value.abs().sum().item<float>() > 0);
    }

    /// <summary>The loss and the gradients of a LoRA (up weights non-zero, so every gradient flows) on the tiny model.</summary>
    private static (Dictionary<string, Tensor> Gradients, float Loss) LoraGradients(bool checkpointing)
    {
        using var model = TinyStableDiffusion.Model();
        model.GradientCheckpointing = checkpointing;
        using var lora = new LoraModel([.. model.Parts]);
        manual_seed(11);
        var network = lora.Add("style", new LoraOptions { Rank = 2, Targets = StableDiffusionModel.KohyaTargets });
        using (no_grad())
            foreach (var (name, parameter) in network.named_parameters())
                if (name.Contains("lora_up"))
                    parameter.normal_(0, 0.1);
        lora.Train(true);
        using var generator = new Generator(5);
        var loss = model.Loss(TinyStableDiffusion.Images(2), ["a cat", "a dog"], generator);
        OneDnn.Backward(loss);
        var gradients = network.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.detach().clone());
        return (gradients, loss.item<float>());
    }
}
