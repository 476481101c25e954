using System.Text;
using System.Text.RegularExpressions;

namespace LoraNotebooks.Engine.Lora;

/// <summary>Matches dotted module paths against the globs of <see cref="TargetRule"/>.</summary>
public sealed class TargetGlob
{
    private readonly Regex _regex;

    /// <summary>Compiles <paramref name="pattern"/>; see <see cref="TargetRule.Pattern"/> for the syntax.</summary>
    public TargetGlob(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
            throw new UserErrorException("a target pattern must not be empty");
        Pattern = pattern;
        var bare = !pattern.Contains('.') && !pattern.Contains('*');
        var regex = new StringBuilder(bare ? "(^|\\.)" : "^");
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                regex.Append(".*");
                i++;
            }
            else if (pattern[i] == '*')
                regex.Append("[^.]*");
            else
                regex.Append(Regex.Escape(pattern[i].ToString()));
        }
        regex.Append('$');
        _regex = new Regex(regex.ToString(), RegexOptions.CultureInvariant);
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>True when <paramref name="path"/> matches.</summary>
    public bool IsMatch(string path) => _regex.IsMatch(path);
}
