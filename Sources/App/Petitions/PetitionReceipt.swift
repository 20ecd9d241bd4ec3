import Domain
import Fluent
import Foundation
import Vapor

/// The acknowledgement of receipt (ใบรับคำร้อง) an officer prints for the person: on A4, or on an 80 mm
/// receipt printer (one narrow column, a large tracking number). Both show the tenant, the number, a QR code
/// of the citizen's tracking link, the service, when it was received (Buddhist era), the due date, the channel,
/// the officer and the tenant's contact. Plain pages: they print without JavaScript.
struct PetitionReceiptPage: Encodable {
    var title: String
    var size: String
    var tenantName: String
    var tenantAddress: String
    var tenantPhone: String
    var tenantEmail: String?
    var tenantHours: String?
    var number: String
    var serviceName: String
    var received: String
    var receivedISO: String
    var due: String
    var channel: String
    var applicant: String
    var officer: String
    /// The QR code (an inline SVG from our own encoder) and the link it holds; nil for a person without an account.
    var qrSVG: String?
    var trackingURL: String?
    var petitionURL: String
    var otherSizeURL: String
    var otherSizeLabel: String
}

struct PetitionReceiptController {
    func a4(_ req: Request) async throws -> Response { try await render(req, slip: false) }
    func slip(_ req: Request) async throws -> Response { try await render(req, slip: true) }

    private func render(_ req: Request, slip: Bool) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let p = try await OfficerPetitionLookup.petition(req)
        let applicant: String
        var tracking: String?
        if let id = p.citizenID {
            let account = try await CitizenStore.byID(id, tenant: t, on: req.db)
            applicant = account.map { "\($0.fullName) (\($0.maskedNationalID))" } ?? "ผู้ยื่นคำร้อง"
            tracking = CitizenMail.link(req, tenant: t, .petition(p.number))
        } else {
            applicant = Open311Requester.name(in: p.requesterJSON) ?? "ผู้ยื่นคำร้อง"
        }
        // Who received it: the officer who filed it on the person's behalf, else the one printing.
        let first = try await PetitionStore.timeline(p, on: req.db).first
        let officer = first.flatMap { $0.actorKind == PetitionStore.Actor.Kind.staff.rawValue ? $0.actorName : nil } ?? scope.staff.displayName
        let qr = try tracking.map {
            try QRCode($0, correction: .medium).svg(moduleSize: slip ? 3 : 4, border: 4, label: "คิวอาร์โค้ดสำหรับติดตามคำร้อง \(p.number)")
        }
        let contact = t.config.contact
        let page = PetitionReceiptPage(
            title: "ใบรับคำร้อง \(p.number)", size: slip ? "80mm" : "a4", tenantName: t.thaiName, tenantAddress: contact.address,
            tenantPhone: contact.phone, tenantEmail: contact.email, tenantHours: contact.hours, number: p.number,
            serviceName: p.serviceName, received: ThaiDate.shortWithTime(p.createdAt),
            receivedISO: ISO8601DateFormatter().string(from: p.createdAt), due: ThaiDate.long(p.sla.due(at: Date())),
            channel: p.channel.thai, applicant: applicant, officer: officer, qrSVG: qr, trackingURL: tracking,
            petitionURL: BackOfficeURL.petition(t.slug, p.number).path,
            otherSizeURL: slip ? BackOfficeURL.petitionReceipt(t.slug, p.number).path : BackOfficeURL.petitionReceiptSlip(t.slug, p.number).path,
            otherSizeLabel: slip ? "ใบรับขนาด A4" : "ใบรับสำหรับเครื่องพิมพ์ใบเสร็จ 80 มม.")
        return try await req.view.render(slip ? "backoffice/petitions/receipt-80mm" : "backoffice/petitions/receipt-a4", page)
            .encodeResponse(for: req)
    }
}
