//! Imports and batches as jobs (取込・一括処理): each is recorded when it
//! starts and when it ends, and reports its progress while it runs so the
//! jobs page can draw a live bar. Progress is kept in the running process,
//! not the database: a SQLite import holds the write lock until it commits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kokuho_domain::access::Permission;
use kokuho_store::job::{self as repo, JobRow, Outcome};
use time::OffsetDateTime;

use crate::eligibility::to_us;
use crate::{AppError, Kokuho, Result};

/// What a job does. New imports and batches add a kind here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// 住基異動ファイルの取込
    RegistryImport,
    /// 年齢到達処理（75歳到達による喪失）
    AgeJob,
    /// 所得情報の取込
    IncomeImport,
    /// 負担区分の再判定
    BurdenRecompute,
    /// 保険税の本算定・更正
    LevyAssessment,
    /// レセプトの取込
    ClaimsImport,
    /// 資格点検
    ClaimsCheck,
    /// 高額療養費の計算（月次）
    HighCostRun,
    /// 外来年間合算の計算（年次）
    AnnualOutpatientRun,
    /// 国保情報集約システムへの送信ファイルの作成
    FederationExport,
    /// 中間サーバーへの資格履歴ファイルの作成
    IntermediateExport,
    /// 連携ファイル（集約システム・中間サーバーから）の取込
    ExchangeImport,
}

impl JobKind {
    pub const ALL: [JobKind; 12] = [
        JobKind::RegistryImport,
        JobKind::AgeJob,
        JobKind::IncomeImport,
        JobKind::BurdenRecompute,
        JobKind::LevyAssessment,
        JobKind::ClaimsImport,
        JobKind::ClaimsCheck,
        JobKind::HighCostRun,
        JobKind::AnnualOutpatientRun,
        JobKind::FederationExport,
        JobKind::IntermediateExport,
        JobKind::ExchangeImport,
    ];

    pub fn code(self) -> &'static str {
        match self {
            JobKind::RegistryImport => "registry_import",
            JobKind::AgeJob => "age_job",
            JobKind::IncomeImport => "income_import",
            JobKind::BurdenRecompute => "burden_recompute",
            JobKind::LevyAssessment => "levy_assessment",
            JobKind::ClaimsImport => "claims_import",
            JobKind::ClaimsCheck => "claims_check",
            JobKind::HighCostRun => "high_cost_run",
            JobKind::AnnualOutpatientRun => "annual_outpatient_run",
            JobKind::FederationExport => "federation_export",
            JobKind::IntermediateExport => "intermediate_export",
            JobKind::ExchangeImport => "exchange_import",
        }
    }

    pub fn parse(code: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            JobKind::RegistryImport => "住基異動ファイルの取込",
            JobKind::AgeJob => "年齢到達処理（75歳到達）",
            JobKind::IncomeImport => "所得情報の取込",
            JobKind::BurdenRecompute => "負担区分の再判定",
            JobKind::LevyAssessment => "保険税の本算定・更正",
            JobKind::ClaimsImport => "レセプトの取込",
            JobKind::ClaimsCheck => "資格点検",
            JobKind::HighCostRun => "高額療養費の計算",
            JobKind::AnnualOutpatientRun => "外来年間合算の計算",
            JobKind::FederationExport => "国保情報集約システムへの送信ファイルの作成",
            JobKind::IntermediateExport => "中間サーバーへの資格履歴ファイルの作成",
            JobKind::ExchangeImport => "連携ファイルの取込",
        }
    }

    /// Who may start the job, and see it and its error report.
    pub fn permission(self) -> Permission {
        match self {
            JobKind::RegistryImport => Permission::RegistryImport,
            JobKind::AgeJob => Permission::AgeJob,
            JobKind::IncomeImport | JobKind::BurdenRecompute => Permission::IncomeImport,
            JobKind::LevyAssessment => Permission::LevyAssess,
            JobKind::ClaimsImport | JobKind::ClaimsCheck => Permission::ClaimsImport,
            JobKind::HighCostRun | JobKind::AnnualOutpatientRun => Permission::HighCost,
            JobKind::FederationExport | JobKind::IntermediateExport | JobKind::ExchangeImport => {
                Permission::Exchange
            }
        }
    }
}

/// Counters a running job moves forward.
#[derive(Debug, Default)]
struct Live {
    done: AtomicU64,
    total: AtomicU64,
}

/// A handle a use case reports its progress through; `Progress::none()`
/// reports nowhere (the synthetic town, tests).
#[derive(Clone, Debug, Default)]
pub struct Progress(Option<Arc<Live>>);

