//! High-cost benefit (高額療養費) screens: a monthly run with the decisions
//! it booked (on screen and as CSV), and a household's history — every
//! decision version with its calculation explained step by step, and the
//! months 多数回 counts, including those handed over from another
//! municipality. The run itself starts from the jobs page.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use kokuho_app::high_cost::basis_of;
use kokuho_app::high_cost::{DecisionRow, RunRow};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::access::Permission;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::burden_ui::wareki_month;
use crate::levy_ui::{signed_yen, yen};
use crate::ui::{
    CsvQuery, FieldError, UiUser, UserBar, check_form, csv_download, jst_time, refusal_page, render,
};

/// Decisions shown on one screen; the CSV has them all.
const SHOWN: i64 = 500;

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/high-cost", post(household_page))
        .route("/ui/high-cost/handed-over", post(handed_over))
        .route("/ui/high-cost/handed-over/void", post(void_handed_over))
        .route("/ui/high-cost/runs/{id}", get(run_page))
        .route("/ui/high-cost/runs/{id}/decisions.csv", get(run_csv))
}

/// A run as the claims page lists it.
pub(crate) struct RunLine {
    pub id: i64,
    pub month: String,
    pub known_at: String,
    pub ran: String,
    pub ran_by: String,
    pub claims: i64,
    pub left_out: i64,
    pub households: i64,
    pub benefit: String,
    pub refund: String,
    pub booked: i64,
}

pub(crate) fn run_line(r: &RunRow) -> RunLine {
    RunLine {
        id: r.run_id,
        month: wareki_month(&r.service_month),
        known_at: jst_time(r.known_at_us),
        ran: jst_time(r.ran_us),
        ran_by: r.ran_by.clone(),
        claims: r.claims,
        left_out: r.left_out,
        households: r.households,
        benefit: yen(r.benefit),
        refund: yen(r.refund),
        booked: r.booked,
    }
}

struct DecisionLine {
    household: String,
    month: String,
    version_no: i64,
    categories: String,
    frequent: bool,
    benefit: String,
    paid_in_kind: String,
    refund: String,
    difference: String,
    review: String,
}

fn categories(d: &DecisionRow) -> String {
    [
        d.category_under_70
            .as_deref()
            .map(|c| format!("70歳未満 {c}")),
        d.category_70_74.as_deref().map(|c| format!("70〜74歳 {c}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("・")
}

#[derive(Template)]
#[template(path = "high_cost_run.html")]
struct RunPage {
    user: Option<UserBar>,
    csrf: String,
    run: RunLine,
    checks: String,
    source: String,
    decisions: Vec<DecisionLine>,
    more: bool,
}

fn refused(e: &AppError) -> Response {
    refused_as("高額療養費", e)
}

/// A high-cost screen's refusal page under its own title.
pub(crate) fn refused_as(title: &str, e: &AppError) -> Response {
    let status = match e {
        AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refusal_page(status, title, e)
}

async fn run_page(State(app): State<Kokuho>, user: UiUser, Path(id): Path<i64>) -> Response {
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let (run, rows) = match s
        .high_cost_run(id, SHOWN + 1, OffsetDateTime::now_utc())
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
            household: d.household_number.clone(),
            month: wareki_month(&d.service_month),
            version_no: d.version_no,
            categories: categories(d),
            frequent: d.frequent_case,
            benefit: yen(d.benefit),
            paid_in_kind: yen(d.paid_in_kind),
            refund: yen(d.refund),
            difference: signed_yen(d.difference),
            review: d.review.replace('\n', "／"),
        })
        .collect();
    render(
        RunPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            run: run_line(&run),
            checks: run
                .checks
                .split(';')
                .filter(|c| !c.is_empty())
                .map(|c| match c.split_once(':') {
                    Some((m, id)) => format!("処理年月 {} の点検{id}", wareki_month(m)),
                    None => c.to_string(),
                })
                .collect::<Vec<_>>()
                .join("、"),
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
        .high_cost_run_csv(id, encoding, Vec::new(), OffsetDateTime::now_utc())
        .await
    {
        Ok((bytes, _)) => csv_download(bytes, encoding, &format!("high-cost-{id}")),
        Err(e) => refused(&e),
    }
}

// ---------------------------------------------------------------------------
// A household's history

#[derive(Deserialize)]
struct PageForm {
    csrf: String,
    household: String,
}

#[derive(Deserialize)]
struct HandedOverForm {
    csrf: String,
    household: String,
    month: String,
    from_insurer: String,
}

#[derive(Deserialize)]
struct VoidForm {
    csrf: String,
    household: String,
    month: String,
    from_insurer: String,
}

struct MonthLine {
    month: String,
    /// YYYY-MM, for the void form
    key: String,
    source: String,
    from_insurer: String,
    recorded: String,
    voided: Option<String>,
    handed_over: bool,
}

struct MemberLine {
    name: String,
    birth: String,
    age_group: &'static str,
    turns_75: bool,
    benefit: String,
}

struct UnitLine {
    member: String,
    provider: String,
    setting: &'static str,
    flags: String,
    total_cost: String,
    copay: String,
    charged: String,
    aggregated: bool,
    claims: String,
}

struct VersionView {
    month: String,
    version_no: i64,
    standing: bool,
    benefit: String,
    paid_in_kind: String,
    refund: String,
    difference: String,
    in_kind_excess: Option<String>,
    frequent: bool,
    counts: bool,
    categories: String,
    prior_months: String,
    payee: String,
    review: Vec<String>,
    members: Vec<MemberLine>,
    units: Vec<UnitLine>,
    steps: Vec<String>,
    left_out: Vec<(String, String, String)>,
    source: String,
    recorded: String,
    recorded_by: String,
    superseded: String,
}

#[derive(Template)]
#[template(path = "high_cost.html")]
struct HouseholdPage {
    user: Option<UserBar>,
    csrf: String,
    household: String,
    householder: String,
    notice: Option<String>,
    error: Option<String>,
    ferr: FieldError,
    months: Vec<MonthLine>,
    versions: Vec<VersionView>,
}

fn age_group_ja(code: &str) -> &'static str {
    match code {
        "preschool" => "未就学児",
        "70_74" => "70〜74歳",
        _ => "70歳未満",
    }
}

async fn household_page(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<PageForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "高額療養費", &e);
    }
    show(&app, &user, f.household.trim(), None, None).await
}

