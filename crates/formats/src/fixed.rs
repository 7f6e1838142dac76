//! Fixed-length record files described by layout tables kept as data
//! (`layouts/*.toml`): every field's position, length, kind, codes. The
//! writer and reader know no file in particular, so a corrected layout is a
//! data change; the layout is checked when loaded (fields contiguous, the
//! record filled exactly, codes that fit).
//!
//! A file is a header record, data records and a trailer with the count,
//! each record `record_length` bytes of CP932 followed by CR LF. Reading is
//! all or nothing: the first malformed record refuses the whole file with
//! its line, field and reason — never the value, which may be personal.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::text::{Encoding, decode, encode_cp932};

/// A field's kind (see the layout file's comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum FieldKind {
    /// digits, right-aligned, zero-filled
    N,
    /// ASCII, left-aligned, space-filled
    X,
    /// CP932 text, left-aligned, space-filled
    M,
    /// YYYYMMDD
    D,
    /// YYYYMM
    YM,
}

/// One field of a record.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub key: String,
    pub name_ja: String,
    /// 1-based byte position
    pub pos: usize,
    /// bytes
    pub len: usize,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub codes: Vec<String>,
    /// the field's fixed content (e.g. the record kind)
    #[serde(default)]
    pub value: Option<String>,
}

/// Which way a file goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ToFederation,
    FromFederation,
    ToIntermediate,
    FromIntermediate,
}

impl Direction {
    /// Whether the town writes the file (else it takes it in).
    pub fn from_town(self) -> bool {
        matches!(self, Direction::ToFederation | Direction::ToIntermediate)
    }
}

/// One file's data record.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLayout {
    /// the file identification written in the header
    pub code: String,
    pub key: String,
    pub name_ja: String,
    pub direction: Direction,
    pub record_length: usize,
    /// whether the file holds 個人番号 (written sealed, lawful purpose only)
    #[serde(default)]
    pub carries_my_number: bool,
    #[serde(rename = "field")]
    pub fields: Vec<Field>,
}

impl FileLayout {
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    pub provisional: bool,
    pub source: String,
    pub encoding: String,
    pub line_break: String,
}

/// A set of files sharing a header and a trailer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layouts {
    pub meta: Meta,
    pub header: Vec<Field>,
    pub trailer: Vec<Field>,
    #[serde(rename = "file")]
    pub files: Vec<FileLayout>,
}

/// A layout table that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("layout {table}: {reason}")]
pub struct LayoutError {
    pub table: String,
    pub reason: String,
}

fn layout_err(table: &str, reason: impl Into<String>) -> LayoutError {
    LayoutError {
        table: table.to_string(),
        reason: reason.into(),
    }
}

impl Layouts {
    /// Parses and checks a layout table.
    pub fn parse(text: &str) -> Result<Layouts, LayoutError> {
        let l: Layouts = toml::from_str(text).map_err(|e| layout_err("(file)", e.to_string()))?;
        if l.meta.encoding != "cp932" || l.meta.line_break != "crlf" {
            return Err(layout_err("meta", "only CP932 with CR LF is supported"));
        }
        if l.files.is_empty() {
            return Err(layout_err("meta", "no file"));
        }
        let shortest = l.files.iter().map(|f| f.record_length).min().unwrap_or(0);
        check_fields("header", &l.header, shortest, false)?;
        check_fields("trailer", &l.trailer, shortest, false)?;
        for (name, fields) in [("header", &l.header), ("trailer", &l.trailer)] {
            if fields.first().and_then(|f| f.value.as_deref()).is_none()
                || fields.first().map(|f| f.key.as_str()) != Some("record_kind")
            {
                return Err(layout_err(name, "must begin with a fixed record_kind"));
            }
        }
        for key in [
            "file_code",
            "insurer_number",
            "created_on",
            "created_time",
            "extract",
        ] {
            if !l.header.iter().any(|f| f.key == key) {
                return Err(layout_err("header", format!("has no {key}")));
            }
        }
        if !l.trailer.iter().any(|f| f.key == "record_count") {
            return Err(layout_err("trailer", "has no record_count"));
        }
        let mut codes = std::collections::BTreeSet::new();
        let mut keys = std::collections::BTreeSet::new();
        for f in &l.files {
            if !codes.insert(f.code.clone()) || !keys.insert(f.key.clone()) {
                return Err(layout_err(&f.key, "file code or key used twice"));
            }
            let hdr_code = l.header.iter().find(|h| h.key == "file_code");
            if hdr_code.is_some_and(|h| f.code.len() != h.len || !f.code.is_ascii()) {
                return Err(layout_err(&f.key, "file code does not fit the header"));
            }
            check_fields(&f.key, &f.fields, f.record_length, true)?;
            let first = f.fields.first();
            if first.map(|x| x.key.as_str()) != Some("record_kind")
                || first.and_then(|x| x.value.as_deref()) == l.header[0].value.as_deref()
                || first.and_then(|x| x.value.as_deref()) == l.trailer[0].value.as_deref()
            {
                return Err(layout_err(
                    &f.key,
                    "must begin with a record_kind unlike the header's and trailer's",
                ));
            }
        }
        Ok(l)
    }

