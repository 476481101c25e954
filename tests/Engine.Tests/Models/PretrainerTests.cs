using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.SafeTensors;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Models;

public sealed class PretrainerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pretrainer-tests-").FullName;

    static PretrainerTests() => TorchNativeLoader.EnsureLoadable();

    private static readonly PretrainerOptions Options = new() { BatchSize = 4, WarmupSteps = 2, CheckpointEvery = 2, EmaDecay = 0.9, Seed = 3, CaptionNoise = 0.5 };

    private Pretrainer Start(string name) => new(TinyConfigs.Tiny, new StandInWorld(8), Options, Path.Combine(_root, name));

    private static List<Tensor> Weights(TinyDiffusionModel model) => model.parameters().Select(p => p.detach().clone()).ToList();

    [Fact]
    public void a_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one()
    {
        List<Tensor> straight, straightEma;
        using (var run = Start("straight"))
        {
            run.Run(4);
            (straight, straightEma) = (Weights(run.Model), Weights(run.Ema!));
        }

        using (var first = Start("resumed"))
            first.Run(3);
        using var second = Start("resumed");
        Assert.Equal(3, second.Step);
        second.Run(4);

        Assert.All(straight.Zip(Weights(second.Model)), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
        Assert.All(straightEma.Zip(Weights(second.Ema!)), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
    }

    [Fact]
    public void a_checkpoint_whose_optimizer_state_torchsharp_wrote_resumes_exactly()
    {
        // Checkpoints before session 13 hold TorchSharp's AdamW state (optimizer.bin), as pretraining/ does.
        List<Tensor> straight;
        using (var run = Start("straight"))
        {
            run.Run(4);
            straight = Weights(run.Model);
        }
        string folder;
        using (var first = Start("legacy"))
        {
            first.Run(3);
            folder = first.LatestCheckpoint!;
        }
        var ours = Path.Combine(folder, "optimizer.safetensors");
        using (var file = SafeTensorsFile.Open(ours))
        {
            var steps = file.ReadTensor("step").data<long>().ToArray();
            var parameters = steps.Select((_, i) => new TorchSharp.Modules.Parameter(zeros(file.Tensors[$"exp_avg.{i}"].Shape))).ToList();
            using var torchAdamW = optim.AdamW(parameters, lr: Options.LearningRate, weight_decay: Options.WeightDecay);
            var states = torchAdamW.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>().ToList();
            using (no_grad())
                for (var i = 0; i < states.Count; i++)
                {
                    states[i].exp_avg.copy_(file.ReadTensor($"exp_avg.{i}"));
                    states[i].exp_avg_sq.copy_(file.ReadTensor($"exp_avg_sq.{i}"));
                    states[i].step = steps[i];
                }
            torchAdamW.save_state_dict(Path.Combine(folder, "optimizer.bin"));
        }
        File.Delete(ours);

        using var second = Start("legacy");
        Assert.Equal(3, second.Step);
        second.Run(4);
        Assert.All(straight.Zip(Weights(second.Model)), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
    }

    [Fact]
    public void a_checkpoint_without_optimizer_state_is_a_clear_error_naming_it()
    {
        string folder;
        using (var first = Start("broken"))
        {
            first.Run(2);
            folder = first.LatestCheckpoint!;
        }
        File.Delete(Path.Combine(folder, "optimizer.safetensors"));
        var error = Assert.Throws<InvalidDataException>(() => Start("broken").Dispose());
        Assert.Contains(folder, error.Message);
        Assert.Contains("no optimizer state", error.Message);
    }

    [Fact]
    public void an_unfinished_checkpoint_is_ignored_and_only_the_newest_are_kept()
    {
        using (var run = Start("run"))
        {
            run.Run(6);
            Assert.EndsWith("step-000006", run.LatestCheckpoint);
        }
        var directory = Path.Combine(_root, "run");
        Directory.CreateDirectory(Path.Combine(directory, "step-000008.partial"));
        Assert.Equal(["step-000004", "step-000006", "step-000008.partial"],
            Directory.GetDirectories(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        using var resumed = Start("run");
        Assert.Equal(6, resumed.Step);
        using var saved = Pretrainer.LoadModel(resumed.LatestCheckpoint!);
        Assert.All(Weights(resumed.Ema!).Zip(Weights(saved)), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
    }

    [Fact]
    public void training_steps_report_a_finite_loss_and_warm_up_the_learning_rate()
    {
        using var run = Start("progress");
        var reports = new List<PretrainProgress>();
        run.Run(2, reports.Add);
        Assert.Equal([1L, 2L], reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.True(float.IsFinite(r.Loss)));
        Assert.Equal([Options.LearningRate / 2, Options.LearningRate], reports.Select(r => r.LearningRate));
    }

    /// <summary><see cref="TinyConfigs.Tiny"/> with a transformer at every level, as a base grows one.</summary>
    private static TinyDiffusionConfig Grown => TinyConfigs.Tiny with
    {
        Unet = TinyConfigs.Tiny.Unet with
        {
            DownBlockTypes = [UNetConfig.CrossAttnDownBlock, UNetConfig.CrossAttnDownBlock],
            UpBlockTypes = [UNetConfig.CrossAttnUpBlock, UNetConfig.CrossAttnUpBlock],
        },
    };

    private string SavedTinyBase()
    {
        manual_seed(11);
        using var small = new TinyDiffusionModel(TinyConfigs.Tiny);
        var path = Path.Combine(_root, "small.safetensors");
        BuiltInBase.Save(small, path);
        return path;
    }

    private static Tensor Predict(TinyDiffusionModel model)
    {
        using var _ = no_grad();
        var generator = new Generator(5);
        using var sample = randn([2, 3, 8, 8], generator: generator);
        using var context = randn([2, 16, 8], generator: generator);
        using var timesteps = tensor(new long[] { 10, 700 });
        return model.UNet.Forward(sample, timesteps, context);
    }

    [Fact]
    public void a_run_grown_from_a_smaller_base_predicts_what_that_base_did_until_it_trains()
    {
        var basePath = SavedTinyBase();
        using var small = BuiltInBase.Load(basePath);
        using var run = new Pretrainer(Grown, new StandInWorld(8), Options with { StartFrom = basePath }, Path.Combine(_root, "grown"));

        Assert.Equal(0, run.Step);
        Assert.NotEmpty(run.Grafted);
        Assert.All(run.Grafted, name => Assert.Contains(".attentions.", name));
        using var before = Predict(small);
        Assert.True(before.allclose(Predict(run.Model), rtol: 1e-5, atol: 1e-6));
        Assert.True(before.allclose(Predict(run.Ema!), rtol: 1e-5, atol: 1e-6));

        run.Run(2);
        Assert.False(before.allclose(Predict(run.Model), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void a_base_grown_by_a_text_time_embedding_predicts_what_it_did_until_it_trains()
    {
        var basePath = SavedTinyBase();
        using var small = BuiltInBase.Load(basePath);
        var hearing = TinyConfigs.Tiny with { Unet = TinyConfigs.Tiny.Unet with { AdditionEmbedType = UNetConfig.TextAddition, AdditionEmbedTypeNumHeads = 2 } };
        using var run = new Pretrainer(hearing, new StandInWorld(8), Options with { StartFrom = basePath }, Path.Combine(_root, "hearing"));

        Assert.Equal(13, run.Grafted.Count);
        Assert.All(run.Grafted, name => Assert.StartsWith("unet.add_embedding.", name));
        using var before = Predict(small);
        Assert.True(before.allclose(Predict(run.Model), rtol: 1e-5, atol: 1e-6));

        run.Run(2);
        Assert.False(before.allclose(Predict(run.Model), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void a_grown_run_resumes_from_its_own_checkpoint_not_from_the_base_it_started_from()
    {
        var basePath = SavedTinyBase();
        var options = Options with { StartFrom = basePath };
        List<Tensor> trained;
        using (var first = new Pretrainer(Grown, new StandInWorld(8), options, Path.Combine(_root, "grown")))
        {
            first.Run(2);
            trained = Weights(first.Model);
        }

        using var resumed = new Pretrainer(Grown, new StandInWorld(8), options, Path.Combine(_root, "grown"));
        Assert.Equal(2, resumed.Step);
        Assert.Empty(resumed.Grafted);
        Assert.All(trained.Zip(Weights(resumed.Model)), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
    }

    [Fact]
    public void a_base_cannot_grow_into_a_model_that_lacks_or_reshapes_its_weights()
    {
        var basePath = SavedTinyBase();
        var wider = TinyConfigs.Tiny with { Unet = TinyConfigs.Tiny.Unet with { BlockOutChannels = [8, 16] } };
        var reshaped = Assert.Throws<InvalidDataException>(() =>
            new Pretrainer(wider, new StandInWorld(8), Options with { StartFrom = basePath }, Path.Combine(_root, "wider")));
        Assert.Contains("shape", reshaped.Message);

        var smaller = TinyConfigs.Tiny with { Unet = TinyConfigs.Tiny.Unet with { DownBlockTypes = [UNetConfig.DownBlock, UNetConfig.DownBlock] } };
        var lacking = Assert.Throws<InvalidDataException>(() =>
            new Pretrainer(smaller, new StandInWorld(8), Options with { StartFrom = basePath }, Path.Combine(_root, "smaller")));
        Assert.Contains("down_blocks.1.attentions.0", lacking.Message);

        var missing = Assert.Throws<UserErrorException>(() =>
            new Pretrainer(Grown, new StandInWorld(8), Options with { StartFrom = Path.Combine(_root, "none.safetensors") }, Path.Combine(_root, "missing")));
        Assert.Contains("does not exist", missing.Message);
    }

    [Fact]
    public void a_reading_run_trains_only_the_text_encoder_and_cross_attention_keys_and_values_and_resumes_exactly()
    {
        var basePath = SavedTinyBase();
        var reading = Options with { StartFrom = basePath, Objective = PretrainObjective.Reading, CaptionNoise = 0.7, EmaDecay = null };
        using var teacher = BuiltInBase.Load(basePath);
        List<Tensor> straight;
        using (var run = new Pretrainer(TinyConfigs.Tiny, new StandInWorld(8), reading, Path.Combine(_root, "straight")))
        {
            Assert.NotNull(run.Teacher);
            run.Run(4);
            straight = Weights(run.Model);
            var before = teacher.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, after) in run.Model.named_parameters())
            {
                var same = before[name].eq(after).all().item<bool>();
                Assert.True(same != ReadingDistillation.Trains(name), $"{name} {(same ? "did not train" : "trained")}");
            }
        }

        using (var first = new Pretrainer(TinyConfigs.Tiny, new StandInWorld(8), reading, Path.Combine(_root, "resumed")))
            first.Run(3);
        using var second = new Pretrainer(TinyConfigs.Tiny, new StandInWorld(8), reading, Path.Combine(_root, "resumed"));
        second.Run(4);
        Assert.All(straight.Zip(Weights(second.Model)), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
    }

    [Theory]
    [InlineData(-1.0, 0.0, "--min-snr-gamma")]
    [InlineData(double.NaN, 0.0, "--min-snr-gamma")]
    [InlineData(5.0, -0.1, "--noise-offset")]
    [InlineData(5.0, 1.5, "--noise-offset")]
    public void loss_settings_out_of_range_are_refused_naming_the_flag(double gamma, double offset, string flag)
    {
        var bad = Options with { Loss = new DiffusionLossOptions(gamma, offset) };
        var error = Assert.Throws<UserErrorException>(bad.Validate);
        Assert.Contains(flag, error.Message);
        (Options with { Loss = new DiffusionLossOptions(null, 0.3) }).Validate(); // off and in range: accepted
    }

    [Fact]
    public void a_reading_run_needs_a_base_and_caption_noise_and_does_not_resume_a_denoising_runs_checkpoint()
    {
        var basePath = SavedTinyBase();
        Assert.Throws<UserErrorException>(() => (Options with { Objective = PretrainObjective.Reading }).Validate());
        Assert.Throws<UserErrorException>(() => (Options with { Objective = PretrainObjective.Reading, StartFrom = basePath, CaptionNoise = 0 }).Validate());

        using (var denoising = Start("run"))
            denoising.Run(2);
        var other = Assert.Throws<UserErrorException>(() => new Pretrainer(TinyConfigs.Tiny, new StandInWorld(8),
            Options with { StartFrom = basePath, Objective = PretrainObjective.Reading }, Path.Combine(_root, "run")));
        Assert.Contains("written by a denoise run; this run is reading", other.Message);

        var grown = Assert.Throws<UserErrorException>(() => new Pretrainer(Grown, new StandInWorld(8),
            Options with { StartFrom = basePath, Objective = PretrainObjective.Reading }, Path.Combine(_root, "grown")));
        Assert.Contains("keeps the architecture", grown.Message);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
