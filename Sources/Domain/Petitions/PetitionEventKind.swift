/// What a line of a petition's timeline records. Raw values are what `petition_events.kind` stores.
public enum PetitionEventKind: String, Codable, Sendable, CaseIterable {
    /// Filing or a status change (with the officer's note to the citizen, if any).
    case status
    /// A note only staff see: never on the citizen's page, in an e-mail, a LINE message or Open311.
    case internalNote = "internal_note"
    /// Assigned to an officer, taken, or reassigned (with a reason): staff only.
    case assigned
    /// An officer asked the citizen for more information or a missing document (ขอข้อมูล/เอกสารเพิ่มเติม).
    case infoRequested = "info_requested"
    /// The citizen answered a request for more, with text and files.
    case infoAnswered = "info_answered"
    /// The citizen rated the finished petition (the note is their comment; the stars are on the petition).
    case rated
    /// The citizen said a completed petition was not really settled (ยังไม่ได้รับการแก้ไข): it went back to
    /// กำลังดำเนินการ, with their reason as the note.
    case reopened

    /// Whether the citizen's own page (and anything sent to the citizen) may show it.
    public var citizenSees: Bool {
        switch self {
        case .status, .infoRequested, .infoAnswered, .rated, .reopened: true
        case .internalNote, .assigned: false
        }
    }

    public var thai: String {
        switch self {
        case .status: "สถานะ"
        case .internalNote: "บันทึกภายใน (เฉพาะเจ้าหน้าที่)"
        case .assigned: "มอบหมายผู้รับผิดชอบ"
        case .infoRequested: "ขอข้อมูล/เอกสารเพิ่มเติม"
        case .infoAnswered: "ผู้ยื่นส่งข้อมูลเพิ่มเติม"
        case .rated: "ผู้ยื่นให้คะแนนความพึงพอใจ"
        case .reopened: "ผู้ยื่นแจ้งว่ายังไม่ได้รับการแก้ไข"
        }
    }
}

/// Where a petition came from. Raw values are what `petitions.channel` stores.
public enum PetitionChannel: String, Codable, Sendable, CaseIterable {
    /// A signed-in citizen on the tenant's site.
    case web
    /// An Open311 API client.
    case open311
    /// Filed in a LINE chat.
    case line
    /// An officer filed it for a walk-in citizen at the counter.
    case counter
    /// An officer filed it for a citizen who called.
    case phone

    public var thai: String {
        switch self {
        case .web: "เว็บไซต์"
        case .open311: "Open311"
        case .line: "LINE"
        case .counter: "ยื่นที่เคาน์เตอร์"
        case .phone: "ทางโทรศัพท์"
        }
    }

    /// Filed by an officer on someone's behalf.
    public var isAssisted: Bool { self == .counter || self == .phone }
}