    pub fn file(&self, key: &str) -> Option<&FileLayout> {
        self.files.iter().find(|f| f.key == key)
    }

    pub fn file_by_code(&self, code: &str) -> Option<&FileLayout> {
        self.files.iter().find(|f| f.code == code)
    }
}

/// Fields in position order, from byte 1, without gap or overlap; `fill`
/// says they must fill the record exactly (else they must fit in it).
fn check_fields(
    table: &str,
    fields: &[Field],
    record_length: usize,
    fill: bool,
) -> Result<(), LayoutError> {
    let mut next = 1;
    let mut keys = std::collections::BTreeSet::new();
    for f in fields {
        let at = format!("{table}.{}", f.key);
        if !keys.insert(f.key.as_str()) {
            return Err(layout_err(&at, "key used twice"));
        }
        if f.pos != next {
            return Err(layout_err(
                &at,
                format!(
                    "starts at {} but the previous field ends at {}",
                    f.pos,
                    next - 1
                ),
            ));
        }
        if f.len == 0 {
            return Err(layout_err(&at, "has no length"));
        }
        match f.kind {
            FieldKind::D if f.len != 8 => return Err(layout_err(&at, "a date is 8 bytes")),
            FieldKind::YM if f.len != 6 => return Err(layout_err(&at, "a month is 6 bytes")),
            _ => {}
        }
        for c in f.codes.iter().chain(f.value.iter()) {
            if c.len() != f.len && !(f.kind == FieldKind::X && c.len() <= f.len) {
                return Err(layout_err(
                    &at,
                    format!("code {c:?} does not fill the field"),
                ));
            }
            if f.kind == FieldKind::N && !c.bytes().all(|b| b.is_ascii_digit()) {
                return Err(layout_err(&at, format!("code {c:?} is not digits")));
            }
        }
        next += f.len;
    }
    let end = next - 1;
    if end > record_length || (fill && end != record_length) {
        return Err(layout_err(
            table,
            format!("fields end at byte {end}, the record is {record_length}"),
        ));
    }
    Ok(())
}

/// A record's values by field key; an absent key is an empty field.
pub type Values = BTreeMap<String, String>;

/// What could not be written or read: the file, the 1-based line (0 for
/// the file as a whole), the field and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: line {line}, {field}: {reason}")]
pub struct FixedError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub reason: String,
    pub reason_ja: String,
}

impl FixedError {
    fn new(
        file: &str,
        line: usize,
        field: &str,
        en: impl Into<String>,
        ja: impl Into<String>,
    ) -> FixedError {
        FixedError {
            file: file.to_string(),
            line,
            field: field.to_string(),
            reason: en.into(),
            reason_ja: ja.into(),
        }
    }

    /// For staff: 「ファイル 3行目 生年月日: …」.
    pub fn message_ja(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.file, self.reason_ja)
        } else {
            format!(
                "{} {}行目 {}: {}",
                self.file, self.line, self.field, self.reason_ja
            )
        }
    }
}

