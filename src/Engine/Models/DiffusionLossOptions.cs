namespace LoraNotebooks.Engine.Models;

/// <summary>Options of the training loss.</summary>
/// <param name="MinSnrGamma">Min-SNR-γ weighting (5 is the paper's choice); null for plain MSE.</param>
/// <param name="NoiseOffset">Adds offset·N(0,1) per image and channel to the noise, so the model learns to shift overall brightness.</param>
public sealed record DiffusionLossOptions(double? MinSnrGamma = null, double NoiseOffset = 0);
