//! The exchange screen (連携): households moved in from another
//! municipality of the prefecture waiting for the town's judgement of their
//! continuity (世帯継続), the changes not yet registered for online
//! eligibility with their deadlines, and the record of every file sent and
//! received. Files themselves are written and taken in by the operator's
//! command line (`kokuho exchange`).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use kokuho_app::session::Session;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::access::Purpose;
use kokuho_domain::online_eligibility::Standing;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::ui::{UiUser, UserBar, check_form, jst_time, refusal_page, render};

pub fn routes() -> axum::Router<Kokuho> {
    axum::Router::new()
        .route("/ui/exchange", get(page))
        .route("/ui/exchange/judge", post(judge))
}

struct Candidate {
    household: String,
    from_insurer: String,
    from_card: String,
    moved_on: String,
    persons: String,
    continuity: String,
    /// kokuho's proposal (continues | does_not | undecided) and its reason
    proposal: String,
    proposal_label: String,
    reason: String,
}

struct Judged {
    household: String,
    from_insurer: String,
    judgement: &'static str,
    sent: String,
}

struct DueLine {
    person: String,
    period: i64,
    change: String,
    accepted_on: String,
    due_by: String,
    overdue: bool,
}

struct FileLine {
    id: i64,
    direction: &'static str,
    counterpart: &'static str,
    name: String,
    at: String,
    records: i64,
    sealed: bool,
    by: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "exchange.html")]
struct Page {
    user: Option<UserBar>,
    notice: Option<String>,
    error: Option<String>,
    candidates: Vec<Candidate>,
    judged: Vec<Judged>,
    due: Vec<DueLine>,
    overdue: usize,
    files: Vec<FileLine>,
}

fn purpose(reason: &str) -> Option<Purpose> {
    Purpose::parse("nhi", reason)
}

/// The kind of a recorded change, for the clerk.
fn change_label(kind: &str) -> &str {
    match kind {
        "acquisition" => "資格取得",
        "loss" => "資格喪失",
        "correction" => "訂正",
        "void" => "取消",
        "age" => "年齢到達",
        other => other,
    }
}

fn continuity_label(c: &str) -> &'static str {
    match c {
        "continuous" => "継続",
        "gap" => "空白期間あり",
        _ => "重複期間あり",
    }
}

async fn show(
    app: &Kokuho,
    user: &UiUser,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let s = Session {
        app,
        actor: &user.actor,
    };
    let now = OffsetDateTime::now_utc();
    let (files, notices) = match s
        .exchange_records(purpose("連携の状況確認").as_ref(), now)
        .await
    {
        Ok(r) => r,
        Err(e) => return refusal_page(StatusCode::FORBIDDEN, "連携", &e),
    };
    let proposals = match app.continuity_proposals(&notices).await {
        Ok(p) => p,
        Err(e) => return refusal_page(StatusCode::INTERNAL_SERVER_ERROR, "連携", &e),
    };
    let from = kokuho_app::local_date(now) - time::Duration::days(60);
    let due = match s
        .online_registration_due(
            from,
            purpose("オンライン資格確認の登録期限の確認").as_ref(),
            now,
        )
        .await
    {
        Ok(d) => d,
        Err(e) => return refusal_page(StatusCode::FORBIDDEN, "連携", &e),
    };
    // Candidate households, one line each (their moved-in persons together).
    let mut waiting: BTreeMap<(String, String), Candidate> = BTreeMap::new();
    let mut judged: BTreeMap<(String, String), Judged> = BTreeMap::new();
    for n in notices.iter().filter(|n| n.household_candidate) {
        let key = (n.household_number.clone(), n.from_insurer.clone());
        let proposal = proposals.get(&key).copied();
        match &n.judgement {
            None => {
                let c = waiting.entry(key).or_insert_with(|| Candidate {
                    proposal: proposal.map_or("undecided", |p| p.code()).into(),
                    proposal_label: match proposal.map(|p| p.code()) {
                        Some("continues") => "継続する",
                        Some("does_not") => "継続しない",
                        _ => "判定が必要",
                    }
                    .into(),
                    reason: proposal.map_or("", |p| p.reason()).into(),
                    household: n.household_number.clone(),
                    from_insurer: n.from_insurer.clone(),
                    from_card: format!("{} {}", n.from_insured_symbol, n.from_insured_number),
                    moved_on: n.acquired_on.to_string(),
                    persons: String::new(),
                    continuity: continuity_label(&n.continuity).into(),
                });
                if !c.persons.is_empty() {
                    c.persons.push('、');
                }
                c.persons.push_str(&n.addressee_id);
            }
            Some(j) => {
                judged.entry(key).or_insert_with(|| Judged {
                    household: n.household_number.clone(),
                    from_insurer: n.from_insurer.clone(),
                    judgement: if j == "continues" {
                        "継続する"
                    } else {
                        "継続しない"
                    },
                    sent: n
                        .sent_file_id
                        .map(|f| format!("送信済（#{f}）"))
                        .unwrap_or_else(|| "次の送信で送ります".into()),
                });
            }
        }
    }
    let open: Vec<DueLine> = due
        .iter()
        .filter(|c| matches!(c.standing, Standing::Due | Standing::Overdue))
        .map(|c| DueLine {
            person: c.addressee_id.clone(),
            period: c.period_id,
            change: change_label(&c.change_kind).to_string(),
            accepted_on: c.accepted_on.to_string(),
            due_by: c.due_by.to_string(),
            overdue: c.standing == Standing::Overdue,
        })
        .collect();
    let overdue = open.iter().filter(|d| d.overdue).count();
    let page = Page {
        user: Some(user.bar()),
        notice,
        error,
        candidates: waiting.into_values().collect(),
        judged: judged.into_values().collect(),
        due: open,
        overdue,
        files: files
            .iter()
            .take(100)
            .map(|f| FileLine {
                id: f.file_id,
                direction: if f.direction == "sent" {
                    "送信"
                } else {
                    "受信"
                },
                counterpart: if f.counterpart == "federation" {
                    "国保情報集約システム"
                } else {
                    "中間サーバー"
                },
                name: f.file_name.clone(),
                at: jst_time(f.recorded_us),
                records: f.record_count,
                sealed: f.sealed,
                by: f.recorded_by.clone(),
                outcome: f.outcome.clone(),
            })
            .collect(),
    };
    render(page, StatusCode::OK)
}

async fn page(State(app): State<Kokuho>, user: UiUser) -> Response {
    show(&app, &user, None, None).await
}

#[derive(Deserialize)]
struct JudgeForm {
    csrf: String,
    household: String,
    from_insurer: String,
    /// yes | no
    continues: String,
}

async fn judge(State(app): State<Kokuho>, user: UiUser, Form(f): Form<JudgeForm>) -> Response {
    if let Err(e) = check_form(&app, &user, &f.csrf).await {
        return refusal_page(StatusCode::FORBIDDEN, "連携", &e);
    }
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    let continues = f.continues == "yes";
    match s
        .judge_continuity(
            f.household.trim(),
            f.from_insurer.trim(),
            continues,
            purpose("世帯継続の判定").as_ref(),
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(_) => {
            let notice = format!(
                "世帯 {} を「{}」と判定しました。次の国保情報集約システムへの送信で送ります。",
                f.household.trim(),
                if continues {
                    "継続する"
                } else {
                    "継続しない"
                }
            );
            show(&app, &user, Some(notice), None).await
        }
        Err(e @ AppError::Forbidden { .. }) => refusal_page(StatusCode::FORBIDDEN, "連携", &e),
        Err(e) => show(&app, &user, None, Some(e.message_ja())).await,
    }
}
