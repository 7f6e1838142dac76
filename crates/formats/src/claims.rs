//! Claim files (レセプト電算処理システム 記録条件仕様, "UKE"): one record a
//! line, comma-separated, CRLF, CP932. Read as a stream, one claim at a time,
//! so a month of a city's claims never has to fit in memory; written back
//! byte for byte. The fields of each record are data
//! (`layouts/claims.toml`; docs/formats/claims.md says which are
//! provisional), so a corrected layout is a data change.
//!
//! Both forms are read: the provider's (the first field is the record id)
//! and the insurer's, as the federation sends it (every record prefixed by
//! データ識別, 行番号 and 枝番号, with extra records such as MN, EX or HI,
//! kept as read). Anything malformed stops the file with its line, record,
//! field and reason; the value itself is never quoted (it may be a name).

use std::collections::HashMap;
use std::io::{BufRead, Write};

use encoding_rs::SHIFT_JIS;
use kokuho_domain::eligibility::YearMonth;
use serde::Deserialize;
use time::Date;

const LAYOUTS: &str = include_str!("../layouts/claims.toml");

/// A line longer than this is not a claim record (the longest, SI with 31
/// days and three comments, is far shorter); it stops the file rather than
/// the memory.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// The kind of claims a file holds, from its header (IR's 点数表, or YK).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Medical,
    Dental,
    Pharmacy,
}

impl FileKind {
    pub fn code(self) -> &'static str {
        match self {
            FileKind::Medical => "medical",
            FileKind::Dental => "dental",
            FileKind::Pharmacy => "pharmacy",
        }
    }

    /// 点数表: 1 医科, 3 歯科, 4 調剤.
    pub fn score_table(self) -> &'static str {
        match self {
            FileKind::Medical => "1",
            FileKind::Dental => "3",
            FileKind::Pharmacy => "4",
        }
    }

    fn parse(s: &str) -> Option<FileKind> {
        match s {
            "medical" => Some(FileKind::Medical),
            "dental" => Some(FileKind::Dental),
            "pharmacy" => Some(FileKind::Pharmacy),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutEntry {
    id: String,
    kinds: Vec<String>,
    provisional: bool,
    fields: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    record: Vec<LayoutEntry>,
}

/// One record's fields (after its id) for one file kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub fields: Vec<String>,
    pub provisional: bool,
}

impl Layout {
    /// The position of a named field in the record, the id being 0.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name).map(|i| i + 1)
    }
}

/// The record layouts, checked when loaded.
#[derive(Clone, Debug)]
pub struct Layouts {
    map: HashMap<(FileKind, String), Layout>,
}

impl Layouts {
    /// The layouts shipped with this build; a broken table fails every test.
    pub fn shipped() -> Result<Layouts, String> {
        Layouts::parse(LAYOUTS)
    }

    pub fn parse(text: &str) -> Result<Layouts, String> {
        let file: LayoutFile =
            toml::from_str(text).map_err(|e| format!("layouts/claims.toml: {e}"))?;
        let mut map = HashMap::new();
        for (i, r) in file.record.into_iter().enumerate() {
            if r.id.len() != 2 || !r.id.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(format!("record[{i}].id: not two capital letters"));
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = r.fields.iter().find(|f| !seen.insert(f.as_str())) {
                return Err(format!("record[{i}] ({}): field {dup} twice", r.id));
            }
            // The 算定日 columns are read as a run of 31 from day1.
            if let Some(first) = r.fields.iter().position(|f| f == "day1") {
                let run_ok = (1..=31).all(|d| {
                    r.fields.get(first + d - 1).map(String::as_str) == Some(&format!("day{d}"))
                });
                if !run_ok {
                    return Err(format!("record[{i}] ({}): day1 … day31 not in a run", r.id));
                }
            }
            for k in &r.kinds {
                let kind = FileKind::parse(k)
                    .ok_or_else(|| format!("record[{i}].kinds: unknown kind {k}"))?;
                let layout = Layout {
                    fields: r.fields.clone(),
                    provisional: r.provisional,
                };
                if map.insert((kind, r.id.clone()), layout).is_some() {
                    return Err(format!("record[{i}]: {} for {k} twice", r.id));
                }
            }
        }
        Ok(Layouts { map })
    }

    pub fn get(&self, kind: FileKind, id: &str) -> Option<&Layout> {
        self.map.get(&(kind, id.to_string()))
    }

    /// Every (kind, record id) whose layout is provisional.
    pub fn provisional(&self) -> Vec<(FileKind, String)> {
        let mut v: Vec<(FileKind, String)> = self
            .map
            .iter()
            .filter(|(_, l)| l.provisional)
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        v
    }
}

/// One line of a claim file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// 1-based line of the file
    pub line: usize,
    /// the insurer form's データ識別, 行番号, 枝番号
    pub prefix: Option<[String; 3]>,
    /// the record's fields, the id first
    pub fields: Vec<String>,
}

impl Record {
    pub fn id(&self) -> &str {
        self.fields.first().map_or("", String::as_str)
    }

    /// A record built from named values (the generator's and the tests'):
    /// each at its layout's place, trailing empty fields left off.
    pub fn named(
        layouts: &Layouts,
        kind: FileKind,
        id: &str,
        values: &[(&str, String)],
    ) -> Result<Record, String> {
        let layout = layouts
            .get(kind, id)
            .ok_or_else(|| format!("no layout for {id} in a {} file", kind.code()))?;
        let mut fields = vec![String::new(); layout.fields.len() + 1];
        fields[0] = id.to_string();
        for (name, v) in values {
            let at = layout
                .position(name)
                .ok_or_else(|| format!("{id} has no field {name}"))?;
            fields[at] = v.clone();
        }
        while fields.len() > 1 && fields.last().is_some_and(String::is_empty) {
            fields.pop();
        }
        Ok(Record {
            line: 0,
            prefix: None,
            fields,
        })
    }
}

/// Why a claim file was refused: where, and why (English for logs,
/// Japanese for screens). Never the value read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: line {line}{}{}: {reason}",
    if record.is_empty() { String::new() } else { format!(", record {record}") },
    if field.is_empty() { String::new() } else { format!(", field {field}") })]
