using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;
using LoraNotebooks.Dsl;
using LoraNotebooks.Kernel.Hosting;
using LoraNotebooks.Kernel.Runs;
using Microsoft.DotNet.Interactive;

namespace LoraNotebooks.Kernel;

/// <summary>
/// The C# face of the extension: what a <c>#!lora</c> cell does, callable from C# cells and programs.
/// <code>
/// var result = Lora.Check(File.ReadAllText("concept.lora"));
/// var run = Lora.Run(File.ReadAllText("concept.lora"));   // live output when called from a notebook cell
/// Console.WriteLine(run.AdapterPath);
/// Lora.LastRun.Steps.Select(s => s.Loss)                  // the last run of any cell
/// </code>
/// </summary>
public static class Lora
{
    private static readonly List<LoraRun> runs = [];
    private static readonly Lock gate = new();

    /// <summary>The latest run of any <c>#!lora</c> cell or <see cref="Run"/> call in this process, or null.</summary>
    public static LoraRun? LastRun { get { lock (gate) return runs.Count == 0 ? null : runs[^1]; } }

    /// <summary>Every run in this process, oldest first.</summary>
    public static IReadOnlyList<LoraRun> Runs { get { lock (gate) return [.. runs]; } }

    /// <summary>Checks a script: diagnostics, and the plan and pre-flight summary when there is no error.</summary>
    /// <param name="text">The script.</param>
    /// <param name="path">The script's file (relative paths resolve against its folder), or null to use the current folder.</param>
    /// <param name="estimate">
    /// Add the engine's estimates to the summary (trainable parameters, adapter file size, and peak memory and
    /// time from a calibration of a few steps, cached per machine); false keeps checking instant (diagnostics while typing).
    /// </param>
    public static CheckResult Check(string text, string? path = null, bool estimate = true) =>
        LoraScript.Check(text, path, new CheckContext(WorldCatalog.Instance, estimate ? PreflightEstimator.Default : null));

    /// <summary>
    /// Checks and runs a script: trains (if it trains) and runs its actions. Called from a notebook cell it
    /// shows the live display and stops when the cell is interrupted (the result then says
    /// <see cref="LoraRun.Cancelled"/>).
    /// </summary>
    /// <exception cref="LoraScriptException">The script has errors; the message lists them compiler-style.</exception>
    /// <exception cref="Engine.UserErrorException">Another run is still in progress.</exception>
    public static LoraRun Run(string text, string? path = null, CancellationToken cancellationToken = default)
    {
        var context = KernelInvocationContext.Current;
        IRunObserver observer = context is null ? NullRunObserver.Instance : new LiveRunDisplay(context);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context?.CancellationToken ?? default);
        return Run(Check(text, path, estimate: false), observer, linked.Token);
    }

    /// <summary>Runs a checked script, reporting to <paramref name="observer"/>; cancelling stops the run (it keeps a checkpoint).</summary>
    /// <exception cref="LoraScriptException">The script has errors.</exception>
    /// <exception cref="Engine.UserErrorException">Another run is still in progress.</exception>
    public static LoraRun Run(CheckResult checkedScript, IRunObserver observer, CancellationToken cancellationToken)
    {
        var session = Start(checkedScript);
        using var stopOnCancel = cancellationToken.Register(session.Stop);
        return session.WatchAsync(observer, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Starts a checked script in the background and returns at once: watch it with
    /// <see cref="RunSession.WatchAsync"/> (or <c>#!lora-do wait</c>), stop it with <see cref="Stop"/>
    /// (or <c>#!lora-do stop</c>). Its result joins <see cref="Runs"/> when it ends.
    /// </summary>
    /// <exception cref="LoraScriptException">The script has errors.</exception>
    /// <exception cref="Engine.UserErrorException">Another run is still in progress.</exception>
    public static RunSession Start(CheckResult checkedScript) =>
        RunSession.Start(checkedScript, run => { lock (gate) runs.Add(run); });

    /// <summary>
    /// Stops the run in progress, if any, and waits until it has written its checkpoint and ended.
    /// Returns its result, or null when no run was in progress.
    /// </summary>
    public static LoraRun? Stop()
    {
        if (RunSession.Current is not { IsRunning: true } session)
            return null;
        session.Stop();
        return session.Completion.GetAwaiter().GetResult();
    }

    /// <summary>The card of the adapter file at <paramref name="path"/>.</summary>
    public static AdapterCard Inspect(string path) => AdapterCard.Read(path, baseModelBytes: null);
}

/// <summary>A script that cannot run: its diagnostics, compiler-style, are the message.</summary>
public sealed class LoraScriptException(CheckResult result) : Exception(result.Render(null).TrimEnd())
{
    /// <summary>The check that failed.</summary>
    public CheckResult Result { get; } = result;
}
