<#
    .SYNOPSIS
        Reads the lines of "netstat -ano -p TCP" and "netstat -ano -p TCPv6".

    .DESCRIPTION
        The fallback when Get-NetTCPConnection fails. Columns: Proto, Local Address, Foreign
        Address, State, PID; IPv6 addresses in brackets. Throws when netstat fails.

    .OUTPUTS
        System.String. The lines, one by one.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostNetstatLine {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    $lines = [System.Collections.Generic.List[string]]::new()
    foreach ($protocol in @('TCP', 'TCPv6')) {
        $output = & netstat.exe -ano -p $protocol
        if ($LASTEXITCODE -ne 0) {
            throw "netstat -ano -p $protocol exited with $LASTEXITCODE."
        }
        foreach ($line in $output) {
            $lines.Add([string]$line)
        }
    }
    return $lines.ToArray()
}
