import Domain
import Fluent
import Foundation
import Vapor

/// An officer files a petition for a walk-in or calling person (ยื่นคำร้องแทนประชาชน): step one chooses the
/// channel, the person (a registered citizen by national ID, or a name and a contact) and the service; step two
/// is the service's form, drawn and checked by the same code as the citizen's own filing, with its files
/// streamed under the same limits. The petition goes through `PetitionStore.file` (number, timeline, notice)
/// once per form, and the filing is audited.
struct CounterFilingController {
    static let identityField = "identity_checked"

    // MARK: Step one

    func start(_ req: Request) async throws -> Response {
        try await renderStart(req, input: ["channel": PetitionChannel.counter.rawValue, "who": "citizen"], errors: FormErrors(), status: .ok)
    }

    /// Step one sent: the person and the service checked, then the service's form. The national ID travels in
    /// the body only, is never logged, and is not sent on: step two carries the account's id.
    func choose(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let input = Self.bounded((try? req.content.decode([String: String].self)) ?? [:])
        var errors = FormErrors()
        let channel = Self.channel(input["channel"], errors: &errors)
        let service = Self.service(input["service"], tenant: scope.tenant, errors: &errors)
        var unknownID = false
        var applicant: CounterApplicant?
        switch input["who"] {
        case "citizen":
            do {
                let id = try ThaiNationalID(input["national_id"] ?? "")
                let hash = try req.application.nationalIDs.lookupHash(id)
                if let c = try await CitizenStore.byNationalIDHash(hash, tenant: scope.tenant, on: req.db) {
                    applicant = CounterApplicant(citizen: c, name: c.fullName, phone: "", email: "")
                } else {
                    errors.add(
                        "national_id",
                        "ไม่พบผู้ลงทะเบียนที่ใช้เลขประจำตัวประชาชนนี้ใน\(scope.tenant.thaiName) กรุณาตรวจสอบเลขอีกครั้ง หรือเลือก “ผู้ไม่มีบัญชีในระบบ”")
                    unknownID = true
                }
            } catch let problem as ThaiNationalID.Problem {
                errors.add("national_id", problem.thai)
            }
        case "guest":
            applicant = CounterApplicant.guest(input, errors: &errors)
        default:
            errors.add("who", "กรุณาเลือกว่าผู้ยื่นมีบัญชีในระบบหรือไม่")
        }
        guard errors.isEmpty, let channel, let service, let applicant else {
            // Only a well-formed ID that no account of the tenant has is "not found"; anything else is a form to correct.
            let status: HTTPStatus = unknownID && errors.items.count == 1 ? .notFound : .unprocessableEntity
            return try await renderStart(req, input: input, errors: errors, status: status)
        }
        guard let version = try await FormVersions.current(tenant: scope.tenant, service: service.service.slug, on: req.db) else {
            throw Abort(.notFound)
        }
        return try await renderForm(
            req, channel: channel, service: service, applicant: applicant, version: version, input: [:], errors: FormErrors(),
            notice: nil, token: RandomToken.make(), status: .ok)
    }

    // MARK: Step two

