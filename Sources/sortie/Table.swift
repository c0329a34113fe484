import Foundation

/// A plain-text table with aligned columns, like kubectl's.
struct Table {
    var header: [String]
    var rows: [[String]]

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0.indices.contains(i) ? $0[i].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "   ")
        }.joined(separator: "\n")
    }
}
