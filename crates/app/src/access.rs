//! Access control and the access log: accounts (Argon2id passwords, TOTP),
//! sign-in with throttling and lock-out, the permission check every use
//! case goes through, and the hash-chained record of every access.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use kokuho_domain::access::{self, Grant, Permission, Purpose, Role};
use kokuho_domain::id::InsurerNumber;
use kokuho_store::access::{self as repo, AccountRow, LogEntry, LogRecord};
use kokuho_vault::Sealed;
use time::{Date, Duration, OffsetDateTime};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::eligibility::{from_us, in_tx, to_us};
use crate::{AppError, Kokuho, Result};

/// Failed sign-ins before a temporary lock-out, and its length.
pub const MAX_FAILED_SIGN_INS: i64 = 5;
pub const LOCK_OUT: Duration = Duration::minutes(15);

/// Who is acting, where from, and for which insurer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub account: String,
    pub role: Role,
    pub grants: Vec<Grant>,
    /// The operating-system user (CLI) or "-" (web).
    pub os_user: String,
    /// The client address (web) or "cli".
    pub client: String,
    pub insurer: InsurerNumber,
}

fn forbidden(p: Permission) -> AppError {
    AppError::Forbidden {
        permission: p.code(),
        message_ja: format!("この操作（{}）の権限がありません", p.label_ja()),
    }
}

fn unauthenticated() -> AppError {
    AppError::Unauthenticated {
        message_ja:
            "利用者名・パスワード・確認コードのいずれかが正しくないか、利用できない利用者です"
                .into(),
    }
}

/// Argon2id with the crate's defaults (m=19 MiB, t=2, p=1: OWASP's minimum).
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| AppError::Setup {
            message_en: "password hashing failed".into(),
            message_ja: "パスワードの処理に失敗しました".into(),
        })
}

fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn totp_for(account: &str, secret: &[u8]) -> Result<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_secret(Secret::from(secret.to_vec()))
        .with_issuer(Some("kokuho"))
        .with_account_name(account)
        .build()
        .map_err(|_| AppError::Setup {
            message_en: "TOTP set-up failed".into(),
            message_ja: "確認コードの設定に失敗しました".into(),
        })
}

/// What a new account's holder must be given once: the TOTP secret.
#[derive(Clone, Debug)]
pub struct Enrolment {
    pub account: String,
    /// Base32, for typing into an authenticator app.
    pub totp_secret_base32: String,
    /// otpauth:// URL, for a QR code.
    pub otpauth_url: String,
}

pub struct NewAccount<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password: &'a str,
    /// Contractors' accounts end on a date.
    pub expires_on: Option<Date>,
    /// A TOTP secret to use (demo databases only); none generates one.
    pub totp_secret: Option<Vec<u8>>,
    pub demo: bool,
}

impl Kokuho {
    #[allow(clippy::too_many_arguments)] // the record's fields
    fn log_entry(
        &self,
        actor: &Actor,
        action: &str,
        subjects: &[String],
        purpose: Option<&Purpose>,
        outcome: &str,
        detail: &str,
        now: OffsetDateTime,
    ) -> LogEntry {
        LogEntry {
            at_us: to_us(now),
            insurer_number: actor.insurer.to_string(),
            account_name: actor.account.clone(),
            role: actor.role.code().to_string(),
            os_user: actor.os_user.clone(),
            client: actor.client.clone(),
            action: action.to_string(),
            subjects: subjects.join(","),
            // A purpose is typed text: it never carries a number into the log.
            purpose: purpose
                .map(Purpose::to_log)
                .map(|t| {
                    if crate::leak_scan::count_my_numbers(t.as_bytes()) > 0 {
                        "(withheld: contained a My Number)".into()
                    } else {
                        t
                    }
                })
                .unwrap_or_default(),
            outcome: outcome.to_string(),
            detail: detail.to_string(),
        }
    }