pub struct ClaimFileError {
    pub file: std::sync::Arc<str>,
    pub line: usize,
    pub record: String,
    pub field: String,
    pub reason: String,
    pub reason_ja: String,
}

impl ClaimFileError {
    pub fn message_ja(&self) -> String {
        let mut s = format!("{} の {}行目", self.file, self.line);
        if !self.record.is_empty() {
            s += &format!("（{}レコード", self.record);
            if !self.field.is_empty() {
                s += &format!("の {}", self.field);
            }
            s += "）";
        }
        format!("{s}：{}", self.reason_ja)
    }
}

/// The provider (医療機関・薬局) of the claims that follow, from IR or YK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    pub kind: FileKind,
    /// 都道府県 (2) + 点数表 (1) + 医療機関コード (7): unique in the country
    pub code: String,
    pub name: String,
    pub billing_month: YearMonth,
    /// 1 支払基金, 2 国保連合会
    pub payer: String,
}

/// Where the care of a claim was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimSetting {
    Inpatient,
    Outpatient,
    Pharmacy,
}

impl ClaimSetting {
    pub fn code(self) -> &'static str {
        match self {
            ClaimSetting::Inpatient => "inpatient",
            ClaimSetting::Outpatient => "outpatient",
            ClaimSetting::Pharmacy => "pharmacy",
        }
    }
}

/// A public funding (公費) on a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicFunding {
    pub payer_number: String,
    pub recipient_number: String,
    pub points: i64,
    pub copay: Option<i64>,
}

/// A diagnosis (傷病名) on a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    pub code: String,
    pub started_on: Option<Date>,
    /// 1 継続, 2 治ゆ, 3 死亡, 4 中止
    pub outcome: String,
    pub main: bool,
}

/// One claim (レセプト) with what the eligibility check and the high-cost
/// benefit need, and every record it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// the line of the claim's first record
    pub line: usize,
    pub provider: Provider,
    pub claim_no: u32,
    /// レセプト種別 (4 digits)
    pub claim_kind: String,
    pub setting: ClaimSetting,
    pub service_month: YearMonth,
    pub name: String,
    /// 1 男, 2 女
    pub sex: String,
    pub birth_date: Date,
    /// 給付割合 (NHI: the percentage the insurer pays, e.g. 70)
    pub benefit_rate: Option<u8>,
    pub admitted_on: Option<Date>,
    /// 一部負担金・食事療養費標準負担額区分
    pub burden_class: String,
    /// レセプト特記事項: two-digit codes
    pub notes: Vec<String>,
    /// 保険者番号 as written (a 6-digit NHI number without its spaces)
    pub insurer_number: String,
    pub symbol: String,
    pub number: String,
    /// 枝番 (from SN, where present)
    pub branch: Option<String>,
    pub days: u32,
    pub points: i64,
    /// HO 負担金額: the copay actually charged
    pub copay_charged: Option<i64>,
    /// HO 食事療養・生活療養 回数 (0 when blank)
    pub meal_count: u32,
    /// HO 食事療養・生活療養 合計金額 (yen; 0 when blank)
    pub meal_amount: i64,
    pub public_funding: Vec<PublicFunding>,
    pub diagnoses: Vec<Diagnosis>,
    /// pharmacy: 都道府県 + 点数表 + 医療機関コード of the prescriber
    pub prescriber: Option<String>,
    /// 算定日: the days of the service month with a mark in the detail
    /// records (SI, IY, TO), bit 0 for the 1st; 0 when none is marked
    pub service_days: u32,
    pub records: Vec<Record>,
}

impl Claim {
    /// 療養に要した費用: 合計点数 × 10 yen.
    pub fn total_cost(&self) -> i64 {
        self.points.saturating_mul(10)
    }

    /// レセプト種別 digit 2: 1 医保・国保, 2 公費 only, 3 後期, 4 退職.
    pub fn scheme(&self) -> char {
        self.claim_kind.chars().nth(1).unwrap_or(' ')
    }

    /// 特定疾病 (特記事項 02 長 or 16 長2).
    pub fn specified_disease(&self) -> Option<i64> {
        if self.notes.iter().any(|n| n == "16") {
            Some(20_000)
        } else if self.notes.iter().any(|n| n == "02") {
            Some(10_000)
        } else {
            None
        }
    }
}

/// The summary of a file read to its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trailer {
    pub claims: u64,
    pub points: i64,
    pub volume: String,
    pub line: usize,
}

/// Reads a claim file one claim at a time.
pub struct ClaimReader<'l, R> {
    file: std::sync::Arc<str>,
    input: R,
    layouts: &'l Layouts,
    line: usize,
    prefixed: Option<bool>,
    provider: Option<Provider>,
    volume: String,
    /// the record read ahead: the first of the next claim, or the trailer
    ahead: Option<Record>,
    /// records after the header and before the first claim
    pub header: Vec<Record>,
    trailer: Option<Trailer>,
    claims: u64,
    points: i64,
    failed: bool,
    buf: Vec<u8>,
}

struct Fail<'a> {
    file: &'a std::sync::Arc<str>,
    line: usize,
    record: &'a str,
}

impl Fail<'_> {
    fn at(&self, field: &str, reason: impl Into<String>, ja: impl Into<String>) -> ClaimFileError {
        ClaimFileError {
            file: self.file.clone(),
            line: self.line,
            record: self.record.to_string(),
            field: field.to_string(),
            reason: reason.into(),
            reason_ja: ja.into(),
        }
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A number field: empty is None (numbers carry only their significant
/// digits, and zero may be left off).
fn number(f: &Fail<'_>, field: &str, s: &str) -> Result<Option<i64>, ClaimFileError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if !digits(t) || t.len() > 12 {
        return Err(f.at(field, "not a number", "数字ではありません"));
    }
    t.parse()
        .map(Some)
        .map_err(|_| f.at(field, "not a number", "数字ではありません"))
}

/// 和暦 era digit + YYMM (5) or 西暦 YYYYMM (6): the date form with day 1.
fn month_field(f: &Fail<'_>, field: &str, s: &str) -> Result<YearMonth, ClaimFileError> {
    if !digits(s) || !(s.len() == 5 || s.len() == 6) {
        return Err(f.at(
            field,
            "not a month (era digit + YYMM, or YYYYMM)",
            "年月（和暦 5桁 または 西暦 6桁）ではありません",
        ));
    }
    date_field(f, field, &format!("{s}01"))
        .map(YearMonth::from_date)
        .map_err(|_| {
            f.at(
                field,
                "not a month (era digit + YYMM, or YYYYMM)",
                "年月（和暦 5桁 または 西暦 6桁）ではありません",
            )
        })
}

/// 和暦 era digit + YYMMDD (7) or 西暦 YYYYMMDD (8), as the domain's date
/// reader takes them (no other of its forms is allowed here).
fn date_field(f: &Fail<'_>, field: &str, s: &str) -> Result<Date, ClaimFileError> {
    let bad = || {
        f.at(
            field,
            "not a date (era digit + YYMMDD, or YYYYMMDD)",
            "日付（和暦 7桁 または 西暦 8桁）ではありません",
        )
    };
    if !digits(s) || !(s.len() == 7 || s.len() == 8) {
        return Err(bad());
    }
    kokuho_domain::wareki::parse_date(s).map_err(|_| bad())
}

fn optional_date(f: &Fail<'_>, field: &str, s: &str) -> Result<Option<Date>, ClaimFileError> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        date_field(f, field, s.trim()).map(Some)
    }
}

