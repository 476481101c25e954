using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

// The tests share one process-wide base model, Lora.Runs and the once-per-kernel plotly.js: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace LoraNotebooks.Kernel.Tests;

/// <summary>A notebook's kernel in process: C# plus the extension, as the host builds it.</summary>
public sealed class KernelHarness : IDisposable
{
    public CompositeKernel Root { get; }

    public string Folder { get; } = Directory.CreateTempSubdirectory("lora-kernel-tests-").FullName;

    private KernelHarness(CompositeKernel root) => Root = root;

    public static async Task<KernelHarness> StartAsync()
    {
        // The host gives C# cells the package's assemblies through #r; here we reference the extension directly.
        var csharp = new CSharpKernel().UseKernelHelpers().UseValueSharing();
        csharp.AddAssemblyReferences([typeof(Lora).Assembly.Location]);
        var root = new CompositeKernel { csharp };
        root.DefaultKernelName = "csharp";
        await LoraKernelExtension.LoadAsync(root, installInterrupts: false);
        return new KernelHarness(root);
    }

    public Task<KernelCommandResult> SubmitAsync(string code) => Root.SendAsync(new SubmitCode(code));

    /// <summary>A script that trains a rank-2 adapter for <paramref name="steps"/> steps on four world pictures, previewing every 3 steps.</summary>
    public string TinyScript(int steps, string name = "tiny") => $$"""
        #!lora
        dataset "stars" {
          world concept "star" count 4
          trigger "zxc star"
        }
        lora {
          rank 2
          alpha 2
        }
        train {
          steps {{steps}}
          batch 2
          lr 1e-3
          output "{{Path.Combine(Folder, name + ".safetensors")}}"
        }
        sample {
          every 3 steps
          strengths [0, 1]
          prompt "a zxc star" seed 1 steps 2
        }
        """;

    public void Dispose()
    {
        Lora.Stop(); // a test that failed mid-run must not leave its run blocking the next test's
        Root.Dispose();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Event helpers.</summary>
public static class Events
{
    public static string? Html(this DisplayEvent e) => e.FormattedValues.FirstOrDefault(v => v.MimeType == "text/html")?.Value;

    public static string? Text(this DisplayEvent e) => e.FormattedValues.FirstOrDefault(v => v.MimeType == "text/plain")?.Value;

    public static string Failure(this KernelCommandResult result) =>
        result.Events.OfType<CommandFailed>().Select(f => f.Message).FirstOrDefault() ?? "";

    public static void AssertSucceeded(this KernelCommandResult result) =>
        Assert.True(result.Events.OfType<CommandSucceeded>().Any(), "the command failed: " + result.Failure());
}
