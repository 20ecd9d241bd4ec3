import Fluent
import Foundation

/// A division (กอง / สำนัก) of a tenant: its code (as services name it), Thai name and head officer.
final class DivisionRecord: Model, @unchecked Sendable {
    static let schema = "divisions"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @OptionalField(key: "head_staff_id") var headStaffID: UUID?
    @Field(key: "position") var position: Int
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// A staff member working in a division of a tenant.
final class DivisionMemberRecord: Model, @unchecked Sendable {
    static let schema = "division_members"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "division_id") var divisionID: UUID
    @Field(key: "staff_id") var staffID: UUID
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

extension DivisionRecord: TenantOwned { static var tenantField: KeyPath<DivisionRecord, FieldProperty<DivisionRecord, String>> { \.$tenantID } }
extension DivisionMemberRecord: TenantOwned {
    static var tenantField: KeyPath<DivisionMemberRecord, FieldProperty<DivisionMemberRecord, String>> { \.$tenantID }
}
