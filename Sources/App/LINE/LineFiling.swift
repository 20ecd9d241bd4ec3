import Domain
import Fluent
import Foundation
import Vapor

/// Filing a complaint inside the LINE chat, one webhook event at a time (`LineEventHandler` runs each once, a user's
/// events in order): "แจ้งเรื่อง" → the type (quick replies of the tenant's complaint services the chat can fill,
/// `LineFilingPlan`) → photos (fetched from LINE's content endpoint, checked and stored like the website's uploads)
/// → the place (LINE's location message) → the form's other required fields, one question each → "ยืนยัน" → the
/// petition (`PetitionFiling`, the website's last step) and its tracking number in the chat. The conversation lives
/// in `line_conversations`; one left for 30 minutes is over and the next message starts again.
///
/// Each event is applied to the conversation as read and written over that revision only: if another event of the
/// same user (another worker, a retried job) wrote first, the event is applied again to what is there now. An event
/// already applied (a job retried after its reply failed) changes nothing and asks the current question again.
struct LineFiling {
    /// What to send back, and whether it must reach the user even when the reply token is spent (a push then).
    struct Answer {
        var messages: [LineMessage]
        var mustArrive = false

        init(_ messages: [LineMessage], mustArrive: Bool = false) {
            self.messages = messages
            self.mustArrive = mustArrive
        }
    }

    typealias Conversation = LineConversationStore.Conversation

    let app: Application
    let channel: LineChannel
    let userID: String
    let linkBase: String
    let now: Date
    /// The webhook event being handled (`webhookEventId`), if LINE gave one.
    let eventID: String?
    /// LINE's time of that event (ms since 1970).
    let eventTime: Int64?
    /// LINE's account-link button (a fresh link token), for a user who has not linked an account.
    let linkOffer: () async throws -> LineMessage

    var tenant: Tenant { channel.tenant }
    var db: any Database { app.db }

    // MARK: Events

    /// A message event's answer, or nil when it has nothing to do with filing (the bot's other commands answer it).
    func message(_ m: LineEvent.Message) async throws -> Answer? {
        try await applied { try await handle(m) }
    }

    /// A postback from the filing's quick replies (`action=file…`).
    func postback(action: String, _ items: [URLQueryItem]) async throws -> Answer {
        try await applied { try await handle(action: action, items) }
    }

