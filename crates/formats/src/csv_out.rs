//! A CSV writer for exports: RFC 4180 quoting, CRLF line ends, UTF-8
//! (no BOM) or CP932. See docs/formats/csv.md.

use std::io::Write;

use crate::text::{EncodeError, Encoding, describe_char, encode};

/// Why a CSV could not be written. Rows are 1-based with the header as
/// row 1, so they match the row numbers a spreadsheet shows.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("writing the CSV failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("a CSV needs at least one column")]
    EmptyHeader,
    #[error("row {row}: {actual} fields, the header has {expected}")]
    FieldCount {
        row: usize,
        expected: usize,
        actual: usize,
    },
    /// `position` is 1-based, in characters of the field.
    #[error("row {row}, column {column}: character {position} ({}) cannot be written in CP932", describe_char(*.ch))]
    Unmappable {
        row: usize,
        column: String,
        ch: char,
        position: usize,
    },
}

impl CsvError {
    /// The message for staff screens.
    pub fn message_ja(&self) -> String {
        match self {
            CsvError::Io(e) => format!("CSVファイルを書き込めませんでした（{e}）"),
            CsvError::EmptyHeader => "CSVの見出し行に列がありません".to_owned(),
            CsvError::FieldCount {
                row,
                expected,
                actual,
            } => format!("{row}行目の項目数が{actual}です（見出し行は{expected}項目）"),
            CsvError::Unmappable {
                row,
                column,
                ch,
                position,
            } => format!(
                "{row}行目「{column}」の{position}文字目「{ch}」（U+{:04X}）はCP932（Shift_JIS）で書き出せない文字です",
                u32::from(*ch)
            ),
        }
    }
}

/// Writes a header row and then data rows to `out`. Each row is encoded
/// completely before any of it is written, so a row refused for an
/// unmappable character or a wrong field count leaves no partial line and
/// the writer can go on. Wrap files in a `BufWriter`: one `write_all` is
/// issued per row.
pub struct CsvWriter<W: Write> {
    out: W,
    enc: Encoding,
    header: Vec<String>,
    /// Rows written so far, the header included.
    rows: usize,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header row at once.
    pub fn new<S: AsRef<str>>(out: W, enc: Encoding, header: &[S]) -> Result<Self, CsvError> {
        if header.is_empty() {
            return Err(CsvError::EmptyHeader);
        }
        let header: Vec<String> = header.iter().map(|h| h.as_ref().to_owned()).collect();
        let mut w = CsvWriter {
            out,
            enc,
            header: header.clone(),
            rows: 0,
        };
        // An unmappable header cell is named by itself.
        w.write_record(&header)?;
        Ok(w)
    }

    /// Writes one data row; it must have as many fields as the header.
    pub fn write_row<S: AsRef<str>>(&mut self, fields: &[S]) -> Result<(), CsvError> {
        if fields.len() != self.header.len() {
            return Err(CsvError::FieldCount {
                row: self.rows + 1,
                expected: self.header.len(),
                actual: fields.len(),
            });
        }
        self.write_record(fields)
    }

    /// Rows written so far, the header included.
    pub fn rows_written(&self) -> usize {
        self.rows
    }

    /// Flushes and hands back the output.
    pub fn finish(mut self) -> Result<W, CsvError> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn write_record<S: AsRef<str>>(&mut self, fields: &[S]) -> Result<(), CsvError> {
        let row = self.rows + 1;
        let mut line = Vec::new();
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            let field = field.as_ref();
            // A lone empty field would be a blank line, which readers skip.
            let quoted = needs_quotes(field) || (fields.len() == 1 && field.is_empty());
            // Encoding field by field is the same as encoding the line: the
            // delimiters are ASCII and CP932 trail bytes are never ',', '"',
            // CR or LF.
            let bytes = encode(field, self.enc).map_err(|e| match e {
                EncodeError::Unmappable { ch, position } => CsvError::Unmappable {
                    row,
                    column: self.header.get(i).cloned().unwrap_or_default(),
                    ch,
                    position,
                },
            })?;
            if quoted {
                line.push(b'"');
                for &b in &bytes {
                    if b == b'"' {
                        line.push(b'"');
                    }
                    line.push(b);
                }
                line.push(b'"');
            } else {
                line.extend_from_slice(&bytes);
            }
        }
        line.extend_from_slice(b"\r\n");
        self.out.write_all(&line)?;
        self.rows = row;
        Ok(())
    }
}

