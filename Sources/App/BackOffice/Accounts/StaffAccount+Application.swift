import Domain
import Foundation

extension StaffAccount {
    /// A new account (pending, no rights) from a checked application; the national ID is stored sealed with
    /// `nationalIDs`. Registration, the platform admin's "create account" and first set-up all start here.
    convenience init(application a: StaffApplication, number: String, passwordHash: String, now: Date, nationalIDs: NationalIDVault) throws {
        self.init()
        username = a.username
        try setNationalID(try ThaiNationalID(a.nationalID), vault: nationalIDs)
        status = .pending
        isPlatformAdmin = false
        requestNumber = number
        titleTH = a.titleTH
        firstNameTH = a.firstNameTH
        lastNameTH = a.lastNameTH
        titleEN = a.titleEN
        firstNameEN = a.firstNameEN
        lastNameEN = a.lastNameEN
        nationality = a.nationality
        email = a.email
        mobile = a.mobile
        birthDate = a.birthDate.isEmpty ? nil : a.birthDate
        orgUnit = a.orgUnit.isEmpty ? "-" : a.orgUnit
        position = a.position
        self.passwordHash = passwordHash
        mustChangePassword = false
        otpFailures = 0
        loginFailures = 0
        sessionEpoch = 0
        createdAt = now
        updatedAt = now
    }

    /// What a new password of this person must not contain: national ID, username, English names, and the
    /// first password made from the birth date.
    func personalWords(nationalIDs: NationalIDVault) -> [String] {
        [
            (try? nationalIDs.open(nationalIDSealed).digits) ?? "", username, firstNameEN, lastNameEN,
            birthDate.flatMap(Passwords.initialPassword(birthDate:)) ?? "",
        ]
    }

    /// The checks of a new password for this account (the rule, without personal details; the confirmation).
    func newPasswordErrors(_ password: String, confirm: String, nationalIDs: NationalIDVault) -> FormErrors {
        var errors = FormErrors()
        errors.add(PasswordPolicy.newPasswordProblems(password, confirm: confirm, personal: personalWords(nationalIDs: nationalIDs)))
        return errors
    }
}
