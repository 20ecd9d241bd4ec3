import Domain
import Fluent
import Foundation

/// One version of a service's form. Version 1 is the folder's form; each saved change adds the next.
public struct FormVersion: Sendable, Equatable {
    public var number: Int
    public var form: ServiceForm
    /// When it was written down; nil for the folder's form before anyone changed it.
    public var createdAt: Date?
    /// Who saved it (username); nil for the folder's form.
    public var createdBy: String?

    public var fields: [FormField] { form.fields }
    public var attachments: [AttachmentRule] { form.attachments }
}

/// Who saved a form version.
public struct FormEditor: Sendable {
    public var id: UUID?
    public var username: String

    public init(id: UUID?, username: String) {
        self.id = id
        self.username = username
    }
}

/// Versions of service forms. Petitions store the version number they were filed with and read it back
/// with `find`; the history is never changed.
public enum FormVersions {
    /// The version new petitions are filed with: the latest saved, or the folder's form as version 1.
    /// `tenant` is the served tenant (`app.tenants`), whose forms come from the folder until first changed.
    public static func current(tenant: Tenant, service: String, on db: any Database) async throws -> FormVersion? {
        if let head = try await head(tenant: tenant, service: service, on: db) {
            return FormVersion(
                number: head.version, form: try StoredJSON.decode(ServiceForm.self, from: head.form),
                createdAt: head.updatedAt, createdBy: nil)
        }
        return folderVersion(tenant: tenant, service: service)
    }

    /// The version in force of every service the tenant offers, in one query (service slug → version).
    public static func currentAll(tenant: Tenant, on db: any Database) async throws -> [String: FormVersion] {
        let heads = try await ServiceFormRecord.query(on: db, tenant: tenant).all()
        var out: [String: FormVersion] = [:]
        for head in heads {
            out[head.service] = FormVersion(
                number: head.version, form: try StoredJSON.decode(ServiceForm.self, from: head.form),
                createdAt: head.updatedAt, createdBy: nil)
        }
        for (_, service) in tenant.config.menus.all where out[service.slug] == nil {
            out[service.slug] = folderVersion(tenant: tenant, service: service.slug)
        }
        return out
    }

    /// One version, unchanged since it was saved. Version 1 of a form never changed is the folder's.
    public static func find(tenant: Tenant, service: String, version: Int, on db: any Database) async throws -> FormVersion? {
        if let row = try await FormVersionRecord.query(on: db, tenant: tenant)
            .filter(\.$service == service).filter(\.$version == version).first()
        {
            return try Self.version(row)
        }
        guard version == 1, try await head(tenant: tenant, service: service, on: db) == nil else { return nil }
        return folderVersion(tenant: tenant, service: service)
    }

    /// Every version, newest first.
    public static func history(tenant: Tenant, service: String, on db: any Database) async throws -> [FormVersion] {
        let rows = try await FormVersionRecord.query(on: db, tenant: tenant)
            .filter(\.$service == service).sort(\.$version, .descending).all()
        if rows.isEmpty { return folderVersion(tenant: tenant, service: service).map { [$0] } ?? [] }
        return try rows.map(version)
    }

