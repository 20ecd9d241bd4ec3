import Domain
import Fluent
import Foundation

/// The queries behind `GET requests`: one for the page of petitions, one for the officers' latest notes
/// of those whose notes are published, whatever the page size.
enum Open311Store {
    struct Filter: Sendable {
        /// Tracking numbers; when given, the other filters are not used (as the spec says).
        var numbers: [String]?
        var services: [String] = []
        var statuses: [PetitionStatus] = []
        var from: Date?
        var to: Date?
        var offset = 0
        var limit = 50
    }

    /// Newest first.
    static func requests(_ f: Filter, tenant: Tenant, on db: any Database) async throws -> [PetitionRecord] {
        let q = PetitionRecord.query(on: db, tenant: tenant)
        if let numbers = f.numbers {
            guard !numbers.isEmpty else { return [] }
            q.filter(\.$number ~~ numbers)
        } else {
            if !f.services.isEmpty { q.filter(\.$service ~~ f.services) }
            if !f.statuses.isEmpty { q.filter(\.$statusRaw ~~ f.statuses.map(\.rawValue)) }
            if let from = f.from { q.filter(\.$createdAt >= from) }
            if let to = f.to { q.filter(\.$createdAt <= to) }
        }
        return try await q.sort(\.$createdAt, .descending).sort(\.$number, .descending).range(f.offset..<(f.offset + f.limit)).all()
    }
}
