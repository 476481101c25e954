namespace LoraNotebooks.Dsl.Tests.TestSupport;

/// <summary>Runs only when LORA_BENCH=1: a benchmark, not a CI test.</summary>
public sealed class BenchFactAttribute : FactAttribute
{
    public BenchFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("LORA_BENCH") != "1")
            Skip = "a benchmark: set LORA_BENCH=1 to run it";
    }
}
