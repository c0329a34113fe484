import SortieSupport

/// What kind of bootable kernel a file is, as far as the boot loader is concerned.
public enum KernelKind: Equatable, Sendable {
    /// An ELF (or a.out-kludge flat binary) with a Multiboot v1 header: Solo5 `virtio`,
    /// Unikraft `kvm`/`qemu`, IncludeOS.
    case multiboot1
    /// A kernel with a Multiboot2 header.
    case multiboot2
    /// A Linux x86 bzImage, with its boot protocol version (e.g. 0x020f) and the longest
    /// command line it accepts.
    case linux(protocolVersion: UInt16, maxCommandLine: Int)

    /// A short name for tables and messages.
    public var displayName: String {
        switch self {
        case .multiboot1: return "multiboot (v1)"
        case .multiboot2: return "multiboot2"
        case .linux(let version, _): return "Linux bzImage (boot protocol \(version >> 8).\(version & 0xff))"
        }
    }

    /// True for both Multiboot versions.
    public var isMultiboot: Bool {
        switch self {
        case .multiboot1, .multiboot2: return true
        case .linux: return false
        }
    }
}

/// Why a file cannot be used as a kernel.
public struct KernelError: UserFacingError, Equatable {
    public let message: String
    public let hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
