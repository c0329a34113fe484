func unikernelMain(_ kernel: Kernel) {
    print("hello from swift: cmdline=\(kernel.commandLine.raw) mem=\(kernel.memory / 1024) KiB t=\(Clock.milliseconds) ms")
    if kernel.commandLine["trap"] != nil {
        let a: [Int] = [1]
        print(a[kernel.commandLine.integer("trap") ?? 5])
    }
}
