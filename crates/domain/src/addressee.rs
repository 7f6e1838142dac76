//! The addressee registry (宛名情報ファイル): persons and households as the
//! resident registry (住民基本台帳) sees them, plus persons registered outside
//! it (住登外).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::id::{AddresseeId, IdError, InsurerNumber, IntegratedAddresseeId};
use crate::name::{KanaName, PersonName};

/// 世帯番号: an opaque internal number, like 宛名番号.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HouseholdNumber(String);

impl HouseholdNumber {
    const FIELD: &'static str = "household_number";

    /// 1 to 15 digits; full-width digits are accepted and stored as ASCII.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let digits = crate::id::normalise_digits(Self::FIELD, s)?;
        if digits.len() > 15 {
            return Err(IdError::WrongLength {
                field: Self::FIELD,
                expected: "1〜15",
                actual: digits.chars().count(),
            });
        }
        Ok(Self(digits))
    }

    /// The system assigns 10-digit numbers, like addressee ids, so that no
    /// internal number can be mistaken for a 12-digit My Number.
    pub fn from_u64(n: u64) -> Self {
        Self(format!("{:010}", n % 10_000_000_000))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for HouseholdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for HouseholdNumber {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<HouseholdNumber> for String {
    fn from(h: HouseholdNumber) -> String {
        h.0
    }
}

/// 男女の別, with the codes of the resident registry and the claim records
/// (1 男, 2 女). 9 is kept for records where the sex is not stated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    NotStated,
}

impl Sex {
    pub fn code(self) -> i16 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
            Sex::NotStated => 9,
        }
    }

    pub fn from_code(code: i16) -> Option<Sex> {
        match code {
            1 => Some(Sex::Male),
            2 => Some(Sex::Female),
            9 => Some(Sex::NotStated),
            _ => None,
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
            Sex::NotStated => "不詳",
        }
    }
}

/// 住民 (on this town's resident registry) or 住登外 (known to the town, e.g.
/// a taxpayer or an address-exception insured, but registered elsewhere).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidentStatus {
    Resident,
    NonResident,
}

impl ResidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResidentStatus::Resident => "resident",
            ResidentStatus::NonResident => "non_resident",
        }
    }

    pub fn parse(s: &str) -> Option<ResidentStatus> {
        match s {
            "resident" => Some(ResidentStatus::Resident),
            "non_resident" => Some(ResidentStatus::NonResident),
            _ => None,
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            ResidentStatus::Resident => "住民",
            ResidentStatus::NonResident => "住登外",
        }
    }
}

/// 続柄 (relationship to the householder). Codes follow the values seen in
/// the 住民記録システム標準仕様 code bases (02 世帯主, 11 夫, 12 妻, 20 子, …);
/// see docs/formats/addressee.md — to be checked against the official code
/// table when it can be read.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    Householder,
    Husband,
    Wife,
    Child,
    Father,
    Mother,
    Grandchild,
    Other,
    Cohabitant,
}

impl Relationship {
    pub const ALL: [Relationship; 9] = [
        Relationship::Householder,
        Relationship::Husband,
        Relationship::Wife,
        Relationship::Child,
        Relationship::Father,
        Relationship::Mother,
        Relationship::Grandchild,
        Relationship::Other,
        Relationship::Cohabitant,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Relationship::Householder => "02",
            Relationship::Husband => "11",
            Relationship::Wife => "12",
            Relationship::Child => "20",
            Relationship::Father => "51",
            Relationship::Mother => "52",
            Relationship::Grandchild => "71",
            Relationship::Other => "90",
            Relationship::Cohabitant => "99",
        }
    }

    pub fn from_code(code: &str) -> Option<Relationship> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Relationship::Householder => "世帯主",
            Relationship::Husband => "夫",
            Relationship::Wife => "妻",
            Relationship::Child => "子",
            Relationship::Father => "父",
            Relationship::Mother => "母",
            Relationship::Grandchild => "孫",
            Relationship::Other => "その他の親族",
            Relationship::Cohabitant => "同居人",
        }
    }
}

