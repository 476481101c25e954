using System.Text;
using LoraNotebooks.Dsl;
using LoraNotebooks.Dsl.Completion;
using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Formatting;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Fuzz.Targets;

/// <summary>
/// The training language: token soup, random bytes read as UTF-8 the way a script file is read,
/// and mutations of the examples and golden scripts, through parse, check, format and completion.
/// Check must give a plan or errors (never both, never neither), spans inside the text, and no exception.
/// </summary>
public sealed class LanguageTarget : IFuzzTarget
{
    // Parsing keeps the text, a tree over it, diagnostics and Pidgin's state: budget per character.
    private const int BytesPerCharacter = 4096;
    private const int AllocationSlack = 2 << 20;

    private static readonly string[] Tokens =
    [
        "base", "builtin", "dataset", "lora", "train", "sample", "load", "grid", "combine", "merge", "inspect", "evaluate",
        "world", "concept", "\"star\"", "folder", "\"data/red-kite\"", "trigger", "\"zxc\"", "repeats", "rank", "alpha", "dropout",
        "targets", "target", "attention", "steps", "epochs", "batch", "lr", "optimizer", "adamw", "prodigy", "schedule", "cosine",
        "warmup", "every", "prompt", "seed", "strengths", "trained", "into", "prompts", "weights", "validation", "checkpoint",
        "resume", "output", "overwrite", "resolution", "precision",
        "1", "0", "8", "-3", "1e-4", "1e999", "-1e999", "10%", "0.5", "99999999999", "99999999999999999999999", "NaN", "[", "]", ",",
        "{", "}", ";", "#", "\"", "\n", "\n", " ", "\t", "\r\n", "\r", "@", "\\", "é", "\0", "\uFEFF", "\u2028", "1.2.", "[0, 1]",
        "\"out/x.safetensors\"", "\"/etc/passwd\"", "\"../../x\"", "\"\"", "steps", "epoch",
    ];

    private readonly string[] _seeds;
    private readonly CheckContext _context;
    private readonly string _scriptPath;

    /// <summary>Seeds from the repository's examples and golden scripts; relative paths in scripts resolve in a scratch folder.</summary>
    public LanguageTarget()
    {
        var root = RepositoryRoot();
        _seeds = Directory.GetFiles(Path.Combine(root, "examples"), "*.lora")
            .Concat(Directory.GetFiles(Path.Combine(root, "tests", "Dsl.Tests", "Golden"), "*.lora"))
            .Order(StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
        _scriptPath = Path.Combine(Path.GetTempPath(), "lora-fuzz", "fuzz.lora");
        _context = new CheckContext(WorldCatalog.Instance);
    }

    /// <inheritdoc />
    public string Name => "language";

    /// <inheritdoc />
    public TimeSpan CaseLimit => TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public FuzzCase Next(Random random)
    {
        var (recipe, text) = random.Next(10) switch
        {
            0 => ("random bytes", Encoding.UTF8.GetString(RandomBytes(random))),
            1 or 2 or 3 => ("soup", Soup(random)),
            4 => ("example", _seeds[random.Next(_seeds.Length)]),
            _ => ("mutated example", Mutations(random, _seeds[random.Next(_seeds.Length)])),
        };
        return new FuzzCase(recipe, Encoding.UTF8.GetBytes(text), MustAccept: false);
    }

    /// <inheritdoc />
    public FuzzOutcome Run(FuzzCase input)
    {
        var text = Encoding.UTF8.GetString(input.Bytes);
        var result = LoraScript.Check(text, _scriptPath, _context);
        var hasError = result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        if (hasError == result.Plan is not null)
            throw new InvalidOperationException(hasError ? "a plan despite errors" : "no plan and no error");
        foreach (var d in result.Diagnostics)
            if (d.Span.Offset < 0 || d.Span.End > text.Length || d.Span.Line < 1 || d.Span.Column < 1)
                throw new InvalidOperationException($"span {d.Span} of {d.Id} outside a {text.Length}-character text");
        LoraFormatter.Format(result.Syntax);
        var lines = text.Split('\n');
        var line = input.Bytes.Length % lines.Length;
        Completions.At(text, line + 1, lines[line].Length / 2 + 1, WorldCatalog.Instance);
        return result.Plan is null ? FuzzOutcome.Rejected : FuzzOutcome.Accepted;
    }

    /// <inheritdoc />
    public long AllocationBudget(FuzzCase input) => input.Size * BytesPerCharacter + AllocationSlack;

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Soup(Random random)
    {
        var text = new StringBuilder();
        for (var i = random.Next(0, 80); i > 0; i--)
        {
            text.Append(random.Next(10) == 0 ? (char)random.Next(0, 0x3000) : Tokens[random.Next(Tokens.Length)]);
            text.Append(random.Next(3) == 0 ? "" : " ");
        }
        return text.ToString();
    }

    private static string Mutations(Random random, string text)
    {
        for (var i = random.Next(1, 6); i > 0; i--)
            text = Mutate(random, text);
        return text;
    }

    private static string Mutate(Random random, string text)
    {
        if (text.Length == 0)
            return Soup(random);
        var at = random.Next(text.Length);
        var length = Math.Min(text.Length - at, random.Next(1, 12));
        return random.Next(7) switch
        {
            0 => text.Remove(at, length),
            1 => text.Insert(at, Tokens[random.Next(Tokens.Length)]),
            2 => text.Remove(at, length).Insert(at, Tokens[random.Next(Tokens.Length)]),
            3 => text.Insert(at, text.Substring(random.Next(text.Length - length + 1), length)),
            4 => text.Insert(at, new string(random.Next(2) == 0 ? '[' : '"', random.Next(1, 2000))),
            5 => text.Insert(at, string.Concat(Enumerable.Repeat(text.Substring(at, length), random.Next(2, 200)))),
            _ => text[..at] + (char)random.Next(32, 127) + text[(at + 1)..],
        };
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
                if (File.Exists(Path.Combine(folder.FullName, "LoraNotebooks.sln")))
                    return folder.FullName;
        throw new DirectoryNotFoundException("the language fuzz target needs the repository (its examples): run it inside the repository");
    }
}
