using System.Buffers;
using System.Runtime.CompilerServices;
using SixLabors.ImageSharp.Memory;

namespace LoraNotebooks.Engine.Data;

/// <summary>
/// An ImageSharp allocator for decoding one picture that refuses to hand out more than a budget in
/// total. ImageSharp 2.1 has no allocation limit of its own, and some damaged files (WebP, JPEG, BMP)
/// make its decoders allocate hundreds of megabytes before they notice; with this allocator such a
/// file fails with <see cref="InvalidMemoryOperationException"/> instead. Buffers are plain GC arrays.
/// </summary>
internal sealed class BudgetedAllocator(long budget) : MemoryAllocator
{
    private readonly SimpleGcMemoryAllocator _arrays = new();
    private long _allocated;

    /// <summary>Bytes handed out so far.</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <inheritdoc />
    protected override int GetBufferCapacityInBytes() => int.MaxValue;

    /// <inheritdoc />
    public override IMemoryOwner<T> Allocate<T>(int length, AllocationOptions options = AllocationOptions.None)
    {
        var bytes = (long)length * Unsafe.SizeOf<T>();
        if (length < 0 || Interlocked.Add(ref _allocated, bytes) > budget)
            throw new InvalidMemoryOperationException($"decoding needs more than {budget} bytes, more than this picture's size allows");
        return _arrays.Allocate<T>(length, options);
    }
}
