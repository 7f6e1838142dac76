//! Who may do what: roles, permissions and purposes, denied by default.
//!
//! The matrix is data (`Role::permissions`), documented in docs/security.md
//! and tested route by route; a use case declares the one permission it
//! needs and the app layer checks it before doing anything.

use serde::{Deserialize, Serialize};

/// Staff roles (the privacy assessment's handlers).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 資格担当
    EligibilityClerk,
    /// 賦課担当
    LevyClerk,
    /// 給付担当
    BenefitsClerk,
    /// 係長: approvals
    Supervisor,
    /// 監査担当: reads logs and evidence, edits no personal data
    Auditor,
    /// システム管理者: accounts and settings, no personal data by default
    Administrator,
    /// 委託先: only what is granted, until the grant expires
    Contractor,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::EligibilityClerk,
        Role::LevyClerk,
        Role::BenefitsClerk,
        Role::Supervisor,
        Role::Auditor,
        Role::Administrator,
        Role::Contractor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::EligibilityClerk => "eligibility_clerk",
            Role::LevyClerk => "levy_clerk",
            Role::BenefitsClerk => "benefits_clerk",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
            Role::Administrator => "administrator",
            Role::Contractor => "contractor",
        }
    }

    pub fn from_code(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Role::EligibilityClerk => "資格担当",
            Role::LevyClerk => "賦課担当",
            Role::BenefitsClerk => "給付担当",
            Role::Supervisor => "係長",
            Role::Auditor => "監査担当",
            Role::Administrator => "システム管理者",
            Role::Contractor => "委託先",
        }
    }

    /// What the role may do without any grant. Contractors get nothing by
    /// role: only dated grants (see `Grant`).
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::EligibilityClerk => &[
                RegistryRead,
                RegistryWrite,
                MyNumberLookup,
                EligibilityRead,
                EligibilityWrite,
                EligibilityCorrect,
                ProposalDecide,
                RegistryImport,
                EligibilityExport,
                AgeJob,
                LevyRead,
                DocumentIssue,
                DocumentBatch,
                DocumentRead,
                Exchange,
            ],
            Role::LevyClerk => &[
                RegistryRead,
                EligibilityRead,
                IncomeImport,
                LevyRead,
                LevyAssess,
                DocumentIssue,
                DocumentBatch,
                DocumentRead,
                Statistics,
            ],
            Role::BenefitsClerk => &[
                RegistryRead,
                EligibilityRead,
                MyNumberLookup,
                ClaimsImport,
                HighCost,
                PaymentAccount,
                BenefitApply,
                PaymentRun,
                DocumentIssue,
                DocumentRead,
                Statistics,
            ],
            Role::Supervisor => &[
                RegistryRead,
                RegistryWrite,
                MyNumberLookup,
                MyNumberReveal,
                EligibilityRead,
                EligibilityWrite,
                EligibilityCorrect,
                ProposalDecide,
                RegistryImport,
                EligibilityExport,
                AgeJob,
                IncomeImport,
                LevyRead,
                LevyAssess,
                ClaimsImport,
                HighCost,
                PaymentAccount,
                PaymentAccountReveal,
                BenefitApply,
                BenefitDecide,
                PaymentRun,
                PaymentApprove,
                DocumentIssue,
                DocumentBatch,
                DocumentRead,
                Exchange,
                Statistics,
            ],
            Role::Auditor => &[
                AuditRead,
                RegistryRead,
                EligibilityRead,
                DocumentRead,
                Statistics,
            ],
            Role::Administrator => &[AccountAdmin, VaultAdmin, SystemRead, Retention],
            Role::Contractor => &[],
        }
    }

    pub fn may(self, p: Permission) -> bool {
        self.permissions().contains(&p)
    }
}

