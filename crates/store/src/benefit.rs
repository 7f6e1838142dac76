//! Benefit applications and their decisions (給付の申請・決定), payment
//! runs and their transfers (支払), and the town's bank contract the
//! transfer file is written for.
//!
//! What the database itself guarantees: a second live application for one
//! event is refused (`benefit_application_event`), and a benefit is pending
//! or paid in at most one run (`payment_once`) — so a run made twice, or two
//! runs made at once, never pay one benefit twice.

use kokuho_domain::id::InsurerNumber;
use time::Date;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ApplicationRow {
    pub application_id: i64,
    pub kind: String,
    pub subtype: Option<String>,
    pub addressee_id: String,
    pub household_number: Option<String>,
    pub event_on: Date,
    pub event_key: String,
    pub facts: String,
    pub received_on: Date,
    pub applicant: String,
    pub documents: String,
    pub payee_id: String,
    pub application_account: bool,
    /// entitled | heir | proxy
    pub payee_basis: String,
    /// the person the law pays (the householder, whoever held the funeral)
    pub entitled_id: Option<String>,
    /// a decision to pay revoked before any money went
    pub revoked_on: Option<Date>,
    pub revoked_us: Option<i64>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    pub amount: i64,
    pub basis: String,
    pub rule: String,
    pub provisional: bool,
    pub received_us: i64,
    pub received_by: String,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_on: Option<Date>,
    pub decided_us: Option<i64>,
    pub decided_by: Option<String>,
}

const APPLICATION_COLUMNS: &str = "application_id, kind, subtype, addressee_id, household_number, event_on, \
    event_key, facts, received_on, applicant, documents, payee_id, application_account, amount, basis, rule, \
    provisional, received_us, received_by, decision, decision_reason, decided_on, decided_us, decided_by, \
    payee_basis, entitled_id, revoked_on, revoked_us, revoked_by, revoke_reason";

pub async fn next_application_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    crate::db::lock_ids(tx, 7_461_640).await?;
    Ok(with_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT COALESCE(MAX(application_id), 0) + 1 FROM benefit_application WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?
    }))
}

/// The live application (awaiting its decision, or decided to pay) for an
/// event, if any.
pub async fn live_for_event(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    event_key: &str,
) -> Result<Option<i64>> {
    Ok(with_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT application_id FROM benefit_application WHERE insurer_number = $1 AND event_key = $2 \
         AND (decision IS NULL OR decision = 'pay')"
    )
    .bind(insurer.as_str().to_string())
    .bind(event_key.to_string())
    .fetch_optional(c)
    .await?
    }))
}

/// Keeps an application; a second live one for the same event is refused
/// by the database as `Duplicate`.
pub async fn insert_application(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    r: &ApplicationRow,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO benefit_application (insurer_number, {APPLICATION_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
         $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)"
    );
    let done = with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(r.application_id)
        .bind(r.kind.clone())
        .bind(r.subtype.clone())
        .bind(r.addressee_id.clone())
        .bind(r.household_number.clone())
        .bind(r.event_on)
        .bind(r.event_key.clone())
        .bind(r.facts.clone())
        .bind(r.received_on)
        .bind(r.applicant.clone())
        .bind(r.documents.clone())
        .bind(r.payee_id.clone())
        .bind(r.application_account)
        .bind(r.amount)
        .bind(r.basis.clone())
        .bind(r.rule.clone())
        .bind(r.provisional)
        .bind(r.received_us)
        .bind(r.received_by.clone())
        .bind(r.decision.clone())
        .bind(r.decision_reason.clone())
        .bind(r.decided_on)
        .bind(r.decided_us)
        .bind(r.decided_by.clone())
        .bind(r.payee_basis.clone())
        .bind(r.entitled_id.clone())
        .bind(r.revoked_on)
        .bind(r.revoked_us)
        .bind(r.revoked_by.clone())
        .bind(r.revoke_reason.clone())
        .execute(c)
        .await
        .map(|_| ()));
    match done {
        // the event's index only: an id taken at the same moment is another error
        Err(sqlx::Error::Database(e))
            if e.is_unique_violation()
                && (e.constraint() == Some("benefit_application_event")
                    || e.message().contains("event_key")) =>
        {
            Err(StoreError::Duplicate {
                what: "application for the same event",
            })
        }
        other => Ok(other?),
    }
}

