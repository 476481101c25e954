namespace LoraNotebooks.Dsl.Plans;

/// <summary>Something to do after training, with adapters given as absolute file paths.</summary>
public abstract record PostAction;

/// <summary>Adds an adapter to the model at a strength; later grids and evaluations use every loaded adapter.</summary>
public sealed record LoadAdapterAction(string Path, double Strength) : PostAction;

/// <summary>An image grid: rows are prompts, columns are strengths (multiplying each loaded adapter's strength), one grid per seed.</summary>
/// <param name="Guidance">Classifier-free guidance, or null for the base model's own default.</param>
/// <param name="Output">A PNG file to write as well as showing the grid, or null.</param>
public sealed record GridAction(
    ValueList<string> Prompts,
    ValueList<double> Strengths,
    ValueList<int> Seeds,
    int Steps,
    double? Guidance,
    Sampler Sampler,
    string? Output) : PostAction;

/// <summary>A weighted sum of adapters written as a new adapter file.</summary>
public sealed record CombineAction(ValueList<WeightedAdapter> Adapters, string OutputPath) : PostAction;

/// <summary>An adapter file and its weight in a combination.</summary>
public sealed record WeightedAdapter(string Path, double Weight);

/// <summary>Bakes an adapter into the base model's weights and writes the merged checkpoint.</summary>
public sealed record MergeAction(string AdapterPath, double Strength, string OutputPath) : PostAction;

/// <summary>Shows an adapter's card: rank, alpha, targets, parameters, size, trigger, metadata.</summary>
public sealed record InspectAction(string AdapterPath) : PostAction;

/// <summary>Scores the loaded adapters with the world judge (fidelity, leakage) and validation loss.</summary>
/// <param name="Samples">Images drawn per prompt.</param>
/// <param name="Seed">First seed; each image adds one.</param>
public sealed record EvaluateAction(int Samples, int Seed) : PostAction;
