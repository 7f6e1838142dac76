//! Accounts, grants, training records, sessions and the hash-chained access
//! log (アクセス記録).

use kokuho_domain::access::{Grant, Permission, Role};
use kokuho_domain::id::InsurerNumber;
use sha2::{Digest, Sha256};
use time::Date;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRow {
    pub name: String,
    pub insurer_number: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub totp_key_id: Option<i64>,
    pub totp_sealed: Option<Vec<u8>>,
    pub disabled_us: Option<i64>,
    pub expires_on: Option<Date>,
    pub failed_attempts: i64,
    pub locked_until_us: Option<i64>,
    pub last_sign_in_us: Option<i64>,
    pub last_totp_step: Option<i64>,
    pub created_us: i64,
    pub demo: bool,
}

impl AccountRow {
    pub fn role(&self) -> Result<Role> {
        Role::from_code(&self.role)
            .ok_or_else(|| StoreError::corrupt("account", "role", &self.role))
    }
}

const ACCOUNT_COLUMNS: &str = "name, insurer_number, display_name, role, password_hash, totp_key_id, totp_sealed, \
    disabled_us, expires_on, failed_attempts, locked_until_us, last_sign_in_us, last_totp_step, created_us, demo";

pub async fn insert_account(tx: &mut Tx, a: &AccountRow) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO account ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        )))
        .bind(a.name.clone())
        .bind(a.insurer_number.clone())
        .bind(a.display_name.clone())
        .bind(a.role.clone())
        .bind(a.password_hash.clone())
        .bind(a.totp_key_id)
        .bind(a.totp_sealed.clone())
        .bind(a.disabled_us)
        .bind(a.expires_on)
        .bind(a.failed_attempts)
        .bind(a.locked_until_us)
        .bind(a.last_sign_in_us)
        .bind(a.last_totp_step)
        .bind(a.created_us)
        .bind(a.demo)
        .execute(c)
        .await?;
    });
    Ok(())
}

pub async fn get_account(db: &Db, name: &str) -> Result<Option<AccountRow>> {
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(
        format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE name = $1")
    ))
    .bind(name.to_string())
    .fetch_optional(p)
    .await?))
}

pub async fn list_accounts(db: &Db) -> Result<Vec<AccountRow>> {
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(
        format!("SELECT {ACCOUNT_COLUMNS} FROM account ORDER BY name")
    ))
    .fetch_all(p)
    .await?))
}

/// Records the outcome of a sign-in attempt: failures count up and may lock
/// the account until a time; a success clears them.
pub async fn record_sign_in(
    db: &Db,
    name: &str,
    failed_attempts: i64,
    locked_until_us: Option<i64>,
    signed_in_us: Option<i64>,
    totp_step: Option<i64>,
) -> Result<()> {
    with_db!(db, |p| {
        sqlx::query(
            "UPDATE account SET failed_attempts = $1, locked_until_us = $2, \
             last_sign_in_us = COALESCE($3, last_sign_in_us), last_totp_step = COALESCE($4, last_totp_step) WHERE name = $5",
        )
        .bind(failed_attempts)
        .bind(locked_until_us)
        .bind(signed_in_us)
        .bind(totp_step)
        .bind(name.to_string())
        .execute(p)
        .await?;
    });
    Ok(())
}

