/// Staff accounts and rights: self-registration, recovery, first set-up, home and profile, rights requests and
/// approvals, the audit log, the platform admin's registrations and staff, a tenant's staff list.
enum StaffAccountRoutes {
    static func register(_ r: BackOfficeRouter) {
        let registration = StaffRegistrationController()
        r.get(.register, use: registration.form)
        // Anyone may post it and it carries a document: streamed.
        r.upload(.register, use: registration.submit)
        r.get(.registerSent, use: registration.sent)

        let recovery = AccountRecoveryController()
        r.get(.forgotPassword, use: recovery.forgotPasswordPage)
        r.post(.forgotPassword, use: recovery.forgotPassword)
        r.get(.resetPassword, use: recovery.resetPage)
        r.post(.resetPassword, use: recovery.reset)
        r.get(.forgotUsername, use: recovery.forgotUsernamePage)
        r.post(.forgotUsername, use: recovery.forgotUsername)

        let setup = PlatformSetupController()
        r.get(.setup, use: setup.page)
        r.post(.setup, use: setup.submit)

        let home = StaffHomeController()
        r.get(.home, use: home.index)
        r.get(.tenantHome, use: home.tenant)

        let profile = ProfileController()
        r.get(.profile, use: profile.page)
        r.post(.profile, use: profile.save)
        r.post(.profilePassword, use: profile.changePassword)

        let rights = RightsController()
        r.get(.requests, use: rights.history)
        r.post(.requests, use: rights.request)
        r.get(.approvals, use: rights.approvals)
        r.post(.approvals, use: rights.decide)
        r.get(.tenantStaff, use: rights.tenantStaff)
        r.post(.tenantStaffRevoke, use: rights.tenantRevoke)
        r.get(.audit, use: AuditController().index)

        let accounts = StaffAdminController()
        r.get(.adminRegistrations, use: accounts.registrations)
        r.post(.adminRegistrations, use: accounts.decideRegistrations)
        r.get(.adminRegistration, use: accounts.registration)
        r.get(.adminRegistrationDocument, use: accounts.document)
        r.get(.adminStaff, use: accounts.staff)
        r.get(.adminStaffNew, use: accounts.newStaffForm)
        r.post(.adminStaffNew, use: accounts.createStaff)
        r.get(.adminStaffMember, use: accounts.member)
        r.post(.adminStaffStatus, use: accounts.setStatus)
        r.post(.adminStaffRevoke, use: accounts.revoke)
        r.post(.adminStaffInitialPassword, use: accounts.reissueInitialPassword)
    }
}
