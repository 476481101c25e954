using System.Text;

namespace LoraNotebooks.Dsl.Plans;

/// <summary>The adapter's shape.</summary>
/// <param name="Rank">Inner dimension of each adapter (at least 1).</param>
/// <param name="Alpha">Scale numerator: updates are scaled by alpha/rank (alpha/sqrt(rank) with rsLoRA).</param>
/// <param name="Dropout">Dropout on the adapter's input, 0 to below 1.</param>
/// <param name="RsLora">Use rank-stabilised scaling.</param>
/// <param name="Init">How the down matrix starts (the up matrix always starts at zero).</param>
/// <param name="Targets">Which modules get adapters.</param>
/// <param name="Overrides">Different rank or alpha for some targets, in script order (later ones win).</param>
/// <param name="Dora">Weight-decomposed LoRA (DoRA): each adapter also learns a magnitude per input feature of its layer.</param>
public sealed record LoraPlan(
    int Rank,
    double Alpha,
    double Dropout,
    bool RsLora,
    LoraInit Init,
    ValueList<TargetSelector> Targets,
    ValueList<TargetOverride> Overrides,
    bool Dora = false)
{
    // A plan's text is its run's fingerprint (checkpoints and outputs carry it): an adapter without DoRA prints
    // exactly as the compiler's record printing did before DoRA existed, so those runs keep their fingerprints.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Rank = ").Append(Rank.ToString())
            .Append(", Alpha = ").Append(Alpha.ToString())
            .Append(", Dropout = ").Append(Dropout.ToString())
            .Append(", RsLora = ").Append(RsLora.ToString())
            .Append(", Init = ").Append(Init.ToString())
            .Append(", Targets = ").Append(Targets)
            .Append(", Overrides = ").Append(Overrides);
        if (Dora)
            builder.Append(", Dora = True");
        return true;
    }
}

/// <summary>How an adapter's down matrix is initialised.</summary>
public enum LoraInit
{
    /// <summary>Kaiming-uniform, as peft and kohya do.</summary>
    Kaiming,
    /// <summary>Gaussian with standard deviation 1/rank.</summary>
    Gaussian,
}

/// <summary>Picks modules to adapt: a named group or a module-path pattern.</summary>
public abstract record TargetSelector;

/// <summary>A named group of modules.</summary>
public sealed record GroupTarget(TargetGroup Group) : TargetSelector;

/// <summary>A glob over module paths: <c>*</c> matches within one path segment, <c>**</c> across segments.</summary>
public sealed record PatternTarget(string Glob) : TargetSelector;

/// <summary>The named groups of modules.</summary>
public enum TargetGroup
{
    /// <summary>Attention projections in transformer blocks (to_q, to_k, to_v, to_out.0) and proj_in/proj_out.</summary>
    Attention,
    /// <summary>Feed-forward layers in transformer blocks (ff.net.0.proj, ff.net.2).</summary>
    FeedForward,
    /// <summary>ResNet and down/up-sampling convolutions ("LoCon").</summary>
    Conv,
    /// <summary>The text encoder's attention and MLP layers.</summary>
    TextEncoder,
}

/// <summary>Rank and/or alpha for the modules a selector picks.</summary>
public sealed record TargetOverride(TargetSelector Target, int? Rank, double? Alpha);
