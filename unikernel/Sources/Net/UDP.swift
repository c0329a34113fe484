/// UDP (RFC 768): checksums verified, datagrams for port 68 go to the DHCP client.
extension NetworkStack {
    func receiveUDP(_ p: UnsafeRawPointer, _ length: Int, from source: IPv4Address, to destination: IPv4Address) {
        guard length >= 8 else { stats.malformed += 1; return }
        let udpLength = Int(p.be16(4))
        guard udpLength >= 8, udpLength <= length else { stats.malformed += 1; return }
        if p.be16(6) != 0 {
            let sum = Checksum.add(p, udpLength, to: Checksum.pseudoHeader(source: source, destination: destination, protocol: 17, length: udpLength))
            guard Checksum.verify(sum) else { stats.malformed += 1; return }
        }
        let destinationPort = p.be16(2)
        if destinationPort == DHCPClient.clientPort, let client = dhcp {
            client.receive(self, p + 8, udpLength - 8)
        } else {
            stats.ignored += 1
        }
    }

    /// Sends a UDP datagram with `count` payload bytes from `payload`.
    @discardableResult
    func sendUDP(to destination: IPv4Address, from source: IPv4Address, sourcePort: UInt16, destinationPort: UInt16,
                 payload: UnsafeRawBufferPointer) -> Bool {
        let count = payload.count
        return sendIPv4(to: destination, protocol: 17, from: source) { p in
            p.setBE16(0, sourcePort)
            p.setBE16(2, destinationPort)
            p.setBE16(4, UInt16(8 + count))
            p.setBE16(6, 0)
            if let base = payload.baseAddress { (p + 8).copyMemory(from: base, byteCount: count) }
            var sum = Checksum.finish(Checksum.add(p, 8 + count, to: Checksum.pseudoHeader(source: source, destination: destination, protocol: 17, length: 8 + count)))
            if sum == 0 { sum = 0xFFFF }
            p.setBE16(6, sum)
            return 8 + count
        }
    }
}
