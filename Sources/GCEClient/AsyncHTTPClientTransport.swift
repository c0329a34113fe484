import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix

/// `HTTPTransport` over AsyncHTTPClient: one connection pool, redirects never followed, every
/// failure mapped to a `TransportError`. Call `shutdown()` when done.
public final class AsyncHTTPClientTransport: HTTPTransport {
    let client: HTTPClient
    /// The most bytes of a response body read into memory.
    let maxResponseBytes: Int

    public init(connectTimeout: Duration = .seconds(10), maxResponseBytes: Int = 64 << 20) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .init(connectTimeout)))
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.maxResponseBytes = maxResponseBytes
    }

    /// Closes the connections; the transport cannot be used afterwards.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// Closes the connections from synchronous code (e.g. an initializer that failed after making it).
    public func shutdownNow() throws {
        try client.syncShutdown()
    }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            outgoing.body = .bytes(ByteBuffer(data: request.body))
        }
        do {
            let response = try await client.execute(outgoing, timeout: .init(request.timeout))
            let body = try await response.body.collect(upTo: maxResponseBytes)
            return TransportResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                                body: Data(buffer: body))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Self.classify(error)
        }
    }

    /// Maps AsyncHTTPClient's and NIO's errors to what a retry decision needs.
    static func classify(_ error: any Error) -> TransportError {
        let detail = String(describing: error)
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .getConnectionFromPoolTimeout,
                 .tlsHandshakeTimeout:
                return TransportError(.timeout, detail)
            case .remoteConnectionClosed:
                return TransportError(.connectionLost, detail)
            default:
                return TransportError(.other, detail)
            }
        }
        if error is NIOConnectionError { return TransportError(.connectionFailed, detail) }
        // The connection closed in the middle of a response ("stream ended at an unexpected time").
        if let error = error as? HTTPParserError, error == .invalidEOFState { return TransportError(.connectionLost, detail) }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL: return TransportError(.connectionFailed, detail)
            case ECONNRESET, EPIPE, ECONNABORTED: return TransportError(.connectionLost, detail)
            case ETIMEDOUT: return TransportError(.timeout, detail)
            default: return TransportError(.other, detail)
            }
        }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return TransportError(.timeout, detail)
            case .ioOnClosedChannel, .eof, .outputClosed, .inputClosed, .alreadyClosed: return TransportError(.connectionLost, detail)
            default: return TransportError(.other, detail)
            }
        }
        return TransportError(.other, detail)
    }
}
