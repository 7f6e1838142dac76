//! Printed documents (帳票): the issuance history (every document issued,
//! with the values it was drawn from, so a reprint is exact) and the batches
//! that issue one kind to many residents, resumable after a crash.
//!
//! What the database itself guarantees: a batch issues a recipient's
//! document once (`document_issue_batch_once`), however often it is resumed.

use kokuho_domain::id::InsurerNumber;
use time::Date;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct IssueRow {
    pub issue_id: i64,
    pub kind: String,
    pub document_number: String,
    pub addressee_id: String,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub issued_on: Date,
    pub issued_us: i64,
    pub issued_by: String,
    pub reprint_of: Option<i64>,
    pub batch_id: Option<i64>,
    pub layout_version: i32,
    /// the values drawn, JSON
    pub content: String,
    pub sha256: String,
    pub substitutions: String,
    pub status: String,
    pub status_note: Option<String>,
    pub status_us: Option<i64>,
    pub status_by: Option<String>,
}

const ISSUE_COLUMNS: &str = "issue_id, kind, document_number, addressee_id, valid_from, valid_to, issued_on, \
    issued_us, issued_by, reprint_of, batch_id, layout_version, content, sha256, substitutions, status, \
    status_note, status_us, status_by";

/// On PostgreSQL, serialises the writers of document numbers for the rest
/// of the transaction (READ COMMITTED would let two take the same MAX + 1);
/// SQLite's write lock (BEGIN IMMEDIATE) already does.
async fn lock_numbers(tx: &mut Tx) -> Result<()> {
    if let Tx::Pg(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7461637)")
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

pub async fn next_issue_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    lock_numbers(tx).await?;
    Ok(with_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(issue_id), 0) + 1 FROM document_issue WHERE insurer_number = $1",
        )
        .bind(insurer.as_str().to_string())
        .fetch_one(c)
        .await?
    }))
}

/// Records an issue; a batch's second document for one recipient is
/// refused as `Duplicate`.
pub async fn insert_issue(tx: &mut Tx, insurer: &InsurerNumber, r: &IssueRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO document_issue (insurer_number, {ISSUE_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    );
    let done = with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(r.issue_id)
        .bind(r.kind.clone())
        .bind(r.document_number.clone())
        .bind(r.addressee_id.clone())
        .bind(r.valid_from)
        .bind(r.valid_to)
        .bind(r.issued_on)
        .bind(r.issued_us)
        .bind(r.issued_by.clone())
        .bind(r.reprint_of)
        .bind(r.batch_id)
        .bind(r.layout_version)
        .bind(r.content.clone())
        .bind(r.sha256.clone())
        .bind(r.substitutions.clone())
        .bind(r.status.clone())
        .bind(r.status_note.clone())
        .bind(r.status_us)
        .bind(r.status_by.clone())
        .execute(c)
        .await
        .map(|_| ()));
    match done {
        Err(sqlx::Error::Database(e))
            if e.is_unique_violation()
                && (e.constraint() == Some("document_issue_batch_once")
                    || e.message().contains("batch_id")) =>
        {
            Err(StoreError::Duplicate {
                what: "document of this batch for the same resident",
            })
        }
        other => Ok(other?),
    }
}

pub async fn issue(db: &Db, insurer: &InsurerNumber, issue_id: i64) -> Result<Option<IssueRow>> {
    let sql = format!(
        "SELECT {ISSUE_COLUMNS} FROM document_issue WHERE insurer_number = $1 AND issue_id = $2"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(issue_id)
        .fetch_optional(p)
        .await?))
}

/// A resident's documents, the newest first.
pub async fn issues_of(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<IssueRow>> {
    let sql = format!(
        "SELECT {ISSUE_COLUMNS} FROM document_issue WHERE insurer_number = $1 AND addressee_id = $2 \
         ORDER BY issue_id DESC"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .fetch_all(p)
        .await?))
}

/// The issues of a batch in the order of its items (delivery order).
pub async fn issues_of_batch(
    db: &Db,
    insurer: &InsurerNumber,
    batch_id: i64,
) -> Result<Vec<IssueRow>> {
    let cols = ISSUE_COLUMNS
        .split(", ")
        .map(|c| format!("d.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM document_batch_item i JOIN document_issue d \
         ON d.insurer_number = i.insurer_number AND d.issue_id = i.issue_id \
         WHERE i.insurer_number = $1 AND i.batch_id = $2 ORDER BY i.seq"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(batch_id)
        .fetch_all(p)
        .await?))
}

