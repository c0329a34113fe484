import Foundation
import GCEClient
import GCEModel
import Testing

/// Uploads against a real `sortie serve`: multi-chunk, interrupted and resumed, reused, refused.
@Suite(.serialized) struct PlaneStorageTests {
    static let chunk = 262_144

    @Test func multiChunkUploadIsVerifiedAndReused() async throws {
        try await withPlane { plane, transport in
            let client = plane.client(transport: transport)
            let bucket = uniqueName("bucket")
            let created = try await client.storage.insertBucket(Bucket(name: bucket))
            #expect(created.name == bucket)
            let file = makeFile(makeTemporaryDirectory("up") + "/archive.tar.gz", size: 3 * Self.chunk + 12_345)
            let local = try LocalFile(path: file)
            let progress = Recorder<Int64>()
            let outcome = try await client.storage.upload(file: file, bucket: bucket, name: "images/app.tar.gz",
                                                          contentType: "application/gzip", chunkSize: Self.chunk,
                                                          progress: { sent, _ in progress.append(sent) })
            guard case .uploaded(let object) = outcome else {
                Issue.record("expected a fresh upload, got \(outcome)")
                return
            }
            #expect(object.md5Hash == local.md5Base64 && object.crc32c == local.crc32cBase64)
            #expect(object.size?.value == local.size && object.contentType == "application/gzip")
            #expect(progress.all == [262_144, 524_288, 786_432, local.size])

            // The same content again: reused, whether found first or through the 412 of ifGenerationMatch=0.
            let again = try await client.storage.upload(file: file, bucket: bucket, name: "images/app.tar.gz", chunkSize: Self.chunk)
            #expect(again == .reused(object))
            let blind = try await client.storage.upload(file: file, bucket: bucket, name: "images/app.tar.gz", chunkSize: Self.chunk,
                                                        checkFirst: false)
            #expect(blind.object.md5Hash == object.md5Hash)
            guard case .reused = blind else {
                Issue.record("expected reuse after 412, got \(blind)")
                return
            }

            // Other content under the same name is never overwritten.
            let other = makeFile(makeTemporaryDirectory("up") + "/other", size: 1000, seed: 7)
            for checkFirst in [true, false] {
                await #expect(throws: GCEClientError.self) {
                    _ = try await client.storage.upload(file: other, bucket: bucket, name: "images/app.tar.gz", checkFirst: checkFirst)
                }
            }
            #expect(try await client.storage.object(bucket: bucket, name: "images/app.tar.gz").md5Hash == object.md5Hash)

            // Listing and deleting.
            let listed = try await client.storage.listObjects(bucket: bucket, prefix: "images/")
            #expect(listed.map(\.name) == ["images/app.tar.gz"])
            try await client.storage.deleteObject(bucket: bucket, name: "images/app.tar.gz")
            #expect(try await client.storage.objectIfExists(bucket: bucket, name: "images/app.tar.gz") == nil)
        }
    }

    @Test func interruptedUploadResumesFromTheServersOffset() async throws {
        try await withPlane { plane, transport in
            let client = plane.client(transport: transport)
            let bucket = uniqueName("bucket")
            _ = try await client.storage.insertBucket(Bucket(name: bucket))
            let file = makeFile(makeTemporaryDirectory("up") + "/big", size: 5 * Self.chunk + 99)
            let local = try LocalFile(path: file)
            guard case .session(let session) = try await client.storage.startUpload(local, bucket: bucket, name: "big") else {
                Issue.record("expected a session")
                return
            }
            // One chunk, then the uploader "crashes".
            #expect(try await client.storage.sendChunk(session, file: local, offset: 0, chunkSize: Self.chunk)
                == .incomplete(persisted: 262_144))
            // A new run, with only the persisted session, asks the server where it stands and finishes.
            let persisted = try JSONDecoder().decode(UploadSession.self, from: try JSONEncoder().encode(session))
            #expect(try await client.storage.uploadStatus(persisted) == .incomplete(persisted: 262_144))
            let progress = Recorder<Int64>()
            let outcome = try await client.storage.finishUpload(persisted, file: local, chunkSize: 2 * Self.chunk,
                                                                progress: { sent, _ in progress.append(sent) })
            guard case .uploaded(let object) = outcome else {
                Issue.record("expected an upload, got \(outcome)")
                return
            }
            #expect(object.md5Hash == local.md5Base64 && object.size?.value == local.size)
            #expect(progress.all == [262_144, 786_432, 1_310_720, local.size])
            // The finished session answers with the object.
            #expect(try await client.storage.uploadStatus(session) == .complete(object))
        }
    }

    @Test func emptyFileUploads() async throws {
        try await withPlane { plane, transport in
            let client = plane.client(transport: transport)
            let bucket = uniqueName("bucket")
            _ = try await client.storage.insertBucket(Bucket(name: bucket))
            let file = makeFile(makeTemporaryDirectory("up") + "/empty", size: 0)
            let outcome = try await client.storage.upload(file: file, bucket: bucket, name: "empty")
            #expect(outcome.object.size?.value == 0 && outcome.object.md5Hash == "1B2M2Y8AsgTpgAmY7PhCfg==")
        }
    }

    @Test func uploadSurvivesDroppedAndFailedChunks() async throws {
        try await withPlane { plane, transport in
            try await FaultProxy.with(upstream: plane.address) { proxy in
                let client = plane.client(transport: transport, address: proxy.address, retry: quickRetry)
                let bucket = uniqueName("bucket")
                _ = try await client.storage.insertBucket(Bucket(name: bucket))
                let file = makeFile(makeTemporaryDirectory("up") + "/f", size: 4 * Self.chunk + 1)
                // The second chunk reaches the plane but its answer is lost; the third fails with 503 before it.
                proxy.inject(.forwardThenDrop, method: "PUT", uriContains: "upload_id", skip: 1)
                proxy.inject(.fail(503, reason: "backendError"), method: "PUT", uriContains: "upload_id", skip: 3)
                let outcome = try await client.storage.upload(file: file, bucket: bucket, name: "f", chunkSize: Self.chunk)
                let local = try LocalFile(path: file)
                #expect(outcome.object.md5Hash == local.md5Base64 && outcome.object.size?.value == local.size)
                let puts = proxy.seen.filter { $0.method == "PUT" }
                // 5 chunks, the one failed before the plane sent again, 2 status queries; 2 failed by the proxy.
                #expect(puts.count == 8 && puts.filter(\.injected).count == 2)
            }
        }
    }
}
