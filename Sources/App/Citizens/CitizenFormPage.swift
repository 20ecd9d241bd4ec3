import Foundation
import Vapor

/// The one template (`tenant/citizen-form`) behind the citizen's simple forms: registration details,
/// sign-in, forgot password and the new-password page.
struct CitizenFormPage: Encodable {
    struct Link: Encodable {
        var url: String
        var title: String
    }

    struct Hidden: Encodable {
        var name: String
        var value: String
    }

    var page: PageChrome
    var heading: String
    var lead: String?
    var notice: String?
    /// A message for the whole form (bad credentials), shown as an alert above it.
    var problem: String?
    var csrf: String
    var action: String
    var button: String
    var errors: [ErrorLink] = []
    var sections: [FormSection] = []
    var links: [Link] = []
    var hidden: [Hidden] = []
    /// Registration: the page has an address block (its lists are filled by address-picker.js).
    var addressPicker = false
    /// The new-password page: seconds left before the link expires (live countdown).
    var secondsLeft: Int?
    /// "9 นาที 37 วินาที", what the page says before (or without) the script.
    var countdownText: String?
    var step: String?

    static func minutesAndSeconds(_ seconds: Int) -> String { "\(seconds / 60) นาที \(seconds % 60) วินาที" }
}

extension Request {
    /// A form page of the tenant's site with the given status.
    func renderCitizenForm(_ context: CitizenFormPage, status: HTTPStatus = .ok) async throws -> Response {
        try await view.render("tenant/citizen-form", context).encodeResponse(status: status, for: self)
    }
}
