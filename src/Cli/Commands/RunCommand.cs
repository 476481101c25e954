using System.CommandLine;
using LoraNotebooks.Cli.Rendering;
using LoraNotebooks.Dsl;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora run FILE [--json]</c>: checks a script (diagnostics and the pre-flight summary, exit 1 on
/// errors), then trains and runs its actions, showing events live or as JSON lines. Ctrl+C stops within
/// one step after writing a checkpoint (exit 130); a diverged loss exits 2.
/// </summary>
public static class RunCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A .lora script." }.AsPath();
        var json = new Option<bool>("--json") { Description = "Print one JSON object per event per line." };
        var command = new Command("run", "Check a .lora script, then train and run its actions.") { file, json };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (output, cancel) =>
            Task.FromResult(Run(parse.GetValue(file)!, parse.GetValue(json), output, parse.InvocationConfiguration.Error, cancel)), token));
        return command;
    }

    private static int Run(string path, bool json, TextWriter output, TextWriter error, CancellationToken cancel)
    {
        var check = LoraScript.Check(CheckCommand.ReadScript(path), path, new CheckContext(WorldCatalog.Instance, PreflightEstimator.Default));
        var report = check.Render(path);
        (json || check.HasErrors ? error : output).Write(report);
        if (check.HasErrors)
            return ExitCodes.UserError;
        if (!json)
            output.WriteLine();

        Action<TrainingEvent> render = json ? new JsonEventWriter(output).Write : new TerminalRenderer(output, TerminalRenderer.IsLive(output)).Write;
        try
        {
            PlanRunner.Run(check.Plan!, render, cancel, WorldEvaluation.For(check.Plan!));
        }
        catch (TrainingDivergedException e)
        {
            error.WriteLine($"lora: error: {e.Message}");
            return ExitCodes.RuntimeFailure;
        }
        return ExitCodes.Ok;
    }
}

