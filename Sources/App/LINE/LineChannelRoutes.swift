/// A tenant's LINE Official Account in the back office: health, linked users, failed pushes, settings.
enum LineChannelRoutes {
    static func register(_ r: BackOfficeRouter) {
        let line = LineChannelController()
        r.get(.tenantLine, use: line.page)
        r.post(.tenantLine, use: line.save)
    }
}
