using System.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Training;
using Xunit.Abstractions;

namespace LoraNotebooks.Engine.Tests.Bench;

public sealed class GridBench(ITestOutputHelper output)
{
    /// <summary>
    /// A 4×4 grid (4 prompts × strengths 0, ⅓, ⅔, 1 of a rank-8 attention adapter) on the built-in base at
    /// the language's default sampling settings (20 DDIM steps, the base's own guidance), written as PNGs: goal ≤ 10 s. Run with
    /// <c>LORA_BENCH=1 dotnet test tests/Engine.Tests -c Release --filter FullyQualifiedName~GridBench --logger "console;verbosity=detailed"</c>.
    /// </summary>
    [BenchFact]
    [Trait("Category", "Bench")]
    public void a_four_by_four_grid_at_default_settings()
    {
        using var model = BuiltInBase.Load(out _);
        using var lora = new LoraModel([.. model.Parts]);
        var network = lora.Add("bench", new LoraOptions { Targets = [new TargetRule("**.to_q"), new TargetRule("**.to_k"), new TargetRule("**.to_v"), new TargetRule("**.to_out.0")] });
        string[] prompts = ["a small red circle on the left, blue background", "a large green square in the center, white background",
            "a small yellow triangle on the right, black background", "a large purple figure in the center, gray background"];
        var rows = prompts.Select((p, i) => new SamplePrompt(p, null, i + 1, 20, null)).ToList();
        var folder = Directory.CreateTempSubdirectory("lora-grid-bench-").FullName;
        try
        {
            PreviewGrid.Draw(model, [(network, 1.0)], rows.Take(1).ToList(), [1.0], Sampler.Ddim, Path.Combine(folder, "warm.png"), null);
            var times = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                PreviewGrid.Draw(model, [(network, 1.0)], rows, [0, 1 / 3.0, 2 / 3.0, 1], Sampler.Ddim, Path.Combine(folder, $"grid{i}.png"), null);
                times.Add(clock.Elapsed.TotalSeconds);
            }
            times.Sort();
            output.WriteLine($"4x4 grid, 20 DDIM steps, guidance {model.DefaultGuidance}, {TorchThreadsInUse()} thread(s): median {times[1]:F2} s (runs {string.Join(", ", times.Select(t => t.ToString("F2")))})");
            Assert.True(times[1] <= 10, $"goal: a 4×4 grid in ≤ 10 s; measured {times[1]:F2} s");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static int TorchThreadsInUse() => TorchSharp.torch.get_num_threads();
}
