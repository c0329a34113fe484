/// What an application is told about one TCP connection. Callbacks run in the main loop.
public protocol TCPConnectionDelegate: AnyObject {
    /// Data arrived, the peer closed its side, or sent data was acknowledged (room to write).
    func tcpConnectionDidReceive(_ connection: TCPConnection)
    /// The connection is gone (closed, reset or timed out); it must not be used any more.
    func tcpConnectionDidClose(_ connection: TCPConnection)
    /// Called about four times a second, for the application's own timeouts.
    func tcpConnectionTimer(_ connection: TCPConnection, now: UInt64)
}

/// One TCP connection accepted by a listener (RFC 9293 state machine, RFC 6298 retransmission
/// timer with exponential backoff, RFC 5681 slow start and fast retransmit).
public final class TCPConnection {
    /// RFC 9293 states (LISTEN lives in the listener; CLOSED means removed).
    public enum State { case synReceived, established, closeWait, lastAck, finWait1, finWait2, closing, timeWait, closed }

    static let receiveCapacity = 65535
    static let maxOutOfOrder = 32
    static let minRTO: UInt64 = 200
    static let maxRTO: UInt64 = 60_000
    static let maxRetries = 12
    static let maxSynRetries = 5
    /// TIME-WAIT lasts this long (a short 2*MSL, as unikernels and many stacks use).
    static let timeWaitDuration: UInt64 = 4000
    /// A connection whose peer never sends its FIN is dropped after this long in FIN-WAIT-2.
    static let finWait2Timeout: UInt64 = 30_000

    /// The peer's address and port, and our port.
    public let remoteAddress: IPv4Address
    public let remotePort: UInt16
    public let localPort: UInt16
    /// The connection's key in the TCP connection table.
    let tableKey: UInt64
    /// Where the connection is in the state machine.
    public internal(set) var state: State = .synReceived
    /// Where the application hears about this connection.
    public var delegate: TCPConnectionDelegate?
    let tcp: TCP

    // Send side.
    var iss: UInt32 = 0
    var sndUna: UInt32 = 0
    var sndNxt: UInt32 = 0
    var sndWnd: UInt32 = 0
    var sndWl1: UInt32 = 0
    var sndWl2: UInt32 = 0
    var sendBuffer = ByteQueue()
    var finQueued = false
    var finSent = false
    var mss = 536
    var cwnd = 0
    var ssthresh = 65535
    var dupAcks = 0

    // Receive side.
    var irs: UInt32 = 0
    var rcvNxt: UInt32 = 0
    var inbox = ByteQueue()
    var outOfOrder: [(seq: UInt32, bytes: [UInt8], fin: Bool)] = []
    var finReceived = false
    var advertisedWindow = 0

    // Timers (milliseconds since boot; 0 = off).
    var rto: UInt64 = 1000
    var srtt: UInt64 = 0
    var rttvar: UInt64 = 0
    var rttSeq: UInt32 = 0
    var rttStart: UInt64 = 0
    var rttTiming = false
    var retransmitAt: UInt64 = 0 {
        didSet { if retransmitAt != 0 { tcp.timersArmed = true } }
    }
    var retries = 0
    var closeAt: UInt64 = 0

    // Main-loop bookkeeping.
    var ackNeeded = false
    var notifyApp = false
    var queued = false
    var closedNotified = false
    var accepted = false

    init(tcp: TCP, remote: IPv4Address, remotePort: UInt16, localPort: UInt16) {
        self.tcp = tcp
        remoteAddress = remote
        self.remotePort = remotePort
        self.localPort = localPort
        tableKey = ConnectionTable.key(remote, remotePort, localPort)
    }

    // MARK: Application interface

    /// Bytes received and not yet read.
    public var available: Int { inbox.count }
    /// Bytes written and not yet acknowledged by the peer.
    public var unacknowledged: Int { sendBuffer.count }
    /// Whether the peer has closed its side (no more data will arrive).
    public var peerClosed: Bool { finReceived }
    /// Whether the application may still write.
    public var writable: Bool { !finQueued && (state == .established || state == .closeWait) }

    /// Takes every received byte.
    public func read() -> [UInt8] {
        let bytes = inbox.takeAll()
        windowOpened()
        return bytes
    }

    /// Takes received bytes, appending them to `buffer`.
    public func read(into buffer: inout [UInt8]) {
        guard !inbox.isEmpty else { return }
        inbox.withBytes { buffer.append(contentsOf: $0) }
        inbox.removeFirst(inbox.count)
        windowOpened()
    }

    /// Queues bytes to send.
    public func write(_ bytes: [UInt8]) {
        guard writable, !bytes.isEmpty else { return }
        sendBuffer.append(bytes)
        tcp.schedule(self)
    }

    /// Queues the UTF-8 bytes of `text` to send.
    public func write(_ text: String) {
        guard writable else { return }
        var t = text
        t.withUTF8 { b in if let base = b.baseAddress { sendBuffer.append(base, b.count) } }
        tcp.schedule(self)
    }

    /// Closes our side after everything written is sent (FIN).
    public func close() {
        switch state {
        case .established: state = .finWait1
        case .closeWait: state = .lastAck
        default: return
        }
        finQueued = true
        tcp.schedule(self)
    }

    /// Resets the connection at once (RST); buffered data is dropped.
    public func abort() {
        guard state != .closed else { return }
        tcp.sendSegment(to: remoteAddress, sourcePort: localPort, destinationPort: remotePort,
                        seq: sndNxt, ack: rcvNxt, flags: TCPSegment.rst | TCPSegment.ack, window: 0)
        tcp.stack.stats.tcpResetsSent += 1
        enterClosed()
    }
}
