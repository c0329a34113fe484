import Foundation
import HTTPTypes
import Logging
import SortieSupport

/// The local control plane: authenticates each request, routes it to the Compute or Storage
/// handlers, and turns every failure into Google's error shape.
public final class Plane: Sendable {
    public let configuration: PlaneConfiguration
    public let store: Store
    public let token: String
    let storage: StorageService
    let compute: ComputeService
    let logger: Logger
    private let exchangeLog: ExchangeLog?

    public init(configuration: PlaneConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let fm = FileManager.default
        for dir in ["", "/blobs", "/uploads", "/images", "/instances"] {
            try fm.createDirectory(atPath: configuration.dataDirectory + dir, withIntermediateDirectories: true)
        }
        store = try Store(path: configuration.dataDirectory + "/state.sqlite", logger: logger)
        token = try Self.loadOrCreateToken(configuration.dataDirectory + "/token")
        storage = StorageService(store: store, configuration: configuration)
        compute = try ComputeService(store: store, configuration: configuration, storage: storage, logger: logger)
        exchangeLog = configuration.exchangeLog.map(ExchangeLog.init(path:))
    }

    /// Reads the bearer token, or creates one readable only by its owner (0600).
    static func loadOrCreateToken(_ path: String) throws -> String {
        if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let token = "sortie-" + Identifiers.randomToken()
        do {
            try AtomicFile.write(token, to: path, permissions: 0o600)
        } catch {
            throw APIError(500, "backendError", error.message)
        }
        return token
    }

    /// Starts background work: adopting or restarting instances, finishing interrupted operations.
    public func start() async {
        await compute.recover()
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        let response: APIResponse
        if request.segments == ["healthz"] {
            response = APIResponse(status: 200, body: Data("ok\n".utf8), headers: [.contentType: "text/plain"])
        } else {
            do {
                try authenticate(request)
                switch configuration.faults?.take(method: request.method, path: request.path) {
                case .status(let code)?:
                    response = .error(APIError(code, code == 429 ? "rateLimitExceeded" : "backendError",
                                               "Injected fault: \(code) (sortie serve --inject-faults)"))
                case .operationError?:
                    response = .failedOperation(request)
                case .drop?:
                    var processed = try await route(request)
                    processed.headers[.sortieDropConnection] = "1"
                    response = processed
                case nil:
                    response = try await route(request)
                }
            } catch let error as APIError {
                response = .error(error)
            } catch {
                logger.error("internal error: \(error)")
                response = .error(APIError(500, "backendError", "Internal error: \(error)"))
            }
        }
        exchangeLog?.record(request, response)
        return response
    }

    func authenticate(_ request: APIRequest) throws {
        guard let header = request.headers[.authorization] else { throw APIError.unauthenticated }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", constantTimeEqual(String(parts[1]), token) else {
            throw APIError(401, "authError", "Invalid Credentials")
        }
    }

    func route(_ request: APIRequest) async throws -> APIResponse {
        let s = request.segments
        if s.starts(with: ["compute", "v1", "projects"]), s.count >= 4 {
            return try await compute.handle(request, project: s[3], rest: Array(s.dropFirst(4)))
        }
        if s.starts(with: ["compute", "beta", "projects"]), s.count >= 4 {
            return try await compute.handleBeta(request, project: s[3], rest: Array(s.dropFirst(4)))
        }
        if s.starts(with: ["storage", "v1"]) { return try await storage.handle(request, rest: Array(s.dropFirst(2)), media: false) }
        if s.starts(with: ["upload", "storage", "v1"]) { return try await storage.handleUpload(request, rest: Array(s.dropFirst(3))) }
        if s.starts(with: ["download", "storage", "v1"]) { return try await storage.handle(request, rest: Array(s.dropFirst(3)), media: true) }
        throw APIError(404, "notFound", "No API at \(request.path)")
    }
}

func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in x.indices { diff |= x[i] ^ y[i] }
    return diff == 0
}

/// Appends each exchange to a file as one JSON line (`--record-exchanges`), for conformance tests.
final class ExchangeLog: Sendable {
    let path: String
    private let lock = NSLock()

    init(path: String) { self.path = path }

    func record(_ request: APIRequest, _ response: APIResponse) {
        let isJSON = request.headers[.contentType]?.contains("json") ?? false
        var query: [String: JSONValue] = [:]
        for (k, v) in request.query { query[k] = .string(v) }
        let entry: JSONValue = [
            "method": .string(request.method), "path": .string(request.path), "query": .object(query),
            "requestBody": isJSON ? (JSONValue.parse(request.body) ?? .null) : .null,
            "status": .number(Double(response.status)), "responseBody": response.json ?? .null,
        ]
        var line = entry.data
        line.append(0x0A)
        lock.withLock {
            if let handle = FileHandle(forWritingAtPath: path) ?? {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
                return FileHandle(forWritingAtPath: path)
            }() {
                handle.seekToEndOfFile()
                handle.write(line)
                try? handle.close()
            }
        }
    }
}
