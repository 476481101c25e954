namespace LoraNotebooks.Fuzz;

/// <summary>One generated input: what was done to it (for reports), its bytes, an optional second file, and whether it is untouched and so must be accepted.</summary>
public sealed record FuzzCase(string Recipe, byte[] Bytes, bool MustAccept, byte[]? Sidecar = null)
{
    /// <summary>All the bytes the case hands the code under test.</summary>
    public long Size => Bytes.LongLength + (Sidecar?.LongLength ?? 0);
}

/// <summary>What a target did with one input.</summary>
public enum FuzzOutcome
{
    /// <summary>The input was read and used.</summary>
    Accepted,

    /// <summary>The input was refused the documented way (the target's user-error type or result).</summary>
    Rejected,
}

/// <summary>
/// Code that reads untrusted input, with a generator of inputs for it. <see cref="Run"/> returns
/// for every input it handles as documented and throws for anything else: that is a crash.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name used on the command line.</summary>
    string Name { get; }

    /// <summary>Longest a single case may take before it counts as a hang.</summary>
    TimeSpan CaseLimit { get; }

    /// <summary>Generates one case; everything comes from <paramref name="random"/>, so a seed reproduces it.</summary>
    FuzzCase Next(Random random);

    /// <summary>Feeds the case to the code under test.</summary>
    FuzzOutcome Run(FuzzCase input);

    /// <summary>Managed bytes the case may allocate: in proportion to its size, or to what the limits allow.</summary>
    long AllocationBudget(FuzzCase input);
}
