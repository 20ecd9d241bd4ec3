import Fluent
import Foundation
import Logging
import Testing
import Vapor

@testable import App

/// Checks the SQL statements a test's application runs: a SELECT, UPDATE or DELETE that reads or changes a
/// tenant-owned table without a `tenant_id` condition on it is a violation, and `withApp` fails the test that
/// ran it. It sees the statements through the "Executing query" lines SQLKit logs for each of them (both
/// drivers), whatever the log level the test prints at. Checked: every statement of every request (its logger
/// carries Vapor's `request-id`), in every test that uses `withApp`; and everything inside ``checking(_:)``
/// (the outbox jobs the test helpers run, store tests). Not checked: a test's own look at the tables through
/// `app.db` ("nothing was stored", in any tenant), which is meant to span tenants.
///
/// Allowed without a tenant: INSERTs (the tenant is a value), schema statements, a write of one row by its
/// primary key alone (Fluent's `save`/`delete` of a model already read through a tenant-scoped query), and
/// the short list in ``allowed``, each with its reason.
final class TenantGuard: @unchecked Sendable {
    /// Tables whose rows each belong to one tenant (`tenant_id` NOT NULL). `outbox_jobs` and `audit_events`
    /// also carry platform rows (a null tenant) and are read across tenants by design (the worker's claim,
    /// the platform admin's audit page); `TenantTableListTests` checks this list against the schema.
    static let tenantTables: Set<String> = [
        "access_requests", "citizen_closing_requests", "citizens", "contact_messages", "division_members", "division_seeds", "divisions", "form_versions",
        "identity_images", "line_conversations", "line_link_nonces", "line_users", "line_webhook_rejections", "open311_keys", "petition_attachments",
        "petition_counts", "petition_documents", "petition_events", "petition_month_completed", "petition_month_rating", "petition_month_received",
        "petitions", "service_forms",
        "staff_grants",
        "tenant_services", "tenant_settings",
    ]

    /// A query that spans tenants on purpose.
    struct Allowance: Sendable {
        var table: String
        var reason: String
        /// True when the statement (lower-cased, without quotes, spaces collapsed) is this query.
        var matches: @Sendable (String) -> Bool
    }

