using LoraNotebooks.Dsl.Diagnostics;

namespace LoraNotebooks.Dsl.Syntax;

/// <summary>Reports every error node the grammar left in the tree.</summary>
internal static class SyntaxErrors
{
    public static void Report(ScriptSyntax script, DiagnosticBag diagnostics)
    {
        foreach (var item in script.Items) Report(item, diagnostics);
    }

    private static void Report(ItemSyntax item, DiagnosticBag diagnostics)
    {
        switch (item)
        {
            case BadLineSyntax { Text: "}" } stray:
                diagnostics.Add(DiagnosticDescriptors.UnmatchedCloseBrace, stray.Span);
                break;
            case BadLineSyntax bad:
                var firstWord = bad.Text.Split([' ', '\t'], 2)[0];
                diagnostics.Add(DiagnosticDescriptors.ExpectedKeyword, bad.Span with { Length = firstWord.Length }, firstWord);
                break;
            case StatementSyntax statement:
                foreach (var argument in statement.Arguments) Report(argument, diagnostics);
                if (statement.Block is { } block)
                {
                    if (!block.IsClosed) diagnostics.Add(DiagnosticDescriptors.UnclosedBlock, block.Span with { Length = 1 });
                    foreach (var inner in block.Items) Report(inner, diagnostics);
                }
                break;
        }
    }

    private static void Report(ValueSyntax value, DiagnosticBag diagnostics)
    {
        switch (value)
        {
            case BadValueSyntax bad:
                diagnostics.Add(DiagnosticDescriptors.UnexpectedText, bad.Span, bad.Text);
                break;
            case StringSyntax { IsTerminated: false } text:
                diagnostics.Add(DiagnosticDescriptors.UnterminatedString, text.Span);
                break;
            case ListSyntax list:
                if (!list.IsClosed) diagnostics.Add(DiagnosticDescriptors.UnclosedList, list.Span with { Length = 1 });
                foreach (var element in list.Items) Report(element, diagnostics);
                break;
        }
    }
}
