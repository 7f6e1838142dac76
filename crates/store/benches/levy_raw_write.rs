//! Benchmark (not a test): the database's raw bulk-write rate for the rows
//! an annual levy assessment books — the baseline the assessment is held
//! against in docs/performance.md. Reads every current levy version and its
//! installments from an assessed database, then writes exactly those rows
//! into a fresh, migrated database of the same backend through the same
//! multi-row statements, in one transaction, and times only the write.
//!
//! cargo bench -p kokuho-store --bench levy_raw_write -- --from URL --to URL
//! (`--to` a new SQLite file, or a PostgreSQL database to be emptied first)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use kokuho_domain::id::InsurerNumber;
use kokuho_store::levy::{InstallmentRow, LevyVersionRow};
use kokuho_store::with_db;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (Some(from), Some(to)) = (arg("--from"), arg("--to")) else {
        eprintln!("usage: levy_raw_write --from URL --to URL (nothing to do without them)");
        return;
    };
    let source = kokuho_store::Db::open(&from).await.unwrap();
    let insurer: String = with_db!(&source, |p| sqlx::query_scalar(
        "SELECT insurer_number FROM levy_version LIMIT 1"
    )
    .fetch_one(p)
    .await
    .unwrap());
    let insurer = InsurerNumber::parse(&insurer).unwrap();
    let versions: Vec<LevyVersionRow> = with_db!(&source, |p| {
        sqlx::query_as(
        "SELECT household_number, fiscal_year, version_no, profile, rules_digest, total, reduction, \
         medical, elderly_support, care, child_support, difference, overpaid, basis, change_reason, \
         assessed_on, recorded_us, recorded_by, superseded_us FROM levy_version WHERE superseded_us IS NULL"
    )
    .fetch_all(p)
    .await
    .unwrap()
    });
    let installments: Vec<InstallmentRow> = with_db!(&source, |p| {
        sqlx::query_as(
        "SELECT i.household_number, i.fiscal_year, i.version_no, i.installment_no, i.due_date, i.amount \
         FROM levy_installment i JOIN levy_version v ON v.insurer_number = i.insurer_number \
         AND v.household_number = i.household_number AND v.fiscal_year = i.fiscal_year \
         AND v.version_no = i.version_no AND v.superseded_us IS NULL"
    )
    .fetch_all(p)
    .await
    .unwrap()
    });
    let target = kokuho_store::connect(&to).await.unwrap();
    with_db!(&target, |p| {
        sqlx::query("DELETE FROM levy_installment")
            .execute(p)
            .await
            .unwrap();
        sqlx::query("DELETE FROM levy_version")
            .execute(p)
            .await
            .unwrap();
    });
    let started = Instant::now();
    let mut tx = target.begin().await.unwrap();
    kokuho_store::levy::insert(&mut tx, &insurer, &versions, &installments)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "raw bulk write: {} versions + {} installments in one transaction: {:.1} s ({:.0} households/s, {:.0} rows/s)",
        versions.len(),
        installments.len(),
        secs,
        versions.len() as f64 / secs,
        (versions.len() + installments.len()) as f64 / secs
    );
}
