namespace LoraNotebooks.Dsl.Completion;

/// <summary>What a completion offers.</summary>
public enum CompletionKind
{
    /// <summary>A statement keyword such as <c>rank</c>.</summary>
    Keyword,
    /// <summary>A named value such as <c>adamw</c>, or a world member in quotes.</summary>
    Value,
    /// <summary>An option name such as <c>seed</c> after <c>prompt "..."</c>.</summary>
    Option,
}

/// <summary>One suggestion: the text to insert, its kind, and a short description (may be empty).</summary>
public sealed record CompletionItem(string Label, CompletionKind Kind, string Detail);