/// Records that a document came back undelivered, was reported lost, or was
/// issued in error.
pub async fn set_status(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    issue_id: i64,
    status: &str,
    note: &str,
    at_us: i64,
    by: &str,
) -> Result<bool> {
    let n = with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE document_issue SET status = $3, status_note = $4, status_us = $5, status_by = $6 \
         WHERE insurer_number = $1 AND issue_id = $2 AND status = 'issued'"
    )
    .bind(insurer.as_str().to_string())
    .bind(issue_id)
    .bind(status.to_string())
    .bind(note.to_string())
    .bind(at_us)
    .bind(by.to_string())
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// The latest validity end of one resident's issued documents of a kind.
pub async fn latest_valid_to_of(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    kind: &str,
    addressee_id: &str,
) -> Result<Option<Date>> {
    Ok(with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT MAX(valid_to) FROM document_issue WHERE insurer_number = $1 AND kind = $2 \
         AND addressee_id = $3 AND status = 'issued'"
    )
    .bind(insurer.as_str().to_string())
    .bind(kind.to_string())
    .bind(addressee_id.to_string())
    .fetch_one(c)
    .await?))
}

/// The latest validity end of each resident's issued documents of a kind
/// (returned, lost and voided ones do not count).
pub async fn latest_valid_to(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    kind: &str,
) -> Result<Vec<(String, Option<Date>)>> {
    Ok(with_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT addressee_id, MAX(valid_to) FROM document_issue WHERE insurer_number = $1 AND kind = $2 \
         AND status = 'issued' GROUP BY addressee_id"
    )
    .bind(insurer.as_str().to_string())
    .bind(kind.to_string())
    .fetch_all(c)
    .await?
    }))
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct BatchRow {
    pub batch_id: i64,
    pub kind: String,
    pub as_of: Date,
    pub issued_on: Date,
    pub valid_to: Option<Date>,
    pub fiscal_year: Option<i64>,
    pub planned: i64,
    pub status: String,
    pub created_us: i64,
    pub created_by: String,
    pub finished_us: Option<i64>,
}

const BATCH_COLUMNS: &str = "batch_id, kind, as_of, issued_on, valid_to, fiscal_year, planned, status, \
    created_us, created_by, finished_us";

pub async fn next_batch_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    lock_numbers(tx).await?;
    Ok(with_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(batch_id), 0) + 1 FROM document_batch WHERE insurer_number = $1",
        )
        .bind(insurer.as_str().to_string())
        .fetch_one(c)
        .await?
    }))
}

/// A batch's recipient: the person addressed, and for a levy notice the
/// household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub addressee_id: String,
    pub household_number: Option<String>,
}

/// Records a batch and its recipients in delivery order.
pub async fn insert_batch(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    b: &BatchRow,
    recipients: &[Recipient],
) -> Result<()> {
    let sql = format!(
        "INSERT INTO document_batch (insurer_number, {BATCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    let done = with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(b.batch_id)
        .bind(b.kind.clone())
        .bind(b.as_of)
        .bind(b.issued_on)
        .bind(b.valid_to)
        .bind(b.fiscal_year)
        .bind(b.planned)
        .bind(b.status.clone())
        .bind(b.created_us)
        .bind(b.created_by.clone())
        .bind(b.finished_us)
        .execute(c)
        .await
        .map(|_| ()));
    match done {
        Err(sqlx::Error::Database(e))
            if e.is_unique_violation()
                && (e.constraint() == Some("document_batch_one_running")
                    || e.message().contains("document_batch")) =>
        {
            return Err(StoreError::Duplicate {
                what: "running batch of the same kind",
            });
        }
        other => other?,
    }
    // Many rows a statement: a city's renewal plans 100,000 recipients.
    for (chunk_no, chunk) in recipients.chunks(500).enumerate() {
        let mut sql = String::from(
            "INSERT INTO document_batch_item (insurer_number, batch_id, seq, addressee_id, household_number) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let base = i * 3;
            sql.push_str(&format!(
                "($1, $2, ${}, ${}, ${})",
                base + 3,
                base + 4,
                base + 5
            ));
        }
        with_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(insurer.as_str().to_string())
                .bind(b.batch_id);
            for (i, a) in chunk.iter().enumerate() {
                let seq = (chunk_no * 500 + i + 1) as i64;
                q = q
                    .bind(seq)
                    .bind(a.addressee_id.clone())
                    .bind(a.household_number.clone());
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

pub async fn batch(db: &Db, insurer: &InsurerNumber, batch_id: i64) -> Result<Option<BatchRow>> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM document_batch WHERE insurer_number = $1 AND batch_id = $2"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(batch_id)
        .fetch_optional(p)
        .await?))
}

/// Batches, the newest first.
pub async fn batches(db: &Db, insurer: &InsurerNumber) -> Result<Vec<BatchRow>> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM document_batch WHERE insurer_number = $1 ORDER BY batch_id DESC"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?))
}

/// The unfinished batch of a kind, if any (a restart resumes it).
pub async fn running_batch(
    db: &Db,
    insurer: &InsurerNumber,
    kind: &str,
) -> Result<Option<BatchRow>> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM document_batch WHERE insurer_number = $1 AND kind = $2 \
         AND status = 'running' ORDER BY batch_id LIMIT 1"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(kind.to_string())
        .fetch_optional(p)
        .await?))
}

