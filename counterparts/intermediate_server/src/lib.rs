//! A working stand-in for the 医療保険者等向け中間サーバー and the online
//! eligibility service behind it, for end-to-end tests and load on one
//! machine. It is NOT part of the town's system: it shares only the file
//! layouts and the transfer-key format.
//!
//! It takes towns' eligibility histories (資格履歴情報, sealed), keeps every
//! period, gives each person a 機関別符号 (a keyed hash of the 個人番号 under
//! the server's own secret: the same person has the same code whichever town
//! sends them, and the code reveals nothing of the number), answers with the
//! registration result (資格履歴登録結果), and answers providers' queries:
//! by insurer number + symbol + number + 枝番 + date, or by 機関別符号 +
//! date, with the validity codes of the online service (1 有効, 2 無効,
//! 3 無効（新しい資格あり）, 4 該当資格なし, 5 複数該当).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hmac::{Hmac, KeyInit, Mac};
use kokuho_formats::federation::{Change, Extract, FileHeader};
use kokuho_formats::intermediate::{self, Body, HistoryRecord, IntermediateFile, ResultRecord};
use kokuho_vault::TransferKey;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::{Date, PrimitiveDateTime};

/// One period as the server holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub agency_code: Option<String>,
    pub record: HistoryRecord,
}

/// The card a provider reads: insurer, symbol, number, 枝番.
type Card = (String, String, String, String);

#[derive(Default)]
struct Inner {
    entries: Vec<Option<Entry>>,
    /// (insurer, 宛名番号, 資格履歴番号) → entry
    by_period: HashMap<(String, String, i64), usize>,
    by_card: HashMap<Card, Vec<usize>>,
    by_code: HashMap<String, Vec<usize>>,
    /// (insurer, 宛名番号) → code, once obtained
    code_of_person: HashMap<(String, String), String>,
}

/// The server's registry of eligibility histories.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<RwLock<Inner>>,
    secret: Arc<[u8; 32]>,
}

/// The answer to a provider's query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// 1 有効, 2 無効, 3 無効（新しい資格あり）, 4 該当資格なし, 5 複数該当
    pub validity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured: Option<Insured>,
}

/// What the online service tells a provider of an insured person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Insured {
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub branch_number: String,
    pub name: String,
    pub name_kana: String,
    pub sex: u8,
    pub birth_date: String,
    pub relation: String,
    pub householder_name: String,
    pub valid_from: String,
    /// the last day insured (the day before the loss)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_reason: Option<String>,
    pub preschool: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copay_percent: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_category: Option<String>,
}

fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

fn covers(r: &HistoryRecord, on: Date) -> bool {
    r.valid_from <= on && r.valid_until.is_none_or(|u| on < u)
}

fn insured(r: &HistoryRecord) -> Insured {
    Insured {
        insurer_number: r.insurer_number.clone(),
        insured_symbol: r.insured_symbol.clone(),
        insured_number: r.insured_number.clone(),
        branch_number: r.branch_number.clone(),
        name: r.name.clone(),
        name_kana: r.name_kana.clone(),
        sex: r.sex,
        birth_date: ymd(r.birth_date),
        relation: "1".into(),
        householder_name: r.householder_name.clone(),
        valid_from: ymd(r.valid_from),
        valid_to: r.valid_until.and_then(|u| u.previous_day()).map(ymd),
        loss_reason: r.loss_reason.clone(),
        preschool: r.preschool,
        copay_percent: r.copay_percent,
        limit_category: r.limit_category.clone(),
    }
}

impl Registry {
    pub fn new(secret: [u8; 32]) -> Registry {
        Registry {
            inner: Arc::new(RwLock::new(Inner::default())),
            secret: Arc::new(secret),
        }
    }

    fn agency_code(&self, my_number: &str) -> String {
        // HMAC takes a key of any length: the error arm is never taken.
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(self.secret.as_slice()) else {
            return String::new();
        };
        mac.update(b"agency-code\0");
        mac.update(my_number.as_bytes());
        // 機関別符号: 17 bytes shown as hex — never the number.
        hex::encode(&mac.finalize().into_bytes()[..17]).to_uppercase()
    }

