// Code of the DumpTarget "crash" mode that lives in this module (built with an embedded portable PDB): the exception that
// ends the process is thrown here. Mirrored in tests/Analysis.Testing/TargetFacts.cs (Crash*).
using System.Runtime.CompilerServices;

namespace Contoso.Async
{
    /// <summary>Thrown when a refund finds the ledger in a state it cannot post to.</summary>
    public sealed class LedgerCorruptException(string message) : Exception(message);

    public static class RefundLedger
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Post(int orderId)
        {
            if (orderId > 0)
                throw new LedgerCorruptException($"refund ledger corrupt for order {orderId}");
        }
    }
}
