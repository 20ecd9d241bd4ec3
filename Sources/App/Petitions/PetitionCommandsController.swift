import Domain
import Fluent
import Foundation
import Vapor

/// What officers do to a petition: move its status, issue a document, withdraw one issued by mistake.
struct PetitionCommandsController {
    // MARK: Status

    struct MoveForm: Content {
        var status: String?
        var note: String?
        var version: Int?
    }

    static let conflictMessage =
        "ยังไม่ได้บันทึก: มีเจ้าหน้าที่ท่านอื่นเปลี่ยนสถานะหรือแก้ไขคำร้องนี้ระหว่างที่ท่านเปิดหน้านี้อยู่ ด้านล่างคือข้อมูลล่าสุด กรุณาตรวจสอบสถานะและลำดับเหตุการณ์แล้วดำเนินการอีกครั้งหากยังจำเป็น"

    /// Photos of the result a complaint may be completed with (ก่อนและหลัง: the citizen sees them beside their own):
    /// JPEG, PNG, HEIC or WebP, checked by content and stored without metadata, as citizens' files are.
    static let resultRule = AttachmentRule(
        key: "_result", label: "รูปผลการดำเนินการ", required: false, types: [.jpeg, .png, .heic, .webp], maxMB: AttachmentRule.defaultMaxMB, maxCount: 5)
    static var resultInput: String { PetitionForm.fileInput(resultRule) }

    func move(_ req: Request) async throws -> Response {
        let petition = try await load(req)
        return try await perform(req, petition, try req.content.decode(MoveForm.self), state: OfficerPetitionPageState())
    }

