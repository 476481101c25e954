namespace LoraNotebooks.Dsl.Binding;

/// <summary>Where a statement stands; each place has its own keywords.</summary>
public enum BlockKind
{
    /// <summary>Outside any block.</summary>
    TopLevel,
    /// <summary>Inside <c>dataset { }</c>.</summary>
    Dataset,
    /// <summary>Inside <c>lora { }</c>.</summary>
    Lora,
    /// <summary>Inside <c>train { }</c>.</summary>
    Train,
    /// <summary>Inside <c>sample { }</c>.</summary>
    Sample,
}
