using System.CommandLine;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Training;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora sample PROMPT... [--adapter FILE] [--strengths 0,1] [--seed 1] --out grid.png</c>: images from the
/// base model (optionally with an adapter at several strengths) as a grid, rows prompts, columns strengths.
/// </summary>
public static class SampleCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var prompts = new Argument<string[]>("prompt") { Description = "One or more prompts (rows of the grid).", Arity = ArgumentArity.OneOrMore };
        var adapter = new Option<string?>("--adapter") { Description = "An adapter file to apply." }.AsPath();
        var strengths = new Option<double[]>("--strengths") { Description = "Adapter strengths (columns); 0 is the base model.", DefaultValueFactory = _ => [1], AllowMultipleArgumentsPerToken = true };
        var seed = new Option<int>("--seed") { Description = "Noise seed.", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "Denoising steps.", DefaultValueFactory = _ => 20 };
        var guidance = new Option<double?>("--guidance") { Description = "Classifier-free guidance scale (default: the base model's own, 3 for the built-in base and 7.5 for Stable Diffusion 1.5)." };
        var negative = new Option<string?>("--negative") { Description = "Negative prompt." };
        var sampler = new Option<Sampler>("--sampler") { Description = "Ddim or EulerAncestral.", DefaultValueFactory = _ => Sampler.Ddim };
        var baseModel = new Option<string?>("--base") { Description = "A base-model checkpoint (default: the built-in base)." }.AsPath();
        var output = new Option<string>("--out") { Description = "The grid PNG to write; single images go in a folder beside it.", Required = true }.AsPath();
        var command = new Command("sample", "Draw images from the base model, optionally with an adapter at several strengths.")
            { prompts, adapter, strengths, seed, steps, guidance, negative, sampler, baseModel, output };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (writer, cancel) =>
        {
            var error = parse.InvocationConfiguration.Error;
            using var model = PlanRunner.LoadBase(new BasePlan(parse.GetValue(baseModel) is { } b ? Path.GetFullPath(b) : null), e => error.WriteLine($"warning: {((WarningEvent)e).Message}"));
            using var lora = new LoraModel([.. model.Parts]);
            var adapters = new List<(LoraNetwork, double)>();
            if (parse.GetValue(adapter) is { } adapterPath)
                adapters.Add((lora.Add(AdapterFile.Load(adapterPath, lora.Parts, "adapter")), 1.0));
            var rows = parse.GetValue(prompts)!.Select(p => new SamplePrompt(p, parse.GetValue(negative), parse.GetValue(seed), parse.GetValue(steps), parse.GetValue(guidance))).ToList();
            var columns = adapters.Count > 0 ? parse.GetValue(strengths)! : [0.0];
            var grid = PreviewGrid.Draw(model, adapters, rows, columns, parse.GetValue(sampler), parse.GetValue(output)!, null, cancel);
            writer.WriteLine($"grid: {grid.Path} ({rows.Count} prompts × {columns.Length} strengths)");
            return Task.FromResult(ExitCodes.Ok);
        }, token));
        return command;
    }
}
