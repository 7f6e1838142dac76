//! Recoveries (返納金) of benefits paid above a later decision: what was
//! paid for an event, the assessments and their settlement.

use kokuho_domain::id::InsurerNumber;
use time::Date;

use crate::{Db, Result, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RecoveryRow {
    pub recovery_id: i64,
    pub kind: String,
    pub subject: String,
    pub period: String,
    pub debtor_id: String,
    pub paid_total: i64,
    pub due_total: i64,
    pub amount: i64,
    pub basis: String,
    pub assessed_on: Date,
    pub due_by: Date,
    pub assessed_us: i64,
    pub assessed_by: String,
    pub status: String,
    pub settled_on: Option<Date>,
    pub settled_note: Option<String>,
    pub settled_us: Option<i64>,
    pub settled_by: Option<String>,
}

const COLUMNS: &str = "recovery_id, kind, subject, period, debtor_id, paid_total, due_total, amount, basis, \
    assessed_on, due_by, assessed_us, assessed_by, status, settled_on, settled_note, settled_us, settled_by";

/// An event's applications as paid: (application, payee, amount) of those
/// whose transfer was sent, and the ids of those decided to pay whose
/// money has not gone yet or still awaiting their decision. `kind` high_cost_benefit takes the household
/// (`subject`) and the month's first day; annual_outpatient the person and
/// the base date.
pub async fn paid_for_event(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    kind: &str,
    subject: &str,
    event_on: Date,
) -> Result<(Vec<(i64, String, i64)>, Vec<i64>)> {
    let who = if kind == "high_cost_benefit" || kind == "combined_care" {
        "a.household_number"
    } else {
        "a.addressee_id"
    };
    let sql = format!(
        "SELECT a.application_id, a.payee_id, a.amount, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM payment p WHERE p.insurer_number = a.insurer_number \
           AND p.application_id = a.application_id AND p.outcome = 'paid') THEN 1 ELSE 0 END AS BIGINT) \
         FROM benefit_application a WHERE a.insurer_number = $1 AND a.kind = $2 AND {who} = $3 \
         AND a.event_on = $4 AND (a.decision = 'pay' OR a.decision IS NULL) ORDER BY a.application_id"
    );
    let rows: Vec<(i64, String, i64, i64)> =
        with_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(insurer.as_str().to_string())
            .bind(kind.to_string())
            .bind(subject.to_string())
            .bind(event_on)
            .fetch_all(c)
            .await?);
    let paid = rows
        .iter()
        .filter(|r| r.3 == 1)
        .map(|r| (r.0, r.1.clone(), r.2))
        .collect();
    let unpaid = rows.iter().filter(|r| r.3 == 0).map(|r| r.0).collect();
    Ok((paid, unpaid))
}

/// As [`paid_for_event`], for the applications whose event key starts with
/// `prefix` (a year paid on another insurer's notices: its applications are
/// found by what they were for, not by a day recomputed later).
pub async fn paid_for_key_prefix(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    kind: &str,
    prefix: &str,
) -> Result<(Vec<(i64, String, i64)>, Vec<i64>)> {
    let rows: Vec<(i64, String, i64, i64)> = with_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT a.application_id, a.payee_id, a.amount, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM payment p WHERE p.insurer_number = a.insurer_number \
           AND p.application_id = a.application_id AND p.outcome = 'paid') THEN 1 ELSE 0 END AS BIGINT) \
         FROM benefit_application a WHERE a.insurer_number = $1 AND a.kind = $2 \
         AND substr(a.event_key, 1, CAST($4 AS INTEGER)) = $3 \
         AND (a.decision = 'pay' OR a.decision IS NULL) ORDER BY a.application_id"
    )
    .bind(insurer.as_str().to_string())
    .bind(kind.to_string())
    .bind(prefix.to_string())
    .bind(i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX))
    .fetch_all(c)
    .await?
    });
    let paid = rows
        .iter()
        .filter(|r| r.3 == 1)
        .map(|r| (r.0, r.1.clone(), r.2))
        .collect();
    let unpaid = rows.iter().filter(|r| r.3 == 0).map(|r| r.0).collect();
    Ok((paid, unpaid))
}

/// What an event's assessments claim back, cancelled ones aside.
const RECOVERED: &str = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM benefit_recovery \
    WHERE insurer_number = $1 AND kind = $2 AND subject = $3 AND period = $4 AND status <> 'cancelled'";

