import NIOCore
import NIOHTTP1
import Testing

@testable import LoadBalancer

/// The proxy's request lifecycle without sockets or time: each test feeds events and checks the
/// actions and states that come out.
@Suite struct FrontendStateMachineTests {
    typealias Machine = FrontendStateMachine

    static func head(_ text: String, isHead: Bool = false) throws -> ResponseHead {
        var framer = ResponseFramer(isHeadRequest: isHead, dechunk: false)
        var buffer = ByteBuffer(string: text)
        guard case .head(let head) = try framer.next(&buffer) else { throw ResponseFramer.Failure.malformedHead("test") }
        return head
    }

    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"

    /// A machine with a GET (or `method`) received and dispatched.
    static func dispatched(_ method: HTTPMethod = .GET, minor: Int = 1, keepAlive: Bool = true, retries: Int = 2) -> Machine {
        var machine = Machine(maxBodySize: 10, retries: retries)
        #expect(machine.clientRead(.head(HTTPRequestHead(version: .http1_1, method: method, uri: "/"))) == .handle)
        #expect(machine.requestHead(method: method, minorVersion: minor, keepAlive: keepAlive, expectsContinue: false) == .none)
        #expect(machine.requestEnd() == .startAttempt(sameBackend: false, mayUsePooled: RetryPolicy.isIdempotent(method)))
        return machine
    }

    @Test func aKeepAliveExchangeEndsReadyForTheNextRequest() throws {
        var machine = Self.dispatched()
        _ = machine.connected()
        #expect(machine.isBusy)
        #expect(machine.responseHead(try Self.head(Self.ok)) == .relayHead(keepAlive: true, dechunk: false))
        #expect(machine.responseBody() == .relayBody)
        #expect(machine.responseEnd() == .responseComplete(reusable: true, .keepOpen, retries: 0))
        #expect(machine.state == .idle)
    }

