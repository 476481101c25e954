namespace LoraNotebooks.Dsl.Preflight;

/// <summary>Engine estimates for a run; every number is an estimate, and <see cref="Basis"/> says how it was made.</summary>
/// <param name="TrainableParameters">Adapter parameters that train.</param>
/// <param name="AdapterFileBytes">Size of the written adapter file.</param>
/// <param name="PeakMemoryBytes">Peak memory while training.</param>
/// <param name="Duration">Wall-clock time for the whole run.</param>
/// <param name="Basis">How the estimate was made, e.g. "calibrated: 3 steps on cpu".</param>
public sealed record PreflightEstimate(long TrainableParameters, long AdapterFileBytes, long PeakMemoryBytes, TimeSpan Duration, string Basis)
{
    /// <summary>For a base that wants a GPU (Stable Diffusion): GPU memory computed from sizes; null otherwise.</summary>
    public GpuEstimate? Gpu { get; init; }
}

/// <summary>GPU memory for training at <paramref name="Resolution"/> px and <paramref name="Batch"/> images a step, computed from sizes (not measured).</summary>
/// <param name="Resolution">Image size in pixels (square).</param>
/// <param name="Batch">Images per forward pass.</param>
/// <param name="Bytes">Without gradient checkpointing.</param>
/// <param name="CheckpointedBytes">With gradient checkpointing.</param>
public sealed record GpuEstimate(int Resolution, int Batch, long Bytes, long CheckpointedBytes);
