//! A working stand-in for the prefecture federation's 国保情報集約システム
//! (federation_aggregator), for end-to-end tests on one machine. It is NOT
//! part of the town's system and shares none of its code but the file
//! layouts and the transfer key format.
//!
//! It takes the towns' files in (資格情報（世帯）・（個人）, 世帯所得区分情報,
//! 高額該当情報, 世帯継続判定結果), keeps the latest state of each town, and
//! answers:
//! - 資格継続引継情報 to the town a person moved into from another town of
//!   the prefecture (matched by 個人番号: a 転出 loss in one town, a 転入
//!   acquisition in another), with how the periods meet (continuous, gap,
//!   overlap) and the receiving household marked as a candidate to judge;
//! - 高額該当引継情報 once the receiving town has judged the household to
//!   continue: the high-cost months of the household the person left, in the
//!   twelve months up to the move (what 多数回 counts).
//!
//! What the real system does beyond this (its own checks of the data, the
//! intermediate-server relay, the ministry's household-continuity criteria
//! applied by itself) is not imitated; docs/formats/federation.md.

use std::collections::{BTreeMap, BTreeSet};

use kokuho_domain::eligibility::YearMonth;
use kokuho_formats::federation::{
    self, Body, Change, Continuity, ContinuityJudgementRecord, EligibilityContinuityRecord,
    Extract, FederationFile, FileHeader, HighCostHandOverRecord, HighCostMonthRecord,
    HouseholdRecord, PersonRecord,
};
use kokuho_formats::fixed::Direction;
use kokuho_vault::TransferKey;
use time::PrimitiveDateTime;

/// What the aggregation system holds of one town.
#[derive(Clone, Debug, Default)]
struct Town {
    /// by (宛名番号, 資格履歴番号)
    persons: BTreeMap<(String, i64), PersonRecord>,
    /// by 世帯番号
    households: BTreeMap<String, HouseholdRecord>,
    /// by (世帯番号, month, handed-over-from)
    months: BTreeMap<(String, YearMonth, Option<String>), HighCostMonthRecord>,
    /// the town's judgements, by (記号, 番号, from insurer, from 記号, from 番号)
    judgements: BTreeMap<(String, String, String, String, String), ContinuityJudgementRecord>,
}

/// A move found between two towns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub to: EligibilityContinuityRecord,
}

/// The aggregation system's state.
#[derive(Debug, Default)]
pub struct Aggregator {
    towns: BTreeMap<String, Town>,
    /// moves answered: (to insurer, 宛名番号, 資格履歴番号, from insurer,
    /// from 宛名番号, from 資格履歴番号)
    answered_moves: BTreeSet<(String, String, i64, String, String, i64)>,
    /// months handed over: (to insurer, 記号, 番号, from insurer, month)
    answered_months: BTreeSet<(String, String, String, String, YearMonth)>,
}

/// The insured of the household a person left, on its last day with them
/// (the day before the loss), the person among them: whether one of them
/// was its householder, and how many they were.
fn insured_on_last_day(town: &Town, old: &PersonRecord, lost: time::Date) -> (bool, i64) {
    let Some(last) = lost.previous_day() else {
        return (false, 0);
    };
    let live: Vec<&PersonRecord> = town
        .persons
        .values()
        .filter(|p| {
            p.household_number == old.household_number
                && p.acquired_on <= last
                && p.lost_on.is_none_or(|l| l > last)
        })
        .collect();
    (live.iter().any(|p| p.householder), live.len() as i64)
}

/// What one file did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ingested {
    pub insurer: String,
    pub kind: String,
    pub records: usize,
}

impl Aggregator {
    pub fn new() -> Aggregator {
        Aggregator::default()
    }

