using System.Globalization;
using System.Text;
using LoraNotebooks.Engine;

namespace LoraNotebooks.Kernel.Magic;

/// <summary>
/// The <c>#!lora-do</c> magic: single actions that need no script. Most are sugar for a one-line script
/// (<see cref="ToScript"/>), so they are checked and run exactly like a <c>#!lora</c> cell.
/// </summary>
public static class LoraDo
{
    /// <summary>The magic's name.</summary>
    public const string Name = "#!lora-do";

    private static readonly MagicOption Prompt = new("--prompt", "TEXT", "a prompt; one grid row each", Repeatable: true);
    private static readonly MagicOption Seed = new("--seed", "N", "the noise seed (default 1)");
    private static readonly MagicOption Steps = new("--steps", "N", "sampling steps (default 20)");
    private static readonly MagicOption Guidance = new("--guidance", "X", "classifier-free guidance (default: the base model's, 3 for the built-in base)");

    /// <summary>Every action with its values and options.</summary>
    public static MagicSpec Spec { get; } = new(Name,
    [
        new("check", "check a .lora file: diagnostics and the pre-flight summary", ["file"], []),
        new("inspect", "show an adapter's card", ["adapter"], []),
        new("sample", "draw one picture per prompt with an adapter applied", [],
            [new("--adapter", "PATH", "the adapter file", Required: true), Prompt with { Required = true }, new("--strength", "X", "the adapter's strength (default 1)"), Seed, Steps, Guidance]),
        new("compare", "a grid of prompts × adapter strengths (strength 0 is the base model)", [],
            [new("--adapter", "PATH", "the adapter file", Required: true), Prompt with { Required = true }, new("--strengths", "LIST", "comma-separated strengths (default 0,0.5,1)"), Seed, Steps, Guidance]),
        new("wait", "show the run started with #!lora --background live in this cell until it ends", [], []),
        new("status", "where the latest run is: its step, and its last checkpoint", [], []),
        new("stop", "stop the run in progress: it ends within a step and keeps a checkpoint, whose path is shown", [], []),
        new("help", "list the actions and the cell forms", [], []),
    ]);

    /// <summary>The text <c>#!lora-do help</c> shows.</summary>
    public static string Help()
    {
        var text = new StringBuilder();
        text.AppendLine("#!lora                 a cell holding a LoRA script: checked, then run with live output");
        text.AppendLine("#!lora --check         check the cell's script and show the pre-flight summary, without running it");
        text.AppendLine("#!lora --background    start the cell's script and end the cell at once (see wait, status and stop)");
        text.AppendLine();
        foreach (var action in Spec.Actions)
            text.AppendLine($"{action.Usage(Name)}\n    {action.Description}");
        text.AppendLine();
        text.Append("Interrupting the kernel stops a run too: it stops within a step and keeps the adapter so far (#!lora-do status then says where).");
        return text.ToString();
    }

    /// <summary>The one-line script that does what <paramref name="action"/> asks (for inspect, sample and compare).</summary>
    /// <exception cref="FormatException">A value that is not a number.</exception>
    public static string ToScript(string action, MagicArguments arguments)
    {
        var inv = CultureInfo.InvariantCulture;
        string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        string Number(string option, string fallback) =>
            double.TryParse(arguments.One(option) ?? fallback, NumberStyles.Float, inv, out var value)
                ? value.ToString("R", inv)
                : throw new FormatException($"{option} needs a number, not '{arguments.One(option)}'");
        var grid = new StringBuilder($"grid prompts [{string.Join(", ", arguments.All("--prompt").Select(Quote))}]");
        switch (action)
        {
            case "inspect":
                return $"inspect {Quote(arguments.Positional[0])}";
            case "sample":
                grid.Append(" strengths [1]");
                return $"load {Quote(arguments.One("--adapter")!)} strength {Number("--strength", "1")}\n" + Finish(grid);
            case "compare":
                var strengths = (arguments.One("--strengths") ?? "0,0.5,1").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(s => double.TryParse(s, NumberStyles.Float, inv, out var v) ? v.ToString("R", inv) : throw new FormatException($"--strengths needs numbers, not '{s}'"));
                grid.Append($" strengths [{string.Join(", ", strengths)}]");
                return $"load {Quote(arguments.One("--adapter")!)}\n" + Finish(grid);
            default:
                throw new UserErrorException($"'{action}' is not a script action");
        }

        string Finish(StringBuilder g) =>
            g.Append($" seeds [{Number("--seed", "1")}] steps {Number("--steps", "20")}")
             .Append(arguments.One("--guidance") is null ? "" : $" guidance {Number("--guidance", "")}").ToString();
    }
}
