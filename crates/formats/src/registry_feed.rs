//! The resident-registry change file (住基異動ファイル): kokuho's own CSV
//! layout, PROVISIONAL until the interface tables of the 住民記録システム
//! 標準仕様書 can be read. See docs/formats/registry-feed.md.
//!
//! A file is accepted whole or not at all: the first bad line rejects it,
//! so that an import never applies half a batch. Errors name the line and
//! column but never echo a cell, which may be a name or an address.

use std::collections::HashMap;
use std::fmt;

use kokuho_domain::addressee::{HouseholdNumber, Relationship, Sex, parse_postal_code};
use kokuho_domain::id::{AddresseeId, IdError, InsurerNumber};
use kokuho_domain::name::{KanaName, NameError, PersonName};
use kokuho_domain::wareki::parse_date;
use sha2::{Digest, Sha256};
use time::Date;

use crate::csv_in::{Record, is_blank, read_records};
use crate::csv_out::{CsvError, CsvWriter};
use crate::text::Encoding;

/// The header, exactly, in this order.
pub const COLUMNS: [&str; 15] = [
    "event_id",
    "event_type",
    "event_date",
    "notified_on",
    "addressee_id",
    "household_number",
    "relationship",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "postal_code",
    "address",
    "destination",
    "previous_insurer_number",
];

const EVENT_ID: usize = 0;
const EVENT_TYPE: usize = 1;
const EVENT_DATE: usize = 2;
const NOTIFIED_ON: usize = 3;
const ADDRESSEE_ID: usize = 4;
const HOUSEHOLD_NUMBER: usize = 5;
const RELATIONSHIP: usize = 6;
const NAME: usize = 7;
const NAME_KANA: usize = 8;
const BIRTH_DATE: usize = 9;
const SEX: usize = 10;
const POSTAL_CODE: usize = 11;
const ADDRESS: usize = 12;
const DESTINATION: usize = 13;
const PREVIOUS_INSURER_NUMBER: usize = 14;

const MAX_EVENT_ID_CHARS: usize = 32;

/// 異動事由.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RegistryEventKind {
    Birth,
    Death,
    MoveIn,
    MoveOut,
    MoveWithin,
    HouseholdChange,
    NameChange,
    Correction,
}

impl RegistryEventKind {
    pub const ALL: [RegistryEventKind; 8] = [
        RegistryEventKind::Birth,
        RegistryEventKind::Death,
        RegistryEventKind::MoveIn,
        RegistryEventKind::MoveOut,
        RegistryEventKind::MoveWithin,
        RegistryEventKind::HouseholdChange,
        RegistryEventKind::NameChange,
        RegistryEventKind::Correction,
    ];

    /// The `event_type` cell: "birth", "move_in", ….
    pub fn code(self) -> &'static str {
        match self {
            RegistryEventKind::Birth => "birth",
            RegistryEventKind::Death => "death",
            RegistryEventKind::MoveIn => "move_in",
            RegistryEventKind::MoveOut => "move_out",
            RegistryEventKind::MoveWithin => "move_within",
            RegistryEventKind::HouseholdChange => "household_change",
            RegistryEventKind::NameChange => "name_change",
            RegistryEventKind::Correction => "correction",
        }
    }

    pub fn from_code(code: &str) -> Option<RegistryEventKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            RegistryEventKind::Birth => "出生",
            RegistryEventKind::Death => "死亡",
            RegistryEventKind::MoveIn => "転入",
            RegistryEventKind::MoveOut => "転出",
            RegistryEventKind::MoveWithin => "転居",
            RegistryEventKind::HouseholdChange => "世帯変更",
            RegistryEventKind::NameChange => "氏名変更",
            RegistryEventKind::Correction => "訂正",
        }
    }
}

/// Where a 転出 goes; decides whether the person's NHI continues in the
/// same prefecture (国保の都道府県単位化) or ends.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Destination {
    SamePrefecture,
    OtherPrefecture,
    Abroad,
}

impl Destination {
    pub const ALL: [Destination; 3] = [
        Destination::SamePrefecture,
        Destination::OtherPrefecture,
        Destination::Abroad,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Destination::SamePrefecture => "same_prefecture",
            Destination::OtherPrefecture => "other_prefecture",
            Destination::Abroad => "abroad",
        }
    }

    pub fn from_code(code: &str) -> Option<Destination> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Destination::SamePrefecture => "県内",
            Destination::OtherPrefecture => "県外",
            Destination::Abroad => "国外",
        }
    }
}

/// One line of the feed, checked. `line` is where the record starts
/// (the header is line 1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RegistryEvent {
    pub line: usize,
    pub event_id: String,
    pub kind: RegistryEventKind,
    pub event_date: Date,
    pub notified_on: Option<Date>,
    pub addressee_id: AddresseeId,
    pub household_number: Option<HouseholdNumber>,
    pub relationship: Option<Relationship>,
    pub name: Option<PersonName>,
    pub name_kana: Option<KanaName>,
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    /// Normalised to "123-4567".
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub destination: Option<Destination>,
    pub previous_insurer_number: Option<InsurerNumber>,
}

/// Why a feed was rejected (or could not be written). `line` is 1-based
/// with the header as line 1; `field` is a column name.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FeedError {
    pub file: String,
    pub line: usize,
    pub field: Option<String>,
    pub reason_en: String,
    pub reason_ja: String,
}

impl FeedError {
    /// "FILE N行目 F: 理由", for staff screens.
    pub fn message_ja(&self) -> String {
        match &self.field {
            Some(f) => format!("{} {}行目 {f}: {}", self.file, self.line, self.reason_ja),
            None => format!("{} {}行目: {}", self.file, self.line, self.reason_ja),
        }
    }
}

/// "FILE line N, field F: REASON".
impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}", self.file, self.line)?;
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {}", self.reason_en)
    }
}