/// A record being written: the file's name and line for errors.
struct Out<'a> {
    file: &'a str,
    line: usize,
}

impl Out<'_> {
    fn field(&self, f: &Field, value: &str, buf: &mut Vec<u8>) -> Result<(), FixedError> {
        let err =
            |en: String, ja: String| FixedError::new(self.file, self.line, &f.name_ja, en, ja);
        let value = match &f.value {
            Some(fixed) => fixed.as_str(),
            None => value,
        };
        if value.is_empty() {
            if f.required {
                return Err(err("is required".into(), "必須の項目です".into()));
            }
            buf.extend(std::iter::repeat_n(b' ', f.len));
            return Ok(());
        }
        if !f.codes.is_empty() && !f.codes.iter().any(|c| c == value) {
            return Err(err(
                "is not one of the field's codes".into(),
                "コード表にない値です".into(),
            ));
        }
        let bytes = match f.kind {
            FieldKind::N => {
                if !value.bytes().all(|b| b.is_ascii_digit()) || value.len() > f.len {
                    return Err(err(
                        format!("must be at most {} digits", f.len),
                        format!("{}桁以内の数字です", f.len),
                    ));
                }
                let mut b = vec![b'0'; f.len - value.len()];
                b.extend_from_slice(value.as_bytes());
                b
            }
            FieldKind::D | FieldKind::YM => {
                let ok = value.len() == f.len
                    && value.bytes().all(|b| b.is_ascii_digit())
                    && valid_date(value);
                if !ok {
                    return Err(err(
                        "is not a valid date".into(),
                        "正しい年月日（年月）ではありません".into(),
                    ));
                }
                value.as_bytes().to_vec()
            }
            FieldKind::X => {
                if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                    return Err(err(
                        "must be ASCII".into(),
                        "半角英数字で入力してください".into(),
                    ));
                }
                pad(value.as_bytes(), f.len)
                    .ok_or_else(|| err(too_long(f.len), too_long_ja(f.len)))?
            }
            FieldKind::M => {
                if value.chars().any(char::is_control) {
                    return Err(err(
                        "holds a control character".into(),
                        "制御文字が含まれています".into(),
                    ));
                }
                let b = encode_cp932(value).map_err(|e| err(e.to_string(), e.message_ja()))?;
                pad(&b, f.len).ok_or_else(|| err(too_long(f.len), too_long_ja(f.len)))?
            }
        };
        buf.extend_from_slice(&bytes);
        Ok(())
    }
}

fn too_long(len: usize) -> String {
    format!("longer than {len} bytes")
}

fn too_long_ja(len: usize) -> String {
    format!("{len}バイト（全角{}文字）を超えています", len / 2)
}

fn pad(b: &[u8], len: usize) -> Option<Vec<u8>> {
    (b.len() <= len).then(|| {
        let mut v = b.to_vec();
        v.resize(len, b' ');
        v
    })
}

/// YYYYMMDD a real date, or YYYYMM a real month.
fn valid_date(s: &str) -> bool {
    let y: i32 = s[0..4].parse().unwrap_or(0);
    let m: u8 = s[4..6].parse().unwrap_or(0);
    let Ok(month) = time::Month::try_from(m) else {
        return false;
    };
    if y < 1868 {
        return false;
    }
    match s.len() {
        6 => true,
        8 => {
            let d: u8 = s[6..8].parse().unwrap_or(0);
            time::Date::from_calendar_date(y, month, d).is_ok()
        }
        _ => false,
    }
}

fn record(
    out: &Out<'_>,
    fields: &[Field],
    values: &Values,
    len: usize,
) -> Result<Vec<u8>, FixedError> {
    let mut buf = Vec::with_capacity(len + 2);
    for f in fields {
        out.field(
            f,
            values.get(&f.key).map(String::as_str).unwrap_or(""),
            &mut buf,
        )?;
    }
    buf.resize(len, b' ');
    buf.extend_from_slice(b"\r\n");
    Ok(buf)
}

