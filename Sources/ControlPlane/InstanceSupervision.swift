import Foundation
import ImageBuilder
import Logging
import Machine
import SortieSupport

/// Supervision of the VMs behind instances: launching QEMU, noticing its exit, powering it off
/// (ACPI power button, then a kill), and at the plane's restart and shutdown adopting or stopping
/// every VM. The API handlers are in InstanceRuntime.swift.
extension InstanceRuntime {
    func isRunning(_ id: String) -> Bool { lock.withLock { vms[id] != nil } }

    /// Starts the VM of instance `id` from its disk; RUNNING once QEMU is up.
    func launch(id: String) throws {
        guard let record = try store.get(Self.vmCollection, id) else { throw APIError.notFound("instance \(id)") }
        setStatus(id, .staging)
        var command = QEMUCommand(accelerator: Accelerator(rawValue: configuration.accelerator) ?? .tcg, profile: .gce,
                                  diskPath: directory(id) + "/disk.raw", macAddress: QEMUCommand.macAddress(seed: UInt32(truncatingIfNeeded: UInt64(id) ?? 1)))
        command.diskSnapshot = false
        command.exitOnReset = false
        command.memoryMiB = Int(record["memory"]?.number ?? 256)
        command.cpus = Int(record["cpus"]?.number ?? 1)
        command.serial = .file(directory(id) + "/serial.log")
        command.qmpSocket = qmpSocket(id)
        command.name = "sortie-\(id)"
        command.forwards = (record["forwards"]?.object ?? [:]).compactMap { guest, host in
            guard let guestPort = Int(guest), let hostPort = host.number else { return nil }
            return PortForward(hostPort: Int(hostPort), guestPort: guestPort)
        }.sorted { $0.guestPort < $1.guestPort }
        unlink(qmpSocket(id))
        guard let qemu = ExecutableSearch.find(command.executable) else {
            throw APIError(500, "backendError", "qemu-system-x86_64 is not installed on the plane's host (apt-get install qemu-system-x86)")
        }
        let log = open(directory(id) + "/qemu.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        defer { close(log) }
        let process = try SpawnedProcess(executable: qemu, arguments: command.arguments, stdout: log, stderr: log,
                                         newSession: true, dieWithParent: false) { [weak self] status in
            self?.exited(id: id, status: status)
        }
        lock.withLock { vms[id] = VM(pid: process.pid, process: process) }
        let startedAt = Date().timeIntervalSince1970
        _ = try? store.mutate(Self.vmCollection, id) {
            $0["pid"] = .number(Double(process.pid))
            $0["startedAt"] = .number(startedAt)
        }
        _ = try? mutateInstance(id) { body in
            body["status"] = .string(ComputeInstanceStatus.running.rawValue)
            body["lastStartTimestamp"] = .string(Identifiers.timestamp())
        }
        logger.info("instance \(record["name"]?.string ?? id) is RUNNING (QEMU pid \(process.pid))")
    }

    /// A VM ended: after a stop or delete that is expected; otherwise the guest powered off or crashed.
    func exited(id: String, status: Int32) {
        let expected = lock.withLock { () -> Bool in
            vms[id] = nil
            return stopping.contains(id)
        }
        if !expected {
            logger.info("instance \(id): QEMU exited (status \(status)); TERMINATED")
            setStatus(id, .terminated)
        }
    }

    /// ACPI power button, then SIGTERM/SIGKILL after `grace` seconds. Blocks until QEMU has
    /// exited: call it from a Dispatch thread (`runBlocking`), never from the cooperative pool.
    func powerOff(id: String, grace: Double) {
        let vm = lock.withLock { () -> VM? in
            stopping.insert(id)
            return vms[id]
        }
        defer { lock.withLock { _ = stopping.remove(id) } }
        guard let vm else { return }
        if grace > 0 {
            do {
                try QMPClient(path: qmpSocket(id), within: 1).execute("system_powerdown", timeout: 1)
            } catch {
                logger.info("instance \(id): the ACPI power button could not be pressed (\(error)); stopping QEMU")
            }
        }
        if let process = vm.process {
            // The exit callback wakes this wait; no polling.
            if grace > 0 { process.wait(timeout: grace) }
            process.stop(grace: 2)
        } else {
            // An adopted VM is not our child: its exit can only be polled.
            Self.waitForExit(pid: vm.pid, within: grace)
            if kill(vm.pid, 0) == 0 {
                kill(vm.pid, SIGTERM)
                Self.waitForExit(pid: vm.pid, within: 2)
                kill(vm.pid, SIGKILL)
            }
        }
        lock.withLock { vms[id] = nil }
    }

    /// Polls until `pid` has gone or `seconds` have passed (for processes that are not our children).
    static func waitForExit(pid: pid_t, within seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while kill(pid, 0) == 0, Date() < deadline { usleep(50_000) }
    }

    func setStatus(_ id: String, _ status: ComputeInstanceStatus) {
        _ = try? mutateInstance(id) { $0["status"] = .string(status.rawValue) }
    }

    func mutateInstance(_ id: String, _ change: (inout JSONValue) -> Void) throws {
        guard let record = try store.get(Self.vmCollection, id), let project = record["project"]?.string,
              let zone = record["zone"]?.string, let name = record["name"]?.string else { return }
        try store.mutate(collection(project, zone), name) { change(&$0) }
    }

    // MARK: Restart and shutdown

    /// After a restart: adopt VMs still running, restart those that should run but died,
    /// and finish instance operations the crash interrupted.
    func recover() async {
        guard let records = try? store.list(Self.vmCollection) else { return }
        for record in records {
            guard let id = record["id"]?.string, let project = record["project"]?.string, let zone = record["zone"]?.string, let name = record["name"]?.string,
                  let instance = try? store.get(collection(project, zone), name) else { continue }
            let status = instance.instanceStatus
            let pid = pid_t(record["pid"]?.number ?? 0)
            let alive = pid > 0 && Self.isSortieVM(pid: pid, id: id)
            switch status {
            case .running?, .staging?, .provisioning?:
                if alive {
                    lock.withLock { vms[id] = VM(pid: pid, process: nil) }
                    setStatus(id, .running)
                    watchAdopted(id: id, pid: pid)
                    logger.info("adopted instance \(name) (QEMU pid \(pid))")
                } else if FileManager.default.fileExists(atPath: directory(id) + "/disk.raw") {
                    do { try launch(id: id) } catch { setStatus(id, .terminated) }
                } else {
                    setStatus(id, .terminated)
                }
            case .stopping?:
                if alive { kill(pid, SIGKILL) }
                setStatus(id, .terminated)
            default:
                if alive { kill(pid, SIGKILL) }
            }
            finishInterruptedOperations(project: project, zone: zone, targetId: id)
        }
    }

    func finishInterruptedOperations(project: String, zone: String, targetId: String) {
        let opCollection = Operations.collection(project: project, scope: "zones/\(zone)")
        for op in (try? store.list(opCollection)) ?? [] where op["targetId"]?.string == targetId && !op.isDoneOperation {
            operations.finish(opCollection, op["name"]?.string ?? "")
        }
    }

    /// True when `pid` is QEMU running this plane's instance `id` (its command line names it).
    static func isSortieVM(pid: pid_t, id: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self).contains("sortie-\(id)")
    }

    /// Adopted VMs are not our children: poll for their exit.
    func watchAdopted(id: String, pid: pid_t) {
        tasks.spawn { [self] in
            while Self.isSortieVM(pid: pid, id: id) {
                // At shutdown the VM is powered off by `shutdownAll`, not reported as a crash.
                guard (try? await Task.sleep(for: .milliseconds(500))) != nil else { return }
            }
            exited(id: id, status: -1)
        }
    }

    /// Graceful stop of the plane: power every guest off (ACPI, then kill). Their instances stay
    /// RUNNING in the store, so the next start brings them back, as GCE would keep them running.
    func shutdownAll(grace: Double) async {
        let ids = lock.withLock { Array(vms.keys) }
        // One Dispatch thread per VM: powering off blocks, and the cooperative pool has one
        // thread per core, so on 2 cores a task group would stop two guests at a time.
        await withTaskGroup(of: Void.self) { group in
            for id in ids { group.addTask { await blocking { self.powerOff(id: id, grace: grace) } } }
        }
    }
}
