import ArgumentParser
import DiskImage
import Foundation
import SortieSupport

/// Runs a command body, printing user-facing errors as `error: ...` / `hint: ...` on stderr and
/// exiting with status 1. Programming errors are not caught.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as UserFacingError {
        printError(error)
        throw ExitCode(1)
    }
}

func printError(_ error: UserFacingError) {
    var text = "error: \(error.message)\n"
    if let hint = error.hint { text += "hint: \(hint)\n" }
    FileHandle.standardError.write(Data(text.utf8))
}

/// Writes a line to standard error (progress and diagnostics; stdout is for results).
func printDiagnostic(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Encodes a value as pretty, key-sorted JSON on stdout.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
