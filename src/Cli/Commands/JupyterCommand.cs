using System.CommandLine;
using System.Text.Json;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora jupyter install [--path DIR]</c>: writes a Jupyter kernelspec that starts the .NET Interactive
/// host by absolute path (no PATH lookup at kernel start), with its HTTP listener bound to loopback
/// (<c>--http-local-only</c>) and interrupts sent as SIGINT, which the extension turns into a cancel.
/// </summary>
public static class JupyterCommand
{
    /// <summary>The kernelspec's name: notebooks name it in their metadata.</summary>
    public const string KernelName = "lora-csharp";

    /// <summary>The host version the project is tested with.</summary>
    public const string HostVersion = "1.0.712001";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var path = new Option<string?>("--path") { Description = "The Jupyter kernels folder to write into (default: $JUPYTER_DATA_DIR/kernels or ~/.local/share/jupyter/kernels)." }.AsPath();
        var host = new Option<string?>("--host") { Description = "The dotnet-interactive executable (default: found on PATH or in ~/.dotnet/tools)." }.AsPath();
        var install = new Command("install", $"Write the '{KernelName}' kernelspec: C# with the LoRA extension available.") { path, host };
        install.SetAction((parse, token) => CommandRunner.RunAsync(parse, (writer, _) =>
            Task.FromResult(Install(parse.GetValue(path), parse.GetValue(host), writer)), token));
        return new Command("jupyter", "Set up Jupyter for LoraNotebooks.") { install };
    }

    private static int Install(string? kernelsFolder, string? hostPath, TextWriter writer)
    {
        var host = hostPath is null ? FindHost() : Path.GetFullPath(hostPath);
        if (host is null || !File.Exists(host))
            throw new FileNotFoundException(
                $"dotnet-interactive was not found{(host is null ? "" : $" at {host}")}; install it with: dotnet tool install -g Microsoft.dotnet-interactive --version {HostVersion}");
        var folder = Path.Combine(Path.GetFullPath(kernelsFolder ?? DefaultKernelsFolder()), KernelName);
        Directory.CreateDirectory(folder);
        var env = new Dictionary<string, string>
        {
            ["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1",
            // A 256 MB gen-0 budget makes garbage collections rare while training. TorchSharp 0.107 reads only the
            // handle of the Scalar it makes for `tensor + tensor` or `tensor * 2.0`, so a collection during the native
            // call can finalize the scalar under libtorch ("Expected false to be true ... toFloat"); a notebook that
            // trained several adapters in one kernel hit it (docs/notebooks.md).
            ["DOTNET_GCgen0size"] = "0x10000000",
        };
        if (DotnetRoot() is { } root) env["DOTNET_ROOT"] = root;
        var spec = new
        {
            argv = SignalReset().Concat([host, "jupyter", "--default-kernel", "csharp", "--http-local-only", "{connection_file}"]).ToArray(),
            display_name = ".NET (C#) with LoRA",
            language = "C#",
            interrupt_mode = "signal",
            env,
        };
        var file = Path.Combine(folder, "kernel.json");
        Engine.AtomicFile.WriteAllText(file, JsonSerializer.Serialize(spec, new JsonSerializerOptions { WriteIndented = true }));
        writer.WriteLine($"wrote {file}");
        writer.WriteLine($"kernel '{KernelName}' runs {host}");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// <c>env --default-signal=INT</c> where this machine's <c>env</c> has it (GNU coreutils 8.31 and later), else nothing.
    /// A Jupyter started in the background (<c>jupyter lab &amp;</c>, <c>nohup</c>, many container start scripts) passes
    /// SIGINT on as ignored, and .NET then never delivers it: the interrupt button would do nothing. The reset
    /// gives the host the default disposition, so the extension's interrupt handler works however Jupyter started.
    /// </summary>
    internal static string[] SignalReset()
    {
        const string env = "/usr/bin/env";
        if (!OperatingSystem.IsLinux() || !File.Exists(env)) return [];
        try
        {
            using var probe = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(env, ["--default-signal=INT", "true"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            });
            if (probe is null || !probe.WaitForExit(5000)) return [];
            return probe.ExitCode == 0 ? [env, "--default-signal=INT"] : [];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }
    }

    private static string DefaultKernelsFolder() =>
        Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR") is { Length: > 0 } data
            ? Path.Combine(data, "kernels")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "jupyter", "kernels");

    private static string? FindHost()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "dotnet-interactive"));
        var tools = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-interactive");
        return onPath.Append(tools).FirstOrDefault(File.Exists);
    }

    /// <summary>The folder of the dotnet running this command, so the host's launcher finds the same runtime.</summary>
    private static string? DotnetRoot() =>
        Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root ? root
        : Environment.ProcessPath is { } process && Path.GetFileNameWithoutExtension(process) == "dotnet" ? Path.GetDirectoryName(process)
        : Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location))) is { } shared
            ? Path.GetDirectoryName(shared) : null;
}
