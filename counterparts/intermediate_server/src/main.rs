//! `kokuho-intermediate-server`: the intermediate-server stand-in as a
//! service on loopback, for end-to-end runs and load tests.
//!
//! ```text
//! kokuho-intermediate-server --listen 127.0.0.1:8090 --transfer-key FILE [--synthetic N]
//! ```
//! `--synthetic N` loads N insured persons of a synthetic insurer (319012,
//! symbol 八頭, numbers 0000001…, 枝番 01, insured since 2020-04-01) so a load
//! generator can query `GET /v1/eligibility?insurer=319012&symbol=八頭&number=…&branch=01&date=…`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use kokuho_domain::id::MyNumber;
use kokuho_formats::federation::Change;
use kokuho_formats::intermediate::HistoryRecord;
use kokuho_intermediate_server::{AppState, Registry, router};
use kokuho_vault::TransferKey;

#[derive(Parser)]
#[command(
    name = "kokuho-intermediate-server",
    about = "A stand-in for the intermediate server and the online eligibility service (tests only)"
)]
struct Cli {
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// The transfer key shared with the towns (opens their sealed files)
    #[arg(long, env = "KOKUHO_TRANSFER_KEY")]
    transfer_key: PathBuf,
    /// Load this many synthetic insured persons at start
    #[arg(long, default_value_t = 0)]
    synthetic: u64,
}

fn synthetic(n: u64) -> Vec<HistoryRecord> {
    let from =
        time::Date::from_calendar_date(2020, time::Month::April, 1).unwrap_or(time::Date::MIN);
    let born =
        time::Date::from_calendar_date(1970, time::Month::January, 1).unwrap_or(time::Date::MIN);
    (1..=n)
        .map(|i| HistoryRecord {
            change: Change::Upsert,
            insurer_number: "319012".into(),
            insured_symbol: "八頭".into(),
            insured_number: format!("{i:07}"),
            branch_number: "01".into(),
            addressee_id: format!("{i:010}"),
            period_id: i as i64,
            my_number: MyNumber::from_base(10_000_000_000 + i).map(|m| m.expose().to_string()),
            name: format!("合成　{i}"),
            name_kana: "ゴウセイ".into(),
            sex: if i % 2 == 0 { 2 } else { 1 },
            birth_date: born,
            postal_code: "6800461".into(),
            address: "鳥取県八頭郡八頭町".into(),
            householder_name: format!("合成　{i}"),
            valid_from: from,
            valid_until: None,
            loss_reason: None,
            preschool: false,
            copay_percent: Some(30),
            limit_category: None,
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let key = TransferKey::load(&cli.transfer_key)?;
    let mut secret = [0u8; 32];
    secret.copy_from_slice(&kokuho_vault::random_bytes());
    let registry = Registry::new(secret);
    if cli.synthetic > 0 {
        let t = std::time::Instant::now();
        registry.load(synthetic(cli.synthetic));
        eprintln!(
            "loaded {} synthetic periods in {:.1} s",
            registry.len(),
            t.elapsed().as_secs_f64()
        );
    }
    let app = router(AppState {
        registry,
        key: Arc::new(key),
    });
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    eprintln!(
        "intermediate-server stand-in listening on http://{}",
        cli.listen
    );
    axum::serve(listener, app).await?;
    Ok(())
}
