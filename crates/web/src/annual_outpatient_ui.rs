//! The annual outpatient cap (外来年間合算) screens: a yearly run with the
//! decisions it booked, each with its months and steps, on screen and as
//! CSV. The run itself starts from the jobs page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use kokuho_app::annual_outpatient::{AnnualRunRow, basis_of};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use time::OffsetDateTime;

use crate::burden_ui::wareki_month;
use crate::levy_ui::{signed_yen, yen};
use crate::ui::{CsvQuery, UiUser, UserBar, csv_download, jst_time, render};

/// Decisions shown on one screen; the CSV has them all.
const SHOWN: i64 = 500;

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/high-cost/annual-runs/{id}", get(run_page))
        .route("/ui/high-cost/annual-runs/{id}/decisions.csv", get(run_csv))
}

/// A run as the claims page lists it.
pub(crate) struct AnnualRunLine {
    pub id: i64,
    pub period: String,
    pub known_at: String,
    pub ran: String,
    pub ran_by: String,
    pub persons: i64,
    pub with_benefit: i64,
    pub benefit: String,
    pub booked: i64,
}

pub(crate) fn run_line(r: &AnnualRunRow) -> AnnualRunLine {
    AnnualRunLine {
        id: r.run_id,
        period: format!(
            "{}〜{}",
            wareki_month(&format!("{}-08", r.year)),
            wareki_month(&format!("{}-07", r.year + 1))
        ),
        known_at: jst_time(r.known_at_us),
        ran: jst_time(r.ran_us),
        ran_by: r.ran_by.clone(),
        persons: r.persons,
        with_benefit: r.with_benefit,
        benefit: yen(r.benefit),
        booked: r.booked,
    }
}

struct DecisionLine {
    person: String,
    version_no: i64,
    household: String,
    payee: String,
    category: String,
    counted: String,
    cap: String,
    benefit: String,
    difference: String,
    review: String,
    steps: Vec<String>,
    /// booked by the run shown (else by an earlier one, and standing)
    booked_here: bool,
}

#[derive(Template)]
#[template(path = "annual_outpatient_run.html")]
struct RunPage {
    user: Option<UserBar>,
    run: AnnualRunLine,
    source: String,
    decisions: Vec<DecisionLine>,
    more: bool,
}

fn refused(e: &AppError) -> Response {
    crate::high_cost_ui::refused_as("外来年間合算", e)
}

async fn run_page(State(app): State<Kokuho>, user: UiUser, Path(id): Path<i64>) -> Response {
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let (run, rows) = match s
        .annual_outpatient_run(id, SHOWN + 1, OffsetDateTime::now_utc())
        .await
    {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    let more = rows.len() as i64 > SHOWN;
    let decisions = rows
        .iter()
        .take(SHOWN as usize)
        .map(|d| DecisionLine {
            person: d.addressee_id.clone(),
            version_no: d.version_no,
            household: d.household_number.clone().unwrap_or_default(),
            payee: d.householder_id.clone().unwrap_or_default(),
            category: d.category_70_74.clone().unwrap_or_default(),
            counted: yen(d.counted),
            cap: if d.cap > 0 { yen(d.cap) } else { "—".into() },
            benefit: yen(d.benefit),
            difference: signed_yen(d.difference),
            review: d.review.replace('\n', "／"),
            steps: basis_of(d).steps,
            booked_here: d.run_id == run.run_id,
        })
        .collect();
    render(
        RunPage {
            user: Some(user.bar()),
            run: run_line(&run),
            source: run.rules_source.clone(),
            decisions,
            more,
        },
        StatusCode::OK,
    )
}

async fn run_csv(
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
        .annual_outpatient_run_csv(id, encoding, Vec::new(), OffsetDateTime::now_utc())
        .await
    {
        Ok((bytes, _)) => csv_download(bytes, encoding, &format!("annual-outpatient-{id}")),
        Err(e) => refused(&e),
    }
}
