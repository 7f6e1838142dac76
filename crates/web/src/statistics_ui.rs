//! The statistics screen (統計): the council's charts of a fiscal year,
//! each with its table beside and a CSV download, the year's tables, and
//! the business reports (事業月報・事業年報) to download as CSV, Excel or
//! PDF. Figures only: the screen never names a person.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kokuho_app::Kokuho;
use kokuho_app::session::Session;
use kokuho_app::statistics::{DEFAULT_MASK_THRESHOLD, KnownAt, Period};
use kokuho_domain::statistics::{Cell, Table};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::high_cost_ui::refused_as;
use crate::ui::{CsvQuery, UiUser, UserBar, check_form, csv_download, jst_time, render};

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/statistics", get(page))
        .route("/ui/statistics/chart.csv", get(chart_csv))
        .route("/ui/statistics/report", get(report_file))
        .route("/ui/statistics/close", post(close))
}

struct ChartView {
    key: &'static str,
    title: String,
    svg: String,
    table: TableView,
}

struct TableView {
    code: String,
    title: String,
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Value(v) => kokuho_domain::burden::yen(*v),
        other => other.text(),
    }
}

fn table_view(t: &Table) -> TableView {
    TableView {
        code: t.code.clone(),
        title: t.title.clone(),
        columns: t.columns.iter().map(|c| c.heading()).collect(),
        rows: t
            .rows
            .iter()
            .map(|r| (r.label.clone(), r.cells.iter().map(cell_text).collect()))
            .collect(),
    }
}

struct ClosingView {
    report: &'static str,
    period: String,
    at: String,
    by: String,
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct Page {
    user: Option<UserBar>,
    fiscal_year: i32,
    title: String,
    known_at: String,
    basis: &'static str,
    missing: Vec<String>,
    charts: Vec<ChartView>,
    tables: Vec<TableView>,
    closings: Vec<ClosingView>,
    default_month: String,
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
    /// the report shown is one kept from a few minutes ago
    kept: Option<String>,
}

#[derive(Deserialize)]
struct YearQuery {
    fiscal_year: Option<String>,
    /// add the year up anew rather than show the one kept
    #[serde(default)]
    refresh: Option<String>,
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The fiscal year asked for, or today's.
fn fiscal_year(q: Option<&str>, now: OffsetDateTime) -> Result<i32, kokuho_app::AppError> {
    match q.filter(|s| !s.trim().is_empty()) {
        Some(y) => Period::parse_year(y),
        None => Ok(kokuho_domain::levy::fiscal_year_of(kokuho_app::local_date(
            now,
        ))),
    }
}

async fn page(State(app): State<Kokuho>, user: UiUser, Query(q): Query<YearQuery>) -> Response {
    let fy = match fiscal_year(q.fiscal_year.as_deref(), now()) {
        Ok(y) => y,
        Err(e) => return refused_as("統計", &e),
    };
    show(&app, &user, fy, q.refresh.is_some(), None).await
}

/// The screen for a fiscal year, with the outcome of a closing.
async fn show(
    app: &Kokuho,
    user: &UiUser,
    fy: i32,
    fresh: bool,
    outcome: Option<Result<String, kokuho_app::AppError>>,
) -> Response {
    let now = now();
    let s = Session {
        app,
        actor: &user.actor,
    };
    let (notice, error, status) = match outcome {
        Some(Ok(n)) => (Some(n), None, StatusCode::OK),
        Some(Err(e)) => (
            None,
            Some(e.message_ja()),
            match e {
                kokuho_app::AppError::Conflict { .. } => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            },
        ),
        None => (None, None, StatusCode::OK),
    };
    let (r, kept) = match s
        .statistics_report_for_screen(Period::FiscalYear(fy), fresh, "統計画面の閲覧", now)
        .await
    {
        Ok(r) => r,
        Err(e) => return refused_as("統計", &e),
    };
    let charts = match kokuho_formats::charts::charts(&r, None) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "chart failed");
            Vec::new()
        }
    };
    let closings = s
        .statistics_closings(now)
        .await
        .unwrap_or_default()
        .into_iter()
        .rev()
        .take(24)
        .map(|c| ClosingView {
            report: if c.report == "monthly" {
                "事業月報"
            } else {
                "事業年報"
            },
            period: c.period,
            at: jst_time(c.closed_us),
            by: c.closed_by,
        })
        .collect();
    let today = kokuho_app::local_date(now);
    let last_month = kokuho_domain::eligibility::YearMonth::from_date(today).prev();
    render(
        Page {
            user: Some(user.bar()),
            fiscal_year: fy,
            title: r.title.clone(),
            known_at: r.known_at.clone(),
            basis: match r.basis.as_str() {
                "closed" => "締め時点",
                _ => "現在",
            },
            missing: r.missing.iter().map(|m| m.ja.clone()).collect(),
            charts: charts
                .iter()
                .map(|c| ChartView {
                    key: c.key,
                    title: c.title.clone(),
                    svg: c.svg.clone(),
                    table: table_view(&c.table),
                })
                .collect(),
            tables: r.tables.iter().map(table_view).collect(),
            closings,
            default_month: last_month.to_string(),
            csrf: user.csrf.clone(),
            notice,
            error,
            kept: kept.map(|at| {
                let minutes = (now - at).whole_minutes().max(0);
                format!(
                    "{minutes}分前に集計した結果を表示しています（{}分間は同じ結果を表示します）",
                    kokuho_app::statistics::SCREEN_REPORT_MINUTES
                )
            }),
        },
        status,
    )
}

#[derive(Deserialize)]
struct CloseForm {
    csrf: String,
    /// monthly | yearly
    report: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    fiscal_year: String,
    #[serde(default)]
    allow_incomplete: Option<String>,
    #[serde(default)]
    reason: String,
}

