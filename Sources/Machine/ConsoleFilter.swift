/// Cleans a guest's serial output for display and matching: drops terminal control sequences
/// (GRUB clears the screen with them), carriage returns and other control bytes, and splits
/// the rest into lines, even when a sequence or a character is split across reads.
public struct ConsoleFilter: Sendable {
    private enum State: Sendable { case text, escape, csi }
    private var state = State.text
    private var partial: [UInt8] = []

    public init() {}

    /// Feeds raw bytes; returns the complete lines they finished.
    public mutating func feed(_ bytes: [UInt8]) -> [String] {
        var lines: [String] = []
        for b in bytes {
            switch state {
            case .escape:
                state = b == UInt8(ascii: "[") ? .csi : .text
            case .csi:
                if (0x40...0x7E).contains(b) { state = .text }
            case .text:
                switch b {
                case 0x1B: state = .escape
                case 0x0A:
                    lines.append(String(decoding: partial, as: UTF8.self))
                    partial.removeAll(keepingCapacity: true)
                case 0x09: partial.append(b)
                case 0..<0x20, 0x7F: break
                default: partial.append(b)
                }
            }
        }
        return lines
    }

    /// The text after the last newline (a prompt, or a line still being written).
    public var pendingLine: String { String(decoding: partial, as: UTF8.self) }
}