impl<'l, R: BufRead> ClaimReader<'l, R> {
    pub fn new(file: &str, input: R, layouts: &'l Layouts) -> Self {
        ClaimReader {
            file: file.into(),
            input,
            layouts,
            line: 0,
            prefixed: None,
            provider: None,
            volume: String::new(),
            ahead: None,
            header: Vec::new(),
            trailer: None,
            claims: 0,
            points: 0,
            failed: false,
            buf: Vec::new(),
        }
    }

    /// The provider of the file, once its header has been read.
    /// The input being read (e.g. to see how far it has got).
    pub fn input(&self) -> &R {
        &self.input
    }

    pub fn provider(&self) -> Option<&Provider> {
        self.provider.as_ref()
    }

    /// The trailer, once the file has been read to its end.
    pub fn trailer(&self) -> Option<&Trailer> {
        self.trailer.as_ref()
    }

    fn fail_line(&self, reason: &str, ja: &str) -> ClaimFileError {
        ClaimFileError {
            file: self.file.clone(),
            line: self.line.max(1),
            record: String::new(),
            field: String::new(),
            reason: reason.to_string(),
            reason_ja: ja.to_string(),
        }
    }

    fn cut_short(&self) -> ClaimFileError {
        self.fail_line(
            "the file ends without its GO record (cut short?)",
            "GOレコードがないままファイルが終わっています（途中で切れていませんか）",
        )
    }

