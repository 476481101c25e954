using System.CommandLine;

namespace LoraNotebooks.Cli.Tests;

/// <summary>Runs the real command tree in process and captures what it prints.</summary>
public static class CliRun
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Task<Result> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <summary>Runs with <paramref name="cancellationToken"/> standing in for Ctrl+C.</summary>
    public static async Task<Result> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await LoraCli.Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
        return new Result(code, output.ToString(), error.ToString());
    }
}
