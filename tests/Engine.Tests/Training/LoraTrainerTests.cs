using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Data;
using LoraNotebooks.Engine.Diffusion;
using LoraNotebooks.Engine.Imaging;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Training;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Training;

public sealed class LoraTrainerTests : IDisposable
{
    private readonly TrainingSetup _setup = new();

    public void Dispose() => _setup.Dispose();

    private TrainingPlan Plan(string train = "steps 6", string dataset = "", string lora = "", string extra = "") =>
        _setup.Plan(TrainingSetup.Script(train, dataset, lora, extra)).Training!;

    [Fact]
    public void the_same_plan_and_seed_write_the_same_adapter_bytes()
    {
        var plan = Plan(dataset: "flip\ncrop random\ncaption_shuffle keep 1\ncaption_dropout 20%", lora: "targets [attention, ff, text_encoder]\ndropout 10%");
        var (first, _) = _setup.Train(plan);
        var (second, _) = _setup.Train(plan);
        Assert.Equal(first, second);

        var (otherSeed, _) = _setup.Train(plan with { Train = plan.Train with { Seed = 4, Overwrite = true } });
        Assert.NotEqual(first, otherSeed);
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("sgd momentum 0.9 nesterov true")]
    [InlineData("lion")]
    [InlineData("prodigy")]
    public void a_run_cancelled_at_step_k_and_resumed_writes_the_same_adapter_bytes_as_an_uninterrupted_one(string optimizer)
    {
        var plan = Plan($"steps 6\noptimizer {optimizer}\ngrad_accumulation 2\nschedule cosine\nwarmup 2 steps", dataset: "flip\ncaption_dropout 20%",
            lora: "targets [attention, text_encoder]");
        var (straight, _) = _setup.Train(plan);

        using var cancel = new CancellationTokenSource();
        var stopped = new List<TrainingEvent>();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            _setup.Train(plan, cancel.Token, e => { stopped.Add(e); if (e is StepEvent { Step: 3 }) cancel.Cancel(); }));
        var checkpoint = Assert.IsType<CheckpointEvent>(stopped[^1]);
        Assert.Equal(3, checkpoint.Step);
        Assert.True(File.Exists(checkpoint.Path));
        Assert.DoesNotContain(stopped, e => e is StepEvent { Step: > 3 });