    /// The next record, or None at the end of the input.
    fn next_record(&mut self) -> Result<Option<Record>, ClaimFileError> {
        loop {
            self.buf.clear();
            let mut limited = std::io::Read::take(&mut self.input, MAX_LINE_BYTES as u64 + 2);
            let n = limited.read_until(b'\n', &mut self.buf).map_err(|e| {
                self.fail_line(&format!("cannot read: {e}"), "ファイルが読めません")
            })?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.buf.len() > MAX_LINE_BYTES {
                return Err(self.fail_line("line too long", "1行が長すぎます"));
            }
            let mut bytes = self.buf.as_slice();
            if let Some(b) = bytes.strip_suffix(b"\n") {
                bytes = b.strip_suffix(b"\r").unwrap_or(b);
            }
            // The end-of-file mark some systems still write.
            if bytes.is_empty() || bytes == b"\x1a" {
                continue;
            }
            let Some(text) = SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes)
            else {
                return Err(self.fail_line(
                    "not CP932 (malformed byte sequence)",
                    "CP932（Shift_JIS）として読めないバイト列があります",
                ));
            };
            let mut fields: Vec<String> = text.split(',').map(str::to_string).collect();
            let first_is_id =
                fields[0].len() == 2 && fields[0].bytes().all(|b| b.is_ascii_uppercase());
            let prefixed = *self.prefixed.get_or_insert(!first_is_id);
            let prefix = if prefixed {
                if fields.len() < 4 || !fields[..3].iter().all(|f| digits(f)) {
                    return Err(self.fail_line(
                        "the insurer form's prefix (データ識別, 行番号, 枝番号) is missing",
                        "保険者向けの行の先頭（データ識別・行番号・枝番号）がありません",
                    ));
                }
                let rest = fields.split_off(3);
                let p = std::mem::replace(&mut fields, rest);
                Some([p[0].clone(), p[1].clone(), p[2].clone()])
            } else {
                None
            };
            let id = &fields[0];
            if id.len() != 2 || !id.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(self.fail_line(
                    "no record id (two capital letters) where expected",
                    "レコード識別（英大文字2文字）がありません",
                ));
            }
            return Ok(Some(Record {
                line: self.line,
                prefix,
                fields,
            }));
        }
    }

    fn field<'r>(&self, kind: FileKind, r: &'r Record, name: &str) -> &'r str {
        self.layouts
            .get(kind, r.id())
            .and_then(|l| l.position(name))
            .and_then(|i| r.fields.get(i))
            .map_or("", String::as_str)
    }

    /// The days marked in a detail record's 算定日 columns (day1 … day31, a
    /// count of times on that day; blank or zero is no mark).
    fn service_day_marks(&self, kind: FileKind, r: &Record) -> u32 {
        let Some(first) = self
            .layouts
            .get(kind, r.id())
            .and_then(|l| l.position("day1"))
        else {
            return 0;
        };
        r.fields
            .iter()
            .skip(first)
            .take(31)
            .enumerate()
            .filter(|(_, v)| v.bytes().any(|b| b != b'0' && b != b' '))
            .fold(0, |m, (i, _)| m | 1 << i)
    }

    /// A provider block's header (IR or YK): the provider of the claims
    /// that follow. A file from the federation holds many blocks.
    fn set_provider(&mut self, r: &Record) -> Result<(), ClaimFileError> {
        let f = Fail {
            file: &self.file,
            line: r.line,
            record: r.id(),
        };
        let kind_of = |k| self.field(k, r, "score_table");
        let kind = if r.id() == "YK" {
            FileKind::Pharmacy
        } else {
            match kind_of(FileKind::Medical) {
                "1" => FileKind::Medical,
                "3" => FileKind::Dental,
                _ => {
                    return Err(f.at(
                        "score_table",
                        "not 1 (medical) or 3 (dental)",
                        "点数表が 1（医科）・3（歯科）ではありません",
                    ));
                }
            }
        };
        let get = |name| self.field(kind, r, name);
        let (pref, table, code) = (get("prefecture"), get("score_table"), get("provider_code"));
        if pref.len() != 2 || !digits(pref) || code.len() != 7 || !digits(code) {
            return Err(f.at(
                "provider_code",
                "prefecture (2 digits) and provider code (7 digits) expected",
                "都道府県（2桁）と医療機関コード（7桁）が正しくありません",
            ));
        }
        if kind == FileKind::Pharmacy && table != "4" {
            return Err(f.at(
                "score_table",
                "a YK header must have 4 (pharmacy)",
                "YKレコードの点数表は 4（調剤）です",
            ));
        }
        let billing_month = month_field(&f, "billing_month", get("billing_month"))?;
        let volume = get("volume").to_string();
        let provider = Provider {
            kind,
            code: format!("{pref}{table}{code}"),
            name: get("provider_name").to_string(),
            billing_month,
            payer: get("payer").to_string(),
        };
        self.volume = volume;
        self.provider = Some(provider);
        Ok(())
    }

    /// Reads the header (IR or YK) if not yet read.
    fn header_read(&mut self) -> Result<(), ClaimFileError> {
        while self.provider.is_none() {
            let Some(r) = self.next_record()? else {
                return Err(self.fail_line(
                    "no IR or YK record: not a claim file",
                    "IR・YKレコードがありません（レセプトファイルではありません）",
                ));
            };
            match r.id() {
                "IR" | "YK" => {
                    self.set_provider(&r)?;
                    self.header.push(r);
                }
                "RE" | "GO" | "HO" => {
                    return Err(self.fail_line(
                        "a claim record before the IR or YK header",
                        "IR・YKレコードより前にレセプトのレコードがあります",
                    ));
                }
                _ => self.header.push(r),
            }
        }
        Ok(())
    }

    fn starts_claim(&self, r: &Record) -> bool {
        r.id() == "RE" || (self.prefixed == Some(true) && r.id() == "MN")
    }

    fn next_claim(&mut self) -> Result<Option<Claim>, ClaimFileError> {
        self.header_read()?;
        // The first record of the claim (after a new provider's header).
        let first = loop {
            let r = match self.ahead.take() {
                Some(r) => r,
                None => match self.next_record()? {
                    Some(r) => r,
                    None => {
                        return Err(self.cut_short());
                    }
                },
            };
            match r.id() {
                "IR" | "YK" => {
                    self.set_provider(&r)?;
                    self.header.push(r);
                }
                _ if self.starts_claim(&r) || r.id() == "GO" => break r,
                _ => self.header.push(r),
            }
        };
        if first.id() == "GO" {
            self.trailer_read(first)?;
            return Ok(None);
        }
        let mut records = vec![first];
        loop {
            match self.next_record()? {
                None => {
                    return Err(self.cut_short());
                }
                Some(r) if r.id() == "GO" => {
                    self.ahead = Some(r);
                    break;
                }
                // MN then RE is one claim; RE after RE is the next.
                Some(r)
                    if self.starts_claim(&r)
                        && !(r.id() == "RE" && records.iter().all(|x| x.id() == "MN")) =>
                {
                    self.ahead = Some(r);
                    break;
                }
                Some(r) if r.id() == "IR" || r.id() == "YK" => {
                    self.ahead = Some(r);
                    break;
                }
                Some(r) => records.push(r),
            }
        }
        let claim = self.claim_of(records)?;
        self.claims += 1;
        self.points = self.points.saturating_add(claim.points);
        Ok(Some(claim))
    }

    fn trailer_read(&mut self, go: Record) -> Result<(), ClaimFileError> {
        let kind = self.provider.as_ref().map_or(FileKind::Medical, |p| p.kind);
        let f = Fail {
            file: &self.file,
            line: go.line,
            record: "GO",
        };
        let claims =
            number(&f, "total_claims", self.field(kind, &go, "total_claims"))?.unwrap_or(0);
        let points =
            number(&f, "total_points", self.field(kind, &go, "total_points"))?.unwrap_or(0);
        let volume = self.field(kind, &go, "volume").to_string();
        // A single-volume file ("00") must add up; a volume of a set
        // carries the set's figures.
        if volume == "00" || self.volume == "00" {
            if claims != self.claims as i64 {
                return Err(f.at(
                    "total_claims",
                    format!("says {claims} claims, the file has {}", self.claims),
                    format!(
                        "総件数 {claims} 件と、ファイルのレセプト {} 件が合いません",
                        self.claims
                    ),
                ));
            }
            if points != self.points {
                return Err(f.at(
                    "total_points",
                    format!("says {points} points, the claims add up to {}", self.points),
                    format!(
                        "総合計点数 {points} 点と、レセプトの合計 {} 点が合いません",
                        self.points
                    ),
                ));
            }
        }
        let line = go.line;
        self.header.push(go);
        if let Some(r) = self.next_record()? {
            return Err(ClaimFileError {
                file: self.file.clone(),
                line: r.line,
                record: r.id().to_string(),
                field: String::new(),
                reason: "a record after GO".into(),
                reason_ja: "GOレコードの後にレコードがあります".into(),
            });
        }
        self.trailer = Some(Trailer {
            claims: claims as u64,
            points,
            volume,
            line,
        });
        Ok(())
    }

    fn claim_of(&self, records: Vec<Record>) -> Result<Claim, ClaimFileError> {
        let provider = self
            .provider
            .clone()
            .ok_or_else(|| self.fail_line("no header", "IR・YKレコードがありません"))?;
        let kind = provider.kind;
        let Some(re) = records.iter().find(|r| r.id() == "RE") else {
            return Err(self.fail_line(
                "a claim without its RE record",
                "REレコードのないレセプトがあります",
            ));
        };
        let f = Fail {
            file: &self.file,
            line: re.line,
            record: "RE",
        };
        let get = |name| self.field(kind, re, name);
        let claim_no = number(&f, "claim_no", get("claim_no"))?
            .filter(|n| *n > 0 && *n <= i64::from(u32::MAX))
            .ok_or_else(|| {
                f.at(
                    "claim_no",
                    "missing or not a positive number",
                    "レセプト番号がありません",
                )
            })? as u32;
        let claim_kind = get("claim_kind").to_string();
        let table = kind.score_table();
        if claim_kind.len() != 4 || !digits(&claim_kind) || !claim_kind.starts_with(table) {
            return Err(f.at(
                "claim_kind",
                format!("not 4 digits starting with {table} (this file's 点数表)"),
                format!("レセプト種別が、このファイルの点数表 {table} で始まる4桁ではありません"),
            ));
        }
        let setting = if kind == FileKind::Pharmacy {
            ClaimSetting::Pharmacy
        } else {
            // Digit 4: odd (1, 3, 5, 7, 9) is inpatient, even outpatient.
            match claim_kind.as_bytes()[3] {
                b'1' | b'3' | b'5' | b'7' | b'9' => ClaimSetting::Inpatient,
                _ => ClaimSetting::Outpatient,
            }
        };
        let service_month = month_field(&f, "service_month", get("service_month"))?;
        let birth_date = date_field(&f, "birth_date", get("birth_date"))?;
        let sex = get("sex").to_string();
        if sex != "1" && sex != "2" {
            return Err(f.at("sex", "not 1 or 2", "男女区分が 1・2 ではありません"));
        }
        let benefit_rate = match number(&f, "benefit_rate", get("benefit_rate"))? {
            None => None,
            Some(n) if (0..=100).contains(&n) => Some(n as u8),
            Some(_) => {
                return Err(f.at("benefit_rate", "above 100", "給付割合が100を超えています"));
            }
        };
        let admitted_on = optional_date(&f, "admitted_on", get("admitted_on"))?;
        let notes_text = get("notes");
        if notes_text.len() % 2 != 0 || !notes_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(f.at(
                "notes",
                "特記事項 must be two-digit codes",
                "レセプト特記事項は2桁のコードの並びです",
            ));
        }
        let notes = notes_text
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let prescriber = if kind == FileKind::Pharmacy {
            let (p, t, c) = (
                get("prescriber_prefecture"),
                get("prescriber_score_table"),
                get("prescriber_code"),
            );
            if p.len() != 2 || t.len() != 1 || c.len() != 7 || !digits(&format!("{p}{t}{c}")) {
                return Err(f.at(
                    "prescriber_code",
                    "the prescribing provider (prefecture 2, score table 1, code 7 digits) is missing",
                    "処方元の医療機関（都道府県・点数表・医療機関コード）がありません",
                ));
            }
            Some(format!("{p}{t}{c}"))
        } else {
            None
        };
        let mut claim = Claim {
            line: records[0].line,
            provider,
            claim_no,
            claim_kind,
            setting,
            service_month,
            name: get("name").to_string(),
            sex,
            birth_date,
            benefit_rate,
            admitted_on,
            burden_class: get("burden_class").to_string(),
            notes,
            insurer_number: String::new(),
            symbol: String::new(),
            number: String::new(),
            branch: None,
            days: 0,
            points: 0,
            copay_charged: None,
            meal_count: 0,
            meal_amount: 0,
            public_funding: vec![],
            diagnoses: vec![],
            prescriber,
            service_days: 0,
            records: vec![],
        };
        let month_days = service_month.last_day().map_or(31, |d| d.day());
        let mut seen_ho = false;
        for r in &records {
            let f = Fail {
                file: &self.file,
                line: r.line,
                record: r.id(),
            };
            let get = |name| self.field(kind, r, name);
            match r.id() {
                "HO" => {
                    if seen_ho {
                        return Err(f.at(
                            "",
                            "a second HO record in one claim",
                            "1件のレセプトにHOレコードが2つあります",
                        ));
                    }
                    seen_ho = true;
                    let ins = get("insurer_number").trim_start();
                    if !(ins.len() == 6 || ins.len() == 8) || !digits(ins) {
                        return Err(f.at(
                            "insurer_number",
                            "not a 6- or 8-digit insurer number",
                            "保険者番号が6桁または8桁の数字ではありません",
                        ));
                    }
                    claim.insurer_number = ins.to_string();
                    claim.symbol = get("symbol").trim().to_string();
                    claim.number = get("number").trim().to_string();
                    claim.days = number(&f, "days", get("days"))?.unwrap_or(0).min(31) as u32;
                    claim.points = number(&f, "points", get("points"))?
                        .ok_or_else(|| f.at("points", "missing", "合計点数がありません"))?;
                    claim.copay_charged = number(&f, "copay_charged", get("copay_charged"))?;
                    // meals: at most three a day of a 31-day month
                    let meals = number(&f, "meal_count", get("meal_count"))?.unwrap_or(0);
                    if meals > 93 {
                        return Err(f.at(
                            "meal_count",
                            "more than 93 meals in a month",
                            "食事療養の回数が1か月の上限（93回）を超えています",
                        ));
                    }
                    claim.meal_count = meals as u32;
                    claim.meal_amount = number(&f, "meal_amount", get("meal_amount"))?.unwrap_or(0);
                }
                "KO" => claim.public_funding.push(PublicFunding {
                    payer_number: get("payer_number").to_string(),
                    recipient_number: get("recipient_number").to_string(),
                    points: number(&f, "points", get("points"))?.unwrap_or(0),
                    copay: number(&f, "public_copay", get("public_copay"))?,
                }),
                "SN" if get("payer_kind") == "1" => {
                    let b = get("branch").trim();
                    if !b.is_empty() {
                        if b.len() != 2 || !digits(b) {
                            return Err(f.at(
                                "branch",
                                "not 2 digits",
                                "枝番が2桁の数字ではありません",
                            ));
                        }
                        claim.branch = Some(b.to_string());
                    }
                }
                "SI" | "IY" | "TO" => {
                    let marks = self.service_day_marks(kind, r);
                    if marks >> month_days != 0 {
                        return Err(f.at(
                            "day",
                            "a service day after the end of the service month",
                            "算定日が診療年月の月末より後です",
                        ));
                    }
                    claim.service_days |= marks;
                }
                "SY" => claim.diagnoses.push(Diagnosis {
                    code: get("disease_code").to_string(),
                    started_on: optional_date(&f, "started_on", get("started_on"))?,
                    outcome: get("outcome").to_string(),
                    main: get("main") == "01",
                }),
                _ => {}
            }
        }
        // An insurance claim (scheme 1, 3, 4) has its HO; 公費 only has none.
        if !seen_ho && claim.scheme() != '2' {
            return Err(f.at(
                "",
                "an insurance claim without its HO record",
                "保険のレセプトにHOレコードがありません",
            ));
        }
        if !seen_ho {
            claim.points = claim
                .public_funding
                .iter()
                .map(|p| p.points)
                .max()
                .unwrap_or(0);
        }
        claim.records = records;
        Ok(claim)
    }
}