pub async fn application(
    db: &Db,
    insurer: &InsurerNumber,
    application_id: i64,
) -> Result<Option<ApplicationRow>> {
    let sql = format!(
        "SELECT {APPLICATION_COLUMNS} FROM benefit_application WHERE insurer_number = $1 AND application_id = $2"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(application_id)
        .fetch_optional(p)
        .await?))
}

/// Applications awaiting a decision, the oldest first; `limit` at most.
pub async fn awaiting_decision(
    db: &Db,
    insurer: &InsurerNumber,
    limit: i64,
) -> Result<Vec<ApplicationRow>> {
    let sql = format!(
        "SELECT {APPLICATION_COLUMNS} FROM benefit_application WHERE insurer_number = $1 \
         AND decision IS NULL ORDER BY received_on, application_id LIMIT $2"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(limit)
        .fetch_all(p)
        .await?))
}

/// A person's applications, as the insured person, the payee or the person the law pays, the
/// latest first.
pub async fn of_person(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<ApplicationRow>> {
    let sql = format!(
        "SELECT {APPLICATION_COLUMNS} FROM benefit_application WHERE insurer_number = $1 \
         AND (addressee_id = $2 OR payee_id = $2 OR entitled_id = $2) ORDER BY application_id DESC"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .fetch_all(p)
        .await?))
}

/// Records a decision on an application still awaiting one; 0 when it was
/// already decided (by someone else meanwhile).
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    application_id: i64,
    decision: &str,
    reason: Option<&str>,
    decided_on: Date,
    at_us: i64,
    by: &str,
) -> Result<u64> {
    Ok(with_tx!(tx, |c| sqlx::query(
        "UPDATE benefit_application SET decision = $1, decision_reason = $2, decided_on = $3, \
         decided_us = $4, decided_by = $5 WHERE insurer_number = $6 AND application_id = $7 \
         AND decision IS NULL"
    )
    .bind(decision.to_string())
    .bind(reason.map(str::to_string))
    .bind(decided_on)
    .bind(at_us)
    .bind(by.to_string())
    .bind(insurer.as_str().to_string())
    .bind(application_id)
    .execute(c)
    .await?
    .rows_affected()))
}

