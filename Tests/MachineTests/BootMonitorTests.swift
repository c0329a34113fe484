import Testing
@testable import Machine

@Suite struct BootMonitorTests {
    func feed(_ monitor: inout BootMonitor, _ text: String) -> [String] {
        monitor.handle(.console(Array(text.utf8)))
    }

    @Test func matchesAsSoonAsALineMatchesEvenAcrossReads() throws {
        var m = try BootMonitor(expect: "Solo5: .*exit")
        #expect(feed(&m, "\u{1B}[H\u{1B}[JGRUB\nSolo5: App") == ["GRUB"])
        #expect(m.outcome == nil)
        _ = feed(&m, "lication exit\n")
        #expect(m.outcome == .matched(line: "Solo5: Application exit"))
    }

    @Test func matchesAPromptWithoutNewline() throws {
        var m = try BootMonitor(expect: "login: $")
        _ = feed(&m, "Debian\nlogin: ")
        #expect(m.outcome == .matched(line: "login: "))
    }

    @Test func cleanPowerOffSucceedsOnlyWithoutAnExpectation() throws {
        var plain = try BootMonitor(expect: nil)
        _ = feed(&plain, "bye\n")
        _ = plain.handle(.shutdown(reason: "guest-shutdown"))
        #expect(plain.outcome == nil) // waits for QEMU to exit and the console to drain
        _ = plain.handle(.exited(status: 0, errorOutput: ""))
        #expect(plain.outcome == nil)
        _ = plain.handle(.consoleClosed)
        #expect(plain.outcome == .poweredOff)

        var expecting = try BootMonitor(expect: "READY")
        _ = expecting.handle(.shutdown(reason: "guest-shutdown"))
        _ = expecting.handle(.consoleClosed)
        _ = expecting.handle(.exited(status: 0, errorOutput: ""))
        #expect(expecting.outcome == .failed(reason: "the guest powered off without printing a line matching /READY/"))
    }

    @Test func aResetIsACrashEvenThoughQEMUExitsWithZero() throws {
        var m = try BootMonitor(expect: nil)
        _ = m.handle(.shutdown(reason: "guest-reset"))
        _ = m.handle(.exited(status: 0, errorOutput: ""))
        _ = m.handle(.consoleClosed)
        #expect(m.outcome?.succeeded == false)
        #expect(m.outcome == .failed(reason: "the guest crashed: it reset itself (a triple fault, or a reboot)"))
    }

    @Test func qemuFailureCarriesItsMessage() throws {
        var m = try BootMonitor(expect: "x")
        _ = m.handle(.consoleClosed)
        _ = m.handle(.exited(status: 1, errorOutput: "qemu-system-x86_64: -drive file=/x: Could not open '/x'\n"))
        #expect(m.outcome == .failed(reason: "QEMU exited with status 1: qemu-system-x86_64: -drive file=/x: Could not open '/x'"))
    }

    @Test func timeoutKeepsTheConsoleTail() throws {
        var m = try BootMonitor(expect: "never", tailLines: 2)
        _ = feed(&m, "one\ntwo\nthree\n")
        _ = m.handle(.timedOut(seconds: 3))
        #expect(m.outcome == .failed(reason: "timed out after 3.00 s: no console line matched /never/"))
        #expect(m.tail == ["two", "three"])
    }

    @Test func refusesAnInvalidRegex() {
        #expect(throws: MachineError.self) { try BootMonitor(expect: "([") }
    }

    @Test func consoleFilterDropsControlSequencesAndCarriageReturns() {
        var f = ConsoleFilter()
        #expect(f.feed(Array("\u{1B}[1;1Hab\r\n\u{1B}".utf8)) == ["ab"])
        #expect(f.feed(Array("[2Jcd\n".utf8)) == ["cd"])
    }
}
