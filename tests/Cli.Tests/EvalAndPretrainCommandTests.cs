using System.Text.Json;
using LoraNotebooks.Engine.Native;

namespace LoraNotebooks.Cli.Tests;

public sealed class EvalAndPretrainCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lora-eval-tests").FullName;

    static EvalAndPretrainCommandTests() => TorchNativeLoader.EnsureLoadable();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task eval_reports_which_prompted_words_the_base_follows_beside_prompt_following()
    {
        var result = await CliRun.RunAsync("eval", "--samples", "2", "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        var scores = JsonSerializer.Deserialize<Dictionary<string, double>>(result.Output)!;
        Assert.Equal(["prompt_following", "followed_shape", "followed_colour", "followed_size", "followed_position", "followed_background"], scores.Keys);
        Assert.All(scores.Values, share => Assert.InRange(share, 0, 1));
        // Both samples following shape and colour is what prompt_following counts.
        Assert.True(scores["prompt_following"] <= Math.Min(scores["followed_shape"], scores["followed_colour"]));
    }

    [Fact]
    public async Task eval_stopped_by_ctrl_c_while_sampling_exits_130_and_prints_no_scores()
    {
        // 256 samples of each kind take minutes; cancelled a moment in, the sampling stops at its next denoising step.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var result = await CliRun.RunAsync(stop.Token, "eval", "--samples", "256", "--json");
        Assert.Equal(130, result.ExitCode);
        Assert.Contains("lora: cancelled", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task eval_details_list_the_missed_trigger_prompts_and_the_changed_others_behind_the_scores_at_the_strength_asked()
    {
        // Two steps at a wild learning rate: an adapter that misses the heart and changes other pictures.
        var script = Path.Combine(_folder, "wild.lora");
        File.WriteAllText(script, """
            dataset "hearts" {
              world concept "heart" count 4
              trigger "hrt heart shape"
            }
            lora { rank 2; targets ["**.attn2.**"] }
            train { steps 2; batch 2; lr 0.5; output "out/wild.safetensors" }
            """);
        var trained = await CliRun.RunAsync("run", script, "--json");
        Assert.True(trained.ExitCode == 0, trained.Error);
        var adapter = Path.Combine(_folder, "out", "wild.safetensors");

        var result = await CliRun.RunAsync("eval", "--adapter", adapter, "--samples", "4", "--details", "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        var root = JsonDocument.Parse(result.Output).RootElement;
        var missed = root.GetProperty("missed").EnumerateArray().ToList();
        var changed = root.GetProperty("changed").EnumerateArray().ToList();
        Assert.Equal(root.GetProperty("fidelity").GetDouble(), 1 - missed.Count / 4.0, 12);
        Assert.Equal(root.GetProperty("leakage").GetDouble(), changed.Count / 4.0, 12);
        Assert.NotEmpty(changed);
        Assert.All(missed, m =>
        {
            Assert.Contains("hrt heart shape", m.GetProperty("prompt").GetString());
            Assert.NotEqual("heart", m.GetProperty("judged").GetProperty("shape").GetString());
        });
        Assert.All(changed, c =>
        {
            Assert.DoesNotContain("hrt", c.GetProperty("prompt").GetString());
            Assert.InRange(c.GetProperty("seed").GetInt64(), 1, 4);
            Assert.All(c.GetProperty("changes").EnumerateArray(), a => Assert.NotEqual(a.GetProperty("base").ToString(), a.GetProperty("adapted").ToString()));
            Assert.Contains(c.GetProperty("direction").GetString(), new[] { "closer", "further", "mixed", "sideways" });
        });

        var text = await CliRun.RunAsync("eval", "--adapter", adapter, "--samples", "4", "--details");
        Assert.Contains($"missed: {missed.Count} of 4 trigger prompts", text.Output);
        // The summary counts each direction the JSON gives, in the order closer, further, mixed, sideways.
        var counted = new[] { ("closer", "closer to the prompt"), ("further", "further from the prompt"), ("mixed", "both closer and further"), ("sideways", "sideways") }
            .Select(d => (Count: changed.Count(c => c.GetProperty("direction").GetString() == d.Item1), Words: d.Item2))
            .Where(d => d.Count > 0).Select(d => $"{d.Count} {d.Words}");
        Assert.Contains($"changed: {changed.Count} of 4 other prompts ({string.Join(", ", counted)})", text.Output);
        Assert.Contains(" -> ", text.Output);

        // The same adapter loaded at a thousandth of its strength leaves every other picture as the base drew it.
        var faint = await CliRun.RunAsync("eval", "--adapter", adapter, "--samples", "4", "--strength", "0.001", "--json");
        Assert.True(faint.ExitCode == 0, faint.Error);
        var faintRoot = JsonDocument.Parse(faint.Output).RootElement;
        Assert.Equal(0.001, faintRoot.GetProperty("strength").GetDouble());
        Assert.Equal(0, faintRoot.GetProperty("leakage").GetDouble());
        Assert.Equal(1.0, root.GetProperty("strength").GetDouble());

        foreach (var (arguments, message) in new[]
        {
            (new[] { "eval", "--adapter", adapter, "--strength", "0" }, "--strength must be above 0 and at most 4, not 0"),
            (new[] { "eval", "--adapter", adapter, "--strength", "NaN" }, "--strength must be above 0"),
            (new[] { "eval", "--strength", "0.8" }, "--strength is the strength of an adapter: give --adapter too"),
        })
        {
            var refused = await CliRun.RunAsync(arguments);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains(message, refused.Error);
        }

        var withoutAdapter = await CliRun.RunAsync("eval", "--details");
        Assert.Equal(1, withoutAdapter.ExitCode);
        Assert.Contains("give --adapter too", withoutAdapter.Error);
    }

    [Fact]
    public async Task eval_with_a_lead_word_scores_the_same_prompts_with_the_word_in_front()
    {
        var plain = await CliRun.RunAsync("eval", "--samples", "8", "--json");
        var led = await CliRun.RunAsync("eval", "--samples", "8", "--json", "--lead", "zj,");
        Assert.True(led.ExitCode == 0, led.Error);
        var (a, b) = (JsonSerializer.Deserialize<Dictionary<string, double>>(plain.Output)!, JsonSerializer.Deserialize<Dictionary<string, double>>(led.Output)!);
        Assert.Equal(a.Keys, b.Keys);
        // The shipped base reads the world's captions by byte position, so a leading word moves what it draws (docs/pretraining.md).
        Assert.NotEqual(a, b);

        var blank = await CliRun.RunAsync("eval", "--lead", " ");
        Assert.Equal(1, blank.ExitCode);
        Assert.Contains("--lead needs a word", blank.Error);
    }

    [Fact]
    public async Task pretrain_names_a_missing_or_unusable_config_and_a_negative_min_snr_gamma_before_training()
    {
        var checkpoints = Path.Combine(_folder, "checkpoints");
        var missing = await CliRun.RunAsync("pretrain", "--checkpoints", checkpoints, "--steps", "0", "--config", Path.Combine(_folder, "none.json"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("none.json does not exist", missing.Error);

        var broken = Path.Combine(_folder, "broken.json");
        File.WriteAllText(broken, """{ "unet": { "block_out_channels": [32, 60] } }""");
        var unusable = await CliRun.RunAsync("pretrain", "--checkpoints", checkpoints, "--steps", "0", "--config", broken);
        Assert.Equal(1, unusable.ExitCode);
        Assert.Contains("broken.json is not a usable model config", unusable.Error);

        var gamma = await CliRun.RunAsync("pretrain", "--checkpoints", checkpoints, "--steps", "0", "--min-snr-gamma", "-1");
        Assert.Equal(1, gamma.ExitCode);
        Assert.Contains("--min-snr-gamma", gamma.Error);

        var offset = await CliRun.RunAsync("pretrain", "--checkpoints", checkpoints, "--steps", "0", "--noise-offset", "-0.1");
        Assert.Equal(1, offset.ExitCode);
        Assert.Contains("(--noise-offset) must be between 0 and 1", offset.Error);

        var noise = await CliRun.RunAsync("pretrain", "--checkpoints", checkpoints, "--steps", "0", "--caption-noise", "1.5");
        Assert.Equal(1, noise.ExitCode);
        Assert.Contains("(--caption-noise) must be between 0 and 1", noise.Error);
        Assert.False(Directory.Exists(Path.Combine(checkpoints, "step-000000")));
    }

    [Fact]
    public async Task pretrain_grows_a_base_into_the_architecture_its_config_gives()
    {
        // The tiniest world-sized model: 32 px, one level with attention, then grown to attention at both.
        var small = Path.Combine(_folder, "small.json");
        File.WriteAllText(small, Config(down: "\"DownBlock2D\", \"CrossAttnDownBlock2D\"", up: "\"CrossAttnUpBlock2D\", \"UpBlock2D\""));
        var grown = Path.Combine(_folder, "grown.json");
        File.WriteAllText(grown, Config(down: "\"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\"", up: "\"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\""));
        var smallBase = Path.Combine(_folder, "small.safetensors");

        var first = await CliRun.RunAsync("pretrain", "--checkpoints", Path.Combine(_folder, "a"), "--steps", "1", "--config", small, "--export", smallBase);
        Assert.True(first.ExitCode == 0, first.Error);
        var second = await CliRun.RunAsync("pretrain", "--checkpoints", Path.Combine(_folder, "b"), "--steps", "1", "--config", grown,
            "--from", smallBase, "--min-snr-gamma", "0", "--noise-offset", "0.2", "--lr", "1e-4", "--caption-noise", "0.5", "--export", Path.Combine(_folder, "grown.safetensors"));
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains("the parts they make start by adding nothing", second.Output);
        Assert.True(File.Exists(Path.Combine(_folder, "grown.safetensors")));
    }

    [Fact]
    public async Task pretrain_judges_the_weights_every_eval_steps_and_exports_the_best_so_far()
    {
        var small = Path.Combine(_folder, "small.json");
        File.WriteAllText(small, Config(down: "\"DownBlock2D\", \"CrossAttnDownBlock2D\"", up: "\"CrossAttnUpBlock2D\", \"UpBlock2D\""));
        var best = Path.Combine(_folder, "best.safetensors");

        var run = await CliRun.RunAsync("pretrain", "--checkpoints", Path.Combine(_folder, "c"), "--steps", "2", "--config", small, "--eval-every", "1", "--export", best);

        Assert.True(run.ExitCode == 0, run.Error);
        var evals = run.Output.Split('\n').Where(l => l.StartsWith("eval step ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, evals.Count);
        Assert.All(evals, l => Assert.EndsWith(" over 64 samples", l));
        Assert.Contains("  followed: shape ", run.Output);
        Assert.Equal(2, run.Output.Split('\n').Count(l => l.StartsWith("  score ", StringComparison.Ordinal) && l.Contains("(best ") && l.Contains("); every attribute followed ")));
        Assert.DoesNotContain("led by", run.Output);
        // The first evaluation always beats "nothing yet", so the file is written with its score.
        Assert.Contains("exported the best weights so far", run.Output);
        using var file = LoraNotebooks.Engine.SafeTensors.SafeTensorsFile.Open(best);
        Assert.InRange(double.Parse(file.Metadata["lora.prompt_following_64"], System.Globalization.CultureInfo.InvariantCulture), 0, 1);
    }

    [Fact]
    public async Task pretrain_teach_reading_learns_from_its_from_base_and_judges_prompts_led_by_a_word_too()
    {
        var small = Path.Combine(_folder, "small.json");
        File.WriteAllText(small, Config(down: "\"DownBlock2D\", \"CrossAttnDownBlock2D\"", up: "\"CrossAttnUpBlock2D\", \"UpBlock2D\""));
        var smallBase = Path.Combine(_folder, "small.safetensors");
        var first = await CliRun.RunAsync("pretrain", "--checkpoints", Path.Combine(_folder, "a"), "--steps", "1", "--config", small, "--export", smallBase);
        Assert.True(first.ExitCode == 0, first.Error);

        var noNoise = await CliRun.RunAsync("pretrain", "--checkpoints", Path.Combine(_folder, "r"), "--steps", "1", "--config", small, "--from", smallBase, "--teach-reading");
        Assert.Equal(1, noNoise.ExitCode);
        Assert.Contains("--caption-noise", noNoise.Error);

        var weighted = await CliRun.RunAsync("pretrain", "--checkpoints", Path.Combine(_folder, "r"), "--steps", "1", "--config", small, "--from", smallBase,
            "--teach-reading", "--caption-noise", "0.7", "--min-snr-gamma", "5");
        Assert.Equal(1, weighted.ExitCode);
        Assert.Contains("takes neither", weighted.Error);

        var read = Path.Combine(_folder, "read.safetensors");
        var run = await CliRun.RunAsync("pretrain", "--checkpoints", Path.Combine(_folder, "r"), "--steps", "1", "--config", small, "--from", smallBase,
            "--teach-reading", "--caption-noise", "0.7", "--eval-every", "1", "--export", read);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("  led by \"zj,\": prompt_following ", run.Output);
        Assert.True(File.Exists(read));
    }

    private static string Config(string down, string up) => $$"""
        {
          "text_encoder": { "max_position_embeddings": 16, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2 },
          "unet": { "sample_size": 32, "block_out_channels": [4, 8], "down_block_types": [{{down}}], "up_block_types": [{{up}}],
                    "cross_attention_dim": 8, "attention_head_dim": 4, "norm_num_groups": 2 }
        }
        """;
}
