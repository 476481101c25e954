using System.CommandLine;
using System.Globalization;
using LoraNotebooks.Cli.Rendering;
using LoraNotebooks.Dsl;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora demo OUT</c>: the whole path in one command, on the built-in base model — export a concept
/// from the world as an image folder, write a <c>.lora</c> script that trains on it, and run the script:
/// the adapter (kohya layout) and a before/after grid (rows: prompts; columns: strength 0 then 1).
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var output = new Argument<string>("out") { Description = "Folder for the dataset, the script, the adapter and the grid." }.AsPath();
        var steps = new Option<int>("--steps") { Description = "Training steps.", DefaultValueFactory = _ => 60 };
        var member = new Option<string>("--concept") { Description = "Which held-out concept to teach.", DefaultValueFactory = _ => "star" };
        var command = new Command("demo", "Train a small LoRA on the built-in base model and write the adapter and a before/after grid.")
            { output, steps, member };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (writer, cancel) =>
            Task.FromResult(Run(parse.GetValue(output)!, parse.GetValue(steps), parse.GetValue(member)!, writer, cancel)), token));
        return command;
    }

    private static int Run(string outDir, int steps, string concept, TextWriter writer, CancellationToken cancel)
    {
        Directory.CreateDirectory(outDir);
        WorldExporter.Export("concept", concept, Path.Combine(outDir, "data"), count: 16, seed: 0);
        var script = Path.Combine(outDir, "demo.lora");
        File.WriteAllText(script, string.Create(CultureInfo.InvariantCulture, $$"""
            # Written by `lora demo`: teach the built-in base the '{{concept}}' concept from an exported folder.
            dataset "{{concept}}" {
              folder "data"
            }
            lora {
              rank 4
              targets [attention]
            }
            train {
              steps {{steps}}
              batch 8
              lr 1e-3
              seed 0
              output "{{concept}}.safetensors"
            }
            grid prompts ["a large red {{concept}} in the center, gray background", "a small blue {{concept}} on the left, white background"] strengths [0, 1] output "before-after.png"

            """));
        var check = LoraScript.Check(File.ReadAllText(script), script, new CheckContext(WorldCatalog.Instance));
        if (check.HasErrors)
            throw new InvalidOperationException("the demo script has errors:\n" + check.Render(script));
        writer.WriteLine($"dataset: {Path.GetFullPath(Path.Combine(outDir, "data"))}; script: {Path.GetFullPath(script)}");
        PlanRunner.Run(check.Plan!, new TerminalRenderer(writer, TerminalRenderer.IsLive(writer)).Write, cancel);
        return ExitCodes.Ok;
    }
}
