namespace LoraNotebooks.Engine.Diffusion;

/// <summary>The samplers a model can generate with.</summary>
public enum SamplerKind
{
    /// <summary><see cref="DdimScheduler"/>: deterministic given the seed.</summary>
    Ddim,

    /// <summary><see cref="EulerAncestralScheduler"/>: adds fresh (seeded) noise every step.</summary>
    EulerAncestral,
}

/// <summary>Creates schedulers by kind.</summary>
public static class SamplerKinds
{
    /// <summary>A fresh scheduler of <paramref name="kind"/> over <paramref name="schedule"/>.</summary>
    public static IScheduler Create(this SamplerKind kind, DdpmSchedule schedule) => kind switch
    {
        SamplerKind.Ddim => new DdimScheduler(schedule),
        SamplerKind.EulerAncestral => new EulerAncestralScheduler(schedule),
        _ => throw new ArgumentException($"unknown sampler {kind}"),
    };
}
