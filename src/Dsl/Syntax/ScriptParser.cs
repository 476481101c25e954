using LoraNotebooks.Dsl.Diagnostics;

namespace LoraNotebooks.Dsl.Syntax;

/// <summary>Reads script text into a <see cref="ScriptSyntax"/>; never throws.</summary>
internal static class ScriptParser
{
    /// <summary>
    /// How deep lists and blocks may nest. Parsing and every later pass recurse once per level, so
    /// hostile text could otherwise overflow the stack (a crash no handler can catch); real scripts nest two or three deep.
    /// </summary>
    public const int MaxNesting = 64;

    public static ScriptSyntax Parse(string text, DiagnosticBag diagnostics)
    {
        if (TooDeep(text) is { } deep)
        {
            diagnostics.Add(DiagnosticDescriptors.ParserFailure, deep, $"lists and blocks nest more than {MaxNesting} deep here");
            return new ScriptSyntax([], new TextSpan(0, 1, 1, text.Length));
        }
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

    /// <summary>Where '[' or '{' first opens level <see cref="MaxNesting"/> + 1, outside strings and comments; null when nothing nests that deep.</summary>
    private static TextSpan? TooDeep(string text)
    {
        var depth = 0;
        var (line, column) = (1, 1);
        var inString = false;
        var inComment = false;
        for (var i = 0; i < text.Length; i++, column++)
        {
            var c = text[i];
            if (c == '\n')
            {
                (inString, inComment) = (false, false);
                (line, column) = (line + 1, 0);
            }
            else if (inComment)
                continue;
            else if (inString)
            {
                if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
                    (i, column) = (i + 1, column + 1);
                else if (c is '"' or '\r')
                    inString = false;
            }
            else if (c == '"')
                inString = true;
            else if (c == '#')
                inComment = true;
            else if (c is '[' or '{' && ++depth > MaxNesting)
                return new TextSpan(i, line, column, 1);
            else if (c is ']' or '}')
                depth = Math.Max(0, depth - 1);
        }
        return null;
    }
}
