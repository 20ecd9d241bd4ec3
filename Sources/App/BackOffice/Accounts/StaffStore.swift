import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Staff accounts: queries and changes. Every function that changes an account says so in its name.
enum StaffStore {
    static func find(_ id: UUID, on db: any Database) async throws -> StaffAccount? {
        try await StaffAccount.find(id, on: db)
    }

    static func find(username: String, on db: any Database) async throws -> StaffAccount? {
        try await StaffAccount.query(on: db).filter(\.$username == username.lowercased()).first()
    }

    /// By national ID, through its keyed hash (the number itself is only stored sealed).
    static func find(nationalID: ThaiNationalID, vault: NationalIDVault, on db: any Database) async throws -> StaffAccount? {
        try await StaffAccount.query(on: db).filter(\.$nationalIDHash == vault.lookupHash(nationalID)).first()
    }

    /// Whether a platform admin exists: until one does, the one-time set-up link stays open.
    static func platformAdminExists(on db: any Database) async throws -> Bool {
        try await StaffAccount.query(on: db).filter(\.$isPlatformAdmin == true).first() != nil
    }

    /// Accounts by id, in one query.
    static func byID(_ ids: [UUID], on db: any Database) async throws -> [UUID: StaffAccount] {
        let unique = Array(Set(ids))
        guard !unique.isEmpty else { return [:] }
        let accounts = try await StaffAccount.query(on: db).filter(\.$id ~~ unique).all()
        return Dictionary(uniqueKeysWithValues: accounts.compactMap { a in a.id.map { ($0, a) } })
    }

    /// The active accounts among `ids` that have an e-mail address, by username: whom a petition's e-mails reach.
    static func reachable(_ ids: [UUID], on db: any Database) async throws -> [StaffAccount] {
        guard !ids.isEmpty else { return [] }
        return try await byID(ids, on: db).values
            .filter { $0.status == .active && !$0.email.trimmingCharacters(in: .whitespaces).isEmpty }
            .sorted { $0.username < $1.username }
    }

    /// The ids of the tenant's Organization admins.
    static func orgAdminIDs(tenant: Tenant, on db: any Database) async throws -> [UUID] {
        try await StaffGrantRecord.query(on: db, tenant: tenant).filter(\.$roleRaw == StaffRole.orgAdmin.rawValue).all().map(\.staffID)
    }

    static func count(on db: any Database) async throws -> Int {
        try await StaffAccount.query(on: db).count()
    }

    static func grants(staffID: UUID, on db: any Database) async throws -> [StaffGrantRecord] {
        try await StaffGrantRecord.crossTenantQuery(on: db, because: "a staff member's rights in every tenant (one shared back office)")
            .filter(\.$staffID == staffID).sort(\.$tenantID).all()
    }

    static func principal(for account: StaffAccount, on db: any Database) async throws -> StaffPrincipal {
        let id = try account.requireID()
        var roles: [String: StaffRole] = [:]
        for g in try await grants(staffID: id, on: db) {
            guard let r = g.role else { continue }
            roles[g.tenantID] = max(roles[g.tenantID] ?? r, r)
        }
        return StaffPrincipal(
            id: id, username: account.username, displayName: account.fullNameTH,
            isPlatformAdmin: account.isPlatformAdmin, grants: roles)
    }

    /// Staff of one tenant with the role they hold there.
    static func members(tenant: Tenant, on db: any Database) async throws -> [(StaffAccount, StaffGrantRecord)] {
        let grants = try await StaffGrantRecord.query(on: db, tenant: tenant).all()
        let byID = try await byID(grants.map(\.staffID), on: db)
        return grants.compactMap { g in byID[g.staffID].map { ($0, g) } }.sorted { $0.0.username < $1.0.username }
    }

    static func pendingRegistrations(on db: any Database) async throws -> [StaffAccount] {
        try await StaffAccount.query(on: db).filter(\.$statusRaw == StaffAccountStatus.pending.rawValue).sort(\.$createdAt).all()
    }

