using System.CommandLine;
using LoraNotebooks.Cli.Notebooks;
using Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora notebook run NB.ipynb [-o OUT.ipynb]</c>: executes a notebook headlessly, in process, through
/// the same kernel as Jupyter (C# and the LoRA extension), and writes the outputs back. Exit code 1 when
/// a cell fails.
/// </summary>
public static class NotebookCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var notebook = new Argument<string>("notebook") { Description = "The .ipynb file to run." }.AsPath();
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the executed notebook (default: overwrite the input)." }.AsPath();
        var run = new Command("run", "Run every cell of a notebook and write its outputs back.") { notebook, output };
        run.SetAction((parse, token) => CommandRunner.RunAsync(parse, (writer, cancel) =>
            RunAsync(parse.GetValue(notebook)!, parse.GetValue(output), writer, cancel), token));
        return new Command("notebook", "Work with notebooks.") { run };
    }

    private static async Task<int> RunAsync(string path, string? output, TextWriter writer, CancellationToken cancellationToken)
    {
        var input = Path.GetFullPath(path);
        if (!File.Exists(input))
            throw new FileNotFoundException($"no notebook at {input}");
        var infos = NotebookRunner.KernelInfos();
        Microsoft.DotNet.Interactive.Documents.InteractiveDocument document;
        await using (var stream = File.OpenRead(input))
            document = Notebook.Read(stream, infos);

        // Like Jupyter, run with the notebook's folder as the current directory, so relative paths match.
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = Path.GetDirectoryName(input)!;
        IReadOnlyList<NotebookRunner.CellResult> results;
        try
        {
            results = await NotebookRunner.RunAsync(document, r => writer.WriteLine(
                $"cell {r.Index}: {(r.Succeeded ? "ok" : "FAILED")} ({r.Elapsed.TotalSeconds:0.0} s){(r.Error is null ? "" : ": " + r.Error.Split('\n')[0])}"),
                cancellationToken);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
        var target = Path.GetFullPath(output ?? input);
        await File.WriteAllTextAsync(target, Notebook.ToJupyterJson(document), cancellationToken);
        var failed = results.Count(r => !r.Succeeded);
        writer.WriteLine($"{results.Count} cells, {failed} failed; wrote {target}");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.UserError;
    }
}
