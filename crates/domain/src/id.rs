//! Identifiers. Each type can only hold a valid value ("parse, don't
//! validate"): once a `MyNumber` or an `InsurerNumber` exists, its check
//! digit is known to be right.
//!
//! Errors never carry the input: it may be a My Number (個人番号), whose
//! appearance in a log is itself an incident (番号法 第19条・第20条).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an identifier was rejected. Carries the field and the position or
/// length, never the value.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum IdError {
    #[error("{field}: empty")]
    Empty { field: &'static str },
    /// `expected` is a count or a range of characters, e.g. "12" or "1〜15".
    #[error("{field}: expected {expected} characters, got {actual}")]
    WrongLength {
        field: &'static str,
        expected: &'static str,
        actual: usize,
    },
    /// `position` is 1-based, counted in characters after trimming.
    #[error("{field}: character {position} is not a digit")]
    NotDigits {
        field: &'static str,
        position: usize,
    },
    /// A character other than a digit that the field does not allow
    /// (control characters, punctuation in an insured number, …).
    #[error("{field}: character {position} is not allowed")]
    InvalidChar {
        field: &'static str,
        position: usize,
    },
    #[error("{field}: check digit does not match")]
    CheckDigit { field: &'static str },
    /// The digits are well formed but name nothing that can exist, e.g. a
    /// prefecture code outside 01–47.
    #[error("{field}: {what} out of range")]
    OutOfRange {
        field: &'static str,
        what: &'static str,
    },
}

impl IdError {
    pub fn field(&self) -> &'static str {
        match self {
            IdError::Empty { field }
            | IdError::WrongLength { field, .. }
            | IdError::NotDigits { field, .. }
            | IdError::InvalidChar { field, .. }
            | IdError::CheckDigit { field }
            | IdError::OutOfRange { field, .. } => field,
        }
    }

    /// The message for staff screens.
    pub fn message_ja(&self) -> String {
        let label = field_label_ja(self.field());
        match self {
            IdError::Empty { .. } => format!("{label}を入力してください"),
            IdError::WrongLength {
                field,
                expected,
                actual,
            } => {
                if is_free_text_field(field) {
                    format!(
                        "{label}は{expected}文字で入力してください（{actual}文字が入力されました）"
                    )
                } else if *field == "insured_number" {
                    format!(
                        "{label}は{expected}文字の英数字で入力してください（{actual}文字が入力されました）"
                    )
                } else {
                    // "6 or 8" → 6桁または8桁
                    let expected = expected.replace(" or ", "桁または");
                    format!(
                        "{label}は{expected}桁の数字で入力してください（{actual}桁が入力されました）"
                    )
                }
            }
            IdError::NotDigits { position, .. } => {
                format!("{label}の{position}文字目が数字ではありません")
            }
            IdError::InvalidChar { position, .. } => {
                format!("{label}の{position}文字目に使用できない文字があります")
            }
            IdError::CheckDigit { .. } => format!("{label}の検査用数字が一致しません"),
            IdError::OutOfRange { what, .. } => {
                format!("{label}の{}が正しくありません", what_ja(what))
            }
        }
    }
}

fn field_label_ja(field: &str) -> &'static str {
    match field {
        "my_number" => "個人番号",
        "insurer_number" => "保険者番号",
        "insured_symbol" => "被保険者記号",
        "insured_number" => "被保険者番号",
        "branch_number" => "枝番",
        "addressee_id" => "宛名番号",
        "integrated_addressee_id" => "団体内統合宛名番号",
        "household_number" => "世帯番号",
        _ => "番号",
    }
}

fn is_free_text_field(field: &str) -> bool {
    field == "insured_symbol"
}

fn what_ja(what: &str) -> &'static str {
    match what {
        "prefecture code" => "都道府県番号",
        _ => "値",
    }
}

/// Spaces a clerk may paste around a number: ASCII whitespace and the
/// ideographic space U+3000.
fn is_surrounding_space(c: char) -> bool {
    c.is_ascii_whitespace() || c == '\u{3000}'
}

