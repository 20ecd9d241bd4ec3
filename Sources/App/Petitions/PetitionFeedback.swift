import Domain
import Foundation
import Vapor

// The citizen's say on a finished petition: a rating of 1–5 with a comment (once), and "ยังไม่ได้รับการแก้ไข" within
// 14 days of ดำเนินการสำเร็จ, which reopens it. The rules are `PetitionRating` and `PetitionReopening` (Domain), the
// writes `PetitionFeedbackStore`.

/// The feedback section of the citizen's page of a finished petition: the rating form or the rating given, and the
/// form to say it was not settled while the window is open.
struct PetitionFeedbackPanel: Encodable {
    struct Choice: Encodable, Equatable {
        var value: Int
        var label: String
        var checked: Bool
    }

    var csrf: String
    /// The rating form's address; nil once rated.
    var rateAction: String?
    var choices: [Choice]
    var comment: String
    var commentMax = PetitionRating.commentMaxLength
    var starsError: String?
    var commentError: String?
    /// What the citizen gave: "4 จาก 5 (พอใจมาก)", their comment and when.
    var rated: String?
    var ratedComment: String?
    var ratedAt: String?
    /// The reopening form's address while it may be used, and until when.
    var reopenAction: String?
    var reopenUntil: String?
    var reason: String
    var reasonMax = PetitionReopening.reasonMaxLength
    var reasonError: String?
    var version: Int
    var errors: [ErrorLink]

    static let starsField = "rating-stars"
    static let commentField = "rating-comment"
    static let reasonField = "reopen-reason"

    /// The panel for a finished petition of a citizen account (nil while it is open, or for one filed without an account).
    static func make(
        _ p: PetitionRecord, rateAction: String, reopenAction: String, csrf: String, now: Date, state: PetitionFeedbackState
    ) -> PetitionFeedbackPanel? {
        guard p.status.isFinal, p.citizenID != nil else { return nil }
        let canRate = PetitionRating.refusal(status: p.status, rated: p.rating != nil) == nil
        let canReopen = PetitionReopening.refusal(status: p.status, completedAt: p.statusChangedAt, now: now) == nil
        return PetitionFeedbackPanel(
            csrf: csrf, rateAction: canRate ? rateAction : nil,
            choices: PetitionRating.stars.reversed().map { .init(value: $0, label: "\($0) – \(PetitionRating.thai($0))", checked: state.stars == $0) },
            comment: state.comment, starsError: state.errors[starsField], commentError: state.errors[commentField],
            rated: p.rating.map { "\($0) จาก \(PetitionRating.stars.upperBound) (\(PetitionRating.thai($0)))" }, ratedComment: p.ratingComment,
            ratedAt: p.ratedAt.map(ThaiDate.shortWithTime), reopenAction: canReopen ? reopenAction : nil,
            reopenUntil: canReopen ? ThaiDate.shortWithTime(PetitionReopening.deadline(completedAt: p.statusChangedAt)) : nil,
            reason: state.reason, reasonError: state.errors[reasonField], version: p.version, errors: state.errors.items)
    }
}

/// What a re-rendered feedback form keeps.
struct PetitionFeedbackState {
    var stars: Int?
    var comment = ""
    var reason = ""
    var errors = FormErrors()
}

/// The citizen rates their finished petition, or says it was not settled.
struct PetitionFeedbackController {
    struct RateForm: Content {
        var stars: String?
        var comment: String?
    }

    struct ReopenForm: Content {
        var reason: String?
        var version: Int?
    }

    static let repeated = "ระบบได้รับแจ้งของท่านไว้แล้ว คำร้องอยู่ในสถานะ “\(PetitionStatus.inProgress.thai)” (แบบฟอร์มนี้ถูกส่งซ้ำ ไม่ได้บันทึกซ้ำ)"
    static let changedMeanwhile = "คำร้องนี้มีการเปลี่ยนแปลงระหว่างที่ท่านกรอกแบบฟอร์ม กรุณาตรวจสอบสถานะล่าสุดด้านล่าง"

    func rate(_ req: Request) async throws -> Response {
        let (t, account, petition) = try await OwnPetition.load(req)
        let pageURL = t.url(.petition(petition.number))
        guard let form = try? req.content.decode(RateForm.self) else { throw Abort(.badRequest, reason: "แบบฟอร์มไม่ถูกต้อง") }
        if let refusal = PetitionRating.refusal(status: petition.status, rated: petition.rating != nil) {
            req.flash(refusal.thai)
            return req.redirect(to: pageURL + "#feedback", redirectType: .normal)
        }
        var state = PetitionFeedbackState()
        // Ticked again only for what `parse` takes (exactly "1"…"5").
        state.stars = (try? PetitionRating.parse(stars: form.stars, comment: nil))?.stars
        state.comment = String((form.comment ?? "").trimmingCharacters(in: .whitespacesAndNewlines).prefix(PetitionRating.commentMaxLength * 2))
        let rating: PetitionRating
        do {
            rating = try PetitionRating.parse(stars: form.stars, comment: form.comment)
        } catch {
            state.errors.add(error == .starsMissing ? PetitionFeedbackPanel.starsField : PetitionFeedbackPanel.commentField, error.thai)
            return try await CitizenPetitionPage.respond(req, t, petition, feedback: state, status: .unprocessableEntity)
        }
        switch try await PetitionFeedbackStore.rate(petition, rating, citizenName: account.fullName, tenant: t.tenant, on: req.db) {
        case .alreadyRated: req.flash(PetitionRating.Problem.alreadyRated.thai)
        case .notFinished: req.flash(PetitionRating.Problem.notFinished.thai)
        case .rated: req.flash("ขอบคุณที่ให้คะแนน ความเห็นของท่านช่วยให้หน่วยงานปรับปรุงการให้บริการ")
        }
        return req.redirect(to: pageURL + "#feedback", redirectType: .normal)
    }

