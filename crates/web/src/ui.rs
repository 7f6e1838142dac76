//! The staff screens (窓口画面): server-rendered Japanese HTML over the same
//! guarded use cases as the API. Forms carry the session's CSRF token; no
//! personal data travels in a URL (searches and person pages are POSTs) or a
//! page title.

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kokuho_app::access::{Actor, IDLE_TIMEOUT};
use kokuho_app::registry::PersonSearch;
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::access::{Permission, Role};
use kokuho_domain::eligibility::{self as rules, AcquisitionReason, LossReason};
use kokuho_domain::wareki;
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use crate::auth::{COOKIE, CookiePolicy, client_of, cookie_token};

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui", get(search_page))
        .route("/ui/signin", get(signin_page).post(signin))
        .route("/ui/signout", post(signout))
        .route("/ui/search", post(search))
        .route("/ui/person", post(person))
        .route("/ui/eligibility/preview", post(change_preview))
        .route("/ui/eligibility/register", post(change_register))
        .route("/ui/proposals", get(proposals_page))
        .route("/ui/audit", get(audit_page).post(audit_search))
        .route("/ui/audit/self-inspection", post(audit_inspection))
        .route("/ui/proposals/confirm", post(proposal_confirm))
        .route("/ui/proposals/reject", post(proposal_reject))
        .merge(crate::jobs_ui::routes())
        .merge(crate::burden_ui::routes())
        .merge(crate::claims_ui::routes())
        .merge(crate::high_cost_ui::routes())
        .merge(crate::annual_outpatient_ui::routes())
        .merge(crate::combined_care_ui::routes())
        .merge(crate::share_notice_ui::routes())
        .merge(crate::yearly_cap_ui::routes())
        .merge(crate::exchange_ui::routes())
        .merge(crate::statistics_ui::routes())
        .merge(crate::benefits_ui::routes())
        .merge(crate::documents_ui::routes())
        .merge(crate::levy_ui::routes())
        .route(
            "/static/app.css",
            get(|| async { asset("text/css; charset=utf-8", include_str!("../static/app.css")) }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../static/app.js"),
                )
            }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Who is signed in, for the header bar.
pub struct UserBar {
    pub account: String,
    pub role_label: String,
    pub csrf: String,
    pub idle_seconds: i64,
    pub idle_minutes: i64,
    pub auditor: bool,
    /// may start or follow imports and batches
    pub jobs: bool,
    /// may import and check claims
    pub claims: bool,
    /// may receive benefit applications or make payment runs
    pub benefits: bool,
    /// may see and judge the exchange with the federation
    pub exchange: bool,
    /// may see the statistics and produce the reports
    pub statistics: bool,
}

/// An error placed next to the field it speaks of; one that names no field
/// on the form is shown above it.
#[derive(Default)]
pub struct FieldError {
    field: Option<String>,
    message: String,
}

impl FieldError {
    /// Splits an error into the part for a field of `fields` and the part
    /// for the top of the form.
    pub fn place(e: &AppError, fields: &[&str]) -> (FieldError, Option<String>) {
        match e.field().filter(|f| fields.contains(f)) {
            Some(f) => (
                FieldError {
                    field: Some(f.to_string()),
                    message: e.message_ja(),
                },
                None,
            ),
            None => (FieldError::default(), Some(e.message_ja())),
        }
    }

    pub fn is(&self, f: &str) -> bool {
        self.field.as_deref() == Some(f)
    }

    pub fn at(&self, f: &str) -> Option<&str> {
        self.is(f).then_some(self.message.as_str())
    }

    /// The field and its message, whichever field it is.
    pub fn any(&self) -> Option<(&str, &str)> {
        self.field.as_deref().map(|f| (f, self.message.as_str()))
    }
}

/// A signed-in staff member on a screen; anyone else is sent to sign in.
pub struct UiUser {
    pub(crate) actor: Actor,
    token: String,
    pub(crate) csrf: String,
}

impl UiUser {
    pub(crate) fn may(&self, p: Permission) -> bool {
        kokuho_domain::access::allowed(
            self.actor.role,
            &self.actor.grants,
            p,
            kokuho_app::local_date(OffsetDateTime::now_utc()),
        )
    }

    pub(crate) fn bar(&self) -> UserBar {
        UserBar {
            account: self.actor.account.clone(),
            role_label: self.actor.role.label_ja().to_string(),
            csrf: self.csrf.clone(),
            idle_seconds: IDLE_TIMEOUT.whole_seconds(),
            idle_minutes: IDLE_TIMEOUT.whole_minutes(),
            auditor: self.actor.role == Role::Auditor,
            jobs: self.may(Permission::RegistryImport)
                || self.may(Permission::AgeJob)
                || self.may(Permission::IncomeImport)
                || self.may(Permission::LevyAssess)
                || self.may(Permission::ClaimsImport),
            claims: self.may(Permission::ClaimsImport),
            benefits: self.may(Permission::BenefitApply) || self.may(Permission::PaymentRun),
            exchange: self.may(Permission::Exchange),
            statistics: self.may(Permission::Statistics),
        }
    }
}

