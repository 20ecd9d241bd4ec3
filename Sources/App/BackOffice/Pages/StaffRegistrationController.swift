import Domain
import Fluent
import Foundation
import Imaging
import Vapor

/// `/backoffice/register`: the staff registration form of seed 002. The request gets a number and waits for a
/// platform admin; the applicant is e-mailed when it arrives and when it is decided.
struct StaffRegistrationController {
    struct Page: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var errors: [ErrorLink]
        var sections: [FormSection]
    }

    struct SentPage: Encodable {
        var page: PageChrome
        var number: String
        var email: String
        var loginURL = BackOfficeURL.login.path
    }

    static let maxDocumentBytes = 10 << 20
    static let documentKinds: [FileKind] = [.pdf, .jpeg, .png, .heic, .webp]
    private static let sentKey = "staff_registered"

    func form(_ req: Request) async throws -> View {
        try await render(req, StaffApplication(), errors: FormErrors())
    }

    /// Streamed (registered with `body: .stream`, outside the CSRF middleware): anyone may post here, so the
    /// supporting document goes to a temporary file as it arrives instead of being held whole in memory, and
    /// the form's first part, its CSRF token, is checked before anything is kept.
    func submit(_ req: Request) async throws -> Response {
        let upload: StreamedUpload
        do {
            upload = try await StreamedUpload.read(req, maxFileBytes: Self.maxDocumentBytes, files: ["document"], maxParts: 40)
        } catch StreamedUpload.Problem.fileTooLarge, StreamedUpload.Problem.bodyTooLarge {
            // The reading stopped at the file: what was typed after it never arrived, so the form starts again.
            var errors = FormErrors()
            errors.add("document", "ไฟล์มีขนาดเกิน 10 MB กรุณาลดขนาดไฟล์ แล้วกรอกแบบฟอร์มอีกครั้ง")
            return try await render(req, StaffApplication(), errors: errors).encodeResponse(status: .payloadTooLarge, for: req)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest)
        }
        let f = upload.fields
        let form = StaffApplicationForm(
            tenant: f["tenant"], unit2: f["unit2"], unit3: f["unit3"], unit4: f["unit4"], position: f["position"], mobile: f["mobile"],
            titleTH: f["titleTH"], firstNameTH: f["firstNameTH"], lastNameTH: f["lastNameTH"], titleEN: f["titleEN"],
            firstNameEN: f["firstNameEN"], lastNameEN: f["lastNameEN"], nationalID: f["nationalID"], nationality: f["nationality"],
            birthDay: f["birthDay"], birthMonth: f["birthMonth"], birthYear: f["birthYear"], email: f["email"], username: f["username"],
            password: f["password"], confirm: f["confirm"], consent: f["consent"], document: nil)
        let application = form.application
        var errors = FormErrors()
        let tenants = Set(req.application.tenants.all.map(\.slug))
        application.validate(tenants: tenants, units: req.application.orgUnits, errors: &errors)
        let password = form.password ?? ""
        let personal = [application.nationalID, application.username, application.firstNameEN, application.lastNameEN]
        if password.isEmpty {
            errors.add("password", "กรุณาตั้งรหัสผ่าน")
        } else if let problem = PasswordPolicy.problems(password, personal: personal).first {
            errors.add("password", problem.thai)
        }
        if (form.confirm ?? "").isEmpty {
            errors.add("confirm", "กรุณายืนยันรหัสผ่าน")
        } else if form.confirm != password {
            errors.add("confirm", "รหัสผ่านที่ยืนยันไม่ตรงกัน")
        }

        // The supporting document: PDF or an image, recognised by its content (the first 64 kB are enough).
        var document: (file: StreamedUpload.File, kind: FileKind, name: String)?
        if let file = upload.files["document"], !file.isEmpty {
            let head = Data(try await file.head(64 << 10, req.application))
            let sniffer = try req.application.fileTypeSniffer
            let mime = try await req.application.threadPool.runIfActive { sniffer.mimeType(of: head) }  // off the event loop
            if let kind = FileKind.from(mimeType: mime), Self.documentKinds.contains(kind) {
                document = (file, kind, String(file.filename.prefix(200)))
            } else {
                errors.add("document", "ไฟล์นี้ไม่ใช่ PDF หรือรูปภาพ (JPEG, PNG, HEIC, WebP) กรุณาเลือกไฟล์อื่น")
            }
        } else {
            errors.add("document", "กรุณาแนบสำเนาบัตรประจำตัวประชาชน หรือหนังสือรับรองการปฏิบัติงาน")
        }
        if form.consent == nil { errors.add("consent", "กรุณายอมรับข้อกำหนดการใช้งาน") }

        if errors.isEmpty {
            if let id = try? ThaiNationalID(application.nationalID),
                try await StaffStore.find(nationalID: id, vault: try req.application.staffNationalIDs, on: req.db) != nil
            {
                errors.add("nationalID", "เลขประจำตัวประชาชนนี้มีบัญชีผู้ใช้งานหรือคำขอลงทะเบียนอยู่แล้ว (หนึ่งคนมีได้หนึ่งบัญชี) หากลืมชื่อผู้ใช้งานหรือรหัสผ่าน ใช้เมนูลืมชื่อผู้ใช้งาน / ลืมรหัสผ่าน")
            }
            if try await StaffStore.find(username: application.username, on: req.db) != nil {
                errors.add("username", "ชื่อผู้ใช้งานนี้มีผู้ใช้แล้ว กรุณาตั้งชื่ออื่น")
            }
        }
        guard errors.isEmpty, let document else {
            return try await render(req, application, errors: errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        guard try await RateLimiter.allow("register-ip:\(req.clientNetwork)", SignInPolicy.registrationsPerAddress, on: req.db) else {
            throw Abort(.tooManyRequests)
        }

        let hash = try await Passwords.hash(password, on: req)
        let store = req.application.fileStore
        // Hashed once, then moved from the temporary file into the store (a rename; streamed up to S3), never read
        // whole into memory.
        let adopted = try await store.adoptHashed(document.file.path, folder: "staff-documents", ext: document.kind.rawValue)
        let file = adopted.name
        let now = Date()
        let account: StaffAccount
        do {
            let sha = adopted.sha256
            let number = try await StaffStore.nextNumber(prefix: "SR", now: now, on: req.db)
            account = try StaffAccount(
                application: application, number: number, passwordHash: hash, now: now, nationalIDs: try req.application.staffNationalIDs)
            account.documentFile = file
            account.documentType = document.kind.rawValue
            account.documentName = document.name
            account.documentSHA256 = sha
            let mail = try await StaffMail.render(
                req, to: application.email,
                StaffMessages.RegistrationReceived(
                    frame: .init(name: "\(application.titleTH)\(application.firstNameTH) \(application.lastNameTH)"), number: number,
                    submittedAt: ThaiDate.shortWithTime(now), username: application.username),
                key: "staff-registered:\(number)")
            try await req.db.writeTransaction { db in
                try await account.create(on: db)
                try await EmailOutbox.enqueue(mail, tenant: nil, on: db)
                try await AuditLog.record(
                    .staffRegistered, actor: AuditActor(id: account.id, name: account.username), tenant: application.tenant,
                    detail: "คำขอ \(number)", ip: req.clientAddress, on: db)
            }
        } catch {
            await store.delete(file)  // no orphaned upload when the record was not written
            if (error as? any DatabaseError)?.isConstraintFailure == true {
                var e = FormErrors()
                e.add("nationalID", "เลขประจำตัวประชาชนหรือชื่อผู้ใช้งานนี้มีอยู่ในระบบแล้ว")
                return try await render(req, application, errors: e).encodeResponse(status: .conflict, for: req)
            }
            throw error
        }
        req.application.outboxWakeUp.poke()
        req.session.data[Self.sentKey] = "\(account.requestNumber)|\(application.email)"
        return req.redirect(to: BackOfficeURL.registerSent.path, redirectType: .normal)
    }

    func sent(_ req: Request) async throws -> Response {
        guard let raw = req.session.data[Self.sentKey], let bar = raw.firstIndex(of: "|") else {
            return req.redirect(to: BackOfficeURL.register.path, redirectType: .normal)
        }
        return try await req.view.render(
            "backoffice/register-sent",
            SentPage(
                page: PageChrome(request: req, title: "ส่งคำขอลงทะเบียนสำเร็จ"), number: String(raw[..<bar]),
                email: String(raw[raw.index(after: bar)...]))
        ).encodeResponse(for: req)
    }

    private func render(_ req: Request, _ a: StaffApplication, errors: FormErrors) async throws -> View {
        let sections = StaffApplicationForm.sections(
            a, tenants: req.application.tenants.all, units: req.application.orgUnits,
            withPassword: true, withDocument: true)
        return try await req.view.render(
            "backoffice/register",
            Page(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "ลงทะเบียนเจ้าหน้าที่"), csrf: req.csrfToken(),
                action: BackOfficeURL.register.path, errors: errors.items, sections: errors.apply(to: sections)))
    }
}
