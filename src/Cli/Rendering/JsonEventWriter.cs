using System.Text.Json;
using LoraNotebooks.Cli.Commands;
using LoraNotebooks.Engine.Training;

namespace LoraNotebooks.Cli.Rendering;

/// <summary>
/// <c>--json</c>: one JSON object per event per line, each with an <c>"event"</c> name; the last line of a
/// successful run is <c>{"event":"finished","adapter":…,"trigger":…,"fidelity":…,"leakage":…}</c>. Image
/// bytes are left out (the PNG's path is given).
/// </summary>
public sealed class JsonEventWriter(TextWriter output)
{
    /// <summary>Writes <paramref name="e"/> as one line.</summary>
    public void Write(TrainingEvent e)
    {
        output.WriteLine(JsonSerializer.Serialize(Shape(e), CommandRunner.Json));
        output.Flush();
    }

    /// <summary>The JSON shape of each event.</summary>
    public static object Shape(TrainingEvent e) => e switch
    {
        StepEvent s => new { Event = "step", s.Step, s.TotalSteps, s.Epoch, s.Loss, s.SmoothedLoss, s.LearningRate, s.ImagesPerSecond, EtaSeconds = s.Eta.TotalSeconds },
        EpochEvent ep => new { Event = "epoch", ep.Epoch, ep.Step, ep.MeanLoss },
        ValidationEvent v => new { Event = "validation", v.Step, v.Loss, v.Images },
        SampleGridEvent g => new { Event = "samples", g.Path, g.Prompts, g.Strengths, g.Step },
        CheckpointEvent c => new { Event = "checkpoint", c.Path, c.Step },
        WarningEvent w => new { Event = "warning", w.Message },
        FileWrittenEvent f => new { Event = "file", f.Path, f.What },
        InspectEvent i => new { Event = "inspect", Report = JsonDocument.Parse(InspectCommand.ToJson(i.Report)).RootElement },
        EvaluationEvent m => new { Event = "evaluation", m.Metrics.TrainLoss, m.Metrics.ValidationLoss, m.Metrics.Fidelity, m.Metrics.Leakage, m.Metrics.PromptFollowing },
        FinishedEvent f => new
        {
            Event = "finished",
            Adapter = f.AdapterPath,
            f.Trigger,
            f.Steps,
            ElapsedSeconds = f.Elapsed.TotalSeconds,
            f.Metrics.TrainLoss,
            f.Metrics.ValidationLoss,
            f.Metrics.Fidelity,
            f.Metrics.Leakage,
            f.Metrics.PromptFollowing,
        },
        _ => new { Event = e.GetType().Name },
    };
}