    static let allowed: [Allowance] = [
        Allowance(table: "staff_grants", reason: "a staff member's rights in every tenant (the back office is shared)") {
            $0.contains("staff_grants.staff_id = ") || $0.contains("staff_grants.staff_id in ")
        },
        Allowance(table: "access_requests", reason: "a staff member's own requests, or the approver's chosen ones (mayDecide checks each)") {
            $0.contains("access_requests.staff_id = ") || $0.contains("access_requests.id in ")
        },
        Allowance(table: "access_requests", reason: "the platform admin's approvals page: pending requests and recent decisions of every tenant") {
            $0.hasPrefix("select") && $0.contains(" where access_requests.status ")
        },
        Allowance(table: "tenant_settings", reason: "the settings poll: which tenants changed since a revision") {
            $0.contains("tenant_settings.revision > ")
        },
        Allowance(table: "tenant_settings", reason: "start-up: every tenant's overrides") {
            $0.hasPrefix("select") && !$0.contains(" where ")
        },
        Allowance(table: "tenant_services", reason: "start-up: the catalogues of every tenant with overrides") {
            $0.hasPrefix("select") && !$0.contains(" where ")
        },
        Allowance(table: "service_forms", reason: "start-up: the forms of every tenant with overrides") {
            $0.hasPrefix("select") && !$0.contains(" where ")
        },
        Allowance(table: "identity_images", reason: "the orphan sweep: which stored files have a record, in any tenant") {
            $0.contains("identity_images.file_name in ")
        },
        Allowance(table: "petitions", reason: "the platform admins' dashboard: every tenant's overdue petitions, grouped by tenant") {
            $0.hasPrefix("select p.tenant_id as tenant_id, count(*) as n from petitions p") && $0.hasSuffix("group by p.tenant_id")
        },
        Allowance(table: "petition_month_received", reason: "the platform admins' dashboard, and start-up's check: every tenant's months, grouped by tenant") {
            $0.hasPrefix("select tenant_id,") && $0.hasSuffix("group by tenant_id")
        },
        Allowance(table: "petition_month_completed", reason: "the platform admins' dashboard: every tenant's months, grouped by tenant") {
            $0.hasPrefix("select tenant_id,") && $0.hasSuffix("group by tenant_id, work_days")
        },
        Allowance(table: "petition_counts", reason: "start-up: every tenant's totals, to find month counts that disagree (PetitionMonthRecount)") {
            $0.hasPrefix("select tenant_id,") && $0.hasSuffix("from petition_counts group by tenant_id")
        },
        Allowance(table: "division_seeds", reason: "start-up: which tenants already got their folder's divisions (one query for every tenant)") {
            $0 == "select tenant_id from division_seeds"
        },
        Allowance(table: "petition_documents", reason: "the public verification page: a document's code is unique across tenants") {
            $0.contains("petition_documents.verification_code = ")
        },
        // The workers' retention sweeps (`Retention`) delete what every tenant no longer needs, oldest first. They run
        // outside requests, but a pooled connection first opened for a request logs with that request's id.
        Allowance(table: "citizens", reason: "retention: registrations abandoned before the identity images, in every tenant") {
            $0.contains("verification_status = 'awaiting_images' and images_submitted_at is null and not exists")
        },
        Allowance(table: "identity_images", reason: "retention: the files of the abandoned registrations being deleted") {
            $0.hasPrefix("select citizen_id, file_name from identity_images where citizen_id in ")
        },
        Allowance(table: "contact_messages", reason: "retention: contact messages past CONTACT_KEEP_DAYS, in every tenant") {
            $0.hasPrefix("delete from contact_messages where id in ( select id from contact_messages where created_at < ")
        },
        Allowance(table: "line_link_nonces", reason: "retention: expired LINE link nonces, in every tenant") {
            $0.hasPrefix("delete from line_link_nonces where id in ( select id from line_link_nonces where expires_at <= ")
        },
        Allowance(table: "line_conversations", reason: "retention: LINE complaint chats left for an hour, in every tenant") {
            $0.hasPrefix("delete from line_conversations where id in ( select id from line_conversations where updated_at < ")
        },
        Allowance(table: "line_webhook_rejections", reason: "retention: old counts of refused webhook requests, in every tenant") {
            $0.hasPrefix("delete from line_webhook_rejections where (tenant_id, hour) in ( select tenant_id, hour from line_webhook_rejections where hour < ")
        },
    ]

    struct Violation: CustomStringConvertible {
        var table: String
        var sql: String
        var description: String { "no tenant_id condition on \(table): \(sql)" }
    }

    private let lock = NSLock()
    private var found: [Violation] = []
    private var paused = 0
    private var strict = 0

    var violations: [Violation] { lock.withLock { found } }

    /// Runs `body` checking every statement of the application, not only the requests' (outbox jobs, stores
    /// called directly). The test's own statements inside it are checked too.
    func checking<T>(_ body: () async throws -> T) async rethrows -> T {
        lock.withLock { strict += 1 }
        defer { lock.withLock { strict -= 1 } }
        return try await body()
    }

    /// Runs `body` without checking (a test that writes an unscoped statement on purpose).
    func unchecked<T>(_ body: () async throws -> T) async rethrows -> T {
        lock.withLock { paused += 1 }
        defer { lock.withLock { paused -= 1 } }
        return try await body()
    }

    /// Takes the violations found so far (the guard's own test reads them and leaves none behind).
    func take() -> [Violation] {
        lock.withLock {
            defer { found = [] }; return found
        }
    }

    /// Checks one statement; `request`: it was run for a request.
    func check(_ sql: String, request: Bool) {
        guard lock.withLock({ paused == 0 && (request || strict > 0) }) else { return }
        let problems = Self.problems(in: sql)
        guard !problems.isEmpty else { return }
        lock.withLock { found += problems.map { Violation(table: $0, sql: sql) } }
    }