impl Progress {
    pub fn none() -> Self {
        Progress(None)
    }

    pub fn set_total(&self, total: u64) {
        if let Some(l) = &self.0 {
            l.total.store(total, Ordering::Relaxed);
        }
    }

    pub fn set_done(&self, done: u64) {
        if let Some(l) = &self.0 {
            l.done.store(done, Ordering::Relaxed);
        }
    }

    /// Everything counted is done.
    pub fn complete(&self) {
        if let Some(l) = &self.0 {
            l.done
                .store(l.total.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }

    /// (done, total) so far.
    pub fn snapshot(&self) -> (u64, u64) {
        self.read()
    }

    fn read(&self) -> (u64, u64) {
        match &self.0 {
            Some(l) => (
                l.done.load(Ordering::Relaxed),
                l.total.load(Ordering::Relaxed),
            ),
            None => (0, 0),
        }
    }
}

/// The jobs this process runs, by (insurer, job number).
#[derive(Debug, Default)]
pub struct JobBoard {
    live: Mutex<HashMap<(String, i64), Progress>>,
}

impl JobBoard {
    fn register(&self, insurer: &str, id: i64) -> Progress {
        let p = Progress(Some(Arc::new(Live::default())));
        if let Ok(mut m) = self.live.lock() {
            m.insert((insurer.to_string(), id), p.clone());
        }
        p
    }

    fn get(&self, insurer: &str, id: i64) -> Option<Progress> {
        self.live
            .lock()
            .ok()
            .and_then(|m| m.get(&(insurer.to_string(), id)).cloned())
    }

    fn remove(&self, insurer: &str, id: i64) {
        if let Ok(mut m) = self.live.lock() {
            m.remove(&(insurer.to_string(), id));
        }
    }
}

/// A started job: its number and where its progress goes.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    pub progress: Progress,
}

/// A job as the jobs page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobView {
    pub id: i64,
    pub kind: JobKind,
    pub subject: String,
    /// running, succeeded, failed, interrupted
    pub status: String,
    pub started_by: String,
    pub started_us: i64,
    pub finished_us: Option<i64>,
    pub done: u64,
    pub total: u64,
    pub summary: Option<String>,
    pub summary_ja: Option<String>,
    pub has_error_report: bool,
}

impl JobView {
    /// Whole percent done; a finished job is at 100 whatever it counted.
    pub fn percent(&self) -> u64 {
        match self.status.as_str() {
            "succeeded" | "failed" => 100,
            _ if self.total == 0 => 0,
            _ => (self.done * 100 / self.total).min(100),
        }
    }

    pub fn status_ja(&self) -> &'static str {
        match self.status.as_str() {
            "running" => "実行中",
            "succeeded" => "正常終了",
            "failed" => "エラー（変更なし）",
            _ => "中断（変更なし）",
        }
    }
}

