//! The synthetic town: a deterministic, realistic population shaped like
//! 八頭町 (older age profile, real 大字, common local surnames) for demos,
//! tests and benchmarks. Every person is fictitious.
//!
//! Determinism: the only randomness is ChaCha8 seeded from the spec, and
//! only its raw `next_u64` output is used (mapped to ranges here), so the
//! same seed and spec give the same town whatever version of `rand` is in
//! the build.

pub mod benefits_sample;
pub mod claims_sample;
pub mod data;
pub mod feed_sample;
pub mod history;
pub mod income_sample;

use kokuho_domain::addressee::{
    Addressee, Household, HouseholdNumber, Relationship, ResidentStatus, Sex,
};
use kokuho_domain::id::{AddresseeId, InsurerNumber, IntegratedAddresseeId, MyNumber};
use kokuho_domain::name::{KanaName, PersonName};
use kokuho_store::Db;
use kokuho_store::vault::VaultEntry;
use kokuho_vault::Keyring;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration, OffsetDateTime};

use crate::registry::INTEGRATED_ID_OFFSET;
use crate::{AppError, Result};

/// The demo's fixed seed and reference date: two runs give the same town.
pub const DEFAULT_SEED: u64 = 20_260_401;
pub const DEFAULT_RESIDENTS: u64 = 16_000;

/// The demo town's 被保険者記号.
pub const DEMO_SYMBOL: &str = "八頭";

/// The demo insurer: prefecture 31 (鳥取県) with a local number that is not
/// any real municipality's (the real 八頭町 number is not used in demos).
pub fn demo_insurer() -> InsurerNumber {
    // 31 + 901 always yields a valid number; the fallback is unreachable.
    InsurerNumber::from_parts(31, 901).unwrap_or_else(demo_insurer_fallback)
}

#[allow(clippy::panic)]
fn demo_insurer_fallback() -> InsurerNumber {
    panic!("prefecture 31, local 901 is a valid insurer number")
}

#[derive(Clone, Debug)]
pub struct TownSpec {
    pub insurer_number: InsurerNumber,
    pub insurer_name: String,
    pub residents: u64,
    pub seed: u64,
    /// The date the population is as of (ages are counted to it).
    pub as_of: Date,
    /// Also build three years of NHI eligibility history.
    pub history: bool,
}

impl TownSpec {
    pub fn demo(residents: u64, seed: u64) -> TownSpec {
        TownSpec {
            insurer_number: demo_insurer(),
            insurer_name: format!("{}（デモ）", data::TOWN_NAME),
            residents,
            seed,
            as_of: time::macros::date!(2026 - 04 - 01),
            history: true,
        }
    }
}

/// One batch of generated households with their members and numbers.
pub struct Batch {
    pub households: Vec<Household>,
    pub persons: Vec<Addressee>,
    pub numbers: Vec<(IntegratedAddresseeId, MyNumber)>,
}

/// Cumulative weights for a deterministic weighted choice.
struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    fn new(weights: impl Iterator<Item = u64>) -> Weighted {
        let mut total = 0;
        let cumulative = weights
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted { cumulative }
    }

    fn pick(&self, r: &mut Random) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0);
        let x = r.below(total.max(1));
        self.cumulative.partition_point(|&c| c <= x)
    }
}

pub(crate) struct Random(pub(crate) ChaCha8Rng);

