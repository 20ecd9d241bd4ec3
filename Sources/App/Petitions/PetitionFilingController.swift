import Domain
import Fluent
import Foundation
import Vapor

/// Filing a petition: the service's form in the version in force, checked on the server, saved with its
/// attachments and the citizen's confirmation e-mail in one transaction, once however often it is sent;
/// then the "สำเร็จ" page and the acknowledgement of receipt (ใบรับคำร้อง).
struct PetitionFilingController {
    struct FormPage: Encodable {
        var page: PageChrome
        var menuTitle: String
        var name: String
        var description: String
        var slaDays: Int
        var serviceURL: String
        var csrf: String
        var action: String
        var token: String
        var formVersion: Int
        var sections: [FormSection]
        var errors: [ErrorLink]
        var notice: String?
        var hasFiles: Bool
        /// A location field: the page loads its map script (and Leaflet when tiles are set).
        var hasLocation: Bool
        var mapTiles: Bool
        var hasAddress: Bool
        var maxBytes: Int
    }

    struct BlockedPage: Encodable {
        var page: PageChrome
        var name: String
        var status: String
        var statusKey: String
        var reason: String?
        var identityURL: String
        var accountURL: String
        var serviceURL: String
    }

    struct FiledPage: Encodable {
        var page: PageChrome
        var number: String
        var serviceName: String
        var received: String
        var due: String
        var receiptURL: String
        var petitionURL: String
        var petitionsURL: String
        var email: String?
    }

    struct ReceiptPage: Encodable {
        var page: PageChrome
        var tenantName: String
        var tenantAddress: String
        var tenantPhone: String
        var number: String
        var serviceName: String
        var menuTitle: String
        var received: String
        var receivedISO: String
        var due: String
        var applicant: String
        var attachments: [String]
        var petitionURL: String
    }

    /// The form's submission token: a repeat of the same form gives back the petition the first one filed.
    static let tokenField = "_submission"
    static let versionField = "_form_version"
    /// A text input's value may be this long in bytes: a full textarea of Thai (5,000 characters of 3 bytes) fits.
    static let maxTextBytes = 16 << 10

    // MARK: The form

    func form(_ req: Request) async throws -> Response {
        let (t, menu, service) = try Self.service(req)
        let account = try req.citizen
        if let blocked = try await Self.blocked(req, t, menu, service, account) { return blocked }
        guard let version = try await FormVersions.current(tenant: t.tenant, service: service.slug, on: req.db) else { throw Abort(.notFound) }
        return try await render(
            req, t, menu, service, version: version, input: [:], errors: FormErrors(), notice: nil,
            token: RandomToken.make(), status: .ok)
    }

    /// The streamed submit (files and all). Order of checks: CSRF (first part), sizes while streaming, the
    /// identity rule, the answers and files, then one transaction.
    func submit(_ req: Request) async throws -> Response {
        let (t, menu, service) = try Self.service(req)
        let account = try req.citizen
        if let blocked = try await Self.blocked(req, t, menu, service, account) { return blocked }
        guard let current = try await FormVersions.current(tenant: t.tenant, service: service.slug, on: req.db) else { throw Abort(.notFound) }
        let rules = current.attachments
        if !rules.isEmpty, let spent = try await UploadBudget.spent(req, account) { return spent }
        let upload: StreamedUpload
        do {
            upload = try await StreamedUpload.read(
                req, maxFileBytes: PetitionAttachments.maxFileBytes(rules),
                files: Set(rules.map(PetitionForm.fileInput)),
                maxTotalBytes: PetitionAttachments.maxTotalBytes(rules) + current.fields.count * Self.maxTextBytes,
                maxParts: 64 + current.fields.count * 12 + rules.reduce(0) { $0 + $1.effectiveMaxCount },
                maxTextBytes: Self.maxTextBytes)
        } catch StreamedUpload.Problem.fileTooLarge(let input) {
            var errors = FormErrors()
            let rule = rules.first { PetitionForm.fileInput($0) == input }
            errors.add(input, rule.map { PetitionAttachments.tooLarge($0) } ?? "ไฟล์มีขนาดใหญ่เกินกำหนด")
            return try await render(
                req, t, menu, service, version: current, input: [:], errors: errors, notice: Self.filesAgain,
                token: RandomToken.make(), status: .payloadTooLarge)
        } catch StreamedUpload.Problem.bodyTooLarge {
            var errors = FormErrors()
            if let first = rules.first { errors.add(PetitionForm.fileInput(first), "ไฟล์แนบรวมกันมีขนาดใหญ่เกินกำหนด กรุณาลดขนาดหรือจำนวนไฟล์") }
            return try await render(
                req, t, menu, service, version: current, input: [:], errors: errors, notice: Self.filesAgain,
                token: RandomToken.make(), status: .payloadTooLarge)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest)
        }
        if let spent = try await UploadBudget.spend(req, account, files: upload.fileCount) { return spent }
        let input = upload.values
        let token = upload.fields[Self.tokenField].flatMap { RandomToken.looksValid($0) ? $0 : nil } ?? RandomToken.make()

