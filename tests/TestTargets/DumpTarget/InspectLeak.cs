// A leaked GC handle (issue 14, Get-DumpHandles -Leaked as SOS gchandleleaks): a strong handle to a LeakedBuffer whose
// value is dropped, so nothing in the process holds it and it can never be freed. Mirrored in TargetFacts (Leaked*).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Contoso.Inspect
{
    public sealed class LeakedBuffer(int bytes)
    {
        public byte[] Data = new byte[bytes];
    }

    public static class Leaks
    {
        public const int LeakedBufferBytes = 1_000;

        public static void SetUp()
        {
            Leak();
            Scrub();
        }

        // Allocates the handle and drops it: the value dies with this frame.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void Leak() => GCHandle.Alloc(new LeakedBuffer(LeakedBufferBytes), GCHandleType.Normal);

        // Zeroes the stack below the caller, where the dead frames of Leak and of the runtime's handle allocation left copies
        // of the value (measured: one 66 KB below, so 64 KB was not enough): memory searched for handle values must not
        // find a stale one. The main thread's stack is 8 MB.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int Scrub()
        {
            Span<byte> scratch = stackalloc byte[512 * 1024];
            scratch.Clear();
            return scratch[^1];
        }
    }
}
