using System.Diagnostics;
using LoraNotebooks.Engine.World;
using LoraNotebooks.Kernel;
using LoraNotebooks.Kernel.Runs;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Connection;
using Microsoft.DotNet.Interactive.Events;

namespace LoraNotebooks.Cli.Bench;

/// <summary>
/// The cost of live notebook rendering. The same script runs twice per round: headless
/// (<see cref="Lora.Run(Dsl.CheckResult, IRunObserver, CancellationToken)"/> with no observer), and as a
/// <c>#!lora</c> cell submitted to a notebook kernel in this process (the extension's real kernel, live display
/// and formatters), with every event the kernel publishes serialised as the host serialises it for Jupyter.
/// Only the transport to the browser and the browser's drawing are left out.
/// </summary>
internal static class LiveOverhead
{
    /// <summary>Median live run time over median headless run time, minus 1; both medians in seconds; display updates and serialised bytes per live run.</summary>
    public static async Task<(double Overhead, double LiveSeconds, double HeadlessSeconds, double Updates, double Bytes)> MeasureAsync(BenchSettings settings, string folder)
    {
        var data = Path.Combine(folder, "live-data");
        WorldExporter.Export("concept", "star", data, 8, trigger: "zxc star");
        var script = $$"""
            dataset "stars" {
              folder "{{data}}"
              trigger "zxc star"
            }
            lora {
              rank {{settings.Rank}}
            }
            train {
              steps {{settings.LiveSteps}}
              batch {{settings.Batch}}
              lr 1e-3
              output "{{Path.Combine(folder, "live.safetensors")}}"
            }
            sample {
              every {{Math.Max(1, settings.LiveSteps / 3)}} steps
              strengths [0, 1]
              prompt "a zxc star" seed 1 steps {{Math.Min(settings.SampleSteps, 10)}}
            }
            """;
        var path = Path.Combine(folder, "live.lora");
        using var root = new CompositeKernel();
        await LoraKernelExtension.LoadAsync(root, installInterrupts: false);
        long serialisedBytes = 0, updates = 0;
        using var _ = root.KernelEvents.Subscribe(e =>
        {
            serialisedBytes += KernelEventEnvelope.Serialize(KernelEventEnvelope.Create(e)).Length;
            if (e is DisplayedValueUpdated)
                updates++;
        });

        var live = new List<double>();
        var headless = new List<double>();
        for (var round = -1; round < settings.LiveRounds; round++) // round -1 warms both paths up (kernel, formatters, plotly) and is not counted
        {
            var clock = Stopwatch.StartNew();
            var run = Lora.Run(Lora.Check(script, path), NullRunObserver.Instance, CancellationToken.None);
            var headlessSeconds = clock.Elapsed.TotalSeconds;
            if (run.StepsDone != settings.LiveSteps)
                throw new InvalidOperationException($"the headless run stopped after {run.StepsDone} steps");

            clock.Restart();
            var result = await root.SendAsync(new SubmitCode("#!lora\n" + script));
            var liveSeconds = clock.Elapsed.TotalSeconds;
            if (result.Events.OfType<CommandFailed>().FirstOrDefault() is { } failed)
                throw new InvalidOperationException($"the notebook run failed: {failed.Message}");
            if (round >= 0)
            {
                headless.Add(headlessSeconds);
                live.Add(liveSeconds);
            }
        }
        if (serialisedBytes == 0)
            throw new InvalidOperationException("the notebook run published nothing");
        var (liveMedian, headlessMedian) = (Stats.Median(live), Stats.Median(headless));
        var runs = settings.LiveRounds + 1.0;
        return (liveMedian / headlessMedian - 1, liveMedian, headlessMedian, updates / runs, serialisedBytes / runs);
    }
}
