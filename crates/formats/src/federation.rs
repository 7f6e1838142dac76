//! The files exchanged with the prefecture federation's 国保情報集約システム
//! (federation_aggregator): typed records over the layout table
//! `layouts/federation.toml` (PROVISIONAL, kokuho's own until the
//! specification's field tables can be read; docs/formats/federation.md).
//!
//! From the town: 資格情報（世帯）, 資格情報（個人） (it holds the 個人番号),
//! 世帯所得区分情報, 高額該当情報 and the town's 世帯継続判定結果. To the town:
//! 資格継続引継情報 (with the households that may continue) and
//! 高額該当引継情報 (the high-cost months of a continued household).

use std::sync::LazyLock;

use kokuho_domain::burden::{Elderly, Under70};
use kokuho_domain::eligibility::YearMonth;
use time::{Date, Month, PrimitiveDateTime, Time};

use crate::fixed::{self, FileLayout, FixedError, LayoutError, Layouts, Values};

const LAYOUT: &str = include_str!("../layouts/federation.toml");

static LAYOUTS: LazyLock<Result<Layouts, LayoutError>> = LazyLock::new(|| Layouts::parse(LAYOUT));

/// The shipped layout table, checked when first used.
pub fn layouts() -> Result<&'static Layouts, LayoutError> {
    LAYOUTS.as_ref().map_err(Clone::clone)
}

/// Whether a record adds or updates, or removes what was sent before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// 1 登録・更新
    Upsert,
    /// 3 削除・取消
    Remove,
}

impl Change {
    fn code(self) -> &'static str {
        match self {
            Change::Upsert => "1",
            Change::Remove => "3",
        }
    }
    fn from_code(c: &str) -> Change {
        if c == "3" {
            Change::Remove
        } else {
            Change::Upsert
        }
    }
}

/// What a file holds: everything, what changed, or an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extract {
    /// 0 回答 (from the federation)
    Answer,
    /// 1 全件
    Full,
    /// 2 差分: what changed since `since`
    Differential,
}

/// The header every file carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// the insurer the file is from (to the federation) or for (from it)
    pub insurer_number: String,
    pub created_at: PrimitiveDateTime,
    pub extract: Extract,
    /// a differential's lower bound (exclusive)
    pub since: Option<PrimitiveDateTime>,
}

/// 資格情報（世帯）: an NHI household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdRecord {
    pub change: Change,
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub household_number: String,
    pub householder_addressee_id: String,
    /// 擬制世帯主: the householder is not NHI-insured
    pub nominal_householder: bool,
    pub postal_code: String,
    pub address: String,
    pub insured_from: Option<Date>,
    pub insured_until: Option<Date>,
}

/// 資格情報（個人）: one eligibility period of a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRecord {
    pub change: Change,
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub branch_number: String,
    pub household_number: String,
    pub addressee_id: String,
    pub period_id: i64,
    /// 12 digits, when registered; this file is specific personal information
    pub my_number: Option<String>,
    pub name: String,
    pub name_kana: String,
    pub birth_date: Date,
    /// 1 male, 2 female, 9 not stated
    pub sex: u8,
    pub householder: bool,
    pub acquired_on: Date,
    /// the aggregation system's 2-digit code
    pub acquisition_reason: String,
    pub lost_on: Option<Date>,
    pub loss_reason: Option<String>,
    /// 0 none, 1 マル学, 3 住所地特例
    pub exception_kind: u8,
    pub previous_insurer: Option<String>,
    pub next_insurer: Option<String>,
}

/// 世帯所得区分情報: a household's income categories in a month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomeCategoryRecord {
    pub change: Change,
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub household_number: String,
    pub month: YearMonth,
    pub under_70: Option<Under70>,
    pub elderly: Option<Elderly>,
}

/// 高額該当情報: a month with a high-cost benefit for the household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HighCostMonthRecord {
    pub change: Change,
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub household_number: String,
    pub service_month: YearMonth,
    /// the municipality the month was handed over from, if it was
    pub handed_over_from: Option<String>,
}

/// 世帯継続判定結果: the town's judgement on a candidate household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContinuityJudgementRecord {
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub from_insurer: String,
    pub from_insured_symbol: String,
    pub from_insured_number: String,
    pub continues: bool,
    pub judged_on: Date,
}

/// 資格継続判定: how the new period meets the old one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Continuity {
    /// 1: acquired the day the old one was lost
    Continuous,
    /// 2: days without NHI between
    Gap,
    /// 3: the periods overlap
    Overlap,
}

impl Continuity {
    pub fn code(self) -> &'static str {
        match self {
            Continuity::Continuous => "1",
            Continuity::Gap => "2",
            Continuity::Overlap => "3",
        }
    }
    fn from_code(c: &str) -> Continuity {
        match c {
            "2" => Continuity::Gap,
            "3" => Continuity::Overlap,
            _ => Continuity::Continuous,
        }
    }
}

/// 資格継続引継情報: a person who moved in from another municipality of
/// the prefecture, with the period they left there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EligibilityContinuityRecord {
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub branch_number: String,
    pub addressee_id: String,
    pub acquired_on: Date,
    pub from_insurer: String,
    pub from_insured_symbol: String,
    pub from_insured_number: String,
    pub from_branch_number: String,
    pub from_lost_on: Date,
    pub continuity: Continuity,
    /// the household may continue: the town is asked to judge it
    pub household_candidate: bool,
    /// the person was the householder of the household they left
    pub from_householder: bool,
    /// the household they left had a householder not NHI-insured (擬制世帯主)
    pub from_nominal_householder: bool,
    /// the insured of the household they left, on its last day with them
    pub from_household_insured: i64,
}

