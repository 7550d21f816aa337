<#
    .SYNOPSIS
        Maps the netstat state names to the names Get-NetTCPConnection uses.

    .OUTPUTS
        System.Collections.Hashtable. @{ 'TIME_WAIT' = 'TimeWait'; ... }.
#>
function Get-MailhostNetstatStateMap {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param ()

    return @{
        'CLOSED' = 'Closed'; 'LISTENING' = 'Listen'; 'SYN_SENT' = 'SynSent'; 'SYN_RECEIVED' = 'SynReceived'
        'ESTABLISHED' = 'Established'; 'FIN_WAIT_1' = 'FinWait1'; 'FIN_WAIT_2' = 'FinWait2'; 'CLOSE_WAIT' = 'CloseWait'
        'CLOSING' = 'Closing'; 'LAST_ACK' = 'LastAck'; 'TIME_WAIT' = 'TimeWait'; 'DELETE_TCB' = 'DeleteTCB'; 'BOUND' = 'Bound'
    }
}