/// "host:pid:start-µs": which process runs a job, so that one that died
/// can be told from one still running.
fn runner_id(now: OffsetDateTime) -> String {
    format!("{}:{}:{}", host_name(), std::process::id(), to_us(now))
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Whether the runner is a process of this host that no longer exists.
fn runner_dead(runner: &str) -> bool {
    let mut parts = runner.split(':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    host == host_name()
        && pid.parse::<u32>().is_ok()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// One line of an error report: where in which file, and why.
pub struct ReportLine {
    pub file: String,
    pub line: Option<usize>,
    pub field: String,
    pub reason_ja: String,
    pub reason_en: String,
}

/// The error report of a failed job as CSV (UTF-8 with a BOM, so a
/// spreadsheet opens it in Japanese).
pub fn error_report_csv(lines: &[ReportLine]) -> String {
    let mut out = String::from("\u{feff}ファイル,行,項目,理由,reason\r\n");
    let cell = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for l in lines {
        out.push_str(&format!(
            "{},{},{},{},{}\r\n",
            cell(&l.file),
            l.line.map(|n| n.to_string()).unwrap_or_default(),
            cell(&l.field),
            cell(&l.reason_ja),
            cell(&l.reason_en)
        ));
    }
    out
}

/// What an error makes of the report: a rejected line names its place.
pub fn report_of(err: &AppError, file: &str) -> Vec<ReportLine> {
    match err {
        AppError::Rejected {
            file,
            line,
            field,
            reason_en,
            reason_ja,
        } => vec![ReportLine {
            file: file.clone(),
            line: Some(*line),
            field: field.clone(),
            reason_ja: reason_ja.clone(),
            reason_en: reason_en.clone(),
        }],
        other => vec![ReportLine {
            file: file.to_string(),
            line: None,
            field: other.field().unwrap_or_default().to_string(),
            reason_ja: other.message_ja(),
            reason_en: other.message_en(),
        }],
    }
}

impl Kokuho {
    /// Records a job as running and registers its progress.
    pub async fn start_job(
        &self,
        kind: JobKind,
        subject: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Job> {
        let id = repo::start(
            &self.db,
            &self.insurer,
            kind.code(),
            subject,
            by,
            to_us(now),
            &runner_id(now),
        )
        .await
        .map_err(|e| match e {
            kokuho_store::StoreError::Duplicate { .. } => AppError::Conflict {
                message_en: format!("a {} job is running: wait for it to end", kind.code()),
                message_ja: format!(
                    "「{}」の処理が実行中です。終わってから開始してください",
                    kind.label_ja()
                ),
            },
            other => other.into(),
        })?;
        let progress = self.jobs.register(self.insurer.as_str(), id);
        Ok(Job { id, kind, progress })
    }

    /// Records how a job ended; `report` is its error report when it failed.
    pub async fn finish_job(
        &self,
        job: &Job,
        outcome: std::result::Result<(&str, &str), &[ReportLine]>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let (done, total) = job.progress.read();
        let csv;
        let o = match outcome {
            Ok((summary, summary_ja)) => Outcome {
                status: "succeeded",
                done: done as i64,
                total: total as i64,
                summary,
                summary_ja,
                error_report: None,
                at_us: to_us(now),
            },
            Err(lines) => {
                csv = error_report_csv(lines);
                Outcome {
                    status: "failed",
                    done: done as i64,
                    total: total as i64,
                    summary: lines
                        .first()
                        .map(|l| l.reason_en.as_str())
                        .unwrap_or("failed"),
                    summary_ja: lines
                        .first()
                        .map(|l| l.reason_ja.as_str())
                        .unwrap_or("エラー"),
                    error_report: Some(&csv),
                    at_us: to_us(now),
                }
            }
        };
        let r = repo::finish(&self.db, &self.insurer, job.id, &o).await;
        self.jobs.remove(self.insurer.as_str(), job.id);
        Ok(r?)
    }

    fn job_view(&self, row: JobRow) -> Option<JobView> {
        let kind = JobKind::parse(&row.kind)?;
        let live = self.jobs.get(self.insurer.as_str(), row.job_id);
        let (done, total) = match (&live, row.status.as_str()) {
            (Some(p), "running") => p.read(),
            _ => (row.done_count.max(0) as u64, row.total_count.max(0) as u64),
        };
        let status = if row.status == "running" && live.is_none() && runner_dead(&row.runner) {
            "interrupted".to_string()
        } else {
            row.status
        };
        Some(JobView {
            id: row.job_id,
            kind,
            subject: row.subject,
            status,
            started_by: row.started_by,
            started_us: row.started_us,
            finished_us: row.finished_us,
            done,
            total,
            has_error_report: row.has_error_report,
            summary: row.summary,
            summary_ja: row.summary_ja,
        })
    }

    /// The newest jobs of these kinds.
    pub async fn jobs(&self, kinds: &[JobKind], limit: i64) -> Result<Vec<JobView>> {
        let codes: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
        let rows = repo::recent(&self.db, &self.insurer, &codes, limit).await?;
        Ok(rows.into_iter().filter_map(|r| self.job_view(r)).collect())
    }

    pub async fn job(&self, id: i64) -> Result<JobView> {
        repo::get(&self.db, &self.insurer, id)
            .await?
            .and_then(|r| self.job_view(r))
            .ok_or(AppError::NotFound {
                what: "job",
                message_ja: "処理が見つかりません",
            })
    }

    pub async fn job_error_report(&self, id: i64) -> Result<Option<String>> {
        Ok(repo::error_report(&self.db, &self.insurer, id).await?)
    }

    /// At start-up: jobs this host's earlier processes left running died
    /// with them (their work was one transaction, so nothing changed).
    pub async fn mark_dead_jobs(&self, now: OffsetDateTime) -> Result<u64> {
        let rows = repo::recent(
            &self.db,
            &self.insurer,
            &JobKind::ALL.map(|k| k.code()),
            10_000,
        )
        .await?;
        let mut n = 0;
        for r in rows
            .iter()
            .filter(|r| r.status == "running" && runner_dead(&r.runner))
        {
            n += repo::interrupt_runner(&self.db, &self.insurer, &r.runner, to_us(now)).await?;
        }
        Ok(n)
    }
}