/// 高額該当引継情報: a high-cost month of a continued household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HighCostHandOverRecord {
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub from_insurer: String,
    pub from_insured_symbol: String,
    pub from_insured_number: String,
    pub service_month: YearMonth,
}

/// A file's records, by file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Households(Vec<HouseholdRecord>),
    Persons(Vec<PersonRecord>),
    IncomeCategories(Vec<IncomeCategoryRecord>),
    HighCostMonths(Vec<HighCostMonthRecord>),
    ContinuityJudgements(Vec<ContinuityJudgementRecord>),
    EligibilityContinuity(Vec<EligibilityContinuityRecord>),
    HighCostHandOver(Vec<HighCostHandOverRecord>),
}

impl Body {
    /// The layout's key of the file.
    pub fn file_key(&self) -> &'static str {
        match self {
            Body::Households(_) => "eligibility_household",
            Body::Persons(_) => "eligibility_person",
            Body::IncomeCategories(_) => "household_income_category",
            Body::HighCostMonths(_) => "high_cost_month",
            Body::ContinuityJudgements(_) => "household_continuity_confirmation",
            Body::EligibilityContinuity(_) => "eligibility_continuity",
            Body::HighCostHandOver(_) => "high_cost_hand_over",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Body::Households(r) => r.len(),
            Body::Persons(r) => r.len(),
            Body::IncomeCategories(r) => r.len(),
            Body::HighCostMonths(r) => r.len(),
            Body::ContinuityJudgements(r) => r.len(),
            Body::EligibilityContinuity(r) => r.len(),
            Body::HighCostHandOver(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A whole file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FederationFile {
    pub header: FileHeader,
    pub body: Body,
}

impl FederationFile {
    pub fn layout(&self) -> Result<&'static FileLayout, LayoutError> {
        let key = self.body.file_key();
        layouts()?.file(key).ok_or_else(|| LayoutError {
            table: key.to_string(),
            reason: "not in the layout table".into(),
        })
    }

    /// The name kokuho gives the file: code, insurer, creation time.
    pub fn file_name(&self) -> Result<String, LayoutError> {
        let c = self.header.created_at;
        Ok(format!(
            "{}_{}_{}.dat",
            self.layout()?.code,
            self.header.insurer_number,
            stamp(c)
        ))
    }
}

pub(crate) fn stamp(t: PrimitiveDateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub(crate) fn ymd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month() as u8, d.day())
}

fn ym(m: YearMonth) -> String {
    format!("{:04}{:02}", m.year, m.month as u8)
}

pub(crate) fn opt(d: Option<Date>) -> String {
    d.map(ymd).unwrap_or_default()
}

pub(crate) fn flag(b: bool, yes: &str, no: &str) -> String {
    if b { yes } else { no }.to_string()
}

/// The online-eligibility answer's limit-category codes.
pub fn under_70_code(c: Under70) -> &'static str {
    match c {
        Under70::A => "A01",
        Under70::I => "A02",
        Under70::U => "A03",
        Under70::E => "A04",
        Under70::O => "A05",
    }
}

pub fn elderly_code(c: Elderly) -> &'static str {
    match c {
        Elderly::Genekinami3 => "B01",
        Elderly::Genekinami2 => "B02",
        Elderly::Genekinami1 => "B03",
        Elderly::General => "B04",
        Elderly::LowIncome2 => "B05",
        Elderly::LowIncome1 => "B06",
    }
}

