//! The yearly cap (年間上限) of the 2026-08 revision: over a year of August
//! to July, what the monthly high-cost benefits left to be borne is added
//! up, and what passes the cap of the category is refunded. First year
//! 2026-08 to 2027-07; applications from 2027-08.
//!
//! The amounts are in the dated table (`rules/high_cost.toml`, `yearly`).
//! How they are counted — per household or per person, whether under-70
//! claim units below the 合算 floor count — is the period's
//! [`YearlyCapReading`], which says whether it is provisional: the order's
//! text (令和8年政令第240号) and its notice were not read here
//! (docs/high-cost.md). The reading shipped is modelled on 高額介護合算
//! (国民健康保険法施行令 第29条の4の2 and following): the household on the
//! base date, 31 July; its members aged 70–74 first with the 70–74 cap,
//! then the whole household with the under-70 cap; the annual outpatient
//! benefit (外来年間合算) taken off first, as the monthly outpatient step
//! comes first.

use std::collections::BTreeMap;

use crate::annual_outpatient::year_months;
use crate::burden::{Elderly, Under70, format_month, yen};
use crate::eligibility::YearMonth;
use crate::high_cost::{HighCostError, HighCostRules, MAX_CLAIM_YEN, YearlyCapUnit, apportion};

/// What one monthly run left a person to bear in one household-month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BorneMonth {
    pub month: YearMonth,
    /// aged 70–74 that month (all copays added up in the household)
    pub elderly: bool,
    /// the copays after 特定疾病 limits, every claim unit
    pub bears: i64,
    /// … of the units added up in the month (under 70: at least the floor)
    pub aggregated: i64,
    /// the person's share of the month's benefit on the limits (without
    /// the 特定疾病 step)
    pub limit_benefit: i64,
}

impl BorneMonth {
    /// What the month left to be borne of what counts: under 70 the units
    /// added up (or every unit where `below_floor_counts`), 70–74 all.
    pub fn left(&self, below_floor_counts: bool) -> i64 {
        let base = if below_floor_counts || self.elderly {
            self.bears
        } else {
            self.aggregated
        };
        (base - self.limit_benefit).max(0)
    }
}

/// A member of the household as the year is counted.
#[derive(Clone, Debug)]
pub struct YearMember<'a> {
    pub id: String,
    /// aged 70–74 on the base date
    pub elderly: bool,
    pub months: &'a [BorneMonth],
    /// the year's annual outpatient benefit (外来年間合算) booked for the
    /// person, taken off first
    pub annual_outpatient: i64,
}

/// The household of the base date (or, under the person reading, any
/// group of persons: each is counted alone).
#[derive(Clone, Debug)]
pub struct YearHousehold<'a> {
    /// the year of the August the period starts with
    pub year: i32,
    pub under_70: Option<Under70>,
    pub elderly: Option<Elderly>,
    pub members: &'a [YearMember<'a>],
}

/// A member's year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberYear {
    pub id: String,
    pub elderly: bool,
    /// what the months as 70–74 left, less the annual outpatient benefit
    pub counted_elderly: i64,
    /// what the months under 70 left
    pub counted_under: i64,
    pub counted: i64,
    pub benefit: i64,
}

/// What the household's year comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YearlyCap {
    pub year: i32,
    /// the year has a yearly cap at all (from the 2026-08 year)
    pub applies: bool,
    /// the reading is not confirmed from the order: not to be paid on
    pub provisional: bool,
    pub unit: Option<YearlyCapUnit>,
    pub cap_70_74: Option<i64>,
    pub cap_under_70: Option<i64>,
    /// the cap of the last comparison (② where made, else ①; under the
    /// person reading, the person nearest to their cap)
    pub cap: Option<i64>,
    /// what that comparison has left before its cap, 0 once past it
    pub to_cap: Option<i64>,
    /// everything counted, every member
    pub counted: i64,
    pub benefit: i64,
    pub members: Vec<MemberYear>,
    pub steps: Vec<String>,
    pub source: String,
}

