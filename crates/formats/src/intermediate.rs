//! The files exchanged with the 医療保険者等向け中間サーバー for online
//! eligibility (オンライン資格確認), relayed by the federation's aggregation
//! system: the town's eligibility history (資格履歴情報, with the 個人番号
//! that obtains the 機関別符号) and the server's registration result. The
//! layout table `layouts/intermediate.toml` is PROVISIONAL, kokuho's own
//! (docs/formats/intermediate.md).

use std::sync::LazyLock;

use time::{Date, PrimitiveDateTime};

use crate::federation::{
    FileHeader, In, flag, header_of, header_values, layout_error, opt, stamp, vals, ymd,
};
use crate::fixed::{self, FileLayout, FixedError, LayoutError, Layouts, Values};

const LAYOUT: &str = include_str!("../layouts/intermediate.toml");

static LAYOUTS: LazyLock<Result<Layouts, LayoutError>> = LazyLock::new(|| Layouts::parse(LAYOUT));

/// The shipped layout table, checked when first used.
pub fn layouts() -> Result<&'static Layouts, LayoutError> {
    LAYOUTS.as_ref().map_err(Clone::clone)
}

pub use crate::federation::{Change, Extract};

/// One eligibility period of an insured person, as the online service needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRecord {
    pub change: Change,
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub branch_number: String,
    pub addressee_id: String,
    pub period_id: i64,
    /// 12 digits when registered: the server obtains the 機関別符号 with it
    pub my_number: Option<String>,
    pub name: String,
    pub name_kana: String,
    pub sex: u8,
    pub birth_date: Date,
    pub postal_code: String,
    pub address: String,
    pub householder_name: String,
    pub valid_from: Date,
    /// the loss date (the first day without NHI)
    pub valid_until: Option<Date>,
    /// 01 死亡, 02 生活保護受給開始, 03 医療保険等の資格取得, 99 その他
    pub loss_reason: Option<String>,
    pub preschool: bool,
    pub copay_percent: Option<u8>,
    /// A01…A05, B01…B06
    pub limit_category: Option<String>,
}

/// The server's result for one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultRecord {
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub branch_number: String,
    pub addressee_id: String,
    pub period_id: i64,
    pub ok: bool,
    pub error_code: Option<String>,
    pub agency_code_obtained: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Histories(Vec<HistoryRecord>),
    Results(Vec<ResultRecord>),
}