/// Full-width ASCII variants (U+FF01–FF5E) map to ASCII by a fixed offset.
fn full_width_to_ascii(c: char) -> char {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

/// Trims surrounding spaces, turns full-width digits into ASCII and checks
/// that only digits remain. Positions in errors are 1-based, counted in
/// characters of the trimmed input. The length is left to the caller.
pub fn normalise_digits(field: &'static str, s: &str) -> Result<String, IdError> {
    let t = s.trim_matches(is_surrounding_space);
    if t.is_empty() {
        return Err(IdError::Empty { field });
    }
    let mut out = String::with_capacity(t.len());
    for (i, c) in t.chars().enumerate() {
        let c = match c {
            '０'..='９' => full_width_to_ascii(c),
            _ => c,
        };
        if !c.is_ascii_digit() {
            return Err(IdError::NotDigits {
                field,
                position: i + 1,
            });
        }
        out.push(c);
    }
    Ok(out)
}

/// Digits as values 0–9; only call on a string of ASCII digits.
fn digit_values(s: &str) -> Vec<u8> {
    s.bytes().map(|b| b.wrapping_sub(b'0')).collect()
}

fn digit_char(d: u8) -> char {
    char::from(b'0' + d % 10)
}

// ---------------------------------------------------------------------------
// 個人番号

/// 個人番号 (My Number): 11 digits and a check digit.
///
/// Deliberately has no `Display` and no `Serialize`: the digits can only be
/// read with [`MyNumber::expose`], so that they cannot reach a log, a JSON
/// body or a template by accident.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MyNumber(String);

impl MyNumber {
    const FIELD: &'static str = "my_number";

    /// Accepts 12 digits (full-width allowed, surrounding spaces ignored)
    /// whose last digit is the check digit.
    pub fn parse(s: &str) -> Result<MyNumber, IdError> {
        let digits = normalise_digits(Self::FIELD, s)?;
        if digits.len() != 12 {
            return Err(IdError::WrongLength {
                field: Self::FIELD,
                expected: "12",
                actual: digits.len(),
            });
        }
        if !my_number_check_ok(&digits) {
            return Err(IdError::CheckDigit { field: Self::FIELD });
        }
        Ok(MyNumber(digits))
    }

    /// The check digit for 11 base digits (values 0–9, leftmost first).
    ///
    /// 平成26年総務省令第85号 第5条 (検査用数字を算出する算式, under 番号法
    /// 施行令 第8条): with P(n) the n-th base digit counted from the right and
    /// Q(n) = n+1 (n ≤ 6), n−5 (n ≥ 7), the check digit is
    /// 11 − (ΣP(n)Q(n) mod 11), or 0 when the remainder is 0 or 1.
    pub fn check_digit(base: &[u8; 11]) -> u8 {
        let sum: u32 = base
            .iter()
            .rev()
            .zip(1u32..)
            .map(|(&p, n)| {
                let q = if n <= 6 { n + 1 } else { n - 5 };
                u32::from(p) * q
            })
            .sum();
        let r = sum % 11;
        if r <= 1 { 0 } else { (11 - r) as u8 }
    }

    /// Builds a valid number from an 11-digit base (zero-padded); `None` when
    /// `base` has more than 11 digits. For synthetic data only.
    pub fn from_base(base: u64) -> Option<MyNumber> {
        if base >= 100_000_000_000 {
            return None;
        }
        let mut digits = format!("{base:011}");
        let values = digit_values(&digits);
        let arr: [u8; 11] = values.try_into().ok()?;
        digits.push(digit_char(Self::check_digit(&arr)));
        Some(MyNumber(digits))
    }

    /// The 12 ASCII digits. Callers must only use this inside the vault
    /// (sealing, the lookup index, and the audited display path); anywhere
    /// else it is a leak.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MyNumber(****)")
    }
}

fn my_number_check_ok(digits: &str) -> bool {
    let values = digit_values(digits);
    let Some((&check, base)) = values.split_last() else {
        return false;
    };
    let Ok(base) = <[u8; 11]>::try_from(base) else {
        return false;
    };
    MyNumber::check_digit(&base) == check
}

/// True when `s` is exactly 12 ASCII digits with a valid My Number check
/// digit — no trimming, no full-width digits. For leak scanners.
pub fn is_valid_my_number(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) && my_number_check_ok(s)
}

// ---------------------------------------------------------------------------
// Serde and Display for the string newtypes below.

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $t {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                <$t>::parse(&s)
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
    };
}

