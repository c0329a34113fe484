import Dispatch

/// Runs blocking work (a probe's socket with its timeout, child processes, decompression, waiting
/// for a VM to exit) on a Dispatch thread rather than in Swift's cooperative pool, which has one
/// thread per core: on a 2-core machine two probes of booting guests would otherwise stall every
/// API request and the reconciler until they time out.
func runBlocking(_ work: @escaping @Sendable () -> Void) {
    DispatchQueue.global(qos: .utility).async(execute: work)
}
