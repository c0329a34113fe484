import Foundation
import GCEClient
import GCEModel
import Testing

/// The client's retry loop and operation waiting, with a scripted transport and a manual clock.
@Suite struct ClientRetryTests {
    let clock = ManualClock(jitter: 1)

    func client(_ transport: ScriptedTransport, retry: RetryPolicy = .standard) -> GCEClient {
        GCEClient(target: .local(address: "http://127.0.0.1:1", project: "p"), tokens: StaticToken("tok"),
                  transport: transport, retry: retry, clock: clock.clientClock)
    }

    let doneOperation = #"{"kind":"compute#operation","name":"op-1","status":"DONE","clientOperationId":"x"}"#

    @Test func retriedInsertKeepsItsRequestId() async throws {
        let transport = ScriptedTransport([
            .answer(503, errorBody(503, "backendError")), .fail(.connectionLost), .answer(429, errorBody(429, "rateLimitExceeded")),
            .answer(200, doneOperation),
        ])
        let op = try await client(transport).compute.healthChecks.insert(HealthCheck(name: "hc", http: .init(port: 80)))
        #expect(op.name == "op-1")
        let ids = transport.sent.map { $0.query("requestId") }
        #expect(ids.count == 4)
        #expect(Set(ids).count == 1 && ids[0] != nil && UUID(uuidString: ids[0]!) != nil)
        #expect(clock.sleeps == [.seconds(1), .seconds(2), .seconds(4)])
        // The body is the same each time too.
        #expect(Set(transport.sent.map(\.body)).count == 1)
    }

    @Test func separateInsertsGetSeparateRequestIds() async throws {
        let transport = ScriptedTransport([.answer(200, doneOperation), .answer(200, doneOperation)])
        let c = client(transport)
        _ = try await c.compute.firewalls.insert(Firewall(name: "a", sourceRanges: ["0.0.0.0/0"], allowed: [.init(ipProtocol: "tcp")]))
        _ = try await c.compute.firewalls.insert(Firewall(name: "b", sourceRanges: ["0.0.0.0/0"], allowed: [.init(ipProtocol: "tcp")]))
        let ids = transport.sent.compactMap { $0.query("requestId") }
        #expect(ids.count == 2 && ids[0] != ids[1])
    }

