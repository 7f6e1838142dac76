//! `kokuho-federation`: the aggregation-system stand-in as a command.
//!
//! ```text
//! kokuho-federation --state DIR --transfer-key FILE receive FILE...
//! kokuho-federation --state DIR --transfer-key FILE answer --out DIR
//! kokuho-federation --state DIR --transfer-key FILE claims --insurer N --month YYYY-MM --out FILE
//! ```
//! `receive` checks each file and keeps it in `DIR/inbox`; `answer` reads
//! every kept file in the order they were made and writes the answers not
//! yet given to `OUT/<insurer>/`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use kokuho_federation_aggregator::Aggregator;
use kokuho_vault::TransferKey;

#[derive(Parser)]
#[command(
    name = "kokuho-federation",
    about = "A stand-in for the federation's 国保情報集約システム (tests only)"
)]
struct Cli {
    /// Folder for what the stand-in keeps between runs
    #[arg(long)]
    state: PathBuf,
    /// The transfer key shared with the towns (opens their sealed files)
    #[arg(long, env = "KOKUHO_TRANSFER_KEY")]
    transfer_key: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Take in towns' files
    Receive { files: Vec<PathBuf> },
    /// Write the answers not yet given
    Answer {
        #[arg(long)]
        out: PathBuf,
    },
    /// The claims system's stand-in: a month's claim file for one town's insured
    Claims {
        /// The town (保険者番号)
        #[arg(long)]
        insurer: String,
        /// The service month, YYYY-MM
        #[arg(long)]
        month: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn name_of(p: &Path) -> anyhow::Result<String> {
    p.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .with_context(|| format!("{} has no file name", p.display()))
}

/// Kept files in the order they were made: the time stamp in the name.
fn kept(inbox: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(inbox) {
        Ok(d) => d.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    files.sort_by_key(|p| {
        let n = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let stamp = n.split('_').nth(2).unwrap_or("").to_string();
        (stamp, n)
    });
    Ok(files)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let key = TransferKey::load(&cli.transfer_key)?;
    let inbox = cli.state.join("inbox");
    std::fs::create_dir_all(&inbox)?;
    match cli.command {
        Command::Receive { files } => {
            let mut check = Aggregator::new();
            for f in files {
                let bytes =
                    std::fs::read(&f).with_context(|| format!("reading {}", f.display()))?;
                let name = name_of(&f)?;
                let got = check.ingest(&name, &bytes, &key)?;
                std::fs::write(inbox.join(&name), &bytes)?;
                println!(
                    "received {name}: {} {} records from {}",
                    got.records, got.kind, got.insurer
                );
            }
        }
        Command::Claims {
            insurer,
            month,
            out,
            seed,
        } => {
            let mut agg = Aggregator::new();
            for f in kept(&inbox)? {
                let bytes = std::fs::read(&f)?;
                agg.ingest(&name_of(&f)?, &bytes, &key)?;
            }
            let month = kokuho_domain::burden::parse_month(&month)
                .with_context(|| format!("{month}: not a month YYYY-MM"))?;
            let file = std::io::BufWriter::new(std::fs::File::create(&out)?);
            let w = agg.claims_for(&insurer, month, seed, file)?;
            println!(
                "claims for {insurer}: {} claims from {} providers in {}",
                w.claims,
                w.providers,
                out.display()
            );
        }
        Command::Answer { out } => {
            let mut agg = Aggregator::new();
            for f in kept(&inbox)? {
                let bytes = std::fs::read(&f)?;
                agg.ingest(&name_of(&f)?, &bytes, &key)?;
            }
            let answered = cli.state.join("answered.txt");
            if let Ok(text) = std::fs::read_to_string(&answered) {
                agg.load_answered(&text)?;
            }
            let now =
                time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(9, 0, 0)?);
            let now = time::PrimitiveDateTime::new(now.date(), now.time()).replace_nanosecond(0)?;
            for file in agg.answers(now) {
                let dir = out.join(&file.header.insurer_number);
                std::fs::create_dir_all(&dir)?;
                let name = file.file_name()?;
                std::fs::write(dir.join(&name), kokuho_formats::federation::write(&file)?)?;
                println!(
                    "answered {}/{name}: {} records",
                    file.header.insurer_number,
                    file.body.len()
                );
            }
            std::fs::write(&answered, agg.answered_lines().join("\n"))?;
        }
    }
    Ok(())
}
