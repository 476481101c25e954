using LoraNotebooks.Dsl.Plans;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// The learning-rate factor (0 to 1, multiplied into each group's learning rate) of optimizer
/// step <c>s</c> = 1 … total. Warm-up rises linearly, <c>s / warmup</c>, reaching the full rate at its
/// last step; after it, progress <c>p = (s − warmup − 1) / (total − warmup)</c> runs from 0 at the first
/// step towards 1, so no step trains at rate 0:
/// constant 1; linear <c>1 − p</c>; cosine <c>½(1 + cos πp)</c>; cosine with N restarts
/// <c>½(1 + cos π·frac(N·p))</c>.
/// </summary>
/// <param name="Kind">The shape after warm-up.</param>
/// <param name="TotalSteps">Optimizer steps in the run.</param>
/// <param name="WarmupSteps">Steps of linear warm-up.</param>
/// <param name="Cycles">Cosine cycles (cosine with restarts only).</param>
public sealed record LearningRateSchedule(ScheduleKind Kind, int TotalSteps, int WarmupSteps = 0, int Cycles = 1)
{
    /// <summary>The schedule a plan asks for.</summary>
    public static LearningRateSchedule From(TrainPlan train) =>
        new(train.Schedule.Kind, train.TotalSteps, train.WarmupSteps, Math.Max(1, train.Schedule.Cycles));

    /// <summary>The factor for 1-based optimizer step <paramref name="step"/>.</summary>
    public double Factor(int step)
    {
        if (step <= WarmupSteps)
            return (double)step / WarmupSteps;
        var progress = (double)(step - WarmupSteps - 1) / Math.Max(1, TotalSteps - WarmupSteps);
        return Kind switch
        {
            ScheduleKind.Constant => 1,
            ScheduleKind.Linear => 1 - progress,
            ScheduleKind.Cosine => 0.5 * (1 + Math.Cos(Math.PI * progress)),
            ScheduleKind.CosineWithRestarts => 0.5 * (1 + Math.Cos(Math.PI * (Cycles * progress % 1.0))),
            _ => throw new ArgumentException($"unknown schedule {Kind}"),
        };
    }
}
