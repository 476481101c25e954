using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Binding;

internal sealed partial class Binder
{
    private static readonly NumberRange LearningRateRange = NumberRange.Above(0, 10);

    /// <summary>The most timesteps a base's schedule has here (1000 for the built-in base and Stable Diffusion 1.5); the engine checks its own.</summary>
    private const int MaxTimestep = 1000;

    // Spans the cross-block warnings point at.
    private TextSpan? checkpointSpan;
    private TextSpan? learningRateSpan;
    private TextSpan? textEncoderLearningRateSpan;

    /// <summary>Binds the train block; <paramref name="datasets"/> is null when a dataset had errors (steps per epoch unknown).</summary>
    /// <returns>The plan, and the span of steps/epochs (for warnings about the run's length).</returns>
    private (TrainPlan Plan, TextSpan? LengthSpan) BindTrain(BlockSyntax? block, IReadOnlyList<DatasetPlan>? datasets, LoraPlan lora)
    {
        var section = Section.Read(block?.Statements ?? [], BlockKind.Train, diagnostics);
        var steps = WholeSetting(section, "steps", NumberRange.AtLeast(1, MaxTotalSteps));
        var epochs = WholeSetting(section, "epochs", NumberRange.AtLeast(1, 100_000));
        var lengthStatement = section.One("epochs") ?? section.One("steps");
        if (section.One("steps") is not null && section.One("epochs") is { } epochsStatement)
        {
            diagnostics.Add(DiagnosticDescriptors.StepsAndEpochs, epochsStatement.Keyword.Span);
        }

        var batch = WholeSetting(section, "batch", NumberRange.AtLeast(1, 4096)) ?? 1;
        var accumulation = WholeSetting(section, "grad_accumulation", NumberRange.AtLeast(1, 1024)) ?? 1;
        var imagesPerEpoch = datasets?.Sum(d => (long)d.TrainImages * d.Repeats) ?? 0;
        var stepsPerEpoch = (int)Math.Min(MaxTotalSteps, (imagesPerEpoch + (long)batch * accumulation - 1) / ((long)batch * accumulation));

        long total = steps ?? (epochs is { } e ? (long)e * stepsPerEpoch : DefaultSteps);
        if (total > MaxTotalSteps)
        {
            diagnostics.Add(DiagnosticDescriptors.TooManySteps, lengthStatement!.Keyword.Span, total, MaxTotalSteps);
            total = MaxTotalSteps;
        }
        var totalSteps = (int)total;

        var optimizer = BindOptimizer(section.One("optimizer"));
        var learningRate = NumberSetting(section, "lr", LearningRateRange);
        learningRateSpan = section.One("lr")?.Arguments.FirstOrDefault()?.Span;
        var textEncoderRate = NumberSetting(section, "text_encoder_lr", LearningRateRange);
        textEncoderLearningRateSpan = section.One("text_encoder_lr")?.Keyword.Span;
        var defaultRate = optimizer is ProdigyOptimizer ? 1.0 : 1e-4;

        var checkpoint = section.One("checkpoint") is { } checkpointStatement ? BindCheckpoint(checkpointStatement, stepsPerEpoch) : null;
        checkpointSpan = section.One("checkpoint")?.Keyword.Span;

        string output = defaultOutput;
        if (section.One("output") is { } outputStatement && read.Single(outputStatement, "a file path in double quotes") is { } outputValue
            && read.Text("output", outputValue) is not null && ResolvePath("output", (StringSyntax)outputValue) is { } outputPath)
        {
            output = outputPath;
        }

        string? resume = null;
        if (section.One("resume") is { } resumeStatement && read.Single(resumeStatement, "a checkpoint path in double quotes") is { } resumeValue
            && read.Text("resume", resumeValue) is not null && ResolvePath("resume", (StringSyntax)resumeValue) is { } resumePath)
        {
            if (!File.Exists(resumePath) && !Directory.Exists(resumePath))
            {
                diagnostics.Add(DiagnosticDescriptors.ResumeNotFound, resumeValue.Span, ((StringSyntax)resumeValue).Value);
            }
            resume = resumePath;
        }

        var precision = Precision.Fp32;
        if (section.One("precision") is { } precisionStatement && read.Single(precisionStatement, "fp32 or bf16") is { } precisionValue
            && read.Choice("precision", "precision", precisionValue, Vocabulary.Precisions, out var chosenPrecision))
        {
            precision = chosenPrecision;
        }

        var (minTimestep, maxTimestep) = BindTimesteps(section);
        var plan = new TrainPlan(
            TotalSteps: totalSteps,
            StepsPerEpoch: stepsPerEpoch,
            Epochs: steps is null ? epochs : null,
            Batch: batch,
            GradAccumulation: accumulation,
            LearningRate: learningRate ?? defaultRate,
            TextEncoderLearningRate: textEncoderRate ?? learningRate ?? defaultRate,
            Optimizer: optimizer,
            Schedule: BindSchedule(section.One("schedule")),
            WarmupSteps: BindWarmup(section.One("warmup"), totalSteps, stepsPerEpoch),
            Seed: WholeSetting(section, "seed", NumberRange.AtLeast(0, int.MaxValue)) ?? 42,
            MinSnrGamma: NumberSetting(section, "min_snr_gamma", NumberRange.Above(0, 100)),
            NoiseOffset: NumberSetting(section, "noise_offset", NumberRange.AtLeast(0, 1)) ?? 0,
            Precision: precision,
            MaxGradNorm: NumberSetting(section, "max_grad_norm", NumberRange.AtLeast(0, 1e6)) ?? 1,
            CheckpointEverySteps: checkpoint,
            OutputPath: output,
            ResumePath: resume,
            FailOnBadImages: Flag(section.One("fail_on_bad_images")) ?? false,
            Overwrite: Flag(section.One("overwrite")) ?? false,
            MinTimestep: minTimestep,
            MaxTimestep: maxTimestep);
        return (plan, lengthStatement?.Keyword.Span);
    }

