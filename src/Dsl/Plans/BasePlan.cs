namespace LoraNotebooks.Dsl.Plans;

/// <summary>The base model: the built-in tiny model (<see cref="CheckpointPath"/> null), a checkpoint file (a saved built-in base or a single-file Stable Diffusion 1.x checkpoint) or a Stable Diffusion diffusers folder.</summary>
public sealed record BasePlan(string? CheckpointPath)
{
    /// <summary>The built-in model that runs on a CPU.</summary>
    public static BasePlan Builtin { get; } = new((string?)null);

    /// <summary>True for the built-in model.</summary>
    public bool IsBuiltin => CheckpointPath is null;
}
