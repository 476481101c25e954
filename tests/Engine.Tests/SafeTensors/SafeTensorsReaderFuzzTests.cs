using System.Diagnostics;
using System.Globalization;
using LoraNotebooks.Engine.SafeTensors;
using Xunit.Abstractions;

namespace LoraNotebooks.Engine.Tests.SafeTensors;

/// <summary>
/// Feeds the reader random and mutated files for a bounded time. Settings (docs/safetensors.md):
/// LORA_FUZZ_SECONDS (default 3), LORA_FUZZ_SEED (default 1), LORA_FUZZ_CASE (run one case only).
/// </summary>
public sealed class SafeTensorsReaderFuzzTests(ITestOutputHelper output)
{
    // What a parse may allocate beyond the input: dictionaries, names, shapes and one exception.
    private const int AllocationFactor = 8;
    private const int AllocationSlack = 32 * 1024;

    private static string? Setting(string name) => Environment.GetEnvironmentVariable(name);

    [Fact]
    public void the_reader_only_ever_accepts_or_throws_a_format_error_and_allocates_in_proportion_to_its_input()
    {
        var seconds = double.Parse(Setting("LORA_FUZZ_SECONDS") ?? "3", CultureInfo.InvariantCulture);
        var seed = int.Parse(Setting("LORA_FUZZ_SEED") ?? "1", CultureInfo.InvariantCulture);
        var only = Setting("LORA_FUZZ_CASE") is { } single ? int.Parse(single, CultureInfo.InvariantCulture) : (int?)null;

        var clock = Stopwatch.StartNew();
        var cases = 0;
        var accepted = 0;
        for (var index = only ?? 0; only is null ? clock.Elapsed.TotalSeconds < seconds : index == only; index++)
        {
            var input = SafeTensorsFuzzInputs.Next(new Random(HashCode.Combine(seed, index)));
            var where = $"seed {seed}, case {index} ({input.Recipe}); rerun with LORA_FUZZ_SEED={seed} LORA_FUZZ_CASE={index}";
            var (ok, allocated) = ParseAndMeasure(input.Bytes, where);
            if (allocated > Budget(input.Bytes))
            {
                // The first time a path runs can allocate for the runtime (resource strings, type loads): measure again warm.
                (_, allocated) = ParseAndMeasure(input.Bytes, where);
            }
            Assert.True(allocated <= Budget(input.Bytes),
                $"{where}: allocated {allocated} bytes for a {input.Bytes.Length}-byte input\n{Convert.ToBase64String(input.Bytes)}");
            Assert.True(ok || !input.MustParse, $"{where}: an unmutated valid file was rejected");
            accepted += ok ? 1 : 0;
            cases++;
        }
        output.WriteLine($"{cases} cases in {clock.Elapsed.TotalSeconds:F1} s ({cases / clock.Elapsed.TotalSeconds:F0}/s), {accepted} accepted, seed {seed}");
        Assert.True(only is not null || accepted > 0, "no generated file was accepted: the generator no longer makes valid files");
    }

    private static long Budget(byte[] input) => (long)input.Length * AllocationFactor + AllocationSlack;

    private static (bool Accepted, long Allocated) ParseAndMeasure(byte[] bytes, string where)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var accepted = false;
        try
        {
            using var file = SafeTensorsFile.Parse(bytes);
            foreach (var name in file.Tensors.Keys)
            {
                file.ReadBytes(name);
            }
            accepted = true;
        }
        catch (SafeTensorsFormatException)
        {
        }
        catch (Exception e)
        {
            Assert.Fail($"{where}: {e.GetType().Name} escaped: {e.Message}\n{Convert.ToBase64String(bytes)}\n{e}");
        }
        return (accepted, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
