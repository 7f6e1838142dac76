//! The municipal tax system's income file (所得情報): one line per person,
//! income year and revision (docs/formats/income.md — PROVISIONAL: the
//! town's tax system layout is not public; this is kokuho's own, and a real
//! layout is a new reader of the same records). The whole file is rejected
//! at its first bad line, which is named with its field.

use std::collections::HashMap;

use kokuho_domain::id::AddresseeId;

use crate::csv_in::{Record, is_blank, read_records};
use crate::registry_feed::FeedError;
use crate::text::Encoding;

// Messages name the line and the column, never the cell's text: a file may
// hold a My Number in the wrong place, and reports and logs must not.

/// The columns, in order.
pub const COLUMNS: [&str; 15] = [
    "addressee_id",
    "income_year",
    "revision",
    "total_income",
    "total_gross_income",
    "salary_revenue",
    "salary_income",
    "pension_revenue",
    "pension_income",
    "other_income",
    "separate_income",
    "taxable_income",
    "resident_tax_exempt",
    "unreported",
    "family_employee_deduction",
];

/// One person's income for one calendar year, as the tax system reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomeRecord {
    /// 1-based line of the file (the header is line 1)
    pub line: usize,
    pub addressee_id: AddresseeId,
    /// 所得年 (calendar year of the income; 住民税 of the next fiscal year)
    pub income_year: i32,
    /// 0 当初, 1… 修正申告・更正 in order
    pub revision: i32,
    /// 総所得金額等
    pub total_income: i64,
    /// 合計所得金額
    pub total_gross_income: i64,
    /// 給与収入, 給与所得
    pub salary_revenue: i64,
    pub salary_income: i64,
    /// 公的年金等収入, 公的年金等所得
    pub pension_revenue: i64,
    pub pension_income: i64,
    /// その他の所得
    pub other_income: i64,
    /// 分離課税の所得 that counts (譲渡所得 etc.)
    pub separate_income: i64,
    /// 住民税 課税標準額 (課税所得)
    pub taxable_income: i64,
    pub resident_tax_exempt: bool,
    /// 未申告
    pub unreported: bool,
    /// 事業専従者控除（専従者給与）: what the business owner deducted
    pub family_employee_deduction: i64,
}

impl IncomeRecord {
    /// The amounts, in column order from `total_income`.
    pub fn amounts(&self) -> [i64; 10] {
        [
            self.total_income,
            self.total_gross_income,
            self.salary_revenue,
            self.salary_income,
            self.pension_revenue,
            self.pension_income,
            self.other_income,
            self.separate_income,
            self.taxable_income,
            self.family_employee_deduction,
        ]
    }
}

fn bad(file: &str, line: usize, col: usize, en: String, ja: String) -> FeedError {
    FeedError {
        file: file.to_owned(),
        line,
        field: COLUMNS.get(col).map(|c| (*c).to_owned()),
        reason_en: en,
        reason_ja: ja,
    }
}

fn amount(file: &str, line: usize, col: usize, s: &str) -> Result<i64, FeedError> {
    let t = s.trim();
    match t.parse::<i64>() {
        Ok(n) if n >= 0 && t.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(bad(
            file,
            line,
            col,
            "not an amount in whole yen (digits only, 0 or more)".into(),
            "金額（0以上の整数、円）ではありません".into(),
        )),
    }
}

fn flag(file: &str, line: usize, col: usize, s: &str) -> Result<bool, FeedError> {
    match s.trim() {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(bad(
            file,
            line,
            col,
            "must be 0 or 1".into(),
            "0 か 1 で指定してください".into(),
        )),
    }
}

