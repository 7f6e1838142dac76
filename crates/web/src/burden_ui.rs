//! The household's burden page (負担区分の履歴): every version of every
//! month with its reasons and cause, the records as they stood on a chosen
//! day, and the 基準収入額適用 application.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use kokuho_app::burden::{BurdenRow, HouseholdBurden, change_reason_ja};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::access::Permission;
use kokuho_domain::burden::{format_month, parse_month};
use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::wareki;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::ui::{
    FieldError, UiUser, UserBar, check_form, jst_time, refusal_page, render, wareki_of,
};

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/burden", post(burden_page))
        .route("/ui/burden/apply", post(apply))
}

/// A month as staff read it: 令和8年10月.
pub(crate) fn wareki_month(month: &str) -> String {
    parse_month(month)
        .and_then(|m| m.first_day())
        .and_then(|d| wareki::format_date(d).ok())
        .map(|w| w.split_inclusive('月').next().unwrap_or(&w).to_string())
        .unwrap_or_else(|| month.to_string())
}

#[derive(Deserialize)]
struct PageForm {
    csrf: String,
    household: String,
    /// YYYY-MM-DD: show the records as they stood at the end of that day
    #[serde(default)]
    known_on: String,
}

#[derive(Deserialize)]
struct ApplyForm {
    csrf: String,
    household: String,
    from_month: String,
}

struct MemberLine {
    name: String,
    relationship: String,
    birth: String,
}

struct VersionLine {
    month: String,
    version_no: i32,
    under70: String,
    elderly: String,
    copay: Vec<String>,
    reasons: Vec<String>,
    cause: String,
    recorded: String,
    recorded_by: String,
    standing: bool,
    superseded: String,
    /// first version row of its month (the month cell spans them)
    first_of_month: bool,
    versions_in_month: usize,
}

struct ApplicationLine {
    from: String,
    recorded: String,
    recorded_by: String,
}

#[derive(Template)]
#[template(path = "burden.html")]
struct BurdenPage {
    user: Option<UserBar>,
    csrf: String,
    household: String,
    householder: String,
    members: Vec<MemberLine>,
    applications: Vec<ApplicationLine>,
    can_apply: bool,
    from_month: String,
    ferr: FieldError,
    error: Option<String>,
    notice: Option<String>,
    known_on: String,
    versions: Vec<VersionLine>,
}

/// The copay list of a version with names instead of 宛名番号.
fn copay_lines(rates: &str, names: &HashMap<String, String>) -> Vec<String> {
    rates
        .split(';')
        .filter(|c| !c.is_empty())
        .map(|c| match c.split_once(':') {
            Some((id, rate)) => format!(
                "{} {}",
                names.get(id).map_or(id, String::as_str),
                rate.replace('(', "（").replace(')', "）")
            ),
            None => c.to_string(),
        })
        .collect()
}

fn version_lines(rows: &[&BurdenRow], names: &HashMap<String, String>) -> Vec<VersionLine> {
    // Newest month first; within a month, the newest version first.
    let mut rows: Vec<&BurdenRow> = rows.to_vec();
    rows.sort_by(|a, b| b.month.cmp(&a.month).then(b.version_no.cmp(&a.version_no)));
    let mut per_month: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *per_month.entry(r.month.as_str()).or_default() += 1;
    }
    let mut last_month = "";
    rows.iter()
        .map(|r| {
            let first_of_month = r.month != last_month;
            last_month = &r.month;
            VersionLine {
                month: wareki_month(&r.month),
                version_no: r.version_no,
                under70: r.category_under_70.clone().unwrap_or_else(|| "—".into()),
                elderly: r.category_70_74.clone().unwrap_or_else(|| "—".into()),
                copay: copay_lines(&r.copay_rates, names),
                reasons: r.reasons.lines().map(str::to_string).collect(),
                cause: change_reason_ja(&r.change_reason).to_string(),
                recorded: jst_time(r.recorded_us),
                recorded_by: r.recorded_by.clone(),
                standing: r.superseded_us.is_none(),
                superseded: r.superseded_us.map(jst_time).unwrap_or_default(),
                first_of_month,
                versions_in_month: per_month[r.month.as_str()],
            }
        })
        .collect()
}

/// The end of a JST calendar day, in the records' microseconds.
fn end_of_day_us(day: time::Date) -> i64 {
    let next = day
        .next_day()
        .unwrap_or(day)
        .midnight()
        .assume_offset(kokuho_app::jst());
    kokuho_app::eligibility::to_us(next) - 1
}

