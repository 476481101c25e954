using System.CommandLine;
using System.Globalization;
using LoraNotebooks.Engine;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora pretrain --checkpoints DIR --steps N [--export FILE]</c>: pretrains the built-in base on
/// the held-in world from its seed, resuming from the newest checkpoint in DIR, and exports the
/// (EMA) weights as a base-model safetensors file. <c>--config</c> gives another architecture and
/// <c>--from</c> a base to grow it from (docs/pretraining.md, "Growing the base").
/// </summary>
public static class PretrainCommand
{
    /// <summary>Held-in prompts judged at each evaluation (every shape × colour pair in turn).</summary>
    private const int EvalSamples = 64;

    /// <summary>The word a reading run's evaluations put in front of every prompt (as `lora eval --lead "zj,"`).</summary>
    private const string ReadingLead = "zj,";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var checkpoints = new Option<string>("--checkpoints") { Description = "Checkpoint folder; a run resumes from its newest checkpoint.", Required = true }.AsPath();
        var steps = new Option<long>("--steps") { Description = "Train until this step.", DefaultValueFactory = _ => 20_000 };
        var export = new Option<string?>("--export") { Description = "Write the weights as a base model here when done (e.g. assets/base.safetensors)." }.AsPath();
        var seed = new Option<long>("--seed") { Description = "Seed of the model, the data order and the noise.", DefaultValueFactory = _ => 0 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Judge prompt-following every N steps (0: never); with --export, the best weights so far are exported (best prompt-following, ties broken by the share of every prompted attribute followed, background included).", DefaultValueFactory = _ => 0 };
        var from = new Option<string?>("--from") { Description = "Start a fresh run from this base model's weights (e.g. the previous assets/base.safetensors); transformers and a text-time embedding the architecture adds start by adding nothing." }.AsPath();
        var learningRate = new Option<double?>("--lr") { Description = "AdamW's learning rate after warm-up (default 1e-3)." };
        var minSnr = new Option<double?>("--min-snr-gamma") { Description = "Min-SNR loss weighting of a denoising run (default 5); 0 trains on the plain v-prediction loss, which keeps weight on the noisiest timesteps, where a picture's overall colour is decided. A reading run's loss is distillation and takes none." };
        var noiseOffset = new Option<double>("--noise-offset") { Description = "Adds this much of one random value per image and channel to the noise (default 0), so the noisiest timesteps leave a picture's overall colour, such as its background, for the prompt to decide; 0.1 to 0.3 is typical.", DefaultValueFactory = _ => 0 };
        var config = new Option<string?>("--config") { Description = "The model's architecture as JSON (the lora.config entry of a base file: text_encoder, unet, diffusion); default: the built-in base's." }.AsPath();
        var captionNoise = new Option<double>("--caption-noise") { Description = "Share of captions (0 to 1) that get one to three made-up words inserted, so the base reads words wherever they stand and a trigger put into a prompt does not derail it (default 0).", DefaultValueFactory = _ => 0 };
        var teachReading = new Option<bool>("--teach-reading") { Description = "Train only the text encoder and the cross-attention keys and values, to read captions with words put in (--caption-noise) as the --from base read them as written (distillation, no EMA; docs/pretraining.md)." };
        var command = new Command("pretrain", "Pretrain the built-in base model on the procedural world (resumable).") { checkpoints, steps, export, seed, evalEvery, from, learningRate, minSnr, noiseOffset, config, captionNoise, teachReading };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (writer, cancel) =>
        {
            var inv = CultureInfo.InvariantCulture;
            using var trainer = new Pretrainer(ReadConfig(parse.GetValue(config)), new HeldInWorldSource(), Options(parse.GetValue(seed), parse.GetValue(from), parse.GetValue(learningRate), parse.GetValue(minSnr), parse.GetValue(noiseOffset), parse.GetValue(captionNoise), parse.GetValue(teachReading)),
                parse.GetValue(checkpoints)!);
            if (trainer.Grafted.Count > 0)
                writer.WriteLine($"started from {parse.GetValue(from)}; {trainer.Grafted.Count} new tensors; the parts they make start by adding nothing");
            writer.WriteLine($"pretraining from step {trainer.Step} to {parse.GetValue(steps)}; checkpoints in {Path.GetFullPath(parse.GetValue(checkpoints)!)}");
            var every = parse.GetValue(evalEvery);
            var evaluation = every > 0 ? WorldEvaluation.Default() : null;
            var best = double.NegativeInfinity;
            var bestFollowed = double.NegativeInfinity; // breaks a tie in the score, e.g. a run teaching the background at 1.000
            try
            {
                trainer.Run(parse.GetValue(steps), p =>
                {
                    if (p.Step % 25 == 0)
                        writer.WriteLine(string.Create(inv, $"step {p.Step}  loss {p.Loss:0.0000}  lr {p.LearningRate:0.0e0}  {p.StepTime.TotalMilliseconds:0} ms/step"));
                    if (evaluation is null || p.Step % every != 0)
                        return;
                    var model = trainer.Ema ?? trainer.Model;
                    var (score, agreement) = evaluation.Following(model, EvalSamples, seed: 0, cancellationToken: cancel);
                    writer.WriteLine(string.Create(inv, $"eval step {p.Step}  prompt_following {score:0.000} over {EvalSamples} samples"));
                    writer.WriteLine("  followed: " + Shares(agreement));
                    if (trainer.Teacher is not null)
                    {
                        // A reading run is judged on both: the prompts as written, and led by a word the world never uses.
                        var (led, ledAgreement) = evaluation.Following(model, EvalSamples, seed: 0, lead: ReadingLead, cancellationToken: cancel);
                        writer.WriteLine(string.Create(inv, $"  led by \"{ReadingLead}\": prompt_following {led:0.000}; followed: {Shares(ledAgreement)}"));
                        score = Math.Min(score, led);
                    }
                    var followed = agreement.Values.DefaultIfEmpty(0).Average();
                    writer.WriteLine(string.Create(inv, $"  score {score:0.000} (best {Math.Max(best, score):0.000}); every attribute followed {followed:0.000}"));
                    if (score > best || (score == best && followed > bestFollowed))
                    {
                        (best, bestFollowed) = (score, followed);
                        if (parse.GetValue(export) is { } bestPath)
                        {
                            Export(model, bestPath, p.Step, parse.GetValue(seed), score);
                            writer.WriteLine($"exported the best weights so far to {Path.GetFullPath(bestPath)}");
                        }
                    }
                }, cancel);
            }
            catch (OperationCanceledException)
            {
                trainer.SaveCheckpoint();
                throw;
            }
            if (parse.GetValue(export) is { } exportPath && evaluation is null)
            {
                Export(trainer.Ema ?? trainer.Model, exportPath, trainer.Step, parse.GetValue(seed), null);
                writer.WriteLine($"exported {Path.GetFullPath(exportPath)}");
            }
            return Task.FromResult(ExitCodes.Ok);
        }, token));
        return command;
    }

    private static string Shares(IReadOnlyDictionary<string, double> agreement) =>
        string.Join(", ", agreement.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Key} {a.Value:0.00}")));

    private static TinyDiffusionConfig ReadConfig(string? path)
    {
        if (path is null)
            return BaseModelSource.BuiltIn.Shipped().Config;
        if (!File.Exists(path))
            throw new UserErrorException($"the model config {path} does not exist");
        try
        {
            var config = TinyDiffusionConfig.FromJson(File.ReadAllText(path));
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException)
        {
            throw new UserErrorException($"{path} is not a usable model config: {e.Message}");
        }
    }

    private static PretrainerOptions Options(long seed, string? from, double? learningRate, double? minSnrGamma, double noiseOffset, double captionNoise, bool teachReading)
    {
        if (teachReading && (minSnrGamma is not null || noiseOffset != 0))
            throw new UserErrorException("--min-snr-gamma and --noise-offset shape the denoising loss; a reading run (--teach-reading) learns by distillation and takes neither");
        var gamma = minSnrGamma ?? 5; // 0 turns the weighting off; a negative value is left for Validate to name
        var options = new PretrainerOptions { Seed = seed, StartFrom = from, CaptionNoise = captionNoise, Loss = new DiffusionLossOptions(gamma != 0 ? gamma : null, noiseOffset) };
        if (teachReading)
            options = options with { Objective = PretrainObjective.Reading, EmaDecay = null }; // a short run from a finished base: the raw weights are the result
        return learningRate is { } lr ? options with { LearningRate = lr } : options;
    }

    private static void Export(TinyDiffusionModel model, string path, long step, long seed, double? promptFollowing)
    {
        var inv = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>
        {
            ["lora.pretrain_steps"] = step.ToString(inv),
            ["lora.pretrain_seed"] = seed.ToString(inv),
        };
        if (promptFollowing is { } score)
            metadata["lora.prompt_following_64"] = score.ToString("0.000", inv);
        BuiltInBase.Save(model, path, metadata);
    }
}
