import Foundation

/// How QEMU executes guest code.
public enum Accelerator: String, Sendable, Codable, CaseIterable {
    /// Hardware virtualisation through /dev/kvm.
    case kvm
    /// QEMU's software emulator: slower, works everywhere.
    case tcg
}

/// Which virtual hardware a guest gets.
public enum DeviceProfile: String, Sendable, CaseIterable {
    /// Like a GCE VM: i440fx, boot disk on virtio-scsi, one virtio-net NIC, COM1, ACPI.
    case gce
    /// A plain PC: boot disk on IDE, one virtio-net NIC, COM1.
    case plain
}

/// A host loopback port forwarded to a guest TCP port.
public struct PortForward: Equatable, Sendable {
    public var hostAddress: String
    public var hostPort: Int
    public var guestPort: Int

    public init(hostAddress: String = "127.0.0.1", hostPort: Int, guestPort: Int) {
        self.hostAddress = hostAddress
        self.hostPort = hostPort
        self.guestPort = guestPort
    }

    /// Parses `HOST:GUEST` (ports), e.g. `8080:80`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let host = Int(parts[0]), let guest = Int(parts[1]),
              (1...65535).contains(host), (1...65535).contains(guest) else {
            throw MachineError("--forward \(text) is not HOST:GUEST with two port numbers", hint: "for example --forward 8080:80")
        }
        self.init(hostPort: host, guestPort: guest)
    }
}

/// Everything needed to start one guest, turned into QEMU's arguments by `arguments`.
public struct QEMUCommand: Sendable {
    public var executable: String = "qemu-system-x86_64"
    public var accelerator: Accelerator
    public var profile: DeviceProfile
    public var memoryMiB: Int = 256
    public var cpus: Int = 1
    public var diskPath: String
    /// Discard the guest's writes so the image file stays as built.
    public var diskSnapshot: Bool = true
    public var forwards: [PortForward] = []
    public var macAddress: String
    /// Unix socket for QMP (events and commands).
    public var qmpSocket: String?
    /// Where the serial console goes: `stdio`, or a file path.
    public var serial: Serial = .stdio

    /// A name for the guest, visible in `ps` (used to recognise a plane's VMs after a restart).
    public var name: String?
    /// When true (`-no-reboot`), a reset ends QEMU: a guest that triple-faults exits instead of
    /// rebooting forever (`sortie boot`, smoke tests). False for instances of `sortie serve`,
    /// which reboot like a GCE VM on a guest reboot or `instances.reset`.
    public var exitOnReset: Bool = true

    public enum Serial: Sendable, Equatable {
        case stdio
        /// Appended to the file, so the console survives stop and start.
        case file(String)
    }

    public init(accelerator: Accelerator, profile: DeviceProfile, diskPath: String, macAddress: String) {
        self.accelerator = accelerator
        self.profile = profile
        self.diskPath = diskPath
        self.macAddress = macAddress
    }

    /// QEMU's command line (without the executable).
    public var arguments: [String] {
        var args = ["-nodefaults", "-no-user-config", "-machine", "pc", "-vga", "std", "-display", "none",
                    "-accel", accelerator.rawValue, "-m", "\(memoryMiB)", "-smp", "\(cpus)"]
        if exitOnReset { args.append("-no-reboot") }
        if accelerator == .kvm { args += ["-cpu", "host"] }
        let drive = "file=\(escape(diskPath)),format=raw,if=none,id=boot,cache=unsafe" + (diskSnapshot ? ",snapshot=on" : "")
        switch profile {
        case .gce:
            args += ["-device", "virtio-scsi-pci,id=scsi0", "-drive", drive,
                     "-device", "scsi-hd,drive=boot,bus=scsi0.0,bootindex=0"]
        case .plain:
            args += ["-drive", drive, "-device", "ide-hd,drive=boot,bootindex=0"]
        }
        var netdev = "user,id=net0"
        for f in forwards { netdev += ",hostfwd=tcp:\(f.hostAddress):\(f.hostPort)-:\(f.guestPort)" }
        args += ["-netdev", netdev, "-device", "virtio-net-pci,netdev=net0,mac=\(macAddress),rx_queue_size=1024"]
        switch serial {
        case .stdio: args += ["-serial", "stdio"]
        case .file(let path): args += ["-chardev", "file,id=console,path=\(escape(path)),append=on", "-serial", "chardev:console"]
        }
        if let name { args += ["-name", name] }
        if let qmp = qmpSocket { args += ["-qmp", "unix:\(qmp),server=on,wait=off"] }
        return args
    }

    /// QEMU option values use commas as separators; a literal comma is written twice.
    func escape(_ path: String) -> String { path.replacingOccurrences(of: ",", with: ",,") }

    /// A locally administered MAC address derived from `seed`, so guests side by side differ.
    public static func macAddress(seed: UInt32) -> String {
        let b = [0x52, 0x54, 0x00, Int(seed >> 16 & 0xFF), Int(seed >> 8 & 0xFF), Int(seed & 0xFF)]
        return b.map { String($0, radix: 16).leftPadded(2) }.joined(separator: ":")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
