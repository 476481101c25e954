using System.Diagnostics;

namespace LoraNotebooks.Fuzz;

/// <summary>A problem case: where to find it again and what happened.</summary>
public sealed record FuzzFinding(string Kind, long Case, string Recipe, string Problem, string InputBase64);

/// <summary>What a run found, with the figures docs/security.md records.</summary>
public sealed record FuzzReport(
    string Target, int Seed, long Cases, long Accepted, TimeSpan Elapsed,
    long Crashes, long Hangs, long OverBudget, IReadOnlyList<FuzzFinding> Findings,
    long PeakAllocated, long PeakAllocatedInputSize, double PeakAllocationRatio, TimeSpan SlowestCase)
{
    /// <summary>No crash, hang or allocation over budget.</summary>
    public bool Clean => Crashes == 0 && Hangs == 0 && OverBudget == 0;

    /// <summary>One paragraph for a terminal or a test log.</summary>
    public override string ToString() =>
        $"{Target}: {Cases} cases in {Elapsed.TotalSeconds:F1} s ({Cases / Math.Max(Elapsed.TotalSeconds, 1e-9):F0}/s), seed {Seed}, " +
        $"{Accepted} accepted; crashes {Crashes}, hangs {Hangs}, over allocation budget {OverBudget}; " +
        $"slowest case {SlowestCase.TotalMilliseconds:F1} ms; peak allocation {PeakAllocated} bytes (input {PeakAllocatedInputSize} bytes), " +
        $"largest allocation/input ratio {PeakAllocationRatio:F1}";
}

/// <summary>
/// Runs a target's cases until a count or a time is reached. Each case runs on this thread and is
/// timed and measured (managed bytes allocated by the thread); a watchdog reports a case that runs
/// past ten times the target's limit and stops the process, since a hung case cannot be aborted.
/// </summary>
public static class FuzzRunner
{
    private const int KeptFindings = 20;

    /// <summary>Runs cases 0, 1, 2… of <paramref name="seed"/> (or only <paramref name="only"/>) until <paramref name="maxCases"/> or <paramref name="maxTime"/>.</summary>
    public static FuzzReport Run(IFuzzTarget target, int seed, long maxCases, TimeSpan maxTime, long? only = null, Action<string>? progress = null)
    {
        var findings = new List<FuzzFinding>();
        long crashes = 0, hangs = 0, overBudget = 0;
        long cases = 0, accepted = 0, peak = 0, peakInput = 0;
        var ratio = 0.0;
        var slowest = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        var nextProgress = TimeSpan.FromSeconds(30);

        // The watchdog reads what the loop is doing now.
        long current = -1;
        var recipe = "";
        var currentStart = 0L;
        using var watchdog = new Timer(_ =>
        {
            var index = Interlocked.Read(ref current);
            var started = Interlocked.Read(ref currentStart);
            if (index >= 0 && Stopwatch.GetElapsedTime(started) > target.CaseLimit * 10)
            {
                Console.Error.WriteLine($"fuzz: HANG: {target.Name} seed {seed} case {index} ({Volatile.Read(ref recipe)}) has run for {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s; " +
                    $"rerun it with --seed {seed} --case {index}");
                Environment.Exit(3);
            }
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        for (var index = only ?? 0; only is null ? cases < maxCases && clock.Elapsed < maxTime : index == only; index++)
        {
            var input = target.Next(new Random(CaseSeed(seed, index)));
            Volatile.Write(ref recipe, input.Recipe);
            Interlocked.Exchange(ref currentStart, Stopwatch.GetTimestamp());
            Interlocked.Exchange(ref current, index);
            var (outcome, error, allocated, took) = Measure(target, input);
            if (error is null && (allocated > target.AllocationBudget(input) || took > target.CaseLimit))
            {
                // The first run of a code path is slow and allocates for the runtime (JIT, type loads, resource strings): measure again warm.
                (outcome, error, allocated, took) = Measure(target, input);
            }
            Interlocked.Exchange(ref current, -1);

            cases++;
            if (error is not null)
                Keep(findings, ref crashes, Finding("crash", index, input, $"{error.GetType().Name}: {error.Message}\n{error}"));
            else if (outcome == FuzzOutcome.Rejected && input.MustAccept)
                Keep(findings, ref crashes, Finding("crash", index, input, "an unmutated valid input was rejected"));
            else if (outcome == FuzzOutcome.Accepted)
                accepted++;
            if (took > target.CaseLimit)
                Keep(findings, ref hangs, Finding("hang", index, input, $"took {took.TotalMilliseconds:F0} ms, over the {target.CaseLimit.TotalMilliseconds:F0} ms limit"));
            if (allocated > target.AllocationBudget(input))
                Keep(findings, ref overBudget, Finding("allocation", index, input, $"allocated {allocated} bytes for {input.Size} bytes of input (budget {target.AllocationBudget(input)})"));
            if (allocated > peak)
                (peak, peakInput) = (allocated, input.Size);
            ratio = Math.Max(ratio, allocated / (double)Math.Max(input.Size, 1));
            if (took > slowest)
                slowest = took;
            if (progress is not null && clock.Elapsed > nextProgress)
            {
                progress($"{target.Name}: {cases} cases, {clock.Elapsed.TotalSeconds:F0} s, crashes {crashes}, hangs {hangs}");
                nextProgress += TimeSpan.FromSeconds(30);
            }
        }
        return new FuzzReport(target.Name, seed, cases, accepted, clock.Elapsed, crashes, hangs, overBudget, findings, peak, peakInput, ratio, slowest);
    }

    /// <summary>
    /// The generator seed of one case: a fixed mix of the run's seed and the case's index (SplitMix64).
    /// Not HashCode.Combine, which is salted per process, so a case would not repeat in another run.
    /// </summary>
    public static int CaseSeed(int seed, long index)
    {
        var z = ((ulong)(uint)seed << 40) ^ (ulong)index;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }

    private static (FuzzOutcome Outcome, Exception? Error, long Allocated, TimeSpan Took) Measure(IFuzzTarget target, FuzzCase input)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var start = Stopwatch.GetTimestamp();
        try
        {
            var outcome = target.Run(input);
            return (outcome, null, GC.GetAllocatedBytesForCurrentThread() - before, Stopwatch.GetElapsedTime(start));
        }
        catch (Exception e)
        {
            return (FuzzOutcome.Rejected, e, GC.GetAllocatedBytesForCurrentThread() - before, Stopwatch.GetElapsedTime(start));
        }
    }

    private static FuzzFinding Finding(string kind, long index, FuzzCase input, string problem) =>
        new(kind, index, input.Recipe, problem, input.Size <= 4096 ? Convert.ToBase64String(input.Bytes) : $"({input.Size} bytes; rerun the case to see it)");

    private static void Keep(List<FuzzFinding> findings, ref long count, FuzzFinding finding)
    {
        count++;
        if (findings.Count < KeptFindings)
            findings.Add(finding);
    }
}
