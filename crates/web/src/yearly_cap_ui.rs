//! The yearly cap (年間上限) screen: the year so far for each household —
//! what the monthly runs left against the cap — on screen and as CSV.
//! A statement, provisional while the rule table says so: nothing is
//! booked from it.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use kokuho_app::session::Session;
use kokuho_app::yearly_cap::YearlyCapPosition;
use kokuho_app::{AppError, Kokuho};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::burden_ui::wareki_month;
use crate::levy_ui::yen;
use crate::ui::{UiUser, UserBar, csv_download, render};

/// Households shown on one screen; the CSV has them all.
const SHOWN: usize = 300;

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/high-cost/yearly-cap", get(page))
        .route("/ui/high-cost/yearly-cap.csv", get(csv))
}

#[derive(Deserialize)]
struct YearQuery {
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

impl YearQuery {
    /// The year asked for, or the one today falls in.
    fn year(&self) -> Result<i32, AppError> {
        match self
            .year
            .as_deref()
            .map(str::trim)
            .filter(|y| !y.is_empty())
        {
            None => Ok(kokuho_app::yearly_cap::year_of(kokuho_app::local_date(
                OffsetDateTime::now_utc(),
            ))),
            Some(y) => y
                .parse::<i32>()
                .ok()
                .filter(|y| (2018..=9999).contains(y))
                .ok_or_else(|| AppError::Invalid {
                    field: "year",
                    message_en: format!("year {y:?} is not a year from 2018"),
                    message_ja: "年度は2018以降の西暦4桁で入力してください".into(),
                }),
        }
    }
}

struct MonthLine {
    month: String,
    state: &'static str,
    /// households the month's run could not compute
    left_out: usize,
}

struct HouseholdLine {
    household: String,
    payee: String,
    category: String,
    members: String,
    counted: String,
    cap: String,
    to_cap: String,
    benefit: String,
    over: bool,
    steps: Vec<String>,
}

#[derive(Template)]
#[template(path = "yearly_cap.html")]
struct Page {
    user: Option<UserBar>,
    year: i32,
    period: String,
    as_of: String,
    applies: bool,
    provisional: bool,
    months: Vec<MonthLine>,
    households: Vec<HouseholdLine>,
    households_total: u64,
    over_cap: u64,
    benefit_total: String,
    leavers: Vec<(String, String)>,
    leavers_total: u64,
    uncategorised: Vec<(String, String)>,
    refused: Vec<(String, String)>,
    stale: bool,
    source: String,
}

fn refused(e: &AppError) -> Response {
    crate::high_cost_ui::refused_as("年間上限", e)
}

fn state_label(s: &str) -> &'static str {
    match s {
        "used" => "月次計算の結果を使用",
        "stale" => "月次計算の後にレセプト・点検あり（計算し直してください）",
        "not_recorded" => "以前の版の月次計算（計算し直してください）",
        _ => "月次計算なし",
    }
}

fn page_of(user: &UiUser, p: YearlyCapPosition) -> Page {
    Page {
        user: Some(user.bar()),
        year: p.year,
        period: format!(
            "{}〜{}",
            wareki_month(&format!("{}-08", p.year)),
            wareki_month(&format!("{}-07", p.year + 1))
        ),
        as_of: p.as_of.clone(),
        applies: p.applies,
        provisional: p.provisional,
        months: p
            .months
            .iter()
            .map(|m| MonthLine {
                month: wareki_month(&m.month),
                state: state_label(m.state),
                left_out: m.left_out.len(),
            })
            .collect(),
        households: p
            .households
            .iter()
            .map(|h| HouseholdLine {
                household: h.household_number.clone(),
                payee: h.householder_id.clone().unwrap_or_default(),
                category: [h.category_under_70.as_deref(), h.category_70_74.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("・"),
                members: h
                    .members
                    .iter()
                    .map(|m| format!("{} {}", m.addressee_id, yen(m.counted)))
                    .collect::<Vec<_>>()
                    .join("、"),
                counted: yen(h.counted),
                cap: h.cap.map_or("—".into(), yen),
                to_cap: h.to_cap.map_or("—".into(), yen),
                benefit: yen(h.benefit),
                over: h.benefit > 0,
                steps: h.steps.clone(),
            })
            .collect(),
        households_total: p.households_total,
        over_cap: p.over_cap,
        benefit_total: yen(p.benefit_total),
        leavers: p
            .leavers
            .iter()
            .map(|l| (l.addressee_id.clone(), yen(l.counted)))
            .collect(),
        leavers_total: p.leavers_total,
        uncategorised: p.uncategorised.clone(),
        refused: p.refused.clone(),
        stale: !p.stale_months.is_empty(),
        source: p.source,
    }
}

async fn page(State(app): State<Kokuho>, user: UiUser, Query(q): Query<YearQuery>) -> Response {
    let year = match q.year() {
        Ok(y) => y,
        Err(e) => return refused(&e),
    };
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    match s
        .yearly_cap_position(year, SHOWN, OffsetDateTime::now_utc())
        .await
    {
        Ok(p) => render(page_of(&user, p), StatusCode::OK),
        Err(e) => refused(&e),
    }
}

async fn csv(State(app): State<Kokuho>, user: UiUser, Query(q): Query<YearQuery>) -> Response {
    let year = match q.year() {
        Ok(y) => y,
        Err(e) => return refused(&e),
    };
    let encoding = q
        .encoding
        .as_deref()
        .and_then(kokuho_app::Encoding::parse)
        .unwrap_or(kokuho_app::Encoding::Utf8);
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    match s
        .yearly_cap_csv(year, encoding, Vec::new(), OffsetDateTime::now_utc())
        .await
    {
        Ok((bytes, _, _)) => csv_download(bytes, encoding, &format!("yearly-cap-{year}")),
        Err(e) => refused(&e),
    }
}
