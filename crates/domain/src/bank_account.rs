//! Bank accounts for payments (口座): the checks an account must pass
//! before a benefit can be paid into it, and the characters a holder's
//! name may have in the bank-transfer file (全銀 総合振込).
//!
//! The rules are those of the transfer format (docs/formats/zengin.md):
//! bank code 4 digits, branch code 3, account number up to 7 (written
//! zero-filled to 7), the holder's name in half-width katakana, upper-case
//! Latin letters, digits and `( ) . - / , \` — 30 characters at most,
//! voiced marks counted. A name that cannot be converted is refused with the
//! character named; nothing is dropped.

/// 預金種目.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountType {
    /// 普通預金
    Ordinary,
    /// 当座預金
    Current,
    /// 貯蓄預金 (data records only)
    Savings,
    /// その他
    Other,
}

impl AccountType {
    pub fn code(self) -> char {
        match self {
            AccountType::Ordinary => '1',
            AccountType::Current => '2',
            AccountType::Savings => '4',
            AccountType::Other => '9',
        }
    }

    pub fn from_code(c: char) -> Option<AccountType> {
        Some(match c {
            '1' => AccountType::Ordinary,
            '2' => AccountType::Current,
            '4' => AccountType::Savings,
            '9' => AccountType::Other,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountType::Ordinary => "普通",
            AccountType::Current => "当座",
            AccountType::Savings => "貯蓄",
            AccountType::Other => "その他",
        }
    }
}

/// How the long vowel mark (ー) is written: banks' character tables
/// disagree on ｰ (0xB0); every table accepts `-`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LongVowel {
    #[default]
    Hyphen,
    HalfWidthMark,
}

/// A character the transfer format cannot carry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("character {ch:?} at position {position} cannot be written in a transfer file")]
pub struct KanaError {
    /// 1-based, in characters
    pub position: usize,
    pub ch: char,
}

impl KanaError {
    pub fn message_ja(&self) -> String {
        format!(
            "{}文字目の「{}」は振込データに使えない文字です（カナ・英大文字・数字・記号 ( ) . - / , で入力してください）",
            self.position, self.ch
        )
    }
}

/// Full-size half-width katakana for each katakana (U+30A1..=U+30FA),
/// without voicing: (base, voiced mark) — `None` where the format has no
/// way to write it.
fn katakana_half(c: char) -> Option<(char, Option<char>)> {
    const DAKU: char = 'ﾞ';
    const HANDAKU: char = 'ﾟ';
    let plain = |b| Some((b, None));
    let daku = |b| Some((b, Some(DAKU)));
    let handaku = |b| Some((b, Some(HANDAKU)));
    match c {
        // small kana become full size (全銀: 小書き文字は使えない)
        'ァ' | 'ア' => plain('ｱ'),
        'ィ' | 'イ' | 'ヰ' => plain('ｲ'),
        'ゥ' | 'ウ' => plain('ｳ'),
        'ェ' | 'エ' | 'ヱ' => plain('ｴ'),
        'ォ' | 'オ' => plain('ｵ'),
        'カ' | 'ヵ' => plain('ｶ'),
        'ガ' => daku('ｶ'),
        'キ' => plain('ｷ'),
        'ギ' => daku('ｷ'),
        'ク' => plain('ｸ'),
        'グ' => daku('ｸ'),
        'ケ' | 'ヶ' => plain('ｹ'),
        'ゲ' => daku('ｹ'),
        'コ' => plain('ｺ'),
        'ゴ' => daku('ｺ'),
        'サ' => plain('ｻ'),
        'ザ' => daku('ｻ'),
        'シ' => plain('ｼ'),
        'ジ' => daku('ｼ'),
        'ス' => plain('ｽ'),
        'ズ' => daku('ｽ'),
        'セ' => plain('ｾ'),
        'ゼ' => daku('ｾ'),
        'ソ' => plain('ｿ'),
        'ゾ' => daku('ｿ'),
        'タ' => plain('ﾀ'),
        'ダ' => daku('ﾀ'),
        'チ' => plain('ﾁ'),
        'ヂ' => daku('ﾁ'),
        'ッ' | 'ツ' => plain('ﾂ'),
        'ヅ' => daku('ﾂ'),
        'テ' => plain('ﾃ'),
        'デ' => daku('ﾃ'),
        'ト' => plain('ﾄ'),
        'ド' => daku('ﾄ'),
        'ナ' => plain('ﾅ'),
        'ニ' => plain('ﾆ'),
        'ヌ' => plain('ﾇ'),
        'ネ' => plain('ﾈ'),
        'ノ' => plain('ﾉ'),
        'ハ' => plain('ﾊ'),
        'バ' => daku('ﾊ'),
        'パ' => handaku('ﾊ'),
        'ヒ' => plain('ﾋ'),
        'ビ' => daku('ﾋ'),
        'ピ' => handaku('ﾋ'),
        'フ' => plain('ﾌ'),
        'ブ' => daku('ﾌ'),
        'プ' => handaku('ﾌ'),
        'ヘ' => plain('ﾍ'),
        'ベ' => daku('ﾍ'),
        'ペ' => handaku('ﾍ'),
        'ホ' => plain('ﾎ'),
        'ボ' => daku('ﾎ'),
        'ポ' => handaku('ﾎ'),
        'マ' => plain('ﾏ'),
        'ミ' => plain('ﾐ'),
        'ム' => plain('ﾑ'),
        'メ' => plain('ﾒ'),
        'モ' => plain('ﾓ'),
        'ャ' | 'ヤ' => plain('ﾔ'),
        'ュ' | 'ユ' => plain('ﾕ'),
        'ョ' | 'ヨ' => plain('ﾖ'),
        'ラ' => plain('ﾗ'),
        'リ' => plain('ﾘ'),
        'ル' => plain('ﾙ'),
        'レ' => plain('ﾚ'),
        'ロ' => plain('ﾛ'),
        'ヮ' | 'ワ' => plain('ﾜ'),
        'ヲ' => plain('ｦ'),
        'ン' => plain('ﾝ'),
        'ヴ' => daku('ｳ'),
        // ヷ ヸ ヹ ヺ: no way to write them
        _ => None,
    }
}