impl FromRequestParts<Kokuho> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Kokuho) -> Result<Self, Self::Rejection> {
        let to_signin = || Redirect::to("/ui/signin").into_response();
        let Some(token) = cookie_token(&parts.headers) else {
            return Err(to_signin());
        };
        // Forms check their CSRF field themselves (it is in the body).
        match app
            .resume_session(
                &token,
                None,
                false,
                &client_of(parts),
                OffsetDateTime::now_utc(),
            )
            .await
        {
            Ok((actor, csrf)) => Ok(UiUser { actor, token, csrf }),
            Err(_) => Err(to_signin()),
        }
    }
}

/// A signed-in staff member whose page reads by itself (a job's progress):
/// the session is checked but not kept alive, and nothing is written.
pub struct UiReader(pub UiUser);

impl FromRequestParts<Kokuho> for UiReader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Kokuho) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie_token(&parts.headers) else {
            return Err(StatusCode::UNAUTHORIZED.into_response());
        };
        match app
            .peek_session(&token, &client_of(parts), OffsetDateTime::now_utc())
            .await
        {
            Ok((actor, csrf)) => Ok(UiReader(UiUser { actor, token, csrf })),
            Err(_) => Err(StatusCode::UNAUTHORIZED.into_response()),
        }
    }
}

/// A bare page saying why a screen was refused (no personal data in it).
pub(crate) fn refusal_page(status: StatusCode, title: &str, e: &AppError) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><p id=\"forbidden\">{}</p><p><a href=\"/ui\">検索に戻る</a></p></body></html>",
            e.message_ja()
        )),
    )
        .into_response()
}

/// `?encoding=utf-8|cp932` of a CSV download (UTF-8 when absent or unknown).
#[derive(Deserialize)]
pub(crate) struct CsvQuery {
    #[serde(default)]
    encoding: Option<String>,
}

impl CsvQuery {
    pub(crate) fn encoding(&self) -> kokuho_app::Encoding {
        self.encoding
            .as_deref()
            .and_then(kokuho_app::Encoding::parse)
            .unwrap_or(kokuho_app::Encoding::Utf8)
    }
}

/// A CSV download in the encoding it was written in, saved as
/// `{stem}-{encoding}.csv`.
pub(crate) fn csv_download(bytes: Vec<u8>, encoding: kokuho_app::Encoding, stem: &str) -> Response {
    let charset = if encoding == kokuho_app::Encoding::Cp932 {
        "Shift_JIS"
    } else {
        "utf-8"
    };
    (
        [
            (header::CONTENT_TYPE, format!("text/csv; charset={charset}")),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}-{}.csv\"", encoding.name()),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) fn render(t: impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "画面の表示に失敗しました",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    user: Option<UserBar>,
    error: Option<String>,
}