/// Writes a whole file: the header from `header` (its file code filled in),
/// the records, the trailer with their count. All or nothing.
pub fn write(
    layouts: &Layouts,
    file: &FileLayout,
    file_name: &str,
    header: &Values,
    records: &[Values],
) -> Result<Vec<u8>, FixedError> {
    let mut out = Vec::with_capacity((records.len() + 2) * (file.record_length + 2));
    let mut h = header.clone();
    h.insert("file_code".into(), file.code.clone());
    let mut w = Out {
        file: file_name,
        line: 1,
    };
    out.extend(record(&w, &layouts.header, &h, file.record_length)?);
    for r in records {
        w.line += 1;
        out.extend(record(&w, &file.fields, r, file.record_length)?);
    }
    w.line += 1;
    let t = Values::from([("record_count".to_string(), records.len().to_string())]);
    out.extend(record(&w, &layouts.trailer, &t, file.record_length)?);
    Ok(out)
}

/// A file read whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedFile<'l> {
    pub layout: &'l FileLayout,
    pub header: Values,
    pub records: Vec<Values>,
}

fn read_record(
    file: &str,
    line: usize,
    fields: &[Field],
    bytes: &[u8],
) -> Result<Values, FixedError> {
    let mut values = Values::new();
    for f in fields {
        let err = |en: &str, ja: &str| FixedError::new(file, line, &f.name_ja, en, ja);
        let raw = &bytes[f.pos - 1..f.pos - 1 + f.len];
        let blank = raw.iter().all(|b| *b == b' ');
        if blank {
            if f.required || f.value.is_some() {
                return Err(err("is required but empty", "必須の項目が空です"));
            }
            continue;
        }
        let value = match f.kind {
            FieldKind::N => {
                if !raw.iter().all(u8::is_ascii_digit) {
                    return Err(err("must be digits", "数字ではありません"));
                }
                // Kept as written (zero-filled): a code's leading zeros matter.
                String::from_utf8_lossy(raw).into_owned()
            }
            FieldKind::D | FieldKind::YM => {
                let s = String::from_utf8_lossy(raw).into_owned();
                if !raw.iter().all(u8::is_ascii_digit) || !valid_date(&s) {
                    return Err(err(
                        "is not a valid date",
                        "正しい年月日（年月）ではありません",
                    ));
                }
                s
            }
            FieldKind::X => {
                if !raw.iter().all(|b| (0x20..0x7f).contains(b)) {
                    return Err(err("must be ASCII", "半角英数字ではありません"));
                }
                String::from_utf8_lossy(raw).trim_end().to_string()
            }
            FieldKind::M => {
                let s = decode(raw, Encoding::Cp932).map_err(|_| {
                    err(
                        "is not valid CP932 (or a character is split at the field's end)",
                        "文字コードが正しくありません（項目の終わりで文字が切れています）",
                    )
                })?;
                if s.chars().any(char::is_control) {
                    return Err(err("holds a control character", "制御文字が含まれています"));
                }
                s.trim_end_matches(' ').to_string()
            }
        };
        if let Some(fixed) = &f.value
            && *fixed != value
        {
            return Err(err(
                "does not hold its fixed value",
                "決まった値ではありません",
            ));
        }
        if !f.codes.is_empty() && !f.codes.contains(&value) {
            return Err(err(
                "is not one of the field's codes",
                "コード表にない値です",
            ));
        }
        values.insert(f.key.clone(), value);
    }
    Ok(values)
}

/// The bytes of a header or trailer after its fields are spaces.
fn unused_is_blank(
    file: &str,
    line: usize,
    fields: &[Field],
    bytes: &[u8],
) -> Result<(), FixedError> {
    let end = fields.last().map(|f| f.pos - 1 + f.len).unwrap_or(0);
    if bytes[end..].iter().all(|b| *b == b' ') {
        Ok(())
    } else {
        Err(FixedError::new(
            file,
            line,
            "予備",
            "bytes after the last field must be spaces",
            "項目のない部分に文字があります",
        ))
    }
}

