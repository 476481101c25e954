using System.Collections.Immutable;
using System.Text;
using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Preflight;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl;

/// <summary>
/// Everything checking a script found: its syntax tree, diagnostics in source order, and, when there
/// is no error, the plan to run and (when it trains) the pre-flight summary.
/// </summary>
public sealed record CheckResult(ScriptSyntax Syntax, ImmutableArray<Diagnostic> Diagnostics, ScriptPlan? Plan, PreflightSummary? Summary)
{
    /// <summary>True when any diagnostic is an error; then <see cref="Plan"/> is null.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>Diagnostics compiler-style (<c>FILE(LINE,COL): error LORA0112: ...</c>), then the pre-flight summary.</summary>
    public string Render(string? file)
    {
        var text = new StringBuilder();
        foreach (var diagnostic in Diagnostics) text.AppendLine(diagnostic.ToString(file));
        if (Summary is not null)
        {
            if (text.Length > 0) text.AppendLine();
            text.Append(PreflightRenderer.Render(Summary));
        }
        return text.ToString();
    }
}
