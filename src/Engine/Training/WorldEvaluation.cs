using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Judging;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// Judged scores on the built-in world (docs/judge.md). Samples are drawn with the model's default
/// sampler settings (DDIM, <see cref="Steps"/> steps, guidance <see cref="Guidance"/>) at seeds
/// seed, seed+1, …:
/// <list type="bullet">
/// <item><c>fidelity</c>: trigger prompts of the taught member, with the adapters: the share judged as the member.</item>
/// <item><c>leakage</c>: held-in prompts without the trigger, with and without the adapters at the same seeds: the share whose judged labels change.</item>
/// <item><c>prompt_following</c>: held-in prompts with the adapters as loaded (none: the base): the share showing the prompted shape and colour.</item>
/// </list>
/// </summary>
public sealed class WorldEvaluation(WorldJudge judge) : IAdapterEvaluator
{
    /// <summary>Denoising steps per sample.</summary>
    public const int Steps = 20;

    /// <summary>Classifier-free guidance scale.</summary>
    public const double Guidance = 3;

    /// <summary>The evaluator with the shipped judge.</summary>
    public static WorldEvaluation Default() => new(WorldJudge.LoadDefault());

    /// <summary>
    /// The world judge when <paramref name="plan"/> evaluates or trains on a world dataset; otherwise null
    /// (losses only): loading the judge costs a moment, so only then.
    /// </summary>
    public static WorldEvaluation? For(ScriptPlan plan) =>
        plan.Actions.Any(a => a is EvaluateAction) || plan.Training?.TaughtWorld is not null ? Default() : null;

    /// <inheritdoc/>
    public EvaluationMetrics Evaluate(IDiffusionBase model, IReadOnlyList<(LoraNetwork Network, double Strength)> adapters, TrainingPlan? training,
        EvaluateAction action, CancellationToken cancellationToken = default)
    {
        var source = training?.TaughtWorld;
        var following = PromptFollowing(model, action.Samples, action.Seed, cancellationToken);
        if (source is null || adapters.Count == 0)
            return new EvaluationMetrics(PromptFollowing: following);
        var trigger = training!.Datasets.First(d => d.Source == source).Trigger;
        var (fidelity, leakage) = FidelityAndLeakage(model, adapters, source.Family, source.Member, trigger, action.Samples, action.Seed, cancellationToken);
        return new EvaluationMetrics(Fidelity: fidelity, Leakage: leakage, PromptFollowing: following);
    }

    /// <summary>Share of held-in prompts whose samples show the prompted shape and colour, with the model as it is.</summary>
    public double PromptFollowing(IDiffusionBase model, int samples, int seed, CancellationToken cancellationToken = default) =>
        Following(model, samples, seed, cancellationToken: cancellationToken).Score;

    /// <summary>
    /// <see cref="PromptFollowing(IDiffusionBase, int, int, CancellationToken)"/> and, from the same samples, the share
    /// that follows each prompted attribute (<see cref="JudgeScores.Agreement"/>). With
    /// <paramref name="lead"/>, every prompt starts with it ("zj, a small red circle ..."): does the
    /// model still read a prompt that a trigger leads?
    /// </summary>
    public (double Score, IReadOnlyDictionary<string, double> Agreement) Following(IDiffusionBase model, int samples, int seed, string? lead = null,
        CancellationToken cancellationToken = default)
    {
        var prompts = WorldPrompts.HeldIn(samples, seed);
        if (lead is not null)
            prompts = [.. prompts.Select(p => p with { Prompt = $"{lead} {p.Prompt}" })];
        var expected = prompts.Select(p => p.Expected).ToList();
        var judged = Judge(model, prompts, seed, cancellationToken);
        return (JudgeScores.PromptFollowing(expected, judged), JudgeScores.Agreement(expected, judged));
    }

    /// <summary>Fidelity to <paramref name="member"/> of <paramref name="family"/> called by <paramref name="trigger"/>, and leakage into other prompts.</summary>
    public (double Fidelity, double Leakage) FidelityAndLeakage(IDiffusionBase model, IReadOnlyList<(LoraNetwork Network, double Strength)> adapters,
        string family, string member, string? trigger, int samples, int seed, CancellationToken cancellationToken = default)
    {
        var judged = JudgeAdapters(model, adapters, family, member, trigger, samples, seed, cancellationToken);
        return (judged.Fidelity, judged.Leakage);
    }

