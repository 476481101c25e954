using System.Diagnostics;
using System.Text;
using LoraNotebooks.Dsl.Completion;
using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Formatting;
using LoraNotebooks.Dsl.Tests.TestSupport;

namespace LoraNotebooks.Dsl.Tests;

/// <summary>Thousands of random and mutated scripts, from a fixed seed so that a failure repeats.</summary>
public class PropertyTests
{
    private const int Cases = 3000;

    private static readonly string[] Tokens =
    [
        "base", "builtin", "dataset", "lora", "train", "sample", "load", "grid", "combine", "merge", "inspect", "evaluate",
        "world", "concept", "\"star\"", "folder", "\"data/red-kite\"", "trigger", "\"zxc\"", "repeats", "rank", "alpha", "dropout",
        "targets", "target", "attention", "steps", "epochs", "batch", "lr", "optimizer", "adamw", "prodigy", "schedule", "cosine",
        "warmup", "every", "prompt", "seed", "strengths", "trained", "into", "prompts", "weights", "validation", "checkpoint",
        "1", "0", "8", "-3", "1e-4", "1e999", "10%", "0.5", "99999999999", "[", "]", ",", "{", "}", ";", "#", "\"", "\n", "\n", " ",
        "\t", "\r\n", "@", "\\", "é", "\0", "1.2.", "[0, 1]", "\"out/x.safetensors\"", "steps", "epoch",
    ];

    [Fact]
    public void no_input_throws_and_every_input_gives_a_plan_or_an_error()
    {
        var random = new Random(20240601);
        var seeds = Directory.GetFiles(Repository.Examples, "*.lora").Concat(Directory.GetFiles(Repository.Golden, "*.lora"))
            .Select(File.ReadAllText).ToArray();
        var scriptPath = Path.Combine(Repository.Examples, "fuzz.lora");
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < Cases; i++)
        {
            var text = (i % 3) switch
            {
                0 => Soup(random),
                1 => Mutate(random, seeds[random.Next(seeds.Length)]),
                _ => Mutate(random, Mutate(random, seeds[random.Next(seeds.Length)])),
            };
            var result = LoraScript.Check(text, scriptPath, Repository.Context);

            var hasError = result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
            Assert.True(hasError ^ result.Plan is not null, $"case {i}: plan and errors disagree for:\n{text}");
            foreach (var d in result.Diagnostics)
            {
                Assert.True(d.Span.Offset >= 0 && d.Span.End <= text.Length && d.Span.Line >= 1 && d.Span.Column >= 1, $"case {i}: span {d} outside:\n{text}");
            }
            var formatted = LoraFormatter.Format(result.Syntax);
            if (!result.Diagnostics.Any(d => d.Id.StartsWith("LORA00", StringComparison.Ordinal)))
            {
                Assert.Equal(formatted, LoraFormatter.Format(formatted));
                Assert.Equal(result.Plan, LoraScript.Check(formatted, scriptPath, Repository.Context).Plan);
            }
            var lines = text.Split('\n');
            var line = random.Next(1, lines.Length + 1);
            Completions.At(text, line, random.Next(1, lines[line - 1].Length + 2), TestWorlds.Instance);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{Cases} cases took {clock.Elapsed}");
    }

    private static string Soup(Random random)
    {
        var text = new StringBuilder();
        var count = random.Next(0, 60);
        for (var i = 0; i < count; i++)
        {
            text.Append(random.Next(10) == 0 ? (char)random.Next(0, 0x3000) : Tokens[random.Next(Tokens.Length)]);
            text.Append(random.Next(3) == 0 ? "" : " ");
        }
        return text.ToString();
    }

    private static string Mutate(Random random, string text)
    {
        if (text.Length == 0) return Soup(random);
        var at = random.Next(text.Length);
        var length = Math.Min(text.Length - at, random.Next(1, 12));
        return random.Next(5) switch
        {
            0 => text.Remove(at, length),
            1 => text.Insert(at, Tokens[random.Next(Tokens.Length)]),
            2 => text.Remove(at, length).Insert(at, Tokens[random.Next(Tokens.Length)]),
            3 => text.Insert(at, text.Substring(random.Next(text.Length - length + 1), length)),
            _ => text[..at] + (char)random.Next(32, 127) + text[(at + 1)..],
        };
    }
}
