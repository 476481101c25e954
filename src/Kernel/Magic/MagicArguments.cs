using System.Text;

namespace LoraNotebooks.Kernel.Magic;

/// <summary>The words of a magic line after its action, split into positional values and <c>--options</c>.</summary>
/// <param name="Positional">Values not preceded by an option name.</param>
/// <param name="Options">Each option name with every value given for it, in order.</param>
public sealed record MagicArguments(IReadOnlyList<string> Positional, IReadOnlyDictionary<string, List<string>> Options)
{
    /// <summary>The single value of <paramref name="option"/>, or null.</summary>
    public string? One(string option) => Options.TryGetValue(option, out var values) ? values[^1] : null;

    /// <summary>Every value of <paramref name="option"/>.</summary>
    public IReadOnlyList<string> All(string option) => Options.TryGetValue(option, out var values) ? values : [];

    /// <summary>Splits <paramref name="line"/> (a whole <c>#!lora-do ...</c> line) into its action and arguments, checking them against <paramref name="spec"/>.</summary>
    /// <returns>Null and an error message when the line does not fit the spec.</returns>
    public static (string Action, MagicArguments? Arguments, string? Error) Parse(string line, MagicSpec spec)
    {
        var words = Words(line);
        if (words.Count == 0 || words[0] != spec.Name)
            return ("", null, $"not a {spec.Name} line");
        if (words.Count == 1)
            return ("help", new MagicArguments([], new Dictionary<string, List<string>>()), null);
        var actionName = words[1];
        var action = spec.Actions.FirstOrDefault(a => a.Name == actionName);
        if (action is null)
            return (actionName, null, $"unknown action '{actionName}'; actions: {string.Join(", ", spec.Actions.Select(a => a.Name))}");

        var positional = new List<string>();
        var options = new Dictionary<string, List<string>>();
        for (var i = 2; i < words.Count; i++)
        {
            var word = words[i];
            if (!word.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(word);
                continue;
            }
            var option = action.Options.FirstOrDefault(o => o.Name == word);
            if (option is null)
                return (action.Name, null, $"unknown option '{word}' for '{spec.Name} {action.Name}'; " +
                    (action.Options.Count == 0 ? "it takes no options" : $"options: {string.Join(", ", action.Options.Select(o => o.Name))}"));
            if (i + 1 >= words.Count || words[i + 1].StartsWith("--", StringComparison.Ordinal))
                return (action.Name, null, $"option '{word}' needs a value ({option.Description})");
            if (options.ContainsKey(word) && !option.Repeatable)
                return (action.Name, null, $"option '{word}' can be given only once");
            (options.TryGetValue(word, out var list) ? list : options[word] = []).Add(words[++i]);
        }
        if (positional.Count != action.Positional.Count)
            return (action.Name, null, action.Positional.Count == 0
                ? $"'{spec.Name} {action.Name}' takes no values without an option name; got '{string.Join(" ", positional)}'"
                : $"'{spec.Name} {action.Name}' needs {string.Join(" ", action.Positional.Select(p => p.ToUpperInvariant()))}; usage: {action.Usage(spec.Name)}");
        foreach (var required in action.Options.Where(o => o.Required && !options.ContainsKey(o.Name)))
            return (action.Name, null, $"'{spec.Name} {action.Name}' needs {required.Name}; usage: {action.Usage(spec.Name)}");
        return (action.Name, new MagicArguments(positional, options), null);
    }

    /// <summary>Whitespace-separated words; double quotes group words and <c>\"</c> escapes a quote.</summary>
    public static List<string> Words(string line)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var any = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && quoted && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; continue; }
            if (c == '"') { quoted = !quoted; any = true; continue; }
            if (char.IsWhiteSpace(c) && !quoted)
            {
                if (current.Length > 0 || any) words.Add(current.ToString());
                current.Clear();
                any = false;
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0 || any) words.Add(current.ToString());
        return words;
    }
}
