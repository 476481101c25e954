using LoraNotebooks.Dsl.Syntax;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Events;
using DslDiagnostic = LoraNotebooks.Dsl.Diagnostics.Diagnostic;
using DslSeverity = LoraNotebooks.Dsl.Diagnostics.DiagnosticSeverity;
using RoslynSeverity = Microsoft.CodeAnalysis.DiagnosticSeverity;

namespace LoraNotebooks.Kernel.Hosting;

/// <summary>The one place where the language's 1-based spans become .NET Interactive's 0-based ones.</summary>
internal static class Spans
{
    /// <summary>A diagnostic with a 0-based start and end (the end found by walking the text).</summary>
    public static Diagnostic ToInteractive(DslDiagnostic diagnostic, string text) => new(
        ToLinePositionSpan(diagnostic.Span, text),
        diagnostic.Severity switch
        {
            DslSeverity.Error => RoslynSeverity.Error,
            DslSeverity.Warning => RoslynSeverity.Warning,
            _ => RoslynSeverity.Info,
        },
        diagnostic.Id,
        diagnostic.Message);

    /// <summary>The 0-based line/character span of a 1-based <see cref="TextSpan"/>.</summary>
    public static LinePositionSpan ToLinePositionSpan(TextSpan span, string text)
    {
        var start = new LinePosition(span.Line - 1, span.Column - 1);
        int line = start.Line, character = start.Character;
        for (var i = span.Offset; i < Math.Min(span.End, text.Length); i++)
        {
            if (text[i] == '\n') { line++; character = 0; }
            else character++;
        }
        return new LinePositionSpan(start, new LinePosition(line, character));
    }

    /// <summary>The span of the word being typed before <paramref name="position"/> (what a completion replaces).</summary>
    public static LinePositionSpan WordBefore(string text, LinePosition position)
    {
        var lines = text.Split('\n');
        var lineText = position.Line < lines.Length ? lines[position.Line] : "";
        var end = Math.Min(position.Character, lineText.Length);
        var start = end;
        while (start > 0 && (char.IsLetterOrDigit(lineText[start - 1]) || lineText[start - 1] == '_')) start--;
        return new LinePositionSpan(new LinePosition(position.Line, start), new LinePosition(position.Line, end));
    }
}
