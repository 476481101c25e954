namespace LoraNotebooks.Cli.Bench;

/// <summary>How big each measurement of <c>lora bench</c> is.</summary>
/// <param name="Batch">Images per training step (the main job's batch).</param>
/// <param name="Rank">LoRA rank on the attention layers (the main job's).</param>
/// <param name="Rounds">Interleaved rounds of each training loop (trainer, minimal, full, PyTorch).</param>
/// <param name="StepsPerRound">Steps of each loop in a round; the first step of each is not timed.</param>
/// <param name="RssSteps">Steps of the memory run; RSS is compared at a tenth of them and at the end.</param>
/// <param name="SampleImages">Images sampled at once for <c>sample_images_per_s</c>.</param>
/// <param name="SampleSteps">Sampler steps per image.</param>
/// <param name="SampleRounds">Timed sampling repetitions.</param>
/// <param name="CheckRepeats">Timed checks of the 200-line script (after as many warm-up checks).</param>
/// <param name="LiveSteps">Steps of each notebook run (live and headless).</param>
/// <param name="LiveRounds">Pairs of live and headless runs.</param>
/// <param name="MatmulSize">Side of the square matrices of the reference matmul.</param>
public sealed record BenchSettings(
    int Batch, int Rank, int Rounds, int StepsPerRound, int RssSteps,
    int SampleImages, int SampleSteps, int SampleRounds, int CheckRepeats, int LiveSteps, int LiveRounds, int MatmulSize)
{
    /// <summary>The full bench (a few minutes on one core, plus the memory run).</summary>
    public static BenchSettings Full { get; } = new(
        Batch: 4, Rank: 8, Rounds: 5, StepsPerRound: 21, RssSteps: 2000,
        SampleImages: 4, SampleSteps: 20, SampleRounds: 5, CheckRepeats: 50, LiveSteps: 100, LiveRounds: 3, MatmulSize: 1024);

    /// <summary>A tiny configuration that runs every measurement in seconds: for tests, not for numbers.</summary>
    public static BenchSettings Quick { get; } = new(
        Batch: 2, Rank: 2, Rounds: 1, StepsPerRound: 3, RssSteps: 20,
        SampleImages: 1, SampleSteps: 2, SampleRounds: 1, CheckRepeats: 2, LiveSteps: 3, LiveRounds: 1, MatmulSize: 128);
}
