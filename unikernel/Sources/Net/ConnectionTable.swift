/// TCP connections by (remote address, remote port, local port): an open-addressing hash table
/// of indices into a dense array, so lookups are O(1) and timers walk only live connections.
/// (Smaller than `Dictionary` in Embedded Swift, and seeded against crafted collisions.)
struct ConnectionTable {
    private static let slotBits = 12                       // 4096 slots for at most 1024 connections
    private static let empty: Int32 = -1
    private static let deleted: Int32 = -2

    /// Every connection, in no particular order.
    private(set) var all: [TCPConnection] = []
    private var slots = [Int32](repeating: ConnectionTable.empty, count: 1 << ConnectionTable.slotBits)
    private let seed = UInt64(kernel_random32()) << 32 | UInt64(kernel_random32()) | 1
    private var tombstones = 0

    var count: Int { all.count }

    static func key(_ remote: IPv4Address, _ remotePort: UInt16, _ localPort: UInt16) -> UInt64 {
        UInt64(remote.value) << 32 | UInt64(remotePort) << 16 | UInt64(localPort)
    }

    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* seed) >> UInt64(64 - ConnectionTable.slotBits))
    }

    /// The slot holding `key`, or nil.
    private func find(_ key: UInt64) -> Int? {
        let mask = slots.count - 1
        var i = home(key)
        for _ in 0..<slots.count {
            let s = slots[i]
            if s == ConnectionTable.empty { return nil }
            if s >= 0 && all[Int(s)].tableKey == key { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    subscript(_ key: UInt64) -> TCPConnection? {
        guard let i = find(key) else { return nil }
        return all[Int(slots[i])]
    }

    /// Adds `c` (whose key must not be present).
    mutating func insert(_ c: TCPConnection) {
        let mask = slots.count - 1
        var i = home(c.tableKey)
        while slots[i] >= 0 { i = (i + 1) & mask }
        if slots[i] == ConnectionTable.deleted { tombstones -= 1 }
        slots[i] = Int32(all.count)
        all.append(c)
    }

    /// Removes the connection with `key`, if present.
    mutating func remove(_ key: UInt64) {
        guard let i = find(key) else { return }
        let index = Int(slots[i])
        slots[i] = ConnectionTable.deleted
        let last = all.count - 1
        if index != last, let moved = find(all[last].tableKey) {
            all[index] = all[last]
            slots[moved] = Int32(index)
        }
        all.removeLast()
        tombstones += 1
        if tombstones > slots.count / 4 { rebuild() }
    }

    /// Drops the tombstones (they lengthen every search for an absent key).
    private mutating func rebuild() {
        for j in slots.indices { slots[j] = ConnectionTable.empty }
        tombstones = 0
        let mask = slots.count - 1
        for (index, c) in all.enumerated() {
            var i = home(c.tableKey)
            while slots[i] != ConnectionTable.empty { i = (i + 1) & mask }
            slots[i] = Int32(index)
        }
    }
}
