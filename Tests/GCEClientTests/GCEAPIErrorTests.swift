import Foundation
import GCEClient
import Testing

@Suite struct GCEAPIErrorTests {
    @Test func parsesGooglesErrorBody() {
        let body = Data(#"{"error":{"code":400,"message":"The resource 'projects/p/global/images/x' is not ready","errors":[{"domain":"global","reason":"resourceNotReady","message":"The resource 'projects/p/global/images/x' is not ready"}]}}"#.utf8)
        let error = GCEAPIError.parse(status: 400, body: body, request: "POST compute/v1/projects/p/global/instanceTemplates")
        #expect(error.status == 400)
        #expect(error.reason == "resourceNotReady")
        #expect(error.message == "The resource 'projects/p/global/images/x' is not ready")
        #expect(error.details == [.init(reason: "resourceNotReady", message: error.message, domain: "global")])
        #expect(error.description.contains("POST compute/v1/projects/p/global/instanceTemplates failed with 400 resourceNotReady"))
        #expect(error.description.contains("not ready yet: wait and run again"))
    }

    @Test func parsesNewerBodiesWithStatus() {
        let body = Data(#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","errors":[{"reason":"rateLimitExceeded","message":"Quota exceeded"}],"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED"}]}}"#.utf8)
        let error = GCEAPIError.parse(status: 429, body: body)
        #expect(error.statusName == "RESOURCE_EXHAUSTED")
        #expect(error.reason == "rateLimitExceeded")
        #expect(error.hint.contains("rate limiting"))
    }

    @Test func toleratesEmptyAndForeignBodies() {
        let empty = GCEAPIError.parse(status: 404, body: Data())
        #expect(empty.message == "Not Found" && empty.reason == nil && empty.isNotFound)
        let html = GCEAPIError.parse(status: 502, body: Data("<html><body>Bad Gateway</body></html>".utf8))
        #expect(html.message.contains("Bad Gateway") && html.reason == nil)
        let wrongShape = GCEAPIError.parse(status: 400, body: Data(#"{"error":"nope"}"#.utf8))
        #expect(wrongShape.status == 400 && wrongShape.message.contains("nope"))
        let noErrorsArray = GCEAPIError.parse(status: 409, body: Data(#"{"error":{"code":409,"message":"exists"}}"#.utf8))
        #expect(noErrorsArray.message == "exists" && noErrorsArray.isAlreadyExists)
    }

    @Test func classifiesCommonCases() {
        #expect(GCEAPIError.parse(status: 412, body: Data(errorBody(412, "conditionNotMet").utf8)).isPreconditionFailed)
        #expect(!GCEAPIError.parse(status: 409, body: Data(errorBody(409, "operationInProgress").utf8)).isAlreadyExists)
    }

    @Test func requestLabelsHideHostAndQuery() async throws {
        let transport = ScriptedTransport([.answer(403, errorBody(403, "forbidden"))])
        let client = GCEClient(target: .google(project: "p"), tokens: StaticToken("secret-token-123"), transport: transport)
        let error = await #expect(throws: GCEAPIError.self) {
            _ = try await client.storage.objectIfExists(bucket: "b", name: "dir/file?x")
        }
        let text = String(describing: error!)
        #expect(text.hasPrefix("GET storage/v1/b/b/o/dir%2Ffile%3Fx failed with 403 forbidden"))
        #expect(!text.contains("secret-token-123"))
        #expect(transport.sent.first?.header("Authorization") == "Bearer secret-token-123")
    }
}
