using System.Globalization;
using System.Runtime.InteropServices;
using LoraNotebooks.Engine;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Fuzz;

/// <summary>
/// The crash-safety test's child process: writes generation after generation of a safetensors file
/// (through <see cref="SafeTensorsWriter"/>, as adapters and checkpoints are written) and a JSON
/// sidecar (through <see cref="AtomicFile"/>, as peft configs are), until it is killed. Every tensor
/// value of generation G is G and the file's metadata says G, so a reader can tell a whole file from
/// a torn one. Sizes vary so a kill lands at different points of a write.
/// </summary>
public static class CrashWriter
{
    /// <summary>Metadata key holding the generation.</summary>
    public const string GenerationKey = "generation";

    /// <summary>Writes from the generation after the one at <paramref name="path"/>; stops after <paramref name="count"/> writes.</summary>
    public static int Run(string path, long count)
    {
        var generation = Read(path) is { } last ? last + 1 : 1;
        var random = new Random();
        for (long written = 0; written < count; written++, generation++)
        {
            var values = new float[random.Next(1 << 16, 1 << 20)];
            Array.Fill(values, generation);
            SafeTensorsWriter.Write(path, [new TensorData("weights", DType.F32, [values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray())],
                new Dictionary<string, string> { [GenerationKey] = generation.ToString(CultureInfo.InvariantCulture) });
            AtomicFile.WriteAllText(path + ".json", $"{{\"{GenerationKey}\": {generation}}}");
        }
        return 0;
    }

    /// <summary>
    /// The generation of the complete file at <paramref name="path"/>, or null when there is none.
    /// Throws when the file is there but torn or inconsistent.
    /// </summary>
    public static int? Read(string path)
    {
        if (!File.Exists(path))
            return null;
        using var file = SafeTensorsFile.Open(path);
        var generation = int.Parse(file.Metadata[GenerationKey], CultureInfo.InvariantCulture);
        var values = MemoryMarshal.Cast<byte, float>(file.ReadBytes("weights"));
        foreach (var value in values)
            if (value != generation)
                throw new InvalidDataException($"generation {generation} holds the value {value}: a mixed file");
        return generation;
    }
}