    /// Registers a town's eligibility history (sealed, as it comes through
    /// the aggregation system) and gives the result file.
    pub fn register(
        &self,
        file_name: &str,
        bytes: &[u8],
        key: &TransferKey,
        now: PrimitiveDateTime,
    ) -> anyhow::Result<IntermediateFile> {
        let inner_name = file_name.strip_suffix(".sealed").unwrap_or(file_name);
        let plain = if kokuho_vault::transfer::is_sealed(bytes) {
            key.open(bytes, inner_name)?.to_vec()
        } else {
            anyhow::bail!("{file_name}: the eligibility history must come sealed")
        };
        let file = intermediate::read(inner_name, &plain)?;
        let Body::Histories(records) = file.body else {
            anyhow::bail!("{file_name}: not an eligibility history")
        };
        let insurer = file.header.insurer_number.clone();
        let full = file.header.extract == Extract::Full;
        let mut results = Vec::with_capacity(records.len());
        let mut g = self
            .inner
            .write()
            .map_err(|_| anyhow::anyhow!("registry lock poisoned"))?;
        if full {
            let ids: Vec<usize> = g
                .by_period
                .iter()
                .filter(|((i, _, _), _)| *i == insurer)
                .map(|(_, v)| *v)
                .collect();
            for id in ids {
                g.remove(id);
            }
        }
        for r in records {
            let person = (r.insurer_number.clone(), r.addressee_id.clone());
            let code = match &r.my_number {
                Some(n) => Some(self.agency_code(n)),
                None => g.code_of_person.get(&person).cloned(),
            };
            if let Some(c) = &code {
                g.code_of_person.insert(person.clone(), c.clone());
            }
            let key = (
                r.insurer_number.clone(),
                r.addressee_id.clone(),
                r.period_id,
            );
            if let Some(old) = g.by_period.get(&key).copied() {
                g.remove(old);
            }
            results.push(ResultRecord {
                insurer_number: r.insurer_number.clone(),
                insured_symbol: r.insured_symbol.clone(),
                insured_number: r.insured_number.clone(),
                branch_number: r.branch_number.clone(),
                addressee_id: r.addressee_id.clone(),
                period_id: r.period_id,
                ok: true,
                error_code: None,
                agency_code_obtained: code.is_some(),
            });
            if r.change == Change::Remove {
                continue;
            }
            g.insert(key, code, r);
        }
        Ok(IntermediateFile {
            header: FileHeader {
                insurer_number: insurer,
                created_at: now,
                extract: Extract::Answer,
                since: None,
            },
            body: Body::Results(results),
        })
    }

    /// A provider's query by the card.
    pub fn by_card(&self, card: &Card, on: Date) -> Answer {
        let Ok(g) = self.inner.read() else {
            return Answer {
                validity: "4".into(),
                insured: None,
            };
        };
        let ids = g.by_card.get(card).cloned().unwrap_or_default();
        let entries: Vec<&Entry> = ids.iter().filter_map(|i| g.entries[*i].as_ref()).collect();
        if entries.is_empty() {
            return Answer {
                validity: "4".into(),
                insured: None,
            };
        }
        let valid: Vec<&&Entry> = entries.iter().filter(|e| covers(&e.record, on)).collect();
        match valid.as_slice() {
            [one] => Answer {
                validity: "1".into(),
                insured: Some(insured(&one.record)),
            },
            [_, _, ..] => Answer {
                validity: "5".into(),
                insured: None,
            },
            [] => {
                // Insured that day by a later eligibility (the same
                // 機関別符号, begun after this card's)?
                let since = entries.iter().map(|e| e.record.valid_from).max();
                let newer = entries
                    .iter()
                    .filter_map(|e| e.agency_code.as_ref())
                    .flat_map(|c| g.by_code.get(c).cloned().unwrap_or_default())
                    .filter_map(|i| g.entries[i].as_ref())
                    .any(|e| covers(&e.record, on) && Some(e.record.valid_from) > since);
                let latest = entries
                    .iter()
                    .max_by_key(|e| e.record.valid_from)
                    .map(|e| insured(&e.record));
                Answer {
                    validity: if newer { "3" } else { "2" }.into(),
                    insured: latest,
                }
            }
        }
    }

    /// A query by 機関別符号 (how a My Number card's reading reaches it).
    pub fn by_code(&self, code: &str, on: Date) -> Answer {
        let Ok(g) = self.inner.read() else {
            return Answer {
                validity: "4".into(),
                insured: None,
            };
        };
        let entries: Vec<&Entry> = g
            .by_code
            .get(code)
            .map(|ids| ids.iter().filter_map(|i| g.entries[*i].as_ref()).collect())
            .unwrap_or_default();
        if entries.is_empty() {
            return Answer {
                validity: "4".into(),
                insured: None,
            };
        }
        let valid: Vec<&&Entry> = entries.iter().filter(|e| covers(&e.record, on)).collect();
        match valid.as_slice() {
            [one] => Answer {
                validity: "1".into(),
                insured: Some(insured(&one.record)),
            },
            [_, _, ..] => Answer {
                validity: "5".into(),
                insured: None,
            },
            [] => Answer {
                validity: "2".into(),
                insured: entries
                    .iter()
                    .max_by_key(|e| e.record.valid_from)
                    .map(|e| insured(&e.record)),
            },
        }
    }

