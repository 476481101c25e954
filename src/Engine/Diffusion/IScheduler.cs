using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Diffusion;

/// <summary>
/// A sampler that runs a <see cref="DdpmSchedule"/> backwards, in the shape of diffusers'
/// schedulers: <see cref="SetTimesteps"/>, then for each step i: the model sees
/// <see cref="ScaleModelInput"/> at <c>Timesteps[i]</c>, and <see cref="Step"/> turns its output
/// into the next, less noisy sample.
/// </summary>
public interface IScheduler
{
    /// <summary>The training timesteps visited, from noisiest to cleanest.</summary>
    IReadOnlyList<long> Timesteps { get; }

    /// <summary>Chooses <paramref name="steps"/> timesteps, evenly spaced and ending at the noisiest one.</summary>
    void SetTimesteps(int steps);

    /// <summary>The first sample made from unit Gaussian <paramref name="noise"/>.</summary>
    Tensor ScaleInitialNoise(Tensor noise);

    /// <summary>The model's input for <paramref name="sample"/> at step <paramref name="stepIndex"/>.</summary>
    Tensor ScaleModelInput(Tensor sample, int stepIndex);

    /// <summary>
    /// The sample after step <paramref name="stepIndex"/>, given the model's output; any fresh noise
    /// for image b comes from <paramref name="generators"/>[b], so each image depends on its own seed only.
    /// </summary>
    Tensor Step(Tensor modelOutput, int stepIndex, Tensor sample, IReadOnlyList<Generator> generators);
}
