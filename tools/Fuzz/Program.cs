using System.Globalization;
using LoraNotebooks.Fuzz;
using LoraNotebooks.Fuzz.Targets;

// lora-fuzz TARGET [--cases N] [--seconds S] [--seed K] [--case I]: runs one fuzz target and prints its report.
// Exit code 0 when clean, 1 for a bad command line, 2 when something was found, 3 on a hang (from the watchdog).
var usage = "usage: LoraNotebooks.Fuzz safetensors|adapter|image|language [--cases N] [--seconds S] [--seed K] [--case I]";
// The crash-safety test's child process (tests/Engine.Tests/Fuzzing/CrashSafetyTests.cs): crash-writer PATH [COUNT].
if (args is ["crash-writer", var target, ..])
    return CrashWriter.Run(target, args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : long.MaxValue);

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine(usage);
    return args.Length == 0 ? 1 : 0;
}
Func<IFuzzTarget>? make = args[0] switch
{
    "safetensors" => () => new SafeTensorsTarget(),
    "adapter" => () => new AdapterTarget(),
    "image" => () => new ImageTarget(),
    "language" => () => new LanguageTarget(),
    _ => null,
};
if (make is null)
{
    Console.Error.WriteLine($"fuzz: unknown target '{args[0]}'\n{usage}");
    return 1;
}

long cases = long.MaxValue;
var seconds = 60.0;
var seed = 1;
long? only = null;
for (var i = 1; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    var ok = args[i] switch
    {
        "--cases" => long.TryParse(value, CultureInfo.InvariantCulture, out cases),
        "--seconds" => double.TryParse(value, CultureInfo.InvariantCulture, out seconds),
        "--seed" => int.TryParse(value, CultureInfo.InvariantCulture, out seed),
        "--case" => long.TryParse(value, CultureInfo.InvariantCulture, out var index) && (only = index) is not null,
        _ => false,
    };
    if (!ok)
    {
        Console.Error.WriteLine($"fuzz: bad option '{args[i]} {value}'\n{usage}");
        return 1;
    }
    i++;
}
if (args.Contains("--cases") && !args.Contains("--seconds"))
    seconds = double.PositiveInfinity;

LoraNotebooks.Engine.Native.TorchNativeLoader.EnsureLoadable();
TorchSharp.torch.set_num_threads(1);
var report = FuzzRunner.Run(make(), seed, cases, TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 2)), only, Console.Error.WriteLine);
foreach (var finding in report.Findings)
    Console.WriteLine($"{finding.Kind}: case {finding.Case} ({finding.Recipe}): {finding.Problem}\n  input: {finding.InputBase64}\n  rerun: --seed {report.Seed} --case {finding.Case}");
Console.WriteLine(report);
return report.Clean ? 0 : 2;
