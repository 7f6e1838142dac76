//! The yearly cap (年間上限) of the 2026-08 revision, as a statement of the
//! year so far (試算): for each household, what the monthly high-cost runs
//! of August to July left its members to bear, against the year's cap.
//!
//! Nothing is booked. How the cap is counted was not confirmed from the
//! order here, and the rule table marks its reading provisional
//! (docs/high-cost.md); the first applications are taken from 2027-08.
//! What the statement gives the benefits staff now is who is near or past
//! the cap, on the figures the monthly runs keep (`borne_month`), so that
//! the yearly calculation is a reading of stored months once the rule is
//! read.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use kokuho_domain::annual_outpatient::year_months;
use kokuho_domain::burden::{AgeGroup, Elderly, Under70, age_group, format_month, parse_month};
use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::high_cost::YearlyCapUnit;
use kokuho_domain::yearly_cap::{self as rule, BorneMonth, YearHousehold, YearMember};
use kokuho_store::annual_outpatient as annual_repo;
use kokuho_store::claims as claims_repo;
use kokuho_store::high_cost as high_cost_repo;
use kokuho_store::yearly_cap::{self as repo, BorneMonthRow};
use serde::Serialize;
use time::OffsetDateTime;

use crate::claims::Snapshot;
use crate::eligibility::to_us;
use crate::{AppError, Kokuho, Result};

/// A month of the year and the run its figures come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PositionMonth {
    pub month: String,
    pub run_id: Option<i64>,
    /// used | stale (used, but claims or a check came after the run) |
    /// missing (no run) | not_recorded (the run is from before the yearly
    /// cap was kept: run the month again)
    pub state: &'static str,
    /// households the month's run could not compute (no burden category):
    /// not counted for that month
    pub left_out: Vec<String>,
}

/// A member of a household as the year stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PositionMember {
    pub addressee_id: String,
    /// aged 70–74 on the day of the statement
    pub elderly: bool,
    pub counted: i64,
    pub benefit: i64,
}

/// A household as the year stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PositionHousehold {
    pub household_number: String,
    pub householder_id: Option<String>,
    pub category_under_70: Option<String>,
    pub category_70_74: Option<String>,
    pub counted: i64,
    /// the cap of the last comparison (the whole household's under-70 cap
    /// where it has one, else the 70–74 cap)
    pub cap: Option<i64>,
    /// what passes the cap so far (provisional)
    pub benefit: i64,
    /// what is left before the cap is reached, 0 once past it
    pub to_cap: Option<i64>,
    pub members: Vec<PositionMember>,
    pub steps: Vec<String>,
}

/// A person with counted months not insured here on the statement's day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PositionLeaver {
    pub addressee_id: String,
    pub counted: i64,
}

/// The year so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YearlyCapPosition {
    /// the year of its August
    pub year: i32,
    /// the day the households and categories are taken on: the base date
    /// (31 July) once passed, else the day of the statement
    pub as_of: String,
    /// the year has a yearly cap (from 2026-08)
    pub applies: bool,
    pub provisional: bool,
    /// household | person
    pub unit: Option<String>,
    pub months: Vec<PositionMonth>,
    /// households with anything counted, the largest benefit first, then
    /// the nearest to their cap
    pub households: Vec<PositionHousehold>,
    pub leavers: Vec<PositionLeaver>,
    /// households not counted: whose category on the day is not judged,
    /// or whose month a run could not compute — (household, reason)
    pub uncategorised: Vec<(String, String)>,
    /// households the calculation refused: (household, reason)
    pub refused: Vec<(String, String)>,
    /// months whose run is out of date (claims or a check after it), whose
    /// figures are in the totals
    pub stale_months: Vec<String>,
    /// households with anything counted (before any truncation)
    pub households_total: u64,
    /// … of which past their cap
    pub over_cap: u64,
    /// what passes the caps, every household (provisional)
    pub benefit_total: i64,
    pub leavers_total: u64,
    pub source: String,
}

