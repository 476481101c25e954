using System.Globalization;
using LoraNotebooks.Fuzz;
using LoraNotebooks.Fuzz.Targets;
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

    [Theory]
    [MemberData(nameof(Targets))]
    public void a_slice_of_fuzz_cases_finds_no_crash_no_hang_and_no_allocation_beyond_the_limits(string name)
    {
        IFuzzTarget target = name switch
        {
            "safetensors" => new SafeTensorsTarget(),
            "adapter" => new AdapterTarget(),
            "image" => new ImageTarget(),
            _ => new LanguageTarget(),
        };
        var seconds = double.Parse(Setting("LORA_FUZZ_SECONDS") ?? "3", CultureInfo.InvariantCulture);
        var seed = int.Parse(Setting("LORA_FUZZ_SEED") ?? "1", CultureInfo.InvariantCulture);
        long? only = Setting("LORA_FUZZ_CASE") is { } single ? long.Parse(single, CultureInfo.InvariantCulture) : null;

        var report = FuzzRunner.Run(target, seed, long.MaxValue, TimeSpan.FromSeconds(seconds), only);

        output.WriteLine(report.ToString());
        var findings = string.Join("\n", report.Findings.Select(f =>
            $"{f.Kind}: case {f.Case} ({f.Recipe}): {f.Problem}\n  input: {f.InputBase64}\n  rerun: LORA_FUZZ_SEED={seed} LORA_FUZZ_CASE={f.Case}"));
        Assert.True(report.Clean, $"{report}\n{findings}");
        Assert.True(report.Cases > 0);
        Assert.True(only is not null || name == "language" || report.Accepted > 0, "no generated input was accepted: the generator no longer makes valid ones");
    }

    [Fact]
    public void a_case_is_the_same_input_in_every_run()
    {
        // Case seeds must not depend on the process (HashCode.Combine does), or a reported case could not be rerun.
        Assert.Equal(2_082_894_840, FuzzRunner.CaseSeed(1, 0));
        Assert.NotEqual(FuzzRunner.CaseSeed(1, 1), FuzzRunner.CaseSeed(2, 1));
    }
}