        var (resumed, events) = _setup.Train(plan with { Train = plan.Train with { ResumePath = checkpoint.Path } });
        Assert.Equal(4, events.OfType<StepEvent>().First().Step);
        Assert.DoesNotContain(events, e => e is WarningEvent);
        Assert.Equal(straight, resumed);
    }

    [Fact]
    public void a_dora_run_resumed_from_a_checkpoint_writes_the_same_bytes_with_every_layers_magnitudes()
    {
        var plan = Plan("steps 4\nschedule cosine", lora: "targets [attention, conv, text_encoder]\ndora");
        var (straight, _) = _setup.Train(plan);
        var report = AdapterReport.Read(plan.Train.OutputPath);
        Assert.All(report.Adapters, a => Assert.True(a.Dora, a.Name));
        Assert.Contains(report.Adapters, a => a.Kind == "conv2d");

        using var cancel = new CancellationTokenSource();
        var stopped = new List<TrainingEvent>();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            _setup.Train(plan with { Train = plan.Train with { Overwrite = true } }, cancel.Token, e => { stopped.Add(e); if (e is StepEvent { Step: 2 }) cancel.Cancel(); }));
        var checkpoint = Assert.IsType<CheckpointEvent>(stopped[^1]);
        var (resumed, _) = _setup.Train(plan with { Train = plan.Train with { ResumePath = checkpoint.Path } });
        Assert.Equal(straight, resumed);
    }

    [Fact]
    public void events_come_in_step_order_with_checkpoints_previews_validation_and_epochs()
    {
        var plan = Plan("steps 4\ncheckpoint every 2 steps", dataset: "validation 1",
            extra: "sample {\n every 2 steps\n strengths [0, 1]\n prompt \"zq square\" seed 1 steps 2\n}");
        var (_, events) = _setup.Train(plan);

        Assert.Equal([1, 2, 3, 4], events.OfType<StepEvent>().Select(e => e.Step));
        Assert.Equal(2, plan.Train.StepsPerEpoch); // 3 training images × 1 repeat ÷ batch 2
        var kinds = events.Select(e => e switch
        {
            StepEvent s => $"step{s.Step}",
            EpochEvent ep => $"epoch{ep.Epoch}",
            CheckpointEvent c => $"checkpoint{c.Step}",
            SampleGridEvent g => $"grid{g.Step}",
            ValidationEvent v => $"validation{v.Step}",
            _ => e.GetType().Name,
        });
        Assert.Equal(["step1", "step2", "epoch1", "checkpoint2", "grid2", "validation2", "step3", "step4", "epoch2", "checkpoint4", "grid4", "validation4"], kinds);

        var grid = events.OfType<SampleGridEvent>().Last();
        Assert.True(File.Exists(grid.Path));
        Assert.Equal([0.0, 1.0], grid.Strengths);
        Assert.Equal(0x89, grid.Png[0]);
        Assert.True(File.Exists(Path.Combine(Path.ChangeExtension(grid.Path, null), "r0-s1.png")));
        Assert.All(events.OfType<StepEvent>(), s => Assert.True(double.IsFinite(s.Loss) && s.ImagesPerSecond > 0));
    }

    [Fact]
    public void a_preserving_dataset_keeps_the_adapter_closer_to_the_base_on_its_pictures()
    {
        // The dataset's own pictures with their captions as written (no trigger): the prompts an adapter should leave alone.
        var data = LoraNotebooks.Engine.Data.CaptionedFolder.Read(_setup.Data, _setup.Model.Resolution, ".txt").Images;
        using var pictures = ImageTensors.FromRgb([.. data.Select(i => i.Rgb)], _setup.Model.Resolution);
        string[] captions = [.. data.Select(i => i.Caption)];

        // How far the trained adapter moves the prediction there.
        double Drift(string extra)
        {
            using var lora = new LoraModel(_setup.Model.Parts);
            var network = new LoraTrainer(_setup.Model, lora, Plan("steps 30\n  overwrite", extra: extra)).Run().Network;
            using var noise = new Generator(1);
            using var _ = no_grad();
            using var drift = _setup.Model.PreservationLoss(pictures, captions, noise, () => new Switch(network));
            return drift.item<float>();
        }

        var taught = Drift("");
        var preserved = Drift("dataset \"plain\" {\n  folder \"data\"\n  preserve weight 20\n}");

        Assert.True(taught > 0, "training moved the prediction");
        Assert.True(preserved < taught / 2, $"with preservation the drift is {preserved:E2}, without it {taught:E2}");
    }

    [Fact]
    public void a_held_in_dataset_of_one_shape_loads_pictures_of_that_shape_with_plain_captions()
    {
        var plan = Plan(extra: "dataset \"figures\" {\n  world held_in \"figure\" count 6\n  preserve\n}");

        var figures = LoraNotebooks.Engine.Data.TrainingData.Load(plan, baseResolution: 16).Datasets[1];

        Assert.Equal(6, figures.Train.Count);
        Assert.All(figures.Train, i => Assert.Matches("^a (small|medium|large) [a-z]+ figure (on|in) ", i.Caption));
    }

    [Fact]
    public void a_preserving_dataset_of_the_taught_member_shows_the_same_pictures_captioned_without_its_word()
    {
        var plan = Plan(extra: "dataset \"ada\" {\n  world character \"ada\" count 4\n  trigger \"ada person\"\n}\ndataset \"plain\" {\n  world character \"ada\" count 4\n  preserve\n}");

        var datasets = LoraNotebooks.Engine.Data.TrainingData.Load(plan, baseResolution: 16).Datasets;
        var (taught, plain) = (datasets[1].Train, datasets[2].Train);

        Assert.Equal(taught.Select(i => i.Rgb), plain.Select(i => i.Rgb));
        Assert.All(taught, i => Assert.StartsWith("ada person, a ", i.Caption));
        Assert.All(plain, i => Assert.DoesNotContain("ada", i.Caption));
        Assert.Equal(taught.Select(i => i.Caption["ada person, ".Length..]), plain.Select(i => i.Caption));
    }

    [Fact]
    public void the_preservation_loss_is_zero_while_the_adapter_changes_nothing()
    {
        var data = LoraNotebooks.Engine.Data.CaptionedFolder.Read(_setup.Data, _setup.Model.Resolution, ".txt").Images;
        using var pictures = ImageTensors.FromRgb([.. data.Select(i => i.Rgb)], _setup.Model.Resolution);
        using var lora = new LoraModel(_setup.Model.Parts);
        var network = lora.Add("fresh", new LoraOptions { Rank = 2, Alpha = 2 }); // up matrices start at zero
        using var noise = new Generator(1);

        using var loss = _setup.Model.PreservationLoss(pictures, [.. data.Select(i => i.Caption)], noise, () => new Switch(network));

        Assert.Equal(0f, loss.item<float>());
    }

    /// <summary>Turns an adapter off until disposed.</summary>
    private sealed class Switch : IDisposable
    {
        private readonly LoraNetwork _network;

        public Switch(LoraNetwork network)
        {
            _network = network;
            network.Enabled = false;
        }

        public void Dispose() => _network.Enabled = true;
    }

    [Fact]
    public void a_nan_loss_stops_the_run_with_a_message_naming_the_step()
    {
        using var lora = new LoraModel(_setup.Model.Parts);
        var poisoned = new NaNAfter(_setup.Model, calls: 2);
        var error = Assert.Throws<TrainingDivergedException>(() => new LoraTrainer(poisoned, lora, Plan()).Run());
        Assert.Equal(3, error.Step);
        Assert.Contains("at step 3", error.Message);
        Assert.Contains("learning rate", error.Message);
    }

    [Fact]
    public void unreadable_images_are_skipped_with_a_warning_or_fail_the_run_when_asked()
    {
        File.WriteAllText(Path.Combine(_setup.Data, "broken.png"), "not a png");
        var (_, events) = _setup.Train(Plan("steps 1"));
        var warning = Assert.Single(events.OfType<WarningEvent>());
        Assert.Contains("broken.png", warning.Message);

        var error = Assert.Throws<InvalidDataException>(() => _setup.Train(Plan("steps 1\nfail_on_bad_images")));
        Assert.Contains("broken.png", error.Message);
    }

    [Fact]
    public void a_trigger_past_the_end_of_what_the_text_encoder_reads_is_a_warning_naming_the_dataset()
    {
        // The tiny model's encoder reads 14 bytes; a caption already holding the trigger keeps it where it is.
        foreach (var i in new[] { 0, 1 })
            File.WriteAllText(Path.Combine(_setup.Data, $"img-{i}.txt"), "a small red square on the left, zq");
        var (_, events) = _setup.Train(Plan("steps 1"));
        var warning = Assert.Single(events.OfType<WarningEvent>());
        Assert.Contains("dataset 'squares'", warning.Message);
        Assert.Contains("trigger 'zq' is past it in 2 of 4 captions", warning.Message);
        Assert.Contains("\"a small red sq\"", warning.Message);
    }

    [Fact]
    public void a_dataset_without_a_usable_image_is_an_error_before_training()
    {
        var plan = Plan("steps 1");
        foreach (var file in Directory.GetFiles(_setup.Data, "*.png"))
            File.WriteAllText(file, "corrupt");
        var events = new List<TrainingEvent>();
        using var lora = new LoraModel(_setup.Model.Parts);
        var error = Assert.Throws<InvalidDataException>(() => new LoraTrainer(_setup.Model, lora, plan).Run(events.Add));
        Assert.Contains("no usable images", error.Message);
        Assert.Empty(events.OfType<StepEvent>());
    }

    [Fact]
    public void the_text_encoder_trains_at_its_own_learning_rate_and_the_base_stays_frozen()
    {
        var before = _setup.Model.parameters().Select(p => p.detach().clone()).ToList();
        var plan = Plan("steps 2\ntext_encoder_lr 1e-2", lora: "targets [attention, text_encoder]");
        var (bytes, _) = _setup.Train(plan);
        Assert.All(before.Zip(_setup.Model.parameters()), p => Assert.True(p.First.eq(p.Second).all().item<bool>()));

        var path = plan.Train.OutputPath;
        var report = AdapterReport.Read(path);
        Assert.Contains(report.Adapters, a => a.Name.StartsWith("lora_te_", StringComparison.Ordinal));
        Assert.Contains(report.Adapters, a => a.Name.StartsWith("lora_unet_", StringComparison.Ordinal));
        Assert.Equal("0.01", report.Metadata["ss_text_encoder_lr"]);
        Assert.Equal("zq", report.Metadata["modelspec.trigger_phrase"]);
        Assert.NotEmpty(bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("targets [attention, conv]\ndora")]
    public void bf16_training_casts_the_base_keeps_adapters_in_fp32_and_gives_finite_losses(string lora)
    {
        var (_, events) = _setup.Train(Plan("steps 2\nprecision bf16", lora: lora));
        Assert.Equal(ScalarType.BFloat16, _setup.Model.UNet.parameters().First().dtype);
        Assert.All(events.OfType<StepEvent>(), s => Assert.True(double.IsFinite(s.Loss)));
        Assert.Equal(["F32"], AdapterReport.Read(Path.Combine(_setup.Root, "out", "adapter.safetensors")).DTypes);
    }

    [Fact]
    public void a_flipped_picture_trains_with_left_and_right_swapped_in_its_caption()
    {
        // Half the pictures have their white half on the left, half on the right, and say so.
        foreach (var i in Enumerable.Range(0, 4))
        {
            var onLeft = i % 2 == 0;
            var rgb = new byte[8 * 8 * 3];
            for (var p = 0; p < 64; p++)
                if (p % 8 < 4 == onLeft)
                    rgb.AsSpan(p * 3, 3).Fill(255);
            RgbImage.WritePng(Path.Combine(_setup.Data, $"img-{i}.png"), rgb, 8);
            File.WriteAllText(Path.Combine(_setup.Data, $"img-{i}.txt"), onLeft ? "white on the left" : "white on the right");
        }
        using var lora = new LoraModel(_setup.Model.Parts);
        var recording = new Recording(_setup.Model);
        new LoraTrainer(recording, lora, Plan("steps 8", dataset: "flip")).Run();

        // Every picture the loss saw has its white half on the side its caption names, flipped or not.
        var seen = recording.Seen;
        Assert.Equal(16, seen.Count);
        Assert.All(seen, s => Assert.Equal(s.WhiteOnLeft ? "zq, white on the left" : "zq, white on the right", s.Caption));
        Assert.Contains(seen, s => s.Caption.EndsWith("left", StringComparison.Ordinal));
        Assert.Contains(seen, s => s.Caption.EndsWith("right", StringComparison.Ordinal));
    }

    [Fact]
    public void each_preserving_dataset_draws_its_own_share_of_noisy_timesteps()
    {
        var other = Path.Combine(_setup.Root, "other");
        Directory.CreateDirectory(other);
        for (var i = 0; i < 2; i++)
        {
            RgbImage.WritePng(Path.Combine(other, $"img-{i}.png"), new byte[8 * 8 * 3], 8);
            File.WriteAllText(Path.Combine(other, $"img-{i}.txt"), "a black square");
        }
        var plan = Plan("steps 10", extra: "dataset \"noisy\" {\n  folder \"other\"\n  preserve noisy 50%\n}\n"
            + "dataset \"uniform\" {\n  folder \"data\"\n  preserve weight 2\n}");
        using var lora = new LoraModel(_setup.Model.Parts);
        var recording = new Recording(_setup.Model);

        new LoraTrainer(recording, lora, plan).Run();

        var preserved = recording.Preserved;
        Assert.Contains(preserved, p => p.Caption == "a black square");
        Assert.Contains(preserved, p => p.Caption != "a black square");
        Assert.All(preserved, p => Assert.Equal(p.Caption == "a black square" ? 0.5 : 0, p.NoisyShare));
    }

    [Fact]
    public void a_dataset_preserved_as_the_base_draws_it_trains_on_the_bases_samples_not_its_own_pictures()
    {
        var plan = Plan("steps 6", extra: "dataset \"kept\" {\n  folder \"data\"\n  preserve drawn_by base\n}");
        var drawn = BaseDrawings.Draw(TrainingData.Load(plan, _setup.Model.Resolution), _setup.Model).Datasets[1].Train;
        using var lora = new LoraModel(_setup.Model.Parts);
        var recording = new Recording(_setup.Model);

        new LoraTrainer(recording, lora, plan).Run();

        Assert.NotEmpty(recording.PreservedPictures);
        Assert.All(recording.PreservedPictures, p => Assert.Contains(drawn, d => d.Rgb.SequenceEqual(p)));
    }

    [Fact]
    public void the_teaching_loss_draws_from_the_plans_timestep_range_and_validation_keeps_its_fixed_timesteps()
    {
        var plan = Plan("steps 4\nmin_timestep 100\nmax_timestep 900");
        using var lora = new LoraModel(_setup.Model.Parts);
        var recording = new Recording(_setup.Model);

        new LoraTrainer(recording, lora, plan).Run();

        var drawn = recording.Options.Where(o => !o.FixedTimesteps).ToList();
        Assert.Equal(4, drawn.Count);
        Assert.All(drawn, o => Assert.Equal((100, (int?)900), (o.Options.MinTimestep, o.Options.MaxTimestep)));
    }

    [Theory]
    [InlineData(0, 2000)]
    [InlineData(10, 5)]
    public void a_timestep_range_past_the_bases_schedule_or_empty_is_a_user_error_before_training(int min, int max)
    {
        var plan = Plan("steps 2");
        plan = plan with { Train = plan.Train with { MinTimestep = min, MaxTimestep = max } };
        using var lora = new LoraModel(_setup.Model.Parts);
        var events = new List<TrainingEvent>();

        var error = Assert.Throws<UserErrorException>(() => new LoraTrainer(_setup.Model, lora, plan).Run(events.Add));

        Assert.Contains($"min_timestep {min} and max_timestep {max}", error.Message);
        Assert.DoesNotContain(events, e => e is StepEvent);
    }

    /// <summary>
    /// A base that notes, for every picture its loss is given    /// <summary>
    /// A base that notes, for every picture its loss is given, its caption and whether it is brighter on the left; and
    /// for every picture it preserves, its caption and the share of noisy timesteps asked for.
    /// </summary>
    private sealed class Recording(TinyDiffusionModel inner) : Delegating(inner)
    {
        public List<(bool WhiteOnLeft, string Caption)> Seen { get; } = [];

        public List<(string Caption, double NoisyShare)> Preserved { get; } = [];

        public List<byte[]> PreservedPictures { get; } = [];

        public List<(DiffusionLossOptions Options, bool FixedTimesteps)> Options { get; } = [];

        public override Tensor PreservationLoss(Tensor images, IReadOnlyList<string> captions, Generator generator, Func<IDisposable> baseOnly, double noisyShare = 0)
        {
            Preserved.AddRange(captions.Select(c => (c, noisyShare)));
            PreservedPictures.AddRange(ImageTensors.ToRgb(images));
            return base.PreservationLoss(images, captions, generator, baseOnly, noisyShare);
        }

        public override Tensor Loss(Tensor images, IReadOnlyList<string> captions, Generator generator, DiffusionLossOptions? options = null, Tensor? timesteps = null, Tensor? weights = null)
        {
            for (var i = 0; i < captions.Count; i++)
                Seen.Add((images[i, .., .., ..4].mean().item<float>() > images[i, .., .., 4..].mean().item<float>(), captions[i]));
            Options.Add((options ?? new DiffusionLossOptions(), timesteps is not null));
            return base.Loss(images, captions, generator, options, timesteps, weights);
        }
    }

    /// <summary>A base whose loss turns NaN after some calls: how a diverging run looks to the trainer.</summary>
    private sealed class NaNAfter(TinyDiffusionModel inner, int calls) : Delegating(inner)
    {
        private int _calls;

        public override Tensor Loss(Tensor images, IReadOnlyList<string> captions, Generator generator, DiffusionLossOptions? options = null, Tensor? timesteps = null, Tensor? weights = null)
        {
            var loss = base.Loss(images, captions, generator, options, timesteps, weights);
            return ++_calls > calls ? loss * float.NaN : loss;
        }
    }

    /// <summary>A base that does what the tiny model does; tests override the loss to watch or break it.</summary>
    private abstract class Delegating(TinyDiffusionModel inner) : IDiffusionBase
    {
        public IReadOnlyList<ModelPart> Parts => inner.Parts;
        public int Resolution => inner.Resolution;
        public double DefaultGuidance => inner.DefaultGuidance;
        public string TextRead(string caption) => inner.TextRead(caption);
        public void MoveTo(Device device) => inner.MoveTo(device);
        public (string KohyaVersion, string ModelSpec) Architecture => inner.Architecture;
        public int TrainTimesteps => inner.TrainTimesteps;
        public Device Device => inner.Device;
        public void CastWeights(ScalarType dtype) => inner.CastWeights(dtype);
        public void SaveWeights(string path, IReadOnlyDictionary<string, string>? metadata = null) => inner.SaveWeights(path, metadata);
        public void Dispose() { }

        public virtual Tensor Loss(Tensor images, IReadOnlyList<string> captions, Generator generator, DiffusionLossOptions? options = null, Tensor? timesteps = null, Tensor? weights = null) =>
            inner.Loss(images, captions, generator, options, timesteps, weights);

        public virtual Tensor PreservationLoss(Tensor images, IReadOnlyList<string> captions, Generator generator, Func<IDisposable> baseOnly, double noisyShare = 0) =>
            inner.PreservationLoss(images, captions, generator, baseOnly, noisyShare);

        public Tensor Sample(IReadOnlyList<string> prompts, IReadOnlyList<long> seeds, int steps = 20, double guidance = 3, string? negativePrompt = null, SamplerKind sampler = SamplerKind.Ddim,
            CancellationToken cancellationToken = default) =>
            inner.Sample(prompts, seeds, steps, guidance, negativePrompt, sampler, cancellationToken);
    }
}
