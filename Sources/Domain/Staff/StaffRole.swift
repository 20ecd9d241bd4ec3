/// What a staff member may do in one tenant's back office (the Bank of Thailand SecureNet model):
/// an Organization admin grants rights and runs the tenant's settings, an Officer works.
/// Platform admin is not a tenant role: it is a flag on the account.
public enum StaffRole: String, Codable, Sendable, CaseIterable, Comparable {
    case officer
    case orgAdmin = "org_admin"

    public var thai: String {
        switch self {
        case .officer: "เจ้าหน้าที่ (Officer)"
        case .orgAdmin: "ผู้ดูแลระบบของหน่วยงาน (Organization admin)"
        }
    }

    /// An Organization admin can do everything an Officer can in the same tenant.
    public func includes(_ other: StaffRole) -> Bool { self >= other }

    public static func < (a: StaffRole, b: StaffRole) -> Bool { a.rank < b.rank }
    private var rank: Int { self == .officer ? 0 : 1 }
}

/// The life of a request (a staff registration or a request for rights): รอตรวจสอบ → อนุมัติ / ไม่อนุมัติ.
public enum RequestStatus: String, Codable, Sendable, CaseIterable {
    case pending, approved, rejected

    public var thai: String {
        switch self {
        case .pending: "รอตรวจสอบ"
        case .approved: "อนุมัติ"
        case .rejected: "ไม่อนุมัติ"
        }
    }
}

/// A staff account's state.
public enum StaffAccountStatus: String, Codable, Sendable, CaseIterable {
    /// Registered, waiting for a platform admin to check the documents.
    case pending
    case active
    case rejected
    case disabled

    public var thai: String {
        switch self {
        case .pending: "รอตรวจสอบ"
        case .active: "ใช้งานได้"
        case .rejected: "ไม่อนุมัติ"
        case .disabled: "ระงับการใช้งาน"
        }
    }
}