impl<R: BufRead> Iterator for ClaimReader<'_, R> {
    type Item = Result<Claim, ClaimFileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.trailer.is_some() {
            return None;
        }
        match self.next_claim() {
            Ok(Some(c)) => Some(Ok(c)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Writes records as a claim file: CP932, CRLF, fields as given (a
/// character CP932 cannot hold, or a comma or line break inside a field, is
/// an error naming the record and field).
pub struct ClaimWriter<W: Write> {
    out: W,
    line: usize,
}

impl<W: Write> ClaimWriter<W> {
    pub fn new(out: W) -> Self {
        ClaimWriter { out, line: 0 }
    }

    pub fn write(&mut self, r: &Record) -> Result<(), ClaimFileError> {
        self.line += 1;
        let mut text = String::new();
        let fail = |i: usize, reason: &str, ja: &str| ClaimFileError {
            file: "(output)".into(),
            line: self.line,
            record: r.id().to_string(),
            field: format!("#{i}"),
            reason: reason.into(),
            reason_ja: ja.into(),
        };
        let prefix = r.prefix.iter().flatten();
        for (i, f) in prefix.chain(r.fields.iter()).enumerate() {
            if f.contains([',', '\r', '\n']) {
                return Err(fail(
                    i,
                    "a comma or line break inside a field",
                    "項目の中にカンマか改行があります",
                ));
            }
            if i > 0 {
                text.push(',');
            }
            text.push_str(f);
        }
        let bytes = crate::text::encode_cp932(&text)
            .map_err(|e| fail(0, &e.to_string(), &e.message_ja()))?;
        self.out
            .write_all(&bytes)
            .and_then(|()| self.out.write_all(b"\r\n"))
            .map_err(|e| fail(0, &format!("cannot write: {e}"), "書き込めません"))
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;
    use time::Month;
    use time::macros::date;

    fn layouts() -> Layouts {
        Layouts::shipped().unwrap()
    }

    fn cp932(lines: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for l in lines {
            out.extend(crate::text::encode_cp932(l).unwrap());
            out.extend(b"\r\n");
        }
        out
    }

    /// A clinic's month: an outpatient claim with its SN, diagnosis and
    /// practices, and an inpatient 高齢受給者 claim in 和暦 dates.
    pub(crate) const MEDICAL: &[&str] = &[
        "IR,2,31,1,1234567,,八頭町立診療所,202609,00,0858-00-0000",
        "RE,1,1112,202609,八頭　太郎,1,19800510,70,,,,,,,,,,,,,,",
        "HO,  310011,123,4567,3,1500,,,,,,4500",
        "SN,1,01,  310011,123,4567,01",
        "SY,4019004,20260901,1,,高血圧症,01",
        "SI,12,1,112007410,,73,1,,,,,,,1",
        "IY,21,1,620000001,1,20,14",
        "CO,99,1,810000001,経過観察",
        "RE,2,1117,50809,八頭　花子,2,3300202,80,5080903,,,2817,,,,,,,,",
        "HO,  310011,123,4568,10,45000,,,,,,90000",
        "SY,0000999,5080903,1,,その他の疾患,01",
        "GO,2,46500,00",
    ];

    const DENTAL: &[&str] = &[
        "IR,2,31,3,7654321,,郡家歯科医院,202609,00,0858-11-1111",
        "RE,1,3112,202609,八頭　次郎,1,19900101,70,,,,,,,,,,,,",
        "HO,  310011,123,4569,2,800,,,,,,2400",
        "GO,1,800,00",
    ];

    const PHARMACY: &[&str] = &[
        "YK,2,31,4,3456789,,すこやか薬局,202609,00,0858-22-2222",
        "RE,1,4112,202609,八頭　太郎,1,19800510,70,,,,,,,,,,,31,1,1234567,八頭町立診療所,鳥取県八頭郡",
        "HO,  310011,123,4567,1,600,,,,,,1800",
        "GO,1,600,00",
    ];

    /// The insurer's form, as the federation sends it: every record
    /// prefixed, and MN and EX records of its own.
    const INSURER: &[&str] = &[
        "01,00001,000,IR,2,31,1,1234567,,八頭町立診療所,202609,00,0858-00-0000",
        "01,00002,000,MN,000000000001,1",
        "01,00003,000,RE,1,1112,202609,八頭　太郎,1,19800510,70,,,,,,,,,,,,,,",
        "01,00004,000,HO,  310011,123,4567,3,1500,,,,,,4500",
        "01,00005,000,EX,310011,0",
        "01,00006,000,GO,1,1500,00",
    ];

    fn read(lines: &[&str]) -> (Vec<Claim>, Option<Trailer>) {
        let l = layouts();
        let bytes = cp932(lines);
        let mut r = ClaimReader::new("test.uke", bytes.as_slice(), &l);
        let claims: Vec<Claim> = r.by_ref().collect::<Result<_, _>>().unwrap();
        (claims, r.trailer().cloned())
    }

    fn fails(lines: &[&str]) -> ClaimFileError {
        let l = layouts();
        let bytes = cp932(lines);
        let r = ClaimReader::new("test.uke", bytes.as_slice(), &l);
        r.collect::<Result<Vec<_>, _>>().unwrap_err()
    }

    fn round_trip(lines: &[&str]) {
        let l = layouts();
        let bytes = cp932(lines);
        let mut r = ClaimReader::new("test.uke", bytes.as_slice(), &l);
        let claims: Vec<Claim> = r.by_ref().collect::<Result<_, _>>().unwrap();
        // Header records, the claims' records, then the trailer, in file
        // order by line.
        let mut records: Vec<&Record> = r.header.iter().collect();
        records.extend(claims.iter().flat_map(|c| c.records.iter()));
        records.sort_by_key(|r| r.line);
        let mut w = ClaimWriter::new(Vec::new());
        for rec in records {
            w.write(rec).unwrap();
        }
        assert_eq!(w.into_inner(), bytes);
    }

    #[test]
    fn shipped_layouts_load_and_say_what_is_provisional() {
        let l = layouts();
        assert_eq!(
            l.get(FileKind::Medical, "HO")
                .unwrap()
                .position("copay_charged"),
            Some(11)
        );
        let p = l.provisional();
        assert!(p.contains(&(FileKind::Pharmacy, "RE".to_string())));
        assert!(!p.contains(&(FileKind::Medical, "RE".to_string())));
        assert!(
            Layouts::parse("[[record]]\nid = \"R\"\nkinds = []\nprovisional = false\nfields = []")
                .is_err()
        );
    }

    #[test]
    fn every_kind_round_trips_byte_for_byte() {
        for f in [MEDICAL, DENTAL, PHARMACY, INSURER] {
            round_trip(f);
        }
    }

    #[test]
    fn service_days_come_from_the_detail_records_and_stay_in_the_month() {
        let (claims, _) = read(MEDICAL);
        // SI marks the 1st; IY has no day columns filled; the second claim none.
        assert_eq!(claims[0].service_days, 1);
        assert_eq!(claims[1].service_days, 0);
        let mut lines = MEDICAL.to_vec();
        let iy = format!("IY,21,1,620000001,1,20,14,,,,,,{}2,,,1", ",".repeat(15));
        lines[6] = &iy;
        let (claims, _) = read(&lines);
        // days 15 and 18 (the 2 and the 1), with the SI's 1st
        assert_eq!(claims[0].service_days, 1 | 1 << 14 | 1 << 17);
        // September has no 31st.
        let late = format!("IY,21,1,620000001,1,20,14,,,,,,{}1", ",".repeat(31));
        lines[6] = &late;
        let e = fails(&lines);
        assert_eq!(
            (e.line, e.record.as_str(), e.field.as_str()),
            (7, "IY", "day")
        );
        let broken = "[[record]]\nid = \"SI\"\nkinds = [\"medical\"]\nprovisional = false\nfields = [\"day1\", \"day3\"]";
        assert!(Layouts::parse(broken).unwrap_err().contains("day1"));
    }

    #[test]
    fn a_medical_file_gives_its_claims() {
        let (claims, trailer) = read(MEDICAL);
        assert_eq!(claims.len(), 2);
        let a = &claims[0];
        assert_eq!(a.provider.code, "3111234567");
        assert_eq!(a.provider.kind, FileKind::Medical);
        assert_eq!(a.setting, ClaimSetting::Outpatient);
        assert_eq!(
            a.service_month,
            YearMonth {
                year: 2026,
                month: Month::September
            }
        );
        assert_eq!(a.birth_date, date!(1980 - 05 - 10));
        assert_eq!(
            (
                a.insurer_number.as_str(),
                a.symbol.as_str(),
                a.number.as_str()
            ),
            ("310011", "123", "4567")
        );
        assert_eq!(a.branch.as_deref(), Some("01"));
        assert_eq!(
            (a.points, a.total_cost(), a.copay_charged),
            (1500, 15000, Some(4500))
        );
        assert_eq!(a.benefit_rate, Some(70));
        assert_eq!(a.diagnoses[0].code, "4019004");
        assert!(a.diagnoses[0].main);
        assert_eq!(a.records.len(), 7);
        assert_eq!(a.line, 2);
        // 和暦 dates (令和8年9月, 昭和30年2月2日), inpatient, 特記事項 28 区ウ + 17.
        let b = &claims[1];
        assert_eq!(b.setting, ClaimSetting::Inpatient);
        assert_eq!(
            b.service_month,
            YearMonth {
                year: 2026,
                month: Month::September
            }
        );
        assert_eq!(b.birth_date, date!(1955 - 02 - 02));
        assert_eq!(b.admitted_on, Some(date!(2026 - 09 - 03)));
        assert_eq!(b.notes, vec!["28".to_string(), "17".to_string()]);
        assert_eq!(b.specified_disease(), None);
        assert_eq!(trailer.unwrap().claims, 2);
    }

    #[test]
    fn pharmacy_and_dental_files() {
        let (claims, _) = read(PHARMACY);
        assert_eq!(claims[0].setting, ClaimSetting::Pharmacy);
        assert_eq!(claims[0].prescriber.as_deref(), Some("3111234567"));
        assert_eq!(claims[0].provider.code, "3143456789");
        let (claims, _) = read(DENTAL);
        assert_eq!(claims[0].provider.kind, FileKind::Dental);
        assert_eq!(claims[0].setting, ClaimSetting::Outpatient);
    }

    #[test]
    fn the_insurer_form_keeps_its_own_records_with_the_claim() {
        let (claims, trailer) = read(INSURER);
        assert_eq!(claims.len(), 1);
        let ids: Vec<&str> = claims[0].records.iter().map(Record::id).collect();
        assert_eq!(ids, ["MN", "RE", "HO", "EX"]);
        assert_eq!(claims[0].records[0].prefix.as_ref().unwrap()[1], "00002");
        assert_eq!(claims[0].line, 2);
        assert_eq!(trailer.unwrap().points, 1500);
    }

    #[test]
    fn a_file_of_many_providers_reads_each_block_with_its_provider() {
        let mut f: Vec<&str> = MEDICAL[..11].to_vec();
        f.extend(&PHARMACY[..3]);
        f.extend(&DENTAL[..3]);
        f.push("GO,4,47900,00");
        let (claims, trailer) = read(&f);
        let kinds: Vec<(FileKind, ClaimSetting)> = claims
            .iter()
            .map(|c| (c.provider.kind, c.setting))
            .collect();
        assert_eq!(
            kinds,
            [
                (FileKind::Medical, ClaimSetting::Outpatient),
                (FileKind::Medical, ClaimSetting::Inpatient),
                (FileKind::Pharmacy, ClaimSetting::Pharmacy),
                (FileKind::Dental, ClaimSetting::Outpatient),
            ]
        );
        assert_eq!(claims[2].provider.code, "3143456789");
        assert_eq!(trailer.unwrap().claims, 4);
        round_trip(&f);
    }

    #[test]
    fn meals_are_read_from_ho_and_more_than_93_is_refused() {
        let with = |count: &str| {
            MEDICAL
                .iter()
                .map(|l| {
                    if *l == "HO,  310011,123,4568,10,45000,,,,,,90000" {
                        format!("HO,  310011,123,4568,10,45000,,{count},5400,,,90000")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<String>>()
        };
        let f = with("30");
        let lines: Vec<&str> = f.iter().map(String::as_str).collect();
        let (claims, _) = read(&lines);
        let stay = claims.iter().find(|c| c.meal_count > 0).unwrap();
        assert_eq!((stay.meal_count, stay.meal_amount), (30, 5400));
        assert_eq!(claims.iter().filter(|c| c.meal_count > 0).count(), 1);
        let f = with("94");
        let lines: Vec<&str> = f.iter().map(String::as_str).collect();
        let e = fails(&lines);
        assert_eq!((e.record.as_str(), e.field.as_str()), ("HO", "meal_count"));
    }

    #[test]
    fn specified_disease_from_the_notes() {
        let mut f = MEDICAL.to_vec();
        f[1] = "RE,1,1112,202609,八頭　太郎,1,19800510,70,,,,02,,,,,,,,,,";
        assert_eq!(read(&f).0[0].specified_disease(), Some(10_000));
        f[1] = "RE,1,1112,202609,八頭　太郎,1,19800510,70,,,,1716,,,,,,,,,,";
        assert_eq!(read(&f).0[0].specified_disease(), Some(20_000));
    }

    #[test]
    fn malformed_files_name_line_record_and_field() {
        let with = |i: usize, line: &'static str| {
            let mut f = MEDICAL.to_vec();
            f[i] = line;
            fails(&f)
        };
        let e = with(1, "RE,1,1112,202613,八頭　太郎,1,19800510,70");
        assert_eq!(
            (e.line, e.record.as_str(), e.field.as_str()),
            (2, "RE", "service_month")
        );
        assert!(
            e.to_string()
                .starts_with("test.uke: line 2, record RE, field service_month:")
        );
        assert!(
            e.message_ja()
                .contains("2行目（REレコードの service_month）")
        );
        let e = with(1, "RE,1,3112,202609,八頭　太郎,1,19800510,70");
        assert_eq!(e.field, "claim_kind");
        let e = with(1, "RE,1,1112,202609,八頭　太郎,3,19800510,70");
        assert_eq!(e.field, "sex");
        let e = with(1, "RE,1,1112,202609,八頭　太郎,1,19800230,70");
        assert_eq!(e.field, "birth_date");
        let e = with(2, "HO,  31001X,123,4567,3,1500");
        assert_eq!((e.line, e.field.as_str()), (3, "insurer_number"));
        let e = with(2, "HO,  310011,123,4567,3,15O0");
        assert_eq!(e.field, "points");
        let e = with(11, "GO,3,46500,00");
        assert_eq!((e.line, e.field.as_str()), (12, "total_claims"));
        let e = with(11, "GO,2,46501,00");
        assert_eq!(e.field, "total_points");
        let e = with(0, "IR,2,31,2,1234567,,x,202609,00");
        assert_eq!(e.field, "score_table");
        // Cut short, records after the trailer, no header, a claim without HO.
        let e = fails(&MEDICAL[..10]);
        assert!(e.reason.contains("without its GO"), "{e}");
        let mut f = MEDICAL.to_vec();
        f.push("RE,3,1112,202609,x,1,19800510,70");
        assert_eq!(fails(&f).line, 13);
        assert!(fails(&MEDICAL[1..]).reason.contains("before the IR"));
        let mut f = MEDICAL.to_vec();
        f.remove(2);
        assert!(fails(&f).reason.contains("without its HO"));
        // Not CP932.
        let l = layouts();
        let mut bytes = cp932(MEDICAL);
        bytes.splice(2..2, [0x81, 0x2c]);
        let e = ClaimReader::new("x.uke", bytes.as_slice(), &l)
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("CP932"));
    }

    #[test]
    fn errors_never_quote_the_value() {
        let mut f = MEDICAL.to_vec();
        f[1] = "RE,1,1112,202609,八頭　太郎,1,1980051X,70";
        let e = fails(&f);
        assert!(!e.to_string().contains("1980051X") && !e.message_ja().contains("1980051X"));
    }

    #[test]
    fn the_writer_refuses_what_the_format_cannot_carry() {
        let l = layouts();
        let mut r = Record::named(&l, FileKind::Medical, "CO", &[("text", "a,b".into())]).unwrap();
        assert!(ClaimWriter::new(Vec::new()).write(&r).is_err());
        r.fields[4] = "𠮷野".into();
        let e = ClaimWriter::new(Vec::new()).write(&r).unwrap_err();
        assert!(e.reason.contains("CP932"));
        // Named records leave trailing empty fields off.
        let r =
            Record::named(&l, FileKind::Medical, "GO", &[("total_claims", "1".into())]).unwrap();
        assert_eq!(r.fields, ["GO", "1"]);
        assert!(Record::named(&l, FileKind::Medical, "GO", &[("nope", "1".into())]).is_err());
    }

    proptest! {
        /// No input panics the reader: arbitrary bytes, and a valid file
        /// with bytes changed, cut or inserted.
        #[test]
        fn no_input_panics_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let l = layouts();
            let _ = ClaimReader::new("f", bytes.as_slice(), &l).count();
        }

        #[test]
        fn no_mutation_of_a_valid_file_panics_the_reader(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
            which in 0usize..4,
        ) {
            let l = layouts();
            let mut bytes = cp932([MEDICAL, DENTAL, PHARMACY, INSURER][which]);
            for (at, b, op) in edits {
                let i = at.index(bytes.len().max(1));
                match op {
                    0 if i < bytes.len() => bytes[i] = b,
                    1 if i < bytes.len() => { bytes.truncate(i); }
                    _ => bytes.insert(i.min(bytes.len()), b),
                }
            }
            let mut r = ClaimReader::new("f", bytes.as_slice(), &l);
            for c in r.by_ref().flatten() {
                prop_assert!(!c.records.is_empty());
            }
        }
    }
}