    /// The streamed submit. Order of checks: CSRF (first part), sizes while streaming, the person and service
    /// again, the identity tick, the answers and files, then one transaction.
    func submit(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        // The service is read from the query string of the action (the body is not read yet): its limits bound it.
        var ignored = FormErrors()
        guard let service = Self.service(req.query[String.self, at: "service"], tenant: t, errors: &ignored),
            let current = try await FormVersions.current(tenant: t, service: service.service.slug, on: req.db)
        else { throw Abort(.notFound) }
        let rules = current.attachments
        let upload: StreamedUpload
        do {
            upload = try await StreamedUpload.read(
                req, maxFileBytes: PetitionAttachments.maxFileBytes(rules), files: Set(rules.map(PetitionForm.fileInput)),
                maxTotalBytes: PetitionAttachments.maxTotalBytes(rules) + current.fields.count * PetitionFilingController.maxTextBytes,
                maxParts: 64 + current.fields.count * 12 + rules.reduce(0) { $0 + $1.effectiveMaxCount },
                maxTextBytes: PetitionFilingController.maxTextBytes)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch StreamedUpload.Problem.fileTooLarge, StreamedUpload.Problem.bodyTooLarge {
            throw Abort(.payloadTooLarge, reason: "ไฟล์แนบมีขนาดใหญ่เกินกำหนด กรุณาลดขนาดหรือจำนวนไฟล์แล้วยื่นใหม่")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest)
        }
        let fields = Self.bounded(upload.fields)
        var personErrors = FormErrors()
        guard let channel = Self.channel(fields["channel"], errors: &personErrors) else { throw Abort(.badRequest, reason: "ช่องทางไม่ถูกต้อง") }
        let applicant: CounterApplicant
        switch fields["who"] {
        case "citizen":
            guard let id = fields["citizen"].flatMap(UUID.init(uuidString:)), let c = try await CitizenStore.byID(id, tenant: t, on: req.db) else {
                throw Abort(.notFound, reason: "ไม่พบบัญชีผู้ยื่นในหน่วยงานนี้ กรุณาเริ่มยื่นคำร้องใหม่")
            }
            applicant = CounterApplicant(citizen: c, name: c.fullName, phone: "", email: "")
        case "guest":
            guard let g = CounterApplicant.guest(fields, errors: &personErrors) else {
                throw Abort(.unprocessableEntity, reason: personErrors.items.first?.message ?? "ข้อมูลผู้ยื่นไม่ครบถ้วน")
            }
            applicant = g
        default:
            throw Abort(.badRequest, reason: "ข้อมูลผู้ยื่นไม่ครบถ้วน กรุณาเริ่มยื่นคำร้องใหม่")
        }
        let input = upload.values
        let token = fields[PetitionFilingController.tokenField].flatMap { RandomToken.looksValid($0) ? $0 : nil } ?? RandomToken.make()
        func again(_ errors: FormErrors, notice: String?, token: String, status: HTTPStatus) async throws -> Response {
            try await renderForm(
                req, channel: channel, service: service, applicant: applicant, version: current, input: input, errors: errors,
                notice: notice, token: token, status: status)
        }
        if let refresh = fields[AddressFields.refreshName], current.fields.contains(where: { $0.type == .address && $0.key == refresh }) {
            return try await again(FormErrors(), notice: upload.fileLists.isEmpty ? nil : PetitionFilingController.filesAgain, token: token, status: .ok)
        }
        if let sent = fields[PetitionFilingController.versionField].flatMap(Int.init), sent != current.number {
            return try await again(
                FormErrors(), notice: "หน่วยงานเพิ่งปรับปรุงแบบฟอร์มนี้ กรุณาตรวจสอบข้อมูลและแนบไฟล์อีกครั้ง แล้วกดยื่นคำร้อง",
                token: RandomToken.make(), status: .conflict)
        }
        var errors = FormErrors()
        if Self.needsIdentityCheck(service, applicant), fields[Self.identityField] != "1" {
            errors.add(Self.identityField, "บริการนี้ต้องยืนยันตัวตน กรุณาตรวจสอบบัตรประจำตัวประชาชนของผู้ยื่นแล้วทำเครื่องหมายในช่องนี้")
        }
        var answers: PetitionAnswers?
        switch PetitionAnswers.validate(
            fields: current.fields, input: input, geography: req.application.geography, area: t.config.serviceArea)
        {
        case .success(let a): answers = a
        case .failure(let invalid): for p in invalid.problems { errors.add(p.input, p.message) }
        }
        let files = try await PetitionAttachments.check(
            rules, files: upload.fileLists, sniffer: try PetitionAttachments.fileSniffer(req.application), errors: &errors)
        guard errors.isEmpty, let answers else {
            return try await again(
                errors, notice: upload.fileLists.isEmpty ? nil : PetitionFilingController.filesAgain, token: token, status: .unprocessableEntity)
        }
        let stored: [PetitionStore.StoredAttachment]
        do {
            stored = try await PetitionAttachments.save(files, tenant: t, app: req.application)
        } catch let refused as PetitionAttachments.Refused {
            errors.add(refused.input, refused.message)
            return try await again(errors, notice: PetitionFilingController.filesAgain, token: token, status: .unprocessableEntity)
        } catch is ImageWorkPool.Busy {
            return try await UploadBudget.busyPage(req)
        }
        let officer = "เจ้าหน้าที่ \(scope.staff.displayName) (\(Self.how(channel)))"
        let result: (petition: PetitionRecord, created: Bool)
        do {
            if current.createdAt == nil { _ = try await FormVersions.pin(tenant: t, service: service.service.slug, on: req.db) }
            var filing = PetitionStore.Filing(
                tenant: t, citizenID: try applicant.citizen?.requireID(), citizenName: applicant.name, channel: channel,
                requesterJSON: try applicant.requesterJSON(officer: officer), menu: service.menu, service: service.service,
                formVersion: current.number, answersJSON: try StoredJSON.encode(answers), attachments: stored,
                submissionKey: "counter:" + RandomToken.hash("\(scope.staff.id.uuidString):\(token)"))
            filing.actor = PetitionStore.Actor(kind: .staff, id: scope.staff.id, name: officer)
            result = try await PetitionStore.file(filing, linkBase: CitizenMail.linkBase(req, tenant: t), on: req.db)
        } catch {
            await PetitionAttachments.delete(stored, app: req.application)
            throw error
        }
        let number = result.petition.number
        if result.created {
            req.application.outboxWakeUp.poke()
            try await AuditLog.record(
                .petitionFiledForCitizen, on: req, tenant: t.slug,
                detail: "ยื่นคำร้อง \(number) (\(service.service.name)) แทน\(applicant.isCitizen ? "ผู้มีบัญชี" : "ผู้ไม่มีบัญชี") \(applicant.name) \(Self.how(channel))")
            req.flash("ยื่นคำร้อง \(number) แทน \(applicant.name) แล้ว พิมพ์ใบรับคำร้องให้ผู้ยื่นได้จากลิงก์ “พิมพ์ใบรับคำร้อง”")
        } else {
            await PetitionAttachments.delete(stored, app: req.application)
            req.flash("แบบฟอร์มนี้ถูกส่งซ้ำ ระบบยื่นคำร้อง \(number) ไว้แล้วเพียงครั้งเดียว (ไม่ได้ยื่นซ้ำ)")
        }
        return req.redirect(to: BackOfficeURL.petition(t.slug, number).path, redirectType: .normal)
    }

