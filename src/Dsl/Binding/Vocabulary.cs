using LoraNotebooks.Dsl.Plans;

namespace LoraNotebooks.Dsl.Binding;

/// <summary>
/// Every word the language knows: keywords per block, named values, and the options each statement takes.
/// The binder, did-you-mean and completions all read from here, so a new word is added in one place.
/// </summary>
internal static class Vocabulary
{
    public static readonly IReadOnlyList<KeywordSpec> Keywords =
    [
        new("base", BlockKind.TopLevel, "the model to adapt: builtin, a checkpoint file or a diffusers folder"),
        new("dataset", BlockKind.TopLevel, "images to learn from", Repeatable: true, OpensBlock: true),
        new("lora", BlockKind.TopLevel, "the adapter's shape", OpensBlock: true),
        new("train", BlockKind.TopLevel, "how to train", OpensBlock: true),
        new("sample", BlockKind.TopLevel, "previews while training", OpensBlock: true),
        new("load", BlockKind.TopLevel, "load an adapter at a strength", Repeatable: true),
        new("grid", BlockKind.TopLevel, "an image grid: prompts x strengths x seeds", Repeatable: true),
        new("combine", BlockKind.TopLevel, "a weighted sum of adapters into a new file", Repeatable: true),
        new("merge", BlockKind.TopLevel, "bake an adapter into the base model", Repeatable: true),
        new("inspect", BlockKind.TopLevel, "show an adapter's card", Repeatable: true),
        new("evaluate", BlockKind.TopLevel, "score the loaded adapters", Repeatable: true),

        new("folder", BlockKind.Dataset, "a folder of images with captions"),
        new("world", BlockKind.Dataset, "images from the built-in world: family and member, or held_in and optionally one of its shapes"),
        new("trigger", BlockKind.Dataset, "the word that calls up what is learnt"),
        new("repeats", BlockKind.Dataset, "times each image appears per epoch"),
        new("caption_extension", BlockKind.Dataset, "caption file extension (.txt)"),
        new("caption_shuffle", BlockKind.Dataset, "shuffle caption tags, keeping the first N"),
        new("caption_dropout", BlockKind.Dataset, "share of steps trained with an empty caption"),
        new("flip", BlockKind.Dataset, "mirror images at random"),
        new("crop", BlockKind.Dataset, "center or random: where pictures are cut to the training size"),
        new("resolution", BlockKind.Dataset, "training size in pixels"),
        new("validation", BlockKind.Dataset, "images held out for validation (count or %)"),
        new("preserve", BlockKind.Dataset, "keep the base's output on these pictures (against leakage)"),
        new("mask", BlockKind.Dataset, "learn from the masked part of each picture: a folder of masks, or the world's own"),

        new("rank", BlockKind.Lora, "adapter rank"),
        new("alpha", BlockKind.Lora, "scale numerator (alpha/rank)"),
        new("dropout", BlockKind.Lora, "adapter input dropout"),
        new("rslora", BlockKind.Lora, "rank-stabilised scaling alpha/sqrt(rank)"),
        new("dora", BlockKind.Lora, "weight-decomposed LoRA: also learn each input feature's magnitude"),
        new("init", BlockKind.Lora, "down-matrix initialisation"),
        new("targets", BlockKind.Lora, "modules to adapt: groups or patterns"),
        new("target", BlockKind.Lora, "rank/alpha for some modules", Repeatable: true),

        new("steps", BlockKind.Train, "optimizer steps to run"),
        new("epochs", BlockKind.Train, "passes over the dataset"),
        new("batch", BlockKind.Train, "images per forward pass"),
        new("grad_accumulation", BlockKind.Train, "forward passes per optimizer step"),
        new("lr", BlockKind.Train, "learning rate"),
        new("text_encoder_lr", BlockKind.Train, "learning rate for text-encoder adapters"),
        new("optimizer", BlockKind.Train, "adamw, sgd, lion or prodigy, with options"),
        new("schedule", BlockKind.Train, "learning-rate schedule"),
        new("warmup", BlockKind.Train, "warm-up steps or %"),
        new("seed", BlockKind.Train, "random seed"),
        new("min_snr_gamma", BlockKind.Train, "min-SNR loss weighting"),
        new("noise_offset", BlockKind.Train, "offset noise strength"),
        new("min_timestep", BlockKind.Train, "the lowest timestep the teaching loss draws"),
        new("max_timestep", BlockKind.Train, "the teaching loss draws timesteps below this one"),
        new("precision", BlockKind.Train, "fp32 or bf16"),
        new("max_grad_norm", BlockKind.Train, "gradient clipping (0 = off)"),
        new("checkpoint", BlockKind.Train, "save a resumable checkpoint every N steps"),
        new("output", BlockKind.Train, "adapter file to write"),
        new("resume", BlockKind.Train, "checkpoint to continue from"),
        new("fail_on_bad_images", BlockKind.Train, "stop on unreadable images"),
        new("overwrite", BlockKind.Train, "replace what another run left at output"),

        new("every", BlockKind.Sample, "how often to draw previews"),
        new("prompt", BlockKind.Sample, "a preview prompt with its options", Repeatable: true),
        new("strengths", BlockKind.Sample, "adapter strengths to compare"),
        new("sampler", BlockKind.Sample, "ddim or euler_a"),
        new("steps", BlockKind.Sample, "denoising steps per preview"),
        new("guidance", BlockKind.Sample, "classifier-free guidance scale"),
        new("seed", BlockKind.Sample, "default prompt seed"),
        new("negative", BlockKind.Sample, "default negative prompt"),
    ];

