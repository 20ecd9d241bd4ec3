import Fluent
import SQLKit

/// Plain `CREATE INDEX`, which both SQLite and PostgreSQL understand.
enum SQLIndex {
    static func create(_ name: String, on table: String, columns: [String], database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        var builder = sql.create(index: name).on(table)
        for column in columns { builder = builder.column(column) }
        try await builder.run()
    }

    static func drop(_ name: String, database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.drop(index: name).ifExists().run()
    }
}