    /// <summary>
    /// <c>min_timestep 100</c> and <c>max_timestep 900</c> (kohya's names and meaning: the teaching loss draws
    /// timesteps from min up to, not including, max); 0 and null (the base's whole schedule) when not given.
    /// </summary>
    private (int Min, int? Max) BindTimesteps(Section section)
    {
        var min = WholeSetting(section, "min_timestep", NumberRange.AtLeast(0, MaxTimestep - 1)) ?? 0;
        var max = WholeSetting(section, "max_timestep", NumberRange.AtLeast(1, MaxTimestep));
        if (max is { } m && min >= m && section.One("min_timestep") is { } statement)
        {
            diagnostics.Add(DiagnosticDescriptors.EmptyTimestepRange, statement.Arguments[0].Span, min, m);
            return (0, null);
        }
        return (min, max);
    }

    /// <summary><c>checkpoint every N steps</c> (or epochs).</summary>
    private int? BindCheckpoint(StatementSyntax statement, int stepsPerEpoch)
    {
        if (statement.Arguments.FirstOrDefault() is NameSyntax { Name: "every" }) return Interval(statement, 1, stepsPerEpoch);
        if (statement.Arguments.FirstOrDefault() is { } wrong)
        {
            diagnostics.Add(DiagnosticDescriptors.WrongValueKind, wrong.Span, "checkpoint", "every N steps", ValueReader.Describe(wrong));
        }
        else
        {
            diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, "checkpoint", "every N steps");
        }
        return null;
    }

    /// <summary><c>warmup 50</c>, <c>warmup 50 steps</c> or <c>warmup 10%</c> of the run.</summary>
    private int BindWarmup(StatementSyntax? statement, int totalSteps, int stepsPerEpoch)
    {
        if (statement?.Arguments.FirstOrDefault() is not NumberSyntax { IsPercent: true } percent)
        {
            return statement is null ? 0 : CheckWarmup(Interval(statement, 0, stepsPerEpoch), statement, totalSteps);
        }
        read.ExpectNoMore(statement, 1);
        return read.Fraction("warmup", percent, NumberRange.AtLeast(0, 1)) is { } share
            ? (int)Math.Round(totalSteps * share, MidpointRounding.AwayFromZero)
            : 0;
    }

    private int CheckWarmup(int? warmup, StatementSyntax statement, int totalSteps)
    {
        if (warmup is { } w && w > totalSteps)
        {
            diagnostics.Add(DiagnosticDescriptors.WarmupTooLong, statement.Arguments[0].Span, w, totalSteps);
        }
        return warmup ?? 0;
    }

    private SchedulePlan BindSchedule(StatementSyntax? statement)
    {
        if (statement is null) return new SchedulePlan(ScheduleKind.Constant, 1);
        if (statement.Arguments.IsEmpty)
        {
            diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, "schedule", "constant, linear, cosine or cosine_with_restarts");
            return new SchedulePlan(ScheduleKind.Constant, 1);
        }
        if (!read.Choice("schedule", "schedule", statement.Arguments[0], Vocabulary.Schedules, out var kind))
        {
            return new SchedulePlan(ScheduleKind.Constant, 1);
        }
        var name = ((NameSyntax)statement.Arguments[0]).Name;
        var allowed = kind == ScheduleKind.CosineWithRestarts ? Vocabulary.StatementOptions["schedule"] : [];
        var options = Options.Read(statement, 1, allowed, name, diagnostics);
        var cycles = options["cycles"] is { } value ? read.Whole("cycles", value, NumberRange.AtLeast(1, 1000)) ?? 1 : 1;
        return new SchedulePlan(kind, cycles);
    }

    private OptimizerPlan BindOptimizer(StatementSyntax? statement)
    {
        var fallback = new AdamWOptimizer(0.9, 0.999, 1e-8, 0.01);
        if (statement is null) return fallback;
        if (statement.Arguments.IsEmpty)
        {
            diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, "optimizer", "adamw, sgd, lion or prodigy");
            return fallback;
        }
        if (!read.Choice("optimizer", "optimizer", statement.Arguments[0], Vocabulary.Optimizers, out var allowed)) return fallback;
        var name = ((NameSyntax)statement.Arguments[0]).Name;
        var options = Options.Read(statement, 1, allowed, name, diagnostics);
        double Option(string option, NumberRange range, double otherwise) =>
            options[option] is { } value ? read.Number(option, value, range) ?? otherwise : otherwise;
        var (beta1, beta2) = Betas(options["betas"], name == "lion" ? (0.9, 0.99) : (0.9, 0.999));
        var weightDecay = Option("weight_decay", NumberRange.AtLeast(0, 1), name == "sgd" ? 0 : 0.01);
        return name switch
        {
            "sgd" => new SgdOptimizer(Option("momentum", NumberRange.Fraction, 0.9),
                options["nesterov"] is { } nesterov && read.Bool("nesterov", nesterov) == true, weightDecay),
            "lion" => new LionOptimizer(beta1, beta2, weightDecay),
            "prodigy" => new ProdigyOptimizer(Option("d_coef", NumberRange.Above(0, 100), 1), beta1, beta2, weightDecay),
            _ => new AdamWOptimizer(beta1, beta2, Option("eps", NumberRange.Above(0, 1), 1e-8), weightDecay),
        };
    }

    private (double, double) Betas(ValueSyntax? value, (double, double) otherwise)
    {
        if (value is null) return otherwise;
        if (value is ListSyntax { Items.Length: 2 } list
            && read.Number("betas", list.Items[0], NumberRange.Fraction) is { } beta1
            && read.Number("betas", list.Items[1], NumberRange.Fraction) is { } beta2)
        {
            return (beta1, beta2);
        }
        if (value is not ListSyntax { Items.Length: 2 } and not BadValueSyntax)
        {
            diagnostics.Add(DiagnosticDescriptors.WrongValueKind, value.Span, "betas", "two numbers, e.g. [0.9, 0.999]", ValueReader.Describe(value));
        }
        return otherwise;
    }
}
