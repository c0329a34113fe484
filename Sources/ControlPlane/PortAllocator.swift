import Foundation

/// Free TCP ports, for forwarding guests' ports and for `sortie serve --listen HOST:0`.
public enum PortAllocator {
    /// Asks the kernel for a free port on 127.0.0.1 (bind to port 0, read it back, release it).
    public static func freeLoopbackPort(host: String = "127.0.0.1") throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw APIError(500, "backendError", "cannot create a socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw APIError(500, "backendError", "no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
