//! The addressee registry's use cases: search, a person, a household,
//! registering a person (with a My Number into the vault), finding a person
//! by My Number.

use kokuho_domain::addressee::{
    self, Addressee, Household, HouseholdNumber, Relationship, ResidentStatus, Sex,
};
use kokuho_domain::id::{AddresseeId, IntegratedAddresseeId, MyNumber};
use kokuho_domain::name::{KanaName, PersonName};
use kokuho_domain::wareki;
use kokuho_store::addressee as repo;
use kokuho_store::vault::{self as vault_repo, VaultEntry};
use time::{Date, OffsetDateTime};

use crate::{AppError, Kokuho, Result};

/// Offset between an addressee number and its integrated addressee number in
/// ids this system assigns; a real 団体内統合宛名システム assigns its own.
pub const INTEGRATED_ID_OFFSET: u64 = 5_000_000_000;

/// Search criteria as typed at the counter or passed to the API.
#[derive(Clone, Debug, Default)]
pub struct PersonSearch {
    pub kana: Option<String>,
    pub name: Option<String>,
    /// 和暦 or ISO (R6.1.1, 令和6年1月1日, 2024-01-01).
    pub birth_date: Option<String>,
    pub addressee_id: Option<String>,
    /// 被保険者記号 (optional with the number)
    pub insured_symbol: Option<String>,
    /// 被保険者番号: finds the members of that NHI household
    pub insured_number: Option<String>,
    pub limit: Option<u32>,
}

/// A person with their household, and whether the vault holds their number
/// (never the number itself).
#[derive(Clone, Debug)]
pub struct PersonView {
    pub person: Addressee,
    pub household: Option<Household>,
    pub has_my_number: bool,
}

#[derive(Clone, Debug)]
pub struct HouseholdView {
    pub household: Household,
    pub members: Vec<Addressee>,
}

/// A person to register, as entered (every field is checked here).
#[derive(Clone, Debug, Default)]
pub struct NewPerson {
    pub name: String,
    pub name_kana: String,
    pub birth_date: String,
    pub sex: String,
    pub postal_code: String,
    pub address: String,
    pub resident_status: Option<String>,
    /// An existing household; none starts a new one with this person as householder.
    pub household_number: Option<String>,
    /// 続柄 code (e.g. "20" 子); required when joining a household.
    pub relationship: Option<String>,
    pub registered_on: String,
    pub my_number: Option<String>,
}

pub fn parse_date(field: &'static str, s: &str) -> Result<Date> {
    wareki::parse_date(s).map_err(|e| AppError::from(e).for_field(field))
}

fn parse_sex(s: &str) -> Result<Sex> {
    match s.trim() {
        "1" | "male" | "男" => Ok(Sex::Male),
        "2" | "female" | "女" => Ok(Sex::Female),
        "9" | "not_stated" => Ok(Sex::NotStated),
        _ => Err(AppError::invalid(
            "sex",
            "sex must be 1 (male), 2 (female) or 9 (not stated)",
            "性別は 1（男）、2（女）、9（不詳）のいずれかです",
        )),
    }
}