    /// Appends one record to the access log, in its own transaction.
    pub async fn log_access(
        &self,
        actor: &Actor,
        action: &str,
        subjects: &[String],
        purpose: Option<&Purpose>,
        detail: &str,
        now: OffsetDateTime,
    ) -> Result<LogRecord> {
        let entry = self.log_entry(actor, action, subjects, purpose, "allowed", detail, now);
        in_tx!(self.db, |tx| Ok(repo::append(&mut tx, &entry).await?))
    }

    /// The check every use case makes first: the account's role (or a dated
    /// grant) must allow `p`, and a purpose must be stated where `p` needs
    /// one. A refusal is logged as denied before it is returned.
    pub async fn authorize(
        &self,
        actor: &Actor,
        p: Permission,
        purpose: Option<&Purpose>,
        subjects: &[String],
        now: OffsetDateTime,
    ) -> Result<()> {
        let today = crate::local_date(now);
        // Another insurer's account has no business here (tenancy).
        let refusal = if !access::allowed(actor.role, &actor.grants, p, today)
            || actor.insurer != self.insurer
        {
            Some(forbidden(p))
        } else if purpose.is_some_and(|pp| {
            crate::leak_scan::count_my_numbers(pp.affair.as_bytes())
                + crate::leak_scan::count_my_numbers(pp.reason.as_bytes())
                > 0
        }) {
            // The purpose goes into the log: it must never carry a number.
            Some(AppError::invalid(
                "purpose",
                "the purpose must not contain a My Number",
                "目的の欄に個人番号を書かないでください",
            ))
        } else if p.needs_purpose() && purpose.is_none() {
            Some(AppError::invalid(
                "purpose",
                "this use needs a stated purpose (affair and reason)",
                "事務の名称と理由を入力してください",
            ))
        } else if p.needs_purpose()
            && purpose.is_some_and(|pp| access::lawful_affair(&pp.affair).is_none())
        {
            // 目的を超えた紐付け・不正な提供: only the town's lawful affairs.
            Some(AppError::Forbidden {
                permission: p.code(),
                message_ja: "この事務では個人番号を利用できません（法定の事務ではありません）"
                    .into(),
            })
        } else if self.training_blocks(actor, p, today).await? {
            Some(AppError::Forbidden {
                permission: p.code(),
                message_ja:
                    "研修の受講期限が切れているため、個人情報を扱えません。研修を受講してください"
                        .into(),
            })
        } else {
            None
        };
        if let Some(err) = refusal {
            let entry = self.log_entry(
                actor,
                p.code(),
                subjects,
                purpose,
                "denied",
                err.code(),
                now,
            );
            in_tx!(self.db, |tx| Ok(repo::append(&mut tx, &entry).await?))?;
            return Err(err);
        }
        Ok(())
    }

