//! Claims (レセプト): the processing months with their imported claims and
//! eligibility checks (資格点検), and a check's list of claims to return,
//! adjust or confirm, with each reason, on screen and as CSV. The import
//! and the check themselves start from the jobs page, as background jobs.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::eligibility_check::{Action, Reason};
use time::OffsetDateTime;

use crate::ui::{
    CsvQuery, UiUser, UserBar, csv_download, jst_time, refusal_page, render, wareki_of,
};

/// Findings shown on one screen; the CSV has them all.
const SHOWN: i64 = 500;

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/claims", get(claims_page))
        .route("/ui/claims/checks/{id}", get(check_page))
        .route("/ui/claims/checks/{id}/list.csv", get(check_csv))
}

struct MonthLine {
    month: String,
    claims: i64,
    points: i64,
    files: i64,
    checks: Vec<CheckLine>,
}

struct CheckLine {
    id: i64,
    known_at: String,
    checked: String,
    checked_by: String,
    claims: i64,
    listed: i64,
}

#[derive(Template)]
#[template(path = "claims.html")]
struct ClaimsPage {
    user: Option<UserBar>,
    months: Vec<MonthLine>,
    /// the high-cost runs, for those who may see them
    runs: Option<Vec<crate::high_cost_ui::RunLine>>,
    /// the annual outpatient runs, for those who may see them
    annual_runs: Option<Vec<crate::annual_outpatient_ui::AnnualRunLine>>,
}

struct FindingLine {
    action: &'static str,
    action_code: String,
    reason: &'static str,
    detail: String,
    provider: String,
    provider_name: String,
    claim_no: i64,
    service_month: String,
    numbers: String,
    name: String,
    birth: String,
    source: String,
}

#[derive(Template)]
#[template(path = "claims_check.html")]
struct CheckPage {
    user: Option<UserBar>,
    id: i64,
    month: String,
    known_at: String,
    checked: String,
    checked_by: String,
    claims: i64,
    listed: i64,
    returns: usize,
    adjustments: usize,
    confirmations: usize,
    findings: Vec<FindingLine>,
    more: bool,
}

fn refused(e: &AppError) -> Response {
    let status = match e {
        AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refusal_page(status, "レセプト", e)
}

fn month_ja(m: &str) -> String {
    crate::burden_ui::wareki_month(m)
}

async fn claims_page(State(app): State<Kokuho>, user: UiUser) -> Response {
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let (months, checks) = match s.claim_months(OffsetDateTime::now_utc()).await {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    let (runs, annual_runs) = if user.may(kokuho_domain::access::Permission::HighCost) {
        let now = OffsetDateTime::now_utc();
        match (
            s.high_cost_runs(now).await,
            s.annual_outpatient_runs(now).await,
        ) {
            (Ok(r), Ok(a)) => (
                Some(r.iter().map(crate::high_cost_ui::run_line).collect()),
                Some(
                    a.iter()
                        .map(crate::annual_outpatient_ui::run_line)
                        .collect(),
                ),
            ),
            (Err(e), _) | (_, Err(e)) => return refused(&e),
        }
    } else {
        (None, None)
    };
    let months = months
        .into_iter()
        .map(|m| MonthLine {
            month: month_ja(&m.billing_month),
            claims: m.claims,
            points: m.points,
            files: m.files,
            checks: checks
                .iter()
                .filter(|c| c.billing_month == m.billing_month)
                .map(|c| CheckLine {
                    id: c.check_id,
                    known_at: jst_time(c.known_at_us),
                    checked: jst_time(c.checked_us),
                    checked_by: c.checked_by.clone(),
                    claims: c.claims,
                    listed: c.listed,
                })
                .collect(),
        })
        .collect();
    render(
        ClaimsPage {
            user: Some(user.bar()),
            months,
            runs,
            annual_runs,
        },
        StatusCode::OK,
    )
}

async fn check_page(State(app): State<Kokuho>, user: UiUser, Path(id): Path<i64>) -> Response {
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let (check, rows) = match s
        .claim_check(id, SHOWN + 1, OffsetDateTime::now_utc())
        .await
    {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    let counts = match app.claim_check_counts(id).await {
        Ok(c) => c,
        Err(e) => return refused(&e),
    };
    let count = |a: Action| {
        counts
            .iter()
            .filter(|((_, action), _)| action == a.code())
            .map(|(_, n)| *n as usize)
            .sum::<usize>()
    };
    let more = rows.len() as i64 > SHOWN;
    let findings = rows
        .into_iter()
        .take(SHOWN as usize)
        .map(|(f, c)| {
            let reason = Reason::from_code(&f.reason);
            FindingLine {
                action: reason.map_or("", |r| r.action().label_ja()),
                action_code: f.action.clone(),
                reason: reason.map_or("", Reason::label_ja),
                detail: f.detail_ja,
                provider: c.provider_code,
                provider_name: c.provider_name,
                claim_no: c.claim_no,
                service_month: month_ja(&c.service_month),
                numbers: format!(
                    "{} {}・{}{}",
                    c.claim_insurer,
                    c.insured_symbol,
                    c.insured_number,
                    c.branch_number
                        .map(|b| format!("・{b}"))
                        .unwrap_or_default()
                ),
                name: c.name,
                birth: wareki_of(c.birth_date),
                source: format!(
                    "{}… {}行",
                    &c.file_digest[..c.file_digest.len().min(9)],
                    c.line
                ),
            }
        })
        .collect();
    render(
        CheckPage {
            user: Some(user.bar()),
            id,
            month: month_ja(&check.billing_month),
            known_at: jst_time(check.known_at_us),
            checked: jst_time(check.checked_us),
            checked_by: check.checked_by,
            claims: check.claims,
            listed: check.listed,
            returns: count(Action::Return),
            adjustments: count(Action::Adjustment),
            confirmations: count(Action::Confirm),
            findings,
            more,
        },
        StatusCode::OK,
    )
}

async fn check_csv(
    State(app): State<Kokuho>,
    user: UiUser,
    Path(id): Path<i64>,
    Query(q): Query<CsvQuery>,
) -> Response {
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let encoding = q.encoding();
    match s
        .claim_check_csv(id, encoding, Vec::new(), OffsetDateTime::now_utc())
        .await
    {
        Ok((bytes, _)) => csv_download(bytes, encoding, &format!("check-{id}")),
        Err(e) => refused(&e),
    }
}