impl YearlyCapPosition {
    /// Every person the statement names (members and payees), for the
    /// access log.
    pub fn persons(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .households
            .iter()
            .flat_map(|h| {
                h.members
                    .iter()
                    .map(|m| m.addressee_id.clone())
                    .chain(h.householder_id.clone())
            })
            .chain(self.leavers.iter().map(|l| l.addressee_id.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The statement with only the first `n` households and leavers (for a
    /// screen).
    pub fn truncated(mut self, n: usize) -> YearlyCapPosition {
        self.households.truncate(n);
        self.leavers.truncate(n);
        self
    }
}

/// The year (of its August) a day falls in: August to July.
pub fn year_of(day: time::Date) -> i32 {
    if day.month() as u8 >= 8 {
        day.year()
    } else {
        day.year() - 1
    }
}

fn invalid_year(year: i32) -> AppError {
    AppError::Invalid {
        field: "year",
        message_en: format!("year {year} is out of range"),
        message_ja: format!("{year}年度は範囲外です"),
    }
}

impl Kokuho {
    /// The yearly cap's statement of the year that starts in August `year`,
    /// as the records were known at `known_at`. Reads only.
    pub async fn yearly_cap_position(
        &self,
        year: i32,
        known_at: OffsetDateTime,
    ) -> Result<YearlyCapPosition> {
        let rules = crate::high_cost::shipped_rules()?;
        let (first, last) = year_months(year).ok_or_else(|| invalid_year(year))?;
        let base_date = last.last_day().ok_or_else(|| invalid_year(year))?;
        let today = crate::local_date(known_at);
        let first_day = first.first_day().ok_or_else(|| invalid_year(year))?;
        if today < first_day {
            return Err(AppError::Conflict {
                message_en: format!("the year {} has not started", format_month(first)),
                message_ja: format!(
                    "計算期間（{}〜）はまだ始まっていません",
                    format_month(first)
                ),
            });
        }
        let as_of = today.min(base_date);
        let period = rules.for_month(first).ok_or_else(|| AppError::Invalid {
            field: "year",
            message_en: format!("no high-cost limits for {}", format_month(first)),
            message_ja: format!("{}診療分の限度額表がありません", format_month(first)),
        })?;
        let reading = period.yearly_cap.clone();
        let known_at_us = to_us(known_at);
        let until = YearMonth::from_date(as_of).min(last);

        let runs = self
            .latest_month_runs(first, until, known_at_us, |r| r.borne_recorded)
            .await?;
        let left_out_of = |m: &str| {
            runs.borne_left_out
                .iter()
                .find(|(k, _)| k == m)
                .map(|(_, h)| h.clone())
                .unwrap_or_default()
        };
        let mut months: Vec<PositionMonth> = Vec::new();
        for (m, r) in &runs.current {
            months.push(PositionMonth {
                month: m.clone(),
                run_id: Some(*r),
                state: "used",
                left_out: left_out_of(m),
            });
        }
        for (m, r) in &runs.stale {
            months.push(PositionMonth {
                month: m.clone(),
                run_id: Some(*r),
                state: "stale",
                left_out: left_out_of(m),
            });
        }
        for m in &runs.missing {
            months.push(PositionMonth {
                month: m.clone(),
                run_id: None,
                state: "missing",
                left_out: Vec::new(),
            });
        }
        for m in &runs.not_recorded {
            months.push(PositionMonth {
                month: m.clone(),
                run_id: None,
                state: "not_recorded",
                left_out: Vec::new(),
            });
        }
        months.sort_by(|a, b| a.month.cmp(&b.month));
        let mut position = YearlyCapPosition {
            year,
            as_of: as_of.to_string(),
            applies: reading.is_some(),
            provisional: reading.as_ref().is_some_and(|r| r.provisional),
            unit: reading.as_ref().map(|r| {
                match r.unit {
                    YearlyCapUnit::Household => "household",
                    YearlyCapUnit::Person => "person",
                }
                .to_string()
            }),
            months,
            households: Vec::new(),
            leavers: Vec::new(),
            uncategorised: Vec::new(),
            refused: Vec::new(),
            stale_months: runs.stale.iter().map(|(m, _)| m.clone()).collect(),
            households_total: 0,
            over_cap: 0,
            benefit_total: 0,
            leavers_total: 0,
            source: period.source.clone(),
        };
        if reading.is_none() {
            return Ok(position);
        }

        let run_ids: Vec<i64> = position.months.iter().filter_map(|m| m.run_id).collect();
        let rows = repo::months_of_runs(&self.db, &self.insurer, &run_ids).await?;
        let mut by_person: BTreeMap<String, Vec<BorneMonthRow>> = BTreeMap::new();
        for r in rows {
            by_person.entry(r.addressee_id.clone()).or_default().push(r);
        }
        let annual: HashMap<String, i64> =
            annual_repo::of_year_known_at(&self.db, &self.insurer, i64::from(year), known_at_us)
                .await?
                .into_iter()
                .map(|d| (d.addressee_id, d.benefit))
                .collect();

        let snap = Snapshot::load(self, &[], known_at_us).await?;
        let index: HashMap<&str, usize> = snap
            .persons
            .iter()
            .enumerate()
            .map(|(i, p)| (p.addressee_id.as_str(), i))
            .collect();
        let categories = claims_repo::categories_known_at(
            &self.db,
            &self.insurer,
            &format_month(YearMonth::from_date(as_of)),
            known_at_us,
        )
        .await?;

        // The household of the day: each person with counted months joins
        // the household they are a member of on it.
        struct Person {
            id: String,
            elderly: bool,
            months: Vec<BorneMonth>,
        }
        let mut households: BTreeMap<String, Vec<Person>> = BTreeMap::new();
        for (id, rows) in by_person {
            let months: Vec<BorneMonth> = rows
                .iter()
                .filter_map(|r| {
                    Some(BorneMonth {
                        month: parse_month(&r.service_month)?,
                        elderly: r.age_group == "70_74",
                        bears: r.bears,
                        aggregated: r.aggregated,
                        limit_benefit: r.limit_benefit,
                    })
                })
                .collect();
            let p = index.get(id.as_str()).map(|i| &snap.persons[*i]);
            let insured = p.is_some_and(|p| Snapshot::insured_on(p, as_of));
            let household = p.and_then(|p| Snapshot::household_at(p, as_of));
            match (insured, household, p) {
                (true, Some(h), Some(p)) => {
                    households.entry(h.to_string()).or_default().push(Person {
                        id: id.clone(),
                        elderly: age_group(p.facts.birth_date, YearMonth::from_date(as_of))
                            == AgeGroup::Elderly,
                        months,
                    })
                }
                _ => {
                    let below = reading.as_ref().is_some_and(|r| r.below_floor_counts);
                    let counted: i64 = months.iter().map(|b| b.left(below)).sum::<i64>()
                        - annual.get(&id).copied().unwrap_or(0);
                    if counted > 0 {
                        position.leavers.push(PositionLeaver {
                            addressee_id: id.clone(),
                            counted,
                        });
                    }
                }
            }
        }
        let numbers: Vec<String> = households.keys().cloned().collect();
        let heads =
            high_cost_repo::householders_on(&self.db, &self.insurer, as_of, &numbers, known_at_us)
                .await?;

        for (number, persons) in &households {
            let cats = categories.get(number);
            let under_70 = cats
                .and_then(|c| c.category_under_70.as_deref())
                .and_then(Under70::from_label);
            let elderly = cats
                .and_then(|c| c.category_70_74.as_deref())
                .and_then(Elderly::from_label);
            let members: Vec<YearMember<'_>> = persons
                .iter()
                .map(|p| YearMember {
                    id: p.id.clone(),
                    elderly: p.elderly,
                    months: &p.months,
                    annual_outpatient: annual.get(&p.id).copied().unwrap_or(0),
                })
                .collect();
            let y = match rule::compute(
                &rules,
                &YearHousehold {
                    year,
                    under_70,
                    elderly,
                    members: &members,
                },
            ) {
                Ok(y) => y,
                Err(e) if e.field.starts_with("category_") => {
                    position.uncategorised.push((number.clone(), e.reason_ja));
                    continue;
                }
                Err(e) => {
                    position.refused.push((number.clone(), e.reason_ja));
                    continue;
                }
            };
            if y.counted == 0 {
                continue;
            }
            position.households.push(PositionHousehold {
                household_number: number.clone(),
                householder_id: heads.get(number).cloned(),
                category_under_70: under_70.map(|c| c.label().to_string()),
                category_70_74: elderly.map(|c| c.label().to_string()),
                counted: y.counted,
                cap: y.cap,
                benefit: y.benefit,
                to_cap: y.to_cap,
                members: y
                    .members
                    .iter()
                    .map(|m| PositionMember {
                        addressee_id: m.id.clone(),
                        elderly: m.elderly,
                        counted: m.counted,
                        benefit: m.benefit,
                    })
                    .collect(),
                steps: y.steps,
            });
        }
        position.households.sort_by(|a, b| {
            b.benefit
                .cmp(&a.benefit)
                .then(
                    a.to_cap
                        .unwrap_or(i64::MAX)
                        .cmp(&b.to_cap.unwrap_or(i64::MAX)),
                )
                .then(a.household_number.cmp(&b.household_number))
        });
        position.leavers.sort_by(|a, b| {
            b.counted
                .cmp(&a.counted)
                .then(a.addressee_id.cmp(&b.addressee_id))
        });
        for m in &position.months {
            for h in &m.left_out {
                position.uncategorised.push((
                    h.clone(),
                    format!(
                        "{}の月次計算で負担区分がなく計算できなかった世帯です（その月は合算していません）",
                        m.month
                    ),
                ));
            }
        }
        position.households_total = position.households.len() as u64;
        position.over_cap = position.households.iter().filter(|h| h.benefit > 0).count() as u64;
        position.benefit_total = position.households.iter().map(|h| h.benefit).sum();
        position.leavers_total = position.leavers.len() as u64;
        Ok(position)
    }
}

const POSITION_HEADER: [&str; 11] = [
    "世帯番号",
    "世帯主宛名番号",
    "70歳未満の区分",
    "70〜74歳の区分",
    "世帯員（宛名番号:合算額）",
    "合算額",
    "年間上限",
    "上限までの残り",
    "超過額（暫定）",
    "計算期間",
    "基準",
];

/// The statement as CSV: one row a household, then the leavers.
pub fn write_position_csv<W: Write>(
    p: &YearlyCapPosition,
    encoding: kokuho_formats::text::Encoding,
    out: W,
) -> Result<W> {
    let csv_error = |e: kokuho_formats::csv_out::CsvError| AppError::Invalid {
        field: "encoding",
        message_en: e.to_string(),
        message_ja: e.message_ja(),
    };
    let mut w = kokuho_formats::csv_out::CsvWriter::new(out, encoding, &POSITION_HEADER)
        .map_err(csv_error)?;
    let year = if p.stale_months.is_empty() {
        format!("{}年8月〜{}年7月（{}時点）", p.year, p.year + 1, p.as_of)
    } else {
        format!(
            "{}年8月〜{}年7月（{}時点、古い月次計算の月：{}）",
            p.year,
            p.year + 1,
            p.as_of,
            p.stale_months.join("・")
        )
    };
    let basis = if p.provisional {
        "暫定（支給しません）"
    } else {
        "確定"
    };
    for h in &p.households {
        w.write_row(&[
            h.household_number.clone(),
            h.householder_id.clone().unwrap_or_default(),
            h.category_under_70.clone().unwrap_or_default(),
            h.category_70_74.clone().unwrap_or_default(),
            h.members
                .iter()
                .map(|m| format!("{}:{}", m.addressee_id, m.counted))
                .collect::<Vec<_>>()
                .join(";"),
            h.counted.to_string(),
            h.cap.map(|c| c.to_string()).unwrap_or_default(),
            h.to_cap.map(|c| c.to_string()).unwrap_or_default(),
            h.benefit.to_string(),
            year.clone(),
            basis.to_string(),
        ])
        .map_err(csv_error)?;
    }
    for l in &p.leavers {
        w.write_row(&[
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            format!("{}:{}", l.addressee_id, l.counted),
            l.counted.to_string(),
            String::new(),
            String::new(),
            String::new(),
            year.clone(),
            "資格喪失者（自己負担額証明書の対象）".to_string(),
        ])
        .map_err(csv_error)?;
    }
    for (h, why) in p.uncategorised.iter().chain(&p.refused) {
        w.write_row(&[
            h.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            year.clone(),
            format!("合算していません：{why}"),
        ])
        .map_err(csv_error)?;
    }
    w.finish().map_err(csv_error)
}

#[cfg(test)]
mod tests {
    use super::year_of;
    use time::macros::date;

    #[test]
    fn a_day_falls_in_the_year_of_the_august_before_it() {
        assert_eq!(year_of(date!(2026 - 08 - 01)), 2026);
        assert_eq!(year_of(date!(2027 - 07 - 31)), 2026);
        assert_eq!(year_of(date!(2026 - 11 - 25)), 2026);
        assert_eq!(
            crate::annual_outpatient::last_closed_year(date!(2026 - 11 - 25)),
            2025
        );
        assert_eq!(
            crate::annual_outpatient::last_closed_year(date!(2026 - 07 - 31)),
            2024
        );
    }
}
