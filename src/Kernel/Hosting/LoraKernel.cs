using LoraNotebooks.Engine.World;
using LoraNotebooks.Dsl;
using LoraNotebooks.Dsl.Completion;
using LoraNotebooks.Dsl.Preflight;
using LoraNotebooks.Kernel.Runs;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using CompletionItem = Microsoft.DotNet.Interactive.Events.CompletionItem;
using DslSeverity = LoraNotebooks.Dsl.Diagnostics.DiagnosticSeverity;

namespace LoraNotebooks.Kernel.Hosting;

/// <summary>
/// The <c>lora</c> subkernel: a cell that starts with <c>#!lora</c> holds a script. Submitting it checks
/// it (diagnostics with spans), shows the pre-flight summary, then runs it with live output; with
/// <c>#!lora --check</c> it stops after the check. It also answers diagnostics and completion requests.
/// </summary>
public sealed class LoraKernel : Microsoft.DotNet.Interactive.Kernel,
    IKernelCommandHandler<SubmitCode>,
    IKernelCommandHandler<RequestDiagnostics>,
    IKernelCommandHandler<RequestCompletions>
{
    /// <summary>The kernel's name, and so its cell selector <c>#!lora</c>.</summary>
    public const string KernelName = "lora";

    /// <summary>The selector option that checks without running.</summary>
    public const string CheckOption = "--check";

    /// <summary>The selector option that starts the run in the background and ends the cell at once.</summary>
    public const string BackgroundOption = "--background";

    /// <summary>A kernel named <c>lora</c> for the language <c>lora</c>.</summary>
    public LoraKernel() : base(KernelName)
    {
        KernelInfo.LanguageName = "lora";
        KernelInfo.DisplayName = "LoRA script";
        KernelInfo.Description = "LoRA training scripts: check, train, preview, inspect";
    }

    /// <inheritdoc/>
    public override KernelSpecifierDirective KernelSpecifierDirective
    {
        get
        {
            var directive = base.KernelSpecifierDirective;
            if (!directive.Parameters.Any(p => p.Name == CheckOption))
                directive.Parameters.Add(new KernelDirectiveParameter(CheckOption, "Check the script and show the pre-flight summary without running it") { Flag = true });
            if (!directive.Parameters.Any(p => p.Name == BackgroundOption))
                directive.Parameters.Add(new KernelDirectiveParameter(BackgroundOption, "Start the run in the background: the cell ends at once; #!lora-do wait watches it, #!lora-do stop stops it") { Flag = true });
            return directive;
        }
    }

    /// <inheritdoc/>
    public async Task HandleAsync(SubmitCode command, KernelInvocationContext context)
    {
        var token = context.CancellationToken;
        var result = await Task.Run(() => Lora.Check(command.Code), token); // the estimate may calibrate for a few seconds
        context.Publish(Diagnostics(result, command.Code, command));
        var lines = CellLineOffset(command);
        var messages = result.Diagnostics.Select(d => (d.Severity, Text: (d with { Span = d.Span with { Line = d.Span.Line + lines } }).ToString(null))).ToList();
        if (result.HasErrors)
        {
            context.Fail(command, message: string.Join("\n", messages.Select(m => m.Text)));
            return;
        }
        var notes = messages.Select(m => m.Text).ToList();
        if (result.Summary is not null) notes.Add(PreflightRenderer.Render(result.Summary).TrimEnd());
        if (notes.Count > 0) context.DisplayAs(string.Join("\n", notes), PlainTextFormatter.MimeType);
        if (Flag(command, CheckOption))
            return;

        try
        {
            await RunSession.SettleAsync(token);
            token.ThrowIfCancellationRequested(); // interrupted while checking: start nothing
            var session = Lora.Start(result);
            if (Flag(command, BackgroundOption))
            {
                context.DisplayAs($"{session.Title}: started in the background ({session.TotalSteps} steps). " +
                    "#!lora-do wait shows it live, #!lora-do status tells where it is, #!lora-do stop stops it.", PlainTextFormatter.MimeType);
                return;
            }
            await Watch(session, command, context, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            context.Fail(command, message: "interrupted");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            context.Fail(command, message: ErrorMessages.For(e));
        }
    }

    /// <summary>
    /// Shows <paramref name="session"/> live in this cell until it ends. Interrupting the cell stops the
    /// run: it finishes its step and writes a checkpoint (the host ends the cell at once; <c>#!lora-do stop</c>
    /// or <c>#!lora-do status</c> then says where the checkpoint went). <paramref name="token"/> is the
    /// cell's token as read when the cell started.
    /// </summary>
    internal static async Task Watch(RunSession session, KernelCommand command, KernelInvocationContext context, CancellationToken token)
    {
        // A Cancel sent to the notebook also stops the run (LoraKernelExtension's middleware), even when it
        // does not cancel this token.
        using var stopOnInterrupt = token.Register(session.Stop);
        var run = await session.WatchAsync(new LiveRunDisplay(context), token);
        if (run.Cancelled)
            context.Fail(command, message: $"stopped at step {run.StepsDone}/{run.TotalSteps}" +
                (run.CheckpointPath is null ? "" : $"; the adapter so far is in {run.CheckpointPath}"));
    }

    private static bool Flag(SubmitCode command, string option) =>
        command.Parameters.TryGetValue(option, out var value) && value == "True";

    /// <inheritdoc/>
    public Task HandleAsync(RequestDiagnostics command, KernelInvocationContext context)
    {
        context.Publish(Diagnostics(Lora.Check(command.Code, estimate: false), command.Code, command));
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task HandleAsync(RequestCompletions command, KernelInvocationContext context)
    {
        var position = command.LinePosition;
        var items = Completions.At(command.Code, position.Line + 1, position.Character + 1, WorldCatalog.Instance)
            .Select(i => new CompletionItem(i.Label, i.Kind.ToString(), insertText: i.Label, documentation: i.Detail))
            .ToList();
        context.Publish(new CompletionsProduced(items, command, Spans.WordBefore(command.Code, position)));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Lines of the cell above the script (the <c>#!lora</c> line), so messages name cell lines. The host
    /// already shifts the spans of published diagnostics itself.
    /// </summary>
    private static int CellLineOffset(SubmitCode command)
    {
        if (command.Parent is not SubmitCode cell || cell.Code == command.Code) return 0;
        var start = cell.Code.IndexOf(command.Code, StringComparison.Ordinal);
        return start <= 0 ? 0 : cell.Code.AsSpan(0, start).Count('\n');
    }

    private static DiagnosticsProduced Diagnostics(CheckResult result, string code, KernelCommand command) => new(
        [.. result.Diagnostics.Select(d => Spans.ToInteractive(d, code))],
        [.. result.Diagnostics.Select(d => new FormattedValue(PlainTextFormatter.MimeType, d.ToString(null)))],
        command);
}
