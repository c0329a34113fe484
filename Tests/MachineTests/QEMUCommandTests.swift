import Testing
@testable import Machine

@Suite struct QEMUCommandTests {
    @Test func gceProfileBootsFromVirtioSCSIWithVirtioNetAndForwards() {
        var c = QEMUCommand(accelerator: .tcg, profile: .gce, diskPath: "/tmp/a,b.raw", macAddress: "52:54:00:00:00:01")
        c.forwards = [PortForward(hostPort: 8080, guestPort: 80)]
        c.qmpSocket = "/tmp/q.sock"
        let args = c.arguments.joined(separator: " ")
        #expect(args.contains("-accel tcg"))
        #expect(args.contains("-device virtio-scsi-pci,id=scsi0"))
        #expect(args.contains("file=/tmp/a,,b.raw,format=raw"))
        #expect(args.contains("-device scsi-hd,drive=boot,bus=scsi0.0,bootindex=0"))
        #expect(args.contains("hostfwd=tcp:127.0.0.1:8080-:80"))
        #expect(args.contains("virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01"))
        #expect(args.contains("-serial stdio") && args.contains("-no-reboot"))
        #expect(args.contains("-qmp unix:/tmp/q.sock,server=on,wait=off"))
        #expect(!args.contains("-cpu host"))
    }

    @Test func aPlaneInstanceRebootsOnResetInsteadOfExiting() {
        var c = QEMUCommand(accelerator: .tcg, profile: .gce, diskPath: "/d", macAddress: "52:54:00:00:00:03")
        c.exitOnReset = false
        #expect(!c.arguments.contains("-no-reboot"))
    }

    @Test func plainProfileUsesIDEAndKVMUsesTheHostCPU() {
        let c = QEMUCommand(accelerator: .kvm, profile: .plain, diskPath: "/d", macAddress: "52:54:00:00:00:02")
        let args = c.arguments.joined(separator: " ")
        #expect(args.contains("ide-hd,drive=boot"))
        #expect(args.contains("-cpu host"))
    }

    @Test func forwardsParseAndRejectNonsense() throws {
        #expect(try PortForward(parsing: "8080:80") == PortForward(hostPort: 8080, guestPort: 80))
        for bad in ["8080", "a:80", "0:80", "8080:70000", "1:2:3"] {
            #expect(throws: MachineError.self) { try PortForward(parsing: bad) }
        }
    }

    @Test func macAddressesAreLocallyAdministeredAndDiffer() {
        #expect(QEMUCommand.macAddress(seed: 0x0A0B0C) == "52:54:00:0a:0b:0c")
        #expect(QEMUCommand.macAddress(seed: 1) != QEMUCommand.macAddress(seed: 2))
    }
}