async fn handed_over(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<HandedOverForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "高額療養費", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let outcome = match kokuho_domain::burden::parse_month(f.month.trim()) {
        Some(m) => s
            .record_handed_over_month(
                f.household.trim(),
                m,
                f.from_insurer.trim(),
                OffsetDateTime::now_utc(),
            )
            .await
            .map(|()| m),
        None => Err(AppError::invalid(
            "month",
            "the service month must be YYYY-MM",
            "診療年月を 2026-06 の形で入力してください",
        )),
    };
    match outcome {
        Ok(m) => {
            let notice = format!(
                "{}を引継の該当月として記録しました。この世帯のその後の月は、次の月次計算で多数回該当を判定し直します。",
                wareki_month(&kokuho_domain::burden::format_month(m))
            );
            show(&app, &user, f.household.trim(), Some(notice), None).await
        }
        Err(e @ AppError::Forbidden { .. }) => {
            refusal_page(StatusCode::FORBIDDEN, "高額療養費", &e)
        }
        Err(e) => show(&app, &user, f.household.trim(), None, Some(e)).await,
    }
}

async fn void_handed_over(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<VoidForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "高額療養費", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let outcome = match kokuho_domain::burden::parse_month(f.month.trim()) {
        Some(m) => {
            s.void_handed_over_month(
                f.household.trim(),
                m,
                Some(f.from_insurer.trim()).filter(|x| !x.is_empty()),
                OffsetDateTime::now_utc(),
            )
            .await
        }
        None => Err(AppError::invalid(
            "month",
            "the service month must be YYYY-MM",
            "診療年月を 2026-06 の形で入力してください",
        )),
    };
    match outcome {
        Ok(_) => {
            let notice = "引継の該当月を取り消しました。次の月次計算で多数回該当を判定し直します。"
                .to_string();
            show(&app, &user, f.household.trim(), Some(notice), None).await
        }
        Err(e @ AppError::Forbidden { .. }) => {
            refusal_page(StatusCode::FORBIDDEN, "高額療養費", &e)
        }
        Err(e) => show(&app, &user, f.household.trim(), None, Some(e)).await,
    }
}