/// RFC 4180 §2.6: fields containing a comma, a quote, CR or LF are quoted.
fn needs_quotes(field: &str) -> bool {
    field.contains([',', '"', '\r', '\n'])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn utf8(rows: &[&[&str]]) -> String {
        let (header, rest) = rows.split_first().unwrap();
        let mut w = CsvWriter::new(Vec::new(), Encoding::Utf8, header).unwrap();
        for r in rest {
            w.write_row(r).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn quoting_and_crlf() {
        let out = utf8(&[
            &["a", "b", "c"],
            &["plain", "with,comma", "with \"quote\""],
            &["line\nbreak", "cr\rhere", ""],
            &[" spaced ", "'", "="],
        ]);
        assert_eq!(
            out,
            "a,b,c\r\n\
             plain,\"with,comma\",\"with \"\"quote\"\"\"\r\n\
             \"line\nbreak\",\"cr\rhere\",\r\n \
             spaced ,',=\r\n"
        );
        assert!(!out.starts_with('\u{FEFF}'));
    }

    #[test]
    fn single_empty_field_is_quoted() {
        assert_eq!(utf8(&[&["x"], &[""], &["y"]]), "x\r\n\"\"\r\ny\r\n");
    }

    #[test]
    fn cp932_bytes() {
        let mut w = CsvWriter::new(Vec::new(), Encoding::Cp932, &["氏名", "id"]).unwrap();
        w.write_row(&["山田\u{3000}太郎", "1"]).unwrap();
        w.write_row(&["表\"示", "〜"]).unwrap();
        let bytes = w.finish().unwrap();
        let mut expected = vec![0x8E, 0x81, 0x96, 0xBC, b',', b'i', b'd', b'\r', b'\n'];
        expected.extend_from_slice(&[0x8E, 0x52, 0x93, 0x63, 0x81, 0x40, 0x91, 0xBE, 0x98, 0x59]);
        expected.extend_from_slice(b",1\r\n");
        // 表 is 0x95 0x5C: its trail byte is '\', which needs no quoting.
        expected.extend_from_slice(&[b'"', 0x95, 0x5C, b'"', b'"', 0x8E, 0xA6, b'"']);
        expected.extend_from_slice(&[b',', 0x81, 0x60, b'\r', b'\n']);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn unmappable_names_row_and_column() {
        let mut w = CsvWriter::new(Vec::new(), Encoding::Cp932, &["id", "name"]).unwrap();
        w.write_row(&["1", "山田"]).unwrap();
        let e = w.write_row(&["2", "吉田𠮷"]).unwrap_err();
        assert!(matches!(
            &e,
            CsvError::Unmappable { row: 3, column, ch: '\u{20BB7}', position: 3 } if column == "name"
        ));
        assert_eq!(
            e.to_string(),
            "row 3, column name: character 3 (U+20BB7 '𠮷') cannot be written in CP932"
        );
        assert!(e.message_ja().contains("3行目「name」の3文字目"));
        // The refused row left nothing behind; the next one takes its number.
        w.write_row(&["3", "川"]).unwrap();
        assert_eq!(w.rows_written(), 3);
        let text = crate::text::decode(&w.finish().unwrap(), Encoding::Cp932).unwrap();
        assert_eq!(text, "id,name\r\n1,山田\r\n3,川\r\n");

        let e = CsvWriter::new(Vec::new(), Encoding::Cp932, &["Ⅻ"])
            .err()
            .unwrap();
        assert!(matches!(e, CsvError::Unmappable { row: 1, .. }));
    }

    #[test]
    fn field_count_is_checked() {
        let mut w = CsvWriter::new(Vec::new(), Encoding::Utf8, &["a", "b"]).unwrap();
        let e = w.write_row(&["1"]).unwrap_err();
        assert!(matches!(
            e,
            CsvError::FieldCount {
                row: 2,
                expected: 2,
                actual: 1
            }
        ));
        let empty: [&str; 0] = [];
        assert!(matches!(
            CsvWriter::new(Vec::new(), Encoding::Utf8, &empty),
            Err(CsvError::EmptyHeader)
        ));
        // Owned strings are accepted as well.
        w.write_row(&[String::from("x"), String::from("y")])
            .unwrap();
        assert_eq!(w.finish().unwrap(), b"a,b\r\nx,y\r\n");
    }
}