/// One person of the addressee registry. The name is kept exactly as
/// registered; `name_kana` carries the search key.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Addressee {
    pub insurer_number: InsurerNumber,
    pub addressee_id: AddresseeId,
    pub integrated_addressee_id: IntegratedAddresseeId,
    pub name: PersonName,
    pub name_kana: KanaName,
    pub birth_date: Date,
    pub sex: Sex,
    pub postal_code: String,
    pub address: String,
    pub resident_status: ResidentStatus,
    pub household_number: HouseholdNumber,
    pub relationship: Relationship,
    pub registered_on: Date,
    pub removed_on: Option<Date>,
}

/// A resident-registry household (世帯).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Household {
    pub insurer_number: InsurerNumber,
    pub household_number: HouseholdNumber,
    pub householder: AddresseeId,
    pub postal_code: String,
    pub address: String,
    pub registered_on: Date,
    pub removed_on: Option<Date>,
}

/// Why an addressee record is not acceptable; names the field.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum AddresseeError {
    #[error("{field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
        reason_ja: &'static str,
    },
}

impl AddresseeError {
    pub fn field(&self) -> &'static str {
        match self {
            AddresseeError::Invalid { field, .. } => field,
        }
    }

    pub fn message_ja(&self) -> String {
        match self {
            AddresseeError::Invalid { reason_ja, .. } => (*reason_ja).to_string(),
        }
    }
}

/// 〒 postal code: 7 digits, written 123-4567. Full-width digits and a
/// missing hyphen are accepted.
pub fn parse_postal_code(s: &str) -> Result<String, AddresseeError> {
    let digits: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '-' | '－' | 'ー' | '〒'))
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            _ => c,
        })
        .collect();
    if digits.len() != 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AddresseeError::Invalid {
            field: "postal_code",
            reason: "a postal code has 7 digits (123-4567)",
            reason_ja: "郵便番号は7桁の数字で入力してください（例: 680-0461）",
        });
    }
    Ok(format!("{}-{}", &digits[..3], &digits[3..]))
}

/// Checks what a single record must satisfy on its own; the store checks
/// what needs other records (household exists, ids unique).
pub fn validate(a: &Addressee) -> Result<(), AddresseeError> {
    if a.address.trim().is_empty() || a.address.chars().any(char::is_control) {
        return Err(AddresseeError::Invalid {
            field: "address",
            reason: "the address is empty or contains control characters",
            reason_ja: "住所が空か、使用できない文字を含んでいます",
        });
    }
    if a.birth_date > a.registered_on {
        return Err(AddresseeError::Invalid {
            field: "registered_on",
            reason: "registration is before the birth date",
            reason_ja: "登録日が生年月日より前です",
        });
    }
    if let Some(removed) = a.removed_on
        && removed < a.registered_on
    {
        return Err(AddresseeError::Invalid {
            field: "removed_on",
            reason: "removal is before registration",
            reason_ja: "消除日が登録日より前です",
        });
    }
    parse_postal_code(&a.postal_code)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn postal_codes_are_normalised() {
        assert_eq!(parse_postal_code("6800461").unwrap(), "680-0461");
        assert_eq!(parse_postal_code("〒６８０－０４６１").unwrap(), "680-0461");
        assert_eq!(
            parse_postal_code("680-046").unwrap_err().field(),
            "postal_code"
        );
        assert!(parse_postal_code("68a-0461").is_err());
    }

    #[test]
    fn codes_round_trip() {
        for r in Relationship::ALL {
            assert_eq!(Relationship::from_code(r.code()), Some(r));
        }
        for s in [Sex::Male, Sex::Female, Sex::NotStated] {
            assert_eq!(Sex::from_code(s.code()), Some(s));
        }
        assert_eq!(Sex::from_code(3), None);
        assert_eq!(
            ResidentStatus::parse("resident"),
            Some(ResidentStatus::Resident)
        );
        assert_eq!(ResidentStatus::parse("x"), None);
    }

    #[test]
    fn household_numbers_are_ten_digits() {
        assert_eq!(HouseholdNumber::from_u64(42).as_str(), "0000000042");
        assert!(HouseholdNumber::parse("１２３").is_ok());
        assert!(HouseholdNumber::parse("1234567890123456").is_err());
    }
}