/// Where each application stands in payment: the outcome of its latest
/// transfer (pending, paid, returned, cancelled) and that run.
pub async fn payment_states(
    db: &Db,
    insurer: &InsurerNumber,
    application_ids: &[i64],
) -> Result<Vec<(i64, i64, String)>> {
    let mut out = Vec::new();
    for chunk in application_ids.chunks(500) {
        let marks = (0..chunk.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT application_id, run_id, outcome FROM payment WHERE insurer_number = $1 \
             AND application_id IN ({marks}) ORDER BY application_id, run_id"
        );
        let rows: Vec<(i64, i64, String)> = with_db!(db, |p| {
            let mut q =
                sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(insurer.as_str().to_string());
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

// ---------------------------------------------------------------- runs

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RunRow {
    pub run_id: i64,
    pub due_by: Date,
    pub pay_on: Date,
    pub status: String,
    pub transfers: i64,
    pub total: i64,
    pub without_account: i64,
    /// decided benefits held back because the payee has died since
    pub payee_died: i64,
    pub file_sha256: Option<String>,
    pub file_bytes: Option<i64>,
    pub created_us: i64,
    pub created_by: String,
    pub approved_us: Option<i64>,
    pub approved_by: Option<String>,
    pub cancelled_us: Option<i64>,
    pub cancelled_by: Option<String>,
    pub written_us: Option<i64>,
    pub written_by: Option<String>,
    pub settled_us: Option<i64>,
    pub settled_by: Option<String>,
}

const RUN_COLUMNS: &str = "run_id, due_by, pay_on, status, transfers, total, without_account, file_sha256, \
    file_bytes, created_us, created_by, approved_us, approved_by, cancelled_us, cancelled_by, written_us, \
    written_by, settled_us, settled_by, payee_died";

pub async fn next_run_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    crate::db::lock_ids(tx, 7_461_641).await?;
    Ok(with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COALESCE(MAX(run_id), 0) + 1 FROM payment_run WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?))
}

pub async fn insert_run(tx: &mut Tx, insurer: &InsurerNumber, r: &RunRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO payment_run (insurer_number, {RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
         $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(r.run_id)
        .bind(r.due_by)
        .bind(r.pay_on)
        .bind(r.status.clone())
        .bind(r.transfers)
        .bind(r.total)
        .bind(r.without_account)
        .bind(r.file_sha256.clone())
        .bind(r.file_bytes)
        .bind(r.created_us)
        .bind(r.created_by.clone())
        .bind(r.approved_us)
        .bind(r.approved_by.clone())
        .bind(r.cancelled_us)
        .bind(r.cancelled_by.clone())
        .bind(r.written_us)
        .bind(r.written_by.clone())
        .bind(r.settled_us)
        .bind(r.settled_by.clone())
        .bind(r.payee_died)
        .execute(c)
        .await
        .map(|_| ())?);
    Ok(())
}

pub async fn run(db: &Db, insurer: &InsurerNumber, run_id: i64) -> Result<Option<RunRow>> {
    let sql =
        format!("SELECT {RUN_COLUMNS} FROM payment_run WHERE insurer_number = $1 AND run_id = $2");
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(run_id)
        .fetch_optional(p)
        .await?))
}

/// The runs, the latest first; `limit` at most.
pub async fn runs(db: &Db, insurer: &InsurerNumber, limit: i64) -> Result<Vec<RunRow>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM payment_run WHERE insurer_number = $1 ORDER BY run_id DESC LIMIT $2"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(limit)
        .fetch_all(p)
        .await?))
}

/// The account a benefit is paid into: the payee's current 公金受取口座
/// unless they chose the application's account, else the current
/// application account (the rule `payment_account::account_for_payment`
/// states, here as SQL so a run of 100,000 is one statement).
const ACCOUNT_OF: &str = "CASE WHEN a.application_account THEN \
    (SELECT x.account_id FROM bank_account x WHERE x.insurer_number = a.insurer_number \
     AND x.addressee_id = a.payee_id AND x.source = 'application' AND x.ended_us IS NULL \
     ORDER BY x.account_id DESC LIMIT 1) \
    ELSE COALESCE( \
    (SELECT x.account_id FROM bank_account x WHERE x.insurer_number = a.insurer_number \
     AND x.addressee_id = a.payee_id AND x.source = 'public_funds' AND x.ended_us IS NULL \
     ORDER BY x.account_id DESC LIMIT 1), \
    (SELECT x.account_id FROM bank_account x WHERE x.insurer_number = a.insurer_number \
     AND x.addressee_id = a.payee_id AND x.source = 'application' AND x.ended_us IS NULL \
     ORDER BY x.account_id DESC LIMIT 1)) END";

/// Decided benefits due by a day that are neither pending nor paid in any
/// run.
const DUE: &str = "a.insurer_number = $1 AND a.decision = 'pay' AND a.decided_on <= $2 \
    AND NOT EXISTS (SELECT 1 FROM payment q WHERE q.insurer_number = a.insurer_number \
    AND q.application_id = a.application_id AND q.outcome IN ('pending', 'paid'))";