fn err(field: &str, en: impl Into<String>, ja: impl Into<String>) -> HighCostError {
    HighCostError {
        field: field.to_string(),
        reason: en.into(),
        reason_ja: ja.into(),
    }
}

/// The household's yearly cap, step by step.
pub fn compute(rules: &HighCostRules, h: &YearHousehold<'_>) -> Result<YearlyCap, HighCostError> {
    let (first, last) =
        year_months(h.year).ok_or_else(|| err("year", "out of range", "年度が範囲外です"))?;
    let period = rules.for_month(first).ok_or_else(|| {
        err(
            "year",
            format!("no high-cost limits for {}", format_month(first)),
            format!("{}診療分の限度額表がありません", format_month(first)),
        )
    })?;
    let mut steps = vec![format!(
        "計算期間 {}〜{}（基準日 {}年7月31日）。",
        format_month(first),
        format_month(last),
        last.year
    )];
    let Some(reading) = period.yearly_cap.as_ref() else {
        steps.push("この計算期間には年間上限がありません（令和8年8月診療分からです）。".into());
        return Ok(YearlyCap {
            year: h.year,
            applies: false,
            provisional: false,
            unit: None,
            cap_70_74: None,
            cap_under_70: None,
            cap: None,
            to_cap: None,
            counted: 0,
            benefit: 0,
            members: Vec::new(),
            steps,
            source: period.source.clone(),
        });
    };
    if reading.provisional {
        steps.push(
            "【暫定】年間上限の数え方（世帯単位か個人単位か、合算の対象）は政令・通知の確認前の暫定です。この結果で支給はしません。"
                .into(),
        );
    }

    // What each member's months left, apart by the months as 70–74 and
    // the months under 70.
    let mut members: Vec<MemberYear> = Vec::with_capacity(h.members.len());
    for (i, m) in h.members.iter().enumerate() {
        let (mut as_elderly, mut as_under) = (0i64, 0i64);
        let mut months: Vec<&BorneMonth> = m.months.iter().collect();
        months.sort_by_key(|b| b.month);
        for (j, b) in months.iter().enumerate() {
            let at = |f: &str| format!("members[{i}].months[{j}].{f}");
            if b.month < first || b.month > last {
                return Err(err(
                    &at("month"),
                    format!("{} is outside the year", format_month(b.month)),
                    format!("{}は計算期間の外です", format_month(b.month)),
                ));
            }
            if !(0..=b.bears).contains(&b.aggregated)
                || !(0..=b.aggregated).contains(&b.limit_benefit)
                || b.bears > MAX_CLAIM_YEN
            {
                return Err(err(
                    &at("aggregated"),
                    "amounts must be 0 ≤ benefit ≤ added up ≤ borne",
                    "金額は 0 ≦ 支給額 ≦ 合算額 ≦ 負担額 です",
                ));
            }
            let left = b.left(reading.below_floor_counts);
            let base = left + b.limit_benefit;
            if b.elderly {
                as_elderly += left;
            } else {
                as_under += left;
            }
            steps.push(format!(
                "{} {}（{}）：負担 {}円{}、月の高額療養費 {}円 → 残り {}円",
                m.id,
                format_month(b.month),
                if b.elderly {
                    "70〜74歳"
                } else {
                    "70歳未満"
                },
                yen(b.bears),
                if base < b.bears {
                    format!("（うち合算の対象 {}円）", yen(base))
                } else {
                    String::new()
                },
                yen(b.limit_benefit),
                yen(left)
            ));
        }
        if !(0..=MAX_CLAIM_YEN).contains(&m.annual_outpatient) {
            return Err(err(
                &format!("members[{i}].annual_outpatient"),
                "out of range",
                "外来年間合算の支給額が範囲外です",
            ));
        }
        // The annual outpatient benefit is on the months as 70–74.
        let counted_elderly = (as_elderly - m.annual_outpatient).max(0);
        if m.annual_outpatient > 0 {
            steps.push(format!(
                "{}：外来年間合算の支給 {}円 を差し引き、70〜74歳の月の分 {}円",
                m.id,
                yen(m.annual_outpatient),
                yen(counted_elderly)
            ));
        }
        members.push(MemberYear {
            id: m.id.clone(),
            elderly: m.elderly,
            counted_elderly,
            counted_under: as_under,
            counted: counted_elderly + as_under,
            benefit: 0,
        });
    }

    let cap_70_74 = h.elderly.and_then(|c| period.elderly(c).yearly);
    let cap_under_70 = h.under_70.and_then(|c| period.under_70(c).yearly);
    let counted: i64 = members.iter().map(|m| m.counted).sum();
    let mut benefit_of: BTreeMap<String, i64> = BTreeMap::new();
    // the last comparison made: (its cap, what it compared)
    let mut last_step: Option<(i64, i64)> = None;
    match reading.unit {
        YearlyCapUnit::Person => {
            steps.push("個人単位で数えます。".into());
            for m in members.iter().filter(|m| m.counted > 0) {
                let (cap, label) = if m.elderly {
                    (cap_70_74, h.elderly.map_or("", Elderly::label))
                } else {
                    (cap_under_70, h.under_70.map_or("", Under70::label))
                };
                let Some(cap) = cap else {
                    return Err(no_category(m.elderly));
                };
                let b = (m.counted - cap).max(0);
                steps.push(format!(
                    "{}：合計 {}円、年間上限 {}円（{label}）→ {}円",
                    m.id,
                    yen(m.counted),
                    yen(cap),
                    yen(b)
                ));
                *benefit_of.entry(m.id.clone()).or_default() += b;
                // the person nearest to their cap stands for the household
                if last_step.is_none_or(|(c, v)| cap - m.counted < c - v) {
                    last_step = Some((cap, m.counted));
                }
            }
        }
        YearlyCapUnit::Household => {
            steps.push("基準日の世帯の世帯員の分を合算します。".into());
            let elderly_sum: i64 = members.iter().map(|m| m.counted_elderly).sum();
            let under_sum: i64 = members.iter().map(|m| m.counted_under).sum();
            if elderly_sum > 0 && cap_70_74.is_none() {
                return Err(no_category(true));
            }
            // A household of 70–74 members alone on the base date has no
            // under-70 category: a member's months before 70 join step ①.
            let whole_in_first = cap_under_70.is_none() && cap_70_74.is_some();
            if under_sum > 0 && !whole_in_first && cap_under_70.is_none() {
                return Err(no_category(false));
            }
            let mut left_of: BTreeMap<String, i64> =
                members.iter().map(|m| (m.id.clone(), m.counted)).collect();
            // ① the months as 70–74, with the 70–74 cap
            if let Some(cap) = cap_70_74.filter(|_| elderly_sum > 0 || whole_in_first) {
                let bore: BTreeMap<String, i64> = members
                    .iter()
                    .map(|m| {
                        let part = if whole_in_first {
                            m.counted
                        } else {
                            m.counted_elderly
                        };
                        (m.id.clone(), part)
                    })
                    .filter(|(_, v)| *v > 0)
                    .collect();
                let sum: i64 = bore.values().sum();
                let b = (sum - cap).max(0);
                steps.push(format!(
                    "① {}：合計 {}円、年間上限 {}円（{}）→ {}円",
                    if whole_in_first {
                        "世帯全体（基準日に70〜74歳の方だけの世帯）"
                    } else {
                        "70〜74歳の月の分"
                    },
                    yen(sum),
                    yen(cap),
                    h.elderly.map_or("", Elderly::label),
                    yen(b)
                ));
                for (id, s) in apportion(b, &bore) {
                    *benefit_of.entry(id.clone()).or_default() += s;
                    if let Some(l) = left_of.get_mut(&id) {
                        *l -= s;
                    }
                }
                last_step = Some((cap, sum));
            }
            // ② the whole household, with the under-70 cap
            if let Some(cap) = cap_under_70.filter(|_| under_sum > 0 || elderly_sum > 0) {
                let sum: i64 = left_of.values().sum();
                let b = (sum - cap).max(0);
                steps.push(format!(
                    "② 世帯全体：合計 {}円{}、年間上限 {}円（{}）→ {}円",
                    yen(sum),
                    if elderly_sum > 0 {
                        "（70〜74歳の月の分は①の後の額）"
                    } else {
                        ""
                    },
                    yen(cap),
                    h.under_70.map_or("", Under70::label),
                    yen(b)
                ));
                for (id, s) in apportion(b, &left_of) {
                    *benefit_of.entry(id).or_default() += s;
                }
                last_step = Some((cap, sum));
            }
        }
    }
    for m in &mut members {
        m.benefit = benefit_of.get(&m.id).copied().unwrap_or(0);
    }
    let benefit: i64 = members.iter().map(|m| m.benefit).sum();
    steps.push(format!("年間上限による支給額 {}円", yen(benefit)));
    Ok(YearlyCap {
        year: h.year,
        applies: true,
        provisional: reading.provisional,
        unit: Some(reading.unit),
        cap_70_74,
        cap_under_70,
        cap: last_step.map(|(c, _)| c),
        to_cap: last_step.map(|(c, v)| (c - v).max(0)),
        counted,
        benefit,
        members,
        steps,
        source: period.source.clone(),
    })
}