/// How many assessments of an event are still owed.
pub async fn open_for(
    db: &Db,
    insurer: &InsurerNumber,
    kind: &str,
    subject: &str,
    period: &str,
) -> Result<i64> {
    Ok(with_db!(db, |c| sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM benefit_recovery WHERE insurer_number = $1 \
         AND kind = $2 AND subject = $3 AND period = $4 AND status = 'assessed'"
    )
    .bind(insurer.as_str().to_string())
    .bind(kind.to_string())
    .bind(subject.to_string())
    .bind(period.to_string())
    .fetch_one(c)
    .await?))
}

/// What earlier assessments of an event already claim back (repaid or
/// still owed; cancelled ones not).
pub async fn recovered_db(
    db: &Db,
    insurer: &InsurerNumber,
    kind: &str,
    subject: &str,
    period: &str,
) -> Result<i64> {
    Ok(with_db!(db, |c| {
        sqlx::query_scalar(RECOVERED)
            .bind(insurer.as_str().to_string())
            .bind(kind.to_string())
            .bind(subject.to_string())
            .bind(period.to_string())
            .fetch_one(c)
            .await?
    }))
}

/// The same, inside a transaction.
pub async fn recovered(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    kind: &str,
    subject: &str,
    period: &str,
) -> Result<i64> {
    Ok(with_tx!(tx, |c| {
        sqlx::query_scalar(RECOVERED)
            .bind(insurer.as_str().to_string())
            .bind(kind.to_string())
            .bind(subject.to_string())
            .bind(period.to_string())
            .fetch_one(c)
            .await?
    }))
}

/// Keeps an assessment; its number is taken here (serialised on
/// PostgreSQL, so two assessments of one event at once are one after the
/// other and the second sees the first).
pub async fn next_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    crate::db::lock_ids(tx, 7_461_644).await?;
    Ok(with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COALESCE(MAX(recovery_id), 0) + 1 FROM benefit_recovery WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?))
}

pub async fn insert(tx: &mut Tx, insurer: &InsurerNumber, r: &RecoveryRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO benefit_recovery (insurer_number, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
         $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(r.recovery_id)
        .bind(r.kind.clone())
        .bind(r.subject.clone())
        .bind(r.period.clone())
        .bind(r.debtor_id.clone())
        .bind(r.paid_total)
        .bind(r.due_total)
        .bind(r.amount)
        .bind(r.basis.clone())
        .bind(r.assessed_on)
        .bind(r.due_by)
        .bind(r.assessed_us)
        .bind(r.assessed_by.clone())
        .bind(r.status.clone())
        .bind(r.settled_on)
        .bind(r.settled_note.clone())
        .bind(r.settled_us)
        .bind(r.settled_by.clone())
        .execute(c)
        .await
        .map(|_| ())?);
    Ok(())
}

/// Settles an assessment still owed (repaid or cancelled); false when it
/// is not owed (unknown, or settled already).
#[allow(clippy::too_many_arguments)]
pub async fn settle(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    recovery_id: i64,
    status: &str,
    on: Date,
    note: &str,
    at_us: i64,
    by: &str,
) -> Result<bool> {
    let n = with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE benefit_recovery SET status = $3, settled_on = $4, settled_note = $5, settled_us = $6, \
         settled_by = $7 WHERE insurer_number = $1 AND recovery_id = $2 AND status = 'assessed'"
    )
    .bind(insurer.as_str().to_string())
    .bind(recovery_id)
    .bind(status.to_string())
    .bind(on)
    .bind(note.to_string())
    .bind(at_us)
    .bind(by.to_string())
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

pub async fn get(
    db: &Db,
    insurer: &InsurerNumber,
    recovery_id: i64,
) -> Result<Option<RecoveryRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM benefit_recovery WHERE insurer_number = $1 AND recovery_id = $2"
    );
    Ok(with_db!(db, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(recovery_id)
        .fetch_optional(c)
        .await?))
}

/// Assessments, the latest first; only those still owed when `owed`.
pub async fn list(
    db: &Db,
    insurer: &InsurerNumber,
    owed: bool,
    limit: i64,
) -> Result<Vec<RecoveryRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM benefit_recovery WHERE insurer_number = $1 {} \
         ORDER BY recovery_id DESC LIMIT $2",
        if owed { "AND status = 'assessed'" } else { "" }
    );
    Ok(with_db!(db, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(limit)
        .fetch_all(c)
        .await?))
}
