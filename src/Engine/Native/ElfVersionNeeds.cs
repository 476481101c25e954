using System.Buffers.Binary;
using System.Text;

namespace LoraNotebooks.Engine.Native;

/// <summary>
/// Reads and edits the symbol-versioning sections of an ELF64 little-endian shared library:
/// the version needs (<c>.gnu.version_r</c>), the version definitions (<c>.gnu.version_d</c>)
/// and which version indexes symbols and relocations actually use.
/// </summary>
/// <remarks>
/// Only what <see cref="TorchNativeLoader"/> needs: enough to find a version requirement that the
/// system library cannot satisfy, prove nothing binds it, and flag it weak (VER_FLG_WEAK) so
/// ld.so only warns. Offsets follow the System V gABI and the LSB symbol-versioning spec.
/// </remarks>
internal sealed class ElfVersionNeeds
{
    private const uint ShtRela = 4;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    internal const ushort VerFlagWeak = 0x2;

    private readonly byte[] _image;
    private readonly List<Section> _sections = [];

    private ElfVersionNeeds(byte[] image)
    {
        _image = image;
        ReadSectionHeaders();
    }

    /// <summary>A version a library needs from another: the file, the version name, its index and flags.</summary>
    internal sealed record Need(string File, string Version, ushort Index, ushort Flags, int FlagsOffset);

    /// <summary>Parses <paramref name="image"/>; throws <see cref="InvalidDataException"/> if it is not ELF64 LE.</summary>
    internal static ElfVersionNeeds Parse(byte[] image) => new(image);

    /// <summary>Every version-need entry of the library.</summary>
    internal IReadOnlyList<Need> Needs()
    {
        var result = new List<Need>();
        foreach (var section in _sections.Where(s => s.Type == ShtGnuVerneed))
        {
            var strings = _sections[(int)section.Link];
            long entry = section.Offset;
            for (var i = 0; i < section.Info; i++)
            {
                var count = U16(entry + 2);
                var file = String(strings, U32(entry + 4));
                long aux = entry + U32(entry + 8);
                for (var j = 0; j < count; j++)
                {
                    result.Add(new Need(file, String(strings, U32(aux + 8)), U16(aux + 6), U16(aux + 4), checked((int)(aux + 4))));
                    aux += U32(aux + 12);
                }
                entry += U32(entry + 12);
            }
        }
        return result;
    }

    /// <summary>The version names this library defines (what a consumer may require of it).</summary>
    internal IReadOnlySet<string> Definitions()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in _sections.Where(s => s.Type == ShtGnuVerdef))
        {
            var strings = _sections[(int)section.Link];
            long entry = section.Offset;
            for (var i = 0; i < section.Info; i++)
            {
                var count = U16(entry + 6);
                long aux = entry + U32(entry + 12);
                for (var j = 0; j < count; j++)
                {
                    result.Add(String(strings, U32(aux)));
                    aux += U32(aux + 4);
                }
                entry += U32(entry + 16);
            }
        }
        return result;
    }

    /// <summary>
    /// Names of the dynamic symbols tagged with version <paramref name="index"/> that the library
    /// defines or that a relocation binds. Flagging a version weak is only safe when this is empty.
    /// </summary>
    internal IReadOnlyList<string> SymbolsBoundTo(ushort index)
    {
        var dynsym = _sections.FirstOrDefault(s => s.Type == ShtDynsym);
        var versym = _sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        if (dynsym is null || versym is null)
            return [];

        var strings = _sections[(int)dynsym.Link];
        var symbolCount = dynsym.Size / 24;
        var relocated = new HashSet<long>();
        foreach (var rela in _sections.Where(s => s.Type == ShtRela && s.Link < _sections.Count && _sections[(int)s.Link] == dynsym))
            for (long r = rela.Offset; r + 24 <= rela.Offset + rela.Size; r += 24)
                relocated.Add((long)(U64(r + 8) >> 32));

        var bound = new List<string>();
        for (long i = 1; i < symbolCount; i++)
        {
            if ((U16(versym.Offset + 2 * i) & 0x7fff) != index)
                continue;
            var symbol = dynsym.Offset + 24 * i;
            var defined = U16(symbol + 6) != 0;
            if (defined || relocated.Contains(i))
                bound.Add(String(strings, U32(symbol)));
        }
        return bound;
    }

    /// <summary>Sets VER_FLG_WEAK on <paramref name="need"/> in the image (a one-byte change).</summary>
    internal void FlagWeak(Need need) =>
        BinaryPrimitives.WriteUInt16LittleEndian(_image.AsSpan(need.FlagsOffset), (ushort)(need.Flags | VerFlagWeak));

    private void ReadSectionHeaders()
    {
        if (_image.Length < 64 || _image[0] != 0x7f || _image[1] != (byte)'E' || _image[2] != (byte)'L' || _image[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (_image[4] != 2 || _image[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        var headerOffset = (long)U64(0x28);
        var entrySize = U16(0x3a);
        var count = U16(0x3c);
        if (entrySize < 64 || headerOffset <= 0 || headerOffset + (long)entrySize * count > _image.Length)
            throw new InvalidDataException("ELF section headers lie outside the file");

        for (var i = 0; i < count; i++)
        {
            var h = headerOffset + (long)i * entrySize;
            var section = new Section(U32(h + 4), (long)U64(h + 24), (long)U64(h + 32), U32(h + 40), U32(h + 44));
            if (section.Type != 8 /* NOBITS */ && section.Offset + section.Size > _image.Length)
                throw new InvalidDataException($"ELF section {i} lies outside the file");
            _sections.Add(section);
        }
    }

    private string String(Section table, uint offset)
    {
        var start = checked((int)(table.Offset + offset));
        var end = Array.IndexOf(_image, (byte)0, start);
        return Encoding.ASCII.GetString(_image, start, end - start);
    }

    private ushort U16(long at) => BinaryPrimitives.ReadUInt16LittleEndian(_image.AsSpan(checked((int)at)));
    private uint U32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(_image.AsSpan(checked((int)at)));
    private ulong U64(long at) => BinaryPrimitives.ReadUInt64LittleEndian(_image.AsSpan(checked((int)at)));

    private sealed record Section(uint Type, long Offset, long Size, uint Link, uint Info);
}
