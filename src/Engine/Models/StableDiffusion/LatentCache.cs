using System.Runtime.InteropServices;
using System.Security.Cryptography;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// VAE latents per training image, so each image is encoded once per run rather than once per step
/// (kohya's <c>cache_latents</c>). Images are recognised by a SHA-256 of their pixels, so a flipped or
/// re-cropped image is a different entry. Latents stay on the device, detached (4×64×64 floats, 64 KiB, per 512 px image).
/// </summary>
public sealed class LatentCache : IDisposable
{
    private readonly Dictionary<string, Tensor> _latents = new(StringComparer.Ordinal);

    /// <summary>The number of cached images.</summary>
    public int Count => _latents.Count;

    /// <summary>
    /// Latents [B, C, h, w] of <paramref name="images"/> [B, 3, H, W]: cached ones as stored, the
    /// others encoded together in one <paramref name="encode"/> call and stored.
    /// </summary>
    public Tensor GetOrEncode(Tensor images, Func<Tensor, Tensor> encode)
    {
        using var scope = NewDisposeScope();
        var keys = Enumerable.Range(0, (int)images.shape[0]).Select(i => Key(images[i])).ToArray();
        var missing = Enumerable.Range(0, keys.Length).Where(i => !_latents.ContainsKey(keys[i])).ToArray();
        if (missing.Length > 0)
        {
            using var _ = no_grad();
            var encoded = encode(images.index_select(0, tensor(missing.Select(i => (long)i).ToArray(), device: images.device)));
            for (var j = 0; j < missing.Length; j++)
                _latents[keys[missing[j]]] = encoded[j].detach().clone().DetachFromDisposeScope();
        }
        return stack(keys.Select(k => _latents[k])).MoveToOuterDisposeScope();
    }

    /// <summary>Drops every cached latent.</summary>
    public void Clear()
    {
        foreach (var latent in _latents.Values)
            latent.Dispose();
        _latents.Clear();
    }

    /// <inheritdoc/>
    public void Dispose() => Clear();

    private static string Key(Tensor image)
    {
        using var scope = NewDisposeScope();
        var values = image.to(float32).cpu().contiguous().data<float>().ToArray();
        return Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(values.AsSpan())));
    }
}
