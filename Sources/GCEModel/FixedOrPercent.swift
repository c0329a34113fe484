/// `{"fixed": N}` or `{"percent": P}`; `calculated` is output.
public struct FixedOrPercent: Codable, Sendable, Equatable {
    public var fixed: Int?
    public var percent: Int?
    public var calculated: Int?

    public init(fixed: Int) { self.fixed = fixed }
    public init(percent: Int) { self.percent = percent }
}
