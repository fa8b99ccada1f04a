using System.Runtime.InteropServices;

namespace Analysis;

/// <summary>
/// Asks Linux for transparent huge pages on the memory of a big array before it is first written. Fresh memory is
/// faulted in 4 KB at a time otherwise, which on some virtual machines costs more than the work that fills it
/// (250 MB: ~0.65 s of page faults here). Only a hint: any failure is ignored, and other systems are left alone.
/// </summary>
internal static partial class HugePages
{
    private const int MadvHugepage = 14;
    private const long HugePage = 2L << 20;
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    public static T[] Allocate<T>(int length) where T : unmanaged
    {
        var array = GC.AllocateUninitializedArray<T>(length);
        long bytes = (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (s_unavailable || bytes < 4 * HugePage)
            return array;
        unsafe
        {
            fixed (T* p = array)
            {
                long start = ((long)p + HugePage - 1) & ~(HugePage - 1);
                long end = ((long)p + bytes) & ~(HugePage - 1);
                if (end > start)
                {
                    try
                    {
                        if (Madvise((nint)start, (nuint)(end - start), MadvHugepage) != 0)
                            s_unavailable = true;
                    }
                    catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
                    {
                        s_unavailable = true;
                    }
                }
            }
        }

        return array;
    }

    /// <summary>Like <see cref="Allocate{T}"/>, with every element zero.</summary>
    public static T[] AllocateZeroed<T>(int length) where T : unmanaged
    {
        var array = Allocate<T>(length);
        Array.Clear(array);
        return array;
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
