//! `kokuho`: the one binary. Every subcommand is a thin shell over
//! `kokuho-app`; messages for staff are Japanese, help and logs English.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use kokuho_app::jobs::JobKind;
use kokuho_app::registry::PersonSearch;
use kokuho_app::session::Session;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Kokuho};
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
    /// The operator's account: commands that read or change personal data act as it
    #[arg(long, env = "KOKUHO_OPERATOR")]
    operator: Option<String>,
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
        /// Mark session cookies Secure (set when a TLS reverse proxy serves kokuho)
        #[arg(long, env = "KOKUHO_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Folder the jobs page writes exchange files to (outbox/federation,
        /// outbox/intermediate); with --transfer-key
        #[arg(long, env = "KOKUHO_EXCHANGE_DIR", requires = "transfer_key")]
        exchange_dir: Option<PathBuf>,
        /// The transfer key file the jobs page seals exchange files with
        #[arg(long, env = "KOKUHO_TRANSFER_KEY", requires = "exchange_dir")]
        transfer_key: Option<PathBuf>,
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
        /// Leave out the three years of eligibility history
        #[arg(long)]
        no_history: bool,
        /// Also write a sample resident-registry feed (UTF-8) to this file
        #[arg(long)]
        feed_sample: Option<PathBuf>,
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
    /// Eligibility (資格): acquire, lose, correct, show, the as-of export, the daily age job, proposals
    Eligibility {
        #[command(subcommand)]
        action: EligibilityAction,
    },
    /// Import the resident-registry change file (住基異動) and raise eligibility proposals
    RegistryImport {
        #[command(flatten)]
        db: DbArgs,
        /// The file (layout: docs/formats/registry-feed.md)
        file: PathBuf,
        /// utf-8 or cp932
        #[arg(long, default_value = "utf-8")]
        encoding: String,
    },
    /// Import the tax system's income file (所得情報; layout: docs/formats/income.md)
    IncomeImport {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
        /// utf-8 or cp932
        #[arg(long, default_value = "utf-8")]
        encoding: String,
    },
    /// Manage the My Number vault: keys, rotation, leak scans
    Vault {
        #[command(subcommand)]
        action: VaultAction,
    },
    /// Burden categories (国保負担区分): judge again, show a household's history
    Burden {
        #[command(subcommand)]
        action: BurdenAction,
    },
    /// Claim files (レセプト): a sample month for the town, reading a file
    Claims {
        #[command(subcommand)]
        action: ClaimsAction,
    },
    /// The monthly high-cost run (高額療養費): decisions from the stored claims,
    /// a household's history, months handed over from another municipality
    HighCost {
        #[command(subcommand)]
        action: HighCostAction,
    },
    /// Bank accounts benefits are paid into (口座): the 公金受取口座 or an
    /// application's account, checked for the transfer file
    PaymentAccount {
        #[command(subcommand)]
        action: PaymentAccountAction,
    },
    /// Benefit applications (給付の申請): receive and check one, the
    /// supervisor's decision, the queue, a person's history
    Benefits {
        #[command(subcommand)]
        action: BenefitsAction,
    },
    /// 特定疾病の認定 (人工透析・血友病・HIV): record one, list a person's
    SpecifiedDisease {
        #[command(subcommand)]
        action: SpecifiedDiseaseAction,
    },
    /// Printed documents (帳票): the kinds, one at the counter, reprints,
    /// a resident's history, batches for the whole town
    Documents {
        #[command(subcommand)]
        action: DocumentsAction,
    },
    /// Exchange (連携) with the prefecture federation's 国保情報集約システム:
    /// the town's extracts, the federation's answers, household continuity
    Exchange {
        #[command(subcommand)]
        action: ExchangeAction,
    },
    /// Statistics (統計): the monthly and yearly business reports
    /// (事業月報・事業年報) as CSV, xlsx or PDF, their closing, what changed
    /// since, and the charts
    Stats {
        #[command(subcommand)]
        action: StatsAction,
    },
    /// Payments (支払): the transfer file's name check, payment runs, the
    /// town's bank contract
    Payments {
        #[command(subcommand)]
        action: PaymentsAction,
    },
    /// The NHI tax levy (国民健康保険税): the annual assessment, a household's
    /// versions and schedule, the ordinance profile
    Levy {
        #[command(subcommand)]
        action: LevyAction,
    },
    /// Write a sample income file for the synthetic town (demo and benchmarks)
    IncomeSample {
        #[command(flatten)]
        db: DbArgs,
        /// The income year (所得年)
        #[arg(long)]
        year: i32,
        /// Where to write the CSV (docs/formats/income.md)
        #[arg(long)]
        out: PathBuf,
    },
    /// Imports and batches (取込・一括処理): what ran, how it ended, error reports
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Print the OpenAPI document of the JSON API
    Openapi,
    /// Staff accounts: create, disable, grant, training records
    Account {
        #[command(subcommand)]
        action: AccountAction,
    },
    /// The access log: verify its hash chain, print its head
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Retention: list (--dry-run) or erase what is past its retention period
    Retention {
        #[command(subcommand)]
        action: RetentionAction,
    },
    /// Trial calculations (試算) from figures on standard input; reads no database
    Calc {
        #[command(subcommand)]
        action: CalcAction,
    },
    /// The privacy impact assessment (特定個人情報保護評価)
    Pia {
        #[command(subcommand)]
        action: PiaAction,
    },
}

#[derive(Subcommand)]
enum CalcAction {
    /// A household's income categories (適用区分) and copay rates for a month:
    /// JSON in (standard input), JSON out (docs/api/calc.md)
    Burden,
    /// A household's NHI tax for a fiscal year (税額試算), every line explained:
    /// JSON in (standard input), JSON out (docs/api/calc.md)
    Levy,
    /// A household's high-cost benefit (高額療養費) for a service month, step
    /// by step: JSON in (standard input), JSON out (docs/api/calc.md)
    HighCost,
}

#[derive(Subcommand)]
enum BurdenAction {
    /// Judge every NHI household's categories again for the months FROM..=TO (YYYY-MM)
    Recompute {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// Record a 基準収入額適用 application for a household from a month (YYYY-MM)
    /// and judge its months from then on again
    Apply {
        #[command(flatten)]
        db: DbArgs,
        /// 世帯番号
        #[arg(long)]
        household: String,
        #[arg(long)]
        from: String,
    },
    /// Every recorded version of a household's categories
    Show {
        #[command(flatten)]
        db: DbArgs,
        /// 世帯番号
        #[arg(long)]
        household: String,
    },
}

/// The stated purpose of an exchange (it handles specific personal information).
#[derive(Args, Clone)]
struct PurposeArgs {
    /// Why (recorded with the access): e.g. 月次の資格情報送付
    #[arg(long, default_value = "国保情報集約システムとの定例の連携")]
    reason: String,
    /// The lawful affair it serves (nhi, online_eligibility, …)
    #[arg(long, default_value = "nhi")]
    affair: String,
}

#[derive(clap::Args)]
struct StatsOutput {
    /// The moment the figures reflect (RFC 3339); default: the period's
    /// closing if it was closed, else now
    #[arg(long, conflicts_with = "now")]
    known_at: Option<String>,
    /// As known now even for a closed period
    #[arg(long)]
    now: bool,
    /// csv, csv-cp932, xlsx, pdf or json
    #[arg(long, default_value = "csv")]
    format: String,
    /// The file to write (written whole or not at all)
    #[arg(long)]
    out: PathBuf,
    /// Mask small counts (1 to --threshold) and their amounts for publication
    #[arg(long)]
    publish: bool,
    #[arg(long, default_value_t = kokuho_app::statistics::DEFAULT_MASK_THRESHOLD)]
    threshold: i64,
    /// What the report is for (recorded with the access)
    #[arg(long, default_value = "事業状況報告の作成")]
    purpose: String,
}

#[derive(Subcommand)]
enum StatsAction {
    /// The monthly report (事業月報) of a month
    Monthly {
        #[command(flatten)]
        db: DbArgs,
        /// YYYY-MM
        #[arg(long)]
        month: String,
        #[command(flatten)]
        output: StatsOutput,
    },
    /// The yearly report (事業年報) of a fiscal year (April to March)
    Yearly {
        #[command(flatten)]
        db: DbArgs,
        /// The fiscal year, e.g. 2026 for April 2026 to March 2027
        #[arg(long)]
        fiscal_year: String,
        #[command(flatten)]
        output: StatsOutput,
    },
    /// Close a month (--month) or a year (--fiscal-year): its report is
    /// from then on produced as known at this moment
    Close {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, conflicts_with = "fiscal_year")]
        month: Option<String>,
        #[arg(long)]
        fiscal_year: Option<String>,
        /// Close even though the report says data is missing
        #[arg(long)]
        allow_incomplete: bool,
        #[arg(long, default_value = "事業状況報告の締め")]
        purpose: String,
    },
    /// The figures of a closed period that the data as known now gives
    /// otherwise (retroactive changes since the closing)
    Changes {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, conflicts_with = "fiscal_year")]
        month: Option<String>,
        #[arg(long)]
        fiscal_year: Option<String>,
        #[arg(long, default_value = "締め後の遡及異動の確認")]
        purpose: String,
    },
    /// The periods closed, when and by whom
    Closings {
        #[command(flatten)]
        db: DbArgs,
    },
    /// The council's charts of a fiscal year as SVG files, each with its
    /// table as CSV, into a folder
    Charts {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        fiscal_year: String,
        #[arg(long)]
        out: PathBuf,
        /// Mask small counts (1 to --threshold) in the charts' tables and
        /// leave them out of the drawings, for publication
        #[arg(long)]
        publish: bool,
        #[arg(long, default_value_t = kokuho_app::statistics::DEFAULT_MASK_THRESHOLD)]
        threshold: i64,
        #[arg(long, default_value = "国保運営協議会資料の作成")]
        purpose: String,
    },
}

#[derive(Subcommand)]
enum ExchangeAction {
    /// Write the town's files for a counterpart into a folder: the changes
    /// since the last send (the first send is full), or all with --full;
    /// the file holding My Numbers is sealed under the transfer key
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// federation (国保情報集約システム) or intermediate (the eligibility
        /// history for online eligibility, 中間サーバー, relayed by the federation)
        #[arg(long, default_value = "federation")]
        to: String,
        /// Only what changed after this moment (RFC 3339); default: since the last send
        #[arg(long, conflicts_with = "full")]
        since: Option<String>,
        /// Everything (全件)
        #[arg(long)]
        full: bool,
        #[arg(long)]
        out: PathBuf,
        /// The transfer key file shared with the counterpart
        #[arg(long, env = "KOKUHO_TRANSFER_KEY")]
        transfer_key: PathBuf,
        #[command(flatten)]
        purpose: PurposeArgs,
    },
    /// Take in files from the federation (資格継続引継情報, 高額該当引継情報):
    /// each all or nothing, each once
    Import {
        #[command(flatten)]
        db: DbArgs,
        files: Vec<PathBuf>,
        /// The transfer key, for a sealed file
        #[arg(long, env = "KOKUHO_TRANSFER_KEY")]
        transfer_key: Option<PathBuf>,
        #[command(flatten)]
        purpose: PurposeArgs,
    },
    /// Each change of eligibility against the deadline for registering it
    /// with the intermediate server: sent in time, sent late, due, overdue
    Due {
        #[command(flatten)]
        db: DbArgs,
        /// Changes accepted on or after this date (YYYY-MM-DD); default: 30 days ago
        #[arg(long)]
        from: Option<String>,
        /// Only what is due or overdue
        #[arg(long)]
        open: bool,
        #[command(flatten)]
        purpose: PurposeArgs,
    },
    /// The files sent and received (name, time, records, hash, purpose)
    Files {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        purpose: PurposeArgs,
    },
    /// Persons moved in from another municipality of the prefecture, and
    /// the households waiting for the town's judgement
    Continuity {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        purpose: PurposeArgs,
    },
    /// Judge whether a household continues the one it was in the other
    /// municipality (世帯の継続性): sent with the next export
    Judge {
        #[command(flatten)]
        db: DbArgs,
        /// This town's 世帯番号
        #[arg(long)]
        household: String,
        /// The municipality it came from (保険者番号)
        #[arg(long)]
        from_insurer: String,
        /// yes: the household continues (its high-cost months are handed over); no: it does not
        #[arg(long)]
        continues: String,
        #[command(flatten)]
        purpose: PurposeArgs,
    },
    /// Create a transfer key file (refuses to overwrite one); give the same
    /// file to the counterpart's link
    InitTransferKey { file: PathBuf },
    /// Rotate the transfer key: a new key seals from now on; the earlier
    /// one (--keep of them) stays in the file to open files sealed before.
    /// Give the new file to the counterpart's link
    RotateTransferKey {
        file: PathBuf,
        /// Earlier keys kept for opening
        #[arg(long, default_value_t = 1)]
        keep: usize,
    },
    /// Refresh the provision copies (副本) for information linkage from
    /// eligibility changed since the last refresh
    ReplicaRefresh {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        purpose: PurposeArgs,
    },
    /// Answer a query of the information-provision network from the
    /// provision copies: only for an item the town provides (別表第二);
    /// any other item is refused; both are logged
    LinkageAnswer {
        #[command(flatten)]
        db: DbArgs,
        /// The 別表第二 item number the query names
        #[arg(long)]
        item: u16,
        /// The requesting agency (情報照会者), by its code
        #[arg(long)]
        agency: String,
        /// 団体内統合宛名番号 of the person
        #[arg(long)]
        integrated_id: String,
        /// The date asked about (YYYY-MM-DD)
        #[arg(long)]
        date: String,
    },
}

