using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Models.StableDiffusion;
using LoraNotebooks.Engine.SafeTensors;
using TorchSharp;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// What a script's <c>base</c> names, read only as far as its architecture (config files, safetensors
/// headers; no weights): the built-in model, a base saved by <see cref="IDiffusionBase.SaveWeights"/>, a
/// Stable Diffusion 1.x diffusers folder, or a single-file SD 1.x checkpoint. <see cref="Load"/> reads the
/// weights; <see cref="CreateEmpty"/> builds the same architecture with fresh weights on the current
/// default device, which on the meta device costs no memory (for counting parameters).
/// </summary>
public abstract record BaseModelSource
{
    /// <summary>How the source is described in messages and estimates, e.g. <c>Stable Diffusion folder 'sd15'</c>.</summary>
    public abstract string Description { get; }

    /// <summary>The file or folder, or null for the built-in model without shipped weights.</summary>
    public abstract string? Location { get; }

    /// <summary>The image size (square, in pixels) the base trains at when a dataset gives none.</summary>
    public abstract int Resolution { get; }

    /// <summary>Reads the architecture of what <paramref name="plan"/> names.</summary>
    /// <exception cref="FileNotFoundException">The file or folder does not exist, or a part of a diffusers folder is missing.</exception>
    /// <exception cref="InvalidDataException">The file is neither a LoraNotebooks base nor an SD 1.x checkpoint.</exception>
    public static BaseModelSource Open(BasePlan plan)
    {
        if (plan.CheckpointPath is not { } path)
            return BuiltIn.Shipped();
        if (Directory.Exists(path))
            return new StableDiffusionFolder(path, DiffusersConfigs.Read(path));
        if (!File.Exists(path))
            throw new FileNotFoundException($"base checkpoint '{path}' does not exist", path);
        using var file = SafeTensorsFile.Open(path);
        if (file.Metadata.TryGetValue(BuiltInBase.ConfigKey, out var json))
            return new BuiltIn(path, TinyDiffusionConfig.FromJson(json));
        if (StableDiffusionCheckpoint.IsSingleFile(file))
            return new StableDiffusionFile(path, StableDiffusionCheckpoint.ConfigOf(file));
        throw new InvalidDataException(
            $"base checkpoint '{path}' is neither a LoraNotebooks base (no '{BuiltInBase.ConfigKey}' metadata) nor a Stable Diffusion 1.x checkpoint (no '{OriginalKeys.UNetPrefix}*' keys)");
    }

    /// <summary>The weights, on the CPU in float32, in eval mode.</summary>
    /// <param name="warn">Told when the built-in model has no shipped weights (its samples are then noise).</param>
    public abstract IDiffusionBase Load(Action<string>? warn = null);

    /// <summary>The architecture with fresh weights on the current default device (set it to meta to allocate nothing).</summary>
    public abstract IDiffusionBase CreateEmpty();

    /// <summary>The built-in model: <see cref="BuiltInBase"/>'s shipped weights or a saved copy (<paramref name="Path"/>), with its config.</summary>
    public sealed record BuiltIn(string? Path, TinyDiffusionConfig Config) : BaseModelSource
    {
        /// <summary>The shipped weights, or the default config when this build has none.</summary>
        public static BuiltIn Shipped()
        {
            if (BuiltInBase.Locate() is not { } path)
                return new BuiltIn(null, new TinyDiffusionConfig());
            using var file = SafeTensorsFile.Open(path);
            return new BuiltIn(path, TinyDiffusionConfig.FromJson(file.Metadata[BuiltInBase.ConfigKey]));
        }

        /// <inheritdoc/>
        public override string Description => Path is null ? "the built-in base (not pretrained)" : $"the built-in base '{System.IO.Path.GetFileName(Path)}'";

        /// <inheritdoc/>
        public override IDiffusionBase Load(Action<string>? warn = null)
        {
            if (Path is not null)
                return BuiltInBase.Load(Path);
            var model = BuiltInBase.Load(out var pretrained);
            if (!pretrained)
                warn?.Invoke("the built-in base is not pretrained yet (no assets/base.safetensors): samples will be noise");
            return model;
        }

        /// <inheritdoc/>
        public override string? Location => Path;

        /// <inheritdoc/>
        public override int Resolution => Config.Unet.SampleSize;

        /// <inheritdoc/>
        public override IDiffusionBase CreateEmpty() => new TinyDiffusionModel(Config);
    }

    /// <summary>A Stable Diffusion 1.x diffusers folder (<c>unet/</c>, <c>text_encoder/</c>, <c>vae/</c>, <c>tokenizer/</c>).</summary>
    public sealed record StableDiffusionFolder(string Path, StableDiffusionConfig Config) : BaseModelSource
    {
        /// <inheritdoc/>
        public override string Description => $"Stable Diffusion folder '{System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(Path))}'";

        /// <inheritdoc/>
        public override IDiffusionBase Load(Action<string>? warn = null) => StableDiffusionCheckpoint.LoadFolder(Path);

        /// <inheritdoc/>
        public override string? Location => Path;

        /// <inheritdoc/>
        public override int Resolution => Config.Resolution;

        /// <inheritdoc/>
        public override IDiffusionBase CreateEmpty() => new StableDiffusionModel(Config, ClipTokenizer.Placeholder(Config.TextEncoder.MaxPositionEmbeddings));
    }

    /// <summary>A single-file SD 1.x checkpoint with original keys, its tokenizer in <c>tokenizer/</c> beside it.</summary>
    public sealed record StableDiffusionFile(string Path, StableDiffusionConfig Config) : BaseModelSource
    {
        /// <inheritdoc/>
        public override string Description => $"Stable Diffusion checkpoint '{System.IO.Path.GetFileName(Path)}'";

        /// <inheritdoc/>
        public override IDiffusionBase Load(Action<string>? warn = null) => StableDiffusionCheckpoint.LoadSingleFile(Path, Config);

        /// <inheritdoc/>
        public override string? Location => Path;

        /// <inheritdoc/>
        public override int Resolution => Config.Resolution;

        /// <inheritdoc/>
        public override IDiffusionBase CreateEmpty() => new StableDiffusionModel(Config, ClipTokenizer.Placeholder(Config.TextEncoder.MaxPositionEmbeddings));
    }
}
