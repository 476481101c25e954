using System.Globalization;
using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Binding;

internal sealed partial class Binder
{
    /// <summary>Warnings that need more than one block: the run's length against the data, the trigger against the prompts.</summary>
    private void WarnAboutTraining(IReadOnlyList<DatasetPlan> datasets, LoraPlan lora, TrainPlan train, SamplePlan? sample, TextSpan lengthSpan)
    {
        var images = datasets.Sum(d => d.TrainImages);
        var perStep = train.Batch * train.GradAccumulation;
        if (images > 0)
        {
            var views = (long)train.TotalSteps * perStep / images;
            if (views > OverfittingViewsPerImage)
            {
                diagnostics.Add(DiagnosticDescriptors.Overfitting, lengthSpan, views, train.TotalSteps, perStep, images);
            }
        }

        if (sample is not null)
        {
            foreach (var dataset in datasets.Where(d => d.Trigger is not null))
            {
                if (!sample.Prompts.Any(p => p.Text.Contains(dataset.Trigger!, StringComparison.OrdinalIgnoreCase)))
                {
                    diagnostics.Add(DiagnosticDescriptors.TriggerNotInSamples, triggerSpans[dataset], dataset.Trigger!);
                }
            }
            if (sampleEverySpan is { } everySpan && sample.EverySteps > train.TotalSteps)
            {
                diagnostics.Add(DiagnosticDescriptors.SampleEveryBeyondEnd, everySpan, sample.EverySteps, train.TotalSteps);
            }
        }

        if (checkpointSpan is { } checkpoint && train.CheckpointEverySteps > train.TotalSteps)
        {
            diagnostics.Add(DiagnosticDescriptors.CheckpointEveryBeyondEnd, checkpoint, train.CheckpointEverySteps!, train.TotalSteps);
        }

        var trainsTextEncoder = lora.Targets.Any(t => t is GroupTarget { Group: TargetGroup.TextEncoder } or PatternTarget)
            || lora.Overrides.Any(o => o.Target is GroupTarget { Group: TargetGroup.TextEncoder });
        if (textEncoderLearningRateSpan is { } textEncoderSpan && !trainsTextEncoder)
        {
            diagnostics.Add(DiagnosticDescriptors.TextEncoderLrUnused, textEncoderSpan);
        }

        if (learningRateSpan is { } rateSpan)
        {
            var rate = train.LearningRate.ToString(CultureInfo.InvariantCulture);
            switch (train.Optimizer)
            {
                case ProdigyOptimizer when train.LearningRate < 0.1:
                    diagnostics.Add(DiagnosticDescriptors.ProdigyLearningRate, rateSpan, rate);
                    break;
                case AdamWOptimizer or LionOptimizer when train.LearningRate > 1e-2:
                    diagnostics.Add(DiagnosticDescriptors.HighLearningRate, rateSpan, rate, train.Optimizer is AdamWOptimizer ? "adamw" : "lion");
                    break;
            }
        }
    }
}