    func reopen(_ req: Request) async throws -> Response {
        let (t, account, petition) = try await OwnPetition.load(req)
        let pageURL = t.url(.petition(petition.number))
        guard let form = try? req.content.decode(ReopenForm.self), let version = form.version else {
            throw Abort(.badRequest, reason: "แบบฟอร์มไม่ถูกต้อง")
        }
        // The same form sent twice: the first one reopened it (the petition is one version on, back in progress).
        if petition.status == .inProgress, petition.reopenedCount > 0, version == petition.version - 1 {
            req.flash(Self.repeated)
            return req.redirect(to: pageURL + "#timeline", redirectType: .normal)
        }
        let now = Date()
        var state = PetitionFeedbackState()
        state.reason = String((form.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).prefix(PetitionReopening.reasonMaxLength * 2))
        let transition: PetitionStatus.Transition
        do {
            transition = try PetitionReopening.transition(from: petition.status, completedAt: petition.statusChangedAt, now: now, reason: form.reason)
        } catch {
            switch error {
            case .reasonRequired, .reasonTooLong:
                state.errors.add(PetitionFeedbackPanel.reasonField, error.thai)
                return try await CitizenPetitionPage.respond(req, t, petition, feedback: state, status: .unprocessableEntity)
            case .notCompleted, .windowPassed:
                req.flash(error.thai)
                return req.redirect(to: pageURL + "#feedback", redirectType: .normal)
            }
        }
        guard version == petition.version else {
            req.flash(Self.changedMeanwhile)
            return req.redirect(to: pageURL + "#feedback", redirectType: .normal)
        }
        // The service's time again from now; for a service no longer offered, the time the petition was first given.
        let firstSpan = WorkingDays.between(petition.createdAt, petition.dueAt) - petition.pausedDays
        let slaDays = t.tenant.anyService(petition.service)?.service.slaDays ?? min(max(firstSpan, 1), 365)
        let due = WorkingDays.due(filed: now, days: slaDays)
        var mails: [RenderedMail] = []
        for (staff, role) in try await PetitionFeedbackStore.reopenRecipients(petition, tenant: t.tenant, on: req.db) {
            mails.append(
                try await StaffMail.render(
                    req, to: staff.email,
                    SLAMessages.Reopened(
                        frame: .init(name: staff.fullNameTH, link: StaffMail.absolute(req, BackOfficeURL.petition(t.tenant.slug, petition.number).path)),
                        number: petition.number, serviceName: petition.serviceName, tenantName: t.tenant.thaiName, at: ThaiDate.shortWithTime(now),
                        due: ThaiDate.long(due), role: role.thai),
                    key:
                        "petition-reopened:\(try petition.requireID().uuidString.lowercased()):\(petition.reopenedCount + 1):\(try staff.requireID().uuidString.lowercased())"
                ))
        }
        let outcome = try await PetitionFeedbackStore.reopen(
            petition, transition: transition, expectedVersion: version, due: due, citizenName: account.fullName, tenant: t.tenant,
            staffMails: mails, now: now, on: req.db)
        switch outcome {
        case .conflict:
            // The same form sent twice: the first one reopened it.
            let fresh = try await PetitionStore.byID(try petition.requireID(), tenant: t.tenant, on: req.db)
            if let fresh, fresh.reopenedCount > petition.reopenedCount, fresh.status == .inProgress {
                req.flash(Self.repeated)
            } else {
                req.flash(Self.changedMeanwhile)
            }
        case .reopened:
            req.application.outboxWakeUp.poke()
            if mails.isEmpty {
                req.logger.warning(
                    "petition reopened with no officer to tell", metadata: ["petition": .string(petition.number), "tenant": .string(t.tenant.slug)])
            }
            req.flash(
                "แจ้งแล้วว่ายังไม่ได้รับการแก้ไข คำร้องกลับมาอยู่ในสถานะ “\(PetitionStatus.inProgress.thai)”"
                    + (mails.isEmpty ? " เจ้าหน้าที่จะเห็นในรายการคำร้อง" : " และแจ้งเจ้าหน้าที่ทางอีเมลแล้ว")
                    + " คาดว่าจะแล้วเสร็จภายใน \(ThaiDate.long(due))")
        }
        return req.redirect(to: pageURL + "#timeline", redirectType: .normal)
    }
}
