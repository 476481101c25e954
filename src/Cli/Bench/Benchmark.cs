using System.Runtime.InteropServices;
using LoraNotebooks.Engine;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.Training;
using static TorchSharp.torch;

namespace LoraNotebooks.Cli.Bench;

/// <summary>What <c>lora bench</c> measured: the ratios and figures by key, and lines that say how.</summary>
public sealed record BenchReport(IReadOnlyDictionary<string, double?> Numbers, IReadOnlyList<string> Details);

/// <summary>
/// Runs every measurement of <c>lora bench</c> in one process on the built-in base model. Training loops
/// run in interleaved rounds (trainer, minimal LoRA loop, minimal full fine-tuning loop, PyTorch) so that
/// a slow spell of the machine hits them all; every figure is a median.
/// </summary>
public static class Benchmark
{
    /// <summary>The keys of <see cref="BenchReport.Numbers"/>, in the order printed.</summary>
    public static readonly string[] Keys =
    [
        "trainer_vs_minimal", "vs_pytorch", "lora_vs_full", "lora_optimizer_state_bytes", "full_optimizer_state_bytes",
        "flops_vs_matmul", "rss_drift", "sample_images_per_s", "check_ms_200_lines", "live_overhead",
    ];

    /// <summary>
    /// Runs the bench. <paramref name="python"/> runs bench/pytorch_bench.py; null skips the PyTorch comparison.
    /// <paramref name="only"/>, when not empty, names the keys wanted: measurements that give none of them are skipped (their keys are null).
    /// </summary>
    public static async Task<BenchReport> RunAsync(BenchSettings settings, string? python, IReadOnlyCollection<string> only, Action<string> progress)
    {
        foreach (var key in only)
            if (!Keys.Contains(key))
                throw new UserErrorException($"unknown bench key '{key}'; the keys are {string.Join(", ", Keys)}");
        bool Wants(params string[] keys) => only.Count == 0 || keys.Any(only.Contains);
        var threads = TorchThreads.Apply();
        var numbers = Keys.ToDictionary(k => k, _ => (double?)null);
        var details = new List<string>
        {
            $"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}, {CpuName()}",
            $"libtorch threads: {threads}; batch {settings.Batch}; LoRA rank {settings.Rank} on the U-Net's attention; {settings.Rounds} rounds of {settings.StepsPerRound} steps",
        };
        var folder = Directory.CreateTempSubdirectory("lora-bench-").FullName;
        try
        {
            var basePath = BuiltInBase.Locate() ?? throw new InvalidOperationException("the bench needs the built-in base weights (assets/base.safetensors)");
            using var model = BuiltInBase.Load(basePath);
            var bench = new TrainingBench(model, settings, folder);

            // First, while the process holds nothing else: later phases (the notebook kernel) leave managed memory that is returned during the run.
            if (Wants("rss_drift"))
            {
                progress($"resident memory over {settings.RssSteps} steps");
                var rss = SmallBenches.ResidentMemory(bench, settings.RssSteps);
                var (first, last) = (rss.First().Value, rss.Last().Value);
                numbers["rss_drift"] = (double)(last.Resident - first.Resident) / first.Resident;
                details.Add("RSS (managed heap committed) by step: " + string.Join(", ", rss.Select(kv => $"{kv.Key}: {Mib(kv.Value.Resident)} ({Mib(kv.Value.Managed)})")));
            }
            if (Wants("check_ms_200_lines"))
            {
                progress("check: 200-line script");
                numbers["check_ms_200_lines"] = SmallBenches.CheckMilliseconds(settings.CheckRepeats, folder);
            }
            if (Wants("trainer_vs_minimal", "vs_pytorch", "lora_vs_full", "lora_optimizer_state_bytes", "full_optimizer_state_bytes", "flops_vs_matmul"))
                Training(settings, python is not null && Wants("vs_pytorch") ? python : null, model, bench, basePath, folder, threads, numbers, details, progress);
            if (Wants("sample_images_per_s"))
            {
                progress("sampling");
                numbers["sample_images_per_s"] = SmallBenches.SampleImagesPerSecond(model, settings);
            }
            if (Wants("live_overhead"))
            {
                progress("live notebook rendering");
                var (overhead, live, headless, updates, bytes) = await LiveOverhead.MeasureAsync(settings, folder);
                numbers["live_overhead"] = overhead;
                details.Add($"{settings.LiveSteps}-step run with previews: live {live:0.00} s, headless {headless:0.00} s (medians of {settings.LiveRounds}); " +
                    $"per live run {updates:0} display updates, {bytes / 1048576.0:0.0} MiB of kernel events serialised");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return new BenchReport(numbers, details);
    }

    /// <summary>The interleaved training rounds and what derives from their step times.</summary>
    private static void Training(BenchSettings settings, string? python, TinyDiffusionModel model, TrainingBench bench, string basePath, string folder,
        int threads, Dictionary<string, double?> numbers, List<string> details, Action<string> progress)
    {
        using var peer = python is null ? null : StartPeer(python, model, bench, basePath, folder, threads, progress, details);
        var (trainer, minimal, full, pytorch) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        long loraState = 0, fullState = 0;
        bench.Trainer(); // warm-up: first-call costs of the trainer path
        for (var round = 1; round <= settings.Rounds; round++)
        {
            progress($"training round {round}/{settings.Rounds}");
            trainer.AddRange(bench.Trainer());
            minimal.AddRange(bench.Minimal(full: false, out loraState));
            full.AddRange(bench.Minimal(full: true, out fullState));
            if (peer is not null)
                pytorch.AddRange(peer.Steps(settings.StepsPerRound));
        }
        var (trainerStep, minimalStep, fullStep) = (Stats.Median(trainer), Stats.Median(minimal), Stats.Median(full));
        numbers["trainer_vs_minimal"] = minimalStep / trainerStep;
        numbers["lora_vs_full"] = minimalStep / fullStep;
        numbers["lora_optimizer_state_bytes"] = loraState;
        numbers["full_optimizer_state_bytes"] = fullState;
        details.Add($"step medians: trainer {Ms(trainerStep)}, minimal LoRA loop {Ms(minimalStep)}, minimal full fine-tuning {Ms(fullStep)}" +
            (pytorch.Count > 0 ? $", PyTorch eager LoRA {Ms(Stats.Median(pytorch))}" : ""));
        if (pytorch.Count > 0)
            numbers["vs_pytorch"] = Stats.Median(pytorch) / trainerStep;

        progress("FLOPs of a step and the matmul reference");
        var flops = StepFlops(model, bench);
        var matmul = SmallBenches.MatmulFlopsPerSecond(settings.MatmulSize);
        numbers["flops_vs_matmul"] = flops / trainerStep / matmul;
        details.Add($"a LoRA training step: {flops / 1e9:0.00} GFLOP in matmuls and convolutions = {flops / trainerStep / 1e9:0.00} GFLOP/s; " +
            $"libtorch {settings.MatmulSize}×{settings.MatmulSize} matmul: {matmul / 1e9:0.00} GFLOP/s");
    }

    private static PyTorchPeer StartPeer(string python, TinyDiffusionModel model, TrainingBench bench, string basePath, string folder, int threads,
        Action<string> progress, List<string> details)
    {
        progress("starting PyTorch");
        var peer = PyTorchPeer.Start(python, model, bench, basePath, folder, threads);
        details.Add($"PyTorch {peer.Version} (BLAS: {peer.Blas}): loss on the shared batch {peer.Loss:0.000000}, engine {peer.EngineLoss:0.000000} (|Δ| = {Math.Abs(peer.Loss - peer.EngineLoss):0.0e+0})");
        return peer;
    }

    /// <summary>The matmul and convolution FLOPs of one LoRA training step of the minimal loop's shape.</summary>
    private static double StepFlops(TinyDiffusionModel model, TrainingBench bench)
    {
        using var lora = new LoraModel(model.Parts);
        using var init = new Generator(1);
        using var network = lora.Add(new LoraNetwork("flops", PlanTargets.Find(model.Parts, bench.Plan.Lora), PlanTargets.Options(bench.Plan.Lora), init));
        using var counter = new FlopCounter(model.Parts, network);
        using var noise = new Generator(3);
        using var scope = NewDisposeScope();
        OneDnn.Backward(model.Loss(bench.Images, bench.Captions, noise));
        return counter.Flops;
    }

    private static string Ms(double seconds) => $"{seconds * 1000:0.0} ms";

    private static string Mib(long bytes) => $"{bytes / 1048576.0:0.0} MiB";

    private static string CpuName()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