fn record(file: &str, r: &Record) -> Result<IncomeRecord, FeedError> {
    let line = r.line;
    let c = &r.fields;
    let addressee_id = AddresseeId::parse(c[0].trim())
        .map_err(|e| bad(file, line, 0, e.to_string(), e.message_ja()))?;
    let income_year = match c[1].trim().parse::<i32>() {
        Ok(y) if (1990..=2100).contains(&y) && c[1].trim().len() == 4 => y,
        _ => {
            return Err(bad(
                file,
                line,
                1,
                "the income year must be a year from 1990 to 2100".into(),
                "所得年は1990〜2100の西暦年で指定してください".into(),
            ));
        }
    };
    let revision = match c[2].trim().parse::<i32>() {
        Ok(n) if (0..=99).contains(&n) => n,
        _ => {
            return Err(bad(
                file,
                line,
                2,
                "the revision must be 0 (first) to 99".into(),
                "更正回数は0（当初）〜99で指定してください".into(),
            ));
        }
    };
    let mut amounts = [0i64; 10];
    let amount_cols = [3, 4, 5, 6, 7, 8, 9, 10, 11, 14];
    for (slot, col) in amounts.iter_mut().zip(amount_cols) {
        *slot = amount(file, line, col, &c[col])?;
    }
    let resident_tax_exempt = flag(file, line, 12, &c[12])?;
    let unreported = flag(file, line, 13, &c[13])?;
    if unreported && let Some(i) = amounts.iter().position(|a| *a != 0) {
        return Err(bad(
            file,
            line,
            amount_cols[i],
            "an unreported person's line carries no amounts".into(),
            "未申告の行に金額があります".into(),
        ));
    }
    if unreported && resident_tax_exempt {
        return Err(bad(
            file,
            line,
            12,
            "an unreported person cannot be known as non-taxed".into(),
            "未申告の人を非課税とすることはできません".into(),
        ));
    }
    let [
        total_income,
        total_gross_income,
        salary_revenue,
        salary_income,
        pension_revenue,
        pension_income,
        other_income,
        separate_income,
        taxable_income,
        family_employee_deduction,
    ] = amounts;
    if salary_income > salary_revenue || pension_income > pension_revenue {
        let col = if salary_income > salary_revenue { 6 } else { 8 };
        return Err(bad(
            file,
            line,
            col,
            "an income cannot exceed its revenue".into(),
            "所得が収入を超えています".into(),
        ));
    }
    Ok(IncomeRecord {
        line,
        addressee_id,
        income_year,
        revision,
        total_income,
        total_gross_income,
        salary_revenue,
        salary_income,
        pension_revenue,
        pension_income,
        other_income,
        separate_income,
        taxable_income,
        resident_tax_exempt,
        unreported,
        family_employee_deduction,
    })
}

/// Reads an income file. The whole file is rejected at the first bad line.
pub fn parse(file_name: &str, bytes: &[u8], enc: Encoding) -> Result<Vec<IncomeRecord>, FeedError> {
    let records = read_records(file_name, bytes, enc, &COLUMNS)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(bad(
            file_name,
            1,
            usize::MAX,
            "the file is empty".into(),
            "ファイルが空です".into(),
        ));
    };
    let names: Vec<&str> = header
        .fields
        .iter()
        .map(|f| f.trim().trim_start_matches('\u{feff}'))
        .collect();
    if names != COLUMNS {
        return Err(bad(
            file_name,
            header.line,
            usize::MAX,
            format!("the header must be exactly: {}", COLUMNS.join(",")),
            format!("見出し行は次のとおりにしてください: {}", COLUMNS.join(",")),
        ));
    }
    if rows.is_empty() {
        return Err(bad(
            file_name,
            header.line + 1,
            usize::MAX,
            "no income lines".into(),
            "所得の行がありません".into(),
        ));
    }
    let mut seen: HashMap<(String, i32, i32), usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if r.is_blank() {
            return Err(bad(
                file_name,
                r.line,
                usize::MAX,
                "blank line between lines".into(),
                "行の間に空行があります".into(),
            ));
        }
        if r.fields.len() != COLUMNS.len() {
            return Err(bad(
                file_name,
                r.line,
                usize::MAX,
                format!("{} fields, expected {}", r.fields.len(), COLUMNS.len()),
                format!(
                    "項目数が{}です（{}項目必要です）",
                    r.fields.len(),
                    COLUMNS.len()
                ),
            ));
        }
        if r.fields.iter().any(|f| is_blank(f)) {
            let col = r.fields.iter().position(|f| is_blank(f)).unwrap_or(0);
            return Err(bad(
                file_name,
                r.line,
                col,
                "empty field".into(),
                "項目が空です".into(),
            ));
        }
        let rec = record(file_name, r)?;
        let key = (rec.addressee_id.to_string(), rec.income_year, rec.revision);
        if let Some(first) = seen.insert(key, r.line) {
            return Err(bad(
                file_name,
                r.line,
                2,
                format!("the same person, year and revision as line {first}"),
                format!("{first}行目と同じ人・所得年・更正回数です"),
            ));
        }
        out.push(rec);
    }
    Ok(out)
}

