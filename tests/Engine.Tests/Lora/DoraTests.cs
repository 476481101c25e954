using LoraNotebooks.Engine.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Lora;

/// <summary>
/// DoRA layers (<see cref="LoraOptions.UseDora"/>). The shared behaviour (a fresh adapter changes nothing,
/// strength 0 is the base, merged equals unmerged) runs in <see cref="LoraModelTests"/>; these check the
/// weight it stands for against the formulas the tools that read DoRA files use (ComfyUI for magnitudes per
/// input feature, LyCORIS for magnitudes per output feature), and that training moves it.
/// </summary>
public class DoraTests
{
    private static readonly LoraOptions Dora = new() { Rank = 2, Alpha = 3, UseDora = true, Targets = [new TargetRule("**")] };

    private static LoraOptions On(DoraAxis axis) => Dora with { DoraAxis = axis };

    /// <summary>
    /// ComfyUI's <c>weight_decompose</c> at strength 1, written out here on its own: the adapted weight
    /// <c>W + scale·up·down</c>, each input column rescaled to the stored magnitude.
    /// </summary>
    private static Tensor ComfyUiWeight(Tensor weight, Tensor up, Tensor down, double scale, Tensor doraScale)
    {
        var lowRank = up.flatten(1).matmul(down.flatten(1)).reshape(weight.shape) * scale;
        var calc = weight + lowRank;
        var inputs = calc.shape[1];
        var norm = calc.transpose(0, 1).reshape(inputs, -1).norm(1, keepdim: true)
            .reshape([inputs, .. Enumerable.Repeat(1L, (int)calc.dim() - 1)]).transpose(0, 1) + 1.1920928955078125e-07;
        return calc * (doraScale / norm);
    }

    /// <summary>
    /// LyCORIS's <c>apply_weight_decompose</c> with <c>wd_on_out</c> at multiplier 1, written out here on its own:
    /// the adapted weight, each output row rescaled to the stored magnitude.
    /// </summary>
    private static Tensor LycorisWeight(Tensor weight, Tensor up, Tensor down, double scale, Tensor doraScale)
    {
        var calc = weight + up.flatten(1).matmul(down.flatten(1)).reshape(weight.shape) * scale;
        var outputs = calc.shape[0];
        var norm = calc.reshape(outputs, -1).norm(1).reshape([outputs, .. Enumerable.Repeat(1L, (int)calc.dim() - 1)]) + 1.1920928955078125e-07;
        return calc * (doraScale / norm);
    }

    private static void Perturb(LoraNetwork network)
    {
        using var _ = no_grad();
        torch.manual_seed(3);
        foreach (var layer in network.Layers.Values)
        {
            layer.Up.parameters().Single().normal_(0, 0.3);
            layer.Magnitude!.mul_(torch.rand_like(layer.Magnitude) + 0.5);
        }
    }

