//! The jobs page (処理状況): imports and batches with a live progress bar,
//! their outcome and, for a failed one, the error report to download.
//! A job runs in the background; the page polls its status as JSON.

use askama::Template;
use axum::Form;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kokuho_app::Encoding;
use kokuho_app::access::Actor;
use kokuho_app::jobs::{Job, JobKind, JobView};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::access::Permission;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ui::{
    FieldError, UiReader, UiUser, UserBar, check_form, jst_time, refusal_page, render, wareki_of,
};

/// The largest file the import form takes (a month of a city's changes fits).
const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/jobs", get(jobs_page))
        .route(
            "/ui/jobs/registry-import",
            post(start_registry_import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/ui/jobs/income-import",
            post(start_income_import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/ui/jobs/claims-import",
            post(start_claims_import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/ui/jobs/claims-check", post(start_claims_check))
        .route("/ui/jobs/high-cost-run", post(start_high_cost_run))
        .route("/ui/jobs/exchange-export", post(start_exchange_export))
        .route(
            "/ui/jobs/exchange-import",
            post(start_exchange_import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/ui/jobs/annual-outpatient-run",
            post(start_annual_outpatient_run),
        )
        .route("/ui/jobs/age-job", post(start_age_job))
        .route("/ui/jobs/levy-assessment", post(start_levy_assessment))
        .route("/ui/jobs/{id}", get(job_page))
        .route("/ui/jobs/{id}/status", get(job_status))
        .route("/ui/jobs/{id}/errors.csv", get(job_errors))
}

/// A job as a row of the page, and as the status the page polls.
#[derive(Serialize)]
struct JobLine {
    id: i64,
    kind: String,
    subject: String,
    status: String,
    status_ja: String,
    percent: u64,
    done: u64,
    total: u64,
    started: String,
    started_by: String,
    finished: String,
    summary: String,
    running: bool,
    has_error_report: bool,
}

impl From<JobView> for JobLine {
    fn from(j: JobView) -> Self {
        JobLine {
            id: j.id,
            kind: j.kind.label_ja().to_string(),
            subject: j.subject.clone(),
            status: j.status.clone(),
            status_ja: j.status_ja().to_string(),
            percent: j.percent(),
            done: j.done,
            total: j.total,
            started: jst_time(j.started_us),
            started_by: j.started_by.clone(),
            finished: j.finished_us.map(jst_time).unwrap_or_default(),
            summary: j.summary_ja.clone().unwrap_or_default(),
            running: j.status == "running",
            has_error_report: j.has_error_report,
        }
    }
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    user: Option<UserBar>,
    csrf: String,
    can_import: bool,
    can_age_job: bool,
    can_import_income: bool,
    can_assess_levy: bool,
    can_claims: bool,
    can_high_cost: bool,
    can_exchange: bool,
    /// the server was started with an exchange folder and transfer key
    exchange_ready: bool,
    /// the processing month the check form offers: this month
    processing_month: String,
    /// the service month the high-cost form offers: last month
    service_month: String,
    /// the year the annual outpatient form offers: the last closed one
    annual_year: i32,
    fiscal_year: i32,
    today: String,
    ferr: FieldError,
    error: Option<String>,
    jobs: Vec<JobLine>,
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    user: Option<UserBar>,
    job: JobLine,
}

fn forbidden(e: &AppError) -> Response {
    refusal_page(StatusCode::FORBIDDEN, "処理状況", e)
}

fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Invalid { .. } | AppError::Rejected { .. } => StatusCode::BAD_REQUEST,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn jobs_view(app: &Kokuho, user: &UiUser, problem: Option<AppError>) -> Response {
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app,
        actor: &user.actor,
    };
    let jobs = match s.jobs(now).await {
        Ok(j) => j,
        Err(e) => return forbidden(&e),
    };
    let (ferr, error) = match &problem {
        Some(e) => FieldError::place(
            e,
            &[
                "file",
                "encoding",
                "on",
                "fiscal_year",
                "levy_on",
                "month",
                "service_month",
                "year",
            ],
        ),
        None => (FieldError::default(), None),
    };
    let status = problem.as_ref().map(status_of).unwrap_or(StatusCode::OK);
    render(
        JobsPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            can_import: user.may(Permission::RegistryImport),
            can_age_job: user.may(Permission::AgeJob),
            can_import_income: user.may(Permission::IncomeImport),
            can_assess_levy: user.may(Permission::LevyAssess),
            can_claims: user.may(Permission::ClaimsImport),
            can_high_cost: user.may(Permission::HighCost),
            can_exchange: user.may(Permission::Exchange),
            exchange_ready: app.exchange_setup.is_some(),
            processing_month: {
                let d = kokuho_app::local_date(now);
                format!("{:04}-{:02}", d.year(), u8::from(d.month()))
            },
            service_month: kokuho_domain::burden::format_month(
                kokuho_domain::eligibility::YearMonth::from_date(kokuho_app::local_date(now))
                    .prev(),
            ),
            annual_year: kokuho_app::annual_outpatient::last_closed_year(kokuho_app::local_date(
                now,
            )),
            fiscal_year: kokuho_domain::levy::fiscal_year_of(kokuho_app::local_date(now)),
            today: wareki_of(kokuho_app::local_date(now)),
            ferr,
            error,
            jobs: jobs.into_iter().map(JobLine::from).collect(),
        },
        status,
    )
}

async fn jobs_page(State(app): State<Kokuho>, user: UiUser) -> Response {
    jobs_view(&app, &user, None).await
}

/// Reads the import form: its CSRF token, the file and its encoding.
async fn read_upload(mut m: Multipart) -> Result<(String, String, Vec<u8>, String), AppError> {
    let bad = |en: &str, ja: &str| AppError::invalid("file", en.to_string(), ja.to_string());
    let (mut csrf, mut name, mut bytes, mut enc) = (
        String::new(),
        String::new(),
        Vec::new(),
        String::from("utf-8"),
    );
    while let Some(field) = m.next_field().await.map_err(|_| {
        bad(
            "the upload could not be read",
            "ファイルを受け取れませんでした（大きすぎる可能性があります）",
        )
    })? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "encoding" => enc = field.text().await.unwrap_or_default(),
            "file" => {
                // Only the base name: a browser may send a path.
                name = field
                    .file_name()
                    .unwrap_or_default()
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                bytes = field
                    .bytes()
                    .await
                    .map_err(|_| {
                        bad(
                            "the upload could not be read",
                            "ファイルを受け取れませんでした",
                        )
                    })?
                    .to_vec();
            }
            _ => {}
        }
    }
    Ok((csrf, name, bytes, enc))
}