async fn show(
    app: &Kokuho,
    user: &UiUser,
    household: &str,
    notice: Option<String>,
    problem: Option<AppError>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app,
        actor: &user.actor,
    };
    // Both permissions first, then the household (a number that is none is
    // refused before anything is read or logged as seen).
    for p in [Permission::HighCost, Permission::RegistryRead] {
        if let Err(e) = s.require(p, now).await {
            return refused(&e);
        }
    }
    let view = match s.household(household, now).await {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    let (decisions, months) = match s.household_high_cost(household, now).await {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    let names: HashMap<String, String> = view
        .members
        .iter()
        .map(|m| (m.addressee_id.as_str().to_string(), m.name.to_string()))
        .collect();
    let name_of = |id: &str| {
        names
            .get(id)
            .map_or_else(|| format!("宛名番号 {id}"), |n| format!("{n}（{id}）"))
    };
    let householder = view
        .members
        .iter()
        .find(|m| m.addressee_id == view.household.householder)
        .map(|m| m.name.to_string())
        .unwrap_or_default();
    let months = months
        .iter()
        .map(|m| MonthLine {
            month: wareki_month(&m.service_month),
            key: m.service_month.clone(),
            source: if m.source == "decision" {
                format!("当保険者の決定（計算{}）", m.run_id.unwrap_or(0))
            } else {
                "他市町村からの引継".into()
            },
            from_insurer: m.from_insurer.clone().unwrap_or_default(),
            recorded: format!("{} {}", jst_time(m.recorded_us), m.recorded_by),
            voided: m.voided_us.map(|v| {
                format!(
                    "{} {}",
                    jst_time(v),
                    m.voided_by.clone().unwrap_or_default()
                )
            }),
            handed_over: m.source == "handed_over",
        })
        .collect();
    let versions = decisions
        .iter()
        .map(|d| {
            let b = basis_of(d);
            VersionView {
                month: wareki_month(&d.service_month),
                version_no: d.version_no,
                standing: d.superseded_us.is_none(),
                benefit: yen(d.benefit),
                paid_in_kind: yen(d.paid_in_kind),
                refund: yen(d.refund),
                difference: signed_yen(d.difference),
                in_kind_excess: (d.in_kind_excess > 0).then(|| yen(d.in_kind_excess)),
                frequent: d.frequent_case,
                counts: d.counts_as_high_cost_month,
                categories: categories(d),
                prior_months: b
                    .prior_months
                    .iter()
                    .map(|m| wareki_month(m))
                    .collect::<Vec<_>>()
                    .join("、"),
                payee: d
                    .householder_id
                    .as_deref()
                    .map(&name_of)
                    .unwrap_or_default(),
                review: d.review.lines().map(str::to_string).collect(),
                members: b
                    .members
                    .iter()
                    .map(|m| MemberLine {
                        name: name_of(&m.id),
                        birth: m.birth_date.clone(),
                        age_group: age_group_ja(&m.age_group),
                        turns_75: m.turns_75,
                        benefit: yen(m.benefit),
                    })
                    .collect(),
                units: b
                    .units
                    .iter()
                    .map(|u| UnitLine {
                        member: name_of(&u.member),
                        provider: format!("{} {}", u.provider_name, u.provider),
                        setting: if u.inpatient { "入院" } else { "外来" },
                        flags: [
                            u.dental.then_some("歯科"),
                            u.specified_disease.then_some("特定疾病"),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join("・"),
                        total_cost: yen(u.total_cost),
                        copay: yen(u.copay),
                        charged: yen(u.charged),
                        aggregated: u.aggregated,
                        claims: u.claims.join("、"),
                    })
                    .collect(),
                steps: b.steps.clone(),
                left_out: b
                    .left_out
                    .iter()
                    .map(|l| (name_of(&l.member), l.claim.clone(), l.reason.clone()))
                    .collect(),
                source: b.source.clone(),
                recorded: jst_time(d.recorded_us),
                recorded_by: d.recorded_by.clone(),
                superseded: d.superseded_us.map(jst_time).unwrap_or_default(),
            }
        })
        .collect();
    let (ferr, error) = match &problem {
        Some(e) => FieldError::place(e, &["month", "from_insurer"]),
        None => (FieldError::default(), None),
    };
    let status = match &problem {
        Some(AppError::NotFound { .. }) => StatusCode::NOT_FOUND,
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    render(
        HouseholdPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            household: household.to_string(),
            householder,
            notice,
            error,
            ferr,
            months,
            versions,
        },
        status,
    )
}
