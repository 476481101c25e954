using LoraNotebooks.Engine.Adapters;

namespace LoraNotebooks.Kernel.Runs;

/// <summary>
/// The result of running a script, for C# cells: the adapter written (and its report), the loss
/// history, validation points, every grid drawn, and whether the run was stopped early.
/// </summary>
/// <param name="AdapterPath">The adapter file written, or null when the script trained nothing.</param>
/// <param name="Adapter">The adapter's report (rank, alpha, targets, parameters, size, metadata), or null.</param>
/// <param name="Steps">Every step, in order.</param>
/// <param name="Validation">Every validation point, in order.</param>
/// <param name="Grids">Every grid drawn, in order (previews, then the script's grid actions).</param>
/// <param name="Cards">Adapter cards asked for by <c>inspect</c> actions.</param>
/// <param name="StepsDone">Steps completed.</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Cancelled">True when the run was interrupted; the adapter so far was saved as a checkpoint.</param>
/// <param name="CheckpointPath">Where the last checkpoint went, or null.</param>
/// <param name="Duration">Wall-clock time of the whole script.</param>
public sealed record LoraRun(
    string? AdapterPath,
    AdapterReport? Adapter,
    IReadOnlyList<StepPoint> Steps,
    IReadOnlyList<ValidationPoint> Validation,
    IReadOnlyList<SampleGrid> Grids,
    IReadOnlyList<AdapterCard> Cards,
    int StepsDone,
    int TotalSteps,
    bool Cancelled,
    string? CheckpointPath,
    TimeSpan Duration,
    Engine.Training.EvaluationMetrics? Metrics = null)
{
    /// <summary>The last step's loss, or null when nothing trained.</summary>
    public double? FinalLoss => Steps.Count == 0 ? null : Steps[^1].Loss;
}