    @Test func aPOSTNeverUsesAPooledConnection() {
        let machine = Self.dispatched(.POST)
        #expect(machine.state == .connecting(.init(method: .POST, minorVersion: 1, keepAlive: true, idempotent: false),
                                             .init(retriesLeft: 2)))
    }

    @Test func pipelinedPartsWaitAndReadingPausesOnce() {
        var machine = Self.dispatched()
        let next = HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/2"))
        #expect(machine.clientRead(next) == .queued(pauseReading: true))
        #expect(machine.clientRead(.end(nil)) == .queued(pauseReading: false))
        #expect(machine.nextPipelined() == nil, "nothing is handled while the request is with a backend")
        _ = machine.connected()
        _ = machine.responseHead(try! Self.head(Self.ok))
        _ = machine.responseEnd()
        #expect(machine.nextPipelined() == next)
        #expect(machine.requestHead(method: .GET, minorVersion: 1, keepAlive: true, expectsContinue: false) == .none)
        #expect(machine.nextPipelined() == .end(nil))
        let outcome1 = machine.resumeReadingIfDrained()
        #expect(outcome1, "the queue is empty: read the client again")
    }

    @Test func expectContinueIsAnsweredForHTTP11Only() {
        var machine = Machine(maxBodySize: 10, retries: 0)
        #expect(machine.requestHead(method: .PUT, minorVersion: 1, keepAlive: true, expectsContinue: true) == .sendContinue)
        var old = Machine(maxBodySize: 10, retries: 0)
        #expect(old.requestHead(method: .PUT, minorVersion: 0, keepAlive: true, expectsContinue: true) == .none)
    }

    @Test func aBodyOverTheLimitGets413AndTheRestIsDropped() {
        var machine = Machine(maxBodySize: 10, retries: 0)
        _ = machine.requestHead(method: .POST, minorVersion: 1, keepAlive: true, expectsContinue: false)
        #expect(machine.requestBody(bufferedBytes: 10) == .none)
        #expect(machine.requestBody(bufferedBytes: 11) == .respond(.payloadTooLarge, .discardRest, retries: 0))
        #expect(machine.state == .discarding)
        #expect(machine.requestBody(bufferedBytes: 50) == .none)
        #expect(machine.requestEnd() == .close)
    }

    @Test func aFailedConnectMovesAnyRequestOnUntilRetriesRunOut() {
        var machine = Self.dispatched(.POST, retries: 1)
        #expect(machine.attemptFailed(.connect) == .startAttempt(sameBackend: false, mayUsePooled: false))
        #expect(machine.attemptFailed(.connect) == .respond(.badGateway, .keepOpen, retries: 1))
    }

    @Test func aStaleKeepAliveConnectionIsRetriedOnAFreshOneToTheSameBackend() {
        var machine = Self.dispatched()
        _ = machine.connected()
        #expect(machine.backendClosed(responseStarted: false, reusedConnection: true)
                == .startAttempt(sameBackend: true, mayUsePooled: false))
        let outcome2 = machine.connected()
        #expect(outcome2)
        #expect(machine.backendClosed(responseStarted: false, reusedConnection: false)
                == .startAttempt(sameBackend: false, mayUsePooled: true))
        #expect(machine.retriesSoFar == 2)
    }

    @Test func aPOSTThatWasSentIsNeverRetried() {
        var machine = Self.dispatched(.POST)
        let outcome3 = machine.connected()
        #expect(outcome3)
        #expect(machine.backendClosed(responseStarted: false, reusedConnection: false) == .respond(.badGateway, .keepOpen, retries: 0))
    }

    @Test func aResponseThatBeganIsNeverRetried() {
        var machine = Self.dispatched()
        _ = machine.connected()
        #expect(machine.backendClosed(responseStarted: true, reusedConnection: false) == .respond(.badGateway, .keepOpen, retries: 0))
        var broken = Self.dispatched()
        _ = broken.connected()
        #expect(broken.backendClosed(responseStarted: true, reusedConnection: false, invalid: true) == .respond(.badGateway, .keepOpen, retries: 0))
    }

    @Test func aBackendGoingAwayMidResponseCutsTheClient() throws {
        var machine = Self.dispatched()
        _ = machine.connected()
        _ = machine.responseHead(try Self.head(Self.ok))
        #expect(machine.backendClosed(responseStarted: true, reusedConnection: false) == .abort(retries: 0))
        #expect(machine.state == .closed)
    }

    @Test func timeoutsAnswer504BeforeTheHeadAndCutAfter() throws {
        var waiting = Self.dispatched()
        _ = waiting.connected()
        #expect(waiting.backendTimedOut() == .respond(.gatewayTimeout, .keepOpen, retries: 0))
        var streaming = Self.dispatched()
        _ = streaming.connected()
        _ = streaming.responseHead(try Self.head(Self.ok))
        #expect(streaming.backendTimedOut() == .abort(retries: 0))
        var idle = Machine(maxBodySize: 1, retries: 0)
        #expect(idle.backendTimedOut() == .none)
    }

    @Test func noBackendsGives503AndAllTriedGives502() {
        var none = Self.dispatched()
        #expect(none.noBackend(triedAny: false) == .respond(.serviceUnavailable, .keepOpen, retries: 0))
        var all = Self.dispatched()
        #expect(all.noBackend(triedAny: true) == .respond(.badGateway, .keepOpen, retries: 0))
    }

    @Test func framingDecidesTheClientsKeepAlive() throws {
        var untilClose = Self.dispatched()
        _ = untilClose.connected()
        #expect(untilClose.responseHead(try Self.head("HTTP/1.0 200 OK\r\n\r\n")) == .relayHead(keepAlive: false, dechunk: false))
        #expect(untilClose.responseEnd() == .responseComplete(reusable: false, .closeAfterWrite, retries: 0))

        var chunkedTo10 = Self.dispatched(minor: 0)
        _ = chunkedTo10.connected()
        #expect(chunkedTo10.responseHead(try Self.head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
                == .relayHead(keepAlive: false, dechunk: true))

        var sizedTo10 = Self.dispatched(minor: 0)
        _ = sizedTo10.connected()
        #expect(sizedTo10.responseHead(try Self.head(Self.ok)) == .relayHead(keepAlive: true, dechunk: true))
    }

    @Test func interimResponsesGoToHTTP11ClientsOnly() throws {
        let interim = try Self.head("HTTP/1.1 103 Early Hints\r\n\r\n")
        var modern = Self.dispatched()
        _ = modern.connected()
        #expect(modern.responseHead(interim) == .relayInterim)
        #expect(modern.responseHead(try Self.head(Self.ok)) == .relayHead(keepAlive: true, dechunk: false))
        var old = Self.dispatched(minor: 0)
        _ = old.connected()
        #expect(old.responseHead(interim) == .none)
    }

    @Test func quiescingClosesIdleAtOnceAndBusyAfterTheResponse() throws {
        var idle = Machine(maxBodySize: 1, retries: 0)
        #expect(idle.quiesce() == .close)
        var busy = Self.dispatched()
        _ = busy.connected()
        #expect(busy.quiesce() == .none)
        #expect(busy.responseHead(try Self.head(Self.ok)) == .relayHead(keepAlive: false, dechunk: false))
        #expect(busy.responseEnd() == .responseComplete(reusable: true, .closeAfterWrite, retries: 0))
        var fresh = Machine(maxBodySize: 1, retries: 0, quiescing: true)
        _ = fresh.requestHead(method: .GET, minorVersion: 1, keepAlive: true, expectsContinue: false)
        #expect(fresh.request?.keepAlive == false, "a connection accepted while shutting down serves one request")
    }

    @Test func aHalfClosedClientGetsItsAnswerThenTheClose() throws {
        var machine = Self.dispatched()
        #expect(machine.clientInputClosed() == .none)
        _ = machine.connected()
        _ = machine.responseHead(try Self.head(Self.ok))
        #expect(machine.responseEnd() == .responseComplete(reusable: true, .closeAfterWrite, retries: 0))
        var idle = Machine(maxBodySize: 1, retries: 0)
        #expect(idle.clientInputClosed() == .close)
    }

    @Test func theClientLeavingMidRequestCountsAsAnAbort() {
        var machine = Self.dispatched()
        let outcome4 = machine.clientClosed()
        #expect(outcome4)
        #expect(machine.clientRead(.end(nil)) == .ignore)
        var idle = Machine(maxBodySize: 1, retries: 0)
        let outcome5 = idle.clientClosed()
        #expect(!outcome5)
    }

    @Test func malformedRequestsGet400OnlyBeforeAnyResponse() throws {
        var fresh = Machine(maxBodySize: 1, retries: 0)
        let outcome6 = fresh.malformedRequest()
        #expect(outcome6)
        var busy = Self.dispatched()
        _ = busy.connected()
        _ = busy.responseHead(try Self.head(Self.ok))
        let outcome7 = busy.malformedRequest()
        #expect(!outcome7)
    }
}