async fn signin_page() -> Response {
    render(
        SigninPage {
            user: None,
            error: None,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct SigninForm {
    account: String,
    password: String,
    code: String,
}

async fn signin(
    State(app): State<Kokuho>,
    axum::Extension(policy): axum::Extension<CookiePolicy>,
    crate::auth::Client(client): crate::auth::Client,
    Form(f): Form<SigninForm>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let signed = match app
        .sign_in(&f.account, &f.password, &f.code, &client, now)
        .await
    {
        Ok(actor) => app.start_session(&actor, now).await,
        Err(e) => Err(e),
    };
    match signed {
        Ok(s) => {
            let cookie = format!(
                "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
                s.token,
                kokuho_app::access::ABSOLUTE_TIMEOUT.whole_seconds(),
                if policy.secure { "; Secure" } else { "" }
            );
            let mut res = Redirect::to("/ui").into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => render(
            SigninPage {
                user: None,
                error: Some(e.message_ja()),
            },
            StatusCode::UNAUTHORIZED,
        ),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn signout(State(app): State<Kokuho>, user: UiUser, Form(f): Form<CsrfForm>) -> Response {
    let now = OffsetDateTime::now_utc();
    if app
        .resume_session(&user.token, Some(&f.csrf), true, "-", now)
        .await
        .is_ok()
    {
        let _ = app.end_session(&user.token, &user.actor, now).await;
    }
    let mut res = Redirect::to("/ui/signin").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize, Default)]
struct SearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kana: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    addressee_id: String,
    #[serde(default)]
    insured_symbol: String,
    #[serde(default)]
    insured_number: String,
    #[serde(default)]
    my_number: String,
    #[serde(default)]
    my_number_reason: String,
}

/// The search form's fields, as errors name them.
const SEARCH_FIELDS: [&str; 8] = [
    "kana",
    "name",
    "birth_date",
    "addressee_id",
    "insured_symbol",
    "insured_number",
    "my_number",
    "my_number_reason",
];

struct ResultRow {
    addressee_id: String,
    name: String,
    name_kana: String,
    birth_wareki: String,
    birth_date: String,
    sex: String,
    address: String,
    status: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    user: Option<UserBar>,
    csrf: String,
    can_use_my_number: bool,
    form: SearchForm,
    ferr: FieldError,
    error: Option<String>,
    searched: bool,
    results: Vec<ResultRow>,
}

pub(crate) fn wareki_of(d: Date) -> String {
    wareki::format_date(d).unwrap_or_else(|_| d.to_string())
}

async fn search_page(user: UiUser) -> Response {
    render(
        SearchPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            can_use_my_number: user.may(Permission::MyNumberLookup),
            form: SearchForm::default(),
            ferr: FieldError::default(),
            error: None,
            searched: false,
            results: vec![],
        },
        StatusCode::OK,
    )
}

/// The CSRF check for forms; a refusal is logged like the API's.
pub(crate) async fn check_form(app: &Kokuho, user: &UiUser, csrf: &str) -> Result<(), AppError> {
    app.resume_session(
        &user.token,
        Some(csrf),
        true,
        "-",
        OffsetDateTime::now_utc(),
    )
    .await
    .map(|_| ())
}

async fn search(State(app): State<Kokuho>, user: UiUser, Form(f): Form<SearchForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return (StatusCode::FORBIDDEN, e.message_ja()).into_response();
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let q = PersonSearch {
        kana: Some(f.kana.clone()),
        name: Some(f.name.clone()),
        birth_date: Some(f.birth_date.clone()),
        addressee_id: Some(f.addressee_id.clone()),
        insured_symbol: Some(f.insured_symbol.clone()),
        insured_number: Some(f.insured_number.clone()),
        limit: Some(100),
    };
    let now = OffsetDateTime::now_utc();
    let searched = if f.my_number.trim().is_empty() {
        s.search_persons(&q, now).await
    } else {
        // By 個人番号: a role that may, and a stated reason; the number is never logged.
        match kokuho_domain::access::Purpose::parse("nhi", &f.my_number_reason) {
            None => Err(AppError::invalid(
                "my_number_reason",
                "give the reason for searching by My Number",
                "個人番号で検索する理由を入力してください",
            )),
            Some(purpose) => s
                .find_by_my_number(&f.my_number, Some(&purpose), now)
                .await
                .map(|v| vec![v.person]),
        }
    };
    let (results, error, status) = match searched {
        Ok(found) => (
            found
                .iter()
                .map(|p| ResultRow {
                    addressee_id: p.addressee_id.to_string(),
                    name: p.name.to_string(),
                    name_kana: p.name_kana.to_string(),
                    birth_wareki: wareki_of(p.birth_date),
                    birth_date: p.birth_date.to_string(),
                    sex: p.sex.label_ja().to_string(),
                    address: p.address.clone(),
                    status: p.resident_status.label_ja().to_string(),
                })
                .collect(),
            Ok(()),
            StatusCode::OK,
        ),
        Err(e @ AppError::Forbidden { .. }) => (vec![], Err(e), StatusCode::FORBIDDEN),
        Err(e) => (vec![], Err(e), StatusCode::BAD_REQUEST),
    };
    let (ferr, error) = match &error {
        Err(e) => FieldError::place(e, &SEARCH_FIELDS),
        Ok(()) => (FieldError::default(), None),
    };
    let searched = error.is_none() && ferr.field.is_none();
    render(
        SearchPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            can_use_my_number: user.may(Permission::MyNumberLookup),
            form: f,
            ferr,
            error,
            searched,
            results,
        },
        status,
    )
}

#[derive(Deserialize)]
struct PersonForm {
    csrf: String,
    addressee_id: String,
}

struct PersonInfo {
    addressee_id: String,
    name: String,
    name_kana: String,
    birth_wareki: String,
    birth_date: String,
    sex: String,
    postal_code: String,
    address: String,
    status: String,
    household_number: String,
    relationship: String,
}

struct PeriodRow {
    acquired_on: String,
    acquired_wareki: String,
    acquisition_reason: String,
    acquisition_late: bool,
    lost_wareki: String,
    loss_reason: String,
    version_no: i64,
    corrected: bool,
    retroactive: bool,
}

struct Bar {
    x: i64,
    y: i64,
    width: i64,
    class: &'static str,
    label: String,
}

struct MemberRow {
    name: String,
    relationship: String,
    birth_wareki: String,
    status: String,
    branch: String,
}

struct HouseholdBox {
    household_number: String,
    numbers: String,
    nominal: bool,
    members: Vec<MemberRow>,
}

struct AccessRow {
    seq: i64,
    at: String,
    account: String,
    action: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    user: Option<UserBar>,
    csrf: String,
    change: ChangeDraft,
    ferr: FieldError,
    change_error: Option<String>,
    can_register: bool,
    reasons: Vec<(String, String)>,
    p: PersonInfo,
    has_my_number: bool,
    eligibility_error: Option<String>,
    periods: Vec<PeriodRow>,
    bars: Vec<Bar>,
    timeline_height: i64,
    timeline_from: String,
    timeline_to: String,
    household: Option<HouseholdBox>,
    access_history: Option<Vec<AccessRow>>,
    burden: Vec<BurdenLine>,
    can_read_levy: bool,
    can_high_cost: bool,
    can_documents: bool,
    can_issue_documents: bool,
    document_kinds: Vec<(&'static str, &'static str)>,
}

/// One month of the household's burden categories, for the person page.
struct BurdenLine {
    month: String,
    under70: String,
    elderly: String,
    copay: String,
    reasons: String,
    corrected: bool,
}

async fn person(State(app): State<Kokuho>, user: UiUser, Form(f): Form<PersonForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return (StatusCode::FORBIDDEN, e.message_ja()).into_response();
    }
    person_view(&app, &user, &f.addressee_id, ChangeDraft::default(), None).await
}

/// What the clerk typed into the change form, kept when it comes back with an error.
#[derive(Default)]
struct ChangeDraft {
    kind: String,
    reason: String,
    event_date: String,
    notified_on: String,
}

/// The fields of the change form, as errors name them.
const CHANGE_FIELDS: [&str; 4] = ["kind", "reason", "event_date", "notified_on"];

/// The person page; `change_error` puts a refused change back on its form.
async fn person_view(
    app: &Kokuho,
    user: &UiUser,
    addressee_id: &str,
    change: ChangeDraft,
    change_error: Option<AppError>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let today = kokuho_app::local_date(now);
    let s = Session {
        app,
        actor: &user.actor,
    };
    let view = match s.person(addressee_id, now).await {
        Ok(v) => v,
        Err(e) => {
            let status = if matches!(e, AppError::Forbidden { .. }) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            };
            return render(
                SearchPage {
                    user: Some(user.bar()),
                    csrf: user.csrf.clone(),
                    can_use_my_number: user.may(Permission::MyNumberLookup),
                    form: SearchForm::default(),
                    ferr: FieldError::default(),
                    error: Some(e.message_ja()),
                    searched: false,
                    results: vec![],
                },
                status,
            );
        }
    };
    let a = &view.person;
    let mut eligibility_error = None;
    let (periods, history) = match s.periods(&a.addressee_id, None, now).await {
        Ok(x) => x,
        Err(e) => {
            eligibility_error = Some(e.message_ja());
            (vec![], vec![])
        }
    };
    let from = periods.iter().map(|p| p.acquired_on).min().unwrap_or(today);
    let span = (today - from).whole_days().max(1);
    let x_of = |d: Date| (d - from).whole_days().clamp(0, span) * 1000 / span;
    let bars: Vec<Bar> = periods
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let end = v.lost_on.unwrap_or(today);
            Bar {
                x: x_of(v.acquired_on),
                y: 4 + (i as i64) * 22,
                width: (x_of(end) - x_of(v.acquired_on)).max(2),
                class: if v.version_no > 1 {
                    "corrected"
                } else {
                    "insured"
                },
                label: format!(
                    "{} 〜 {}",
                    wareki_of(v.acquired_on),
                    v.lost_on.map(wareki_of).unwrap_or_else(|| "現在".into())
                ),
            }
        })
        .collect();
    let period_rows = periods
        .iter()
        .map(|v| PeriodRow {
            acquired_on: v.acquired_on.to_string(),
            acquired_wareki: wareki_of(v.acquired_on),
            acquisition_reason: v.acquisition_reason.label_ja().to_string(),
            acquisition_late: v.acquisition_late,
            lost_wareki: v.lost_on.map(wareki_of).unwrap_or_else(|| "—".into()),
            loss_reason: v
                .loss_reason
                .map(|r| r.label_ja().to_string())
                .unwrap_or_default(),
            version_no: v.version_no,
            corrected: history.iter().any(|h| {
                h.period_id == v.period_id && h.version_no > 1 && h.change_kind == "correction"
            }),
            retroactive: v.acquired_on
                < kokuho_app::eligibility::from_us(v.recorded_us).date() - time::Duration::days(14),
        })
        .collect();
    let household = match (
        s.household(a.household_number.as_str(), now).await,
        s.nhi_household_as_of(&a.household_number, today, None, now)
            .await,
    ) {
        (Ok(h), Ok(nhi)) => Some(HouseholdBox {
            household_number: a.household_number.to_string(),
            numbers: match (&nhi.insured_symbol, &nhi.insured_number) {
                (Some(sym), Some(num)) => format!("{sym}・{num}"),
                _ => "—".into(),
            },
            nominal: nhi.nominal_householder,
            members: h
                .members
                .iter()
                .map(|m| {
                    let insured = nhi
                        .members
                        .iter()
                        .find(|x| x.addressee_id == m.addressee_id.as_str());
                    MemberRow {
                        name: m.name.to_string(),
                        relationship: m.relationship.label_ja().to_string(),
                        birth_wareki: wareki_of(m.birth_date),
                        status: if insured.is_some() {
                            "国保".into()
                        } else {
                            "—".into()
                        },
                        branch: insured
                            .and_then(|x| x.branch_number.clone())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        }),
        _ => None,
    };
    // The household's categories and this person's copay, newest month first.
    let burden = match s.burden_history(a.household_number.as_str(), now).await {
        Ok(rows) => {
            let me = format!("{}:", a.addressee_id);
            let mut lines: Vec<BurdenLine> = rows
                .iter()
                .filter(|r| r.superseded_us.is_none())
                .map(|r| BurdenLine {
                    month: crate::burden_ui::wareki_month(&r.month),
                    under70: r.category_under_70.clone().unwrap_or_else(|| "—".into()),
                    elderly: r.category_70_74.clone().unwrap_or_else(|| "—".into()),
                    copay: r
                        .copay_rates
                        .split(';')
                        .find_map(|c| c.strip_prefix(me.as_str()))
                        .unwrap_or("—")
                        .to_string(),
                    reasons: r.reasons.replace('\n', "／"),
                    corrected: r.version_no > 1,
                })
                .collect();
            lines.reverse();
            lines.truncate(13);
            lines
        }
        Err(_) => vec![],
    };
    let access_history = if user.actor.role == Role::Auditor {
        s.disclosure(a.addressee_id.as_str(), now)
            .await
            .ok()
            .map(|d| {
                d.accesses
                    .iter()
                    .map(|r| AccessRow {
                        seq: r.seq,
                        at: kokuho_app::eligibility::from_us(r.at_us)
                            .to_offset(kokuho_app::jst())
                            .to_string(),
                        account: r.account_name.clone(),
                        action: r.action.clone(),
                        outcome: r.outcome.clone(),
                    })
                    .collect()
            })
    } else {
        None
    };
    let reasons = AcquisitionReason::ALL
        .iter()
        .map(|r| (r.code().to_string(), format!("取得：{}", r.label_ja())))
        .chain(
            LossReason::ALL
                .iter()
                .map(|r| (r.code().to_string(), format!("喪失：{}", r.label_ja()))),
        )
        .collect();
    let can_register = kokuho_domain::access::allowed(
        user.actor.role,
        &user.actor.grants,
        Permission::EligibilityWrite,
        today,
    );
    let (ferr, change_error) = match &change_error {
        Some(e) => FieldError::place(e, &CHANGE_FIELDS),
        None => (FieldError::default(), None),
    };
    let status = if ferr.field.is_some() || change_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        PersonPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            change,
            ferr,
            change_error,
            can_register,
            reasons,
            p: PersonInfo {
                addressee_id: a.addressee_id.to_string(),
                name: a.name.to_string(),
                name_kana: a.name_kana.to_string(),
                birth_wareki: wareki_of(a.birth_date),
                birth_date: a.birth_date.to_string(),
                sex: a.sex.label_ja().to_string(),
                postal_code: a.postal_code.clone(),
                address: a.address.clone(),
                status: a.resident_status.label_ja().to_string(),
                household_number: a.household_number.to_string(),
                relationship: a.relationship.label_ja().to_string(),
            },
            has_my_number: view.has_my_number,
            eligibility_error,
            timeline_height: 28 + 22 * periods.len().max(1) as i64,
            timeline_from: wareki_of(from),
            timeline_to: wareki_of(today),
            periods: period_rows,
            bars,
            household,
            access_history,
            burden,
            can_read_levy: user.may(Permission::LevyRead),
            can_high_cost: user.may(Permission::HighCost),
            can_documents: user.may(Permission::DocumentRead),
            can_issue_documents: user.may(Permission::DocumentIssue),
            document_kinds: crate::documents_ui::person_kinds(),
        },
        status,
    )
}