        // The address block's "show the lists" button (no JavaScript): draw the form again, file nothing.
        if let refresh = upload.fields[AddressFields.refreshName], current.fields.contains(where: { $0.type == .address && $0.key == refresh }) {
            return try await render(
                req, t, menu, service, version: current, input: input, errors: FormErrors(),
                notice: upload.fileLists.isEmpty ? nil : Self.filesAgain, token: token, status: .ok)
        }
        // The form changed while the person was filling it in: show the new one with what they typed.
        if let sent = upload.fields[Self.versionField].flatMap(Int.init), sent != current.number {
            return try await render(
                req, t, menu, service, version: current, input: input, errors: FormErrors(),
                notice: "หน่วยงานเพิ่งปรับปรุงแบบฟอร์มนี้ กรุณาตรวจสอบข้อมูลและแนบไฟล์อีกครั้ง แล้วกดยื่นคำร้อง",
                token: RandomToken.make(), status: .conflict)
        }

        var errors = FormErrors()
        var answers: PetitionAnswers?
        switch PetitionAnswers.validate(
            fields: current.fields, input: input, geography: req.application.geography, area: t.tenant.config.serviceArea)
        {
        case .success(let a): answers = a
        case .failure(let invalid): for p in invalid.problems { errors.add(p.input, p.message) }
        }
        let files = try await PetitionAttachments.check(
            rules, files: upload.fileLists, sniffer: try PetitionAttachments.fileSniffer(req.application),
            errors: &errors)
        guard errors.isEmpty, let answers else {
            return try await render(
                req, t, menu, service, version: current, input: input, errors: errors,
                notice: upload.fileLists.isEmpty ? nil : Self.filesAgain, token: token, status: .unprocessableEntity)
        }

