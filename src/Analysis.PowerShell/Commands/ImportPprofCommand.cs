using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a pprof profile (heap, allocs, cpu, block, mutex, goroutine; gzip or raw).</summary>
[Cmdlet(VerbsData.Import, "Pprof")]
[OutputType(typeof(PprofProfile))]
public sealed class ImportPprofCommand : FileInputCmdlet
{
    protected override string Artifact => "Profile";

    protected override void ProcessFile(string path) => WriteObject(PprofProfile.Load(path));
}
