using System.Globalization;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.SafeTensors;
using LoraNotebooks.Engine.Training.Optimizers;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// A resumable point of a run, one safetensors file written atomically: the adapter's tensors
/// (<c>network.*</c>), the optimizer's state (<c>optimizer.*</c>), and in the metadata the step, the
/// smoothed loss and the run's fingerprint. The schedule and every random draw are functions of the
/// plan and the step (<see cref="StepSeeds"/>), and the data position is step × accumulation micro-batches,
/// so these are all a resumed run needs to write the same adapter bytes as an uninterrupted one.
/// </summary>
/// <param name="Path">The checkpoint file.</param>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="SmoothedLoss">The smoothed loss at that step, or null before the first.</param>
/// <param name="Fingerprint">Identifies the settings that shape the result (see <see cref="LoraTrainer"/>).</param>
public sealed record TrainingCheckpoint(string Path, int Step, double? SmoothedLoss, string Fingerprint)
{
    private const string NetworkPrefix = "network.";
    private const string OptimizerPrefix = "optimizer.";
    private const string StepKey = "lora.checkpoint.step";
    private const string LossKey = "lora.checkpoint.smoothed_loss";
    private const string FingerprintKey = OutputGuard.FingerprintKey;
    private const string FilePrefix = "step-";

    /// <summary>The checkpoint file for <paramref name="step"/> in <paramref name="directory"/>.</summary>
    public static string FileFor(string directory, int step) => System.IO.Path.Combine(directory, $"{FilePrefix}{step:D6}.safetensors");

    /// <summary>Writes a checkpoint atomically and returns its description.</summary>
    public static TrainingCheckpoint Save(string path, LoraNetwork network, TrainingOptimizer optimizer, int step, double? smoothedLoss,
        string fingerprint, IReadOnlyDictionary<string, string> describe)
    {
        var inv = CultureInfo.InvariantCulture;
        var tensors = network.state_dict().Select(kv => SafeTensorsTorch.ToTensorData(NetworkPrefix + kv.Key, kv.Value))
            .Concat(optimizer.StateTensors(OptimizerPrefix))
            .ToList();
        var metadata = new Dictionary<string, string>(describe)
        {
            [StepKey] = step.ToString(inv),
            [FingerprintKey] = fingerprint,
        };
        if (smoothedLoss is { } loss)
            metadata[LossKey] = loss.ToString("R", inv);
        SafeTensorsWriter.Write(path, tensors, metadata);
        return new TrainingCheckpoint(path, step, smoothedLoss, fingerprint);
    }

    /// <summary>
    /// The checkpoint at <paramref name="path"/>: a checkpoint file, or a folder whose newest
    /// <c>step-NNNNNN.safetensors</c> is taken.
    /// </summary>
    /// <exception cref="FileNotFoundException">No checkpoint is there.</exception>
    public static string Resolve(string path)
    {
        if (File.Exists(path))
            return path;
        if (Directory.Exists(path))
            return Directory.GetFiles(path, FilePrefix + "*.safetensors").Order(StringComparer.Ordinal).LastOrDefault()
                ?? throw new FileNotFoundException($"resume folder '{path}' holds no checkpoint (step-NNNNNN.safetensors)");
        throw new FileNotFoundException($"resume checkpoint '{path}' does not exist");
    }

    /// <summary>Reads the checkpoint at <paramref name="path"/> into <paramref name="network"/> and <paramref name="optimizer"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this adapter and optimizer.</exception>
    public static TrainingCheckpoint Restore(string path, LoraNetwork network, TrainingOptimizer optimizer)
    {
        using var file = SafeTensorsFile.Open(path);
        if (!file.Metadata.TryGetValue(StepKey, out var stepText))
            throw new InvalidDataException($"'{path}' is not a training checkpoint (no '{StepKey}' metadata)");
        using (no_grad())
        {
            foreach (var (key, value) in network.state_dict())
            {
                if (!file.Tensors.TryGetValue(NetworkPrefix + key, out var info) || !info.Shape.SequenceEqual(value.shape))
                    throw new InvalidDataException($"checkpoint '{path}' does not fit this adapter (at '{key}'): was it written with other LoRA settings?");
                using var stored = file.ReadTensor(NetworkPrefix + key);
                value.copy_(stored);
            }
        }
        optimizer.LoadState(file, OptimizerPrefix);
        var inv = CultureInfo.InvariantCulture;
        if (!int.TryParse(stepText, inv, out var step) || step < 0)
            throw new InvalidDataException($"'{path}' has step '{stepText}', not a step count");
        return new TrainingCheckpoint(path, step,
            file.Metadata.TryGetValue(LossKey, out var lossText) && double.TryParse(lossText, inv, out var loss) ? loss : null,
            file.Metadata.GetValueOrDefault(FingerprintKey, ""));
    }
}
