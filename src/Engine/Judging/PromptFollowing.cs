using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Judging;

/// <summary>How well a base model draws what held-in prompts ask for, as the judge sees it.</summary>
public static class PromptFollowing
{
    /// <summary>The result of one evaluation.</summary>
    /// <param name="Score">Share of samples whose shape and colour are both judged as prompted.</param>
    /// <param name="Samples">How many samples were judged.</param>
    /// <param name="Agreement">Per prompted attribute, the share judged as prompted (<see cref="JudgeScores.Agreement"/>).</param>
    public sealed record Result(double Score, int Samples, IReadOnlyDictionary<string, double> Agreement);

    /// <summary>
    /// Samples <paramref name="count"/> held-in prompts (every shape × colour pair in turn) at seeds
    /// <paramref name="seed"/>, <paramref name="seed"/> + 1, … and judges them, in batches of 16.
    /// </summary>
    public static Result Evaluate(TinyDiffusionModel model, WorldJudge judge, int count = 200, int seed = 0, int steps = 20, double guidance = 3)
    {
        var prompts = WorldPrompts.HeldIn(count, seed);
        var judged = new List<WorldLabels>(count);
        for (var start = 0; start < count; start += 16)
        {
            var batch = prompts.Skip(start).Take(16).ToList();
            using var images = model.Sample(batch.Select(p => p.Prompt).ToList(), batch.Select((_, i) => (long)(seed + start + i)).ToList(), steps, guidance);
            judged.AddRange(judge.Judge(images).Select(j => j.Labels));
        }
        var expected = prompts.Select(p => p.Expected).ToList();
        return new Result(JudgeScores.PromptFollowing(expected, judged), count, JudgeScores.Agreement(expected, judged));
    }
}
