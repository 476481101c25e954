// Trains the shipped world judge and measures it: `dotnet run -c Release tools/train-judge.cs [STEPS] [OUT]`.
// Writes assets/judge.safetensors by default and prints the numbers docs/judge.md records.
#:project ../src/Engine/Engine.csproj
using System.Diagnostics;
using LoraNotebooks.Engine.Judging;
using LoraNotebooks.Engine.World;
using static TorchSharp.torch;

var defaults = new JudgeTrainingOptions();
var options = args.Length > 0 ? defaults with { Steps = int.Parse(args[0]) } : defaults;
var output = args.Length > 1 ? args[1] : "assets/judge.safetensors";
Console.WriteLine($"training {options.Steps} steps of {options.BatchSize} pictures, {get_num_threads()} threads");

var judge = JudgeTrainer.Train(options, p =>
{
    if (p.Step % 100 == 0 || p.Step == options.Steps)
        Console.WriteLine($"step {p.Step,5}  loss {p.Loss:F4}  {p.Elapsed.TotalSeconds,6:F0} s");
});
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
judge.Save(output, JudgeTrainer.Metadata(options));
Console.WriteLine($"wrote {output} ({new FileInfo(output).Length / 1024.0:F0} KiB)");

// Fresh pictures: training uses non-negative world seeds, so a negative one was never seen.
var fresh = JudgeData.Mixed(5000, seed: -1);
var clock = Stopwatch.StartNew();
var accuracy = judge.Accuracy(fresh);
Console.WriteLine($"judged {fresh.Count} fresh pictures in {clock.Elapsed.TotalSeconds:F1} s");
Console.WriteLine("| attribute | " + string.Join(" | ", WorldVocabulary.Attributes) + " |");
Console.WriteLine("|---|" + string.Concat(WorldVocabulary.Attributes.Select(_ => "---|")));
Row("all (5000)", accuracy);
Row("held-in (1000)", judge.Accuracy(WorldGenerator.HeldIn(1000, seed: -1)));
foreach (var family in Families.All)
    Row($"{family.Name} ({250 * family.Members.Count})",
        judge.Accuracy(family.Members.SelectMany(m => WorldGenerator.Member(family.Name, m.Name, 250, seed: -1)).ToArray()));

static void Row(string name, IReadOnlyDictionary<string, double> accuracy) =>
    Console.WriteLine($"| {name} | " + string.Join(" | ", accuracy.Values.Select(v => $"{100 * v:F1}")) + " |");
