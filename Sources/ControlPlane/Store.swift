import Foundation
import GRDB
import Logging

/// The plane's state in SQLite: every resource and operation (as JSON documents in collections such
/// as `projects/p/global/images`), storage objects and upload sessions. Every change is one
/// transaction, so a `kill -9` loses nothing that was acknowledged.
///
/// A read or write that fails for another reason than the request itself (SQLite busy past its
/// timeout, disk full, a damaged file) is logged with what it was doing before the error is
/// thrown, so callers that carry on without the result (`try?` in the reconciler, say) are never
/// silent about it.
public final class Store: Sendable {
    let db: DatabaseQueue
    let logger: Logger?

    public init(path: String, logger: Logger? = nil) throws {
        self.logger = logger
        var config = Configuration()
        config.busyMode = .timeout(10)
        db = try DatabaseQueue(path: path, configuration: config)
        try db.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode=WAL") }
        try db.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS resources (
                    collection TEXT NOT NULL, name TEXT NOT NULL, sequence INTEGER NOT NULL,
                    body TEXT NOT NULL, PRIMARY KEY (collection, name));
                CREATE TABLE IF NOT EXISTS request_ids (
                    project TEXT NOT NULL, request_id TEXT NOT NULL, operation TEXT NOT NULL,
                    PRIMARY KEY (project, request_id));
                CREATE TABLE IF NOT EXISTS objects (
                    bucket TEXT NOT NULL, name TEXT NOT NULL, sequence INTEGER NOT NULL, blob TEXT NOT NULL,
                    body TEXT NOT NULL, PRIMARY KEY (bucket, name));
                CREATE TABLE IF NOT EXISTS uploads (
                    id TEXT PRIMARY KEY, bucket TEXT NOT NULL, name TEXT NOT NULL, metadata TEXT NOT NULL,
                    received INTEGER NOT NULL, total INTEGER, if_generation_match INTEGER, blob TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                """)
        }
    }

    // MARK: Resources

    public func get(_ collection: String, _ name: String) throws -> JSONValue? {
        try read("read \(collection)/\(name)") { db in
            try String.fetchOne(db, sql: "SELECT body FROM resources WHERE collection = ? AND name = ?", arguments: [collection, name])
        }.flatMap { JSONValue.parse(Data($0.utf8)) }
    }

    /// Every resource in `collection`, oldest first.
    public func list(_ collection: String) throws -> [JSONValue] {
        try read("list \(collection)") { db in
            try String.fetchAll(db, sql: "SELECT body FROM resources WHERE collection = ? ORDER BY sequence", arguments: [collection])
        }.compactMap { JSONValue.parse(Data($0.utf8)) }
    }

    /// Every resource in collections matching the SQL LIKE `pattern`, with its collection.
    public func listAll(like pattern: String) throws -> [(collection: String, body: JSONValue)] {
        try read("list \(pattern)") { db in
            try Row.fetchAll(db, sql: "SELECT collection, body FROM resources WHERE collection LIKE ? ORDER BY sequence", arguments: [pattern])
        }.compactMap { row in
            let body: String = row["body"]
            return JSONValue.parse(Data(body.utf8)).map { (row["collection"], $0) }
        }
    }

    /// Inserts a new resource; throws `alreadyExists` if the name is taken.
    public func insert(_ collection: String, _ name: String, _ body: JSONValue) throws {
        try write("insert \(collection)/\(name)") { db in try insert(db, collection, name, body) }
    }

    func insert(_ db: Database, _ collection: String, _ name: String, _ body: JSONValue) throws {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM resources WHERE collection = ? AND name = ?", arguments: [collection, name]) == true {
            throw APIError.alreadyExists("\(collection)/\(name)")
        }
        try db.execute(sql: "INSERT INTO resources (collection, name, sequence, body) VALUES (?, ?, ?, ?)",
                       arguments: [collection, name, try nextSequence(db), String(decoding: body.data, as: UTF8.self)])
    }

    /// Replaces a resource's body; throws `notFound` if it is gone.
    public func put(_ collection: String, _ name: String, _ body: JSONValue) throws {
        try write("replace \(collection)/\(name)") { db in
            try db.execute(sql: "UPDATE resources SET body = ? WHERE collection = ? AND name = ?",
                           arguments: [String(decoding: body.data, as: UTF8.self), collection, name])
            if db.changesCount == 0 { throw APIError.notFound("\(collection)/\(name)") }
        }
    }

    /// Reads, changes and writes back one resource in a single transaction.
    @discardableResult
    public func mutate(_ collection: String, _ name: String, _ change: (inout JSONValue) throws -> Void) throws -> JSONValue {
        try write("update \(collection)/\(name)") { db in
            guard let text = try String.fetchOne(db, sql: "SELECT body FROM resources WHERE collection = ? AND name = ?", arguments: [collection, name]),
                  var body = JSONValue.parse(Data(text.utf8)) else { throw APIError.notFound("\(collection)/\(name)") }
            try change(&body)
            try db.execute(sql: "UPDATE resources SET body = ? WHERE collection = ? AND name = ?",
                           arguments: [String(decoding: body.data, as: UTF8.self), collection, name])
            return body
        }
    }

    public func delete(_ collection: String, _ name: String) throws {
        try write("delete \(collection)/\(name)") { db in
            try db.execute(sql: "DELETE FROM resources WHERE collection = ? AND name = ?", arguments: [collection, name])
            if db.changesCount == 0 { throw APIError.notFound("\(collection)/\(name)") }
        }
    }

    func nextSequence(_ db: Database) throws -> Int64 {
        try db.execute(sql: "INSERT INTO counters (name, value) VALUES ('sequence', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1")
        return try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'sequence'") ?? 1
    }

    // MARK: Request ids

    /// The operation already created for `requestId` in `project`, if any.
    public func operation(forRequest requestId: String, project: String) throws -> String? {
        try read("look up requestId \(requestId)") { db in
            try String.fetchOne(db, sql: "SELECT operation FROM request_ids WHERE project = ? AND request_id = ?", arguments: [project, requestId])
        }
    }

    public func remember(requestId: String, project: String, operation: String) throws {
        try write("remember requestId \(requestId)") { db in
            try db.execute(sql: "INSERT OR IGNORE INTO request_ids (project, request_id, operation) VALUES (?, ?, ?)",
                           arguments: [project, requestId, operation])
        }
    }

    // MARK: Objects

    public struct StoredObject: Sendable {
        public var body: JSONValue
        public var blob: String
    }

    public func object(_ bucket: String, _ name: String) throws -> StoredObject? {
        try read("read object \(bucket)/\(name)") { db in
            try Row.fetchOne(db, sql: "SELECT body, blob FROM objects WHERE bucket = ? AND name = ?", arguments: [bucket, name])
        }.flatMap { row in
            let body: String = row["body"]
            return JSONValue.parse(Data(body.utf8)).map { StoredObject(body: $0, blob: row["blob"]) }
        }
    }

    public func objects(_ bucket: String, prefix: String) throws -> [JSONValue] {
        try read("list objects of \(bucket)") { db in
            try String.fetchAll(db, sql: "SELECT body FROM objects WHERE bucket = ? AND substr(name, 1, ?) = ? ORDER BY name",
                                arguments: [bucket, prefix.utf8.count, prefix])
        }.compactMap { JSONValue.parse(Data($0.utf8)) }
    }

    /// Stores an object, checking `ifGenerationMatch` inside the transaction. Returns the blob it
    /// replaced, to be removed by the caller.
    public func putObject(_ bucket: String, _ name: String, body: JSONValue, blob: String, ifGenerationMatch: Int64?) throws -> String? {
        try write("store object \(bucket)/\(name)") { db in
            let old = try Row.fetchOne(db, sql: "SELECT body, blob FROM objects WHERE bucket = ? AND name = ?", arguments: [bucket, name])
            let oldGeneration = old.flatMap { row -> Int64? in
                let text: String = row["body"]
                return JSONValue.parse(Data(text.utf8))?["generation"]?.int64
            } ?? 0
            if let expected = ifGenerationMatch, expected != oldGeneration {
                throw APIError(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.")
            }
            try db.execute(sql: "INSERT OR REPLACE INTO objects (bucket, name, sequence, blob, body) VALUES (?, ?, ?, ?, ?)",
                           arguments: [bucket, name, try nextSequence(db), blob, String(decoding: body.data, as: UTF8.self)])
            return old.map { $0["blob"] }
        }
    }

    /// Removes an object; returns its blob.
    public func deleteObject(_ bucket: String, _ name: String) throws -> String {
        try write("delete object \(bucket)/\(name)") { db in
            guard let blob = try String.fetchOne(db, sql: "SELECT blob FROM objects WHERE bucket = ? AND name = ?", arguments: [bucket, name]) else {
                throw APIError(404, "notFound", "No such object: \(bucket)/\(name)")
            }
            try db.execute(sql: "DELETE FROM objects WHERE bucket = ? AND name = ?", arguments: [bucket, name])
            return blob
        }
    }

    public func objectCount(_ bucket: String) throws -> Int {
        try read("count objects of \(bucket)") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM objects WHERE bucket = ?", arguments: [bucket]) ?? 0 }
    }

    // MARK: Upload sessions

    public struct Upload: Sendable {
        public var id: String
        public var bucket: String
        public var name: String
        public var metadata: JSONValue
        public var received: Int64
        public var total: Int64?
        public var ifGenerationMatch: Int64?
        public var blob: String
    }

    public func createUpload(_ upload: Upload) throws {
        try write("create upload session \(upload.id)") { db in
            try db.execute(sql: "INSERT INTO uploads (id, bucket, name, metadata, received, total, if_generation_match, blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           arguments: [upload.id, upload.bucket, upload.name, String(decoding: upload.metadata.data, as: UTF8.self),
                                       upload.received, upload.total, upload.ifGenerationMatch, upload.blob])
        }
    }

    public func upload(_ id: String) throws -> Upload? {
        try read("read upload session \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM uploads WHERE id = ?", arguments: [id])
        }.map { row in
            let metadata: String = row["metadata"]
            return Upload(id: row["id"], bucket: row["bucket"], name: row["name"], metadata: JSONValue.parse(Data(metadata.utf8)) ?? [:],
                          received: row["received"], total: row["total"], ifGenerationMatch: row["if_generation_match"], blob: row["blob"])
        }
    }

    public func updateUpload(_ id: String, received: Int64, total: Int64?) throws {
        try write("update upload session \(id)") { db in
            try db.execute(sql: "UPDATE uploads SET received = ?, total = ? WHERE id = ?", arguments: [received, total, id])
        }
    }

    public func deleteUpload(_ id: String) throws {
        try write("delete upload session \(id)") { db in try db.execute(sql: "DELETE FROM uploads WHERE id = ?", arguments: [id]) }
    }

    // MARK: Failures

    private func read<T>(_ what: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        try reporting(what) { try db.read(body) }
    }

    private func write<T>(_ what: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        try reporting(what) { try db.write(body) }
    }

    /// Runs `work`; logs an error that is not an answer to the request (`APIError`) with `what`.
    private func reporting<T>(_ what: () -> String, _ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let error as APIError {
            throw error
        } catch {
            logger?.error("state store: cannot \(what()): \(error)")
            throw error
        }
    }
}