/// The recipients still to issue, in order: (seq, addressee, household).
pub async fn pending_items(
    db: &Db,
    insurer: &InsurerNumber,
    batch_id: i64,
    limit: i64,
) -> Result<Vec<(i64, String, Option<String>)>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT seq, addressee_id, household_number FROM document_batch_item WHERE insurer_number = $1 AND batch_id = $2 \
         AND issue_id IS NULL AND skipped_reason IS NULL ORDER BY seq LIMIT $3"
    )
    .bind(insurer.as_str().to_string())
    .bind(batch_id)
    .bind(limit)
    .fetch_all(p)
    .await?
    }))
}

/// (issued, planned) of a batch.
pub async fn batch_progress(db: &Db, insurer: &InsurerNumber, batch_id: i64) -> Result<(i64, i64)> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT CAST(COUNT(issue_id) + COUNT(skipped_reason) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM document_batch_item \
         WHERE insurer_number = $1 AND batch_id = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(batch_id)
    .fetch_one(p)
    .await?
    }))
}

/// Ties an item to its issue; false when it already had one.
pub async fn set_item_issue(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    batch_id: i64,
    seq: i64,
    issue_id: i64,
) -> Result<bool> {
    let n = with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE document_batch_item SET issue_id = $4 WHERE insurer_number = $1 AND batch_id = $2 \
         AND seq = $3 AND issue_id IS NULL"
    )
    .bind(insurer.as_str().to_string())
    .bind(batch_id)
    .bind(seq)
    .bind(issue_id)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// Records why a recipient was not printed (lost eligibility since the
/// plan, no number, no category): the list shows it to the clerk.
pub async fn set_item_skipped(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    batch_id: i64,
    seq: i64,
    reason: &str,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE document_batch_item SET skipped_reason = $4 WHERE insurer_number = $1 AND batch_id = $2 \
         AND seq = $3 AND issue_id IS NULL"
    )
    .bind(insurer.as_str().to_string())
    .bind(batch_id)
    .bind(seq)
    .bind(reason.to_string())
    .execute(c)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

/// The recipients a batch did not print, with why: (seq, 宛名番号, reason).
pub async fn skipped_items(
    db: &Db,
    insurer: &InsurerNumber,
    batch_id: i64,
) -> Result<Vec<(i64, String, String)>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT seq, addressee_id, skipped_reason FROM document_batch_item WHERE insurer_number = $1 \
         AND batch_id = $2 AND skipped_reason IS NOT NULL ORDER BY seq"
    )
    .bind(insurer.as_str().to_string())
    .bind(batch_id)
    .fetch_all(p)
    .await?
    }))
}

pub async fn finish_batch(
    db: &Db,
    insurer: &InsurerNumber,
    batch_id: i64,
    at_us: i64,
) -> Result<()> {
    with_db!(db, |p| sqlx::query(
        "UPDATE document_batch SET status = 'done', finished_us = $3 WHERE insurer_number = $1 \
         AND batch_id = $2 AND status = 'running'"
    )
    .bind(insurer.as_str().to_string())
    .bind(batch_id)
    .bind(at_us)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The households owing NHI tax for a fiscal year as currently booked, with
/// their householder, in delivery order (the householder's postal code and
/// address, then the household).
pub async fn levy_households_in_delivery_order(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    fiscal_year: i64,
) -> Result<Vec<(String, String)>> {
    Ok(with_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT h.householder_addressee_id, v.household_number FROM levy_version v \
         JOIN household h ON h.insurer_number = v.insurer_number AND h.household_number = v.household_number \
         JOIN addressee a ON a.insurer_number = h.insurer_number AND a.addressee_id = h.householder_addressee_id \
         WHERE v.insurer_number = $1 AND v.fiscal_year = $2 AND v.superseded_us IS NULL AND v.total > 0 \
         ORDER BY a.postal_code, a.address, v.household_number"
    )
    .bind(insurer.as_str().to_string())
    .bind(fiscal_year)
    .fetch_all(c)
    .await?
    }))
}

/// Everyone insured on `on` (as known at `known_at_us`) with their birth
/// date, in delivery order: postal code, address, household, then 宛名番号.
pub async fn insured_in_delivery_order(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    on: Date,
    known_at_us: i64,
) -> Result<Vec<(String, Date)>> {
    Ok(with_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT e.addressee_id, a.birth_date FROM eligibility_version e \
         JOIN addressee a ON a.insurer_number = e.insurer_number AND a.addressee_id = e.addressee_id \
         WHERE e.insurer_number = $1 AND e.recorded_us <= $3 AND (e.superseded_us IS NULL OR e.superseded_us > $3) \
           AND NOT e.voided AND e.acquired_on <= $2 AND (e.lost_on IS NULL OR e.lost_on > $2) \
         ORDER BY a.postal_code, a.address, a.household_number, e.addressee_id"
    )
    .bind(insurer.as_str().to_string())
    .bind(on)
    .bind(known_at_us)
    .fetch_all(c)
    .await?
    }))
}
