using LoraNotebooks.Dsl.Preflight;
using LoraNotebooks.Kernel.Magic;
using LoraNotebooks.Kernel.Runs;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Formatting;

namespace LoraNotebooks.Kernel.Hosting;

/// <summary>
/// Registers <c>#!lora-do</c> on the root kernel, so it works in any cell. The host's own argument
/// binding neither rejects unknown options nor binds positional values reliably, so the handler reads
/// the magic's line from the submitted cell and checks it strictly against <see cref="LoraDo.Spec"/>.
/// The declared parameters only feed the editor's completions.
/// </summary>
internal static class LoraDoMagic
{
    /// <summary>The command the host creates for every <c>#!lora-do</c> line.</summary>
    public sealed class LoraDoCommand : KernelDirectiveCommand;

    /// <summary>Adds the magic to <paramref name="root"/>.</summary>
    public static void Register(CompositeKernel root)
    {
        var directive = new KernelActionDirective(LoraDo.Name) { Description = "Single LoRA actions: " + string.Join(", ", LoraDo.Spec.Actions.Select(a => a.Name)) };
        foreach (var action in LoraDo.Spec.Actions)
        {
            var sub = new KernelActionDirective(action.Name) { Description = action.Description, KernelCommandType = typeof(LoraDoCommand) };
            if (action.Positional.Count > 0)
                sub.Parameters.Add(new KernelDirectiveParameter("--" + action.Positional[0], action.Positional[0]) { AllowImplicitName = true });
            foreach (var option in action.Options)
                sub.Parameters.Add(new KernelDirectiveParameter(option.Name, option.Description) { MaxOccurrences = option.Repeatable ? 100 : 1 });
            directive.Subcommands.Add(sub);
        }
        root.AddDirective<LoraDoCommand>(directive, HandleAsync);
    }

    private static async Task HandleAsync(LoraDoCommand command, KernelInvocationContext context)
    {
        var token = context.CancellationToken;
        var line = MagicLine(command);
        if (line is null)
        {
            context.Fail(command, message: $"{LoraDo.Name}: the magic's line was not found in the cell");
            return;
        }
        var (action, arguments, error) = MagicArguments.Parse(line, LoraDo.Spec);
        if (error is not null)
        {
            context.Fail(command, message: $"{LoraDo.Name}: {error}");
            return;
        }
        try
        {
            switch (action)
            {
                case "help":
                    context.DisplayAs(LoraDo.Help(), PlainTextFormatter.MimeType);
                    break;
                case "wait":
                    if (RunSession.Current is not { } watched)
                        context.DisplayAs("no run has been started in this kernel", PlainTextFormatter.MimeType);
                    else
                        await LoraKernel.Watch(watched, command, context, token);
                    break;
                case "status":
                    context.DisplayAs(Status(RunSession.Current), PlainTextFormatter.MimeType);
                    break;
                case "stop":
                    if (RunSession.Current is not { IsRunning: true } running)
                    {
                        context.DisplayAs("no run is in progress; " + Status(RunSession.Current), PlainTextFormatter.MimeType);
                        break;
                    }
                    running.Stop();
                    var stopped = await running.Completion.WaitAsync(token);
                    context.DisplayAs($"{running.Title}: stopped at step {stopped.StepsDone}/{stopped.TotalSteps}" +
                        (stopped.CheckpointPath is null ? "; no checkpoint was written yet" : $"; the adapter so far is in {stopped.CheckpointPath}"), PlainTextFormatter.MimeType);
                    break;
                case "check":
                    var path = Path.GetFullPath(arguments!.Positional[0]);
                    var result = Lora.Check(await File.ReadAllTextAsync(path, token), path);
                    var text = result.Render(Path.GetFileName(path)).TrimEnd();
                    if (result.HasErrors) context.Fail(command, message: text);
                    else context.DisplayAs(text.Length == 0 ? $"{Path.GetFileName(path)}: no problems" : text, PlainTextFormatter.MimeType);
                    break;
                default:
                    var script = Lora.Check(LoraDo.ToScript(action, arguments!), estimate: false);
                    if (script.HasErrors)
                    {
                        context.Fail(command, message: $"{LoraDo.Name} {action}: " + string.Join("\n", script.Diagnostics.Select(d => d.Message)));
                        break;
                    }
                    await RunSession.SettleAsync(token);
                    token.ThrowIfCancellationRequested(); // interrupted while settling: start nothing
                    await LoraKernel.Watch(Lora.Start(script), command, context, token);
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            context.Fail(command, message: $"{LoraDo.Name} {action}: {(e is FormatException ? e.Message : ErrorMessages.For(e))}");
        }
    }

    /// <summary>One line on <paramref name="session"/>: running or how it ended, its step and its last checkpoint.</summary>
    internal static string Status(RunSession? session)
    {
        if (session is null) return "no run has been started in this kernel";
        var where = $"step {session.StepsDone}/{session.TotalSteps}";
        var state = session.Completion.Status switch
        {
            TaskStatus.RanToCompletion when session.Completion.Result is { Cancelled: true } => $"stopped at {where}",
            TaskStatus.RanToCompletion => $"finished at {where}; adapter {session.Completion.Result.AdapterPath ?? "(none)"}",
            TaskStatus.Faulted => $"failed at {where}: {ErrorMessages.For(session.Completion.Exception!.GetBaseException())}",
            _ when session.StopRequested => $"stopping at {where}",
            _ => $"running, {where}",
        };
        return $"{session.Title}: {state}" + (session.LastCheckpoint is null ? "" : $"; last checkpoint {session.LastCheckpoint}");
    }

    /// <summary>The <c>#!lora-do</c> line of the cell that produced <paramref name="command"/>.</summary>
    private static string? MagicLine(KernelCommand command)
    {
        for (var c = command.Parent; c is not null; c = c.Parent)
        {
            if (c is SubmitCode submit)
                return submit.Code.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l == LoraDo.Name || l.StartsWith(LoraDo.Name + " ", StringComparison.Ordinal));
        }
        return null;
    }
}
