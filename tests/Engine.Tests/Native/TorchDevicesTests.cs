using LoraNotebooks.Engine.Native;
using TorchSharp;

namespace LoraNotebooks.Engine.Tests.Native;

public class TorchDevicesTests
{
    [Theory]
    [InlineData(null, "cpu")]
    [InlineData("", "cpu")]
    [InlineData("cpu", "cpu")]
    [InlineData("CPU", "cpu")]
    public void without_a_gpu_runs_use_the_cpu_unless_told_otherwise(string? asked, string expected)
    {
        if (torch.cuda.is_available()) return; // what a GPU machine picks is checked where it runs (docs/gpu.md)
        using var _ = new EnvironmentVariable(TorchDevices.Variable, asked);
        Assert.Equal(expected, TorchDevices.Preferred().ToString().ToLowerInvariant());
    }

    [Theory]
    [InlineData("cuda", "has no CUDA device")]
    [InlineData("tpu", "is not a device; use cpu, cuda or cuda:N")]
    public void a_device_that_is_not_there_is_a_clear_error(string asked, string message)
    {
        if (torch.cuda.is_available()) return; // what a GPU machine picks is checked where it runs (docs/gpu.md)
        using var _ = new EnvironmentVariable(TorchDevices.Variable, asked);
        var error = Assert.Throws<UserErrorException>(TorchDevices.Preferred);
        Assert.Contains(message, error.Message);
    }

    private sealed class EnvironmentVariable : IDisposable
    {
        private readonly string name;
        private readonly string? before;

        public EnvironmentVariable(string name, string? value)
        {
            this.name = name;
            before = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }

        public void Dispose() => Environment.SetEnvironmentVariable(name, before);
    }
}
