//! Bookkeeping of imported files, resident-registry events and the
//! eligibility proposals they raise.

use kokuho_domain::id::InsurerNumber;
use time::Date;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

/// Whether a file with this digest was imported already.
pub async fn file_imported(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    kind: &str,
    digest: &str,
) -> Result<bool> {
    let n: i64 = with_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM import_file WHERE insurer_number = $1 AND kind = $2 AND digest = $3"
    )
    .bind(insurer.as_str().to_string())
    .bind(kind.to_string())
    .bind(digest.to_string())
    .fetch_one(c)
    .await?
    });
    Ok(n > 0)
}

#[allow(clippy::too_many_arguments)] // one column each; a struct would only rename them
pub async fn record_file(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    kind: &str,
    digest: &str,
    file_name: &str,
    rows: i64,
    at_us: i64,
    by: &str,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO import_file (insurer_number, kind, digest, file_name, row_count, imported_us, imported_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(insurer.as_str().to_string())
        .bind(kind.to_string())
        .bind(digest.to_string())
        .bind(file_name.to_string())
        .bind(rows)
        .bind(at_us)
        .bind(by.to_string())
        .execute(c)
        .await?;
    });
    Ok(())
}

/// A resident-registry event as recorded (the payload lives in the registry).
pub struct EventRecord<'a> {
    pub event_id: &'a str,
    pub event_type: &'a str,
    pub event_date: Date,
    pub notified_on: Option<Date>,
    pub addressee_id: &'a str,
    pub file_digest: &'a str,
    pub line: i64,
}

pub async fn record_event(tx: &mut Tx, insurer: &InsurerNumber, e: &EventRecord<'_>) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO registry_event (insurer_number, event_id, event_type, event_date, notified_on, addressee_id, file_digest, line) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(insurer.as_str().to_string())
        .bind(e.event_id.to_string())
        .bind(e.event_type.to_string())
        .bind(e.event_date)
        .bind(e.notified_on)
        .bind(e.addressee_id.to_string())
        .bind(e.file_digest.to_string())
        .bind(e.line)
        .execute(c)
        .await?;
    });
    Ok(())
}

pub async fn event_exists(tx: &mut Tx, insurer: &InsurerNumber, event_id: &str) -> Result<bool> {
    let n: i64 = with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM registry_event WHERE insurer_number = $1 AND event_id = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(event_id.to_string())
    .fetch_one(c)
    .await?);
    Ok(n > 0)
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Proposal {
    pub proposal_id: i64,
    pub event_id: String,
    pub addressee_id: String,
    /// acquisition, loss, household_change
    pub kind: String,
    /// the acquisition or loss reason code, or the household-change reason
    pub reason: String,
    pub event_on: Date,
    pub notified_on: Option<Date>,
    pub destination: Option<String>,
    pub household_number: Option<String>,
    pub previous_insurer_number: Option<String>,
    /// pending, confirmed, rejected
    pub status: String,
    pub created_us: i64,
    pub decided_by: Option<String>,
    pub decided_us: Option<i64>,
    pub decision_note: Option<String>,
    pub period_id: Option<i64>,
}

const PROPOSAL_COLUMNS: &str = "proposal_id, event_id, addressee_id, kind, reason, event_on, notified_on, destination, \
    household_number, previous_insurer_number, status, created_us, decided_by, decided_us, decision_note, period_id";

pub async fn insert_proposal(tx: &mut Tx, insurer: &InsurerNumber, p: &Proposal) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO eligibility_proposal (insurer_number, {PROPOSAL_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        )))
        .bind(insurer.as_str().to_string())
        .bind(p.proposal_id)
        .bind(p.event_id.clone())
        .bind(p.addressee_id.clone())
        .bind(p.kind.clone())
        .bind(p.reason.clone())
        .bind(p.event_on)
        .bind(p.notified_on)
        .bind(p.destination.clone())
        .bind(p.household_number.clone())
        .bind(p.previous_insurer_number.clone())
        .bind(p.status.clone())
        .bind(p.created_us)
        .bind(p.decided_by.clone())
        .bind(p.decided_us)
        .bind(p.decision_note.clone())
        .bind(p.period_id)
        .execute(c)
        .await?;
    });
    Ok(())
}

pub async fn next_proposal_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    let max: Option<i64> = with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT MAX(proposal_id) FROM eligibility_proposal WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?);
    Ok(max.unwrap_or(0) + 1)
}

pub async fn proposals(
    db: &Db,
    insurer: &InsurerNumber,
    status: Option<&str>,
) -> Result<Vec<Proposal>> {
    let rows: Vec<Proposal> = with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PROPOSAL_COLUMNS} FROM eligibility_proposal WHERE insurer_number = $1 AND ($2 = '' OR status = $2) \
         ORDER BY proposal_id"
    )))
    .bind(insurer.as_str().to_string())
    .bind(status.unwrap_or("").to_string())
    .fetch_all(p)
    .await?
    });
    Ok(rows)
}

pub async fn proposal(tx: &mut Tx, insurer: &InsurerNumber, id: i64) -> Result<Option<Proposal>> {
    Ok(with_tx!(tx, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PROPOSAL_COLUMNS} FROM eligibility_proposal WHERE insurer_number = $1 AND proposal_id = $2"
    )))
    .bind(insurer.as_str().to_string())
    .bind(id)
    .fetch_optional(c)
    .await?
    }))
}

/// Records a decision on a pending proposal; refuses one already decided.
#[allow(clippy::too_many_arguments)] // one column each; a struct would only rename them
pub async fn decide(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    id: i64,
    status: &str,
    by: &str,
    at_us: i64,
    note: &str,
    period_id: Option<i64>,
) -> Result<()> {
    let n = with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE eligibility_proposal SET status = $1, decided_by = $2, decided_us = $3, decision_note = $4, period_id = $5 \
         WHERE insurer_number = $6 AND proposal_id = $7 AND status = 'pending'"
    )
    .bind(status.to_string())
    .bind(by.to_string())
    .bind(at_us)
    .bind(note.to_string())
    .bind(period_id)
    .bind(insurer.as_str().to_string())
    .bind(id)
    .execute(c)
    .await?
    .rows_affected()
    });
    if n != 1 {
        return Err(StoreError::Duplicate {
            what: "a decision on this proposal",
        });
    }
    Ok(())
}
