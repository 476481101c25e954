using System.Collections;
using System.Collections.Immutable;

namespace LoraNotebooks.Dsl.Plans;

/// <summary>An immutable list that compares by its items, so plans built from the same script are equal.</summary>
public sealed class ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly ImmutableArray<T> items;

    /// <summary>A list of <paramref name="items"/>, in order.</summary>
    public ValueList(IEnumerable<T> items) => this.items = [.. items];

    /// <inheritdoc/>
    public T this[int index] => items[index];

    /// <inheritdoc/>
    public int Count => items.Length;

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(ValueList<T>? other) => other is not null && items.SequenceEqual(other.items);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ValueList<T>);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in items) hash.Add(item);
        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => "[" + string.Join(", ", items) + "]";
}

/// <summary>Builds <see cref="ValueList{T}"/>s.</summary>
public static class ValueList
{
    /// <summary>A list of the given items.</summary>
    public static ValueList<T> Of<T>(params IEnumerable<T> items) => new(items);
}
