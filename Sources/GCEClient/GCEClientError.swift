import GCEModel

/// Failures of the client other than an API error answer (`GCEAPIError`) or a failed operation
/// (`OperationFailedError`). Descriptions say what failed and what to try; none holds a token.
public enum GCEClientError: Error, Sendable, CustomStringConvertible {
    /// No answer after every attempt.
    case unreachable(request: String, TransportError, attempts: Int)
    /// An answer the client cannot read (not the JSON it expected, a missing header).
    case unexpectedResponse(request: String, status: Int, detail: String)
    /// An operation that did not finish within the wait's deadline (it may still finish later).
    case operationTimedOut(ComputeOperation, after: Duration)
    /// The uploaded object's checksum differs from the local file's.
    case checksumMismatch(object: String, field: String, local: String, remote: String)
    /// An object of that name exists with other content; it is never overwritten.
    case objectExistsWithOtherContent(object: String, localMD5: String, remoteMD5: String)
    /// The resumable upload session is gone (expired or cancelled); start a new upload.
    case uploadSessionExpired(object: String)
    /// A caller's mistake, e.g. a chunk size that is not a multiple of 256 KiB.
    case invalidArgument(String)
    /// A local file could not be read.
    case unreadableFile(path: String, detail: String)

    public var description: String {
        switch self {
        case .unreachable(let request, let error, let attempts):
            return "\(request) failed: \(error) after \(attempts) attempt(s) (check the endpoint address and the network, then run again)"
        case .unexpectedResponse(let request, let status, let detail):
            return "\(request) returned \(status) with an answer the client cannot read: \(detail) (is the endpoint a Compute Engine / Cloud Storage API?)"
        case .operationTimedOut(let operation, let after):
            return "operation \(operation.name) (\(operation.operationType ?? "?") of \(operation.targetLink ?? "?")) did not finish within \(after) (status \(operation.status ?? "?")); it may still finish: run again to resume"
        case .checksumMismatch(let object, let field, let local, let remote):
            return "the uploaded object \(object) has \(field) \(remote) but the local file has \(local) (the data was corrupted in transit: delete the object and upload again)"
        case .objectExistsWithOtherContent(let object, let localMD5, let remoteMD5):
            return "the object \(object) already exists with other content (md5 \(remoteMD5), local file \(localMD5)); objects are never overwritten: delete it or use another name"
        case .uploadSessionExpired(let object):
            return "the upload session of \(object) no longer exists (expired or cancelled): start the upload again"
        case .invalidArgument(let message):
            return message
        case .unreadableFile(let path, let detail):
            return "cannot read \(path): \(detail)"
        }
    }
}

/// An operation that finished with `error.errors[]`: the resource was not created or changed.
public struct OperationFailedError: Error, Sendable, CustomStringConvertible {
    /// The finished operation.
    public var operation: ComputeOperation
    /// Its `error.errors[]` (code such as `QUOTA_EXCEEDED`, message).
    public var errors: [OperationErrorItem] { operation.error?.errors ?? [] }
    /// The HTTP status the failure corresponds to, when the server says.
    public var httpStatus: Int? { operation.httpErrorStatusCode }

    public init(operation: ComputeOperation) { self.operation = operation }

    public var description: String {
        let what = "\(operation.operationType ?? "operation") of \(operation.targetLink ?? operation.name)"
        let reasons = errors.map { "\($0.code ?? "ERROR"): \($0.message ?? "")" }.joined(separator: "; ")
        return "\(what) failed: \(reasons.isEmpty ? "no details" : reasons) (fix the cause named here and run again)"
    }
}
