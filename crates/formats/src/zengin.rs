//! The 全銀 総合振込 file (zengin_transfer, 種別コード 21): fixed 120-byte
//! records in JIS X 0201 (digits, upper-case Latin, half-width katakana,
//! space and `( ) . - / , \`), optionally each followed by CR LF: one header
//! (データ区分 1), the data records (2), a trailer (8) and an end record (9).
//!
//! The layout is the 全銀協 format as the banks publish it
//! (docs/formats/zengin.md names the copies read and what is provisional).
//! Names are converted to the characters the format allows
//! ([`to_transfer_kana`]); a character that cannot be converted is refused
//! with the character named — never dropped.

use time::Date;

pub use kokuho_domain::bank_account::{AccountType, KanaError, LongVowel, to_transfer_kana};

/// The record length in bytes, without CR LF.
pub const RECORD_LEN: usize = 120;

/// A field or record the writer or reader refused: the record (1-based, in
/// file order), the field and why — never the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: record {record}, {field}: {reason}")]
pub struct ZenginError {
    pub file: String,
    pub record: usize,
    pub field: String,
    pub reason: String,
    pub reason_ja: String,
}

/// The header: the town's account the transfers are paid from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// 振込依頼人コード: the code the bank gave the town (10 digits)
    pub requester_code: String,
    /// 振込依頼人名 (converted; 40 at most)
    pub requester_name: String,
    /// 振込指定日 (written MMDD)
    pub transfer_date: Date,
    pub bank_code: String,
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    pub account_type: AccountType,
    pub account_number: String,
}

/// 振込指定区分.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferClass {
    /// 7 電信扱
    Telegraphic,
    /// 8 文書扱
    Document,
}

/// One transfer (データ・レコード).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub bank_code: String,
    /// 被仕向銀行名 (optional: the bank fills it from the code)
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    pub account_type: AccountType,
    pub account_number: String,
    /// 受取人名: the account holder's name (converted; 30 at most)
    pub payee_name: String,
    pub amount: i64,
    /// 新規コード: 0 その他, 1 第1回振込分, 2 変更分
    pub new_code: char,
    /// 顧客コード1・2: the town's reference for the payment (10 digits
    /// each; 0 for none)
    pub customer_code1: u64,
    pub customer_code2: u64,
    pub transfer_class: TransferClass,
}

/// A file as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferFile {
    pub header: Header,
    pub transfers: Vec<Transfer>,
    /// the trailer's count and total, checked against the data records
    pub total_count: u64,
    pub total_amount: i64,
}

/// How a file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// CR LF after each record (most banks' upload screens want it; a
    /// transmission may not)
    pub line_breaks: bool,
    pub long_vowel: LongVowel,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            line_breaks: true,
            long_vowel: LongVowel::Hyphen,
        }
    }
}

/// The largest amount of one transfer (10 digits).
pub const MAX_AMOUNT: i64 = 9_999_999_999;
/// The largest total of a file (12 digits).
pub const MAX_TOTAL: i64 = 999_999_999_999;

struct RecordOut<'a> {
    file: &'a str,
    record: usize,
    bytes: Vec<u8>,
    long_vowel: LongVowel,
}