struct View<'a> {
    known_on: &'a str,
    from_month: String,
    problem: Option<AppError>,
    notice: Option<String>,
}

async fn show(app: &Kokuho, user: &UiUser, household: &str, v: View<'_>) -> Response {
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app,
        actor: &user.actor,
    };
    let b: HouseholdBurden = match s.household_burden(household, now).await {
        Ok(b) => b,
        Err(e @ AppError::Forbidden { .. }) => {
            return refusal_page(StatusCode::FORBIDDEN, "負担区分", &e);
        }
        Err(e) => return refusal_page(StatusCode::NOT_FOUND, "負担区分", &e),
    };
    let mut problem = v.problem;
    let known_at = if v.known_on.trim().is_empty() {
        None
    } else {
        match wareki::parse_date(v.known_on) {
            Ok(d) => Some(end_of_day_us(d)),
            Err(e) => {
                problem = Some(AppError::from(e).for_field("known_on"));
                None
            }
        }
    };
    let names: HashMap<String, String> = b
        .household
        .members
        .iter()
        .map(|m| (m.addressee_id.to_string(), m.name.to_string()))
        .collect();
    let rows: Vec<&BurdenRow> = match known_at {
        Some(at) => b.as_known_at(at),
        None => b.versions.iter().collect(),
    };
    let (ferr, error) = match &problem {
        Some(e) => FieldError::place(e, &["from_month", "known_on"]),
        None => (FieldError::default(), None),
    };
    let status = match &problem {
        None => StatusCode::OK,
        Some(AppError::Forbidden { .. }) => StatusCode::FORBIDDEN,
        Some(_) => StatusCode::BAD_REQUEST,
    };
    let householder = names
        .get(b.household.household.householder.as_str())
        .cloned()
        .unwrap_or_default();
    render(
        BurdenPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            household: b.household.household.household_number.to_string(),
            householder,
            members: b
                .household
                .members
                .iter()
                .map(|m| MemberLine {
                    name: m.name.to_string(),
                    relationship: m.relationship.label_ja().to_string(),
                    birth: wareki_of(m.birth_date),
                })
                .collect(),
            applications: b
                .applications
                .iter()
                .map(|a| ApplicationLine {
                    from: wareki_month(&a.from_month),
                    recorded: jst_time(a.recorded_us),
                    recorded_by: a.recorded_by.clone(),
                })
                .collect(),
            can_apply: user.may(Permission::EligibilityWrite),
            from_month: v.from_month,
            ferr,
            error,
            notice: v.notice,
            known_on: v.known_on.to_string(),
            versions: version_lines(&rows, &names),
        },
        status,
    )
}

fn this_month() -> String {
    format_month(YearMonth::from_date(kokuho_app::local_date(
        OffsetDateTime::now_utc(),
    )))
}

async fn burden_page(State(app): State<Kokuho>, user: UiUser, Form(f): Form<PageForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "負担区分", &e);
    }
    let view = View {
        known_on: &f.known_on,
        from_month: this_month(),
        problem: None,
        notice: None,
    };
    show(&app, &user, &f.household, view).await
}

async fn apply(State(app): State<Kokuho>, user: UiUser, Form(f): Form<ApplyForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "負担区分", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let now = OffsetDateTime::now_utc();
    let from = f.from_month.trim();
    let outcome = match parse_month(from) {
        None => Err(AppError::invalid(
            "from_month",
            "the first month must be YYYY-MM",
            "適用開始月を選んでください（例：2026-10）",
        )),
        Some(m) if m > YearMonth::from_date(kokuho_app::local_date(now)) => Err(AppError::invalid(
            "from_month",
            "the first month cannot be after this month",
            "適用開始月に来月以降は指定できません",
        )),
        Some(m) => s.apply_standard_income(&f.household, m, now).await,
    };
    let (problem, notice) = match outcome {
        Ok(r) => (
            None,
            Some(format!(
                "基準収入額適用の申請を{}から記録しました。{}か月を判定し直し、{}か月の区分が変わりました。",
                wareki_month(from),
                r.households,
                r.changed
            )),
        ),
        Err(e) => (Some(e), None),
    };
    let view = View {
        known_on: "",
        from_month: from.to_string(),
        problem,
        notice,
    };
    show(&app, &user, &f.household, view).await
}
