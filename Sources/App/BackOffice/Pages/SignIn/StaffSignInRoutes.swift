/// Staff sign-in, one controller per step (`StaffSignInFlow`), and signing out.
enum StaffSignInRoutes {
    static func register(_ r: BackOfficeRouter) {
        let password = PasswordStepController()
        let newPassword = NewPasswordStepController()
        let enrolment = OTPEnrolmentController()
        let otp = OTPStepController()
        r.get(.login, use: password.page)
        r.post(.login, use: password.submit)
        r.get(.loginNewPassword, use: newPassword.page)
        r.post(.loginNewPassword, use: newPassword.submit)
        r.get(.loginEnrol, use: enrolment.page)
        r.post(.loginEnrol, use: enrolment.submit)
        r.get(.loginOTP, use: otp.page)
        r.post(.loginOTP, use: otp.submit)
        r.post(.logout, use: SignOutController().submit)
    }
}