/// Reads a whole file of one of the layouts: the header says which.
pub fn read<'l>(
    layouts: &'l Layouts,
    file_name: &str,
    bytes: &[u8],
) -> Result<ParsedFile<'l>, FixedError> {
    let whole = |en: &str, ja: &str| FixedError::new(file_name, 0, "", en, ja);
    if bytes.is_empty() {
        return Err(whole("the file is empty", "ファイルが空です"));
    }
    let code_field = layouts
        .header
        .iter()
        .find(|f| f.key == "file_code")
        .ok_or_else(|| {
            whole(
                "the layout has no file code",
                "レイアウトにファイル識別がありません",
            )
        })?;
    let code_at = code_field.pos - 1..code_field.pos - 1 + code_field.len;
    let code = bytes
        .get(code_at)
        .map(|b| String::from_utf8_lossy(b).trim_end().to_string())
        .unwrap_or_default();
    let layout = layouts.file_by_code(&code).ok_or_else(|| {
        FixedError::new(
            file_name,
            1,
            &code_field.name_ja,
            "names no known file",
            "知らないファイル識別です",
        )
    })?;
    let len = layout.record_length;
    let step = len + 2;
    if !bytes.len().is_multiple_of(step) {
        let line = bytes.len() / step + 1;
        return Err(FixedError::new(
            file_name,
            line,
            "",
            format!("records must be {len} bytes each followed by CR LF"),
            format!("1レコードは{len}バイト＋改行です（レコード長が違います）"),
        ));
    }
    let lines: Vec<&[u8]> = bytes.chunks(step).collect();
    for (i, l) in lines.iter().enumerate() {
        if &l[len..] != b"\r\n" {
            return Err(FixedError::new(
                file_name,
                i + 1,
                "",
                format!("records must be {len} bytes each followed by CR LF"),
                format!("1レコードは{len}バイト＋改行です（レコード長が違います）"),
            ));
        }
    }
    if lines.len() < 2 {
        return Err(whole("no trailer record", "トレーラレコードがありません"));
    }
    let kind = |l: &[u8]| l[0];
    let header_kind = layouts.header[0].value.as_deref().unwrap_or("").as_bytes();
    let trailer_kind = layouts.trailer[0].value.as_deref().unwrap_or("").as_bytes();
    let data_kind = layout.fields[0].value.as_deref().unwrap_or("").as_bytes();
    let header = read_record(file_name, 1, &layouts.header, &lines[0][..len])?;
    unused_is_blank(file_name, 1, &layouts.header, &lines[0][..len])?;
    let last = lines.len() - 1;
    let mut records = Vec::with_capacity(lines.len().saturating_sub(2));
    for (i, l) in lines.iter().enumerate().skip(1) {
        let k = [kind(l)];
        if i == last {
            if k != trailer_kind {
                return Err(FixedError::new(
                    file_name,
                    i + 1,
                    "レコード区分",
                    "the last record must be the trailer",
                    "最後のレコードがトレーラではありません",
                ));
            }
        } else if k != data_kind {
            return Err(FixedError::new(
                file_name,
                i + 1,
                "レコード区分",
                if k == header_kind || k == trailer_kind {
                    "a header or trailer in the middle of the file"
                } else {
                    "not a data record"
                },
                "データレコードではありません",
            ));
        } else {
            records.push(read_record(file_name, i + 1, &layout.fields, &l[..len])?);
        }
    }
    let trailer = read_record(file_name, last + 1, &layouts.trailer, &lines[last][..len])?;
    unused_is_blank(file_name, last + 1, &layouts.trailer, &lines[last][..len])?;
    let count: usize = trailer
        .get("record_count")
        .and_then(|c| c.parse().ok())
        .unwrap_or(usize::MAX);
    if count != records.len() {
        return Err(FixedError::new(
            file_name,
            last + 1,
            "データ件数",
            format!("says {count} records, the file has {}", records.len()),
            format!("データ件数が実際の件数（{}件）と違います", records.len()),
        ));
    }
    Ok(ParsedFile {
        layout,
        header,
        records,
    })
}
