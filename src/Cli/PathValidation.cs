using System.CommandLine;

namespace LoraNotebooks.Cli;

/// <summary>
/// Path arguments refuse what no file system takes (an empty path, a NUL character) while the command
/// line is parsed, so the user gets a parse error (exit code 1) rather than an exception from deep inside.
/// </summary>
internal static class PathValidation
{
    /// <summary>Marks <paramref name="argument"/> as a path.</summary>
    public static Argument<string> AsPath(this Argument<string> argument)
    {
        argument.Validators.Add(result => Check(result.GetValueOrDefault<string>(), argument.Name, result.AddError));
        return argument;
    }

    /// <summary>Marks <paramref name="option"/> as a path.</summary>
    public static Option<T> AsPath<T>(this Option<T> option)
    {
        option.Validators.Add(result => Check(result.GetValueOrDefault<T>() as string, option.Name, result.AddError));
        return option;
    }

    private static void Check(string? value, string name, Action<string> error)
    {
        if (value is null)
            return;
        if (string.IsNullOrWhiteSpace(value))
            error($"{name}: a path cannot be empty");
        else if (value.Contains('\0'))
            error($"{name}: a path cannot hold a NUL character");
    }
}
