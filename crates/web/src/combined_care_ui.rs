//! 高額介護合算療養費 on screen: a person's year — the household of the
//! base date, each member's medical and care copays and shares, the steps —
//! and the certificates of the care insurer and other medical insurers,
//! with the form that enters them. The application itself is taken on the
//! benefits page.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use kokuho_app::combined_care::{CertificateInput, CombinedCareYear, Side};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::burden_ui::wareki_month;
use crate::levy_ui::yen;
use crate::ui::{UiUser, UserBar, check_form, refusal_page, render};

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/benefits/combined-care", post(year_page))
        .route(
            "/ui/benefits/combined-care/certificate",
            post(add_certificate),
        )
        .route("/ui/benefits/combined-care/void", post(void_certificate))
        .route("/ui/benefits/combined-care/result", post(result_pdf))
}

struct MemberLine {
    person: String,
    medical_here: String,
    annual_outpatient: String,
    medical_other: String,
    care: String,
    medical_share: String,
    care_share: String,
}

struct CertificateLine {
    entry: i64,
    side: String,
    issuer: String,
    certificate: String,
    months: String,
    amount: String,
    amount_70_74: String,
    recorded_by: String,
    voided: bool,
}

struct YearView {
    base_date: String,
    household: String,
    householder: String,
    categories: String,
    members: Vec<MemberLine>,
    medical: String,
    care: String,
    provisional: bool,
    care_missing: bool,
    steps: Vec<String>,
}

#[derive(Template)]
#[template(path = "combined_care.html")]
struct YearPage {
    user: Option<UserBar>,
    csrf: String,
    person: String,
    year: String,
    period: String,
    result: Option<YearView>,
    /// why the year could not be computed
    result_error: Option<String>,
    certificates: Vec<CertificateLine>,
    notice: Option<String>,
    error: Option<String>,
    form: CertificateForm,
}

#[derive(Clone, Default, Deserialize)]
struct CertificateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    side: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    certificate: String,
    #[serde(default)]
    from_month: String,
    #[serde(default)]
    to_month: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    amount_70_74: String,
}

#[derive(Deserialize)]
struct YearForm {
    csrf: String,
    person: String,
    year: String,
}

#[derive(Deserialize)]
struct VoidForm {
    csrf: String,
    person: String,
    year: String,
    #[serde(default)]
    entry: String,
}

/// The 支給額計算結果連絡票 for the care insurer, as a PDF (recorded and
/// logged like every document); a refusal is shown on the year's page.
async fn result_pdf(State(app): State<Kokuho>, user: UiUser, Form(f): Form<YearForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "高額介護合算療養費", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let issued = async {
        let person = kokuho_domain::id::AddresseeId::parse(f.person.trim())
            .map_err(|e| AppError::from(e).for_field("person"))?;
        s.issue_document(
            kokuho_app::documents::DocumentKind::CombinedCareResult,
            &kokuho_app::documents::Subject::PersonYear {
                person,
                year: year_of(&f.year)?,
            },
            Default::default(),
            OffsetDateTime::now_utc(),
        )
        .await
    }
    .await;
    match issued {
        Ok(i) => crate::documents_ui::pdf(i),
        Err(e @ AppError::Forbidden { .. }) => refused(&e),
        Err(e) => {
            show(
                &app,
                &user,
                &f.person,
                &f.year,
                None,
                Some((e, CertificateForm::default())),
            )
            .await
        }
    }
}

fn refused(e: &AppError) -> Response {
    crate::high_cost_ui::refused_as("高額介護合算療養費", e)
}

fn year_of(s: &str) -> Result<i32, AppError> {
    s.trim().parse().map_err(|_| {
        AppError::invalid(
            "year",
            "year: the year of the period's August",
            "年度（計算期間の8月の年）を半角数字で入力してください",
        )
    })
}

fn view_of(y: &CombinedCareYear) -> YearView {
    YearView {
        base_date: format!(
            "{}{}",
            y.base_date,
            if y.base_date_provisional {
                "（年度途中の喪失の前日・暫定）"
            } else {
                ""
            }
        ),
        household: y.household_number.clone(),
        householder: y.householder_id.clone().unwrap_or_else(|| "—".into()),
        categories: format!(
            "70歳未満 {}／70〜74歳 {}",
            y.category_under_70.as_deref().unwrap_or("—"),
            y.category_70_74.as_deref().unwrap_or("—")
        ),
        members: y
            .members
            .iter()
            .map(|m| MemberLine {
                person: m.addressee_id.clone(),
                medical_here: yen(m.medical_here),
                annual_outpatient: yen(m.annual_outpatient),
                medical_other: yen(m.medical_other),
                care: yen(m.care),
                medical_share: yen(m.medical_share),
                care_share: yen(m.care_share),
            })
            .collect(),
        medical: yen(y.medical),
        care: yen(y.care),
        provisional: y.provisional,
        care_missing: y.care_missing,
        steps: y.steps.clone(),
    }
}