    public static IEnumerable<KeywordSpec> In(BlockKind place) => Keywords.Where(k => k.Place == place);

    public static KeywordSpec? Find(BlockKind place, string name) =>
        Keywords.FirstOrDefault(k => k.Place == place && k.Name == name);

    public static string Describe(BlockKind place) => place switch
    {
        BlockKind.TopLevel => "the top level",
        BlockKind.Dataset => "a dataset block",
        BlockKind.Lora => "the lora block",
        BlockKind.Train => "the train block",
        _ => "the sample block",
    };

    public static readonly IReadOnlyDictionary<string, bool> Booleans = new Dictionary<string, bool> { ["true"] = true, ["false"] = false };

    /// <summary>Who draws a preserving dataset's pictures (<c>preserve drawn_by base</c>): true for the base model.</summary>
    public static readonly IReadOnlyDictionary<string, bool> PreservedPictures = new Dictionary<string, bool> { ["base"] = true, ["dataset"] = false };

    public static readonly IReadOnlyDictionary<string, ScheduleKind> Schedules = new Dictionary<string, ScheduleKind>
    {
        ["constant"] = ScheduleKind.Constant,
        ["linear"] = ScheduleKind.Linear,
        ["cosine"] = ScheduleKind.Cosine,
        ["cosine_with_restarts"] = ScheduleKind.CosineWithRestarts,
    };

    public static readonly IReadOnlyDictionary<string, Precision> Precisions = new Dictionary<string, Precision>
    {
        ["fp32"] = Precision.Fp32,
        ["bf16"] = Precision.Bf16,
    };

    public static readonly IReadOnlyDictionary<string, Sampler> Samplers = new Dictionary<string, Sampler>
    {
        ["ddim"] = Sampler.Ddim,
        ["euler_a"] = Sampler.EulerAncestral,
    };

    public static readonly IReadOnlyDictionary<string, Crop> Crops = new Dictionary<string, Crop>
    {
        ["center"] = Crop.Center,
        ["random"] = Crop.Random,
    };

    public static readonly IReadOnlyDictionary<string, LoraInit> Inits = new Dictionary<string, LoraInit>
    {
        ["kaiming"] = LoraInit.Kaiming,
        ["gaussian"] = LoraInit.Gaussian,
    };

    public static readonly IReadOnlyDictionary<string, TargetGroup> TargetGroups = new Dictionary<string, TargetGroup>
    {
        ["attention"] = TargetGroup.Attention,
        ["ff"] = TargetGroup.FeedForward,
        ["conv"] = TargetGroup.Conv,
        ["text_encoder"] = TargetGroup.TextEncoder,
    };

    public static readonly IReadOnlyDictionary<string, bool> IntervalUnits = new Dictionary<string, bool>
    {
        ["steps"] = false,
        ["step"] = false,
        ["epochs"] = true,
        ["epoch"] = true,
    };

    /// <summary>The optimizers and the options each one takes.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Optimizers = new Dictionary<string, string[]>
    {
        ["adamw"] = ["betas", "eps", "weight_decay"],
        ["sgd"] = ["momentum", "nesterov", "weight_decay"],
        ["lion"] = ["betas", "weight_decay"],
        ["prodigy"] = ["d_coef", "betas", "weight_decay"],
    };

    /// <summary>The word that names the adapter this script trains.</summary>
    public const string Trained = "trained";

    /// <summary>The word that names the built-in base model.</summary>
    public const string Builtin = "builtin";

    /// <summary>Options of statements that take <c>name value</c> pairs after their positional values.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> StatementOptions = new Dictionary<string, string[]>
    {
        ["world"] = ["count"],
        ["preserve"] = ["weight", "noisy", "drawn_by"],
        ["mask"] = ["outside"],
        ["caption_shuffle"] = ["keep"],
        ["target"] = ["rank", "alpha"],
        ["schedule"] = ["cycles"],
        ["prompt"] = ["seed", "steps", "guidance", "negative"],
        ["load"] = ["strength"],
        ["grid"] = ["prompts", "strengths", "seeds", "steps", "guidance", "sampler", "output"],
        ["combine"] = ["weights", "into"],
        ["merge"] = ["strength", "into"],
        ["evaluate"] = ["samples", "seed"],
    };
}
