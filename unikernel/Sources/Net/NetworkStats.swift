/// Counters of what the network stack received, sent and dropped.
public struct NetworkStats {
    /// Ethernet frames received.
    public var framesReceived = 0
    /// Ethernet frames sent.
    public var framesSent = 0
    /// Frames dropped as malformed: too short, bad lengths, bad checksums, bad headers.
    public var malformed = 0
    /// IPv4 fragments (dropped: the stack does not reassemble).
    public var fragments = 0
    /// Frames for other hosts, other protocols or closed UDP ports.
    public var ignored = 0
    /// ARP requests for our address answered.
    public var arpRequestsAnswered = 0
    /// ICMP echo requests answered.
    public var icmpEchoesAnswered = 0
    /// RSTs sent (closed ports, aborted connections).
    public var tcpResetsSent = 0
    /// TCP retransmissions (timeouts and fast retransmits).
    public var tcpRetransmissions = 0
    /// TCP connections that completed the handshake.
    public var tcpConnectionsAccepted = 0
    /// SYNs dropped because the connection table was full.
    public var tcpConnectionsRefused = 0
}
