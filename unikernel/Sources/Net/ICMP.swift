/// ICMP (RFC 792): echo requests are answered.
extension NetworkStack {
    func receiveICMP(_ p: UnsafeRawPointer, _ length: Int, from source: IPv4Address) {
        guard length >= 8, Checksum.verify(Checksum.add(p, length)) else { stats.malformed += 1; return }
        guard p.byte(0) == 8, p.byte(1) == 0 else { stats.ignored += 1; return }
        guard length + 20 <= mtu else { stats.ignored += 1; return }
        stats.icmpEchoesAnswered += 1
        sendIPv4(to: source, protocol: 1) { out in
            out.copyMemory(from: p, byteCount: length)
            out.setByte(0, 0)
            out.setBE16(2, 0)
            out.setBE16(2, Checksum.finish(Checksum.add(out, length)))
            return length
        }
    }
}
