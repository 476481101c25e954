using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Preflight;
using LoraNotebooks.Dsl.Tests.TestSupport;

namespace LoraNotebooks.Dsl.Tests;

public class BinderTests
{
    private static CheckResult Check(string text, string? path = null) =>
        LoraScript.Check(text, path ?? Path.Combine(Repository.Examples, "test.lora"), Repository.Context);

    [Fact]
    public void a_three_line_script_trains_with_sensible_defaults()
    {
        var plan = Check("dataset {\n  world concept \"star\"\n}").Plan!;

        var training = plan.Training!;
        Assert.True(plan.Base.IsBuiltin);
        Assert.Equal("star", training.Datasets.Single().Name);
        Assert.Equal((8, 8.0), (training.Lora.Rank, training.Lora.Alpha));
        Assert.Equal((400, 1, 1e-4), (training.Train.TotalSteps, training.Train.Batch, training.Train.LearningRate));
        Assert.IsType<AdamWOptimizer>(training.Train.Optimizer);
        Assert.Equal(Path.Combine(Repository.Examples, "test.safetensors"), training.Train.OutputPath);
        Assert.Null(training.Sample);
    }

    [Fact]
    public void a_preserve_dataset_of_held_in_pictures_keeps_the_base_and_the_taught_world_stays_the_first_one()
    {
        var plan = Check("dataset \"hearts\" {\n  world concept \"heart\"\n  trigger \"zjx\"\n}\ndataset \"everyday\" {\n  world held_in count 40\n  preserve weight 2\n}").Plan!;

        var training = plan.Training!;
        var everyday = training.Datasets[1];
        Assert.Equal(new WorldSource(WorldSource.HeldIn, "", 40), everyday.Source);
        Assert.Equal((40, new Preservation(2)), (everyday.ImageCount, everyday.Preserve));
        Assert.Null(training.Datasets[0].Preserve);
        Assert.Equal(new WorldSource("concept", "heart", 20), training.TaughtWorld);
        Assert.Equal(new Preservation(1), Check("dataset {\n  world concept \"heart\"\n}\ndataset {\n  world held_in\n  preserve\n}").Plan!.Training!.Datasets[1].Preserve);
        Assert.Contains("dataset everyday: 40 images x 1 repeats = 40 per epoch; preserves the base's output (weight 2)", PreflightRenderer.Render(
            Check("dataset \"hearts\" {\n  world concept \"heart\"\n}\ndataset \"everyday\" {\n  world held_in count 40\n  preserve weight 2\n}").Summary!));
    }

    [Fact]
    public void a_preserving_dataset_can_draw_a_share_of_its_timesteps_from_the_noisiest_tenth()
    {
        const string script = "dataset \"hearts\" {\n  world concept \"heart\"\n}\ndataset \"scenes\" {\n  world held_in\n  preserve weight 6 noisy 50%\n}";

        var result = Check(script);

        Assert.Equal(new Preservation(6, 0.5), result.Plan!.Training!.Datasets[1].Preserve);
        Assert.Contains("preserves the base's output (weight 6, 50% of its timesteps in the noisiest tenth)", PreflightRenderer.Render(result.Summary!));
        Assert.Equal(new Preservation(1, 0.25), Check(script.Replace("weight 6 noisy 50%", "noisy 0.25")).Plan!.Training!.Datasets[1].Preserve);
        // A plan's text is its run's fingerprint: without a share it prints as it did before the share existed.
        var text = Check(script.Replace(" noisy 50%", "")).Plan!.Training!.Datasets[1].ToString();
        Assert.Contains("Preserve = 6, ", text);
    }

    [Fact]
    public void a_preserving_dataset_can_hold_the_adapter_to_pictures_the_base_draws_from_its_captions()
    {
        const string script = "dataset \"hearts\" {\n  world concept \"heart\"\n}\ndataset \"scenes\" {\n  world held_in\n  preserve weight 6 noisy 50% drawn_by base\n}";

        var result = Check(script);

        Assert.Equal(new Preservation(6, 0.5, DrawnByBase: true), result.Plan!.Training!.Datasets[1].Preserve);
        Assert.Contains("(weight 6, 50% of its timesteps in the noisiest tenth, on pictures the base draws from its captions before training)", PreflightRenderer.Render(result.Summary!));
        Assert.Contains("Preserve = 6 noisy 0.5 drawn_by base, ", result.Plan.Training.Datasets[1].ToString());
        Assert.Equal(new Preservation(6, 0.5), Check(script.Replace(" drawn_by base", " drawn_by dataset")).Plan!.Training!.Datasets[1].Preserve);
        var wrong = Check(script.Replace("drawn_by base", "drawn_by bass"));
        Assert.Contains(wrong.Diagnostics, d => d.Id == "LORA0103" && d.Message.Contains("'base'"));
    }

