//! 支給額計算結果連絡票 received, on screen: a person's notices from the
//! insurer that computed a year (外来年間合算 or 高額介護合算) after the
//! person left, with the form that enters one and a button that voids one.
//! The application itself is taken on the benefits page, as for the kind.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use kokuho_app::session::Session;
use kokuho_app::share_notice::ShareNoticeInput;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::benefit::BenefitKind;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::levy_ui::yen;
use crate::ui::{UiUser, UserBar, check_form, refusal_page, render};

const TITLE: &str = "支給額計算結果連絡票（他の保険者の計算）";

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/benefits/share-notices", post(page))
        .route("/ui/benefits/share-notices/record", post(record))
        .route("/ui/benefits/share-notices/void", post(void))
}

struct NoticeLine {
    notice_id: i64,
    kind: String,
    year: i64,
    issuer: String,
    reference: String,
    notified_on: String,
    base_date: String,
    amount: String,
    recorded_by: String,
    voided: bool,
}

#[derive(Template)]
#[template(path = "share_notices.html")]
struct NoticesPage {
    user: Option<UserBar>,
    csrf: String,
    person: String,
    notices: Vec<NoticeLine>,
    notice: Option<String>,
    error: Option<String>,
    form: NoticeForm,
}

#[derive(Clone, Default, Deserialize)]
struct NoticeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    notified_on: String,
    #[serde(default)]
    base_date: String,
    #[serde(default)]
    amount: String,
}

#[derive(Deserialize)]
struct PersonForm {
    csrf: String,
    person: String,
}

#[derive(Deserialize)]
struct VoidForm {
    csrf: String,
    person: String,
    #[serde(default)]
    notice_id: String,
}

fn refused(e: &AppError) -> Response {
    crate::high_cost_ui::refused_as(TITLE, e)
}

async fn show(
    app: &Kokuho,
    user: &UiUser,
    person: &str,
    notice: Option<String>,
    problem: Option<(AppError, NoticeForm)>,
) -> Response {
    let s = Session {
        app,
        actor: &user.actor,
    };
    let notices = match s.share_notices(person, OffsetDateTime::now_utc()).await {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (error, form) = match problem {
        Some((e, f)) => (Some(e.message_ja()), f),
        None => (None, NoticeForm::default()),
    };
    render(
        NoticesPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            person: person.trim().to_string(),
            notices: notices
                .iter()
                .map(|n| NoticeLine {
                    notice_id: n.notice_id,
                    kind: n.kind_label.to_string(),
                    year: n.year,
                    issuer: n.issuer.clone(),
                    reference: n.reference.clone(),
                    notified_on: n.notified_on.to_string(),
                    base_date: n.base_date.to_string(),
                    amount: yen(n.amount),
                    recorded_by: n.recorded_by.clone(),
                    voided: n.voided,
                })
                .collect(),
            notice,
            error,
            form,
        },
        status,
    )
}

async fn page(State(app): State<Kokuho>, user: UiUser, Form(f): Form<PersonForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, TITLE, &e);
    }
    show(&app, &user, &f.person, None, None).await
}

fn date_of(field: &'static str, s: &str) -> Result<time::Date, AppError> {
    kokuho_domain::wareki::parse_date(s.trim()).map_err(|_| {
        AppError::invalid(
            field,
            "a date YYYY-MM-DD",
            "日付は 2026-10-15 の形式（または和暦）で入力してください",
        )
    })
}

fn input_of(f: &NoticeForm) -> Result<ShareNoticeInput, AppError> {
    let kind = match f.kind.as_str() {
        "annual_outpatient" => BenefitKind::AnnualOutpatient,
        "combined_care" => BenefitKind::CombinedCare,
        _ => {
            return Err(AppError::invalid(
                "kind",
                "annual_outpatient or combined_care",
                "連絡票の種類を選んでください",
            ));
        }
    };
    let year = f.year.trim().parse().map_err(|_| {
        AppError::invalid(
            "year",
            "year: the year of the period's August",
            "年度（計算期間の8月の年）を半角数字で入力してください",
        )
    })?;
    let amount = crate::combined_care_ui::amount_of("amount", &f.amount)?;
    Ok(ShareNoticeInput {
        addressee_id: f.person.trim().to_string(),
        kind,
        year,
        issuer: f.issuer.clone(),
        reference: f.reference.clone(),
        notified_on: date_of("notified_on", &f.notified_on)?,
        base_date: date_of("base_date", &f.base_date)?,
        amount,
    })
}

async fn record(State(app): State<Kokuho>, user: UiUser, Form(f): Form<NoticeForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, TITLE, &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let outcome = match input_of(&f) {
        Ok(n) => s.record_share_notice(&n, OffsetDateTime::now_utc()).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(id) => {
            let notice = format!(
                "連絡票（入力{id}、保険者 {}）を記録しました。給付の画面で申請を受け付けると、この支給額を支給します。",
                f.issuer.trim()
            );
            show(&app, &user, &f.person, Some(notice), None).await
        }
        Err(e @ AppError::Forbidden { .. }) => refused(&e),
        Err(e) => {
            let person = f.person.clone();
            show(&app, &user, &person, None, Some((e, f))).await
        }
    }
}

async fn void(State(app): State<Kokuho>, user: UiUser, Form(f): Form<VoidForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, TITLE, &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let outcome = match f.notice_id.trim().parse::<i64>() {
        Ok(id) => s.void_share_notice(id, OffsetDateTime::now_utc()).await,
        Err(_) => Err(AppError::invalid(
            "notice_id",
            "notice_id: a number",
            "入力番号が正しくありません",
        )),
    };
    match outcome {
        Ok(r) => {
            let notice = format!(
                "入力{}（保険者 {}）を取り消しました。",
                r.notice_id, r.issuer
            );
            show(&app, &user, &f.person, Some(notice), None).await
        }
        Err(e @ AppError::Forbidden { .. }) => refused(&e),
        Err(e) => {
            show(
                &app,
                &user,
                &f.person,
                None,
                Some((e, NoticeForm::default())),
            )
            .await
        }
    }
}
