//! 高額介護合算療養費 (combined_care_benefit): over a year of August to
//! July, a household's medical copays and long-term-care copays are added
//! up; what passes the household's limit is paid, the medical insurer's
//! part as 高額介護合算療養費 and the care insurer's as 高額医療合算介護
//! サービス費, each in proportion to its side's copays (按分).
//!
//! The household is the one of the base date (31 July, or the day before
//! the loss of NHI within the year). Its members aged 70–74 are counted
//! first against the 70–74 limit; what is left of theirs, with the
//! under-70 members', against the household's under-70 limit (長与町 国保
//! 「最初に70〜74歳の自己負担限度額を適用して、残った自己負担額に、70歳未満
//! の自己負担額を合算して、70歳未満の自己負担限度額を適用します」; 大阪府医師
//! 国保). A household of 70–74 members alone has only the first step.
//!
//! The amounts a member brings are the caller's: the medical ones after the
//! monthly 高額療養費 and the 外来年間合算 benefit, under 70 only the claim
//! units of at least 21,000 yen (長岡市 国保), with other insurers' months
//! from their 自己負担額証明書; the care ones from the care insurer's
//! certificate, after 高額介護サービス費. Meals, living costs and private
//! rooms are never in them. The limits, the 500 yen and the rounding are the
//! dated table `rules/combined_care.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::annual_outpatient::year_months;
use crate::burden::{Elderly, Under70, format_month, yen};
use crate::eligibility::YearMonth;
use crate::high_cost::{AnnualSplit, HighCostError, SplitRounding};
use crate::month_periods::{self, Period};

const COMBINED_CARE_RULES: &str = include_str!("../rules/combined_care.toml");

/// The largest yearly amount accepted for one member and side (yen).
pub const MAX_YEAR_YEN: i64 = 10_000_000_000;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Under70Limits {
    pub a: i64,
    pub i: i64,
    pub u: i64,
    pub e: i64,
    pub o: i64,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ElderlyLimits {
    pub genekinami3: i64,
    pub genekinami2: i64,
    pub genekinami1: i64,
    pub general: i64,
    pub low_income2: i64,
    pub low_income1: i64,
}

/// The figures for the years whose August falls in the period.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CombinedCarePeriod {
    pub from: String,
    pub until: Option<String>,
    pub source: String,
    /// 支給基準額: paid only when the excess passes it
    pub threshold: i64,
    /// 低所得Ⅰ with more than one care-service user: the care side's limit
    pub low_income1_several_care_users: i64,
    pub split: AnnualSplit,
    pub under_70: Under70Limits,
    pub elderly: ElderlyLimits,
    /// the limits themselves are not confirmed for the period
    pub limits_provisional: bool,
}

impl CombinedCarePeriod {
    pub fn under_70(&self, c: Under70) -> i64 {
        let l = &self.under_70;
        match c {
            Under70::A => l.a,
            Under70::I => l.i,
            Under70::U => l.u,
            Under70::E => l.e,
            Under70::O => l.o,
        }
    }