pub async fn set_disabled(db: &Db, name: &str, disabled_us: Option<i64>) -> Result<bool> {
    let n = with_db!(db, |p| sqlx::query(
        "UPDATE account SET disabled_us = $1 WHERE name = $2"
    )
    .bind(disabled_us)
    .bind(name.to_string())
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
}

pub async fn set_password(db: &Db, name: &str, hash: &str) -> Result<bool> {
    let n = with_db!(db, |p| {
        sqlx::query(
        "UPDATE account SET password_hash = $1, failed_attempts = 0, locked_until_us = NULL WHERE name = $2"
    )
    .bind(hash.to_string())
    .bind(name.to_string())
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

pub async fn set_totp(db: &Db, name: &str, key_id: i64, sealed: &[u8]) -> Result<bool> {
    let n = with_db!(db, |p| {
        sqlx::query(
        "UPDATE account SET totp_key_id = $1, totp_sealed = $2, last_totp_step = NULL WHERE name = $3"
    )
    .bind(key_id)
    .bind(sealed.to_vec())
    .bind(name.to_string())
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

pub async fn insert_grant(db: &Db, account: &str, g: &Grant) -> Result<()> {
    with_db!(db, |p| {
        sqlx::query("INSERT INTO account_grant (account_name, permission, valid_from, valid_until) VALUES ($1, $2, $3, $4)")
            .bind(account.to_string())
            .bind(g.permission.code())
            .bind(g.valid_from)
            .bind(g.valid_until)
            .execute(p)
            .await?;
    });
    Ok(())
}

pub async fn grants_of(db: &Db, account: &str) -> Result<Vec<Grant>> {
    let rows: Vec<(String, Date, Date)> = with_db!(db, |p| {
        sqlx::query_as(
        "SELECT permission, valid_from, valid_until FROM account_grant WHERE account_name = $1 ORDER BY valid_from"
    )
    .bind(account.to_string())
    .fetch_all(p)
    .await?
    });
    rows.into_iter()
        .map(|(perm, from, until)| {
            Ok(Grant {
                permission: Permission::from_code(&perm)
                    .ok_or_else(|| StoreError::corrupt("account_grant", "permission", &perm))?,
                valid_from: from,
                valid_until: until,
            })
        })
        .collect()
}

pub async fn insert_training(
    db: &Db,
    account: &str,
    completed_on: Date,
    course: &str,
    by: &str,
) -> Result<()> {
    with_db!(db, |p| {
        sqlx::query("INSERT INTO training_record (account_name, completed_on, course, recorded_by) VALUES ($1, $2, $3, $4)")
            .bind(account.to_string())
            .bind(completed_on)
            .bind(course.to_string())
            .bind(by.to_string())
            .execute(p)
            .await?;
    });
    Ok(())
}

pub async fn last_training(db: &Db, account: &str) -> Result<Option<Date>> {
    Ok(with_db!(db, |p| sqlx::query_scalar(
        "SELECT MAX(completed_on) FROM training_record WHERE account_name = $1"
    )
    .bind(account.to_string())
    .fetch_one(p)
    .await?))
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub account_name: String,
    pub csrf_token: String,
    pub created_us: i64,
    pub last_seen_us: i64,
    pub client: String,
    pub ended_us: Option<i64>,
}

pub async fn insert_session(db: &Db, s: &SessionRow) -> Result<()> {
    with_db!(db, |p| {
        sqlx::query(
            "INSERT INTO session (token_hash, account_name, csrf_token, created_us, last_seen_us, client, ended_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(s.token_hash.clone())
        .bind(s.account_name.clone())
        .bind(s.csrf_token.clone())
        .bind(s.created_us)
        .bind(s.last_seen_us)
        .bind(s.client.clone())
        .bind(s.ended_us)
        .execute(p)
        .await?;
    });
    Ok(())
}

pub async fn get_session(db: &Db, token_hash: &str) -> Result<Option<SessionRow>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT token_hash, account_name, csrf_token, created_us, last_seen_us, client, ended_us FROM session WHERE token_hash = $1"
    )
    .bind(token_hash.to_string())
    .fetch_optional(p)
    .await?
    }))
}

pub async fn touch_session(db: &Db, token_hash: &str, at_us: i64) -> Result<()> {
    with_db!(db, |p| {
        sqlx::query("UPDATE session SET last_seen_us = $1 WHERE token_hash = $2")
            .bind(at_us)
            .bind(token_hash.to_string())
            .execute(p)
            .await?;
    });
    Ok(())
}

pub async fn end_session(db: &Db, token_hash: &str, at_us: i64) -> Result<()> {
    with_db!(db, |p| {
        sqlx::query("UPDATE session SET ended_us = $1 WHERE token_hash = $2 AND ended_us IS NULL")
            .bind(at_us)
            .bind(token_hash.to_string())
            .execute(p)
            .await?;
    });
    Ok(())
}

/// One access-log record, before it is chained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub at_us: i64,
    pub insurer_number: String,
    pub account_name: String,
    pub role: String,
    pub os_user: String,
    pub client: String,
    pub action: String,
    /// 宛名番号 of the persons touched, comma-separated (never a My Number)
    pub subjects: String,
    pub purpose: String,
    /// allowed or denied
    pub outcome: String,
    pub detail: String,
}

/// A chained record as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LogRecord {
    pub seq: i64,
    pub at_us: i64,
    pub insurer_number: String,
    pub account_name: String,
    pub role: String,
    pub os_user: String,
    pub client: String,
    pub action: String,
    pub subjects: String,
    pub purpose: String,
    pub outcome: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash before the first record.
pub fn genesis_hash() -> String {
    kokuho_domain::digest_text::grouped_hex(&Sha256::digest(b"kokuho access log v1"))
}

/// SHA-256 over the previous hash and every field, each length-prefixed so
/// no two records can serialise alike. Checkable outside Rust.
pub fn chain_hash(prev_hash: &str, seq: i64, e: &LogEntry) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    field(prev_hash);
    field(&seq.to_string());
    field(&e.at_us.to_string());
    field(&e.insurer_number);
    field(&e.account_name);
    field(&e.role);
    field(&e.os_user);
    field(&e.client);
    field(&e.action);
    field(&e.subjects);
    field(&e.purpose);
    field(&e.outcome);
    field(&e.detail);
    kokuho_domain::digest_text::grouped_hex(&h.finalize())
}

const LOG_COLUMNS: &str = "seq, at_us, insurer_number, account_name, role, os_user, client, action, subjects, purpose, \
    outcome, detail, prev_hash, hash";

/// Appends a record to the chain inside the caller's transaction. On
/// PostgreSQL an advisory lock serialises appenders; SQLite's write lock
/// (BEGIN IMMEDIATE) already does.
pub async fn append(tx: &mut Tx, e: &LogEntry) -> Result<LogRecord> {
    if let Tx::Pg(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7461636)")
            .execute(&mut **t)
            .await?;
    }
    let last: Option<(i64, String)> = with_tx!(tx, |c| sqlx::query_as(
        "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1"
    )
    .fetch_optional(c)
    .await?);
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, genesis_hash()),
    };
    let hash = chain_hash(&prev_hash, seq, e);
    let record = LogRecord {
        seq,
        at_us: e.at_us,
        insurer_number: e.insurer_number.clone(),
        account_name: e.account_name.clone(),
        role: e.role.clone(),
        os_user: e.os_user.clone(),
        client: e.client.clone(),
        action: e.action.clone(),
        subjects: e.subjects.clone(),
        purpose: e.purpose.clone(),
        outcome: e.outcome.clone(),
        detail: e.detail.clone(),
        prev_hash,
        hash,
    };
    with_tx!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO access_log ({LOG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        )))
        .bind(record.seq)
        .bind(record.at_us)
        .bind(record.insurer_number.clone())
        .bind(record.account_name.clone())
        .bind(record.role.clone())
        .bind(record.os_user.clone())
        .bind(record.client.clone())
        .bind(record.action.clone())
        .bind(record.subjects.clone())
        .bind(record.purpose.clone())
        .bind(record.outcome.clone())
        .bind(record.detail.clone())
        .bind(record.prev_hash.clone())
        .bind(record.hash.clone())
        .execute(c)
        .await?;
    });
    Ok(record)
}