/// The payee has died, as `death_of` reads it: an NHI loss for death, or a
/// registry-feed death whose proposal a clerk did not reject.
const PAYEE_DIED: &str = "(EXISTS (SELECT 1 FROM eligibility_version d \
    WHERE d.insurer_number = a.insurer_number AND d.addressee_id = a.payee_id \
    AND d.loss_reason = 'death' AND d.superseded_us IS NULL AND NOT d.voided) \
    OR EXISTS (SELECT 1 FROM registry_event e WHERE e.insurer_number = a.insurer_number \
    AND e.addressee_id = a.payee_id AND e.event_type = 'death' AND NOT EXISTS ( \
    SELECT 1 FROM eligibility_proposal p WHERE p.insurer_number = e.insurer_number \
    AND p.event_id = e.event_id AND p.status = 'rejected')))";

/// What a gather put in a run and held back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gathered {
    pub transfers: i64,
    pub total: i64,
    /// payable benefits left out for want of an account
    pub without_account: i64,
    /// decided benefits held back because the payee has died since (the
    /// heir applies instead)
    pub payee_died: i64,
}

/// Puts every payable benefit due by `due_by` whose payee is alive and has
/// an account into run `run_id`, in application order, the account as it
/// is now.
pub async fn gather(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    run_id: i64,
    due_by: Date,
) -> Result<Gathered> {
    let insert = format!(
        "INSERT INTO payment (insurer_number, run_id, application_id, line, payee_id, account_id, \
         bank_code, branch_code, account_type, number, holder_transfer, amount, outcome) \
         SELECT t.insurer_number, $3, t.application_id, \
         ROW_NUMBER() OVER (ORDER BY t.application_id), t.payee_id, b.account_id, b.bank_code, \
         b.branch_code, b.account_type, b.number, b.holder_transfer, t.amount, 'pending' \
         FROM (SELECT a.insurer_number, a.application_id, a.payee_id, a.amount, ({ACCOUNT_OF}) AS account_id \
               FROM benefit_application a WHERE {DUE} AND NOT {PAYEE_DIED}) t \
         JOIN bank_account b ON b.insurer_number = t.insurer_number AND b.account_id = t.account_id"
    );
    let left = format!(
        "SELECT COUNT(*) FROM benefit_application a WHERE {DUE} AND NOT {PAYEE_DIED} \
         AND ({ACCOUNT_OF}) IS NULL"
    );
    let died = format!("SELECT COUNT(*) FROM benefit_application a WHERE {DUE} AND {PAYEE_DIED}");
    let totals = "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment \
                  WHERE insurer_number = $1 AND run_id = $2";
    let ins = insurer.as_str().to_string();
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(insert))
        .bind(ins.clone())
        .bind(due_by)
        .bind(run_id)
        .execute(&mut *c)
        .await
        .map(|_| ())?);
    let without: i64 = with_tx!(tx, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(left))
        .bind(ins.clone())
        .bind(due_by)
        .fetch_one(&mut *c)
        .await?);
    let payee_died: i64 = with_tx!(tx, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(died))
        .bind(ins.clone())
        .bind(due_by)
        .fetch_one(&mut *c)
        .await?);
    let (n, total): (i64, i64) = with_tx!(tx, |c| sqlx::query_as(totals)
        .bind(ins.clone())
        .bind(run_id)
        .fetch_one(&mut *c)
        .await?);
    Ok(Gathered {
        transfers: n,
        total,
        without_account: without,
        payee_died,
    })
}

/// Moves a run from one of `from` to `to`, stamping the matching columns
/// (`approved`, `cancelled`, `written`, `settled`); 0 when the run was in
/// none of `from`.
#[allow(clippy::too_many_arguments)]
pub async fn set_status(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    run_id: i64,
    from: &[&str],
    to: &str,
    stamp: &str,
    at_us: i64,
    by: &str,
) -> Result<u64> {
    let stamp = match stamp {
        "approved" | "cancelled" | "written" | "settled" => stamp,
        _ => return Err(StoreError::NotFound { what: "run stamp" }),
    };
    // A sent run stays sent when transfers come back: it keeps who marked
    // it sent (the transfers say who returned them).
    let keep = stamp == "settled" && to == "sent" && from == ["sent"];
    let froms = from
        .iter()
        .filter(|s| s.chars().all(|c| c.is_ascii_lowercase()))
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sets = if keep {
        // the same values again, binds kept in step
        "status = $1, settled_us = COALESCE(settled_us, $2), settled_by = COALESCE(settled_by, $3)"
            .to_string()
    } else {
        format!("status = $1, {stamp}_us = $2, {stamp}_by = $3")
    };
    let sql = format!(
        "UPDATE payment_run SET {sets} WHERE insurer_number = $4 AND run_id = $5 AND status IN ({froms})"
    );
    Ok(with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to.to_string())
        .bind(at_us)
        .bind(by.to_string())
        .bind(insurer.as_str().to_string())
        .bind(run_id)
        .execute(c)
        .await?
        .rows_affected()))
}

