// sortie-lb-bench: the load balancer alone, for scripts/bench lb.
//
//   sortie-lb-bench [--host 127.0.0.1] [--port 0] HOST:PORT...
//
// Starts a ReverseProxy (on the shared event loop group: one thread per core) in front of the
// given backends, prints "listening PORT" on stdout once it accepts connections, and runs until
// SIGTERM or SIGINT; then it stops gracefully and prints its counters.
import Dispatch
import LoadBalancer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered, so the parent sees each line at once.
func say(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}

func usage() -> Never {
    say("usage: sortie-lb-bench [--host ADDR] [--port N] HOST:PORT...")
    exit(2)
}

var configuration = ProxyConfiguration()
var backends: [Backend] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--host":
        guard let value = arguments.popFirst() else { usage() }
        configuration.host = value
    case "--port":
        guard let value = arguments.popFirst().flatMap({ Int($0) }) else { usage() }
        configuration.port = value
    default:
        guard let colon = argument.lastIndex(of: ":"), let port = Int(argument[argument.index(after: colon)...]) else {
            usage()
        }
        backends.append(Backend(id: "b\(backends.count)", host: String(argument[..<colon]), port: port))
    }
}
if backends.isEmpty { usage() }

let proxy = ReverseProxy(configuration: configuration)
proxy.setBackends(backends)
let port = try await proxy.start()
say("listening \(port)")

let (signals, received) = AsyncStream<Int32>.makeStream()
let signalSources = [SIGTERM, SIGINT].map { signalNumber in
    signal(signalNumber, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
    source.setEventHandler { @Sendable in received.yield(signalNumber) }
    source.resume()
    return source
}
for await _ in signals { break }
try await proxy.stop(gracePeriod: Duration.seconds(5))
let stats = proxy.stats
signalSources.forEach { $0.cancel() }
say("requests \(stats.requests) failures \(stats.failures) retries \(stats.retries) aborted \(stats.aborted)")