async fn start_registry_import(
    State(app): State<Kokuho>,
    user: UiUser,
    upload: Multipart,
) -> Response {
    start_import(app, user, upload, JobKind::RegistryImport).await
}

async fn start_income_import(
    State(app): State<Kokuho>,
    user: UiUser,
    upload: Multipart,
) -> Response {
    start_import(app, user, upload, JobKind::IncomeImport).await
}

async fn start_claims_import(
    State(app): State<Kokuho>,
    user: UiUser,
    upload: Multipart,
) -> Response {
    start_import(app, user, upload, JobKind::ClaimsImport).await
}

#[derive(Deserialize)]
struct ClaimsCheckForm {
    csrf: String,
    month: String,
}

/// Starts the eligibility check of a processing month in the background.
async fn start_claims_check(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<ClaimsCheckForm>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    if let Err(refused) = form_allowed(&app, &user, &f.csrf, Permission::ClaimsImport, now).await {
        return refused;
    }
    let Some(month) = kokuho_domain::burden::parse_month(f.month.trim()) else {
        let e = AppError::invalid(
            "month",
            "the processing month must be YYYY-MM",
            "処理年月を 2026-10 の形で入力してください",
        );
        return jobs_view(&app, &user, Some(e)).await;
    };
    let key = kokuho_domain::burden::format_month(month);
    match app.claim_month(month).await {
        Ok(Some(_)) => {}
        Ok(_) => {
            let e = AppError::invalid(
                "month",
                "no claims are imported for the processing month",
                "この処理年月のレセプトは取り込まれていません",
            );
            return jobs_view(&app, &user, Some(e)).await;
        }
        Err(e) => return jobs_view(&app, &user, Some(e)).await,
    }
    start_in_background(
        &app,
        &user,
        JobKind::ClaimsCheck,
        &key,
        now,
        "claims check failed",
        move |app, actor, job| async move {
            Session {
                app: &app,
                actor: &actor,
            }
            .check_claims_as(&job, month, None, OffsetDateTime::now_utc())
            .await
            .map(|_| ())
        },
    )
    .await
}

#[derive(Deserialize)]
struct HighCostRunForm {
    csrf: String,
    service_month: String,
}

