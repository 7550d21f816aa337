<#
    .SYNOPSIS
        Reads the TCP connections of the machine (Get-NetTCPConnection).

    .DESCRIPTION
        MSFT_NetTCPConnection objects: LocalAddress, LocalPort, RemoteAddress, RemotePort, State
        (Closed, Listen, SynSent, SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing,
        LastAck, TimeWait, DeleteTCB, Bound), OwningProcess. Throws when the cmdlet fails.

    .OUTPUTS
        Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetTCPConnection.
        One per connection.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostNetTcpConnection {
    [CmdletBinding()]
    [OutputType('Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetTCPConnection')]
    param ()

    return @(Get-NetTCPConnection -ErrorAction Stop)
}
