/// The kernel heap: size classes over 64 KiB chunks, carved from the largest RAM range of the
/// multiboot memory map. Embedded Swift allocates through `posix_memalign` and `free`, below.
///
/// - Blocks of 16 B ... 32 KiB come from per-class free lists. A chunk, once given to a class,
///   stays with it; its blocks are aligned to their size.
/// - Larger requests take a run of whole chunks (first fit), returned to the pool when freed.
/// - One byte per chunk (in the first chunk) says what the chunk holds, so `free` needs no header.
public enum Heap {
    static let chunkShift: UInt = 16
    static let chunkSize: UInt = 1 << chunkShift
    static let classCount = 12                     // 16 << 0 ... 16 << 11 = 32 KiB
    static let free: UInt8 = 0
    static let runHead: UInt8 = 0xFE
    static let runTail: UInt8 = 0xFF

    nonisolated(unsafe) static var base: UInt = 0
    nonisolated(unsafe) static var chunkCount: Int = 0
    nonisolated(unsafe) static var kinds = UnsafeMutablePointer<UInt8>(bitPattern: 0x1000)!
    nonisolated(unsafe) static var runLengths = UnsafeMutablePointer<UInt32>(bitPattern: 0x1000)!
    nonisolated(unsafe) static var freeLists = UnsafeMutablePointer<UInt>(bitPattern: 0x1000)!
    nonisolated(unsafe) static var searchStart: Int = 0

    /// Bytes handed out and not yet freed (rounded to size classes).
    public nonisolated(unsafe) static var usedBytes: UInt = 0
    /// The most `usedBytes` has been.
    public nonisolated(unsafe) static var peakBytes: UInt = 0
    /// Bytes the heap manages in all.
    public static var capacity: UInt { UInt(chunkCount) * chunkSize }

    /// Takes the range `start..<end` (identity-mapped RAM). Must run before anything allocates.
    static func initialize(start: UInt, end: UInt) {
        let first = (start + chunkSize - 1) & ~(chunkSize - 1)
        base = first
        chunkCount = Int((end - first) >> chunkShift)
        // The first chunk(s) hold the bookkeeping: kinds, run lengths, free list heads.
        let meta = UInt(chunkCount) * 5 + UInt(classCount) * 8 + 64
        let metaChunks = Int((meta + chunkSize - 1) >> chunkShift)
        let raw = UnsafeMutableRawPointer(bitPattern: first)!
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: metaChunks << Int(chunkShift))
        freeLists = raw.assumingMemoryBound(to: UInt.self)
        runLengths = (raw + classCount * 8).assumingMemoryBound(to: UInt32.self)
        kinds = (raw + classCount * 8 + chunkCount * 4).assumingMemoryBound(to: UInt8.self)
        for i in 0..<metaChunks { kinds[i] = runTail }
        searchStart = metaChunks
    }

    static func sizeClass(_ size: UInt) -> Int {
        var c = 0
        var s: UInt = 16
        while s < size { s <<= 1; c += 1 }
        return c
    }

    /// Allocates `size` bytes aligned to `alignment` (a power of two up to 64 KiB).
    static func allocate(size: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        let need = max(size, alignment, 1)
        if need <= 16 << UInt(classCount - 1) {
            let c = sizeClass(need)
            if freeLists[c] == 0 && !refill(c) { return nil }
            let block = freeLists[c]
            freeLists[c] = UnsafePointer<UInt>(bitPattern: block)!.pointee
            account(+1, 16 << UInt(c))
            return UnsafeMutableRawPointer(bitPattern: block)
        }
        let n = Int((need + chunkSize - 1) >> chunkShift)
        guard let first = findRun(n) else { return nil }
        kinds[first] = runHead
        runLengths[first] = UInt32(n)
        for i in first + 1 ..< first + n { kinds[i] = runTail }
        account(+1, UInt(n) << chunkShift)
        return UnsafeMutableRawPointer(bitPattern: base + (UInt(first) << chunkShift))
    }

    static func release(_ pointer: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: pointer)
        guard address >= base else { return }
        let index = Int((address - base) >> chunkShift)
        guard index < chunkCount else { return }
        let kind = kinds[index]
        if kind >= 1 && kind <= UInt8(classCount) {
            let c = Int(kind) - 1
            UnsafeMutablePointer<UInt>(bitPattern: address)!.pointee = freeLists[c]
            freeLists[c] = address
            account(-1, 16 << UInt(c))
        } else if kind == runHead {
            let n = Int(runLengths[index])
            for i in index ..< index + n { kinds[i] = free }
            if index < searchStart { searchStart = index }
            account(-1, UInt(n) << chunkShift)
        }
    }

    private static func account(_ sign: Int, _ bytes: UInt) {
        if sign > 0 {
            usedBytes += bytes
            if usedBytes > peakBytes { peakBytes = usedBytes }
        } else {
            usedBytes -= bytes
        }
    }

    /// Gives a free chunk to class `c` and threads its blocks onto the free list.
    private static func refill(_ c: Int) -> Bool {
        guard let chunk = findRun(1) else { return false }
        kinds[chunk] = UInt8(c + 1)
        let size: UInt = 16 << UInt(c)
        let start = base + (UInt(chunk) << chunkShift)
        var offset = chunkSize
        var head = freeLists[c]
        while offset >= size {
            offset -= size
            UnsafeMutablePointer<UInt>(bitPattern: start + offset)!.pointee = head
            head = start + offset
        }
        freeLists[c] = head
        return true
    }

    /// First fit: `n` consecutive free chunks.
    private static func findRun(_ n: Int) -> Int? {
        while searchStart < chunkCount && kinds[searchStart] != free { searchStart += 1 }
        var i = searchStart
        while i + n <= chunkCount {
            var j = 0
            while j < n && kinds[i + j] == free { j += 1 }
            if j == n {
                if i == searchStart { searchStart = i + n }
                return i
            }
            i += j + 1
        }
        return nil
    }
}

/// The allocator behind `posix_memalign` (runtime.c). Out of memory is fatal.
@_cdecl("heap_allocate")
func heapAllocate(_ size: Int, _ alignment: Int) -> UnsafeMutableRawPointer {
    guard let p = Heap.allocate(size: UInt(size), alignment: UInt(max(alignment, 16))) else {
        Console.write("KERNEL PANIC: out of memory (")
        Console.writeDecimal(UInt64(size))
        Console.write(" bytes requested)\n")
        Power.fail(code: 4)
    }
    return p
}

/// Behind `free` (runtime.c).
@_cdecl("heap_release")
func heapRelease(_ pointer: UnsafeMutableRawPointer?) {
    if let pointer { Heap.release(pointer) }
}
