using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace Analysis.Isolation;

/// <summary>
/// Widens the pipe a worker answers on (Linux: F_SETPIPE_SZ, up to /proc/sys/fs/pipe-max-size, 1 MB by default). A pipe
/// holds 64 KB unless asked, one piece of an answer (<see cref="WorkerProtocol.Piece"/>): the worker then waited for the
/// session to take each piece before it could write the next, and a 1.1 MB answer was written at the pace the session
/// decoded it (the worker blocked ~5 of its 8 ms of writing, on the bench's trace). Only a hint: any failure leaves the
/// pipe as it was, and other systems are left alone.
/// </summary>
internal static partial class PipeCapacity
{
    /// <summary>What is asked: the default ceiling for users (larger needs privileges).</summary>
    public const int Wanted = 1 << 20;

    private const int SetPipeSize = 1031; // F_SETPIPE_SZ
    private const int GetPipeSize = 1032; // F_GETPIPE_SZ

    /// <summary>Widens the pipe under <paramref name="stream"/>; returns its capacity now, or 0 when it cannot tell.</summary>
    public static int Widen(Stream stream)
    {
        if (!OperatingSystem.IsLinux() || stream is not PipeStream { SafePipeHandle: { IsInvalid: false } handle })
            return 0;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = (int)handle.DangerousGetHandle();
            int max = Math.Min(Wanted, MaxSize());
            if (max > 0)
                _ = Fcntl(fd, SetPipeSize, max);
            return Math.Max(0, Fcntl(fd, GetPipeSize, 0));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or ObjectDisposedException)
        {
            return 0;
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    private static int MaxSize()
    {
        try
        {
            return int.TryParse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), out int max) ? max : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
