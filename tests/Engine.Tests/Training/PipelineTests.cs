using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Data;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.Tests.Lora;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.Training.Optimizers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Training;

public sealed class PipelineTests
{
    static PipelineTests() => TorchNativeLoader.EnsureLoadable();

    [Theory]
    [InlineData(ScheduleKind.Constant, 3, 1.0)]
    [InlineData(ScheduleKind.Constant, 1, 0.5)]
    [InlineData(ScheduleKind.Linear, 3, 1.0)]
    [InlineData(ScheduleKind.Linear, 7, 0.5)]
    [InlineData(ScheduleKind.Linear, 10, 0.125)]
    [InlineData(ScheduleKind.Cosine, 7, 0.5)]
    [InlineData(ScheduleKind.Cosine, 3, 1.0)]
    [InlineData(ScheduleKind.CosineWithRestarts, 5, 0.5)]
    [InlineData(ScheduleKind.CosineWithRestarts, 7, 1.0)]
    public void schedules_give_exact_factors_after_a_two_step_warmup_of_a_ten_step_run(ScheduleKind kind, int step, double factor)
    {
        var schedule = new LearningRateSchedule(kind, TotalSteps: 10, WarmupSteps: 2, Cycles: 2);
        Assert.Equal(factor, schedule.Factor(step), 12);
    }

    [Fact]
    public void the_trigger_is_put_first_unless_the_caption_has_it()
    {
        Assert.Equal("zq, a red square", CaptionProcessor.WithTrigger("a red square", "zq"));
        Assert.Equal("a red zq square", CaptionProcessor.WithTrigger("a red zq square", "zq"));
        Assert.Equal("zq", CaptionProcessor.WithTrigger("", "zq"));
        Assert.Equal("a red square", CaptionProcessor.WithTrigger("a red square", null));
    }

    [Theory]
    [InlineData("a small red circle on the left, blue background", "a small red circle on the right, blue background")]
    [InlineData("ada person, a large figure on the right", "ada person, a large figure on the left")]
    [InlineData("Left paw raised, RIGHT ear folded, a bright, leftover cake", "Right paw raised, LEFT ear folded, a bright, leftover cake")]
    [InlineData("a large figure in the center", "a large figure in the center")]
    public void a_flipped_pictures_caption_swaps_left_and_right_as_words(string caption, string mirrored)
    {
        Assert.Equal(mirrored, CaptionProcessor.Mirrored(caption));
        Assert.Equal(caption, CaptionProcessor.Mirrored(mirrored));
    }

    [Fact]
    public void caption_shuffle_keeps_the_first_tags_in_place_and_moves_the_rest()
    {
        var random = new Random(1);
        var seen = Enumerable.Range(0, 50).Select(_ => CaptionProcessor.Shuffle("zq, red, square, gray background, small", 1, random)).ToList();
        Assert.All(seen, c => Assert.StartsWith("zq, ", c));
        Assert.All(seen, c => Assert.Equal(["gray background", "red", "small", "square", "zq"], c.Split(", ").Order()));
        Assert.True(seen.Distinct().Count() > 5);
    }

    [Fact]
    public void caption_dropout_empties_about_its_share_of_captions()
    {
        var random = new Random(2);
        var dropped = Enumerable.Range(0, 2000).Count(_ => CaptionProcessor.ForStep("zq, red", null, 0.25, random) == "");
        Assert.InRange(dropped, 420, 580);
    }

