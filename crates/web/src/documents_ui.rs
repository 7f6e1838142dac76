//! Printed documents at the counter (帳票): print one from the person page,
//! see the person's issuance history, reprint exactly, record a document
//! returned, lost or voided. Every action is a POST carrying the CSRF token;
//! the PDF is handed over as a download and never cached.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kokuho_app::documents::{DocumentKind, IssueOptions, IssueView, Issued, Subject};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::access::Permission;
use kokuho_domain::id::AddresseeId;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::ui::{UiUser, UserBar, check_form, render, wareki_of};

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/documents/issue", post(issue))
        .route("/ui/documents/history", post(history))
        .route("/ui/documents/{id}/reprint", post(reprint))
        .route("/ui/documents/{id}/mark", post(mark))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn refused(e: &AppError) -> Response {
    crate::ui::refusal_page(crate::benefits_ui::status_of(e), "帳票", e)
}

/// The kinds printed for a person from the person page.
pub(crate) fn person_kinds() -> Vec<(&'static str, &'static str)> {
    DocumentKind::ALL
        .into_iter()
        .filter(|k| k.about_person())
        .map(|k| (k.code(), k.label_ja()))
        .collect()
}

pub(crate) fn pdf(issued: Issued) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-{}.pdf\"",
                    issued.issue.kind, issued.issue.document_number
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        issued.pdf,
    )
        .into_response()
}

#[derive(Deserialize)]
struct IssueForm {
    csrf: String,
    person: String,
    kind: String,
    #[serde(default)]
    with_limit_category: Option<String>,
}

async fn issue(State(app): State<Kokuho>, user: UiUser, Form(f): Form<IssueForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused(&e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let result = async {
        let kind = DocumentKind::parse(&f.kind)
            .filter(|k| k.about_person())
            .ok_or_else(|| {
                AppError::invalid(
                    "kind",
                    "unknown document kind",
                    "帳票の種類が正しくありません",
                )
            })?;
        let person = AddresseeId::parse(f.person.trim())
            .map_err(|e| AppError::from(e).for_field("person"))?;
        s.issue_document(
            kind,
            &Subject::Person(person),
            IssueOptions {
                with_limit_category: f.with_limit_category.is_some(),
            },
            now(),
        )
        .await
    }
    .await;
    match result {
        Ok(issued) => pdf(issued),
        Err(e @ AppError::Forbidden { .. }) => refused(&e),
        Err(e) => show(&app, &user, f.person.trim(), None, Some(e.message_ja())).await,
    }
}

struct IssueLine {
    id: i64,
    number: String,
    kind: &'static str,
    issued: String,
    issued_by: String,
    valid: String,
    status: &'static str,
    open: bool,
    reprintable: bool,
    reprint_of: String,
    substitutions: String,
}

fn line(v: &IssueView) -> IssueLine {
    IssueLine {
        id: v.issue_id,
        number: v.document_number.clone(),
        kind: v.kind_label,
        issued: wareki_of(v.issued_on),
        issued_by: v.issued_by.clone(),
        valid: match (v.valid_from, v.valid_to) {
            (Some(f), Some(t)) => format!("{}〜{}", wareki_of(f), wareki_of(t)),
            (Some(f), None) => format!("{}〜", wareki_of(f)),
            _ => String::new(),
        },
        status: v.status,
        open: v.status == "交付済",
        reprintable: v.reprintable,
        reprint_of: v.reprint_of.map(|r| r.to_string()).unwrap_or_default(),
        substitutions: v.substitutions.clone(),
    }
}

#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsPage {
    user: Option<UserBar>,
    csrf: String,
    person: String,
    kinds: Vec<(&'static str, &'static str)>,
    can_issue: bool,
    notice: Option<String>,
    error: Option<String>,
    lines: Vec<IssueLine>,
}

async fn show(
    app: &Kokuho,
    user: &UiUser,
    person: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let s = Session {
        app,
        actor: &user.actor,
    };
    let (lines, error, status) = match s.document_history(person, now()).await {
        Ok(h) => (h.iter().map(line).collect(), error, StatusCode::OK),
        Err(e @ AppError::Forbidden { .. }) => return refused(&e),
        Err(e) => (vec![], Some(e.message_ja()), StatusCode::BAD_REQUEST),
    };
    let status = if error.is_some() && status == StatusCode::OK {
        StatusCode::CONFLICT
    } else {
        status
    };
    render(
        DocumentsPage {
            user: Some(user.bar()),
            csrf: user.csrf.clone(),
            person: person.to_string(),
            kinds: person_kinds(),
            can_issue: user.may(Permission::DocumentIssue),
            notice,
            error,
            lines,
        },
        status,
    )
}

#[derive(Deserialize)]
struct HistoryForm {
    csrf: String,
    person: String,
}

async fn history(State(app): State<Kokuho>, user: UiUser, Form(f): Form<HistoryForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused(&e);
    }
    show(&app, &user, f.person.trim(), None, None).await
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn reprint(
    State(app): State<Kokuho>,
    user: UiUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused(&e);
    }
    match (Session {
        app: &app,
        actor: &user.actor,
    })
    .reprint_document(id, now())
    .await
    {
        Ok(issued) => pdf(issued),
        Err(e) => refused(&e),
    }
}

#[derive(Deserialize)]
struct MarkForm {
    csrf: String,
    person: String,
    status: String,
    note: String,
}

async fn mark(
    State(app): State<Kokuho>,
    user: UiUser,
    Path(id): Path<i64>,
    Form(f): Form<MarkForm>,
) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refused(&e);
    }
    match (Session {
        app: &app,
        actor: &user.actor,
    })
    .set_document_status(id, &f.status, &f.note, now())
    .await
    {
        Ok(v) => {
            show(
                &app,
                &user,
                &v.addressee_id,
                Some(format!(
                    "{}（{}）を「{}」と記録しました",
                    v.kind_label, v.document_number, v.status
                )),
                None,
            )
            .await
        }
        Err(e @ AppError::Forbidden { .. }) => refused(&e),
        Err(e) => show(&app, &user, f.person.trim(), None, Some(e.message_ja())).await,
    }
}