    [Fact]
    public void a_held_in_dataset_can_show_one_shape_of_the_base_world_the_class_a_character_belongs_to()
    {
        var datasets = Check("dataset \"ada\" {\n  world character \"ada\"\n  trigger \"ada person\"\n}\ndataset \"figures\" {\n  world held_in \"figure\" count 30\n  preserve\n}\ndataset \"circles\" {\n  world held_in circle\n  preserve\n}").Plan!.Training!.Datasets;

        Assert.Equal(new WorldSource(WorldSource.HeldIn, "figure", 30), datasets[1].Source);
        Assert.Equal(new WorldSource(WorldSource.HeldIn, "circle", 20), datasets[2].Source);
    }

    [Fact]
    public void the_summary_says_a_preserving_dataset_of_the_taught_member_is_captioned_without_its_word()
    {
        var summary = PreflightRenderer.Render(Check("dataset \"ada\" {\n  world character \"ada\"\n  trigger \"ada person\"\n}\ndataset \"unnamed\" {\n  world character \"ada\"\n  preserve weight 60\n}\ndataset \"figures\" {\n  world held_in \"figure\"\n  preserve weight 30\n}").Summary!);

        Assert.Contains("dataset unnamed: 20 images x 1 repeats = 20 per epoch; preserves the base's output (weight 60, captioned without 'ada')", summary);
        Assert.Contains("dataset figures: 20 images x 1 repeats = 20 per epoch; preserves the base's output (weight 30)\n", summary.ReplaceLineEndings("\n"));
        Assert.Contains("dataset ada: 20 images x 1 repeats = 20 per epoch\n", summary.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void a_held_in_shape_the_base_world_lacks_is_an_error_that_suggests_the_nearest()
    {
        var error = Check("dataset {\n  world concept \"heart\"\n}\ndataset {\n  world held_in \"figur\" count 10\n  preserve\n}").Diagnostics.Single(d => d.Severity == Diagnostics.DiagnosticSeverity.Error);

        Assert.Equal(("LORA0120", 5, 17), (error.Id, error.Span.Line, error.Span.Column));
        Assert.Contains("'figure'", error.Message);
    }

    [Theory]
    [InlineData("dataset {\n  world held_in\n  trigger \"zjx\"\n  preserve\n}\ndataset {\n  world concept \"heart\"\n}", "LORA0131", 3, 11)]
    [InlineData("dataset {\n  world held_in\n  preserve\n}", "LORA0132", 1, 1)]
    [InlineData("dataset {\n  world concept \"heart\"\n}\ndataset {\n  world held_in\n  preserve weight 0\n}", "LORA0112", 6, 19)]
    [InlineData("dataset {\n  world concept \"heart\"\n}\ndataset {\n  world held_in\n  preserve strength 2\n}", "LORA0107", 6, 12)]
    [InlineData("dataset {\n  world concept \"heart\"\n}\ndataset {\n  world held_in\n  preserve noisy 150%\n}", "LORA0112", 6, 18)]
    public void preserving_datasets_are_checked(string script, string id, int line, int column)
    {
        var error = Check(script).Diagnostics.First(d => d.Severity == Diagnostics.DiagnosticSeverity.Error);
        Assert.Equal((id, line, column), (error.Id, error.Span.Line, error.Span.Column));
    }

    [Fact]
    public void a_world_member_can_train_with_a_masked_loss_that_weighs_the_rest_less()
    {
        const string script = "dataset \"hat\" {\n  world accessory \"hat\"\n  mask outside 5%\n}";

        var result = Check(script);

        Assert.Equal(new LossMask(null, 0.05), result.Plan!.Training!.Datasets[0].Mask);
        Assert.Equal(new LossMask(null, 0.1), Check(script.Replace(" outside 5%", "")).Plan!.Training!.Datasets[0].Mask);
        // The base's own world knows its subjects too (the shape, or the figure).
        Assert.Equal(new LossMask(null, 0.1), Check("dataset {\n  world held_in \"figure\"\n  mask\n}").Plan!.Training!.Datasets[0].Mask);
        Assert.Contains("learns from where the world painted it, the rest at 5%", PreflightRenderer.Render(result.Summary!));
    }

    [Fact]
    public void a_mask_folder_is_read_beside_the_script_and_pictures_without_a_mask_are_counted()
    {
        var folder = Directory.CreateTempSubdirectory("masks-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "kites"));
            Directory.CreateDirectory(Path.Combine(folder, "kite-masks"));
            foreach (var name in new[] { "a.png", "b.jpg", "c.png" })
                File.WriteAllText(Path.Combine(folder, "kites", name), "");
            File.WriteAllText(Path.Combine(folder, "kite-masks", "a.png"), "");
            File.WriteAllText(Path.Combine(folder, "kite-masks", "b.png"), ""); // any picture extension: b.jpg's mask

            var result = Check("dataset {\n  folder \"kites\"\n  mask \"kite-masks\" outside 0%\n}", Path.Combine(folder, "kite.lora"));

            Assert.Equal(new LossMask(Path.Combine(folder, "kite-masks"), 0), result.Plan!.Training!.Datasets[0].Mask);
            var warning = Assert.Single(result.Diagnostics, d => d.Id == "LORA0212");
            Assert.Equal("1 of 3 images have no mask of the same name in 'kite-masks'; they are skipped", warning.Message);
            Assert.Contains("learns from its masks, the rest at 0%", PreflightRenderer.Render(result.Summary!));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("dataset {\n  world concept \"heart\"\n}\ndataset {\n  world held_in\n  preserve\n  mask\n}", "LORA0133", 7, 3)]
    [InlineData("dataset {\n  world concept \"heart\"\n  mask \"masks\"\n}", "LORA0135", 3, 8)]
    [InlineData("dataset {\n  world concept \"heart\"\n  mask outside 150%\n}", "LORA0112", 3, 16)]
    [InlineData("dataset {\n  world concept \"heart\"\n  mask inside 50%\n}", "LORA0107", 3, 8)]
    public void masks_are_checked(string script, string id, int line, int column)
    {
        var error = Check(script).Diagnostics.First(d => d.Severity == Diagnostics.DiagnosticSeverity.Error);
        Assert.Equal((id, line, column), (error.Id, error.Span.Line, error.Span.Column));
    }

    [Fact]
    public void a_mask_folder_that_does_not_exist_is_an_error_and_a_folder_dataset_needs_one()
    {
        var folder = Directory.CreateTempSubdirectory("masks-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "kites"));
            File.WriteAllText(Path.Combine(folder, "kites", "a.png"), "");
            var path = Path.Combine(folder, "kite.lora");

            var missing = Check("dataset {\n  folder \"kites\"\n  mask \"nowhere\"\n}", path).Diagnostics.First(d => d.Severity == Diagnostics.DiagnosticSeverity.Error);
            var bare = Check("dataset {\n  folder \"kites\"\n  mask\n}", path).Diagnostics.First(d => d.Severity == Diagnostics.DiagnosticSeverity.Error);

            Assert.Equal(("LORA0136", "mask folder 'nowhere' does not exist"), (missing.Id, missing.Message));
            Assert.Equal("LORA0134", bare.Id);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void a_dataset_without_a_mask_prints_as_before_masks_existed_so_its_runs_keep_their_fingerprint()
    {
        const string script = "dataset \"hearts\" {\n  world concept \"heart\" count 12\n  trigger \"hrt heart\"\n  repeats 3\n  caption_shuffle keep 1\n  caption_dropout 10%\n  flip\n  crop random\n  validation 2\n}\ndataset \"scenes\" {\n  world held_in \"figure\" count 30\n  preserve weight 6 noisy 50%\n}\n";

        var datasets = Check(script).Plan!.Training!.Datasets;

        // The compiler's record printing of these two datasets before masks existed, verbatim.
        Assert.Equal("DatasetPlan { Name = hearts, Source = WorldSource { Family = concept, Member = heart, Count = 12, IsHeldIn = False }, ImageCount = 12, ValidationImages = 2, Repeats = 3, Trigger = hrt heart, CaptionExtension = .txt, CaptionShuffle = CaptionShuffle { KeepTokens = 1 }, CaptionDropout = 0.1, Flip = True, Resolution = , Crop = Random, Preserve = , TrainImages = 10, Preserves = False }",
            datasets[0].ToString());
        Assert.Equal("DatasetPlan { Name = scenes, Source = WorldSource { Family = held_in, Member = figure, Count = 30, IsHeldIn = True }, ImageCount = 30, ValidationImages = 0, Repeats = 1, Trigger = , CaptionExtension = .txt, CaptionShuffle = , CaptionDropout = 0, Flip = False, Resolution = , Crop = Center, Preserve = 6 noisy 0.5, TrainImages = 30, Preserves = True }",
            datasets[1].ToString());
        Assert.Contains(", Preserve = , Mask = LossMask { Folder = , Outside = 0.1 }, TrainImages = 10,",
            Check(script.Replace("  validation 2\n", "  validation 2\n  mask\n")).Plan!.Training!.Datasets[0].ToString());
    }

    [Fact]
    public void an_adapter_without_dora_prints_as_before_dora_existed_so_its_runs_keep_their_fingerprint()
    {
        const string script = "dataset {\n  world concept \"star\"\n}\nlora {\n  rank 16\n  alpha 8.5\n  dropout 10%\n  rslora\n  init gaussian\n  targets [attention, \"**.conv1\", text_encoder]\n  target text_encoder rank 4 alpha 2\n}\n";

        var lora = Check(script).Plan!.Training!.Lora;

        // The compiler's record printing of this LoraPlan before DoRA existed, verbatim.
        Assert.Equal("LoraPlan { Rank = 16, Alpha = 8.5, Dropout = 0.1, RsLora = True, Init = Gaussian, Targets = [GroupTarget { Group = Attention }, PatternTarget { Glob = **.conv1 }, GroupTarget { Group = TextEncoder }], Overrides = [TargetOverride { Target = GroupTarget { Group = TextEncoder }, Rank = 4, Alpha = 2 }] }",
            lora.ToString());
        Assert.False(lora.Dora);
        var dora = Check(script.Replace("  rslora\n", "  rslora\n  dora\n")).Plan!.Training!.Lora;
        Assert.True(dora.Dora);
        Assert.EndsWith(", Dora = True }", dora.ToString());
        Assert.False(Check(script.Replace("  rslora\n", "  dora false\n")).Plan!.Training!.Lora.Dora);
    }

    [Fact]
    public void a_train_block_without_a_timestep_range_prints_as_before_the_range_existed_so_its_runs_keep_their_fingerprint()
    {
        const string script = "dataset {\n  world concept \"star\" count 10\n}\ntrain {\n  steps 40\n  batch 2\n  lr 3e-3\n  text_encoder_lr 1e-3\n  optimizer adamw weight_decay 0.01\n  schedule cosine\n  warmup 5%\n  min_snr_gamma 5\n  noise_offset 0.05\n  seed 7\n  output \"x.safetensors\"\n}\n";

        var train = Check(script).Plan!.Training!.Train;

        // The compiler's record printing of this TrainPlan before the timestep range existed, verbatim.
        Assert.Equal("TrainPlan { TotalSteps = 40, StepsPerEpoch = 5, Epochs = , Batch = 2, GradAccumulation = 1, LearningRate = 0.003, TextEncoderLearningRate = 0.001, Optimizer = AdamWOptimizer { WeightDecay = 0.01, Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1E-08 }, Schedule = SchedulePlan { Kind = Cosine, Cycles = 1 }, WarmupSteps = 2, Seed = 7, MinSnrGamma = 5, NoiseOffset = 0.05, Precision = Fp32, MaxGradNorm = 1, CheckpointEverySteps = , OutputPath = EXAMPLES/x.safetensors, ResumePath = , FailOnBadImages = False, Overwrite = False }",
            train.ToString().Replace(Repository.Examples, "EXAMPLES"));
        Assert.Equal((0, null), (train.MinTimestep, train.MaxTimestep));
        var ranged = Check(script.Replace("  seed 7\n", "  seed 7\n  min_timestep 100\n  max_timestep 900\n")).Plan!.Training!.Train;
        Assert.Equal((100, 900), (ranged.MinTimestep, ranged.MaxTimestep));
        Assert.EndsWith(", Overwrite = False, MinTimestep = 100, MaxTimestep = 900 }", ranged.ToString());
    }

    [Theory]
    [InlineData("  min_timestep 900\n  max_timestep 900\n", "LORA0137")]
    [InlineData("  min_timestep 950\n  max_timestep 100\n", "LORA0137")]
    [InlineData("  max_timestep 1001\n", "LORA0112")]
    [InlineData("  min_timestep -1\n", "LORA0112")]
    [InlineData("  max_timestep 0\n", "LORA0112")]
    public void an_empty_or_impossible_timestep_range_is_an_error_at_its_value(string lines, string id)
    {
        var script = "dataset {\n  world concept \"star\"\n}\ntrain {\n" + lines + "}\n";

        var error = Check(script).Diagnostics.Single(d => d.Severity == Diagnostics.DiagnosticSeverity.Error);

        Assert.Equal(id, error.Id);
        Assert.Null(Check(script).Plan);
    }

    [Fact]
    public void steps_per_epoch_is_images_times_repeats_over_batch_times_accumulation_rounded_up()
    {
        var result = Check("dataset {\n  world concept \"star\" count 25\n  repeats 3\n}\ntrain {\n  epochs 2\n  batch 4\n  grad_accumulation 2\n}");

        var summary = result.Summary!;
        Assert.Equal((75L, 10, 20), (summary.ImagesPerEpoch, summary.StepsPerEpoch, summary.TotalSteps));
        Assert.Contains("steps per epoch: ceil(75 / 8) = 10", PreflightRenderer.Render(summary));
    }

    [Fact]
    public void intervals_in_epochs_become_steps()
    {
        var plan = Check("dataset {\n  world concept \"star\" count 10\n}\ntrain {\n  epochs 6\n  checkpoint every 2 epochs\n}\nsample {\n  every 3 epochs\n  prompt \"a star\"\n}").Plan!;

        Assert.Equal((60, 20, 30), (plan.Training!.Train.TotalSteps, plan.Training.Train.CheckpointEverySteps, plan.Training.Sample!.EverySteps));
    }

    [Fact]
    public void prompts_inherit_the_sample_blocks_defaults_and_override_them()
    {
        var prompts = Check("dataset {\n  world concept \"star\"\n}\nsample {\n  seed 5\n  steps 30\n  negative \"blur\"\n  prompt \"a\"\n  prompt \"b\" seed 9 guidance 3 negative \"dark\"\n}").Plan!.Training!.Sample!.Prompts;

        Assert.Equal(new SamplePrompt("a", "blur", 5, 30, null), prompts[0]);  // null: the base model's own guidance
        Assert.Equal(new SamplePrompt("b", "dark", 9, 30, 3), prompts[1]);
    }

    [Fact]
    public void a_notebook_cell_resolves_paths_against_the_context_folder()
    {
        var context = Repository.Context with { BaseDirectory = Repository.Examples };

        var plan = LoraScript.Check("dataset {\n  folder \"data/red-kite\"\n}", null, context).Plan!;

        Assert.Equal(new FolderSource(Path.Combine(Repository.Examples, "data", "red-kite")), plan.Training!.Datasets[0].Source);
        Assert.Equal(3, plan.Training.Datasets[0].ImageCount);
        Assert.Equal(Path.Combine(Repository.Examples, "adapter.safetensors"), plan.Training.Train.OutputPath);
    }

    [Fact]
    public void grid_without_a_load_uses_the_trained_adapter_and_the_sample_prompts()
    {
        var actions = Check("dataset {\n  world concept \"star\"\n}\nsample {\n  prompt \"a star\"\n}\ngrid").Plan!.Actions;

        Assert.Equal(new LoadAdapterAction(Path.Combine(Repository.Examples, "test.safetensors"), 1), actions[0]);
        var grid = Assert.IsType<GridAction>(actions[1]);
        Assert.Equal(["a star"], grid.Prompts);
        Assert.Equal([0.0, 1.0], grid.Strengths);
    }

    [Fact]
    public void diagnostics_render_compiler_style_followed_by_the_summary()
    {
        var result = Check("dataset {\n  world concept \"star\"\n}\nlora {\n  rank 2\n  alpha 16\n}");

        var text = result.Render("test.lora");

        Assert.StartsWith("test.lora(1,1): info LORA0301: ", text);
        Assert.Contains("test.lora(6,9): warning LORA0201: alpha 16 is 8x rank 2", text);
        Assert.Contains("pre-flight", text);
        Assert.Contains("time: ~1 min 40 s (estimate)", text);
    }

    [Fact]
    public void an_error_means_no_plan_and_no_summary()
    {
        var result = Check("dataset {\n  world concept \"star\"\n}\nlora {\n  rank 0\n}");

        Assert.True(result.HasErrors);
        Assert.Null(result.Plan);
        Assert.Null(result.Summary);
    }

    [Fact]
    public void diagnostic_ids_are_unique_and_follow_the_numbering_scheme()
    {
        var all = DiagnosticDescriptors.All;

        Assert.Equal(all.Count, all.Select(d => d.Id).Distinct().Count());
        Assert.All(all, d => Assert.Matches("^LORA0[0-3][0-9]{2}$", d.Id));
        Assert.All(all.Where(d => d.Id.StartsWith("LORA02")), d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
        Assert.All(all.Where(d => d.Id.StartsWith("LORA03")), d => Assert.Equal(DiagnosticSeverity.Info, d.Severity));
        Assert.All(all.Where(d => d.Id.StartsWith("LORA00") || d.Id.StartsWith("LORA01")), d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
    }
}