/// Writes records in this layout (the synthetic town's sample, tests).
pub fn write(records: &[IncomeRecord], enc: Encoding) -> Result<Vec<u8>, crate::text::EncodeError> {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for r in records {
        let [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9] = r.amounts();
        out.push_str(&format!(
            "{},{},{},{a0},{a1},{a2},{a3},{a4},{a5},{a6},{a7},{a8},{},{},{a9}\r\n",
            r.addressee_id,
            r.income_year,
            r.revision,
            u8::from(r.resident_tax_exempt),
            u8::from(r.unreported)
        ));
    }
    crate::text::encode(&out, enc)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const HEADER: &str = "addressee_id,income_year,revision,total_income,total_gross_income,salary_revenue,salary_income,pension_revenue,pension_income,other_income,separate_income,taxable_income,resident_tax_exempt,unreported,family_employee_deduction";

    fn file(lines: &[&str]) -> String {
        let mut s = String::from(HEADER);
        for l in lines {
            s.push_str("\r\n");
            s.push_str(l);
        }
        s.push_str("\r\n");
        s
    }

    const GOOD: &str = "0000000101,2025,0,2560000,2560000,3600000,2560000,0,0,0,0,1830000,0,0,0";

    #[test]
    fn a_good_file_reads_every_field() {
        let recs = parse(
            "i.csv",
            file(&[GOOD, "0000000102,2025,0,0,0,0,0,800000,0,0,0,0,1,0,0"]).as_bytes(),
            Encoding::Utf8,
        )
        .unwrap();
        assert_eq!(recs.len(), 2);
        let a = &recs[0];
        assert_eq!((a.line, a.income_year, a.revision), (2, 2025, 0));
        assert_eq!(a.salary_revenue, 3_600_000);
        assert_eq!(a.taxable_income, 1_830_000);
        assert!(recs[1].resident_tax_exempt && !recs[1].unreported);
        // CP932 with a BOM-free header reads the same.
        let cp = crate::text::encode(&file(&[GOOD]), Encoding::Cp932).unwrap();
        assert_eq!(parse("i.csv", &cp, Encoding::Cp932).unwrap()[0], recs[0]);
    }

    #[test]
    fn what_is_written_reads_back() {
        let recs = parse(
            "i.csv",
            file(&[GOOD, "0000000102,2025,1,0,0,0,0,0,0,0,0,0,0,1,0"]).as_bytes(),
            Encoding::Utf8,
        )
        .unwrap();
        let bytes = write(&recs, Encoding::Cp932).unwrap();
        assert_eq!(parse("i.csv", &bytes, Encoding::Cp932).unwrap(), recs);
    }

    #[test]
    fn a_bad_line_names_its_line_and_field() {
        let cases = [
            ("0000000101,2025,0,-5,0,0,0,0,0,0,0,0,0,0,0", "total_income"),
            (
                "0000000101,2025,0,1.5,0,0,0,0,0,0,0,0,0,0,0",
                "total_income",
            ),
            ("0000000101,25,0,0,0,0,0,0,0,0,0,0,0,0,0", "income_year"),
            ("0000000101,2025,x,0,0,0,0,0,0,0,0,0,0,0,0", "revision"),
            (
                "0000000101,2025,0,0,0,0,0,0,0,0,0,0,2,0,0",
                "resident_tax_exempt",
            ),
            ("0000000101,2025,0,5,0,0,0,0,0,0,0,0,0,1,0", "total_income"),
            (
                "0000000101,2025,0,0,0,100,200,0,0,0,0,0,0,0,0",
                "salary_income",
            ),
            ("12a,2025,0,0,0,0,0,0,0,0,0,0,0,0,0", "addressee_id"),
            ("0000000101,2025,0,0,0,0,0,0,0,0,0,,0,0,0", "taxable_income"),
        ];
        for (line, field) in cases {
            let e = parse("bad.csv", file(&[GOOD, line]).as_bytes(), Encoding::Utf8).unwrap_err();
            assert_eq!(
                (e.line, e.field.as_deref()),
                (3, Some(field)),
                "{line}: {e}"
            );
            assert!(
                e.message_ja().starts_with("bad.csv 3行目"),
                "{}",
                e.message_ja()
            );
        }
        // A My Number in the wrong cell is not repeated in the message.
        let leak = "0000000101,2025,0,123456789018x,0,0,0,0,0,0,0,0,0,0,0";
        let e = parse("m.csv", file(&[leak]).as_bytes(), Encoding::Utf8).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("total_income"));
        assert!(
            !e.to_string().contains("123456789018") && !e.message_ja().contains("123456789018")
        );
        let dup = parse("d.csv", file(&[GOOD, GOOD]).as_bytes(), Encoding::Utf8).unwrap_err();
        assert_eq!((dup.line, dup.field.as_deref()), (3, Some("revision")));
        let short = parse(
            "s.csv",
            file(&["0000000101,2025,0"]).as_bytes(),
            Encoding::Utf8,
        )
        .unwrap_err();
        assert_eq!((short.line, short.field), (2, None));
        let header = parse("h.csv", b"addressee_id,year\r\n", Encoding::Utf8).unwrap_err();
        assert_eq!(header.line, 1);
        assert!(parse("e.csv", b"", Encoding::Utf8).is_err());
    }
}
