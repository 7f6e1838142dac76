//! The business reports (事業月報・事業年報) as files: CSV (UTF-8 or CP932,
//! one line per figure, so a spreadsheet or a script can pivot it) and an
//! Excel workbook (one sheet per table, the form's headings, numbers as
//! numbers).

use kokuho_domain::statistics::{Cell, Report};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::csv_out::{CsvError, CsvWriter};
use crate::text::Encoding;

pub const CSV_HEADER: [&str; 9] = [
    "報告",
    "期間",
    "基準日時",
    "表",
    "表題",
    "項目",
    "欄",
    "単位",
    "値",
];

/// The report as CSV: a line per figure. A figure the data cannot fill is
/// "－", a masked one "＊".
pub fn to_csv(r: &Report, enc: Encoding) -> Result<Vec<u8>, CsvError> {
    let mut w = CsvWriter::new(Vec::new(), enc, &CSV_HEADER)?;
    for t in &r.tables {
        for row in &t.rows {
            for (c, cell) in t.columns.iter().zip(&row.cells) {
                w.write_row(&[
                    r.title.as_str(),
                    r.period.as_str(),
                    r.known_at.as_str(),
                    t.code.as_str(),
                    t.title.as_str(),
                    row.label.trim_start_matches('　'),
                    c.name.as_str(),
                    c.unit.label_ja(),
                    cell.text().as_str(),
                ])?;
            }
        }
    }
    w.finish()
}

/// A sheet name Excel accepts: at most 31 characters, none of []:*?/\.
fn sheet_name(code: &str, title: &str) -> String {
    let short: String = title
        .split('（')
        .next()
        .unwrap_or(title)
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .collect();
    format!("{code} {short}").chars().take(31).collect()
}

