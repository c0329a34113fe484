import Foundation
import GCEClient
import Synchronization

/// A transport for pure unit tests of the client's own logic: answers each request from a script
/// and records what was sent. (Integration tests use the real plane and a real proxy instead.)
final class ScriptedTransport: HTTPTransport {
    enum Step: Sendable {
        case answer(Int, String, headers: [(String, String)] = [])
        case fail(TransportError.Kind)
    }

    private let state: Mutex<(steps: [Step], sent: [TransportRequest])>

    init(_ steps: [Step]) { state = Mutex((steps, [])) }

    var sent: [TransportRequest] { state.withLock { $0.sent } }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        let step: Step = state.withLock {
            $0.sent.append(request)
            return $0.steps.isEmpty ? .answer(500, "script exhausted") : $0.steps.removeFirst()
        }
        switch step {
        case .answer(let status, let body, let headers): return TransportResponse(status: status, headers: headers, body: Data(body.utf8))
        case .fail(let kind): throw TransportError(kind, "scripted \(kind)")
        }
    }
}

extension TransportRequest {
    /// The value of a query parameter of the URL.
    func query(_ name: String) -> String? {
        URLComponents(string: url)?.queryItems?.first { $0.name == name }?.value
    }

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// A GCE error body.
func errorBody(_ code: Int, _ reason: String, _ message: String = "failed") -> String {
    #"{"error":{"code":\#(code),"message":"\#(message)","errors":[{"domain":"global","reason":"\#(reason)","message":"\#(message)"}]}}"#
}
