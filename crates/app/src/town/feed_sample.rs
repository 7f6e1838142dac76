//! A sample resident-registry feed for the synthetic town: the events of the
//! days after the town's reference date, touching insured people so that the
//! import raises proposals a clerk can confirm or reject.

use kokuho_domain::addressee::{HouseholdNumber, Relationship, Sex};
use kokuho_domain::id::{AddresseeId, InsurerNumber};
use kokuho_domain::name::{KanaName, PersonName};
use kokuho_formats::registry_feed::{Destination, RegistryEvent, RegistryEventKind};
use time::{Date, Duration};

use crate::{AppError, Kokuho, Result};

fn event(id: &str, kind: RegistryEventKind, on: Date, person: AddresseeId) -> RegistryEvent {
    RegistryEvent {
        line: 0,
        event_id: id.to_string(),
        kind,
        event_date: on,
        notified_on: Some(on + Duration::days(2)),
        addressee_id: person,
        household_number: None,
        relationship: None,
        name: None,
        name_kana: None,
        birth_date: None,
        sex: None,
        postal_code: None,
        address: None,
        destination: None,
        previous_insurer_number: None,
    }
}

impl Kokuho {
    /// Builds the sample from the town as it stands on `as_of`.
    pub async fn sample_registry_feed(&self, as_of: Date) -> Result<Vec<RegistryEvent>> {
        let mut insured = Vec::new();
        self.for_each_insured_on(as_of, None, |r| {
            insured.push(r);
            Ok(())
        })
        .await?;
        let too_small = || AppError::Setup {
            message_en: "the town has too few insured people for a sample feed".into(),
            message_ja: "被保険者が少なく、サンプルを作成できません".into(),
        };
        if insured.len() < 6 {
            return Err(too_small());
        }
        let pick = |i: usize| &insured[(i * 7919) % insured.len()];
        let id = |s: &str| AddresseeId::parse(s).map_err(AppError::from);
        let next_id =
            kokuho_store::addressee::count_persons(&self.db, &self.insurer).await? as u64 + 1_000;
        let mut out = Vec::new();
        let d = |n: i64| as_of + Duration::days(n);

        // A death of an insured person: loss the day after.
        let dead = pick(1);
        out.push(event(
            "S-0001",
            RegistryEventKind::Death,
            d(3),
            id(&dead.addressee_id)?,
        ));
        // A birth into an insured household: acquisition on the birth date.
        let parent = pick(2);
        let parent_person = self.person(&parent.addressee_id).await?.person;
        let mut birth = event(
            "S-0002",
            RegistryEventKind::Birth,
            d(5),
            AddresseeId::from_u64(next_id),
        );
        let surname = parent_person
            .name
            .as_str()
            .split('\u{3000}')
            .next()
            .unwrap_or("八頭")
            .to_string();
        let surname_kana = parent_person
            .name_kana
            .as_str()
            .split('\u{3000}')
            .next()
            .unwrap_or("ヤズ")
            .to_string();
        birth.household_number = Some(parent_person.household_number.clone());
        birth.relationship = Some(Relationship::Child);
        birth.name = Some(PersonName::parse(&format!("{surname}\u{3000}陽葵"))?);
        birth.name_kana = Some(KanaName::parse(&format!("{surname_kana}\u{3000}ヒマリ"))?);
        birth.birth_date = Some(d(5));
        birth.sex = Some(Sex::Female);
        birth.postal_code = Some(parent_person.postal_code.clone());
        birth.address = Some(parent_person.address.clone());
        out.push(birth);
        // A move to another prefecture: loss on the move date.
        let leaving = pick(3);
        let mut move_out = event(
            "S-0003",
            RegistryEventKind::MoveOut,
            d(8),
            id(&leaving.addressee_id)?,
        );
        move_out.destination = Some(Destination::OtherPrefecture);
        out.push(move_out);
        // A move within the town (no eligibility change).
        let moving = self.person(&pick(4).addressee_id).await?.person;
        let mut within = event(
            "S-0004",
            RegistryEventKind::MoveWithin,
            d(9),
            moving.addressee_id.clone(),
        );
        within.household_number = Some(moving.household_number.clone());
        within.postal_code = Some("680-0461".into());
        within.address = Some("鳥取県八頭郡八頭町郡家100番地1".into());
        out.push(within);
        // A household split: an insured person founds their own household.
        let splitting = pick(5);
        let mut split = event(
            "S-0005",
            RegistryEventKind::HouseholdChange,
            d(10),
            id(&splitting.addressee_id)?,
        );
        let new_household = kokuho_store::addressee::count_households(&self.db, &self.insurer)
            .await? as u64
            + 1_000;
        split.household_number = Some(HouseholdNumber::from_u64(new_household));
        split.relationship = Some(Relationship::Householder);
        out.push(split);
        // A move-in from another municipality of the prefecture (its NHI continues).
        let mut arriving = event(
            "S-0006",
            RegistryEventKind::MoveIn,
            d(12),
            AddresseeId::from_u64(next_id + 1),
        );
        arriving.household_number = Some(HouseholdNumber::from_u64(new_household + 1));
        arriving.relationship = Some(Relationship::Householder);
        arriving.name = Some(PersonName::parse("河原　健一")?);
        arriving.name_kana = Some(KanaName::parse("カワハラ　ケンイチ")?);
        arriving.birth_date =
            Some(Date::from_calendar_date(1961, time::Month::September, 3).unwrap_or(as_of));
        arriving.sex = Some(Sex::Male);
        arriving.postal_code = Some("680-0471".into());
        arriving.address = Some("鳥取県八頭郡八頭町船岡200番地".into());
        arriving.previous_insurer_number = Some(InsurerNumber::parse("310011")?);
        out.push(arriving);
        // A name change (no eligibility change).
        let renamed = self.person(&pick(6).addressee_id).await?.person;
        let mut rename = event(
            "S-0007",
            RegistryEventKind::NameChange,
            d(14),
            renamed.addressee_id.clone(),
        );
        rename.name = Some(PersonName::parse("改姓　花子")?);
        rename.name_kana = Some(KanaName::parse("カイセイ　ハナコ")?);
        out.push(rename);
        Ok(out)
    }
}