    /// The tenant-owned tables `sql` reads or changes without a tenant condition (empty when it is fine).
    static func problems(in sql: String) -> [String] {
        let s = normalized(sql)
        guard s.hasPrefix("select") || s.hasPrefix("update") || s.hasPrefix("delete") || s.hasPrefix("with") else { return [] }
        var out: [String] = []
        for (table, alias) in references(in: s) where tenantTables.contains(table) {
            let qualifiers = [table] + (alias.map { [$0] } ?? [])
            let scoped =
                qualifiers.contains { q in s.range(of: "\\b\(q)\\.tenant_id (=|in )", options: .regularExpression) != nil }
                || s.range(of: "(^|[^.\\w])tenant_id (=|in )", options: .regularExpression) != nil
            if scoped || byPrimaryKey(s, table: table) { continue }
            if allowed.contains(where: { $0.table == table && $0.matches(s) }) { continue }
            out.append(table)
        }
        return out
    }

    /// Lower case, no identifier quotes, single spaces, spaces around `=`.
    static func normalized(_ sql: String) -> String {
        var s = sql.lowercased().replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "`", with: "")
        s = s.replacingOccurrences(of: "\\s*(=|<>|>=|<=)\\s*", with: " $1 ", options: .regularExpression)
        s = s.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
        return s.trimmingCharacters(in: .whitespaces)
    }

    private static let keywords: Set<String> = [
        "where", "set", "on", "join", "left", "right", "inner", "outer", "cross", "order", "group", "limit", "offset",
        "returning", "using", "values", "union", "having", "as", "natural", "full",
    ]

    /// Every `FROM t [AS] a`, `JOIN t a`, `UPDATE t`, `DELETE FROM t`, with its alias.
    static func references(in s: String) -> [(table: String, alias: String?)] {
        let pattern = "\\b(?:from|join|update)\\s+([a-z_][a-z0-9_]*)(?:\\s+(?:as\\s+)?([a-z_][a-z0-9_]*))?"
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        let ns = s as NSString
        return regex.matches(in: s, range: NSRange(location: 0, length: ns.length)).map { m in
            let table = ns.substring(with: m.range(at: 1))
            let alias = m.range(at: 2).location == NSNotFound ? nil : ns.substring(with: m.range(at: 2))
            return (table, alias.flatMap { keywords.contains($0) ? nil : $0 })
        }
    }

    /// `UPDATE t SET … WHERE t.id = $1` or `DELETE FROM t WHERE t.id = $1`: one row by its key and nothing else.
    static func byPrimaryKey(_ s: String, table: String) -> Bool {
        guard s.hasPrefix("update \(table) ") || s.hasPrefix("delete from \(table) ") else { return false }
        return s.range(of: " where (\(table)\\.)?id = (\\$\\d+|\\?\\d*)( returning .*)?$", options: .regularExpression) != nil
    }

    /// A log handler that passes on what the test prints (at `level`) and shows every statement to the guard.
    struct Handler: LogHandler {
        var inner: any LogHandler
        let guardian: TenantGuard
        let level: Logger.Level

        var metadata: Logger.Metadata {
            get { inner.metadata }
            set { inner.metadata = newValue }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { inner[metadataKey: key] }
            set { inner[metadataKey: key] = newValue }
        }

        var logLevel: Logger.Level {
            get { min(level, .debug) }
            set { /* the guard must keep seeing debug lines; what is printed stays at `level` */  }
        }

        func log(event: LogEvent) {
            if event.message.description == "Executing query", let sql = event.metadata?["sql"] {
                guardian.check("\(sql)", request: inner[metadataKey: "request-id"] != nil)
            }
            if event.level >= level { inner.log(event: event) }
        }
    }

    /// `logger`, watched by this guard, still printing at `level`.
    func watching(_ logger: Logger, level: Logger.Level) -> Logger {
        var out = logger
        out.handler = Handler(inner: logger.handler, guardian: self, level: level)
        return out
    }
}

extension Application {
    /// The guard `withApp` installed (nil for an application made otherwise).
    var tenantGuard: TenantGuard? {
        get { storage[TenantGuardKey.self] }
        set { storage[TenantGuardKey.self] = newValue }
    }

    private struct TenantGuardKey: StorageKey { typealias Value = TenantGuard }
}

extension TenantOwned {
    /// Tests look at tables across tenants on purpose ("nothing was stored, in any tenant"): this shadows the
    /// app's deprecated unscoped entry, whose warning is meant for the app's own code. TenantGuard does not
    /// check a test's own statements outside `checking`.
    static func query(on database: any Database) -> QueryBuilder<Self> { QueryBuilder<Self>(database: database) }
}