impl Random {
    /// Uniform in 0..n (n ≥ 1), by the multiply-shift mapping of one u64.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }
    pub(crate) fn range(&mut self, lo: u64, hi_inclusive: u64) -> u64 {
        lo + self.below(hi_inclusive - lo + 1)
    }
    /// True with probability pct/100.
    pub(crate) fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// Household shapes and their shares (percent of households), tuned so the
/// town has about 2.46 residents a household and about 38% aged 65 and over,
/// as in 八頭町.
#[derive(Clone, Copy)]
enum Shape {
    ElderlySingle,
    ElderlyCouple,
    Single,
    Couple,
    Family,
    SingleParent,
    ThreeGenerations,
    CoupleWithAdultChild,
}

const SHAPES: [(Shape, u64); 8] = [
    (Shape::ElderlySingle, 22),
    (Shape::ElderlyCouple, 20),
    (Shape::Single, 13),
    (Shape::Couple, 6),
    (Shape::Family, 14),
    (Shape::SingleParent, 4),
    (Shape::ThreeGenerations, 14),
    (Shape::CoupleWithAdultChild, 7),
];

/// Foreign residents' names (氏名 as registered, カナ).
const FOREIGN_NAMES: [(&str, &str); 6] = [
    ("NGUYEN VAN AN", "グエン　ヴァン　アン"),
    ("TRAN THI MAI", "チャン　ティ　マイ"),
    ("王　麗", "オウ　レイ"),
    ("SANTOS MARIA", "サントス　マリア"),
    ("LE VAN HUNG", "レ　ヴァン　フン"),
    ("陳　志明", "チン　シメイ"),
];

struct Member {
    age: u64,
    sex: Sex,
    relationship: Relationship,
}

pub struct TownGenerator {
    spec: TownSpec,
    r: Random,
    surnames: Weighted,
    areas: Weighted,
    shapes: Weighted,
    emitted: u64,
    next_household: u64,
    number_offset: u64,
}

impl TownGenerator {
    pub fn new(spec: TownSpec) -> TownGenerator {
        let mut r = Random(ChaCha8Rng::seed_from_u64(spec.seed));
        let number_offset = r.below(100_000_000_000);
        TownGenerator {
            surnames: Weighted::new(data::SURNAMES.iter().map(|s| u64::from(s.2))),
            areas: Weighted::new(data::AREAS.iter().map(|a| u64::from(a.3))),
            shapes: Weighted::new(SHAPES.iter().map(|s| s.1)),
            spec,
            r,
            emitted: 0,
            next_household: 1,
            number_offset,
        }
    }

    pub fn is_done(&self) -> bool {
        self.emitted >= self.spec.residents
    }

    /// A valid, unique My Number for the n-th person: an affine bijection
    /// of 0..10^11 (the multiplier is odd and not a multiple of 5) spreads
    /// the numbers while keeping them distinct.
    fn my_number(&self, n: u64) -> Option<MyNumber> {
        const MODULUS: u128 = 100_000_000_000;
        let base = (u128::from(n) * 7_919_000_003 + u128::from(self.number_offset)) % MODULUS;
        MyNumber::from_base(base as u64)
    }

    fn members(&mut self, shape: Shape) -> Vec<Member> {
        use Relationship::*;
        let r = &mut self.r;
        let couple = |r: &mut Random, age_lo: u64, age_hi: u64| -> [Member; 2] {
            let husband = r.range(age_lo, age_hi);
            let wife = husband
                .saturating_sub(r.range(0, 5))
                .max(age_lo.min(husband));
            [
                Member {
                    age: husband,
                    sex: Sex::Male,
                    relationship: Householder,
                },
                Member {
                    age: wife,
                    sex: Sex::Female,
                    relationship: Wife,
                },
            ]
        };
        let child = |r: &mut Random, parent_age: u64, max_age: u64| -> Member {
            let oldest = parent_age.saturating_sub(20).min(max_age);
            let age = r.range(0, oldest);
            let sex = if r.chance(51) { Sex::Male } else { Sex::Female };
            Member {
                age,
                sex,
                relationship: Child,
            }
        };
        match shape {
            Shape::ElderlySingle => {
                let sex = if r.chance(70) { Sex::Female } else { Sex::Male };
                vec![Member {
                    age: r.range(65, 101),
                    sex,
                    relationship: Householder,
                }]
            }
            Shape::ElderlyCouple => couple(r, 65, 95).into(),
            Shape::Single => {
                let sex = if r.chance(58) { Sex::Male } else { Sex::Female };
                vec![Member {
                    age: r.range(19, 64),
                    sex,
                    relationship: Householder,
                }]
            }
            Shape::Couple => couple(r, 24, 64).into(),
            Shape::Family => {
                let mut m: Vec<Member> = couple(r, 27, 58).into();
                let kids = 1 + r.below(3);
                let parent = m[1].age;
                for _ in 0..kids {
                    m.push(child(r, parent, 22));
                }
                m
            }
            Shape::SingleParent => {
                let sex = if r.chance(85) { Sex::Female } else { Sex::Male };
                let age = r.range(26, 55);
                let mut m = vec![Member {
                    age,
                    sex,
                    relationship: Householder,
                }];
                for _ in 0..(1 + r.below(2)) {
                    m.push(child(r, age, 22));
                }
                m
            }
            Shape::ThreeGenerations => {
                let mut m: Vec<Member> = couple(r, 38, 64).into();
                let middle = m[0].age;
                let elder = (middle + r.range(24, 32)).min(104);
                if r.chance(55) {
                    m.push(Member {
                        age: elder,
                        sex: Sex::Male,
                        relationship: Father,
                    });
                }
                m.push(Member {
                    age: elder.saturating_sub(r.range(0, 4)),
                    sex: Sex::Female,
                    relationship: Mother,
                });
                let parent = m[1].age;
                for _ in 0..r.below(4) {
                    m.push(child(r, parent, 30));
                }
                m
            }
            Shape::CoupleWithAdultChild => {
                let mut m: Vec<Member> = couple(r, 55, 85).into();
                let parent = m[1].age;
                let age = r.range(20, parent.saturating_sub(20).max(20));
                let sex = if r.chance(60) { Sex::Male } else { Sex::Female };
                m.push(Member {
                    age,
                    sex,
                    relationship: Child,
                });
                m
            }
        }
    }