#[derive(Deserialize)]
struct ChangeForm {
    csrf: String,
    addressee_id: String,
    kind: String,
    reason: String,
    event_date: String,
    #[serde(default)]
    notified_on: String,
    #[serde(default)]
    confirmed: String,
}

#[derive(Template)]
#[template(path = "change.html")]
struct ChangePage {
    user: Option<UserBar>,
    csrf: String,
    done: bool,
    error: Option<String>,
    person_name: String,
    addressee_id: String,
    kind: String,
    kind_label: String,
    reason: String,
    reason_label: String,
    event_iso: String,
    event_wareki: String,
    notified_iso: String,
    notified_wareki: String,
    effective_iso: String,
    effective_wareki: String,
    warnings: Vec<String>,
    period_id: i64,
    version_no: i64,
}

enum Change {
    Acquire(AcquisitionReason),
    Lose(LossReason),
}

/// Reads the form and computes what the law makes of it.
async fn change_page(
    app: &Kokuho,
    user: &UiUser,
    f: &ChangeForm,
    now: OffsetDateTime,
) -> Result<(ChangePage, Change, Date, Option<Date>), AppError> {
    let s = Session {
        app,
        actor: &user.actor,
    };
    s.require(Permission::EligibilityWrite, now).await?;
    let person = s.person(&f.addressee_id, now).await?.person;
    let event = kokuho_app::registry::parse_date("event_date", &f.event_date)?;
    let notified = if f.notified_on.trim().is_empty() {
        kokuho_app::local_date(now)
    } else {
        kokuho_app::registry::parse_date("notified_on", &f.notified_on)?
    };
    let (change, kind_label, reason_label, effective) = match f.kind.as_str() {
        "acquisition" => {
            let r = AcquisitionReason::from_code(&f.reason).ok_or_else(|| {
                AppError::invalid(
                    "reason",
                    "not an acquisition reason",
                    "資格取得の事由を選んでください",
                )
            })?;
            (
                Change::Acquire(r),
                "資格取得",
                r.label_ja(),
                rules::acquisition_date(r, event),
            )
        }
        _ => {
            let r = LossReason::from_code(&f.reason).ok_or_else(|| {
                AppError::invalid(
                    "reason",
                    "not a loss reason",
                    "資格喪失の事由を選んでください",
                )
            })?;
            let d = rules::loss_date(r, event, None, person.birth_date)
                .map_err(|e| AppError::invalid(e.field(), e.to_string(), e.message_ja()))?;
            (Change::Lose(r), "資格喪失", r.label_ja(), d)
        }
    };
    let mut warnings = Vec::new();
    if effective < kokuho_app::local_date(now) {
        warnings.push(format!(
            "効力発生日（{}）が本日より前です。遡及して登録します。",
            wareki_of(effective)
        ));
    }
    if rules::is_late_notification(event, notified) {
        warnings.push("事由の発生から14日を過ぎた届出です。".to_string());
    }
    let page = ChangePage {
        user: Some(user.bar()),
        csrf: user.csrf.clone(),
        done: false,
        error: None,
        person_name: person.name.to_string(),
        addressee_id: person.addressee_id.to_string(),
        kind: f.kind.clone(),
        kind_label: kind_label.to_string(),
        reason: f.reason.clone(),
        reason_label: reason_label.to_string(),
        event_iso: event.to_string(),
        event_wareki: wareki_of(event),
        notified_iso: notified.to_string(),
        notified_wareki: wareki_of(notified),
        effective_iso: effective.to_string(),
        effective_wareki: wareki_of(effective),
        warnings,
        period_id: 0,
        version_no: 0,
    };
    Ok((page, change, event, Some(notified)))
}

