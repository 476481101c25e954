using System.CommandLine;
using System.Globalization;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Data;
using LoraNotebooks.Engine.Imaging;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora demo OUT</c>: the whole path in one command, on the built-in base model — export a
/// concept from the world as a dataset, train a LoRA on it, save the adapter (kohya layout) and a
/// before/after grid (rows: prompts × seeds; columns: strength 0 then 1).
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var output = new Argument<string>("out") { Description = "Folder for the dataset, the adapter and the grid." };
        var steps = new Option<int>("--steps") { Description = "Training steps.", DefaultValueFactory = _ => 60 };
        var member = new Option<string>("--concept") { Description = "Which held-out concept to teach.", DefaultValueFactory = _ => "star" };
        var command = new Command("demo", "Train a small LoRA on the built-in base model and write the adapter and a before/after grid.")
            { output, steps, member };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (writer, cancel) =>
            Task.FromResult(Run(parse.GetValue(output)!, parse.GetValue(steps), parse.GetValue(member)!, writer, cancel)), token));
        return command;
    }

    private static int Run(string outDir, int steps, string concept, TextWriter writer, CancellationToken cancel)
    {
        var inv = CultureInfo.InvariantCulture;
        Directory.CreateDirectory(outDir);
        var dataDir = Path.Combine(outDir, "data");
        WorldExporter.Export("concept", concept, dataDir, count: 16, seed: 0);
        var model = BuiltInBase.Load(out var pretrained);
        writer.WriteLine(pretrained
            ? "base model: built-in"
            : "base model: built-in architecture, NOT pretrained yet (no assets/base.safetensors): samples will be noise");
        var size = model.Config.Unet.SampleSize;
        var data = CaptionedFolder.Read(dataDir, size);
        writer.WriteLine($"dataset: {data.Images.Count} images of the '{concept}' concept in {Path.GetFullPath(dataDir)}");

        using var lora = new LoraModel(model.Parts);
        var options = new LoraTrainingOptions { Steps = steps };
        var network = LoraTrainer.Train(model, lora, concept, data.Images, options, step =>
        {
            if (step.Step == 1 || step.Step % 10 == 0 || step.Step == step.TotalSteps)
                writer.WriteLine(string.Create(inv,
                    $"step {step.Step,4}/{step.TotalSteps}  loss {step.Loss:0.0000}  smoothed {step.SmoothedLoss:0.0000}  {step.ImagesPerSecond:0.0} img/s  eta {step.Eta:mm\\:ss}"));
        }, cancel);

        var adapterPath = Path.Combine(outDir, $"{concept}.safetensors");
        AdapterFile.Save(network, adapterPath, metadata: new Dictionary<string, string>
        {
            ["modelspec.title"] = $"{concept} (LoraNotebooks demo)",
            ["modelspec.trigger_phrase"] = concept,
            ["modelspec.architecture"] = "loranotebooks-tiny/lora",
            ["ss_steps"] = steps.ToString(inv),
            ["ss_learning_rate"] = options.LearningRate.ToString("R", inv),
            ["ss_optimizer"] = "AdamW",
            ["ss_num_train_images"] = data.Images.Count.ToString(inv),
            ["ss_seed"] = options.Seed.ToString(inv),
        });
        writer.WriteLine($"adapter: {Path.GetFullPath(adapterPath)} ({network.ParameterCount:N0} parameters)");

        string[] prompts = [$"a large red {concept} in the center, gray background", $"a small blue {concept} on the left, white background"];
        long[] seeds = [1, 2];
        var tiles = new List<byte[]>();
        foreach (var prompt in prompts)
            foreach (var seed in seeds)
                foreach (var strength in new[] { 0.0, 1.0 })
                {
                    network.Strength = strength;
                    using var image = model.Sample([prompt], [seed]);
                    tiles.Add(ImageTensors.ToRgb(image)[0]);
                }
        var gridPath = Path.Combine(outDir, "before-after.png");
        RgbImage.WriteGrid(gridPath, tiles, size, columns: 2);
        writer.WriteLine($"grid: {Path.GetFullPath(gridPath)} (rows: prompt × seed; columns: without, with the LoRA)");
        return ExitCodes.Ok;
    }
}
