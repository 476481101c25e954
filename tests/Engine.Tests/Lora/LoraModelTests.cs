using LoraNotebooks.Engine.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Lora;

public class LoraModelTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "mlp", "rank4" },
        { "mlp", "rank1-rslora" },
        { "mlp", "gaussian-dropout" },
        { "conv", "rank4" },
        { "conv", "conv-only-override" },
        { "conv", "rank1-rslora" },
        { "mlp", "dora" },
        { "conv", "dora" },
        { "mlp", "dora-per-output" },
        { "conv", "dora-per-output" },
    };

    private static (nn.Module<Tensor, Tensor> Model, Tensor Input) Build(string model)
    {
        torch.manual_seed(7);
        return model switch
        {
            "mlp" => (new TinyModels.Mlp(), torch.randn(5, 6)),
            "conv" => (new TinyModels.ConvNet(), torch.randn(2, 3, 6, 6)),
            _ => throw new ArgumentException(model),
        };
    }

    private static LoraOptions Options(string name) => name switch
    {
        "rank4" => new LoraOptions { Rank = 4, Alpha = 2, Targets = [new TargetRule("**")] },
        "rank1-rslora" => new LoraOptions { Rank = 1, Alpha = 3, UseRsLora = true, Targets = [new TargetRule("**")] },
        "gaussian-dropout" => new LoraOptions { Rank = 2, Alpha = 2, Init = LoraInit.Gaussian, Dropout = 0.5, Targets = [new TargetRule("**")] },
        "dora" => new LoraOptions { Rank = 3, Alpha = 2, Dropout = 0.25, UseDora = true, Targets = [new TargetRule("**")] },
        "dora-per-output" => new LoraOptions { Rank = 3, Alpha = 2, Dropout = 0.25, UseDora = true, DoraAxis = DoraAxis.Output, Targets = [new TargetRule("**")] },
        "conv-only-override" => new LoraOptions
        {
            Rank = 2, Alpha = 1,
            Targets = [new TargetRule("**", LayerKinds.Conv2d), new TargetRule("proj", LayerKinds.Conv2d, Rank: 3, Alpha: 6)],
        },
        _ => throw new ArgumentException(name),
    };

    private static Tensor Run(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var _ = no_grad();
        return model.forward(input);
    }

    /// <summary>Gives up weights random values so a delta is not zero, and DoRA magnitudes other values than the base's norms.</summary>
    private static void Randomise(LoraNetwork network, long seed)
    {
        var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var layer in network.Layers.Values)
            foreach (var (name, parameter) in layer.named_parameters())
                if (name.StartsWith("lora_up"))
                    nn.init.normal_(parameter, 0, 0.5, generator);
                else if (name == "dora_scale")
                    parameter.mul_(torch.rand(parameter.shape, generator: generator) + 0.5);
    }

    private static LoraModel Attach(nn.Module<Tensor, Tensor> model) => new(new ModelPart(ModelPart.UNet, model));

    [Theory, MemberData(nameof(Cases))]
    public void a_fresh_adapter_leaves_outputs_unchanged(string model, string options)
    {
        var (m, x) = Build(model);
        var before = Run(m, x);
        using var lora = Attach(m);
        lora.Add("a", Options(options));
        lora.Train(false);
        Assert.True(Run(m, x).eq(before).all().item<bool>());
    }

    [Theory, MemberData(nameof(Cases))]
    public void strength_zero_equals_the_base_model_exactly(string model, string options)
    {
        var (m, x) = Build(model);
        var before = Run(m, x);
        using var lora = Attach(m);
        var a = lora.Add("a", Options(options));
        lora.Train(false);
        Randomise(a, 1);
        Assert.False(Run(m, x).eq(before).all().item<bool>());
        a.Strength = 0;
        Assert.True(Run(m, x).eq(before).all().item<bool>());
        a.Strength = 1;
        a.Enabled = false;
        Assert.True(Run(m, x).eq(before).all().item<bool>());
    }

    [Theory, MemberData(nameof(Cases))]
    public void merged_equals_unmerged_and_unmerge_restores_the_base_bit_exactly(string model, string options)
    {
        var (m, x) = Build(model);
        var baseWeights = m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var lora = Attach(m);
        var a = lora.Add("a", Options(options));
        lora.Train(false);
        Randomise(a, 2);
        a.Strength = 0.7;
        var unmerged = Run(m, x);

        lora.Merge("a");
        Assert.True(a.IsMerged);
        var merged = Run(m, x);
        Assert.True(merged.allclose(unmerged, rtol: 0, atol: 1e-5), $"max diff {(merged - unmerged).abs().max().item<float>()}");

        Assert.True(lora.Unmerge());
        foreach (var (key, weight) in m.state_dict())
            Assert.True(weight.eq(baseWeights[key]).all().item<bool>(), key);
        Assert.True(Run(m, x).eq(unmerged).all().item<bool>());
    }

    [Theory, MemberData(nameof(Cases))]
    public void two_adapters_add_their_deltas_scaled_by_their_strengths(string model, string options)
    {
        var (m, x) = Build(model);
        using var lora = Attach(m);
        var a = lora.Add("a", Options(options));
        var b = lora.Add("b", Options(options) with { Rank = 3 });
        lora.Train(false);
        Randomise(a, 3);
        Randomise(b, 4);

        // A linear model is needed for deltas to add up exactly; check layer by layer instead.
        foreach (var target in a.Targets)
        {
            var input = target.Kind == LayerKinds.Conv2d ? torch.randn(1, target.BaseWeight.shape[1], 5, 5) : torch.randn(3, target.BaseWeight.shape[1]);
            a.Strength = 0; b.Strength = 0;
            var baseOut = Run(target.Module, input);
            a.Strength = 1;
            var deltaA = Run(target.Module, input) - baseOut;
            a.Strength = 0; b.Strength = 1;
            var deltaB = Run(target.Module, input) - baseOut;
            a.Strength = 0.6; b.Strength = -1.5;
            var both = Run(target.Module, input);
            var expected = baseOut + deltaA * 0.6 + deltaB * -1.5;
            Assert.True(both.allclose(expected, rtol: 0, atol: 1e-5), target.Path);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void only_adapter_parameters_are_trainable(string model, string options)
    {
        var (m, _) = Build(model);
        using var lora = Attach(m);
        var a = lora.Add("a", Options(options));
        Assert.All(m.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(lora.TrainableParameters(), p => Assert.True(p.requires_grad));
        Assert.Equal(a.ParameterCount, lora.TrainableParameters().Sum(p => p.numel()));
        Assert.DoesNotContain(a.named_buffers(), b => b.Item2.requires_grad);
    }

    [Fact]
    public void per_pattern_overrides_set_rank_and_alpha_of_matching_layers()
    {
        var (m, _) = Build("conv");
        using var lora = Attach(m);
        var a = lora.Add("a", Options("conv-only-override"));
        Assert.Equal(["lora_unet_conv_in", "lora_unet_proj"], a.Layers.Keys.Order());
        Assert.Equal((2, 1.0), (a.Layers["lora_unet_conv_in"].Rank, a.Layers["lora_unet_conv_in"].Alpha));
        Assert.Equal((3, 6.0), (a.Layers["lora_unet_proj"].Rank, a.Layers["lora_unet_proj"].Alpha));
    }

    [Fact]
    public void conv_adapters_take_the_layers_kernel_stride_and_padding_with_a_1x1_up()
    {
        var (m, _) = Build("conv");
        using var lora = Attach(m);
        var a = lora.Add("a", new LoraOptions { Rank = 2, Targets = [new TargetRule("proj")] });
        var state = a.state_dict();
        Assert.Equal([2L, 5, 3, 3], state["lora_unet_proj.lora_down.weight"].shape);
        Assert.Equal([4L, 2, 1, 1], state["lora_unet_proj.lora_up.weight"].shape);
        Assert.Empty(state["lora_unet_proj.alpha"].shape);
    }

    [Fact]
    public void excluded_paths_get_no_adapter_and_an_empty_selection_is_an_error()
    {
        var (m, _) = Build("mlp");
        using var lora = Attach(m);
        var a = lora.Add("a", new LoraOptions { Exclude = ["fc2"] });
        Assert.Equal(["lora_unet_fc1"], a.Layers.Keys);
        var error = Assert.Throws<ArgumentException>(() => lora.Add("b", new LoraOptions { Targets = [new TargetRule("nothing_here")] }));
        Assert.Contains("selected no", error.Message);
    }

    [Theory]
    [InlineData(0, 1, 0, "rank")]
    [InlineData(4, 0, 0, "alpha")]
    [InlineData(4, 4, 1.0, "dropout")]
    public void impossible_options_are_rejected_with_the_value_named(int rank, double alpha, double dropout, string what)
    {
        var error = Assert.Throws<ArgumentException>(() => new LoraOptions { Rank = rank, Alpha = alpha, Dropout = dropout }.Validate());
        Assert.Contains(what, error.Message);
    }

    [Fact]
    public void merging_a_non_finite_adapter_changes_nothing()
    {
        var (m, x) = Build("mlp");
        var before = Run(m, x);
        using var lora = Attach(m);
        var a = lora.Add("a", Options("rank4"));
        using (no_grad())
            a.Layers.Values.First().Up.parameters().First().fill_(float.NaN);
        Assert.Throws<InvalidOperationException>(() => lora.Merge("a"));
        Assert.False(a.IsMerged);
        a.Enabled = false;
        Assert.True(Run(m, x).eq(before).all().item<bool>());
    }

    [Fact]
    public void unmerge_undoes_several_merges_newest_first()
    {
        var (m, x) = Build("mlp");
        var before = Run(m, x);
        using var lora = Attach(m);
        var a = lora.Add("a", Options("rank4"));
        var b = lora.Add("b", Options("rank4"));
        Randomise(a, 5);
        Randomise(b, 6);
        var live = Run(m, x);
        lora.Merge("a");
        lora.Merge("b");
        Assert.True(Run(m, x).allclose(live, rtol: 0, atol: 1e-5));
        lora.UnmergeAll();
        a.Enabled = b.Enabled = false;
        Assert.True(Run(m, x).eq(before).all().item<bool>());
    }

    [Fact]
    public void kohya_names_follow_the_diffusers_module_path()
    {
        var model = new TinyModels.DiffusersLike();
        using var lora = Attach(model);
        var a = lora.Add("a", new LoraOptions { Targets = [new TargetRule("**.attn1.**")] });
        Assert.Equal(
            ["lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0", "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"],
            a.Layers.Keys.Order());
        Assert.Equal("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
            KohyaNames.For("lora_unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"));
        Assert.Contains("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight", a.state_dict().Keys);
    }

    [Theory]
    [InlineData(LoraInit.KaimingUniform)]
    [InlineData(LoraInit.Gaussian)]
    public void the_same_generator_seed_gives_the_same_fresh_adapter(LoraInit init)
    {
        var (m, _) = Build("conv");
        using var lora = Attach(m);
        var options = Options("rank4") with { Init = init };
        var a = lora.Add("a", options, new Generator(42));
        var b = lora.Add("b", options, new Generator(42));
        var c = lora.Add("c", options, new Generator(43));
        var (sa, sb, sc) = (a.state_dict(), b.state_dict(), c.state_dict());
        Assert.All(sa, kv => Assert.True(kv.Value.eq(sb[kv.Key]).all().item<bool>(), kv.Key));
        Assert.Contains(sa, kv => kv.Key.Contains("lora_down") && !kv.Value.eq(sc[kv.Key]).all().item<bool>());
    }
}
