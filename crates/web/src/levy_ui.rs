//! The household's levy page (国民健康保険税): for a fiscal year, the
//! booked amount with every line explained, the installment schedule, and
//! the history of reassessments (更正) with the difference and cause of each.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use kokuho_app::levy::{
    ExplainedLevy, LevyNotification, NotificationKind, levy_reason_ja, ordinance_status,
};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::access::Permission;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::ui::{
    FieldError, UiUser, UserBar, check_form, jst_time, refusal_page, render, wareki_of,
};

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/levy", post(levy_page))
        .route("/ui/levy/notify", post(notify))
        .route("/ui/levy/void", post(void))
}

#[derive(Deserialize)]
struct NotifyForm {
    csrf: String,
    household: String,
    person: String,
    kind: String,
    effective_on: String,
    #[serde(default)]
    multiple_birth: Option<String>,
}

#[derive(Deserialize)]
struct VoidForm {
    csrf: String,
    household: String,
    notification: i64,
}

#[derive(Deserialize)]
struct PageForm {
    csrf: String,
    household: String,
    /// 年度; empty: the newest booked
    #[serde(default)]
    fiscal_year: String,
}

/// Yen with thousands separators: 1,234,500円.
pub(crate) fn yen(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}{}円", if n < 0 { "−" } else { "" }, out)
}

pub(crate) fn signed_yen(n: i64) -> String {
    if n > 0 {
        format!("+{}", yen(n))
    } else {
        yen(n)
    }
}

struct Part {
    label: &'static str,
    amount: String,
}

struct Line {
    number: i64,
    due: String,
    amount: String,
}

struct VersionLine {
    version_no: i64,
    assessed_on: String,
    cause: String,
    total: String,
    difference: String,
    overpaid: Option<String>,
    reduction: String,
    recorded: String,
    recorded_by: String,
    standing: bool,
    superseded: String,
    installments: Vec<Line>,
}

#[derive(Template)]
#[template(path = "levy.html")]
struct LevyPage {
    user: Option<UserBar>,
    csrf: String,
    household: String,
    householder: String,
    years: Vec<i64>,
    fiscal_year: Option<i64>,
    /// the standing version of the year
    total: String,
    reduction: String,
    parts: Vec<Part>,
    explanation: Vec<String>,
    installments: Vec<Line>,
    overpaid: Option<String>,
    rules_changed: bool,
    provisional: Option<String>,
    versions: Vec<VersionLine>,
    notifications: Vec<NoteLine>,
    can_notify: bool,
    members: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    ferr: FieldError,
    error: Option<String>,
    notice: Option<String>,
}

struct NoteLine {
    id: i64,
    name: String,
    kind: String,
    effective_on: String,
    recorded: String,
}

fn lines(e: &ExplainedLevy) -> Vec<Line> {
    e.installments
        .iter()
        .map(|i| Line {
            number: i.installment_no,
            due: wareki_of(i.due_date),
            amount: yen(i.amount),
        })
        .collect()
}

async fn levy_page(State(app): State<Kokuho>, user: UiUser, Form(f): Form<PageForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "保険税", &e);
    }
    show(&app, &user, &f.household, &f.fiscal_year, None, None).await
}

async fn notify(State(app): State<Kokuho>, user: UiUser, Form(f): Form<NotifyForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "保険税", &e);
    }
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    if let Err(e) = s.require(Permission::LevyAssess, now).await {
        return refusal_page(StatusCode::FORBIDDEN, "保険税", &e);
    }
    let parsed = (|| {
        let person = kokuho_domain::id::AddresseeId::parse(f.person.trim())
            .map_err(|e| AppError::from(e).for_field("person"))?;
        let kind = NotificationKind::parse(&f.kind).ok_or_else(|| {
            AppError::invalid(
                "kind",
                "unknown kind of notification",
                "届出の種類を選んでください",
            )
        })?;
        let effective_on = kokuho_app::registry::parse_date("effective_on", &f.effective_on)?;
        Ok::<_, AppError>(LevyNotification {
            person,
            kind,
            effective_on,
            multiple_birth: f.multiple_birth.is_some(),
        })
    })();
    let outcome = match parsed {
        Ok(n) => s.record_levy_notification(&n, now).await.map(|id| (id, n)),
        Err(e) => Err(e),
    };
    match outcome {
        Ok((id, n)) => {
            let notice = format!(
                "{}（番号 {id}）を記録し、賦課済みの年度を計算し直しました。",
                n.kind.label_ja()
            );
            show(&app, &user, &f.household, "", None, Some(notice)).await
        }
        Err(e) => show(&app, &user, &f.household, "", Some(e), None).await,
    }
}

async fn void(State(app): State<Kokuho>, user: UiUser, Form(f): Form<VoidForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "保険税", &e);
    }
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    match s.void_levy_notification(f.notification, now).await {
        Ok(()) => {
            let notice = format!(
                "届出（番号 {}）を取り消し、賦課済みの年度を計算し直しました。",
                f.notification
            );
            show(&app, &user, &f.household, "", None, Some(notice)).await
        }
        Err(e @ AppError::Forbidden { .. }) => refusal_page(StatusCode::FORBIDDEN, "保険税", &e),
        Err(e) => show(&app, &user, &f.household, "", Some(e), None).await,
    }
}