impl std::error::Error for FeedError {}

/// Lowercase hex SHA-256 of the file's bytes. The importer records it so
/// that importing the same file again does nothing.
pub fn file_digest(bytes: &[u8]) -> String {
    // Grouped hex: no run of digits long enough to look like a My Number.
    kokuho_domain::digest_text::grouped_hex(&Sha256::digest(bytes))
}

/// The same digest as [`file_digest`], read from a stream (a month of
/// claims need not be held in memory to be recognised); with the length.
pub fn stream_digest(mut input: impl std::io::Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok((
        kokuho_domain::digest_text::grouped_hex(&hasher.finalize()),
        len,
    ))
}

/// A problem inside one record, before the file name and line are known.
struct CellError {
    col: Option<usize>,
    en: String,
    ja: String,
}

impl CellError {
    fn new(col: usize, en: impl Into<String>, ja: impl Into<String>) -> Self {
        CellError {
            col: Some(col),
            en: en.into(),
            ja: ja.into(),
        }
    }

    fn into_feed(self, file: &str, line: usize) -> FeedError {
        FeedError {
            file: file.to_owned(),
            line,
            field: self
                .col
                .and_then(|c| COLUMNS.get(c))
                .map(|c| (*c).to_owned()),
            reason_en: self.en,
            reason_ja: self.ja,
        }
    }
}

/// Reads a feed. The whole file is rejected at the first bad line.
pub fn parse(
    file_name: &str,
    bytes: &[u8],
    enc: Encoding,
) -> Result<Vec<RegistryEvent>, FeedError> {
    let err = |line: usize, field: Option<&str>, en: String, ja: String| FeedError {
        file: file_name.to_owned(),
        line,
        field: field.map(str::to_owned),
        reason_en: en,
        reason_ja: ja,
    };
    let records = read_records(file_name, bytes, enc, &COLUMNS)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(err(
            1,
            None,
            "the file is empty: no header, no events".to_owned(),
            "ファイルが空です（見出し行も異動もありません）".to_owned(),
        ));
    };
    check_header(header).map_err(|e| e.into_feed(file_name, header.line))?;
    if rows.is_empty() {
        return Err(err(
            header.line + 1,
            None,
            "no events: the file has only the header".to_owned(),
            "異動がありません（見出し行のみのファイルです）".to_owned(),
        ));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut events = Vec::with_capacity(rows.len());
    for record in rows {
        if record.is_blank() {
            return Err(err(
                record.line,
                None,
                "blank line between events".to_owned(),
                "異動の間に空行があります".to_owned(),
            ));
        }
        if record.fields.len() != COLUMNS.len() {
            return Err(err(
                record.line,
                None,
                format!("{} fields, expected {}", record.fields.len(), COLUMNS.len()),
                format!(
                    "項目数が{}です（{}項目必要です）",
                    record.fields.len(),
                    COLUMNS.len()
                ),
            ));
        }
        let event = event_from_cells(record.line, &record.fields)
            .map_err(|e| e.into_feed(file_name, record.line))?;
        if let Some(first) = seen.insert(event.event_id.clone(), record.line) {
            return Err(duplicate(first).into_feed(file_name, record.line));
        }
        events.push(event);
    }
    Ok(events)
}

fn duplicate(first_line: usize) -> CellError {
    CellError::new(
        EVENT_ID,
        format!("duplicates the event_id of line {first_line}"),
        format!("{first_line}行目と同じ異動IDです"),
    )
}

/// Writes `events` in the feed layout (header first, CRLF, dates in ISO
/// form). Each event is checked with the same rules as [`parse`], so the
/// output always reads back; `line` of the events is ignored.
pub fn write(events: &[RegistryEvent], enc: Encoding) -> Result<Vec<u8>, FeedError> {
    const FILE: &str = "<output>";
    let csv_err = |e: CsvError| match e {
        CsvError::Unmappable {
            row,
            column,
            ch,
            position,
        } => FeedError {
            file: FILE.to_owned(),
            line: row,
            field: Some(column),
            reason_en: format!(
                "character {position} ({}) cannot be written in CP932",
                crate::text::describe_char(ch)
            ),
            reason_ja: format!(
                "{position}文字目の「{ch}」（U+{:04X}）はCP932（Shift_JIS）で書き出せない文字です",
                u32::from(ch)
            ),
        },
        other => FeedError {
            file: FILE.to_owned(),
            line: other_row(&other),
            field: None,
            reason_en: other.to_string(),
            reason_ja: other.message_ja(),
        },
    };
    let mut w = CsvWriter::new(Vec::new(), enc, &COLUMNS).map_err(csv_err)?;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, event) in events.iter().enumerate() {
        // No cell can hold a line break (names and addresses refuse control
        // characters), so row i is line i + 2.
        let line = i + 2;
        let cells = cells_of(event);
        event_from_cells(line, &cells).map_err(|e| e.into_feed(FILE, line))?;
        if let Some(first) = seen.insert(event.event_id.as_str(), line) {
            return Err(duplicate(first).into_feed(FILE, line));
        }
        w.write_row(&cells).map_err(csv_err)?;
    }
    w.finish().map_err(csv_err)
}