    // MARK: Pieces

    static func how(_ channel: PetitionChannel) -> String {
        channel == .phone ? "ยื่นแทนทางโทรศัพท์" : "ยื่นแทนที่เคาน์เตอร์"
    }

    /// A service that needs a verified identity: the officer checks the card unless the account is verified.
    static func needsIdentityCheck(_ service: (menu: MenuKey, service: Service), _ applicant: CounterApplicant) -> Bool {
        service.service.requiresVerifiedIdentity(in: service.menu) && applicant.citizen?.verificationStatus != .verified
    }

    /// Text inputs as sent, each cut to a length no field here needs more than (the answers have their own limits).
    static func bounded(_ fields: [String: String]) -> [String: String] {
        fields.mapValues { String($0.prefix(400)) }
    }

    static func channel(_ raw: String?, errors: inout FormErrors) -> PetitionChannel? {
        guard let c = raw.flatMap(PetitionChannel.init(rawValue:)), c.isAssisted else {
            errors.add("channel", "กรุณาเลือกช่องทางที่รับคำร้อง")
            return nil
        }
        return c
    }

    static func service(_ raw: String?, tenant: Tenant, errors: inout FormErrors) -> (menu: MenuKey, service: Service)? {
        guard let raw, !raw.isEmpty, raw.count <= 80, let found = tenant.service(raw) else {
            errors.add("service", "กรุณาเลือกบริการที่ผู้ยื่นต้องการ")
            return nil
        }
        return found
    }

