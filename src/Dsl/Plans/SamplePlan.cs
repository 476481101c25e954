namespace LoraNotebooks.Dsl.Plans;

/// <summary>Preview images drawn during training: a grid of prompts × strengths every N steps.</summary>
/// <param name="EverySteps">Draw after every N optimizer steps (and at the end).</param>
/// <param name="Prompts">Rows of the grid.</param>
/// <param name="Strengths">Columns of the grid: adapter strengths (0 shows the base model).</param>
/// <param name="Sampler">Sampler for previews.</param>
public sealed record SamplePlan(int EverySteps, ValueList<SamplePrompt> Prompts, ValueList<double> Strengths, Sampler Sampler);

/// <summary>One prompt with every setting resolved; a null <see cref="Guidance"/> means the base model's own default.</summary>
public sealed record SamplePrompt(string Text, string? Negative, int Seed, int Steps, double? Guidance);

/// <summary>Samplers.</summary>
public enum Sampler
{
    /// <summary>Deterministic DDIM.</summary>
    Ddim,
    /// <summary>Euler ancestral.</summary>
    EulerAncestral,
}
