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
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(64), 4);              // PT_NOTE: a core's threads and auxv
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
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(64), 4);              // PT_NOTE: a core's threads and auxv
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

    // ---- hostile headers: every count and offset is checked with arithmetic that cannot overflow ----

    private static byte[] Minidump(uint streams, uint directoryRva, int length = 32)
    {
        var b = new byte[length];
        "MDMP"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), streams);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), directoryRva);
        return b;
    }

    /// <summary>A minidump with one Memory64ListStream at offset 44 whose list says <paramref name="count"/> ranges.</summary>
    private static byte[] MinidumpWithMemoryList(ulong count, ulong baseRva, params ulong[] sizes)
    {
        var b = Minidump(streams: 1, directoryRva: 32, length: 44 + 16 + (sizes.Length * 16));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(32), 9);                        // Memory64ListStream
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(36), (uint)(16 + (sizes.Length * 16)));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(40), 44);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(44), count);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(52), baseRva);
        for (int i = 0; i < sizes.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(60 + (i * 16) + 8), sizes[i]);
        return b;
    }

    [Fact]
    public void Validate_MinidumpCountingBillionsOfStreams_IsWrongFormatQuotingTheCount()
    {
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("streams.mdmp", Minidump(uint.MaxValue, 32))));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("4,294,967,295 streams", e.Message);
    }

    [Fact]
    public void Validate_MinidumpWithDirectoryOffsetNearFourGigabytes_IsTruncated()
    {
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("rva.mdmp", Minidump(2, 0xFFFF_FFF0))));
        Assert.Equal(AnalysisErrorKind.Truncated, e.Kind);
        Assert.Contains("stream directory", e.Message);
    }

    [Fact]
    public void Validate_MinidumpWhoseRangeCountOverflowsTimesSixteen_IsWrongFormat()
    {
        // count * 16 wraps to 16 in 64 bits: the old check passed it and then allocated from the wrapped product.
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("count.mdmp", MinidumpWithMemoryList(0x1000_0000_0000_0001, 64, 16))));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("1,152,921,504,606,846,977 memory ranges", e.Message);
    }

    [Fact]
    public void Validate_MinidumpWithMoreRangesThanTheFileHolds_IsTruncated()
    {
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("ranges.mdmp", MinidumpWithMemoryList(5_000_000, 64, 16))));
        Assert.Equal(AnalysisErrorKind.Truncated, e.Kind);
        Assert.Contains("memory list", e.Message);
    }

    [Fact]
    public void Validate_MinidumpWhoseRangeSizesSumPastTwoToTheSixtyFour_IsTruncated()
    {
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("sizes.mdmp", MinidumpWithMemoryList(2, 76, ulong.MaxValue - 8, ulong.MaxValue - 8))));
        Assert.Equal(AnalysisErrorKind.Truncated, e.Kind);
        Assert.Contains("past any file length", e.Message);
    }

    [Fact]
    public void Validate_ElfCoreWithoutProgramHeaders_IsWrongFormat()
    {
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("nophdr.core", ElfHeader(type: 4, phnum: 0))));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("without program headers", e.Message);
    }

    [Fact]
    public void Validate_ElfCoreWithoutNoteSegment_IsWrongFormat()
    {
        var b = ElfHeader(type: 4, phnum: 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(64), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 8), 64);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 32), 56);
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("nonote.core", b)));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("without a note segment (PT_NOTE)", e.Message);
    }

    [Theory]
    [InlineData(0x4000_0000_0000_0000UL)]   // far past any file
    [InlineData(0xFFFF_FFFF_FFFF_FFF0UL)]   // phoff + table wraps around 2^64
    [InlineData(0x7FFF_FFFF_FFFF_FFF0UL)]   // phoff + table wraps a signed 64-bit sum
    public void Validate_ElfCoreWithAbsurdProgramHeaderOffset_IsWrongFormatQuotingIt(ulong phoff)
    {
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("phoff.core", ElfHeader(type: 4, phnum: 2, phoff: (long)phoff))));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains($"{phoff:N0}", e.Message);
    }

    [Fact]
    public void Validate_ElfCoreCountingMoreProgramHeadersThanAnyDump_IsWrongFormat()
    {
        var b = ElfHeader(type: 4, phnum: 1);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(56), 65_535);
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("phnum.core", b)));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("65,535 program headers", e.Message);
    }

    [Fact]
    public void Validate_ElfSegmentWhoseOffsetPlusSizeOverflows_IsTruncatedNotAccepted()
    {
        var b = ElfHeader(type: 4, phnum: 2);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(64), 4);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 8), 64);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 32), 56);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(120), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(120 + 8), 0x7000_0000_0000_0000);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(120 + 32), 0x7000_0000_0000_0000); // sum wraps negative
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("wrap.core", b)));
        Assert.Equal(AnalysisErrorKind.Truncated, e.Kind);
    }

    [Fact]
    public void Validate_ElfSegmentWithOffsetPastTwoToTheSixtyThree_IsWrongFormat()
    {
        var b = ElfHeader(type: 4, phnum: 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(64), 4);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 8), 0x8000_0000_0000_0000);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 32), 56);
        var e = Assert.Throws<AnalysisException>(() => DumpFile.Validate(Write("sign.core", b)));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("impossible offset or size", e.Message);
    }
}