/// Half-width katakana as the format allows them: small ones made full
/// size, the middle dot a full stop.
fn half_width_kana(c: char, long_vowel: LongVowel) -> Option<char> {
    Some(match c {
        'ｧ' => 'ｱ',
        'ｨ' => 'ｲ',
        'ｩ' => 'ｳ',
        'ｪ' => 'ｴ',
        'ｫ' => 'ｵ',
        'ｬ' => 'ﾔ',
        'ｭ' => 'ﾕ',
        'ｮ' => 'ﾖ',
        'ｯ' => 'ﾂ',
        'ｰ' => long_vowel_char(long_vowel),
        '･' => '.',
        'ｦ'..='ﾟ' => c,
        _ => return None,
    })
}

fn long_vowel_char(long_vowel: LongVowel) -> char {
    match long_vowel {
        LongVowel::Hyphen => '-',
        LongVowel::HalfWidthMark => 'ｰ',
    }
}

/// The symbols the format allows besides digits, A–Z and space.
const SYMBOLS: &str = "().-/,\\";

/// A name (or any text field) in the characters of the transfer format:
/// hiragana and katakana become half-width katakana (voiced marks apart,
/// small kana full size), Latin letters upper case, full-width digits and
/// symbols half-width, 「・」 a full stop, ー as `long_vowel` says. Any
/// other character is refused, named.
pub fn to_transfer_kana(s: &str, long_vowel: LongVowel) -> Result<String, KanaError> {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        let refuse = || KanaError {
            position: i + 1,
            ch: c,
        };
        // full-width ASCII (Ａ, ０, （ …) to ASCII
        let c = match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        match c {
            '0'..='9' | 'A'..='Z' | ' ' => out.push(c),
            'a'..='z' => out.push(c.to_ascii_uppercase()),
            _ if SYMBOLS.contains(c) => out.push(c),
            '・' => out.push('.'),
            'ー' => out.push(long_vowel_char(long_vowel)),
            '‐' | '－' | '−' | '—' | '―' => out.push('-'),
            // hiragana to katakana (ぁ..ゖ and ゔ)
            '\u{3041}'..='\u{3096}' => {
                let k = char::from_u32(c as u32 + 0x60).ok_or_else(refuse)?;
                let (b, m) = katakana_half(k).ok_or_else(refuse)?;
                out.push(b);
                out.extend(m);
            }
            '\u{30A1}'..='\u{30FA}' => {
                let (b, m) = katakana_half(c).ok_or_else(refuse)?;
                out.push(b);
                out.extend(m);
            }
            // a combining voiced mark after a kana
            '\u{3099}' | '\u{309B}' => out.push('ﾞ'),
            '\u{309A}' | '\u{309C}' => out.push('ﾟ'),
            _ => out.push(half_width_kana(c, long_vowel).ok_or_else(refuse)?),
        }
    }
    Ok(out)
}

/// The largest holder name in the transfer file (受取人名), in half-width
/// characters.
pub const HOLDER_MAX: usize = 30;

/// An account as given (on an application, or as registered as the
/// 公金受取口座).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankAccount {
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: AccountType,
    /// 1 to 7 digits
    pub number: String,
    /// the holder's name as the bank has it (口座名義, kana)
    pub holder: String,
}