pub(crate) fn error_page(user: &UiUser, e: AppError) -> Response {
    let status = match e {
        AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    render(
        SearchPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            can_use_my_number: user.may(Permission::MyNumberLookup),
            form: SearchForm::default(),
            ferr: FieldError::default(),
            error: Some(e.message_ja()),
            searched: false,
            results: vec![],
        },
        status,
    )
}

async fn change_preview(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<ChangeForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return (StatusCode::FORBIDDEN, e.message_ja()).into_response();
    }
    match change_page(&app, &user, &f, OffsetDateTime::now_utc()).await {
        Ok((page, ..)) => render(page, StatusCode::OK),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let draft = ChangeDraft {
                kind: f.kind.clone(),
                reason: f.reason.clone(),
                event_date: f.event_date.clone(),
                notified_on: f.notified_on.clone(),
            };
            person_view(&app, &user, &f.addressee_id, draft, Some(e)).await
        }
        Err(e) => error_page(&user, e),
    }
}

async fn change_register(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<ChangeForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return (StatusCode::FORBIDDEN, e.message_ja()).into_response();
    }
    let now = OffsetDateTime::now_utc();
    let (mut page, change, event, notified) = match change_page(&app, &user, &f, now).await {
        Ok(x) => x,
        Err(e) => return error_page(&user, e),
    };
    if !page.warnings.is_empty() && f.confirmed != "yes" {
        page.error = Some("注意事項を確認してから登録してください".into());
        return render(page, StatusCode::BAD_REQUEST);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let Ok(id) = kokuho_domain::id::AddresseeId::parse(&f.addressee_id) else {
        return error_page(
            &user,
            AppError::invalid("addressee_id", "bad id", "宛名番号が正しくありません"),
        );
    };
    let result = match change {
        Change::Acquire(reason) => {
            s.acquire(
                &kokuho_app::eligibility::Acquisition {
                    addressee_id: id,
                    reason,
                    event_on: event,
                    notified_on: notified,
                    household_number: None,
                    previous_insurer_number: None,
                    flags: Default::default(),
                },
                now,
            )
            .await
        }
        Change::Lose(reason) => {
            s.lose(
                &kokuho_app::eligibility::Loss {
                    addressee_id: id,
                    reason,
                    event_on: event,
                    notified_on: notified,
                    destination: None,
                    next_insurer_number: None,
                },
                now,
            )
            .await
        }
    };
    match result {
        Ok(v) => {
            page.done = true;
            page.period_id = v.period_id;
            page.version_no = v.version_no;
            render(page, StatusCode::OK)
        }
        Err(e) => {
            page.error = Some(e.message_ja());
            page.warnings.clear();
            render(page, StatusCode::BAD_REQUEST)
        }
    }
}

