/// A received TCP segment, parsed and checked (RFC 9293 §3.1).
struct TCPSegment {
    static let fin: UInt8 = 0x01
    static let syn: UInt8 = 0x02
    static let rst: UInt8 = 0x04
    static let psh: UInt8 = 0x08
    static let ack: UInt8 = 0x10

    var sourcePort: UInt16
    var destinationPort: UInt16
    var seq: UInt32
    var ackNumber: UInt32
    var flags: UInt8
    var window: UInt16
    /// The MSS option, if the segment carries one.
    var mss: Int?
    var payload: UnsafeRawPointer
    var payloadLength: Int

    func has(_ flag: UInt8) -> Bool { flags & flag != 0 }

    /// Sequence space the segment occupies (data, SYN and FIN).
    var sequenceLength: UInt32 {
        UInt32(payloadLength) + (has(TCPSegment.syn) ? 1 : 0) + (has(TCPSegment.fin) ? 1 : 0)
    }

    /// Parses a segment of `length` bytes at `p`; nil if it is malformed (too short, bad data
    /// offset, bad options or bad checksum).
    init?(_ p: UnsafeRawPointer, _ length: Int, source: IPv4Address, destination: IPv4Address) {
        guard length >= 20 else { return nil }
        let dataOffset = Int(p.byte(12) >> 4) * 4
        guard dataOffset >= 20, dataOffset <= length else { return nil }
        let sum = Checksum.add(p, length, to: Checksum.pseudoHeader(source: source, destination: destination, protocol: 6, length: length))
        guard Checksum.verify(sum) else { return nil }
        sourcePort = p.be16(0)
        destinationPort = p.be16(2)
        seq = p.be32(4)
        ackNumber = p.be32(8)
        flags = p.byte(13) & 0x3F
        window = p.be16(14)
        mss = nil
        var o = 20
        while o < dataOffset {
            let kind = p.byte(o)
            if kind == 0 { break }
            if kind == 1 { o += 1; continue }
            guard o + 1 < dataOffset else { return nil }
            let n = Int(p.byte(o + 1))
            guard n >= 2, o + n <= dataOffset else { return nil }
            if kind == 2 {
                guard n == 4 else { return nil }
                mss = Int(p.be16(o + 2))
            }
            o += n
        }
        payload = p + dataOffset
        payloadLength = length - dataOffset
        guard sourcePort != 0, destinationPort != 0 else { return nil }
    }
}

/// Sequence number arithmetic modulo 2^32.
@inline(__always) func seqLT(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }
@inline(__always) func seqLE(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) <= 0 }
@inline(__always) func seqGT(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) > 0 }
@inline(__always) func seqGE(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) >= 0 }
