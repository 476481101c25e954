using System.Runtime.CompilerServices;
using LoraNotebooks.Engine.Diffusion;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Models;

public class TinyDiffusionModelTests
{
    /// <summary>Set to 1 to (re)write approved listings instead of comparing with them.</summary>
    private const string ApproveVariable = "LORA_APPROVE";

    static TinyDiffusionModelTests() => TorchNativeLoader.EnsureLoadable();

    private static TinyDiffusionModel Tiny(long seed = 1)
    {
        manual_seed(seed);
        return new TinyDiffusionModel(TinyConfigs.Tiny);
    }

    private static string Listing(nn.Module module) => string.Join("\n",
        module.state_dict().Select(kv => $"{kv.Key} {string.Join("x", kv.Value.shape)}").Order(StringComparer.Ordinal)) + "\n";

    private static string ApprovedPath([CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "TinyDiffusionModel.approved.txt");

    [Fact]
    public void the_text_encoder_reads_a_caption_lower_cased_up_to_its_window()
    {
        using var model = Tiny();
        Assert.Equal("zq, a red star", model.TextRead("  ZQ, a red star "));
        Assert.Equal("a small red sq", model.TextRead("a small red square on the left, zq"));
    }

    [Fact]
    public void the_default_model_built_on_the_meta_device_has_the_approved_keys()
    {
        string listing;
        var previous = get_default_device();
        set_default_device(META);
        try
        {
            using var model = new TinyDiffusionModel();
            Assert.Equal(DeviceType.META, model.Device.type);
            listing = Listing(model);
        }
        finally
        {
            set_default_device(previous);
        }

        if (Environment.GetEnvironmentVariable(ApproveVariable) == "1")
            File.WriteAllText(ApprovedPath(), listing);
        Assert.Equal(File.ReadAllText(ApprovedPath()), listing);
        foreach (var key in new[]
        {
            "text_encoder.text_model.embeddings.token_embedding.weight 259x",
            "text_encoder.text_model.embeddings.position_embedding.weight",
            "text_encoder.text_model.encoder.layers.0.self_attn.q_proj.weight",
            "text_encoder.text_model.encoder.layers.0.mlp.fc1.weight",
            "text_encoder.text_model.encoder.layers.0.layer_norm2.bias",
            "text_encoder.text_model.final_layer_norm.weight",
            "unet.conv_in.weight",
            "unet.time_embedding.linear_1.weight",
            "unet.down_blocks.0.resnets.0.conv1.weight",
            "unet.down_blocks.0.resnets.0.time_emb_proj.weight",
            "unet.down_blocks.0.downsamplers.0.conv.weight",
            "unet.down_blocks.1.resnets.0.conv_shortcut.weight",
            "unet.down_blocks.2.attentions.0.proj_in.weight",
            "unet.down_blocks.2.attentions.0.transformer_blocks.0.attn1.to_q.weight",
            "unet.down_blocks.2.attentions.0.transformer_blocks.0.attn2.to_k.weight",
            "unet.down_blocks.2.attentions.0.transformer_blocks.0.attn2.to_out.0.weight",
            "unet.down_blocks.2.attentions.0.transformer_blocks.0.ff.net.0.proj.weight",
            "unet.down_blocks.2.attentions.0.transformer_blocks.0.ff.net.2.weight",
            "unet.down_blocks.2.attentions.0.transformer_blocks.0.norm3.weight",
            "unet.mid_block.resnets.1.norm2.weight",
            "unet.mid_block.attentions.0.proj_out.weight",
            "unet.up_blocks.0.resnets.1.conv1.weight",
            "unet.up_blocks.0.upsamplers.0.conv.weight",
            "unet.up_blocks.0.attentions.1.norm.weight",
            "unet.conv_norm_out.weight",
            "unet.conv_out.weight",
        })
            Assert.Contains(key, listing);
    }

    [Fact]
    public void the_config_round_trips_through_json_with_snake_case_keys()
    {
        var config = TinyConfigs.Tiny with { Diffusion = new DiffusionConfig { PredictionType = PredictionType.Epsilon } };
        var json = config.ToJson();
        Assert.Contains("\"block_out_channels\":[4,8]", json);
        Assert.Contains("\"prediction_type\":\"epsilon\"", json);
        Assert.Contains("\"addition_embed_type\":null", json);
        var withText = config with { Unet = config.Unet with { AdditionEmbedType = UNetConfig.TextAddition } };
        Assert.Contains("\"addition_embed_type\":\"text\"", withText.ToJson());
        Assert.Equal(UNetConfig.TextAddition, TinyDiffusionConfig.FromJson(withText.ToJson()).Unet.AdditionEmbedType);
        var back = TinyDiffusionConfig.FromJson(json);
        Assert.Equal(json, back.ToJson());
    }

    [Fact]
    public void a_text_time_embedding_lets_the_prompt_reach_the_unet_when_cross_attention_does_not()
    {
        using var _ = no_grad();
        var generator = new Generator(4);
        using var sample = randn([1, 3, 8, 8], generator: generator);
        using var timesteps = tensor(new long[] { 500 });
        using var red = randn([1, 16, 8], generator: generator);
        using var blue = randn([1, 16, 8], generator: generator);
        UNet2DConditionModel Deafened(UNetConfig config)
        {
            var unet = new UNet2DConditionModel(config);
            foreach (var (name, parameter) in unet.named_parameters())
                if (name.Contains("attn2.to_v.", StringComparison.Ordinal))
                    parameter.zero_(); // cross-attention now adds the same thing whatever the prompt
            return unet;
        }

        using var deaf = Deafened(TinyConfigs.Tiny.Unet);
        Assert.True(deaf.Forward(sample, timesteps, red).eq(deaf.Forward(sample, timesteps, blue)).all().item<bool>());

        using var hearing = Deafened(TinyConfigs.Tiny.Unet with { AdditionEmbedType = UNetConfig.TextAddition, AdditionEmbedTypeNumHeads = 2 });
        Assert.False(hearing.Forward(sample, timesteps, red).allclose(hearing.Forward(sample, timesteps, blue)));
        var keys = hearing.state_dict().Keys.Where(k => k.StartsWith("add_embedding.", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        Assert.Equal(["add_embedding.norm1.bias", "add_embedding.norm1.weight", "add_embedding.norm2.bias", "add_embedding.norm2.weight",
            "add_embedding.pool.k_proj.bias", "add_embedding.pool.k_proj.weight", "add_embedding.pool.positional_embedding",
            "add_embedding.pool.q_proj.bias", "add_embedding.pool.q_proj.weight", "add_embedding.pool.v_proj.bias", "add_embedding.pool.v_proj.weight",
            "add_embedding.proj.bias", "add_embedding.proj.weight"], keys);
    }

    [Theory]
    [InlineData("image", 2, "unknown addition_embed_type 'image'")]
    [InlineData("text", 3, "addition_embed_type_num_heads 3 must divide cross_attention_dim 8")]
    public void an_impossible_text_time_embedding_is_refused_with_its_setting_named(string type, int heads, string message)
    {
        var config = TinyConfigs.Tiny.Unet with { AdditionEmbedType = type, AdditionEmbedTypeNumHeads = heads };
        Assert.Contains(message, Assert.Throws<ArgumentException>(config.Validate).Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void preservation_draws_the_asked_share_of_its_timesteps_from_the_noisiest_tenth(double share)
    {
        using var model = Tiny();
        using var generator = new Generator(3);
        using var uniform = new Generator(3);

        using var timesteps = model.PreservationTimesteps(4000, generator, share);

        var noisiest = timesteps.ge(model.TrainTimesteps * 9 / 10).sum().item<long>() / 4000.0;
        var expected = share + (1 - share) / 10; // the uniform draws land there a tenth of the time
        Assert.InRange(noisiest, expected - 0.03, expected + 0.03);
        Assert.True(timesteps.ge(0).all().item<bool>() && timesteps.lt(model.TrainTimesteps).all().item<bool>());
        if (share == 0) // a dataset without the option draws exactly what it always drew
        {
            using var before = randint(0, model.TrainTimesteps, [4000], dtype: int64, generator: uniform);
            Assert.True(timesteps.equal(before).all().item<bool>());
        }
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(100, 900)]
    [InlineData(0, 1)]
    public void the_teaching_loss_draws_its_timesteps_from_min_up_to_not_including_max(int min, int? max)
    {
        using var model = Tiny();
        using var generator = new Generator(3);
        using var uniform = new Generator(3);

        using var timesteps = model.DrawTimesteps(4000, generator, new DiffusionLossOptions(MinTimestep: min, MaxTimestep: max));

        var end = max ?? model.TrainTimesteps;
        Assert.Equal(min, timesteps.min().item<long>());
        Assert.Equal(end - 1, timesteps.max().item<long>());
        if (max is null) // a plan without a range draws exactly what it always drew
        {
            using var before = randint(0, model.TrainTimesteps, [4000], dtype: int64, generator: uniform);
            Assert.True(timesteps.equal(before).all().item<bool>());
        }
    }

    [Theory]
    [InlineData(0, 1001)]
    [InlineData(500, 500)]
    [InlineData(-1, 10)]
    public void a_timestep_range_outside_the_schedule_or_empty_is_refused_with_the_schedule_named(int min, int max)
    {
        using var model = Tiny();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.DrawTimesteps(4, new Generator(3), new DiffusionLossOptions(MinTimestep: min, MaxTimestep: max)));
        Assert.Contains($"schedule of {model.TrainTimesteps} timesteps", error.Message);
    }

    [Fact]
    public void forward_passes_have_the_expected_shapes()
    {
        using var model = Tiny();
        using var _ = no_grad();
        var context = model.EncodeText(["a small red circle", "zxqv"]);
        Assert.Equal([2L, 16, 8], context.shape);
        var prediction = model.Predict(randn(2, 3, 8, 8), tensor(new long[] { 0, 999 }), context);
        Assert.Equal([2L, 3, 8, 8], prediction.shape);
    }

    [Fact]
    public void a_few_training_steps_reduce_the_loss_on_a_fixed_batch()
    {
        using var model = Tiny();
        var images = rand(4, 3, 8, 8, generator: new Generator(3));
        string[] captions = ["red", "blue", "green", ""];
        using var optimizer = optim.AdamW(model.parameters(), lr: 3e-3);
        float LossAt(bool step)
        {
            using var scope = NewDisposeScope();
            // The same generator seed every step: the same noise and timesteps, so losses compare.
            var loss = model.Loss(images, captions, new Generator(5), new DiffusionLossOptions(MinSnrGamma: 5, NoiseOffset: 0.05));
            if (step)
            {
                optimizer.zero_grad();
                OneDnn.Backward(loss); // as every training loop does: oneDNN's convolution gradients go NaN on Zen 5
                optimizer.step();
            }
            return loss.item<float>();
        }
        var before = LossAt(step: false);
        for (var i = 0; i < 15; i++)
            LossAt(step: true);
        Assert.True(float.IsFinite(before));
        Assert.True(LossAt(step: false) < before * 0.9, $"loss did not fall from {before}");
    }

    [Theory]
    [InlineData(SamplerKind.Ddim)]
    [InlineData(SamplerKind.EulerAncestral)]
    public void sampling_depends_only_on_each_images_seed(SamplerKind sampler)
    {
        using var model = Tiny();
        var first = model.Sample(["a red circle", "a blue square"], [11, 12], steps: 4, guidance: 3, sampler: sampler);
        var again = model.Sample(["a red circle", "a blue square"], [11, 12], steps: 4, guidance: 3, sampler: sampler);
        var alone = model.Sample(["a blue square"], [12], steps: 4, guidance: 3, sampler: sampler);
        var otherSeed = model.Sample(["a red circle"], [13], steps: 4, guidance: 3, sampler: sampler);

        Assert.Equal([2L, 3, 8, 8], first.shape);
        Assert.True(first.eq(again).all().item<bool>());
        Assert.True(first[1].allclose(alone[0], rtol: 1e-4, atol: 1e-5));
        Assert.False(first[0].allclose(otherSeed[0]));
        Assert.True(first.min().item<float>() >= 0 && first.max().item<float>() <= 1);
        Assert.Equal(3 * 8 * 8, ImageTensors.ToRgb(first)[1].Length);
    }

    [Fact]
    public void guidance_one_is_the_conditional_and_guidance_zero_the_unconditional_prediction()
    {
        using var model = Tiny();
        using var _ = no_grad();
        var sample = randn(2, 3, 8, 8);
        var timesteps = tensor(new long[] { 10, 500 });
        var context = model.EncodeText(["a red circle", "a blue square"]);
        var uncond = model.EncodeText(["", ""]);

        var conditional = model.Predict(sample, timesteps, context);
        var unconditional = model.Predict(sample, timesteps, uncond);
        Assert.True(model.GuidedPrediction(sample, timesteps, context, uncond, 1).allclose(conditional, rtol: 1e-4, atol: 1e-5));
        Assert.True(model.GuidedPrediction(sample, timesteps, context, uncond, 0).allclose(unconditional, rtol: 1e-4, atol: 1e-5));
        var guided = model.GuidedPrediction(sample, timesteps, context, uncond, 4);
        Assert.True(guided.allclose(unconditional + 4 * (conditional - unconditional), rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void lora_attaches_to_the_attention_layers_and_a_fresh_adapter_changes_nothing()
    {
        using var model = Tiny();
        var before = model.Sample(["a red circle"], [7], steps: 3);
        using var lora = new LoraModel(model.Parts);
        var network = lora.Add("style", new LoraOptions
        {
            Rank = 2,
            Alpha = 2,
            Targets = [new TargetRule("to_q"), new TargetRule("to_k"), new TargetRule("to_v"), new TargetRule("**.to_out.0"), new TargetRule("q_proj")],
        });

        var names = network.Targets.Select(t => t.Name).ToList();
        Assert.Contains("lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k", names);
        Assert.Contains("lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_out_0", names);
        Assert.Contains("lora_te_text_model_encoder_layers_0_self_attn_q_proj", names);
        // Adding the adapter's exact zeros gives a new output tensor, and on some CPUs the layers after it then take
        // another kernel: the picture may move by float rounding (5e-7 measured), never by more.
        Assert.True(model.Sample(["a red circle"], [7], steps: 3).allclose(before, rtol: 0, atol: 1e-5));

        // The hooks fire: a non-zero adapter does change the picture.
        using (no_grad())
            foreach (var (name, parameter) in network.named_parameters())
                if (name.Contains("lora_up"))
                    parameter.fill_(0.5f);
        Assert.False(model.Sample(["a red circle"], [7], steps: 3).allclose(before));
    }
}
