import Foundation

/// One health probe from the host to a guest's forwarded port: an HTTP GET that must answer
/// 200 (HTTP/HTTPS-less checks), or a TCP connect, within the check's timeout.
enum HealthProber {
    struct Target: Sendable {
        var port: Int
        var http: Bool
        var path: String
        var host: String?
        var timeout: Double
    }

    /// True when the target answered as a healthy instance would. Blocking; call off the event loop.
    static func probe(_ target: Target) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(target.timeout), tv_usec: Int((target.timeout - floor(target.timeout)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(target.port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        guard target.http else {
            // QEMU's user networking accepts on the host side even when the guest does not listen;
            // a TCP check therefore needs the guest to answer something or hold the connection.
            var byte: UInt8 = 0
            let n = recv(fd, &byte, 1, Int32(MSG_PEEK))
            return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        }
        let request = "GET \(target.path) HTTP/1.1\r\nHost: \(target.host ?? "127.0.0.1")\r\nUser-Agent: GoogleHC/1.0\r\nConnection: close\r\n\r\n"
        let sent = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        guard sent > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 64, 0) }
        guard n >= 12 else { return false }
        let statusLine = String(decoding: buffer[0..<n], as: UTF8.self)
        return statusLine.hasPrefix("HTTP/1.") && statusLine.dropFirst(9).hasPrefix("200")
    }
}
