//! The benefits screens (給付・支払): application intake per kind, the
//! supervisor's decision queue, a person's benefit history, and payment
//! runs with their payment list, approval, transfer file and the bank's
//! answer. Every action is a POST carrying the CSRF token; no personal
//! number travels in a URL (the history is looked up by POST).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kokuho_app::benefit::{
    ApplicationInput, ApplicationView, BenefitLine, Decision, EventInput, PayeeBasis,
};
use kokuho_app::payment_run::{PaymentView, RunView};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::access::Permission;
use kokuho_domain::benefit::ReimbursementType;
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use crate::levy_ui::yen;
use crate::ui::{
    CsvQuery, FieldError, UiUser, UserBar, check_form, csv_download, render, wareki_of,
};

/// Transfers shown on one screen; the CSV has them all.
const SHOWN: usize = 500;

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/benefits", get(benefits_page))
        .route("/ui/benefits/apply", post(apply))
        .route("/ui/benefits/decide", post(decide))
        .route("/ui/benefits/history", post(history))
        .route("/ui/benefits/revoke", post(revoke))
        .route("/ui/benefits/recovery", post(recovery_assess))
        .route("/ui/benefits/recovery/settle", post(recovery_settle))
        .route("/ui/payments", get(payments_page))
        .route("/ui/payments/create", post(create_run))
        .route("/ui/payments/{id}", get(run_page))
        .route("/ui/payments/{id}/action", post(run_action))
        .route("/ui/payments/{id}/file", post(run_file))
        .route("/ui/payments/{id}/return-file", post(run_return_file))
        .route("/ui/payments/{id}/list.csv", get(run_csv))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub(crate) fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Invalid { .. } | AppError::Rejected { .. } => StatusCode::BAD_REQUEST,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn refused(title: &str, e: &AppError) -> Response {
    crate::ui::refusal_page(status_of(e), title, e)
}

// ------------------------------------------------------------ benefits

struct AppLine {
    id: i64,
    kind: String,
    person: String,
    event_on: String,
    received: String,
    received_by: String,
    payee: String,
    amount: String,
    status: &'static str,
    provisional: bool,
    steps: Vec<String>,
    rule: String,
    reason: String,
    payment: String,
    /// decided to pay and no money gone: a supervisor may revoke it
    revocable: bool,
}

