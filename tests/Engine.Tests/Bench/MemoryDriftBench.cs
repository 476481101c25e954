using System.Diagnostics;
using LoraNotebooks.Engine.Tests.Training;
using LoraNotebooks.Engine.Training;
using Xunit.Abstractions;

namespace LoraNotebooks.Engine.Tests.Bench;

/// <summary>Runs only when LORA_BENCH=1: a benchmark, not a CI test.</summary>
public sealed class BenchFactAttribute : FactAttribute
{
    public BenchFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("LORA_BENCH") != "1")
            Skip = "a benchmark: set LORA_BENCH=1 to run it";
    }
}

public sealed class MemoryDriftBench(ITestOutputHelper output)
{
    /// <summary>
    /// Resident memory at step 200 and step 2000 of one run differ by at most 2 %: every step's tensors
    /// are freed by its dispose scope. Run with
    /// <c>LORA_BENCH=1 dotnet test tests/Engine.Tests -c Release --filter FullyQualifiedName~MemoryDriftBench --logger "console;verbosity=detailed"</c>.
    /// </summary>
    [BenchFact]
    [Trait("Category", "Bench")]
    public void resident_memory_at_step_2000_is_within_2_percent_of_step_200()
    {
        using var setup = new TrainingSetup(images: 8);
        var plan = setup.Plan(TrainingSetup.Script("steps 2000", "flip\ncaption_shuffle keep 1", "targets [attention, text_encoder]")).Training!;
        var rss = new Dictionary<int, long>();
        var managed = new Dictionary<int, long>();
        var clock = Stopwatch.StartNew();
        setup.Train(plan, also: e =>
        {
            if (e is StepEvent s && s.Step % 200 == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                using var self = Process.GetCurrentProcess();
                rss[s.Step] = self.WorkingSet64;
                managed[s.Step] = GC.GetGCMemoryInfo().TotalCommittedBytes;
            }
        });
        foreach (var (step, bytes) in rss)
            output.WriteLine($"step {step}: RSS {bytes / 1048576.0:0.0} MiB, managed heap committed {managed[step] / 1048576.0:0.0} MiB");
        var drift = (double)(rss[2000] - rss[200]) / rss[200];
        output.WriteLine($"RSS step 200: {rss[200] / 1048576.0:0.0} MiB, step 2000: {rss[2000] / 1048576.0:0.0} MiB, drift {drift:P2}, {2000 / clock.Elapsed.TotalSeconds:0.0} steps/s");
        Assert.InRange(drift, -0.02, 0.02);
    }
}
