// hello-unikernel: Sortie's example service, on the Swift unikernel in ../../unikernel.
//
// Command line (key=value words):
//   version=N       the version it reports (default 1)
//   health=fail     /health answers 503 (for rollback tests)
//   crash-after=N   the kernel crashes after answering N requests (for autohealing tests)
//   crash=boot      the kernel crashes before it listens (a release that fails its smoke test)
//   port=N          the HTTP port (default 80)
//   name=NAME       the instance name (default: the DHCP host name, else from the MAC)
//   ip=A.B.C.D/N gateway=A.B.C.D   a static address instead of DHCP

/// The application's entry point, called by the kernel once it has booted.
func unikernelMain(_ kernel: Kernel) {
    let config = AppConfig(kernel.commandLine)
    if config.crashAtBoot {
        print("hello-unikernel: crash=boot, crashing on purpose before listening")
        fatalError()
    }
    guard let network = kernel.startNetwork(onReady: { net in
        print("HELLO-UNIKERNEL READY version=" + config.version + " ip=" + net.address.description)
    }) else {
        Power.fail(code: 5)
    }
    let app = HelloApp(config: config, network: network)
    _ = HTTPServer(tcp: network.tcp, port: config.port) { request in app.handle(request) }
    kernel.run()
}