#[derive(Subcommand)]
enum ClaimsAction {
    /// Write a sample month of claims for the town's insured (demo and
    /// benchmarks), as the federation sends them (docs/formats/claims.md)
    Sample {
        #[command(flatten)]
        db: DbArgs,
        /// The service month, YYYY-MM
        #[arg(long)]
        month: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Import the federation's claim file (docs/formats/claims.md): all or
    /// nothing, the same file twice stored once; progress on standard error
    Import {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
    /// The eligibility check (資格点検) of a processing month against the
    /// eligibility history and burden categories as known at a moment;
    /// lists the claims to return, adjust or confirm
    Check {
        #[command(flatten)]
        db: DbArgs,
        /// The processing month (請求年月), YYYY-MM
        #[arg(long)]
        month: String,
        /// As known at this moment (RFC 3339); default: now
        #[arg(long)]
        known_at: Option<String>,
        /// Also write the list as CSV here
        #[arg(long)]
        csv: Option<PathBuf>,
        /// utf-8 or cp932
        #[arg(long, default_value = "utf-8")]
        encoding: String,
    },
    /// The processing months with claims, and the checks run on them
    Months {
        #[command(flatten)]
        db: DbArgs,
    },
    /// A check's list of claims as CSV on standard output (or --out)
    Findings {
        #[command(flatten)]
        db: DbArgs,
        /// The check's number (from `kokuho claims months`)
        #[arg(long)]
        check: i64,
        /// utf-8 or cp932
        #[arg(long, default_value = "utf-8")]
        encoding: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read a claim file through and report what it holds (no database):
    /// claims per kind and setting, points, the trailer; exit 1 naming the
    /// line, record and field of the first malformed record
    Read { file: PathBuf },
}

// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum BenefitsAction {
    /// Receive and check an application; prints its number as the last line
    /// (exit 1 naming the reason when refused: nothing is kept)
    Apply {
        #[command(flatten)]
        db: DbArgs,
        /// high-cost-benefit, annual-outpatient, combined-care, reimbursement,
        /// childbirth-grant, funeral-grant, transport-benefit, meal-difference
        #[arg(long)]
        kind: String,
        /// 宛名番号 of the insured person the event is about (the mother, the
        /// deceased, the patient); not for high-cost-benefit
        #[arg(long)]
        person: Option<String>,
        /// The event's day (birth, death, care, transport; YYYY-MM-DD)
        #[arg(long)]
        on: Option<String>,
        /// The day received (YYYY-MM-DD); default: today
        #[arg(long)]
        received_on: Option<String>,
        /// Who applied and their relation (申請者)
        #[arg(long)]
        applicant: String,
        /// The documents shown
        #[arg(long, default_value = "")]
        documents: String,
        /// 宛名番号 of the payee; default the householder (葬祭費: required)
        #[arg(long)]
        payee: Option<String>,
        /// Why the payee is paid: entitled (the householder, or whoever held
        /// the funeral), heir (相続人: the entitled person died) or proxy
        /// (代理人: by a letter of authority, 委任状)
        #[arg(long, default_value = "entitled")]
        payee_basis: String,
        /// 葬祭費 paid to an heir or a proxy: 宛名番号 of whoever held the funeral
        #[arg(long)]
        entitled: Option<String>,
        /// Pay into the application's account, not the 公金受取口座
        #[arg(long)]
        application_account: bool,
        /// 療養費: appliance, judo-therapy, acupuncture-massage, overseas, other
        #[arg(long)]
        r#type: Option<String>,
        /// 療養費: the checked cost (費用額); 移送費: what was paid
        #[arg(long)]
        cost: Option<i64>,
        /// 療養費: the receipt's or provider's reference
        #[arg(long, default_value = "")]
        reference: String,
        /// 移送費: the cost of the most economical usual route
        #[arg(long)]
        economical: Option<i64>,
        /// 出産育児一時金: children born
        #[arg(long, default_value_t = 1)]
        children: u8,
        /// 出産育児一時金: weeks of pregnancy (and --days)
        #[arg(long)]
        weeks: Option<u32>,
        #[arg(long, default_value_t = 0)]
        days: u32,
        /// 出産育児一時金: the facility takes part in 産科医療補償制度
        #[arg(long)]
        compensation: bool,
        /// 出産育児一時金: what was paid to the facility directly (直接支払制度)
        #[arg(long, default_value_t = 0)]
        paid_directly: i64,
        /// 葬祭費: the funeral's day
        #[arg(long)]
        funeral_on: Option<String>,
        /// 食事療養標準負担額差額: the last meal's day (--on: the first's)
        #[arg(long)]
        until: Option<String>,
        /// 食事療養標準負担額差額: meals paid at the general charge
        #[arg(long)]
        meals: Option<u32>,
        /// 食事療養標準負担額差額: over 90 days of stay in twelve months
        #[arg(long)]
        long_stay: bool,
        /// 高額療養費: the household and service month (YYYY-MM)
        #[arg(long)]
        household: Option<String>,
        #[arg(long)]
        month: Option<String>,
        /// 外来年間合算 (annual-outpatient, with --person): the year of the
        /// period's August, as the yearly run decided it; 高額介護合算
        /// (combined-care, with --person, a member of the household)
        #[arg(long)]
        year: Option<i32>,
        /// 高額療養費: the householder asks for the simplified route (later
        /// months applied for by `benefits simplified-route run`)
        #[arg(long)]
        simplified_route: bool,
    },
    /// 高額療養費 by the simplified route (申請簡素化, where the town takes
    /// it: setting high_cost_simplified_route)
    SimplifiedRoute {
        #[command(subcommand)]
        action: SimplifiedAction,
    },
    /// Recoveries (返納金) of benefits paid above a later decision
    Recovery {
        #[command(subcommand)]
        action: RecoveryAction,
    },
    /// 高額介護合算療養費: certificates of the care insurer and other
    /// medical insurers, and the household's year (apply with --kind
    /// combined-care --person --year)
    CombinedCare {
        #[command(subcommand)]
        action: CombinedCareAction,
    },
    /// 支給額計算結果連絡票 received: the share of a year another insurer
    /// computed (外来年間合算 or 高額介護合算) for the months the person
    /// spent here; then apply with --kind annual-outpatient|combined-care
    ShareNotice {
        #[command(subcommand)]
        action: ShareNoticeAction,
    },
    /// 葬祭費: the town's own figure by its ordinance (set: the
    /// administrator; list: the benefits staff)
    FuneralGrant {
        #[command(subcommand)]
        action: FuneralGrantAction,
    },
    /// Decide applications: --pay, or --refuse REASON (a supervisor other
    /// than the clerk who received them); each id decided on its own
    Decide {
        #[command(flatten)]
        db: DbArgs,
        #[arg(required = true)]
        ids: Vec<i64>,
        #[arg(long, conflicts_with = "refuse")]
        pay: bool,
        #[arg(long)]
        refuse: Option<String>,
        /// The decision's day (YYYY-MM-DD); default: today
        #[arg(long)]
        on: Option<String>,
    },
    /// Revoke a decision to pay before any money went (a supervisor), with
    /// the reason: the payee died and the heir applies, or it was wrong
    Revoke {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
        #[arg(long)]
        reason: String,
        /// The day (YYYY-MM-DD); default: today
        #[arg(long)]
        on: Option<String>,
    },
    /// Applications awaiting a decision, the oldest first
    Queue {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// One application with how its amount was reached
    Show {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
    },
    /// A person's applications and where each payment stands
    History {
        #[command(flatten)]
        db: DbArgs,
        /// 宛名番号
        #[arg(long)]
        person: String,
    },
}

#[derive(Subcommand)]
enum SimplifiedAction {
    /// Put a household on the route from a service month (its 申出書)
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        household: String,
        /// The first service month covered (YYYY-MM)
        #[arg(long)]
        from: String,
        /// The day of the request (YYYY-MM-DD); default: today
        #[arg(long)]
        consented_on: Option<String>,
    },
    /// The households on the route
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Apply for a service month's 高額療養費 of every household on the
    /// route (the supervisor still decides); run again, nothing is made twice
    Run {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        month: String,
    },
}

#[derive(Subcommand)]
enum FuneralGrantAction {
    /// Record the town's 葬祭費 from a day, with the ordinance and article
    Set {
        #[command(flatten)]
        db: DbArgs,
        /// The first day of death it applies to (YYYY-MM-DD)
        #[arg(long)]
        from: String,
        /// Yen
        #[arg(long)]
        amount: i64,
        /// The ordinance and article (e.g. 八頭町国民健康保険条例 第8条)
        #[arg(long)]
        source: String,
    },
    /// The town's records, by day
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum CombinedCareAction {
    /// Enter a certificate: the care insurer's (介護自己負担額証明書, --side
    /// care) or another medical insurer's for months spent with it (--side
    /// medical); prints the entry's number
    Certificate {
        #[command(flatten)]
        db: DbArgs,
        /// 宛名番号 of the person the certificate is about
        #[arg(long)]
        person: String,
        /// The year of the period's August (2025 → 2025-08 to 2026-07)
        #[arg(long)]
        year: i32,
        /// care | medical
        #[arg(long)]
        side: String,
        /// The certifying insurer's number (保険者番号)
        #[arg(long)]
        issuer: String,
        /// The certificate's number or the day it was issued
        #[arg(long)]
        certificate: String,
        /// The months certified (YYYY-MM)
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// The copays certified (yen)
        #[arg(long)]
        amount: i64,
        /// … of which in the months aged 70–74 (yen)
        #[arg(long, default_value_t = 0)]
        amount_70_74: i64,
    },
    /// Void a certificate entered by mistake
    Void {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        entry: i64,
    },
    /// The household's year of a person, step by step: this insurer's part
    /// and the care insurer's, member by member (the result for the care
    /// insurer); nothing is kept
    Calc {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        person: String,
        #[arg(long)]
        year: i32,
        /// Print JSON instead of the steps
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ShareNoticeAction {
    /// Enter a notice; prints its number
    Record {
        #[command(flatten)]
        db: DbArgs,
        /// 宛名番号 of the person the notice is about
        #[arg(long)]
        person: String,
        /// annual-outpatient | combined-care
        #[arg(long)]
        kind: String,
        /// The year of the period's August (2026 → 2026-08 to 2027-07)
        #[arg(long)]
        year: i32,
        /// The insurer that computed the year and sent the notice
        #[arg(long)]
        issuer: String,
        /// The notice's number
        #[arg(long)]
        reference: String,
        /// The notice's date (YYYY-MM-DD)
        #[arg(long)]
        notified_on: String,
        /// The year's base date as the notice gives it (YYYY-MM-DD)
        #[arg(long)]
        base_date: String,
        /// This insurer's share (yen)
        #[arg(long)]
        amount: i64,
    },
    /// Void a notice entered by mistake or replaced by a corrected one
    Void {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        notice: i64,
    },
    /// A person's notices, voided ones too
    List {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        person: String,
    },
}

#[derive(Subcommand)]
enum DocumentsAction {
    /// List the kinds of document (English kebab-case, Japanese name)
    Kinds,
    /// Print one document at the counter into a PDF file; the issue is
    /// recorded (exit 1 naming the reason when it cannot be issued)
    Issue {
        #[command(flatten)]
        db: DbArgs,
        /// eligibility-certificate, eligibility-notice, limit-certificate, specified-disease-certificate,
        /// benefit-decision, levy-notice, high-cost-recommendation, self-pay-certificate
        #[arg(long)]
        kind: String,
        /// 宛名番号 of the resident (eligibility-certificate, eligibility-notice, limit-certificate)
        #[arg(long)]
        person: Option<String>,
        /// The application number (benefit-decision)
        #[arg(long)]
        application: Option<i64>,
        /// The recovery number (recovery-notice)
        #[arg(long)]
        recovery: Option<i64>,
        /// 世帯番号 (levy-notice)
        #[arg(long)]
        household: Option<String>,
        /// The fiscal year (levy-notice)
        #[arg(long)]
        fiscal_year: Option<i64>,
        /// The service month, YYYY-MM (high-cost-recommendation, with --household)
        #[arg(long)]
        month: Option<String>,
        /// The year whose August starts the period (self-pay-certificate, with --person)
        #[arg(long)]
        year: Option<i32>,
        /// Print the 限度区分 on the 資格確認書 (when the resident asks for it)
        #[arg(long)]
        with_limit_category: bool,
        #[arg(long)]
        out: PathBuf,
    },
    /// Reprint an issued document exactly (再交付) into a PDF file
    Reprint {
        #[command(flatten)]
        db: DbArgs,
        /// The issue number (from `documents history`)
        id: i64,
        #[arg(long)]
        out: PathBuf,
    },
    /// A resident's issuance history, the newest first
    History {
        #[command(flatten)]
        db: DbArgs,
        /// 宛名番号
        #[arg(long)]
        person: String,
    },
    /// Record a document returned undelivered, lost or issued in error
    Mark {
        #[command(flatten)]
        db: DbArgs,
        /// The issue number
        id: i64,
        /// returned, lost or voided
        #[arg(long)]
        status: String,
        /// What happened (required)
        #[arg(long)]
        note: String,
    },
    /// Issue one kind to everyone concerned: one PDF per recipient, then a
    /// combined PDF in delivery order with its cover list. Run it again after
    /// a crash: it resumes the unfinished batch and prints nobody twice.
    Batch {
        #[command(flatten)]
        db: DbArgs,
        /// eligibility-certificate (the yearly renewal of 資格確認書) or
        /// levy-notice (納税通知書 after the annual assessment, with --fiscal-year)
        #[arg(long)]
        kind: String,
        /// Folder for the PDFs
        #[arg(long)]
        out: PathBuf,
        /// Recipients are those insured on this day (YYYY-MM-DD); default
        /// today (a resumed batch keeps its own)
        #[arg(long)]
        as_of: Option<String>,
        /// Stop after this many recipients (the rest on the next run)
        #[arg(long)]
        max: Option<usize>,
        /// The fiscal year (levy-notice: every household owing the year's tax)
        #[arg(long)]
        fiscal_year: Option<i64>,
    },
    /// The batches, the newest first
    Batches {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum RecoveryAction {
    /// Assess what the payee owes for an event paid above its current
    /// decision (a supervisor): --household H --month YYYY-MM (高額療養費),
    /// --person ID --year YYYY (外来年間合算), or --person ID --year YYYY
    /// --combined-care (高額介護合算 of the person's household); prints its
    /// number last
    Assess {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        household: Option<String>,
        #[arg(long)]
        month: Option<String>,
        #[arg(long)]
        person: Option<String>,
        #[arg(long)]
        year: Option<i32>,
        /// With --person and --year: the 高額介護合算 of the person's household
        #[arg(long)]
        combined_care: bool,
        /// The day of assessment (調定日); default today
        #[arg(long)]
        on: Option<String>,
        /// The day to repay by (納期限)
        #[arg(long)]
        due_by: String,
    },
    /// Recoveries, the latest first
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Only those still owed
        #[arg(long)]
        owed: bool,
    },
    /// Record a recovery repaid
    Repaid {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
        /// The day it was repaid; default today
        #[arg(long)]
        on: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Cancel a recovery assessed in error (a supervisor), with the reason
    Cancel {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
        #[arg(long)]
        note: String,
    },
}

fn print_recovery(r: &kokuho_app::recovery::RecoveryRow) {
    println!(
        "recovery {}: {} {} {} — {} yen owed by {} (paid {}, due {}), repay by {}, {}",
        r.recovery_id,
        r.kind,
        r.subject,
        r.period,
        r.amount,
        r.debtor_id,
        r.paid_total,
        r.due_total,
        r.due_by,
        r.status
    );
    for step in r.basis.lines() {
        println!("  {step}");
    }
}

#[derive(Subcommand)]
enum OtherInsurerAction {
    /// Enter the months of one certificate (all or nothing)
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// 宛名番号 of the person
        #[arg(long)]
        person: String,
        /// The year of the period's August (2025: 2025-08 to 2026-07)
        #[arg(long)]
        year: i32,
        /// The certifying insurer's 保険者番号
        #[arg(long)]
        other_insurer: String,
        /// The certificate's number or the day it was issued
        #[arg(long)]
        certificate: String,
        /// A month as YYYY-MM,CATEGORY,OUTPATIENT,LEFT (CATEGORY 一般,
        /// 低所得Ⅱ, 低所得Ⅰ, 現役並みⅠ… or - for none; LEFT what remained
        /// after that insurer's monthly benefit); repeat for each month
        #[arg(long = "month", required = true)]
        months: Vec<String>,
    },
    /// A person's entries, voided ones too
    List {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        person: String,
    },
    /// Void an entry made by mistake
    Void {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        entry: i64,
    },
}

#[derive(Subcommand)]
enum SpecifiedDiseaseAction {
    /// Record a certification; the limit comes from the dated high-cost table
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// 宛名番号
        #[arg(long)]
        person: String,
        /// dialysis, hemophilia or hiv
        #[arg(long)]
        disease: String,
        /// The day certified (認定年月日, YYYY-MM-DD)
        #[arg(long)]
        certified_on: String,
        /// The day applied (YYYY-MM-DD); default today. 発効期日 is the first of its month
        #[arg(long)]
        applied_on: Option<String>,
    },
    /// A person's certifications
    List {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        person: String,
    },
}

#[derive(Subcommand)]
enum PaymentsAction {
    /// Print a name as the transfer file will carry it, or exit 1 naming
    /// the character it cannot carry (no database)
    ZenginName {
        text: String,
        /// Write the long vowel mark as ｰ (for a bank that takes it)
        #[arg(long)]
        half_width_long_vowel: bool,
    },
    /// Payment runs
    Run {
        #[command(subcommand)]
        action: RunAction,
    },
    /// The town's bank contract (振込依頼人) the transfer file is written for
    Contract {
        #[command(subcommand)]
        action: ContractAction,
    },
}

// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum ContractAction {
    /// Record the contract (a supervisor); a new version replaces the last
    Set {
        #[command(flatten)]
        db: DbArgs,
        /// 振込依頼人コード (10 digits, from the bank)
        #[arg(long)]
        requester_code: String,
        /// 振込依頼人名 (kana)
        #[arg(long)]
        requester_name: String,
        #[arg(long)]
        bank: String,
        #[arg(long, default_value = "")]
        bank_name: String,
        #[arg(long)]
        branch: String,
        #[arg(long, default_value = "")]
        branch_name: String,
        /// 預金種目: 1 普通, 2 当座
        #[arg(long, default_value = "1")]
        r#type: String,
        #[arg(long)]
        number: String,
        /// 新規コード as the bank's manual says
        #[arg(long, default_value = "0")]
        new_code: String,
        /// 振込指定区分: 7 電信扱, 8 文書扱
        #[arg(long, default_value = "7")]
        transfer_class: String,
        /// Records without CR LF (a transmission that wants none)
        #[arg(long)]
        no_line_breaks: bool,
    },
    /// The contract in force
    Show {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum RunAction {
    /// Gather the decided, unpaid benefits due by D into a run; prints the
    /// run's id as the last line, or exits 1 when there is nothing to pay
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// Benefits decided on or before this day (YYYY-MM-DD)
        #[arg(long)]
        date: String,
        /// The transfer day (振込指定日); default: the --date
        #[arg(long)]
        pay_on: Option<String>,
    },
    /// Approve a run (a supervisor, never the account that created it)
    Approve {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
    },
    /// Cancel a run whose file is not yet written (its benefits go back to
    /// the queue)
    Cancel {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
    },
    /// Write an approved run's 全銀 総合振込 file (a role that may see
    /// account numbers whole)
    File {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
        #[arg(long)]
        out: PathBuf,
    },
    /// The bank took the file: every transfer is paid
    Sent {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
    },
    /// The file failed: every transfer goes back to the queue
    Failed {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Transfers of a sent run the bank returned (振込不能・組戻し): back to
    /// the queue — named by --application, or by the bank's return file
    /// (--file: the failed transfers in the 総合振込 layout), all or none
    Return {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
        /// 受付番号 of each returned transfer
        #[arg(long = "application", required_unless_present = "file")]
        applications: Vec<i64>,
        /// The bank's return file
        #[arg(long, conflicts_with = "applications")]
        file: Option<PathBuf>,
        #[arg(long)]
        reason: String,
    },
    /// The runs, the latest first
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// A run's payment list (numbers masked unless the role may see them);
    /// --csv FILE writes it as CSV
    Show {
        #[command(flatten)]
        db: DbArgs,
        id: i64,
        #[arg(long)]
        csv: Option<PathBuf>,
        #[arg(long, default_value = "utf-8")]
        encoding: String,
    },
}

#[derive(Subcommand)]
enum PaymentAccountAction {
    /// Check and keep a person's account (ends their current account of the
    /// same source)
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// 宛名番号
        #[arg(long)]
        person: String,
        /// public-funds (公金受取口座) or application
        #[arg(long)]
        source: String,
        /// 金融機関コード (4 digits)
        #[arg(long)]
        bank: String,
        /// 支店コード (3 digits)
        #[arg(long)]
        branch: String,
        /// 預金種目: 1 普通, 2 当座, 4 貯蓄, 9 その他
        #[arg(long, default_value = "1")]
        r#type: String,
        /// 口座番号 (up to 7 digits)
        #[arg(long)]
        number: String,
        /// 口座名義 in kana
        #[arg(long)]
        holder: String,
        /// The day it was confirmed (YYYY-MM-DD); default: today
        #[arg(long)]
        confirmed_on: Option<String>,
    },
    /// A person's accounts (numbers masked unless the role may see them)
    List {
        #[command(flatten)]
        db: DbArgs,
        /// 宛名番号
        #[arg(long)]
        person: String,
    },
}

#[derive(Subcommand)]
enum HighCostAction {
    /// Compute every household's benefit of a service month from the stored
    /// claims (after their eligibility check) and book the new or changed
    /// decisions; run again, it books only what changed
    Run {
        #[command(flatten)]
        db: DbArgs,
        /// The service month (診療年月), YYYY-MM
        #[arg(long)]
        month: String,
        /// As known at this moment (RFC 3339); default: now
        #[arg(long)]
        known_at: Option<String>,
        /// Also write the decisions booked as CSV here
        #[arg(long)]
        csv: Option<PathBuf>,
        /// utf-8 or cp932
        #[arg(long, default_value = "utf-8")]
        encoding: String,
    },
    /// The runs, the latest first
    Runs {
        #[command(flatten)]
        db: DbArgs,
    },
    /// The annual outpatient cap (外来年間合算) of a year, August to July:
    /// for each person aged 70–74 of 一般 or 低所得 on 31 July, the
    /// outpatient copays the monthly runs left above the year's cap
    Annual {
        #[command(flatten)]
        db: DbArgs,
        /// The year of the period's August (2025: 2025-08 to 2026-07);
        /// default: the last year whose 31 July has passed
        #[arg(long)]
        year: Option<i32>,
        /// As known at this moment (RFC 3339); default: now
        #[arg(long)]
        known_at: Option<String>,
        /// Also write the decisions booked as CSV here
        #[arg(long)]
        csv: Option<PathBuf>,
        /// utf-8 or cp932
        #[arg(long, default_value = "utf-8")]
        encoding: String,
    },
    /// The yearly cap (年間上限, from the 2026-08 year) so far: each
    /// household's copays left by the monthly runs against its cap. A
    /// statement only: the cap's reading is provisional and nothing is
    /// booked (docs/high-cost.md)
    YearlyCap {
        #[command(flatten)]
        db: DbArgs,
        /// The year of the period's August (2026: 2026-08 to 2027-07);
        /// default: the year today falls in
        #[arg(long)]
        year: Option<i32>,
        /// Households to print, the largest excess first, then the nearest
        /// to their cap
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Write every household as CSV here
        #[arg(long)]
        csv: Option<PathBuf>,
        /// utf-8 or cp932
        #[arg(long, default_value = "utf-8")]
        encoding: String,
    },
    /// The annual outpatient runs, the latest first
    AnnualRuns {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Months a person spent with another insurer in an annual outpatient
    /// year, from that insurer's 自己負担額証明書: added by the yearly run,
    /// which then pays this insurer's share of the benefit
    OtherInsurer {
        #[command(subcommand)]
        action: OtherInsurerAction,
    },
    /// The decisions an annual outpatient run booked, as CSV on standard
    /// output (or --out)
    AnnualDecisions {
        #[command(flatten)]
        db: DbArgs,
        /// The run's number (from `kokuho high-cost annual-runs`)
        #[arg(long)]
        run: i64,
        /// utf-8 or cp932
        #[arg(long, default_value = "utf-8")]
        encoding: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The decisions a run booked, as CSV on standard output (or --out)
    Decisions {
        #[command(flatten)]
        db: DbArgs,
        /// The run's number (from `kokuho high-cost runs`)
        #[arg(long)]
        run: i64,
        /// utf-8 or cp932
        #[arg(long, default_value = "utf-8")]
        encoding: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A household's high-cost history: each decision with its calculation,
    /// and the months 多数回 counts
    Household {
        #[command(flatten)]
        db: DbArgs,
        /// 世帯番号
        #[arg(long)]
        household: String,
    },
    /// Record a month with a high-cost benefit handed over from another
    /// municipality of the prefecture (引継)
    HandedOver {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        household: String,
        /// The service month, YYYY-MM
        #[arg(long)]
        month: String,
        /// The insurer that handed it over (保険者番号)
        #[arg(long)]
        from_insurer: String,
    },
    /// Void a handed-over month entered in error
    VoidHandedOver {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        household: String,
        #[arg(long)]
        month: String,
        #[arg(long)]
        from_insurer: Option<String>,
    },
}

#[derive(Subcommand)]
enum LevyAction {
    /// Assess every household for a fiscal year (本算定) and book the levy
    /// with its installments; run again, it books only what changed (更正)
    Assess {
        #[command(flatten)]
        db: DbArgs,
        /// 年度, e.g. 2026
        #[arg(long)]
        fiscal_year: i32,
        /// The day of the assessment (default today): installments due
        /// before it keep what they were
        #[arg(long)]
        on: Option<String>,
    },
    /// Every version of a household's levy with its schedule and explanation
    Show {
        #[command(flatten)]
        db: DbArgs,
        /// 世帯番号
        #[arg(long)]
        household: String,
        /// only this 年度
        #[arg(long)]
        fiscal_year: Option<i64>,
    },
    /// Record a notification that changes a member's levy and reassess the
    /// booked years it touches: childbirth (産前産後; --on any day of the due
    /// month), involuntary-unemployment (非自発的失業; --on the day after
    /// leaving the job), former-dependent (旧被扶養者; --on the day NHI began)
    Notify {
        #[command(flatten)]
        db: DbArgs,
        /// 宛名番号
        #[arg(long)]
        person: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        on: String,
        /// more than one child (多胎)
        #[arg(long)]
        multiple_birth: bool,
    },
    /// Void a notification (its number) and reassess what it touched
    Void {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        notification: i64,
    },
    /// Print the ordinance profile the insurer levies by, or set it
    Profile {
        #[command(flatten)]
        db: DbArgs,
        /// a profile of the rule table (yazu, natori, …)
        #[arg(long)]
        set: Option<String>,
    },
}

#[derive(Subcommand)]
enum JobsAction {
    /// The newest jobs of the kinds the operator may run
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write a failed job's error report (CSV, UTF-8) to standard output
    Errors {
        #[command(flatten)]
        db: DbArgs,
        /// The job's number
        job: i64,
    },
}

#[derive(Subcommand)]
enum RetentionAction {
    /// Erase (or with --dry-run only list) persons removed from the registry longer ago than the retention period, and old sessions
    Run {
        #[command(flatten)]
        db: DbArgs,
        /// List what would be erased; change nothing
        #[arg(long)]
        dry_run: bool,
        /// The day to count from (default: today)
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum PiaAction {
    /// The threshold assessment (しきい値判断) from live data, with a draft of the basic assessment
    Threshold {
        #[command(flatten)]
        db: DbArgs,
        /// The date to assess on (default: today)
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum AccountAction {
    /// Create an account; the password is read from standard input; prints the TOTP secret once
    Create {
        #[command(flatten)]
        db: DbArgs,
        name: String,
        /// eligibility_clerk, levy_clerk, benefits_clerk, supervisor, auditor, administrator, contractor
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: String,
        /// Last day a contractor's account may be used (和暦 or ISO)
        #[arg(long)]
        expires_on: Option<String>,
        /// Create the first administrator of an empty database (no operator needed)
        #[arg(long)]
        bootstrap: bool,
    },
    /// Disable an account (staff who leave); accounts are never deleted
    Disable {
        #[command(flatten)]
        db: DbArgs,
        name: String,
    },
    /// Grant a contractor one permission for a period
    Grant {
        #[command(flatten)]
        db: DbArgs,
        name: String,
        #[arg(long)]
        permission: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        until: String,
    },
    /// Record that a handler completed training (教育・啓発)
    Training {
        #[command(flatten)]
        db: DbArgs,
        name: String,
        #[arg(long)]
        completed_on: String,
        #[arg(long)]
        course: String,
    },
    /// Set a new password for an account (read from standard input)
    ResetPassword {
        #[command(flatten)]
        db: DbArgs,
        name: String,
    },
    /// Give an account a new TOTP secret (shown once), e.g. after a lost phone
    ResetTotp {
        #[command(flatten)]
        db: DbArgs,
        name: String,
    },
    /// Change a setting: block_untrained_handlers true|false
    Set {
        #[command(flatten)]
        db: DbArgs,
        setting: String,
        value: String,
    },
    /// Record an incident concerning specific personal information
    Incident {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        id: String,
        #[arg(long)]
        occurred_on: String,
        /// A serious incident (重大事故) in the assessment's sense
        #[arg(long)]
        serious: bool,
        #[arg(long)]
        summary: String,
    },
    /// The current TOTP code of a demo account (demo databases only)
    DemoCode {
        #[command(flatten)]
        db: DbArgs,
        name: String,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Check the access log's hash chain: exit 0 when intact, else name the first broken record
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the last record's number and hash, to keep outside the system
    Head {
        #[command(flatten)]
        db: DbArgs,
    },
    /// The self-inspection report (自己点検) for a period, as HTML and CSV files
    SelfInspection {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Write the HTML report here (default: self-inspection.html)
        #[arg(long, default_value = "self-inspection.html")]
        html: PathBuf,
        /// Write the CSV here (default: self-inspection.csv)
        #[arg(long, default_value = "self-inspection.csv")]
        csv: PathBuf,
    },
    /// For a resident's disclosure request (開示請求): what is held on the person and every access to it
    Disclosure {
        #[command(flatten)]
        db: DbArgs,
        /// 宛名番号
        #[arg(long)]
        person: String,
    },
    /// The threshold assessment (しきい値判断) from live data, with a draft of the basic assessment
    Threshold {
        #[command(flatten)]
        db: DbArgs,
        /// The date to assess on (default: today)
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum EligibilityAction {
    /// Register an acquisition (資格取得); the effective date follows the law
    Acquire {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        addressee_id: String,
        /// move_in, left_employee_insurance, dependant_of_late_elderly, birth, public_assistance_ended, foreign_residence_started, left_late_elderly, ex_officio, other
        #[arg(long)]
        reason: String,
        /// The date of the event (和暦 or ISO)
        #[arg(long)]
        event_date: String,
        /// The date the resident notified (for the 14-day rule)
        #[arg(long)]
        notified_on: Option<String>,
        /// The NHI household (default: the person's registry household)
        #[arg(long)]
        household_number: Option<String>,
        /// The municipality of the same prefecture the person moved from
        #[arg(long)]
        previous_insurer_number: Option<String>,
        /// 住所地特例 (stays insured here while in a facility elsewhere)
        #[arg(long)]
        address_exception: bool,
        /// マル学 (a student living elsewhere)
        #[arg(long)]
        student_exception: bool,
        /// 外国人: the end of the period of stay (和暦 or ISO)
        #[arg(long)]
        foreign_stay_until: Option<String>,
    },
    /// Register a loss (資格喪失); the effective date follows the law
    Lose {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        addressee_id: String,
        /// move_out, joined_employee_insurance, death, public_assistance_started, late_elderly, ex_officio, other
        #[arg(long)]
        reason: String,
        #[arg(long)]
        event_date: String,
        #[arg(long)]
        notified_on: Option<String>,
        /// For move_out: same_prefecture, other_prefecture or abroad
        #[arg(long)]
        destination: Option<String>,
    },
    /// Correct a period (訂正, also retroactively): adds a version, the old one stays readable
    Correct {
        #[command(flatten)]
        db: DbArgs,
        /// The period (see `eligibility show`)
        #[arg(long)]
        period_id: i64,
        /// New acquisition date (和暦 or ISO)
        #[arg(long)]
        acquired_on: Option<String>,
        /// New loss date (和暦 or ISO); with --loss-reason
        #[arg(long)]
        lost_on: Option<String>,
        /// New loss reason code
        #[arg(long)]
        loss_reason: Option<String>,
        /// Remove the period altogether (entered in error)
        #[arg(long)]
        void: bool,
        /// Why (required)
        #[arg(long)]
        note: String,
    },
    /// Show a person's eligibility, as known now or at a time, with every recorded version
    Show {
        #[command(flatten)]
        db: DbArgs,
        addressee_id: String,
        /// As known at this moment (RFC 3339, e.g. 2026-04-10T09:00:00Z)
        #[arg(long)]
        known_at: Option<String>,
    },
    /// Everyone insured on a date, as CSV on standard output (docs/formats/eligibility-as-of.md)
    AsOf {
        #[command(flatten)]
        db: DbArgs,
        /// The effective date (和暦 or ISO)
        #[arg(long)]
        date: String,
        /// As known at this moment (RFC 3339); default: now
        #[arg(long)]
        known_at: Option<String>,
        /// utf-8 or cp932
        #[arg(long, default_value = "utf-8")]
        encoding: String,
        /// Why this export is made (recorded in the access log; required)
        #[arg(long)]
        reason: String,
        /// The lawful affair it serves (default: nhi)
        #[arg(long, default_value = "nhi")]
        affair: String,
    },
    /// The daily age job: losses on the 75th birthday up to the date (idempotent)
    AgeJob {
        #[command(flatten)]
        db: DbArgs,
        /// The date to run for (default: today)
        #[arg(long)]
        date: Option<String>,
    },
    /// List eligibility proposals from the resident-registry feed
    Proposals {
        #[command(flatten)]
        db: DbArgs,
        /// pending, confirmed or rejected (default: all)
        #[arg(long)]
        status: Option<String>,
    },
    /// Confirm a proposal: the change is registered, with who and when
    Confirm {
        #[command(flatten)]
        db: DbArgs,
        proposal_id: i64,
    },
    /// Reject a proposal, with the reason
    Reject {
        #[command(flatten)]
        db: DbArgs,
        proposal_id: i64,
        #[arg(long)]
        reason: String,
    },
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
        /// 被保険者記号
        #[arg(long)]
        insured_symbol: Option<String>,
        /// 被保険者番号
        #[arg(long)]
        insured_number: Option<String>,
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
                // sqlx warns of every statement over a second: a bulk
                // extract's reads are meant to be long.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx::query=error")),
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

async fn claims_command(action: ClaimsAction) -> anyhow::Result<()> {
    match action {
        ClaimsAction::Sample { db, month, out } => {
            let month = parse_month_arg("month", &month)?;
            let (app, actor) = open_session(&db).await?;
            // Written beside the target and renamed when complete: a failed
            // run leaves no file behind.
            let part = out.with_extension("part");
            let file = std::fs::File::create(&part)
                .with_context(|| format!("cannot write {}", part.display()))?;
            let r = Session {
                app: &app,
                actor: &actor,
            }
            .sample_claims(
                month,
                std::io::BufWriter::new(file),
                OffsetDateTime::now_utc(),
            )
            .await;
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    let _ = std::fs::remove_file(&part);
                    return Err(e.into());
                }
            };
            std::fs::rename(&part, &out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "{}: {} claims from {} providers for {} insured",
                out.display(),
                r.claims,
                r.providers,
                r.insured
            );
        }
        ClaimsAction::Import { db, file } => {
            let (app, actor) = open_session(&db).await?;
            let s = Session {
                app: &app,
                actor: &actor,
            };
            let name = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let open = || {
                std::fs::File::open(&file)
                    .with_context(|| format!("cannot read {}", file.display()))
            };
            // First pass: the digest (a file imported before is known
            // without reading it into the database again).
            let (digest, size) =
                kokuho_formats::registry_feed::stream_digest(std::io::BufReader::new(open()?))
                    .with_context(|| format!("cannot read {}", file.display()))?;
            let now = OffsetDateTime::now_utc();
            let job = s.start_job(JobKind::ClaimsImport, &name, now).await?;
            let watch = watch_progress(job.progress.clone(), "取込");
            let r = s
                .import_claims_as(
                    &job,
                    &name,
                    &digest,
                    size,
                    std::io::BufReader::with_capacity(1 << 16, open()?),
                    now,
                )
                .await;
            watch.abort();
            let r = r?;
            if r.already_imported {
                println!("{name}: imported before; nothing changed");
            } else {
                let months: Vec<String> =
                    r.months.iter().map(|(m, n)| format!("{m}: {n}")).collect();
                println!(
                    "{name}: {} claims, {} points (processing months {})",
                    r.claims,
                    r.points,
                    months.join(", ")
                );
            }
        }
        ClaimsAction::Check {
            db,
            month,
            known_at,
            csv,
            encoding,
        } => {
            let month = parse_month_arg("month", &month)?;
            let known_at = parse_known_at(known_at.as_deref())?;
            let enc = parse_encoding(&encoding)?;
            let (app, actor) = open_session(&db).await?;
            let s = Session {
                app: &app,
                actor: &actor,
            };
            let now = OffsetDateTime::now_utc();
            let subject = kokuho_domain::burden::format_month(month);
            let job = s.start_job(JobKind::ClaimsCheck, &subject, now).await?;
            let watch = watch_progress(job.progress.clone(), "点検");
            let r = s.check_claims_as(&job, month, known_at, now).await;
            watch.abort();
            let r = r?;
            println!(
                "check {}: {} claims of {}, {} listed: {} to return, {} to adjust, {} to confirm",
                r.check_id,
                r.claims,
                r.billing_month,
                r.listed,
                r.returns,
                r.adjustments,
                r.confirmations
            );
            if let Some(path) = csv {
                write_findings(&s, r.check_id, enc, &path).await?;
            }
        }
        ClaimsAction::Months { db } => {
            let (app, actor) = open_session(&db).await?;
            let (months, checks) = Session {
                app: &app,
                actor: &actor,
            }
            .claim_months(OffsetDateTime::now_utc())
            .await?;
            for m in &months {
                println!(
                    "{}\t{} claims\t{} points\t{} files",
                    m.billing_month, m.claims, m.points, m.files
                );
                for c in checks.iter().filter(|c| c.billing_month == m.billing_month) {
                    println!(
                        "  check {}\tas known at {}\t{} claims\t{} listed\tby {}",
                        c.check_id,
                        kokuho_app::eligibility::from_us(c.known_at_us),
                        c.claims,
                        c.listed,
                        c.checked_by
                    );
                }
            }
        }
        ClaimsAction::Findings {
            db,
            check,
            encoding,
            out,
        } => {
            let enc = parse_encoding(&encoding)?;
            let (app, actor) = open_session(&db).await?;
            let s = Session {
                app: &app,
                actor: &actor,
            };
            match out {
                Some(path) => write_findings(&s, check, enc, &path).await?,
                None => {
                    let (bytes, _) = s
                        .claim_check_csv(check, enc, Vec::new(), OffsetDateTime::now_utc())
                        .await?;
                    std::io::Write::write_all(&mut std::io::stdout(), &bytes)?;
                }
            }
        }
        ClaimsAction::Read { file } => {
            use kokuho_formats::claims::{ClaimReader, Layouts};
            let layouts = Layouts::shipped().map_err(|e| anyhow::anyhow!(e))?;
            let name = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let mut reader = ClaimReader::new(&name, std::io::BufReader::new(input), &layouts);
            let mut counts: std::collections::BTreeMap<(&str, &str), (u64, i64)> =
                std::collections::BTreeMap::new();
            for claim in reader.by_ref() {
                let c = claim.map_err(|e| AppError::Invalid {
                    field: "file",
                    message_en: e.to_string(),
                    message_ja: e.message_ja(),
                })?;
                let e = counts
                    .entry((c.provider.kind.code(), c.setting.code()))
                    .or_default();
                e.0 += 1;
                e.1 += c.points;
            }
            for ((kind, setting), (n, points)) in &counts {
                println!("{kind}\t{setting}\t{n} claims\t{points} points");
            }
            if let Some(t) = reader.trailer() {
                println!(
                    "GO: {} claims, {} points, volume {} (line {})",
                    t.claims, t.points, t.volume, t.line
                );
            }
        }
    }
    Ok(())
}

/// A month argument, `YYYY-MM`.
fn parse_month_arg(
    field: &'static str,
    value: &str,
) -> Result<kokuho_domain::eligibility::YearMonth, AppError> {
    kokuho_domain::burden::parse_month(value).ok_or_else(|| {
        AppError::invalid(
            field,
            "month must be YYYY-MM",
            "月は YYYY-MM の形式で指定してください",
        )
    })
}

/// An import file's name (without its folder, as the job shows it) and bytes.
/// Writes a check's list to `path` (beside it first, renamed when whole).
async fn payment_account_command(action: PaymentAccountAction) -> anyhow::Result<()> {
    use kokuho_app::payment_account::{AccountInput, AccountSource};
    use kokuho_domain::bank_account::{AccountType, BankAccount};
    let now = OffsetDateTime::now_utc();
    match action {
        PaymentAccountAction::Add {
            db,
            person,
            source,
            bank,
            branch,
            r#type,
            number,
            holder,
            confirmed_on,
        } => {
            let source = AccountSource::parse(&source)
                .ok_or_else(|| anyhow::anyhow!("--source: public-funds or application"))?;
            let account_type = r#type
                .trim()
                .chars()
                .next()
                .filter(|_| r#type.trim().len() == 1)
                .and_then(AccountType::from_code)
                .ok_or_else(|| anyhow::anyhow!("--type: 1, 2, 4 or 9"))?;
            let confirmed_on = match confirmed_on {
                Some(d) => parse_date_arg("confirmed_on", &d)?,
                None => kokuho_app::local_date(now),
            };
            let (app, actor) = open_session(&db).await?;
            let v = Session {
                app: &app,
                actor: &actor,
            }
            .register_account(
                &AccountInput {
                    addressee_id: person,
                    source,
                    account: BankAccount {
                        bank_code: bank,
                        branch_code: branch,
                        account_type,
                        number,
                        holder,
                    },
                    confirmed_on,
                },
                now,
            )
            .await?;
            println!(
                "account {} kept: {} {}-{} {} {} {} (confirmed {})",
                v.account_id,
                v.source_label,
                v.bank_code,
                v.branch_code,
                v.account_type,
                v.number,
                v.holder_transfer,
                v.confirmed_on
            );
        }
        PaymentAccountAction::List { db, person } => {
            let (app, actor) = open_session(&db).await?;
            let accounts = Session {
                app: &app,
                actor: &actor,
            }
            .accounts_of(&person, now)
            .await?;
            for v in &accounts {
                println!(
                    "{}\t{}\t{}\t{}-{}\t{}\t{}\t{}\tconfirmed {}\tby {}",
                    v.account_id,
                    if v.current { "current" } else { "ended" },
                    v.source_label,
                    v.bank_code,
                    v.branch_code,
                    v.account_type,
                    v.number,
                    v.holder_transfer,
                    v.confirmed_on,
                    v.recorded_by
                );
            }
        }
    }
    Ok(())
}

async fn high_cost_command(action: HighCostAction) -> anyhow::Result<()> {
    match action {
        HighCostAction::Run {
            db,
            month,
            known_at,
            csv,
            encoding,
        } => {
            let month = parse_month_arg("month", &month)?;
            let known_at = parse_known_at(known_at.as_deref())?;
            let enc = parse_encoding(&encoding)?;
            let (app, actor) = open_session(&db).await?;
            let s = Session {
                app: &app,
                actor: &actor,
            };
            let now = OffsetDateTime::now_utc();
            let subject = kokuho_domain::burden::format_month(month);
            let job = s.start_job(JobKind::HighCostRun, &subject, now).await?;
            let watch = watch_progress(job.progress.clone(), "計算");
            let r = s.run_high_cost_as(&job, month, known_at, now).await;
            watch.abort();
            let r = r?;
            println!(
                "run {}: service month {}, {} claims ({} left out), {} households with a benefit: {} yen ({} yen to refund); {} decisions booked",
                r.run_id,
                r.service_month,
                r.claims,
                r.left_out,
                r.households,
                r.benefit,
                r.refund,
                r.booked
            );
            if r.without_category > 0 {
                println!(
                    "{} household(s) not computed: no burden category for the month (listed for review)",
                    r.without_category
                );
            }
            if !r.later_months_to_rerun.is_empty() {
                println!(
                    "the household high-cost months changed: run {} again (their 多数回 may change)",
                    r.later_months_to_rerun.join(", ")
                );
            }
            if let Some(path) = csv {
                write_decisions(&s, r.run_id, enc, &path).await?;
            }
        }
        HighCostAction::Annual {
            db,
            year,
            known_at,
            csv,
            encoding,
        } => {
            let known_at = parse_known_at(known_at.as_deref())?;
            let enc = parse_encoding(&encoding)?;
            let (app, actor) = open_session(&db).await?;
            let s = Session {
                app: &app,
                actor: &actor,
            };
            let now = OffsetDateTime::now_utc();
            let year = year.unwrap_or_else(|| {
                kokuho_app::annual_outpatient::last_closed_year(kokuho_app::local_date(now))
            });
            let job = s
                .start_job(JobKind::AnnualOutpatientRun, &year.to_string(), now)
                .await?;
            let watch = watch_progress(job.progress.clone(), "計算");
            let r = s.run_annual_outpatient_as(&job, year, known_at, now).await;
            watch.abort();
            let r = r?;
            println!(
                "run {}: year {}-08 to {}-07, {} persons aged 70-74 with outpatient care, {} with a benefit: {} yen; {} not insured on the base date; {} decisions booked",
                r.run_id,
                r.year,
                r.year + 1,
                r.persons,
                r.with_benefit,
                r.benefit,
                r.not_insured_on_base_date,
                r.booked
            );
            if let Some(path) = csv {
                write_annual_decisions(&s, r.run_id, enc, Some(&path)).await?;
            }
        }
        HighCostAction::YearlyCap {
            db,
            year,
            top,
            csv,
            encoding,
        } => {
            let enc = parse_encoding(&encoding)?;
            let (app, actor) = open_session(&db).await?;
            let s = Session {
                app: &app,
                actor: &actor,
            };
            let now = OffsetDateTime::now_utc();
            let year = year
                .unwrap_or_else(|| kokuho_app::yearly_cap::year_of(kokuho_app::local_date(now)));
            match csv {
                // one statement for both: the file has every household
                Some(path) => {
                    let mut shown = None;
                    save_csv(&path, "rows", async |w| {
                        let (w, n, p) = s.yearly_cap_csv(year, enc, w, now).await?;
                        shown = Some(p.truncated(top));
                        Ok((w, n))
                    })
                    .await?;
                    if let Some(p) = shown {
                        print_yearly_cap(&p);
                    }
                }
                None => print_yearly_cap(&s.yearly_cap_position(year, top, now).await?),
            }
        }
        HighCostAction::OtherInsurer { action } => match action {
            OtherInsurerAction::Add {
                db,
                person,
                year,
                other_insurer,
                certificate,
                months,
            } => {
                let months = kokuho_app::annual_outpatient::parse_other_months(
                    months.iter().map(String::as_str),
                )?;
                let (app, actor) = open_session(&db).await?;
                let ids = Session {
                    app: &app,
                    actor: &actor,
                }
                .record_other_insurer_months(
                    &kokuho_app::annual_outpatient::OtherCertificateInput {
                        addressee_id: person,
                        year,
                        other_insurer,
                        certificate,
                        months,
                    },
                    OffsetDateTime::now_utc(),
                )
                .await?;
                println!(
                    "entered {} month(s): entries {}",
                    ids.len(),
                    ids.iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            OtherInsurerAction::List { db, person } => {
                let (app, actor) = open_session(&db).await?;
                let rows = Session {
                    app: &app,
                    actor: &actor,
                }
                .other_insurer_months(&person, OffsetDateTime::now_utc())
                .await?;
                println!(
                    "entry\tyear\tmonth\tinsurer\tcertificate\tcategory\toutpatient\tleft\tstatus"
                );
                for r in rows {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.entry_id,
                        r.year,
                        r.month,
                        r.other_insurer,
                        r.certificate,
                        r.category_70_74.as_deref().unwrap_or("-"),
                        r.outpatient,
                        r.outpatient_left,
                        if r.voided_us.is_some() {
                            "voided"
                        } else {
                            "live"
                        }
                    );
                }
            }
            OtherInsurerAction::Void { db, entry } => {
                let (app, actor) = open_session(&db).await?;
                let r = Session {
                    app: &app,
                    actor: &actor,
                }
                .void_other_insurer_month(entry, OffsetDateTime::now_utc())
                .await?;
                println!(
                    "voided entry {entry} ({} of insurer {})",
                    r.month, r.other_insurer
                );
            }
        },
        HighCostAction::AnnualRuns { db } => {
            let (app, actor) = open_session(&db).await?;
            let runs = Session {
                app: &app,
                actor: &actor,
            }
            .annual_outpatient_runs(OffsetDateTime::now_utc())
            .await?;
            for r in &runs {
                println!(
                    "run {}\t{}-08 to {}-07\tas known at {}\t{} persons\t{} with a benefit\t{} yen\t{} booked\tby {}",
                    r.run_id,
                    r.year,
                    r.year + 1,
                    kokuho_app::eligibility::from_us(r.known_at_us),
                    r.persons,
                    r.with_benefit,
                    r.benefit,
                    r.booked,
                    r.ran_by
                );
            }
        }
        HighCostAction::AnnualDecisions {
            db,
            run,
            encoding,
            out,
        } => {
            let enc = parse_encoding(&encoding)?;
            let (app, actor) = open_session(&db).await?;
            let s = Session {
                app: &app,
                actor: &actor,
            };
            write_annual_decisions(&s, run, enc, out.as_deref()).await?;
        }
        HighCostAction::Runs { db } => {
            let (app, actor) = open_session(&db).await?;
            let runs = Session {
                app: &app,
                actor: &actor,
            }
            .high_cost_runs(OffsetDateTime::now_utc())
            .await?;
            for r in &runs {
                println!(
                    "run {}	{}	as known at {}	{} claims ({} left out)	{} households	{} yen	{} refund	{} booked	by {}",
                    r.run_id,
                    r.service_month,
                    kokuho_app::eligibility::from_us(r.known_at_us),
                    r.claims,
                    r.left_out,
                    r.households,
                    r.benefit,
                    r.refund,
                    r.booked,
                    r.ran_by
                );
            }
        }
        HighCostAction::Decisions {
            db,
            run,
            encoding,
            out,
        } => {
            let enc = parse_encoding(&encoding)?;
            let (app, actor) = open_session(&db).await?;
            let s = Session {
                app: &app,
                actor: &actor,
            };
            match out {
                Some(path) => write_decisions(&s, run, enc, &path).await?,
                None => {
                    let (bytes, _) = s
                        .high_cost_run_csv(run, enc, Vec::new(), OffsetDateTime::now_utc())
                        .await?;
                    std::io::Write::write_all(&mut std::io::stdout(), &bytes)?;
                }
            }
        }
        HighCostAction::Household { db, household } => {
            let (app, actor) = open_session(&db).await?;
            let (decisions, months) = Session {
                app: &app,
                actor: &actor,
            }
            .household_high_cost(&household, OffsetDateTime::now_utc())
            .await?;
            println!("世帯 {household}");
            for m in &months {
                println!(
                    "  該当月 {}	{}{}{}",
                    m.service_month,
                    if m.source == "decision" {
                        "当保険者の決定"
                    } else {
                        "他市町村からの引継"
                    },
                    m.from_insurer
                        .as_deref()
                        .map(|f| format!("（{f}）"))
                        .unwrap_or_default(),
                    if m.voided_us.is_some() {
                        "	取消済"
                    } else {
                        ""
                    }
                );
            }
            for d in &decisions {
                let b = kokuho_app::high_cost::basis_of(d);
                println!(
                    "{} 第{}版{}：高額療養費 {} 円、現物給付済 {} 円、支給額 {} 円（差額 {}）{}",
                    d.service_month,
                    d.version_no,
                    if d.superseded_us.is_some() {
                        "（旧）"
                    } else {
                        ""
                    },
                    d.benefit,
                    d.paid_in_kind,
                    d.refund,
                    d.difference,
                    if d.frequent_case {
                        "、多数回該当"
                    } else {
                        ""
                    }
                );
                for step in &b.steps {
                    println!("    {step}");
                }
                for l in &b.left_out {
                    println!("    除外：{}（{}）", l.claim, l.reason);
                }
            }
        }
        HighCostAction::HandedOver {
            db,
            household,
            month,
            from_insurer,
        } => {
            let month = parse_month_arg("month", &month)?;
            let (app, actor) = open_session(&db).await?;
            Session {
                app: &app,
                actor: &actor,
            }
            .record_handed_over_month(&household, month, &from_insurer, OffsetDateTime::now_utc())
            .await?;
            println!(
                "household {household}: a high-cost month handed over from {from_insurer} recorded"
            );
        }
        HighCostAction::VoidHandedOver {
            db,
            household,
            month,
            from_insurer,
        } => {
            let month = parse_month_arg("month", &month)?;
            let (app, actor) = open_session(&db).await?;
            let n = Session {
                app: &app,
                actor: &actor,
            }
            .void_handed_over_month(
                &household,
                month,
                from_insurer.as_deref(),
                OffsetDateTime::now_utc(),
            )
            .await?;
            println!("household {household}: {n} handed-over month(s) voided");
        }
    }
    Ok(())
}

/// A CSV file being written: beside its path first.
type CsvFile = std::io::BufWriter<std::fs::File>;

/// Writes a CSV to `path` through `write`: into `path.part` first, renamed
/// when whole, removed when the writing fails; prints how many `noun`.
async fn save_csv(
    path: &std::path::Path,
    noun: &str,
    write: impl AsyncFnOnce(CsvFile) -> kokuho_app::Result<(CsvFile, u64)>,
) -> anyhow::Result<()> {
    let part = path.with_extension("part");
    let file =
        std::fs::File::create(&part).with_context(|| format!("cannot write {}", part.display()))?;
    let (w, n) = match write(std::io::BufWriter::new(file)).await {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e.into());
        }
    };
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", part.display(), e.error()))?;
    std::fs::rename(&part, path).with_context(|| format!("cannot write {}", path.display()))?;
    println!("{}: {n} {noun}", path.display());
    Ok(())
}

/// The yearly cap's statement on standard output.
fn print_yearly_cap(p: &kokuho_app::yearly_cap::YearlyCapPosition) {
    println!(
        "yearly cap, year {}-08 to {}-07, households and categories as of {}",
        p.year,
        p.year + 1,
        p.as_of
    );
    if !p.applies {
        println!("no yearly cap for this year (from the year 2026-08 to 2027-07)");
        return;
    }
    if p.provisional {
        println!(
            "PROVISIONAL: the reading of the cap (unit: {}) is not yet confirmed from the order; nothing is booked",
            p.unit.as_deref().unwrap_or("")
        );
    }
    println!(
        "{} households with copays counted, {} past their cap: {} yen over (provisional); {} persons left with copays counted; {} households not counted",
        p.households_total,
        p.over_cap,
        p.benefit_total,
        p.leavers_total,
        p.uncategorised.len() + p.refused.len()
    );
    for m in &p.months {
        println!(
            "  {}\t{}{}",
            m.month,
            m.state,
            m.run_id.map(|r| format!("\trun {r}")).unwrap_or_default()
        );
    }
    for h in &p.households {
        println!(
            "household {}\tcounted {}\tcap {}\tto cap {}\tover {}\t{}",
            h.household_number,
            h.counted,
            h.cap.map(|c| c.to_string()).unwrap_or_default(),
            h.to_cap.map(|c| c.to_string()).unwrap_or_default(),
            h.benefit,
            h.members
                .iter()
                .map(|m| format!("{}:{}", m.addressee_id, m.counted))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    for l in &p.leavers {
        println!("left\t{}\tcounted {}", l.addressee_id, l.counted);
    }
    for (h, why) in &p.uncategorised {
        println!("not counted\t{h}\t{why}");
    }
    for (h, why) in &p.refused {
        println!("refused\t{h}\t{why}");
    }
    if !p.stale_months.is_empty() {
        println!(
            "out of date (claims or a check after the run; run again): {}",
            p.stale_months.join(", ")
        );
    }
}

/// An annual run's decisions as CSV to `path`, or standard output.
async fn write_annual_decisions(
    s: &Session<'_>,
    run: i64,
    enc: kokuho_formats::text::Encoding,
    path: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    match path {
        Some(path) => {
            save_csv(path, "decisions", async |w| {
                s.annual_outpatient_run_csv(run, enc, w, now).await
            })
            .await
        }
        None => {
            let (bytes, _) = s
                .annual_outpatient_run_csv(run, enc, Vec::new(), now)
                .await?;
            std::io::Write::write_all(&mut std::io::stdout(), &bytes)?;
            Ok(())
        }
    }
}

async fn write_decisions(
    s: &Session<'_>,
    run: i64,
    enc: kokuho_formats::text::Encoding,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    save_csv(path, "decisions", async |w| {
        s.high_cost_run_csv(run, enc, w, OffsetDateTime::now_utc())
            .await
    })
    .await
}

async fn write_findings(
    s: &Session<'_>,
    check: i64,
    enc: kokuho_formats::text::Encoding,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    save_csv(path, "rows", async |w| {
        s.claim_check_csv(check, enc, w, OffsetDateTime::now_utc())
            .await
    })
    .await
}

/// Shows a job's progress on standard error every few seconds until aborted.
fn watch_progress(
    progress: kokuho_app::jobs::Progress,
    label: &'static str,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = None;
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            let (done, total) = progress.snapshot();
            if total > 0 && last != Some(done) {
                last = Some(done);
                eprintln!("{label}中… {}%", done.saturating_mul(100) / total);
            }
        }
    })
}

fn read_import_file(file: &std::path::Path) -> anyhow::Result<(String, Vec<u8>)> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((name, bytes))
}

/// Prints an application: what, for whom, who is paid, how much.
fn print_application(v: &kokuho_app::benefit::ApplicationView) {
    let payee = match &v.entitled_id {
        Some(e) => format!("{} ({}, for {e})", v.payee_id, v.payee_basis),
        None => v.payee_id.clone(),
    };
    println!(
        "application {}: {} for {} (event {}), payee {payee}, {} yen — {}{}",
        v.application_id,
        v.kind_label,
        v.addressee_id,
        v.event_on,
        v.amount,
        v.status,
        if v.provisional { " 【暫定】" } else { "" }
    );
    for step in &v.steps {
        println!("  {step}");
    }
    println!("  rule: {}", v.rule);
    if let Some(r) = &v.decision_reason {
        println!("  reason: {r}");
    }
}

async fn benefits_command(action: BenefitsAction) -> anyhow::Result<()> {
    use kokuho_app::benefit::{ApplicationInput, Decision, EventInput, PayeeBasis};
    use kokuho_domain::benefit::{BenefitKind, ReimbursementType};
    let now = OffsetDateTime::now_utc();
    let today = kokuho_app::local_date(now);
    match action {
        BenefitsAction::Apply {
            db,
            kind,
            person,
            on,
            received_on,
            applicant,
            documents,
            payee,
            payee_basis,
            entitled,
            application_account,
            r#type,
            cost,
            reference,
            economical,
            children,
            weeks,
            days,
            compensation,
            paid_directly,
            funeral_on,
            until,
            meals,
            long_stay,
            household,
            month,
            year,
            simplified_route,
        } => {
            let kind = BenefitKind::parse(&kind).ok_or_else(|| {
                AppError::invalid(
                    "kind",
                    "kind must be high-cost-benefit, reimbursement, childbirth-grant, funeral-grant, transport-benefit or meal-difference",
                    "給付の種類が正しくありません",
                )
            })?;
            let need = |field: &'static str, v: Option<String>| -> anyhow::Result<String> {
                v.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
                    AppError::invalid(
                        field,
                        format!("--{} is required", field.replace('_', "-")),
                        format!("{field} を入力してください"),
                    )
                    .into()
                })
            };
            let need_yen = |field: &'static str, v: Option<i64>| -> anyhow::Result<i64> {
                v.ok_or_else(|| {
                    AppError::invalid(
                        field,
                        format!("--{field} is required"),
                        format!("{field} を入力してください"),
                    )
                    .into()
                })
            };
            let event = match kind {
                BenefitKind::HighCostBenefit => EventInput::HighCost {
                    household_number: need("household", household)?,
                    service_month: parse_month_arg("month", &need("month", month)?)?,
                },
                BenefitKind::AnnualOutpatient => EventInput::AnnualOutpatient {
                    year: year.ok_or_else(|| {
                        AppError::invalid(
                            "year",
                            "--year is required",
                            "年度（8月の年）を入力してください",
                        )
                    })?,
                },
                BenefitKind::CombinedCare => EventInput::CombinedCare {
                    year: year.ok_or_else(|| {
                        AppError::invalid(
                            "year",
                            "--year is required",
                            "年度（8月の年）を入力してください",
                        )
                    })?,
                },
                _ => {
                    let on = parse_date_arg("on", &need("on", on)?)?;
                    match kind {
                        BenefitKind::ChildbirthGrant => EventInput::Childbirth {
                            born_on: on,
                            children,
                            gestation_days: weeks
                                .ok_or_else(|| {
                                    AppError::invalid(
                                        "weeks",
                                        "--weeks (of pregnancy) is required",
                                        "妊娠週数を入力してください",
                                    )
                                })?
                                .saturating_mul(7)
                                .saturating_add(days),
                            compensation_covered: compensation,
                            paid_directly,
                        },
                        BenefitKind::FuneralGrant => EventInput::Funeral {
                            died_on: on,
                            funeral_on: match funeral_on {
                                Some(d) => parse_date_arg("funeral_on", &d)?,
                                None => on,
                            },
                        },
                        BenefitKind::Reimbursement => EventInput::Reimbursement {
                            kind: ReimbursementType::parse(&need("type", r#type)?).ok_or_else(|| {
                                AppError::invalid(
                                    "type",
                                    "--type must be appliance, judo-therapy, acupuncture-massage, overseas or other",
                                    "療養費の種類が正しくありません",
                                )
                            })?,
                            service_on: on,
                            cost: need_yen("cost", cost)?,
                            reference,
                        },
                        BenefitKind::MealDifference => EventInput::MealDifference {
                            first_meal_on: on,
                            last_meal_on: match until {
                                Some(d) => parse_date_arg("until", &d)?,
                                None => on,
                            },
                            meals: meals.ok_or_else(|| {
                                AppError::invalid(
                                    "meals",
                                    "--meals is required",
                                    "食数を入力してください",
                                )
                            })?,
                            long_stay,
                        },
                        _ => EventInput::Transport {
                            moved_on: on,
                            paid: need_yen("cost", cost)?,
                            economical: need_yen("economical", economical)?,
                        },
                    }
                }
            };
            let received_on = match received_on {
                Some(d) => parse_date_arg("received_on", &d)?,
                None => today,
            };
            let (app, actor) = open_session(&db).await?;
            let v = Session {
                app: &app,
                actor: &actor,
            }
            .receive_application(
                &ApplicationInput {
                    addressee_id: person.unwrap_or_default(),
                    event,
                    received_on,
                    applicant,
                    documents,
                    payee_id: payee,
                    application_account,
                    payee_basis: PayeeBasis::parse(&payee_basis).ok_or_else(|| {
                        kokuho_app::AppError::invalid(
                            "payee_basis",
                            "payee_basis: entitled, heir or proxy",
                            "受取人の区分は entitled・heir・proxy のいずれかです",
                        )
                    })?,
                    entitled_id: entitled,
                    simplified_route,
                },
                now,
            )
            .await?;
            print_application(&v);
            println!("{}", v.application_id);
        }
        BenefitsAction::Recovery { action } => {
            use kokuho_app::recovery::RecoveryEvent;
            let now = OffsetDateTime::now_utc();
            let today = kokuho_app::local_date(now);
            match action {
                RecoveryAction::Assess {
                    db,
                    household,
                    month,
                    person,
                    year,
                    combined_care,
                    on,
                    due_by,
                } => {
                    let event = match (household, month, person, year) {
                        (Some(_), _, _, _) | (_, Some(_), _, _) if combined_care => {
                            return Err(AppError::invalid(
                                "combined_care",
                                "--combined-care goes with --person and --year",
                                "--combined-care は --person と --year と指定してください",
                            )
                            .into());
                        }
                        (None, None, Some(p), Some(y)) if combined_care => {
                            RecoveryEvent::CombinedCare {
                                addressee_id: p,
                                year: y,
                            }
                        }
                        (Some(h), Some(m), None, None) => RecoveryEvent::HighCost {
                            household_number: h,
                            service_month: parse_month_arg("month", &m)?,
                        },
                        (None, None, Some(p), Some(y)) => RecoveryEvent::AnnualOutpatient {
                            addressee_id: p,
                            year: y,
                        },
                        _ => {
                            return Err(AppError::invalid(
                                "event",
                                "give --household and --month, or --person and --year",
                                "--household と --month、または --person と --year を指定してください",
                            )
                            .into());
                        }
                    };
                    let assessed_on = match on {
                        Some(d) => parse_date_arg("on", &d)?,
                        None => today,
                    };
                    let due_by = parse_date_arg("due_by", &due_by)?;
                    let (app, actor) = open_session(&db).await?;
                    let r = Session {
                        app: &app,
                        actor: &actor,
                    }
                    .assess_recovery(&event, assessed_on, due_by, now)
                    .await?;
                    print_recovery(&r);
                    println!("{}", r.recovery_id);
                }
                RecoveryAction::List { db, owed } => {
                    let (app, actor) = open_session(&db).await?;
                    for r in (Session {
                        app: &app,
                        actor: &actor,
                    })
                    .recoveries(owed, 1000, now)
                    .await?
                    {
                        print_recovery(&r);
                    }
                }
                RecoveryAction::Repaid { db, id, on, note } => {
                    let on = match on {
                        Some(d) => parse_date_arg("on", &d)?,
                        None => today,
                    };
                    let (app, actor) = open_session(&db).await?;
                    let r = Session {
                        app: &app,
                        actor: &actor,
                    }
                    .settle_recovery(id, true, on, &note, now)
                    .await?;
                    print_recovery(&r);
                }
                RecoveryAction::Cancel { db, id, note } => {
                    let (app, actor) = open_session(&db).await?;
                    let r = Session {
                        app: &app,
                        actor: &actor,
                    }
                    .settle_recovery(id, false, today, &note, now)
                    .await?;
                    print_recovery(&r);
                }
            }
        }
        BenefitsAction::FuneralGrant { action } => match action {
            FuneralGrantAction::Set {
                db,
                from,
                amount,
                source,
            } => {
                let from = parse_date_arg("from", &from)?;
                let (app, actor) = open_session(&db).await?;
                let r = Session {
                    app: &app,
                    actor: &actor,
                }
                .set_funeral_grant(from, amount, &source, now)
                .await?;
                println!(
                    "葬祭費 {} yen from {} ({})",
                    r.amount, r.valid_from, r.source
                );
            }
            FuneralGrantAction::List { db } => {
                let (app, actor) = open_session(&db).await?;
                let rows = Session {
                    app: &app,
                    actor: &actor,
                }
                .funeral_grants(now)
                .await?;
                if rows.is_empty() {
                    println!("no figure recorded: the shipped table's provisional 葬祭費 applies");
                }
                for r in rows {
                    println!(
                        "{}\t{}\t{}\tby {}",
                        r.valid_from, r.amount, r.source, r.recorded_by
                    );
                }
            }
        },
        BenefitsAction::ShareNotice { action } => match action {
            ShareNoticeAction::Record {
                db,
                person,
                kind,
                year,
                issuer,
                reference,
                notified_on,
                base_date,
                amount,
            } => {
                let kind = BenefitKind::parse(&kind)
                    .filter(|k| {
                        matches!(k, BenefitKind::AnnualOutpatient | BenefitKind::CombinedCare)
                    })
                    .ok_or_else(|| {
                        AppError::invalid(
                            "kind",
                            "--kind must be annual-outpatient or combined-care",
                            "種類は annual-outpatient（外来年間合算）または combined-care（高額介護合算）です",
                        )
                    })?;
                let notified_on = parse_date_arg("notified_on", &notified_on)?;
                let base_date = parse_date_arg("base_date", &base_date)?;
                let (app, actor) = open_session(&db).await?;
                let id = Session {
                    app: &app,
                    actor: &actor,
                }
                .record_share_notice(
                    &kokuho_app::share_notice::ShareNoticeInput {
                        addressee_id: person,
                        kind,
                        year,
                        issuer,
                        reference,
                        notified_on,
                        base_date,
                        amount,
                    },
                    now,
                )
                .await?;
                println!("{id}");
            }
            ShareNoticeAction::Void { db, notice } => {
                let (app, actor) = open_session(&db).await?;
                let row = Session {
                    app: &app,
                    actor: &actor,
                }
                .void_share_notice(notice, now)
                .await?;
                println!(
                    "notice {notice} voided ({} of insurer {} for {}, year {})",
                    row.kind, row.issuer, row.addressee_id, row.year
                );
            }
            ShareNoticeAction::List { db, person } => {
                let (app, actor) = open_session(&db).await?;
                let rows = Session {
                    app: &app,
                    actor: &actor,
                }
                .share_notices(&person, now)
                .await?;
                println!("番号\t種類\t年度\t保険者\t連絡票\t日付\t基準日\t支給額\t状態");
                for n in rows {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        n.notice_id,
                        n.kind_label,
                        n.year,
                        n.issuer,
                        n.reference,
                        n.notified_on,
                        n.base_date,
                        n.amount,
                        if n.voided { "取消" } else { "有効" }
                    );
                }
            }
        },
        BenefitsAction::CombinedCare { action } => match action {
            CombinedCareAction::Certificate {
                db,
                person,
                year,
                side,
                issuer,
                certificate,
                from,
                to,
                amount,
                amount_70_74,
            } => {
                let side = kokuho_app::combined_care::Side::parse(&side).ok_or_else(|| {
                    AppError::invalid(
                        "side",
                        "--side must be care or medical",
                        "証明書の種類は care（介護保険）または medical（他の医療保険）です",
                    )
                })?;
                let (app, actor) = open_session(&db).await?;
                let id = Session {
                    app: &app,
                    actor: &actor,
                }
                .record_combined_care_certificate(
                    &kokuho_app::combined_care::CertificateInput {
                        addressee_id: person,
                        year,
                        side,
                        issuer,
                        certificate,
                        from_month: from,
                        to_month: to,
                        amount,
                        amount_70_74,
                    },
                    now,
                )
                .await?;
                println!("{id}");
            }
            CombinedCareAction::Void { db, entry } => {
                let (app, actor) = open_session(&db).await?;
                let row = Session {
                    app: &app,
                    actor: &actor,
                }
                .void_combined_care_certificate(entry, now)
                .await?;
                println!(
                    "entry {entry} voided ({} certificate of insurer {} for {}, year {})",
                    row.side, row.issuer, row.addressee_id, row.year
                );
            }
            CombinedCareAction::Calc {
                db,
                person,
                year,
                json,
            } => {
                let (app, actor) = open_session(&db).await?;
                let y = Session {
                    app: &app,
                    actor: &actor,
                }
                .combined_care_year(&person, year, now)
                .await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&y)?);
                } else {
                    for s in &y.steps {
                        println!("{s}");
                    }
                    println!("member\tmedical\tcare\tmedical_share\tcare_share");
                    for m in &y.members {
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            m.addressee_id,
                            m.medical_here + m.medical_other,
                            m.care,
                            m.medical_share,
                            m.care_share
                        );
                    }
                    println!(
                        "household {} (base date {}): this insurer pays {} yen, the care insurer {} yen{}",
                        y.household_number,
                        y.base_date,
                        y.medical,
                        y.care,
                        if y.provisional { " [provisional]" } else { "" }
                    );
                }
            }
        },
        BenefitsAction::SimplifiedRoute { action } => match action {
            SimplifiedAction::Add {
                db,
                household,
                from,
                consented_on,
            } => {
                let from = parse_month_arg("from", &from)?;
                let consented_on = match consented_on {
                    Some(d) => parse_date_arg("consented_on", &d)?,
                    None => today,
                };
                let (app, actor) = open_session(&db).await?;
                let added = Session {
                    app: &app,
                    actor: &actor,
                }
                .register_simplified_route(&household, from, consented_on, now)
                .await?;
                println!(
                    "household {household}: {}",
                    if added {
                        "on the simplified route"
                    } else {
                        "already on the simplified route"
                    }
                );
            }
            SimplifiedAction::List { db } => {
                let (app, actor) = open_session(&db).await?;
                for h in (Session {
                    app: &app,
                    actor: &actor,
                })
                .simplified_route_households(now)
                .await?
                {
                    println!(
                        "{}\tfrom {}\tasked {}\t{}\tby {}",
                        h.household_number,
                        h.from_month,
                        h.consented_on,
                        h.application_id
                            .map(|a| format!("with application {a}"))
                            .unwrap_or_else(|| "by form".into()),
                        h.recorded_by
                    );
                }
            }
            SimplifiedAction::Run { db, month } => {
                let month = parse_month_arg("month", &month)?;
                let (app, actor) = open_session(&db).await?;
                let r = Session {
                    app: &app,
                    actor: &actor,
                }
                .apply_simplified_route(month, now)
                .await?;
                println!(
                    "{} households on the route: {} applications made (awaiting decision), {} already applied, {} with nothing to refund",
                    r.households,
                    r.created.len(),
                    r.already,
                    r.nothing
                );
                for (h, why) in &r.refused {
                    println!("  household {h}: {why}");
                }
            }
        },
        BenefitsAction::Revoke { db, id, reason, on } => {
            let on = match on {
                Some(d) => parse_date_arg("on", &d)?,
                None => today,
            };
            let (app, actor) = open_session(&db).await?;
            let v = Session {
                app: &app,
                actor: &actor,
            }
            .revoke_decision(id, on, &reason, now)
            .await?;
            print_application(&v);
        }
        BenefitsAction::Decide {
            db,
            ids,
            pay,
            refuse,
            on,
        } => {
            let decision = match (pay, refuse) {
                (true, None) => Decision::Pay,
                (false, Some(reason)) => Decision::Refuse { reason },
                _ => {
                    return Err(AppError::invalid(
                        "decision",
                        "give --pay or --refuse REASON",
                        "支給（--pay）か不支給（--refuse 理由）を指定してください",
                    )
                    .into());
                }
            };
            let on = match on {
                Some(d) => parse_date_arg("on", &d)?,
                None => today,
            };
            let (app, actor) = open_session(&db).await?;
            let s = Session {
                app: &app,
                actor: &actor,
            };
            for id in ids {
                let v = s.decide_application(id, &decision, on, now).await?;
                print_application(&v);
            }
        }
        BenefitsAction::Queue { db, limit } => {
            let (app, actor) = open_session(&db).await?;
            let v = Session {
                app: &app,
                actor: &actor,
            }
            .decision_queue(limit, now)
            .await?;
            for a in &v {
                println!(
                    "{}\t{}\t{}\t{}\treceived {} by {}\t{} yen{}",
                    a.application_id,
                    a.kind_label,
                    a.addressee_id,
                    a.event_on,
                    a.received_on,
                    a.received_by,
                    a.amount,
                    if a.provisional { "\t【暫定】" } else { "" }
                );
            }
            println!("{} awaiting a decision", v.len());
        }
        BenefitsAction::Show { db, id } => {
            let (app, actor) = open_session(&db).await?;
            let v = Session {
                app: &app,
                actor: &actor,
            }
            .application(id, now)
            .await?;
            print_application(&v);
        }
        BenefitsAction::History { db, person } => {
            let (app, actor) = open_session(&db).await?;
            let v = Session {
                app: &app,
                actor: &actor,
            }
            .benefit_history(&person, now)
            .await?;
            for l in &v {
                let a = &l.application;
                println!(
                    "{}\t{}\t{}\t{} yen\t{}\t{}",
                    a.application_id,
                    a.kind_label,
                    a.event_on,
                    a.amount,
                    a.status,
                    l.payment
                        .map(|(run, s)| format!("run {run}: {s}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

fn print_run(v: &kokuho_app::payment_run::RunView) {
    println!(
        "run {}: {} — due by {}, pay on {}, {} transfers, {} yen{}{}{}",
        v.run_id,
        v.status_label,
        v.due_by,
        v.pay_on,
        v.transfers,
        v.total,
        if v.without_account > 0 {
            format!(
                ", {} decided benefits without an account left out",
                v.without_account
            )
        } else {
            String::new()
        },
        if v.payee_died > 0 {
            format!(
                ", {} held back: the payee has died (the heir applies)",
                v.payee_died
            )
        } else {
            String::new()
        },
        v.file_sha256
            .as_deref()
            .map(|h| format!(", file sha256 {h}"))
            .unwrap_or_default()
    );
}

fn print_issue(v: &kokuho_app::documents::IssueView) {
    println!(
        "{}\t{}\t{}\t{}\t{}\t有効 {}〜{}\t{}\t{}{}{}",
        v.issue_id,
        v.document_number,
        v.kind_label,
        v.addressee_id,
        v.issued_on,
        v.valid_from.map(|d| d.to_string()).unwrap_or_default(),
        v.valid_to.map(|d| d.to_string()).unwrap_or_default(),
        v.status,
        v.issued_by,
        v.reprint_of
            .map(|r| format!("\t再交付（元 {r}）"))
            .unwrap_or_default(),
        if v.substitutions.is_empty() {
            String::new()
        } else {
            format!("\t外字置換 {}", v.substitutions)
        }
    );
}

fn write_atomically(out: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    // beside the target first, renamed when whole
    let part = out.with_extension("part");
    std::fs::write(&part, bytes).with_context(|| format!("cannot write {}", part.display()))?;
    std::fs::rename(&part, out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

fn document_kind_arg(s: &str) -> anyhow::Result<kokuho_app::documents::DocumentKind> {
    kokuho_app::documents::DocumentKind::parse(s).ok_or_else(|| {
        AppError::invalid(
            "kind",
            format!(
                "--kind: one of {}",
                kokuho_app::documents::DocumentKind::ALL
                    .iter()
                    .map(|k| k.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "帳票の種類が正しくありません（kokuho documents kinds で一覧）",
        )
        .into()
    })
}

fn purpose_of(p: &PurposeArgs) -> Option<kokuho_domain::access::Purpose> {
    kokuho_domain::access::Purpose::parse(&p.affair, &p.reason)
}

/// Writes a new transfer key to a file that must not exist yet (mode 0600).
fn write_new_transfer_key(file: &Path) -> anyhow::Result<()> {
    let key = kokuho_vault::TransferKey::generate();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    std::io::Write::write_all(&mut opts.open(file)?, key.to_text().as_bytes())?;
    Ok(())
}

fn load_transfer_key(path: &Path) -> anyhow::Result<kokuho_vault::TransferKey> {
    kokuho_vault::TransferKey::load(path).map_err(|e| {
        anyhow::anyhow!(
            "{e}: create one with `kokuho exchange init-transfer-key FILE` and give the same file to the counterpart"
        )
    })
}

fn stats_period(
    month: Option<&str>,
    fiscal_year: Option<&str>,
) -> anyhow::Result<kokuho_app::statistics::Period> {
    use kokuho_app::statistics::Period;
    Ok(match (month, fiscal_year) {
        (Some(m), None) => Period::parse_month(m)?,
        (None, Some(y)) => Period::parse_fiscal_year(y)?,
        _ => {
            return Err(AppError::invalid(
                "period",
                "give --month YYYY-MM or --fiscal-year YYYY",
                "--month か --fiscal-year のどちらかを指定してください",
            )
            .into());
        }
    })
}

fn print_report_summary(r: &kokuho_domain::statistics::Report) {
    println!(
        "{} ({} {}), as known at {} ({})",
        r.title, r.insurer_number, r.insurer_name, r.known_at, r.basis
    );
    if r.missing.is_empty() {
        println!("  complete");
    } else {
        for m in &r.missing {
            println!("  INCOMPLETE: {} / {}", m.en, m.ja);
        }
    }
}

async fn stats_command(action: StatsAction) -> anyhow::Result<()> {
    use kokuho_app::statistics::{KnownAt, Period};
    let now = OffsetDateTime::now_utc();
    let produce = |db: DbArgs, p: Period, o: StatsOutput| async move {
        let format = o.format.to_ascii_lowercase();
        if !["csv", "csv-cp932", "xlsx", "pdf", "json"].contains(&format.as_str()) {
            return Err(anyhow::Error::from(AppError::invalid(
                "format",
                format!(
                    "unknown format {:?}: csv, csv-cp932, xlsx, pdf or json",
                    o.format
                ),
                "出力形式は csv, csv-cp932, xlsx, pdf, json のいずれかです",
            )));
        }
        let known_at = match (o.now, parse_known_at(o.known_at.as_deref())?) {
            (true, _) => KnownAt::Now,
            (false, Some(t)) => KnownAt::At(t),
            (false, None) => KnownAt::Default,
        };
        let (app, actor) = open_session(&db).await?;
        let session = Session {
            app: &app,
            actor: &actor,
        };
        let r = session
            .statistics_report(
                p,
                known_at,
                o.publish.then_some(o.threshold),
                &o.purpose,
                now,
            )
            .await?;
        let bytes = match format.as_str() {
            "csv" => kokuho_formats::statistics::to_csv(&r, kokuho_app::Encoding::Utf8)?,
            "csv-cp932" => kokuho_formats::statistics::to_csv(&r, kokuho_app::Encoding::Cp932)?,
            "xlsx" => kokuho_formats::statistics::to_xlsx(&r)
                .map_err(|e| anyhow::anyhow!("cannot write the workbook: {e}"))?,
            "pdf" => app.statistics_pdf(&r)?,
            _ => serde_json::to_vec_pretty(&r)?,
        };
        write_atomically(&o.out, &bytes)?;
        print_report_summary(&r);
        println!("  written to {} ({} bytes)", o.out.display(), bytes.len());
        anyhow::Ok(())
    };
    match action {
        StatsAction::Monthly { db, month, output } => {
            produce(db, Period::parse_month(&month)?, output).await?;
        }
        StatsAction::Yearly {
            db,
            fiscal_year,
            output,
        } => {
            produce(db, Period::parse_fiscal_year(&fiscal_year)?, output).await?;
        }
        StatsAction::Close {
            db,
            month,
            fiscal_year,
            allow_incomplete,
            purpose,
        } => {
            let p = stats_period(month.as_deref(), fiscal_year.as_deref())?;
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let (r, digest) = session
                .close_statistics(p, allow_incomplete, &purpose, now)
                .await?;
            print_report_summary(&r);
            println!("  closed; figures sha256 {digest}");
        }
        StatsAction::Changes {
            db,
            month,
            fiscal_year,
            purpose,
        } => {
            let p = stats_period(month.as_deref(), fiscal_year.as_deref())?;
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let (closed, current, diffs) = session.statistics_changes(p, &purpose, now).await?;
            println!(
                "{}: closed as known at {}, now {}",
                closed.title, closed.known_at, current.known_at
            );
            if diffs.is_empty() {
                println!("  no figure changed since the closing");
            }
            for d in &diffs {
                println!(
                    "  {} {} / {}: {} -> {}",
                    d.table,
                    d.row.trim_start_matches('　'),
                    d.column,
                    d.closed.text(),
                    d.now.text()
                );
            }
        }
        StatsAction::Closings { db } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            for c in session.statistics_closings(now).await? {
                println!(
                    "{} {}  closed {} by {}  figures {}",
                    c.report,
                    c.period,
                    kokuho_app::eligibility::from_us(c.closed_us).to_offset(kokuho_app::jst()),
                    c.closed_by,
                    c.figures_sha256
                );
            }
        }
        StatsAction::Charts {
            db,
            fiscal_year,
            out,
            publish,
            threshold,
            purpose,
        } => {
            let p = Period::parse_fiscal_year(&fiscal_year)?;
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let r = session
                .statistics_report(p, KnownAt::Default, None, &purpose, now)
                .await?;
            let charts = kokuho_formats::charts::charts(&r, publish.then_some(threshold))
                .map_err(|e| anyhow::anyhow!("cannot draw: {e}"))?;
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            print_report_summary(&r);
            for c in &charts {
                let svg = out.join(format!("{}.svg", c.key));
                write_atomically(&svg, c.svg.as_bytes())?;
                let report = kokuho_domain::statistics::Report {
                    tables: vec![c.table.clone()],
                    ..r.clone()
                };
                let csv = out.join(format!("{}.csv", c.key));
                write_atomically(
                    &csv,
                    &kokuho_formats::statistics::to_csv(&report, kokuho_app::Encoding::Utf8)?,
                )?;
                println!("  {}  {}  (+ {})", svg.display(), c.title, csv.display());
            }
        }
    }
    Ok(())
}

async fn exchange_command(action: ExchangeAction) -> anyhow::Result<()> {
    use kokuho_app::exchange::Since;
    let now = OffsetDateTime::now_utc();
    match action {
        ExchangeAction::RotateTransferKey { file, keep } => {
            let old = kokuho_vault::TransferKey::load(&file)?;
            let new = old.rotated(keep);
            // written beside it, then moved over it: never half a key file
            let tmp = file.with_extension("rotating");
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts
                .open(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            std::io::Write::write_all(&mut f, new.to_text().as_bytes())?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &file)?;
            println!(
                "transfer key rotated in {}: a new key seals from now on; {} earlier key(s) kept to open files sealed before. Give the new file to the counterpart's link",
                file.display(),
                new.previous_keys()
            );
        }
        ExchangeAction::InitTransferKey { file } => {
            if file.exists() {
                anyhow::bail!(
                    "{} exists: a transfer key is never overwritten",
                    file.display()
                );
            }
            write_new_transfer_key(&file)?;
            println!("transfer key written to {} (mode 0600)", file.display());
        }
        ExchangeAction::Export {
            db,
            to,
            since,
            full,
            out,
            transfer_key,
            purpose,
        } => {
            if to != "federation" && to != "intermediate" {
                return Err(AppError::invalid(
                    "to",
                    format!("unknown counterpart {to:?}: federation or intermediate"),
                    "連携先は federation（国保情報集約システム）か intermediate（中間サーバー）です",
                )
                .into());
            }
            let since = match (full, parse_known_at(since.as_deref())?) {
                (true, _) => Since::Full,
                (false, Some(t)) => Since::At(t),
                (false, None) => Since::LastSent,
            };
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            session
                .require_for(
                    kokuho_domain::access::Permission::Exchange,
                    purpose_of(&purpose).as_ref(),
                    now,
                )
                .await?;
            let key = load_transfer_key(&transfer_key)?;
            let r = if to == "intermediate" {
                session
                    .export_to_intermediate(since, &out, &key, purpose_of(&purpose).as_ref(), now)
                    .await?
            } else {
                session
                    .export_to_federation(since, &out, &key, purpose_of(&purpose).as_ref(), now)
                    .await?
            };
            println!(
                "{} extract for the {to}{}, as known at {}:",
                match r.extract {
                    kokuho_formats::federation::Extract::Full => "full",
                    _ => "differential",
                },
                r.since
                    .map(|s| format!(" (changes after {s})"))
                    .unwrap_or_default(),
                r.as_of
            );
            for f in &r.files {
                println!(
                    "  sent #{}  {}  {}  {} records  sha256 {}{}",
                    f.file_id,
                    f.path.display(),
                    f.name_ja,
                    f.records,
                    f.sha256,
                    if f.sealed {
                        "  (sealed: holds My Numbers)"
                    } else {
                        ""
                    }
                );
            }
        }
        ExchangeAction::Import {
            db,
            files,
            transfer_key,
            purpose,
        } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            session
                .require_for(
                    kokuho_domain::access::Permission::Exchange,
                    purpose_of(&purpose).as_ref(),
                    now,
                )
                .await?;
            let key = transfer_key.as_deref().map(load_transfer_key).transpose()?;
            let total = files.len();
            for (i, f) in files.iter().enumerate() {
                let bytes = std::fs::read(f)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?;
                let name = f
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("(file)")
                    .to_string();
                eprintln!("[{}/{total}] {name}", i + 1);
                let r = session
                    .import_from_federation(
                        &name,
                        &bytes,
                        key.as_ref(),
                        purpose_of(&purpose).as_ref(),
                        now,
                    )
                    .await?;
                println!(
                    "received #{}  {name}  {}  {} records: {}",
                    r.file_id, r.name_ja, r.records, r.outcome
                );
            }
        }
        ExchangeAction::Due {
            db,
            from,
            open,
            purpose,
        } => {
            let from = match from {
                Some(f) => parse_date_arg("from", &f)?,
                None => kokuho_app::local_date(now) - time::Duration::days(30),
            };
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let changes = session
                .online_registration_due(from, purpose_of(&purpose).as_ref(), now)
                .await?;
            use kokuho_domain::online_eligibility::Standing;
            let mut counts = std::collections::BTreeMap::new();
            for c in &changes {
                *counts.entry(c.standing.label_ja()).or_insert(0) += 1;
            }
            println!("宛名番号\t資格履歴番号\t異動\t受付日\t登録期限\t送信日\t状況");
            for c in changes
                .iter()
                .filter(|c| !open || matches!(c.standing, Standing::Due | Standing::Overdue))
            {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    c.addressee_id,
                    c.period_id,
                    c.change_kind,
                    c.accepted_on,
                    c.due_by,
                    c.sent_on.map(|d| d.to_string()).unwrap_or_default(),
                    c.standing.label_ja()
                );
            }
            eprintln!(
                "{} changes since {from}: {}",
                changes.len(),
                counts
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join("、")
            );
        }
        ExchangeAction::ReplicaRefresh { db, purpose } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let n = session
                .refresh_replicas(purpose_of(&purpose).as_ref(), now)
                .await?;
            println!("{n} provision copies refreshed");
        }
        ExchangeAction::LinkageAnswer {
            db,
            item,
            agency,
            integrated_id,
            date,
        } => {
            let on = parse_date_arg("date", &date)?;
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let a = session
                .answer_linkage_query(item, &agency, &integrated_id, on, now)
                .await?;
            println!("{}", serde_json::to_string_pretty(&a)?);
        }
        ExchangeAction::Files { db, purpose } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let (files, _) = session
                .exchange_records(purpose_of(&purpose).as_ref(), now)
                .await?;
            println!(
                "#	direction	counterpart	kind	file	extract	as of	records	sha256	sealed	by	outcome"
            );
            for f in files {
                println!(
                    "{}	{}	{}	{}	{}	{}	{}	{}	{}	{}	{}	{}",
                    f.file_id,
                    f.direction,
                    f.counterpart,
                    f.file_kind,
                    f.file_name,
                    f.extract,
                    kokuho_app::eligibility::from_us(f.as_of_us),
                    f.record_count,
                    f.sha256,
                    if f.sealed { "sealed" } else { "" },
                    f.recorded_by,
                    f.outcome
                );
            }
        }
        ExchangeAction::Continuity { db, purpose } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let (_, notices) = session
                .exchange_records(purpose_of(&purpose).as_ref(), now)
                .await?;
            let proposals = app.continuity_proposals(&notices).await?;
            println!(
                "#	宛名番号	世帯番号	取得日	異動前保険者	異動前記号番号	喪失日	資格継続	世帯継続候補	判定	送信	提案"
            );
            for n in notices {
                let proposal = proposals
                    .get(&(n.household_number.clone(), n.from_insurer.clone()))
                    .filter(|_| n.judgement.is_none())
                    .map(|p| {
                        format!(
                            "{}：{}",
                            match p.code() {
                                "continues" => "継続する",
                                "does_not" => "継続しない",
                                _ => "判定が必要",
                            },
                            p.reason()
                        )
                    })
                    .unwrap_or_default();
                println!(
                    "{}	{}	{}	{}	{}	{} {}-{}	{}	{}	{}	{}	{}	{}",
                    n.notice_id,
                    n.addressee_id,
                    n.household_number,
                    n.acquired_on,
                    n.from_insurer,
                    n.from_insured_symbol,
                    n.from_insured_number,
                    n.from_branch_number,
                    n.from_lost_on,
                    match n.continuity.as_str() {
                        "continuous" => "継続",
                        "gap" => "空白期間あり",
                        _ => "重複期間あり",
                    },
                    if n.household_candidate { "候補" } else { "" },
                    match n.judgement.as_deref() {
                        Some("continues") => "継続する",
                        Some(_) => "継続しない",
                        None if n.household_candidate => "判定待ち",
                        None => "",
                    },
                    n.sent_file_id.map(|i| format!("#{i}")).unwrap_or_default(),
                    proposal
                );
            }
        }
        ExchangeAction::Judge {
            db,
            household,
            from_insurer,
            continues,
            purpose,
        } => {
            let continues = match continues.trim() {
                "yes" | "y" | "はい" | "継続" => true,
                "no" | "n" | "いいえ" | "非継続" => false,
                _ => {
                    return Err(AppError::invalid(
                        "continues",
                        "answer yes or no",
                        "継続する（yes）か、しない（no）かを指定してください",
                    )
                    .into());
                }
            };
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let n = session
                .judge_continuity(
                    &household,
                    &from_insurer,
                    continues,
                    purpose_of(&purpose).as_ref(),
                    now,
                )
                .await?;
            println!(
                "household {household} from {from_insurer}: {} ({n} persons); sent with the next export",
                if continues {
                    "continues"
                } else {
                    "does not continue"
                }
            );
        }
    }
    Ok(())
}

async fn documents_command(action: DocumentsAction) -> anyhow::Result<()> {
    use kokuho_app::documents::{DocumentKind, IssueOptions, Subject};
    let now = OffsetDateTime::now_utc();
    match action {
        DocumentsAction::Kinds => {
            for k in DocumentKind::ALL {
                println!(
                    "{}\t{}{}",
                    k.code(),
                    k.label_ja(),
                    if k.batchable() {
                        "\t一括発行可"
                    } else {
                        ""
                    }
                );
            }
        }
        DocumentsAction::Issue {
            db,
            kind,
            person,
            application,
            recovery,
            household,
            fiscal_year,
            month,
            year,
            with_limit_category,
            out,
        } => {
            let kind = document_kind_arg(&kind)?;
            let subject = if kind.about_year() {
                match (&person, year) {
                    (Some(p), Some(year)) => Subject::PersonYear {
                        person: kokuho_domain::id::AddresseeId::parse(p)
                            .map_err(|e| AppError::from(e).for_field("person"))?,
                        year,
                    },
                    _ => {
                        return Err(AppError::invalid(
                            "year",
                            "--person and --year are required",
                            "宛名番号と年（8月の年）を指定してください",
                        )
                        .into());
                    }
                }
            } else if kind.about_high_cost() {
                match (household, month) {
                    (Some(household), Some(service_month)) => Subject::HighCost {
                        household: household.trim().to_string(),
                        service_month: service_month.trim().to_string(),
                    },
                    _ => {
                        return Err(AppError::invalid(
                            "household",
                            "--household and --month are required",
                            "世帯番号と診療年月を指定してください",
                        )
                        .into());
                    }
                }
            } else if kind.about_levy() {
                match (household, fiscal_year) {
                    (Some(household), Some(fiscal_year)) => Subject::Levy {
                        household: household.trim().to_string(),
                        fiscal_year,
                    },
                    _ => {
                        return Err(AppError::invalid(
                            "household",
                            "--household and --fiscal-year are required",
                            "世帯番号と年度を指定してください",
                        )
                        .into());
                    }
                }
            } else if kind.about_recovery() {
                Subject::Recovery(recovery.ok_or_else(|| {
                    AppError::invalid(
                        "recovery",
                        "--recovery is required",
                        "返納金の番号を指定してください",
                    )
                })?)
            } else if kind.about_application() {
                Subject::Application(application.ok_or_else(|| {
                    AppError::invalid(
                        "application",
                        "--application is required",
                        "申請番号を指定してください",
                    )
                })?)
            } else {
                let p = person.ok_or_else(|| {
                    AppError::invalid(
                        "person",
                        "--person is required",
                        "宛名番号を指定してください",
                    )
                })?;
                Subject::Person(
                    kokuho_domain::id::AddresseeId::parse(&p)
                        .map_err(|e| AppError::from(e).for_field("person"))?,
                )
            };
            let (app, actor) = open_session(&db).await?;
            let issued = Session {
                app: &app,
                actor: &actor,
            }
            .issue_document(
                kind,
                &subject,
                IssueOptions {
                    with_limit_category,
                },
                now,
            )
            .await?;
            write_atomically(&out, &issued.pdf)?;
            print_issue(&issued.issue);
            println!("{}: {} bytes", out.display(), issued.pdf.len());
        }
        DocumentsAction::Reprint { db, id, out } => {
            let (app, actor) = open_session(&db).await?;
            let issued = Session {
                app: &app,
                actor: &actor,
            }
            .reprint_document(id, now)
            .await?;
            write_atomically(&out, &issued.pdf)?;
            print_issue(&issued.issue);
            println!("{}: {} bytes", out.display(), issued.pdf.len());
        }
        DocumentsAction::History { db, person } => {
            let (app, actor) = open_session(&db).await?;
            let h = Session {
                app: &app,
                actor: &actor,
            }
            .document_history(&person, now)
            .await?;
            if h.is_empty() {
                println!("発行記録はありません");
            }
            for v in &h {
                print_issue(v);
            }
        }
        DocumentsAction::Mark {
            db,
            id,
            status,
            note,
        } => {
            let (app, actor) = open_session(&db).await?;
            let v = Session {
                app: &app,
                actor: &actor,
            }
            .set_document_status(id, &status, &note, now)
            .await?;
            print_issue(&v);
        }
        DocumentsAction::Batch {
            db,
            kind,
            out,
            as_of,
            max,
            fiscal_year,
        } => {
            let kind = document_kind_arg(&kind)?;
            let as_of = match as_of {
                Some(s) => Some(parse_date_arg("as_of", &s)?),
                None => None,
            };
            let (app, actor) = open_session(&db).await?;
            let mut last_shown = -1i64;
            let (r, resumed) = Session {
                app: &app,
                actor: &actor,
            }
            .run_document_batch(
                kind,
                as_of,
                fiscal_year,
                &out,
                max,
                |done, planned| {
                    // a line every 100 and at the end, to stderr
                    if done == planned || done / 100 != last_shown / 100 {
                        eprintln!("{done}/{planned}");
                        last_shown = done;
                    }
                },
                now,
            )
            .await?;
            println!(
                "batch {} {}: {}/{} done",
                r.batch_id,
                if resumed { "resumed" } else { "started" },
                r.done,
                r.planned
            );
            for (seq, person, why) in &r.skipped {
                println!("not printed\t{seq}\t{person}\t{why}");
            }
            match &r.combined {
                Some(p) => println!("finished: {}", p.display()),
                None => println!("not finished: run the same command again to go on"),
            }
        }
        DocumentsAction::Batches { db } => {
            let (app, actor) = open_session(&db).await?;
            for b in (Session {
                app: &app,
                actor: &actor,
            })
            .document_batches(now)
            .await?
            {
                println!(
                    "{}\t{}\tas-of {}\tissued {}\tvalid-to {}\t{} planned\t{}",
                    b.batch_id,
                    b.kind,
                    b.as_of,
                    b.issued_on,
                    b.valid_to.map(|d| d.to_string()).unwrap_or_default(),
                    b.planned,
                    b.status
                );
            }
        }
    }
    Ok(())
}

async fn payments_command(action: PaymentsAction) -> anyhow::Result<ExitCode> {
    use kokuho_domain::bank_account::{AccountType, LongVowel, to_transfer_kana};
    let now = OffsetDateTime::now_utc();
    match action {
        PaymentsAction::ZenginName {
            text,
            half_width_long_vowel,
        } => {
            let lv = if half_width_long_vowel {
                LongVowel::HalfWidthMark
            } else {
                LongVowel::Hyphen
            };
            match to_transfer_kana(&text, lv) {
                Ok(name) => println!("{name}"),
                Err(e) => {
                    eprintln!("エラー: {}", e.message_ja());
                    eprintln!("error [invalid] name: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        PaymentsAction::Contract { action } => match action {
            ContractAction::Set {
                db,
                requester_code,
                requester_name,
                bank,
                bank_name,
                branch,
                branch_name,
                r#type,
                number,
                new_code,
                transfer_class,
                no_line_breaks,
            } => {
                let account_type = r#type
                    .trim()
                    .chars()
                    .next()
                    .filter(|_| r#type.trim().len() == 1)
                    .and_then(AccountType::from_code)
                    .ok_or_else(|| {
                        AppError::invalid(
                            "type",
                            "--type: 1, 2, 4 or 9",
                            "預金種目が正しくありません",
                        )
                    })?;
                let transfer_class = match transfer_class.trim() {
                    "7" => kokuho_formats::zengin::TransferClass::Telegraphic,
                    "8" => kokuho_formats::zengin::TransferClass::Document,
                    _ => {
                        return Err(AppError::invalid(
                            "transfer_class",
                            "--transfer-class: 7 (電信扱) or 8 (文書扱)",
                            "振込指定区分は7か8です",
                        )
                        .into());
                    }
                };
                let new_code = new_code.trim().chars().next().unwrap_or('?');
                let (app, actor) = open_session(&db).await?;
                let v = Session {
                    app: &app,
                    actor: &actor,
                }
                .set_bank_contract(
                    &kokuho_app::payment_run::BankContract {
                        requester_code,
                        requester_name,
                        bank_code: bank,
                        bank_name,
                        branch_code: branch,
                        branch_name,
                        account_type,
                        account_number: number,
                        new_code,
                        transfer_class,
                        line_breaks: !no_line_breaks,
                    },
                    now,
                )
                .await?;
                println!("bank contract version {v} recorded");
            }
            ContractAction::Show { db } => {
                let (app, actor) = open_session(&db).await?;
                Session {
                    app: &app,
                    actor: &actor,
                }
                .require(kokuho_domain::access::Permission::PaymentRun, now)
                .await?;
                match app.bank_contract().await? {
                    Some(c) => println!(
                        "version {}: requester {} {}, {} {} / {} {}, type {} number {}, 新規コード {}, 振込指定区分 {}, line breaks {}, by {}",
                        c.version_no,
                        c.requester_code,
                        c.requester_name,
                        c.bank_code,
                        c.bank_name,
                        c.branch_code,
                        c.branch_name,
                        c.account_type,
                        c.account_number,
                        c.new_code,
                        c.transfer_class,
                        c.line_breaks,
                        c.recorded_by
                    ),
                    None => println!("no bank contract recorded"),
                }
            }
        },
        PaymentsAction::Run { action } => match action {
            RunAction::Create { db, date, pay_on } => {
                let due_by = parse_date_arg("date", &date)?;
                let pay_on = match pay_on {
                    Some(d) => parse_date_arg("pay_on", &d)?,
                    None => due_by,
                };
                let (app, actor) = open_session(&db).await?;
                let v = Session {
                    app: &app,
                    actor: &actor,
                }
                .create_payment_run(due_by, pay_on, now)
                .await?;
                print_run(&v);
                println!("{}", v.run_id);
            }
            RunAction::Approve { db, id } => {
                let (app, actor) = open_session(&db).await?;
                let v = Session {
                    app: &app,
                    actor: &actor,
                }
                .approve_payment_run(id, now)
                .await?;
                print_run(&v);
            }
            RunAction::Cancel { db, id } => {
                let (app, actor) = open_session(&db).await?;
                let v = Session {
                    app: &app,
                    actor: &actor,
                }
                .cancel_payment_run(id, now)
                .await?;
                print_run(&v);
            }
            RunAction::File { db, id, out } => {
                let (app, actor) = open_session(&db).await?;
                let (bytes, v) = Session {
                    app: &app,
                    actor: &actor,
                }
                .write_payment_file(id, now)
                .await?;
                write_atomically(&out, &bytes)?;
                print_run(&v);
                println!("{}: {} bytes", out.display(), bytes.len());
            }
            RunAction::Sent { db, id } => {
                let (app, actor) = open_session(&db).await?;
                let v = Session {
                    app: &app,
                    actor: &actor,
                }
                .mark_payment_run_sent(id, now)
                .await?;
                print_run(&v);
            }
            RunAction::Failed { db, id, reason } => {
                let (app, actor) = open_session(&db).await?;
                let v = Session {
                    app: &app,
                    actor: &actor,
                }
                .mark_payment_run_failed(id, &reason, now)
                .await?;
                print_run(&v);
            }
            RunAction::Return {
                db,
                id,
                applications,
                file,
                reason,
            } => {
                let (app, actor) = open_session(&db).await?;
                let session = Session {
                    app: &app,
                    actor: &actor,
                };
                let (v, n) = match file {
                    Some(path) => {
                        let bytes = std::fs::read(&path)
                            .with_context(|| format!("reading {}", path.display()))?;
                        let name = path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        session
                            .return_transfers_from_file(id, &name, &bytes, &reason, now)
                            .await?
                    }
                    None => {
                        session
                            .return_transfers(id, &applications, &reason, now)
                            .await?
                    }
                };
                print_run(&v);
                println!("{n} transfers back in the queue");
            }
            RunAction::List { db } => {
                let (app, actor) = open_session(&db).await?;
                let v = Session {
                    app: &app,
                    actor: &actor,
                }
                .payment_runs(100, now)
                .await?;
                for r in &v {
                    print_run(r);
                }
            }
            RunAction::Show {
                db,
                id,
                csv,
                encoding,
            } => {
                let (app, actor) = open_session(&db).await?;
                let session = Session {
                    app: &app,
                    actor: &actor,
                };
                if let Some(path) = csv {
                    let enc = parse_encoding(&encoding)?;
                    save_csv(&path, "transfers", async |w| {
                        session.payment_list_csv(id, enc, w, now).await
                    })
                    .await?;
                } else {
                    let (run, rows) = session.payment_list(id, now).await?;
                    print_run(&run);
                    for p in &rows {
                        println!(
                            "{}\t{}\t{}\t{}\t{}-{}\t{}\t{}\t{}\t{}\t{}",
                            p.line,
                            p.application_id,
                            p.kind_label,
                            p.payee_id,
                            p.bank_code,
                            p.branch_code,
                            p.account_type,
                            p.number,
                            p.holder_transfer,
                            p.amount,
                            p.outcome
                        );
                    }
                }
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn report(e: &anyhow::Error) {
    if let Some(app) = e.downcast_ref::<AppError>() {
        eprintln!("エラー: {}", app.message_ja());
        match app {
            // the field named in English too, for the operator's log
            AppError::Invalid { field, .. } => {
                eprintln!("error [{}] {field}: {}", app.code(), app.message_en());
            }
            _ => eprintln!("error [{}]: {}", app.code(), app.message_en()),
        }
    } else {
        eprintln!("error: {e:#}");
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve {
            db,
            listen,
            secure_cookies,
            exchange_dir,
            transfer_key,
        } => {
            let mut app = open_app(&db).await?;
            if let (Some(dir), Some(key)) = (exchange_dir, transfer_key) {
                // read once now, so a wrong path stops the start, not a job
                load_transfer_key(&key)?;
                app = app.with_exchange(kokuho_app::exchange::ExchangeSetup {
                    dir,
                    transfer_key: key,
                });
            }
            kokuho_web::serve(
                app,
                listen,
                kokuho_web::auth::CookiePolicy {
                    secure: secure_cookies,
                },
                |addr| {
                    println!("kokuho: listening on http://{addr}/");
                },
            )
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
            no_history,
            feed_sample,
        } => {
            let database = Db::open(&db.database).await?;
            database.migrate().await?;
            let ring = load_or_create_keyring(&db.keyring)?;
            let mut spec = TownSpec::demo(residents, seed);
            spec.history = !no_history;
            if let Some(insurer) = &db.insurer {
                spec.insurer_number = InsurerNumber::parse(insurer).map_err(AppError::from)?;
            }
            generate(&database, &ring, &spec).await?;
            if let Some(path) = feed_sample {
                write_feed_sample(&database, ring, &spec, &path).await?;
            }
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
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let view = session
                .household(&household_number, OffsetDateTime::now_utc())
                .await?;
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
        Command::Eligibility { action } => eligibility(action).await?,
        Command::RegistryImport { db, file, encoding } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let enc = parse_encoding(&encoding)?;
            let (name, bytes) = read_import_file(&file)?;
            let r = session
                .import_registry_feed(&name, &bytes, enc, OffsetDateTime::now_utc())
                .await?;
            if r.already_imported {
                println!("{name}: imported before; nothing changed");
            } else {
                println!(
                    "{name}: {} events applied, {} eligibility proposals raised",
                    r.events, r.proposals
                );
            }
        }
        Command::IncomeImport { db, file, encoding } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let enc = parse_encoding(&encoding)?;
            let (name, bytes) = read_import_file(&file)?;
            let r = session
                .import_income(&name, &bytes, enc, OffsetDateTime::now_utc())
                .await?;
            if r.already_imported {
                println!("{name}: imported before; nothing changed");
            } else {
                println!(
                    "{name}: {} lines, {} revisions recorded ({} corrections), {} unchanged",
                    r.lines, r.recorded, r.corrections, r.unchanged
                );
            }
        }
        Command::Account { action } => account(action).await?,
        Command::Calc { action } => {
            let mut input = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
                .context("cannot read standard input")?;
            let out = match action {
                CalcAction::Burden => {
                    serde_json::to_string_pretty(&kokuho_app::calc::burden(&stdin_json(&input)?)?)?
                }
                CalcAction::Levy => {
                    serde_json::to_string_pretty(&kokuho_app::calc::levy(&stdin_json(&input)?)?)?
                }
                CalcAction::HighCost => serde_json::to_string_pretty(
                    &kokuho_app::calc::high_cost(&stdin_json(&input)?)?,
                )?,
            };
            println!("{out}");
        }
        Command::Burden { action } => {
            let now = OffsetDateTime::now_utc();
            match action {
                BurdenAction::Recompute { db, from, to } => {
                    let (from, to) = (parse_month_arg("from", &from)?, parse_month_arg("to", &to)?);
                    let mut months = vec![];
                    let mut m = from;
                    while m <= to && months.len() < 240 {
                        months.push(m);
                        m = m.next();
                    }
                    let (app, actor) = open_session(&db).await?;
                    let r = Session {
                        app: &app,
                        actor: &actor,
                    }
                    .recompute_burden(&months, now)
                    .await?;
                    println!(
                        "{} months: {} household-months judged, {} changed, {} not judged",
                        r.months, r.households, r.changed, r.skipped
                    );
                }
                BurdenAction::Apply {
                    db,
                    household,
                    from,
                } => {
                    let from = parse_month_arg("from", &from)?;
                    let (app, actor) = open_session(&db).await?;
                    let r = Session {
                        app: &app,
                        actor: &actor,
                    }
                    .apply_standard_income(&household, from, now)
                    .await?;
                    println!(
                        "application recorded; {} months judged, {} changed",
                        r.months, r.changed
                    );
                }
                BurdenAction::Show { db, household } => {
                    let (app, actor) = open_session(&db).await?;
                    let rows = Session {
                        app: &app,
                        actor: &actor,
                    }
                    .burden_history(&household, now)
                    .await?;
                    for r in rows {
                        println!(
                            "{}  第{}版  所得{}年  70歳未満:{}  70〜74歳:{}  {}  [{}{}]",
                            r.month,
                            r.version_no,
                            r.income_year,
                            r.category_under_70.as_deref().unwrap_or("—"),
                            r.category_70_74.as_deref().unwrap_or("—"),
                            r.copay_rates,
                            r.change_reason,
                            if r.superseded_us.is_some() {
                                ", superseded"
                            } else {
                                ""
                            }
                        );
                    }
                }
            }
        }
        Command::Levy { action } => levy_command(action).await?,
        Command::Claims { action } => claims_command(action).await?,
        Command::HighCost { action } => high_cost_command(action).await?,
        Command::PaymentAccount { action } => payment_account_command(action).await?,
        Command::Benefits { action } => benefits_command(action).await?,
        Command::Payments { action } => return payments_command(action).await,
        Command::Documents { action } => documents_command(action).await?,
        Command::Exchange { action } => exchange_command(action).await?,
        Command::Stats { action } => stats_command(action).await?,
        Command::SpecifiedDisease { action } => {
            let now = OffsetDateTime::now_utc();
            match action {
                SpecifiedDiseaseAction::Add {
                    db,
                    person,
                    disease,
                    certified_on,
                    applied_on,
                } => {
                    let input = kokuho_app::specified_disease::CertificationInput {
                        addressee_id: person,
                        disease,
                        certified_on: parse_date_arg("certified_on", &certified_on)?,
                        applied_on: match applied_on {
                            Some(s) => parse_date_arg("applied_on", &s)?,
                            None => now.to_offset(kokuho_app::jst()).date(),
                        },
                    };
                    let (app, actor) = open_session(&db).await?;
                    let r = Session {
                        app: &app,
                        actor: &actor,
                    }
                    .certify_specified_disease(&input, now)
                    .await?;
                    println!(
                        "{}\t{}\t{}\t認定 {}\t発効 {}\t限度額 {}円",
                        r.certification_id,
                        r.addressee_id,
                        r.disease,
                        r.certified_on,
                        r.valid_from,
                        r.limit_yen
                    );
                }
                SpecifiedDiseaseAction::List { db, person } => {
                    let (app, actor) = open_session(&db).await?;
                    let v = Session {
                        app: &app,
                        actor: &actor,
                    }
                    .specified_diseases_of(&person, now)
                    .await?;
                    if v.is_empty() {
                        println!("認定はありません");
                    }
                    for r in v {
                        println!(
                            "{}\t{}\t認定 {}\t発効 {}\t限度額 {}円\t{}",
                            r.certification_id,
                            r.disease,
                            r.certified_on,
                            r.valid_from,
                            r.limit_yen,
                            r.ended_on
                                .map(|d| format!("終了 {d}"))
                                .unwrap_or_else(|| "有効".into())
                        );
                    }
                }
            }
        }
        Command::IncomeSample { db, year, out } => {
            let (app, actor) = open_session(&db).await?;
            let records = Session {
                app: &app,
                actor: &actor,
            }
            .sample_income(year, OffsetDateTime::now_utc())
            .await?;
            let bytes =
                kokuho_formats::income::write(&records, kokuho_formats::text::Encoding::Utf8)
                    .map_err(|e| anyhow::anyhow!("cannot write the sample: {e}"))?;
            std::fs::write(&out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("{}: {} lines for {year}", out.display(), records.len());
        }
        Command::Jobs { action } => {
            let now = OffsetDateTime::now_utc();
            match action {
                JobsAction::List { db } => {
                    let (app, actor) = open_session(&db).await?;
                    let session = Session {
                        app: &app,
                        actor: &actor,
                    };
                    for j in session.jobs(now).await? {
                        println!(
                            "{}  {}  {}  {}  {}%  {}  {}  {}",
                            j.id,
                            j.kind.code(),
                            j.subject,
                            j.status,
                            j.percent(),
                            kokuho_app::eligibility::from_us(j.started_us),
                            j.started_by,
                            j.summary.as_deref().unwrap_or("")
                        );
                    }
                }
                JobsAction::Errors { db, job } => {
                    let (app, actor) = open_session(&db).await?;
                    let session = Session {
                        app: &app,
                        actor: &actor,
                    };
                    print!("{}", session.job_error_report(job, now).await?);
                }
            }
        }
        Command::Audit { action } => return audit(action).await,
        Command::Pia {
            action: PiaAction::Threshold { db, date },
        } => {
            return audit(AuditAction::Threshold { db, date }).await;
        }
        Command::Retention {
            action: RetentionAction::Run { db, dry_run, date },
        } => {
            let (app, actor) = open_session(&db).await?;
            let now = OffsetDateTime::now_utc();
            let today = match date {
                Some(d) => parse_date_arg("date", &d)?,
                None => kokuho_app::local_date(now),
            };
            let plan = Session {
                app: &app,
                actor: &actor,
            }
            .retention(today, dry_run, now)
            .await?;
            for (id, removed) in &plan.persons {
                println!(
                    "{} 宛名{id}（{removed} 消除）",
                    if plan.done { "消去" } else { "消去対象" }
                );
            }
            println!(
                "{}: {} persons removed before {}, {} old sessions",
                if plan.done {
                    "erased"
                } else {
                    "dry run, nothing changed"
                },
                plan.persons.len(),
                plan.removed_before,
                plan.sessions
            );
        }
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

/// Opens the database and signs the operator in (a named, usable account;
/// the OS user is logged beside it).
async fn open_session(args: &DbArgs) -> anyhow::Result<(Kokuho, kokuho_app::access::Actor)> {
    let Some(name) = args.operator.clone().filter(|n| !n.trim().is_empty()) else {
        return Err(AppError::Unauthenticated {
            message_ja: "操作者（利用者名）を --operator または KOKUHO_OPERATOR で指定してください"
                .into(),
        }
        .into());
    };
    let app = open_app(args).await?;
    let os_user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "-".into());
    let actor = app
        .operator(&name, &os_user, OffsetDateTime::now_utc())
        .await?;
    Ok((app, actor))
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
    if let Some(h) = &report.history {
        println!(
            "eligibility history to {}: {} acquisitions and {} losses recorded ({} late notifications, {} retroactive corrections) in {} NHI households",
            spec.as_of, h.acquisitions, h.losses, h.late_notifications, h.corrections, h.households
        );
    }
    Ok(())
}

async fn write_feed_sample(
    db: &Db,
    ring: Keyring,
    spec: &TownSpec,
    path: &Path,
) -> anyhow::Result<()> {
    let app = Kokuho::new(db.clone(), Arc::new(ring), spec.insurer_number.clone());
    let events = app.sample_registry_feed(spec.as_of).await?;
    let bytes = kokuho_formats::registry_feed::write(&events, kokuho_formats::text::Encoding::Utf8)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "sample resident-registry feed: {} ({} events; import with `kokuho registry-import`)",
        path.display(),
        events.len()
    );
    Ok(())
}

async fn levy_command(action: LevyAction) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    match action {
        LevyAction::Assess {
            db,
            fiscal_year,
            on,
        } => {
            let on = match on {
                Some(d) => kokuho_app::registry::parse_date("on", &d)?,
                None => kokuho_app::local_date(now),
            };
            let (app, actor) = open_session(&db).await?;
            let r = Session {
                app: &app,
                actor: &actor,
            }
            .assess_levy(fiscal_year, on, now)
            .await?;
            println!(
                "fiscal year {}: {} households assessed, {} booked, difference {} yen, total booked {} yen",
                r.fiscal_year, r.households, r.booked, r.difference, r.total
            );
        }
        LevyAction::Show {
            db,
            household,
            fiscal_year,
        } => {
            let (app, actor) = open_session(&db).await?;
            let v = Session {
                app: &app,
                actor: &actor,
            }
            .household_levy(&household, now)
            .await?;
            for e in v
                .versions
                .iter()
                .filter(|e| fiscal_year.is_none_or(|y| y == e.version.fiscal_year))
            {
                let x = &e.version;
                println!(
                    "{}年度 第{}版  {}円（差額 {:+}円{}）  {}  {}  [{}{}]",
                    x.fiscal_year,
                    x.version_no,
                    x.total,
                    x.difference,
                    if x.overpaid > 0 {
                        format!("、過誤納 {}円", x.overpaid)
                    } else {
                        String::new()
                    },
                    x.reduction.as_deref().unwrap_or("軽減なし"),
                    x.assessed_on,
                    kokuho_app::levy::levy_reason_ja(&x.change_reason),
                    if x.superseded_us.is_some() {
                        ", superseded"
                    } else {
                        ""
                    }
                );
                for i in &e.installments {
                    println!("  第{}期 {} {}円", i.installment_no, i.due_date, i.amount);
                }
                for line in &e.explanation {
                    println!("  {line}");
                }
            }
        }
        LevyAction::Notify {
            db,
            person,
            kind,
            on,
            multiple_birth,
        } => {
            let n = kokuho_app::levy::LevyNotification {
                person: kokuho_domain::id::AddresseeId::parse(person.trim())
                    .map_err(|e| kokuho_app::AppError::from(e).for_field("person"))?,
                kind: kokuho_app::levy::NotificationKind::parse(&kind).ok_or_else(|| {
                    kokuho_app::AppError::invalid(
                        "kind",
                        "kind must be childbirth, involuntary-unemployment or former-dependent",
                        "届出の種類が違います",
                    )
                })?,
                effective_on: kokuho_app::registry::parse_date("on", &on)?,
                multiple_birth,
            };
            let (app, actor) = open_session(&db).await?;
            let id = Session {
                app: &app,
                actor: &actor,
            }
            .record_levy_notification(&n, now)
            .await?;
            println!("notification {id} recorded; booked years reassessed");
        }
        LevyAction::Void { db, notification } => {
            let (app, actor) = open_session(&db).await?;
            Session {
                app: &app,
                actor: &actor,
            }
            .void_levy_notification(notification, now)
            .await?;
            println!("notification {notification} voided; booked years reassessed");
        }
        LevyAction::Profile { db, set } => {
            let (app, actor) = open_session(&db).await?;
            if let Some(p) = set {
                Session {
                    app: &app,
                    actor: &actor,
                }
                .set_levy_profile(&p, now)
                .await?;
            }
            println!("{}", app.levy_profile().await?);
        }
    }
    Ok(())
}

/// The demo's income: the tax system's file for the year that decides this
/// month's burden categories, written beside the database and imported by
/// the levy clerk, as a town does each June.
async fn demo_income(db: &Db, ring: Keyring, spec: &TownSpec, path: &Path) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let app = Kokuho::new(db.clone(), Arc::new(ring), spec.insurer_number.clone());
    let levy = app.actor_for("demo-levy", "demo", "demo", now).await?;
    let s = Session {
        app: &app,
        actor: &levy,
    };
    let year = kokuho_domain::burden::income_year_for(
        kokuho_domain::eligibility::YearMonth::from_date(kokuho_app::local_date(now)),
    );
    let sample = s.sample_income(year, now).await?;
    let bytes = kokuho_formats::income::write(&sample, kokuho_formats::text::Encoding::Utf8)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    let r = s
        .import_income(
            "income-sample.csv",
            &bytes,
            kokuho_formats::text::Encoding::Utf8,
            now,
        )
        .await?;
    println!(
        "income {year} imported: {} lines; burden categories judged ({} household-months recorded)",
        r.lines, r.burden_changed
    );
    // The 本算定 of the fiscal year that income decides, made in June.
    let fiscal_year = year + 1;
    let june = time::Date::from_calendar_date(fiscal_year, time::Month::June, 15)?;
    match s.assess_levy(fiscal_year, june, now).await {
        Ok(r) => println!(
            "levy for fiscal year {fiscal_year} assessed: {} households booked, {} yen",
            r.booked, r.total
        ),
        // A year the rule table does not hold yet: the demo goes on without.
        Err(e @ kokuho_app::AppError::Invalid { .. }) => {
            println!("levy for fiscal year {fiscal_year} not assessed: {e}")
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// The claims of last-but-one month as the federation sends them last
/// month, imported and checked, and the month's high-cost run: what the
/// benefits staff would have on the screens today.
async fn demo_claims(db: &Db, ring: Keyring, spec: &TownSpec, path: &Path) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let app = Kokuho::new(db.clone(), Arc::new(ring), spec.insurer_number.clone());
    let benefits = app.actor_for("demo-benefits", "demo", "demo", now).await?;
    let s = Session {
        app: &app,
        actor: &benefits,
    };
    let this = kokuho_domain::eligibility::YearMonth::from_date(kokuho_app::local_date(now));
    let (billing, service) = (this.prev(), this.prev().prev());
    let mut bytes = Vec::new();
    s.sample_claims(service, &mut bytes, now).await?;
    std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    let (digest, size) = kokuho_formats::registry_feed::stream_digest(bytes.as_slice())?;
    let name = path
        .file_name()
        .map_or_else(|| "claims.uke".into(), |n| n.to_string_lossy().into_owned());
    let r = s
        .import_claims(&name, &digest, size, bytes.as_slice(), now)
        .await?;
    let c = s.check_claims(billing, None, now).await?;
    println!(
        "claims of {} imported: {} claims; eligibility check {}: {} listed",
        kokuho_domain::burden::format_month(service),
        r.claims,
        c.check_id,
        c.listed
    );
    match s.run_high_cost(service, None, now).await {
        Ok(h) => println!(
            "high-cost run {}: {} households, {} yen ({} decisions booked)",
            h.run_id, h.households, h.benefit, h.booked
        ),
        // A month the rule table does not hold yet: the demo goes on without.
        Err(e @ kokuho_app::AppError::Invalid { .. }) => {
            println!("high-cost run not made: {e}")
        }
        Err(e) => return Err(e.into()),
    }
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
        operator: None,
    };
    let db = kokuho_store::connect(&args.database).await?;
    let ring = load_or_create_keyring(&args.keyring)?;
    let spec = TownSpec::demo(residents, town::DEFAULT_SEED);
    if kokuho_store::addressee::count_persons(&db, &spec.insurer_number).await? == 0 {
        generate(&db, &ring, &spec).await?;
        write_feed_sample(
            &db,
            ring.clone(),
            &spec,
            &data_dir.join("registry-feed-sample.csv"),
        )
        .await?;
        demo_income(
            &db,
            ring.clone(),
            &spec,
            &data_dir.join("income-sample.csv"),
        )
        .await?;
        demo_claims(
            &db,
            ring.clone(),
            &spec,
            &data_dir.join("claims-sample.uke"),
        )
        .await?;
        let b = kokuho_app::town::benefits_sample::demo_benefits(
            &Kokuho::new(
                db.clone(),
                Arc::new(ring.clone()),
                spec.insurer_number.clone(),
            ),
            OffsetDateTime::now_utc(),
        )
        .await?;
        println!(
            "benefits: {} applications received, {} decided to pay (waiting for a payment run)",
            b.received, b.decided
        );
        db.checkpoint().await?;
    } else {
        println!(
            "kokuho demo: using the existing town in {}",
            db_path.display()
        );
    }
    // The demo's exchange folder and its transfer key, beside its database.
    let exchange_dir = data_dir.join("exchange");
    std::fs::create_dir_all(&exchange_dir)
        .with_context(|| format!("cannot create {}", exchange_dir.display()))?;
    let key_file = exchange_dir.join("transfer.key");
    if !key_file.exists() {
        write_new_transfer_key(&key_file)?;
    }
    let app = Kokuho::new(db, Arc::new(ring), spec.insurer_number.clone()).with_exchange(
        kokuho_app::exchange::ExchangeSetup {
            dir: exchange_dir,
            transfer_key: key_file,
        },
    );
    kokuho_web::serve(app, listen, kokuho_web::auth::CookiePolicy { secure: false }, |addr| {
        println!("kokuho demo: {} (保険者番号 {})", spec.insurer_name, spec.insurer_number);
        println!("  listening on   http://{addr}/");
        println!("  health         http://{addr}/health");
        println!("  API            http://{addr}/api/v1/persons?kana=タナカ");
        println!("  API docs       http://{addr}/swagger-ui/");
        println!("  demo logins    password {} with the TOTP code of each account:", kokuho_app::access::DEMO_PASSWORD);
        for (name, role, _) in kokuho_app::access::DEMO_ACCOUNTS {
            println!("                 {name:<16} {:<10} code: kokuho account demo-code {name} --database sqlite://{}/kokuho.db --keyring {}/vault.keys", role.label_ja(), data_dir.display(), data_dir.display());
        }
        println!("                 (or add the TOTP secret to an authenticator: see docs/security.md)");
        println!("  command line   KOKUHO_OPERATOR=demo-clerk kokuho person search --kana タナカ --database sqlite://{}/kokuho.db --keyring {}/vault.keys", data_dir.display(), data_dir.display());
        println!("  stop with Ctrl-C; the data stays in {}", data_dir.display());
    })
    .await?;
    Ok(())
}

/// A trial calculation's request from standard input; a bad one names the
/// line and column.
fn stdin_json<T: serde::de::DeserializeOwned>(input: &str) -> Result<T, AppError> {
    serde_json::from_str(input).map_err(|e| {
        AppError::invalid(
            "input",
            format!(
                "standard input, line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
            format!("入力の{}行{}列目が読めません: {e}", e.line(), e.column()),
        )
    })
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
            insured_symbol,
            insured_number,
            limit,
        } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let found = session
                .search_persons(
                    &PersonSearch {
                        kana,
                        name,
                        birth_date,
                        addressee_id,
                        insured_symbol,
                        insured_number,
                        limit: Some(limit),
                    },
                    OffsetDateTime::now_utc(),
                )
                .await?;
            for p in &found {
                print_person_line(p);
            }
            println!("{}件", found.len());
        }
        PersonAction::Show { db, addressee_id } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let v = session
                .person(&addressee_id, OffsetDateTime::now_utc())
                .await?;
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
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            let v = session
                .find_by_my_number(&s, None, OffsetDateTime::now_utc())
                .await?;
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
            let (app, actor) = open_session(&db).await?;
            let s = Session {
                app: &app,
                actor: &actor,
            }
            .vault_status(OffsetDateTime::now_utc())
            .await?;
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
            let (app, actor) = open_session(&db).await?;
            let r = Session {
                app: &app,
                actor: &actor,
            }
            .rotate_vault_key(&db.keyring, OffsetDateTime::now_utc())
            .await?;
            app.db.checkpoint().await?;
            println!(
                "rotated: new key {}, {} rows re-encrypted",
                r.new_key, r.resealed
            );
        }
        VaultAction::RetireKey { db, key_id } => {
            let (app, actor) = open_session(&db).await?;
            Session {
                app: &app,
                actor: &actor,
            }
            .retire_vault_key(&db.keyring, key_id, OffsetDateTime::now_utc())
            .await?;
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

fn parse_encoding(s: &str) -> anyhow::Result<kokuho_formats::text::Encoding> {
    kokuho_formats::text::Encoding::parse(s).ok_or_else(|| {
        AppError::invalid(
            "encoding",
            "encoding must be utf-8 or cp932",
            "文字コードは utf-8 か cp932 です",
        )
        .into()
    })
}

fn parse_date_arg(field: &'static str, s: &str) -> anyhow::Result<time::Date> {
    Ok(kokuho_app::registry::parse_date(field, s)?)
}

fn parse_known_at(s: Option<&str>) -> anyhow::Result<Option<OffsetDateTime>> {
    s.map(|s| {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|_| {
            anyhow::Error::from(AppError::invalid(
                "known_at",
                "known_at must be an RFC 3339 time such as 2026-04-10T09:00:00Z",
                "時点は 2026-04-10T09:00:00Z の形式で入力してください",
            ))
        })
    })
    .transpose()
}

fn print_period(v: &kokuho_store::eligibility::PeriodVersion) {
    let late = |b: bool| if b { "（届出遅延）" } else { "" };
    println!(
        "期間{} 版{}  取得 {} {}{}  喪失 {} {}{}{}",
        v.period_id,
        v.version_no,
        wareki::format_date(v.acquired_on).unwrap_or_else(|_| v.acquired_on.to_string()),
        v.acquisition_reason.label_ja(),
        late(v.acquisition_late),
        v.lost_on
            .map(|d| wareki::format_date(d).unwrap_or_else(|_| d.to_string()))
            .unwrap_or_else(|| "—".into()),
        v.loss_reason.map(|r| r.label_ja()).unwrap_or(""),
        late(v.loss_late),
        if v.voided { "  【取消】" } else { "" }
    );
}

async fn eligibility(action: EligibilityAction) -> anyhow::Result<()> {
    use kokuho_app::eligibility::{Acquisition, Flags, Loss};
    use kokuho_domain::eligibility::{AcquisitionReason, LossReason, MoveDestination};
    let now = OffsetDateTime::now_utc();
    match action {
        EligibilityAction::Acquire {
            db,
            addressee_id,
            reason,
            event_date,
            notified_on,
            household_number,
            previous_insurer_number,
            address_exception,
            student_exception,
            foreign_stay_until,
        } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let reason = AcquisitionReason::from_code(&reason).ok_or_else(|| {
                AppError::invalid(
                    "reason",
                    "unknown acquisition reason",
                    "取得事由が正しくありません",
                )
            })?;
            let a = Acquisition {
                addressee_id: kokuho_domain::id::AddresseeId::parse(&addressee_id)
                    .map_err(AppError::from)?,
                reason,
                event_on: parse_date_arg("event_date", &event_date)?,
                notified_on: notified_on
                    .as_deref()
                    .map(|d| parse_date_arg("notified_on", d))
                    .transpose()?,
                household_number: household_number
                    .as_deref()
                    .map(kokuho_domain::addressee::HouseholdNumber::parse)
                    .transpose()
                    .map_err(AppError::from)?,
                previous_insurer_number: previous_insurer_number
                    .as_deref()
                    .map(InsurerNumber::parse)
                    .transpose()
                    .map_err(AppError::from)?,
                flags: Flags {
                    address_exception,
                    student_exception,
                    foreign_stay_until: foreign_stay_until
                        .as_deref()
                        .map(|d| parse_date_arg("foreign_stay_until", d))
                        .transpose()?,
                },
            };
            print_period(&session.acquire(&a, now).await?);
        }
        EligibilityAction::Lose {
            db,
            addressee_id,
            reason,
            event_date,
            notified_on,
            destination,
        } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let reason = LossReason::from_code(&reason).ok_or_else(|| {
                AppError::invalid(
                    "reason",
                    "unknown loss reason",
                    "喪失事由が正しくありません",
                )
            })?;
            let destination = destination
                .as_deref()
                .map(|d| {
                    MoveDestination::from_code(d).ok_or_else(|| {
                        AppError::invalid(
                            "destination",
                            "destination must be same_prefecture, other_prefecture or abroad",
                            "転出先の区分が正しくありません",
                        )
                    })
                })
                .transpose()?;
            let l = Loss {
                addressee_id: kokuho_domain::id::AddresseeId::parse(&addressee_id)
                    .map_err(AppError::from)?,
                reason,
                event_on: parse_date_arg("event_date", &event_date)?,
                notified_on: notified_on
                    .as_deref()
                    .map(|d| parse_date_arg("notified_on", d))
                    .transpose()?,
                destination,
                next_insurer_number: None,
            };
            print_period(&session.lose(&l, now).await?);
        }
        EligibilityAction::Correct {
            db,
            period_id,
            acquired_on,
            lost_on,
            loss_reason,
            void,
            note,
        } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let loss_reason = loss_reason
                .as_deref()
                .map(|r| {
                    LossReason::from_code(r).ok_or_else(|| {
                        AppError::invalid(
                            "loss_reason",
                            "unknown loss reason",
                            "喪失事由が正しくありません",
                        )
                    })
                })
                .transpose()?;
            let c = kokuho_app::eligibility::Correction {
                period_id,
                acquired_on: acquired_on
                    .as_deref()
                    .map(|d| parse_date_arg("acquired_on", d))
                    .transpose()?,
                acquisition_reason: None,
                lost_on: lost_on
                    .as_deref()
                    .map(|d| parse_date_arg("lost_on", d))
                    .transpose()?
                    .map(Some),
                loss_reason: loss_reason.map(Some),
                flags: None,
                void,
                note,
            };
            print_period(&session.correct(&c, now).await?);
        }
        EligibilityAction::Show {
            db,
            addressee_id,
            known_at,
        } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let id =
                kokuho_domain::id::AddresseeId::parse(&addressee_id).map_err(AppError::from)?;
            let known_at = parse_known_at(known_at.as_deref())?;
            println!(
                "資格（{}）",
                if known_at.is_some() {
                    "指定時点で把握していた内容"
                } else {
                    "現在把握している内容"
                }
            );
            let (periods, history) = session.periods(&id, known_at, now).await?;
            for v in &periods {
                print_period(v);
            }
            println!("記録の履歴");
            for v in &history {
                print!(
                    "  {} {} {}: ",
                    kokuho_app::eligibility::from_us(v.recorded_us),
                    v.recorded_by,
                    v.change_kind
                );
                print_period(v);
            }
        }
        EligibilityAction::AsOf {
            db,
            date,
            known_at,
            encoding,
            reason,
            affair,
        } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let on = parse_date_arg("date", &date)?;
            let enc = parse_encoding(&encoding)?;
            let known_at = parse_known_at(known_at.as_deref())?;
            let out = std::io::BufWriter::new(std::io::stdout().lock());
            let (mut out, n) = session
                .export_insured_on(
                    on,
                    known_at,
                    enc,
                    out,
                    kokuho_domain::access::Purpose::parse(&affair, &reason).as_ref(),
                    now,
                )
                .await?;
            std::io::Write::flush(&mut out)?;
            tracing::info!(rows = n, %on, "as-of export written");
        }
        EligibilityAction::AgeJob { db, date } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let on = match date {
                Some(d) => parse_date_arg("date", &d)?,
                None => OffsetDateTime::now_local().unwrap_or(now).date(),
            };
            let r = session.run_age_job(on, now).await?;
            println!(
                "age job for {on}: {} losses on reaching 75 recorded",
                r.late_elderly_losses
            );
        }
        EligibilityAction::Proposals { db, status } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            for p in session.proposals(status.as_deref(), now).await? {
                println!(
                    "{}  {}  {} {} {}  宛名{}  {}{}",
                    p.proposal_id,
                    p.status,
                    p.kind,
                    p.reason,
                    p.event_on,
                    p.addressee_id,
                    p.decided_by.as_deref().unwrap_or(""),
                    p.decision_note
                        .as_deref()
                        .map(|n| format!(" {n}"))
                        .unwrap_or_default()
                );
            }
        }
        EligibilityAction::Confirm { db, proposal_id } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let p = session.confirm_proposal(proposal_id, now).await?;
            println!("proposal {} confirmed by {}", p.proposal_id, actor.account);
        }
        EligibilityAction::Reject {
            db,
            proposal_id,
            reason,
        } => {
            let (app, actor) = open_session(&db).await?;
            let session = Session {
                app: &app,
                actor: &actor,
            };
            let p = session.reject_proposal(proposal_id, &reason, now).await?;
            println!("proposal {} rejected by {}", p.proposal_id, actor.account);
        }
    }
    Ok(())
}

async fn account(action: AccountAction) -> anyhow::Result<()> {
    use kokuho_app::access::NewAccount;
    use kokuho_domain::access::{Grant, Permission, Role};
    let now = OffsetDateTime::now_utc();
    match action {
        AccountAction::Create {
            db,
            name,
            role,
            display_name,
            expires_on,
            bootstrap,
        } => {
            let role = Role::from_code(&role).ok_or_else(|| {
                AppError::invalid("role", "unknown role", "役割が正しくありません")
            })?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let new = NewAccount {
                name: &name,
                display_name: &display_name,
                role,
                password: &password,
                expires_on: expires_on
                    .as_deref()
                    .map(|d| parse_date_arg("expires_on", d))
                    .transpose()?,
                totp_secret: None,
                demo: false,
            };
            let e = if bootstrap {
                let app = open_app(&db).await?;
                if !kokuho_store::access::list_accounts(&app.db)
                    .await?
                    .is_empty()
                {
                    bail!(
                        "--bootstrap is only for a database without accounts; ask an administrator"
                    );
                }
                if role != Role::Administrator {
                    bail!("the bootstrap account must be an administrator");
                }
                app.create_account(None, &new, now).await?
            } else {
                let (app, actor) = open_session(&db).await?;
                app.create_account(Some(&actor), &new, now).await?
            };
            println!("created {} ({})", e.account, role.label_ja());
            println!(
                "TOTP secret (shown once; enter it in an authenticator app): {}",
                e.totp_secret_base32
            );
            println!("otpauth URL (for a QR code): {}", e.otpauth_url);
        }
        AccountAction::Disable { db, name } => {
            let (app, actor) = open_session(&db).await?;
            app.disable_account(&actor, &name, now).await?;
            println!("{name} disabled");
        }
        AccountAction::Grant {
            db,
            name,
            permission,
            from,
            until,
        } => {
            let (app, actor) = open_session(&db).await?;
            let permission = Permission::from_code(&permission).ok_or_else(|| {
                AppError::invalid("permission", "unknown permission", "権限が正しくありません")
            })?;
            let g = Grant {
                permission,
                valid_from: parse_date_arg("from", &from)?,
                valid_until: parse_date_arg("until", &until)?,
            };
            app.grant(&actor, &name, &g, now).await?;
            println!(
                "{name}: {} from {} until {}",
                permission.code(),
                g.valid_from,
                g.valid_until
            );
        }
        AccountAction::Training {
            db,
            name,
            completed_on,
            course,
        } => {
            let (app, actor) = open_session(&db).await?;
            app.record_training(
                &actor,
                &name,
                parse_date_arg("completed_on", &completed_on)?,
                &course,
                now,
            )
            .await?;
            println!("{name}: training recorded");
        }
        AccountAction::ResetPassword { db, name } => {
            let (app, actor) = open_session(&db).await?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            app.reset_password(&actor, &name, password.trim_end_matches(['\r', '\n']), now)
                .await?;
            println!("{name}: password set");
        }
        AccountAction::ResetTotp { db, name } => {
            let (app, actor) = open_session(&db).await?;
            let e = app.reset_totp(&actor, &name, now).await?;
            println!(
                "{name}: new TOTP secret (shown once): {}",
                e.totp_secret_base32
            );
            println!("otpauth URL (for a QR code): {}", e.otpauth_url);
        }
        AccountAction::Set { db, setting, value } => {
            let (app, actor) = open_session(&db).await?;
            app.set_setting(&actor, &setting, &value, now).await?;
            println!("{setting} = {value}");
        }
        AccountAction::Incident {
            db,
            id,
            occurred_on,
            serious,
            summary,
        } => {
            let (app, actor) = open_session(&db).await?;
            app.record_incident(
                &actor,
                &id,
                parse_date_arg("occurred_on", &occurred_on)?,
                serious,
                &summary,
                now,
            )
            .await?;
            println!("incident {id} recorded");
        }
        AccountAction::DemoCode { db, name } => {
            let app = open_app(&db).await?;
            println!("{}", app.demo_totp_code(&name, now).await?);
        }
    }
    Ok(())
}

async fn audit(action: AuditAction) -> anyhow::Result<ExitCode> {
    match action {
        AuditAction::Verify { db } => {
            let app = open_app(&db).await?;
            let r = app.verify_access_log().await?;
            match r.first_broken {
                None => {
                    println!("intact: {} records", r.records);
                    if let Some((seq, hash)) = r.head {
                        println!("head: {seq} {hash}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, reason)) => {
                    println!(
                        "BROKEN at record {seq}: {reason} ({} records before it are intact)",
                        r.records
                    );
                    println!("アクセス記録の{seq}番目が改ざん・削除・並べ替えされています");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditAction::SelfInspection {
            db,
            from,
            to,
            html,
            csv,
        } => {
            let (app, actor) = open_session(&db).await?;
            let r = Session {
                app: &app,
                actor: &actor,
            }
            .self_inspection(
                parse_date_arg("from", &from)?,
                parse_date_arg("to", &to)?,
                OffsetDateTime::now_utc(),
            )
            .await?;
            std::fs::write(&html, r.to_html())
                .with_context(|| format!("cannot write {}", html.display()))?;
            std::fs::write(&csv, r.to_csv())
                .with_context(|| format!("cannot write {}", csv.display()))?;
            println!(
                "自己点検: {} findings from {} access records; {} and {}",
                r.findings.len(),
                r.records_examined,
                html.display(),
                csv.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        AuditAction::Disclosure { db, person } => {
            let (app, actor) = open_session(&db).await?;
            let d = Session {
                app: &app,
                actor: &actor,
            }
            .disclosure(&person, OffsetDateTime::now_utc())
            .await?;
            println!("開示請求に対する保有情報");
            print_person_line(&d.person.person);
            println!(
                "  〒{} {}",
                d.person.person.postal_code, d.person.person.address
            );
            println!(
                "  個人番号: {}",
                if d.person.has_my_number {
                    "保有（暗号化して保管）"
                } else {
                    "保有なし"
                }
            );
            println!("資格の記録（{}件）", d.periods.len());
            for v in &d.periods {
                print_period(v);
            }
            println!("アクセス記録（{}件）", d.accesses.len());
            for r in &d.accesses {
                println!(
                    "  #{} {} {} {} {} {}",
                    r.seq,
                    kokuho_app::eligibility::from_us(r.at_us),
                    r.account_name,
                    r.action,
                    r.outcome,
                    r.purpose
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditAction::Threshold { db, date } => {
            let (app, actor) = open_session(&db).await?;
            let now = OffsetDateTime::now_utc();
            let on = match date {
                Some(d) => parse_date_arg("date", &d)?,
                None => kokuho_app::local_date(now),
            };
            let t = Session {
                app: &app,
                actor: &actor,
            }
            .threshold(on, now)
            .await?;
            let name = kokuho_store::insurer::get(&app.db, &app.insurer)
                .await?
                .map(|i| i.name)
                .unwrap_or_default();
            println!("{}", t.draft(&name, app.insurer.as_str()));
            Ok(ExitCode::SUCCESS)
        }
        AuditAction::Head { db } => {
            let app = open_app(&db).await?;
            match kokuho_store::access::last_record(&app.db).await? {
                Some(r) => println!(
                    "{} {} {}",
                    r.seq,
                    kokuho_app::eligibility::from_us(r.at_us),
                    r.hash
                ),
                None => println!("0 - {}", kokuho_store::access::genesis_hash()),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use clap::CommandFactory;

    /// Every command and argument is well formed (unique names, sound
    /// groups): clap checks this only when a command is first parsed.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