/// The report as an .xlsx workbook: a cover sheet (what, whose, as known
/// when, complete or not), then one sheet per table.
pub fn to_xlsx(r: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_background_color("#E8EEF4")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let number = Format::new()
        .set_num_format("#,##0")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let text_cell = Format::new()
        .set_align(FormatAlign::Right)
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let label = Format::new().set_border(rust_xlsxwriter::FormatBorder::Thin);

    let cover = wb.add_worksheet();
    cover.set_name("表紙")?;
    cover.set_column_width(0, 18)?;
    cover.set_column_width(1, 60)?;
    cover.write_string_with_format(0, 0, &r.title, &title)?;
    let lines: [(&str, String); 6] = [
        ("保険者", format!("{} {}", r.insurer_number, r.insurer_name)),
        ("期間", r.period.clone()),
        ("基準日時", r.known_at.clone()),
        (
            "基準",
            match r.basis.as_str() {
                "closed" => "締め時点のデータ".into(),
                "given" => "指定した時点のデータ".into(),
                _ => "現在のデータ".into(),
            },
        ),
        (
            "状態",
            if r.missing.is_empty() {
                "完成".into()
            } else {
                "未完成（下記のデータが揃っていません）".into()
            },
        ),
        (
            "公表用",
            if r.published {
                "少数のセルを＊で秘匿".into()
            } else {
                "秘匿なし（内部資料）".into()
            },
        ),
    ];
    for (i, (k, v)) in lines.iter().enumerate() {
        let row = 2 + i as u32;
        cover.write_string_with_format(row, 0, *k, &bold)?;
        cover.write_string(row, 1, v)?;
    }
    let mut row = 2 + lines.len() as u32 + 1;
    for m in &r.missing {
        cover.write_string(row, 1, &m.ja)?;
        row += 1;
    }
    cover.write_string(
        row + 1,
        0,
        "－ はデータがなく記入できない欄、＊ は公表用に秘匿した欄",
    )?;

    for t in &r.tables {
        let ws: &mut Worksheet = wb.add_worksheet();
        ws.set_name(sheet_name(&t.code, &t.title))?;
        ws.write_string_with_format(0, 0, &t.title, &title)?;
        ws.write_string(
            1,
            0,
            format!("{}　{}　基準日時 {}", r.title, r.insurer_name, r.known_at),
        )?;
        ws.set_column_width(0, 44)?;
        ws.write_string_with_format(3, 0, "項目", &head)?;
        for (i, c) in t.columns.iter().enumerate() {
            let col = 1 + i as u16;
            ws.set_column_width(col, 14)?;
            ws.write_string_with_format(3, col, c.heading(), &head)?;
        }
        for (j, rw) in t.rows.iter().enumerate() {
            let xr = 4 + j as u32;
            ws.write_string_with_format(xr, 0, &rw.label, &label)?;
            for (i, cell) in rw.cells.iter().enumerate() {
                let col = 1 + i as u16;
                match cell {
                    // yen and counts stay far below 2^53: exact as f64
                    Cell::Value(v) => ws.write_number_with_format(xr, col, *v as f64, &number)?,
                    other => ws.write_string_with_format(xr, col, other.text(), &text_cell)?,
                };
            }
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use kokuho_domain::eligibility::YearMonth;
    use kokuho_domain::statistics::{
        ClaimFigures, ClaimTotals, MonthFacts, insured_counts, monthly_tables,
    };
    use std::io::Cursor;

    fn report() -> Report {
        let month = YearMonth {
            year: 2026,
            month: time::Month::October,
        };
        let facts = MonthFacts {
            claims: ClaimTotals::of(&[ClaimFigures {
                provider_kind: "medical".into(),
                setting: "inpatient".into(),
                days: 12,
                total_cost: 612_340,
                copay: 183_700,
            }]),
            acquisitions: vec!["birth".into()],
            ..MonthFacts::default()
        };
        Report {
            kind: "monthly".into(),
            title: "国民健康保険事業状況報告書（事業月報） 令和8年10月分".into(),
            insurer_number: "319012".into(),
            insurer_name: "八頭町".into(),
            period: "2026-10".into(),
            known_at: "2026-11-10 09:00:00 +09:00:00".into(),
            known_at_us: 0,
            basis: "closed".into(),
            tables: monthly_tables(&facts, &insured_counts(month, &facts)),
            missing: vec![],
            published: false,
            trends: vec![],
        }
    }

    #[test]
    fn the_workbook_has_a_sheet_per_table_with_numeric_cells() {
        let r = report();
        let bytes = to_xlsx(&r).unwrap();
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let names = wb.sheet_names();
        assert_eq!(names.len(), 1 + r.tables.len());
        assert_eq!(names[0], "表紙");
        assert_eq!(names[3], "B 療養の給付等");
        let b = wb.worksheet_range("B 療養の給付等").unwrap();
        assert_eq!(
            b.get_value((0, 0)),
            Some(&Data::String("療養の給付等（当月審査分）".into()))
        );
        assert_eq!(
            b.get_value((3, 3)),
            Some(&Data::String("費用額（円）".into()))
        );
        assert_eq!(b.get_value((4, 0)), Some(&Data::String("入院".into())));
        // real numbers, not text
        assert_eq!(b.get_value((4, 1)), Some(&Data::Float(1.0)));
        assert_eq!(b.get_value((4, 3)), Some(&Data::Float(612_340.0)));
        assert_eq!(b.get_value((4, 4)), Some(&Data::Float(428_640.0)));
        // meals counted (none in this month: a real 0), home nursing not
        // available: what the data cannot fill says so
        assert_eq!(b.get_value((8, 1)), Some(&Data::Float(0.0)));
        assert_eq!(b.get_value((8, 3)), Some(&Data::String("－".into())));
        assert_eq!(b.get_value((9, 1)), Some(&Data::String("－".into())));
    }

    #[test]
    fn csv_in_cp932_holds_every_figure_and_reads_back() {
        let r = report();
        let bytes = to_csv(&r, Encoding::Cp932).unwrap();
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
        assert!(!bad);
        let figures: usize = r
            .tables
            .iter()
            .map(|t| t.rows.len() * t.columns.len())
            .sum();
        assert_eq!(text.lines().count(), 1 + figures);
        assert!(text.contains(",B,療養の給付等（当月審査分）,入院,費用額,円,612340\r\n"));
        assert!(text.contains(",A2,被保険者の異動（当月中）,出生,人数,件・人・世帯,1\r\n"));
        assert!(text.contains(",訪問看護,件数,件・人・世帯,－\r\n"));
        assert!(text.contains(",食事療養・生活療養（日数の欄は回数）,費用額,円,－\r\n"));
    }

    #[test]
    fn sheet_names_fit_excel() {
        assert_eq!(
            sheet_name("A1", "被保険者数等（月末現在）"),
            "A1 被保険者数等"
        );
        let long = sheet_name("X", &"長い表題/[x]".repeat(10));
        assert!(long.chars().count() <= 31);
        assert!(!long.contains('/') && !long.contains('['));
    }
}
