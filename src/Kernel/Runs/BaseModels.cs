using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Kernel.Runs;

/// <summary>
/// Base models stay loaded for the life of the kernel: every cell that trains or samples on the same
/// base reuses one instance (adapters attach to it and detach again after each run).
/// </summary>
internal static class BaseModels
{
    private static readonly Dictionary<string, (TinyDiffusionModel Model, long? Bytes)> Loaded = [];
    private static readonly Lock Gate = new();

    /// <summary>The model <paramref name="plan"/> names, its size in bytes (null when unknown), and a warning when it is untrained.</summary>
    public static (TinyDiffusionModel Model, long? Bytes, string? Warning) Get(BasePlan plan)
    {
        lock (Gate)
        {
            var key = plan.CheckpointPath ?? "builtin";
            string? warning = null;
            if (!Loaded.TryGetValue(key, out var entry))
            {
                if (plan.CheckpointPath is { } path)
                {
                    entry = (BuiltInBase.Load(path), new FileInfo(path).Length);
                }
                else
                {
                    var model = BuiltInBase.Load(out var pretrained);
                    entry = (model, BuiltInBase.Locate() is { } file ? new FileInfo(file).Length : model.parameters().Sum(p => p.numel()) * 4);
                }
                Loaded[key] = entry;
            }
            if (plan.IsBuiltin && BuiltInBase.Locate() is null)
                warning = "the built-in base model is not pretrained in this build (no assets/base.safetensors): samples show noise";
            return (entry.Model, entry.Bytes, warning);
        }
    }
}