impl Kokuho {
    pub async fn search_persons(&self, s: &PersonSearch) -> Result<Vec<Addressee>> {
        let birth_date = s
            .birth_date
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(|d| parse_date("birth_date", d))
            .transpose()?;
        let addressee_id = s
            .addressee_id
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(|d| AddresseeId::parse(d).map_err(|e| AppError::from(e).for_field("addressee_id")))
            .transpose()?;
        let household_number = match s
            .insured_number
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            None => None,
            Some(number) => {
                let number = kokuho_domain::id::InsuredNumber::parse(number)
                    .map_err(|e| AppError::from(e).for_field("insured_number"))?;
                let symbol = s
                    .insured_symbol
                    .as_deref()
                    .map(str::trim)
                    .filter(|x| !x.is_empty());
                let found = kokuho_store::eligibility::households_by_insured_number(
                    &self.db,
                    &self.insurer,
                    symbol,
                    number.as_str(),
                )
                .await?;
                match found.into_iter().next() {
                    Some(h) => Some(h),
                    None => return Ok(vec![]),
                }
            }
        };
        let mut q = repo::PersonQuery {
            kana: s.kana.clone(),
            name: s.name.clone(),
            name_match: repo::NameMatch::Prefix,
            birth_date,
            addressee_id,
            limit: s.limit.unwrap_or(50),
            household_number,
        };
        if q.kana.as_deref().is_none_or(|k| k.trim().is_empty())
            && q.name.as_deref().is_none_or(|k| k.trim().is_empty())
            && q.birth_date.is_none()
            && q.addressee_id.is_none()
            && q.household_number.is_none()
        {
            return Err(AppError::invalid(
                "query",
                "give at least one of kana, name, birth_date, addressee_id, insured_number",
                "カナ氏名・氏名・生年月日・宛名番号・被保険者番号のいずれかを入力してください",
            ));
        }
        // The name's beginning first (the index); any part only when that finds nobody.
        let found = repo::search(&self.db, &self.insurer, &q).await?;
        if found.is_empty() && q.name.as_deref().is_some_and(|n| !n.trim().is_empty()) {
            q.name_match = repo::NameMatch::Contains;
            return Ok(repo::search(&self.db, &self.insurer, &q).await?);
        }
        Ok(found)
    }

    pub async fn person(&self, addressee_id: &str) -> Result<PersonView> {
        let id = AddresseeId::parse(addressee_id)?;
        let person = repo::get_person(&self.db, &self.insurer, &id)
            .await?
            .ok_or(AppError::NotFound {
                what: "person",
                message_ja: "該当する宛名がありません",
            })?;
        self.view(person).await
    }

    async fn view(&self, person: Addressee) -> Result<PersonView> {
        let household =
            repo::get_household(&self.db, &self.insurer, &person.household_number).await?;
        let has_my_number =
            vault_repo::sealed_for(&self.db, &self.insurer, &person.integrated_addressee_id)
                .await?
                .is_some();
        Ok(PersonView {
            person,
            household,
            has_my_number,
        })
    }

    pub async fn household(&self, household_number: &str) -> Result<HouseholdView> {
        let number = HouseholdNumber::parse(household_number)?;
        let household = repo::get_household(&self.db, &self.insurer, &number)
            .await?
            .ok_or(AppError::NotFound {
                what: "household",
                message_ja: "該当する世帯がありません",
            })?;
        let members = repo::household_members(&self.db, &self.insurer, &number).await?;
        Ok(HouseholdView { household, members })
    }

    /// Finds the person holding a My Number through the vault's keyed hash;
    /// nothing is decrypted.
    pub async fn find_by_my_number(&self, my_number: &str) -> Result<PersonView> {
        let number = MyNumber::parse(my_number)?;
        let lookup = self.keyring.lookup_hash(&number);
        let not_found = AppError::NotFound {
            what: "person",
            message_ja: "この個人番号に該当する宛名がありません",
        };
        let Some(integrated) =
            vault_repo::find_by_lookup_hash(&self.db, &self.insurer, &lookup).await?
        else {
            return Err(not_found);
        };
        let person = repo::get_person_by_integrated_id(&self.db, &self.insurer, &integrated)
            .await?
            .ok_or(not_found)?;
        self.view(person).await
    }

    /// Registers a person, their household when new, and their My Number in
    /// the vault, in one transaction: a rejected request writes nothing.
    pub async fn register_person(&self, p: &NewPerson, now: OffsetDateTime) -> Result<Addressee> {
        let name = PersonName::parse(&p.name)?;
        let name_kana = KanaName::parse(&p.name_kana)?;
        let birth_date = parse_date("birth_date", &p.birth_date)?;
        let sex = parse_sex(&p.sex)?;
        let postal_code = addressee::parse_postal_code(&p.postal_code)?;
        let resident_status = match p.resident_status.as_deref().map(str::trim) {
            None | Some("") => ResidentStatus::Resident,
            Some(s) => ResidentStatus::parse(s).ok_or_else(|| {
                AppError::invalid(
                    "resident_status",
                    "resident_status must be 'resident' or 'non_resident'",
                    "住民区分は「住民」か「住登外」です",
                )
            })?,
        };
        let registered_on = parse_date("registered_on", &p.registered_on)?;
        let my_number = p
            .my_number
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(MyNumber::parse)
            .transpose()?;
        let joining = p
            .household_number
            .as_deref()
            .filter(|h| !h.trim().is_empty())
            .map(HouseholdNumber::parse)
            .transpose()?;
        let relationship = match (&joining, p.relationship.as_deref().map(str::trim)) {
            (None, None | Some("") | Some("02")) => Relationship::Householder,
            (None, Some(_)) => {
                return Err(AppError::invalid(
                    "relationship",
                    "a person starting a new household is its householder (02)",
                    "新しい世帯を作る場合、続柄は世帯主（02）です",
                ));
            }
            (Some(_), Some(code)) if code != "02" => {
                Relationship::from_code(code).ok_or_else(|| {
                    AppError::invalid(
                        "relationship",
                        "unknown relationship code",
                        "続柄コードが正しくありません",
                    )
                })?
            }
            (Some(_), _) => {
                return Err(AppError::invalid(
                    "relationship",
                    "joining an existing household needs a relationship other than householder",
                    "既存の世帯に加える場合は、世帯主以外の続柄を入力してください",
                ));
            }
        };

        let mut tx = self.db.begin().await?;
        let result = async {
            let next = repo::max_addressee_number(&mut tx, &self.insurer).await? + 1;
            let addressee_id = AddresseeId::from_u64(next);
            let integrated_addressee_id =
                IntegratedAddresseeId::from_u64(next + INTEGRATED_ID_OFFSET);
            let household_number = match joining {
                Some(h) => {
                    if !repo::household_exists(&mut tx, &self.insurer, &h).await? {
                        return Err(AppError::invalid(
                            "household_number",
                            "no such household",
                            "指定された世帯がありません",
                        ));
                    }
                    h
                }
                None => {
                    let h = HouseholdNumber::from_u64(
                        repo::max_household_number(&mut tx, &self.insurer).await? + 1,
                    );
                    repo::create_household(
                        &mut tx,
                        &Household {
                            insurer_number: self.insurer.clone(),
                            household_number: h.clone(),
                            householder: addressee_id.clone(),
                            postal_code: postal_code.clone(),
                            address: p.address.clone(),
                            registered_on,
                            removed_on: None,
                        },
                        crate::eligibility::to_us(now),
                        "registry",
                    )
                    .await?;
                    h
                }
            };
            let person = Addressee {
                insurer_number: self.insurer.clone(),
                addressee_id,
                integrated_addressee_id,
                name,
                name_kana,
                birth_date,
                sex,
                postal_code,
                address: p.address.clone(),
                resident_status,
                household_number,
                relationship,
                registered_on,
                removed_on: None,
            };
            addressee::validate(&person)?;
            repo::insert_addressees(&mut tx, std::slice::from_ref(&person)).await?;
            if let Some(number) = &my_number {
                let entry = VaultEntry {
                    insurer_number: self.insurer.clone(),
                    integrated_addressee_id: person.integrated_addressee_id.clone(),
                    sealed: self.keyring.seal(
                        number,
                        self.insurer.as_str(),
                        person.integrated_addressee_id.as_str(),
                    )?,
                    lookup: self.keyring.lookup_hash(number),
                };
                vault_repo::insert(&mut tx, &[entry], now)
                    .await
                    .map_err(|e| {
                        if e.is_unique_violation() {
                            AppError::Conflict {
                                message_en:
                                    "this My Number is already registered to another person".into(),
                                message_ja: "この個人番号は既に別の宛名に登録されています".into(),
                            }
                        } else {
                            e.into()
                        }
                    })?;
            }
            Ok(person)
        }
        .await;
        match result {
            Ok(person) => {
                tx.commit().await?;
                Ok(person)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }
}