struct ProposalRow {
    id: i64,
    status: String,
    status_label: String,
    pending: bool,
    kind_label: String,
    reason: String,
    event_wareki: String,
    addressee_id: String,
    decided: String,
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ProposalsPage {
    user: Option<UserBar>,
    csrf: String,
    can_decide: bool,
    message: Option<String>,
    error: Option<String>,
    rows: Vec<ProposalRow>,
}

async fn proposals_view(
    app: &Kokuho,
    user: &UiUser,
    message: Option<String>,
    error: Option<String>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app,
        actor: &user.actor,
    };
    let list = match s.proposals(None, now).await {
        Ok(l) => l,
        Err(e) => return error_page(user, e),
    };
    let rows = list
        .iter()
        .map(|p| ProposalRow {
            id: p.proposal_id,
            status: p.status.clone(),
            status_label: match p.status.as_str() {
                "pending" => "未処理",
                "confirmed" => "確定",
                _ => "却下",
            }
            .to_string(),
            pending: p.status == "pending",
            kind_label: match p.kind.as_str() {
                "acquisition" => "資格取得",
                "loss" => "資格喪失",
                _ => "世帯変更",
            }
            .to_string(),
            reason: AcquisitionReason::from_code(&p.reason)
                .map(|r| r.label_ja().to_string())
                .or_else(|| LossReason::from_code(&p.reason).map(|r| r.label_ja().to_string()))
                .unwrap_or_else(|| p.reason.clone()),
            event_wareki: wareki_of(p.event_on),
            addressee_id: p.addressee_id.clone(),
            decided: p.decided_by.clone().unwrap_or_default(),
        })
        .collect();
    let can_decide = kokuho_domain::access::allowed(
        user.actor.role,
        &user.actor.grants,
        Permission::ProposalDecide,
        kokuho_app::local_date(now),
    );
    render(
        ProposalsPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            can_decide,
            message,
            error,
            rows,
        },
        StatusCode::OK,
    )
}