pub(crate) fn vals<const N: usize>(pairs: [(&str, String); N]) -> Values {
    pairs
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

pub(crate) fn header_values(h: &FileHeader) -> Values {
    let (since_on, since_time) = match h.since {
        Some(s) => (ymd(s.date()), stamp(s)[8..].to_string()),
        None => (String::new(), String::new()),
    };
    vals([
        ("insurer_number", h.insurer_number.clone()),
        ("created_on", ymd(h.created_at.date())),
        ("created_time", stamp(h.created_at)[8..].to_string()),
        (
            "extract",
            match h.extract {
                Extract::Answer => "0",
                Extract::Full => "1",
                Extract::Differential => "2",
            }
            .to_string(),
        ),
        ("since_on", since_on),
        ("since_time", since_time),
    ])
}

fn record_values(body: &Body) -> Vec<Values> {
    match body {
        Body::Households(rs) => rs
            .iter()
            .map(|r| {
                vals([
                    ("change_kind", r.change.code().into()),
                    ("insurer_number", r.insurer_number.clone()),
                    ("insured_symbol", r.insured_symbol.clone()),
                    ("insured_number", r.insured_number.clone()),
                    ("household_number", r.household_number.clone()),
                    (
                        "householder_addressee_id",
                        r.householder_addressee_id.clone(),
                    ),
                    ("householder_kind", flag(r.nominal_householder, "2", "1")),
                    ("postal_code", r.postal_code.clone()),
                    ("address", r.address.clone()),
                    ("insured_from", opt(r.insured_from)),
                    ("insured_until", opt(r.insured_until)),
                ])
            })
            .collect(),
        Body::Persons(rs) => rs
            .iter()
            .map(|r| {
                vals([
                    ("change_kind", r.change.code().into()),
                    ("insurer_number", r.insurer_number.clone()),
                    ("insured_symbol", r.insured_symbol.clone()),
                    ("insured_number", r.insured_number.clone()),
                    ("branch_number", r.branch_number.clone()),
                    ("household_number", r.household_number.clone()),
                    ("addressee_id", r.addressee_id.clone()),
                    ("period_id", r.period_id.to_string()),
                    ("my_number", r.my_number.clone().unwrap_or_default()),
                    ("name", r.name.clone()),
                    ("name_kana", r.name_kana.clone()),
                    ("birth_date", ymd(r.birth_date)),
                    ("sex", r.sex.to_string()),
                    ("person_kind", flag(r.householder, "1", "3")),
                    ("acquired_on", ymd(r.acquired_on)),
                    ("acquisition_reason", r.acquisition_reason.clone()),
                    ("lost_on", opt(r.lost_on)),
                    ("loss_reason", r.loss_reason.clone().unwrap_or_default()),
                    ("exception_kind", r.exception_kind.to_string()),
                    (
                        "previous_insurer",
                        r.previous_insurer.clone().unwrap_or_default(),
                    ),
                    ("next_insurer", r.next_insurer.clone().unwrap_or_default()),
                ])
            })
            .collect(),
        Body::IncomeCategories(rs) => rs
            .iter()
            .map(|r| {
                vals([
                    ("change_kind", r.change.code().into()),
                    ("insurer_number", r.insurer_number.clone()),
                    ("insured_symbol", r.insured_symbol.clone()),
                    ("insured_number", r.insured_number.clone()),
                    ("household_number", r.household_number.clone()),
                    ("month", ym(r.month)),
                    (
                        "category_under_70",
                        r.under_70.map(under_70_code).unwrap_or("").into(),
                    ),
                    (
                        "category_70_74",
                        r.elderly.map(elderly_code).unwrap_or("").into(),
                    ),
                ])
            })
            .collect(),
        Body::HighCostMonths(rs) => rs
            .iter()
            .map(|r| {
                vals([
                    ("change_kind", r.change.code().into()),
                    ("insurer_number", r.insurer_number.clone()),
                    ("insured_symbol", r.insured_symbol.clone()),
                    ("insured_number", r.insured_number.clone()),
                    ("household_number", r.household_number.clone()),
                    ("service_month", ym(r.service_month)),
                    ("source", flag(r.handed_over_from.is_some(), "2", "1")),
                    (
                        "from_insurer",
                        r.handed_over_from.clone().unwrap_or_default(),
                    ),
                ])
            })
            .collect(),
        Body::ContinuityJudgements(rs) => rs
            .iter()
            .map(|r| {
                vals([
                    ("insurer_number", r.insurer_number.clone()),
                    ("insured_symbol", r.insured_symbol.clone()),
                    ("insured_number", r.insured_number.clone()),
                    ("from_insurer", r.from_insurer.clone()),
                    ("from_insured_symbol", r.from_insured_symbol.clone()),
                    ("from_insured_number", r.from_insured_number.clone()),
                    ("judgement", flag(r.continues, "1", "2")),
                    ("judged_on", ymd(r.judged_on)),
                ])
            })
            .collect(),
        Body::EligibilityContinuity(rs) => rs
            .iter()
            .map(|r| {
                vals([
                    ("insurer_number", r.insurer_number.clone()),
                    ("insured_symbol", r.insured_symbol.clone()),
                    ("insured_number", r.insured_number.clone()),
                    ("branch_number", r.branch_number.clone()),
                    ("addressee_id", r.addressee_id.clone()),
                    ("acquired_on", ymd(r.acquired_on)),
                    ("from_insurer", r.from_insurer.clone()),
                    ("from_insured_symbol", r.from_insured_symbol.clone()),
                    ("from_insured_number", r.from_insured_number.clone()),
                    ("from_branch_number", r.from_branch_number.clone()),
                    ("from_lost_on", ymd(r.from_lost_on)),
                    ("continuity", r.continuity.code().into()),
                    ("household_candidate", flag(r.household_candidate, "1", "0")),
                    (
                        "from_householder",
                        if r.from_nominal_householder {
                            "2".into()
                        } else {
                            flag(r.from_householder, "1", "0")
                        },
                    ),
                    (
                        "from_household_insured",
                        r.from_household_insured.to_string(),
                    ),
                ])
            })
            .collect(),
        Body::HighCostHandOver(rs) => rs
            .iter()
            .map(|r| {
                vals([
                    ("insurer_number", r.insurer_number.clone()),
                    ("insured_symbol", r.insured_symbol.clone()),
                    ("insured_number", r.insured_number.clone()),
                    ("from_insurer", r.from_insurer.clone()),
                    ("from_insured_symbol", r.from_insured_symbol.clone()),
                    ("from_insured_number", r.from_insured_number.clone()),
                    ("service_month", ym(r.service_month)),
                ])
            })
            .collect(),
    }
}

pub(crate) fn layout_error(file: &str, e: LayoutError) -> FixedError {
    FixedError {
        file: file.to_string(),
        line: 0,
        field: String::new(),
        reason: e.to_string(),
        reason_ja:
            "連携ファイルのレイアウト定義が正しくありません（システム管理者に連絡してください）"
                .into(),
    }
}

/// The file's bytes, all or nothing.
pub fn write(file: &FederationFile) -> Result<Vec<u8>, FixedError> {
    let name = file
        .file_name()
        .unwrap_or_else(|_| "(federation file)".into());
    let l = layouts().map_err(|e| layout_error(&name, e))?;
    let layout = file.layout().map_err(|e| layout_error(&name, e))?;
    fixed::write(
        l,
        layout,
        &name,
        &header_values(&file.header),
        &record_values(&file.body),
    )
}

/// Reads one record's typed values; the field named when one is wrong.
pub(crate) struct In<'a> {
    pub(crate) file: &'a str,
    pub(crate) line: usize,
    pub(crate) layout: &'a FileLayout,
    pub(crate) v: &'a Values,
}

