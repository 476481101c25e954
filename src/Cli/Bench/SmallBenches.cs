using System.Diagnostics;
using System.Text;
using LoraNotebooks.Dsl;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;
using static TorchSharp.torch;

namespace LoraNotebooks.Cli.Bench;

/// <summary>The measurements that need no comparison loop: memory over a long run, sampling, checking, matmul.</summary>
internal static class SmallBenches
{
    /// <summary>
    /// Resident memory (after a full garbage collection) and the managed heap's committed bytes every tenth of a <paramref name="steps"/>-step run of a
    /// small LoRA (rank 4 on attention and the text encoder, batch 2, flips and caption shuffling), by step.
    /// </summary>
    public static SortedDictionary<int, (long Resident, long Managed)> ResidentMemory(TrainingBench bench, int steps)
    {
        var every = Math.Max(1, steps / 10);
        var plan = bench.Check($$"""
            dataset "stars" {
              world concept "star" count 8
              trigger "zxc star"
              flip
              caption_shuffle keep 2
            }
            lora {
              rank 4
              targets [attention, text_encoder]
            }
            train {
              steps {{steps}}
              batch 2
              lr 1e-3
              seed 2
              output "{{Path.Combine(Path.GetTempPath(), $"lora-bench-rss-{Environment.ProcessId}.safetensors")}}"
            }
            """).Training!;
        var rss = new SortedDictionary<int, (long, long)>();
        try
        {
            bench.Trainer(plan, e =>
            {
                if (e is StepEvent s && s.Step % every == 0)
                    rss[s.Step] = (ResidentBytes(), GC.GetGCMemoryInfo().TotalCommittedBytes);
            });
        }
        finally
        {
            File.Delete(plan.Train.OutputPath);
        }
        return rss;
    }

    /// <summary>This process's resident set after a full collection (finalizers run, so dropped tensors are freed).</summary>
    public static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    /// <summary>Images per second of <see cref="TinyDiffusionModel.Sample"/> (DDIM, guidance 3), median of the rounds.</summary>
    public static double SampleImagesPerSecond(TinyDiffusionModel model, BenchSettings settings)
    {
        var prompts = Enumerable.Range(0, settings.SampleImages).Select(i => $"a zxc star on a blue background, number {i}").ToList();
        var seeds = Enumerable.Range(0, settings.SampleImages).Select(i => (long)i).ToList();
        model.Sample(prompts, seeds, settings.SampleSteps).Dispose(); // warm-up
        var seconds = new List<double>();
        for (var round = 0; round < settings.SampleRounds; round++)
        {
            var clock = Stopwatch.StartNew();
            model.Sample(prompts, seeds, settings.SampleSteps).Dispose();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        return settings.SampleImages / Stats.Median(seconds);
    }

    /// <summary>Milliseconds to check a 200-line script (<see cref="LoraScript.Check"/>), median after as many warm-up checks.</summary>
    public static double CheckMilliseconds(int repeats, string folder)
    {
        var script = TwoHundredLines();
        var path = Path.Combine(folder, "two-hundred-lines.lora");
        var context = new CheckContext(WorldCatalog.Instance);
        var first = LoraScript.Check(script, path, context);
        if (first.HasErrors)
            throw new InvalidOperationException("the bench's 200-line script does not check:\n" + first.Render(path));
        for (var i = 0; i < repeats; i++)
            LoraScript.Check(script, path, context);
        var milliseconds = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            LoraScript.Check(script, path, context);
            milliseconds.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Stats.Median(milliseconds);
    }

    /// <summary>A realistic 200-line script: four datasets, every train setting, a sample block with prompts, grids, comments.</summary>
    public static string TwoHundredLines()
    {
        var text = new StringBuilder();
        text.AppendLine("# A 200-line script for timing the checker: four world datasets, all settings, many prompts.");
        var members = new[] { ("concept", "star", "zxc star"), ("character", "ada", "ada person"), ("style", "striped", "in striped style"), ("accessory", "hat", "tophat hat") };
        foreach (var (family, member, trigger) in members)
        {
            text.AppendLine($$"""
                dataset "{{member}}" {
                  world {{family}} "{{member}}" count 16
                  trigger "{{trigger}}"
                  repeats 2
                  validation 2
                  caption_shuffle keep 2  # keep the trigger first
                  caption_dropout 5%
                  flip
                }
                """);
        }
        text.AppendLine("""
            lora {
              rank 16
              alpha 16
              dropout 0.05
              targets [attention, ff, text_encoder]
              target text_encoder rank 4 alpha 4
            }

            train {
              steps 600
              batch 2
              grad_accumulation 2
              lr 1e-4
              text_encoder_lr 5e-5
              optimizer adamw betas [0.9, 0.999] eps 1e-8 weight_decay 0.01
              schedule cosine_with_restarts cycles 2
              warmup 30 steps
              min_snr_gamma 5
              noise_offset 0.05
              checkpoint every 200 steps
              output "out/bench.safetensors"
            }
            """);
        text.AppendLine("sample {");
        text.AppendLine("  every 150 steps");
        text.AppendLine("  sampler euler_a");
        text.AppendLine("  steps 25");
        text.AppendLine("  guidance 6");
        var lines = text.ToString().Count(c => c == '\n');
        var colours = new[] { "red", "blue", "green", "yellow", "white", "black" };
        for (var i = 0; lines + 6 < 200; i++, lines++)
            text.AppendLine($"  prompt \"a {colours[i % colours.Length]} {members[i % 4].Item3}, picture {i}\" seed {i + 1}");
        text.AppendLine("}");
        text.AppendLine();
        text.AppendLine("# Before and after, three seeds.");
        text.AppendLine("load trained strength 0.8");
        text.AppendLine("grid prompts [\"zxc star\", \"ada person\", \"a person\"] strengths [0, 0.5, 1] seeds [1, 2, 3]");
        text.Append("inspect \"out/bench.safetensors\"");
        return text.ToString();
    }

    /// <summary>FLOP/s of libtorch's float32 matmul of two size×size matrices on this CPU (median of 5 after a warm-up).</summary>
    public static double MatmulFlopsPerSecond(int size)
    {
        using var scope = NewDisposeScope();
        var a = rand(size, size);
        var b = rand(size, size);
        a.matmul(b).Dispose();
        var seconds = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            a.matmul(b).Dispose();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        return 2.0 * size * size * size / Stats.Median(seconds);
    }
}

/// <summary>Medians, which a noisy machine needs.</summary>
internal static class Stats
{
    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
            throw new ArgumentException("no values to take the median of");
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
