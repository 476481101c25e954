using LoraNotebooks.Dsl.Diagnostics;

namespace LoraNotebooks.Dsl.Syntax;

/// <summary>Reads script text into a <see cref="ScriptSyntax"/>; never throws.</summary>
internal static class ScriptParser
{
    public static ScriptSyntax Parse(string text, DiagnosticBag diagnostics)
    {
        var (raw, failure) = Grammar.Parse(text);
        if (raw is null)
        {
            diagnostics.Add(DiagnosticDescriptors.ParserFailure, new TextSpan(0, 1, 1, 0), failure!);
            return new ScriptSyntax([], new TextSpan(0, 1, 1, text.Length));
        }
        var tree = SyntaxLayout.Arrange(raw, diagnostics);
        SyntaxErrors.Report(tree, diagnostics);
        return tree;
    }
}