async fn show(
    app: &Kokuho,
    user: &UiUser,
    household: &str,
    fiscal_year: &str,
    problem: Option<AppError>,
    notice: Option<String>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app,
        actor: &user.actor,
    };
    let v = match s.household_levy(household, now).await {
        Ok(v) => v,
        Err(e @ AppError::Forbidden { .. }) => {
            return refusal_page(StatusCode::FORBIDDEN, "保険税", &e);
        }
        Err(e) => return refusal_page(StatusCode::NOT_FOUND, "保険税", &e),
    };
    let mut years: Vec<i64> = v.versions.iter().map(|e| e.version.fiscal_year).collect();
    years.dedup();
    let fiscal_year = fiscal_year
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|y| years.contains(y))
        .or_else(|| years.last().copied());
    let of_year: Vec<&ExplainedLevy> = v
        .versions
        .iter()
        .filter(|e| Some(e.version.fiscal_year) == fiscal_year)
        .collect();
    let standing = of_year
        .iter()
        .find(|e| e.version.superseded_us.is_none())
        .or(of_year.last())
        .copied();
    let names: HashMap<String, String> = v
        .household
        .members
        .iter()
        .map(|m| (m.addressee_id.to_string(), m.name.to_string()))
        .collect();
    let householder = names
        .get(v.household.household.householder.as_str())
        .cloned()
        .unwrap_or_default();
    let provisional = standing.and_then(|e| {
        ordinance_status(&e.version.profile, e.version.fiscal_year)
            .filter(|(_, confirmed, _)| !confirmed)
            .map(|(name, _, _)| {
                format!(
                    "{name}の{}年度の税率・納期は条例で確認できていない仮の値です（docs/levy.md）。この金額で通知しないでください。",
                    e.version.fiscal_year
                )
            })
    });
    let mut versions: Vec<VersionLine> = of_year
        .iter()
        .map(|e| {
            let x = &e.version;
            VersionLine {
                version_no: x.version_no,
                assessed_on: wareki_of(x.assessed_on),
                cause: levy_reason_ja(&x.change_reason).to_string(),
                total: yen(x.total),
                difference: signed_yen(x.difference),
                overpaid: (x.overpaid > 0).then(|| yen(x.overpaid)),
                reduction: x.reduction.clone().unwrap_or_else(|| "なし".into()),
                recorded: jst_time(x.recorded_us),
                recorded_by: x.recorded_by.clone(),
                standing: x.superseded_us.is_none(),
                superseded: x.superseded_us.map(jst_time).unwrap_or_default(),
                installments: lines(e),
            }
        })
        .collect();
    // Newest first.
    versions.reverse();
    let (ferr, error) = match &problem {
        Some(e) => FieldError::place(e, &["person", "kind", "effective_on"]),
        None => (FieldError::default(), None),
    };
    let status = match &problem {
        None => StatusCode::OK,
        Some(AppError::Forbidden { .. }) => StatusCode::FORBIDDEN,
        Some(AppError::NotFound { .. }) => StatusCode::NOT_FOUND,
        Some(_) => StatusCode::BAD_REQUEST,
    };
    let notifications = v
        .notifications
        .iter()
        .map(|n| NoteLine {
            id: n.notification_id,
            name: names
                .get(&n.addressee_id)
                .cloned()
                .unwrap_or_else(|| n.addressee_id.clone()),
            kind: NotificationKind::parse(&n.kind)
                .map_or(n.kind.as_str(), |k| k.label_ja())
                .to_string()
                + if n.multiple_birth { "（多胎）" } else { "" },
            effective_on: wareki_of(n.effective_on),
            recorded: format!("{} {}", jst_time(n.recorded_us), n.recorded_by),
        })
        .collect();
    let members = v
        .household
        .members
        .iter()
        .map(|m| (m.addressee_id.to_string(), m.name.to_string()))
        .collect();
    let page = LevyPage {
        user: Some(user.bar()),
        csrf: user.csrf.clone(),
        household: v.household.household.household_number.to_string(),
        householder,
        years: years.clone(),
        fiscal_year,
        total: standing.map(|e| yen(e.version.total)).unwrap_or_default(),
        reduction: standing
            .and_then(|e| e.version.reduction.clone())
            .map(|r| format!("{r}軽減"))
            .unwrap_or_else(|| "軽減なし".into()),
        parts: standing
            .map(|e| {
                let x = &e.version;
                [
                    ("医療分", x.medical),
                    ("後期高齢者支援金分", x.elderly_support),
                    ("介護納付金分", x.care),
                    ("子ども・子育て支援納付金分", x.child_support),
                ]
                .into_iter()
                .filter(|(_, a)| *a > 0)
                .map(|(label, a)| Part {
                    label,
                    amount: yen(a),
                })
                .collect()
            })
            .unwrap_or_default(),
        explanation: standing.map(|e| e.explanation.clone()).unwrap_or_default(),
        installments: standing.map(lines).unwrap_or_default(),
        overpaid: standing
            .filter(|e| e.version.overpaid > 0)
            .map(|e| yen(e.version.overpaid)),
        rules_changed: standing.is_some_and(|e| e.rules_changed),
        provisional,
        versions,
        notifications,
        can_notify: user.may(Permission::LevyAssess),
        members,
        kinds: NotificationKind::ALL
            .iter()
            .map(|k| (k.code(), k.label_ja()))
            .collect(),
        ferr,
        error,
        notice,
    };
    render(page, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_is_grouped() {
        assert_eq!(yen(0), "0円");
        assert_eq!(yen(999), "999円");
        assert_eq!(yen(1_000), "1,000円");
        assert_eq!(yen(1_234_500), "1,234,500円");
        assert_eq!(signed_yen(-27_100), "−27,100円");
        assert_eq!(signed_yen(100), "+100円");
    }
}