    /// For filing a petition: the current version, writing the folder's form down as version 1 first if it
    /// never was, so the number keeps meaning this form even if the folder's file changes later.
    /// Call it before (not inside) the petition's transaction; it is safe to call at the same time from many places.
    public static func pin(tenant: Tenant, service: String, on db: any Database) async throws -> FormVersion? {
        if let head = try await current(tenant: tenant, service: service, on: db), head.createdAt != nil { return head }
        guard let folder = folderVersion(tenant: tenant, service: service) else { return nil }
        do {
            try await db.writeTransaction { db in
                let revision = try await SettingsRevision.next(on: db)
                guard try await head(tenant: tenant, service: service, on: db) == nil else { return }
                let now = Date()
                try await write(folder.form, version: 1, tenant: tenant, service: service, by: nil, now: now, on: db)
                _ = try await SettingsRevision.stamp(tenant: tenant, revision: revision, now: now, on: db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Written by someone else at the same moment: theirs is as good.
        }
        return try await current(tenant: tenant, service: service, on: db)
    }

    /// Saves `form` as the next version. With `basedOn`, refuses (`SettingsError.formChanged`) when the current
    /// version is no longer that one. Writes the folder's form as version 1 first when this is the first change.
    /// Runs inside a settings transaction (`SettingsWrite`), which puts concurrent saves in line; the unique
    /// (tenant, service, version) index backs that up.
    static func save(
        _ form: ServiceForm, tenant: Tenant, service: String, basedOn: Int?, by editor: FormEditor?, now: Date,
        on db: any Database
    ) async throws -> (previous: FormVersion, saved: FormVersion) {
        var previous: FormVersion
        if let head = try await head(tenant: tenant, service: service, on: db) {
            previous = FormVersion(
                number: head.version, form: try StoredJSON.decode(ServiceForm.self, from: head.form),
                createdAt: head.updatedAt, createdBy: nil)
        } else {
            guard let folder = folderVersion(tenant: tenant, service: service) else { throw SettingsError.noSuchService }
            try await write(folder.form, version: 1, tenant: tenant, service: service, by: nil, now: now, on: db)
            previous = folder
            previous.createdAt = now
        }
        if let basedOn, basedOn != previous.number { throw SettingsError.formChanged(current: previous.number) }
        let number = previous.number + 1
        try await write(form, version: number, tenant: tenant, service: service, by: editor, now: now, on: db)
        return (previous, FormVersion(number: number, form: form, createdAt: now, createdBy: editor?.username))
    }

    /// The first version of a service added in the back office.
    static func start(_ form: ServiceForm, tenant: Tenant, service: String, by editor: FormEditor?, now: Date, on db: any Database) async throws {
        try await write(form, version: 1, tenant: tenant, service: service, by: editor, now: now, on: db)
    }

    // MARK: rows

    private static func write(
        _ form: ServiceForm, version: Int, tenant: Tenant, service: String, by editor: FormEditor?,
        now: Date, on db: any Database
    ) async throws {
        let json = try StoredJSON.encode(form)
        let row = FormVersionRecord()
        row.tenantID = tenant.id
        row.service = service
        row.version = version
        row.form = json
        row.createdAt = now
        row.createdByID = editor?.id
        row.createdBy = editor?.username
        try await row.create(on: db)
        let head =
            try await head(tenant: tenant, service: service, on: db)
            ?? {
                let h = ServiceFormRecord()
                h.tenantID = tenant.id
                h.service = service
                return h
            }()
        head.version = version
        head.form = json
        head.updatedAt = now
        try await head.save(on: db)
    }

    /// The number of the version in force of each service whose form was ever saved (service slug → number).
    public static func numbers(tenant: Tenant, on db: any Database) async throws -> [String: Int] {
        let heads = try await ServiceFormRecord.query(on: db, tenant: tenant).all()
        return Dictionary(heads.map { ($0.service, $0.version) }, uniquingKeysWith: max)
    }

    private static func head(tenant: Tenant, service: String, on db: any Database) async throws -> ServiceFormRecord? {
        try await ServiceFormRecord.query(on: db, tenant: tenant).filter(\.$service == service).first()
    }

    private static func folderVersion(tenant: Tenant, service: String) -> FormVersion? {
        tenant.anyService(service).map { FormVersion(number: 1, form: ServiceForm($0.service), createdAt: nil, createdBy: nil) }
    }

    private static func version(_ row: FormVersionRecord) throws -> FormVersion {
        FormVersion(
            number: row.version, form: try StoredJSON.decode(ServiceForm.self, from: row.form),
            createdAt: row.createdAt, createdBy: row.createdBy)
    }
}