    pub fn elderly(&self, c: Elderly) -> i64 {
        let l = &self.elderly;
        match c {
            Elderly::Genekinami3 => l.genekinami3,
            Elderly::Genekinami2 => l.genekinami2,
            Elderly::Genekinami1 => l.genekinami1,
            Elderly::General => l.general,
            Elderly::LowIncome2 => l.low_income2,
            Elderly::LowIncome1 => l.low_income1,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CombinedCareFile {
    period: Vec<CombinedCarePeriod>,
}

/// The dated table, checked when loaded.
#[derive(Clone, Debug)]
pub struct CombinedCareRules {
    periods: Vec<Period<CombinedCarePeriod>>,
}

fn err(field: impl Into<String>, en: impl Into<String>, ja: impl Into<String>) -> HighCostError {
    HighCostError {
        field: field.into(),
        reason: en.into(),
        reason_ja: ja.into(),
    }
}

fn check_period(i: usize, p: &CombinedCarePeriod) -> Result<(), HighCostError> {
    let at = |f: &str| format!("rules/combined_care.toml: period[{i}].{f}");
    if !p.from.ends_with("-08") {
        return Err(err(
            at("from"),
            "a period starts with an August (the year runs August to July)",
            "期間は8月から始まります（計算期間は8月〜翌年7月）",
        ));
    }
    if p.until.as_deref().is_some_and(|u| !u.ends_with("-07")) {
        return Err(err(
            at("until"),
            "a period ends with a July",
            "期間は7月で終わります",
        ));
    }
    let u = &p.under_70;
    let under = [u.a, u.i, u.u, u.e, u.o];
    let e = &p.elderly;
    let elderly = [
        e.genekinami3,
        e.genekinami2,
        e.genekinami1,
        e.general,
        e.low_income2,
        e.low_income1,
    ];
    let ordered = |v: &[i64]| v.iter().all(|x| *x > 0) && v.windows(2).all(|w| w[0] >= w[1]);
    if !ordered(&under) {
        return Err(err(
            at("under_70"),
            "limits must be positive and not rise from ア to オ",
            "70歳未満の算定基準額が区分の順になっていません",
        ));
    }
    if !ordered(&elderly) {
        return Err(err(
            at("elderly"),
            "limits must be positive and not rise from 現役並みⅢ to 低所得Ⅰ",
            "70〜74歳の算定基準額が区分の順になっていません",
        ));
    }
    if !(0..=100_000).contains(&p.threshold) {
        return Err(err(
            at("threshold"),
            "the threshold must be between 0 and 100,000 yen",
            "支給基準額が範囲外です",
        ));
    }
    if p.low_income1_several_care_users < e.low_income1 {
        return Err(err(
            at("low_income1_several_care_users"),
            "must not be below the 低所得Ⅰ limit",
            "低所得Ⅰの介護側の算定基準額が低所得Ⅰの額を下回っています",
        ));
    }
    Ok(())
}

impl CombinedCareRules {
    /// The table shipped with this build; a broken table fails every test.
    pub fn shipped() -> Result<CombinedCareRules, HighCostError> {
        CombinedCareRules::parse(COMBINED_CARE_RULES)
    }

    pub fn parse(text: &str) -> Result<CombinedCareRules, HighCostError> {
        let file: CombinedCareFile = toml::from_str(text).map_err(|e| {
            err(
                "rules/combined_care.toml",
                e.to_string(),
                "高額介護合算療養費の規則表が読めません",
            )
        })?;
        let mut periods = Vec::new();
        for (i, p) in file.period.into_iter().enumerate() {
            let (from, until) = month_periods::bounds(i, &p.from, p.until.as_deref())?;
            check_period(i, &p)?;
            periods.push((from, until, p));
        }
        month_periods::link(&mut periods)?;
        Ok(CombinedCareRules { periods })
    }

    /// The figures for the year whose August is `year`.
    pub fn for_year(&self, year: i32) -> Option<&CombinedCarePeriod> {
        let (first, _) = year_months(year)?;
        month_periods::find(&self.periods, first)
    }
}

/// What a member of the base date's household bore in the year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CareMember {
    pub id: String,
    /// medical copays of the months aged 70–74
    pub medical_elderly: i64,
    /// medical copays of the months under 70
    pub medical_under: i64,
    /// care copays of the months aged 70–74
    pub care_elderly: i64,
    /// care copays of the months under 70
    pub care_under: i64,
}

impl CareMember {
    fn care(&self) -> i64 {
        self.care_elderly + self.care_under
    }

    fn medical(&self) -> i64 {
        self.medical_elderly + self.medical_under
    }
}

/// The household of the base date and its categories on that day.
#[derive(Clone, Debug)]
pub struct CareHousehold<'a> {
    /// the year of the August the period starts with
    pub year: i32,
    pub under_70: Option<Under70>,
    pub elderly: Option<Elderly>,
    pub members: &'a [CareMember],
}

/// A member's shares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberShare {
    pub id: String,
    pub medical: i64,
    pub care: i64,
    /// what the member brought, medical and care
    pub medical_counted: i64,
    pub care_counted: i64,
}