async fn proposals_page(State(app): State<Kokuho>, user: UiUser) -> Response {
    proposals_view(&app, &user, None, None).await
}

#[derive(Deserialize)]
struct DecideForm {
    csrf: String,
    id: i64,
    #[serde(default)]
    reason: String,
}

async fn proposal_confirm(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<DecideForm>,
) -> Response {
    proposal_decide(&app, &user, &f, None).await
}

async fn proposal_reject(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<DecideForm>,
) -> Response {
    proposal_decide(&app, &user, &f, Some(&f.reason)).await
}

/// Confirms (no reason) or rejects (with the reason) a proposal, then shows the list again.
async fn proposal_decide(
    app: &Kokuho,
    user: &UiUser,
    f: &DecideForm,
    reject_reason: Option<&str>,
) -> Response {
    if let Err(e) = check_form(app, user, &f.csrf).await {
        return (StatusCode::FORBIDDEN, e.message_ja()).into_response();
    }
    let s = Session {
        app,
        actor: &user.actor,
    };
    let now = OffsetDateTime::now_utc();
    let (result, done) = match reject_reason {
        None => (s.confirm_proposal(f.id, now).await, "確定"),
        Some(reason) => (s.reject_proposal(f.id, reason, now).await, "却下"),
    };
    match result {
        Ok(p) => {
            proposals_view(
                app,
                user,
                Some(format!("異動候補{}を{done}しました", p.proposal_id)),
                None,
            )
            .await
        }
        Err(e) => proposals_view(app, user, None, Some(e.message_ja())).await,
    }
}