impl RecordOut<'_> {
    fn err(&self, field: &str, en: impl Into<String>, ja: impl Into<String>) -> ZenginError {
        ZenginError {
            file: self.file.to_string(),
            record: self.record,
            field: field.to_string(),
            reason: en.into(),
            reason_ja: ja.into(),
        }
    }

    /// A numeric field: digits only, right-aligned, zero-filled.
    fn num(&mut self, field: &str, value: &str, width: usize) -> Result<(), ZenginError> {
        if !value.bytes().all(|b| b.is_ascii_digit()) || value.len() > width {
            return Err(self.err(
                field,
                format!("must be at most {width} digits"),
                format!("{width}桁以内の数字です"),
            ));
        }
        self.bytes
            .extend(std::iter::repeat_n(b'0', width - value.len()));
        self.bytes.extend_from_slice(value.as_bytes());
        Ok(())
    }

    /// A numeric field of exactly `width` digits.
    fn code(&mut self, field: &str, value: &str, width: usize) -> Result<(), ZenginError> {
        if value.len() != width || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.err(
                field,
                format!("must be {width} digits"),
                format!("{width}桁の数字です"),
            ));
        }
        self.bytes.extend_from_slice(value.as_bytes());
        Ok(())
    }

    /// A text field: converted, left-aligned, space-filled.
    fn text(&mut self, field: &str, value: &str, width: usize) -> Result<(), ZenginError> {
        let kana = to_transfer_kana(value, self.long_vowel)
            .map_err(|e| self.err(field, e.to_string(), e.message_ja()))?;
        let bytes = jis_x0201(&kana).ok_or_else(|| {
            self.err(
                field,
                "not writable in JIS X 0201",
                "振込データに使えない文字があります",
            )
        })?;
        if bytes.len() > width {
            return Err(self.err(
                field,
                format!("{} characters, at most {width} fit", bytes.len()),
                format!(
                    "半角{}文字になり、{width}文字を超えます（濁点・半濁点も1文字です）",
                    bytes.len()
                ),
            ));
        }
        self.bytes.extend_from_slice(&bytes);
        self.bytes
            .extend(std::iter::repeat_n(b' ', width - bytes.len()));
        Ok(())
    }

    fn raw(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
    }

    fn spaces(&mut self, n: usize) {
        self.bytes.extend(std::iter::repeat_n(b' ', n));
    }

    fn finish(self, out: &mut Vec<u8>, opts: &WriteOptions) {
        debug_assert_eq!(self.bytes.len(), RECORD_LEN);
        out.extend_from_slice(&self.bytes);
        if opts.line_breaks {
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// Converted text as JIS X 0201 bytes (half-width katakana U+FF61..U+FF9F
/// at 0xA1..0xDF).
fn jis_x0201(s: &str) -> Option<Vec<u8>> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => Some(c as u8),
            '\u{FF61}'..='\u{FF9F}' => u8::try_from(c as u32 - 0xFF61 + 0xA1).ok(),
            _ => None,
        })
        .collect()
}

/// The file for a header and its transfers: header, data, trailer, end.
/// `file` names the file in errors. All or nothing: the first field that
/// cannot be written refuses the file.
pub fn write(
    file: &str,
    header: &Header,
    transfers: &[Transfer],
    opts: &WriteOptions,
) -> Result<Vec<u8>, ZenginError> {
    let per = RECORD_LEN + if opts.line_breaks { 2 } else { 0 };
    let mut out = Vec::with_capacity(per * (transfers.len() + 3));
    let new = |record: usize| RecordOut {
        file,
        record,
        bytes: Vec::with_capacity(RECORD_LEN),
        long_vowel: opts.long_vowel,
    };

    let mut r = new(1);
    r.raw(b"1210");
    r.code("requester_code", &header.requester_code, 10)?;
    r.text("requester_name", &header.requester_name, 40)?;
    let mmdd = format!(
        "{:02}{:02}",
        header.transfer_date.month() as u8,
        header.transfer_date.day()
    );
    r.raw(mmdd.as_bytes());
    r.code("bank_code", &header.bank_code, 4)?;
    r.text("bank_name", &header.bank_name, 15)?;
    r.code("branch_code", &header.branch_code, 3)?;
    r.text("branch_name", &header.branch_name, 15)?;
    if header.account_type == AccountType::Savings {
        return Err(r.err(
            "account_type",
            "the paying account is 普通, 当座 or その他",
            "振込元の預金種目は普通・当座・その他です",
        ));
    }
    r.raw(&[header.account_type.code() as u8]);
    r.code("account_number", &header.account_number, 7)?;
    r.spaces(17);
    r.finish(&mut out, opts);

    let mut total: i64 = 0;
    for (i, t) in transfers.iter().enumerate() {
        let mut r = new(i + 2);
        r.raw(b"2");
        r.code("bank_code", &t.bank_code, 4)?;
        r.text("bank_name", &t.bank_name, 15)?;
        r.code("branch_code", &t.branch_code, 3)?;
        r.text("branch_name", &t.branch_name, 15)?;
        // 手形交換所番号: not used (0)
        r.raw(b"0000");
        r.raw(&[t.account_type.code() as u8]);
        r.code("account_number", &t.account_number, 7)?;
        r.text("payee_name", &t.payee_name, 30)?;
        if !(1..=MAX_AMOUNT).contains(&t.amount) {
            return Err(r.err(
                "amount",
                "must be between 1 and 9,999,999,999 yen",
                "振込金額は1円以上、10桁以内です",
            ));
        }
        r.num("amount", &t.amount.to_string(), 10)?;
        if !matches!(t.new_code, '0' | '1' | '2') {
            return Err(r.err("new_code", "must be 0, 1 or 2", "新規コードは0・1・2です"));
        }
        r.raw(&[t.new_code as u8]);
        r.num("customer_code1", &t.customer_code1.to_string(), 10)?;
        r.num("customer_code2", &t.customer_code2.to_string(), 10)?;
        r.raw(match t.transfer_class {
            TransferClass::Telegraphic => b"7",
            TransferClass::Document => b"8",
        });
        // 識別表示: space (顧客コードとして使う)
        r.spaces(1);
        r.spaces(7);
        total = total
            .checked_add(t.amount)
            .filter(|v| *v <= MAX_TOTAL)
            .ok_or_else(|| {
                r.err(
                    "amount",
                    "the file's total passes 12 digits",
                    "振込金額の合計が12桁を超えます",
                )
            })?;
        r.finish(&mut out, opts);
    }

    let count = transfers.len();
    let mut r = new(count + 2);
    r.raw(b"8");
    r.num("total_count", &count.to_string(), 6)?;
    r.num("total_amount", &total.to_string(), 12)?;
    r.spaces(101);
    r.finish(&mut out, opts);

    let mut r = new(count + 3);
    r.raw(b"9");
    r.spaces(119);
    r.finish(&mut out, opts);
    Ok(out)
}

