//! Benchmark (not a test): the database's raw bulk-insert rate for the rows
//! a claim import stores — the baseline the import is held against in
//! docs/performance.md. Reads every claim of an imported database, then
//! inserts exactly those rows into a fresh, migrated database of the same
//! backend through the same multi-row statements, in one transaction, and
//! times only the insert.
//!
//! cargo bench -p kokuho-store --bench claims_raw_write -- --from URL --to URL
//! (`--to` a new SQLite file, or a PostgreSQL database to be emptied first)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use kokuho_domain::id::InsurerNumber;
use kokuho_store::claims::ClaimRow;
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
        eprintln!("usage: claims_raw_write --from URL --to URL (nothing to do without them)");
        return;
    };
    let source = kokuho_store::Db::open(&from).await.unwrap();
    let insurer: String = with_db!(&source, |p| sqlx::query_scalar(
        "SELECT insurer_number FROM claim LIMIT 1"
    )
    .fetch_one(p)
    .await
    .unwrap());
    let insurer = InsurerNumber::parse(&insurer).unwrap();
    let rows: Vec<ClaimRow> = with_db!(&source, |p| {
        sqlx::query_as(
            "SELECT file_digest, line, end_line, billing_month, provider_kind, provider_code, provider_name, \
             claim_no, claim_kind, setting, service_month, name, sex, birth_date, benefit_rate, admitted_on, \
             burden_class, notes, claim_insurer, insured_symbol, insured_number, branch_number, days, points, \
             copay_charged, meal_count, meal_amount, public_funding, prescriber, service_days FROM claim",
        )
        .fetch_all(p)
        .await
        .unwrap()
    });
    let target = kokuho_store::connect(&to).await.unwrap();
    with_db!(&target, |p| {
        sqlx::query("DELETE FROM claim").execute(p).await.unwrap();
    });
    let started = Instant::now();
    let mut tx = target.begin().await.unwrap();
    // The import writes in batches of 2,000 rows; the same here.
    for chunk in rows.chunks(2_000) {
        kokuho_store::claims::insert(&mut tx, &insurer, chunk)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "raw bulk insert: {} claims in one transaction: {:.1} s ({:.0} claims/s)",
        rows.len(),
        secs,
        rows.len() as f64 / secs
    );
}
