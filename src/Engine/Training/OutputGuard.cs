using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// Keeps a run from replacing what another run left at its output. Before training, the adapter file
/// at <c>output</c> and the checkpoints beside it must be absent, or written by a run with the same
/// settings (the same fingerprint: re-running a script rewrites its own result), unless the run
/// resumes or the script says <c>overwrite</c>.
/// </summary>
public static class OutputGuard
{
    /// <summary>Metadata key of the run fingerprint in adapters and checkpoints.</summary>
    public const string FingerprintKey = "lora.checkpoint.fingerprint";

    /// <summary>Throws when the run would replace another run's adapter or checkpoints.</summary>
    /// <exception cref="UserErrorException">What is there, and the ways out.</exception>
    public static void Check(TrainPlan train, string fingerprint)
    {
        if (train.Overwrite || train.ResumePath is not null)
            return;
        const string WaysOut = "choose another output, move it away, or write `overwrite` in train";
        if (File.Exists(train.OutputPath) && FingerprintOf(train.OutputPath) != fingerprint)
            throw new UserErrorException($"output '{train.OutputPath}' already holds an adapter from another run; {WaysOut}");
        var checkpoints = LoraTrainer.CheckpointDirectory(train);
        if (Directory.Exists(checkpoints)
            && Directory.EnumerateFiles(checkpoints, "step-*.safetensors").Any(f => FingerprintOf(f) != fingerprint))
            throw new UserErrorException(
                $"'{checkpoints}' holds checkpoints of another run; resume from them (resume \"{checkpoints}\"), or {WaysOut}");
    }

    /// <summary>The run fingerprint in the file's metadata, or null when it has none or is no safetensors file.</summary>
    private static string? FingerprintOf(string path)
    {
        try
        {
            using var file = SafeTensorsFile.Open(path);
            return file.Metadata.GetValueOrDefault(FingerprintKey);
        }
        catch (Exception e) when (e is SafeTensorsFormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
