import Foundation
import GCEClient
import GCEModel
import Testing

/// The upload client against gcp-storage-emulator (PyPI), whose resumable protocol (308 with
/// `Range`, status queries, resuming) behaves like Cloud Storage's. It ignores `ifGenerationMatch`,
/// so reuse is found by the client's look-up before uploading, not by a 412.
@Suite(.serialized, .enabled(if: Emulator.executable != nil, "gcp-storage-emulator is not installed (pip install gcp-storage-emulator)"))
struct EmulatorUploadTests {
    static let chunk = 262_144

    @Test func resumableUploadInterruptedResumedAndReused() async throws {
        try await Emulator.with { address, transport in
            let client = GCEClient(target: .local(address: address, project: "emulated"), tokens: StaticToken("any"), transport: transport)
            let bucket = uniqueName("bucket")
            _ = try await client.storage.insertBucket(Bucket(name: bucket))
            let file = makeFile(makeTemporaryDirectory("emu") + "/archive.tar.gz", size: 3 * Self.chunk + 4321)
            let local = try LocalFile(path: file)

            // Interrupted after one chunk, resumed from the emulator's offset.
            guard case .session(let session) = try await client.storage.startUpload(local, bucket: bucket, name: "images/a.tar.gz") else {
                Issue.record("expected a session")
                return
            }
            // Before any data the emulator answers `Range: bytes=0-0`: read as nothing kept.
            #expect(try await client.storage.uploadStatus(session) == .incomplete(persisted: 0))
            #expect(try await client.storage.sendChunk(session, file: local, offset: 0, chunkSize: Self.chunk)
                == .incomplete(persisted: 262_144))
            #expect(try await client.storage.uploadStatus(session) == .incomplete(persisted: 262_144))
            let outcome = try await client.storage.finishUpload(session, file: local, chunkSize: Self.chunk)
            guard case .uploaded(let object) = outcome else {
                Issue.record("expected an upload, got \(outcome)")
                return
            }
            #expect(object.md5Hash == local.md5Base64 && object.crc32c == local.crc32cBase64 && object.size?.value == local.size)

            // Uploading the same file again reuses the object.
            let again = try await client.storage.upload(file: file, bucket: bucket, name: "images/a.tar.gz", chunkSize: Self.chunk)
            guard case .reused(let reused) = again else {
                Issue.record("expected reuse, got \(again)")
                return
            }
            #expect(reused.md5Hash == local.md5Base64)

            // A whole upload in one call, several chunks.
            let progress = Recorder<Int64>()
            let fresh = try await client.storage.upload(file: file, bucket: bucket, name: "images/b.tar.gz", chunkSize: Self.chunk,
                                                        progress: { sent, _ in progress.append(sent) })
            #expect(fresh.object.md5Hash == local.md5Base64)
            #expect(progress.all == [262_144, 524_288, 786_432, local.size])
            #expect(try await client.storage.listObjects(bucket: bucket, prefix: "images/").map(\.name).sorted()
                == ["images/a.tar.gz", "images/b.tar.gz"])
            try await client.storage.deleteObject(bucket: bucket, name: "images/b.tar.gz")
            #expect(try await client.storage.objectIfExists(bucket: bucket, name: "images/b.tar.gz") == nil)
        }
    }
}

/// gcp-storage-emulator, in memory, on a free loopback port.
enum Emulator {
    static let executable: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/gcp-storage-emulator"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    static func with(_ body: (String, AsyncHTTPClientTransport) async throws -> Void) async throws {
        let port = try freeLoopbackPort()
        let root = makeTemporaryDirectory("emulator")
        let server = try ServerProcess(executable: executable!, arguments: ["start", "--host=127.0.0.1", "--port=\(port)", "--in-memory"],
                                       logPath: root + "/emulator.log")
        let address = "http://127.0.0.1:\(port)"
        let transport = AsyncHTTPClientTransport()
        do {
            try await waitUntilAnswering(address, transport: transport, server: server)
            try await body(address, transport)
        } catch {
            try? await transport.shutdown()
            await server.stop()
            throw error
        }
        try await transport.shutdown()
        await server.stop()
    }

    static func waitUntilAnswering(_ address: String, transport: AsyncHTTPClientTransport, server: ServerProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let response = try? await transport.send(TransportRequest(method: "GET", url: address + "/", timeout: .seconds(2))),
               response.status == 200 { return }
            guard server.process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServerProcess.StartFailure(log: server.log, why: "did not answer at \(address)")
    }
}