impl In<'_> {
    pub(crate) fn s(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }
    pub(crate) fn o(&self, k: &str) -> Option<String> {
        self.v.get(k).cloned()
    }
    pub(crate) fn name(&self, k: &str) -> String {
        self.layout
            .field(k)
            .map(|f| f.name_ja.clone())
            .unwrap_or_else(|| k.to_string())
    }
    pub(crate) fn od(&self, k: &str) -> Option<Date> {
        self.v.get(k).and_then(|s| parse_ymd(s))
    }
    pub(crate) fn d(&self, k: &str) -> Result<Date, FixedError> {
        self.od(k).ok_or_else(|| FixedError {
            file: self.file.to_string(),
            line: self.line,
            field: self.name(k),
            reason: "is required".into(),
            reason_ja: "必須の項目です".into(),
        })
    }
    pub(crate) fn m(&self, k: &str) -> Result<YearMonth, FixedError> {
        self.v
            .get(k)
            .and_then(|s| parse_ym(s))
            .ok_or_else(|| FixedError {
                file: self.file.to_string(),
                line: self.line,
                field: self.name(k),
                reason: "is required".into(),
                reason_ja: "必須の項目です".into(),
            })
    }
    pub(crate) fn n(&self, k: &str) -> i64 {
        self.v.get(k).and_then(|s| s.parse().ok()).unwrap_or(0)
    }
}