struct LogRow {
    seq: i64,
    at: String,
    account: String,
    role: String,
    action: String,
    subjects: String,
    purpose: String,
    outcome: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    user: Option<UserBar>,
    csrf: String,
    verify: String,
    intact: bool,
    from: String,
    to: String,
    account: String,
    action: String,
    error: Option<String>,
    searched: bool,
    rows: Vec<LogRow>,
}

pub(crate) fn jst_time(us: i64) -> String {
    let t = kokuho_app::eligibility::from_us(us).to_offset(kokuho_app::jst());
    format!(
        "{} {:02}:{:02}:{:02}",
        t.date(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

async fn audit_view(app: &Kokuho, user: &UiUser, form: Option<&AuditForm>) -> Response {
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app,
        actor: &user.actor,
    };
    let verify = match s.verify_access_log(now).await {
        Ok(r) => r,
        Err(e) => {
            let status = if matches!(e, AppError::Forbidden { .. }) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::BAD_REQUEST
            };
            return refusal_page(status, "監査", &e);
        }
    };
    let (verify_text, intact) = match &verify.first_broken {
        None => (
            format!("改ざんは検出されませんでした（{}件を検証）", verify.records),
            true,
        ),
        Some((seq, reason)) => (
            format!("{seq}番目の記録で改ざんを検出しました: {reason}"),
            false,
        ),
    };
    let today = kokuho_app::local_date(now);
    let mut page = AuditPage {
        user: Some(user.bar()),
        csrf: user.csrf.clone(),
        verify: verify_text,
        intact,
        from: (today - time::Duration::days(30)).to_string(),
        to: today.to_string(),
        account: String::new(),
        action: String::new(),
        error: None,
        searched: false,
        rows: vec![],
    };
    if let Some(f) = form {
        page.from = f.from.clone();
        page.to = f.to.clone();
        page.account = f.account.clone();
        page.action = f.action.clone();
        let dates = kokuho_app::registry::parse_date("from", &f.from)
            .and_then(|a| kokuho_app::registry::parse_date("to", &f.to).map(|b| (a, b)));
        match dates {
            Err(e) => page.error = Some(e.message_ja()),
            Ok((from, to)) => match s
                .search_access_log(from, to, Some(&f.account), Some(&f.action), now)
                .await
            {
                Ok(found) => {
                    page.searched = true;
                    page.rows = found
                        .iter()
                        .map(|r| LogRow {
                            seq: r.seq,
                            at: jst_time(r.at_us),
                            account: r.account_name.clone(),
                            role: r.role.clone(),
                            action: r.action.clone(),
                            subjects: r.subjects.clone(),
                            purpose: r.purpose.clone(),
                            outcome: r.outcome.clone(),
                            detail: r.detail.clone(),
                        })
                        .collect();
                }
                Err(e) => page.error = Some(e.message_ja()),
            },
        }
    }
    render(page, StatusCode::OK)
}

async fn audit_page(State(app): State<Kokuho>, user: UiUser) -> Response {
    audit_view(&app, &user, None).await
}

#[derive(Deserialize)]
struct AuditForm {
    csrf: String,
    from: String,
    to: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    action: String,
}

async fn audit_search(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<AuditForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return (StatusCode::FORBIDDEN, e.message_ja()).into_response();
    }
    audit_view(&app, &user, Some(&f)).await
}

async fn audit_inspection(
    State(app): State<Kokuho>,
    user: UiUser,
    Form(f): Form<AuditForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return (StatusCode::FORBIDDEN, e.message_ja()).into_response();
    }
    let now = OffsetDateTime::now_utc();
    let dates = kokuho_app::registry::parse_date("from", &f.from)
        .and_then(|a| kokuho_app::registry::parse_date("to", &f.to).map(|b| (a, b)));
    let report = match dates {
        Ok((from, to)) => {
            (Session {
                app: &app,
                actor: &user.actor,
            })
            .self_inspection(from, to, now)
            .await
        }
        Err(e) => Err(e),
    };
    match report {
        Ok(r) => (StatusCode::OK, Html(r.to_html())).into_response(),
        Err(e @ AppError::Forbidden { .. }) => {
            (StatusCode::FORBIDDEN, e.message_ja()).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, e.message_ja()).into_response(),
    }
}
