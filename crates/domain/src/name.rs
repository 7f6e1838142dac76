//! Names and the kana search key.
//!
//! Names are stored exactly as given, never normalised: NFC/NFKC would turn
//! compatibility ideographs such as 神 (U+FA19) into their unified forms
//! (U+795E) and drop the distinction the resident registry records (住民基本
//! 台帳法 第7条第1号, 氏名の記載は戸籍の記載と一致させる — 住民基本台帳事務処理要領).
//! Searching goes through [`kana_search_key`] instead.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Longest name accepted, in Unicode scalar values (a variation selector
/// counts as one).
pub const MAX_NAME_CHARS: usize = 100;

/// Why a name was rejected. Names are personal information, so errors carry
/// the field and a position, never the name.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum NameError {
    #[error("{field}: empty")]
    Empty { field: &'static str },
    /// `position` is 1-based, in characters.
    #[error("{field}: character {position} is a control character")]
    ControlChar {
        field: &'static str,
        position: usize,
    },
    #[error("{field}: {actual} characters, at most {max} allowed")]
    TooLong {
        field: &'static str,
        max: usize,
        actual: usize,
    },
    #[error("{field}: character {position} is not kana")]
    NotKana {
        field: &'static str,
        position: usize,
    },
}

impl NameError {
    pub fn field(&self) -> &'static str {
        match self {
            NameError::Empty { field }
            | NameError::ControlChar { field, .. }
            | NameError::TooLong { field, .. }
            | NameError::NotKana { field, .. } => field,
        }
    }

    /// The message for staff screens.
    pub fn message_ja(&self) -> String {
        let label = match self.field() {
            "name_kana" => "カナ氏名",
            _ => "氏名",
        };
        match self {
            NameError::Empty { .. } => format!("{label}を入力してください"),
            NameError::ControlChar { position, .. } => {
                format!("{label}の{position}文字目に使用できない制御文字があります")
            }
            NameError::TooLong { max, actual, .. } => {
                format!("{label}は{max}文字以内で入力してください（{actual}文字が入力されました）")
            }
            NameError::NotKana { position, .. } => format!(
                "{label}の{position}文字目がカナではありません（ひらがな・カタカナで入力してください）"
            ),
        }
    }
}

/// Checks shared by both name types: not blank, not too long.
fn check_common(field: &'static str, s: &str) -> Result<(), NameError> {
    if s.chars().all(char::is_whitespace) {
        return Err(NameError::Empty { field });
    }
    let n = s.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(NameError::TooLong {
            field,
            max: MAX_NAME_CHARS,
            actual: n,
        });
    }
    Ok(())
}