/// Reads a transfer file back (to check one written, or one a bank
/// returns): every record 120 bytes, with or without CR LF, in the order
/// header, data, trailer, end; the trailer's count and total must match.
pub fn read(file: &str, bytes: &[u8], year: i32) -> Result<TransferFile, ZenginError> {
    let err = |record: usize, field: &str, en: &str, ja: &str| ZenginError {
        file: file.to_string(),
        record,
        field: field.to_string(),
        reason: en.to_string(),
        reason_ja: ja.to_string(),
    };
    // Split into records: CR LF after every record, or none at all.
    let with_breaks =
        bytes.len() > RECORD_LEN && bytes.get(RECORD_LEN..RECORD_LEN + 2) == Some(b"\r\n");
    let step = RECORD_LEN + if with_breaks { 2 } else { 0 };
    let mut records: Vec<&[u8]> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let n = records.len() + 1;
        let rec = bytes.get(at..at + RECORD_LEN).ok_or_else(|| {
            err(
                n,
                "record",
                "shorter than 120 bytes",
                "レコードが120バイトに足りません",
            )
        })?;
        if with_breaks && bytes.get(at + RECORD_LEN..at + step) != Some(b"\r\n") {
            return Err(err(
                n,
                "record",
                "not followed by CR LF",
                "レコードの後に改行（CR LF）がありません",
            ));
        }
        records.push(rec);
        at += step;
        // a lone trailing EOF mark (0x1A) some tools add
        if bytes.get(at..) == Some(&[0x1A]) {
            break;
        }
    }
    let field = |rec: &[u8],
                 n: usize,
                 name: &str,
                 from: usize,
                 len: usize|
     -> Result<String, ZenginError> {
        let b = rec
            .get(from..from + len)
            .ok_or_else(|| err(n, name, "record too short", "レコードが短すぎます"))?;
        let s: Option<String> = b
            .iter()
            .map(|&x| match x {
                0x20..=0x7E => Some(x as char),
                0xA1..=0xDF => char::from_u32(u32::from(x) - 0xA1 + 0xFF61),
                _ => None,
            })
            .collect();
        s.ok_or_else(|| {
            err(
                n,
                name,
                "a byte outside JIS X 0201",
                "JIS X 0201 以外のバイトがあります",
            )
        })
    };
    let digits = |rec: &[u8],
                  n: usize,
                  name: &str,
                  from: usize,
                  len: usize|
     -> Result<String, ZenginError> {
        let s = field(rec, n, name, from, len)?;
        if s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(s)
        } else {
            Err(err(n, name, "not digits", "数字ではありません"))
        }
    };
    let number =
        |rec: &[u8], n: usize, name: &str, from: usize, len: usize| -> Result<i64, ZenginError> {
            digits(rec, n, name, from, len)?
                .parse::<i64>()
                .map_err(|_| err(n, name, "not a number", "数値ではありません"))
        };
    let text = |rec: &[u8],
                n: usize,
                name: &str,
                from: usize,
                len: usize|
     -> Result<String, ZenginError> {
        Ok(field(rec, n, name, from, len)?.trim_end().to_string())
    };

    let (first, rest) = records
        .split_first()
        .ok_or_else(|| err(1, "header", "the file is empty", "ファイルが空です"))?;
    if first.first() != Some(&b'1') || first.get(1..4) != Some(b"210") {
        return Err(err(
            1,
            "data_class",
            "not a 総合振込 header (1, 21, 0)",
            "総合振込のヘッダー・レコード（1・21・0）ではありません",
        ));
    }
    let mmdd = digits(first, 1, "transfer_date", 54, 4)?;
    let month = mmdd[..2]
        .parse::<u8>()
        .ok()
        .and_then(|m| time::Month::try_from(m).ok());
    let day = mmdd[2..].parse::<u8>().ok();
    let transfer_date = month
        .zip(day)
        .and_then(|(m, d)| Date::from_calendar_date(year, m, d).ok())
        .ok_or_else(|| {
            err(
                1,
                "transfer_date",
                "not a date (MMDD)",
                "振込指定日（月日）が日付ではありません",
            )
        })?;
    let account_type = |rec: &[u8], n: usize, at: usize| {
        rec.get(at)
            .and_then(|b| AccountType::from_code(*b as char))
            .ok_or_else(|| {
                err(
                    n,
                    "account_type",
                    "not 1, 2, 4 or 9",
                    "預金種目が1・2・4・9ではありません",
                )
            })
    };
    let header = Header {
        requester_code: digits(first, 1, "requester_code", 4, 10)?,
        requester_name: text(first, 1, "requester_name", 14, 40)?,
        transfer_date,
        bank_code: digits(first, 1, "bank_code", 58, 4)?,
        bank_name: text(first, 1, "bank_name", 62, 15)?,
        branch_code: digits(first, 1, "branch_code", 77, 3)?,
        branch_name: text(first, 1, "branch_name", 80, 15)?,
        account_type: account_type(first, 1, 95)?,
        account_number: digits(first, 1, "account_number", 96, 7)?,
    };

    let mut transfers = Vec::new();
    let mut trailer: Option<(usize, u64, i64)> = None;
    let mut ended = false;
    for (i, rec) in rest.iter().enumerate() {
        let n = i + 2;
        if ended {
            return Err(err(
                n,
                "data_class",
                "a record after the end record",
                "エンド・レコードの後にレコードがあります",
            ));
        }
        match rec.first() {
            Some(b'2') if trailer.is_none() => {
                let class = match rec.get(111) {
                    Some(b'7') => TransferClass::Telegraphic,
                    Some(b'8') => TransferClass::Document,
                    _ => {
                        return Err(err(
                            n,
                            "transfer_class",
                            "not 7 or 8",
                            "振込指定区分が7・8ではありません",
                        ));
                    }
                };
                let new_code = rec
                    .get(90)
                    .map(|b| *b as char)
                    .filter(|c| matches!(c, '0' | '1' | '2'))
                    .ok_or_else(|| {
                        err(
                            n,
                            "new_code",
                            "not 0, 1 or 2",
                            "新規コードが0・1・2ではありません",
                        )
                    })?;
                transfers.push(Transfer {
                    bank_code: digits(rec, n, "bank_code", 1, 4)?,
                    bank_name: text(rec, n, "bank_name", 5, 15)?,
                    branch_code: digits(rec, n, "branch_code", 20, 3)?,
                    branch_name: text(rec, n, "branch_name", 23, 15)?,
                    account_type: account_type(rec, n, 42)?,
                    account_number: digits(rec, n, "account_number", 43, 7)?,
                    payee_name: text(rec, n, "payee_name", 50, 30)?,
                    amount: number(rec, n, "amount", 80, 10)?,
                    new_code,
                    customer_code1: number(rec, n, "customer_code1", 91, 10)? as u64,
                    customer_code2: number(rec, n, "customer_code2", 101, 10)? as u64,
                    transfer_class: class,
                });
            }
            Some(b'8') if trailer.is_none() => {
                let count = number(rec, n, "total_count", 1, 6)?;
                let total = number(rec, n, "total_amount", 7, 12)?;
                trailer = Some((n, count as u64, total));
            }
            Some(b'9') if trailer.is_some() => ended = true,
            _ => {
                return Err(err(
                    n,
                    "data_class",
                    "out of order (header, data, trailer, end)",
                    "レコードの順序（ヘッダー・データ・トレーラ・エンド）が正しくありません",
                ));
            }
        }
    }
    let (tn, count, total) = trailer.ok_or_else(|| {
        err(
            records.len(),
            "trailer",
            "no trailer record",
            "トレーラ・レコードがありません",
        )
    })?;
    if !ended {
        return Err(err(
            records.len(),
            "end",
            "no end record",
            "エンド・レコードがありません",
        ));
    }
    if count != transfers.len() as u64 {
        return Err(err(
            tn,
            "total_count",
            "does not match the data records",
            "合計件数がデータ・レコードの件数と合いません",
        ));
    }
    if total != transfers.iter().map(|t| t.amount).sum::<i64>() {
        return Err(err(
            tn,
            "total_amount",
            "does not match the data records",
            "合計金額がデータ・レコードの合計と合いません",
        ));
    }
    Ok(TransferFile {
        header,
        transfers,
        total_count: count,
        total_amount: total,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn kana(s: &str) -> Result<String, KanaError> {
        to_transfer_kana(s, LongVowel::Hyphen)
    }

    #[test]
    fn names_become_the_formats_half_width_katakana() {
        assert_eq!(kana("ヤマダ　タロウ").unwrap(), "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(kana("やまだ はなこ").unwrap(), "ﾔﾏﾀﾞ ﾊﾅｺ");
        // small kana full size (キュウ → ｷﾕｳ), ッ → ﾂ
        assert_eq!(kana("キュウ").unwrap(), "ｷﾕｳ");
        assert_eq!(kana("ガッコウ").unwrap(), "ｶﾞﾂｺｳ");
        assert_eq!(kana("ｶﾞｯｺｳ").unwrap(), "ｶﾞﾂｺｳ");
        assert_eq!(kana("パピプペポ").unwrap(), "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ");
        assert_eq!(kana("ヴ").unwrap(), "ｳﾞ");
        assert_eq!(kana("ゔ").unwrap(), "ｳﾞ");
        // 「・」 a full stop; Latin upper case; full-width ASCII half-width
        assert_eq!(kana("ジョン・スミス").unwrap(), "ｼﾞﾖﾝ.ｽﾐｽ");
        assert_eq!(kana("abc１２３Ｘ").unwrap(), "ABC123X");
        assert_eq!(kana("（カ）ヤズ").unwrap(), "(ｶ)ﾔｽﾞ");
        // the long vowel: "-" by default, ｰ where the bank takes it
        assert_eq!(kana("コーヒー").unwrap(), "ｺ-ﾋ-");
        assert_eq!(
            to_transfer_kana("コーヒー", LongVowel::HalfWidthMark).unwrap(),
            "ｺｰﾋｰ"
        );
        // a decomposed voiced mark
        assert_eq!(kana("カ\u{3099}").unwrap(), "ｶﾞ");
    }

    #[test]
    fn what_cannot_be_written_is_refused_with_the_character_named() {
        let e = kana("山田").unwrap_err();
        assert_eq!((e.position, e.ch), (1, '山'));
        assert!(e.message_ja().contains("「山」"));
        let e = kana("ｱｲ ヷ").unwrap_err();
        assert_eq!((e.position, e.ch), (4, 'ヷ'));
        assert_eq!(kana("ﾔﾏﾀﾞ「ﾀ」").unwrap_err().ch, '「');
        assert_eq!(kana("a_b").unwrap_err().ch, '_');
    }

    fn header() -> Header {
        Header {
            requester_code: "1234567890".into(),
            requester_name: "ヤズチョウ".into(),
            transfer_date: date!(2026 - 12 - 10),
            bank_code: "0166".into(),
            bank_name: "トットリギンコウ".into(),
            branch_code: "123".into(),
            branch_name: "ヤズ".into(),
            account_type: AccountType::Ordinary,
            account_number: "0012345".into(),
        }
    }

    fn transfer(name: &str, amount: i64) -> Transfer {
        Transfer {
            bank_code: "0009".into(),
            bank_name: "ミツイスミトモ".into(),
            branch_code: "001".into(),
            branch_name: "トウキヨウ".into(),
            account_type: AccountType::Ordinary,
            account_number: "1234567".into(),
            payee_name: name.into(),
            amount,
            new_code: '0',
            customer_code1: 42,
            customer_code2: 0,
            transfer_class: TransferClass::Telegraphic,
        }
    }

    fn ascii_view(b: &[u8]) -> String {
        b.iter()
            .map(|&x| match x {
                0x20..=0x7E => x as char,
                0xA1..=0xDF => char::from_u32(u32::from(x) - 0xA1 + 0xFF61).unwrap(),
                _ => '?',
            })
            .collect()
    }

    #[test]
    fn the_file_is_header_data_trailer_end_of_120_bytes_each() {
        let t = [
            transfer("ヤマダ タロウ", 57_600),
            transfer("サトウ ハナコ", 8_000),
        ];
        let bytes = write("pay.txt", &header(), &t, &WriteOptions::default()).unwrap();
        assert_eq!(bytes.len(), 5 * 122);
        let records: Vec<&[u8]> = bytes.chunks(122).collect();
        for r in &records {
            assert_eq!(&r[120..], b"\r\n");
        }
        // byte for byte against the layout's lengths
        let h = ascii_view(&records[0][..120]);
        assert_eq!(
            h,
            format!(
                "1210{}{:<40}1210{}{:<15}{}{:<15}1{}{}",
                "1234567890",
                "ﾔｽﾞﾁﾖｳ",
                "0166",
                "ﾄﾂﾄﾘｷﾞﾝｺｳ",
                "123",
                "ﾔｽﾞ",
                "0012345",
                " ".repeat(17)
            )
        );
        let d = ascii_view(&records[1][..120]);
        assert_eq!(
            d,
            format!(
                "20009{:<15}001{:<15}00001{}{:<30}{:010}0{:010}{:010}7 {}",
                "ﾐﾂｲｽﾐﾄﾓ",
                "ﾄｳｷﾖｳ",
                "1234567",
                "ﾔﾏﾀﾞ ﾀﾛｳ",
                57_600,
                42,
                0,
                " ".repeat(7)
            )
        );
        assert_eq!(
            ascii_view(&records[3][..120]),
            format!("8{:06}{:012}{}", 2, 65_600, " ".repeat(101))
        );
        assert_eq!(
            ascii_view(&records[4][..120]),
            format!("9{}", " ".repeat(119))
        );
        // half-width kana are single bytes of JIS X 0201
        assert_eq!(records[0][14], 0xD4); // ﾔ

        let back = read("pay.txt", &bytes, 2026).unwrap();
        assert_eq!(back.header, {
            let mut h = header();
            h.requester_name = "ﾔｽﾞﾁﾖｳ".into();
            h.bank_name = "ﾄﾂﾄﾘｷﾞﾝｺｳ".into();
            h.branch_name = "ﾔｽﾞ".into();
            h
        });
        assert_eq!(back.transfers.len(), 2);
        assert_eq!(back.transfers[1].payee_name, "ｻﾄｳ ﾊﾅｺ");
        assert_eq!((back.total_count, back.total_amount), (2, 65_600));

        // without line breaks: 120 bytes a record, read the same
        let plain = write(
            "pay.txt",
            &header(),
            &t,
            &WriteOptions {
                line_breaks: false,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(plain.len(), 5 * 120);
        assert_eq!(read("pay.txt", &plain, 2026).unwrap(), back);
    }

    #[test]
    fn a_field_that_cannot_be_written_refuses_the_file_naming_record_and_field() {
        let mut t = vec![
            transfer("ヤマダ タロウ", 1_000),
            transfer("山田 花子", 1_000),
        ];
        let e = write("pay.txt", &header(), &t, &WriteOptions::default()).unwrap_err();
        assert_eq!((e.record, e.field.as_str()), (3, "payee_name"));
        assert!(e.reason_ja.contains("「山」"), "{}", e.reason_ja);
        assert!(!e.to_string().contains("花子"));
        t[1] = transfer("ア".repeat(31).as_str(), 1_000);
        let e = write("pay.txt", &header(), &t, &WriteOptions::default()).unwrap_err();
        assert_eq!(e.field, "payee_name");
        // 濁点 count: 15 ガ are 30 characters, 16 are 32
        t[1] = transfer("ガ".repeat(15).as_str(), 1_000);
        assert!(write("pay.txt", &header(), &t, &WriteOptions::default()).is_ok());
        t[1] = transfer("ガ".repeat(16).as_str(), 1_000);
        assert!(write("pay.txt", &header(), &t, &WriteOptions::default()).is_err());
        t[1] = transfer("ア", 1_000);
        t[1].bank_code = "166".into();
        assert_eq!(
            write("pay.txt", &header(), &t, &WriteOptions::default())
                .unwrap_err()
                .field,
            "bank_code"
        );
        t[1] = transfer("ア", 0);
        assert_eq!(
            write("pay.txt", &header(), &t, &WriteOptions::default())
                .unwrap_err()
                .field,
            "amount"
        );
        t[1] = transfer("ア", 1);
        t[1].account_number = "12345678".into();
        assert_eq!(
            write("pay.txt", &header(), &t, &WriteOptions::default())
                .unwrap_err()
                .field,
            "account_number"
        );
    }

    #[test]
    fn a_damaged_file_is_refused_naming_the_record() {
        let t = [transfer("ア", 1_000), transfer("イ", 2_000)];
        let good = write("pay.txt", &header(), &t, &WriteOptions::default()).unwrap();
        // the trailer's total changed
        let mut bad = good.clone();
        let at = 3 * 122 + 7 + 11;
        bad[at] = b'9';
        let e = read("pay.txt", &bad, 2026).unwrap_err();
        assert_eq!((e.record, e.field.as_str()), (4, "total_amount"));
        // a data record dropped
        let mut short = good[..122].to_vec();
        short.extend_from_slice(&good[2 * 122..]);
        assert_eq!(
            read("pay.txt", &short, 2026).unwrap_err().field,
            "total_count"
        );
        // no end record
        assert_eq!(
            read("pay.txt", &good[..4 * 122], 2026).unwrap_err().field,
            "end"
        );
        // cut inside a record
        assert_eq!(
            read("pay.txt", &good[..200], 2026).unwrap_err().field,
            "record"
        );
        assert!(read("pay.txt", b"", 2026).is_err());
    }

    fn arb_name() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('ア'),
                Just('ガ'),
                Just('ュ'),
                Just('ー'),
                Just('ぱ'),
                Just(' '),
                Just('Ｂ'),
                Just('k'),
                Just('7'),
                Just('・'),
                Just('ヲ'),
            ],
            1..14,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn what_is_written_reads_back(
            names in proptest::collection::vec(arb_name(), 0..20),
            amounts in proptest::collection::vec(1i64..=MAX_AMOUNT, 20),
            codes in proptest::collection::vec(0u64..10_000_000_000, 20),
            breaks in any::<bool>(),
        ) {
            let transfers: Vec<Transfer> = names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let mut t = transfer(n, amounts[i]);
                    t.customer_code1 = codes[i];
                    t
                })
                .collect();
            let opts = WriteOptions { line_breaks: breaks, ..Default::default() };
            let bytes = write("p", &header(), &transfers, &opts).unwrap();
            prop_assert_eq!(bytes.len(), (transfers.len() + 3) * if breaks { 122 } else { 120 });
            let back = read("p", &bytes, 2026).unwrap();
            prop_assert_eq!(back.transfers.len(), transfers.len());
            for (t, b) in transfers.iter().zip(&back.transfers) {
                prop_assert_eq!(b.amount, t.amount);
                prop_assert_eq!(b.customer_code1, t.customer_code1);
                let want = kana(&t.payee_name).unwrap();
                prop_assert_eq!(b.payee_name.as_str(), want.trim_end());
            }
            prop_assert_eq!(back.total_amount, transfers.iter().map(|t| t.amount).sum::<i64>());
        }

        #[test]
        fn converted_text_is_always_writable(s in "\\PC{0,30}") {
            if let Ok(k) = kana(&s) {
                prop_assert!(jis_x0201(&k).is_some());
                prop_assert!(k.chars().all(|c| !('ｧ'..='ｯ').contains(&c)));
            }
        }

        #[test]
        fn no_input_panics_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
            let _ = read("p", &bytes, 2026);
        }
    }
}
