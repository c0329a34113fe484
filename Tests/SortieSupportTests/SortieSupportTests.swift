import Foundation
import Testing

@testable import SortieSupport

@Suite struct AtomicFileTests {
    static func scratch() throws -> String {
        let directory = NSTemporaryDirectory() + "sortie-support-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func replacesTheFileWholeWithItsPermissions() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/token"
        try AtomicFile.write("old", to: path)
        try AtomicFile.write("secret", to: path, permissions: 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "secret")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["token"], "no temporary file is left")
    }

    @Test func aFailedWriteSaysWhereAndLeavesNothing() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/missing/file"
        #expect {
            try AtomicFile.write("x", to: path)
        } throws: { error in
            guard let error = error as? AtomicFile.WriteError else { return false }
            return error.message.hasPrefix("cannot write \(path): ") && error.hint != nil
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}

@Suite struct ExecutableSearchTests {
    @Test func searchesPathInOrderAndTakesSlashedNamesAsGiven() throws {
        let first = try AtomicFileTests.scratch(), second = try AtomicFileTests.scratch()
        defer { for d in [first, second] { try? FileManager.default.removeItem(atPath: d) } }
        for directory in [first, second] {
            try AtomicFile.write("#!/bin/sh\n", to: directory + "/tool", permissions: 0o755)
        }
        try AtomicFile.write("not executable", to: first + "/plain", permissions: 0o644)
        #expect(ExecutableSearch.find("tool", path: "\(first):\(second)") == first + "/tool")
        #expect(ExecutableSearch.find("tool", path: "\(second):\(first)") == second + "/tool")
        #expect(ExecutableSearch.find("plain", path: first) == nil)
        #expect(ExecutableSearch.find(first + "/tool", path: "/nonexistent") == first + "/tool")
        #expect(ExecutableSearch.find("tool", environment: ["PATH": second]) == second + "/tool")
        #expect(ExecutableSearch.find("sh", path: nil) != nil, "an unset PATH means the usual directories")
    }
}

@Suite struct FileDigestTests {
    @Test func sha256OfAFile() throws {
        let directory = try AtomicFileTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try AtomicFile.write("abc", to: directory + "/f")
        #expect(try FileDigest.sha256(directory + "/f") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(throws: FileDigest.ReadError(path: directory + "/none")) { try FileDigest.sha256(directory + "/none") }
    }
}

@Suite struct CivilTimeTests {
    @Test func datesFromDays() {
        #expect(CivilTime.date(fromDays: 0) == (1970, 1, 1))
        #expect(CivilTime.date(fromDays: 11_016) == (2000, 2, 29))
        #expect(CivilTime.date(fromDays: -1) == (1969, 12, 31))
    }

    @Test func rfc3339AsGCEWritesIt() {
        #expect(CivilTime.rfc3339(Date(timeIntervalSince1970: 1_700_000_000.123)) == "2023-11-14T22:13:20.123+00:00")
        #expect(CivilTime.rfc3339(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000+00:00")
        #expect(CivilTime.rfc3339(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500+00:00")
    }
}
