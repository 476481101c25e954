namespace LoraNotebooks.Dsl.Preflight;

/// <summary>Engine estimates for a run; every number is an estimate, and <see cref="Basis"/> says how it was made.</summary>
/// <param name="TrainableParameters">Adapter parameters that train.</param>
/// <param name="AdapterFileBytes">Size of the written adapter file.</param>
/// <param name="PeakMemoryBytes">Peak memory while training.</param>
/// <param name="Duration">Wall-clock time for the whole run.</param>
/// <param name="Basis">How the estimate was made, e.g. "calibrated: 3 steps on cpu".</param>
public sealed record PreflightEstimate(long TrainableParameters, long AdapterFileBytes, long PeakMemoryBytes, TimeSpan Duration, string Basis);
