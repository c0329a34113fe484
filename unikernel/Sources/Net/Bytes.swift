/// Big-endian (network order) access to packet bytes. Callers check lengths first.
extension UnsafeRawPointer {
    @inline(__always) func be16(_ offset: Int) -> UInt16 {
        UInt16(load(fromByteOffset: offset, as: UInt8.self)) << 8 | UInt16(load(fromByteOffset: offset + 1, as: UInt8.self))
    }
    @inline(__always) func be32(_ offset: Int) -> UInt32 {
        UInt32(be16(offset)) << 16 | UInt32(be16(offset + 2))
    }
    @inline(__always) func byte(_ offset: Int) -> UInt8 { load(fromByteOffset: offset, as: UInt8.self) }
    @inline(__always) func mac(_ offset: Int) -> MACAddress {
        MACAddress(UInt64(be16(offset)) << 32 | UInt64(be32(offset + 2)))
    }
}

extension UnsafeMutableRawPointer {
    @inline(__always) func setBE16(_ offset: Int, _ v: UInt16) {
        storeBytes(of: UInt8(v >> 8), toByteOffset: offset, as: UInt8.self)
        storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: offset + 1, as: UInt8.self)
    }
    @inline(__always) func setBE32(_ offset: Int, _ v: UInt32) {
        setBE16(offset, UInt16(v >> 16))
        setBE16(offset + 2, UInt16(truncatingIfNeeded: v))
    }
    @inline(__always) func setByte(_ offset: Int, _ v: UInt8) { storeBytes(of: v, toByteOffset: offset, as: UInt8.self) }
    @inline(__always) func setMAC(_ offset: Int, _ m: MACAddress) {
        setBE16(offset, UInt16(truncatingIfNeeded: m.value >> 32))
        setBE32(offset + 2, UInt32(truncatingIfNeeded: m.value))
    }
}

/// The Internet checksum (RFC 1071): ones' complement sum of 16-bit words.
enum Checksum {
    /// Adds `count` bytes at `p` to a running 32-bit sum.
    static func add(_ p: UnsafeRawPointer, _ count: Int, to initial: UInt32 = 0) -> UInt32 {
        var sum = UInt64(initial)
        var i = 0
        while i + 8 <= count {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            sum &+= (w & 0xFFFF_FFFF) &+ (w >> 32)
            i += 8
        }
        while i + 2 <= count {
            sum &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i += 2
        }
        if i < count { sum &+= UInt64(p.byte(i)) }
        // Fold to 16 bits (still in memory byte order, i.e. little-endian words).
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
        return UInt32(sum)
    }

    /// Folds and complements a sum from `add`, in network byte order as a value for `setBE16`.
    static func finish(_ sum: UInt32) -> UInt16 {
        var s = sum
        while s >> 16 != 0 { s = (s & 0xFFFF) &+ (s >> 16) }
        let folded = ~UInt16(truncatingIfNeeded: s)
        return folded.byteSwapped
    }

    /// The pseudo-header sum for TCP and UDP (in the same little-endian word order as `add`).
    static func pseudoHeader(source: IPv4Address, destination: IPv4Address, protocol proto: UInt8, length: Int) -> UInt32 {
        var s: UInt32 = 0
        s &+= UInt32(UInt16(truncatingIfNeeded: source.value >> 16).byteSwapped)
        s &+= UInt32(UInt16(truncatingIfNeeded: source.value).byteSwapped)
        s &+= UInt32(UInt16(truncatingIfNeeded: destination.value >> 16).byteSwapped)
        s &+= UInt32(UInt16(truncatingIfNeeded: destination.value).byteSwapped)
        s &+= UInt32(UInt16(proto).byteSwapped)
        s &+= UInt32(UInt16(truncatingIfNeeded: length).byteSwapped)
        return s
    }

    /// Whether data plus pseudo-header sums to all ones (a valid checksum inside).
    static func verify(_ sum: UInt32) -> Bool { finish(sum) == 0 }
}