    /// A complaint's status form: the same move, a streamed multipart form (the CSRF token first) that may carry
    /// photos of the result when it moves to ดำเนินการสำเร็จ.
    func moveWithPhotos(_ req: Request) async throws -> Response {
        let petition = try await load(req)
        // Only a complaint's form takes photos (the page offers this route for complaints only).
        guard petition.menu == MenuKey.complaints.rawValue else { throw Abort(.notFound) }
        let rule = Self.resultRule
        var state = OfficerPetitionPageState()
        let upload: StreamedUpload
        do {
            upload = try await StreamedUpload.read(
                req, maxFileBytes: PetitionAttachments.maxFileBytes([rule]), files: [Self.resultInput],
                maxTotalBytes: PetitionAttachments.maxTotalBytes([rule]) + 16 << 10, maxParts: 16 + rule.effectiveMaxCount,
                maxTextBytes: 16 << 10)
        } catch StreamedUpload.Problem.fileTooLarge, StreamedUpload.Problem.bodyTooLarge {
            state.errors.add(Self.resultInput, PetitionAttachments.tooLarge(rule))
            return try await render(req, petition: petition, state: state, status: .payloadTooLarge)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest, reason: "แบบฟอร์มไม่ถูกต้อง กรุณาเปิดหน้าคำร้องใหม่แล้วส่งอีกครั้ง")
        }
        let form = MoveForm(
            status: upload.fields["status"], note: upload.fields["note"], version: upload.fields["version"].flatMap { Int($0) })
        return try await perform(req, petition, form, state: state, upload: upload)
    }

    private func perform(
        _ req: Request, _ petition: PetitionRecord, _ form: MoveForm, state: OfficerPetitionPageState, upload: StreamedUpload? = nil
    ) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        var state = state
        state.note = (form.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        state.chosen = form.status
        guard let version = form.version else { throw Abort(.badRequest) }
        guard version == petition.version else {
            state.conflict = Self.conflictMessage
            return try await render(req, petition: petition, state: state, status: .conflict)
        }
        guard let raw = form.status, !raw.isEmpty else {
            state.errors.add("status", "กรุณาเลือกสถานะใหม่ของคำร้อง")
            return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        guard let target = PetitionStatus(rawValue: raw) else {
            state.errors.add("status", "สถานะที่เลือกไม่ถูกต้อง")
            return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        guard state.note.count <= 2000 else {
            state.errors.add("note", "หมายเหตุยาวได้ไม่เกิน 2,000 ตัวอักษร (ตอนนี้ \(state.note.count.formatted()) ตัวอักษร)")
            return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        // Read before any photo is stored: a failure here leaves nothing behind.
        let recipient = try await CitizenNotices.recipient(petition.citizenID, tenant: t, on: req.db)
        var photos: [PetitionStore.StoredAttachment] = []
        if let upload {
            let checked = try await PetitionAttachments.check(
                [Self.resultRule], files: upload.fileLists, sniffer: try PetitionAttachments.fileSniffer(req.application), errors: &state.errors)
            if !checked.isEmpty, target != .completed {
                state.errors.add(Self.resultInput, "แนบรูปผลการดำเนินการได้เมื่อเลือกสถานะ “\(PetitionStatus.completed.thai)” เท่านั้น")
            }
            guard state.errors.isEmpty else {
                return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
            }
            do {
                photos = try await PetitionAttachments.save(checked, tenant: t, app: req.application)
            } catch let refused as PetitionAttachments.Refused {
                state.errors.add(Self.resultInput, refused.message)
                return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
            } catch is ImageWorkPool.Busy {
                state.errors.add(Self.resultInput, "ระบบกำลังประมวลผลรูปจำนวนมาก กรุณาส่งอีกครั้งในอีกสักครู่")
                return try await render(req, petition: petition, state: state, status: .serviceUnavailable)
            }
        }
        let kept = photos
        let app = req.application
        let linkBase = CitizenMail.linkBase(req, tenant: t)
        let staff = scope.staff
        let note = state.note.isEmpty ? nil : state.note
        let actor = PetitionStore.Actor(kind: .staff, id: staff.id, name: staff.displayName)
        let ip = req.clientAddress
        let from = petition.status
        let outcome: PetitionStore.MoveOutcome
        do {
            // The audit entry joins the move's transaction (`move` runs inside this one).
            outcome = try await req.db.writeTransaction { db in
                let outcome = try await PetitionStore.move(
                    petition, to: target, note: note, expectedVersion: version, actor: actor, tenant: t,
                    linkBase: linkBase, files: kept, on: db)
                if case .moved = outcome {
                    try await AuditLog.record(
                        .petitionStatusChanged, actor: AuditActor(staff), tenant: t.slug,
                        detail: "คำร้อง \(petition.number): \(from.thai) → \(target.thai)" + (note.map { " หมายเหตุ: \($0)" } ?? ""),
                        ip: ip, on: db)
                }
                return outcome
            }
        } catch let error as PetitionStatus.TransitionError {
            await PetitionAttachments.delete(kept, app: app)
            state.errors.add(error == .reasonRequired ? "note" : "status", error.thai)
            return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
        } catch {
            await PetitionAttachments.delete(kept, app: app)
            throw error
        }
        switch outcome {
        case .conflict:
            await PetitionAttachments.delete(kept, app: app)
            state.conflict = Self.conflictMessage
            let fresh = try await PetitionStore.byID(try petition.requireID(), tenant: t, on: req.db) ?? petition
            return try await render(req, petition: fresh, state: state, status: .conflict)
        case .moved(let moved):
            req.application.outboxWakeUp.poke()
            // The notifier's rule on the same inputs: the flash names the channels the event will reach.
            req.flash(
                "เปลี่ยนสถานะคำร้อง \(moved.number) เป็น “\(target.thai)” แล้ว" + CitizenNotices.told(CitizenNotices.channels(.moved(to: target), to: recipient)))
            return req.redirect(to: BackOfficeURL.petition(t.slug, moved.number).path)
        }
    }

    // MARK: Documents

    /// Issues a document: a streamed multipart form (the CSRF token first), the file checked by content.
    func upload(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let petition = try await load(req)
        var state = OfficerPetitionPageState()
        let upload: StreamedUpload
        do {
            upload = try await StreamedUpload.read(req, maxFileBytes: PetitionDocuments.maxBytes, files: ["file"])
        } catch StreamedUpload.Problem.fileTooLarge, StreamedUpload.Problem.bodyTooLarge {
            state.uploadErrors.add("file", PetitionDocuments.Refused.tooLarge.message)
            return try await render(req, petition: petition, state: state, status: .payloadTooLarge)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest)
        }
        state.kind = upload.fields["kind"]
        let token = upload.fields[PetitionDocuments.tokenField].flatMap { RandomToken.looksValid($0) ? $0 : nil } ?? RandomToken.make()
        state.submission = token
        state.title = (upload.fields["title"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        state.validUntil = (upload.fields["valid_until"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let file = upload.files["file"]
        if file == nil || file?.isEmpty == true { state.uploadErrors.add("file", PetitionDocuments.Refused.noFile.message) }
        let kind = state.kind.flatMap(PetitionDocumentKind.init(rawValue:))
        if kind == nil { state.uploadErrors.add("kind", "กรุณาเลือกประเภทเอกสาร") }
        if state.title.count > PetitionDocuments.titleMaxLength {
            state.uploadErrors.add("title", "ชื่อเอกสารยาวได้ไม่เกิน \(PetitionDocuments.titleMaxLength) ตัวอักษร")
        }
        var validUntil: Date?
        switch BuddhistDateInput.parse(state.validUntil, label: "ใช้ได้ถึงวันที่") {
        case .success(let d)?:
            if d.addingTimeInterval(86_400) <= Date() { state.uploadErrors.add("valid_until", "วันที่ใช้ได้ถึงต้องไม่ก่อนวันนี้") }
            validUntil = d
        case .failure(let p)?: state.uploadErrors.add("valid_until", p.message)
        case nil: break
        }
        guard state.uploadErrors.isEmpty, let kind, let file else {
            return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        let issued: PetitionDocumentRecord
        let created: Bool
        do {
            let key = PetitionDocuments.submissionKey(petitionID: try petition.requireID(), staffID: scope.staff.id, token: token)
            (issued, created) = try await PetitionDocuments.issue(
                .init(
                    kind: kind, title: state.title, validUntil: validUntil, originalName: file.filename, bytes: try await file.read(req.application),
                    submissionKey: key),
                petition: petition, tenant: t, staff: scope.staff, ip: req.clientAddress, linkBase: CitizenMail.linkBase(req, tenant: t),
                app: req.application, on: req.db)
        } catch let refused as PetitionDocuments.Refused {
            state.uploadErrors.add("file", refused.message)
            return try await render(req, petition: petition, state: state, status: refused == .tooLarge ? .payloadTooLarge : .unprocessableEntity)
        }
        let code = PetitionDocuments.displayCode(issued.verificationCode)
        req.flash(
            created
                ? "ออก\(issued.kind.thai) “\(issued.title)” แล้ว รหัสตรวจสอบ \(code)"
                : "แบบฟอร์มนี้ถูกส่งซ้ำ ระบบออก\(issued.kind.thai) “\(issued.title)” ไว้แล้วเพียงฉบับเดียว รหัสตรวจสอบ \(code) (ไม่ได้ออกซ้ำ)")
        return req.redirect(to: BackOfficeURL.petition(t.slug, petition.number).path + "#documents")
    }

    struct WithdrawForm: Content {
        var reason: String?
    }

    /// Withdraws a document issued by mistake: a reason is required; the citizen is told (the event is written in
    /// the same transaction); a document already withdrawn (by someone else meanwhile) gets 409 and the latest page.
    func withdraw(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let petition = try await load(req)
        let document = try await loadDocument(req, petition: petition)
        let id = try document.requireID()
        var state = OfficerPetitionPageState()
        state.withdrawing = id
        state.reason = ((try? req.content.decode(WithdrawForm.self))?.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let field = OfficerPetitionPage.reasonField(id)
        guard !document.isWithdrawn else {
            state.conflict = Self.alreadyWithdrawn(document)
            return try await render(req, petition: petition, state: state, status: .conflict)
        }
        if state.reason.isEmpty {
            state.errors.add(field, "กรุณาระบุเหตุผลที่เพิกถอนเอกสาร ผู้ยื่นจะได้รับแจ้งเหตุผลนี้ทางอีเมล")
        } else if state.reason.count > PetitionDocuments.reasonMaxLength {
            state.errors.add(field, "เหตุผลยาวได้ไม่เกิน \(PetitionDocuments.reasonMaxLength.formatted()) ตัวอักษร (ตอนนี้ \(state.reason.count.formatted()) ตัวอักษร)")
        }
        guard state.errors.isEmpty else { return try await render(req, petition: petition, state: state, status: .unprocessableEntity) }
        let recipient = try await CitizenNotices.recipient(petition.citizenID, tenant: t, on: req.db)
        let done = try await PetitionDocuments.withdraw(
            document, petition: petition, tenant: t, staff: scope.staff, reason: state.reason,
            ip: req.clientAddress, linkBase: CitizenMail.linkBase(req, tenant: t), on: req.db)
        guard done else {
            let fresh = try await PetitionDocuments.find(id, petition: petition, on: req.db) ?? document
            state.conflict = Self.alreadyWithdrawn(fresh)
            return try await render(req, petition: petition, state: state, status: .conflict)
        }
        let channels = CitizenNotices.channels(.documentWithdrawn, to: recipient)
        req.flash(
            "เพิกถอน\(document.kind.thai) “\(document.title)” (รหัสตรวจสอบ \(PetitionDocuments.displayCode(document.verificationCode))) แล้ว"
                + CitizenNotices.told(channels) + (channels.isEmpty ? "" : "พร้อมเหตุผล"))
        return req.redirect(to: BackOfficeURL.petition(t.slug, petition.number).path + "#documents")
    }

    static func alreadyWithdrawn(_ d: PetitionDocumentRecord) -> String {
        "ยังไม่ได้บันทึก: \(d.kind.thai) “\(d.title)” (รหัสตรวจสอบ \(PetitionDocuments.displayCode(d.verificationCode))) ถูกเพิกถอนไปแล้ว"
            + (d.withdrawnAt.map { " เมื่อ \(ThaiDate.shortWithTime($0))" } ?? "") + (d.withdrawnByName.map { " โดย \($0)" } ?? "")
            + " เพิกถอนซ้ำไม่ได้ ด้านล่างคือข้อมูลล่าสุด"
    }

    private func load(_ req: Request) async throws -> PetitionRecord {
        try await OfficerPetitionLookup.petition(req)
    }

    private func loadDocument(_ req: Request, petition: PetitionRecord) async throws -> PetitionDocumentRecord {
        try await OfficerPetitionLookup.document(req, petition: petition)
    }

    private func render(_ req: Request, petition: PetitionRecord, state: OfficerPetitionPageState, status: HTTPStatus) async throws -> Response {
        try await OfficerPetitionPage.respond(req, petition: petition, state: state, status: status)
    }
}