fn app_line(v: &ApplicationView, payment: Option<(i64, &'static str)>) -> AppLine {
    AppLine {
        id: v.application_id,
        kind: v.kind_label.clone(),
        person: v.addressee_id.clone(),
        event_on: wareki_of(v.event_on),
        received: wareki_of(v.received_on),
        received_by: v.received_by.clone(),
        payee: match &v.entitled_id {
            Some(e) => format!(
                "{}（{}。支給を受ける方 {e}）",
                v.payee_id, v.payee_basis_label
            ),
            None => v.payee_id.clone(),
        },
        amount: yen(v.amount),
        status: v.status,
        provisional: v.provisional,
        steps: v.steps.clone(),
        rule: v.rule.clone(),
        reason: v.decision_reason.clone().unwrap_or_default(),
        payment: payment
            .map(|(run, s)| format!("支払 第{run}回：{s}"))
            .unwrap_or_default(),
        revocable: v.status == "支給決定"
            && payment.is_none_or(|(_, s)| s != "支払処理中" && s != "支払済み"),
    }
}

#[derive(Template)]
#[template(path = "benefits.html")]
struct BenefitsPage {
    user: Option<UserBar>,
    csrf: String,
    today: String,
    /// the kind whose form the notice or error is about
    kind: String,
    notice: Option<String>,
    error: Option<String>,
    ferr: FieldError,
    may_decide: bool,
    queue: Vec<AppLine>,
    history_of: String,
    history: Vec<AppLine>,
    reimbursement_types: Vec<(&'static str, &'static str)>,
    recoveries: Vec<RecoveryLine>,
}

struct RecoveryLine {
    id: i64,
    event: String,
    debtor: String,
    amount: String,
    assessed: String,
    due_by: String,
    steps: Vec<String>,
}

const FIELDS: [&str; 17] = [
    "first_meal_on",
    "last_meal_on",
    "meals",
    "addressee_id",
    "payee_id",
    "received_on",
    "applicant",
    "born_on",
    "gestation_days",
    "children",
    "paid_directly",
    "funeral_on",
    "service_on",
    "cost",
    "paid",
    "economical",
    "service_month",
];

async fn show(
    app: &Kokuho,
    user: &UiUser,
    kind: &str,
    outcome: Option<Result<String, AppError>>,
    history_of: Option<&str>,
) -> Response {
    let s = Session {
        app,
        actor: &user.actor,
    };
    let (mut notice, mut error, mut ferr, mut status) =
        (None, None, FieldError::default(), StatusCode::OK);
    match outcome {
        Some(Ok(n)) => notice = Some(n),
        Some(Err(e)) => {
            status = status_of(&e);
            if matches!(e, AppError::Forbidden { .. }) {
                return refused("給付", &e);
            }
            (ferr, error) = FieldError::place(&e, &FIELDS);
        }
        None => {}
    }
    let queue = match s.decision_queue(100, now()).await {
        Ok(q) => q.iter().map(|v| app_line(v, None)).collect(),
        Err(e) => return refused("給付", &e),
    };
    let history: Vec<AppLine> = match history_of {
        Some(p) => match s.benefit_history(p, now()).await {
            Ok(h) => h
                .iter()
                .map(|l: &BenefitLine| app_line(&l.application, l.payment))
                .collect(),
            Err(e) => {
                error = Some(e.message_ja());
                status = status_of(&e);
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let recoveries = match s.recoveries(true, 100, now()).await {
        Ok(v) => v
            .iter()
            .map(|r| RecoveryLine {
                id: r.recovery_id,
                event: match r.kind.as_str() {
                    "high_cost_benefit" => format!("高額療養費 世帯 {} {}", r.subject, r.period),
                    "combined_care" => {
                        format!("高額介護合算 世帯 {} {}年度", r.subject, r.period)
                    }
                    _ => format!("外来年間合算 {} {}年度", r.subject, r.period),
                },
                debtor: r.debtor_id.clone(),
                amount: yen(r.amount),
                assessed: format!("{}（{}）", wareki_of(r.assessed_on), r.assessed_by),
                due_by: wareki_of(r.due_by),
                steps: r.basis.lines().map(str::to_string).collect(),
            })
            .collect(),
        Err(e) => return refused("給付", &e),
    };
    render(
        BenefitsPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            today: kokuho_app::local_date(now()).to_string(),
            kind: kind.to_string(),
            notice,
            error,
            ferr,
            may_decide: user.may(Permission::BenefitDecide),
            queue,
            history_of: history_of.unwrap_or_default().to_string(),
            history,
            reimbursement_types: ReimbursementType::ALL
                .iter()
                .map(|t| (t.code(), t.label()))
                .collect(),
            recoveries,
        },
        status,
    )
}

/// A recovery's refusal is shown above the page, not beside the intake
/// forms' fields of the same name.
fn recovery_error(e: AppError) -> AppError {
    match e {
        AppError::Invalid {
            message_en,
            message_ja,
            ..
        } => AppError::Invalid {
            field: "recovery",
            message_en,
            message_ja,
        },
        other => other,
    }
}

#[derive(Deserialize)]
struct RecoveryForm {
    csrf: String,
    #[serde(default)]
    household: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    year: String,
    /// the person and year are 高額介護合算's (the person's household)
    #[serde(default)]
    combined_care: Option<String>,
    #[serde(default)]
    due_by: String,
}

async fn recovery_assess(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<RecoveryForm>,
) -> Response {
    use kokuho_app::recovery::RecoveryEvent;
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused("給付", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    // the permission before the form is read
    if let Err(e) = s.require(Permission::BenefitDecide, now()).await {
        return refused("給付", &e);
    }
    let outcome = async {
        let event = if !f.household.trim().is_empty() {
            RecoveryEvent::HighCost {
                household_number: f.household.trim().to_string(),
                service_month: kokuho_domain::burden::parse_month(f.month.trim()).ok_or_else(
                    || {
                        AppError::invalid(
                            "service_month",
                            "month must be YYYY-MM",
                            "診療年月は 2026-09 の形式で入力してください",
                        )
                    },
                )?,
            }
        } else {
            let addressee_id = f.person.trim().to_string();
            let year = f.year.trim().parse().map_err(|_| {
                AppError::invalid(
                    "year",
                    "year: a number",
                    "世帯番号と診療年月、または宛名番号と年度を入力してください",
                )
            })?;
            if f.combined_care.is_some() {
                RecoveryEvent::CombinedCare { addressee_id, year }
            } else {
                RecoveryEvent::AnnualOutpatient { addressee_id, year }
            }
        };
        let today = kokuho_app::local_date(now());
        let due_by = date_field("due_by", &f.due_by)?;
        s.assess_recovery(&event, today, due_by, now()).await
    }
    .await
    .map_err(recovery_error)
    .map(|r| {
        format!(
            "返納金 第{}号を調定しました：{}（納期限 {}）",
            r.recovery_id,
            yen(r.amount),
            wareki_of(r.due_by)
        )
    });
    show(&app, &user, "", Some(outcome), None).await
}

#[derive(Deserialize)]
struct SettleForm {
    csrf: String,
    id: i64,
    /// repaid | cancel
    action: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    note: String,
}

async fn recovery_settle(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<SettleForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused("給付", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let repaid = f.action == "repaid";
    let outcome = async {
        let on = if f.on.trim().is_empty() {
            kokuho_app::local_date(now())
        } else {
            date_field("on", &f.on)?
        };
        s.settle_recovery(f.id, repaid, on, &f.note, now()).await
    }
    .await
    .map_err(recovery_error)
    .map(|r| {
        format!(
            "返納金 第{}号：{}",
            r.recovery_id,
            if repaid {
                "納付を記録しました"
            } else {
                "取り消しました"
            }
        )
    });
    show(&app, &user, "", Some(outcome), None).await
}

async fn benefits_page(State(app): State<Kokuho>, user: UiUser) -> Response {
    show(&app, &user, "", None, None).await
}

/// One intake form per kind; the fields a kind does not use stay empty.
#[derive(Deserialize)]
struct ApplyForm {
    csrf: String,
    kind: String,
    #[serde(default)]
    addressee_id: String,
    #[serde(default)]
    payee_id: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    applicant: String,
    #[serde(default)]
    documents: String,
    #[serde(default)]
    application_account: Option<String>,
    #[serde(default)]
    year: String,
    #[serde(default)]
    payee_basis: String,
    #[serde(default)]
    entitled_id: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    funeral_on: String,
    #[serde(default)]
    weeks: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    children: String,
    #[serde(default)]
    compensation: Option<String>,
    #[serde(default)]
    paid_directly: String,
    #[serde(default)]
    r#type: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    economical: String,
    #[serde(default)]
    simplified_route: Option<String>,
    #[serde(default)]
    until: String,
    #[serde(default)]
    meals: String,
    #[serde(default)]
    long_stay: Option<String>,
    #[serde(default)]
    household: String,
    #[serde(default)]
    month: String,
}

fn date_field(field: &'static str, s: &str) -> Result<Date, AppError> {
    kokuho_app::registry::parse_date(field, s.trim())
}

fn yen_field(field: &'static str, s: &str, default: Option<i64>) -> Result<i64, AppError> {
    let t = s.trim().replace([',', '，', '円'], "");
    if t.is_empty()
        && let Some(d) = default
    {
        return Ok(d);
    }
    t.parse::<i64>().map_err(|_| {
        AppError::invalid(
            field,
            "an amount in yen",
            "金額は半角数字（円）で入力してください",
        )
    })
}

/// A whole number as typed (full-width digits too): `None` when empty,
/// `Some(None)` when not a number.
fn number(s: &str) -> Option<Option<u32>> {
    let t: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    if t.is_empty() {
        None
    } else {
        Some(t.parse().ok())
    }
}

fn input_of(f: &ApplyForm) -> Result<ApplicationInput, AppError> {
    use kokuho_domain::benefit::BenefitKind;
    let kind = BenefitKind::parse(&f.kind)
        .ok_or_else(|| AppError::invalid("kind", "unknown kind", "給付の種類が正しくありません"))?;
    let event = match kind {
        BenefitKind::AnnualOutpatient => EventInput::AnnualOutpatient {
            year: match number(&f.year) {
                Some(Some(y)) => i32::try_from(y).map_err(|_| {
                    AppError::invalid("year", "year: a number", "年度を半角数字で入力してください")
                })?,
                _ => {
                    return Err(AppError::invalid(
                        "year",
                        "year: a number",
                        "年度を半角数字で入力してください",
                    ));
                }
            },
        },
        BenefitKind::CombinedCare => EventInput::CombinedCare {
            year: match number(&f.year) {
                Some(Some(y)) => i32::try_from(y).map_err(|_| {
                    AppError::invalid("year", "year: a number", "年度を半角数字で入力してください")
                })?,
                _ => {
                    return Err(AppError::invalid(
                        "year",
                        "year: a number",
                        "年度を半角数字で入力してください",
                    ));
                }
            },
        },
        BenefitKind::HighCostBenefit => EventInput::HighCost {
            household_number: f.household.trim().to_string(),
            service_month: kokuho_domain::burden::parse_month(f.month.trim()).ok_or_else(|| {
                AppError::invalid(
                    "service_month",
                    "month must be YYYY-MM",
                    "診療年月は 2026-09 の形式で入力してください",
                )
            })?,
        },
        BenefitKind::ChildbirthGrant => EventInput::Childbirth {
            born_on: date_field("born_on", &f.on)?,
            children: match number(&f.children) {
                None => 1,
                Some(n) => n.and_then(|n| u8::try_from(n).ok()).ok_or_else(|| {
                    AppError::invalid(
                        "children",
                        "children: a number",
                        "出生児数を半角数字で入力してください",
                    )
                })?,
            },
            gestation_days: number(&f.weeks)
                .flatten()
                .ok_or_else(|| {
                    AppError::invalid(
                        "gestation_days",
                        "weeks of pregnancy",
                        "妊娠週数を入力してください",
                    )
                })?
                .saturating_mul(7)
                .saturating_add(match number(&f.days) {
                    None => 0,
                    Some(d) => d.filter(|d| *d < 7).ok_or_else(|| {
                        AppError::invalid(
                            "gestation_days",
                            "days: 0 to 6",
                            "妊娠日数は0〜6で入力してください",
                        )
                    })?,
                }),
            compensation_covered: f.compensation.is_some(),
            paid_directly: yen_field("paid_directly", &f.paid_directly, Some(0))?,
        },
        BenefitKind::FuneralGrant => {
            let died = date_field("service_on", &f.on)?;
            EventInput::Funeral {
                died_on: died,
                funeral_on: if f.funeral_on.trim().is_empty() {
                    died
                } else {
                    date_field("funeral_on", &f.funeral_on)?
                },
            }
        }
        BenefitKind::Reimbursement => EventInput::Reimbursement {
            kind: ReimbursementType::parse(&f.r#type).ok_or_else(|| {
                AppError::invalid("type", "unknown type", "療養費の種類を選んでください")
            })?,
            service_on: date_field("service_on", &f.on)?,
            cost: yen_field("cost", &f.cost, None)?,
            reference: f.reference.trim().to_string(),
        },
        BenefitKind::MealDifference => {
            let first = date_field("first_meal_on", &f.on)?;
            EventInput::MealDifference {
                first_meal_on: first,
                last_meal_on: if f.until.trim().is_empty() {
                    first
                } else {
                    date_field("last_meal_on", &f.until)?
                },
                meals: f.meals.trim().parse().map_err(|_| {
                    AppError::invalid(
                        "meals",
                        "meals: a number",
                        "食数を半角数字で入力してください",
                    )
                })?,
                long_stay: f.long_stay.is_some(),
            }
        }
        BenefitKind::TransportBenefit => EventInput::Transport {
            moved_on: date_field("service_on", &f.on)?,
            paid: yen_field("paid", &f.cost, None)?,
            economical: yen_field("economical", &f.economical, None)?,
        },
    };
    Ok(ApplicationInput {
        addressee_id: f.addressee_id.trim().to_string(),
        event,
        received_on: if f.received_on.trim().is_empty() {
            kokuho_app::local_date(now())
        } else {
            date_field("received_on", &f.received_on)?
        },
        applicant: f.applicant.clone(),
        documents: f.documents.clone(),
        payee_id: Some(f.payee_id.trim().to_string()).filter(|p| !p.is_empty()),
        application_account: f.application_account.is_some(),
        payee_basis: if f.payee_basis.trim().is_empty() {
            PayeeBasis::Entitled
        } else {
            PayeeBasis::parse(&f.payee_basis).ok_or_else(|| {
                AppError::invalid(
                    "payee_basis",
                    "payee_basis: entitled, heir or proxy",
                    "受取人の区分を選んでください",
                )
            })?
        },
        entitled_id: Some(f.entitled_id.trim().to_string()).filter(|p| !p.is_empty()),
        simplified_route: f.simplified_route.is_some(),
    })
}

async fn apply(State(app): State<Kokuho>, user: UiUser, Form(f): Form<ApplyForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused("給付", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    if let Err(e) = s.require(Permission::BenefitApply, now()).await {
        return refused("給付", &e);
    }
    let outcome = match input_of(&f) {
        Ok(i) => s.receive_application(&i, now()).await.map(|v| {
            format!(
                "受付番号 {}：{} {}を受け付けました（審査待ち）。{}",
                v.application_id,
                v.kind_label,
                yen(v.amount),
                v.steps.join("／")
            )
        }),
        Err(e) => Err(e),
    };
    show(&app, &user, &f.kind, Some(outcome), None).await
}

#[derive(Deserialize)]
struct DecideForm {
    csrf: String,
    id: i64,
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn decide(State(app): State<Kokuho>, user: UiUser, Form(f): Form<DecideForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused("給付", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let decision = if f.decision == "pay" {
        Decision::Pay
    } else {
        Decision::Refuse {
            reason: f.reason.clone(),
        }
    };
    let outcome = s
        .decide_application(f.id, &decision, kokuho_app::local_date(now()), now())
        .await
        .map(|v| {
            format!(
                "受付番号 {}：{}（{}）",
                v.application_id,
                v.status,
                yen(v.amount)
            )
        });
    show(&app, &user, "", Some(outcome), None).await
}

#[derive(Deserialize)]
struct HistoryForm {
    csrf: String,
    person: String,
}

async fn history(State(app): State<Kokuho>, user: UiUser, Form(f): Form<HistoryForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused("給付", &e);
    }
    show(&app, &user, "", None, Some(f.person.trim())).await
}

#[derive(Deserialize)]
struct RevokeForm {
    csrf: String,
    person: String,
    id: i64,
    #[serde(default)]
    reason: String,
}

/// A supervisor revokes a decision to pay before any money went (the
/// payee died, or it was wrong), from the person's history.
async fn revoke(State(app): State<Kokuho>, user: UiUser, Form(f): Form<RevokeForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused("給付", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let today = kokuho_app::local_date(now());
    let outcome = s
        .revoke_decision(f.id, today, &f.reason, now())
        .await
        .map(|v| {
            format!(
                "受付番号 {} の支給決定を取り消しました（{}）。相続人などの申請は改めて受け付けます。",
                v.application_id,
                f.reason.trim()
            )
        });
    show(&app, &user, "", Some(outcome), Some(f.person.trim())).await
}

// ------------------------------------------------------------ payments

struct RunLine {
    id: i64,
    status: &'static str,
    status_label: &'static str,
    due_by: String,
    pay_on: String,
    transfers: i64,
    total: String,
    without_account: i64,
    payee_died: i64,
    created_by: String,
    approved_by: String,
    file: String,
}

fn run_line(r: &RunView) -> RunLine {
    RunLine {
        id: r.run_id,
        status: r.status,
        status_label: r.status_label,
        due_by: wareki_of(r.due_by),
        pay_on: wareki_of(r.pay_on),
        transfers: r.transfers,
        total: yen(r.total),
        without_account: r.without_account,
        payee_died: r.payee_died,
        created_by: r.created_by.clone(),
        approved_by: r.approved_by.clone().unwrap_or_default(),
        file: match (&r.file_sha256, r.file_bytes) {
            (Some(h), Some(b)) => format!("{b} バイト（SHA-256 {}…）", &h[..h.len().min(16)]),
            _ => String::new(),
        },
    }
}

#[derive(Template)]
#[template(path = "payments.html")]
struct PaymentsPage {
    user: Option<UserBar>,
    csrf: String,
    today: String,
    notice: Option<String>,
    error: Option<String>,
    runs: Vec<RunLine>,
}

async fn payments_show(
    app: &Kokuho,
    user: &UiUser,
    outcome: Option<Result<String, AppError>>,
) -> Response {
    let s = Session {
        app,
        actor: &user.actor,
    };
    let runs = match s.payment_runs(50, now()).await {
        Ok(r) => r.iter().map(run_line).collect(),
        Err(e) => return refused("支払", &e),
    };
    let (mut notice, mut error, mut status) = (None, None, StatusCode::OK);
    match outcome {
        Some(Ok(n)) => notice = Some(n),
        Some(Err(e)) => {
            status = status_of(&e);
            error = Some(e.message_ja());
        }
        None => {}
    }
    render(
        PaymentsPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            today: kokuho_app::local_date(now()).to_string(),
            notice,
            error,
            runs,
        },
        status,
    )
}

async fn payments_page(State(app): State<Kokuho>, user: UiUser) -> Response {
    payments_show(&app, &user, None).await
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: String,
    date: String,
    #[serde(default)]
    pay_on: String,
}

async fn create_run(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<CreateForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused("支払", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let outcome = async {
        let due = date_field("date", &f.date)?;
        let pay_on = if f.pay_on.trim().is_empty() {
            due
        } else {
            date_field("pay_on", &f.pay_on)?
        };
        s.create_payment_run(due, pay_on, now()).await
    }
    .await
    .map(|r| {
        format!(
            "支払 第{}回を作成しました：{} 件 {}（承認待ち）",
            r.run_id,
            r.transfers,
            yen(r.total)
        )
    });
    payments_show(&app, &user, Some(outcome)).await
}

#[derive(Template)]
#[template(path = "payment_run.html")]
struct RunPage {
    user: Option<UserBar>,
    csrf: String,
    run: RunLine,
    notice: Option<String>,
    error: Option<String>,
    may_approve: bool,
    whole: bool,
    payments: Vec<PaymentView>,
    amounts: Vec<String>,
    more: usize,
}

async fn run_show(
    app: &Kokuho,
    user: &UiUser,
    id: i64,
    outcome: Option<Result<String, AppError>>,
) -> Response {
    let s = Session {
        app,
        actor: &user.actor,
    };
    let (run, rows) = match s.payment_list(id, now()).await {
        Ok(v) => v,
        Err(e) => return refused("支払", &e),
    };
    let (mut notice, mut error, mut status) = (None, None, StatusCode::OK);
    match outcome {
        Some(Ok(n)) => notice = Some(n),
        Some(Err(e)) => {
            status = status_of(&e);
            error = Some(e.message_ja());
        }
        None => {}
    }
    let more = rows.len().saturating_sub(SHOWN);
    let payments: Vec<PaymentView> = rows.into_iter().take(SHOWN).collect();
    render(
        RunPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            run: run_line(&run),
            notice,
            error,
            may_approve: user.may(Permission::PaymentApprove),
            whole: user.may(Permission::PaymentAccountReveal),
            amounts: payments.iter().map(|p| yen(p.amount)).collect(),
            payments,
            more,
        },
        status,
    )
}

async fn run_page(State(app): State<Kokuho>, user: UiUser, Path(id): Path<i64>) -> Response {
    run_show(&app, &user, id, None).await
}

#[derive(Deserialize)]
struct ActionForm {
    csrf: String,
    action: String,
    #[serde(default)]
    reason: String,
    /// 受付番号 of returned transfers, separated by spaces or commas
    #[serde(default)]
    applications: String,
}

async fn run_action(
    State(app): State<Kokuho>,
    user: UiUser,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused("支払", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let outcome = match f.action.as_str() {
        "approve" => s
            .approve_payment_run(id, now())
            .await
            .map(|_| "承認しました".to_string()),
        "cancel" => s
            .cancel_payment_run(id, now())
            .await
            .map(|_| "取り消しました。給付は支払待ちに戻りました".to_string()),
        "sent" => s
            .mark_payment_run_sent(id, now())
            .await
            .map(|_| "送信済みにしました。各振込を支払済みとしました".to_string()),
        "failed" => s
            .mark_payment_run_failed(id, &f.reason, now())
            .await
            .map(|_| "送信失敗にしました。給付は支払待ちに戻りました".to_string()),
        "return" => {
            let ids: Result<Vec<i64>, _> = f
                .applications
                .split([' ', ',', '、', '\n'])
                .filter(|t| !t.trim().is_empty())
                .map(|t| t.trim().parse::<i64>())
                .collect();
            match ids {
                Ok(ids) => s
                    .return_transfers(id, &ids, &f.reason, now())
                    .await
                    .map(|(_, n)| format!("{n} 件の振込を不能とし、支払待ちに戻しました")),
                Err(_) => Err(AppError::invalid(
                    "application",
                    "受付番号 must be numbers",
                    "受付番号は半角数字で入力してください",
                )),
            }
        }
        _ => Err(AppError::invalid(
            "action",
            "unknown action",
            "操作が正しくありません",
        )),
    };
    if let Err(e @ AppError::Forbidden { .. }) = &outcome {
        return refused("支払", e);
    }
    run_show(&app, &user, id, Some(outcome)).await
}

/// The bank's return file (振込不能, in the 総合振込 layout): the transfers
/// it names go back to the queue, all or none.
async fn run_return_file(
    State(app): State<Kokuho>,
    user: UiUser,
    Path(id): Path<i64>,
    mut m: axum::extract::Multipart,
) -> Response {
    let (mut csrf, mut reason, mut name, mut bytes) =
        (String::new(), String::new(), String::new(), Vec::new());
    let mut unreadable = false;
    loop {
        match m.next_field().await {
            Ok(Some(field)) => match field.name().unwrap_or_default() {
                "csrf" => csrf = field.text().await.unwrap_or_default(),
                "reason" => reason = field.text().await.unwrap_or_default(),
                "file" => {
                    // only the base name: a browser may send a path
                    name = field
                        .file_name()
                        .unwrap_or_default()
                        .rsplit(['/', '\\'])
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    match field.bytes().await {
                        Ok(b) => bytes = b.to_vec(),
                        Err(_) => unreadable = true,
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                unreadable = true;
                break;
            }
        }
    }
    if let Err(e) = check_form(&app, &user, &csrf).await {
        return refused("支払", &e);
    }
    let outcome = if unreadable || bytes.is_empty() {
        Err(AppError::invalid(
            "file",
            "choose the bank's return file",
            "金融機関から返された振込不能のファイルを選んでください",
        ))
    } else {
        Session {
            app: &app,
            actor: &user.actor,
        }
        .return_transfers_from_file(id, &name, &bytes, &reason, now())
        .await
        .map(|(_, n)| {
            format!("返却ファイル {name} の {n} 件の振込を不能とし、支払待ちに戻しました")
        })
    };
    if let Err(e @ AppError::Forbidden { .. }) = &outcome {
        return refused("支払", e);
    }
    run_show(&app, &user, id, Some(outcome)).await
}

#[derive(Deserialize)]
struct FileForm {
    csrf: String,
}

/// Writes the approved run's transfer file and hands it over as a download.
async fn run_file(
    State(app): State<Kokuho>,
    user: UiUser,
    Path(id): Path<i64>,
    Form(f): Form<FileForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused("支払", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    match s.write_payment_file(id, now()).await {
        Ok((bytes, _)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"zengin-run-{id}.txt\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e @ AppError::Forbidden { .. }) => refused("支払", &e),
        Err(e) => run_show(&app, &user, id, Some(Err(e))).await,
    }
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
    match s.payment_list_csv(id, encoding, Vec::new(), now()).await {
        Ok((bytes, _)) => csv_download(bytes, encoding, &format!("payment-run-{id}")),
        Err(e) => refused("支払", &e),
    }
}
