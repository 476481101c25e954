namespace LoraNotebooks.Engine.Lora;

/// <summary>How a fresh adapter's down projection is initialised (the up projection always starts at zero).</summary>
public enum LoraInit
{
    /// <summary>Kaiming-uniform, as nn.Linear does by default (kohya, peft's default).</summary>
    KaimingUniform,

    /// <summary>Normal with standard deviation 1 / rank (peft's "gaussian").</summary>
    Gaussian,
}

/// <summary>Layer types an adapter can wrap.</summary>
[Flags]
public enum LayerKinds
{
    /// <summary>No layer type.</summary>
    None = 0,

    /// <summary><c>nn.Linear</c>.</summary>
    Linear = 1,

    /// <summary><c>nn.Conv2d</c>, adapted in the kohya "LoCon" form.</summary>
    Conv2d = 2,

    /// <summary>Both.</summary>
    All = Linear | Conv2d,
}

/// <summary>
/// One targeting rule: module paths matching <paramref name="Pattern"/> whose layer type is in
/// <paramref name="Kinds"/> get an adapter; <paramref name="Rank"/> and <paramref name="Alpha"/>
/// override the adapter-wide values for them. When several rules match a module, the last wins.
/// </summary>
/// <param name="Pattern">A glob over dotted module paths: <c>*</c> matches within one path segment,
/// <c>**</c> across segments. A pattern with no dot and no wildcard also matches a path's last segment
/// (<c>to_q</c> matches <c>down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q</c>).</param>
public sealed record TargetRule(string Pattern, LayerKinds Kinds = LayerKinds.All, int? Rank = null, double? Alpha = null);

/// <summary>The settings of one LoRA adapter (peft's LoraConfig, kohya's network_dim/alpha).</summary>
public sealed record LoraOptions
{
    /// <summary>Rank of the low-rank update (kohya network_dim, peft r).</summary>
    public int Rank { get; init; } = 8;

    /// <summary>Scaling numerator; the update is scaled by alpha / rank (or alpha / sqrt(rank) with rsLoRA).</summary>
    public double Alpha { get; init; } = 8;

    /// <summary>Dropout applied to the adapter's input while training.</summary>
    public double Dropout { get; init; }

    /// <summary>Rank-stabilised scaling, alpha / sqrt(rank).</summary>
    public bool UseRsLora { get; init; }

    /// <summary>
    /// DoRA: each adapter also learns a magnitude per feature of its layer (peft's <c>use_dora</c>, LyCORIS's
    /// <c>dora_wd</c>); see <see cref="LoraLayer"/>.
    /// </summary>
    public bool UseDora { get; init; }

    /// <summary>
    /// With <see cref="UseDora"/>, which features the magnitudes belong to: input (the default; OneTrainer's and
    /// ComfyUI's reading of a [1, in] <c>dora_scale</c>) or output (LyCORIS's default, peft's).
    /// </summary>
    public DoraAxis DoraAxis { get; init; } = DoraAxis.Input;

    /// <summary>How the down projection starts.</summary>
    public LoraInit Init { get; init; } = LoraInit.KaimingUniform;

    /// <summary>Which modules get adapters. Empty means every Linear layer.</summary>
    public IReadOnlyList<TargetRule> Targets { get; init; } = [];

    /// <summary>Globs of module paths that never get adapters, whatever the targets say.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (Rank < 1)
            throw new ArgumentException($"LoRA rank must be at least 1, not {Rank}");
        if (!(Alpha > 0) || double.IsInfinity(Alpha))
            throw new ArgumentException($"LoRA alpha must be a positive number, not {Alpha}");
        if (!(Dropout >= 0 && Dropout < 1))
            throw new ArgumentException($"LoRA dropout must be in [0, 1), not {Dropout}");
        foreach (var rule in Targets)
        {
            if (rule.Rank is < 1)
                throw new ArgumentException($"rank {rule.Rank} for targets '{rule.Pattern}' must be at least 1");
            if (rule.Alpha is { } alpha && !(alpha > 0))
                throw new ArgumentException($"alpha {alpha} for targets '{rule.Pattern}' must be positive");
        }
    }

    /// <summary>The factor an adapter's output is multiplied by before its strength.</summary>
    public static double Scale(double alpha, int rank, bool rsLora) => rsLora ? alpha / Math.Sqrt(rank) : alpha / rank;
}
