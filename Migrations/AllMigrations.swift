import Fluent

/// Every migration, in the order it runs. Add new ones at the end; never edit one that has shipped.
public enum AllMigrations {
    /// `staffNationalIDs` seals staff national IDs for 035; its key comes from the app's settings.
    public static func list(staffNationalIDs: any NationalIDSealing) -> [any Migration] {
        [
            CreateOutboxJob(),
            CreateSessions(),
            CreateContactMessage(),
            CreateStaffAccount(),
            CreateStaffRecoveryCode(),
            CreateStaffToken(),
            CreateStaffGrant(),
            CreateAccessRequest(),
            CreateAuditEvent(),
            CreateRateCounter(),
            CreateSequence(),
            // Tenant settings changed in the back office (012–016).
            CreateTenantSettingsEpoch(),
            CreateTenantSetting(),
            CreateTenantService(),
            CreateFormVersion(),
            CreateServiceForm(),
            // Citizens and their identity verification (017–019).
            CreateCitizen(),
            CreateIdentityImage(),
            CreateCitizenToken(),
            // Petitions (020–022).
            CreatePetition(),
            CreatePetitionEvent(),
            CreatePetitionAttachment(),
            // Petitions filed through Open311; citizens' e-mail choice (023–024).
            UpdatePetitionAddChannel(),
            UpdateCitizenAddNotifyStatus(),
            // Documents officers issue for petitions, with public verification codes (025).
            CreatePetitionDocument(),
            // Open311 API keys (026).
            CreateOpen311Key(),
            // Petitions per tenant, service and status, for the officers' queue (027).
            CreatePetitionCount(),
            // A citizen's petitions: an index that answers the name search on its own (028).
            UpdatePetitionCitizenIndex(),
            // LINE Official Account: users and links, link nonces, notice choices, channel settings, refused webhooks (029–033).
            CreateLineUser(),
            CreateLineLinkNonce(),
            UpdateCitizenAddNoticeChoices(),
            UpdateTenantSettingAddLine(),
            CreateLineWebhookRejection(),
            // Staff: first passwords that expire; national IDs sealed with a keyed look-up hash (034–035).
            UpdateStaffAccountAddInitialPasswordIssuedAt(),
            UpdateStaffAccountSealNationalID(sealer: staffNationalIDs),
            // Staff sign-in failures and known addresses per account and client address (036).
            CreateStaffSignInAddress(),
            // Session rows expire and are swept (037).
            UpdateSessionsAddExpiresAt(),
            // Staff and citizens' single-use links in one table, rows moved (038).
            CreateSingleUseToken(),
            // Indexes for the retention sweeps (039).
            CreateRetentionIndexes(),
            // A citizen's last sign-in, so an account in use is never taken for abandoned (040).
            UpdateCitizenAddSignedInAt(),
            // Divisions, assignment, waiting for the citizen, SLA reminders; timeline kinds; a service's division (041–044).
            CreateDivision(),
            UpdatePetitionAddAssignment(),
            UpdatePetitionEventAddKind(),
            UpdateTenantServiceAddDivision(),
            // Petitions received and completed per month, kept for the dashboard (045).
            CreatePetitionMonthCount(),
            // Which tenants got their folder's divisions, so deleted ones are not written again (046).
            CreateDivisionSeed(),
            // The citizen's rating of a finished petition and their reopenings; ratings per month (047).
            UpdatePetitionAddFeedback(),
            // A citizen's new e-mail address until its confirmation link is followed (048).
            UpdateCitizenAddPendingEmail(),
            // Registration's e-mail confirmed by its link; asking to close the account, reviewed by an officer (049).
            UpdateCitizenAddEmailConfirmedAndClosing(),
            // A complaint being filed in a LINE chat, per tenant and LINE user (050).
            CreateLineConversation(),
        ]
    }
}