// ---------------------------------------------------------------------------
// 保険者番号

/// The check digit (検証番号) of a 保険者番号 over the digits before it
/// (values 0–9): from the rightmost, multiply by 2, 1, 2, 1, …; add the
/// digits of each product; the check digit is 10 minus the last digit of the
/// sum (0 when that is 0). The same rule serves the 6-digit 国民健康保険
/// numbers and the 8-digit numbers of the employee schemes (厚生労働省
/// 保険局「保険者番号等の設定要領」, 検証番号の算出方法).
pub fn luhn_like_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let p = u32::from(d) * if i % 2 == 0 { 2 } else { 1 };
            p / 10 + p % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// 保険者番号 of a municipal 国民健康保険: prefecture (2) + insurer (3) +
/// check digit (1).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InsurerNumber(String);

impl InsurerNumber {
    const FIELD: &'static str = "insurer_number";

    pub fn parse(s: &str) -> Result<InsurerNumber, IdError> {
        let digits = normalise_digits(Self::FIELD, s)?;
        if digits.len() != 6 {
            return Err(IdError::WrongLength {
                field: Self::FIELD,
                expected: "6",
                actual: digits.len(),
            });
        }
        let values = digit_values(&digits);
        let Some((&check, body)) = values.split_last() else {
            return Err(IdError::Empty { field: Self::FIELD });
        };
        if luhn_like_check_digit(body) != check {
            return Err(IdError::CheckDigit { field: Self::FIELD });
        }
        // 都道府県番号 is 01 (北海道) to 47 (沖縄県), JIS X 0401.
        let pref = digits
            .get(..2)
            .and_then(|p| p.parse::<u8>().ok())
            .unwrap_or(0);
        if !(1..=47).contains(&pref) {
            return Err(IdError::OutOfRange {
                field: Self::FIELD,
                what: "prefecture code",
            });
        }
        Ok(InsurerNumber(digits))
    }

