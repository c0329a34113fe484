import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Serves a `Plane` over HTTP/1.1 with Hummingbird: every request, whatever its path, goes to
/// `Plane.handle`, which does its own routing (object names may hold encoded slashes).
public enum PlaneServer {
    /// The largest request body accepted (a resumable upload chunk, a simple upload).
    public static let maxBody = 512 * 1024 * 1024

    public static func application(plane: Plane, host: String, port: Int, logger: Logger,
                                   onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: maxBody)
            let uri = request.uri
            let apiRequest = APIRequest(method: request.method.rawValue, rawPath: uri.path,
                                        query: APIRequest.parseQuery(uri.query ?? ""), headers: request.headers,
                                        body: Data(buffer: body))
            let response = await plane.handle(apiRequest)
            if response.dropsConnection {
                // An injected fault: the request was processed, its answer is lost.
                return Response(status: .ok, body: ResponseBody { _ in throw DroppedConnection() })
            }
            var fields = response.headers
            fields[.sortieDropConnection] = nil
            return Response(status: HTTPResponse.Status(code: response.status), headers: fields,
                            body: ResponseBody(byteBuffer: ByteBuffer(data: response.body)))
        }
        return Application(responder: responder,
                           configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "sortie"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
                           logger: logger)
    }
}

/// Thrown while writing a response body so the server closes the connection without an answer.
struct DroppedConnection: Error {}
