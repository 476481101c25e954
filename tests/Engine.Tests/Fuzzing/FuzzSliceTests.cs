using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LoraNotebooks.Fuzz;
using Xunit.Abstractions;

namespace LoraNotebooks.Engine.Tests.Fuzzing;

/// <summary>
/// A bounded slice of every fuzz target (tools/Fuzz; long runs and their figures: docs/security.md).
/// Settings: LORA_FUZZ_SECONDS (default 3 per target), LORA_FUZZ_SEED (default 1), LORA_FUZZ_CASE (one case only).
/// </summary>
public sealed class FuzzSliceTests(ITestOutputHelper output)
{
    private static string? Setting(string name) => Environment.GetEnvironmentVariable(name);

    public static TheoryData<string> Targets => ["safetensors", "adapter", "image", "language"];

    /// <remarks>
    /// Each slice runs in a child process of the fuzz tool, as the long runs do: a decoder that crashes the
    /// process natively is then a failed test with the child's output, not an aborted test run. (Run inside
    /// this test host, after the tests before it, the image slice ended the host with SIGSEGV; alone it did not.)
    /// </remarks>
    [Theory]
    [MemberData(nameof(Targets))]
    public async Task a_slice_of_fuzz_cases_finds_no_crash_no_hang_and_no_allocation_beyond_the_limits(string name)
    {
        var seconds = Setting("LORA_FUZZ_SECONDS") ?? "3";
        var seed = Setting("LORA_FUZZ_SEED") ?? "1";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "LoraNotebooks.Fuzz.dll"), name, "--seconds", seconds, "--seed", seed })
            start.ArgumentList.Add(argument);
        if (Setting("LORA_FUZZ_CASE") is { } single)
        {
            start.ArgumentList.Add("--case");
            start.ArgumentList.Add(single);
        }

        using var child = Process.Start(start)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await child.WaitForExitAsync(limit.Token);
        var report = await stdout + await stderr;
        output.WriteLine(report);

        Assert.True(child.ExitCode == 0, $"exit {child.ExitCode} (0 clean, 2 findings, 3 hang; other: the process crashed)\n{report}");
        var summary = Regex.Match(report, name + @": (\d+) cases in .*?, (\d+) accepted;");
        Assert.True(summary.Success, report);
        Assert.True(long.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture) > 0);
        Assert.True(Setting("LORA_FUZZ_CASE") is not null || name == "language" || long.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture) > 0,
            "no generated input was accepted: the generator no longer makes valid ones");
    }

    [Fact]
    public void a_case_is_the_same_input_in_every_run()
    {
        // Case seeds must not depend on the process (HashCode.Combine does), or a reported case could not be rerun.
        Assert.Equal(2_082_894_840, FuzzRunner.CaseSeed(1, 0));
        Assert.NotEqual(FuzzRunner.CaseSeed(1, 1), FuzzRunner.CaseSeed(2, 1));
    }
}