impl Body {
    pub fn file_key(&self) -> &'static str {
        match self {
            Body::Histories(_) => "eligibility_history",
            Body::Results(_) => "registration_result",
        }
    }
    pub fn len(&self) -> usize {
        match self {
            Body::Histories(r) => r.len(),
            Body::Results(r) => r.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntermediateFile {
    pub header: FileHeader,
    pub body: Body,
}

impl IntermediateFile {
    pub fn layout(&self) -> Result<&'static FileLayout, LayoutError> {
        let key = self.body.file_key();
        layouts()?.file(key).ok_or_else(|| LayoutError {
            table: key.to_string(),
            reason: "not in the layout table".into(),
        })
    }

    pub fn file_name(&self) -> Result<String, LayoutError> {
        Ok(format!(
            "{}_{}_{}.dat",
            self.layout()?.code,
            self.header.insurer_number,
            stamp(self.header.created_at)
        ))
    }
}

fn record_values(body: &Body) -> Vec<Values> {
    match body {
        Body::Histories(rs) => rs
            .iter()
            .map(|r| {
                vals([
                    ("change_kind", flag(r.change == Change::Remove, "3", "1")),
                    ("insurer_number", r.insurer_number.clone()),
                    ("insured_symbol", r.insured_symbol.clone()),
                    ("insured_number", r.insured_number.clone()),
                    ("branch_number", r.branch_number.clone()),
                    ("addressee_id", r.addressee_id.clone()),
                    ("period_id", r.period_id.to_string()),
                    ("my_number", r.my_number.clone().unwrap_or_default()),
                    ("name", r.name.clone()),
                    ("name_kana", r.name_kana.clone()),
                    ("sex", r.sex.to_string()),
                    ("birth_date", ymd(r.birth_date)),
                    ("postal_code", r.postal_code.clone()),
                    ("address", r.address.clone()),
                    ("relation", "1".into()),
                    ("householder_name", r.householder_name.clone()),
                    ("valid_from", ymd(r.valid_from)),
                    ("valid_until", opt(r.valid_until)),
                    ("loss_reason", r.loss_reason.clone().unwrap_or_default()),
                    ("preschool", flag(r.preschool, "1", "0")),
                    (
                        "copay_percent",
                        r.copay_percent.map(|c| c.to_string()).unwrap_or_default(),
                    ),
                    (
                        "limit_category",
                        r.limit_category.clone().unwrap_or_default(),
                    ),
                ])
            })
            .collect(),
        Body::Results(rs) => rs
            .iter()
            .map(|r| {
                vals([
                    ("insurer_number", r.insurer_number.clone()),
                    ("insured_symbol", r.insured_symbol.clone()),
                    ("insured_number", r.insured_number.clone()),
                    ("branch_number", r.branch_number.clone()),
                    ("addressee_id", r.addressee_id.clone()),
                    ("period_id", r.period_id.to_string()),
                    ("result", flag(r.ok, "0", "1")),
                    ("error_code", r.error_code.clone().unwrap_or_default()),
                    (
                        "agency_code_obtained",
                        flag(r.agency_code_obtained, "1", "0"),
                    ),
                ])
            })
            .collect(),
    }
}

/// The file's bytes, all or nothing.
pub fn write(file: &IntermediateFile) -> Result<Vec<u8>, FixedError> {
    let name = file
        .file_name()
        .unwrap_or_else(|_| "(intermediate file)".into());
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

/// Reads a whole file of either layout, all or nothing.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<IntermediateFile, FixedError> {
    let l = layouts().map_err(|e| layout_error(file_name, e))?;
    let parsed = fixed::read(l, file_name, bytes)?;
    let header = header_of(file_name, &parsed)?;
    let rows = parsed.records.iter().enumerate().map(|(i, v)| In {
        file: file_name,
        line: i + 2,
        layout: parsed.layout,
        v,
    });
    let body = if parsed.layout.key == "eligibility_history" {
        Body::Histories(
            rows.map(|r| {
                Ok(HistoryRecord {
                    change: if r.s("change_kind") == "3" {
                        Change::Remove
                    } else {
                        Change::Upsert
                    },
                    insurer_number: r.s("insurer_number"),
                    insured_symbol: r.s("insured_symbol"),
                    insured_number: r.s("insured_number"),
                    branch_number: r.s("branch_number"),
                    addressee_id: r.s("addressee_id"),
                    period_id: r.n("period_id"),
                    my_number: r.o("my_number"),
                    name: r.s("name"),
                    name_kana: r.s("name_kana"),
                    sex: u8::try_from(r.n("sex")).unwrap_or(9),
                    birth_date: r.d("birth_date")?,
                    postal_code: r.s("postal_code"),
                    address: r.s("address"),
                    householder_name: r.s("householder_name"),
                    valid_from: r.d("valid_from")?,
                    valid_until: r.od("valid_until"),
                    loss_reason: r.o("loss_reason"),
                    preschool: r.s("preschool") == "1",
                    copay_percent: r.o("copay_percent").and_then(|c| c.parse().ok()),
                    limit_category: r.o("limit_category"),
                })
            })
            .collect::<Result<_, FixedError>>()?,
        )
    } else {
        Body::Results(
            rows.map(|r| {
                Ok(ResultRecord {
                    insurer_number: r.s("insurer_number"),
                    insured_symbol: r.s("insured_symbol"),
                    insured_number: r.s("insured_number"),
                    branch_number: r.s("branch_number"),
                    addressee_id: r.s("addressee_id"),
                    period_id: r.n("period_id"),
                    ok: r.s("result") == "0",
                    error_code: r.o("error_code"),
                    agency_code_obtained: r.s("agency_code_obtained") == "1",
                })
            })
            .collect::<Result<_, FixedError>>()?,
        )
    };
    Ok(IntermediateFile { header, body })
}

/// A header for a file made now.
pub fn header(
    insurer: &str,
    at: PrimitiveDateTime,
    extract: Extract,
    since: Option<PrimitiveDateTime>,
) -> FileHeader {
    FileHeader {
        insurer_number: insurer.to_string(),
        created_at: at,
        extract,
        since,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use time::macros::{date, datetime};

    use super::*;

    fn history() -> HistoryRecord {
        HistoryRecord {
            change: Change::Upsert,
            insurer_number: "319012".into(),
            insured_symbol: "八頭".into(),
            insured_number: "0001234".into(),
            branch_number: "01".into(),
            addressee_id: "0000000012".into(),
            period_id: 5,
            my_number: Some("123456789018".into()),
            name: "八頭　太郎".into(),
            name_kana: "ヤズ　タロウ".into(),
            sex: 1,
            birth_date: date!(1955 - 01 - 02),
            postal_code: "6800461".into(),
            address: "鳥取県八頭郡八頭町郡家１".into(),
            householder_name: "八頭　太郎".into(),
            valid_from: date!(2020 - 04 - 01),
            valid_until: Some(date!(2026 - 10 - 01)),
            loss_reason: Some("03".into()),
            preschool: false,
            copay_percent: Some(20),
            limit_category: Some("B04".into()),
        }
    }

    fn files() -> Vec<IntermediateFile> {
        let h = header(
            "319012",
            datetime!(2026-11-25 10:00:00),
            Extract::Full,
            None,
        );
        vec![
            IntermediateFile {
                header: h.clone(),
                body: Body::Histories(vec![history()]),
            },
            IntermediateFile {
                header: FileHeader {
                    extract: Extract::Answer,
                    ..h
                },
                body: Body::Results(vec![ResultRecord {
                    insurer_number: "319012".into(),
                    insured_symbol: "八頭".into(),
                    insured_number: "0001234".into(),
                    branch_number: "01".into(),
                    addressee_id: "0000000012".into(),
                    period_id: 5,
                    ok: false,
                    error_code: Some("E012".into()),
                    agency_code_obtained: true,
                }]),
            },
        ]
    }

    #[test]
    fn the_layout_loads_provisional_and_only_the_history_carries_numbers() {
        let l = layouts().unwrap();
        assert!(l.meta.provisional);
        let carrying: Vec<&str> = l
            .files
            .iter()
            .filter(|f| f.carries_my_number)
            .map(|f| f.key.as_str())
            .collect();
        assert_eq!(carrying, ["eligibility_history"]);
    }

    #[test]
    fn every_field_is_where_the_layout_puts_it_and_reads_back() {
        for f in files() {
            let bytes = write(&f).unwrap();
            let layout = f.layout().unwrap();
            let line = &bytes[layout.record_length + 2..2 * layout.record_length + 2];
            let values = &record_values(&f.body)[0];
            for field in &layout.fields {
                let at = field.pos - 1..field.pos - 1 + field.len;
                let want = field
                    .value
                    .clone()
                    .or_else(|| values.get(&field.key).cloned())
                    .unwrap_or_default();
                let mut expect = match field.kind {
                    fixed::FieldKind::N if !want.is_empty() => {
                        format!("{want:0>w$}", w = field.len).into_bytes()
                    }
                    fixed::FieldKind::M => crate::text::encode_cp932(&want).unwrap(),
                    _ => want.clone().into_bytes(),
                };
                expect.resize(field.len, b' ');
                assert_eq!(line[at].to_vec(), expect, "{}.{}", layout.key, field.key);
            }
            assert_eq!(read("x.dat", &bytes).unwrap(), f);
        }
        // Golden: the validity dates and the codes at their places.
        let bytes = write(&files()[0]).unwrap();
        let rec = &bytes[962..1922];
        assert_eq!(&rec[0..2], b"21");
        assert_eq!(&rec[2..8], b"319012");
        assert_eq!(&rec[95..107], b"123456789018");
    }

    #[test]
    fn a_bad_result_file_is_refused_whole() {
        let mut bytes = write(&files()[1]).unwrap();
        // 処理結果 at byte 95 of the record: 7 is no code.
        bytes[122 + 94] = b'7';
        let e = read("IR01.dat", &bytes).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "処理結果"));
    }
}