    /// Takes in one of a town's files (sealed ones opened with the transfer
    /// key). A full extract replaces what was held of that kind.
    pub fn ingest(
        &mut self,
        file_name: &str,
        bytes: &[u8],
        key: &TransferKey,
    ) -> anyhow::Result<Ingested> {
        let (name, plain) = if kokuho_vault::transfer::is_sealed(bytes) {
            let inner = file_name.strip_suffix(".sealed").unwrap_or(file_name);
            (inner, key.open(bytes, inner)?.to_vec())
        } else {
            (file_name, bytes.to_vec())
        };
        let file = federation::read(name, &plain)?;
        let layout = file.layout()?;
        anyhow::ensure!(
            layout.direction == Direction::ToFederation,
            "{name}: a file the federation sends, not one it takes in"
        );
        let insurer = file.header.insurer_number.clone();
        let full = file.header.extract == Extract::Full;
        let town = self.towns.entry(insurer.clone()).or_default();
        let records = file.body.len();
        match file.body {
            Body::Households(rs) => {
                if full {
                    town.households.clear();
                }
                for r in rs {
                    match r.change {
                        Change::Remove => {
                            town.households.remove(&r.household_number);
                        }
                        Change::Upsert => {
                            town.households.insert(r.household_number.clone(), r);
                        }
                    }
                }
            }
            Body::Persons(rs) => {
                if full {
                    town.persons.clear();
                }
                for r in rs {
                    let k = (r.addressee_id.clone(), r.period_id);
                    match r.change {
                        Change::Remove => {
                            town.persons.remove(&k);
                        }
                        Change::Upsert => {
                            town.persons.insert(k, r);
                        }
                    }
                }
            }
            Body::IncomeCategories(_) => {}
            Body::HighCostMonths(rs) => {
                if full {
                    town.months.clear();
                }
                for r in rs {
                    let k = (
                        r.household_number.clone(),
                        r.service_month,
                        r.handed_over_from.clone(),
                    );
                    match r.change {
                        Change::Remove => {
                            town.months.remove(&k);
                        }
                        Change::Upsert => {
                            town.months.insert(k, r);
                        }
                    }
                }
            }
            Body::ContinuityJudgements(rs) => {
                for r in rs {
                    town.judgements.insert(
                        (
                            r.insured_symbol.clone(),
                            r.insured_number.clone(),
                            r.from_insurer.clone(),
                            r.from_insured_symbol.clone(),
                            r.from_insured_number.clone(),
                        ),
                        r,
                    );
                }
            }
            Body::EligibilityContinuity(_) | Body::HighCostHandOver(_) => {
                anyhow::bail!("{name}: not a town's file")
            }
        }
        Ok(Ingested {
            insurer,
            kind: layout.key.clone(),
            records,
        })
    }

    /// The moves between towns: a person lost by 転出 (41) in one town and
    /// acquired by 転入 (01) in another, the same 個人番号.
    fn moves(&self) -> Vec<(String, &PersonRecord, String, &PersonRecord)> {
        let mut out = Vec::new();
        for (to_insurer, to) in &self.towns {
            for p in to.persons.values().filter(|p| p.acquisition_reason == "01") {
                let Some(number) = &p.my_number else { continue };
                for (from_insurer, from) in &self.towns {
                    if from_insurer == to_insurer {
                        continue;
                    }
                    // The 転出 of the same person there that this 転入 follows:
                    // lost within the year before, or up to a month after
                    // (an overlap), the nearest to the acquisition.
                    let near = |o: &&PersonRecord| {
                        o.lost_on
                            .map(|l| (l - p.acquired_on).whole_days().abs())
                            .unwrap_or(i64::MAX)
                    };
                    if let Some(old) = from
                        .persons
                        .values()
                        .filter(|o| {
                            o.my_number.as_deref() == Some(number)
                                && o.loss_reason.as_deref() == Some("41")
                                && o.lost_on.is_some_and(|l| {
                                    let d = (p.acquired_on - l).whole_days();
                                    (-31..=366).contains(&d)
                                })
                        })
                        .min_by_key(near)
                    {
                        out.push((from_insurer.clone(), old, to_insurer.clone(), p));
                    }
                }
            }
        }
        out
    }

