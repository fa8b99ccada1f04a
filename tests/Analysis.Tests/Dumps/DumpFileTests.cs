using System.Buffers.Binary;
using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>Header validation on crafted files: each quirk fails with its own kind and message.</summary>
public class DumpFileTests
{
    private static string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(DumpSet.Facts.Scratch, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] ElfHeader(ushort type, int phnum = 0, long phoff = 64)
    {
        var b = new byte[64 + (phnum * 56)];
        b[0] = 0x7f; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = 2; b[5] = 1; b[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16), type);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), 62);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(32), (ulong)phoff);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(54), 56);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(56), (ushort)phnum);
        return b;
    }

    [Fact]
    public void Validate_ElfCoreWhoseSegmentsPointPastTheEnd_IsTruncated()
    {
        var b = ElfHeader(type: 4, phnum: 1);
        int ph = 64;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(ph), 1);              // PT_LOAD
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(ph + 8), 4096);       // p_offset
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(ph + 32), 1_000_000); // p_filesz
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("cut.core", b)));
        Assert.Equal(AnalysisErrorKind.Truncated, e.Kind);
        Assert.Contains("describe 1,004,096 bytes but the file has 120", e.Message);
    }

    [Fact]
    public void Validate_CompleteElfCore_IsAccepted()
    {
        var b = ElfHeader(type: 4, phnum: 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(64), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 8), 64);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 32), 56);
        Assert.Equal(DumpFormat.ElfCore, DumpFile.Validate(Write("tiny.core", b)));
    }

    [Fact]
    public void Validate_CompleteElfCoreBehindASymbolicLink_IsAccepted()
    {
        // The link's own length (its target's path) is not the dump's: a linked dump is not truncated.
        string dir = RepoPaths.NewScratchDirectory("analysis-dumpfile-link");
        var b = ElfHeader(type: 4, phnum: 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(64), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 8), 64);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 32), 56);
        string core = Path.Combine(dir, "tiny.core");
        File.WriteAllBytes(core, b);
        string link = Path.Combine(dir, "linked.core");
        File.CreateSymbolicLink(link, core);
        try
        {
            Assert.Equal(DumpFormat.ElfCore, DumpFile.Validate(link));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Validate_ElfExecutable_IsWrongFormat()
    {
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("prog", ElfHeader(type: 2))));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("an executable, not a core dump", e.Message);
    }

    [Fact]
    public void Validate_ElfWithUnknownClass_SaysWhichByte()
    {
        var b = ElfHeader(type: 4);
        b[4] = 9;
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("class9.core", b)));
        Assert.Contains("unknown ELF class 9 at offset 4", e.Message);
    }

    [Fact]
    public void Validate_MinidumpWithDirectoryPastTheEnd_IsTruncated()
    {
        var b = new byte[32];
        "MDMP"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 3);    // streams
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), 32);  // directory rva
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("cut.mdmp", b)));
        Assert.Equal(AnalysisErrorKind.Truncated, e.Kind);
    }

    [Fact]
    public void Validate_BinaryGarbage_QuotesItsFirstBytesInHex()
    {
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("garbage.bin", [0x00, 0xff, 0x10, 0x20, 0x30])));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("the bytes 00 FF 10 20 30", e.Message);
    }
}