        // The files first: a full image queue (503) or a damaged JPEG (422) leaves nothing written.
        let stored: [PetitionStore.StoredAttachment]
        do {
            stored = try await PetitionAttachments.save(files, tenant: t.tenant, app: req.application)
        } catch let refused as PetitionAttachments.Refused {
            errors.add(refused.input, refused.message)
            return try await render(
                req, t, menu, service, version: current, input: input, errors: errors, notice: Self.filesAgain,
                token: token, status: .unprocessableEntity)
        } catch is ImageWorkPool.Busy {
            return try await UploadBudget.busyPage(req)
        }
        // The answers were checked against `current`, so that is the version they are stored with.
        let filing: PetitionStore.Filing
        do {
            filing = PetitionStore.Filing(
                tenant: t.tenant, citizenID: try account.requireID(), citizenName: account.fullName, menu: menu, service: service,
                formVersion: current.number, answersJSON: try StoredJSON.encode(answers), attachments: stored,
                submissionKey: Self.submissionKey(account: account, token: token))
        } catch {
            await PetitionAttachments.delete(stored, app: req.application)
            throw error
        }
        let result = try await PetitionFiling.file(
            filing, version: current, linkBase: CitizenMail.linkBase(req, tenant: t.tenant), app: req.application)
        return req.redirect(to: t.url(.petitionFiled(result.petition.number)), redirectType: .normal)
    }

    static let filesAgain = "เพื่อความปลอดภัย ระบบไม่เก็บไฟล์ที่แนบไว้เมื่อแบบฟอร์มยังไม่สมบูรณ์ กรุณาเลือกไฟล์แนบอีกครั้ง"

    /// The key that makes a repeated submit one petition: the form's token, tied to the person, so nobody
    /// else's token can reach their petition.
    static func submissionKey(account: CitizenAccount, token: String) -> String {
        "web:" + RandomToken.hash("\((account.id ?? UUID()).uuidString):\(token)")
    }

    // MARK: After filing

    func filed(_ req: Request) async throws -> View {
        let (t, account, petition) = try await OwnPetition.load(req)
        return try await req.view.render(
            "tenant/petition-filed",
            FiledPage(
                page: PageChrome(request: req, title: "ยื่นคำร้องสำเร็จ – \(t.tenant.thaiName)"),
                number: petition.number, serviceName: petition.serviceName, received: ThaiDate.shortWithTime(petition.createdAt),
                due: ThaiDate.long(petition.dueAt), receiptURL: t.url(.petitionReceipt(petition.number)),
                petitionURL: t.url(.petition(petition.number)), petitionsURL: t.url(.petitions),
                email: account.confirmedEmail))
    }

    /// The acknowledgement of receipt: a page laid out to print or save as PDF (the print style hides the site).
    func receipt(_ req: Request) async throws -> View {
        let (t, account, petition) = try await OwnPetition.load(req)
        let files = try await PetitionStore.attachments(petition, on: req.db)
        let menu = MenuKey(rawValue: petition.menu)
        return try await req.view.render(
            "tenant/petition-receipt",
            ReceiptPage(
                page: PageChrome(request: req, title: "ใบรับคำร้อง \(petition.number)"),
                tenantName: t.tenant.thaiName, tenantAddress: t.tenant.config.contact.address, tenantPhone: t.tenant.config.contact.phone,
                number: petition.number, serviceName: petition.serviceName, menuTitle: menu?.thaiTitle ?? "",
                received: ThaiDate.shortWithTime(petition.createdAt), receivedISO: ISO8601DateFormatter().string(from: petition.createdAt),
                due: ThaiDate.long(petition.dueAt), applicant: "\(account.fullName) (\(account.maskedNationalID))",
                attachments: files.map(\.originalName), petitionURL: t.url(.petition(petition.number))))
    }

    // MARK: Pieces

    static func service(_ req: Request) throws -> (ResolvedTenant, MenuKey, Service) {
        let t = try req.tenant
        guard let slug = req.parameters.get("service"), let (menu, service) = t.tenant.service(slug) else { throw Abort(.notFound) }
        return (t, menu, service)
    }

    /// The page for a service that needs a verified identity the citizen does not have yet (403).
    static func blocked(_ req: Request, _ t: ResolvedTenant, _ menu: MenuKey, _ service: Service, _ account: CitizenAccount) async throws -> Response? {
        guard service.requiresVerifiedIdentity(in: menu), account.verificationStatus != .verified else { return nil }
        let status = account.verificationStatus
        return try await req.view.render(
            "tenant/petition-blocked",
            BlockedPage(
                page: PageChrome(request: req, title: "ต้องยืนยันตัวตนก่อน – \(service.name)"), name: service.name, status: status.thai,
                statusKey: status.rawValue, reason: status == .rejected ? account.verificationReason : nil,
                identityURL: t.url(.identity), accountURL: t.url(.account), serviceURL: t.url(.service(service.slug)))
        )
        .encodeResponse(status: .forbidden, for: req)
    }

    private func render(
        _ req: Request, _ t: ResolvedTenant, _ menu: MenuKey, _ service: Service, version: FormVersion,
        input: [String: [String]], errors: FormErrors, notice: String?, token: String, status: HTTPStatus
    ) async throws -> Response {
        let rules = version.attachments
        let context = FormPage(
            page: PageChrome(request: req, title: "ยื่นคำร้อง \(service.name) – \(t.tenant.thaiName)"),
            menuTitle: menu.thaiTitle, name: service.name, description: service.description, slaDays: service.slaDays,
            serviceURL: t.url(.service(service.slug)), csrf: req.csrfToken(), action: t.url(.apply(service.slug)), token: token,
            formVersion: version.number,
            sections: PetitionForm.sections(
                fields: version.fields, attachments: rules, input: input, errors: errors,
                geography: req.application.geography, maps: (req.application.settings.map, t.tenant.config.area)),
            errors: errors.items, notice: notice, hasFiles: !rules.isEmpty,
            hasLocation: version.fields.contains { $0.type == .location }, mapTiles: req.application.settings.map.drawsMaps,
            hasAddress: version.fields.contains { $0.type == .address },
            maxBytes: PetitionAttachments.maxFileBytes(rules))
        return try await req.view.render("tenant/petition-form", context).encodeResponse(status: status, for: req)
    }
}
