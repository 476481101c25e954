using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Binding;

/// <summary>
/// The statements of one block (or the top level) sorted by keyword. Reading reports keywords that
/// are unknown (did-you-mean), belong in another block, repeat, or lack or carry a block wrongly.
/// </summary>
internal sealed class Section
{
    private readonly Dictionary<string, List<StatementSyntax>> byKeyword = [];

    private Section() { }

    public static Section Read(IEnumerable<StatementSyntax> statements, BlockKind place, DiagnosticBag diagnostics)
    {
        var section = new Section();
        foreach (var statement in statements)
        {
            var keyword = statement.Keyword;
            var spec = Vocabulary.Find(place, keyword.Name);
            if (spec is null)
            {
                ReportUnknown(keyword, place, diagnostics);
                continue;
            }
            if (section.byKeyword.TryGetValue(keyword.Name, out var seen) && !spec.Repeatable)
            {
                diagnostics.Add(DiagnosticDescriptors.Duplicate, keyword.Span, keyword.Name, seen[0].Keyword.Span);
                continue;
            }
            if (spec.OpensBlock && statement.Block is null)
            {
                diagnostics.Add(DiagnosticDescriptors.BlockRequired, keyword.Span, keyword.Name);
                continue;
            }
            if (!spec.OpensBlock && statement.Block is not null)
            {
                diagnostics.Add(DiagnosticDescriptors.BlockNotAllowed, statement.Block.Span with { Length = 1 }, keyword.Name);
            }
            if (seen is null) section.byKeyword[keyword.Name] = seen = [];
            seen.Add(statement);
        }
        return section;
    }

    public StatementSyntax? One(string keyword) => byKeyword.TryGetValue(keyword, out var list) ? list[0] : null;

    public IReadOnlyList<StatementSyntax> All(string keyword) => byKeyword.TryGetValue(keyword, out var list) ? list : [];

    private static void ReportUnknown(NameSyntax keyword, BlockKind place, DiagnosticBag diagnostics)
    {
        var home = Vocabulary.Keywords.FirstOrDefault(k => k.Name == keyword.Name);
        if (home is not null)
        {
            diagnostics.Add(DiagnosticDescriptors.KeywordInWrongBlock, keyword.Span, keyword.Name, Vocabulary.Describe(home.Place), Vocabulary.Describe(place));
            return;
        }
        var known = Vocabulary.In(place).Select(k => k.Name).Distinct().ToList();
        diagnostics.Add(DiagnosticDescriptors.UnknownKeyword, keyword.Span, keyword.Name, Vocabulary.Describe(place), DidYouMean.Hint(keyword.Name, known));
    }
}
