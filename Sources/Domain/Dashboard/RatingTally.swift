/// Citizens' ratings (1–5) counted per number of stars, for the dashboard: how many, the average, and how many
/// were unhappy (1 or 2).
public struct RatingTally: Sendable, Equatable {
    /// Index 0 holds the ratings of 1 star, index 4 those of 5.
    public private(set) var counts = Array(repeating: 0, count: PetitionRating.stars.count)

    public init() {}

    /// Adds `count` ratings of `stars` (anything outside 1…5, or a count below one, is left out).
    public mutating func add(stars: Int, count: Int) {
        guard PetitionRating.stars.contains(stars), count > 0 else { return }
        counts[stars - PetitionRating.stars.lowerBound] += count
    }

    public var total: Int { counts.reduce(0, +) }

    /// Ratings of 1 or 2.
    public var unhappy: Int { counts[0] + counts[1] }

    /// The mean number of stars; nil with no rating.
    public var average: Double? {
        let total = total
        guard total > 0 else { return nil }
        let sum = counts.enumerated().reduce(0) { $0 + ($1.offset + PetitionRating.stars.lowerBound) * $1.element }
        return Double(sum) / Double(total)
    }

    /// "4.2" (one decimal, rounded half up); nil with no rating.
    public var averageText: String? {
        guard let average else { return nil }
        let tenths = Int((average * 10).rounded(.toNearestOrAwayFromZero))
        return "\(tenths / 10).\(tenths % 10)"
    }
}