fn other_row(e: &CsvError) -> usize {
    match e {
        CsvError::FieldCount { row, .. } | CsvError::Unmappable { row, .. } => *row,
        CsvError::Io(_) | CsvError::EmptyHeader => 1,
    }
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn cells_of(e: &RegistryEvent) -> Vec<String> {
    fn or_empty<T>(v: &Option<T>, f: impl Fn(&T) -> String) -> String {
        v.as_ref().map(f).unwrap_or_default()
    }
    vec![
        e.event_id.clone(),
        e.kind.code().to_owned(),
        iso(e.event_date),
        or_empty(&e.notified_on, |d| iso(*d)),
        e.addressee_id.as_str().to_owned(),
        or_empty(&e.household_number, |h| h.as_str().to_owned()),
        or_empty(&e.relationship, |r| r.code().to_owned()),
        or_empty(&e.name, |n| n.as_str().to_owned()),
        or_empty(&e.name_kana, |n| n.as_str().to_owned()),
        or_empty(&e.birth_date, |d| iso(*d)),
        or_empty(&e.sex, |s| s.code().to_string()),
        or_empty(&e.postal_code, Clone::clone),
        or_empty(&e.address, Clone::clone),
        or_empty(&e.destination, |d| d.code().to_owned()),
        or_empty(&e.previous_insurer_number, |n| n.as_str().to_owned()),
    ]
}

// ---------------------------------------------------------------------------
// Header

/// Column names that would carry a My Number, compared after lowercasing and
/// dropping '_', '-' and spaces.
fn is_my_number_column(name: &str) -> bool {
    let folded: String = name
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '\u{3000}'))
        .collect();
    matches!(
        folded.as_str(),
        "mynumber" | "individualnumber" | "個人番号" | "マイナンバー"
    )
}

fn check_header(record: &Record) -> Result<(), CellError> {
    let got = &record.fields;
    if let Some(i) = got.iter().position(|h| is_my_number_column(h)) {
        return Err(CellError {
            col: None,
            en: format!(
                "column {} is a My Number column: numbers (個人番号) are not accepted in this feed; remove the column",
                i + 1
            ),
            ja: format!(
                "{}列目は個人番号の列です。この異動ファイルに個人番号は含められません（列を削除してください）",
                i + 1
            ),
        });
    }
    // Cells are echoed only when they are known column names: a file without
    // a header has personal data on line 1.
    let known = |s: &str| COLUMNS.contains(&s);
    for i in 0..got.len().max(COLUMNS.len()) {
        let position = i + 1;
        match (got.get(i).map(String::as_str), COLUMNS.get(i)) {
            (Some(g), Some(e)) if g == *e => {}
            (Some(g), Some(e)) => {
                let (en, ja) = if known(g) {
                    (
                        format!(
                            "header column {position} should be {e}, found {g} (missing or misordered column)"
                        ),
                        format!(
                            "見出し行の{position}列目は{e}であるべきところ、{g}になっています（列の欠落または順序違い）"
                        ),
                    )
                } else {
                    (
                        format!(
                            "header column {position} should be {e} (is the header missing or misspelt?)"
                        ),
                        format!(
                            "見出し行の{position}列目は{e}である必要があります（見出し行の欠落または誤記）"
                        ),
                    )
                };
                return Err(CellError::new(i, en, ja));
            }
            (None, Some(e)) => {
                return Err(CellError::new(
                    i,
                    format!("header column {position} ({e}) is missing"),
                    format!("見出し行の{position}列目（{e}）がありません"),
                ));
            }
            (Some(_), None) => {
                return Err(CellError {
                    col: None,
                    en: format!(
                        "header has {} columns, expected {}: extra column at {position}",
                        got.len(),
                        COLUMNS.len()
                    ),
                    ja: format!(
                        "見出し行の列数が{}です（{}列必要です）。{position}列目は余分です",
                        got.len(),
                        COLUMNS.len()
                    ),
                });
            }
            (None, None) => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Records

fn trimmed(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{3000}')
}

/// Which event types must have a cell.
fn required_for(col: usize, kind: RegistryEventKind) -> bool {
    use RegistryEventKind::*;
    match col {
        HOUSEHOLD_NUMBER => matches!(kind, Birth | MoveIn | MoveWithin | HouseholdChange),
        RELATIONSHIP => matches!(kind, Birth | MoveIn | HouseholdChange),
        NAME | NAME_KANA => matches!(kind, Birth | MoveIn | NameChange),
        BIRTH_DATE | SEX => matches!(kind, Birth | MoveIn),
        POSTAL_CODE | ADDRESS => matches!(kind, Birth | MoveIn | MoveWithin),
        DESTINATION => kind == MoveOut,
        _ => false,
    }
}

/// Cells that mean nothing for other event types are refused rather than
/// ignored: they show the file was built wrongly.
fn allowed_for(col: usize, kind: RegistryEventKind) -> bool {
    match col {
        DESTINATION => kind == RegistryEventKind::MoveOut,
        PREVIOUS_INSURER_NUMBER => kind == RegistryEventKind::MoveIn,
        _ => true,
    }
}

struct Cells<'a> {
    cells: &'a [String],
    kind: RegistryEventKind,
}

impl<'a> Cells<'a> {
    /// The cell, `None` when blank; enforces [`required_for`] and
    /// [`allowed_for`].
    fn get(&self, col: usize) -> Result<Option<&'a str>, CellError> {
        let raw = self.cells.get(col).map_or("", String::as_str);
        if is_blank(raw) {
            if required_for(col, self.kind) {
                return Err(CellError::new(
                    col,
                    format!("required for {} events", self.kind.code()),
                    format!("{}の異動では必須です", self.kind.label_ja()),
                ));
            }
            return Ok(None);
        }
        if !allowed_for(col, self.kind) {
            let only = if col == DESTINATION {
                RegistryEventKind::MoveOut
            } else {
                RegistryEventKind::MoveIn
            };
            return Err(CellError::new(
                col,
                format!("only used for {} events; leave it empty", only.code()),
                format!(
                    "{}の異動でのみ指定します（空欄にしてください）",
                    only.label_ja()
                ),
            ));
        }
        Ok(Some(raw))
    }
}

fn required(cells: &[String], col: usize) -> Result<&str, CellError> {
    let raw = cells.get(col).map_or("", String::as_str);
    if is_blank(raw) {
        return Err(CellError::new(col, "required", "必須項目です"));
    }
    Ok(raw)
}

/// Domain errors start with their own field name; the column is named
/// separately, so drop it.
fn strip_field_prefix(msg: String, field: &str) -> String {
    match msg.strip_prefix(field).and_then(|m| m.strip_prefix(": ")) {
        Some(rest) => rest.to_owned(),
        None => msg,
    }
}

fn id_err(col: usize) -> impl Fn(IdError) -> CellError {
    move |e| {
        CellError::new(
            col,
            strip_field_prefix(e.to_string(), e.field()),
            e.message_ja(),
        )
    }
}

fn name_err(col: usize) -> impl Fn(NameError) -> CellError {
    move |e| {
        CellError::new(
            col,
            strip_field_prefix(e.to_string(), e.field()),
            e.message_ja(),
        )
    }
}

fn date_cell(col: usize, s: &str) -> Result<Date, CellError> {
    parse_date(s).map_err(|e| CellError::new(col, e.to_string(), e.message_ja()))
}

fn check_event_id(s: &str) -> Result<String, CellError> {
    let t = trimmed(s);
    let ok = (1..=MAX_EVENT_ID_CHARS).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(CellError::new(
            EVENT_ID,
            "must be 1 to 32 ASCII letters, digits, '-' or '_'",
            "異動IDは1〜32文字の半角英数字・「-」・「_」で指定してください",
        ));
    }
    Ok(t.to_owned())
}