    [Theory]
    [InlineData("mlp", DoraAxis.Input)]
    [InlineData("conv", DoraAxis.Input)]
    [InlineData("mlp", DoraAxis.Output)]
    [InlineData("conv", DoraAxis.Output)]
    public void each_layer_acts_as_the_weight_the_tools_that_read_its_file_build(string kind, DoraAxis axis)
    {
        torch.manual_seed(5);
        nn.Module<Tensor, Tensor> model = kind == "mlp" ? new TinyModels.Mlp() : new TinyModels.ConvNet();
        using var lora = new LoraModel(new ModelPart(ModelPart.UNet, model));
        var network = lora.Add("d", On(axis));
        lora.Train(false);
        Perturb(network);

        foreach (var target in network.Targets)
        {
            var layer = network.Layers[target.Name];
            var reference = axis == DoraAxis.Input ? (Func<Tensor, Tensor, Tensor, double, Tensor, Tensor>)ComfyUiWeight : LycorisWeight;
            var expected = reference(target.BaseWeight.detach(), layer.Up.parameters().Single().detach(),
                layer.Down.parameters().Single().detach(), layer.Scale, layer.Magnitude!.detach());
            var delta = layer.DeltaWeight();
            Assert.True((target.BaseWeight + delta).allclose(expected, rtol: 0, atol: 1e-6), target.Path);

            // The layer's output is the base layer's with that weight (and its own bias).
            var input = target.Kind == LayerKinds.Conv2d ? torch.randn(2, target.BaseWeight.shape[1], 5, 5) : torch.randn(4, target.BaseWeight.shape[1]);
            using var __ = no_grad();
            var adapted = target.Module.call(input); // call, not forward: hooks run in call
            var direct = target.Module switch
            {
                Conv2d conv => nn.functional.conv2d(input, expected, conv.bias, [conv.stride[0], conv.stride[1]], [conv.padding![0], conv.padding[1]]),
                Linear linear => nn.functional.linear(input, expected, linear.bias),
                _ => throw new InvalidOperationException(),
            };
            Assert.True(adapted.allclose(direct, rtol: 0, atol: 1e-5), $"{target.Path}: max diff {(adapted - direct).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void magnitudes_start_at_the_base_weights_column_norms_one_per_input_feature()
    {
        torch.manual_seed(5);
        var model = new TinyModels.ConvNet();
        using var lora = new LoraModel(new ModelPart(ModelPart.UNet, model));
        var network = lora.Add("d", Dora);

        var state = network.state_dict();
        Assert.Equal([1L, 3, 1, 1], state["lora_unet_conv_in.dora_scale"].shape);
        Assert.Equal([1L, 36], state["lora_unet_head.dora_scale"].shape);
        var head = network.Targets.Single(t => t.Path == "head").BaseWeight;
        Assert.True(state["lora_unet_head.dora_scale"].allclose(head.norm(0, keepdim: true), rtol: 1e-6, atol: 1e-6));
        Assert.Equal(network.Layers.Values.Sum(l => l.Down.parameters().Single().numel() + l.Up.parameters().Single().numel() + l.Magnitude!.numel()),
            network.ParameterCount);
    }

    [Fact]
    public void magnitudes_per_output_feature_start_at_the_base_weights_row_norms()
    {
        torch.manual_seed(5);
        var model = new TinyModels.ConvNet();
        using var lora = new LoraModel(new ModelPart(ModelPart.UNet, model));
        var network = lora.Add("d", On(DoraAxis.Output));

        var state = network.state_dict();
        var conv = network.Targets.Single(t => t.Path == "conv_in").BaseWeight;
        Assert.Equal([conv.shape[0], 1, 1, 1], state["lora_unet_conv_in.dora_scale"].shape);
        var head = network.Targets.Single(t => t.Path == "head").BaseWeight;
        Assert.Equal([head.shape[0], 1], state["lora_unet_head.dora_scale"].shape);
        Assert.True(state["lora_unet_head.dora_scale"].allclose(head.norm(1, keepdim: true), rtol: 1e-6, atol: 1e-6));
        Assert.All(network.Layers.Values, l => Assert.Equal(DoraAxis.Output, l.DoraAxis));
    }

    [Theory]
    [InlineData(DoraAxis.Input)]
    [InlineData(DoraAxis.Output)]
    public void a_training_step_moves_the_magnitudes_and_the_low_rank_weights(DoraAxis axis)
    {
        torch.manual_seed(5);
        var model = new TinyModels.Mlp();
        using var lora = new LoraModel(new ModelPart(ModelPart.UNet, model));
        var network = lora.Add("d", On(axis));
        lora.Train(true);
        var before = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var optimizer = torch.optim.SGD(lora.TrainableParameters(), 0.1);

        for (var step = 0; step < 2; step++)
        {
            optimizer.zero_grad();
            var loss = (model.forward(torch.randn(8, 6)) - 1).pow(2).mean();
            loss.backward();
            optimizer.step();
        }

        var after = network.state_dict();
        foreach (var key in new[] { "lora_unet_fc1.dora_scale", "lora_unet_fc2.dora_scale", "lora_unet_fc1.lora_up.weight", "lora_unet_fc2.lora_down.weight" })
            Assert.False(after[key].eq(before[key]).all().item<bool>(), key);
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void plain_lora_layers_have_no_magnitudes_and_keep_their_state_dict()
    {
        torch.manual_seed(5);
        using var lora = new LoraModel(new ModelPart(ModelPart.UNet, new TinyModels.Mlp()));
        var network = lora.Add("p", Dora with { UseDora = false });
        Assert.All(network.Layers.Values, l => Assert.False(l.IsDora));
        Assert.Equal(["alpha", "lora_down.weight", "lora_up.weight"], network.Layers["lora_unet_fc1"].state_dict().Keys.Order());
    }
}