fn no_category(elderly: bool) -> HighCostError {
    if elderly {
        err(
            "category_70_74",
            "no 70–74 category on the base date",
            "基準日の70〜74歳の適用区分が判定されていません",
        )
    } else {
        err(
            "category_under_70",
            "no under-70 category on the base date",
            "基準日の70歳未満の適用区分が判定されていません",
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::high_cost::YearlyCapReading;
    use proptest::prelude::*;

    fn ym(y: i32, m: u8) -> YearMonth {
        YearMonth {
            year: y,
            month: time::Month::try_from(m).unwrap(),
        }
    }

    fn rules() -> HighCostRules {
        HighCostRules::shipped().unwrap()
    }

    /// The shipped table with the reading replaced (the amounts stay).
    fn rules_reading(unit: &str, below_floor_counts: bool) -> HighCostRules {
        let text = include_str!("../rules/high_cost.toml").replace(
            "yearly_cap = { provisional = true, unit = \"household\", below_floor_counts = false }",
            &format!(
                "yearly_cap = {{ provisional = false, unit = \"{unit}\", below_floor_counts = {below_floor_counts} }}"
            ),
        );
        HighCostRules::parse(&text).unwrap()
    }

    /// Twelve months from 2026-08, each leaving `left` of `bears`.
    fn year_of(bears: i64, aggregated: i64, benefit: i64, elderly: bool) -> Vec<BorneMonth> {
        let mut m = ym(2026, 8);
        let mut out = Vec::new();
        for _ in 0..12 {
            out.push(BorneMonth {
                month: m,
                elderly,
                bears,
                aggregated,
                limit_benefit: benefit,
            });
            m = m.next();
        }
        out
    }

    fn member<'a>(id: &str, elderly: bool, months: &'a [BorneMonth]) -> YearMember<'a> {
        YearMember {
            id: id.into(),
            elderly,
            months,
            annual_outpatient: 0,
        }
    }

    #[test]
    fn the_shipped_reading_is_provisional_household_and_the_amounts_are_the_ministrys() {
        let r = rules();
        let p = r.for_month(ym(2026, 8)).unwrap();
        assert_eq!(
            p.yearly_cap,
            Some(YearlyCapReading {
                provisional: true,
                unit: YearlyCapUnit::Household,
                below_floor_counts: false
            })
        );
        // 厚生労働省「高額療養費制度の見直しについて（令和８年８月診療分から）」
        let under: Vec<i64> = Under70::ALL
            .iter()
            .map(|c| p.under_70(*c).yearly.unwrap())
            .collect();
        assert_eq!(under, [1_680_000, 1_110_000, 530_000, 530_000, 290_000]);
        assert_eq!(p.elderly(Elderly::General).yearly, Some(530_000));
        assert_eq!(p.elderly(Elderly::LowIncome2).yearly, Some(290_000));
        assert_eq!(p.elderly(Elderly::LowIncome1).yearly, Some(180_000));
        // before the revision there is none
        assert!(r.for_month(ym(2025, 8)).unwrap().yearly_cap.is_none());
    }

    #[test]
    fn a_household_just_under_the_monthly_limit_every_month_passes_the_yearly_cap() {
        // ウ: 85,800 + 1% a month is never reached by 50,000 a month in one
        // unit, but twelve such months are 600,000 > 530,000.
        let months = year_of(50_000, 50_000, 0, false);
        let members = [member("A", false, &months)];
        let y = compute(
            &rules(),
            &YearHousehold {
                year: 2026,
                under_70: Some(Under70::U),
                elderly: None,
                members: &members,
            },
        )
        .unwrap();
        assert!(y.applies && y.provisional);
        assert_eq!(y.counted, 600_000);
        assert_eq!(y.cap_under_70, Some(530_000));
        assert_eq!(y.benefit, 70_000);
        assert_eq!(y.members[0].benefit, 70_000);
        assert!(y.steps.iter().any(|s| s.contains("【暫定】")));
    }

    #[test]
    fn units_below_the_floor_do_not_count_under_the_shipped_reading_but_do_under_the_other() {
        // 30,000 borne a month, of which 25,000 in a unit of 21,000 or more
        let months = year_of(30_000, 25_000, 0, false);
        let members = [member("A", false, &months)];
        let h = YearHousehold {
            year: 2026,
            under_70: Some(Under70::O),
            elderly: None,
            members: &members,
        };
        assert_eq!(compute(&rules(), &h).unwrap().benefit, 300_000 - 290_000);
        let y = compute(&rules_reading("household", true), &h).unwrap();
        assert!(!y.provisional);
        assert_eq!(y.benefit, 360_000 - 290_000);
    }

    #[test]
    fn the_monthly_benefit_and_the_annual_outpatient_benefit_are_taken_off_first() {
        // 70–74 一般: 70,000 a month with a monthly benefit of 8,500 leaves
        // 61,500 × 12 = 738,000; the annual outpatient benefit 20,000 off.
        let months = year_of(70_000, 70_000, 8_500, true);
        let mut m = member("B", true, &months);
        m.annual_outpatient = 20_000;
        let members = [m];
        let y = compute(
            &rules(),
            &YearHousehold {
                year: 2026,
                under_70: None,
                elderly: Some(Elderly::General),
                members: &members,
            },
        )
        .unwrap();
        assert_eq!(y.counted, 718_000);
        assert_eq!(y.benefit, 718_000 - 530_000);
    }

    #[test]
    fn a_mixed_household_takes_the_70_74_cap_first_then_the_under_70_cap() {
        // A 70–74 低所得Ⅰ member bears 20,000 a month (240,000 passes
        // 180,000 by 60,000); an under-70 オ member 25,000 a month in units
        // of 21,000 or more, all counted.
        let old = year_of(20_000, 20_000, 0, true);
        let young = year_of(25_000, 25_000, 0, false);
        let members = [member("E", true, &old), member("Y", false, &young)];
        let y = compute(
            &rules(),
            &YearHousehold {
                year: 2026,
                under_70: Some(Under70::O),
                elderly: Some(Elderly::LowIncome1),
                members: &members,
            },
        )
        .unwrap();
        // ① 240,000 − 180,000 = 60,000; ② 180,000 + 300,000 − 290,000
        assert_eq!(y.benefit, 60_000 + 190_000);
        let e = y.members.iter().find(|m| m.id == "E").unwrap();
        let yy = y.members.iter().find(|m| m.id == "Y").unwrap();
        assert_eq!(e.benefit + yy.benefit, 250_000);
        assert!(e.benefit >= 60_000);
        // person by person, the under-70 member alone is 10,000 over
        let p = compute(
            &rules_reading("person", false),
            &YearHousehold {
                year: 2026,
                under_70: Some(Under70::O),
                elderly: Some(Elderly::LowIncome1),
                members: &members,
            },
        )
        .unwrap();
        assert_eq!(p.benefit, 60_000 + 10_000);
    }

    #[test]
    fn what_is_left_before_the_cap_is_that_of_the_last_step() {
        // ① 240,000 − 180,000 = 60,000 over; ② 180,000 + 25,000 = 205,000
        // against オ's 290,000: 85,000 left.
        let old = year_of(20_000, 20_000, 0, true);
        let mut young = year_of(0, 0, 0, false);
        young[0].bears = 25_000;
        young[0].aggregated = 25_000;
        let members = [member("E", true, &old), member("Y", false, &young)];
        let y = compute(
            &rules(),
            &YearHousehold {
                year: 2026,
                under_70: Some(Under70::O),
                elderly: Some(Elderly::LowIncome1),
                members: &members,
            },
        )
        .unwrap();
        assert_eq!(
            (y.benefit, y.cap, y.to_cap),
            (60_000, Some(290_000), Some(85_000))
        );
    }

    #[test]
    fn months_before_70_are_not_held_to_the_70_74_cap() {
        // Turned 70 in the year: six months under 70 at 50,000 (300,000),
        // six as 70–74 一般 at 50,000 (300,000). With an under-70 member
        // (ウ) in the household the 70–74 step takes only the latter.
        let mut months = year_of(50_000, 50_000, 0, true);
        for b in &mut months[..6] {
            b.elderly = false;
        }
        let none = year_of(0, 0, 0, false);
        let members = [member("E", true, &months), member("Y", false, &none)];
        let y = compute(
            &rules(),
            &YearHousehold {
                year: 2026,
                under_70: Some(Under70::U),
                elderly: Some(Elderly::General),
                members: &members,
            },
        )
        .unwrap();
        assert_eq!(
            (y.members[0].counted_elderly, y.members[0].counted_under),
            (300_000, 300_000)
        );
        // ① 300,000 < 530,000; ② 600,000 − 530,000
        assert_eq!(y.benefit, 70_000);
        assert!(
            y.steps
                .iter()
                .any(|s| s.starts_with("① 70〜74歳の月の分：合計 300,000円"))
        );
        // Alone (no under-70 category on the base date) every month joins ①.
        let alone = [member("E", true, &months)];
        let y = compute(
            &rules(),
            &YearHousehold {
                year: 2026,
                under_70: None,
                elderly: Some(Elderly::General),
                members: &alone,
            },
        )
        .unwrap();
        assert_eq!((y.benefit, y.cap), (70_000, Some(530_000)));
        assert!(y.steps.iter().any(|s| {
            s.starts_with("① 世帯全体（基準日に70〜74歳の方だけの世帯）：合計 600,000円")
        }));
    }

    #[test]
    fn years_before_the_revision_have_no_yearly_cap() {
        let mut months = year_of(90_000, 90_000, 0, false);
        for b in &mut months {
            b.month = YearMonth {
                year: b.month.year - 1,
                month: b.month.month,
            };
        }
        let members = [member("A", false, &months)];
        let y = compute(
            &rules(),
            &YearHousehold {
                year: 2025,
                under_70: Some(Under70::U),
                elderly: None,
                members: &members,
            },
        )
        .unwrap();
        assert!(!y.applies);
        assert_eq!(y.benefit, 0);
    }

    #[test]
    fn bad_input_is_refused_with_the_field() {
        let bad = year_of(10_000, 20_000, 0, false);
        let members = [member("A", false, &bad)];
        let h = YearHousehold {
            year: 2026,
            under_70: Some(Under70::U),
            elderly: None,
            members: &members,
        };
        let e = compute(&rules(), &h).unwrap_err();
        assert_eq!(e.field, "members[0].months[0].aggregated");
        let mut months = year_of(30_000, 30_000, 0, false);
        months[3].month = ym(2027, 8);
        let members = [member("A", false, &months)];
        let e = compute(
            &rules(),
            &YearHousehold {
                members: &members,
                ..h.clone()
            },
        )
        .unwrap_err();
        assert!(e.field.ends_with(".month"), "{}", e.field);
        // no category where a member has something to count
        let months = year_of(30_000, 30_000, 0, true);
        let members = [member("A", true, &months)];
        let e = compute(
            &rules(),
            &YearHousehold {
                year: 2026,
                under_70: Some(Under70::U),
                elderly: None,
                members: &members,
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "category_70_74");
    }

    #[test]
    fn a_table_with_half_a_yearly_cap_is_refused() {
        let text = include_str!("../rules/high_cost.toml").replace(
            "yearly_cap = { provisional = true, unit = \"household\", below_floor_counts = false }\n",
            "",
        );
        let e = HighCostRules::parse(&text).unwrap_err();
        assert!(e.field.ends_with("yearly_cap"), "{}", e.field);
        let text = include_str!("../rules/high_cost.toml").replace(", yearly = 290000 }", " }");
        assert!(HighCostRules::parse(&text).is_err());
    }

    proptest! {
        #[test]
        fn the_benefit_never_passes_what_was_counted_and_grows_with_it(
            a in proptest::collection::vec((0i64..200_000, 0i64..100, 0i64..100), 1..12),
            b in proptest::collection::vec((0i64..200_000, 0i64..100, 0i64..100), 0..12),
            extra in 0i64..100_000,
            under in 0usize..5,
            elderly in 0usize..6,
        ) {
            let to_months = |v: &[(i64, i64, i64)], old: bool| -> Vec<BorneMonth> {
                let mut m = ym(2026, 8);
                v.iter()
                    .map(|(bears, agg_pct, ben_pct)| {
                        let aggregated = bears * agg_pct / 100;
                        let out = BorneMonth {
                            month: m,
                            elderly: old,
                            bears: *bears,
                            aggregated,
                            limit_benefit: aggregated * ben_pct / 100,
                        };
                        m = m.next();
                        out
                    })
                    .collect()
            };
            let ma = to_months(&a, false);
            let mb = to_months(&b, true);
            let all = [Elderly::Genekinami3, Elderly::Genekinami2, Elderly::Genekinami1,
                Elderly::General, Elderly::LowIncome2, Elderly::LowIncome1];
            for r in [rules(), rules_reading("person", true)] {
                let members = [member("A", false, &ma), member("B", true, &mb)];
                let h = YearHousehold {
                    year: 2026,
                    under_70: Some(Under70::ALL[under]),
                    elderly: Some(all[elderly]),
                    members: &members,
                };
                let y = compute(&r, &h).unwrap();
                prop_assert!(0 <= y.benefit && y.benefit <= y.counted);
                prop_assert_eq!(y.benefit, y.members.iter().map(|m| m.benefit).sum::<i64>());
                for m in &y.members {
                    prop_assert!(0 <= m.benefit && m.benefit <= m.counted);
                }
                // more borne in a month never lowers the benefit
                let mut more = ma.clone();
                more[0].bears += extra;
                more[0].aggregated += extra;
                let members2 = [member("A", false, &more), member("B", true, &mb)];
                let y2 = compute(&r, &YearHousehold { members: &members2, ..h.clone() }).unwrap();
                prop_assert!(y2.benefit >= y.benefit);
            }
        }
    }
}