/// One thing a use case needs permission for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// 宛名 search and view
    RegistryRead,
    /// register or change an addressee
    RegistryWrite,
    /// find a person by My Number (the number is never shown)
    MyNumberLookup,
    /// show a My Number in clear: needs a purpose every time
    MyNumberReveal,
    EligibilityRead,
    /// acquisitions, losses, household changes
    EligibilityWrite,
    /// corrections and voids
    EligibilityCorrect,
    /// confirm or reject resident-registry proposals
    ProposalDecide,
    /// import the resident-registry feed
    RegistryImport,
    /// bulk export of eligibility
    EligibilityExport,
    /// run the daily age job
    AgeJob,
    /// read the access log and the evidence reports
    AuditRead,
    /// accounts, roles, grants, training records
    AccountAdmin,
    /// vault keys (rotation) without revealing any number
    VaultAdmin,
    /// health, versions, counts without personal data
    SystemRead,
    /// erase what is past its retention period
    Retention,
    /// import income data from the municipal tax system (所得の取込)
    IncomeImport,
    /// see a household's NHI tax levy, its versions and schedule
    LevyRead,
    /// run the annual assessment (本算定) and reassessments (更正)
    LevyAssess,
    /// claim files: sample, import and check (レセプトの取込・点検)
    ClaimsImport,
    /// the monthly high-cost run and households' high-cost history (高額療養費)
    HighCost,
    /// register and see the bank accounts benefits are paid into (口座),
    /// account numbers masked to their last digits
    PaymentAccount,
    /// see an account number whole (checking a payment run)
    PaymentAccountReveal,
    /// receive and check benefit applications, see benefit histories
    /// (給付の申請受付・審査)
    BenefitApply,
    /// decide benefit applications (給付の支給・不支給決定)
    BenefitDecide,
    /// make payment runs, write their transfer files, record what the bank
    /// did (支払の作成・振込ファイル)
    PaymentRun,
    /// approve payment runs (支払の承認)
    PaymentApprove,
    /// print a document at the counter, reprint it, record it returned or
    /// lost (帳票の発行・再発行)
    DocumentIssue,
    /// issue one kind of document to many residents (帳票の一括発行)
    DocumentBatch,
    /// see residents' issuance histories and batches (帳票の発行履歴の照会)
    DocumentRead,
    /// write the files for the federation and the intermediate server, take
    /// in their answers, judge household continuity (外部連携)
    Exchange,
    /// produce the business reports and see the statistics (事業月報・
    /// 事業年報・統計): figures only, no person
    Statistics,
}

