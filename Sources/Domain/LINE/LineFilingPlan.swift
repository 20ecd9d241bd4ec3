import Foundation

/// Which complaint services can be filed in a LINE chat, and the steps of that chat: the type, photos (when the
/// form takes images), the place (LINE's location message fills the form's first location field), then one
/// question for each other field the form requires, in the form's order, and its first optional long text as the
/// detail (skippable), then the confirmation. A service whose form requires what a chat cannot give well (an address
/// from the lists, a date, a second location, a non-image file) is not offered in LINE; the website still takes it.
public struct LineFilingPlan: Sendable, Equatable {
    public enum Step: Sendable, Hashable {
        case photos
        case location
        case question(String)
        case confirm
    }

    /// The form field LINE's location message fills.
    public var locationField: FormField?
    /// The attachment rule the chat's photos go to (the first one that takes JPEG or PNG).
    public var photoRule: AttachmentRule?
    /// Asked one by one after the photos and the place.
    public var questions: [FormField]
    public var steps: [Step]

    /// A complaint form's plan, or nil when the chat cannot fill it.
    public init?(fields: [FormField], attachments: [AttachmentRule]) {
        let location = fields.first { $0.type == .location }
        let photos = attachments.first { $0.types.contains(.jpeg) || $0.types.contains(.png) }
        guard !attachments.contains(where: { $0.isRequired && $0 != photos }) else { return nil }
        var questions: [FormField] = []
        var detail = false
        for field in fields where field.key != location?.key {
            if field.isRequired {
                guard ![.address, .location, .date].contains(field.type) else { return nil }
                questions.append(field)
            } else if field.type == .textarea, !detail {
                questions.append(field)
            }
            if field.type == .textarea { detail = true }
        }
        locationField = location
        photoRule = photos
        self.questions = questions
        var steps: [Step] = []
        if photos != nil { steps.append(.photos) }
        if location != nil { steps.append(.location) }
        steps += questions.map { Step.question($0.key) }
        steps.append(.confirm)
        self.steps = steps
    }

    /// The most photos one complaint takes in the chat: the rule's count.
    public var maxPhotos: Int { photoRule?.effectiveMaxCount ?? 0 }

    public func step(after step: Step?) -> Step {
        guard let step, let i = steps.firstIndex(of: step) else { return steps[0] }
        return steps[min(i + 1, steps.count - 1)]
    }

    public func question(_ key: String) -> FormField? { questions.first { $0.key == key } }

    /// The form's inputs (as `PetitionAnswers.validate` reads them) from the chat's answers and place.
    public func input(answers: [String: String], place: LinePlace?) -> [String: [String]] {
        var input = answers.mapValues { [$0] }
        if let field = locationField, let place {
            input[field.key] = [place.description]
            input[field.key + "_lat"] = [String(place.latitude)]
            input[field.key + "_lng"] = [String(place.longitude)]
        }
        return input
    }

    // MARK: Words

    /// What a citizen types to start ("แจ้งเรื่อง", and the like).
    public static let startWords: Set<String> = ["แจ้งเรื่อง", "แจ้งปัญหา", "แจ้งเหตุ", "ร้องเรียน", "แจ้งเรื่องร้องเรียน"]
    public static let cancelWords: Set<String> = ["ยกเลิก", "cancel"]

    public static func isStart(_ text: String) -> Bool { startWords.contains(text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()) }
    public static func isCancel(_ text: String) -> Bool { cancelWords.contains(text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()) }

    /// A conversation left this long is over: the next message starts again.
    public static let expiry: TimeInterval = 30 * 60
}

/// A place from LINE's location message.
public struct LinePlace: Codable, Sendable, Equatable {
    public var title: String
    public var address: String
    public var latitude: Double
    public var longitude: Double

    public init(title: String, address: String, latitude: Double, longitude: Double) {
        self.title = title
        self.address = address
        self.latitude = latitude
        self.longitude = longitude
    }

    /// The place's name and address as one line ("ตลาดบางกระทุ่ม, ถนน…"), at most the form's length for a place.
    public var description: String {
        let parts = [title, address].map { $0.cleanedLine }.filter { !$0.isEmpty }
        var seen: [String] = []
        for p in parts where !seen.contains(p) { seen.append(p) }
        let line = seen.joined(separator: " ")
        return line.isEmpty ? "ตำแหน่งที่ส่งทาง LINE" : String(line.prefix(PetitionAnswers.locationMaxLength))
    }
}

private extension String {
    var cleanedLine: String {
        String(String.UnicodeScalarView(unicodeScalars.filter { $0.properties.generalCategory != .control }))
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