    /// The 機関別符号 the server gave a town's person, if any (tests and the
    /// load generator stand in for the card reader with it).
    pub fn code_of(&self, insurer: &str, addressee_id: &str) -> Option<String> {
        self.inner.read().ok().and_then(|g| {
            g.code_of_person
                .get(&(insurer.to_string(), addressee_id.to_string()))
                .cloned()
        })
    }

    /// How many periods it holds.
    pub fn len(&self) -> usize {
        self.inner.read().map(|g| g.by_period.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Loads records directly (the load generator's synthetic city).
    pub fn load(&self, records: Vec<HistoryRecord>) {
        if let Ok(mut g) = self.inner.write() {
            for r in records {
                let code = r.my_number.as_deref().map(|n| self.agency_code(n));
                let key = (
                    r.insurer_number.clone(),
                    r.addressee_id.clone(),
                    r.period_id,
                );
                g.insert(key, code, r);
            }
        }
    }
}

impl Inner {
    fn insert(&mut self, key: (String, String, i64), code: Option<String>, r: HistoryRecord) {
        let id = self.entries.len();
        let card = (
            r.insurer_number.clone(),
            r.insured_symbol.clone(),
            r.insured_number.clone(),
            r.branch_number.clone(),
        );
        self.by_card.entry(card).or_default().push(id);
        if let Some(c) = &code {
            self.by_code.entry(c.clone()).or_default().push(id);
        }
        self.by_period.insert(key, id);
        self.entries.push(Some(Entry {
            agency_code: code,
            record: r,
        }));
    }

    fn remove(&mut self, id: usize) {
        let Some(e) = self.entries.get_mut(id).and_then(Option::take) else {
            return;
        };
        let r = &e.record;
        self.by_period.remove(&(
            r.insurer_number.clone(),
            r.addressee_id.clone(),
            r.period_id,
        ));
        let card = (
            r.insurer_number.clone(),
            r.insured_symbol.clone(),
            r.insured_number.clone(),
            r.branch_number.clone(),
        );
        if let Some(v) = self.by_card.get_mut(&card) {
            v.retain(|i| *i != id);
        }
        if let Some(c) = &e.agency_code
            && let Some(v) = self.by_code.get_mut(c)
        {
            v.retain(|i| *i != id);
        }
    }
}

/// The HTTP face: the histories in, providers' queries out.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub key: Arc<TransferKey>,
}

#[derive(Deserialize)]
pub struct CardQuery {
    pub insurer: String,
    #[serde(default)]
    pub symbol: String,
    pub number: String,
    pub branch: String,
    pub date: String,
}

#[derive(Deserialize)]
pub struct DateQuery {
    pub date: String,
}

fn parse_date(s: &str) -> Option<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &f).ok()
}

fn bad(msg: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": msg })),
    )
        .into_response()
}

async fn card(State(s): State<AppState>, Query(q): Query<CardQuery>) -> Response {
    let Some(on) = parse_date(&q.date) else {
        return bad("date must be YYYY-MM-DD");
    };
    Json(
        s.registry
            .by_card(&(q.insurer, q.symbol, q.number, q.branch), on),
    )
    .into_response()
}

async fn code(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
) -> Response {
    let Some(on) = parse_date(&q.date) else {
        return bad("date must be YYYY-MM-DD");
    };
    Json(s.registry.by_code(&code, on)).into_response()
}

async fn histories(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(name) = headers.get("x-file-name").and_then(|v| v.to_str().ok()) else {
        return bad("X-File-Name is required");
    };
    let now = time::OffsetDateTime::now_utc()
        .to_offset(time::UtcOffset::from_whole_seconds(9 * 3600).unwrap_or(time::UtcOffset::UTC));
    let now = PrimitiveDateTime::new(now.date(), now.time())
        .replace_nanosecond(0)
        .unwrap_or(PrimitiveDateTime::new(now.date(), time::Time::MIDNIGHT));
    match s.registry.register(name, &body, &s.key, now) {
        Ok(result) => match (intermediate::write(&result), result.file_name()) {
            (Ok(bytes), Ok(n)) => ([("x-file-name", n)], bytes).into_response(),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "result not writable").into_response(),
        },
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({ "error": e.to_string() })),
        )
            .into_response(),
    }
}

/// The routes: `POST /v1/eligibility-histories` (the sealed file, its name
/// in `X-File-Name`; answers the result file), `GET /v1/eligibility?insurer=
/// &symbol=&number=&branch=&date=`, `GET /v1/eligibility/by-agency-code/{code}?date=`.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/v1/eligibility-histories", post(histories))
        .route("/v1/eligibility", get(card))
        .route("/v1/eligibility/by-agency-code/{code}", get(code))
        .with_state(state)
}
