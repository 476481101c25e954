namespace LoraNotebooks.Kernel.Runs;

/// <summary>
/// What a running script reports, one method per kind of event. The live display implements it;
/// the names follow the trainer's event stream (step, validation, sample grid, checkpoint, warning,
/// finished) so that connecting the full trainer is a one-file change.
/// </summary>
public interface IRunObserver
{
    /// <summary>The pre-flight summary and total steps, once, before the first step.</summary>
    void Started(string title, int totalSteps);

    /// <summary>One optimizer step finished.</summary>
    void Step(StepPoint step);

    /// <summary>A validation loss was measured.</summary>
    void Validation(ValidationPoint point);

    /// <summary>A grid was drawn: a preview during training, or a grid the script asked for afterwards.</summary>
    void SampleGrid(SampleGrid grid, bool preview);

    /// <summary>A resumable state (or the adapter so far) was written.</summary>
    void Checkpoint(int step, string path);

    /// <summary>Something the user should know that does not stop the run.</summary>
    void Warning(string message);

    /// <summary>The run ended: finished, or stopped early.</summary>
    void Finished(LoraRun run);
}

/// <summary>One optimizer step: the loss, its running average, the learning rate, the speed and the time left.</summary>
public sealed record StepPoint(int Step, int TotalSteps, double Loss, double SmoothedLoss, double LearningRate, double ImagesPerSecond, TimeSpan Eta);

/// <summary>The loss on held-out images after <see cref="Step"/> steps.</summary>
public sealed record ValidationPoint(int Step, double Loss);

/// <summary>An observer that ignores everything (a run from C# outside a notebook cell).</summary>
public sealed class NullRunObserver : IRunObserver
{
    /// <summary>The one instance.</summary>
    public static NullRunObserver Instance { get; } = new();

    private NullRunObserver() { }

    /// <inheritdoc/>
    public void Started(string title, int totalSteps) { }

    /// <inheritdoc/>
    public void Step(StepPoint step) { }

    /// <inheritdoc/>
    public void Validation(ValidationPoint point) { }

    /// <inheritdoc/>
    public void SampleGrid(SampleGrid grid, bool preview) { }

    /// <inheritdoc/>
    public void Checkpoint(int step, string path) { }

    /// <inheritdoc/>
    public void Warning(string message) { }

    /// <inheritdoc/>
    public void Finished(LoraRun run) { }
}
