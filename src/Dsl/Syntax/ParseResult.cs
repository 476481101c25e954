using System.Collections.Immutable;
using LoraNotebooks.Dsl.Diagnostics;

namespace LoraNotebooks.Dsl.Syntax;

/// <summary>The syntax tree of a script and the syntax errors found while reading it.</summary>
public sealed record ParseResult(ScriptSyntax Syntax, ImmutableArray<Diagnostic> Diagnostics)
{
    /// <summary>True when any diagnostic is an error.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
}
