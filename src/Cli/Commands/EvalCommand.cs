using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora eval [--adapter FILE [--trigger WORD] [--world FAMILY/MEMBER]] [--samples 8] [--seed 1] [--json]</c>:
/// judged scores on the built-in world. Without an adapter: the base's <c>prompt_following</c> over held-in
/// prompts and <c>followed_shape</c> … <c>followed_background</c> (the share of samples showing each
/// prompted attribute as asked; <c>--lead WORD</c> puts a word in front of each prompt); with one: also <c>fidelity</c> and <c>leakage</c>, for the member and trigger the adapter's
/// metadata names (or the options give).
/// </summary>
public static class EvalCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var adapter = new Option<string?>("--adapter") { Description = "An adapter file to score." }.AsPath();
        var trigger = new Option<string?>("--trigger") { Description = "The trigger word (default: the adapter's modelspec.trigger_phrase)." };
        var world = new Option<string?>("--world") { Description = "What it was taught, as FAMILY/MEMBER, e.g. concept/star (default: the adapter's lora.world)." };
        var samples = new Option<int>("--samples") { Description = "Samples per kind of prompt.", DefaultValueFactory = _ => 8 };
        var seed = new Option<int>("--seed") { Description = "The first seed.", DefaultValueFactory = _ => 1 };
        var baseModel = new Option<string?>("--base") { Description = "A base-model checkpoint (default: the built-in base)." }.AsPath();
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var lead = new Option<string?>("--lead") { Description = "Put this in front of every held-in prompt (e.g. \"zj,\") to see whether the base still reads a prompt a trigger leads." };
        var command = new Command("eval", "Score the base model, or an adapter on it, with the world judge.") { adapter, trigger, world, samples, seed, baseModel, json, lead };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (output, cancel) =>
        {
            // Everything the user gave is checked before the (slow) scoring starts.
            if (parse.GetValue(samples) < 1)
                throw new UserErrorException($"--samples must be at least 1, not {parse.GetValue(samples)}");
            if (parse.GetValue(lead) is { } leading && string.IsNullOrWhiteSpace(leading))
                throw new UserErrorException("--lead needs a word to put in front of the prompts");
            if (parse.GetValue(adapter) is null && (parse.GetValue(world) ?? parse.GetValue(trigger)) is not null)
                throw new UserErrorException("--world and --trigger describe an adapter: give --adapter too");
            string? family = null, member = null;
            IReadOnlyDictionary<string, string>? metadata = null;
            if (parse.GetValue(adapter) is { } path)
            {
                metadata = AdapterReport.Read(path).Metadata;
                var taught = parse.GetValue(world) ?? metadata.GetValueOrDefault(LoraTrainer.WorldMetadataKey)
                    ?? throw new UserErrorException($"'{path}' does not say which world member it was trained on; give --world FAMILY/MEMBER (e.g. concept/star)");
                if (taught.Split('/') is not [var f, var m])
                    throw new UserErrorException($"--world expects FAMILY/MEMBER (e.g. concept/star), not '{taught}'");
                Families.Get(f).Member(m);
                (family, member) = (f, m);
            }
            var error = parse.InvocationConfiguration.Error;
            var evaluation = WorldEvaluation.Default();
            using var model = PlanRunner.LoadBase(new BasePlan(parse.GetValue(baseModel) is { } b ? Path.GetFullPath(b) : null), e => error.WriteLine($"warning: {((WarningEvent)e).Message}"));
            var (following, agreement) = evaluation.Following(model, parse.GetValue(samples), parse.GetValue(seed), parse.GetValue(lead)?.Trim(), cancel);
            var scores = new Dictionary<string, double> { ["prompt_following"] = following };
            foreach (var (attribute, share) in agreement)
                scores[$"followed_{attribute}"] = share;
            if (parse.GetValue(adapter) is { } adapterPath)
            {
                using var lora = new LoraModel([.. model.Parts]);
                var network = lora.Add(AdapterFile.Load(adapterPath, lora.Parts, "adapter"));
                var (fidelity, leakage) = evaluation.FidelityAndLeakage(model, [(network, 1.0)], family!, member!,
                    parse.GetValue(trigger) ?? metadata!.GetValueOrDefault("modelspec.trigger_phrase"), parse.GetValue(samples), parse.GetValue(seed), cancel);
                scores["fidelity"] = fidelity;
                scores["leakage"] = leakage;
            }
            output.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(scores, CommandRunner.Json)
                : string.Join("\n", scores.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key,-17} {s.Value:0.000}"))));
            return Task.FromResult(ExitCodes.Ok);
        }, token));
        return command;
    }
}