    /// The chosen accounts among those waiting for approval (others are left out).
    static func pendingRegistrations(_ ids: [UUID], on db: any Database) async throws -> [StaffAccount] {
        guard !ids.isEmpty else { return [] }
        return try await StaffAccount.query(on: db).filter(\.$id ~~ ids).filter(\.$statusRaw == StaffAccountStatus.pending.rawValue).all()
    }

    /// Retention: deletes registrations a platform admin refused before `decidedBefore`, at most `limit`, with what
    /// hangs off them (the schema's cascades); returns how many went and their uploaded documents' file names, for the
    /// caller to delete once this has committed. The applicant was told; the audit log keeps the decision.
    static func sweepRejected(decidedBefore: Date, limit: Int, on db: any Database) async throws -> (accounts: Int, files: [String]) {
        try await db.writeTransaction { db in
            let sql = try sqlDatabase(db)
            let lock: SQLQueryString = sql.dialect.name == "postgresql" ? "FOR UPDATE SKIP LOCKED" : ""
            let refused: SQLQueryString = "status = 'rejected' AND is_platform_admin = \(bind: false) AND decided_at < \(bind: decidedBefore)"
            let rows = try await sql.raw(
                "SELECT id, document_file FROM staff_accounts WHERE \(refused) ORDER BY decided_at LIMIT \(literal: max(1, limit)) \(lock)"
            ).all()
            let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
            guard !ids.isEmpty else { return (0, []) }
            let files = try Dictionary(
                uniqueKeysWithValues: rows.map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "document_file", as: String?.self)) })
            let gone = try await sql.raw("DELETE FROM staff_accounts WHERE id IN (\(binds: ids)) AND \(refused) RETURNING id").all().map {
                try $0.decode(column: "id", as: UUID.self)
            }
            return (gone.count, gone.compactMap { files[$0] ?? nil })
        }
    }

    static func all(on db: any Database) async throws -> [StaffAccount] {
        try await StaffAccount.query(on: db).sort(\.$username).all()
    }

    /// A new request number for a staff registration ("SR-2569-000001") or a rights request ("AR-…").
    static func nextNumber(prefix: String, now: Date, on db: any Database) async throws -> String {
        let year = ThaiDate.buddhistYear(of: now)
        let n = try await Sequences.next(scope: "staff-\(prefix)", year: year, on: db)
        return Sequences.formatted(prefix: prefix, year: year, value: n)
    }

    /// A new password: other sessions end (the epoch moves on), and the "change at first sign-in" flag clears.
    static func updatePassword(_ account: StaffAccount, hash: String, now: Date = Date(), on db: any Database) async throws {
        account.passwordHash = hash
        account.mustChangePassword = false
        account.initialPasswordIssuedAt = nil
        account.passwordChangedAt = now
        account.sessionEpoch += 1
        account.loginFailures = 0
        account.lockedUntil = nil
        account.updatedAt = now
        try await account.save(on: db)
    }

    /// Grants a right (idempotent).
    static func grant(staffID: UUID, tenantID: String, role: StaffRole, by: UUID?, requestID: UUID?, now: Date, on db: any Database) async throws {
        let existing = try await StaffGrantRecord.query(on: db, tenant: tenantID).filter(\.$staffID == staffID)
            .filter(\.$roleRaw == role.rawValue).first()
        guard existing == nil else { return }
        let g = StaffGrantRecord()
        g.staffID = staffID
        g.tenantID = tenantID
        g.roleRaw = role.rawValue
        g.grantedAt = now
        g.grantedBy = by
        g.requestID = requestID
        try await g.create(on: db)
    }

    /// Removes a right; returns whether there was one.
    static func revoke(staffID: UUID, tenantID: String, role: StaffRole, on db: any Database) async throws -> Bool {
        let found = try await StaffGrantRecord.query(on: db, tenant: tenantID).filter(\.$staffID == staffID)
            .filter(\.$roleRaw == role.rawValue).all()
        for g in found { try await g.delete(on: db) }
        if !found.isEmpty, try await StaffGrantRecord.query(on: db, tenant: tenantID).filter(\.$staffID == staffID).count() == 0 {
            try await DivisionStore.forget(staffID: staffID, tenantID: tenantID, on: db)
        }
        return !found.isEmpty
    }
}
