using System.Collections.Immutable;
using LoraNotebooks.Dsl.Binding;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Completion;

/// <summary>
/// Best-effort completions for the notebook kernel: the keywords valid in the block around the cursor,
/// or the values and options valid after the words already typed on the line.
/// </summary>
public static class Completions
{
    /// <summary>Suggestions at a one-based <paramref name="line"/> and <paramref name="column"/> (the cursor sits before that column).</summary>
    /// <param name="worlds">Used to offer world families and members; null offers none.</param>
    public static ImmutableArray<CompletionItem> At(string text, int line, int column, IWorldCatalog? worlds = null)
    {
        var lines = text.Split('\n');
        if (line < 1 || line > lines.Length) return [];
        var lineText = lines[line - 1].TrimEnd('\r');
        var before = lineText[..Math.Clamp(column - 1, 0, lineText.Length)];
        var offset = lines.Take(line - 1).Sum(l => l.Length + 1) + before.Length;

        var segment = before[(before.LastIndexOfAny([';', '{', '}']) + 1)..];
        if (InsideStringOrComment(segment)) return [];
        var words = Words(segment);
        var typingNewWord = segment.Length == 0 || char.IsWhiteSpace(segment[^1]);
        var partial = typingNewWord ? "" : words[^1];
        var complete = typingNewWord ? words : words[..^1];

        var items = complete.Count == 0
            ? Keywords(BlockAt(LoraScript.Parse(text).Syntax, offset))
            : AfterWords(complete, worlds);
        return [.. items.Where(i => i.Label.StartsWith(partial, StringComparison.Ordinal))];
    }

    private static IEnumerable<CompletionItem> Keywords(BlockKind place) =>
        Vocabulary.In(place).Select(k => new CompletionItem(k.Name, CompletionKind.Keyword, k.Summary));

    private static IEnumerable<CompletionItem> AfterWords(IReadOnlyList<string> words, IWorldCatalog? worlds)
    {
        var keyword = words[0];
        var previous = words[^1];
        if (words.Count == 1)
        {
            var first = FirstValues(keyword, worlds).ToList();
            if (first.Count > 0) return first;
        }
        if (keyword == "world" && words.Count == 2 && worlds is not null)
        {
            return Values(worlds.MembersOf(previous.Trim('"')).Select(m => "\"" + m + "\""));
        }
        if (keyword is "every" || previous == "every" || (words.Count >= 2 && words[^2] == "every"))
        {
            return previous == "every" ? [] : Values(["steps", "epochs"]);
        }
        if (previous == "sampler") return Values(Vocabulary.Samplers.Keys);
        if (previous == "crop") return Values(Vocabulary.Crops.Keys);
        if (previous == "nesterov") return Values(Vocabulary.Booleans.Keys);
        if (previous == "drawn_by") return Values(Vocabulary.PreservedPictures.Keys);
        var options = keyword switch
        {
            "optimizer" when Vocabulary.Optimizers.TryGetValue(words[1], out var optimizerOptions) => optimizerOptions,
            "schedule" when words[1] == "cosine_with_restarts" => Vocabulary.StatementOptions["schedule"],
            _ => Vocabulary.StatementOptions.GetValueOrDefault(keyword, []),
        };
        return options.Select(o => new CompletionItem(o, CompletionKind.Option, ""));
    }

    private static IEnumerable<CompletionItem> FirstValues(string keyword, IWorldCatalog? worlds) => keyword switch
    {
        "base" => Values([Vocabulary.Builtin]),
        "optimizer" => Values(Vocabulary.Optimizers.Keys),
        "schedule" => Values(Vocabulary.Schedules.Keys),
        "precision" => Values(Vocabulary.Precisions.Keys),
        "sampler" => Values(Vocabulary.Samplers.Keys),
        "crop" => Values(Vocabulary.Crops.Keys),
        "init" => Values(Vocabulary.Inits.Keys),
        "targets" or "target" => Values(Vocabulary.TargetGroups.Keys),
        "flip" or "rslora" or "dora" or "fail_on_bad_images" or "overwrite" => Values(Vocabulary.Booleans.Keys),
        "checkpoint" => Values(["every"]),
        "load" or "merge" or "inspect" => Values([Vocabulary.Trained]),
        "world" when worlds is not null => Values([.. worlds.Families, Plans.WorldSource.HeldIn]),
        "preserve" => Values(Vocabulary.StatementOptions["preserve"]),
        "mask" => Values(Vocabulary.StatementOptions["mask"]),
        _ => [],
    };

    private static IEnumerable<CompletionItem> Values(IEnumerable<string> labels) =>
        labels.Select(l => new CompletionItem(l, CompletionKind.Value, ""));

    /// <summary>The block whose braces surround <paramref name="offset"/>.</summary>
    private static BlockKind BlockAt(ScriptSyntax script, int offset)
    {
        foreach (var statement in script.Statements)
        {
            if (statement.Block is { } block && offset > block.Span.Offset && (offset < block.Span.End || !block.IsClosed))
            {
                return statement.Keyword.Name switch
                {
                    "dataset" => BlockKind.Dataset,
                    "lora" => BlockKind.Lora,
                    "train" => BlockKind.Train,
                    "sample" => BlockKind.Sample,
                    _ => BlockKind.TopLevel,
                };
            }
        }
        return BlockKind.TopLevel;
    }

    private static bool InsideStringOrComment(string segment)
    {
        var quoted = false;
        foreach (var c in segment)
        {
            if (c == '"') quoted = !quoted;
            else if (c == '#' && !quoted) return true;
        }
        return quoted;
    }

    /// <summary>Whitespace-separated words, keeping quoted strings whole.</summary>
    private static List<string> Words(string segment)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in segment)
        {
            if (c == '"') quoted = !quoted;
            if (char.IsWhiteSpace(c) && !quoted)
            {
                if (current.Length > 0) words.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        if (current.Length > 0) words.Add(current.ToString());
        return words;
    }
}
