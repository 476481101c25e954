using System.CommandLine;
using System.Globalization;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora pretrain --checkpoints DIR --steps N [--export FILE]</c>: pretrains the built-in base on
/// the held-in world from its seed, resuming from the newest checkpoint in DIR, and exports the
/// (EMA) weights as a base-model safetensors file.
/// </summary>
public static class PretrainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var checkpoints = new Option<string>("--checkpoints") { Description = "Checkpoint folder; a run resumes from its newest checkpoint.", Required = true };
        var steps = new Option<long>("--steps") { Description = "Train until this step.", DefaultValueFactory = _ => 20_000 };
        var export = new Option<string?>("--export") { Description = "Write the weights as a base model here when done (e.g. assets/base.safetensors)." };
        var seed = new Option<long>("--seed") { Description = "Seed of the model, the data order and the noise.", DefaultValueFactory = _ => 0 };
        var command = new Command("pretrain", "Pretrain the built-in base model on the procedural world (resumable).") { checkpoints, steps, export, seed };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (writer, cancel) =>
        {
            var inv = CultureInfo.InvariantCulture;
            using var trainer = new Pretrainer(new TinyDiffusionConfig(), new HeldInWorldSource(), new PretrainerOptions { Seed = parse.GetValue(seed) },
                parse.GetValue(checkpoints)!);
            writer.WriteLine($"pretraining from step {trainer.Step} to {parse.GetValue(steps)}; checkpoints in {Path.GetFullPath(parse.GetValue(checkpoints)!)}");
            try
            {
                trainer.Run(parse.GetValue(steps), p =>
                {
                    if (p.Step % 25 == 0)
                        writer.WriteLine(string.Create(inv, $"step {p.Step}  loss {p.Loss:0.0000}  lr {p.LearningRate:0.0e0}  {p.StepTime.TotalMilliseconds:0} ms/step"));
                }, cancel);
            }
            catch (OperationCanceledException)
            {
                trainer.SaveCheckpoint();
                throw;
            }
            if (parse.GetValue(export) is { } exportPath)
            {
                BuiltInBase.Save(trainer.Ema ?? trainer.Model, exportPath, new Dictionary<string, string>
                {
                    ["lora.pretrain_steps"] = trainer.Step.ToString(inv),
                    ["lora.pretrain_seed"] = parse.GetValue(seed).ToString(inv),
                });
                writer.WriteLine($"exported {Path.GetFullPath(exportPath)}");
            }
            return Task.FromResult(ExitCodes.Ok);
        }, token));
        return command;
    }
}
