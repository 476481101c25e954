using System.CommandLine;

namespace LoraNotebooks.Cli.Tests;

/// <summary>Runs the real command tree in process and captures what it prints.</summary>
public static class CliRun
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await LoraCli.Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return new Result(code, output.ToString(), error.ToString());
    }
}
