using System.CommandLine;
using LoraNotebooks.Dsl;
using LoraNotebooks.Dsl.Formatting;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora check FILE</c>: diagnostics compiler-style (<c>FILE(LINE,COL): error LORA0003: …</c>) then
/// the pre-flight summary with the engine's estimates (<see cref="PreflightEstimator"/>); exit 1 when there are errors. <c>lora fmt FILE</c>: the canonical form.
/// </summary>
public static class CheckCommand
{
    /// <summary>Builds <c>lora check</c>.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A .lora script." }.AsPath();
        var command = new Command("check", "Check a training script: diagnostics, then the pre-flight summary. Nothing runs.") { file };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (output, _) =>
        {
            var path = parse.GetValue(file)!;
            var result = LoraScript.Check(ReadScript(path), Path.GetFullPath(path), new CheckContext(WorldCatalog.Instance, PreflightEstimator.Default));
            output.WriteLine(result.Render(path));
            return Task.FromResult(result.HasErrors ? ExitCodes.UserError : ExitCodes.Ok);
        }, token));
        return command;
    }

    /// <summary>Builds <c>lora fmt</c>.</summary>
    public static Command CreateFormat()
    {
        var file = new Argument<string>("file") { Description = "A .lora script." }.AsPath();
        var write = new Option<bool>("--write") { Description = "Rewrite the file in place (atomically) instead of printing." };
        var command = new Command("fmt", "Print a training script in its canonical form.") { file, write };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (output, _) =>
        {
            var path = parse.GetValue(file)!;
            var parsed = LoraScript.Parse(ReadScript(path));
            var errors = parsed.Diagnostics.Where(d => d.Severity == Dsl.Diagnostics.DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                    parse.InvocationConfiguration.Error.WriteLine(error.ToString(path));
                return Task.FromResult(ExitCodes.UserError);
            }
            var formatted = LoraFormatter.Format(parsed.Syntax);
            if (parse.GetValue(write))
                Engine.AtomicFile.WriteAllText(path, formatted);
            else
                output.Write(formatted);
            return Task.FromResult(ExitCodes.Ok);
        }, token));
        return command;
    }

    /// <summary>Largest script read (bytes); real ones are a few kilobytes.</summary>
    public const long MaxScriptBytes = 1 << 20;

    /// <summary>The text of the script at <paramref name="path"/>, refusing folders and files too large to be scripts.</summary>
    internal static string ReadScript(string path)
    {
        if (Directory.Exists(path))
            throw new Engine.UserErrorException($"'{path}' is a folder; give a .lora file");
        if (!File.Exists(path))
            throw new FileNotFoundException($"script '{path}' does not exist");
        var length = new FileInfo(path).Length;
        if (length > MaxScriptBytes)
            throw new Engine.UserErrorException($"'{path}' is {length} bytes; a script is at most {MaxScriptBytes}");
        return File.ReadAllText(path);
    }
}
