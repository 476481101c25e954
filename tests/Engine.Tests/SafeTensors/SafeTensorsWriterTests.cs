using System.Buffers;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Engine.Tests.SafeTensors;

public sealed class SafeTensorsWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lora-writer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Target => Path.Combine(_folder, "adapter.safetensors");

    private byte[] WritePreviousVersion()
    {
        SafeTensorsWriter.Write(Target, [new TensorData("previous", DType.F32, [1], BitConverter.GetBytes(1f))], new Dictionary<string, string> { ["v"] = "1" });
        return File.ReadAllBytes(Target);
    }

    private void AssertPreviousVersionIntactAndNoTemporaryFiles(byte[] previous)
    {
        Assert.Equal(previous, File.ReadAllBytes(Target));
        Assert.Equal([Target], Directory.GetFiles(_folder));
    }

    private static IEnumerable<TensorData> ThrowingMidway()
    {
        yield return new TensorData("a", DType.F32, [1], new byte[4]);
        throw new IOException("the producer failed");
    }

    /// <summary>Memory whose bytes cannot be read: stands for a tensor source that fails while being written.</summary>
    private sealed class FailingMemory : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => throw new IOException("the tensor's data could not be read");
        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
        public override Memory<byte> Memory => CreateMemory(4);
    }

    [Fact]
    public void an_enumerable_that_throws_midway_leaves_the_previous_file_intact_and_no_temporary_files()
    {
        var previous = WritePreviousVersion();
        Assert.Throws<IOException>(() => SafeTensorsWriter.Write(Target, ThrowingMidway()));
        AssertPreviousVersionIntactAndNoTemporaryFiles(previous);
    }

    [Fact]
    public void data_that_fails_while_being_written_leaves_the_previous_file_intact_and_no_temporary_files()
    {
        var previous = WritePreviousVersion();
        using var failing = new FailingMemory();
        var tensors = new[]
        {
            new TensorData("a", DType.F32, [1], new byte[4]),
            new TensorData("b", DType.F32, [1], failing.Memory),
        };
        Assert.Equal("the tensor's data could not be read",
            Assert.Throws<IOException>(() => SafeTensorsWriter.Write(Target, tensors)).Message);
        AssertPreviousVersionIntactAndNoTemporaryFiles(previous);
    }

    [Fact]
    public void invalid_tensors_are_refused_before_anything_is_written()
    {
        var previous = WritePreviousVersion();
        Assert.Equal("tensor 'a': shape [4,8] × F16 needs 64 bytes but the data has 60",
            Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(Target, [new TensorData("a", DType.F16, [4, 8], new byte[60])])).Message);
        Assert.StartsWith("tensor 'a' is given twice",
            Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(Target, [new TensorData("a", DType.U8, [], new byte[1]), new TensorData("a", DType.U8, [], new byte[1])])).Message);
        Assert.Equal("'__metadata__' is reserved and cannot name a tensor",
            Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(Target, [new TensorData("__metadata__", DType.U8, [], new byte[1])])).Message);
        Assert.Equal("tensor 'a': shape [-1] has a negative dimension",
            Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(Target, [new TensorData("a", DType.U8, [-1], new byte[0])])).Message);
        Assert.StartsWith("a tensor name or metadata string is not valid UTF-16",
            Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(Target, [new TensorData("\ud800", DType.U8, [], new byte[1])])).Message);
        AssertPreviousVersionIntactAndNoTemporaryFiles(previous);
    }

    [Fact]
    public void writing_replaces_an_existing_file_completely()
    {
        WritePreviousVersion();
        SafeTensorsWriter.Write(Target, [new TensorData("next", DType.U8, [2], new byte[] { 7, 9 })]);

        using var file = SafeTensorsFile.Open(Target);
        Assert.Equal(["next"], file.Tensors.Keys);
        Assert.Empty(file.Metadata);
        Assert.Equal([Target], Directory.GetFiles(_folder));
    }
}
