using System.Runtime.CompilerServices;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;

namespace Analysis.Interactive;

/// <summary>
/// What the extension adds to a .NET Interactive kernel besides formatters: its PowerShell kernels show pipeline
/// output through <see cref="PowerShellOutput.Runs"/>. The PowerShell kernel collects a cell's output and then shows
/// each object alone (our formatters, one display per object) or through Out-Default (format.ps1xml text with ANSI
/// colours and a header per object); it has no hook between the two. A command middleware — the kernel's supported
/// extension point — therefore runs each PowerShell cell as <c>Runs(@(. { cell }))</c>: the cell's own text, parsed
/// as a script block (error positions stay the cell's), dot-sourced (its variables and functions stay in the
/// session), its output regrouped before the kernel shows it. Out-Display gets a proxy that groups the same way.
/// </summary>
internal static class KernelHooks
{
    private static readonly ConditionalWeakTable<Kernel, object> s_hooked = [];

    /// <summary>
    /// Hooks every PowerShell kernel of the notebook <paramref name="kernel"/> belongs to (by default the one running
    /// the current cell); idempotent per kernel.
    /// </summary>
    public static void Attach(object? kernel)
    {
        var root = (kernel as Kernel ?? KernelInvocationContext.Current?.HandlingKernel)?.RootKernel;
        if (root is null)
            return;
        var kernels = root is CompositeKernel composite ? composite.ChildKernels.ToList() : [root];
        foreach (var k in kernels.Where(k => k.KernelInfo.LanguageName == "PowerShell"))
        {
            if (s_hooked.TryGetValue(k, out _))
                continue;

            // [Analysis.Interactive.PowerShellOutput] in the runspace: the kernel loads this assembly into a context
            // PowerShell's type lookup does not search, so the kernel's own accelerator API names it
            var addAccelerator = k.GetType().GetMethod("AddAccelerator", [typeof(string), typeof(Type)]);
            if (addAccelerator is null)
                continue; // not the PowerShell kernel we know: leave it alone
            addAccelerator.Invoke(k, [PowerShellOutput.Accelerator, typeof(PowerShellOutput)]);
            k.AddMiddleware(GroupOutput);
            s_hooked.Add(k, new object());
        }
    }

    private static async Task GroupOutput(KernelCommand command, KernelInvocationContext context, KernelPipelineContinuation next)
    {
        if (command is SubmitCode submit && PowerShellOutput.Cell(submit.Code) is { } wrapped)
        {
            var grouped = new SubmitCode(wrapped, submit.TargetKernelName);
            grouped.SetParent(submit, bubbleEvents: true);
            await next(grouped, context).ConfigureAwait(false);
        }
        else
        {
            await next(command, context).ConfigureAwait(false);
        }
    }
}