/// 氏名, kept byte for byte: U+3000 between surname and given name,
/// compatibility ideographs, ideographic variation sequences (U+E0100–
/// E01EF) and plane-2 characters such as 𠮷 all survive.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    const FIELD: &'static str = "name";

    /// Rejects blank names, control characters and more than
    /// [`MAX_NAME_CHARS`] characters; keeps everything else as given
    /// (no trimming either).
    pub fn parse(s: &str) -> Result<PersonName, NameError> {
        check_common(Self::FIELD, s)?;
        if let Some(i) = s.chars().position(char::is_control) {
            return Err(NameError::ControlChar {
                field: Self::FIELD,
                position: i + 1,
            });
        }
        Ok(PersonName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Characters a カナ氏名 may contain.
fn is_kana_name_char(c: char) -> bool {
    matches!(c,
        // Hiragana ぁ–ゖ, combining and spacing (han)dakuten ゙゚゛゜, ゝゞゟ.
        '\u{3041}'..='\u{3096}' | '\u{3099}'..='\u{309F}'
        // Katakana ァ–ヺ, ・, ー, ヽヾ.
        | '\u{30A1}'..='\u{30FE}'
        // Small katakana for Ainu (ㇰ…ㇿ), seen in registered kana.
        | '\u{31F0}'..='\u{31FF}'
        // Half-width katakana block, including ｰ ﾞ ﾟ and ･.
        | '\u{FF61}'..='\u{FF9F}'
        | ' ' | '\u{3000}')
}

/// カナ氏名: hiragana, katakana (full- or half-width), ー, ・, voiced marks
/// and spaces; kept as given. Compare through [`KanaName::search_key`].
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KanaName(String);

impl KanaName {
    const FIELD: &'static str = "name_kana";

    pub fn parse(s: &str) -> Result<KanaName, NameError> {
        check_common(Self::FIELD, s)?;
        if let Some(i) = s.chars().position(|c| !is_kana_name_char(c)) {
            return Err(NameError::NotKana {
                field: Self::FIELD,
                position: i + 1,
            });
        }
        Ok(KanaName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// See [`kana_search_key`].
    pub fn search_key(&self) -> String {
        kana_search_key(&self.0)
    }
}

macro_rules! name_impls {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $t {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
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

name_impls!(PersonName);
name_impls!(KanaName);

/// The key kana names are compared by; used on stored names and on search
/// input alike.
///
/// 1. NFKC: half-width katakana become full-width and ﾀﾞ joins into ダ.
/// 2. Hiragana become katakana (ぁ–ゖ → ァ–ヶ, ゝゞ → ヽヾ).
/// 3. Every whitespace character is removed.
/// 4. NFC again: NFKC turns a spacing ゛ into a space and a combining mark,
///    so after step 3 "か゛" would be カ + U+3099; recomposing gives ガ, as
///    for "が", and makes the key idempotent.
///
/// Small kana stay distinct (ッ ≠ ツ), as do ヴ and ブ.
pub fn kana_search_key(s: &str) -> String {
    let folded: String = s
        .nfkc()
        .filter_map(|c| {
            if c.is_whitespace() {
                return None;
            }
            Some(match c {
                '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
                    char::from_u32(c as u32 + 0x60).unwrap_or(c)
                }
                _ => c,
            })
        })
        .collect();
    folded.nfc().collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn person_name_kept_exactly() {
        for s in [
            "山田\u{3000}太郎",
            "\u{FA19}田\u{3000}一郎",
            "\u{20BB7}野\u{3000}花子",
            "\u{845B}\u{E0100}城\u{3000}次郎",
            " 髙橋 ",
            "Smith John",
        ] {
            let n = PersonName::parse(s).unwrap();
            assert_eq!(n.as_str().as_bytes(), s.as_bytes());
            assert_eq!(n.to_string(), s);
        }
        let n = PersonName::parse("\u{FA19}").unwrap();
        assert!(!n.as_str().contains('\u{795E}'));
        assert_eq!(n.as_str(), "\u{FA19}");
    }

    #[test]
    fn person_name_errors() {
        for s in ["", " ", "\u{3000}\u{3000}", "\t"] {
            assert_eq!(
                PersonName::parse(s).unwrap_err(),
                NameError::Empty { field: "name" }
            );
        }
        let e = PersonName::parse("山田\n太郎").unwrap_err();
        assert_eq!(
            e,
            NameError::ControlChar {
                field: "name",
                position: 3
            }
        );
        assert!(!e.message_ja().contains("山田"));
        assert!(PersonName::parse(&"あ".repeat(100)).is_ok());
        let e = PersonName::parse(&"あ".repeat(101)).unwrap_err();
        assert_eq!(
            e.message_ja(),
            "氏名は100文字以内で入力してください（101文字が入力されました）"
        );
        assert_eq!(e.field(), "name");
    }

    #[test]
    fn kana_name_accepts_and_rejects() {
        for s in [
            "ヤマダ タロウ",
            "やまだ\u{3000}たろう",
            "ﾔﾏﾀﾞ ﾀﾛｳ",
            "ヴァン・ナム",
            "か゛",
            "ｱｲﾇ ㇷ゚",
        ] {
            assert_eq!(KanaName::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(
            KanaName::parse("山田 タロウ").unwrap_err(),
            NameError::NotKana {
                field: "name_kana",
                position: 1
            }
        );
        assert_eq!(
            KanaName::parse("ヤマダ taro").unwrap_err(),
            NameError::NotKana {
                field: "name_kana",
                position: 5
            }
        );
        assert!(KanaName::parse("ヤマダ1").is_err());
        assert!(matches!(
            KanaName::parse("\u{3000}").unwrap_err(),
            NameError::Empty { .. }
        ));
        assert_eq!(
            KanaName::parse("x").unwrap_err().message_ja(),
            "カナ氏名の1文字目がカナではありません（ひらがな・カタカナで入力してください）"
        );
    }

    #[test]
    fn search_key() {
        for s in [
            "ﾔﾏﾀﾞ ﾀﾛｳ",
            "やまだ\u{3000}たろう",
            "ヤマダ タロウ",
            "ヤマダ\tタロウ",
        ] {
            assert_eq!(kana_search_key(s), "ヤマダタロウ", "{s}");
        }
        assert_eq!(
            KanaName::parse("やまだ たろう").unwrap().search_key(),
            "ヤマダタロウ"
        );
        assert_eq!(kana_search_key("まつもと"), "マツモト");
        assert_ne!(kana_search_key("ハットリ"), kana_search_key("ハツトリ"));
        assert_eq!(kana_search_key("ゝゞ"), "ヽヾ");
        assert_eq!(kana_search_key("ｳﾞｧ"), "ヴァ");
        assert_eq!(kana_search_key("か゛"), kana_search_key("が"));
        assert_eq!(kana_search_key("ゔ"), "ヴ");
    }

    #[test]
    fn serde_validates() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StringDeserializer};
        let ok: StringDeserializer<DeError> = "山田\u{3000}太郎".to_owned().into_deserializer();
        assert_eq!(
            PersonName::deserialize(ok).unwrap().as_str(),
            "山田\u{3000}太郎"
        );
        let bad: StringDeserializer<DeError> = "山田".to_owned().into_deserializer();
        assert!(KanaName::deserialize(bad).is_err());
    }

    fn kana_char() -> impl Strategy<Value = char> {
        prop_oneof![
            (0x3041u32..=0x3096).prop_map(|c| char::from_u32(c).unwrap()),
            (0x3099u32..=0x309F).prop_map(|c| char::from_u32(c).unwrap()),
            (0x30A1u32..=0x30FE).prop_map(|c| char::from_u32(c).unwrap()),
            (0x31F0u32..=0x31FF).prop_map(|c| char::from_u32(c).unwrap()),
            (0xFF61u32..=0xFF9F).prop_map(|c| char::from_u32(c).unwrap()),
            Just(' '),
            Just('\u{3000}'),
        ]
    }

    proptest! {
        #[test]
        fn key_is_idempotent(chars in proptest::collection::vec(kana_char(), 0..30)) {
            let s: String = chars.into_iter().collect();
            if !s.trim().is_empty() {
                prop_assert!(KanaName::parse(&s).is_ok());
            }
            let k = kana_search_key(&s);
            prop_assert_eq!(kana_search_key(&k), k.clone());
            prop_assert!(!k.chars().any(char::is_whitespace));
        }

        #[test]
        fn key_never_has_whitespace(s in "\\PC*") {
            prop_assert!(!kana_search_key(&s).chars().any(char::is_whitespace));
        }

        #[test]
        fn person_name_round_trips(s in "[^\\p{Cc}]{1,100}") {
            prop_assume!(!s.chars().all(char::is_whitespace));
            let n = PersonName::parse(&s).unwrap();
            prop_assert_eq!(n.as_str(), s.as_str());
        }
    }
}