/// What the household's year comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CombinedCare {
    pub year: i32,
    /// both sides have copays: the household is within the benefit at all
    pub eligible: bool,
    pub limit_70_74: Option<i64>,
    pub limit_under_70: Option<i64>,
    pub medical_counted: i64,
    pub care_counted: i64,
    /// what passes the limits (before the split)
    pub excess: i64,
    /// the excess passes the threshold: the shares are paid
    pub paid: bool,
    /// what this (the medical) insurer pays: 高額介護合算療養費
    pub medical: i64,
    /// what the care insurer pays: 高額医療合算介護サービス費
    pub care: i64,
    pub members: Vec<MemberShare>,
    /// a share left a fraction of a yen and was rounded
    pub rounded: bool,
    /// the result rests on a rule not confirmed: limits of the period, or
    /// the rounding where it was needed
    pub provisional: bool,
    pub steps: Vec<String>,
    pub source: String,
}

/// `excess` × `part` ÷ `whole`, rounded as the table says, and whether the
/// division was exact.
fn share(excess: i64, part: i64, whole: i64, rounding: SplitRounding) -> (i64, bool) {
    if excess <= 0 || part <= 0 || whole <= 0 {
        return (0, true);
    }
    let (e, p, w) = (i128::from(excess), i128::from(part), i128::from(whole));
    let exact = (e * p) % w == 0;
    let v = match rounding {
        SplitRounding::Floor => e * p / w,
        SplitRounding::HalfUp => (2 * e * p + w) / (2 * w),
    };
    (i64::try_from(v).unwrap_or(0).min(part), exact)
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

/// One comparison: the members' (medical, care) amounts against a limit.
struct Step {
    excess: i64,
    shares: BTreeMap<String, (i64, i64)>,
    exact: bool,
}

fn step(bases: &BTreeMap<String, (i64, i64)>, limit: i64, rounding: SplitRounding) -> Step {
    let sum: i64 = bases.values().map(|(m, c)| m + c).sum();
    let excess = (sum - limit).max(0);
    let mut exact = true;
    let mut shares = BTreeMap::new();
    for (id, (m, c)) in bases {
        let (ms, me) = share(excess, *m, sum, rounding);
        let (cs, ce) = share(excess, *c, sum, rounding);
        exact &= me && ce;
        shares.insert(id.clone(), (ms, cs));
    }
    Step {
        excess,
        shares,
        exact,
    }
}

/// Both steps with one set of limits: the shares by member, each step's
/// sum and excess, and whether every division was exact.
struct Pass {
    shares: BTreeMap<String, (i64, i64)>,
    sum1: i64,
    excess1: i64,
    sum2: i64,
    excess2: i64,
    exact: bool,
}

fn two_steps(
    h: &CareHousehold<'_>,
    limit_70_74: Option<i64>,
    limit_under_70: Option<i64>,
    whole_in_first: bool,
    first_step: bool,
    rounding: SplitRounding,
) -> Pass {
    let mut out = Pass {
        shares: BTreeMap::new(),
        sum1: 0,
        excess1: 0,
        sum2: 0,
        excess2: 0,
        exact: true,
    };
    // What each member has left for ②: (medical, care).
    let mut left: BTreeMap<String, (i64, i64)> = h
        .members
        .iter()
        .map(|m| (m.id.clone(), (m.medical_under, m.care_under)))
        .collect();
    // ① the members' months as 70–74, against the 70–74 limit
    if let (true, Some(limit)) = (first_step, limit_70_74) {
        let bases: BTreeMap<String, (i64, i64)> = h
            .members
            .iter()
            .map(|m| {
                let v = if whole_in_first {
                    (m.medical(), m.care())
                } else {
                    (m.medical_elderly, m.care_elderly)
                };
                (m.id.clone(), v)
            })
            .filter(|(_, (a, b))| a + b > 0)
            .collect();
        let s = step(&bases, limit, rounding);
        out.sum1 = bases.values().map(|(a, b)| a + b).sum();
        out.excess1 = s.excess;
        out.exact &= s.exact;
        for (id, (ms, cs)) in &s.shares {
            let e = out.shares.entry(id.clone()).or_default();
            e.0 += ms;
            e.1 += cs;
            if let (Some(l), Some((bm, bc))) = (left.get_mut(id), bases.get(id)) {
                l.0 += bm - ms;
                l.1 += bc - cs;
            }
        }
    } else {
        // no ①: the months as 70–74 (none counted) go to ② as they are
        for m in h.members {
            if let Some(l) = left.get_mut(&m.id) {
                *l = (m.medical(), m.care());
            }
        }
    }
    // ② the whole household, against the under-70 limit
    if let (false, Some(limit)) = (whole_in_first, limit_under_70) {
        let bases: BTreeMap<String, (i64, i64)> =
            left.into_iter().filter(|(_, (a, b))| a + b > 0).collect();
        let s = step(&bases, limit, rounding);
        out.sum2 = bases.values().map(|(a, b)| a + b).sum();
        out.excess2 = s.excess;
        out.exact &= s.exact;
        for (id, (ms, cs)) in &s.shares {
            let e = out.shares.entry(id.clone()).or_default();
            e.0 += ms;
            e.1 += cs;
        }
    }
    out
}

/// The household's combined benefit, step by step.
pub fn compute(
    rules: &CombinedCareRules,
    h: &CareHousehold<'_>,
) -> Result<CombinedCare, HighCostError> {
    let (first, last): (YearMonth, YearMonth) =
        year_months(h.year).ok_or_else(|| err("year", "out of range", "年度が範囲外です"))?;
    let period = rules.for_year(h.year).ok_or_else(|| {
        err(
            "year",
            format!(
                "no combined-care limits for the year from {}",
                format_month(first)
            ),
            format!(
                "{}〜{}の高額介護合算の算定基準額表がありません",
                format_month(first),
                format_month(last)
            ),
        )
    })?;
    let rounding = period.split.rounding;
    let mut steps = vec![format!(
        "計算期間 {}〜{}。医療の自己負担額（高額療養費・外来年間合算の支給後、70歳未満は21,000円以上のものに限る）と介護の自己負担額（高額介護サービス費の支給後）を世帯で合算します。",
        format_month(first),
        format_month(last)
    )];
    if period.limits_provisional {
        steps.push(
            "【暫定】この計算期間の算定基準額は政令の確認前のため暫定です。この結果で支給はしません。"
                .into(),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, m) in h.members.iter().enumerate() {
        for (f, v) in [
            ("medical_elderly", m.medical_elderly),
            ("medical_under", m.medical_under),
            ("care_elderly", m.care_elderly),
            ("care_under", m.care_under),
        ] {
            if !(0..=MAX_YEAR_YEN).contains(&v) {
                return Err(err(
                    format!("members[{i}].{f}"),
                    "must be between 0 and 10,000,000,000 yen",
                    "自己負担額が範囲外です",
                ));
            }
        }
        if !seen.insert(m.id.as_str()) {
            return Err(err(
                format!("members[{i}].id"),
                "the member is given twice",
                "同じ世帯員が二度あります",
            ));
        }
        steps.push(format!(
            "{}：医療 {}円（うち70〜74歳の月 {}円）、介護 {}円（うち70〜74歳の月 {}円）",
            m.id,
            yen(m.medical()),
            yen(m.medical_elderly),
            yen(m.care()),
            yen(m.care_elderly)
        ));
    }
    let medical_counted: i64 = h.members.iter().map(CareMember::medical).sum();
    let care_counted: i64 = h.members.iter().map(CareMember::care).sum();
    let mut members: Vec<MemberShare> = h
        .members
        .iter()
        .map(|m| MemberShare {
            id: m.id.clone(),
            medical: 0,
            care: 0,
            medical_counted: m.medical(),
            care_counted: m.care(),
        })
        .collect();
    let limit_70_74 = h.elderly.map(|c| period.elderly(c));
    let limit_under_70 = h.under_70.map(|c| period.under_70(c));
    let mut out = CombinedCare {
        year: h.year,
        eligible: false,
        limit_70_74,
        limit_under_70,
        medical_counted,
        care_counted,
        excess: 0,
        paid: false,
        medical: 0,
        care: 0,
        members: Vec::new(),
        rounded: false,
        provisional: period.limits_provisional,
        steps: Vec::new(),
        source: period.source.clone(),
    };
    if medical_counted == 0 || care_counted == 0 {
        steps.push(format!(
            "医療 {}円・介護 {}円：医療と介護の両方に自己負担額がある世帯が対象のため、支給はありません。",
            yen(medical_counted),
            yen(care_counted)
        ));
        out.members = members;
        out.steps = steps;
        return Ok(out);
    }
    out.eligible = true;

    let elderly_sum: i64 = h
        .members
        .iter()
        .map(|m| m.medical_elderly + m.care_elderly)
        .sum();
    let under_sum: i64 = h
        .members
        .iter()
        .map(|m| m.medical_under + m.care_under)
        .sum();
    // A household of 70–74 members alone on the base date has no under-70
    // category: a member's months before 70 join the first step.
    let whole_in_first = limit_under_70.is_none() && limit_70_74.is_some();
    if elderly_sum > 0 && limit_70_74.is_none() {
        return Err(no_category(true));
    }
    if under_sum > 0 && !whole_in_first && limit_under_70.is_none() {
        return Err(no_category(false));
    }
    let care_users = h.members.iter().filter(|m| m.care() > 0).count();
    let care_limit_70_74 = match (h.elderly, limit_70_74) {
        (Some(Elderly::LowIncome1), Some(_)) if care_users > 1 => {
            Some(period.low_income1_several_care_users)
        }
        _ => limit_70_74,
    };
    let first_step = limit_70_74.is_some() && (elderly_sum > 0 || whole_in_first);
    // The medical side's shares come from the two steps with the table's
    // limits; the care side's from the same two steps with the care side's
    // limit in ① where it differs (低所得Ⅰ with several care users), each
    // pass carrying its own remainder from ① to ②.
    let medical_pass = two_steps(
        h,
        limit_70_74,
        limit_under_70,
        whole_in_first,
        first_step,
        rounding,
    );
    let care_pass = if care_limit_70_74 == limit_70_74 {
        None
    } else {
        Some(two_steps(
            h,
            care_limit_70_74,
            limit_under_70,
            whole_in_first,
            first_step,
            rounding,
        ))
    };
    if first_step && let (Some(limit), Some(cat)) = (limit_70_74, h.elderly) {
        steps.push(format!(
            "① {}：合計 {}円、算定基準額 {}円（{}）→ 超える額 {}円",
            if whole_in_first {
                "世帯全体（基準日に70〜74歳の方だけの世帯）"
            } else {
                "70〜74歳の月の分"
            },
            yen(medical_pass.sum1),
            yen(limit),
            cat.label(),
            yen(medical_pass.excess1)
        ));
    }
    if let (Some(limit), Some(cat)) = (limit_under_70, h.under_70)
        && !whole_in_first
    {
        steps.push(format!(
            "② 世帯全体：合計 {}円{}、算定基準額 {}円（{}）→ 超える額 {}円",
            yen(medical_pass.sum2),
            if first_step {
                "（70〜74歳の月の分は①の後の額）"
            } else {
                ""
            },
            yen(limit),
            cat.label(),
            yen(medical_pass.excess2)
        ));
    }
    if let (Some(c), Some(p)) = (care_limit_70_74, &care_pass) {
        steps.push(format!(
            "低所得Ⅰで介護サービスの利用者が{care_users}人のため、介護側の按分は①の算定基準額を {}円 として計算します（① 超える額 {}円、② 超える額 {}円）。",
            yen(c),
            yen(p.excess1),
            yen(p.excess2)
        ));
    }
    let medical_of: BTreeMap<String, i64> = medical_pass
        .shares
        .iter()
        .map(|(id, (m, _))| (id.clone(), *m))
        .collect();
    let care_of: BTreeMap<String, i64> = care_pass
        .as_ref()
        .unwrap_or(&medical_pass)
        .shares
        .iter()
        .map(|(id, (_, c))| (id.clone(), *c))
        .collect();
    let exact = medical_pass.exact && care_pass.as_ref().is_none_or(|p| p.exact);
    let excess = medical_pass.excess1 + medical_pass.excess2;

    out.excess = excess;
    if excess <= period.threshold {
        steps.push(format!(
            "超える額の合計 {}円 が支給基準額 {}円 を超えないため、支給はありません。",
            yen(excess),
            yen(period.threshold)
        ));
        out.members = members;
        out.steps = steps;
        return Ok(out);
    }
    out.paid = true;
    for m in &mut members {
        m.medical = medical_of.get(&m.id).copied().unwrap_or(0);
        m.care = care_of.get(&m.id).copied().unwrap_or(0);
        steps.push(format!(
            "{}：按分 医療 {}円、介護 {}円",
            m.id,
            yen(m.medical),
            yen(m.care)
        ));
    }
    out.medical = members.iter().map(|m| m.medical).sum();
    out.care = members.iter().map(|m| m.care).sum();
    out.rounded = !exact;
    if out.rounded && period.split.provisional {
        out.provisional = true;
    }
    steps.push(format!(
        "超える額の合計 {}円 を医療と介護の自己負担額の割合で按分（1円未満{}{}）：国民健康保険から 高額介護合算療養費 {}円、介護保険から 高額医療合算介護サービス費 {}円",
        yen(excess),
        match rounding {
            SplitRounding::Floor => "切り捨て",
            SplitRounding::HalfUp => "四捨五入",
        },
        if out.rounded && period.split.provisional {
            "。端数の処理は通知の確認前の暫定です【暫定】"
        } else {
            ""
        },
        yen(out.medical),
        yen(out.care)
    ));
    out.members = members;
    out.steps = steps;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn rules() -> CombinedCareRules {
        CombinedCareRules::shipped().unwrap()
    }

    fn member(id: &str, me: i64, mu: i64, ce: i64, cu: i64) -> CareMember {
        CareMember {
            id: id.into(),
            medical_elderly: me,
            medical_under: mu,
            care_elderly: ce,
            care_under: cu,
        }
    }

    fn run(year: i32, u: Option<Under70>, e: Option<Elderly>, ms: &[CareMember]) -> CombinedCare {
        compute(
            &rules(),
            &CareHousehold {
                year,
                under_70: u,
                elderly: e,
                members: ms,
            },
        )
        .unwrap()
    }

    #[test]
    fn the_table_loads_and_has_the_published_limits() {
        let r = rules();
        let p = r.for_year(2025).unwrap();
        // 杉並区・沼田市・長井市・下田市: 212/141/67/60/34 and 212/141/67/56/31/19 万円
        assert_eq!(
            Under70::ALL.map(|c| p.under_70(c)),
            [2_120_000, 1_410_000, 670_000, 600_000, 340_000]
        );
        assert_eq!(
            Elderly::ALL.map(|c| p.elderly(c)),
            [2_120_000, 1_410_000, 670_000, 560_000, 310_000, 190_000]
        );
        assert_eq!(p.threshold, 500);
        assert!(!p.limits_provisional);
        assert!(r.for_year(2026).unwrap().limits_provisional);
        assert!(r.for_year(2017).is_none());
        // a period that does not start in August is refused
        let bad = COMBINED_CARE_RULES.replacen("from = \"2018-08\"", "from = \"2018-04\"", 1);
        let e = CombinedCareRules::parse(&bad).unwrap_err();
        assert!(e.field.ends_with("period[0].from"), "{e:?}");
        let bad = COMBINED_CARE_RULES.replacen("o = 340000", "o = 3400000", 1);
        assert!(
            CombinedCareRules::parse(&bad)
                .unwrap_err()
                .field
                .ends_with("under_70")
        );
    }

    #[test]
    fn a_70_74_household_of_general_pays_what_passes_560000_split_by_side() {
        // diamond.jp (非公式): 医療 約53万 + 介護 約44万 = 97万、56万 → 41万.
        // The split is the proportion of each side; 410,000 × 530,000 ÷
        // 970,000 = 224,020.6…, so the rounding was needed.
        let ms = [member("A", 530_000, 0, 440_000, 0)];
        let r = run(2024, None, Some(Elderly::General), &ms);
        assert!(r.eligible && r.paid);
        assert_eq!(r.excess, 410_000);
        assert_eq!((r.medical, r.care), (224_020, 185_979));
        assert!(r.rounded && r.provisional);
        // an exact split is not provisional: 300,000 + 300,000 − 560,000
        let ms = [member("A", 300_000, 0, 300_000, 0)];
        let r = run(2024, None, Some(Elderly::General), &ms);
        assert_eq!((r.excess, r.medical, r.care), (40_000, 20_000, 20_000));
        assert!(!r.rounded && !r.provisional);
    }

    #[test]
    fn nothing_unless_both_sides_and_more_than_500_yen() {
        let r = run(
            2024,
            Some(Under70::O),
            None,
            &[member("A", 0, 900_000, 0, 0)],
        );
        assert!(!r.eligible);
        assert_eq!((r.medical, r.care), (0, 0));
        // 340,500 − 340,000 = 500: not over the threshold
        let at = |total: i64| {
            run(
                2024,
                Some(Under70::O),
                None,
                &[member("A", 0, total - 100_000, 0, 100_000)],
            )
        };
        let r = at(340_500);
        assert_eq!((r.excess, r.paid, r.medical), (500, false, 0));
        let r = at(340_502);
        assert!(r.paid);
        assert_eq!(r.excess, 502);
        // 502 × 240,502 ÷ 340,502 = 354.57… → 354; care 147.42… → 147
        assert_eq!((r.medical, r.care), (354, 147));
    }

    #[test]
    fn the_70_74_members_come_first_then_the_whole_household() {
        // A (72, 一般): medical 400,000, care 300,000 → ① 700,000 − 560,000
        // = 140,000 (medical 80,000, care 60,000); left 320,000 + 240,000.
        // B (65, ウ household): medical 200,000 → ② 560,000 + 200,000 =
        // 760,000 − 670,000 = 90,000.
        let ms = [
            member("A", 400_000, 0, 300_000, 0),
            member("B", 0, 200_000, 0, 0),
        ];
        let r = run(2024, Some(Under70::U), Some(Elderly::General), &ms);
        assert_eq!(r.excess, 140_000 + 90_000);
        let a = &r.members[0];
        let b = &r.members[1];
        // ② 90,000 × 320,000 / 760,000 = 37,894.7 → 37,894 medical for A;
        // care 90,000 × 240,000 / 760,000 = 28,421.05 → 28,421;
        // B 90,000 × 200,000 / 760,000 = 23,684.2 → 23,684
        assert_eq!((a.medical, a.care), (80_000 + 37_894, 60_000 + 28_421));
        assert_eq!((b.medical, b.care), (23_684, 0));
        assert_eq!(r.medical, 80_000 + 37_894 + 23_684);
        assert!(r.steps.iter().any(|s| s.starts_with("①")));
        assert!(r.steps.iter().any(|s| s.starts_with("②")));
    }

    #[test]
    fn low_income_1_with_two_care_users_splits_the_care_side_at_310000() {
        let ms = [
            member("A", 150_000, 0, 100_000, 0),
            member("B", 0, 0, 110_000, 0),
        ];
        let r = run(2024, None, Some(Elderly::LowIncome1), &ms);
        // 360,000 − 190,000 = 170,000 for the medical side:
        // A medical 170,000 × 150,000 / 360,000 = 70,833.3 → 70,833
        // 360,000 − 310,000 = 50,000 for the care side:
        // A care 50,000 × 100,000 / 360,000 = 13,888.8 → 13,888
        // B care 50,000 × 110,000 / 360,000 = 15,277.7 → 15,277
        assert_eq!(r.medical, 70_833);
        assert_eq!(r.care, 13_888 + 15_277);
        // one care user only: both sides at 190,000
        let ms = [member("A", 150_000, 0, 210_000, 0)];
        let r = run(2024, None, Some(Elderly::LowIncome1), &ms);
        assert_eq!(r.excess, 170_000);
        assert_eq!(r.care, 170_000 * 210_000 / 360_000);
    }

    #[test]
    fn low_income_1_with_an_under_70_member_carries_each_side_s_own_remainder() {
        // A (72): medical 150,000, care 100,000; B (72): care 110,000;
        // C (65, オ): medical 100,000.
        let ms = [
            member("A", 150_000, 0, 100_000, 0),
            member("B", 0, 0, 110_000, 0),
            member("C", 0, 100_000, 0, 0),
        ];
        let r = run(2024, Some(Under70::O), Some(Elderly::LowIncome1), &ms);
        // medical side: ① 360,000 − 190,000 = 170,000, A's 70,833; ② what
        // ① left (79,167 + 52,778 + 58,056) + 100,000 = 290,001 < 340,000
        assert_eq!(r.excess, 170_000);
        assert_eq!(r.medical, 70_833);
        assert_eq!(r.members[2].medical, 0);
        // care side: ① at 310,000: 50,000 → A 13,888, B 15,277; ② its own
        // remainder 410,002 − 340,000 = 70,002 → A 14,702, B 16,172
        assert_eq!(
            (r.members[0].care, r.members[1].care),
            (13_888 + 14_702, 15_277 + 16_172)
        );
    }

    #[test]
    fn a_missing_category_and_bad_amounts_are_refused_with_the_field() {
        let e = compute(
            &rules(),
            &CareHousehold {
                year: 2024,
                under_70: None,
                elderly: None,
                members: &[member("A", 0, 100, 0, 100)],
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "category_under_70");
        let e = compute(
            &rules(),
            &CareHousehold {
                year: 2024,
                under_70: Some(Under70::U),
                elderly: None,
                members: &[member("A", 1, 0, 1, 0)],
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "category_70_74");
        let e = compute(
            &rules(),
            &CareHousehold {
                year: 2024,
                under_70: Some(Under70::U),
                elderly: None,
                members: &[member("A", 0, -1, 0, 0)],
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "members[0].medical_under");
        let e = compute(
            &rules(),
            &CareHousehold {
                year: 2017,
                under_70: Some(Under70::U),
                elderly: None,
                members: &[],
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "year");
    }

    #[test]
    fn the_2026_year_is_computed_but_provisional() {
        let ms = [member("A", 0, 400_000, 0, 400_000)];
        let r = run(2026, Some(Under70::U), None, &ms);
        assert_eq!((r.excess, r.medical, r.care), (130_000, 65_000, 65_000));
        assert!(!r.rounded);
        assert!(r.provisional);
    }

    proptest! {
        #[test]
        fn shares_stay_within_the_excess_and_each_member_s_amounts(
            amounts in proptest::collection::vec((0i64..2_000_000, 0i64..2_000_000, 0i64..2_000_000, 0i64..2_000_000), 1..5),
            u in 0usize..5,
            e in 0usize..6,
            has_u in any::<bool>(),
        ) {
            let ms: Vec<CareMember> = amounts
                .iter()
                .enumerate()
                .map(|(i, (a, b, c, d))| member(&format!("M{i}"), *a, *b, *c, *d))
                .collect();
            let r = compute(
                &rules(),
                &CareHousehold {
                    year: 2024,
                    under_70: has_u.then_some(Under70::ALL[u]),
                    elderly: Some(Elderly::ALL[e]),
                    members: &ms,
                },
            )
            .unwrap();
            let n = i64::try_from(ms.len()).unwrap();
            for (m, s) in ms.iter().zip(&r.members) {
                prop_assert!(s.medical >= 0 && s.medical <= m.medical());
                prop_assert!(s.care >= 0 && s.care <= m.care());
            }
            if r.paid {
                prop_assert!(r.excess > 500);
                // the medical side's split: never more than the excess, and
                // short of it only by the yen cut (two steps, each member)
                let low1 = Elderly::ALL[e] == Elderly::LowIncome1;
                if !low1 {
                    prop_assert!(r.medical + r.care <= r.excess);
                    prop_assert!(r.excess - (r.medical + r.care) <= 2 * 2 * n);
                    if !r.rounded {
                        prop_assert_eq!(r.medical + r.care, r.excess);
                    }
                }
            } else {
                prop_assert_eq!((r.medical, r.care), (0, 0));
            }
            if r.medical_counted == 0 || r.care_counted == 0 {
                prop_assert!(!r.eligible);
            }
        }
    }
}
