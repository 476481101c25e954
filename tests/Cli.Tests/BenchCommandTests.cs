using System.Text.Json;
using LoraNotebooks.Cli.Bench;
using LoraNotebooks.Dsl;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Cli.Tests;

/// <summary>The bench runs and reports every figure; how fast anything is, is for docs/benchmarks.md, not for tests.</summary>
public sealed class BenchCommandTests
{
    static BenchCommandTests() => TorchNativeLoader.EnsureLoadable();

    [Fact]
    public async Task bench_json_quick_prints_one_object_with_a_finite_number_for_every_key()
    {
        // The quick bench includes the PyTorch comparison, which fails the run unless PyTorch's loss on the
        // shared batch is within 1e-4 of the engine's: CI installs Debian's python3-torch for it.
        var result = await CliRun.RunAsync("bench", "--json", "--quick");

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonDocument.Parse(result.Output).RootElement;
        foreach (var key in Benchmark.Keys)
        {
            Assert.True(report.TryGetProperty(key, out var value), $"no '{key}' in {result.Output}");
            Assert.True(value.ValueKind == JsonValueKind.Number && double.IsFinite(value.GetDouble()), $"{key} is {value}");
        }
        Assert.Contains(report.GetProperty("details").EnumerateArray(), d => d.GetString()!.StartsWith("PyTorch ", StringComparison.Ordinal));
    }

    [Fact]
    public void the_checker_benchmark_script_has_200_lines_and_checks_without_errors()
    {
        var script = SmallBenches.TwoHundredLines();
        var result = LoraScript.Check(script, Path.Combine(Path.GetTempPath(), "bench.lora"), new CheckContext(WorldCatalog.Instance));

        Assert.Equal(200, script.Split('\n').Length);
        Assert.False(result.HasErrors, result.Render("bench.lora"));
    }

    [Fact]
    public async Task bench_rejects_a_memory_run_too_short_to_compare_with_one_line()
    {
        var result = await CliRun.RunAsync("bench", "--rss-steps", "5");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("lora: error: --rss-steps must be at least 10, not 5", result.Error.Trim());
    }
}