/// One field an account was refused on: the field and why (never the
/// value: an account is personal data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountError {
    pub field: &'static str,
    pub reason: String,
    pub reason_ja: String,
}

/// An account that passed: the number zero-filled to 7 digits and the
/// holder's name as the transfer file will carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedAccount {
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: AccountType,
    pub number: String,
    pub holder: String,
    pub holder_transfer: String,
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl BankAccount {
    /// Checks every field, naming each one that fails.
    pub fn check(&self, long_vowel: LongVowel) -> Result<CheckedAccount, Vec<AccountError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &'static str, en: &str, ja: String| {
            errors.push(AccountError {
                field,
                reason: en.to_string(),
                reason_ja: ja,
            });
        };
        let bank = self.bank_code.trim();
        if bank.len() != 4 || !digits(bank) {
            fail(
                "bank_code",
                "must be 4 digits",
                "金融機関コードは4桁の数字です".into(),
            );
        }
        let branch = self.branch_code.trim();
        if branch.len() != 3 || !digits(branch) {
            fail(
                "branch_code",
                "must be 3 digits",
                "支店コードは3桁の数字です".into(),
            );
        }
        let number = self.number.trim();
        if number.len() > 7 || !digits(number) {
            fail(
                "number",
                "must be 1 to 7 digits",
                "口座番号は7桁以内の数字です".into(),
            );
        } else if number.bytes().all(|b| b == b'0') {
            fail(
                "number",
                "must not be all zeros",
                "口座番号が0だけです".into(),
            );
        }
        let holder = self.holder.trim();
        let mut holder_transfer = String::new();
        if holder.is_empty() {
            fail(
                "holder",
                "is empty",
                "口座名義（カナ）を入力してください".into(),
            );
        } else {
            match to_transfer_kana(holder, long_vowel) {
                Ok(k) if k.chars().count() > HOLDER_MAX => fail(
                    "holder",
                    "longer than 30 characters in the transfer file",
                    format!(
                        "口座名義は振込データで半角{}文字になり、{HOLDER_MAX}文字を超えます（濁点・半濁点も1文字です）",
                        k.chars().count()
                    ),
                ),
                Ok(k) => holder_transfer = k,
                Err(e) => fail(
                    "holder",
                    "has a character the transfer file cannot carry",
                    e.message_ja(),
                ),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CheckedAccount {
            bank_code: bank.to_string(),
            branch_code: branch.to_string(),
            account_type: self.account_type,
            number: format!("{number:0>7}"),
            holder: holder.to_string(),
            holder_transfer,
        })
    }
}

/// An account number as a screen shows it to a role that does not need it
/// whole: all but the last three digits hidden.
pub fn masked(number: &str) -> String {
    let n = number.chars().count();
    let shown = n.min(3);
    format!(
        "{}{}",
        "*".repeat(n - shown),
        number.chars().skip(n - shown).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn account(bank: &str, branch: &str, number: &str, holder: &str) -> BankAccount {
        BankAccount {
            bank_code: bank.into(),
            branch_code: branch.into(),
            account_type: AccountType::Ordinary,
            number: number.into(),
            holder: holder.into(),
        }
    }

    #[test]
    fn a_good_account_is_normalised_for_the_transfer_file() {
        let c = account("0166", "123", "12345", "ヤマダ　タロウ")
            .check(LongVowel::Hyphen)
            .unwrap();
        assert_eq!(c.number, "0012345");
        assert_eq!(c.holder_transfer, "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(c.holder, "ヤマダ　タロウ");
    }

    #[test]
    fn every_bad_field_is_named_and_the_character_too() {
        let e = account("166", "12a", "12345678", "山田 タロウ")
            .check(LongVowel::Hyphen)
            .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["bank_code", "branch_code", "number", "holder"]);
        assert!(e[3].reason_ja.contains("「山」"), "{}", e[3].reason_ja);
        assert_eq!(
            account("0166", "123", "0000000", "ア")
                .check(LongVowel::Hyphen)
                .unwrap_err()[0]
                .field,
            "number"
        );
        assert_eq!(
            account("0166", "123", "1", " ")
                .check(LongVowel::Hyphen)
                .unwrap_err()[0]
                .field,
            "holder"
        );
        let long = "ガ".repeat(16);
        let e = account("0166", "123", "1", &long)
            .check(LongVowel::Hyphen)
            .unwrap_err();
        assert!(e[0].reason_ja.contains("32文字"), "{}", e[0].reason_ja);
    }

    #[test]
    fn a_masked_number_shows_the_last_three_digits() {
        assert_eq!(masked("0012345"), "****345");
        assert_eq!(masked("12"), "12");
    }
}
