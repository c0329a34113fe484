import Foundation
import Synchronization

/// Test-only faults (`sortie serve --inject-faults SPEC`): chosen requests fail with 429 or 503
/// before they are processed, end in an operation error, or are processed and then lose their
/// answer (the connection is dropped), so clients' retries, `requestId`s and resumption can be
/// tested against the real plane.
///
/// SPEC is comma-separated rules `METHOD:PATH-FRAGMENT=KIND[xCOUNT]`, e.g.
/// `POST:/global/instanceTemplates=dropx1,GET:/instanceGroupManagers/=429x2,POST:/global/images=operation-error`.
/// KIND is `429`, `503`, `drop` or `operation-error`; COUNT (default 1) is how many matching
/// requests the rule hits, in order; `*` as METHOD matches any.
public final class FaultInjection: Sendable {
    public enum Kind: Sendable, Equatable {
        case status(Int)
        case drop
        case operationError
    }

    public struct Rule: Sendable, Equatable {
        public var method: String
        public var pathFragment: String
        public var kind: Kind
        public var remaining: Int
    }

    private let rules: Mutex<[Rule]>

    public init(rules: [Rule]) { self.rules = Mutex(rules) }

    /// Parses SPEC, or explains what is wrong with it.
    public convenience init(spec: String) throws {
        var rules: [Rule] = []
        for part in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            guard let colon = part.firstIndex(of: ":"), let equals = part.lastIndex(of: "="), colon < equals else {
                throw FaultSpecError(rule: part)
            }
            let method = part[..<colon].uppercased()
            let fragment = String(part[part.index(after: colon)..<equals])
            var kindText = String(part[part.index(after: equals)...])
            var count = 1
            if let x = kindText.lastIndex(of: "x"), let n = Int(kindText[kindText.index(after: x)...]), n > 0 {
                count = n
                kindText = String(kindText[..<x])
            }
            let kind: Kind
            switch kindText {
            case "429", "503", "500": kind = .status(Int(kindText)!)
            case "drop": kind = .drop
            case "operation-error": kind = .operationError
            default: throw FaultSpecError(rule: part)
            }
            guard !fragment.isEmpty else { throw FaultSpecError(rule: part) }
            rules.append(Rule(method: method, pathFragment: fragment, kind: kind, remaining: count))
        }
        self.init(rules: rules)
    }

    /// The fault for this request, if a rule with hits left matches (using one hit).
    public func take(method: String, path: String) -> Kind? {
        rules.withLock { rules in
            guard let index = rules.firstIndex(where: {
                $0.remaining > 0 && ($0.method == "*" || $0.method == method) && path.contains($0.pathFragment)
            }) else { return nil }
            rules[index].remaining -= 1
            return rules[index].kind
        }
    }
}

public struct FaultSpecError: Error, CustomStringConvertible {
    public let rule: String
    public var description: String {
        "bad fault rule \"\(rule)\": expected METHOD:PATH-FRAGMENT=KIND[xCOUNT] with KIND 429, 503, drop or operation-error"
    }
}

extension APIResponse {
    /// Whether the server drops the connection instead of answering (an injected fault).
    var dropsConnection: Bool { headers[.sortieDropConnection] != nil }

    /// A DONE operation that failed, as GCE reports errors found after accepting a request.
    static func failedOperation(_ request: APIRequest) -> APIResponse {
        let name = "operation-fault-" + Identifiers.randomToken().prefix(12).lowercased()
        return APIResponse(json: .object([
            "kind": "compute#operation", "id": .string(Identifiers.newID()), "name": .string(name), "status": .string(OperationStatus.done.rawValue),
            "operationType": "insert", "progress": .number(100), "targetLink": .string(request.path),
            "error": .object(["errors": .array([.object(["code": "INTERNAL_ERROR",
                                                         "message": "Injected fault: the operation failed (sortie serve --inject-faults)"])])]),
            "httpErrorStatusCode": .number(500), "httpErrorMessage": "INTERNAL SERVER ERROR",
        ]))
    }
}
