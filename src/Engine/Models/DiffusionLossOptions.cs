namespace LoraNotebooks.Engine.Models;

/// <summary>Options of the training loss.</summary>
/// <param name="MinSnrGamma">Min-SNR-γ weighting (5 is the paper's choice); null for plain MSE.</param>
/// <param name="NoiseOffset">Adds offset·N(0,1) per image and channel to the noise, so the model learns to shift overall brightness.</param>
/// <param name="MinTimestep">The lowest timestep drawn (kohya's <c>min_timestep</c>).</param>
/// <param name="MaxTimestep">Timesteps are drawn below this one (kohya's <c>max_timestep</c>, exclusive); null for the whole schedule.</param>
public sealed record DiffusionLossOptions(double? MinSnrGamma = null, double NoiseOffset = 0, int MinTimestep = 0, int? MaxTimestep = null);
