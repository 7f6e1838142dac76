//! The annual outpatient cap (外来年間合算) screens: a yearly run with the
//! decisions it booked, each with its months and steps, on screen and as
//! CSV; a person's years — every decision version explained, and the
//! months entered from other insurers' 自己負担額証明書, with the form that
//! enters them. The run itself starts from the jobs page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use kokuho_app::annual_outpatient::{AnnualRunRow, basis_of};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use time::OffsetDateTime;

use crate::burden_ui::wareki_month;
use crate::levy_ui::{signed_yen, yen};
use serde::Deserialize;

use crate::ui::{
    CsvQuery, UiUser, UserBar, check_form, csv_download, jst_time, refusal_page, render,
};

/// Decisions shown on one screen; the CSV has them all.
const SHOWN: i64 = 500;

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/high-cost/annual-runs/{id}", get(run_page))
        .route("/ui/high-cost/annual-runs/{id}/decisions.csv", get(run_csv))
        .route("/ui/high-cost/annual", post(person_page))
        .route("/ui/high-cost/annual/other-insurer", post(add_other))
        .route("/ui/high-cost/annual/other-insurer/void", post(void_other))
}

// ------------------------------------------------------------ a person

struct PersonDecision {
    period: String,
    version_no: i64,
    standing: bool,
    category: String,
    counted: String,
    cap: String,
    benefit: String,
    difference: String,
    payee: String,
    review: String,
    recorded: String,
    steps: Vec<String>,
}

struct OtherLine {
    entry: i64,
    month: String,
    insurer: String,
    certificate: String,
    category: String,
    outpatient: String,
    left: String,
    recorded: String,
    voided: Option<String>,
}

#[derive(Template)]
#[template(path = "annual_person.html")]
struct PersonPage {
    user: Option<UserBar>,
    csrf: String,
    person: String,
    decisions: Vec<PersonDecision>,
    others: Vec<OtherLine>,
    notice: Option<String>,
    error: Option<String>,
    /// what the clerk typed, given back after a refusal
    form_year: String,
    form_insurer: String,
    form_certificate: String,
    form_months: String,
}

#[derive(Deserialize)]
struct PersonForm {
    csrf: String,
    person: String,
}

#[derive(Deserialize)]
struct OtherForm {
    csrf: String,
    person: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    insurer: String,
    #[serde(default)]
    certificate: String,
    #[serde(default)]
    months: String,
}

#[derive(Deserialize)]
struct VoidOtherForm {
    csrf: String,
    person: String,
    entry: i64,
}

fn period_of(year: i64) -> String {
    format!(
        "{}〜{}",
        wareki_month(&format!("{year}-08")),
        wareki_month(&format!("{}-07", year + 1))
    )
}

async fn show_person(
    app: &Kokuho,
    user: &UiUser,
    person: &str,
    notice: Option<String>,
    problem: Option<(AppError, &OtherForm)>,
) -> Response {
    let s = Session {
        app,
        actor: &user.actor,
    };
    let (decisions, others) = match s.annual_history(person, OffsetDateTime::now_utc()).await {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    let decisions = decisions
        .iter()
        .map(|d| PersonDecision {
            period: period_of(d.year),
            version_no: d.version_no,
            standing: d.superseded_us.is_none(),
            category: d.category_70_74.clone().unwrap_or_else(|| "—".into()),
            counted: yen(d.counted),
            cap: if d.cap > 0 { yen(d.cap) } else { "—".into() },
            benefit: yen(d.benefit),
            difference: signed_yen(d.difference),
            payee: d.householder_id.clone().unwrap_or_default(),
            review: d.review.replace('\n', "／"),
            recorded: format!(
                "{} {}（計算{}）",
                jst_time(d.recorded_us),
                d.recorded_by,
                d.run_id
            ),
            steps: basis_of(d).steps,
        })
        .collect();
    let others = others
        .iter()
        .map(|o| OtherLine {
            entry: o.entry_id,
            month: wareki_month(&o.month),
            insurer: o.other_insurer.clone(),
            certificate: o.certificate.clone(),
            category: o.category_70_74.clone().unwrap_or_else(|| "—".into()),
            outpatient: yen(o.outpatient),
            left: yen(o.outpatient_left),
            recorded: format!("{} {}", jst_time(o.recorded_us), o.recorded_by),
            voided: o.voided_us.map(|v| {
                format!(
                    "{} {}",
                    jst_time(v),
                    o.voided_by.clone().unwrap_or_default()
                )
            }),
        })
        .collect();
    let (error, form) = match &problem {
        Some((e, f)) => (Some(e.message_ja()), Some(*f)),
        None => (None, None),
    };
    render(
        PersonPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            person: person.trim().to_string(),
            decisions,
            others,
            notice,
            error,
            form_year: form.map(|f| f.year.clone()).unwrap_or_default(),
            form_insurer: form.map(|f| f.insurer.clone()).unwrap_or_default(),
            form_certificate: form.map(|f| f.certificate.clone()).unwrap_or_default(),
            form_months: form.map(|f| f.months.clone()).unwrap_or_default(),
        },
        if problem.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
    )
}

async fn person_page(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<PersonForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "外来年間合算", &e);
    }
    show_person(&app, &user, &f.person, None, None).await
}

async fn add_other(State(app): State<Kokuho>, user: UiUser, Form(f): Form<OtherForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "外来年間合算", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let input = (|| {
        let year: i32 = f.year.trim().parse().map_err(|_| {
            AppError::invalid(
                "year",
                "year: the year of the period's August",
                "年度（計算期間の8月の年）を半角数字で入力してください",
            )
        })?;
        Ok::<_, AppError>(kokuho_app::annual_outpatient::OtherCertificateInput {
            addressee_id: f.person.trim().to_string(),
            year,
            other_insurer: f.insurer.clone(),
            certificate: f.certificate.clone(),
            months: kokuho_app::annual_outpatient::parse_other_months(f.months.lines())?,
        })
    })();
    let outcome = match input {
        Ok(c) => s
            .record_other_insurer_months(&c, OffsetDateTime::now_utc())
            .await
            .map(|ids| ids.len()),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(n) => {
            let notice = format!(
                "保険者 {} の自己負担額証明書の{n}か月分を記録しました。次の年間の計算で合算し、この保険者の按分の額を支給します。",
                f.insurer.trim()
            );
            show_person(&app, &user, &f.person, Some(notice), None).await
        }
        Err(e @ AppError::Forbidden { .. }) => refused(&e),
        Err(e) => show_person(&app, &user, &f.person, None, Some((e, &f))).await,
    }
}

async fn void_other(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<VoidOtherForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "外来年間合算", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    match s
        .void_other_insurer_month(f.entry, OffsetDateTime::now_utc())
        .await
    {
        Ok(r) => {
            let notice = format!(
                "入力{}（{}、保険者 {}）を取り消しました。",
                f.entry,
                wareki_month(&r.month),
                r.other_insurer
            );
            show_person(&app, &user, &r.addressee_id, Some(notice), None).await
        }
        Err(e @ AppError::Forbidden { .. }) => refused(&e),
        Err(e) => {
            let blank = OtherForm {
                csrf: String::new(),
                person: f.person.clone(),
                year: String::new(),
                insurer: String::new(),
                certificate: String::new(),
                months: String::new(),
            };
            show_person(&app, &user, &f.person, None, Some((e, &blank))).await
        }
    }
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