    private func renderStart(_ req: Request, input: [String: String], errors: FormErrors, status: HTTPStatus) async throws -> Response {
        let t = try req.backOffice.tenant
        func value(_ k: String) -> String { input[k] ?? "" }
        let channels = [PetitionChannel.counter, .phone].map { FieldView.Option(value: $0.rawValue, label: $0.thai, selected: value("channel") == $0.rawValue) }
        let who = [("citizen", "ผู้มีบัญชีในระบบ (ค้นด้วยเลขประจำตัวประชาชน)"), ("guest", "ผู้ไม่มีบัญชีในระบบ (กรอกชื่อและช่องทางติดต่อ)")].map {
            FieldView.Option(value: $0.0, label: $0.1, selected: value("who") == $0.0)
        }
        var services = [FieldView.Option(value: "", label: "— เลือกบริการ —", selected: value("service").isEmpty)]
        for menu in MenuKey.allCases {
            for s in t.config.menus[menu] {
                services.append(.init(value: s.slug, label: "\(menu.thaiTitle) – \(s.name)", selected: value("service") == s.slug))
            }
        }
        var nationalID = FieldView(
            name: "national_id", label: "เลขประจำตัวประชาชน 13 หลัก", kind: .text, value: "",
            hint: "สำหรับผู้มีบัญชีในระบบ ระบบจะแสดงชื่อและเลขที่ปิดบังบางส่วนให้ตรวจสอบ", inputmode: "numeric", maxlength: 17)
        nationalID.autocomplete = "off"
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(name: "channel", label: "ช่องทางที่รับคำร้อง", kind: .radio, options: channels),
                    FieldView(name: "who", label: "ผู้ยื่นคำร้อง", kind: .radio, options: who),
                ]),
            FormSection(title: "ผู้มีบัญชีในระบบ", fields: [nationalID]),
            FormSection(
                title: "ผู้ไม่มีบัญชีในระบบ",
                fields: [
                    FieldView(name: "name", label: "ชื่อ–นามสกุล", kind: .text, value: value("name"), maxlength: CounterApplicant.nameMaxLength),
                    FieldView(
                        name: "phone", label: "หมายเลขโทรศัพท์", kind: .tel, value: value("phone"), hint: "กรอกโทรศัพท์หรืออีเมลอย่างน้อยหนึ่งช่อง",
                        inputmode: "tel", maxlength: CounterApplicant.phoneMaxLength),
                    FieldView(name: "email", label: "อีเมล (ไม่บังคับถ้ามีโทรศัพท์)", kind: .email, value: value("email"), maxlength: CounterApplicant.emailMaxLength),
                ]),
            FormSection(title: nil, fields: [FieldView(name: "service", label: "บริการ", kind: .select, value: value("service"), options: services)]),
        ]
        let context = CounterFilingPage(
            page: PageChrome(request: req, title: "ยื่นคำร้องแทนประชาชน – \(t.thaiName)"), tenantName: t.thaiName,
            queueURL: BackOfficeURL.petitionQueue(t.slug).path, action: BackOfficeURL.petitionNew(t.slug).path, csrf: req.csrfToken(),
            sections: errors.apply(to: sections), errors: errors.items, notice: nil)
        return try await req.view.render("backoffice/petitions/counter", context).encodeResponse(status: status, for: req)
    }

    private func renderForm(
        _ req: Request, channel: PetitionChannel, service: (menu: MenuKey, service: Service), applicant: CounterApplicant,
        version: FormVersion, input: [String: [String]], errors: FormErrors, notice: String?, token: String, status: HTTPStatus
    ) async throws -> Response {
        let t = try req.backOffice.tenant
        let rules = version.attachments
        var sections = PetitionForm.sections(
            fields: version.fields, attachments: rules, input: input, errors: errors, geography: req.application.geography,
            maps: (req.application.settings.map, t.config.area))
        if Self.needsIdentityCheck(service, applicant) {
            var tick = FieldView(
                name: Self.identityField, label: "ตรวจสอบบัตรประจำตัวประชาชนแล้ว", kind: .checkbox,
                hint: "บริการนี้ต้องยืนยันตัวตน ตรวจสอบบัตรตัวจริงของผู้ยื่นให้ตรงกับชื่อข้างต้นก่อนยื่น",
                error: errors[Self.identityField])
            tick.checked = input[Self.identityField]?.last == "1"
            sections.append(FormSection(title: "การยืนยันตัวตน", fields: [tick]))
        }
        let action = BackOfficeURL.petitionNewFile(t.slug).path + "?service=" + service.service.slug
        let context = CounterFilingFormPage(
            page: PageChrome(request: req, title: "ยื่นคำร้อง \(service.service.name) แทนประชาชน – \(t.thaiName)"), tenantName: t.thaiName,
            queueURL: BackOfficeURL.petitionQueue(t.slug).path, startURL: BackOfficeURL.petitionNew(t.slug).path, action: action,
            csrf: req.csrfToken(), token: token, formVersion: version.number, channel: channel.rawValue, channelLabel: channel.thai,
            service: service.service.slug, serviceName: service.service.name, slaDays: service.service.slaDays, person: applicant.rows,
            hidden: applicant.hidden, sections: sections, errors: errors.items, notice: notice, hasFiles: !rules.isEmpty,
            hasAddress: version.fields.contains { $0.type == .address }, hasLocation: version.fields.contains { $0.type == .location },
            mapTiles: req.application.settings.map.drawsMaps, maxBytes: PetitionAttachments.maxFileBytes(rules))
        return try await req.view.render("backoffice/petitions/counter-form", context).encodeResponse(status: status, for: req)
    }
}
