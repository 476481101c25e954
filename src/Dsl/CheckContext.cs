using LoraNotebooks.Dsl.Binding;
using LoraNotebooks.Dsl.Preflight;

namespace LoraNotebooks.Dsl;

/// <summary>What checking needs from outside the language.</summary>
/// <param name="Worlds">The built-in world's families and members.</param>
/// <param name="Estimator">Cost estimates for the pre-flight summary; null leaves them out.</param>
/// <param name="BaseDirectory">Where relative paths point when the script has no file (a notebook cell); defaults to the current directory.</param>
public sealed record CheckContext(IWorldCatalog Worlds, IPreflightEstimator? Estimator = null, string? BaseDirectory = null);