pub(crate) fn parse_ymd(s: &str) -> Option<Date> {
    let y: i32 = s.get(0..4)?.parse().ok()?;
    let m: u8 = s.get(4..6)?.parse().ok()?;
    let d: u8 = s.get(6..8)?.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

pub(crate) fn parse_ym(s: &str) -> Option<YearMonth> {
    let year: i32 = s.get(0..4)?.parse().ok()?;
    let m: u8 = s.get(4..6)?.parse().ok()?;
    Some(YearMonth {
        year,
        month: Month::try_from(m).ok()?,
    })
}

pub(crate) fn parse_stamp(on: Option<&String>, at: Option<&String>) -> Option<PrimitiveDateTime> {
    let d = parse_ymd(on?)?;
    let t = at?;
    let h: u8 = t.get(0..2)?.parse().ok()?;
    let mi: u8 = t.get(2..4)?.parse().ok()?;
    let s: u8 = t.get(4..6)?.parse().ok()?;
    Some(PrimitiveDateTime::new(d, Time::from_hms(h, mi, s).ok()?))
}

/// The header of a file read whole, and its records' insurer checked
/// against it (a file is one insurer's).
pub(crate) fn header_of(
    file_name: &str,
    parsed: &fixed::ParsedFile<'_>,
) -> Result<FileHeader, FixedError> {
    let h = &parsed.header;
    let whole = |en: &str, ja: &str| FixedError {
        file: file_name.to_string(),
        line: 1,
        field: String::new(),
        reason: en.to_string(),
        reason_ja: ja.to_string(),
    };
    let created_at = parse_stamp(h.get("created_on"), h.get("created_time")).ok_or_else(|| {
        whole(
            "the creation time is not a time",
            "作成時刻が正しくありません",
        )
    })?;
    let extract = match h.get("extract").map(String::as_str) {
        Some("1") => Extract::Full,
        Some("2") => Extract::Differential,
        _ => Extract::Answer,
    };
    let since = match (h.get("since_on"), h.get("since_time")) {
        (None, None) => None,
        (on, at) => Some(parse_stamp(on, at).ok_or_else(|| {
            whole(
                "the differential's start is not a time",
                "差分起点が正しくありません",
            )
        })?),
    };
    if extract == Extract::Differential && since.is_none() {
        return Err(whole(
            "a differential file must say since when",
            "差分ファイルに差分起点がありません",
        ));
    }
    // A file is one insurer's: from the town, its own records; from the
    // federation, the records for the town it is addressed to.
    let insurer = h.get("insurer_number").cloned().unwrap_or_default();
    if let Some(i) = parsed
        .records
        .iter()
        .position(|r| r.get("insurer_number") != Some(&insurer))
    {
        return Err(FixedError {
            file: file_name.to_string(),
            line: i + 2,
            field: "保険者番号".into(),
            reason: "differs from the header's insurer".into(),
            reason_ja: "ヘッダの保険者番号と違います".into(),
        });
    }
    let header = FileHeader {
        insurer_number: h.get("insurer_number").cloned().unwrap_or_default(),
        created_at,
        extract,
        since,
    };
    Ok(header)
}

/// Reads a whole file of any of the federation's layouts: the header names
/// it. All or nothing.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<FederationFile, FixedError> {
    let l = layouts().map_err(|e| layout_error(file_name, e))?;
    let parsed = fixed::read(l, file_name, bytes)?;
    let header = header_of(file_name, &parsed)?;
    let whole = |en: &str, ja: &str| FixedError {
        file: file_name.to_string(),
        line: 1,
        field: String::new(),
        reason: en.to_string(),
        reason_ja: ja.to_string(),
    };
    let rows = parsed.records.iter().enumerate().map(|(i, v)| In {
        file: file_name,
        line: i + 2,
        layout: parsed.layout,
        v,
    });
    let body = match parsed.layout.key.as_str() {
        "eligibility_household" => Body::Households(
            rows.map(|r| {
                Ok(HouseholdRecord {
                    change: Change::from_code(&r.s("change_kind")),
                    insurer_number: r.s("insurer_number"),
                    insured_symbol: r.s("insured_symbol"),
                    insured_number: r.s("insured_number"),
                    household_number: r.s("household_number"),
                    householder_addressee_id: r.s("householder_addressee_id"),
                    nominal_householder: r.s("householder_kind") == "2",
                    postal_code: r.s("postal_code"),
                    address: r.s("address"),
                    insured_from: r.od("insured_from"),
                    insured_until: r.od("insured_until"),
                })
            })
            .collect::<Result<_, FixedError>>()?,
        ),
        "eligibility_person" => Body::Persons(
            rows.map(|r| {
                Ok(PersonRecord {
                    change: Change::from_code(&r.s("change_kind")),
                    insurer_number: r.s("insurer_number"),
                    insured_symbol: r.s("insured_symbol"),
                    insured_number: r.s("insured_number"),
                    branch_number: r.s("branch_number"),
                    household_number: r.s("household_number"),
                    addressee_id: r.s("addressee_id"),
                    period_id: r.n("period_id"),
                    my_number: r.o("my_number"),
                    name: r.s("name"),
                    name_kana: r.s("name_kana"),
                    birth_date: r.d("birth_date")?,
                    sex: u8::try_from(r.n("sex")).unwrap_or(9),
                    householder: r.s("person_kind") == "1",
                    acquired_on: r.d("acquired_on")?,
                    acquisition_reason: r.s("acquisition_reason"),
                    lost_on: r.od("lost_on"),
                    loss_reason: r.o("loss_reason"),
                    exception_kind: u8::try_from(r.n("exception_kind")).unwrap_or(0),
                    previous_insurer: r.o("previous_insurer"),
                    next_insurer: r.o("next_insurer"),
                })
            })
            .collect::<Result<_, FixedError>>()?,
        ),
        "household_income_category" => Body::IncomeCategories(
            rows.map(|r| {
                let under = r.o("category_under_70");
                let elderly = r.o("category_70_74");
                Ok(IncomeCategoryRecord {
                    change: Change::from_code(&r.s("change_kind")),
                    insurer_number: r.s("insurer_number"),
                    insured_symbol: r.s("insured_symbol"),
                    insured_number: r.s("insured_number"),
                    household_number: r.s("household_number"),
                    month: r.m("month")?,
                    under_70: Under70::ALL
                        .into_iter()
                        .find(|c| Some(under_70_code(*c)) == under.as_deref()),
                    elderly: Elderly::ALL
                        .into_iter()
                        .find(|c| Some(elderly_code(*c)) == elderly.as_deref()),
                })
            })
            .collect::<Result<_, FixedError>>()?,
        ),
        "high_cost_month" => Body::HighCostMonths(
            rows.map(|r| {
                let handed = r.s("source") == "2";
                if handed && r.o("from_insurer").is_none() {
                    return Err(FixedError {
                        file: file_name.to_string(),
                        line: r.line,
                        field: r.name("from_insurer"),
                        reason: "a handed-over month must name where from".into(),
                        reason_ja: "引継の該当月には引継元保険者番号が必要です".into(),
                    });
                }
                Ok(HighCostMonthRecord {
                    change: Change::from_code(&r.s("change_kind")),
                    insurer_number: r.s("insurer_number"),
                    insured_symbol: r.s("insured_symbol"),
                    insured_number: r.s("insured_number"),
                    household_number: r.s("household_number"),
                    service_month: r.m("service_month")?,
                    handed_over_from: if handed { r.o("from_insurer") } else { None },
                })
            })
            .collect::<Result<_, FixedError>>()?,
        ),
        "household_continuity_confirmation" => Body::ContinuityJudgements(
            rows.map(|r| {
                Ok(ContinuityJudgementRecord {
                    insurer_number: r.s("insurer_number"),
                    insured_symbol: r.s("insured_symbol"),
                    insured_number: r.s("insured_number"),
                    from_insurer: r.s("from_insurer"),
                    from_insured_symbol: r.s("from_insured_symbol"),
                    from_insured_number: r.s("from_insured_number"),
                    continues: r.s("judgement") == "1",
                    judged_on: r.d("judged_on")?,
                })
            })
            .collect::<Result<_, FixedError>>()?,
        ),
        "eligibility_continuity" => Body::EligibilityContinuity(
            rows.map(|r| {
                Ok(EligibilityContinuityRecord {
                    insurer_number: r.s("insurer_number"),
                    insured_symbol: r.s("insured_symbol"),
                    insured_number: r.s("insured_number"),
                    branch_number: r.s("branch_number"),
                    addressee_id: r.s("addressee_id"),
                    acquired_on: r.d("acquired_on")?,
                    from_insurer: r.s("from_insurer"),
                    from_insured_symbol: r.s("from_insured_symbol"),
                    from_insured_number: r.s("from_insured_number"),
                    from_branch_number: r.s("from_branch_number"),
                    from_lost_on: r.d("from_lost_on")?,
                    continuity: Continuity::from_code(&r.s("continuity")),
                    household_candidate: r.s("household_candidate") == "1",
                    from_householder: r.s("from_householder") == "1",
                    from_nominal_householder: r.s("from_householder") == "2",
                    from_household_insured: r.n("from_household_insured"),
                })
            })
            .collect::<Result<_, FixedError>>()?,
        ),
        "high_cost_hand_over" => Body::HighCostHandOver(
            rows.map(|r| {
                Ok(HighCostHandOverRecord {
                    insurer_number: r.s("insurer_number"),
                    insured_symbol: r.s("insured_symbol"),
                    insured_number: r.s("insured_number"),
                    from_insurer: r.s("from_insurer"),
                    from_insured_symbol: r.s("from_insured_symbol"),
                    from_insured_number: r.s("from_insured_number"),
                    service_month: r.m("service_month")?,
                })
            })
            .collect::<Result<_, FixedError>>()?,
        ),
        other => {
            return Err(whole(
                &format!("the layout {other} has no reader"),
                "読み込めないファイルです",
            ));
        }
    };
    Ok(FederationFile { header, body })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use time::macros::{date, datetime};

    use super::*;
    use crate::fixed::FieldKind;

    fn month(y: i32, m: u8) -> YearMonth {
        YearMonth {
            year: y,
            month: Month::try_from(m).unwrap(),
        }
    }

    fn header(extract: Extract) -> FileHeader {
        FileHeader {
            insurer_number: "319012".into(),
            created_at: datetime!(2026-11-25 09:30:15),
            extract,
            since: (extract == Extract::Differential).then_some(datetime!(2026-11-01 00:00:00)),
        }
    }

    fn person() -> PersonRecord {
        PersonRecord {
            change: Change::Upsert,
            insurer_number: "319012".into(),
            insured_symbol: "八頭".into(),
            insured_number: "00001234".into(),
            branch_number: "02".into(),
            household_number: "H00000123".into(),
            addressee_id: "000000012345".into(),
            period_id: 77,
            my_number: Some("123456789018".into()),
            name: "八頭　花子".into(),
            name_kana: "ヤズ　ハナコ".into(),
            birth_date: date!(1980 - 04 - 01),
            sex: 2,
            householder: false,
            acquired_on: date!(2026 - 04 - 10),
            acquisition_reason: "01".into(),
            lost_on: Some(date!(2026 - 10 - 02)),
            loss_reason: Some("41".into()),
            exception_kind: 0,
            previous_insurer: Some("06270015".into()),
            next_insurer: Some("319020".into()),
        }
    }

    /// One file of every layout, every optional field filled.
    fn samples() -> Vec<FederationFile> {
        let h = |e| header(e);
        vec![
            FederationFile {
                header: h(Extract::Full),
                body: Body::Households(vec![HouseholdRecord {
                    change: Change::Upsert,
                    insurer_number: "319012".into(),
                    insured_symbol: "八頭".into(),
                    insured_number: "00001234".into(),
                    household_number: "H00000123".into(),
                    householder_addressee_id: "000000012340".into(),
                    nominal_householder: true,
                    postal_code: "6800461".into(),
                    address: "鳥取県八頭郡八頭町郡家１００番地".into(),
                    insured_from: Some(date!(2020 - 01 - 01)),
                    insured_until: Some(date!(2026 - 10 - 02)),
                }]),
            },
            FederationFile {
                header: h(Extract::Differential),
                body: Body::Persons(vec![person()]),
            },
            FederationFile {
                header: h(Extract::Full),
                body: Body::IncomeCategories(vec![IncomeCategoryRecord {
                    change: Change::Upsert,
                    insurer_number: "319012".into(),
                    insured_symbol: "八頭".into(),
                    insured_number: "00001234".into(),
                    household_number: "H00000123".into(),
                    month: month(2026, 8),
                    under_70: Some(Under70::U),
                    elderly: Some(Elderly::LowIncome2),
                }]),
            },
            FederationFile {
                header: h(Extract::Full),
                body: Body::HighCostMonths(vec![HighCostMonthRecord {
                    change: Change::Remove,
                    insurer_number: "319012".into(),
                    insured_symbol: "八頭".into(),
                    insured_number: "00001234".into(),
                    household_number: "H00000123".into(),
                    service_month: month(2026, 5),
                    handed_over_from: Some("319020".into()),
                }]),
            },
            FederationFile {
                header: h(Extract::Full),
                body: Body::ContinuityJudgements(vec![ContinuityJudgementRecord {
                    insurer_number: "319012".into(),
                    insured_symbol: "八頭".into(),
                    insured_number: "00001234".into(),
                    from_insurer: "319020".into(),
                    from_insured_symbol: "若桜".into(),
                    from_insured_number: "55".into(),
                    continues: true,
                    judged_on: date!(2026 - 11 - 20),
                }]),
            },
            FederationFile {
                header: h(Extract::Answer),
                body: Body::EligibilityContinuity(vec![EligibilityContinuityRecord {
                    insurer_number: "319012".into(),
                    insured_symbol: "八頭".into(),
                    insured_number: "00001234".into(),
                    branch_number: "01".into(),
                    addressee_id: "000000012340".into(),
                    acquired_on: date!(2026 - 10 - 02),
                    from_insurer: "319020".into(),
                    from_insured_symbol: "若桜".into(),
                    from_insured_number: "55".into(),
                    from_branch_number: "03".into(),
                    from_lost_on: date!(2026 - 10 - 02),
                    continuity: Continuity::Gap,
                    household_candidate: true,
                    from_householder: true,
                    from_nominal_householder: false,
                    from_household_insured: 3,
                }]),
            },
            FederationFile {
                header: h(Extract::Answer),
                body: Body::HighCostHandOver(vec![HighCostHandOverRecord {
                    insurer_number: "319012".into(),
                    insured_symbol: "八頭".into(),
                    insured_number: "00001234".into(),
                    from_insurer: "319020".into(),
                    from_insured_symbol: "若桜".into(),
                    from_insured_number: "55".into(),
                    service_month: month(2026, 7),
                }]),
            },
        ]
    }

    /// What a field's bytes must be for a value, by its kind.
    fn expected(kind: FieldKind, len: usize, value: &str) -> Vec<u8> {
        if value.is_empty() {
            return vec![b' '; len];
        }
        let mut b = match kind {
            FieldKind::N => {
                let mut z = vec![b'0'; len - value.len()];
                z.extend_from_slice(value.as_bytes());
                z
            }
            FieldKind::M => crate::text::encode_cp932(value).unwrap(),
            _ => value.as_bytes().to_vec(),
        };
        b.resize(len, b' ');
        b
    }

    #[test]
    fn the_shipped_layout_loads_and_is_marked_provisional() {
        let l = layouts().unwrap();
        assert!(l.meta.provisional, "no official table has been read");
        let codes: Vec<&str> = l.files.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(
            codes,
            ["KS01", "KS02", "KS03", "KS04", "KS05", "KR01", "KR02"]
        );
        // Only the person file carries My Numbers.
        let carrying: Vec<&str> = l
            .files
            .iter()
            .filter(|f| f.carries_my_number)
            .map(|f| f.key.as_str())
            .collect();
        assert_eq!(carrying, ["eligibility_person"]);
    }

    #[test]
    fn every_field_of_every_file_is_where_the_layout_puts_it() {
        let l = layouts().unwrap();
        for f in samples() {
            let bytes = write(&f).unwrap();
            let layout = f.layout().unwrap();
            let len = layout.record_length;
            let lines: Vec<&[u8]> = bytes.chunks(len + 2).collect();
            assert_eq!(lines.len(), 3, "{}", layout.key);
            for line in &lines {
                assert_eq!(line.len(), len + 2);
                assert_eq!(&line[len..], b"\r\n");
            }
            let values = &record_values(&f.body)[0];
            for field in &layout.fields {
                let at = field.pos - 1..field.pos - 1 + field.len;
                let want = field
                    .value
                    .clone()
                    .unwrap_or_else(|| values.get(&field.key).cloned().unwrap_or_default());
                assert_eq!(
                    lines[1][at].to_vec(),
                    expected(field.kind, field.len, &want),
                    "{}.{}",
                    layout.key,
                    field.key
                );
            }
            let hv = {
                let mut v = header_values(&f.header);
                v.insert("file_code".into(), layout.code.clone());
                v
            };
            for field in &l.header {
                let at = field.pos - 1..field.pos - 1 + field.len;
                let want = field
                    .value
                    .clone()
                    .unwrap_or_else(|| hv.get(&field.key).cloned().unwrap_or_default());
                assert_eq!(
                    lines[0][at].to_vec(),
                    expected(field.kind, field.len, &want),
                    "header.{}",
                    field.key
                );
            }
            assert_eq!(&lines[2][..10], b"9000000001");
            assert!(lines[2][10..len].iter().all(|b| *b == b' '));
        }
    }

    /// A golden record of the person file: any change to the layout shows
    /// here, byte by byte.
    #[test]
    fn the_person_record_byte_for_byte() {
        let f = FederationFile {
            header: header(Extract::Differential),
            body: Body::Persons(vec![person()]),
        };
        let bytes = write(&f).unwrap();
        let line = &bytes[614..1226];
        let text = crate::text::decode(line, crate::text::Encoding::Cp932).unwrap();
        let pad = |s: &str, n: usize| {
            let w = crate::text::encode_cp932(s).unwrap().len();
            format!("{s}{}", " ".repeat(n - w))
        };
        let want = format!(
            "21319012{}{}02H00000123      000000012345   0000000077123456789018{}{}198004012320260410012026100241006270015319020  {}",
            pad("八頭", 40),
            pad("00001234", 20),
            pad("八頭　花子", 200),
            pad("ヤズ　ハナコ", 200),
            " ".repeat(43)
        );
        assert_eq!(text, want);
        assert_eq!(&bytes[..40], b"1KS0231901220261125093015220261101000000");
        assert_eq!(f.file_name().unwrap(), "KS02_319012_20261125093015.dat");
    }

    #[test]
    fn every_file_reads_back_as_written() {
        for f in samples() {
            let bytes = write(&f).unwrap();
            let back = read("f.dat", &bytes).unwrap();
            assert_eq!(back, f);
        }
    }

    fn err_of(bytes: &[u8]) -> FixedError {
        read("KS02_x.dat", bytes).unwrap_err()
    }

    fn person_file() -> Vec<u8> {
        write(&FederationFile {
            header: header(Extract::Full),
            body: Body::Persons(vec![person(), person()]),
        })
        .unwrap()
    }

    /// The byte offset of a field in line `line` (1-based) of the person file.
    fn at(line: usize, key: &str) -> usize {
        let l = layouts().unwrap().file("eligibility_person").unwrap();
        (line - 1) * (l.record_length + 2) + l.field(key).unwrap().pos - 1
    }

    #[test]
    fn malformed_files_are_refused_whole_with_line_field_and_reason() {
        let good = person_file();
        let step = layouts()
            .unwrap()
            .file("eligibility_person")
            .unwrap()
            .record_length
            + 2;
        // A record one byte short.
        let mut short = good.clone();
        short.remove(step + 100);
        let e = err_of(&short);
        assert!(e.reason.contains("612 bytes"), "{e}");

        // The count in the trailer is wrong.
        let mut count = good.clone();
        let t = 3 * step;
        count[t + 9] = b'3';
        let e = err_of(&count);
        assert_eq!((e.line, e.field.as_str()), (4, "データ件数"), "{e}");

        // An impossible birth date on the second record.
        let mut date = good.clone();
        let a = at(3, "birth_date");
        date[a..a + 8].copy_from_slice(b"19800231");
        let e = err_of(&date);
        assert_eq!((e.line, e.field.as_str()), (3, "生年月日"), "{e}");
        assert!(!e.to_string().contains("19800231"), "no value in errors");

        // A loss reason outside the code list.
        let mut code = good.clone();
        let a = at(2, "loss_reason");
        code[a..a + 2].copy_from_slice(b"77");
        let e = err_of(&code);
        assert_eq!((e.line, e.field.as_str()), (2, "資格喪失事由"), "{e}");
        assert_eq!(e.reason_ja, "コード表にない値です");

        // A required field left blank.
        let mut blank = good.clone();
        let a = at(2, "name");
        blank[a..a + 200].fill(b' ');
        let e = err_of(&blank);
        assert_eq!((e.line, e.field.as_str()), (2, "氏名"), "{e}");

        // A double-byte character cut at the field's end: 八 is 0x94 0xAA.
        let mut split = good.clone();
        let a = at(2, "insured_symbol") + 39;
        split[a] = 0x94;
        let e = err_of(&split);
        assert_eq!((e.line, e.field.as_str()), (2, "被保険者証記号"), "{e}");

        // Another insurer's record in the file.
        let mut other = good.clone();
        let a = at(2, "insurer_number");
        other[a..a + 6].copy_from_slice(b"319020");
        let e = err_of(&other);
        assert_eq!((e.line, e.field.as_str()), (2, "保険者番号"), "{e}");

        // An unknown file, no trailer, a trailer in the middle, an empty file.
        let mut unknown = good.clone();
        unknown[1..5].copy_from_slice(b"ZZ99");
        assert_eq!(err_of(&unknown).reason_ja, "知らないファイル識別です");
        assert_eq!(err_of(&good[..3 * step]).field, "レコード区分");
        let mut middle = good.clone();
        middle[step] = b'9';
        assert_eq!(err_of(&middle).line, 2);
        assert_eq!(err_of(b"").line, 0);
        // LF only.
        let lf: Vec<u8> = good.iter().copied().filter(|b| *b != b'\r').collect();
        assert!(err_of(&lf).reason.contains("CR LF"));
        // Something in the header's unused bytes.
        let mut tail = good.clone();
        tail[step - 3] = b'X';
        assert_eq!(err_of(&tail).field, "予備");
    }

    #[test]
    fn the_writer_refuses_what_does_not_fit() {
        let mut p = person();
        p.name = "あ".repeat(101); // 202 bytes in a 200-byte field
        let e = write(&FederationFile {
            header: header(Extract::Full),
            body: Body::Persons(vec![p]),
        })
        .unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "氏名"));
        let mut p = person();
        p.name = "髙橋\u{1F600}".into(); // not in CP932
        let e = write(&FederationFile {
            header: header(Extract::Full),
            body: Body::Persons(vec![p]),
        })
        .unwrap_err();
        assert_eq!(e.field, "氏名");
        let mut p = person();
        p.acquisition_reason = "05".into();
        let e = write(&FederationFile {
            header: header(Extract::Full),
            body: Body::Persons(vec![p]),
        })
        .unwrap_err();
        assert_eq!(e.field, "資格取得事由");
    }

    #[test]
    fn a_broken_layout_table_is_refused_at_load() {
        let gap = LAYOUT.replacen("pos = 9\nlen = 40", "pos = 10\nlen = 39", 1);
        let e = Layouts::parse(&gap).unwrap_err();
        assert!(e.reason.contains("starts at 10"), "{e}");
        let long = LAYOUT.replacen("record_length = 332", "record_length = 333", 1);
        let e = Layouts::parse(&long).unwrap_err();
        assert!(e.reason.contains("fields end at byte 332"), "{e}");
        let date = LAYOUT.replacen("len = 8\nkind = \"D\"", "len = 9\nkind = \"D\"", 1);
        assert!(Layouts::parse(&date).is_err());
    }
}
