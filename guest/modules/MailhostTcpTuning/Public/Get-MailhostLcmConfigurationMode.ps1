<#
    .SYNOPSIS
        Reads the ConfigurationMode of the DSC Local Configuration Manager when a DSC configuration
        has been applied.

    .DESCRIPTION
        A configuration counts as applied when Current.mof or Pending.mof exists or
        Get-DscConfigurationStatus returns a status. Reads only: never Get-DscConfiguration, which
        re-runs the resources' Get.

    .OUTPUTS
        System.String. The ConfigurationMode, such as ApplyAndAutoCorrect; $null when DSC is not in
        use or not installed.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostLcmConfigurationMode {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    if ($null -eq (Get-Command -Name 'Get-DscLocalConfigurationManager' -ErrorAction SilentlyContinue)) {
        return $null
    }
    $inUse = @(Get-MailhostLcmDocument).Count -gt 0
    if (-not $inUse -and $null -ne (Get-Command -Name 'Get-DscConfigurationStatus' -ErrorAction SilentlyContinue)) {
        try {
            $inUse = $null -ne (Get-DscConfigurationStatus -ErrorAction Stop)
        }
        catch {
            # No configuration has been applied (or no status is kept): DSC is not in use.
            $inUse = $false
        }
    }
    if (-not $inUse) {
        return $null
    }
    $mode = [string](Get-DscLocalConfigurationManager).ConfigurationMode
    if ([string]::IsNullOrEmpty($mode)) {
        return $null
    }
    return $mode
}