    fn given_name(&mut self, sex: Sex, birth_year: u16) -> (&'static str, &'static str) {
        let table = if sex == Sex::Female {
            data::FEMALE_GIVEN
        } else {
            data::MALE_GIVEN
        };
        let fits: Vec<usize> = (0..table.len())
            .filter(|&i| table[i].2 <= birth_year && birth_year <= table[i].3)
            .collect();
        let i = if fits.is_empty() {
            self.r.below(table.len() as u64) as usize
        } else {
            fits[self.r.below(fits.len() as u64) as usize]
        };
        (table[i].0, table[i].1)
    }

    fn birth_date(&mut self, age: u64) -> Date {
        // Age `age` on the reference date: born between age+1 years and
        // age years before it.
        let as_of = self.spec.as_of;
        let days = age * 36_525 / 100 + self.r.below(365);
        as_of - Duration::days(days as i64)
    }

    /// The next batch of about `persons` residents (whole households, the
    /// last one cut to the town's size); `None` when the town is complete.
    pub fn next_batch(&mut self, persons: usize) -> Option<Batch> {
        if self.is_done() {
            return None;
        }
        let mut batch = Batch {
            households: Vec::new(),
            persons: Vec::with_capacity(persons + 8),
            numbers: Vec::with_capacity(persons + 8),
        };
        while batch.persons.len() < persons && !self.is_done() {
            self.household(&mut batch);
        }
        Some(batch)
    }

