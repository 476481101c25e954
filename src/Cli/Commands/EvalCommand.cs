using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Judging;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora eval [--adapter FILE [--trigger WORD] [--world FAMILY/MEMBER] [--strength 1]] [--samples 8] [--seed 1] [--json]</c>:
/// judged scores on the built-in world. Without an adapter: the base's <c>prompt_following</c> over held-in
/// prompts and <c>followed_shape</c> … <c>followed_background</c> (the share of samples showing each
/// prompted attribute as asked; <c>--lead WORD</c> puts a word in front of each prompt); with one: also <c>fidelity</c> and <c>leakage</c>, for the member and trigger the adapter's
/// metadata names (or the options give), with the adapter at <c>--strength</c> (1 unless given: the strength a
/// user would load it at, as <c>load trained strength S</c> does in a script). <c>--details</c> lists the samples behind those two numbers: each
/// trigger prompt whose sample missed, with what the judge read, and each other prompt whose sample the
/// adapter changed, attribute by attribute.
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
        var strength = new Option<double>("--strength") { Description = "With --adapter: the strength to load it at (1 = as trained, 0.8 = weaker).", DefaultValueFactory = _ => 1.0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var details = new Option<bool>("--details") { Description = "With --adapter: list the trigger prompts whose samples missed and the other prompts whose samples changed." };
        var lead = new Option<string?>("--lead") { Description = "Put this in front of every held-in prompt (e.g. \"zj,\") to see whether the base still reads a prompt a trigger leads." };
        var command = new Command("eval", "Score the base model, or an adapter on it, with the world judge.") { adapter, trigger, world, strength, samples, seed, baseModel, json, lead, details };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (output, cancel) =>
        {
            // Everything the user gave is checked before the (slow) scoring starts.
            if (parse.GetValue(samples) < 1)
                throw new UserErrorException($"--samples must be at least 1, not {parse.GetValue(samples)}");
            if (parse.GetValue(lead) is { } leading && string.IsNullOrWhiteSpace(leading))
                throw new UserErrorException("--lead needs a word to put in front of the prompts");
            if (parse.GetValue(adapter) is null && (parse.GetValue(world) ?? parse.GetValue(trigger)) is not null)
                throw new UserErrorException("--world and --trigger describe an adapter: give --adapter too");
            if (!double.IsFinite(parse.GetValue(strength)) || parse.GetValue(strength) is <= 0 or > 4)
                throw new UserErrorException($"--strength must be above 0 and at most 4, not {parse.GetValue(strength).ToString(CultureInfo.InvariantCulture)}");
            if (parse.GetValue(adapter) is null && parse.GetResult(strength) is { Implicit: false })
                throw new UserErrorException("--strength is the strength of an adapter: give --adapter too");
            if (parse.GetValue(adapter) is null && parse.GetValue(details))
                throw new UserErrorException("--details lists what an adapter missed and changed: give --adapter too");
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
            AdapterJudgement? judged = null;
            var evaluation = WorldEvaluation.Default();
            using var model = PlanRunner.LoadBase(new BasePlan(parse.GetValue(baseModel) is { } b ? Path.GetFullPath(b) : null), e => error.WriteLine($"warning: {((WarningEvent)e).Message}"));
            var (following, agreement) = evaluation.Following(model, parse.GetValue(samples), parse.GetValue(seed), parse.GetValue(lead)?.Trim(), cancel);
            var scores = new Dictionary<string, object> { ["prompt_following"] = following };
            foreach (var (attribute, share) in agreement)
                scores[$"followed_{attribute}"] = share;
            if (parse.GetValue(adapter) is { } adapterPath)
            {
                using var lora = new LoraModel([.. model.Parts]);
                var network = lora.Add(AdapterFile.Load(adapterPath, lora.Parts, "adapter"));
                judged = evaluation.JudgeAdapters(model, [(network, parse.GetValue(strength))], family!, member!,
                    parse.GetValue(trigger) ?? metadata!.GetValueOrDefault("modelspec.trigger_phrase"), parse.GetValue(samples), parse.GetValue(seed), cancel);
                scores["strength"] = parse.GetValue(strength);
                scores["fidelity"] = judged.Fidelity;
                scores["leakage"] = judged.Leakage;
            }
            var listed = parse.GetValue(details) ? judged : null;
            if (parse.GetValue(json))
            {
                if (listed is not null)
                {
                    scores["missed"] = listed.Missed;
                    scores["changed"] = listed.Changed;
                }
                output.WriteLine(JsonSerializer.Serialize(scores, CommandRunner.Json));
            }
            else
            {
                foreach (var (name, value) in scores)
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-19} {value:0.000}"));
                if (listed is not null)
                    WriteDetails(output, listed, parse.GetValue(samples));
            }
            return Task.FromResult(ExitCodes.Ok);
        }, token));
        return command;
    }

    private static void WriteDetails(TextWriter output, AdapterJudgement judged, int samples)
    {
        output.WriteLine($"missed: {judged.Missed.Count} of {samples} trigger prompts");
        foreach (var miss in judged.Missed)
            output.WriteLine($"  seed {miss.Seed,-4} {miss.Prompt}\n             judged: {Describe(miss.Judged)}");
        var directions = string.Join(", ", Enum.GetValues<ChangeDirection>()
            .Select(d => (Direction: d, Count: judged.Changed.Count(c => c.Direction == d))).Where(d => d.Count > 0)
            .Select(d => $"{d.Count} {Describe(d.Direction)}"));
        output.WriteLine($"changed: {judged.Changed.Count} of {samples} other prompts{(directions.Length > 0 ? $" ({directions})" : "")}");
        foreach (var change in judged.Changed)
            output.WriteLine($"  seed {change.Seed,-4} {change.Prompt}\n             {string.Join(", ", change.Changes.Select(c => $"{c.Attribute} {c.Base ?? "none"} -> {c.Adapted ?? "none"}"))} ({Describe(change.Direction)})");
    }

    private static string Describe(ChangeDirection direction) => direction switch
    {
        ChangeDirection.Closer => "closer to the prompt",
        ChangeDirection.Further => "further from the prompt",
        ChangeDirection.Mixed => "both closer and further",
        _ => "sideways",
    };

    /// <summary>What the judge read, attribute by attribute ("shape triangle, colour red, ..."), leaving out those it read as none.</summary>
    private static string Describe(WorldLabels labels) =>
        string.Join(", ", WorldVocabulary.Attributes.Where(a => labels.Get(a) is not null).Select(a => $"{a} {labels.Get(a)}"));
}