/// Records the transfer file as written.
pub async fn set_file(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    run_id: i64,
    sha256: &str,
    bytes: i64,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE payment_run SET file_sha256 = $1, file_bytes = $2 WHERE insurer_number = $3 AND run_id = $4"
    )
    .bind(sha256.to_string())
    .bind(bytes)
    .bind(insurer.as_str().to_string())
    .bind(run_id)
    .execute(c)
    .await
    .map(|_| ())?
    });
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRow {
    pub run_id: i64,
    pub application_id: i64,
    pub line: i64,
    pub payee_id: String,
    pub account_id: i64,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub number: String,
    pub holder_transfer: String,
    pub amount: i64,
    pub outcome: String,
    pub outcome_us: Option<i64>,
    pub outcome_by: Option<String>,
    pub return_reason: Option<String>,
    /// the benefit's kind (from its application)
    pub kind: String,
}

const PAYMENT_COLUMNS: &str = "p.run_id, p.application_id, p.line, p.payee_id, p.account_id, p.bank_code, \
    p.branch_code, p.account_type, p.number, p.holder_transfer, p.amount, p.outcome, p.outcome_us, p.outcome_by, \
    p.return_reason, a.kind";
const PAYMENT_FROM: &str = "payment p JOIN benefit_application a ON a.insurer_number = p.insurer_number \
    AND a.application_id = p.application_id";

/// A run's transfers in file order.
pub async fn payments_of_run(
    db: &Db,
    insurer: &InsurerNumber,
    run_id: i64,
) -> Result<Vec<PaymentRow>> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM {PAYMENT_FROM} WHERE p.insurer_number = $1 AND p.run_id = $2 ORDER BY p.line"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(run_id)
        .fetch_all(p)
        .await?))
}

/// Sets the outcome of a run's transfers now at `from` (all of them, or
/// only `only`'s applications); how many changed.
#[allow(clippy::too_many_arguments)]
pub async fn set_outcomes(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    run_id: i64,
    from: &str,
    to: &str,
    only: Option<&[i64]>,
    reason: Option<&str>,
    at_us: i64,
    by: &str,
) -> Result<u64> {
    let base = "UPDATE payment SET outcome = $1, outcome_us = $2, outcome_by = $3, return_reason = $4 \
                WHERE insurer_number = $5 AND run_id = $6 AND outcome = $7";
    let Some(ids) = only else {
        return Ok(with_tx!(tx, |c| sqlx::query(base)
            .bind(to.to_string())
            .bind(at_us)
            .bind(by.to_string())
            .bind(reason.map(str::to_string))
            .bind(insurer.as_str().to_string())
            .bind(run_id)
            .bind(from.to_string())
            .execute(c)
            .await?
            .rows_affected()));
    };
    let mut changed = 0;
    for chunk in ids.chunks(500) {
        let marks = (0..chunk.len())
            .map(|i| format!("${}", i + 8))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("{base} AND application_id IN ({marks})");
        changed += with_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(to.to_string())
                .bind(at_us)
                .bind(by.to_string())
                .bind(reason.map(str::to_string))
                .bind(insurer.as_str().to_string())
                .bind(run_id)
                .bind(from.to_string());
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(changed)
}

// ------------------------------------------------------------ settings

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SettingsRow {
    pub version_no: i64,
    pub requester_code: String,
    pub requester_name: String,
    pub bank_code: String,
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    pub account_type: String,
    pub account_number: String,
    pub new_code: String,
    pub transfer_class: String,
    pub line_breaks: bool,
    pub recorded_us: i64,
    pub recorded_by: String,
}

const SETTINGS_COLUMNS: &str = "version_no, requester_code, requester_name, bank_code, bank_name, branch_code, \
    branch_name, account_type, account_number, new_code, transfer_class, line_breaks, recorded_us, recorded_by";

/// The bank contract in force (the latest version).
pub async fn settings(db: &Db, insurer: &InsurerNumber) -> Result<Option<SettingsRow>> {
    let sql = format!(
        "SELECT {SETTINGS_COLUMNS} FROM payment_settings WHERE insurer_number = $1 \
         ORDER BY version_no DESC LIMIT 1"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .fetch_optional(p)
        .await?))
}

