using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.SafeTensors;
using LoraNotebooks.Engine.Tests.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Adapters;

public sealed class AdapterFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lora-adapter-tests").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (LoraModel Lora, LoraNetwork Network, TinyModels.ConvNet Model) Trained(LoraOptions options)
    {
        torch.manual_seed(11);
        var model = new TinyModels.ConvNet();
        var lora = new LoraModel(new ModelPart(ModelPart.UNet, model));
        var network = lora.Add("a", options);
        using var _ = no_grad();
        foreach (var p in network.parameters())
            p.copy_(torch.randn_like(p));
        return (lora, network, model);
    }

    private static readonly LoraOptions Mixed = new()
    {
        Rank = 3, Alpha = 1.5,
        Targets = [new TargetRule("**"), new TargetRule("head", Rank: 2, Alpha: 4)],
    };

    [Theory]
    [InlineData(AdapterLayout.Kohya)]
    [InlineData(AdapterLayout.Peft)]
    public void save_then_load_round_trips_weights_bit_exactly(AdapterLayout layout)
    {
        var (lora, network, model) = Trained(Mixed);
        var path = Path.Combine(_folder, "a.safetensors");
        AdapterFile.Save(network, path, layout, new Dictionary<string, string> { ["modelspec.title"] = "round trip" });

        var loaded = AdapterFile.Load(path, lora.Parts, "b");
        Assert.Equal(network.Layers.Keys.Order(), loaded.Layers.Keys.Order());
        var expected = network.state_dict();
        foreach (var (key, value) in loaded.state_dict())
            Assert.True(value.eq(expected[key]).all().item<bool>(), key);
        foreach (var (name, layer) in loaded.Layers)
            Assert.Equal(network.Layers[name].Scale, layer.Scale, 6);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal("round trip", file.Metadata["modelspec.title"]);
        Assert.Equal("networks.lora", file.Metadata["ss_network_module"]);
        Assert.Equal("3", file.Metadata["ss_network_dim"]);
    }

    [Theory]
    [InlineData(false, DoraAxis.Input)]
    [InlineData(true, DoraAxis.Input)]
    [InlineData(true, DoraAxis.Output)]
    public void a_loaded_adapter_gives_the_same_outputs_as_the_saved_one(bool dora, DoraAxis axis)
    {
        var (lora, network, model) = Trained(Mixed with { UseDora = dora, DoraAxis = axis });
        lora.Train(false);
        var x = torch.randn(2, 3, 6, 6);
        Tensor expected;
        using (no_grad())
            expected = model.call(x);
        var path = Path.Combine(_folder, "a.safetensors");
        AdapterFile.Save(network, path);
        network.Enabled = false;
        lora.Add(AdapterFile.Load(path, lora.Parts, "b"));
        using (no_grad())
            Assert.True(model.call(x).allclose(expected, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void kohya_files_store_alpha_as_a_zero_dimensional_tensor_and_missing_alpha_means_rank()
    {
        var (lora, network, _) = Trained(new LoraOptions { Rank = 4, Alpha = 1, Targets = [new TargetRule("head")] });
        var path = Path.Combine(_folder, "a.safetensors");
        AdapterFile.Save(network, path);
        using (var file = SafeTensorsFile.Open(path))
        {
            Assert.Empty(file.Tensors["lora_unet_head.alpha"].Shape);
            var withoutAlpha = file.Tensors.Keys.Where(k => !k.EndsWith(".alpha")).Select(k => new TensorData(k, file.Tensors[k].DType, file.Tensors[k].Shape, file.ReadBytes(k)));
            SafeTensorsWriter.Write(Path.Combine(_folder, "no-alpha.safetensors"), withoutAlpha.ToList());
        }
        var loaded = AdapterFile.Load(Path.Combine(_folder, "no-alpha.safetensors"), lora.Parts, "b");
        Assert.Equal(4, loaded.Layers["lora_unet_head"].Alpha);
        Assert.Equal(1.0, loaded.Layers["lora_unet_head"].Scale);
    }

    [Fact]
    public void peft_files_take_alpha_from_adapter_config_json()
    {
        var (lora, network, _) = Trained(new LoraOptions { Rank = 4, Alpha = 8, Targets = [new TargetRule("head")] });
        var path = Path.Combine(_folder, "peft", "adapter_model.safetensors");
        AdapterFile.Save(network, path, AdapterLayout.Peft);
        var config = File.ReadAllText(Path.Combine(_folder, "peft", "adapter_config.json"));
        Assert.Contains("\"lora_alpha\": 8", config);
        using (var file = SafeTensorsFile.Open(path))
            Assert.Equal(["base_model.model.head.lora_A.weight", "base_model.model.head.lora_B.weight"], file.Tensors.Keys);
        var loaded = AdapterFile.Load(Path.Combine(_folder, "peft"), lora.Parts, "b");
        Assert.Equal(2.0, loaded.Layers["lora_unet_head"].Scale);
    }

    [Fact]
    public void a_file_for_another_model_is_refused_with_the_adapter_named()
    {
        var (_, network, _) = Trained(Mixed);
        var path = Path.Combine(_folder, "a.safetensors");
        AdapterFile.Save(network, path);
        var other = new ModelPart(ModelPart.UNet, new TinyModels.Mlp());
        var error = Assert.Throws<AdapterFormatException>(() => AdapterFile.Load(path, [other], "b"));
        Assert.Contains("lora_unet_", error.Message);
        Assert.Contains("another model", error.Message);
    }

    [Fact]
    public void inspect_reports_format_ranks_alphas_dtypes_and_parameters()
    {
        var (_, network, _) = Trained(Mixed);
        var path = Path.Combine(_folder, "a.safetensors");
        AdapterFile.Save(network, path, storeAs: ScalarType.Float16);
        var report = AdapterReport.Read(path);
        Assert.Equal(AdapterLayout.Kohya, report.Format);
        Assert.Equal(3, report.Adapters.Count);
        Assert.Equal([2, 3], report.Ranks);
        Assert.Equal([1.5, 4], report.Alphas);
        Assert.Equal(["F16"], report.DTypes);
        Assert.Equal(network.ParameterCount, report.Adapters.Sum(a => a.Parameters));
        Assert.Equal(new FileInfo(path).Length, report.FileBytes);
        Assert.Equal(3, report.TargetGroups["lora_unet"]);
    }

    private static readonly LoraOptions MixedDora = Mixed with { UseDora = true };

    [Fact]
    public void a_dora_adapter_saves_its_magnitudes_as_dora_scale_and_loads_them_back()
    {
        var (lora, network, _) = Trained(MixedDora);
        var path = Path.Combine(_folder, "dora.safetensors");
        AdapterFile.Save(network, path);

        using (var file = SafeTensorsFile.Open(path))
        {
            Assert.Equal([1L, 3, 1, 1], file.Tensors["lora_unet_conv_in.dora_scale"].Shape);
            Assert.Equal([1L, 36], file.Tensors["lora_unet_head.dora_scale"].Shape);
            Assert.Equal("{\"conv_dim\":3,\"dora_wd\":true}", file.Metadata["ss_network_args"]);
        }
        var loaded = AdapterFile.Load(path, lora.Parts, "b");
        Assert.All(loaded.Layers.Values, l => Assert.True(l.IsDora));
        var saved = network.state_dict();
        foreach (var (key, value) in loaded.state_dict())
            Assert.True(value.eq(saved[key]).all().item<bool>(), key);

        var report = AdapterReport.Read(path);
        Assert.All(report.Adapters, a => Assert.True(a.Dora));
        Assert.Equal(network.ParameterCount, report.Adapters.Sum(a => a.Parameters));
    }

    [Fact]
    public void dora_magnitudes_per_output_feature_are_saved_and_loaded_as_lycoris_keeps_them()
    {
        var (lora, network, _) = Trained(MixedDora with { DoraAxis = DoraAxis.Output });
        var path = Path.Combine(_folder, "dora.safetensors");
        AdapterFile.Save(network, path);

        using (var file = SafeTensorsFile.Open(path))
        {
            var head = network.Targets.Single(t => t.Path == "head").BaseWeight;
            Assert.Equal([head.shape[0], 1], file.Tensors["lora_unet_head.dora_scale"].Shape);
            Assert.Equal("{\"conv_dim\":3,\"dora_wd\":true,\"wd_on_out\":true}", file.Metadata["ss_network_args"]);
        }
        var loaded = AdapterFile.Load(path, lora.Parts, "b");
        Assert.All(loaded.Layers.Values, l => Assert.Equal(DoraAxis.Output, l.DoraAxis));
        var saved = network.state_dict();
        foreach (var (key, value) in loaded.state_dict())
            Assert.True(value.eq(saved[key]).all().item<bool>(), key);
    }

    [Fact]
    public void dora_magnitudes_of_another_shape_are_refused_naming_both_shapes_that_would_load()
    {
        var (lora, network, _) = Trained(MixedDora with { Targets = [new TargetRule("head")] });
        var path = Path.Combine(_folder, "dora.safetensors");
        AdapterFile.Save(network, path);
        var wrong = Path.Combine(_folder, "wrong.safetensors");
        using (var file = SafeTensorsFile.Open(path))
            SafeTensorsWriter.Write(wrong, file.Tensors.Keys
                .Select(k => k.EndsWith(".dora_scale") ? new TensorData(k, DType.F32, [3, 1], new byte[3 * 4]) : new TensorData(k, file.Tensors[k].DType, file.Tensors[k].Shape, file.ReadBytes(k)))
                .ToList());

        var error = Assert.Throws<AdapterFormatException>(() => AdapterFile.Load(wrong, lora.Parts, "b"));
        var head = network.Targets.Single(t => t.Path == "head").BaseWeight;
        Assert.Contains("lora_unet_head.dora_scale", error.Message);
        Assert.Contains($"[1,{head.shape[1]}] per input feature or [{head.shape[0]},1] per output feature", error.Message);
    }

    [Fact]
    public void a_dora_adapter_is_not_saved_in_the_peft_layout_nor_combined()
    {
        var (_, network, _) = Trained(MixedDora);
        var peft = Assert.Throws<ArgumentException>(() => AdapterFile.Save(network, Path.Combine(_folder, "peft", "adapter_model.safetensors"), AdapterLayout.Peft));
        Assert.Contains("kohya layout", peft.Message);
        Assert.False(File.Exists(Path.Combine(_folder, "peft", "adapter_model.safetensors")));

        var combine = Assert.Throws<UserErrorException>(() => AdapterCombiner.Combine([(network, 1.0)], "c"));
        Assert.Contains("DoRA", combine.Message);
    }

    [Theory]
    [InlineData("{\"lora_alpha\": 2, \"lora_alpha\": 3}")]
    [InlineData("{\"lora_alpha\": -1}")]
    [InlineData("{\"alpha_pattern\": {\"head\": null}}")]
    [InlineData("{\"use_rslora\": \"yes\"}")]
    [InlineData("[]")]
    public void a_malformed_peft_config_is_an_adapter_format_error(string config)
    {
        var (lora, network, _) = Trained(Mixed);
        var path = Path.Combine(_folder, "peft", "adapter_model.safetensors");
        AdapterFile.Save(network, path, AdapterLayout.Peft);
        File.WriteAllText(Path.Combine(_folder, "peft", "adapter_config.json"), config);

        Assert.Throws<AdapterFormatException>(() => AdapterFile.Load(path, lora.Parts, "b"));
    }

    [Fact]
    public void tensors_shaped_for_another_layer_are_refused_before_the_adapter_is_built()
    {
        var (lora, _, _) = Trained(Mixed);
        var path = Path.Combine(_folder, "other.safetensors");
        SafeTensorsWriter.Write(path,
        [
            new TensorData("lora_unet_head.lora_down.weight", DType.F16, [4096, 5], new byte[4096 * 5 * 2]),
            new TensorData("lora_unet_head.lora_up.weight", DType.F16, [2, 4096], new byte[2 * 4096 * 2]),
        ]);

        var error = Assert.Throws<AdapterFormatException>(() => AdapterFile.Load(path, lora.Parts, "b"));
        Assert.Contains("but the model's layer needs [4096,36]", error.Message);
    }
}
