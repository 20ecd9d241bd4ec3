import Vapor

/// E-mail jobs go out through the mailer the application has when a worker is made (tests may replace it).
func registerMailJobs(_ app: Application) {
    app.registerOutboxHandler(EmailOutbox.kind) { EmailJobHandler(mailer: $0.mailer, metrics: $0.metrics) }
}
