using System.Diagnostics;
using System.Text;
using LoraNotebooks.Dsl.Tests.TestSupport;
using Xunit.Abstractions;

namespace LoraNotebooks.Dsl.Tests;

/// <summary>
/// Checking a 200-line script takes at most 10 ms after warm-up (the language alone: no estimator, so no
/// calibration). A benchmark, run with
/// <c>LORA_BENCH=1 dotnet test tests/Dsl.Tests -c Release --filter FullyQualifiedName~CheckBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public class CheckBenchmark(ITestOutputHelper output)
{
    /// <summary>A 200-line script: datasets, a lora block with overrides, train, sample, and actions.</summary>
    private static string Script()
    {
        var text = new StringBuilder();
        text.AppendLine("# benchmark script");
        text.AppendLine("lora {\n  rank 8\n  alpha 8\n  targets [attention, ff]");
        for (var i = 0; i < 40; i++)
            text.AppendLine($"  target \"**.transformer_blocks.{i}.attn1.to_q\" rank {4 + i % 4}");
        text.AppendLine("}");
        for (var i = 0; i < 20; i++)
            text.AppendLine($"dataset \"w{i}\" {{\n  world concept \"star\" count {8 + i}\n  repeats 2\n  trigger \"zq{i}\"\n  flip\n}}");
        text.AppendLine("train {\n  steps 100\n  batch 2\n  lr 1e-4\n  output \"out/bench.safetensors\"\n}");
        text.AppendLine("sample {\n  every 50 steps");
        for (var i = 0; text.ToString().Count(c => c == '\n') < 199; i++)
            text.AppendLine($"  prompt \"zq{i % 20} star, number {i}\" seed {i}");
        text.AppendLine("}");
        return text.ToString();
    }

    [BenchFact]
    [Trait("Category", "Bench")]
    public void checking_a_200_line_script_takes_at_most_10_ms_after_warm_up()
    {
        var script = Script();
        Assert.Equal(200, script.Count(c => c == '\n'));
        var context = new CheckContext(TestWorlds.Instance, BaseDirectory: Path.GetTempPath());
        var first = LoraScript.Check(script, null, context);
        Assert.False(first.HasErrors, first.Render(null));
        for (var i = 0; i < 100; i++)
            LoraScript.Check(script, null, context);
        var times = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            var clock = Stopwatch.StartNew();
            LoraScript.Check(script, null, context);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        var median = times[times.Count / 2];
        output.WriteLine($"bench: check of a 200-line script: median {median:F2} ms, best {times[0]:F2} ms, worst {times[^1]:F2} ms (50 runs after 100 warm-up)");
        Assert.True(median <= 10, $"median check took {median:F2} ms");
    }
}