/// Starts the monthly high-cost run of a service month in the background.
async fn start_high_cost_run(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<HighCostRunForm>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    if let Err(refused) = form_allowed(&app, &user, &f.csrf, Permission::HighCost, now).await {
        return refused;
    }
    let Some(month) = kokuho_domain::burden::parse_month(f.service_month.trim()) else {
        let e = AppError::invalid(
            "service_month",
            "the service month must be YYYY-MM",
            "診療年月を 2026-10 の形で入力してください",
        );
        return jobs_view(&app, &user, Some(e)).await;
    };
    let key = kokuho_domain::burden::format_month(month);
    start_in_background(
        &app,
        &user,
        JobKind::HighCostRun,
        &key,
        now,
        "high-cost run failed",
        move |app, actor, job| async move {
            Session {
                app: &app,
                actor: &actor,
            }
            .run_high_cost_as(&job, month, None, OffsetDateTime::now_utc())
            .await
            .map(|_| ())
        },
    )
    .await
}

#[derive(Deserialize)]
struct ExchangeExportForm {
    csrf: String,
    /// federation | intermediate
    to: String,
    /// "1": everything (全件) rather than the changes since the last send
    #[serde(default)]
    full: String,
}

/// The purpose an exchange job is logged with: the person files carry My
/// Numbers, produced only for this lawful purpose.
fn exchange_purpose(what: &str) -> Option<kokuho_domain::access::Purpose> {
    kokuho_domain::access::Purpose::parse("nhi", what)
}

/// Writes an extract for the federation or the intermediate server into
/// the server's outbox, in the background.
async fn start_exchange_export(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<ExchangeExportForm>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return (StatusCode::FORBIDDEN, e.message_ja()).into_response();
    }
    let what = if f.to == "intermediate" {
        "オンライン資格確認のための資格履歴の登録"
    } else {
        "国保情報集約システムへの定期送信"
    };
    // the exchange permission is used for a stated purpose
    if let Err(e) = (Session {
        app: &app,
        actor: &user.actor,
    })
    .require_for(Permission::Exchange, exchange_purpose(what).as_ref(), now)
    .await
    {
        return forbidden(&e);
    }
    let kind = match f.to.as_str() {
        "federation" => JobKind::FederationExport,
        "intermediate" => JobKind::IntermediateExport,
        _ => {
            let e = AppError::invalid("to", "federation or intermediate", "送信先を選んでください");
            return jobs_view(&app, &user, Some(e)).await;
        }
    };
    if app.exchange_setup.is_none() {
        return jobs_view(&app, &user, Some(kokuho_app::exchange::no_setup())).await;
    }
    let since = if f.full == "1" {
        kokuho_app::exchange::Since::Full
    } else {
        kokuho_app::exchange::Since::LastSent
    };
    start_in_background(
        &app,
        &user,
        kind,
        if since == kokuho_app::exchange::Since::Full {
            "全件"
        } else {
            "差分"
        },
        now,
        "exchange export failed",
        move |app, actor, job| async move {
            let purpose = exchange_purpose(what);
            Session {
                app: &app,
                actor: &actor,
            }
            .export_as_job(&job, since, purpose.as_ref(), OffsetDateTime::now_utc())
            .await
            .map(|_| ())
        },
    )
    .await
}

/// Takes in a file received from the federation (or relayed from the
/// intermediate server), in the background.
async fn start_exchange_import(
    State(app): State<Kokuho>,
    user: UiUser,
    upload: Multipart,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    if let Err(e) = s
        .require_for(
            Permission::Exchange,
            exchange_purpose("連携ファイルの取込").as_ref(),
            now,
        )
        .await
    {
        return forbidden(&e);
    }
    let (csrf, name, bytes, _) = match read_upload(upload).await {
        Ok(x) => x,
        Err(e) => return jobs_view(&app, &user, Some(e)).await,
    };
    if let Err(e) = check_form(&app, &user, &csrf).await {
        return (StatusCode::FORBIDDEN, e.message_ja()).into_response();
    }
    if name.is_empty() || bytes.is_empty() {
        let e = AppError::invalid("file", "choose a file", "取り込むファイルを選んでください");
        return jobs_view(&app, &user, Some(e)).await;
    }
    // the name becomes the job's subject, shown and kept: never a My Number
    if let Err(e) = kokuho_app::leak_scan::refuse_my_number("file", &name) {
        return jobs_view(&app, &user, Some(e)).await;
    }
    start_in_background(
        &app,
        &user,
        JobKind::ExchangeImport,
        &name.clone(),
        now,
        "exchange import failed",
        move |app, actor, job| async move {
            Session {
                app: &app,
                actor: &actor,
            }
            .import_as_job(
                &job,
                &name,
                &bytes,
                exchange_purpose("連携ファイルの取込").as_ref(),
                OffsetDateTime::now_utc(),
            )
            .await
            .map(|_| ())
        },
    )
    .await
}

