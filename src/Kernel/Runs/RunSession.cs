using System.Threading.Channels;
using LoraNotebooks.Dsl;
using LoraNotebooks.Engine;

namespace LoraNotebooks.Kernel.Runs;

/// <summary>
/// One script running on a thread of its own, so that a cell can start it, another cell can watch
/// it (<c>#!lora-do wait</c>) or stop it (<c>#!lora-do stop</c>), and an interrupted cell leaves a
/// run that still finishes its step and writes its checkpoint. The session records every event; a
/// watcher gets them all replayed, then the live ones, on the watcher's own async flow (a notebook
/// display must be updated from the cell that owns it).
/// </summary>
/// <remarks>One session runs at a time per process: runs share the CPU and often the output folders.</remarks>
public sealed class RunSession
{
    private static readonly Lock startGate = new();
    private static RunSession? current;

    private readonly Lock gate = new();
    private readonly List<Action<IRunObserver>> history = [];
    private readonly CancellationTokenSource stop = new();
    private Channel<Action<IRunObserver>>? watcher;

    private RunSession(string title, int totalSteps)
    {
        Title = title;
        TotalSteps = totalSteps;
    }

    /// <summary>The latest session started in this process (running or ended), or null.</summary>
    public static RunSession? Current { get { lock (startGate) return current; } }

    /// <summary>What the run trains (the adapter's file name), or the script's first action.</summary>
    public string Title { get; }

    /// <summary>Steps planned (0 when the script trains nothing).</summary>
    public int TotalSteps { get; }

    /// <summary>The last step finished so far.</summary>
    public int StepsDone { get; private set; }

    /// <summary>The last checkpoint written so far, or null.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>True once a stop was asked for.</summary>
    public bool StopRequested => stop.IsCancellationRequested;

    /// <summary>The run's result; completes when the run has ended (finished, stopped or failed).</summary>
    public Task<LoraRun> Completion { get; private set; } = null!;

    /// <summary>True while a cell (or <see cref="Lora.Run(string, string?, CancellationToken)"/>) shows the run live; interrupting the kernel then stops it.</summary>
    public bool IsWatched { get { lock (gate) return watcher is not null; } }

    /// <summary>True while the run has not ended.</summary>
    public bool IsRunning => !Completion.IsCompleted;

    /// <summary>Starts <paramref name="checkedScript"/> on a thread of its own.</summary>
    /// <exception cref="LoraScriptException">The script has errors.</exception>
    /// <exception cref="UserErrorException">Another run is still in progress.</exception>
    public static RunSession Start(CheckResult checkedScript, Action<LoraRun>? onFinished = null)
    {
        if (checkedScript.Plan is not { } plan)
            throw new LoraScriptException(checkedScript);
        lock (startGate)
        {
            if (current is { IsRunning: true } running)
                throw new UserErrorException(
                    $"a run is already in progress ({running.Title}, step {running.StepsDone}/{running.TotalSteps}); " +
                    "watch it with #!lora-do wait or stop it with #!lora-do stop");
            var training = plan.Training?.Train;
            var session = new RunSession(training is null ? "script" : Path.GetFileNameWithoutExtension(training.OutputPath), training?.TotalSteps ?? 0);
            var recorder = new Recorder(session);
            session.Completion = Task.Run(() =>
            {
                var run = ScriptRunner.Run(plan, recorder, session.stop.Token);
                onFinished?.Invoke(run);
                return run;
            });
            session.Completion.ContinueWith(_ => session.EndWatch(), TaskScheduler.Default);
            current = session;
            return session;
        }
    }

    /// <summary>Waits until a run that was asked to stop has ended (it ends within one step), so the next one can start.</summary>
    public static async Task SettleAsync(CancellationToken cancellationToken)
    {
        if (Current is { IsRunning: true, StopRequested: true } stopping)
            await ((Task)stopping.Completion).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(cancellationToken);
    }

    /// <summary>Asks the run to stop: it ends within one step, after writing a checkpoint.</summary>
    public void Stop() => stop.Cancel();

    /// <summary>
    /// Replays everything the run reported so far to <paramref name="observer"/>, then reports live until
    /// the run ends, calling the observer only on this method's flow. Returns the run's result.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> ended the watch (the run goes on).</exception>
    public async Task<LoraRun> WatchAsync(IRunObserver observer, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<Action<IRunObserver>>(new UnboundedChannelOptions { SingleReader = true });
        lock (gate)
        {
            watcher?.Writer.TryComplete();
            foreach (var replay in history) channel.Writer.TryWrite(replay);
            if (Completion.IsCompleted) channel.Writer.TryComplete();
            else watcher = channel;
        }
        try
        {
            await foreach (var report in channel.Reader.ReadAllAsync(cancellationToken))
                report(observer);
        }
        finally
        {
            lock (gate)
                if (watcher == channel) watcher = null;
        }
        return await Completion.WaitAsync(cancellationToken);
    }

    private void Report(Action<IRunObserver> report)
    {
        lock (gate)
        {
            history.Add(report);
            watcher?.Writer.TryWrite(report);
        }
    }

    private void EndWatch()
    {
        lock (gate)
        {
            watcher?.Writer.TryComplete();
            watcher = null;
        }
    }

    /// <summary>Records the run's reports in the session and forwards them to its watcher.</summary>
    private sealed class Recorder(RunSession session) : IRunObserver
    {
        public void Started(string title, int totalSteps) => session.Report(o => o.Started(title, totalSteps));

        public void Step(StepPoint step)
        {
            session.StepsDone = step.Step;
            session.Report(o => o.Step(step));
        }

        public void Validation(ValidationPoint point) => session.Report(o => o.Validation(point));

        public void SampleGrid(SampleGrid grid, bool preview) => session.Report(o => o.SampleGrid(grid, preview));

        public void Checkpoint(int step, string path)
        {
            session.LastCheckpoint = path;
            session.Report(o => o.Checkpoint(step, path));
        }

        public void Warning(string message) => session.Report(o => o.Warning(message));

        public void Finished(LoraRun run) => session.Report(o => o.Finished(run));
    }
}
