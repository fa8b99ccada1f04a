using Analysis.Notebooks;

namespace Analysis.PowerShell;

/// <summary>
/// The notebook kernels this module brings, for hosts of live notebooks (a Jupyter kernel process) and tests: each
/// creates an <see cref="IInteractiveKernel"/>, so the kernel's own class stays the module's business.
/// </summary>
public static class NotebookKernels
{
    /// <summary>PowerShell cells: a runspace with this module imported, its location the working directory, a host that writes to the cell and reads through <see cref="CellOutputs.Input"/>.</summary>
    public static KernelFactory PowerShell { get; } = workingDirectory => new PowerShellKernel(workingDirectory, PowerShellKernel.ModulePath);
}
