import Dispatch

/// Runs blocking work (a probe's socket with its timeout, child processes, decompression, waiting
/// for a VM to exit) on a Dispatch thread rather than in Swift's cooperative pool, which has one
/// thread per core: on a 2-core machine two probes of booting guests would otherwise stall every
/// API request and the reconciler until they time out.
func runBlocking(_ work: @escaping @Sendable () -> Void) {
    DispatchQueue.global(qos: .utility).async(execute: work)
}

/// Runs blocking `work` on a Dispatch thread (see `runBlocking`) and waits for it without holding
/// a thread of the cooperative pool.
func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        runBlocking { continuation.resume(returning: work()) }
    }
}
