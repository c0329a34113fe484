import Foundation

/// Calendar arithmetic on UTC without Foundation's calendars (exact, and the same everywhere).
public enum CivilTime {
    /// Gregorian (year, month, day) from days since 1970-01-01 (Howard Hinnant's algorithm).
    public static func date(fromDays z0: Int64) -> (year: Int, month: Int, day: Int) {
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

    /// RFC 3339 with milliseconds and an explicit offset, like `2026-11-27T17:41:30.123+00:00`
    /// (the form GCE writes its timestamps in).
    public static func rfc3339(_ date: Date = Date()) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - days * 86_400
        let (year, month, day) = Self.date(fromDays: days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let millis = ms - seconds * 1000
        let milliText = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(year)-\(two(Int64(month)))-\(two(Int64(day)))T\(two(rest / 3600)):\(two(rest % 3600 / 60)):\(two(rest % 60)).\(milliText)+00:00"
    }
}