/// Records in order, from `after_seq` on, `limit` at a time (for verification
/// and reports).
pub async fn records(db: &Db, after_seq: i64, limit: i64) -> Result<Vec<LogRecord>> {
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(
        format!("SELECT {LOG_COLUMNS} FROM access_log WHERE seq > $1 ORDER BY seq LIMIT $2")
    ))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(p)
    .await?))
}

/// Records of an insurer in a time range (for the self-inspection), or
/// touching one person (disclosure).
pub async fn records_between(
    db: &Db,
    insurer: &InsurerNumber,
    from_us: i64,
    to_us: i64,
) -> Result<Vec<LogRecord>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOG_COLUMNS} FROM access_log WHERE insurer_number = $1 AND at_us >= $2 AND at_us < $3 ORDER BY seq"
    )))
    .bind(insurer.as_str().to_string())
    .bind(from_us)
    .bind(to_us)
    .fetch_all(p)
    .await?
    }))
}

pub async fn last_record(db: &Db) -> Result<Option<LogRecord>> {
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(
        format!("SELECT {LOG_COLUMNS} FROM access_log ORDER BY seq DESC LIMIT 1")
    ))
    .fetch_optional(p)
    .await?))
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentRow {
    pub incident_id: String,
    pub occurred_on: Date,
    pub serious: bool,
    pub summary: String,
    pub recorded_by: String,
    pub recorded_us: i64,
}