impl Permission {
    pub const ALL: [Permission; 32] = [
        Permission::RegistryRead,
        Permission::RegistryWrite,
        Permission::MyNumberLookup,
        Permission::MyNumberReveal,
        Permission::EligibilityRead,
        Permission::EligibilityWrite,
        Permission::EligibilityCorrect,
        Permission::ProposalDecide,
        Permission::RegistryImport,
        Permission::EligibilityExport,
        Permission::AgeJob,
        Permission::AuditRead,
        Permission::AccountAdmin,
        Permission::VaultAdmin,
        Permission::SystemRead,
        Permission::Retention,
        Permission::IncomeImport,
        Permission::LevyRead,
        Permission::LevyAssess,
        Permission::ClaimsImport,
        Permission::HighCost,
        Permission::PaymentAccount,
        Permission::PaymentAccountReveal,
        Permission::BenefitApply,
        Permission::BenefitDecide,
        Permission::PaymentRun,
        Permission::PaymentApprove,
        Permission::DocumentIssue,
        Permission::DocumentBatch,
        Permission::DocumentRead,
        Permission::Exchange,
        Permission::Statistics,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Permission::RegistryRead => "registry_read",
            Permission::RegistryWrite => "registry_write",
            Permission::MyNumberLookup => "my_number_lookup",
            Permission::MyNumberReveal => "my_number_reveal",
            Permission::EligibilityRead => "eligibility_read",
            Permission::EligibilityWrite => "eligibility_write",
            Permission::EligibilityCorrect => "eligibility_correct",
            Permission::ProposalDecide => "proposal_decide",
            Permission::RegistryImport => "registry_import",
            Permission::EligibilityExport => "eligibility_export",
            Permission::AgeJob => "age_job",
            Permission::AuditRead => "audit_read",
            Permission::AccountAdmin => "account_admin",
            Permission::VaultAdmin => "vault_admin",
            Permission::SystemRead => "system_read",
            Permission::Retention => "retention",
            Permission::IncomeImport => "income_import",
            Permission::LevyRead => "levy_read",
            Permission::LevyAssess => "levy_assess",
            Permission::ClaimsImport => "claims_import",
            Permission::HighCost => "high_cost",
            Permission::PaymentAccount => "payment_account",
            Permission::PaymentAccountReveal => "payment_account_reveal",
            Permission::BenefitApply => "benefit_apply",
            Permission::BenefitDecide => "benefit_decide",
            Permission::PaymentRun => "payment_run",
            Permission::PaymentApprove => "payment_approve",
            Permission::DocumentIssue => "document_issue",
            Permission::DocumentBatch => "document_batch",
            Permission::DocumentRead => "document_read",
            Permission::Exchange => "exchange",
            Permission::Statistics => "statistics",
        }
    }

    pub fn from_code(s: &str) -> Option<Permission> {
        Self::ALL.into_iter().find(|p| p.code() == s)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Permission::RegistryRead => "宛名の照会",
            Permission::RegistryWrite => "宛名の登録・変更",
            Permission::MyNumberLookup => "個人番号による検索",
            Permission::MyNumberReveal => "個人番号の表示",
            Permission::EligibilityRead => "資格の照会",
            Permission::EligibilityWrite => "資格の取得・喪失",
            Permission::EligibilityCorrect => "資格の訂正",
            Permission::ProposalDecide => "異動候補の確定・却下",
            Permission::RegistryImport => "住基異動の取込",
            Permission::EligibilityExport => "資格の一括出力",
            Permission::AgeJob => "年齢到達処理",
            Permission::AuditRead => "アクセス記録・点検資料の閲覧",
            Permission::AccountAdmin => "利用者の管理",
            Permission::VaultAdmin => "暗号鍵の管理",
            Permission::SystemRead => "稼働状況の確認",
            Permission::Retention => "保存期間を過ぎた情報の消去",
            Permission::IncomeImport => "所得情報の取込",
            Permission::LevyRead => "保険税の照会",
            Permission::LevyAssess => "保険税の賦課（本算定・更正）",
            Permission::ClaimsImport => "レセプトの取込・点検",
            Permission::HighCost => "高額療養費の計算・照会",
            Permission::PaymentAccount => "振込口座の登録・照会",
            Permission::PaymentAccountReveal => "口座番号の全桁表示",
            Permission::BenefitApply => "給付の申請受付・審査",
            Permission::BenefitDecide => "給付の支給・不支給決定",
            Permission::PaymentRun => "支払の作成・振込ファイルの作成",
            Permission::PaymentApprove => "支払の承認",
            Permission::DocumentIssue => "帳票の発行・再発行",
            Permission::DocumentBatch => "帳票の一括発行",
            Permission::DocumentRead => "帳票の発行履歴の照会",
            Permission::Exchange => "外部システムとの連携（連携ファイルの作成・取込）",
            Permission::Statistics => "統計・事業状況報告の作成",
        }
    }

    /// Whether only a role gives this permission, never a contractor's
    /// grant: the town's own acts (decisions, approvals, whole account
    /// numbers) and the administration of accounts and keys.
    pub fn role_only(self) -> bool {
        matches!(
            self,
            Permission::AccountAdmin
                | Permission::VaultAdmin
                | Permission::PaymentAccountReveal
                | Permission::BenefitDecide
                | Permission::PaymentApprove
        )
    }

    /// Whether using this permission needs a stated purpose each time.
    pub fn needs_purpose(self) -> bool {
        // Revealing a number, and every bulk export, say why each time.
        matches!(
            self,
            Permission::MyNumberReveal | Permission::EligibilityExport | Permission::Exchange
        )
    }
}

/// A dated grant of one permission to a contractor account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub permission: Permission,
    pub valid_from: time::Date,
    /// Last day the grant is valid.
    pub valid_until: time::Date,
}

/// Whether an account with `role` and `grants` may use `p` on `today`.
/// Denied by default: the role's own list, or a grant in force.
pub fn allowed(role: Role, grants: &[Grant], p: Permission, today: time::Date) -> bool {
    role.may(p)
        || (role == Role::Contractor
            && !p.role_only()
            && grants
                .iter()
                .any(|g| g.permission == p && g.valid_from <= today && today <= g.valid_until))
}

/// The affairs for which this town may use a My Number (its lawful items),
/// as (code, name, legal basis). A purpose naming anything else is refused.
/// Provisional: the basis is cited by provision; the 別表 item numbers were
/// renumbered by the 2023 amendment and are to be filled in from the town's
/// own privacy assessment (see docs/security.md).
pub const LAWFUL_AFFAIRS: [(&str, &str, &str); 3] = [
    (
        "nhi",
        "国民健康保険の資格・給付・保険税に関する事務",
        "番号利用法 第9条第1項・別表（国民健康保険法による保険給付の支給又は保険料の徴収に関する事務）",
    ),
    (
        "online_eligibility",
        "オンライン資格確認の準備に関する事務",
        "番号利用法 附則第6条第4項、国民健康保険法 第113条の3第1項・第2項",
    ),
    (
        "public_funds_account",
        "公金受取口座による給付の支給に関する事務",
        "公的給付の支給等の迅速かつ確実な実施のための預貯金口座の登録等に関する法律 第9条",
    ),
];

