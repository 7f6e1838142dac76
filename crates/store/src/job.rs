//! Imports and batches as recorded for the jobs page: one row a job, written
//! when it starts and when it ends.

use kokuho_domain::id::InsurerNumber;

use crate::{Db, Result, with_db};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    pub job_id: i64,
    pub kind: String,
    pub subject: String,
    /// running, succeeded, failed, interrupted
    pub status: String,
    pub started_by: String,
    pub started_us: i64,
    pub finished_us: Option<i64>,
    pub done_count: i64,
    pub total_count: i64,
    pub summary: Option<String>,
    pub summary_ja: Option<String>,
    pub runner: String,
    pub has_error_report: bool,
}

const COLUMNS: &str = "job_id, kind, subject, status, started_by, started_us, finished_us, \
                       done_count, total_count, summary, summary_ja, runner, \
                       (error_report IS NOT NULL) AS has_error_report";

/// Records a job as running and returns its number (1, 2, … per insurer).
pub async fn start(
    db: &Db,
    insurer: &InsurerNumber,
    kind: &str,
    subject: &str,
    by: &str,
    at_us: i64,
    runner: &str,
) -> Result<i64> {
    // The primary key settles a race between two starts: retry with the next number.
    for _ in 0..5 {
        let id: i64 = with_db!(db, |p| sqlx::query_scalar(
            "SELECT COALESCE(MAX(job_id), 0) + 1 FROM job WHERE insurer_number = $1"
        )
        .bind(insurer.as_str().to_string())
        .fetch_one(p)
        .await?);
        let inserted: std::result::Result<_, sqlx::Error> = with_db!(db, |p| {
            sqlx::query(
            "INSERT INTO job (insurer_number, job_id, kind, subject, status, started_by, started_us, \
             done_count, total_count, runner) VALUES ($1, $2, $3, $4, 'running', $5, $6, 0, 0, $7)"
        )
        .bind(insurer.as_str().to_string())
        .bind(id)
        .bind(kind.to_string())
        .bind(subject.to_string())
        .bind(by.to_string())
        .bind(at_us)
        .bind(runner.to_string())
        .execute(p)
        .await
        .map(|_| ())
        });
        match inserted {
            Ok(()) => return Ok(id),
            // one running extract of a kind (job_one_exchange_export)
            Err(sqlx::Error::Database(e))
                if e.is_unique_violation()
                    && (e.constraint() == Some("job_one_exchange_export")
                        || e.message().contains("job.kind")) =>
            {
                return Err(crate::StoreError::Duplicate {
                    what: "a job of this kind is running",
                });
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(crate::StoreError::Duplicate { what: "job number" })
}

/// The outcome of a finished job.
pub struct Outcome<'a> {
    pub status: &'a str,
    pub done: i64,
    pub total: i64,
    pub summary: &'a str,
    pub summary_ja: &'a str,
    pub error_report: Option<&'a str>,
    pub at_us: i64,
}

pub async fn finish(db: &Db, insurer: &InsurerNumber, job_id: i64, o: &Outcome<'_>) -> Result<()> {
    with_db!(db, |p| {
        sqlx::query(
        "UPDATE job SET status = $3, done_count = $4, total_count = $5, summary = $6, \
         error_report = $7, finished_us = $8, summary_ja = $9 WHERE insurer_number = $1 AND job_id = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(job_id)
    .bind(o.status.to_string())
    .bind(o.done)
    .bind(o.total)
    .bind(o.summary.to_string())
    .bind(o.error_report.map(str::to_string))
    .bind(o.at_us)
    .bind(o.summary_ja.to_string())
    .execute(p)
    .await
    .map(|_| ())?
    });
    Ok(())
}

/// Marks as interrupted the jobs a runner left running (it died with them).
pub async fn interrupt_runner(
    db: &Db,
    insurer: &InsurerNumber,
    runner: &str,
    at_us: i64,
) -> Result<u64> {
    let n = with_db!(db, |p| sqlx::query(
        "UPDATE job SET status = 'interrupted', finished_us = $3, \
         summary = 'the process running it stopped before it ended', \
         summary_ja = '処理中にプログラムが停止しました（変更はありません）' \
         WHERE insurer_number = $1 AND status = 'running' AND runner = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(runner.to_string())
    .bind(at_us)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n)
}

pub async fn get(db: &Db, insurer: &InsurerNumber, job_id: i64) -> Result<Option<JobRow>> {
    let sql = format!("SELECT {COLUMNS} FROM job WHERE insurer_number = $1 AND job_id = $2");
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(job_id)
        .fetch_optional(p)
        .await?))
}

/// The newest jobs of the given kinds, newest first.
pub async fn recent(
    db: &Db,
    insurer: &InsurerNumber,
    kinds: &[&str],
    limit: i64,
) -> Result<Vec<JobRow>> {
    let mut rows: Vec<JobRow> = Vec::new();
    for kind in kinds {
        let sql = format!(
            "SELECT {COLUMNS} FROM job WHERE insurer_number = $1 AND kind = $2 \
             ORDER BY job_id DESC LIMIT $3"
        );
        let mut some: Vec<JobRow> = with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(insurer.as_str().to_string())
            .bind(kind.to_string())
            .bind(limit)
            .fetch_all(p)
            .await?);
        rows.append(&mut some);
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.job_id));
    rows.truncate(limit.max(0) as usize);
    Ok(rows)
}

pub async fn error_report(db: &Db, insurer: &InsurerNumber, job_id: i64) -> Result<Option<String>> {
    let r: Option<Option<String>> = with_db!(db, |p| sqlx::query_scalar(
        "SELECT error_report FROM job WHERE insurer_number = $1 AND job_id = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(job_id)
    .fetch_optional(p)
    .await?);
    Ok(r.flatten())
}
