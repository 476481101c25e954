namespace LoraNotebooks.Engine.Training;

/// <summary>
/// Counter-based randomness: every random choice of a run (data order, flips, caption shuffles and
/// dropout, noise, timesteps, adapter dropout) is drawn from a generator seeded by the run's seed and
/// where it happens (epoch, micro-batch, slot). Nothing random carries over from one step to the next,
/// so a checkpoint's step number is the whole random state and a resumed run draws exactly what an
/// uninterrupted one would have.
/// </summary>
public static class StepSeeds
{
    /// <summary>A well-mixed 63-bit seed from the run's seed and a position (SplitMix64 over each part).</summary>
    public static long Mix(long seed, params ReadOnlySpan<long> position)
    {
        var z = (ulong)seed;
        foreach (var part in position)
        {
            z += 0x9E3779B97F4A7C15UL ^ (ulong)part;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
        }
        return (long)(z & long.MaxValue);
    }

    /// <summary>A .NET random source for <paramref name="position"/> of the run seeded by <paramref name="seed"/>.</summary>
    public static Random Random(long seed, params ReadOnlySpan<long> position) => new((int)(Mix(seed, position) & int.MaxValue));
}