pub async fn insert_incident(db: &Db, insurer: &InsurerNumber, i: &IncidentRow) -> Result<()> {
    with_db!(db, |p| {
        sqlx::query(
            "INSERT INTO incident (insurer_number, incident_id, occurred_on, serious, summary, recorded_by, recorded_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(insurer.as_str().to_string())
        .bind(i.incident_id.clone())
        .bind(i.occurred_on)
        .bind(i.serious)
        .bind(i.summary.clone())
        .bind(i.recorded_by.clone())
        .bind(i.recorded_us)
        .execute(p)
        .await?;
    });
    Ok(())
}

pub async fn incidents_since(
    db: &Db,
    insurer: &InsurerNumber,
    since: Date,
) -> Result<Vec<IncidentRow>> {
    Ok(with_db!(db, |p| sqlx::query_as(
        "SELECT incident_id, occurred_on, serious, summary, recorded_by, recorded_us FROM incident \
         WHERE insurer_number = $1 AND occurred_on >= $2 ORDER BY occurred_on"
    )
    .bind(insurer.as_str().to_string())
    .bind(since)
    .fetch_all(p)
    .await?))
}

/// How many persons the vault holds a number for (the persons in the
/// specific personal information files).
pub async fn persons_with_number(db: &Db, insurer: &InsurerNumber) -> Result<i64> {
    Ok(with_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM my_number_vault WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(p)
    .await?))
}

/// Records whose subjects include a person (for a disclosure request).
pub async fn records_about(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<LogRecord>> {
    let pattern = format!("%{addressee_id}%");
    let rows: Vec<LogRecord> = with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOG_COLUMNS} FROM access_log WHERE insurer_number = $1 AND subjects LIKE $2 ORDER BY seq"
    )))
    .bind(insurer.as_str().to_string())
    .bind(pattern)
    .fetch_all(p)
    .await?
    });
    // The LIKE is a pre-filter; keep exact matches of the comma-separated list.
    Ok(rows
        .into_iter()
        .filter(|r| r.subjects.split(',').any(|s| s == addressee_id))
        .collect())
}

pub async fn setting(db: &Db, insurer: &InsurerNumber, name: &str) -> Result<Option<String>> {
    Ok(with_db!(db, |p| sqlx::query_scalar(
        "SELECT value FROM setting WHERE insurer_number = $1 AND name = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(name.to_string())
    .fetch_optional(p)
    .await?))
}

pub async fn set_setting(
    db: &Db,
    insurer: &InsurerNumber,
    name: &str,
    value: &str,
    by: &str,
) -> Result<()> {
    with_db!(db, |p| {
        sqlx::query(
            "INSERT INTO setting (insurer_number, name, value, changed_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (insurer_number, name) DO UPDATE SET value = excluded.value, changed_by = excluded.changed_by",
        )
        .bind(insurer.as_str().to_string())
        .bind(name.to_string())
        .bind(value.to_string())
        .bind(by.to_string())
        .execute(p)
        .await?;
    });
    Ok(())
}

/// Sessions ended or idle since before a time (retention).
pub async fn old_sessions(db: &Db, before_us: i64) -> Result<i64> {
    Ok(with_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM session WHERE COALESCE(ended_us, last_seen_us) < $1"
    )
    .bind(before_us)
    .fetch_one(p)
    .await?))
}

pub async fn delete_old_sessions(tx: &mut Tx, before_us: i64) -> Result<u64> {
    Ok(with_tx!(tx, |c| sqlx::query(
        "DELETE FROM session WHERE COALESCE(ended_us, last_seen_us) < $1"
    )
    .bind(before_us)
    .execute(c)
    .await?
    .rows_affected()))
}