    @Test func aGivenRequestIdIsUsed() async throws {
        let transport = ScriptedTransport([.answer(200, doneOperation)])
        let id = RequestID("6f1c7d2e-0000-4000-8000-000000000001")
        _ = try await client(transport).compute.instanceGroupManagers(.zone("z")).patch("g", InstanceGroupManager(), requestId: id)
        #expect(transport.sent[0].query("requestId") == id.value)
        #expect(transport.sent[0].method == "PATCH")
        #expect(transport.sent[0].url.hasPrefix("http://127.0.0.1:1/compute/v1/projects/p/zones/z/instanceGroupManagers/g?"))
        #expect(String(decoding: transport.sent[0].body, as: UTF8.self) == "{}")
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let transport = ScriptedTransport([.answer(409, errorBody(409, "alreadyExists", "The resource 'x' already exists"))])
        let error = await #expect(throws: GCEAPIError.self) {
            _ = try await client(transport).compute.urlMaps.insert(UrlMap(name: "x", defaultService: "s"))
        }
        #expect(error?.isAlreadyExists == true)
        #expect(transport.sent.count == 1 && clock.sleeps.isEmpty)
    }

    @Test func givesUpAfterTheLastAttemptWithTheLastError() async throws {
        let transport = ScriptedTransport(Array(repeating: .fail(.connectionFailed), count: 3))
        let error = await #expect(throws: GCEClientError.self) {
            _ = try await client(transport, retry: RetryPolicy(maxAttempts: 3)).compute.images.get("x")
        }
        guard case .unreachable(let request, let transportError, let attempts) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(request == "GET compute/v1/projects/p/global/images/x")
        #expect(transportError.kind == .connectionFailed && attempts == 3)
        #expect(transport.sent.count == 3)
        #expect(!String(describing: error!).contains("tok"))
    }

    @Test func waitUsesTheWaitEndpointInTheOperationsScope() async throws {
        let running = #"{"name":"op-7","status":"RUNNING","zone":"https://x/compute/v1/projects/p/zones/local1-a"}"#
        let done = #"{"name":"op-7","status":"DONE","zone":"https://x/compute/v1/projects/p/zones/local1-a"}"#
        let transport = ScriptedTransport([.answer(200, running), .answer(200, done)])
        let c = client(transport)
        let op = try await c.compute.wait(for: try JSONDecoder().decode(ComputeOperation.self, from: Data(running.utf8)))
        #expect(op.isDone)
        #expect(transport.sent.map(\.method) == ["POST", "POST"])
        #expect(transport.sent[0].url == "http://127.0.0.1:1/compute/v1/projects/p/zones/local1-a/operations/op-7/wait")
        // The first wait came back at once without DONE: a pause before asking again.
        #expect(clock.sleeps == [.seconds(1)])
    }

    @Test func waitFallsBackToPollingWithBackoff() async throws {
        let running = #"{"name":"op-8","status":"RUNNING"}"#
        let transport = ScriptedTransport([
            .answer(404, ""), .answer(200, running), .answer(200, running), .answer(200, #"{"name":"op-8","status":"DONE"}"#),
        ])
        let op = try await client(transport).compute.wait(for: ComputeOperation(name: "op-8", status: "PENDING"))
        #expect(op.isDone)
        #expect(transport.sent.map(\.method) == ["POST", "GET", "GET", "GET"])
        #expect(transport.sent[1].url == "http://127.0.0.1:1/compute/v1/projects/p/global/operations/op-8")
        #expect(clock.sleeps == [.seconds(1), .milliseconds(1500), .milliseconds(2250)])
    }

    @Test func aFailedOperationIsATypedError() async throws {
        let failed = #"{"name":"op-9","status":"DONE","operationType":"insert","targetLink":"projects/p/global/images/i","httpErrorStatusCode":400,"error":{"errors":[{"code":"INVALID_FIELD_VALUE","message":"not an archive"}]}}"#
        let transport = ScriptedTransport([.answer(200, failed)])
        let error = await #expect(throws: OperationFailedError.self) {
            _ = try await client(transport).compute.wait(for: ComputeOperation(name: "op-9", status: "RUNNING"))
        }
        #expect(error?.errors == [OperationErrorItem(code: "INVALID_FIELD_VALUE", message: "not an archive")])
        #expect(error?.httpStatus == 400)
        #expect(error?.description.contains("insert of projects/p/global/images/i failed: INVALID_FIELD_VALUE: not an archive") == true)
    }

    @Test func waitStopsAtItsDeadline() async throws {
        let running = #"{"name":"op-10","status":"RUNNING"}"#
        let transport = ScriptedTransport(Array(repeating: .answer(200, running), count: 50))
        let error = await #expect(throws: GCEClientError.self) {
            _ = try await client(transport).compute.wait(for: ComputeOperation(name: "op-10", status: "RUNNING"), timeout: .seconds(20))
        }
        guard case .operationTimedOut(let op, let after) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(op.name == "op-10" && after == .seconds(20))
        #expect(clock.sleeps.reduce(Duration.zero, +) <= .seconds(20))
    }

    @Test func serialPortOutputPagesWithStart() async throws {
        let transport = ScriptedTransport([.answer(200, #"{"contents":"hello\n","start":"0","next":"6"}"#)])
        let out = try await client(transport).compute.instances(zone: "z").serialPortOutput("vm-1", start: 0)
        #expect(out.contents == "hello\n" && out.next == 6 && out.start == 0)
        #expect(transport.sent[0].query("start") == "0" && transport.sent[0].query("port") == "1")
        #expect(transport.sent[0].url.hasPrefix("http://127.0.0.1:1/compute/v1/projects/p/zones/z/instances/vm-1/serialPort?"))
    }
}
