# Generated from domain/limits.ts by components/guestScripts.ts renderGuestLimits (npm run guest:limits). Do not edit.
@{
    MaxUserPort                   = @{ Min = 5000; Max = 65534; Unit = 'port number' }
    TcpTimedWaitDelay             = @{ Min = 30; Max = 300; Unit = 'seconds' }
    DynamicPortRangeStartPort     = @{ Min = 1025; Max = 65281; Unit = 'port number' }
    DynamicPortRangeNumberOfPorts = @{ Min = 255; Max = 64511; Unit = 'ports' }
    AutoReusePortRangeStartPort   = @{ Min = 1025; Max = 65281; Unit = 'port number' }
    AutoReusePortRangeNumberOfPorts = @{ Min = 255; Max = 60535; Unit = 'ports' }
    MinPortsOutsideAutoReuseRange = 3976
    HighestPort                   = 65535
    PortUsageEndpointsPerReading  = 20
    PortUsageEventSource          = 'MailhostIac-PortUsage'
    PortUsageEventLog             = 'Application'
    PortUsageEventIds             = @{ Reading = 3001; Failed = 3002 }
    WindowsDefaults               = @{
        MaxUserPort                   = $null
        TcpTimedWaitDelay             = 120
        DynamicPortRangeStartPort     = 49152
        DynamicPortRangeNumberOfPorts = 16384
        AutoReusePortRangeStartPort   = 0
        AutoReusePortRangeNumberOfPorts = 0
    }
    CorrectionEvents              = @{
        Source   = 'MailhostTcpTuning'
        LogName  = 'Application'
        EventIds = @{
            MaxUserPort          = 1001
            TcpTimedWaitDelay    = 1002
            DynamicPortRangeIPv4 = 1003
            DynamicPortRangeIPv6 = 1004
            SiteConfig           = 1005
            AutoReusePortRange   = 1006
        }
    }
}