fn event_from_cells(line: usize, cells: &[String]) -> Result<RegistryEvent, CellError> {
    let event_id = check_event_id(required(cells, EVENT_ID)?)?;
    let kind =
        RegistryEventKind::from_code(trimmed(required(cells, EVENT_TYPE)?)).ok_or_else(|| {
            let codes: Vec<&str> = RegistryEventKind::ALL.iter().map(|k| k.code()).collect();
            CellError::new(
                EVENT_TYPE,
                format!("unknown event type; expected one of {}", codes.join(", ")),
                format!(
                    "異動事由が正しくありません（{}のいずれか）",
                    codes.join("、")
                ),
            )
        })?;
    let c = Cells { cells, kind };
    let event_date = date_cell(EVENT_DATE, required(cells, EVENT_DATE)?)?;
    let notified_on = c
        .get(NOTIFIED_ON)?
        .map(|s| date_cell(NOTIFIED_ON, s))
        .transpose()?;
    let addressee_id =
        AddresseeId::parse(required(cells, ADDRESSEE_ID)?).map_err(id_err(ADDRESSEE_ID))?;
    let household_number = c
        .get(HOUSEHOLD_NUMBER)?
        .map(HouseholdNumber::parse)
        .transpose()
        .map_err(id_err(HOUSEHOLD_NUMBER))?;
    let relationship = c
        .get(RELATIONSHIP)?
        .map(|s| {
            Relationship::from_code(trimmed(s)).ok_or_else(|| {
                let codes: Vec<&str> = Relationship::ALL.iter().map(|r| r.code()).collect();
                CellError::new(
                    RELATIONSHIP,
                    format!(
                        "unknown relationship code; expected one of {}",
                        codes.join(", ")
                    ),
                    format!(
                        "続柄コードが正しくありません（{}のいずれか）",
                        codes.join("、")
                    ),
                )
            })
        })
        .transpose()?;
    let name = c
        .get(NAME)?
        .map(PersonName::parse)
        .transpose()
        .map_err(name_err(NAME))?;
    let name_kana = c
        .get(NAME_KANA)?
        .map(KanaName::parse)
        .transpose()
        .map_err(name_err(NAME_KANA))?;
    let birth_date = c
        .get(BIRTH_DATE)?
        .map(|s| date_cell(BIRTH_DATE, s))
        .transpose()?;
    if let Some(b) = birth_date {
        if kind == RegistryEventKind::Birth && b != event_date {
            return Err(CellError::new(
                BIRTH_DATE,
                "for a birth, birth_date must equal event_date",
                "出生の異動では生年月日と異動日が同じである必要があります",
            ));
        }
        if b > event_date {
            return Err(CellError::new(
                BIRTH_DATE,
                "birth_date is after event_date",
                "生年月日が異動日より後になっています",
            ));
        }
    }
    let sex = c
        .get(SEX)?
        .map(|s| {
            let code = match trimmed(s) {
                "1" => Some(1),
                "2" => Some(2),
                "9" => Some(9),
                _ => None,
            };
            code.and_then(Sex::from_code).ok_or_else(|| {
                CellError::new(
                    SEX,
                    "must be 1 (male), 2 (female) or 9 (not stated)",
                    "性別は1（男）、2（女）、9（不詳）のいずれかで指定してください",
                )
            })
        })
        .transpose()?;
    let postal_code = c
        .get(POSTAL_CODE)?
        .map(|s| {
            parse_postal_code(s).map_err(|e| {
                CellError::new(
                    POSTAL_CODE,
                    "a postal code has 7 digits (123-4567)",
                    e.message_ja(),
                )
            })
        })
        .transpose()?;
    let address = c
        .get(ADDRESS)?
        .map(|s| {
            if s.chars().any(char::is_control) {
                Err(CellError::new(
                    ADDRESS,
                    "contains control characters (line breaks, tabs)",
                    "住所に使用できない制御文字（改行・タブなど）があります",
                ))
            } else {
                Ok(s.to_owned())
            }
        })
        .transpose()?;
    let destination = c
        .get(DESTINATION)?
        .map(|s| {
            Destination::from_code(trimmed(s)).ok_or_else(|| {
                CellError::new(
                    DESTINATION,
                    "expected same_prefecture, other_prefecture or abroad",
                    "転出先は same_prefecture（県内）、other_prefecture（県外）、abroad（国外）のいずれかで指定してください",
                )
            })
        })
        .transpose()?;
    let previous_insurer_number = c
        .get(PREVIOUS_INSURER_NUMBER)?
        .map(InsurerNumber::parse)
        .transpose()
        .map_err(id_err(PREVIOUS_INSURER_NUMBER))?;
    Ok(RegistryEvent {
        line,
        event_id,
        kind,
        event_date,
        notified_on,
        addressee_id,
        household_number,
        relationship,
        name,
        name_kana,
        birth_date,
        sex,
        postal_code,
        address,
        destination,
        previous_insurer_number,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::text::encode_cp932;
    use proptest::prelude::*;
    use time::macros::date;

    const HEADER: &str = "event_id,event_type,event_date,notified_on,addressee_id,household_number,relationship,name,name_kana,birth_date,sex,postal_code,address,destination,previous_insurer_number";

    /// One good row of every event type (synthetic persons).
    const ROWS: [&str; 8] = [
        "E-0001,birth,2026-04-01,2026-04-03,0000000101,0000000010,20,山田\u{3000}花子,ヤマダ\u{3000}ハナコ,2026-04-01,2,680-0461,鳥取県八頭郡八頭町郡家100番地,,",
        "E-0002,death,令和8年4月2日,,0000000050,,,,,,,,,,",
        "E-0003,move_in,R8.4.3,R8.4.3,0000000102,0000000011,02,佐藤\u{3000}一郎,サトウ イチロウ,昭和55年1月2日,1,6800461,\"鳥取県八頭郡八頭町郡家200番地, ハイツ101\",,310011",
        "E-0004,move_out,2026-04-04,2026-03-30,0000000103,,,,,,,,,other_prefecture,",
        "E_0005,move_within,2026-04-05,,0000000104,0000000012,,,,,,680-0462,鳥取県八頭郡八頭町見槻中1番地,,",
        "E0006,household_change,2026-04-06,,0000000105,0000000013,02,,,,,,,,",
        "E0007,name_change,2026-04-07,,0000000106,,,鈴木\u{3000}一子,スズキ\u{3000}イチコ,,,,,,",
        "E0008,correction,2026-04-08,,0000000107,,,,,1980-01-01,,,,,",
    ];

    fn file(rows: &[&str], eol: &str) -> String {
        let mut s = String::from(HEADER);
        s.push_str(eol);
        for r in rows {
            s.push_str(r);
            s.push_str(eol);
        }
        s
    }

    fn good() -> String {
        file(&ROWS, "\n")
    }

    fn parse_str(s: &str) -> Result<Vec<RegistryEvent>, FeedError> {
        parse("feed.csv", s.as_bytes(), Encoding::Utf8)
    }

    fn err_of(s: &str) -> FeedError {
        parse_str(s).unwrap_err()
    }

    fn assert_err(s: &str, line: usize, field: Option<&str>) -> FeedError {
        let e = err_of(s);
        assert_eq!(
            (e.line, e.field.as_deref()),
            (line, field),
            "{e} / {}",
            e.message_ja()
        );
        e
    }

    /// `ROWS[row]` with column `col` replaced.
    fn with_cell(row: usize, col: usize, value: &str) -> String {
        let mut cells = crate::csv_in::split_records(ROWS[row])
            .ok()
            .unwrap()
            .remove(0)
            .fields;
        cells[col] = value.to_owned();
        let line: Vec<String> = cells
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        line.join(",")
    }

    #[test]
    fn good_file_parses() {
        let events = parse_str(&good()).unwrap();
        assert_eq!(events.len(), 8);
        let birth = &events[0];
        assert_eq!(birth.line, 2);
        assert_eq!(birth.event_id, "E-0001");
        assert_eq!(birth.kind, RegistryEventKind::Birth);
        assert_eq!(birth.event_date, date!(2026 - 04 - 01));
        assert_eq!(birth.notified_on, Some(date!(2026 - 04 - 03)));
        assert_eq!(birth.addressee_id.as_str(), "0000000101");
        assert_eq!(
            birth.household_number.as_ref().unwrap().as_str(),
            "0000000010"
        );
        assert_eq!(birth.relationship, Some(Relationship::Child));
        assert_eq!(birth.name.as_ref().unwrap().as_str(), "山田\u{3000}花子");
        assert_eq!(birth.sex, Some(Sex::Female));
        assert_eq!(birth.postal_code.as_deref(), Some("680-0461"));
        assert_eq!(birth.destination, None);

        let death = &events[1];
        assert_eq!(death.event_date, date!(2026 - 04 - 02));
        assert_eq!(death.notified_on, None);
        assert_eq!(death.name, None);

        let move_in = &events[2];
        assert_eq!(move_in.birth_date, Some(date!(1980 - 01 - 02)));
        assert_eq!(move_in.postal_code.as_deref(), Some("680-0461"));
        assert_eq!(
            move_in.address.as_deref(),
            Some("鳥取県八頭郡八頭町郡家200番地, ハイツ101")
        );
        assert_eq!(
            move_in.previous_insurer_number.as_ref().unwrap().as_str(),
            "310011"
        );
        assert_eq!(events[3].destination, Some(Destination::OtherPrefecture));
        assert_eq!(events[7].birth_date, Some(date!(1980 - 01 - 01)));
        let lines: Vec<usize> = events.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn utf8_and_cp932_give_the_same_events() {
        let text = good();
        let utf8 = parse("a.csv", text.as_bytes(), Encoding::Utf8).unwrap();
        let sjis = parse("a.csv", &encode_cp932(&text).unwrap(), Encoding::Cp932).unwrap();
        assert_eq!(utf8, sjis);
    }

    #[test]
    fn line_endings_bom_and_trailing_blank_lines() {
        let lf = parse_str(&file(&ROWS, "\n")).unwrap();
        let crlf = parse_str(&file(&ROWS, "\r\n")).unwrap();
        assert_eq!(lf, crlf);
        // No newline after the last row.
        let mut no_final = file(&ROWS, "\r\n");
        no_final.truncate(no_final.len() - 2);
        assert_eq!(parse_str(&no_final).unwrap(), lf);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(file(&ROWS, "\r\n").as_bytes());
        assert_eq!(parse("a.csv", &bom, Encoding::Utf8).unwrap(), lf);
        let trailing = format!("{}\r\n\r\n,,,,,,,,,,,,,,\r\n  \n", file(&ROWS, "\r\n"));
        assert_eq!(parse_str(&trailing).unwrap(), lf);
    }

    #[test]
    fn quoted_fields() {
        let row = with_cell(0, ADDRESS, "鳥取県八頭郡, \"コーポ\" 1号");
        assert!(row.contains("\"鳥取県八頭郡, \"\"コーポ\"\" 1号\""));
        let events = parse_str(&file(&[&row], "\r\n")).unwrap();
        assert_eq!(
            events[0].address.as_deref(),
            Some("鳥取県八頭郡, \"コーポ\" 1号")
        );
        // Quoting a cell that needs none is fine too.
        let events = parse_str(&file(
            &["\"E1\",\"death\",2026-04-02,,\"50\",,,,,,,,,,"],
            "\n",
        ))
        .unwrap();
        assert_eq!(events[0].event_id, "E1");
        // A quoted line break spans lines; the lines after it count it.
        let multi = with_cell(3, ADDRESS, "a\nb");
        assert!(multi.contains("\"a\nb\""));
        let e = assert_err(&file(&[&multi], "\n"), 2, Some("address"));
        assert!(e.reason_en.contains("control"));
        let text = format!("{HEADER}\n{multi}\nE9,death,\"x\"y,,50,,,,,,,,,,\n");
        assert_err(&text, 4, Some("event_date"));
    }

    #[test]
    fn csv_syntax_errors() {
        let e = assert_err(
            &file(&["E1,death,2026-04-02,,5\"0,,,,,,,,,,"], "\n"),
            2,
            Some("addressee_id"),
        );
        assert!(e.reason_en.contains("quote"));
        assert_err(
            &file(&["E1,death,\"2026-04-02\"x,,50,,,,,,,,,,"], "\n"),
            2,
            Some("event_date"),
        );
        assert_err(
            &format!("{HEADER}\nE1,death,2026-04-02,,50,,,,,,,,,,\n\"E2,death"),
            3,
            Some("event_id"),
        );
        assert_err(
            &format!("{HEADER}\rE1,death,2026-04-02,,50,,,,,,,,,,\n"),
            1,
            None,
        );
    }

    #[test]
    fn every_required_field_rule() {
        let always = ["event_id", "event_type", "event_date", "addressee_id"];
        let by_kind: [(&str, &[&str]); 8] = [
            (
                "birth",
                &[
                    "household_number",
                    "relationship",
                    "name",
                    "name_kana",
                    "birth_date",
                    "sex",
                    "postal_code",
                    "address",
                ],
            ),
            ("death", &[]),
            (
                "move_in",
                &[
                    "household_number",
                    "relationship",
                    "name",
                    "name_kana",
                    "birth_date",
                    "sex",
                    "postal_code",
                    "address",
                ],
            ),
            ("move_out", &["destination"]),
            (
                "move_within",
                &["household_number", "postal_code", "address"],
            ),
            ("household_change", &["household_number", "relationship"]),
            ("name_change", &["name", "name_kana"]),
            ("correction", &[]),
        ];
        for (row, (kind, required)) in by_kind.iter().enumerate() {
            assert!(ROWS[row].contains(&format!(",{kind},")));
            for (col, name) in COLUMNS.iter().enumerate() {
                let blanked = with_cell(row, col, "");
                let result = parse_str(&file(&[&blanked], "\n"));
                if always.contains(name) || required.contains(name) {
                    let e = result
                        .as_ref()
                        .err()
                        .unwrap_or_else(|| panic!("{kind}: {name} not required"));
                    assert_eq!(
                        (e.line, e.field.as_deref()),
                        (2, Some(*name)),
                        "{kind}: {e}"
                    );
                    if required.contains(name) {
                        assert_eq!(e.reason_en, format!("required for {kind} events"));
                    } else {
                        assert_eq!(e.reason_en, "required");
                    }
                } else {
                    assert!(result.is_ok(), "{kind}: {name} should be optional");
                }
                // Blank means spaces too.
                let spaced = with_cell(row, col, " \u{3000}");
                assert_eq!(
                    parse_str(&file(&[&spaced], "\n")).is_ok(),
                    result.is_ok(),
                    "{kind}: {name}"
                );
            }
        }
    }

    #[test]
    fn cell_rules() {
        let one = |row: usize, col: usize, v: &str| file(&[&with_cell(row, col, v)], "\n");
        // event_id
        for bad in ["E 1", "é1", "x".repeat(33).as_str()] {
            assert_err(&one(1, EVENT_ID, bad), 2, Some("event_id"));
        }
        assert!(parse_str(&one(1, EVENT_ID, &"x".repeat(32))).is_ok());
        // event_type
        let e = assert_err(&one(1, EVENT_TYPE, "marriage"), 2, Some("event_type"));
        assert!(!e.reason_en.contains("marriage"));
        // dates
        let e = assert_err(&one(1, EVENT_DATE, "平成31年5月1日"), 2, Some("event_date"));
        assert_eq!(
            e.to_string(),
            "feed.csv line 2, field event_date: Heisei 31-5-1 is outside its era (Heisei runs 1989-01-08 to 2019-04-30)"
        );
        assert_eq!(
            e.message_ja(),
            "feed.csv 2行目 event_date: 平成31年5月1日は平成の期間外です（平成は平成元年1月8日から平成31年4月30日まで）"
        );
        assert_err(&one(1, NOTIFIED_ON, "2026-02-30"), 2, Some("notified_on"));
        assert_err(&one(2, BIRTH_DATE, "S55.13.1"), 2, Some("birth_date"));
        // birth_date
        let e = assert_err(&one(0, BIRTH_DATE, "2026-03-31"), 2, Some("birth_date"));
        assert!(e.reason_en.contains("must equal event_date"));
        let e = assert_err(&one(2, BIRTH_DATE, "2026-05-01"), 2, Some("birth_date"));
        assert!(e.reason_en.contains("after event_date"));
        // ids
        let e = assert_err(&one(1, ADDRESSEE_ID, "12a4"), 2, Some("addressee_id"));
        assert_eq!(e.reason_en, "character 3 is not a digit");
        assert_err(
            &one(0, HOUSEHOLD_NUMBER, &"1".repeat(16)),
            2,
            Some("household_number"),
        );
        assert_err(
            &one(2, PREVIOUS_INSURER_NUMBER, "310012"),
            2,
            Some("previous_insurer_number"),
        );
        // codes
        assert_err(&one(0, RELATIONSHIP, "2"), 2, Some("relationship"));
        for bad in ["0", "3", "男", "01"] {
            assert_err(&one(0, SEX, bad), 2, Some("sex"));
        }
        assert_eq!(
            parse_str(&one(0, SEX, " 9 ")).unwrap()[0].sex,
            Some(Sex::NotStated)
        );
        assert_err(&one(3, DESTINATION, "overseas"), 2, Some("destination"));
        // cells that belong to another event type
        let e = assert_err(&one(0, DESTINATION, "abroad"), 2, Some("destination"));
        assert!(e.reason_en.contains("only used for move_out"));
        assert_err(
            &one(3, PREVIOUS_INSURER_NUMBER, "310011"),
            2,
            Some("previous_insurer_number"),
        );
        // names, postal code, address
        let e = assert_err(&one(0, NAME_KANA, "山田はなこ"), 2, Some("name_kana"));
        assert!(!e.to_string().contains("山田") && !e.message_ja().contains("山田"));
        assert_eq!(e.reason_en, "character 1 is not kana");
        assert_err(&one(0, POSTAL_CODE, "680-046"), 2, Some("postal_code"));
        assert_err(&one(0, ADDRESS, "鳥取県\t八頭町"), 2, Some("address"));
        // Names are kept exactly, compatibility ideographs and all.
        let events = parse_str(&one(6, NAME, "\u{FA19}田\u{3000}一子")).unwrap();
        assert_eq!(
            events[0].name.as_ref().unwrap().as_str(),
            "\u{FA19}田\u{3000}一子"
        );
    }

    #[test]
    fn duplicate_event_id() {
        let second = with_cell(5, EVENT_ID, "E-0002");
        let rows = [ROWS[0], ROWS[1], ROWS[2], &second];
        let e = assert_err(&file(&rows, "\r\n"), 5, Some("event_id"));
        assert_eq!(e.reason_en, "duplicates the event_id of line 3");
        assert_eq!(
            e.message_ja(),
            "feed.csv 5行目 event_id: 3行目と同じ異動IDです"
        );
    }

    #[test]
    fn wrong_header() {
        let body = ROWS.join("\n");
        let with_header = |h: &str| format!("{h}\n{body}\n");
        // Missing column.
        let missing = HEADER.replace(",notified_on", "");
        let e = assert_err(&with_header(&missing), 1, Some("notified_on"));
        assert!(e.reason_en.contains("found addressee_id"), "{e}");
        // Misordered.
        let swapped = HEADER.replace("name,name_kana", "name_kana,name");
        assert_err(&with_header(&swapped), 1, Some("name"));
        // Extra column at the end.
        let e = assert_err(&with_header(&format!("{HEADER},note")), 1, None);
        assert!(e.reason_en.contains("extra column at 16"));
        // Last column missing.
        let short = HEADER.replace(",previous_insurer_number", "");
        assert_err(&with_header(&short), 1, Some("previous_insurer_number"));
        // Wrong case counts as wrong.
        assert_err(&with_header(&HEADER.replace("sex", "SEX")), 1, Some("sex"));
        // No header at all: the first row is not echoed.
        let e = assert_err(&body, 1, Some("event_id"));
        assert!(!e.to_string().contains("E-0001") && !e.message_ja().contains("山田"));
    }

    #[test]
    fn my_number_column_is_refused() {
        for col in ["my_number", "My_Number", "個人番号", "mynumber"] {
            let h = format!("{HEADER},{col}");
            let rows: Vec<String> = ROWS.iter().map(|r| format!("{r},123456789018")).collect();
            let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
            let text = format!("{h}\n{}\n", rows.join("\n"));
            let e = assert_err(&text, 1, None);
            assert!(e.reason_en.contains("not accepted"), "{e}");
            assert!(e.message_ja().contains("個人番号は含められません"));
            assert!(!e.to_string().contains("123456789018"));
        }
        let first = HEADER.replace("event_id,", "my_number,event_id,");
        let e = assert_err(&format!("{first}\n"), 1, None);
        assert!(e.reason_en.starts_with("column 1 is a My Number column"));
    }

    #[test]
    fn field_count_empty_and_blank_lines() {
        let e = assert_err(&file(&[ROWS[0], "E9,death,2026-04-02,,50"], "\n"), 3, None);
        assert_eq!(e.reason_en, "5 fields, expected 15");
        assert_eq!(e.to_string(), "feed.csv line 3: 5 fields, expected 15");
        assert_eq!(
            e.message_ja(),
            "feed.csv 3行目: 項目数が5です（15項目必要です）"
        );
        assert_err(
            &format!("{},x\n", file(&[ROWS[1]], "\n").trim_end()),
            2,
            None,
        );

        let e = assert_err("", 1, None);
        assert!(e.reason_en.contains("empty"));
        assert_err("\r\n\r\n", 1, None);
        let e = assert_err(&format!("{HEADER}\r\n"), 2, None);
        assert!(e.reason_en.starts_with("no events"));
        assert_err(&format!("{HEADER}\r\n\r\n,,,\r\n"), 2, None);
        // A blank line between events rejects the file.
        let e = assert_err(&file(&[ROWS[0], "", ROWS[1]], "\n"), 3, None);
        assert!(e.reason_en.contains("blank"));
    }

    #[test]
    fn decode_errors_name_the_line() {
        let mut bytes = encode_cp932(&file(&ROWS[..2], "\r\n")).unwrap();
        bytes.extend_from_slice(
            b"E9,death,2026-04-02,,50,,,,,,,,,,\r\nE10,death,2026-04-02,,\x82\x20,,,,,,,,,,\r\n",
        );
        let e = parse("x.csv", &bytes, Encoding::Cp932).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (5, None));
        assert!(e.reason_en.contains("malformed CP932"));
        // A CP932 file read as UTF-8.
        let sjis = encode_cp932(&good()).unwrap();
        let e = parse("x.csv", &sjis, Encoding::Utf8).unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn file_digest_is_sha256_hex() {
        // SHA-256 test vectors, grouped by eight hex digits between two 'h'.
        assert_eq!(
            file_digest(b"").replace(['-', 'h'], ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            file_digest(b"abc"),
            "hba7816bf-8f01cfea-414140de-5dae2223-b00361a3-96177a9c-b410ff61-f20015adh"
        );
    }

    #[test]
    fn write_round_trips() {
        let events = parse_str(&good()).unwrap();
        for enc in [Encoding::Utf8, Encoding::Cp932] {
            let bytes = write(&events, enc).unwrap();
            assert!(bytes.ends_with(b"\r\n"));
            assert_eq!(parse("w.csv", &bytes, enc).unwrap(), events);
        }
        let text = String::from_utf8(write(&events, Encoding::Utf8).unwrap()).unwrap();
        assert!(text.starts_with(&format!("{HEADER}\r\n")));
        // 和暦 and un-hyphenated input come back in ISO form, normalised.
        assert!(text.contains("E-0003,move_in,2026-04-03,2026-04-03,0000000102,0000000011,02,"));
        assert!(text.contains(",1980-01-02,1,680-0461,\"鳥取県"));
    }

    #[test]
    fn write_refuses_what_parse_would() {
        let mut events = parse_str(&good()).unwrap();
        let mut e0 = events[0].clone();
        e0.name = Some(PersonName::parse("吉田\u{3000}𠮷子").unwrap());
        events[6] = e0.clone();
        events[6].event_id = "E-0100".to_owned();
        let e = write(&events, Encoding::Cp932).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (8, Some("name")));
        assert!(e.reason_en.contains("U+20BB7"));
        // UTF-8 carries it.
        let bytes = write(&events, Encoding::Utf8).unwrap();
        assert_eq!(
            parse("w.csv", &bytes, Encoding::Utf8).unwrap()[6].name,
            e0.name
        );

        let mut missing = parse_str(&good()).unwrap();
        missing[2].sex = None;
        let e = write(&missing, Encoding::Utf8).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (4, Some("sex")));
        assert_eq!(
            e.to_string(),
            "<output> line 4, field sex: required for move_in events"
        );

        let mut dup = parse_str(&good()).unwrap();
        dup[3].event_id = dup[0].event_id.clone();
        let e = write(&dup, Encoding::Utf8).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (5, Some("event_id")));
    }

    #[test]
    fn documented_example_parses() {
        let doc = include_str!("../../../docs/formats/registry-feed.md");
        let start = doc.find("```\nevent_id,").unwrap() + 4;
        let len = doc[start..].find("```").unwrap();
        let events = parse_str(&doc[start..start + len]).unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.code()).collect();
        assert_eq!(kinds, ["birth", "death", "move_in", "move_out"]);
    }

    #[test]
    fn kinds_and_destinations() {
        for k in RegistryEventKind::ALL {
            assert_eq!(RegistryEventKind::from_code(k.code()), Some(k));
            assert!(!k.label_ja().is_empty());
        }
        for d in Destination::ALL {
            assert_eq!(Destination::from_code(d.code()), Some(d));
        }
        assert_eq!(RegistryEventKind::from_code("Birth"), None);
    }

    fn name_text() -> impl Strategy<Value = String> {
        "[山田花子吉川,\" 　ﾊﾞA-]{0,8}".prop_map(|s| format!("田{s}"))
    }

    proptest! {
        #[test]
        fn parse_of_write_is_identity(
            picks in proptest::collection::vec((0usize..8, name_text(), "[、，,\"a-z0-9 ]{0,10}"), 1..20),
            enc_utf8 in any::<bool>(),
        ) {
            let base = parse_str(&good()).unwrap();
            let events: Vec<RegistryEvent> = picks
                .iter()
                .enumerate()
                .map(|(i, (k, name, addr))| {
                    let mut e = base[*k].clone();
                    e.line = i + 2;
                    e.event_id = format!("G{i}");
                    if e.name.is_some() {
                        e.name = Some(PersonName::parse(name).unwrap());
                    }
                    if e.address.is_some() {
                        e.address = Some(format!("鳥取県{addr}"));
                    }
                    e
                })
                .collect();
            let enc = if enc_utf8 { Encoding::Utf8 } else { Encoding::Cp932 };
            let bytes = write(&events, enc).unwrap();
            prop_assert_eq!(parse("p.csv", &bytes, enc).unwrap(), events);
        }

        #[test]
        fn parse_never_panics(s in "[a-z0-9_,\"\r\n ]{0,200}") {
            let text = format!("{HEADER}\n{s}");
            let _ = parse_str(&text);
        }
    }
}
