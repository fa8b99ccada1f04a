using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Closes dump sessions and releases their files.</summary>
[Cmdlet(VerbsCommon.Close, "Dump", DefaultParameterSetName = "Dump")]
[OutputType(typeof(void))]
public sealed class CloseDumpCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Dump", ValueFromPipeline = true)]
    public DumpSession[] Dump { get; set; } = [];

    /// <summary>Close every open dump session.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord()
    {
        if (All)
        {
            RunspaceSessions.Current.Dumps.CloseAll();
            return;
        }

        foreach (var session in Dump)
            RunspaceSessions.Current.Dumps.Close(session);
    }
}
