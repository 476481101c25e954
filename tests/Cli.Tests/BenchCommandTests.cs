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
        // shared batch is within 1e-4 of the engine's. It needs Debian's python3-torch: CI installs it and sets
        // LORA_REQUIRE_PYTORCH=1, so there its absence fails; on a machine without it the rest is still checked.
        var withPyTorch = PyTorchAvailable() || Environment.GetEnvironmentVariable("LORA_REQUIRE_PYTORCH") == "1";
        var result = withPyTorch ? await CliRun.RunAsync("bench", "--json", "--quick") : await CliRun.RunAsync("bench", "--json", "--quick", "--no-pytorch");

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonDocument.Parse(result.Output).RootElement;
        foreach (var key in Benchmark.Keys.Where(k => withPyTorch || k != "vs_pytorch"))
        {
            Assert.True(report.TryGetProperty(key, out var value), $"no '{key}' in {result.Output}");
            Assert.True(value.ValueKind == JsonValueKind.Number && double.IsFinite(value.GetDouble()), $"{key} is {value}");
        }
        if (withPyTorch)
            Assert.Contains(report.GetProperty("details").EnumerateArray(), d => d.GetString()!.StartsWith("PyTorch ", StringComparison.Ordinal));
        else
            Assert.Equal(JsonValueKind.Null, report.GetProperty("vs_pytorch").ValueKind);
    }

    private static bool PyTorchAvailable()
    {
        try
        {
            using var probe = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", ["-c", "import torch"])
                { RedirectStandardError = true, RedirectStandardOutput = true });
            if (probe is null) return false;
            probe.WaitForExit();
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no python3 at all
        }
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