/// The lawful affair a purpose names, by its code or its name.
pub fn lawful_affair(affair: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let a = affair.trim();
    LAWFUL_AFFAIRS
        .into_iter()
        .find(|(code, name, _)| *code == a || *name == a)
}

/// The purpose stated for a use that needs one: the affair (事務の名称) and
/// the reason, both required.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purpose {
    pub affair: String,
    pub reason: String,
}

impl Purpose {
    pub fn parse(affair: &str, reason: &str) -> Option<Purpose> {
        let (a, r) = (affair.trim(), reason.trim());
        (!a.is_empty() && !r.is_empty() && a.chars().count() <= 100 && r.chars().count() <= 400)
            .then(|| Purpose {
                affair: a.to_string(),
                reason: r.to_string(),
            })
    }

    pub fn to_log(&self) -> String {
        format!("{}: {}", self.affair, self.reason)
    }
}

/// Password policy for staff accounts: at least 12 characters, at least
/// three of lower case, upper case, digits and symbols, and not containing
/// the account name. Returns the Japanese reason when refused.
pub fn check_password_policy(account: &str, password: &str) -> Result<(), &'static str> {
    if password.chars().count() < 12 {
        return Err("パスワードは12文字以上にしてください");
    }
    if password.chars().count() > 128 {
        return Err("パスワードは128文字以内にしてください");
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|&&b| b).count() < 3 {
        return Err("パスワードには英小文字・英大文字・数字・記号のうち3種類以上を含めてください");
    }
    if !account.is_empty() && password.to_lowercase().contains(&account.to_lowercase()) {
        return Err("パスワードに利用者名を含めないでください");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use time::macros::date;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        for p in Permission::ALL {
            assert_eq!(Permission::from_code(p.code()), Some(p));
        }
    }

    #[test]
    fn denied_by_default() {
        assert!(
            !Role::Administrator.may(Permission::RegistryRead),
            "no personal data for administrators"
        );
        assert!(!Role::Auditor.may(Permission::EligibilityWrite));
        assert!(!Role::EligibilityClerk.may(Permission::MyNumberReveal));
        assert!(Role::Supervisor.may(Permission::MyNumberReveal));
        assert!(Role::Contractor.permissions().is_empty());
    }

    #[test]
    fn contractor_grants_are_dated() {
        let g = [Grant {
            permission: Permission::RegistryRead,
            valid_from: date!(2026 - 04 - 01),
            valid_until: date!(2026 - 09 - 30),
        }];
        assert!(allowed(
            Role::Contractor,
            &g,
            Permission::RegistryRead,
            date!(2026 - 09 - 30)
        ));
        assert!(!allowed(
            Role::Contractor,
            &g,
            Permission::RegistryRead,
            date!(2026 - 10 - 01)
        ));
        assert!(!allowed(
            Role::Contractor,
            &g,
            Permission::RegistryRead,
            date!(2026 - 03 - 31)
        ));
        assert!(!allowed(
            Role::Contractor,
            &g,
            Permission::RegistryWrite,
            date!(2026 - 05 - 01)
        ));
        // Grants mean nothing for other roles.
        assert!(!allowed(
            Role::LevyClerk,
            &g,
            Permission::RegistryWrite,
            date!(2026 - 05 - 01)
        ));
    }

    #[test]
    fn only_lawful_affairs() {
        assert!(lawful_affair("nhi").is_some());
        assert!(lawful_affair("国民健康保険の資格・給付・保険税に関する事務").is_some());
        assert!(lawful_affair("marketing").is_none());
    }

    #[test]
    fn purposes_need_both_parts() {
        assert!(Purpose::parse("国民健康保険の資格管理", "資格確認書の再交付").is_some());
        assert!(Purpose::parse("", "x").is_none());
        assert!(Purpose::parse("x", "  ").is_none());
    }

    #[test]
    fn password_policy() {
        assert!(check_password_policy("clerk1", "short").is_err());
        assert!(check_password_policy("clerk1", "alllowercaseletters").is_err());
        assert!(check_password_policy("clerk1", "Clerk1-is-my-name").is_err());
        assert!(check_password_policy("clerk1", "Correct-Horse-7").is_ok());
    }
}
