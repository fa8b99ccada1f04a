<#
.SYNOPSIS
Prints a short triage of a .NET dump: deadlocks with their cycles, the top heap types, exceptions in flight.

.DESCRIPTION
Uses only the Analysis module and PowerShell's core cmdlets, so it also runs in the analysis-shell host.
Give a dump with -Path, or a live process with -ProcessId (a WithHeap dump is captured to -DumpPath first).

.EXAMPLE
./Triage.ps1 -Path ./app.dmp

.EXAMPLE
./Triage.ps1 -ProcessId 4242 -DumpPath /tmp/app.dmp
#>
[CmdletBinding(DefaultParameterSetName = 'Path')]
param(
    [Parameter(Mandatory, Position = 0, ParameterSetName = 'Path')]
    [string] $Path,

    [Parameter(Mandatory, ParameterSetName = 'Process')]
    [int] $ProcessId,

    [Parameter(Mandatory, ParameterSetName = 'Process')]
    [string] $DumpPath,

    [int] $Top = 10
)

$ErrorActionPreference = 'Stop'
if ($PSCmdlet.ParameterSetName -eq 'Process') {
    $Path = (New-Dump -ProcessId $ProcessId -Path $DumpPath -Kind WithHeap).FullName
}

$dump = Open-Dump -Path $Path
$threads = @($dump | Get-DumpThreads)
$heap = @($dump | Get-HeapTop -Top $Top)

"Dump      $($dump.Path)"
"Process   $($dump.ProcessId), .NET $($dump.RuntimeVersion), $($threads.Count) managed threads"
''

$cycles = [ordered]@{}
foreach ($t in $threads) {
    if ($t.Deadlock -and -not $cycles.Contains($t.Deadlock.Description)) { $cycles[$t.Deadlock.Description] = $t.Deadlock }
}
"Deadlocks: $($cycles.Count)"
foreach ($cycle in $cycles.Values) {
    foreach ($link in $cycle.Links) {
        '  {0} holds {1}, waits for {2}' -f $link.ThreadLabel, $(if ($link.Holds) { $cycle.LabelOf($link.Holds) } else { 'nothing known' }), $cycle.LabelOf($link.WaitsFor)
        $thread = $threads | Where-Object ManagedThreadId -eq $link.ThreadId
        foreach ($frame in $thread.Frames) {
            if ($frame.Kind -eq 'Managed' -and -not $frame.Function.StartsWith('System.')) { '      in {0}' -f $frame.Function; break }
        }
    }
    ''
}

$blocked = @($threads | Where-Object { $_.State -eq 'BlockedOnLock' })
if ($blocked.Count -gt 0) {
    "Blocked on locks (not deadlocked): $($blocked.Count)"
    foreach ($t in $blocked) { '  {0}' -f $t }
    ''
}

"Top $Top heap types by size"
'{0,12} {1,16}  {2}' -f 'Count', 'Bytes', 'Type'
foreach ($row in $heap) { '{0,12:N0} {1,16:N0}  {2}' -f $row.Count, $row.TotalSize, $row.TypeName }
''

$withException = @($threads | Where-Object { $_.Exception })
"Threads with an exception in flight: $($withException.Count)"
foreach ($t in $withException) {
    '  {0} (thread {1}): {2}' -f $(if ($t.Name) { $t.Name } else { '<unnamed>' }), $t.ManagedThreadId, $t.Exception
    foreach ($frame in @($t.Exception.StackTrace)) { '      at {0}' -f $frame.Function }
}