    fn household(&mut self, batch: &mut Batch) {
        let insurer = self.spec.insurer_number.clone();
        let shape = SHAPES[self.shapes.pick(&mut self.r)].0;
        let mut members = self.members(shape);
        let remaining = self.spec.residents - self.emitted;
        members.truncate(remaining.min(members.len() as u64) as usize);

        let household_number = HouseholdNumber::from_u64(self.next_household);
        self.next_household += 1;
        let area = data::AREAS[self.areas.pick(&mut self.r)];
        let lot = self.r.range(1, 1_800);
        let address = if self.r.chance(30) {
            let sub = self.r.range(1, 12);
            format!(
                "{}{}{}{}{lot}番地{sub}",
                data::PREFECTURE,
                data::DISTRICT,
                data::TOWN_NAME,
                area.0
            )
        } else {
            format!(
                "{}{}{}{}{lot}番地",
                data::PREFECTURE,
                data::DISTRICT,
                data::TOWN_NAME,
                area.0
            )
        };
        let foreign = matches!(shape, Shape::Single) && self.r.chance(8);
        let (surname, surname_kana) = {
            let s = data::SURNAMES[self.surnames.pick(&mut self.r)];
            (s.0, s.1)
        };
        let as_of = self.spec.as_of;
        let mut householder = None;
        let mut household_since = as_of;
        for m in members {
            let n = self.emitted;
            self.emitted += 1;
            let birth_date = self.birth_date(m.age);
            let (name, kana) = if foreign {
                let f = FOREIGN_NAMES[self.r.below(FOREIGN_NAMES.len() as u64) as usize];
                (f.0.to_string(), f.1.to_string())
            } else {
                let (given, given_kana) = self.given_name(m.sex, birth_date.year() as u16);
                (
                    format!("{surname}\u{3000}{given}"),
                    format!("{surname_kana}\u{3000}{given_kana}"),
                )
            };
            // Born here, or moved in at some point since birth.
            let registered_on = if !foreign && self.r.chance(if m.age < 18 { 85 } else { 45 }) {
                birth_date
            } else {
                let span = (as_of - birth_date).whole_days().max(1) as u64;
                birth_date + Duration::days(self.r.below(span) as i64)
            };
            household_since = household_since.min(registered_on);
            let addressee_id = AddresseeId::from_u64(n + 1);
            let integrated_addressee_id =
                IntegratedAddresseeId::from_u64(n + 1 + INTEGRATED_ID_OFFSET);
            if m.relationship == Relationship::Householder {
                householder = Some(addressee_id.clone());
            }
            let (Ok(name), Ok(name_kana)) = (PersonName::parse(&name), KanaName::parse(&kana))
            else {
                // The tables are checked by a test; a bad entry is skipped, not fatal.
                continue;
            };
            // A few people's numbers have not been linked yet.
            if !self.r.chance(2)
                && let Some(number) = self.my_number(n)
            {
                batch
                    .numbers
                    .push((integrated_addressee_id.clone(), number));
            }
            batch.persons.push(Addressee {
                insurer_number: insurer.clone(),
                addressee_id,
                integrated_addressee_id,
                name,
                name_kana,
                birth_date,
                sex: m.sex,
                postal_code: area.2.to_string(),
                address: address.clone(),
                resident_status: ResidentStatus::Resident,
                household_number: household_number.clone(),
                relationship: m.relationship,
                registered_on,
                removed_on: None,
            });
        }
        if let Some(householder) = householder {
            batch.households.push(Household {
                insurer_number: insurer,
                household_number,
                householder,
                postal_code: area.2.to_string(),
                address,
                registered_on: household_since,
                removed_on: None,
            });
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateReport {
    pub insurer_number: InsurerNumber,
    pub households: u64,
    pub persons: u64,
    pub numbers: u64,
    pub history: Option<history::HistoryReport>,
}

/// Persons per batch written to the database.
const BATCH_PERSONS: usize = 5_000;

/// Writes a synthetic town into an empty database (for its insurer) in one
/// transaction, streaming in batches; `progress` gets the persons written.
pub async fn generate(
    db: &Db,
    keyring: &Keyring,
    spec: &TownSpec,
    now: OffsetDateTime,
    mut progress: impl FnMut(u64),
) -> Result<GenerateReport> {
    let existing = kokuho_store::addressee::count_persons(db, &spec.insurer_number).await?;
    if existing > 0 {
        return Err(AppError::Conflict {
            message_en: format!(
                "insurer {} already has {existing} persons: generate into a new database",
                spec.insurer_number
            ),
            message_ja: format!(
                "保険者{}には既に{existing}人の宛名があります",
                spec.insurer_number
            ),
        });
    }
    kokuho_store::insurer::upsert(
        db,
        &kokuho_store::insurer::Insurer {
            insurer_number: spec.insurer_number.clone(),
            name: spec.insurer_name.clone(),
            prefecture: data::PREFECTURE.to_string(),
        },
        now,
    )
    .await?;
    let mut generator = TownGenerator::new(spec.clone());
    let mut report = GenerateReport {
        insurer_number: spec.insurer_number.clone(),
        households: 0,
        persons: 0,
        numbers: 0,
        history: None,
    };
    let app = crate::Kokuho::new(
        db.clone(),
        std::sync::Arc::new(keyring.clone()),
        spec.insurer_number.clone(),
    );
    let mut history = spec
        .history
        .then(|| history::HistoryGenerator::new(spec.seed, spec.as_of, now));
    let mut tx = db.begin().await?;
    // The demo town's 被保険者記号 is the town's short name (as many towns' are).
    kokuho_store::eligibility::set_numbering_rule(&mut tx, &spec.insurer_number, DEMO_SYMBOL, 7)
        .await?;
    let written: Result<()> = async {
        while let Some(batch) = generator.next_batch(BATCH_PERSONS) {
            let entries = batch
                .numbers
                .iter()
                .map(|(id, number)| {
                    Ok(VaultEntry {
                        insurer_number: spec.insurer_number.clone(),
                        integrated_addressee_id: id.clone(),
                        sealed: keyring.seal(number, spec.insurer_number.as_str(), id.as_str())?,
                        lookup: keyring.lookup_hash(number),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            kokuho_store::addressee::insert_households(&mut tx, &batch.households).await?;
            kokuho_store::addressee::record_householders(
                &mut tx,
                &batch.households,
                crate::eligibility::to_us(now),
                "synthetic-town",
            )
            .await?;
            kokuho_store::addressee::insert_addressees(&mut tx, &batch.persons).await?;
            kokuho_store::vault::insert(&mut tx, &entries, now).await?;
            if let Some(h) = history.as_mut() {
                let mut grouped: Vec<Vec<Addressee>> = Vec::new();
                for p in &batch.persons {
                    match grouped.last_mut() {
                        Some(g) if g[0].household_number == p.household_number => g.push(p.clone()),
                        _ => grouped.push(vec![p.clone()]),
                    }
                }
                h.households(&app, &mut tx, &grouped).await?;
            }
            report.households += batch.households.len() as u64;
            report.persons += batch.persons.len() as u64;
            report.numbers += entries.len() as u64;
            progress(report.persons);
        }
        if let Some(h) = history.take() {
            report.history = Some(h.finish(&app, &mut tx).await?);
        }
        Ok(())
    }
    .await;
    match written {
        Ok(()) => tx.commit().await?,
        Err(e) => {
            tx.rollback().await?;
            return Err(e);
        }
    }
    // One demo account per role (demo databases only).
    app.create_demo_accounts(crate::local_date(now), now)
        .await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn all(spec: TownSpec) -> Vec<Batch> {
        let mut g = TownGenerator::new(spec);
        let mut out = Vec::new();
        while let Some(b) = g.next_batch(1_000) {
            out.push(b);
        }
        out
    }

    #[test]
    fn the_tables_are_valid() {
        for (kanji, kana, w) in data::SURNAMES {
            PersonName::parse(kanji).unwrap();
            KanaName::parse(kana).unwrap();
            assert!(*w > 0);
        }
        for (kanji, kana, from, to) in data::MALE_GIVEN.iter().chain(data::FEMALE_GIVEN) {
            PersonName::parse(kanji).unwrap();
            KanaName::parse(kana).unwrap();
            assert!(from <= to);
        }
        for (name, kana, postal, _) in data::AREAS {
            assert!(!name.is_empty());
            KanaName::parse(kana).unwrap();
            kokuho_domain::addressee::parse_postal_code(postal).unwrap();
        }
        for (name, kana) in FOREIGN_NAMES {
            PersonName::parse(name).unwrap();
            KanaName::parse(kana).unwrap();
        }
    }

    #[test]
    fn same_seed_same_town_other_seed_other_town() {
        let a = all(TownSpec::demo(3_000, 7));
        let b = all(TownSpec::demo(3_000, 7));
        let c = all(TownSpec::demo(3_000, 8));
        let names = |v: &[Batch]| -> Vec<String> {
            v.iter()
                .flat_map(|b| b.persons.iter().map(|p| p.name.as_str().to_string()))
                .collect()
        };
        assert_eq!(names(&a), names(&b));
        assert_ne!(names(&a), names(&c));
        let numbers = |v: &[Batch]| -> Vec<String> {
            v.iter()
                .flat_map(|b| b.numbers.iter().map(|n| n.1.expose().to_string()))
                .collect()
        };
        assert_eq!(numbers(&a), numbers(&b));
    }

    #[test]
    fn the_town_looks_like_yazu() {
        let spec = TownSpec::demo(DEFAULT_RESIDENTS, DEFAULT_SEED);
        let as_of = spec.as_of;
        let batches = all(spec);
        let persons: Vec<&Addressee> = batches.iter().flat_map(|b| &b.persons).collect();
        let households: usize = batches.iter().map(|b| b.households.len()).sum();
        assert_eq!(persons.len() as u64, DEFAULT_RESIDENTS);
        // About 6,500 households.
        assert!(
            (6_000..=7_000).contains(&households),
            "{households} households"
        );
        // An older town: roughly 35–42% aged 65 and over.
        let old = persons
            .iter()
            .filter(|p| (as_of - p.birth_date).whole_days() >= 65 * 365 + 16)
            .count();
        let share = old * 100 / persons.len();
        assert!(
            (33..=43).contains(&share),
            "{share}% aged 65+ in {households} households"
        );
        // Every household has exactly one householder who lives in it.
        let mut seen = std::collections::HashMap::new();
        for p in &persons {
            if p.relationship == Relationship::Householder {
                *seen.entry(p.household_number.clone()).or_insert(0) += 1;
            }
            assert!(p.registered_on >= p.birth_date);
            assert!(p.birth_date <= as_of);
        }
        assert_eq!(seen.len(), households);
        assert!(seen.values().all(|&n| n == 1));
        // Valid, unique numbers for almost everyone.
        let numbers: std::collections::HashSet<String> = batches
            .iter()
            .flat_map(|b| b.numbers.iter().map(|n| n.1.expose().to_string()))
            .collect();
        assert!(numbers.len() * 100 / persons.len() >= 96);
        assert_eq!(
            numbers.len(),
            batches.iter().map(|b| b.numbers.len()).sum::<usize>()
        );
        assert!(
            numbers
                .iter()
                .all(|n| kokuho_domain::id::is_valid_my_number(n))
        );
    }
}