    /// Builds the number for prefecture 1–47 and local number 0–999.
    pub fn from_parts(prefecture: u8, local: u16) -> Option<InsurerNumber> {
        if !(1..=47).contains(&prefecture) || local > 999 {
            return None;
        }
        let mut digits = format!("{prefecture:02}{local:03}");
        digits.push(digit_char(luhn_like_check_digit(&digit_values(&digits))));
        Some(InsurerNumber(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit 都道府県番号.
    pub fn prefecture_code(&self) -> &str {
        self.0.get(..2).unwrap_or("")
    }
}

string_newtype_impls!(InsurerNumber);

// ---------------------------------------------------------------------------
// 被保険者記号・番号・枝番

/// 被保険者記号: free text in many towns (kanji, kana, digits, letters,
/// '-'); 1–20 characters, no control characters, stored trimmed.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InsuredSymbol(String);

impl InsuredSymbol {
    const FIELD: &'static str = "insured_symbol";

    pub fn parse(s: &str) -> Result<InsuredSymbol, IdError> {
        let t = s.trim_matches(is_surrounding_space);
        if t.is_empty() {
            return Err(IdError::Empty { field: Self::FIELD });
        }
        if let Some(i) = t
            .chars()
            .position(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
        {
            return Err(IdError::InvalidChar {
                field: Self::FIELD,
                position: i + 1,
            });
        }
        let n = t.chars().count();
        if n > 20 {
            return Err(IdError::WrongLength {
                field: Self::FIELD,
                expected: "1〜20",
                actual: n,
            });
        }
        Ok(InsuredSymbol(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype_impls!(InsuredSymbol);

/// 被保険者番号: 1–20 ASCII digits or letters; full-width digits and
/// letters are converted to ASCII. Letter case is kept as given.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InsuredNumber(String);

impl InsuredNumber {
    const FIELD: &'static str = "insured_number";

    pub fn parse(s: &str) -> Result<InsuredNumber, IdError> {
        let t = s.trim_matches(is_surrounding_space);
        if t.is_empty() {
            return Err(IdError::Empty { field: Self::FIELD });
        }
        let mut out = String::with_capacity(t.len());
        for (i, c) in t.chars().enumerate() {
            let c = full_width_to_ascii(c);
            if !c.is_ascii_alphanumeric() {
                return Err(IdError::InvalidChar {
                    field: Self::FIELD,
                    position: i + 1,
                });
            }
            out.push(c);
        }
        if out.len() > 20 {
            return Err(IdError::WrongLength {
                field: Self::FIELD,
                expected: "1〜20",
                actual: out.len(),
            });
        }
        Ok(InsuredNumber(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype_impls!(InsuredNumber);

/// 枝番: two digits, "00"–"99" (個人単位被保険者番号, 令和3年10月から記載).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BranchNumber(String);

impl BranchNumber {
    const FIELD: &'static str = "branch_number";

    pub fn parse(s: &str) -> Result<BranchNumber, IdError> {
        let digits = normalise_digits(Self::FIELD, s)?;
        if digits.len() != 2 {
            return Err(IdError::WrongLength {
                field: Self::FIELD,
                expected: "2",
                actual: digits.len(),
            });
        }
        Ok(BranchNumber(digits))
    }

    /// `None` above 99.
    pub fn from_u8(n: u8) -> Option<BranchNumber> {
        (n <= 99).then(|| BranchNumber(format!("{n:02}")))
    }

    pub fn value(&self) -> u8 {
        self.0.parse().unwrap_or(0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype_impls!(BranchNumber);

// ---------------------------------------------------------------------------
// 宛名番号・団体内統合宛名番号

/// The largest number `from_u64` represents without wrapping (10 digits).
pub const MAX_ASSIGNED_INTERNAL_ID: u64 = 9_999_999_999;

macro_rules! internal_id {
    ($(#[$doc:meta])* $t:ident, $field:literal) => {
        $(#[$doc])*
        ///
        /// Parsing accepts 1–15 digits (full-width allowed) and keeps them as
        /// given, leading zeros included. The system itself assigns 10-digit
        /// numbers (see `from_u64`). Ordering is by the string, which is
        /// numeric order for the fixed-width assigned numbers.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $t(String);

        impl $t {
            const FIELD: &'static str = $field;

            pub fn parse(s: &str) -> Result<$t, IdError> {
                let digits = normalise_digits(Self::FIELD, s)?;
                if digits.len() > 15 {
                    return Err(IdError::WrongLength {
                        field: Self::FIELD,
                        expected: "1〜15",
                        actual: digits.len(),
                    });
                }
                Ok($t(digits))
            }

            /// A 10-digit, zero-padded number. Ten digits are chosen so that
            /// an internal number can never be mistaken for a 12-digit My
            /// Number by a leak scan. `n` is taken modulo 10^10; allocators
            /// must stay at or below [`MAX_ASSIGNED_INTERNAL_ID`].
            pub fn from_u64(n: u64) -> $t {
                $t(format!("{:010}", n % (MAX_ASSIGNED_INTERNAL_ID + 1)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_newtype_impls!($t);
    };
}

internal_id!(
    /// 宛名番号: the town's internal number for a person in the addressee
    /// registry.
    AddresseeId,
    "addressee_id"
);

internal_id!(
    /// 団体内統合宛名番号: the number that links a person across the town's
    /// systems for 情報連携 through the 中間サーバー (番号法 第19条).
    IntegratedAddresseeId,
    "integrated_addressee_id"
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    const VALID_MY_NUMBERS: [&str; 5] = [
        "123456789018",
        "314159265352",
        "271828182840",
        "100000000005",
        "000000000019",
    ];

    fn base_of(s: &str) -> [u8; 11] {
        let v = digit_values(&s[..11]);
        v.try_into().unwrap()
    }

    #[test]
    fn my_number_examples() {
        for s in VALID_MY_NUMBERS {
            let n = MyNumber::parse(s).unwrap();
            assert_eq!(n.expose(), s);
            assert!(is_valid_my_number(s));
            let check = s.as_bytes()[11] - b'0';
            assert_eq!(MyNumber::check_digit(&base_of(s)), check);
        }
    }

    #[test]
    fn my_number_from_base() {
        assert_eq!(
            MyNumber::from_base(12_345_678_901).unwrap().expose(),
            "123456789018"
        );
        assert_eq!(MyNumber::from_base(1).unwrap().expose(), "000000000019");
        assert_eq!(
            MyNumber::from_base(10_000_000_000).unwrap().expose(),
            "100000000005"
        );
        assert!(MyNumber::from_base(99_999_999_999).is_some());
        assert!(MyNumber::from_base(100_000_000_000).is_none());
    }

    #[test]
    fn my_number_normalisation() {
        assert_eq!(
            MyNumber::parse("１２３４５６７８９０１８")
                .unwrap()
                .expose(),
            "123456789018"
        );
        assert_eq!(
            MyNumber::parse("\u{3000} 123456789018\n").unwrap().expose(),
            "123456789018"
        );
        // The leak-scanner check does not normalise.
        assert!(!is_valid_my_number("１２３４５６７８９０１８"));
        assert!(!is_valid_my_number(" 123456789018"));
        assert!(!is_valid_my_number("123456789019"));
        assert!(!is_valid_my_number("12345678901"));
    }

    #[test]
    fn my_number_errors() {
        assert_eq!(
            MyNumber::parse("").unwrap_err(),
            IdError::Empty { field: "my_number" }
        );
        assert_eq!(
            MyNumber::parse(" \u{3000} ").unwrap_err(),
            IdError::Empty { field: "my_number" }
        );
        let e = MyNumber::parse("12345678901").unwrap_err();
        assert_eq!(
            e,
            IdError::WrongLength {
                field: "my_number",
                expected: "12",
                actual: 11
            }
        );
        assert_eq!(
            e.message_ja(),
            "個人番号は12桁の数字で入力してください（11桁が入力されました）"
        );
        assert_eq!(
            MyNumber::parse("1234a6789018").unwrap_err(),
            IdError::NotDigits {
                field: "my_number",
                position: 5
            }
        );
        assert_eq!(
            MyNumber::parse("1234-5678-9018").unwrap_err(),
            IdError::NotDigits {
                field: "my_number",
                position: 5
            }
        );
        let e = MyNumber::parse("123456789019").unwrap_err();
        assert_eq!(e, IdError::CheckDigit { field: "my_number" });
        assert_eq!(e.field(), "my_number");
        assert_eq!(e.message_ja(), "個人番号の検査用数字が一致しません");
    }

    #[test]
    fn my_number_debug_is_masked() {
        let n = MyNumber::parse("123456789018").unwrap();
        assert_eq!(format!("{n:?}"), "MyNumber(****)");
        assert_eq!(format!("{:?}", Some(&n)), "Some(MyNumber(****))");
    }

    /// The statutory rule maps remainders 0 and 1 both to check digit 0, so
    /// a single-digit change between two such bases goes unnoticed.
    #[test]
    fn my_number_remainders_zero_and_one_collide() {
        assert!(MyNumber::parse("000000000000").is_ok());
        // 6 × weight 2 = 12 ≡ 1 (mod 11): still check digit 0.
        assert!(MyNumber::parse("000000000060").is_ok());
    }

    #[test]
    fn my_number_adjacent_transpositions() {
        // Weights from the left: 6 5 4 3 2 7 6 5 4 3 2; every adjacent pair
        // differs, so swapping two different adjacent digits changes the
        // remainder. It is caught unless both remainders fall in {0, 1}.
        for s in ["123456789018", "314159265352", "271828182840"] {
            let base = base_of(s);
            for i in 0..10 {
                if base[i] == base[i + 1] {
                    continue;
                }
                let mut swapped = base;
                swapped.swap(i, i + 1);
                let mut t: String = swapped.iter().map(|&d| digit_char(d)).collect();
                t.push(s.chars().nth(11).unwrap());
                if remainder(&base) > 1 || remainder(&swapped) > 1 {
                    assert!(MyNumber::parse(&t).is_err(), "{s} swap at {i}");
                }
            }
        }
        // A hand-checked one: 12 ↔ 21 at the start.
        assert!(MyNumber::parse("213456789018").is_err());
    }

    fn remainder(base: &[u8; 11]) -> u32 {
        let sum: u32 = base
            .iter()
            .rev()
            .zip(1u32..)
            .map(|(&p, n)| u32::from(p) * if n <= 6 { n + 1 } else { n - 5 })
            .sum();
        sum % 11
    }

    const VALID_INSURERS: [&str; 4] = ["310011", "313023", "131011", "271007"];

    #[test]
    fn insurer_examples() {
        for s in VALID_INSURERS {
            let n = InsurerNumber::parse(s).unwrap();
            assert_eq!(n.as_str(), s);
            assert_eq!(n.to_string(), s);
            assert_eq!(n.prefecture_code(), &s[..2]);
        }
        assert_eq!(luhn_like_check_digit(&[0, 1, 1, 3, 0, 0, 1]), 2); // 01130012
        assert_eq!(luhn_like_check_digit(&[3, 1, 0, 0, 1]), 1);
        assert_eq!(
            InsurerNumber::parse("３１００１１").unwrap().as_str(),
            "310011"
        );
        assert_eq!(InsurerNumber::from_parts(31, 1).unwrap().as_str(), "310011");
        assert_eq!(
            InsurerNumber::from_parts(27, 100).unwrap().as_str(),
            "271007"
        );
        assert!(InsurerNumber::from_parts(0, 1).is_none());
        assert!(InsurerNumber::from_parts(48, 1).is_none());
        assert!(InsurerNumber::from_parts(13, 1000).is_none());
    }

    #[test]
    fn insurer_errors() {
        assert_eq!(
            InsurerNumber::parse("310012").unwrap_err(),
            IdError::CheckDigit {
                field: "insurer_number"
            }
        );
        assert_eq!(
            InsurerNumber::parse("01130012").unwrap_err(),
            IdError::WrongLength {
                field: "insurer_number",
                expected: "6",
                actual: 8
            }
        );
        assert_eq!(
            InsurerNumber::parse("31OO11").unwrap_err(),
            IdError::NotDigits {
                field: "insurer_number",
                position: 3
            }
        );
        // 00001 has check digit 8, but there is no prefecture 00.
        let e = InsurerNumber::parse("000018").unwrap_err();
        assert!(matches!(e, IdError::OutOfRange { .. }));
        assert_eq!(e.message_ja(), "保険者番号の都道府県番号が正しくありません");
    }

    #[test]
    fn deserialize_goes_through_parse() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StringDeserializer};
        let ok: StringDeserializer<DeError> = "310011".to_owned().into_deserializer();
        assert_eq!(InsurerNumber::deserialize(ok).unwrap().as_str(), "310011");
        let bad: StringDeserializer<DeError> = "310012".to_owned().into_deserializer();
        let err = InsurerNumber::deserialize(bad).unwrap_err().to_string();
        assert!(err.contains("check digit"), "{err}");
        let bad: StringDeserializer<DeError> = "123".to_owned().into_deserializer();
        assert!(BranchNumber::deserialize(bad).is_err());
        let bad: StringDeserializer<DeError> = "".to_owned().into_deserializer();
        assert!(AddresseeId::deserialize(bad).is_err());
        let ok: StringDeserializer<DeError> = "12".to_owned().into_deserializer();
        assert_eq!(InsuredNumber::deserialize(ok).unwrap().as_str(), "12");
    }

    #[test]
    fn insured_symbol() {
        assert_eq!(
            InsuredSymbol::parse(" 鳥取-ア12 ").unwrap().as_str(),
            "鳥取-ア12"
        );
        assert_eq!(
            InsuredSymbol::parse("あいう").unwrap().to_string(),
            "あいう"
        );
        assert_eq!(
            InsuredSymbol::parse("\u{3000}").unwrap_err(),
            IdError::Empty {
                field: "insured_symbol"
            }
        );
        assert_eq!(
            InsuredSymbol::parse("ab\tc").unwrap_err(),
            IdError::InvalidChar {
                field: "insured_symbol",
                position: 3
            }
        );
        assert!(InsuredSymbol::parse(&"記".repeat(20)).is_ok());
        let e = InsuredSymbol::parse(&"記".repeat(21)).unwrap_err();
        assert_eq!(
            e.message_ja(),
            "被保険者記号は1〜20文字で入力してください（21文字が入力されました）"
        );
    }

    #[test]
    fn insured_number() {
        assert_eq!(
            InsuredNumber::parse("００１２ＡＢｃ").unwrap().as_str(),
            "0012ABc"
        );
        assert_eq!(InsuredNumber::parse(" 123 ").unwrap().as_str(), "123");
        assert_eq!(
            InsuredNumber::parse("12-3").unwrap_err(),
            IdError::InvalidChar {
                field: "insured_number",
                position: 3
            }
        );
        assert!(InsuredNumber::parse("１２あ").is_err());
        assert!(InsuredNumber::parse(&"9".repeat(20)).is_ok());
        assert!(matches!(
            InsuredNumber::parse(&"9".repeat(21)).unwrap_err(),
            IdError::WrongLength { actual: 21, .. }
        ));
        assert!(matches!(
            InsuredNumber::parse("").unwrap_err(),
            IdError::Empty { .. }
        ));
    }

    #[test]
    fn branch_number() {
        assert_eq!(BranchNumber::parse("０１").unwrap().value(), 1);
        assert_eq!(BranchNumber::parse("99").unwrap().value(), 99);
        assert_eq!(BranchNumber::from_u8(7).unwrap().as_str(), "07");
        assert!(BranchNumber::from_u8(100).is_none());
        assert!(matches!(
            BranchNumber::parse("1").unwrap_err(),
            IdError::WrongLength {
                expected: "2",
                actual: 1,
                ..
            }
        ));
        assert!(BranchNumber::parse("100").is_err());
        assert!(BranchNumber::parse("1a").is_err());
        assert!(BranchNumber::from_u8(3).unwrap() < BranchNumber::from_u8(10).unwrap());
    }

    #[test]
    fn internal_ids() {
        assert_eq!(AddresseeId::from_u64(42).as_str(), "0000000042");
        assert_eq!(
            IntegratedAddresseeId::from_u64(MAX_ASSIGNED_INTERNAL_ID).as_str(),
            "9999999999"
        );
        assert_eq!(AddresseeId::parse("１２３").unwrap().as_str(), "123");
        assert_eq!(AddresseeId::parse("007").unwrap().to_string(), "007");
        assert!(AddresseeId::parse(&"1".repeat(15)).is_ok());
        let e = AddresseeId::parse(&"1".repeat(16)).unwrap_err();
        assert_eq!(e.field(), "addressee_id");
        assert_eq!(
            e.message_ja(),
            "宛名番号は1〜15桁の数字で入力してください（16桁が入力されました）"
        );
        assert_eq!(
            IntegratedAddresseeId::parse("12x").unwrap_err(),
            IdError::NotDigits {
                field: "integrated_addressee_id",
                position: 3
            }
        );
        for n in [0, 1, 123_456, MAX_ASSIGNED_INTERNAL_ID] {
            let id = AddresseeId::from_u64(n);
            assert_eq!(id.as_str().len(), 10);
            assert!(!is_valid_my_number(id.as_str()));
            assert_eq!(AddresseeId::parse(id.as_str()).unwrap(), id);
        }
    }

    fn all_messages(e: &IdError) -> [String; 3] {
        [e.to_string(), e.message_ja(), format!("{e:?}")]
    }

    /// No run of 4 ASCII digits from `input` (after full-width conversion)
    /// appears in `text`.
    fn shares_no_run(text: &str, input: &str) -> bool {
        let chars: Vec<char> = input.chars().map(full_width_to_ascii).collect();
        chars
            .windows(4)
            .filter(|w| w.iter().all(char::is_ascii_digit))
            .all(|w| {
                let run: String = w.iter().collect();
                !text.contains(&run)
            })
    }

    fn with_digit_changed(s: &str, pos: usize, delta: u8) -> String {
        s.chars()
            .enumerate()
            .map(|(i, c)| {
                if i == pos {
                    digit_char((c as u8 - b'0' + delta) % 10)
                } else {
                    c
                }
            })
            .collect()
    }

    proptest! {
        #[test]
        fn my_number_single_digit_changes_rejected(
            base in 0u64..100_000_000_000,
            pos in 0usize..12,
            delta in 1u8..10,
        ) {
            let valid = MyNumber::from_base(base).unwrap();
            let changed = with_digit_changed(valid.expose(), pos, delta);
            let result = MyNumber::parse(&changed);
            if pos == 11 {
                prop_assert!(result.is_err());
            } else {
                // Caught unless both remainders are 0 or 1 (both give 0).
                let r_old = remainder(&base_of(valid.expose()));
                let r_new = remainder(&base_of(&changed));
                prop_assert_ne!(r_old, r_new);
                if r_old > 1 || r_new > 1 {
                    prop_assert!(result.is_err());
                } else {
                    prop_assert!(result.is_ok());
                }
            }
        }

        #[test]
        fn insurer_single_digit_changes_rejected(
            pref in 1u8..=47,
            local in 0u16..=999,
            pos in 0usize..6,
            delta in 1u8..10,
        ) {
            let valid = InsurerNumber::from_parts(pref, local).unwrap();
            prop_assert!(InsurerNumber::parse(valid.as_str()).is_ok());
            let changed = with_digit_changed(valid.as_str(), pos, delta);
            prop_assert!(InsurerNumber::parse(&changed).is_err());
        }

        #[test]
        fn luhn_catches_single_digit_changes_at_8_digits(
            body in proptest::collection::vec(0u8..10, 7),
            pos in 0usize..8,
            delta in 1u8..10,
        ) {
            let mut digits = body.clone();
            digits.push(luhn_like_check_digit(&body));
            digits[pos] = (digits[pos] + delta) % 10;
            let (check, rest) = digits.split_last().unwrap();
            prop_assert_ne!(luhn_like_check_digit(rest), *check);
        }

        #[test]
        fn my_number_from_base_round_trips(base in 0u64..100_000_000_000) {
            let n = MyNumber::from_base(base).unwrap();
            prop_assert!(is_valid_my_number(n.expose()));
            prop_assert_eq!(MyNumber::parse(n.expose()).unwrap(), n.clone());
            prop_assert_eq!(format!("{n:?}"), "MyNumber(****)");
        }

        #[test]
        fn errors_never_contain_the_input(input in "[0-9０-９a-zA-Z \u{3000}-]{4,30}") {
            let results: [Option<IdError>; 7] = [
                MyNumber::parse(&input).err(),
                InsurerNumber::parse(&input).err(),
                InsuredSymbol::parse(&input).err(),
                InsuredNumber::parse(&input).err(),
                BranchNumber::parse(&input).err(),
                AddresseeId::parse(&input).err(),
                IntegratedAddresseeId::parse(&input).err(),
            ];
            for e in results.iter().flatten() {
                for text in all_messages(e) {
                    prop_assert!(shares_no_run(&text, &input), "{text}");
                }
            }
        }

        #[test]
        fn my_number_errors_never_contain_digits(digits in "[0-9]{4,30}") {
            if let Err(e) = MyNumber::parse(&digits) {
                for text in all_messages(&e) {
                    prop_assert!(shares_no_run(&text, &digits), "{text}");
                }
            }
        }
    }
}

/// Checks a 保険者番号 of any scheme: 6 digits (市町村国保, with the
/// prefecture range check of [`InsurerNumber`]) or 8 digits (法別番号 2 +
/// prefecture 2 + insurer 3 + check 1, as the employee schemes and claims
/// use). Returns the normalised digits.
pub fn check_any_insurer_number(s: &str) -> Result<String, IdError> {
    const FIELD: &str = "insurer_number";
    let digits = normalise_digits(FIELD, s)?;
    match digits.len() {
        6 => InsurerNumber::parse(&digits).map(|n| n.as_str().to_string()),
        8 => {
            let values: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
            if luhn_like_check_digit(&values[..7]) == values[7] {
                Ok(digits)
            } else {
                Err(IdError::CheckDigit { field: FIELD })
            }
        }
        n => Err(IdError::WrongLength {
            field: FIELD,
            expected: "6 or 8",
            actual: n,
        }),
    }
}

#[cfg(test)]
mod any_scheme_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn six_and_eight_digit_numbers() {
        assert_eq!(check_any_insurer_number("01130012").unwrap(), "01130012");
        assert_eq!(check_any_insurer_number("３１００１１").unwrap(), "310011");
        assert!(matches!(
            check_any_insurer_number("01130013"),
            Err(IdError::CheckDigit { .. })
        ));
        let e = check_any_insurer_number("0113001").unwrap_err();
        assert!(matches!(e, IdError::WrongLength { .. }));
        assert_eq!(
            e.message_ja(),
            "保険者番号は6桁または8桁の数字で入力してください（7桁が入力されました）"
        );
    }
}
