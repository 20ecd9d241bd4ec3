import Domain
import Fluent
import Foundation

/// A right in force: a staff member's role in one tenant.
final class StaffGrantRecord: Model, @unchecked Sendable {
    static let schema = "staff_grants"

    @ID(key: .id) var id: UUID?
    @Field(key: "staff_id") var staffID: UUID
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "role") var roleRaw: String
    @Field(key: "granted_at") var grantedAt: Date
    @OptionalField(key: "granted_by") var grantedBy: UUID?
    @OptionalField(key: "request_id") var requestID: UUID?

    init() {}

    var role: StaffRole? { StaffRole(rawValue: roleRaw) }
}

/// "เปลี่ยนแปลงสิทธิ์การใช้งาน": a request for a role in a tenant, and its decision.
final class AccessRequestRecord: Model, @unchecked Sendable {
    static let schema = "access_requests"

    @ID(key: .id) var id: UUID?
    @Field(key: "number") var number: String
    @Field(key: "staff_id") var staffID: UUID
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "role") var roleRaw: String
    @Field(key: "status") var statusRaw: String
    @OptionalField(key: "note") var note: String?
    @OptionalField(key: "reason") var reason: String?
    @Field(key: "requested_at") var requestedAt: Date
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "decided_by") var decidedBy: UUID?
    @OptionalField(key: "decided_by_name") var decidedByName: String?

    init() {}

    var role: StaffRole { StaffRole(rawValue: roleRaw) ?? .officer }
    var status: RequestStatus { RequestStatus(rawValue: statusRaw) ?? .pending }
}
