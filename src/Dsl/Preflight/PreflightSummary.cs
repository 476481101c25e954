using LoraNotebooks.Dsl.Plans;

namespace LoraNotebooks.Dsl.Preflight;

/// <summary>
/// The arithmetic of a run before it starts: images × repeats ÷ (batch × accumulation) = steps per epoch,
/// total steps and epochs, plus the engine's estimates when an estimator was given.
/// </summary>
/// <param name="Datasets">Per dataset: images, held-out images, repeats.</param>
/// <param name="ImagesPerEpoch">Training images × repeats, summed over datasets.</param>
/// <param name="Batch">Images per forward pass.</param>
/// <param name="GradAccumulation">Forward passes per optimizer step.</param>
/// <param name="StepsPerEpoch">ceil(images per epoch ÷ (batch × accumulation)).</param>
/// <param name="Epochs">Total steps ÷ steps per epoch.</param>
/// <param name="TotalSteps">Optimizer steps.</param>
/// <param name="Estimate">Engine estimates, or null when no estimator was given or it could not estimate.</param>
/// <param name="EstimateProblem">Why the estimator could not estimate (e.g. an unreadable base checkpoint), or null.</param>
public sealed record PreflightSummary(
    ValueList<DatasetSummary> Datasets,
    long ImagesPerEpoch,
    int Batch,
    int GradAccumulation,
    int StepsPerEpoch,
    double Epochs,
    int TotalSteps,
    PreflightEstimate? Estimate,
    string? EstimateProblem = null)
{
    /// <summary>The summary of <paramref name="plan"/>'s training run, or null when it trains nothing.</summary>
    public static PreflightSummary? Create(ScriptPlan plan, IPreflightEstimator? estimator)
    {
        if (plan.Training is not { } training) return null;
        var train = training.Train;
        PreflightEstimate? estimate = null;
        string? problem = null;
        try
        {
            estimate = estimator?.Estimate(plan.Base, training);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // An estimate is advice: checking never fails because of it. The run reports the same problem.
            problem = e.Message.Split('\n')[0].Trim();
        }
        var datasets = training.Datasets.Select(d => new DatasetSummary(d.Name, d.ImageCount, d.ValidationImages, d.Repeats, d.Preserve,
            d.Preserves && d.Source is WorldSource { IsHeldIn: false, Member: { Length: > 0 } member } ? member : null, d.Mask)).ToList();
        return new PreflightSummary(
            new ValueList<DatasetSummary>(datasets),
            datasets.Sum(d => d.ImagesPerEpoch),
            train.Batch,
            train.GradAccumulation,
            train.StepsPerEpoch,
            train.StepsPerEpoch == 0 ? 0 : (double)train.TotalSteps / train.StepsPerEpoch,
            train.TotalSteps,
            estimate,
            problem);
    }
}

/// <summary>
/// One dataset's share of an epoch; <paramref name="Preserve"/> is how it preserves, or null when it teaches;
/// <paramref name="Unnamed"/> is the world member whose pictures a preserving dataset shows captioned without its word;
/// <paramref name="Mask"/> the masked loss it teaches with, if any.
/// </summary>
public sealed record DatasetSummary(string Name, int Images, int ValidationImages, int Repeats, Preservation? Preserve = null, string? Unnamed = null, LossMask? Mask = null)
{
    /// <summary>(images − held out) × repeats.</summary>
    public long ImagesPerEpoch => (long)(Images - ValidationImages) * Repeats;
}