    /// Creates an account (by an administrator, or the demo set-up with no actor).
    pub async fn create_account(
        &self,
        by: Option<&Actor>,
        a: &NewAccount<'_>,
        now: OffsetDateTime,
    ) -> Result<Enrolment> {
        if let Some(by) = by {
            self.authorize(by, Permission::AccountAdmin, None, &[], now)
                .await?;
        }
        if a.name.is_empty()
            || a.name.len() > 64
            || !a
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(AppError::invalid(
                "name",
                "account names are 1–64 letters, digits, '-', '_' or '.'",
                "利用者名は英数字と - _ . で64文字以内です",
            ));
        }
        access::check_password_policy(a.name, a.password).map_err(|ja| {
            AppError::invalid("password", "the password does not meet the policy", ja)
        })?;
        if repo::get_account(&self.db, a.name).await?.is_some() {
            return Err(AppError::Conflict {
                message_en: format!("account {} exists", a.name),
                message_ja: "この利用者名は既に使われています（無効化された利用者も含みます）"
                    .into(),
            });
        }
        let secret = a
            .totp_secret
            .clone()
            .unwrap_or_else(|| Secret::generate().as_bytes().to_vec());
        let sealed = self.keyring.seal_bytes(&secret, a.name)?;
        let row = AccountRow {
            name: a.name.to_string(),
            insurer_number: self.insurer.to_string(),
            display_name: a.display_name.to_string(),
            role: a.role.code().to_string(),
            password_hash: hash_password(a.password)?,
            totp_key_id: Some(i64::from(sealed.key_id)),
            totp_sealed: Some(sealed.blob),
            disabled_us: None,
            expires_on: a.expires_on,
            failed_attempts: 0,
            locked_until_us: None,
            last_sign_in_us: None,
            last_totp_step: None,
            created_us: to_us(now),
            demo: a.demo,
        };
        in_tx!(self.db, |tx| {
            repo::insert_account(&mut tx, &row).await?;
            if let Some(by) = by {
                let entry = self.log_entry(
                    by,
                    "account_create",
                    &[],
                    None,
                    "allowed",
                    &format!("{} ({})", a.name, a.role.code()),
                    now,
                );
                repo::append(&mut tx, &entry).await?;
            }
            Ok(())
        })?;
        let base32 = Secret::from(secret).to_base32();
        Ok(Enrolment {
            account: a.name.to_string(),
            otpauth_url: format!(
                "otpauth://totp/kokuho:{}?secret={base32}&issuer=kokuho&algorithm=SHA1&digits=6&period=30",
                a.name
            ),
            totp_secret_base32: base32,
        })
    }

    /// Disables an account (staff who leave): it can no longer sign in, and
    /// its open sessions stop working. Accounts are never deleted.
    pub async fn disable_account(&self, by: &Actor, name: &str, now: OffsetDateTime) -> Result<()> {
        self.authorize(by, Permission::AccountAdmin, None, &[], now)
            .await?;
        if !repo::set_disabled(&self.db, name, Some(to_us(now))).await? {
            return Err(AppError::NotFound {
                what: "account",
                message_ja: "該当する利用者がありません",
            });
        }
        self.log_access(by, "account_disable", &[], None, name, now)
            .await?;
        Ok(())
    }

    pub async fn grant(
        &self,
        by: &Actor,
        name: &str,
        g: &Grant,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.authorize(by, Permission::AccountAdmin, None, &[], now)
            .await?;
        repo::insert_grant(&self.db, name, g).await?;
        self.log_access(
            by,
            "account_grant",
            &[],
            None,
            &format!(
                "{name} {} {}..{}",
                g.permission.code(),
                g.valid_from,
                g.valid_until
            ),
            now,
        )
        .await?;
        Ok(())
    }

    pub async fn record_training(
        &self,
        by: &Actor,
        name: &str,
        completed_on: Date,
        course: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.authorize(by, Permission::AccountAdmin, None, &[], now)
            .await?;
        repo::insert_training(&self.db, name, completed_on, course, &by.account).await?;
        self.log_access(
            by,
            "training_record",
            &[],
            None,
            &format!("{name} {completed_on} {course}"),
            now,
        )
        .await?;
        Ok(())
    }

    /// Loads an account as an actor if it may act today: exists, is not
    /// disabled, has not expired.
    pub async fn actor_for(
        &self,
        name: &str,
        os_user: &str,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<Actor> {
        let Some(a) = repo::get_account(&self.db, name).await? else {
            return Err(unauthenticated());
        };
        if a.disabled_us.is_some() || a.expires_on.is_some_and(|d| d < crate::local_date(now)) {
            return Err(unauthenticated());
        }
        let insurer = InsurerNumber::parse(&a.insurer_number).map_err(AppError::from)?;
        Ok(Actor {
            account: a.name.clone(),
            role: a.role()?,
            grants: repo::grants_of(&self.db, &a.name).await?,
            os_user: os_user.to_string(),
            client: client.to_string(),
            insurer,
        })
    }

    /// The command line's operator: a named, usable account, logged with the
    /// OS user beside it.
    pub async fn operator(&self, name: &str, os_user: &str, now: OffsetDateTime) -> Result<Actor> {
        match self.actor_for(name, os_user, "cli", now).await {
            Ok(a) => Ok(a),
            Err(e) => {
                let unknown = Actor {
                    account: name.to_string(),
                    role: Role::Contractor,
                    grants: vec![],
                    os_user: os_user.to_string(),
                    client: "cli".into(),
                    insurer: self.insurer.clone(),
                };
                let entry = self.log_entry(
                    &unknown,
                    "sign_in",
                    &[],
                    None,
                    "denied",
                    "operator unknown, disabled or expired",
                    now,
                );
                in_tx!(self.db, |tx| Ok(repo::append(&mut tx, &entry).await?))?;
                Err(e)
            }
        }
    }

    /// Signs in with password and TOTP code. Throttled: after
    /// MAX_FAILED_SIGN_INS failures the account is locked for LOCK_OUT; a
    /// code is accepted once only (no replay).
    pub async fn sign_in(
        &self,
        name: &str,
        password: &str,
        code: &str,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<Actor> {
        let account = repo::get_account(&self.db, name).await?;
        let deny = |reason: &str| LogEntry {
            at_us: to_us(now),
            insurer_number: self.insurer.to_string(),
            account_name: loggable_name(name),
            role: account.as_ref().map(|a| a.role.clone()).unwrap_or_default(),
            os_user: "-".into(),
            client: client.to_string(),
            action: "sign_in".into(),
            subjects: String::new(),
            purpose: String::new(),
            outcome: "denied".into(),
            detail: reason.to_string(),
        };
        let Some(a) = account.clone() else {
            let e = deny("unknown account");
            in_tx!(self.db, |tx| Ok(repo::append(&mut tx, &e).await?))?;
            return Err(unauthenticated());
        };
        let now_us = to_us(now);
        if a.locked_until_us.is_some_and(|until| until > now_us) {
            let e = deny("locked out");
            in_tx!(self.db, |tx| Ok(repo::append(&mut tx, &e).await?))?;
            return Err(AppError::Unauthenticated {
                message_ja: format!(
                    "失敗が続いたため{}までロックされています",
                    from_us(a.locked_until_us.unwrap_or(now_us)).time()
                ),
            });
        }
        let usable =
            a.disabled_us.is_none() && a.expires_on.is_none_or(|d| d >= crate::local_date(now));
        let password_ok = password_matches(&a.password_hash, password);
        let step = match (&a.totp_key_id, &a.totp_sealed) {
            (Some(k), Some(blob)) => {
                let sealed = Sealed {
                    key_id: u32::try_from(*k).unwrap_or(0),
                    blob: blob.clone(),
                };
                let secret = self.keyring.open_bytes(&sealed, &a.name)?;
                totp_for(&a.name, &secret)?.check(
                    code.trim(),
                    u64::try_from(now.unix_timestamp()).unwrap_or(0),
                )
            }
            _ => None,
        };
        let replayed = step.is_some_and(|s| {
            a.last_totp_step
                .is_some_and(|last| i64::try_from(s).unwrap_or(i64::MAX) <= last)
        });
        if !usable || !password_ok || step.is_none() || replayed {
            let failures = a.failed_attempts + 1;
            let locked = (failures >= MAX_FAILED_SIGN_INS).then(|| to_us(now + LOCK_OUT));
            repo::record_sign_in(
                &self.db,
                &a.name,
                if locked.is_some() { 0 } else { failures },
                locked,
                None,
                None,
            )
            .await?;
            let why = if !usable {
                "disabled or expired"
            } else if !password_ok {
                "wrong password"
            } else if replayed {
                "replayed code"
            } else {
                "wrong code"
            };
            let e = deny(why);
            in_tx!(self.db, |tx| Ok(repo::append(&mut tx, &e).await?))?;
            return Err(unauthenticated());
        }
        repo::record_sign_in(
            &self.db,
            &a.name,
            0,
            None,
            Some(now_us),
            step.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
        )
        .await?;
        let actor = self.actor_for(&a.name, "-", client, now).await?;
        self.log_access(&actor, "sign_in", &[], None, "", now)
            .await?;
        Ok(actor)
    }

    /// The current TOTP code of an account (demo databases only, for `kokuho demo`).
    pub async fn demo_totp_code(&self, name: &str, now: OffsetDateTime) -> Result<String> {
        let a = repo::get_account(&self.db, name)
            .await?
            .filter(|a| a.demo)
            .ok_or(AppError::NotFound {
                what: "demo account",
                message_ja: "デモ用の利用者ではありません",
            })?;
        let (Some(k), Some(blob)) = (a.totp_key_id, a.totp_sealed) else {
            return Err(unauthenticated());
        };
        let secret = self.keyring.open_bytes(
            &Sealed {
                key_id: u32::try_from(k).unwrap_or(0),
                blob,
            },
            &a.name,
        )?;
        Ok(totp_for(&a.name, &secret)?
            .generate(u64::try_from(now.unix_timestamp()).unwrap_or(0))
            .to_string())
    }

    /// Checks the whole chain: each record's previous hash is its
    /// predecessor's hash, its own hash matches its fields, and sequence
    /// numbers have no gaps. Names the first broken record.
    pub async fn verify_access_log(&self) -> Result<VerifyReport> {
        let mut expected_prev = repo::genesis_hash();
        let mut expected_seq = 1i64;
        let mut checked = 0u64;
        loop {
            let page = repo::records(&self.db, expected_seq - 1, 10_000).await?;
            let Some(last) = page.last().map(|r| r.seq) else {
                break;
            };
            for r in page {
                let broken = |reason: &str| {
                    Ok(VerifyReport {
                        records: checked,
                        head: None,
                        first_broken: Some((r.seq, reason.to_string())),
                    })
                };
                if r.seq != expected_seq {
                    return broken(&format!(
                        "expected record {expected_seq}, found {} (records missing or inserted)",
                        r.seq
                    ));
                }
                // Records written before the hashes gained their 'h' ends
                // are read in that form.
                if r.prev_hash != expected_prev
                    && kokuho_domain::digest_text::legacy_form(&r.prev_hash)
                        != kokuho_domain::digest_text::legacy_form(&expected_prev)
                {
                    return broken(
                        "its previous-hash does not match the record before it (deleted, inserted or reordered)",
                    );
                }
                let entry = LogEntry {
                    at_us: r.at_us,
                    insurer_number: r.insurer_number.clone(),
                    account_name: r.account_name.clone(),
                    role: r.role.clone(),
                    os_user: r.os_user.clone(),
                    client: r.client.clone(),
                    action: r.action.clone(),
                    subjects: r.subjects.clone(),
                    purpose: r.purpose.clone(),
                    outcome: r.outcome.clone(),
                    detail: r.detail.clone(),
                };
                let computed = repo::chain_hash(&r.prev_hash, r.seq, &entry);
                if computed != r.hash
                    && kokuho_domain::digest_text::legacy_form(&computed) != r.hash
                {
                    return broken("its content does not match its hash (edited)");
                }
                expected_prev = r.hash.clone();
                expected_seq += 1;
                checked += 1;
            }
            if last < expected_seq - 1 {
                break;
            }
        }
        Ok(VerifyReport {
            records: checked,
            head: (checked > 0).then_some((expected_seq - 1, expected_prev)),
            first_broken: None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: u64,
    /// The last record's sequence number and hash, when intact.
    pub head: Option<(i64, String)>,
    pub first_broken: Option<(i64, String)>,
}

/// The demo accounts: one per role, with a shared demo password and TOTP
/// secrets derived from the account name. They exist only in databases made
/// by `kokuho generate` / `kokuho demo` (marked `demo`).
pub const DEMO_PASSWORD: &str = "Yazu-Demo-2026!";

pub const DEMO_ACCOUNTS: [(&str, Role, &str); 7] = [
    ("demo-admin", Role::Administrator, "デモ　管理者"),
    ("demo-clerk", Role::EligibilityClerk, "デモ　資格担当"),
    ("demo-levy", Role::LevyClerk, "デモ　賦課担当"),
    ("demo-benefits", Role::BenefitsClerk, "デモ　給付担当"),
    ("demo-supervisor", Role::Supervisor, "デモ　係長"),
    ("demo-auditor", Role::Auditor, "デモ　監査担当"),
    ("demo-contractor", Role::Contractor, "デモ　委託先"),
];

pub fn demo_totp_secret(name: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(format!("kokuho-demo-totp:{name}").as_bytes())[..20].to_vec()
}

impl Kokuho {
    /// Creates the demo accounts (idempotent); the contractor gets a dated
    /// grant to read the registry for the demo year.
    pub async fn create_demo_accounts(
        &self,
        year_from: Date,
        now: OffsetDateTime,
    ) -> Result<Vec<Enrolment>> {
        let mut out = Vec::new();
        for (name, role, display) in DEMO_ACCOUNTS {
            if repo::get_account(&self.db, name).await?.is_some() {
                continue;
            }
            let until = year_from + Duration::days(364);
            let e = self
                .create_account(
                    None,
                    &NewAccount {
                        name,
                        display_name: display,
                        role,
                        password: DEMO_PASSWORD,
                        expires_on: (role == Role::Contractor).then_some(until),
                        totp_secret: Some(demo_totp_secret(name)),
                        demo: true,
                    },
                    now,
                )
                .await?;
            if role == Role::Contractor {
                repo::insert_grant(
                    &self.db,
                    name,
                    &Grant {
                        permission: Permission::RegistryRead,
                        valid_from: year_from,
                        valid_until: until,
                    },
                )
                .await?;
            }
            out.push(e);
        }
        Ok(out)
    }
}

impl Kokuho {
    /// Records a refusal that is not a missing permission (a forged CSRF
    /// token, for instance).
    pub async fn log_denied(
        &self,
        actor: &Actor,
        action: &str,
        detail: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let entry = self.log_entry(actor, action, &[], None, "denied", detail, now);
        in_tx!(self.db, |tx| Ok(repo::append(&mut tx, &entry).await?)).map(|_| ())
    }
}

/// Web sessions end after this long without a request, and after this long in all.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);

/// A new session: the token goes into the cookie, only its hash is stored.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
}

pub fn session_hash(token: &str) -> String {
    use sha2::Digest;
    kokuho_domain::digest_text::grouped_hex(&sha2::Sha256::digest(token.as_bytes()))
}

fn random_hex() -> String {
    kokuho_domain::digest_text::grouped_hex(&rand_bytes())
}

/// 32 bytes from the OS random generator (via the vault's key generator,
/// which draws from it).
fn rand_bytes() -> [u8; 32] {
    kokuho_vault::random_bytes()
}

/// Compares in time independent of where the inputs differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Kokuho {
    /// Starts a web session for a signed-in actor.
    pub async fn start_session(&self, actor: &Actor, now: OffsetDateTime) -> Result<NewSession> {
        let s = NewSession {
            token: random_hex(),
            csrf_token: random_hex(),
        };
        repo::insert_session(
            &self.db,
            &repo::SessionRow {
                token_hash: session_hash(&s.token),
                account_name: actor.account.clone(),
                csrf_token: s.csrf_token.clone(),
                created_us: to_us(now),
                last_seen_us: to_us(now),
                client: actor.client.clone(),
                ended_us: None,
            },
        )
        .await?;
        Ok(s)
    }

    /// The actor behind a session token (and the session's CSRF token, for
    /// forms), if the session is live: not
    /// ended, not idle too long, not too old, and its account still usable.
    /// A state-changing request must present the session's CSRF token.
    pub async fn resume_session(
        &self,
        token: &str,
        csrf: Option<&str>,
        changes_state: bool,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<(Actor, String)> {
        self.resume(token, csrf, changes_state, client, now, true)
            .await
    }

    /// Like `resume_session` for a read the page makes by itself (a job's
    /// progress): it neither keeps the session alive nor writes anything,
    /// so it answers while a long import holds the database.
    pub async fn peek_session(
        &self,
        token: &str,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<(Actor, String)> {
        self.resume(token, None, false, client, now, false).await
    }

    async fn resume(
        &self,
        token: &str,
        csrf: Option<&str>,
        changes_state: bool,
        client: &str,
        now: OffsetDateTime,
        touch: bool,
    ) -> Result<(Actor, String)> {
        let hash = session_hash(token);
        let Some(s) = repo::get_session(&self.db, &hash).await? else {
            return Err(AppError::Unauthenticated {
                message_ja: "サインインしてください".into(),
            });
        };
        let now_us = to_us(now);
        if s.ended_us.is_some() {
            return Err(AppError::Unauthenticated {
                message_ja: "サインアウト済みです。もう一度サインインしてください".into(),
            });
        }
        if now_us - s.last_seen_us > IDLE_TIMEOUT.whole_microseconds() as i64
            || now_us - s.created_us > ABSOLUTE_TIMEOUT.whole_microseconds() as i64
        {
            if touch {
                repo::end_session(&self.db, &hash, now_us).await?;
            }
            return Err(AppError::Unauthenticated {
                message_ja: "一定時間が経過したため、サインアウトしました".into(),
            });
        }
        let actor = match self.actor_for(&s.account_name, "-", client, now).await {
            Ok(a) => a,
            Err(e) => {
                // A disabled or expired account cannot use an open session.
                repo::end_session(&self.db, &hash, now_us).await?;
                return Err(e);
            }
        };
        if changes_state && !csrf.is_some_and(|c| same(c, &s.csrf_token)) {
            self.log_denied(&actor, "csrf", "missing or wrong CSRF token", now)
                .await?;
            return Err(AppError::Forbidden {
                permission: "csrf",
                message_ja: "画面を開き直してから操作してください（CSRF）".into(),
            });
        }
        if touch {
            repo::touch_session(&self.db, &hash, now_us).await?;
        }
        Ok((actor, s.csrf_token))
    }

    pub async fn end_session(&self, token: &str, actor: &Actor, now: OffsetDateTime) -> Result<()> {
        repo::end_session(&self.db, &session_hash(token), to_us(now)).await?;
        self.log_access(actor, "sign_out", &[], None, "", now)
            .await
            .map(|_| ())
    }
}

/// The setting that keeps handlers overdue for training away from personal data.
pub const BLOCK_UNTRAINED: &str = "block_untrained_handlers";

impl Kokuho {
    /// Whether the town blocks handlers overdue for training, and this one is.
    async fn training_blocks(&self, actor: &Actor, p: Permission, today: Date) -> Result<bool> {
        if matches!(
            p,
            Permission::AccountAdmin | Permission::SystemRead | Permission::AuditRead
        ) {
            return Ok(false);
        }
        if repo::setting(&self.db, &self.insurer, BLOCK_UNTRAINED)
            .await?
            .as_deref()
            != Some("true")
        {
            return Ok(false);
        }
        let last = repo::last_training(&self.db, &actor.account).await?;
        Ok(last.is_none_or(|d| d < today - Duration::days(crate::audit::TRAINING_VALID_DAYS)))
    }

    /// Changes a setting (administrators); logged.
    pub async fn set_setting(
        &self,
        by: &Actor,
        name: &str,
        value: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.authorize(by, Permission::AccountAdmin, None, &[], now)
            .await?;
        let ok = match name {
            BLOCK_UNTRAINED | crate::benefit::SIMPLIFIED_ROUTE => matches!(value, "true" | "false"),
            crate::retention::REMOVED_PERSON_YEARS => {
                value.parse::<i32>().is_ok_and(|y| (1..=150).contains(&y))
            }
            crate::retention::SESSION_DAYS => {
                value.parse::<i64>().is_ok_and(|d| (1..=3650).contains(&d))
            }
            _ => false,
        };
        if !ok {
            return Err(AppError::invalid(
                "setting",
                "settings: block_untrained_handlers = true|false, high_cost_simplified_route = true|false, retention_removed_person_years = 1..150, retention_session_days = 1..3650",
                "設定できる項目: block_untrained_handlers（true / false）、high_cost_simplified_route（true / false）、retention_removed_person_years（年数）、retention_session_days（日数）",
            ));
        }
        repo::set_setting(&self.db, &self.insurer, name, value, &by.account).await?;
        self.log_access(by, "setting", &[], None, &format!("{name} = {value}"), now)
            .await
            .map(|_| ())
    }
}

impl Kokuho {
    /// Gives an account a new TOTP secret (lost phone); shown once.
    pub async fn reset_totp(
        &self,
        by: &Actor,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<Enrolment> {
        self.authorize(by, Permission::AccountAdmin, None, &[], now)
            .await?;
        let secret = Secret::generate().as_bytes().to_vec();
        let sealed = self.keyring.seal_bytes(&secret, name)?;
        if !repo::set_totp(&self.db, name, i64::from(sealed.key_id), &sealed.blob).await? {
            return Err(AppError::NotFound {
                what: "account",
                message_ja: "該当する利用者がありません",
            });
        }
        self.log_access(by, "account_reset_totp", &[], None, name, now)
            .await?;
        let base32 = Secret::from(secret).to_base32();
        Ok(Enrolment {
            account: name.to_string(),
            otpauth_url: format!(
                "otpauth://totp/kokuho:{name}?secret={base32}&issuer=kokuho&algorithm=SHA1&digits=6&period=30"
            ),
            totp_secret_base32: base32,
        })
    }

    /// Records an incident concerning specific personal information.
    pub async fn record_incident(
        &self,
        by: &Actor,
        id: &str,
        occurred_on: Date,
        serious: bool,
        summary: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.authorize(by, Permission::AccountAdmin, None, &[], now)
            .await?;
        if id.trim().is_empty() || summary.trim().is_empty() {
            return Err(AppError::invalid(
                "incident",
                "an incident needs an id and a summary",
                "事故の番号と概要を入力してください",
            ));
        }
        repo::insert_incident(
            &self.db,
            &self.insurer,
            &repo::IncidentRow {
                incident_id: id.trim().to_string(),
                occurred_on,
                serious,
                summary: summary.trim().to_string(),
                recorded_by: by.account.clone(),
                recorded_us: to_us(now),
            },
        )
        .await?;
        self.log_access(
            by,
            "incident_record",
            &[],
            None,
            &format!("{id} {occurred_on} serious={serious}"),
            now,
        )
        .await
        .map(|_| ())
    }
}

/// What of a typed account name may go into the log: a name of the allowed
/// characters that is not a My Number (someone may type one by mistake).
fn loggable_name(name: &str) -> String {
    let fits = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if fits && crate::leak_scan::count_my_numbers(name.as_bytes()) == 0 {
        name.to_string()
    } else {
        "(not an account name)".to_string()
    }
}

impl Kokuho {
    /// Sets a new password for an account (recovery by an administrator);
    /// the policy applies and failed-attempt counters are cleared.
    pub async fn reset_password(
        &self,
        by: &Actor,
        name: &str,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.authorize(by, Permission::AccountAdmin, None, &[], now)
            .await?;
        access::check_password_policy(name, password).map_err(|ja| {
            AppError::invalid("password", "the password does not meet the policy", ja)
        })?;
        if !repo::set_password(&self.db, name, &hash_password(password)?).await? {
            return Err(AppError::NotFound {
                what: "account",
                message_ja: "該当する利用者がありません",
            });
        }
        self.log_access(by, "account_reset_password", &[], None, name, now)
            .await
            .map(|_| ())
    }
}