    /// The answer files for every town, each file only with what was not
    /// answered before. `now` stamps the headers.
    pub fn answers(&mut self, now: PrimitiveDateTime) -> Vec<FederationFile> {
        let mut continuity: BTreeMap<String, Vec<EligibilityContinuityRecord>> = BTreeMap::new();
        let mut newly_answered = Vec::new();
        for (from_insurer, old, to_insurer, new) in self.moves() {
            let key = (
                to_insurer.clone(),
                new.addressee_id.clone(),
                new.period_id,
                from_insurer.clone(),
                old.addressee_id.clone(),
                old.period_id,
            );
            if self.answered_moves.contains(&key) {
                continue;
            }
            let lost = old.lost_on.unwrap_or(new.acquired_on);
            let insured = self
                .towns
                .get(&from_insurer)
                .map_or((false, 0), |t| insured_on_last_day(t, old, lost));
            let c = match new.acquired_on.cmp(&lost) {
                std::cmp::Ordering::Equal => Continuity::Continuous,
                std::cmp::Ordering::Greater => Continuity::Gap,
                std::cmp::Ordering::Less => Continuity::Overlap,
            };
            continuity
                .entry(to_insurer.clone())
                .or_default()
                .push(EligibilityContinuityRecord {
                    insurer_number: to_insurer.clone(),
                    insured_symbol: new.insured_symbol.clone(),
                    insured_number: new.insured_number.clone(),
                    branch_number: new.branch_number.clone(),
                    addressee_id: new.addressee_id.clone(),
                    acquired_on: new.acquired_on,
                    from_insurer: from_insurer.clone(),
                    from_insured_symbol: old.insured_symbol.clone(),
                    from_insured_number: old.insured_number.clone(),
                    from_branch_number: old.branch_number.clone(),
                    from_lost_on: lost,
                    continuity: c,
                    // Every household a person moved into from another town
                    // of the prefecture is put to the town to judge.
                    household_candidate: true,
                    // What the town judges by (世帯主に着目した参酌基準): was
                    // the person the householder of the household left, and
                    // how many were insured in it on its last day with them.
                    from_householder: old.householder,
                    // the household as it was then, not as its record says
                    // now (once they all left, its householder is insured
                    // no longer): no insured member was its householder
                    from_nominal_householder: insured.1 > 0 && !insured.0,
                    from_household_insured: insured.1,
                });
            newly_answered.push(key);
        }
        self.answered_moves.extend(newly_answered);

        // The high-cost months of households judged to continue.
        let mut hand_over: BTreeMap<String, Vec<HighCostHandOverRecord>> = BTreeMap::new();
        let mut months_answered = Vec::new();
        let moves = self.moves();
        for (to_insurer, town) in &self.towns {
            for j in town.judgements.values().filter(|j| j.continues) {
                let Some(from) = self.towns.get(&j.from_insurer) else {
                    continue;
                };
                // The old household, and the move's month from its members' losses.
                let Some(old_household) = from.households.values().find(|h| {
                    h.insured_symbol == j.from_insured_symbol
                        && h.insured_number == j.from_insured_number
                }) else {
                    continue;
                };
                // The day of this move: the losses of the persons who moved
                // from that household into this one.
                let moved = moves
                    .iter()
                    .filter(|(f, old, t, new)| {
                        *f == j.from_insurer
                            && *t == *to_insurer
                            && old.insured_symbol == j.from_insured_symbol
                            && old.insured_number == j.from_insured_number
                            && new.insured_symbol == j.insured_symbol
                            && new.insured_number == j.insured_number
                    })
                    .filter_map(|(_, old, _, _)| old.lost_on)
                    .max();
                let Some(moved) = moved else { continue };
                let move_month = YearMonth::from_date(moved);
                let first = (0..11).fold(move_month, |m, _| prev(m));
                for m in from.months.values().filter(|m| {
                    m.household_number == old_household.household_number
                        && m.service_month >= first
                        && m.service_month <= move_month
                }) {
                    let key = (
                        to_insurer.clone(),
                        j.insured_symbol.clone(),
                        j.insured_number.clone(),
                        j.from_insurer.clone(),
                        m.service_month,
                    );
                    if self.answered_months.contains(&key) || months_answered.contains(&key) {
                        continue;
                    }
                    hand_over
                        .entry(to_insurer.clone())
                        .or_default()
                        .push(HighCostHandOverRecord {
                            insurer_number: to_insurer.clone(),
                            insured_symbol: j.insured_symbol.clone(),
                            insured_number: j.insured_number.clone(),
                            from_insurer: j.from_insurer.clone(),
                            from_insured_symbol: j.from_insured_symbol.clone(),
                            from_insured_number: j.from_insured_number.clone(),
                            service_month: m.service_month,
                        });
                    months_answered.push(key);
                }
            }
        }
        self.answered_months.extend(months_answered);

        let header = |insurer: &str| FileHeader {
            insurer_number: insurer.to_string(),
            created_at: now,
            extract: Extract::Answer,
            since: None,
        };
        let mut files = Vec::new();
        for (insurer, rs) in continuity {
            files.push(FederationFile {
                header: header(&insurer),
                body: Body::EligibilityContinuity(rs),
            });
        }
        for (insurer, rs) in hand_over {
            files.push(FederationFile {
                header: header(&insurer),
                body: Body::HighCostHandOver(rs),
            });
        }
        files
    }

    /// The towns whose files have been taken in.
    pub fn towns(&self) -> Vec<String> {
        self.towns.keys().cloned().collect()
    }

    /// How many insured periods it holds of a town.
    pub fn persons_of(&self, insurer: &str) -> usize {
        self.towns.get(insurer).map_or(0, |t| t.persons.len())
    }
}

