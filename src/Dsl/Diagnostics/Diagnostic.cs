namespace LoraNotebooks.Dsl.Diagnostics;

using LoraNotebooks.Dsl.Syntax;

/// <summary>One problem found in a script: a stable <see cref="Id"/> (<c>LORA0112</c>), a severity, where, and one message.</summary>
public sealed record Diagnostic(string Id, DiagnosticSeverity Severity, TextSpan Span, string Message)
{
    /// <summary>
    /// Compiler-style text, <c>FILE(LINE,COL): error LORA0112: message</c>;
    /// without a file the line starts at the parenthesis.
    /// </summary>
    public string ToString(string? file) =>
        $"{file}{Span}: {Severity.ToString().ToLowerInvariant()} {Id}: {Message}";

    /// <inheritdoc/>
    public override string ToString() => ToString(null);
}
