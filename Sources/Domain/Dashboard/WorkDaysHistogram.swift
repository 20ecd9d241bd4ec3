/// Working days to complete, as a histogram (days → petitions), for the median and the 90th percentile
/// without reading every petition: the database groups by days, this walks the few distinct values.
///
/// Percentiles are nearest-rank: the p-th percentile of n values is the smallest value v with at least
/// ⌈p·n/100⌉ values ≤ v (the median of 1, 2, 3, 4 is 2).
public struct WorkDaysHistogram: Equatable, Sendable {
    public private(set) var counts: [Int: Int] = [:]

    public init() {}

    public mutating func add(days: Int, count: Int) {
        guard count > 0 else { return }
        counts[max(days, 0), default: 0] += count
    }

    public var total: Int { counts.values.reduce(0, +) }

    /// The nearest-rank percentile (p in 1…100); nil when empty.
    public func percentile(_ p: Int) -> Int? {
        let n = total
        guard n > 0 else { return nil }
        let rank = max(1, (min(max(p, 1), 100) * n + 99) / 100)
        var seen = 0
        for days in counts.keys.sorted() {
            seen += counts[days] ?? 0
            if seen >= rank { return days }
        }
        return counts.keys.max()
    }

    public var median: Int? { percentile(50) }
    public var p90: Int? { percentile(90) }
}