fn prev(m: YearMonth) -> YearMonth {
    match m.month {
        time::Month::January => YearMonth {
            year: m.year - 1,
            month: time::Month::December,
        },
        other => YearMonth {
            year: m.year,
            month: other.previous(),
        },
    }
}

impl Aggregator {
    /// What has been answered, one line each, to be kept between runs.
    pub fn answered_lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .answered_moves
            .iter()
            .map(|(a, b, bp, c, d, dp)| format!("move\t{a}\t{b}\t{bp}\t{c}\t{d}\t{dp}"))
            .collect();
        out.extend(self.answered_months.iter().map(|(a, b, c, d, m)| {
            format!(
                "month\t{a}\t{b}\t{c}\t{d}\t{:04}{:02}",
                m.year, m.month as u8
            )
        }));
        out
    }

    /// Reads back [`Aggregator::answered_lines`]; unknown lines are refused.
    pub fn load_answered(&mut self, text: &str) -> anyhow::Result<()> {
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["move", a, b, bp, c, d, dp] => {
                    self.answered_moves.insert((
                        a.to_string(),
                        b.to_string(),
                        bp.parse()?,
                        c.to_string(),
                        d.to_string(),
                        dp.parse()?,
                    ));
                }
                ["month", a, b, c, d, m] => {
                    let (Some(y), Some(mm)) = (m.get(..4), m.get(4..)) else {
                        anyhow::bail!("answered list, line {}: not a month", i + 1)
                    };
                    let year: i32 = y.parse()?;
                    let month = time::Month::try_from(mm.parse::<u8>()?)?;
                    self.answered_months.insert((
                        a.to_string(),
                        b.to_string(),
                        c.to_string(),
                        d.to_string(),
                        YearMonth { year, month },
                    ));
                }
                _ => anyhow::bail!("answered list, line {}: not understood", i + 1),
            }
        }
        Ok(())
    }
}

/// Checks a town's eligibility history for online eligibility before
/// passing it on, unchanged, to the intermediate server (the aggregation
/// system is the town's route there); how many periods it holds.
pub fn relay_to_intermediate(
    file_name: &str,
    bytes: &[u8],
    key: &TransferKey,
) -> anyhow::Result<usize> {
    let inner = file_name.strip_suffix(".sealed").unwrap_or(file_name);
    anyhow::ensure!(
        kokuho_vault::transfer::is_sealed(bytes),
        "{file_name}: an eligibility history travels sealed"
    );
    let plain = key.open(bytes, inner)?;
    let file = kokuho_formats::intermediate::read(inner, &plain)?;
    anyhow::ensure!(
        matches!(file.body, kokuho_formats::intermediate::Body::Histories(_)),
        "{file_name}: not an eligibility history"
    );
    Ok(file.body.len())
}

impl Aggregator {
    /// The claims system's month for a town (国保総合システム's stand-in): a
    /// claim file for the persons the aggregation system holds as insured by
    /// that town in the month, written as the federation sends it. Copays
    /// by age (3割, 2割 for preschool children and 70–74): the stand-in does
    /// not judge incomes.
    pub fn claims_for(
        &self,
        insurer: &str,
        month: YearMonth,
        seed: u64,
        out: impl std::io::Write,
    ) -> anyhow::Result<kokuho_formats::claims_sample::SampleWritten> {
        use kokuho_domain::burden::{AgeGroup, age_group};
        let town = self
            .towns
            .get(insurer)
            .ok_or_else(|| anyhow::anyhow!("no file of insurer {insurer} has been taken in"))?;
        let (Some(first), Some(last)) = (month.first_day(), month.last_day()) else {
            anyhow::bail!("month out of range")
        };
        let mut people = Vec::new();
        for p in town.persons.values() {
            let from = p.acquired_on.max(first);
            let to = p
                .lost_on
                .and_then(|l| l.previous_day())
                .map_or(last, |l| l.min(last));
            if to < from {
                continue;
            }
            let group = age_group(p.birth_date, month);
            people.push(kokuho_formats::claims_sample::SamplePerson {
                percent: if group == AgeGroup::Under70 { 30 } else { 20 },
                insured: (from.day(), to.day()),
                name: p.name.clone(),
                sex: i16::from(p.sex),
                birth: p.birth_date,
                symbol: p.insured_symbol.clone(),
                number: p.insured_number.clone(),
                branch: p.branch_number.clone(),
            });
        }
        Ok(kokuho_formats::claims_sample::write_month(
            &people, month, insurer, seed, out,
        )?)
    }
}
