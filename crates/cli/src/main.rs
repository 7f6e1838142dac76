//! `kokuho`: the one binary. Every subcommand is a thin shell over
//! `kokuho-app`; messages for staff are Japanese, help and logs English.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use kokuho_app::registry::PersonSearch;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Kokuho, vault_admin};
use kokuho_domain::id::{InsurerNumber, MyNumber};
use kokuho_domain::wareki;
use kokuho_store::Db;
use kokuho_vault::Keyring;
use time::OffsetDateTime;

#[derive(Parser)]
#[command(name = "kokuho", version, about = "National Health Insurance (国民健康保険) affairs for a Japanese municipality", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST:PORT/DB
    #[arg(
        long,
        env = "KOKUHO_DATABASE_URL",
        default_value = "sqlite://kokuho.db"
    )]
    database: String,
    /// The vault keyring file (My Number encryption and lookup keys); keep it outside the database
    #[arg(
        long,
        env = "KOKUHO_VAULT_KEYRING",
        default_value = "kokuho-vault.keys"
    )]
    keyring: PathBuf,
    /// The insurer (保険者番号) to act for; defaults to the database's only insurer
    #[arg(long, env = "KOKUHO_INSURER")]
    insurer: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application and the JSON API
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address and port to listen on
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Create the synthetic demo town (first run) and serve it on 127.0.0.1
    Demo {
        /// Folder for the demo database and its keyring
        #[arg(long, default_value = "kokuho-demo")]
        data_dir: PathBuf,
        /// Address and port to listen on (loopback only)
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Residents of the synthetic town
        #[arg(long, default_value_t = town::DEFAULT_RESIDENTS)]
        residents: u64,
    },
    /// Write a synthetic town into a database (nothing is served)
    Generate {
        #[command(flatten)]
        db: DbArgs,
        /// Residents of the synthetic town (about 2.46 a household)
        #[arg(long, default_value_t = town::DEFAULT_RESIDENTS)]
        residents: u64,
        /// Seed: the same seed gives the same town
        #[arg(long, default_value_t = town::DEFAULT_SEED)]
        seed: u64,
    },
    /// Apply the database migrations (every command also does this at start)
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Check an identifier: prints `valid` (exit 0) or the reason (exit 1)
    Id {
        #[command(subcommand)]
        kind: IdKind,
    },
    /// Convert a date to 和暦, or parse 和暦 (--parse) to YYYY-MM-DD
    Wareki {
        /// A date (YYYY-MM-DD), or with --parse a 和暦 date such as R6.1.1 or 令和6年1月1日
        date: String,
        /// Parse 和暦 and print the Western date
        #[arg(long)]
        parse: bool,
    },
    /// Look up persons of the addressee registry (宛名)
    Person {
        #[command(subcommand)]
        action: PersonAction,
    },
    /// Show a household (世帯) with its members
    Household {
        #[command(flatten)]
        db: DbArgs,
        /// 世帯番号
        household_number: String,
    },
    /// Manage the My Number vault: keys, rotation, leak scans
    Vault {
        #[command(subcommand)]
        action: VaultAction,
    },
    /// Print the OpenAPI document of the JSON API
    Openapi,
}

#[derive(Subcommand)]
enum IdKind {
    /// 個人番号 (12 digits with check digit); '-' reads it from standard input
    MyNumber { number: String },
    /// 保険者番号 (6 digits for a municipal insurer, 8 for others)
    Insurer { number: String },
}

