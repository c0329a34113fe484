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
        let (y, m, d) = DOSTimestamp.civil(fromDays: days)
        date = UInt16((y - 1980) << 9 | m << 5 | d)
        time = UInt16(Int(secs / 3600) << 11 | Int(secs % 3600 / 60) << 5 | Int(secs % 60 / 2))
    }

    /// Gregorian (year, month, day) from days since 1970-01-01 (Howard Hinnant's algorithm).
    public static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }
}