    /// <summary>
    /// <see cref="FidelityAndLeakage"/> with the samples behind the two numbers: each trigger prompt whose
    /// sample missed the member (and what the judge read instead), and each other prompt whose sample the
    /// adapters changed (and which attributes). A leak list tells what to preserve; a miss list, what the
    /// adapter has not learnt.
    /// </summary>
    public AdapterJudgement JudgeAdapters(IDiffusionBase model, IReadOnlyList<(LoraNetwork Network, double Strength)> adapters,
        string family, string member, string? trigger, int samples, int seed, CancellationToken cancellationToken = default)
    {
        foreach (var (network, strength) in adapters)
        {
            network.Enabled = true;
            network.Strength = strength;
        }
        var triggered = WorldPrompts.Trigger(family, member, samples, seed, trigger);
        var judgedTriggered = Judge(model, triggered, seed, cancellationToken);
        var others = WorldPrompts.NonTrigger(family, samples, seed);
        var adapted = Judge(model, others, seed, cancellationToken);
        List<WorldLabels> unadapted;
        foreach (var (network, _) in adapters)
            network.Strength = 0;
        try
        {
            unadapted = Judge(model, others, seed, cancellationToken);
        }
        finally
        {
            foreach (var (network, strength) in adapters)
                network.Strength = strength;
        }
        var shows = JudgeScores.Shows(family, member);
        return new AdapterJudgement(
            JudgeScores.Fidelity(family, member, judgedTriggered),
            JudgeScores.Leakage(adapted, unadapted),
            [.. triggered.Select((p, i) => new MissedPrompt(p.Prompt, (long)seed + i, judgedTriggered[i])).Where(m => !shows(m.Judged))],
            [.. others.Select((p, i) => (Prompt: p, Changes: JudgeScores.Changes(adapted[i], unadapted[i]), Seed: (long)seed + i))
                .Where(c => c.Changes.Count > 0)
                .Select(c => new ChangedPrompt(c.Prompt.Prompt, c.Seed, c.Changes, JudgeScores.Direction(c.Changes, c.Prompt.Expected)))]);
    }

    private List<WorldLabels> Judge(IDiffusionBase model, IReadOnlyList<WorldPrompt> prompts, int seed, CancellationToken cancellationToken)
    {
        using var images = model.Sample([.. prompts.Select(p => p.Prompt)], [.. prompts.Select((_, i) => (long)seed + i)], Steps, Guidance,
            cancellationToken: cancellationToken);
        return [.. judge.Judge(images).Select(j => j.Labels)];
    }
}

/// <summary>Fidelity and leakage, and the samples behind them (<see cref="WorldEvaluation.JudgeAdapters"/>).</summary>
/// <param name="Fidelity">The share of trigger prompts whose sample shows the member.</param>
/// <param name="Leakage">The share of other prompts whose sample the adapters changed.</param>
/// <param name="Missed">The trigger prompts whose sample did not show the member.</param>
/// <param name="Changed">The other prompts whose sample changed.</param>
public sealed record AdapterJudgement(double Fidelity, double Leakage, IReadOnlyList<MissedPrompt> Missed, IReadOnlyList<ChangedPrompt> Changed);

/// <summary>A trigger prompt whose sample at <paramref name="Seed"/> was judged as <paramref name="Judged"/>, not as the taught member.</summary>
public sealed record MissedPrompt(string Prompt, long Seed, WorldLabels Judged);

/// <summary>
/// A prompt without the trigger whose sample at <paramref name="Seed"/> the adapters changed, attribute by attribute,
/// and which way against the prompt (<paramref name="Direction"/>: a base that drew the prompt wrong can be "changed" into drawing it right).
/// </summary>
public sealed record ChangedPrompt(string Prompt, long Seed, IReadOnlyList<AttributeChange> Changes, ChangeDirection Direction);