/// Closes a month or a fiscal year: from then on its report is produced as
/// known at the closing, with the digest taken now (a retroactive change
/// shows only in the changes). Refused when the period is incomplete
/// unless the box says to close it so.
async fn close(State(app): State<Kokuho>, user: UiUser, Form(f): Form<CloseForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused_as("統計", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let current = kokuho_domain::levy::fiscal_year_of(kokuho_app::local_date(now()));
    let period = match f.report.as_str() {
        "monthly" => Period::parse_month(f.month.trim()),
        "yearly" => Period::parse_year(&f.fiscal_year).map(Period::FiscalYear),
        _ => Err(kokuho_app::AppError::invalid(
            "report",
            "report: monthly or yearly",
            "締める報告を選んでください",
        )),
    };
    let fy = match &period {
        Ok(Period::FiscalYear(y)) => *y,
        Ok(Period::Month(m)) => kokuho_domain::levy::fiscal_year_of(
            m.first_day()
                .unwrap_or_else(|| kokuho_app::local_date(now())),
        ),
        Err(_) => current,
    };
    let reason = if f.reason.trim().is_empty() {
        "事業状況報告の締め"
    } else {
        f.reason.trim()
    };
    let outcome = match period {
        Ok(p) => s
            .close_statistics(p, f.allow_incomplete.is_some(), reason, now())
            .await
            .map(|(r, digest)| {
                format!(
                    "{} を締めました（基準日時 {}、要約値 {}…）。以後この期間は締め時点のデータで作成します。",
                    r.title,
                    r.known_at,
                    digest.chars().take(12).collect::<String>()
                )
            }),
        Err(e) => Err(e),
    };
    if let Err(e @ kokuho_app::AppError::Forbidden { .. }) = &outcome {
        return refused_as("統計", e);
    }
    show(&app, &user, fy, true, Some(outcome)).await
}

#[derive(Deserialize)]
struct ChartQuery {
    fiscal_year: Option<String>,
    key: String,
    #[serde(flatten)]
    csv: CsvQuery,
}

async fn chart_csv(
    State(app): State<Kokuho>,
    user: UiUser,
    Query(q): Query<ChartQuery>,
) -> Response {
    let now = now();
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let result = async {
        let p = Period::FiscalYear(fiscal_year(q.fiscal_year.as_deref(), now)?);
        let (r, _) = s
            .statistics_report_for_screen(p, false, "統計グラフの表のダウンロード", now)
            .await?;
        let charts = kokuho_formats::charts::charts(&r, None).map_err(|e| {
            kokuho_app::AppError::invalid("key", e.to_string(), "グラフを作成できません")
        })?;
        let c = charts.into_iter().find(|c| c.key == q.key).ok_or_else(|| {
            kokuho_app::AppError::invalid("key", "no such chart", "そのグラフはありません")
        })?;
        let enc = q.csv.encoding();
        let one = kokuho_domain::statistics::Report {
            tables: vec![c.table],
            ..r
        };
        let bytes = kokuho_formats::statistics::to_csv(&one, enc).map_err(|e| {
            kokuho_app::AppError::invalid("encoding", e.to_string(), e.message_ja())
        })?;
        Ok::<_, kokuho_app::AppError>((c.key, enc, bytes))
    }
    .await;
    match result {
        Ok((key, enc, bytes)) => csv_download(
            bytes,
            enc,
            &format!("{key}-{}", q.fiscal_year.as_deref().unwrap_or("")),
        ),
        Err(e) => refused_as("統計", &e),
    }
}

fn download(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize)]
struct ReportQuery {
    month: Option<String>,
    fiscal_year: Option<String>,
    /// csv, csv-cp932, xlsx, pdf
    format: String,
    publish: Option<String>,
}

async fn report_file(
    State(app): State<Kokuho>,
    user: UiUser,
    Query(q): Query<ReportQuery>,
) -> Response {
    let now = now();
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let result = async {
        let p = match (
            q.month.as_deref().filter(|m| !m.is_empty()),
            q.fiscal_year.as_deref(),
        ) {
            (Some(m), _) => Period::parse_month(m)?,
            (None, y) => Period::FiscalYear(fiscal_year(y, now)?),
        };
        let publish = q
            .publish
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "0");
        let r = s
            .statistics_report(
                p,
                KnownAt::Default,
                publish.then_some(DEFAULT_MASK_THRESHOLD),
                "事業状況報告のダウンロード",
                now,
            )
            .await?;
        let bad_format = || {
            kokuho_app::AppError::invalid(
                "format",
                "unknown format",
                "出力形式は CSV・Excel・PDF のいずれかです",
            )
        };
        let stem = format!("{}-{}", r.kind, r.period);
        let (ct, ext, bytes) = match q.format.as_str() {
            "csv" | "csv-cp932" => {
                let enc = if q.format == "csv" {
                    kokuho_app::Encoding::Utf8
                } else {
                    kokuho_app::Encoding::Cp932
                };
                let b = kokuho_formats::statistics::to_csv(&r, enc).map_err(|e| {
                    kokuho_app::AppError::invalid("format", e.to_string(), e.message_ja())
                })?;
                return Ok(csv_download(b, enc, &stem));
            }
            "xlsx" => (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
                kokuho_formats::statistics::to_xlsx(&r).map_err(|e| {
                    kokuho_app::AppError::invalid(
                        "format",
                        e.to_string(),
                        "Excel ファイルを作成できません",
                    )
                })?,
            ),
            "pdf" => ("application/pdf", "pdf", app.statistics_pdf(&r)?),
            _ => return Err(bad_format()),
        };
        Ok::<_, kokuho_app::AppError>(download(ct, &format!("{stem}.{ext}"), bytes))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(e) => refused_as("統計", &e),
    }
}