/// Records a new version of the bank contract (its number is taken here).
pub async fn insert_settings(tx: &mut Tx, insurer: &InsurerNumber, r: &SettingsRow) -> Result<i64> {
    let ins = insurer.as_str().to_string();
    crate::db::lock_ids(tx, 7_461_643).await?;
    let version: i64 = with_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT COALESCE(MAX(version_no), 0) + 1 FROM payment_settings WHERE insurer_number = $1"
    )
    .bind(ins.clone())
    .fetch_one(&mut *c)
    .await?
    });
    let sql = format!(
        "INSERT INTO payment_settings (insurer_number, {SETTINGS_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ins.clone())
        .bind(version)
        .bind(r.requester_code.clone())
        .bind(r.requester_name.clone())
        .bind(r.bank_code.clone())
        .bind(r.bank_name.clone())
        .bind(r.branch_code.clone())
        .bind(r.branch_name.clone())
        .bind(r.account_type.clone())
        .bind(r.account_number.clone())
        .bind(r.new_code.clone())
        .bind(r.transfer_class.clone())
        .bind(r.line_breaks)
        .bind(r.recorded_us)
        .bind(r.recorded_by.clone())
        .execute(&mut *c)
        .await
        .map(|_| ())?);
    Ok(version)
}

// ------------------------------------------------- simplified route

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SimplifiedRow {
    pub household_number: String,
    pub seq: i64,
    pub from_month: String,
    pub consented_on: Date,
    pub application_id: Option<i64>,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub ended_us: Option<i64>,
    pub ended_by: Option<String>,
}

const SIMPLIFIED_COLUMNS: &str = "household_number, seq, from_month, consented_on, application_id, \
    recorded_us, recorded_by, ended_us, ended_by";

/// The households on the simplified route now.
pub async fn simplified_current(db: &Db, insurer: &InsurerNumber) -> Result<Vec<SimplifiedRow>> {
    let sql = format!(
        "SELECT {SIMPLIFIED_COLUMNS} FROM high_cost_simplified WHERE insurer_number = $1 \
         AND ended_us IS NULL ORDER BY household_number"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?))
}

/// Puts a household on the simplified route unless it is on it already;
/// whether it was added.
pub async fn add_simplified(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    r: &SimplifiedRow,
) -> Result<bool> {
    let ins = insurer.as_str().to_string();
    let (current, seq): (i64, i64) = with_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN ended_us IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
         COALESCE(MAX(seq), 0) + 1 FROM high_cost_simplified WHERE insurer_number = $1 AND household_number = $2"
    )
    .bind(ins.clone())
    .bind(r.household_number.clone())
    .fetch_one(&mut *c)
    .await?
    });
    if current > 0 {
        return Ok(false);
    }
    let sql = format!(
        "INSERT INTO high_cost_simplified (insurer_number, {SIMPLIFIED_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ins.clone())
        .bind(r.household_number.clone())
        .bind(seq)
        .bind(r.from_month.clone())
        .bind(r.consented_on)
        .bind(r.application_id)
        .bind(r.recorded_us)
        .bind(r.recorded_by.clone())
        .bind(r.ended_us)
        .bind(r.ended_by.clone())
        .execute(&mut *c)
        .await
        .map(|_| ())?);
    Ok(true)
}

