// Stuck awaits for the DumpTarget facts dump, compiled optimized (struct state machines). Numbers are mirrored in
// tests/Analysis.Testing/TargetFacts.cs.
using System.Runtime.CompilerServices;

namespace Contoso.Async
{
    // Stuck awaits: CheckoutFlow.RunAsync awaits PaymentClient.WaitForConfirmationAsync, which awaits a
    // TaskCompletionSource nobody completes. Seven checkouts, so 7 + 7 state machines that never finish.
    public static class PaymentClient
    {
        public static readonly TaskCompletionSource<bool> Confirmation = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public static int ReachedAwait;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static async Task<bool> WaitForConfirmationAsync(int orderId)
        {
            await Task.Yield(); // leave the caller's stack first, like real I/O would
            Interlocked.Increment(ref ReachedAwait);
            bool ok = await Confirmation.Task;
            return ok && orderId >= 0;
        }
    }

    public static class CheckoutFlow
    {
        public const int StuckCheckouts = 7;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static async Task<string> RunAsync(int orderId)
        {
            bool confirmed = await PaymentClient.WaitForConfirmationAsync(orderId);
            return confirmed ? "confirmed" : "declined";
        }
    }

    // Three reservations waiting forever on Task.Delay(Timeout.Infinite).
    public static class InventoryService
    {
        public const int StuckReservations = 3;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static async Task ReserveAsync(int sku)
        {
            await Task.Delay(Timeout.Infinite);
            GC.KeepAlive(sku);
        }
    }

}
