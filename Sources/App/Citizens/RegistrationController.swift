import Domain
import Fluent
import Foundation
import Vapor

/// Registration as the seed walks it: ลงทะเบียน → terms (checkbox, ตกลง) → the form (ถัดไป) → identity images.
/// The account is created when the form is complete and the citizen is signed in at once (the seed lets
/// them use the service straight away), so the identity step is the first page of their own account.
struct RegistrationController {
    struct TermsPage: Encodable {
        var page: PageChrome
        /// The tenant's `terms.md` as `TenantTerms.html` renders it for the terms page.
        var termsHTML: String
        var csrf: String
        var action: String
        var error: String?
        var loginURL: String
    }

    struct TermsForm: Content {
        var accept: String?
    }

    private static func termsKey(_ tenant: Tenant) -> String { "register.terms.\(tenant.slug)" }

    func terms(_ req: Request) async throws -> Response {
        let t = try req.tenant
        if try await req.loadCitizen(tenant: t.tenant) != nil { return req.redirect(to: t.url(.account)) }
        return try await renderTerms(req, error: nil, status: .ok)
    }

    func acceptTerms(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let form = try req.content.decode(TermsForm.self)
        guard form.accept == "1" else {
            return try await renderTerms(req, error: "กรุณาทำเครื่องหมายยอมรับข้อตกลงและเงื่อนไขการให้บริการก่อนกด ตกลง", status: .unprocessableEntity)
        }
        req.session.data[Self.termsKey(t.tenant)] = String(Date().timeIntervalSince1970)
        return req.redirect(to: t.url(.registerDetails))
    }

    private func renderTerms(_ req: Request, error: String?, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let context = TermsPage(
            page: PageChrome(request: req, title: "ลงทะเบียน – ข้อตกลงและเงื่อนไขการให้บริการ"),
            termsHTML: try await TenantTerms.html(req),
            csrf: req.csrfToken(), action: t.url(.register), error: error, loginURL: t.url(.login))
        return try await req.view.render("tenant/register-terms", context).encodeResponse(status: status, for: req)
    }

    // MARK: The form

    func details(_ req: Request) async throws -> Response {
        let t = try req.tenant
        guard req.session.data[Self.termsKey(t.tenant)] != nil else { return req.redirect(to: t.url(.register)) }
        return try await render(req, form: CitizenRegistrationForm(), errors: FormErrors(), status: .ok)
    }

    func submitDetails(_ req: Request) async throws -> Response {
        let t = try req.tenant
        guard let accepted = req.session.data[Self.termsKey(t.tenant)].flatMap(Double.init) else { return req.redirect(to: t.url(.register)) }
        let form = try CitizenRegistrationForm.decode(req)
        let geography = req.application.geography
        // Without JavaScript, the address lists are filled by sending the form back: nothing is checked or saved.
        if AddressFields.isRefresh(req.content, prefix: CitizenRegistrationForm.addressPrefix) {
            return try await render(req, form: form, errors: FormErrors(), status: .ok)
        }
        var errors = FormErrors()
        guard let valid = form.validate(geography: geography, errors: &errors) else {
            return try await render(req, form: form, errors: errors, status: .unprocessableEntity)
        }
        guard try await RateLimiter.allow("citizen-register-ip:\(req.clientNetwork)", RateLimiter.registerPerAddress, on: req.db) else {
            throw Abort(.tooManyRequests)
        }
        let vault = try req.application.nationalIDs
        let hash = vault.lookupHash(valid.nationalID)
        if try await CitizenStore.byNationalIDHash(hash, tenant: t.tenant, on: req.db) != nil {
            errors.add("nationalID", Self.alreadyRegistered(t.tenant))
            return try await render(req, form: form, errors: errors, status: .conflict)
        }
        let now = Date()
        let account = CitizenAccount()
        account.tenantID = t.tenant.id
        account.nationalIDSealed = try vault.seal(valid.nationalID)
        account.nationalIDHash = hash
        account.nationalIDTail = String(valid.nationalID.digits.suffix(3))
        account.title = form.title
        account.firstName = form.firstName
        account.lastName = form.lastName
        account.birthDate = valid.birthDate
        account.mobile = valid.mobile
        account.email = valid.email
        // Unconfirmed until the link sent to it is followed (`CitizenEmailConfirmation`): no notice or reset goes to it before.
        account.pendingEmail = valid.email
        account.emailConfirmedAt = nil
        account.house = valid.address.houseNumber
        account.moo = valid.address.moo.nilIfEmpty
        account.village = valid.address.village.nilIfEmpty
        account.soi = valid.address.soi.nilIfEmpty
        account.road = valid.address.road.nilIfEmpty
        account.provinceCode = valid.address.provinceCode
        account.districtCode = valid.address.districtCode
        account.subdistrictCode = valid.address.subdistrictCode
        account.postcode = valid.address.postcode
        account.passwordHash = try await Passwords.hash(form.password, on: req)
        account.sessionEpoch = 0
        account.identityVersion = 0
        account.noticeChoices = .all
        account.verificationStatusRaw = VerificationStatus.awaitingImages.rawValue
        account.termsAcceptedAt = Date(timeIntervalSince1970: accepted)
        account.createdAt = now
        account.updatedAt = now
        account.signedInAt = now  // registering signs in (below)
        do {
            try await req.db.writeTransaction { db in
                try await account.create(on: db)
                try await CitizenEmailConfirmation.send(req, account: account, tenant: t.tenant, to: valid.email, now: now, on: db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // The same person registering twice at once: the unique index lets one through.
            errors.add("nationalID", Self.alreadyRegistered(t.tenant))
            return try await render(req, form: form, errors: errors, status: .conflict)
        }
        req.session.data[Self.termsKey(t.tenant)] = nil
        try await CitizenSession.begin(req, tenant: t.tenant, account: account, now: now)
        req.application.outboxWakeUp.poke()
        req.flash(
            "ลงทะเบียนสำเร็จ ระบบส่งลิงก์ยืนยันอีเมลไปที่ \(EmailMask.masking(valid.email)) (ใช้ได้ภายใน 24 ชั่วโมง) ขั้นตอนสุดท้าย: แนบภาพเพื่อยืนยันตัวตน")
        return req.redirect(to: t.url(.identity))
    }

    static func alreadyRegistered(_ tenant: Tenant) -> String {
        "เลขประจำตัวประชาชนนี้ลงทะเบียนกับ\(tenant.thaiName)แล้ว กรุณาเข้าสู่ระบบ หรือใช้เมนูลืมรหัสผ่าน"
    }

    private func render(_ req: Request, form: CitizenRegistrationForm, errors: FormErrors, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "ลงทะเบียน – \(t.tenant.thaiName)"),
            heading: "ลงทะเบียน",
            lead: "กรอกข้อมูลให้ครบทุกช่อง เลขประจำตัวประชาชนจะใช้เป็นชื่อผู้ใช้งาน (Username) ขั้นตอนถัดไปคือแนบภาพเพื่อยืนยันตัวตน",
            csrf: req.csrfToken(), action: t.url(.registerDetails), button: "ถัดไป",
            errors: errors.items, sections: form.sections(geography: req.application.geography, errors: errors),
            links: [.init(url: t.url(.login), title: "มีบัญชีแล้ว เข้าสู่ระบบ")],
            addressPicker: true, step: "ขั้นตอนที่ 2 จาก 3")
        return try await req.renderCitizenForm(context, status: status)
    }
}
