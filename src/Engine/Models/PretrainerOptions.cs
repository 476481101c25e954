namespace LoraNotebooks.Engine.Models;

/// <summary>Settings of a <see cref="Pretrainer"/> run. Changing them between resumes is allowed but breaks exact reproducibility.</summary>
public sealed record PretrainerOptions
{
    /// <summary>Images per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>AdamW's learning rate after warm-up.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Steps over which the learning rate rises linearly from 0.</summary>
    public int WarmupSteps { get; init; } = 200;

    /// <summary>AdamW's decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Gradients are rescaled to at most this global norm.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Share of captions replaced by the empty caption, so the model also learns the unconditional prediction guidance needs.</summary>
    public double CaptionDropout { get; init; } = 0.1;

    /// <summary>Decay of the exponential moving average of the weights; null keeps no EMA.</summary>
    public double? EmaDecay { get; init; } = 0.999;

    /// <summary>Share of captions (0 to 1) that get made-up words inserted (<see cref="CaptionNoise"/>); 0 (off) by default.</summary>
    public double CaptionNoise { get; init; }

    /// <summary>A checkpoint is written every this many steps (and when a run stops).</summary>
    public int CheckpointEvery { get; init; } = 250;

    /// <summary>How many of the newest checkpoints are kept.</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Seeds the weights, noise, timesteps and caption dropout.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// A base model file (<see cref="BuiltInBase.Save"/>) a fresh run starts from instead of random
    /// weights: its tensors are copied and the transformers and text-time embedding the run's config adds start by adding nothing
    /// (see <see cref="SafeTensors.ModuleWeights.Graft"/>). Ignored once the run has a checkpoint, except by a
    /// <see cref="PretrainObjective.Reading"/> run, which reads it again as its teacher.
    /// </summary>
    public string? StartFrom { get; init; }

    /// <summary>
    /// What the run learns: to denoise the world's pictures (the default), or, from the base in
    /// <see cref="StartFrom"/>, to read captions with words put in as that base read them as written
    /// (<see cref="ReadingDistillation"/>; needs <see cref="CaptionNoise"/> above 0).
    /// </summary>
    public PretrainObjective Objective { get; init; } = PretrainObjective.Denoise;

    /// <summary>The loss's min-SNR weighting and noise offset.</summary>
    public DiffusionLossOptions Loss { get; init; } = new(MinSnrGamma: 5);

    /// <summary>Throws <see cref="UserErrorException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (BatchSize < 1)
            throw new UserErrorException($"batch size must be at least 1, not {BatchSize}");
        if (!(LearningRate > 0))
            throw new UserErrorException($"learning rate must be positive, not {LearningRate}");
        if (WarmupSteps < 0 || CheckpointEvery < 1 || KeepCheckpoints < 1)
            throw new UserErrorException("warm-up steps must be ≥ 0, checkpoint interval and kept checkpoints ≥ 1");
        if (!(CaptionDropout >= 0 && CaptionDropout < 1))
            throw new UserErrorException($"caption dropout must be in [0, 1), not {CaptionDropout}");
        if (!(CaptionNoise >= 0 && CaptionNoise <= 1))
            throw new UserErrorException($"caption noise (--caption-noise) must be between 0 and 1, not {CaptionNoise}");
        if (Loss.MinSnrGamma is { } gamma && !(gamma > 0))
            throw new UserErrorException($"min-SNR gamma (--min-snr-gamma) must be positive (0 on the command line turns it off), not {gamma}");
        if (!(Loss.NoiseOffset >= 0 && Loss.NoiseOffset <= 1))
            throw new UserErrorException($"noise offset (--noise-offset) must be between 0 and 1, not {Loss.NoiseOffset}");
        if (EmaDecay is { } decay && !(decay > 0 && decay < 1))
            throw new UserErrorException($"EMA decay must be in (0, 1), not {decay}");
        if (Objective == PretrainObjective.Reading && (StartFrom is null || !(CaptionNoise > 0)))
            throw new UserErrorException("a reading run (--teach-reading) learns from the base it starts from (--from), with words put into a share of captions (--caption-noise above 0, e.g. 0.7)");
    }
}

/// <summary>What a <see cref="Pretrainer"/> run learns.</summary>
public enum PretrainObjective
{
    /// <summary>The denoising loss on the world's pictures and captions: the whole model trains.</summary>
    Denoise,

    /// <summary>To read captions with words put in as the starting base read them as written: see <see cref="ReadingDistillation"/>.</summary>
    Reading,
}
