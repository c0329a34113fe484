import Foundation
import ImageBuilder
#if canImport(Glibc)
import Glibc
import SortieSupport
import Synchronization
#endif

/// A child process started with posix_spawn from a thread of its own, which then waits for it.
///
/// With `dieWithParent`, the child runs under `setpriv --pdeathsig KILL`: the kernel kills it when
/// the thread that spawned it ends. Because that thread lives exactly as long as the child (it sits
/// in waitpid), the child dies only if this whole process dies — even by SIGKILL. With
/// `newSession` the child gets its own session, so a Ctrl-C aimed at this process's terminal does
/// not reach it (for VMs that must outlive a restart of the control plane).
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    private let exitLock = NSLock()
    private var exitStatus: Int32?
    private let exited = DispatchSemaphore(value: 0)

    /// Starts `executable` with `arguments`; `onExit` runs on the waiting thread with the exit
    /// status (or 128 + signal number when killed by a signal).
    public init(executable: String, arguments: [String], stdin: Int32? = nil, stdout: Int32, stderr: Int32,
                newSession: Bool = false, dieWithParent: Bool = false,
                onExit: @escaping @Sendable (Int32) -> Void = { _ in }) throws {
        let setpriv = dieWithParent ? ExecutableSearch.find("setpriv") : nil
        let argv = setpriv.map { [$0, "--pdeathsig", "KILL", "--", executable] } ?? [executable]
        let allArguments = argv + arguments
        let path = setpriv ?? executable
        let started = DispatchSemaphore(value: 0)
        let box = SpawnResult()
        let exitedSemaphore = exited
        if Self.closeFromAction == nil { Self.markDescriptorsCloseOnExec() }
        let thread = Thread { [box] in
            var fileActions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&fileActions)
            defer { posix_spawn_file_actions_destroy(&fileActions) }
            let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
            posix_spawn_file_actions_adddup2(&fileActions, stdin ?? devNull, 0)
            posix_spawn_file_actions_adddup2(&fileActions, stdout, 1)
            posix_spawn_file_actions_adddup2(&fileActions, stderr, 2)
            // Nothing else crosses over, whatever another thread has opened: a VM that inherited
            // the write end of a pipe another thread reads to its end (a `cp` run with
            // Foundation's Process) held that reader until the VM exited, and an instance created
            // at the same moment stayed PROVISIONING forever.
            Self.addCloseFrom(&fileActions, 3)
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
            if newSession { flags |= 0x80 } // POSIX_SPAWN_SETSID (glibc)
            posix_spawnattr_setflags(&attributes, Int16(flags))
            var noSignals = sigset_t()
            sigemptyset(&noSignals)
            posix_spawnattr_setsigmask(&attributes, &noSignals)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for s in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, s) }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            let cArgs = allArguments.map { strdup($0) } + [nil]
            defer { for p in cArgs { free(p) } }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, path, &fileActions, &attributes, cArgs, environ)
            close(devNull)
            box.started(pid: rc == 0 ? pid : -1, error: rc)
            started.signal()
            guard rc == 0 else { return }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            box.finish(code)
            onExit(code)
            exitedSemaphore.signal()
        }
        thread.start()
        started.wait()
        let outcome = box.spawn
        guard outcome.pid > 0 else {
            throw MachineError("cannot start \(executable): \(String(cString: strerror(outcome.error)))")
        }
        pid = outcome.pid
        resultBox = box
    }

    private let resultBox: SpawnResult

    private typealias CloseFromAction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; Swift's Glibc module
    /// does not declare it), looked up once; nil where the C library lacks it.
    private static let closeFromAction: CloseFromAction? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFromAction.self)
    }()

    /// Closes every descriptor from `lowest` up in the child, where the C library can.
    private static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) {
        _ = closeFromAction?(actions, lowest)
    }

    /// Where the C library cannot close descriptors in the child (racy: a descriptor another
    /// thread opens after this is still inherited): sets close-on-exec on every open descriptor above 2, so a child (a VM meant to outlive this
    /// process) never inherits a listening socket or a database file. The child's 0-2 come from dup2.
    static func markDescriptorsCloseOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for entry in entries {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0, flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// The exit status once the process has ended, else nil.
    public var status: Int32? { resultBox.status }
    public var isRunning: Bool { resultBox.status == nil }

    /// Blocks until the process has exited; returns its status.
    @discardableResult
    public func wait(timeout seconds: Double? = nil) -> Int32? {
        if let status = resultBox.status { return status }
        if let seconds {
            guard exited.wait(timeout: .now() + seconds) == .success else { return nil }
        } else {
            exited.wait()
        }
        exited.signal() // let other waiters through
        return resultBox.status
    }

    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns once it has exited.
    public func stop(grace: Double = 2) {
        guard isRunning else { return }
        signal(SIGTERM)
        if wait(timeout: grace) == nil {
            signal(SIGKILL)
            wait()
        }
    }
}

/// What the spawning thread learns: the child's pid (or the spawn's error), then its exit status.
private final class SpawnResult: Sendable {
    private let state = Mutex<(pid: pid_t, error: Int32, status: Int32?)>((0, 0, nil))
    var spawn: (pid: pid_t, error: Int32) { state.withLock { ($0.pid, $0.error) } }
    var status: Int32? { state.withLock { $0.status } }
    func started(pid: pid_t, error: Int32) { state.withLock { $0.pid = pid; $0.error = error } }
    func finish(_ code: Int32) { state.withLock { $0.status = code } }
}