#[derive(Subcommand)]
enum PersonAction {
    /// Search by kana (any width), name, birth date (和暦 or ISO) or 宛名番号
    Search {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        kana: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        birth_date: Option<String>,
        #[arg(long)]
        addressee_id: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Show one person by 宛名番号
    Show {
        #[command(flatten)]
        db: DbArgs,
        addressee_id: String,
    },
    /// Find the person holding a My Number, read from standard input (never from the command line)
    FindByMyNumber {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum VaultAction {
    /// Create a new keyring file (refuses to overwrite one)
    InitKeys {
        #[arg(
            long,
            env = "KOKUHO_VAULT_KEYRING",
            default_value = "kokuho-vault.keys"
        )]
        keyring: PathBuf,
    },
    /// Which keys exist and how many rows each seals
    Status {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Add a new encryption key and re-encrypt every row under it, all or nothing
    RotateKey {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove an old encryption key once no row uses it
    RetireKey {
        #[command(flatten)]
        db: DbArgs,
        key_id: u32,
    },
    /// Count valid-looking My Numbers in files (database, WAL, logs, exports); exit 1 if any
    LeakScan {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KOKUHO_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kokuho: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            ExitCode::FAILURE
        }
    }
}

/// Prints an error for a person at a terminal: Japanese first, then the
/// English detail and code.
fn report(e: &anyhow::Error) {
    if let Some(app) = e.downcast_ref::<AppError>() {
        eprintln!("エラー: {}", app.message_ja());
        eprintln!("error [{}]: {}", app.code(), app.message_en());
    } else {
        eprintln!("error: {e:#}");
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { db, listen } => {
            let app = open_app(&db).await?;
            kokuho_web::serve(app, listen, |addr| {
                println!("kokuho: listening on http://{addr}/");
            })
            .await?;
        }
        Command::Demo {
            data_dir,
            listen,
            residents,
        } => demo(&data_dir, listen, residents).await?,
        Command::Generate {
            db,
            residents,
            seed,
        } => {
            let database = Db::open(&db.database).await?;
            database.migrate().await?;
            let ring = load_or_create_keyring(&db.keyring)?;
            let mut spec = TownSpec::demo(residents, seed);
            if let Some(insurer) = &db.insurer {
                spec.insurer_number = InsurerNumber::parse(insurer).map_err(AppError::from)?;
            }
            generate(&database, &ring, &spec).await?;
            database.checkpoint().await?;
            database.close().await;
        }
        Command::Migrate { db } => {
            let database = kokuho_store::connect(&db.database).await?;
            let versions = kokuho_store::schema::applied_versions(&database).await?;
            println!(
                "migrated: {} ({} migrations applied)",
                database.backend().name(),
                versions.len()
            );
        }
        Command::Id { kind } => return Ok(check_id(kind)),
        Command::Wareki { date, parse } => {
            let result = if parse {
                wareki::parse_date(&date).map(|d| d.to_string())
            } else {
                wareki::parse_date(&date).and_then(wareki::format_date)
            };
            return Ok(match result {
                Ok(text) => {
                    println!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    println!("{}", e.message_ja());
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            });
        }
        Command::Person { action } => person(action).await?,
        Command::Household {
            db,
            household_number,
        } => {
            let app = open_app(&db).await?;
            let view = app.household(&household_number).await?;
            let h = &view.household;
            println!(
                "世帯番号 {}  〒{} {}",
                h.household_number, h.postal_code, h.address
            );
            for m in &view.members {
                print_person_line(m);
            }
        }
        Command::Vault { action } => return vault(action).await,
        Command::Openapi => {
            println!("{}", kokuho_web::openapi().to_pretty_json()?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check_id(kind: IdKind) -> ExitCode {
    let result = match kind {
        IdKind::MyNumber { number } => {
            let number = if number == "-" {
                let mut s = String::new();
                if std::io::stdin().read_to_string(&mut s).is_err() {
                    println!("invalid: could not read standard input");
                    return ExitCode::FAILURE;
                }
                s
            } else {
                number
            };
            MyNumber::parse(&number).map(|_| ())
        }
        IdKind::Insurer { number } => {
            kokuho_domain::id::check_any_insurer_number(&number).map(|_| ())
        }
    };
    match result {
        Ok(()) => {
            println!("valid");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("invalid: {e} ({})", e.message_ja());
            ExitCode::FAILURE
        }
    }
}

fn load_keyring(path: &Path) -> anyhow::Result<Keyring> {
    // A keyring given inline (e.g. from a secret store) takes precedence.
    if let Ok(text) = std::env::var("KOKUHO_VAULT_KEYS") {
        return Keyring::parse(&text).context("KOKUHO_VAULT_KEYS");
    }
    Keyring::load(path).with_context(|| {
        format!(
            "cannot read the vault keyring {}: create one with `kokuho vault init-keys --keyring {}` or set KOKUHO_VAULT_KEYRING",
            path.display(),
            path.display()
        )
    })
}

fn load_or_create_keyring(path: &Path) -> anyhow::Result<Keyring> {
    if std::env::var_os("KOKUHO_VAULT_KEYS").is_some() || path.exists() {
        return load_keyring(path);
    }
    let ring = Keyring::generate();
    ring.save(path)?;
    eprintln!(
        "kokuho: created a new vault keyring at {} (mode 0600). Keep it safe and apart from the database: without it no My Number can be read.",
        path.display()
    );
    Ok(ring)
}

async fn open_app(args: &DbArgs) -> anyhow::Result<Kokuho> {
    let db = kokuho_store::connect(&args.database).await?;
    let ring = load_keyring(&args.keyring)?;
    let insurer = match &args.insurer {
        Some(s) => InsurerNumber::parse(s).map_err(AppError::from)?,
        None => kokuho_app::sole_insurer(&db).await?,
    };
    Ok(Kokuho::new(db, Arc::new(ring), insurer))
}

async fn generate(db: &Db, ring: &Keyring, spec: &TownSpec) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut next_report = 100_000;
    let report = town::generate(db, ring, spec, OffsetDateTime::now_utc(), |done| {
        if done >= next_report {
            tracing::info!(persons = done, "generating");
            next_report += 100_000;
        }
    })
    .await?;
    println!(
        "generated {} (insurer {}): {} persons, {} households, {} My Numbers in the vault, in {:.1} s",
        spec.insurer_name,
        report.insurer_number,
        report.persons,
        report.households,
        report.numbers,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn demo(data_dir: &Path, listen: SocketAddr, residents: u64) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() {
        bail!("the demo serves on a loopback address only (127.0.0.1 or ::1), not {listen}");
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let db_path = data_dir.join("kokuho.db");
    let args = DbArgs {
        database: format!("sqlite://{}", db_path.display()),
        keyring: data_dir.join("vault.keys"),
        insurer: Some(town::demo_insurer().to_string()),
    };
    let db = kokuho_store::connect(&args.database).await?;
    let ring = load_or_create_keyring(&args.keyring)?;
    let spec = TownSpec::demo(residents, town::DEFAULT_SEED);
    if kokuho_store::addressee::count_persons(&db, &spec.insurer_number).await? == 0 {
        generate(&db, &ring, &spec).await?;
        db.checkpoint().await?;
    } else {
        println!(
            "kokuho demo: using the existing town in {}",
            db_path.display()
        );
    }
    let app = Kokuho::new(db, Arc::new(ring), spec.insurer_number.clone());
    kokuho_web::serve(app, listen, |addr| {
        println!("kokuho demo: {} (保険者番号 {})", spec.insurer_name, spec.insurer_number);
        println!("  listening on   http://{addr}/");
        println!("  health         http://{addr}/health");
        println!("  API            http://{addr}/api/v1/persons?kana=タナカ");
        println!("  API docs       http://{addr}/swagger-ui/");
        println!("  demo login     none yet: sign-in arrives with access control; the demo listens on loopback only");
        println!("  stop with Ctrl-C; the data stays in {}", data_dir.display());
    })
    .await?;
    Ok(())
}

fn print_person_line(p: &kokuho_domain::addressee::Addressee) {
    println!(
        "{}  {}（{}）  {}生  {}  {}  世帯{}",
        p.addressee_id,
        p.name,
        p.name_kana,
        wareki::format_date(p.birth_date).unwrap_or_else(|_| p.birth_date.to_string()),
        p.sex.label_ja(),
        p.relationship.label_ja(),
        p.household_number
    );
}

async fn person(action: PersonAction) -> anyhow::Result<()> {
    match action {
        PersonAction::Search {
            db,
            kana,
            name,
            birth_date,
            addressee_id,
            limit,
        } => {
            let app = open_app(&db).await?;
            let found = app
                .search_persons(&PersonSearch {
                    kana,
                    name,
                    birth_date,
                    addressee_id,
                    limit: Some(limit),
                })
                .await?;
            for p in &found {
                print_person_line(p);
            }
            println!("{}件", found.len());
        }
        PersonAction::Show { db, addressee_id } => {
            let app = open_app(&db).await?;
            let v = app.person(&addressee_id).await?;
            print_person_line(&v.person);
            println!("  〒{} {}", v.person.postal_code, v.person.address);
            println!(
                "  個人番号: {}",
                if v.has_my_number {
                    "登録あり"
                } else {
                    "未登録"
                }
            );
        }
        PersonAction::FindByMyNumber { db } => {
            let app = open_app(&db).await?;
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            let v = app.find_by_my_number(&s).await?;
            print_person_line(&v.person);
        }
    }
    Ok(())
}

async fn vault(action: VaultAction) -> anyhow::Result<ExitCode> {
    match action {
        VaultAction::InitKeys { keyring } => {
            if keyring.exists() {
                bail!(
                    "{} exists already; a keyring is never overwritten",
                    keyring.display()
                );
            }
            Keyring::generate().save(&keyring)?;
            println!("created {} (mode 0600)", keyring.display());
        }
        VaultAction::Status { db } => {
            let database = kokuho_store::connect(&db.database).await?;
            let ring = load_keyring(&db.keyring)?;
            let s = vault_admin::status(&database, &ring).await?;
            println!("current encryption key: {}", s.current_key);
            println!("keys in the keyring:    {:?}", s.keys_in_ring);
            for (key, rows) in &s.rows_per_key {
                println!("rows sealed by key {key}: {rows}");
            }
        }
        VaultAction::RotateKey { db } => {
            if std::env::var_os("KOKUHO_VAULT_KEYS").is_some() {
                bail!(
                    "rotation writes the keyring file: use KOKUHO_VAULT_KEYRING, not KOKUHO_VAULT_KEYS"
                );
            }
            let database = kokuho_store::connect(&db.database).await?;
            let r = vault_admin::rotate_key(&database, &db.keyring).await?;
            database.checkpoint().await?;
            println!(
                "rotated: new key {}, {} rows re-encrypted",
                r.new_key, r.resealed
            );
        }
        VaultAction::RetireKey { db, key_id } => {
            let database = kokuho_store::connect(&db.database).await?;
            vault_admin::retire_key(&database, &db.keyring, key_id).await?;
            println!("key {key_id} removed from {}", db.keyring.display());
        }
        VaultAction::LeakScan { files } => {
            let mut total = 0;
            for f in &files {
                let bytes =
                    std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
                let n = kokuho_app::leak_scan::count_my_numbers(&bytes);
                println!("{}: {n}", f.display());
                total += n;
            }
            if total > 0 {
                println!("FOUND {total} valid-looking My Numbers outside the vault");
                return Ok(ExitCode::FAILURE);
            }
            println!("no My Number found");
        }
    }
    Ok(ExitCode::SUCCESS)
}
