/// The system page for platform admins: the outbox queue, failed jobs with retry and discard, and what this
/// deployment runs (`SystemController`).
enum SystemRoutes {
    static func register(_ r: BackOfficeRouter) {
        let system = SystemController()
        r.get(.system, use: system.page)
        r.post(.systemJobRetry, use: system.retry)
        r.post(.systemJobDiscard, use: system.discard)
        r.post(.systemKindRetry, use: system.retryKind)
    }
}
