/// A split virtqueue in the legacy layout (virtio 1.x §2.7, "Legacy Interfaces"): descriptor
/// table, available ring, then the used ring on the next 4 KiB boundary, in one physically
/// contiguous block (the heap is identity mapped).
final class Virtqueue {
    /// Entries, as the device reports them (QUEUE_NUM): a legacy driver cannot choose.
    let size: Int
    let memory: UnsafeMutableRawPointer
    private let availOffset: Int
    private let usedOffset: Int
    private var nextAvail: UInt16 = 0
    private var lastUsed: UInt16 = 0

    static let flagNext: UInt16 = 1
    static let flagWrite: UInt16 = 2

    /// Bytes the device needs for a queue of `size` entries.
    static func byteCount(size: Int) -> Int {
        let used = (size * 16 + 6 + 2 * size + 4095) & ~4095
        return (used + 6 + 8 * size + 4095) & ~4095
    }

    init(size: Int) {
        self.size = size
        let bytes = Virtqueue.byteCount(size: size)
        memory = Heap.allocate(size: UInt(bytes), alignment: 4096)!
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        availOffset = size * 16
        usedOffset = (size * 16 + 6 + 2 * size + 4095) & ~4095
    }

    /// The queue's page frame number, for the QUEUE_PFN register.
    var pageFrame: UInt32 { UInt32(UInt(bitPattern: memory) >> 12) }

    /// Sets descriptor `index` to one buffer (no chaining).
    func setDescriptor(_ index: Int, address: UnsafeMutableRawPointer, length: Int, flags: UInt16) {
        let d = memory + index * 16
        d.storeBytes(of: UInt64(UInt(bitPattern: address)), as: UInt64.self)
        d.storeBytes(of: UInt32(length), toByteOffset: 8, as: UInt32.self)
        d.storeBytes(of: flags, toByteOffset: 12, as: UInt16.self)
        d.storeBytes(of: 0, toByteOffset: 14, as: UInt16.self)
    }

    /// Sets only the length of descriptor `index`.
    func setLength(_ index: Int, _ length: Int) {
        (memory + index * 16).storeBytes(of: UInt32(length), toByteOffset: 8, as: UInt32.self)
    }

    /// Offers descriptor `index` to the device (visible once `publish()` runs).
    func offer(_ index: Int) {
        let slot = Int(nextAvail) % size
        (memory + availOffset + 4 + slot * 2).storeBytes(of: UInt16(index), as: UInt16.self)
        nextAvail &+= 1
    }

    /// Makes offered descriptors visible to the device.
    func publish() {
        memory_barrier()
        volatile_store16(memory + availOffset + 2, nextAvail)
        memory_barrier()
    }

    /// Whether the device asked not to be notified (VRING_USED_F_NO_NOTIFY).
    var deviceSuppressesNotifications: Bool { volatile_load16(memory + usedOffset) & 1 != 0 }

    /// Whether the device has returned buffers not yet taken.
    var hasUsed: Bool { volatile_load16(memory + usedOffset + 2) != lastUsed }

    /// Takes the next buffer the device returned: its descriptor index and the bytes written.
    func takeUsed() -> (index: Int, length: Int)? {
        let deviceIndex = volatile_load16(memory + usedOffset + 2)
        guard deviceIndex != lastUsed else { return nil }
        memory_barrier()
        let slot = Int(lastUsed) % size
        let element = memory + usedOffset + 4 + slot * 8
        let id = Int(element.load(as: UInt32.self))
        let length = Int(element.load(fromByteOffset: 4, as: UInt32.self))
        lastUsed &+= 1
        return (id, length)
    }
}