async fn show(
    app: &Kokuho,
    user: &UiUser,
    person: &str,
    year_text: &str,
    notice: Option<String>,
    problem: Option<(AppError, CertificateForm)>,
) -> Response {
    let s = Session {
        app,
        actor: &user.actor,
    };
    let now = OffsetDateTime::now_utc();
    let year = match year_of(year_text) {
        Ok(y) => y,
        Err(e) => return refused(&e),
    };
    let certificates = match s.combined_care_certificates(person, year, now).await {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    let (result, result_error) = match s.combined_care_year(person, year, now).await {
        Ok(y) => (Some(view_of(&y)), None),
        Err(e @ AppError::Forbidden { .. }) => return refused(&e),
        Err(e) => (None, Some(e.message_ja())),
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (error, form) = match problem {
        Some((e, f)) => (Some(e.message_ja()), f),
        None => (None, CertificateForm::default()),
    };
    render(
        YearPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            person: person.trim().to_string(),
            year: year.to_string(),
            period: format!(
                "{}〜{}",
                wareki_month(&format!("{year}-08")),
                wareki_month(&format!("{}-07", year + 1))
            ),
            result,
            result_error,
            certificates: certificates
                .iter()
                .map(|c| CertificateLine {
                    entry: c.entry_id,
                    side: c.side_label.to_string(),
                    issuer: c.issuer.clone(),
                    certificate: c.certificate.clone(),
                    months: format!(
                        "{}〜{}",
                        wareki_month(&c.from_month),
                        wareki_month(&c.to_month)
                    ),
                    amount: yen(c.amount),
                    amount_70_74: yen(c.amount_70_74),
                    recorded_by: c.recorded_by.clone(),
                    voided: c.voided,
                })
                .collect(),
            notice,
            error,
            form,
        },
        status,
    )
}

async fn year_page(State(app): State<Kokuho>, user: UiUser, Form(f): Form<YearForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "高額介護合算療養費", &e);
    }
    show(&app, &user, &f.person, &f.year, None, None).await
}

pub(crate) fn amount_of(field: &'static str, s: &str) -> Result<i64, AppError> {
    // full-width digits as typed at a Japanese keyboard, separators dropped
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | '円'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    if t.is_empty() {
        return Ok(0);
    }
    t.parse().map_err(|_| {
        AppError::invalid(
            field,
            "an amount in yen",
            "金額は半角数字（円）で入力してください",
        )
    })
}

async fn add_certificate(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<CertificateForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "高額介護合算療養費", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let input = (|| {
        Ok::<_, AppError>(CertificateInput {
            addressee_id: f.person.trim().to_string(),
            year: year_of(&f.year)?,
            side: Side::parse(&f.side).ok_or_else(|| {
                AppError::invalid("side", "care or medical", "証明書の種類を選んでください")
            })?,
            issuer: f.issuer.clone(),
            certificate: f.certificate.clone(),
            from_month: f.from_month.clone(),
            to_month: f.to_month.clone(),
            amount: amount_of("amount", &f.amount)?,
            amount_70_74: amount_of("amount_70_74", &f.amount_70_74)?,
        })
    })();
    let outcome = match input {
        Ok(c) => {
            s.record_combined_care_certificate(&c, OffsetDateTime::now_utc())
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(id) => {
            let notice = format!(
                "証明書（入力{id}、保険者 {}）を記録しました。",
                f.issuer.trim()
            );
            show(&app, &user, &f.person, &f.year, Some(notice), None).await
        }
        Err(e @ AppError::Forbidden { .. }) => refused(&e),
        Err(e) => {
            let (person, year) = (f.person.clone(), f.year.clone());
            show(&app, &user, &person, &year, None, Some((e, f))).await
        }
    }
}

async fn void_certificate(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<VoidForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "高額介護合算療養費", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let entry =
        f.entry.trim().parse::<i64>().map_err(|_| {
            AppError::invalid("entry", "entry: a number", "入力番号が正しくありません")
        });
    let outcome = match entry {
        Ok(e) => {
            s.void_combined_care_certificate(e, OffsetDateTime::now_utc())
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(r) => {
            let notice = format!("入力{}（保険者 {}）を取り消しました。", f.entry, r.issuer);
            show(&app, &user, &f.person, &f.year, Some(notice), None).await
        }
        Err(e @ AppError::Forbidden { .. }) => refused(&e),
        Err(e) => {
            show(
                &app,
                &user,
                &f.person,
                &f.year,
                None,
                Some((e, CertificateForm::default())),
            )
            .await
        }
    }
}
