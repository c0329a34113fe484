/// Where a client gets the OAuth2 bearer token it sends with every request.
public protocol AccessTokenProvider: Sendable {
    /// A valid access token; implementations cache it until shortly before it expires.
    func accessToken() async throws -> String
}

/// A fixed token: the local plane's token file, or a token given on the command line.
public struct StaticToken: AccessTokenProvider {
    let token: String
    public init(_ token: String) { self.token = token }
    public func accessToken() async throws -> String { token }
}