#[derive(Deserialize)]
struct AnnualOutpatientRunForm {
    csrf: String,
    year: String,
}

/// Starts the yearly annual outpatient run (外来年間合算) in the background.
async fn start_annual_outpatient_run(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<AnnualOutpatientRunForm>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    if let Err(refused) = form_allowed(&app, &user, &f.csrf, Permission::HighCost, now).await {
        return refused;
    }
    let Some(year) = f
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2018..=9998).contains(y))
    else {
        let e = AppError::invalid(
            "year",
            "the year must be the year of the period's August, e.g. 2025",
            "年度は計算期間の始まる8月の年（例：2025）で入力してください",
        );
        return jobs_view(&app, &user, Some(e)).await;
    };
    start_in_background(
        &app,
        &user,
        JobKind::AnnualOutpatientRun,
        &year.to_string(),
        now,
        "annual outpatient run failed",
        move |app, actor, job| async move {
            Session {
                app: &app,
                actor: &actor,
            }
            .run_annual_outpatient_as(&job, year, None, OffsetDateTime::now_utc())
            .await
            .map(|_| ())
        },
    )
    .await
}

/// Starts a job of `kind` for `subject` as the user's and runs `work` with it
/// in the background: the user goes to the job's page, or back to the jobs
/// page with why it could not start. The outcome is recorded on the job;
/// the log gets `failed` with the error's code.
async fn start_in_background<W, F>(
    app: &Kokuho,
    user: &UiUser,
    kind: JobKind,
    subject: &str,
    now: OffsetDateTime,
    failed: &'static str,
    work: W,
) -> Response
where
    W: FnOnce(Kokuho, Actor, Job) -> F + Send + 'static,
    F: Future<Output = kokuho_app::Result<()>> + Send + 'static,
{
    let s = Session {
        app,
        actor: &user.actor,
    };
    let job = match s.start_job(kind, subject, now).await {
        Ok(j) => j,
        Err(e) => return jobs_view(app, user, Some(e)).await,
    };
    let id = job.id;
    let run = work(app.clone(), user.actor.clone(), job);
    tokio::spawn(async move {
        if let Err(e) = run.await {
            tracing::warn!(job = id, code = e.code(), "{failed}");
        }
    });
    Redirect::to(&format!("/ui/jobs/{id}")).into_response()
}

/// A form's token and the actor's permission, checked in that order (a
/// forged form is refused before anything else is said).
async fn form_allowed(
    app: &Kokuho,
    user: &UiUser,
    csrf: &str,
    permission: Permission,
    now: OffsetDateTime,
) -> Result<(), Response> {
    check_form(app, user, csrf)
        .await
        .map_err(|e| (StatusCode::FORBIDDEN, e.message_ja()).into_response())?;
    Session {
        app,
        actor: &user.actor,
    }
    .require(permission, now)
    .await
    .map_err(|e| forbidden(&e))
}

/// Starts an import of an uploaded file in the background.
async fn start_import(app: Kokuho, user: UiUser, upload: Multipart, kind: JobKind) -> Response {
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    // The permission first: a refused actor learns nothing from validation.
    if let Err(e) = s.require(kind.permission(), now).await {
        return forbidden(&e);
    }
    let (csrf, name, bytes, enc) = match read_upload(upload).await {
        Ok(x) => x,
        Err(e) => return jobs_view(&app, &user, Some(e)).await,
    };
    if let Err(e) = check_form(&app, &user, &csrf).await {
        return (StatusCode::FORBIDDEN, e.message_ja()).into_response();
    }
    if name.is_empty() || bytes.is_empty() {
        let e = AppError::invalid("file", "choose a file", "取り込むファイルを選んでください");
        return jobs_view(&app, &user, Some(e)).await;
    }
    let Some(encoding) = Encoding::parse(&enc) else {
        let e = AppError::invalid("encoding", "utf-8 or cp932", "文字コードを選んでください");
        return jobs_view(&app, &user, Some(e)).await;
    };
    let job = match s.start_job(kind, &name, now).await {
        Ok(j) => j,
        Err(e) => return jobs_view(&app, &user, Some(e)).await,
    };
    let id = job.id;
    let (app2, actor) = (app.clone(), user.actor.clone());
    tokio::spawn(async move {
        let s = Session {
            app: &app2,
            actor: &actor,
        };
        // The outcome (or error report) is recorded on the job itself.
        let now = OffsetDateTime::now_utc();
        let r = match job.kind {
            JobKind::IncomeImport => s
                .import_income_as(&job, &name, &bytes, encoding, now)
                .await
                .map(|_| ()),
            // Claim files are CP932 by their specification: no choice.
            JobKind::ClaimsImport => {
                let digest = kokuho_app::claims::file_digest(&bytes);
                s.import_claims_as(
                    &job,
                    &name,
                    &digest,
                    bytes.len() as u64,
                    bytes.as_slice(),
                    now,
                )
                .await
                .map(|_| ())
            }
            _ => s
                .import_registry_feed_as(&job, &name, &bytes, encoding, now)
                .await
                .map(|_| ()),
        };
        if let Err(e) = r {
            // The reason is in the job's error report; the log gets the code only.
            tracing::info!(job = job.id, code = e.code(), "import rejected");
        }
    });
    Redirect::to(&format!("/ui/jobs/{id}")).into_response()
}

