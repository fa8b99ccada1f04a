using System.Globalization;
using System.Text;

namespace Analysis;

/// <summary>Checks shared by every input format: the path names a non-empty file; quoting a file's first bytes.</summary>
internal static class InputFile
{
    /// <summary>Throws FileNotFound, PathIsDirectory or FileEmpty; returns the file length otherwise.</summary>
    public static long CheckExists(string path, string noun, string expected)
    {
        if (Directory.Exists(path))
            throw new AnalysisException(AnalysisErrorKind.PathIsDirectory, path, $"'{path}' is a directory; {expected}.");
        if (!File.Exists(path))
            throw new AnalysisException(AnalysisErrorKind.FileNotFound, path, $"{noun} '{path}' does not exist. Check the path (relative paths are resolved against the current directory).");
        // A symbolic link reports its own length; the file's is the final target's.
        var info = new FileInfo(path);
        if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
            info = target;
        long length = info.Length;
        if (length == 0)
            throw new AnalysisException(AnalysisErrorKind.FileEmpty, path, $"{noun} '{path}' is empty (0 bytes); {expected}. The capture probably failed: capture it again.");
        return length;
    }

    /// <summary>Opens a file read-only, letting others keep writing or deleting it.</summary>
    public static FileStream OpenRead(string path, string noun, int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AnalysisException(AnalysisErrorKind.ReadFailed, path, $"Could not open {noun.ToLowerInvariant()} '{path}' for reading: {e.Message}", e);
        }
    }

    /// <summary>Quotes the first bytes of a file: as text when printable, else as hex.</summary>
    public static string Describe(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty)
            return "nothing";
        bool printable = true;
        foreach (byte b in head)
            printable &= b is >= 0x20 and < 0x7f or (byte)'\n' or (byte)'\r' or (byte)'\t';
        if (printable)
        {
            string text = Encoding.ASCII.GetString(head).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
            return $"the text \"{text}\"";
        }

        var sb = new StringBuilder("the bytes ");
        foreach (byte b in head[..Math.Min(8, head.Length)])
            sb.Append(b.ToString("X2", CultureInfo.InvariantCulture)).Append(' ');
        return sb.ToString().TrimEnd();
    }

    /// <summary>A guess at what a file is from its first bytes, for messages ("a gzip file (a pprof profile?)").</summary>
    public static string? Guess(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b)
            return "a gzip file (a pprof profile?)";
        if (head.Length >= 4 && head[0] == 0x7f && head[1] == (byte)'E' && head[2] == (byte)'L' && head[3] == (byte)'F')
            return "an ELF file (a core dump?)";
        if (head.Length >= 4 && head[..4].SequenceEqual("MDMP"u8))
            return "a Windows minidump";
        if (head.Length >= 8 && head[..8].SequenceEqual("Nettrace"u8))
            return "a .NET trace (.nettrace)";
        if (head.StartsWith("go 1."u8))
            return "a Go execution trace";
        if (head.Length >= 1 && (head[0] == (byte)'{' || head[0] == (byte)'['))
            return "a JSON document";
        return null;
    }
}
