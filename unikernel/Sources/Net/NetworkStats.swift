/// Counters of what the network stack received, sent and dropped.
public struct NetworkStats {
    public var framesReceived = 0
    public var framesSent = 0
    /// Frames dropped as malformed: too short, bad lengths, bad checksums, bad headers.
    public var malformed = 0
    /// IPv4 fragments (dropped: the stack does not reassemble).
    public var fragments = 0
    /// Frames for other hosts, other protocols or closed UDP ports.
    public var ignored = 0
    public var arpRequestsAnswered = 0
    public var icmpEchoesAnswered = 0
    public var tcpResetsSent = 0
    public var tcpRetransmissions = 0
    public var tcpConnectionsAccepted = 0
    public var tcpConnectionsRefused = 0
}
