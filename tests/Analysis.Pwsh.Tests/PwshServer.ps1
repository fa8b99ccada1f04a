# Test-side request loop for real pwsh (tests/Analysis.Pwsh.Tests/RealPwsh.cs). Reads one request file path per line on
# stdin, runs the script in it in this session's scope (variables persist between requests, like an interactive
# session), writes the outcome as JSON to the response file, then prints the done marker. Test code only.
param([string] $Manifest, [int] $Width = 120)

$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'
if ($Manifest) { Import-Module $Manifest -ErrorAction Stop }
[Console]::Out.WriteLine('##ready')

function global:__Describe($record) {
    [ordered]@{
        Id       = $record.FullyQualifiedErrorId
        Category = [string]$record.CategoryInfo.Category
        Message  = if ($record.ErrorDetails.Message) { $record.ErrorDetails.Message } else { $record.Exception.Message }
        Type     = $record.Exception.GetType().FullName
    }
}

while ($null -ne ($requestPath = [Console]::In.ReadLine())) {
    $request = Get-Content -LiteralPath $requestPath -Raw | ConvertFrom-Json
    $output = [System.Collections.Generic.List[string]]::new()
    $errors = [System.Collections.Generic.List[object]]::new()
    $warnings = [System.Collections.Generic.List[string]]::new()
    $verbose = [System.Collections.Generic.List[string]]::new()
    $Error.Clear()
    try {
        $block = [scriptblock]::Create($request.Script)
        . $block 2>&1 3>&1 4>&1 | ForEach-Object {
            if ($_ -is [System.Management.Automation.ErrorRecord]) { $errors.Add((__Describe $_)) }
            elseif ($_ -is [System.Management.Automation.WarningRecord]) { $warnings.Add($_.Message) }
            elseif ($_ -is [System.Management.Automation.VerboseRecord]) { $verbose.Add($_.Message) }
            elseif ($null -eq $_) { $output.Add('') }
            elseif ($_ -is [string]) { $output.Add($_) }
            else { $output.Add(($_ | Out-String -Width $Width).TrimEnd()) }
        }
    }
    catch {
        $errors.Add((__Describe $_))
    }
    [ordered]@{ Output = $output; Errors = $errors; Warnings = $warnings; Verbose = $verbose } |
        ConvertTo-Json -Depth 4 -Compress | Set-Content -LiteralPath $request.Response -Encoding utf8NoBOM
    [Console]::Out.WriteLine('##done')
}
