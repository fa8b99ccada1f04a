<#
.SYNOPSIS
Prints a short report of a .NET trace: GC pauses and anomalies, where the CPU went, exceptions and lock contention.

.DESCRIPTION
Imports the module it ships with (../Analysis.psd1) unless an Analysis module is already loaded.
Give a .nettrace with -Path, or a live process with -ProcessId (traced for -Duration into -TracePath first).

.EXAMPLE
./TraceReport.ps1 -Path ./app.nettrace

.EXAMPLE
./TraceReport.ps1 -ProcessId 4242 -Duration 00:00:30 -TracePath /tmp/app.nettrace
#>
[CmdletBinding(DefaultParameterSetName = 'Path')]
param(
    [Parameter(Mandatory, Position = 0, ParameterSetName = 'Path')]
    [string] $Path,

    [Parameter(Mandatory, ParameterSetName = 'Process')]
    [int] $ProcessId,

    [Parameter(ParameterSetName = 'Process')]
    [timespan] $Duration = '00:00:10',

    [Parameter(Mandatory, ParameterSetName = 'Process')]
    [string] $TracePath,

    [int] $Top = 10
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module Analysis)) { Import-Module (Join-Path $PSScriptRoot '..' 'Analysis.psd1') }
if ($PSCmdlet.ParameterSetName -eq 'Process') {
    $Path = (Invoke-TraceCapture -ProcessId $ProcessId -OutFile $TracePath -Duration $Duration).FullName
}

$trace = Import-Trace -Path $Path
$gc = $trace | Get-TraceGcSummary

"Trace     $($trace.Path)"
''
"GC        $gc"
foreach ($a in $gc.Anomalies) { "  ! $a" }
''

"Top $Top functions by CPU samples (exclusive)"
'{0,7} {1,7}  {2}' -f 'Excl%', 'Incl%', 'Function'
foreach ($f in @($trace | Get-TraceCpuTop -Top $Top)) { '{0,7:N2} {1,7:N2}  {2}' -f $f.ExclusivePercent, $f.InclusivePercent, $f.Function }
''

$byType = [ordered]@{}
foreach ($e in @($trace | Get-TraceExceptions)) {
    if (-not $byType.Contains($e.Type)) { $byType[$e.Type] = [pscustomobject]@{ Count = 0; First = $e } }
    $byType[$e.Type].Count++
}
"Exceptions thrown: $($byType.Count) type(s)"
foreach ($type in $byType.Keys) {
    $g = $byType[$type]
    '{0,8:N0} x {1}: "{2}" in {3}' -f $g.Count, $type, $g.First.Message, $g.First.ThrownIn.Function
}
''

$waits = @($trace | Get-TraceContention)
$total = 0; foreach ($w in $waits) { $total += $w.DurationMs }
'Lock contention: {0} wait(s), {1:N1} ms in total' -f $waits.Count, $total
foreach ($w in @($waits | Where-Object DurationMs -ge 10)) { "  $w" }
