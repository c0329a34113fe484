import SortieSupport

/// A FAT directory timestamp (local time with 2-second resolution; Sortie writes UTC).
public struct DOSTimestamp: Equatable, Sendable {
    public var date: UInt16
    public var time: UInt16

    /// Converts seconds since 1970 (UTC), clamped to FAT's range 1980–2107.
    public init(unixSeconds: Int64) {
        let minimum: Int64 = 315_532_800 // 1980-01-01
        let maximum: Int64 = 4_354_819_198 // 2107-12-31 23:59:58
        let t = min(max(unixSeconds, minimum), maximum)
        let days = t / 86_400
        let secs = t % 86_400
        let (y, m, d) = CivilTime.date(fromDays: days)
        date = UInt16((y - 1980) << 9 | m << 5 | d)
        time = UInt16(Int(secs / 3600) << 11 | Int(secs % 3600 / 60) << 5 | Int(secs % 60 / 2))
    }
}