    /// Runs `body` again on the conversation as it is now while another event's write keeps coming first.
    private func applied<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch is LineConversationStore.Conflict where attempt < 8 {
                attempt += 1
            }
        }
    }

    private func handle(_ m: LineEvent.Message) async throws -> Answer? {
        let (c, expired) = try await current()
        if let c, let old = try await notThisChat(c) { return old }
        if expired {
            if m.type == "text", LineFilingPlan.isCancel(m.text ?? "") { return Answer([LineNotices.expired]) }
            return try await start(note: [LineNotices.expired])
        }
        switch m.type {
        case "text":
            let text = m.text ?? ""
            if LineFilingPlan.isStart(text) { return try await start() }
            guard let c, !c.isFiled else { return nil }
            if LineFilingPlan.isCancel(text) { return try await cancel(c) }
            // "สถานะ" or a tracking number while no question waits: the bot's commands answer it.
            if Self.questionKey(c.step) == nil, LineCommand.parse(text) != .help { return nil }
            return try await typed(text, c)
        case "image":
            guard let c, !c.isFiled else { return Answer([LineNotices.nothingOpen]) }
            return try await image(m, c)
        case "location":
            guard let c, !c.isFiled else { return Answer([LineNotices.nothingOpen]) }
            return try await location(m, c)
        default:
            guard let c, !c.isFiled else { return nil }
            return try await reprompt(c)
        }
    }

    private func handle(action: String, _ items: [URLQueryItem]) async throws -> Answer {
        let (c, expired) = try await current()
        if let c, let old = try await notThisChat(c) { return old }
        if action == "file" { return try await start() }
        if expired { return action == "file-cancel" ? Answer([LineNotices.expired]) : try await start(note: [LineNotices.expired]) }
        guard let c else { return Answer([LineNotices.nothingOpen]) }
        if c.isFiled {
            // A repeated tap (or LINE's redelivery after a lost answer): the number again, nothing filed twice.
            if action == "file-confirm", let number = c.petitionNumber { return Answer([LineNotices.refiledNumber(number)], mustArrive: true) }
            return Answer([LineNotices.nothingOpen])
        }
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        // A button of an earlier question (tapped late, or its event delivered late) does not answer this one, nor
        // does an earlier chat's "ยืนยัน" confirm this one.
        if let at = value("at"), at != c.step { return try await reprompt(c) }
        if let chat = value("c"), chat != LineNotices.chatTag(c.id) { return try await reprompt(c) }
        switch action {
        case "file-cancel": return try await cancel(c)
        case "file-service": return try await chose(value("s") ?? "", c)
        case "file-next": return try await next(c)
        case "file-answer":
            guard let (_, _, _, plan) = try await context(c), let key = Self.questionKey(c.step), let field = plan.question(key),
                let i = value("i").flatMap(Int.init), let options = field.options, options.indices.contains(i)
            else { return try await reprompt(c) }
            return try await typed(options[i], c)
        case "file-confirm": return try await confirm(c)
        default: return try await reprompt(c)
        }
    }

    // MARK: Steps

    /// "แจ้งเรื่อง": a linked, verified citizen gets the list of types; anyone else is told what to do first.
    func start(note: [LineMessage] = []) async throws -> Answer {
        let citizen: CitizenAccount
        switch try await eligibility() {
        case .refused(let messages): return Answer(note + messages)
        case .citizen(let account): citizen = account
        }
        if let old = try await LineConversationStore.get(tenant: tenant.id, userID: userID, on: db) {
            try await LineConversationStore.delete(tenant: tenant.id, userID: userID, old, on: db)
            await deletePhotos(old)
        }
        let services = try await services()
        guard !services.isEmpty else { return Answer(note + [LineNotices.noServices(tenant: tenant)]) }
        try await write(.new(citizenID: try citizen.requireID(), startedBy: eventTime, now: now))
        return Answer(note + [LineNotices.chooseService(services)])
    }

    private func chose(_ slug: String, _ c: Conversation) async throws -> Answer {
        guard c.step == "service" else { return try await reprompt(c) }
        guard try await services().contains(where: { $0.slug == slug }) else { return try await reprompt(c) }
        var c = c
        c.service = slug
        guard let (_, _, _, plan) = try await context(c) else { return try await reprompt(c) }
        return try await move(c, to: plan.steps[0])
    }

    private func next(_ c: Conversation) async throws -> Answer {
        guard let (_, service, _, plan) = try await context(c) else { return try await cancel(c) }
        switch Self.step(c.step) {
        case .photos:
            if plan.photoRule?.isRequired == true, c.photos.isEmpty {
                return Answer([LineNotices.askPhotos(service: service.name, max: plan.maxPhotos, have: 0, required: true)])
            }
            return try await move(c, to: plan.step(after: .photos))
        case .question(let key):
            guard let field = plan.question(key), !field.isRequired else { return try await reprompt(c) }
            var c = c
            c.answers.removeValue(forKey: key)
            return try await move(c, to: plan.step(after: .question(key)))
        default:
            return try await reprompt(c)
        }
    }

    /// A typed answer to the question asked, checked by the form's own rule for that field.
    private func typed(_ text: String, _ c: Conversation) async throws -> Answer {
        guard let (_, _, _, plan) = try await context(c), let key = Self.questionKey(c.step), let field = plan.question(key) else {
            return try await reprompt(c)
        }
        switch PetitionAnswers.validate(fields: [field], input: [key: [text]], geography: app.geography, area: tenant.config.serviceArea) {
        case .failure(let invalid):
            return Answer([LineNotices.invalidAnswer(invalid.problems.first?.message ?? "คำตอบไม่ถูกต้อง"), LineNotices.ask(field)])
        case .success(let answers):
            var c = c
            if answers[key] == nil { c.answers.removeValue(forKey: key) } else { c.answers[key] = text }
            return try await move(c, to: plan.step(after: .question(key)))
        }
    }

    private func location(_ m: LineEvent.Message, _ c: Conversation) async throws -> Answer {
        guard let (_, service, _, plan) = try await context(c), let field = plan.locationField,
            let lat = m.latitude, let lng = m.longitude, lat.isFinite, lng.isFinite
        else { return try await reprompt(c) }
        var c = c
        let place = LinePlace(title: m.title ?? "", address: m.address ?? "", latitude: lat, longitude: lng)
        // Outside the tenant's area: said now, with the website's words, and the place asked for again.
        if case .failure(let invalid) = PetitionAnswers.validate(
            fields: [field], input: plan.input(answers: [:], place: place).filter { $0.key.hasPrefix(field.key) }, geography: app.geography,
            area: tenant.config.serviceArea)
        {
            return Answer([
                LineNotices.invalidAnswer(invalid.problems.first?.message ?? "ตำแหน่งไม่ถูกต้อง"),
                LineNotices.askLocation(label: field.label),
            ])
        }
        c.place = place
        switch Self.step(c.step) {
        case .photos:
            if plan.photoRule?.isRequired == true, c.photos.isEmpty {
                // The place is kept; the photo is still needed first.
                try await write(c)
                return Answer([LineNotices.askPhotos(service: service.name, max: plan.maxPhotos, have: 0, required: true)])
            }
            return try await move(c, to: plan.step(after: .location))
        case .location:
            return try await move(c, to: plan.step(after: .location))
        case nil:
            return try await reprompt(c)
        default:
            // A corrected place while answering the rest: kept, and the same question again.
            return try await reprompt(try await write(c))
        }
    }

    /// An image: fetched from LINE (at most the form's size for a photo), checked like a website upload and stored
    /// (a JPEG without its EXIF), then noted in the conversation. An image handled again is not stored twice.
    private func image(_ m: LineEvent.Message, _ c: Conversation) async throws -> Answer {
        guard let (_, service, _, plan) = try await context(c), let rule = plan.photoRule, c.step != "service" else {
            return try await reprompt(c)
        }
        guard let messageID = m.id, !messageID.isEmpty else { return try await reprompt(c) }
        let atPhotos = c.step == "photos"
        let lastOfSet = m.imageSet.map { ($0.index ?? 1) >= ($0.total ?? 1) } ?? true
        if c.photos.contains(where: { $0.messageID == messageID }) {
            guard lastOfSet else { return Answer([]) }
            return try await reprompt(c)
        }
        guard c.photos.count < plan.maxPhotos else {
            guard lastOfSet else { return Answer([]) }
            let again = try await reprompt(c)
            return Answer([LineNotices.photosFull(max: plan.maxPhotos)] + again.messages)
        }
        if let provider = m.contentProvider?.type, provider != "line" {
            return Answer([LineNotices.photoRefused("กรุณาส่งรูปจากกล้องหรืออัลบั้มในเครื่อง")])
        }
        // Still the citizen who started it, linked and verified; and a photo counts as an upload of the account's.
        let citizen: CitizenAccount
        switch try await eligibility() {
        case .refused(let messages): return Answer(messages)
        case .citizen(let account): citizen = account
        }
        guard citizen.id == c.citizenID else { return try await cancel(c, note: LineNotices.ownerChanged) }
        // Counted once the photo is kept (an event applied again after a lost race is not counted twice).
        if try await UploadBudget.exhausted(app, citizen, on: db) {
            return Answer([LineNotices.photoRefused(UploadBudget.throttledMessage(app.settings))])
        }
        let n = c.photos.count + 1
        let spool = UploadSpool(directory: app.uploadSpoolDirectory)
        defer { spool.discard() }
        let content: LineContent
        do {
            content = try await fetch(messageID, maxBytes: rule.effectiveMaxMB << 20, into: spool)
        } catch let error as LineAPIError where !error.isRetryable {
            app.logger.info("LINE content refused", metadata: ["status": "\(error.status)"])
            return Answer([LineNotices.photoRefused("ระบบดึงรูปจาก LINE ไม่ได้ กรุณาส่งรูปอีกครั้ง")])
        }
        guard case .file(var file) = content else {
            return Answer([LineNotices.photoRefused("รูปมีขนาดเกิน \(rule.effectiveMaxMB) MB กรุณาส่งรูปที่เล็กลง")])
        }
        file.filename = "รูปที่ \(n)"
        var errors = FormErrors()
        let input = PetitionForm.fileInput(rule)
        let checked = try await PetitionAttachments.check(
            [rule], files: [input: [file]], sniffer: try PetitionAttachments.fileSniffer(app), errors: &errors)
        guard errors.isEmpty, let one = checked.first else {
            let reason = (errors[input] ?? "ไม่ใช่ไฟล์รูปที่รับ").replacingOccurrences(of: "ไฟล์ รูปที่ \(n) ", with: "")
            return Answer([LineNotices.photoRefused(reason)])
        }
        let stored: [PetitionStore.StoredAttachment]
        do {
            stored = try await saveWaiting(one)
        } catch let refused as PetitionAttachments.Refused {
            return Answer([LineNotices.photoRefused(refused.message)])
        } catch is ImageWorkPool.Busy {
            return Answer([LineNotices.photoRefused(LineNotices.photoBusy)])
        }
        var next = c
        for s in stored {
            next.photos.append(
                .init(
                    messageID: messageID, fieldKey: s.fieldKey, fileName: s.fileName,
                    originalName: "line-photo-\(n)." + (s.mimeType == "image/png" ? "png" : "jpg"),
                    mimeType: s.mimeType, bytes: s.bytes, sha256: s.sha256))
        }
        let full = atPhotos && next.photos.count >= plan.maxPhotos
        if full { next.step = Self.name(plan.step(after: .photos)) }
        // Only the write decides the file's fate: once it is in the chat, the chat owns it.
        do {
            next = try await write(next)
        } catch {
            await PetitionAttachments.delete(stored, app: app)
            throw error
        }
        try? await UploadBudget.count(app, citizen, files: stored.count, on: db)
        if full {
            let answer = try await reprompt(next)
            return Answer([LineNotices.photoTaken(have: next.photos.count, max: plan.maxPhotos)] + answer.messages)
        }
        guard lastOfSet else { return Answer([]) }
        if atPhotos {
            return Answer([
                LineNotices.askPhotos(service: service.name, max: plan.maxPhotos, have: next.photos.count, required: rule.isRequired)
            ])
        }
        let again = try await reprompt(next)
        return Answer([LineNotices.photoTaken(have: next.photos.count, max: plan.maxPhotos)] + again.messages)
    }

    /// The photo from LINE's content endpoint; a timeout or a 5xx is tried twice more at once, so the user's next
    /// events (handled after this one) do not overtake a photo that a later retry of the job would bring.
    private func fetch(_ messageID: String, maxBytes: Int, into spool: UploadSpool) async throws -> LineContent {
        var attempt = 1
        while true {
            do {
                let (api, channel) = (app.lineAPI, channel)
                let get: @Sendable () async throws -> LineContent = {
                    try await api.content(channel, messageID: messageID, maxBytes: maxBytes, into: spool)
                }
                guard let gate = app.lineContentGate else { return try await get() }
                return try await gate.run(get)
            } catch let error as LineAPIError where error.isRetryable && attempt < 3 {
                try await Task.sleep(for: .milliseconds(500 * attempt))
                attempt += 1
            }
        }
    }

    /// Stores the checked photo; while the image queue is full the job waits its turn (up to 20 s) instead of
    /// refusing: a web upload answers 503 and its person sends again, a chat's photo would be lost to the order.
    private func saveWaiting(_ one: PetitionAttachments.Checked) async throws -> [PetitionStore.StoredAttachment] {
        let clock = ContinuousClock()
        let until = clock.now + .seconds(20)
        while true {
            do {
                return try await PetitionAttachments.save([one], tenant: tenant, app: app)
            } catch is ImageWorkPool.Busy where clock.now < until {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// "ยืนยัน": the whole form checked as the website checks it, then the petition, once.
    private func confirm(_ c: Conversation) async throws -> Answer {
        guard c.step == "confirm" else { return try await reprompt(c) }
        let citizen: CitizenAccount
        switch try await eligibility() {
        case .refused(let messages): return Answer(messages)
        case .citizen(let account): citizen = account
        }
        guard citizen.id == c.citizenID else { return try await cancel(c, note: LineNotices.ownerChanged) }
        guard let (menu, service, version, plan) = try await context(c) else { return try await cancel(c) }
        let answers: PetitionAnswers
        switch PetitionAnswers.validate(
            fields: version.fields, input: plan.input(answers: c.answers, place: c.place), geography: app.geography,
            area: tenant.config.serviceArea)
        {
        case .success(let a): answers = a
        case .failure(let invalid):
            // Back to the step of the first problem (a place outside the area, a form changed meanwhile).
            let problem = invalid.problems.first
            let key = version.fields.first { f in problem.map { $0.input == f.key || $0.input.hasPrefix(f.key + "_") } ?? false }?.key
            let step: LineFilingPlan.Step? =
                key == nil ? nil : key == plan.locationField?.key ? .location : plan.question(key!) != nil ? .question(key!) : nil
            guard let step else { return try await cancel(c, note: problem?.message) }
            let moved = try await move(c, to: step)
            return Answer([LineNotices.invalidAnswer(problem?.message ?? "ข้อมูลไม่ครบ")] + moved.messages)
        }
        // Under the form's photo rule as it is now (its key may have changed since the photo came).
        let photos = c.photos.prefix(plan.maxPhotos).map { p in
            var p = p
            p.fieldKey = plan.photoRule?.key ?? p.fieldKey
            return p
        }
        let filing = PetitionStore.Filing(
            tenant: tenant, citizenID: try citizen.requireID(), citizenName: citizen.fullName, channel: .line, menu: menu, service: service,
            formVersion: version.number, answersJSON: try StoredJSON.encode(answers), attachments: photos.map(\.stored),
            submissionKey: "line:" + RandomToken.hash("\(tenant.id):\(userID):\(c.id.uuidString)"))
        // The photos belong to the conversation until the petition has them: never deleted here (a retry files with
        // them). The chat is marked filed in the petition's own transaction, so neither is written without the other.
        var done = c
        done.step = "filed"
        done.events.append(contentsOf: eventID.map { [$0] } ?? [])
        let (tenantID, userID, now) = (tenant.id, userID, now)
        let (petition, created) = try await PetitionFiling.file(
            filing, version: version, linkBase: linkBase, app: app, ownsFiles: false,
            alsoWrite: { [done] petition, db in
                var filed = done
                filed.petitionNumber = petition.number
                try await LineConversationStore.save(tenant: tenantID, userID: userID, filed, now: now, on: db)
            })
        if !created {
            done.petitionNumber = petition.number
            try await LineConversationStore.save(tenant: tenantID, userID: userID, done, now: now, on: db)
        }
        // Extra photos beyond the rule's count (a form changed meanwhile) are not the petition's: removed.
        for extra in c.photos.dropFirst(plan.maxPhotos) { await app.fileStore.delete(extra.fileName) }
        return Answer(
            [
                LineNotices.filed(
                    tenant: tenant, number: petition.number, serviceName: petition.serviceName, filedAt: petition.createdAt,
                    dueAt: petition.dueAt, link: linkBase + TenantURL.petition(petition.number).relative)
            ], mustArrive: true)
    }

    private func cancel(_ c: Conversation, note: String? = nil) async throws -> Answer {
        try await LineConversationStore.delete(tenant: tenant.id, userID: userID, c, on: db)
        await deletePhotos(c)
        return Answer((note.map { [LineNotices.invalidAnswer($0)] } ?? []) + [LineNotices.cancelled])
    }

    // MARK: Pieces

    private func move(_ c: Conversation, to step: LineFilingPlan.Step) async throws -> Answer {
        var c = c
        c.step = Self.name(step)
        return try await reprompt(try await write(c))
    }

    /// An event this chat has already applied (a retried job) asks its question again; one from before the chat began
    /// (an earlier chat's, retried late) changes nothing here. Nil: the event is this chat's, to apply.
    private func notThisChat(_ c: Conversation) async throws -> Answer? {
        if let eventTime, let started = c.startedEventTime, eventTime < started {
            return c.isFiled ? Answer([]) : try await reprompt(c)
        }
        if !c.isFiled, let eventID, c.events.contains(eventID) { return try await reprompt(c) }
        return nil
    }

    /// Writes the conversation over the revision it was read at, with this event noted as applied.
    @discardableResult
    private func write(_ c: Conversation) async throws -> Conversation {
        var c = c
        if let eventID, !c.events.contains(eventID) { c.events.append(eventID) }
        return try await LineConversationStore.save(tenant: tenant.id, userID: userID, c, now: now, on: db)
    }

    /// The question of the step the conversation is at.
    private func reprompt(_ c: Conversation) async throws -> Answer {
        guard c.step != "service" else { return Answer([LineNotices.chooseService(try await services())]) }
        guard let (_, service, _, plan) = try await context(c) else { return try await cancel(c) }
        switch Self.step(c.step) {
        case .photos:
            return Answer([
                LineNotices.askPhotos(service: service.name, max: plan.maxPhotos, have: c.photos.count, required: plan.photoRule?.isRequired == true)
            ])
        case .location: return Answer([LineNotices.askLocation(label: plan.locationField?.label ?? "ตำแหน่ง")])
        case .question(let key):
            guard let field = plan.question(key) else { return try await cancel(c) }
            return Answer([LineNotices.ask(field)])
        case .confirm:
            let answers = plan.questions.compactMap { q in c.answers[q.key].map { (q.label, $0) } }
            return Answer([LineNotices.confirm(chat: c.id, serviceName: service.name, photos: c.photos.count, place: c.place, answers: answers)])
        case nil: return try await cancel(c)
        }
    }

    /// The conversation, unless it is over: an expired one is deleted with its photos (`expired` true).
    private func current() async throws -> (Conversation?, expired: Bool) {
        guard let c = try await LineConversationStore.get(tenant: tenant.id, userID: userID, on: db) else { return (nil, false) }
        guard c.isExpired(at: now) else { return (c, false) }
        try await LineConversationStore.delete(tenant: tenant.id, userID: userID, c, on: db)
        await deletePhotos(c)
        return (nil, true)
    }

    private func deletePhotos(_ c: Conversation) async {
        guard !c.isFiled else { return }  // a filed conversation's photos are its petition's
        for p in c.photos { await app.fileStore.delete(p.fileName) }
    }

    enum Eligibility {
        case citizen(CitizenAccount)
        case refused([LineMessage])
    }

    /// Only a citizen linked to this LINE user, with a verified identity, files in the chat.
    private func eligibility() async throws -> Eligibility {
        guard let user = try await LineStore.user(tenant: tenant.id, userID: userID, on: db), let citizenID = user.citizenID,
            let citizen = try await CitizenStore.byID(citizenID, tenant: tenant, on: db)
        else { return .refused([try await linkOffer()]) }
        guard citizen.verificationStatus == .verified else {
            return .refused([
                LineNotices.verifyFirst(tenant: tenant, status: citizen.verificationStatus.thai, url: linkBase + TenantURL.identity.relative)
            ])
        }
        return .citizen(citizen)
    }

    /// The tenant's complaint services the chat can file, in the menu's order.
    private func services() async throws -> [Service] {
        let versions = try await FormVersions.currentAll(tenant: tenant, on: db)
        return tenant.config.menus.complaints.filter { s in
            guard let v = versions[s.slug] else { return false }
            return LineFilingPlan(fields: v.fields, attachments: v.attachments) != nil
        }
    }

    private func context(_ c: Conversation) async throws -> (MenuKey, Service, FormVersion, LineFilingPlan)? {
        guard let slug = c.service, let (menu, service) = tenant.service(slug), menu == .complaints,
            let version = try await FormVersions.current(tenant: tenant, service: slug, on: db),
            let plan = LineFilingPlan(fields: version.fields, attachments: version.attachments)
        else { return nil }
        return (menu, service, version, plan)
    }

    static func name(_ step: LineFilingPlan.Step) -> String {
        switch step {
        case .photos: "photos"
        case .location: "location"
        case .question(let key): "q:" + key
        case .confirm: "confirm"
        }
    }

    static func step(_ name: String) -> LineFilingPlan.Step? {
        switch name {
        case "photos": .photos
        case "location": .location
        case "confirm": .confirm
        default: questionKey(name).map { .question($0) }
        }
    }

    static func questionKey(_ name: String) -> String? { name.hasPrefix("q:") ? String(name.dropFirst(2)) : nil }
}
