namespace LoraNotebooks.Kernel.Magic;

/// <summary>A magic command: its name and its actions (subcommands).</summary>
public sealed record MagicSpec(string Name, IReadOnlyList<MagicAction> Actions);

/// <summary>One action: what it does, its positional values and its options.</summary>
public sealed record MagicAction(string Name, string Description, IReadOnlyList<string> Positional, IReadOnlyList<MagicOption> Options)
{
    /// <summary>A one-line usage, e.g. <c>#!lora-do inspect PATH</c>.</summary>
    public string Usage(string magic) =>
        string.Join(" ", new[] { magic, Name }
            .Concat(Positional.Select(p => p.ToUpperInvariant()))
            .Concat(Options.Select(o => o.Required ? $"{o.Name} {o.ValueName}" : $"[{o.Name} {o.ValueName}]{(o.Repeatable ? "..." : "")}")));
}

/// <summary>An option that takes one value.</summary>
public sealed record MagicOption(string Name, string ValueName, string Description, bool Required = false, bool Repeatable = false);