/// A household's 高額療養費 of a service month (its first day): what was
/// decided to pay, and how many applications await their decision.
pub async fn high_cost_applied(
    db: &Db,
    insurer: &InsurerNumber,
    household: &str,
    month_first_day: Date,
) -> Result<(i64, i64)> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN decision = 'pay' THEN amount ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN decision IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM benefit_application \
         WHERE insurer_number = $1 AND kind = 'high_cost_benefit' AND household_number = $2 \
         AND event_on = $3"
    )
    .bind(insurer.as_str().to_string())
    .bind(household.to_string())
    .bind(month_first_day)
    .fetch_one(p)
    .await?
    }))
}

/// A person's live 食事療養標準負担額差額 applications (awaiting their
/// decision or decided to pay): their number and facts (JSON).
pub async fn live_meal_applications(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<(i64, String)>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT application_id, facts FROM benefit_application WHERE insurer_number = $1 \
         AND kind = 'meal_difference' AND addressee_id = $2 AND (decision IS NULL OR decision = 'pay')"
    )
    .bind(insurer.as_str().to_string())
    .bind(addressee_id.to_string())
    .fetch_all(p)
    .await?
    }))
}

/// The day a person died, as the records know it: a current NHI loss for
/// death (its event day), else a death from the resident-registry feed
/// (for a householder who was not insured, 擬制世帯主) that a clerk did
/// not reject as wrong.
pub async fn death_of(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Option<Date>> {
    let from_eligibility: Option<Date> = with_db!(db, |c| {
        sqlx::query_scalar(
            "SELECT MIN(loss_event_on) FROM eligibility_version WHERE insurer_number = $1 \
             AND addressee_id = $2 AND loss_reason = 'death' AND superseded_us IS NULL AND voided = $3",
        )
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .bind(false)
        .fetch_one(c)
        .await?
    });
    if from_eligibility.is_some() {
        return Ok(from_eligibility);
    }
    Ok(with_db!(db, |c| {
        sqlx::query_scalar(
            "SELECT MIN(e.event_date) FROM registry_event e WHERE e.insurer_number = $1 \
             AND e.addressee_id = $2 AND e.event_type = 'death' AND NOT EXISTS ( \
             SELECT 1 FROM eligibility_proposal p WHERE p.insurer_number = e.insurer_number \
             AND p.event_id = e.event_id AND p.status = 'rejected')",
        )
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .fetch_one(c)
        .await?
    }))
}

/// What was applied for a person's annual outpatient benefit of a year
/// (its base date): the total of the applications decided to pay, and how
/// many await their decision.
pub async fn annual_applied(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
    base_date: Date,
) -> Result<(i64, i64)> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN decision = 'pay' THEN amount ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN decision IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM benefit_application \
             WHERE insurer_number = $1 AND kind = 'annual_outpatient' AND addressee_id = $2 \
             AND event_on = $3",
        )
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .bind(base_date)
        .fetch_one(p)
        .await?
    }))
}

/// Revokes a decision to pay while no money has gone (no transfer pending
/// or paid); false when the application is not so.
#[allow(clippy::too_many_arguments)]
pub async fn revoke(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    application_id: i64,
    on: Date,
    reason: &str,
    at_us: i64,
    by: &str,
) -> Result<bool> {
    let n = with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE benefit_application SET decision = 'revoked', revoked_on = $3, revoke_reason = $4, \
         revoked_us = $5, revoked_by = $6 WHERE insurer_number = $1 AND application_id = $2 \
         AND decision = 'pay' AND NOT EXISTS (SELECT 1 FROM payment q \
         WHERE q.insurer_number = benefit_application.insurer_number \
         AND q.application_id = benefit_application.application_id AND q.outcome IN ('pending', 'paid'))"
    )
    .bind(insurer.as_str().to_string())
    .bind(application_id)
    .bind(on)
    .bind(reason.to_string())
    .bind(at_us)
    .bind(by.to_string())
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}
