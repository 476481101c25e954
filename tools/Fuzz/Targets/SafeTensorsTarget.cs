using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Fuzz.Targets;

/// <summary>
/// The safetensors reader: random bytes and structure-aware mutations of valid files
/// (<see cref="SafeTensorsInputs"/>). It must accept, or throw <see cref="SafeTensorsFormatException"/>.
/// </summary>
public sealed class SafeTensorsTarget : IFuzzTarget
{
    // What a parse may allocate beyond the input: dictionaries, names, shapes and one exception.
    private const int AllocationFactor = 8;
    private const int AllocationSlack = 32 * 1024;

    /// <inheritdoc />
    public string Name => "safetensors";

    /// <inheritdoc />
    public TimeSpan CaseLimit => TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public FuzzCase Next(Random random)
    {
        var input = SafeTensorsInputs.Next(random);
        return new FuzzCase(input.Recipe, input.Bytes, input.MustParse);
    }

    /// <inheritdoc />
    public FuzzOutcome Run(FuzzCase input)
    {
        try
        {
            using var file = SafeTensorsFile.Parse(input.Bytes);
            foreach (var name in file.Tensors.Keys)
                file.ReadBytes(name);
            return FuzzOutcome.Accepted;
        }
        catch (SafeTensorsFormatException)
        {
            return FuzzOutcome.Rejected;
        }
    }

    /// <inheritdoc />
    public long AllocationBudget(FuzzCase input) => input.Size * AllocationFactor + AllocationSlack;
}