    [Fact]
    public void a_tall_image_trains_in_a_tall_bucket_and_batches_never_mix_buckets()
    {
        Assert.Contains(new Bucket(32, 32), AspectBuckets.For(32));
        var tall = AspectBuckets.Choose(100, 200, 32);
        Assert.True(tall.Height > tall.Width && tall.Width * tall.Height <= 32 * 32 && tall.Width % 8 == 0, tall.ToString());
        Assert.Equal(new Bucket(32, 32), AspectBuckets.Choose(50, 52, 32));

        var folder = Directory.CreateTempSubdirectory("buckets-").FullName;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                using (var image = new Image<Rgb24>(40, 80)) image.SaveAsPng(Path.Combine(folder, $"tall-{i}.png"));
                using (var image = new Image<Rgb24>(64, 64)) image.SaveAsPng(Path.Combine(folder, $"square-{i}.png"));
            }
            var read = CaptionedFolder.Read(folder, 32);
            Assert.Equal(2, read.Images.Select(i => i.Bucket).Distinct().Count());
            var plan = new DatasetPlan("mixed", new FolderSource(folder), 6, 0, 2, null, ".txt", null, 0, false, null);
            var order = new BatchOrder([new LoadedDataset(plan, read.Images, [])], batch: 2, seed: 1);
            Assert.Equal(6, order.MicroBatchesPerCycle);
            for (var m = 0; m < 12; m++)
                Assert.Single(order.Get(m).Select(i => i.Image.Bucket).Distinct());
            Assert.Equal(order.Get(7), order.Get(7));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void random_crop_cuts_bucket_sized_parts_at_varying_places_and_the_centre_cut_is_the_default()
    {
        var folder = Directory.CreateTempSubdirectory("crops-").FullName;
        try
        {
            // A 32×20 gradient: its bucket at resolution 16 is narrower than the cover, so there is room to move.
            using (var image = new Image<Rgb24>(32, 20))
            {
                for (var x = 0; x < 32; x++)
                    for (var y = 0; y < 20; y++)
                        image[x, y] = new Rgb24((byte)(x * 8), (byte)(y * 12), 0);
                image.SaveAsPng(Path.Combine(folder, "wide.png"));
            }
            var centre = Assert.Single(CaptionedFolder.Read(folder, 16).Images);
            Assert.Null(centre.Cover);
            Assert.Same(centre.Rgb, centre.Draw(new Random(1)).Rgb);

            var loaded = Assert.Single(CaptionedFolder.Read(folder, 16, keepCover: true).Images);
            var cover = loaded.Cover!;
            Assert.True(cover.Width >= loaded.Bucket.Width && cover.Height >= loaded.Bucket.Height);
            Assert.True(cover.Width * loaded.Bucket.Height != cover.Height * loaded.Bucket.Width || cover.Width > loaded.Bucket.Width, "the cover has slack");
            Assert.Equal(centre.Rgb, loaded.Rgb);
            var cuts = Enumerable.Range(0, 20).Select(seed => loaded.Draw(new Random(seed)).Rgb).ToList();
            Assert.All(cuts, cut => Assert.Equal(loaded.Bucket.Width * loaded.Bucket.Height * 3, cut.Length));
            Assert.True(cuts.Select(Convert.ToBase64String).Distinct().Count() > 1, "cuts move");
            Assert.Equal(cuts[3], loaded.Draw(new Random(3)).Rgb);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("sgd")]
    [InlineData("lion")]
    [InlineData("prodigy")]
    public void each_optimizer_solves_a_small_least_squares_problem_and_its_state_round_trips(string name)
    {
        OptimizerPlan plan = name switch
        {
            "adamw" => new AdamWOptimizer(0.9, 0.999, 1e-8, 0),
            "sgd" => new SgdOptimizer(0.9, true, 0),
            "lion" => new LionOptimizer(0.9, 0.99, 0),
            _ => new ProdigyOptimizer(1, 0.9, 0.999, 0),
        };
        var lr = name switch { "adamw" => 0.05, "sgd" => 0.05, "lion" => 0.01, _ => 1.0 };
        manual_seed(5);
        var target = randn(16);
        var (parameter, optimizer) = Make(plan, lr);
        double Loss() => (parameter - target).square().sum().item<float>();
        var start = Loss();
        void Step(TrainingOptimizer o, TorchSharp.Modules.Parameter p)
        {
            o.ZeroGrad();
            (p - target).square().sum().backward();
            o.Step(1);
        }
        for (var i = 0; i < 150; i++)
            Step(optimizer, parameter);
        Assert.True(Loss() < start * 0.05, $"{name}: {start} → {Loss()}");

        var (copy, restored) = Make(plan, lr);
        using (no_grad()) copy.copy_(parameter);
        restored.LoadState(optimizer.SaveState());
        Step(optimizer, parameter);
        Step(restored, copy);
        Assert.True(parameter.eq(copy).all().item<bool>());
    }

    [Fact]
    public void adamw_updates_exactly_as_torchsharps_adamw_and_resumes_its_checkpoints()
    {
        // Ours keeps its scalars alive through each libtorch call; the arithmetic must stay TorchSharp's to the bit.
        var plan = new AdamWOptimizer(0.9, 0.99, 1e-6, 0.01);
        manual_seed(11);
        var (a, b, target) = (randn(8, 4), randn(4, 8), randn(8, 8));
        TorchSharp.Modules.Parameter[] Copies() => [new(a.clone()), new(b.clone())];
        void Backward(TorchSharp.Modules.Parameter[] p) => p[0].matmul(p[1]).sub(target).square().sum().backward();
        var (ours, theirs) = (Copies(), Copies());
        ParameterGroup[] Groups(TorchSharp.Modules.Parameter[] p) => [new("unet", [p[0]], 0.05), new("text_encoder", [p[1]], 0.02)];
        using var adamw = TrainingOptimizer.Create(plan, Groups(ours));
        using var torchAdamW = optim.AdamW(
            [new TorchSharp.Modules.AdamW.ParamGroup([theirs[0]], 0.05, 0.9, 0.99, 1e-6, 0.01), new TorchSharp.Modules.AdamW.ParamGroup([theirs[1]], 0.02, 0.9, 0.99, 1e-6, 0.01)],
            0.05, 0.9, 0.99, 1e-6, 0.01);
        void StepBoth(double factor)
        {
            adamw.ZeroGrad();
            Backward(ours);
            adamw.Step(factor);
            torchAdamW.zero_grad();
            Backward(theirs);
            foreach (var (group, scale) in torchAdamW.ParamGroups.Zip(new[] { 0.05, 0.02 }))
                group.LearningRate = scale * factor;
            torchAdamW.step();
        }
        foreach (var factor in new[] { 0.2, 0.6, 1.0, 1.0, 0.7 })
            StepBoth(factor);
        Assert.True(ours[0].eq(theirs[0]).all().item<bool>() && ours[1].eq(theirs[1]).all().item<bool>());

        // A checkpoint written while AdamW was TorchSharp's own continues exactly as TorchSharp's would.
        using var bytes = new MemoryStream();
        using (var writer = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
            torchAdamW.save_state_dict(writer);
        var resumed = Copies();
        using (no_grad())
            for (var i = 0; i < 2; i++)
                resumed[i].copy_(theirs[i]);
        using var restored = TrainingOptimizer.Create(plan, Groups(resumed));
        restored.LoadState(new Dictionary<string, Tensor> { ["torch_state"] = tensor(bytes.ToArray()) });
        for (var k = 0; k < 3; k++)
        {
            restored.ZeroGrad();
            Backward(resumed);
            restored.Step(0.5);
            StepBoth(0.5);
        }
        Assert.True(resumed[0].eq(theirs[0]).all().item<bool>() && resumed[1].eq(theirs[1]).all().item<bool>());
    }

    [Fact]
    public void an_unreadable_torchsharp_optimizer_state_is_a_clear_error()
    {
        var (_, optimizer) = Make(new AdamWOptimizer(0.9, 0.999, 1e-8, 0), 0.1);
        using (optimizer)
        {
            var error = Assert.Throws<InvalidDataException>(() => optimizer.LoadState(new Dictionary<string, Tensor> { ["torch_state"] = tensor(new byte[] { 1, 2, 3 }) }));
            Assert.Contains("optimizer state (written by TorchSharp's AdamW) cannot be read", error.Message);
        }
    }

    private static (TorchSharp.Modules.Parameter, TrainingOptimizer) Make(OptimizerPlan plan, double lr)
    {
        var parameter = new TorchSharp.Modules.Parameter(zeros(16));
        return (parameter, TrainingOptimizer.Create(plan, [new ParameterGroup("p", [parameter], lr)]));
    }

    [Fact]
    public void combining_adapters_concatenates_ranks_so_the_delta_is_exactly_the_weighted_sum()
    {
        manual_seed(3);
        var model = new TinyModels.ConvNet();
        var parts = new[] { new ModelPart(ModelPart.UNet, model) };
        var options = new LoraOptions { Rank = 2, Alpha = 4, Targets = [new TargetRule("**")] };
        var a = new LoraNetwork("a", LoraTarget.Find(parts, options), options);
        var b = new LoraNetwork("b", LoraTarget.Find(parts, options with { Rank = 3, UseRsLora = true }), options with { Rank = 3, UseRsLora = true });
        using (no_grad())
            foreach (var p in a.parameters().Concat(b.parameters()))
                p.copy_(randn(p.shape));

        var combined = AdapterCombiner.Combine([(a, 0.6), (b, -0.4)], "ab");
        foreach (var target in combined.Targets)
        {
            Assert.Equal(5, target.Rank);
            var expected = a.Layers[target.Name].DeltaWeight() * 0.6 + b.Layers[target.Name].DeltaWeight() * -0.4;
            Assert.True(combined.Layers[target.Name].DeltaWeight().allclose(expected, rtol: 1e-5, atol: 1e-5), target.Name);
        }
    }

    [Fact]
    public void groups_select_their_layers_and_a_pattern_that_matches_nothing_says_what_paths_look_like()
    {
        manual_seed(1);
        using var model = new LoraNotebooks.Engine.Models.TinyDiffusionModel(Models.TinyConfigs.Tiny);
        LoraPlan Lora(params TargetSelector[] targets) => new(4, 4, 0, false, Dsl.Plans.LoraInit.Kaiming, ValueList.Of(targets), ValueList.Of<TargetOverride>());

        var attention = PlanTargets.Find(model.Parts, Lora(new GroupTarget(TargetGroup.Attention)));
        Assert.All(attention, t => Assert.Matches(@"(to_q|to_k|to_v|to_out\.0|proj_in|proj_out)$", t.Path));
        Assert.All(attention, t => Assert.Equal(ModelPart.UNet, t.Part.Prefix));
        var text = PlanTargets.Find(model.Parts, Lora(new GroupTarget(TargetGroup.TextEncoder)));
        Assert.All(text, t => Assert.Equal(ModelPart.TextEncoder, t.Part.Prefix));
        Assert.All(PlanTargets.Find(model.Parts, Lora(new GroupTarget(TargetGroup.Conv))), t => Assert.Equal(LayerKinds.Conv2d, t.Kind));

        var overridden = PlanTargets.Find(model.Parts, Lora(new GroupTarget(TargetGroup.Attention)) with
        {
            Overrides = ValueList.Of(new TargetOverride(new PatternTarget("**.attn2.**"), 8, null)),
        });
        Assert.All(overridden, t => Assert.Equal(t.Path.Contains(".attn2.") ? 8 : 4, t.Rank));

        var error = Assert.Throws<UserErrorException>(() => PlanTargets.Find(model.Parts, Lora(new PatternTarget("*.attn2.*"))));
        Assert.Contains("module paths look like", error.Message);
    }
}
