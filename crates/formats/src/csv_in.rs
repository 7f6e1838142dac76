//! Reading CSV (RFC 4180, strict) for the importers: records with the line
//! each starts on, and syntax errors that name the line and the field.

use crate::registry_feed::FeedError;
use crate::text::{Encoding, decode};

/// Decodes a file and splits it into records, trailing blank lines dropped.
/// A decoding or syntax error names the file and its line, and — past the
/// header — the column (by `columns`).
pub(crate) fn read_records(
    file_name: &str,
    bytes: &[u8],
    enc: Encoding,
    columns: &[&str],
) -> Result<Vec<Record>, FeedError> {
    let text = decode(bytes, enc).map_err(|e| FeedError {
        file: file_name.to_owned(),
        line: e.line(),
        field: None,
        reason_en: e.to_string(),
        reason_ja: e.message_ja(),
    })?;
    let mut records = split_records(&text).map_err(|e| FeedError {
        file: file_name.to_owned(),
        line: e.line,
        // Syntax errors in the header line name no column.
        field: if e.record_index == 0 {
            None
        } else {
            columns.get(e.col).map(|c| (*c).to_owned())
        },
        reason_en: e.en.to_owned(),
        reason_ja: e.ja.to_owned(),
    })?;
    while records.last().is_some_and(Record::is_blank) {
        records.pop();
    }
    Ok(records)
}

/// One CSV record and the line it starts on.
pub(crate) struct Record {
    pub(crate) line: usize,
    pub(crate) fields: Vec<String>,
}

impl Record {
    /// An empty line, or one of empty cells only (",,,," is what spreadsheets
    /// write for a formatted but empty row).
    pub(crate) fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| is_blank(f))
    }
}

pub(crate) struct SyntaxError {
    line: usize,
    record_index: usize,
    /// 0-based index of the field being read.
    col: usize,
    en: &'static str,
    ja: &'static str,
}

/// Splits text into RFC 4180 records. Lines end with LF or CRLF; a quoted
/// field may span lines. Strict: a quote inside an unquoted field, text
/// after a closing quote, a lone CR or an unterminated quote is an error.
pub(crate) fn split_records(text: &str) -> Result<Vec<Record>, SyntaxError> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let syntax = |line: usize, col: usize, en: &'static str, ja: &'static str| SyntaxError {
            line,
            record_index: records.len(),
            col,
            en,
            ja,
        };
        loop {
            let col = fields.len();
            let mut field = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                let quote_line = line;
                loop {
                    match chars.next() {
                        None => {
                            return Err(syntax(
                                quote_line,
                                col,
                                "a quoted field is not closed before the end of the file",
                                "引用符（\"）で始まる項目がファイルの終わりまで閉じられていません",
                            ));
                        }
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                if !matches!(chars.peek(), None | Some(&(',' | '\n' | '\r'))) {
                    return Err(syntax(
                        line,
                        col,
                        "text after the closing quote of a field",
                        "引用符（\"）で閉じた項目の後に文字があります",
                    ));
                }
            } else {
                while let Some(&c) = chars.peek() {
                    match c {
                        ',' | '\n' | '\r' => break,
                        '"' => {
                            return Err(syntax(
                                line,
                                col,
                                "a quote inside a field that does not start with one (write it as \"\" inside a quoted field)",
                                "引用符（\"）で始まらない項目に引用符があります（引用符で囲み、\"\" と書いてください）",
                            ));
                        }
                        _ => {
                            field.push(c);
                            chars.next();
                        }
                    }
                }
            }
            fields.push(field);
            match chars.next() {
                Some(',') => {}
                Some('\r') => {
                    if chars.next() != Some('\n') {
                        return Err(syntax(
                            line,
                            col,
                            "a carriage return not followed by a line feed",
                            "改行コードが正しくありません（CRのみの改行）",
                        ));
                    }
                    line += 1;
                    break;
                }
                // '\n' or the end of the text; nothing else stops a field.
                _ => {
                    line += 1;
                    break;
                }
            }
        }
        records.push(Record {
            line: start,
            fields,
        });
    }
    Ok(records)
}

/// Blank for the "empty cell" test: ASCII whitespace and U+3000.
pub(crate) fn is_blank(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_whitespace() || c == '\u{3000}')
}
