using System.Globalization;
using LoraNotebooks.Cli.Commands;
using LoraNotebooks.Engine.Training;

namespace LoraNotebooks.Cli.Rendering;

/// <summary>
/// Events as text. On a terminal, steps redraw one progress line in place (bar, step/total, loss,
/// learning rate, speed, ETA) and other events print above it; otherwise (a pipe, a log file, a
/// test) a plain step line is printed at about every 5 % of the run.
/// </summary>
public sealed class TerminalRenderer(TextWriter output, bool live)
{
    private const int BarWidth = 20;
    private bool _lineOpen;

    /// <summary>True when <paramref name="output"/> is the console and the console is not redirected.</summary>
    public static bool IsLive(TextWriter output) => ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;

    /// <summary>Renders <paramref name="e"/>.</summary>
    public void Write(TrainingEvent e)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (e)
        {
            case StepEvent s when live:
                var filled = (int)Math.Round((double)s.Step / s.TotalSteps * BarWidth);
                output.Write("\r" + new string('#', filled) + new string('-', BarWidth - filled) + " " + StepText(s) + "   ");
                _lineOpen = s.Step < s.TotalSteps;
                if (!_lineOpen)
                    output.WriteLine();
                break;
            case StepEvent s:
                var every = Math.Max(1, s.TotalSteps / 20);
                if (s.Step == 1 || s.Step % every == 0 || s.Step == s.TotalSteps)
                    output.WriteLine(StepText(s));
                break;
            case EpochEvent:
                break;
            default:
                Line(Describe(e, inv));
                break;
        }
        output.Flush();
    }

    private void Line(string text)
    {
        if (_lineOpen)
            output.WriteLine();
        _lineOpen = false;
        output.WriteLine(text);
    }

    private static string StepText(StepEvent s) => string.Create(CultureInfo.InvariantCulture,
        $"step {s.Step}/{s.TotalSteps}  loss {s.Loss:0.0000} (avg {s.SmoothedLoss:0.0000})  lr {s.LearningRate:0.00e0}  {s.ImagesPerSecond:0.0} img/s  eta {Duration(s.Eta)}");

    private static string Describe(TrainingEvent e, IFormatProvider inv) => e switch
    {
        ValidationEvent v => string.Create(inv, $"validation loss {v.Loss:0.0000} at step {v.Step} ({v.Images} held-out images)"),
        SampleGridEvent g => g.Step is { } step ? $"samples at step {step}: {g.Path}" : $"grid: {g.Path}",
        CheckpointEvent c => $"checkpoint at step {c.Step}: {c.Path}",
        WarningEvent w => $"warning: {w.Message}",
        FileWrittenEvent f => $"{f.What}: {f.Path}",
        InspectEvent i => InspectCommand.ToText(i.Report),
        EvaluationEvent m => "evaluation: " + Metrics(m.Metrics, inv),
        FinishedEvent f => $"done in {Duration(f.Elapsed)}" + (f.AdapterPath is null ? "" : $": adapter {f.AdapterPath}")
            + (f.Trigger is null ? "" : $" (trigger \"{f.Trigger}\")") + (Metrics(f.Metrics, inv) is { Length: > 0 } m ? "; " + m : ""),
        _ => e.ToString(),
    };

    private static string Metrics(EvaluationMetrics m, IFormatProvider inv) => string.Join(", ", new (string, double?)[]
    {
        ("train loss", m.TrainLoss), ("validation loss", m.ValidationLoss), ("fidelity", m.Fidelity), ("leakage", m.Leakage), ("prompt following", m.PromptFollowing),
    }.Where(p => p.Item2 is not null).Select(p => string.Create(inv, $"{p.Item1} {p.Item2:0.000}")));

    private static string Duration(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"mm\:ss", CultureInfo.InvariantCulture);
}
