@{
    RootModule           = 'MailhostTcpTuning.psm1'
    ModuleVersion        = '1.0.0'
    GUID                 = '5d0c7c2e-8f4a-4c1e-9b6a-2f1e7d3a9c41'
    Author               = 'mailhost-iac'
    CompanyName          = 'mailhost-iac'
    Copyright            = 'Apache-2.0'
    Description          = 'DSC resource MailhostTcpTuning: TCP ephemeral-port tuning (MaxUserPort, TcpTimedWaitDelay, dynamic port ranges) and SiteConfig.cfg of a Windows mail host. Never reboots.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    # The files of Public/, one function each (a test keeps this list equal to them).
    FunctionsToExport    = @(
        'Clear-MailhostLeftoverLcmDocument'
        'Compare-MailhostPortUsageSampler'
        'ConvertFrom-MailhostBase64Url'
        'ConvertFrom-MailhostUtf8'
        'ConvertTo-MailhostDesiredState'
        'Get-MailhostAutoReusePortRange'
        'Get-MailhostDynamicPortRange'
        'Get-MailhostLcmConfigurationMode'
        'Get-MailhostNetTcpConnection'
        'Get-MailhostPortUsageDesired'
        'Get-MailhostRebootPendingSince'
        'Get-MailhostRegistryValue'
        'Get-MailhostSha256Hex'
        'Get-MailhostTcpTuningReason'
        'Get-MailhostTcpTuningState'
        'Get-MailhostTcpipValue'
        'Invoke-MailhostPortUsageSample'
        'Measure-MailhostPortUsage'
        'Read-MailhostFileBytes'
        'Set-MailhostTcpTuning'
        'Test-MailhostAbsolutePath'
        'Test-MailhostRegistryKey'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    DscResourcesToExport = @('MailhostTcpTuning')
}
