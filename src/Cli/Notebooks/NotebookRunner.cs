using System.Diagnostics;
using System.Text.RegularExpressions;
using LoraNotebooks.Kernel;
using LoraNotebooks.Kernel.Hosting;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using DocumentKernelInfo = Microsoft.DotNet.Interactive.Documents.KernelInfo;

namespace LoraNotebooks.Cli.Notebooks;

/// <summary>
/// Runs a notebook headlessly through the same kernel a Jupyter session gets (C# plus the LoRA extension),
/// in this process, and writes the outputs back into the document. The extension is already here, so
/// lines that load it from a package (<c>#r "nuget:LoraNotebooks.Kernel,…"</c>) are skipped and
/// <c>#i</c> package sources are accepted and ignored; other NuGet packages cannot be restored in process.
/// </summary>
public static partial class NotebookRunner
{
    /// <summary>One cell's outcome.</summary>
    public sealed record CellResult(int Index, bool Succeeded, TimeSpan Elapsed, string? Error);

    [GeneratedRegex("""^\s*#r\s+"nuget:\s*LoraNotebooks\.Kernel\b[^"]*"\s*$""", RegexOptions.Multiline)]
    private static partial Regex ExtensionReference();

    /// <summary>Runs every code cell of <paramref name="document"/> in order, replacing its outputs; stops nothing on failure.</summary>
    public static async Task<IReadOnlyList<CellResult>> RunAsync(InteractiveDocument document, Action<CellResult> progress, CancellationToken cancellationToken)
    {
        using var root = await CreateKernelAsync();
        var results = new List<CellResult>();
        var cells = document.Elements.Where(e => e.KernelName != "markdown").ToList();
        foreach (var (cell, index) in cells.Select((c, i) => (c, i + 1)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            cell.Outputs.Clear();
            var code = ExtensionReference().Replace(cell.Contents, "");
            var result = await root.SendAsync(new SubmitCode(code, cell.KernelName), cancellationToken);
            var outputs = new Outputs();
            foreach (var e in result.Events) outputs.Add(e);
            cell.Outputs.AddRange(outputs.Elements);
            cell.ExecutionOrder = index;
            var failure = result.Events.OfType<CommandFailed>().FirstOrDefault();
            var cellResult = new CellResult(index, failure is null, clock.Elapsed, failure?.Message);
            results.Add(cellResult);
            progress(cellResult);
        }
        return results;
    }

    /// <summary>
    /// The assemblies C# cells can use after loading the extension, as in the host: the package's own (Kernel, Dsl,
    /// Engine) and those of its dependencies that notebooks use directly (TorchSharp, ImageSharp).
    /// </summary>
    public static IReadOnlyList<System.Reflection.Assembly> PackageAssemblies { get; } =
    [
        typeof(Lora).Assembly,
        typeof(Dsl.LoraScript).Assembly,
        typeof(Engine.World.WorldGenerator).Assembly,
        typeof(TorchSharp.torch).Assembly,
        typeof(SixLabors.ImageSharp.Image).Assembly,
    ];

    /// <summary>The kernel info the .ipynb reader needs: C# is the default, and <c>lora</c> cells exist.</summary>
    public static KernelInfoCollection KernelInfos() => new()
    {
        new DocumentKernelInfo("csharp", "C#", ["c#", "C#"]),
        new DocumentKernelInfo(LoraKernel.KernelName, "lora", []),
        new DocumentKernelInfo("markdown", "Markdown", ["md"]),
    };

    private static async Task<CompositeKernel> CreateKernelAsync()
    {
        var csharp = new CSharpKernel().UseKernelHelpers().UseValueSharing();
        // What `#r "nuget:LoraNotebooks.Kernel,…"` references in the host: the package's assemblies and its dependencies'.
        csharp.AddAssemblyReferences([.. PackageAssemblies.Select(a => a.Location)]);
        // Package sources mean nothing in process: accept #i (and the restore the host issues after it) and do nothing.
        csharp.AddDirective(
            new KernelActionDirective("#i") { Parameters = { new KernelDirectiveParameter("--source") { AllowImplicitName = true } } },
            (_, _) => Task.CompletedTask);
        csharp.AddDirective(new KernelActionDirective("#!nuget-restore"), (_, _) => Task.CompletedTask);
        var root = new CompositeKernel { csharp };
        root.DefaultKernelName = "csharp";
        await LoraKernelExtension.LoadAsync(root, installInterrupts: false);
        return root;
    }

    /// <summary>Turns a cell's events into its outputs; an updated display replaces its earlier version in place.</summary>
    private sealed class Outputs
    {
        private readonly Dictionary<string, int> byDisplayId = [];

        public List<InteractiveDocumentOutputElement> Elements { get; } = [];

        public void Add(KernelEvent e)
        {
            switch (e)
            {
                case StandardOutputValueProduced o:
                    Elements.Add(new TextElement(Text(o), "stdout"));
                    break;
                case StandardErrorValueProduced o:
                    Elements.Add(new TextElement(Text(o), "stderr"));
                    break;
                case DisplayedValueUpdated u when u.ValueId is { } id && byDisplayId.TryGetValue(id, out var at):
                    Elements[at] = Display(u);
                    break;
                case DisplayEvent d:
                    if (d.ValueId is { } valueId) byDisplayId[valueId] = Elements.Count;
                    Elements.Add(Display(d));
                    break;
                case CommandFailed f:
                    Elements.Add(new ErrorElement("Error", f.Message, []));
                    break;
            }
        }

        private static string Text(DisplayEvent e) => e.FormattedValues.FirstOrDefault()?.Value ?? "";

        private static DisplayElement Display(DisplayEvent e) => new(Data(e));

        private static Dictionary<string, object> Data(DisplayEvent e) =>
            e.FormattedValues.ToDictionary(v => v.MimeType, v => (object)v.Value);
    }
}
