using System.Diagnostics;
using LoraNotebooks.Fuzz;
using Xunit.Abstractions;

namespace LoraNotebooks.Engine.Tests.Fuzzing;

/// <summary>
/// Kills (SIGKILL) a process that writes files the way adapters and checkpoints are written, at
/// random points, and checks what is on disk after each kill.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 8;

    private readonly string _folder = Directory.CreateTempSubdirectory("lora-crash-safety").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void a_file_written_atomically_is_always_the_old_or_the_new_whole_file_however_the_writer_dies()
    {
        var target = Path.Combine(_folder, "adapter.safetensors");
        var random = new Random(5);
        int? last = null;
        var strays = 0;
        for (var kill = 0; kill < Kills; kill++)
        {
            using var writer = Start(target);
            // Wait until the child has written at least one generation this round, then kill it at a random point.
            var deadline = Stopwatch.StartNew();
            while (CrashWriter.Read(target) == last && deadline.Elapsed < TimeSpan.FromSeconds(60) && !writer.HasExited)
                Thread.Sleep(20);
            Thread.Sleep(random.Next(0, 400));
            writer.Kill();
            writer.WaitForExit();

            var generation = CrashWriter.Read(target); // throws on a torn or mixed file
            Assert.NotNull(generation);
            Assert.True(generation > (last ?? 0), $"kill {kill}: generation {generation} after {last}: the file went back or did not move");
            var sidecar = File.ReadAllText(target + ".json");
            Assert.Matches("^\\{\"generation\": [0-9]+\\}$", sidecar);
            last = generation;
            strays += Temporaries().Length;
        }
        output.WriteLine($"{Kills} kills, last generation {last}, {strays} temporary files left by killed writers along the way");

        // The next writer cleans up what the killed ones left.
        using (var clean = Start(target, count: 1))
        {
            clean.WaitForExit();
            Assert.Equal(0, clean.ExitCode);
        }
        Assert.Equal(last + 1, CrashWriter.Read(target));
        Assert.Empty(Temporaries());
    }

    private string[] Temporaries() => Directory.GetFiles(_folder, ".*.tmp");

    private static Process Start(string target, int? count = null)
    {
        var helper = Path.Combine(AppContext.BaseDirectory, "LoraNotebooks.Fuzz.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { helper, "crash-writer", target }.Concat(count is { } n ? [n.ToString(System.Globalization.CultureInfo.InvariantCulture)] : []))
            start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }
}
