<#
    .SYNOPSIS
        Lists the configuration documents of the DSC Local Configuration Manager that are present.

    .DESCRIPTION
        Looks for Current.mof and Pending.mof in %SystemRoot%\System32\Configuration (through
        Sysnative from a 32-bit process). Reads only.

    .OUTPUTS
        System.String. The names of the documents found, one by one.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostLcmDocument {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    $system = [System.Environment]::SystemDirectory
    if ([System.Environment]::Is64BitOperatingSystem -and -not [System.Environment]::Is64BitProcess) {
        $system = Join-Path -Path $env:SystemRoot -ChildPath 'Sysnative'
    }
    $found = [System.Collections.Generic.List[string]]::new()
    foreach ($document in @('Current.mof', 'Pending.mof')) {
        if (Test-Path -LiteralPath (Join-Path -Path $system -ChildPath ('Configuration\' + $document)) -PathType Leaf) {
            $found.Add($document)
        }
    }
    return $found.ToArray()
}