#[derive(Deserialize)]
struct AgeJobForm {
    csrf: String,
    on: String,
}

async fn start_age_job(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<AgeJobForm>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    if let Err(refused) = form_allowed(&app, &user, &f.csrf, Permission::AgeJob, now).await {
        return refused;
    }
    let on = match kokuho_app::registry::parse_date("on", &f.on) {
        Ok(d) => d,
        Err(e) => return jobs_view(&app, &user, Some(e)).await,
    };
    start_in_background(
        &app,
        &user,
        JobKind::AgeJob,
        &on.to_string(),
        now,
        "age job failed",
        move |app, actor, job| async move {
            Session {
                app: &app,
                actor: &actor,
            }
            .run_age_job_as(&job, on, OffsetDateTime::now_utc())
            .await
            .map(|_| ())
        },
    )
    .await
}

#[derive(Deserialize)]
struct LevyForm {
    csrf: String,
    fiscal_year: String,
    levy_on: String,
}

async fn start_levy_assessment(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<LevyForm>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    if let Err(refused) = form_allowed(&app, &user, &f.csrf, Permission::LevyAssess, now).await {
        return refused;
    }
    let Some(fiscal_year) = f
        .fiscal_year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
    else {
        let e = AppError::invalid(
            "fiscal_year",
            "the fiscal year must be a year such as 2026",
            "年度を西暦で入力してください（例：2026）",
        );
        return jobs_view(&app, &user, Some(e)).await;
    };
    let on = match kokuho_app::registry::parse_date("levy_on", &f.levy_on) {
        Ok(d) => d,
        Err(e) => return jobs_view(&app, &user, Some(e)).await,
    };
    start_in_background(
        &app,
        &user,
        JobKind::LevyAssessment,
        &format!("{fiscal_year}年度"),
        now,
        "levy assessment failed",
        move |app, actor, job| async move {
            Session {
                app: &app,
                actor: &actor,
            }
            .assess_levy_as(&job, fiscal_year, on, OffsetDateTime::now_utc())
            .await
            .map(|_| ())
        },
    )
    .await
}

/// Read without touching the session: while a SQLite import holds the
/// write lock this page must still answer and show the bar moving.
async fn job_page(
    State(app): State<Kokuho>,
    reader: Result<UiReader, Response>,
    Path(id): Path<i64>,
) -> Response {
    let Ok(UiReader(user)) = reader else {
        return Redirect::to("/ui/signin").into_response();
    };
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    match s.job(id, OffsetDateTime::now_utc()).await {
        Ok(j) => render(
            JobPage {
                user: Some(user.bar()),
                job: j.into(),
            },
            StatusCode::OK,
        ),
        Err(e @ AppError::Forbidden { .. }) => forbidden(&e),
        Err(e) => (status_of(&e), e.message_ja()).into_response(),
    }
}

/// What the page's script polls: no personal data, never cached.
async fn job_status(
    State(app): State<Kokuho>,
    UiReader(user): UiReader,
    Path(id): Path<i64>,
) -> Response {
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    match s.job(id, OffsetDateTime::now_utc()).await {
        Ok(j) => axum::Json(JobLine::from(j)).into_response(),
        Err(e) => (
            status_of(&e),
            axum::Json(serde_json::json!({"code": e.code(), "message": e.message_ja()})),
        )
            .into_response(),
    }
}

async fn job_errors(State(app): State<Kokuho>, user: UiUser, Path(id): Path<i64>) -> Response {
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    match s.job_error_report(id, OffsetDateTime::now_utc()).await {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"job-{id}-errors.csv\""),
                ),
            ],
            csv,
        )
            .into_response(),
        Err(e @ AppError::Forbidden { .. }) => forbidden(&e),
        Err(e) => (status_of(&e), e.message_ja()).into_response(),
    }
}
