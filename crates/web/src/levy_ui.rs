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
use kokuho_app::levy::{ExplainedLevy, levy_reason_ja, ordinance_status};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::ui::{UiUser, UserBar, check_form, jst_time, refusal_page, render, wareki_of};

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new().route("/ui/levy", post(levy_page))
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
fn yen(n: i64) -> String {
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

fn signed_yen(n: i64) -> String {
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
    let now = OffsetDateTime::now_utc();
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let v = match s.household_levy(&f.household, now).await {
        Ok(v) => v,
        Err(e @ AppError::Forbidden { .. }) => {
            return refusal_page(StatusCode::FORBIDDEN, "保険税", &e);
        }
        Err(e) => return refusal_page(StatusCode::NOT_FOUND, "保険税", &e),
    };
    let mut years: Vec<i64> = v.versions.iter().map(|e| e.version.fiscal_year).collect();
    years.dedup();
    let fiscal_year = f
        .fiscal_year
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
    };
    render(page, StatusCode::OK)
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
