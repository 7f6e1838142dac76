//! The NHI tax of a household for a fiscal year (国民健康保険税,
//! 地方税法 第703条の4・第703条の5): per component and part, every reduction,
//! the caps, monthly proration and the installments — pure, and explained
//! line by line. The national rules and the municipalities' ordinances are
//! dated data (`rules/levy.toml`), checked when loaded.

use std::collections::BTreeMap;

use serde::Deserialize;
use time::{Date, Month};

use crate::burden::kyu_tadashigaki;
use crate::eligibility::{YearMonth, age_on, anniversary, is_care_levy_month};

const LEVY_RULES: &str = include_str!("../rules/levy.toml");

/// The components of the levy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// 医療分 (基礎課税額)
    Medical,
    /// 後期高齢者支援金分
    ElderlySupport,
    /// 介護納付金分 (insured aged 40–64)
    Care,
    /// 子ども・子育て支援納付金分 (from FY2026)
    ChildSupport,
}

impl Component {
    pub const ALL: [Component; 4] = [
        Component::Medical,
        Component::ElderlySupport,
        Component::Care,
        Component::ChildSupport,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Component::Medical => "medical",
            Component::ElderlySupport => "elderly_support",
            Component::Care => "care",
            Component::ChildSupport => "child_support",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Component::Medical => "医療分",
            Component::ElderlySupport => "後期高齢者支援金分",
            Component::Care => "介護納付金分",
            Component::ChildSupport => "子ども・子育て支援納付金分",
        }
    }

    pub fn from_code(s: &str) -> Option<Component> {
        Component::ALL.into_iter().find(|c| c.code() == s)
    }
}

/// Why a rule table or an input was refused; names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct LevyError {
    pub field: String,
    pub reason: String,
    pub reason_ja: String,
}

fn err(field: impl Into<String>, reason: impl Into<String>, ja: impl Into<String>) -> LevyError {
    LevyError {
        field: field.into(),
        reason: reason.into(),
        reason_ja: ja.into(),
    }
}

/// A rate in thousandths of a percent (7.35% = 7_350): exact, no floats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Rate(pub i64);

impl Rate {
    /// "7.35" (percent, up to three decimals).
    pub fn parse_percent(s: &str) -> Option<Rate> {
        let s = s.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() || frac.len() > 3 || !int.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: i64 = int.parse().ok()?;
        let mut f = frac.to_string();
        while f.len() < 3 {
            f.push('0');
        }
        let r = whole
            .checked_mul(1000)?
            .checked_add(f.parse::<i64>().ok()?)?;
        (r <= 100_000).then_some(Rate(r))
    }

    /// A percent given as a number (an API's JSON): refused unless it has at
    /// most three decimals.
    pub fn from_percent_f64(p: f64) -> Option<Rate> {
        if !p.is_finite() || !(0.0..=100.0).contains(&p) {
            return None;
        }
        let r = (p * 1000.0).round();
        ((p * 1000.0 - r).abs() < 1e-6).then_some(Rate(r as i64))
    }

    /// `base × rate`, cut to the yen (所得割額: 地方税法 第703条の4; the part
    /// under 1 yen is not a tax amount).
    pub fn of(self, base: i64) -> i64 {
        (i128::from(base) * i128::from(self.0) / 100_000) as i64
    }

    pub fn display(self) -> String {
        let s = format!("{}.{:03}", self.0 / 1000, self.0 % 1000);
        let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        format!("{s}%")
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Rate, D::Error> {
        let s = String::deserialize(d)?;
        Rate::parse_percent(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("not a percent with up to 3 decimals: {s}"))
        })
    }
}

/// One component's rates in an ordinance.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct ComponentRates {
    /// 所得割 (percent of 旧ただし書き所得)
    pub income_rate: Rate,
    /// 均等割 per insured member (yen a year)
    pub per_capita: i64,
    /// 平等割 per household (yen a year)
    #[serde(default)]
    pub per_household: i64,
    /// 賦課限度額; absent = the national cap of the year
    #[serde(default)]
    pub cap: Option<i64>,
}

/// The national rules of a fiscal year (地方税法・同施行令).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalRules {
    pub fiscal_year: i32,
    /// Sources and what is provisional, for the docs.
    #[serde(default)]
    pub note: String,
    /// 基礎控除 for 旧ただし書き所得
    pub basic_deduction: i64,
    /// 賦課限度額 per component; a component absent here is not levied that year
    pub caps: BTreeMap<String, i64>,
    /// 7割: the base amount; the household's income at most this
    pub reduction_base: i64,
    /// … plus this for each 給与所得者等 beyond the first
    pub reduction_per_earner: i64,
    /// 5割: plus this per member (insured and 特定同一世帯所属者)
    pub reduction_half_per_member: i64,
    /// 2割: plus this per member
    pub reduction_fifth_per_member: i64,
    /// Those 65 and over (on 31 December of the income year): this comes off
    /// their public pension income for the reduction test
    pub pension_special_deduction: i64,
    /// 給与所得者等: salary revenue over this …
    pub earner_salary_revenue_over: i64,
    /// … or public pension revenue over this (under 65) …
    pub earner_pension_revenue_over: i64,
    /// … or over this (65 and over)
    pub earner_pension_revenue_over_65: i64,
    /// 非自発的失業者: salary income counted at this percent
    pub involuntary_salary_percent: i64,
    /// 未就学児: 均等割 reduced by this percent (after the statutory reduction)
    pub preschool_reduction_percent: i64,
    /// 特定世帯 / 特定継続世帯: 平等割 reduced by these percents …
    pub specified_household_percent: i64,
    pub specified_continuing_percent: i64,
    /// … in these components
    pub specified_household_components: Vec<String>,
    /// 産前産後: 所得割 and 均等割 of the expecting insured exempt for the
    /// months from this many before the due month to two after
    pub childbirth_months_before: u8,
    pub childbirth_months_before_multiple: u8,
    /// 子ども・子育て支援納付金分: 均等割 of the insured up to the first 31
    /// March after their 18th birthday reduced by this percent
    #[serde(default)]
    pub child_support_minor_reduction_percent: i64,
}

/// A municipality's ordinance for a fiscal year.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ordinance {
    pub municipality: String,
    pub name: String,
    pub fiscal_year: i32,
    #[serde(default)]
    pub note: String,
    /// Whether the figures are read from the ordinance (false: provisional)
    pub confirmed: bool,
    pub rates: BTreeMap<String, ComponentRates>,
    /// 納期限 of each installment (期別), in order ("YYYY-MM-DD")
    #[serde(deserialize_with = "iso_dates")]
    pub due_dates: Vec<Date>,
    /// Each installment but the first is a multiple of this; the first takes
    /// the rest (地方税法 第20条の4の2 第6項; the ordinance sets the unit)
    pub installment_unit: i64,
    /// The 所得割 base is cut to this unit (1 = not cut; some ordinances
    /// apply 地方税法 第20条の4の2 第1項's 1,000 yen)
    pub income_base_unit: i64,
    /// Each component's levy is cut to 100 yen (as the municipalities'
    /// published examples do: 基礎課税額, 後期高齢者支援金等課税額 and
    /// 介護納付金課税額 are each a 確定金額); false: only the total is cut
    pub round_each_component: bool,
}

fn iso_dates<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Date>, D::Error> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| {
            Date::parse(s, format)
                .map_err(|_| serde::de::Error::custom(format!("not a YYYY-MM-DD date: {s}")))
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LevyFile {
    national: Vec<NationalRules>,
    #[serde(default)]
    ordinance: Vec<Ordinance>,
}

/// The shipped tables, checked.
#[derive(Clone, Debug)]
pub struct LevyRules {
    national: BTreeMap<i32, NationalRules>,
    ordinances: BTreeMap<(String, i32), Ordinance>,
}

impl LevyRules {
    pub fn shipped() -> Result<LevyRules, LevyError> {
        LevyRules::parse(LEVY_RULES)
    }

    pub fn parse(text: &str) -> Result<LevyRules, LevyError> {
        let file: LevyFile = toml::from_str(text)
            .map_err(|e| err("rules/levy.toml", e.to_string(), "賦課の規則表が読めません"))?;
        let mut national = BTreeMap::new();
        for n in file.national {
            let at = |f: &str| format!("national[{}].{f}", n.fiscal_year);
            for c in n.caps.keys().chain(n.specified_household_components.iter()) {
                if Component::from_code(c).is_none() {
                    return Err(err(
                        at("caps"),
                        format!("unknown component {c}"),
                        "不明な区分です",
                    ));
                }
            }
            let amounts = [
                n.basic_deduction,
                n.reduction_base,
                n.reduction_per_earner,
                n.reduction_half_per_member,
                n.reduction_fifth_per_member,
                n.pension_special_deduction,
                n.earner_salary_revenue_over,
                n.earner_pension_revenue_over,
                n.earner_pension_revenue_over_65,
            ];
            let percents = [
                n.involuntary_salary_percent,
                n.preschool_reduction_percent,
                n.specified_household_percent,
                n.specified_continuing_percent,
                n.child_support_minor_reduction_percent,
            ];
            if amounts.iter().chain(n.caps.values()).any(|a| *a < 0)
                || percents.iter().any(|p| !(0..=100).contains(p))
                || n.reduction_half_per_member >= n.reduction_fifth_per_member
            {
                return Err(err(
                    at("*"),
                    "amount out of range or out of order",
                    "金額の範囲か順序が正しくありません",
                ));
            }
            if national.insert(n.fiscal_year, n).is_some() {
                return Err(err(
                    "national",
                    "a fiscal year twice",
                    "同じ年度が2回あります",
                ));
            }
        }
        let mut ordinances = BTreeMap::new();
        for o in file.ordinance {
            let at = |f: &str| format!("ordinance[{} {}].{f}", o.municipality, o.fiscal_year);
            let Some(n) = national.get(&o.fiscal_year) else {
                return Err(err(
                    at("fiscal_year"),
                    "no national rules for the year",
                    "その年度の国の規則がありません",
                ));
            };
            for (c, r) in &o.rates {
                if Component::from_code(c).is_none() || !n.caps.contains_key(c) {
                    return Err(err(
                        at("rates"),
                        format!("component {c} not levied that year"),
                        "その年度にない区分です",
                    ));
                }
                if r.per_capita < 0 || r.per_household < 0 || r.cap.is_some_and(|c| c < 0) {
                    return Err(err(at("rates"), "negative amount", "金額が負です"));
                }
            }
            for c in n.caps.keys() {
                if !o.rates.contains_key(c) {
                    return Err(err(
                        at("rates"),
                        format!("no rates for {c}"),
                        "税率のない区分があります",
                    ));
                }
            }
            if o.due_dates.is_empty() || o.due_dates.windows(2).any(|w| w[0] >= w[1]) {
                return Err(err(
                    at("due_dates"),
                    "due dates missing or out of order",
                    "納期限がないか順序が正しくありません",
                ));
            }
            if o.installment_unit < 1 || o.income_base_unit < 1 {
                return Err(err(
                    at("installment_unit"),
                    "unit below 1",
                    "端数の単位が正しくありません",
                ));
            }
            if ordinances
                .insert((o.municipality.clone(), o.fiscal_year), o)
                .is_some()
            {
                return Err(err(
                    "ordinance",
                    "a municipality's year twice",
                    "同じ市町村の年度が2回あります",
                ));
            }
        }
        Ok(LevyRules {
            national,
            ordinances,
        })
    }

    pub fn national(&self, fiscal_year: i32) -> Option<&NationalRules> {
        self.national.get(&fiscal_year)
    }

    pub fn ordinance(&self, municipality: &str, fiscal_year: i32) -> Option<&Ordinance> {
        self.ordinances
            .get(&(municipality.to_string(), fiscal_year))
    }

    pub fn fiscal_years(&self) -> Vec<i32> {
        self.national.keys().copied().collect()
    }
}

/// A member's income of the year before the fiscal year (yen).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct LevyIncome {
    /// 総所得金額等
    #[serde(default)]
    pub total_income: i64,
    /// 給与収入 and 給与所得
    #[serde(default)]
    pub salary_revenue: i64,
    #[serde(default)]
    pub salary_income: i64,
    /// 公的年金等収入 and 公的年金等所得
    #[serde(default)]
    pub pension_revenue: i64,
    #[serde(default)]
    pub pension_income: i64,
}

/// 産前産後: the due (or birth) month and whether more than one child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Childbirth {
    pub month: YearMonth,
    pub multiple: bool,
}

/// A member of the household, as the levy sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevyMember {
    pub id: String,
    pub birth_date: Date,
    /// NHI-insured at some time in the fiscal year
    pub insured: bool,
    /// the tax obligor (擬制世帯主 when not insured)
    pub householder: bool,
    /// 特定同一世帯所属者 (counts for the reduction test)
    pub former_insured_late_elderly: bool,
    /// first day insured (default: the fiscal year's 1 April)
    pub insured_from: Option<Date>,
    /// last day insured (default: to the year's end, or the day before 75)
    pub insured_until: Option<Date>,
    /// further periods insured in the year, as (first day, last day), for
    /// one who lost the status and acquired it again in the same household
    pub further_periods: Vec<(Date, Option<Date>)>,
    pub income: LevyIncome,
    /// 非自発的失業者 (salary income counted at 30% this year)
    pub involuntary_unemployed: bool,
    /// 旧被扶養者 (the ordinance's 減免: no 所得割, half 均等割)
    pub former_dependent: bool,
    pub childbirth: Option<Childbirth>,
}

/// 特定世帯 (5 years) / 特定継続世帯 (the 3 after).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecifiedHousehold {
    Specified,
    SpecifiedContinuing,
}

/// The statutory reduction (軽減) of 均等割 and 平等割.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reduction {
    Seventy,
    Fifty,
    Twenty,
}

impl Reduction {
    pub fn label(self) -> &'static str {
        match self {
            Reduction::Seventy => "7割",
            Reduction::Fifty => "5割",
            Reduction::Twenty => "2割",
        }
    }

    fn percent(self) -> i64 {
        match self {
            Reduction::Seventy => 70,
            Reduction::Fifty => 50,
            Reduction::Twenty => 20,
        }
    }
}

/// One component's levy for the year, prorated; all in yen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComponentLevy {
    /// 所得割 (after the childbirth exemption and 旧被扶養者 減免)
    pub income_levy: i64,
    /// 均等割 before any reduction
    pub per_capita: i64,
    /// 平等割 before any reduction
    pub per_household: i64,
    /// what the reductions took off 均等割 and 平等割
    pub reduction: i64,
    /// what the cap took off
    pub over_cap: i64,
    /// the part under 100 yen cut from the component (when the ordinance
    /// cuts each component)
    pub rounded_off: i64,
    /// the component's levy: parts − reduction − over_cap − rounded_off
    pub amount: i64,
    /// months in which the component applied
    pub months: u8,
}

/// One installment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installment {
    pub number: u8,
    pub due_date: Date,
    pub amount: i64,
}

/// A household's levy for a fiscal year, explained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Levy {
    pub fiscal_year: i32,
    /// the year's levy, the part under 100 yen cut
    pub total: i64,
    pub reduction: Option<Reduction>,
    pub components: BTreeMap<Component, ComponentLevy>,
    pub installments: Vec<Installment>,
    pub explanation: Vec<String>,
}

/// The household's inputs besides its members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevyHousehold {
    pub fiscal_year: i32,
    pub members: Vec<LevyMember>,
    pub specified: Option<SpecifiedHousehold>,
}

/// The rates that apply: an ordinance, or inline rates for a what-if.
pub struct Terms<'a> {
    pub national: &'a NationalRules,
    pub rates: &'a BTreeMap<String, ComponentRates>,
    pub due_dates: &'a [Date],
    pub installment_unit: i64,
    pub income_base_unit: i64,
    pub round_each_component: bool,
}

impl<'a> Terms<'a> {
    pub fn of(national: &'a NationalRules, o: &'a Ordinance) -> Terms<'a> {
        Terms {
            national,
            rates: &o.rates,
            due_dates: &o.due_dates,
            installment_unit: o.installment_unit,
            income_base_unit: o.income_base_unit,
            round_each_component: o.round_each_component,
        }
    }
}

/// The twelve months of a fiscal year, April to March.
pub fn fiscal_months(fiscal_year: i32) -> Vec<YearMonth> {
    let mut m = YearMonth {
        year: fiscal_year,
        month: Month::April,
    };
    let mut out = Vec::with_capacity(12);
    for _ in 0..12 {
        out.push(m);
        m = m.next();
    }
    out
}

/// The fiscal year (年度, April to March) a day falls in.
pub fn fiscal_year_of(d: Date) -> i32 {
    d.year() - i32::from(d.month() < Month::April)
}

/// Up to the first 31 March after attaining `years` (the 未就学児 and the
/// 18-and-under tests share this form).
fn until_march_after(birth: Date, years: i32, m: YearMonth) -> bool {
    // Attains `years` on the day before the anniversary; the first 31 March
    // on or after that day.
    let Some(attains) = anniversary(birth, years).and_then(|d| d.previous_day()) else {
        return false;
    };
    let march_year = if attains.month() <= Month::March {
        attains.year()
    } else {
        attains.year() + 1
    };
    let fy_end = YearMonth {
        year: march_year,
        month: Month::March,
    };
    m.last_day().is_some_and(|l| birth <= l) && m <= fy_end
}

/// A member's 総所得金額等 as the levy takes it: 非自発的失業者 have their
/// salary income counted at the national percent (地方税法施行令 第56条の89).
fn levy_total_income(n: &NationalRules, m: &LevyMember) -> i64 {
    if m.involuntary_unemployed {
        let salary = m.income.salary_income.max(0);
        m.income.total_income - salary + salary * n.involuntary_salary_percent / 100
    } else {
        m.income.total_income
    }
}

fn yen(n: i64) -> String {
    format!("{}円", crate::burden::yen(n))
}

/// Is the member insured in month `m`? The ordinances' 月割: from the month
/// the status is acquired to the month before the day it is lost; NHI is
/// lost on the 75th birthday (高齢者の医療の確保に関する法律 第52条).
fn insured_in(fy: i32, mbr: &LevyMember, m: YearMonth) -> bool {
    if !mbr.insured {
        return false;
    }
    let from = mbr
        .insured_from
        .unwrap_or_else(|| Date::from_calendar_date(fy, Month::April, 1).unwrap_or(Date::MIN));
    let seventy_five = anniversary(mbr.birth_date, 75);
    std::iter::once((from, mbr.insured_until))
        .chain(mbr.further_periods.iter().copied())
        .any(|(from, until)| {
            let loss = until.and_then(|u| u.next_day());
            let loss = match (loss, seventy_five) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            YearMonth::from_date(from) <= m && loss.is_none_or(|l| m < YearMonth::from_date(l))
        })
}

/// The months of the fiscal year in which the household has an insured
/// member (none: nothing is levied, as for one acquired and lost in the
/// same month or a sole member who reaches 75 in April).
pub fn insured_months(h: &LevyHousehold) -> usize {
    fiscal_months(h.fiscal_year)
        .into_iter()
        .filter(|&m| h.members.iter().any(|x| insured_in(h.fiscal_year, x, m)))
        .count()
}

fn childbirth_exempt(n: &NationalRules, mbr: &LevyMember, m: YearMonth) -> bool {
    let Some(c) = mbr.childbirth else {
        return false;
    };
    let before = if c.multiple {
        n.childbirth_months_before_multiple
    } else {
        n.childbirth_months_before
    };
    let mut first = c.month;
    for _ in 0..before {
        first = first.prev();
    }
    let last = c.month.next().next();
    first <= m && m <= last
}

/// The statutory reduction judged on the household as of `on` (the 賦課期日,
/// 1 April, or the first day the household is insured in the year):
/// 地方税法 第703条の5, 同施行令 第56条の89.
fn judge_reduction(
    n: &NationalRules,
    members: &[LevyMember],
    on: Date,
    // whether each member is insured on `on`, in the order of `members`
    insured: &[bool],
    explanation: &mut Vec<String>,
) -> Option<Reduction> {
    // Ages for the pension deduction and the earner test: on 31 December of
    // the income year.
    let dec31 = Date::from_calendar_date(fiscal_year_of(on) - 1, Month::December, 31).unwrap_or(on);
    let counts = |(m, insured): &(&LevyMember, &bool)| **insured || m.former_insured_late_elderly;
    let judged: Vec<&LevyMember> = members
        .iter()
        .zip(insured)
        .filter(|p| p.0.householder || counts(p))
        .map(|(m, _)| m)
        .collect();
    let counted = members.iter().zip(insured).filter(counts).count() as i64;
    let mut income = 0;
    let mut earners = 0;
    for m in &judged {
        let sixty_five = age_on(m.birth_date, dec31) >= 65;
        let mut t = levy_total_income(n, m);
        if sixty_five && m.income.pension_income > 0 {
            // 公的年金等所得 less the special deduction, not below zero.
            let cut = m.income.pension_income.min(n.pension_special_deduction);
            t -= cut;
        }
        income += t.max(0);
        let pension_over = if sixty_five {
            n.earner_pension_revenue_over_65
        } else {
            n.earner_pension_revenue_over
        };
        if m.income.salary_revenue > n.earner_salary_revenue_over
            || m.income.pension_revenue > pension_over
        {
            earners += 1;
        }
    }
    let base = n.reduction_base + n.reduction_per_earner * (earners - 1).max(0);
    let half = base + n.reduction_half_per_member * counted;
    let fifth = base + n.reduction_fifth_per_member * counted;
    let r = if income <= base {
        Some(Reduction::Seventy)
    } else if income <= half {
        Some(Reduction::Fifty)
    } else if income <= fifth {
        Some(Reduction::Twenty)
    } else {
        None
    };
    explanation.push(format!(
        "軽減判定（{}現在）：世帯主・被保険者・特定同一世帯所属者の所得 {}（65歳以上の年金所得から{}控除）、給与所得者等 {}人、被保険者等 {}人 → 7割 {}以下、5割 {}以下、2割 {}以下 → {}",
        on,
        yen(income),
        yen(n.pension_special_deduction),
        earners,
        counted,
        yen(base),
        yen(half),
        yen(fifth),
        r.map_or("軽減なし".to_string(), |r| format!("{}軽減", r.label()))
    ));
    r
}

/// Cuts `amount` to a multiple of `unit`.
fn cut(amount: i64, unit: i64) -> i64 {
    amount - amount.rem_euclid(unit.max(1))
}

/// The household's levy for the fiscal year.
pub fn compute(terms: &Terms<'_>, h: &LevyHousehold) -> Result<Levy, LevyError> {
    let n = terms.national;
    let fy = h.fiscal_year;
    if n.fiscal_year != fy {
        return Err(err(
            "fiscal_year",
            "rules of another year",
            "年度の規則が違います",
        ));
    }
    if h.members.iter().filter(|m| m.householder).count() != 1 {
        return Err(err(
            "members",
            "exactly one member must be the householder",
            "世帯主を1人指定してください",
        ));
    }
    for m in &h.members {
        let i = &m.income;
        if [
            i.salary_revenue,
            i.salary_income,
            i.pension_revenue,
            i.pension_income,
        ]
        .iter()
        .any(|v| *v < 0)
        {
            return Err(err(
                format!("members[{}].income", m.id),
                "must not be negative",
                "負の金額は入力できません",
            ));
        }
        if let (Some(a), Some(b)) = (m.insured_from, m.insured_until)
            && b < a
        {
            return Err(err(
                format!("members[{}].insured_until", m.id),
                "before insured_from",
                "資格の終了日が開始日より前です",
            ));
        }
    }
    let months = fiscal_months(fy);
    let insured_months: Vec<Vec<bool>> = months
        .iter()
        .map(|&m| h.members.iter().map(|x| insured_in(fy, x, m)).collect())
        .collect();
    let Some(first_month) = insured_months.iter().position(|v| v.iter().any(|b| *b)) else {
        return Err(err(
            "members",
            "nobody is insured in the fiscal year",
            "その年度に国保の被保険者がいません",
        ));
    };
    let mut explanation = Vec::new();
    let judged_on = {
        let start = months[first_month].first_day().unwrap_or(Date::MIN);
        // A household that joins during the year is judged on the day it joins.
        h.members
            .iter()
            .enumerate()
            .filter(|(i, _)| insured_months[first_month][*i])
            .filter_map(|(_, m)| m.insured_from)
            .filter(|d| *d >= start)
            .min()
            .unwrap_or(start)
    };
    let reduction = judge_reduction(
        n,
        &h.members,
        judged_on,
        &insured_months[first_month],
        &mut explanation,
    );
    let base_of = |m: &LevyMember| -> i64 {
        cut(
            kyu_tadashigaki(levy_total_income(n, m), n.basic_deduction),
            terms.income_base_unit,
        )
    };
    let mut components = BTreeMap::new();
    for c in Component::ALL {
        let Some(national_cap) = n.caps.get(c.code()).copied() else {
            continue;
        };
        let Some(rates) = terms.rates.get(c.code()) else {
            return Err(err(
                format!("rates.{}", c.code()),
                "no rates for the component",
                "税率がありません",
            ));
        };
        let cap = rates.cap.unwrap_or(national_cap);
        // Twelfths: each month's annual-basis figures, summed.
        let (mut s_income, mut s_pc, mut s_ph, mut s_red, mut s_over) =
            (0i64, 0i64, 0i64, 0i64, 0i64);
        let mut months_applied = 0u8;
        let mut segments: Vec<(String, u8)> = Vec::new();
        for (mi, &m) in months.iter().enumerate() {
            let liable: Vec<&LevyMember> = h
                .members
                .iter()
                .enumerate()
                .filter(|(i, _)| insured_months[mi][*i])
                .filter(|(_, x)| c != Component::Care || is_care_levy_month(x.birth_date, m))
                .map(|(_, x)| x)
                .collect();
            if liable.is_empty() {
                continue;
            }
            months_applied += 1;
            let mut line = Vec::new();
            let base: i64 = liable
                .iter()
                .filter(|x| !childbirth_exempt(n, x, m) && !x.former_dependent)
                .map(|x| base_of(x))
                .sum();
            let income_levy = rates.income_rate.of(base);
            line.push(format!(
                "所得割 {}×{}={}",
                yen(base),
                rates.income_rate.display(),
                yen(income_levy)
            ));
            let mut per_capita = 0;
            let mut pc_reduction = 0;
            for x in &liable {
                per_capita += rates.per_capita;
                let mut left = rates.per_capita;
                if childbirth_exempt(n, x, m) {
                    left = 0;
                } else {
                    if let Some(r) = reduction {
                        left -= rates.per_capita * r.percent() / 100;
                    }
                    if x.former_dependent && reduction.is_none_or(|r| r.percent() < 50) {
                        // 旧被扶養者: half, unless a statutory reduction takes more.
                        left = left.min(rates.per_capita / 2);
                    }
                    if until_march_after(x.birth_date, 6, m) {
                        left -= left * n.preschool_reduction_percent / 100;
                    }
                    if c == Component::ChildSupport && until_march_after(x.birth_date, 18, m) {
                        left -= left * n.child_support_minor_reduction_percent / 100;
                    }
                }
                pc_reduction += rates.per_capita - left;
            }
            line.push(format!(
                "均等割 {}×{}人={}",
                yen(rates.per_capita),
                liable.len(),
                yen(per_capita)
            ));
            let per_household = rates.per_household;
            let mut ph_left = per_household;
            if let Some(s) = h.specified
                && n.specified_household_components
                    .iter()
                    .any(|x| x == c.code())
            {
                let p = match s {
                    SpecifiedHousehold::Specified => n.specified_household_percent,
                    SpecifiedHousehold::SpecifiedContinuing => n.specified_continuing_percent,
                };
                ph_left -= per_household * p / 100;
            }
            if let Some(r) = reduction {
                ph_left -= ph_left * r.percent() / 100;
            }
            if liable.iter().all(|x| x.former_dependent)
                && reduction.is_none_or(|r| r.percent() < 50)
            {
                ph_left = ph_left.min(per_household / 2);
            }
            if per_household > 0 {
                line.push(format!("平等割 {}", yen(per_household)));
            }
            let red = pc_reduction + (per_household - ph_left);
            if red > 0 {
                line.push(format!("軽減・減免 −{}", yen(red)));
            }
            let before_cap = income_levy + per_capita + per_household - red;
            let amount = before_cap.min(cap);
            if before_cap > cap {
                line.push(format!(
                    "限度額 {} を超える {} を除く",
                    yen(cap),
                    yen(before_cap - cap)
                ));
            }
            line.push(format!("年額 {}", yen(amount)));
            let text = line.join("、");
            match segments.last_mut() {
                Some((t, k)) if *t == text => *k += 1,
                _ => segments.push((text, 1)),
            }
            s_income += income_levy;
            s_pc += per_capita;
            s_ph += per_household;
            s_red += red;
            s_over += before_cap - amount;
        }
        if months_applied == 0 {
            continue;
        }
        // 月割: each part's annual-basis amounts of the months, over 12,
        // cut to the yen; the component is what the parts leave.
        let (income_levy, per_capita, per_household, reduction, over_cap) =
            (s_income / 12, s_pc / 12, s_ph / 12, s_red / 12, s_over / 12);
        let exact = income_levy + per_capita + per_household - reduction - over_cap;
        let amount = if terms.round_each_component {
            // 地方税法 第20条の4の2 第3項: the part under 100 yen is cut.
            cut(exact, 100)
        } else {
            exact
        };
        let part = ComponentLevy {
            income_levy,
            per_capita,
            per_household,
            reduction,
            over_cap,
            rounded_off: exact - amount,
            amount,
            months: months_applied,
        };
        for (text, k) in segments {
            explanation.push(format!("{}（{}か月）：{}", c.label_ja(), k, text));
        }
        if months_applied < 12 {
            explanation.push(format!(
                "{}：月割 {}か月分 {}",
                c.label_ja(),
                months_applied,
                yen(part.amount)
            ));
        }
        components.insert(c, part);
    }
    // 地方税法 第20条の4の2 第3項: the part of the tax under 100 yen is cut
    // (per component already, where the ordinance does so).
    let sum: i64 = components.values().map(|p| p.amount).sum();
    let total = cut(sum, 100);
    for (c, p) in &components {
        if p.rounded_off > 0 {
            explanation.push(format!(
                "{}：100円未満 {} を切捨て → {}",
                c.label_ja(),
                yen(p.rounded_off),
                yen(p.amount)
            ));
        }
    }
    explanation.push(format!("合計 {}", yen(total)));
    let installments = split(total, terms.due_dates, terms.installment_unit);
    if let Some(first) = installments.first()
        && installments.len() > 1
    {
        explanation.push(format!(
            "{}期に分けて納付：第1期は{}単位の端数を含めて {}",
            installments.len(),
            yen(terms.installment_unit),
            yen(first.amount)
        ));
    }
    Ok(Levy {
        fiscal_year: fy,
        total,
        reduction,
        components,
        installments,
        explanation,
    })
}

/// Splits the year's levy into installments: each a multiple of `unit`, the
/// first taking the remainder (地方税法 第20条の4の2 第6項).
pub fn split(total: i64, due_dates: &[Date], unit: i64) -> Vec<Installment> {
    if due_dates.is_empty() {
        return vec![];
    }
    let k = due_dates.len() as i64;
    let each = cut(total / k, unit);
    due_dates
        .iter()
        .enumerate()
        .map(|(i, d)| Installment {
            number: (i + 1) as u8,
            due_date: *d,
            amount: if i == 0 { total - each * (k - 1) } else { each },
        })
        .collect()
}

/// A reassessment's schedule (更正): the installments due before `on` stay
/// as they were (their notices went out and they may be paid); what the new
/// total leaves is split over the due dates still ahead, each a multiple of
/// `unit`, the first of them taking the remainder. When none is ahead, one
/// more installment falls due on `extra_due` (随時の納期). The second value
/// is what the installments already due exceed the new total by (過誤納,
/// to be refunded or set against other tax).
pub fn resplit(
    total: i64,
    previous: &[Installment],
    due_dates: &[Date],
    on: Date,
    unit: i64,
    extra_due: Date,
) -> (Vec<Installment>, i64) {
    let mut out: Vec<Installment> = previous
        .iter()
        .filter(|i| i.due_date < on)
        .cloned()
        .collect();
    let fixed: i64 = out.iter().map(|i| i.amount).sum();
    // The ordinance's due dates ahead, then any earlier extra one ahead.
    // (A number kept from before is not used again, should the ordinance's
    // dates have moved since.)
    let mut ahead: Vec<(u8, Date)> = due_dates
        .iter()
        .enumerate()
        .map(|(i, d)| ((i + 1) as u8, *d))
        .filter(|(n, d)| *d >= on && !out.iter().any(|o| o.number == *n))
        .collect();
    for p in previous {
        if p.due_date >= on && !ahead.iter().any(|(n, _)| *n == p.number) {
            ahead.push((p.number, p.due_date));
        }
    }
    let rest = total - fixed;
    if ahead.is_empty() && rest > 0 {
        let next = out
            .iter()
            .map(|i| i.number)
            .max()
            .unwrap_or(0)
            .max(due_dates.len() as u8)
            + 1;
        ahead.push((next, extra_due));
    }
    let left = rest.max(0);
    let split_rest = split(
        left,
        &ahead.iter().map(|(_, d)| *d).collect::<Vec<_>>(),
        unit,
    );
    out.extend(ahead.iter().zip(split_rest).map(|((n, d), s)| Installment {
        number: *n,
        due_date: *d,
        amount: s.amount,
    }));
    out.sort_by_key(|i| (i.due_date, i.number));
    (out, (-rest).max(0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use time::macros::date;

    /// Round figures that make every line checkable by hand.
    fn rates() -> BTreeMap<String, ComponentRates> {
        let r = |p: &str, pc: i64, ph: i64| ComponentRates {
            income_rate: Rate::parse_percent(p).unwrap(),
            per_capita: pc,
            per_household: ph,
            cap: None,
        };
        BTreeMap::from([
            ("medical".to_string(), r("7", 30000, 20000)),
            ("elderly_support".to_string(), r("2", 10000, 6000)),
            ("care".to_string(), r("2", 12000, 0)),
            ("child_support".to_string(), r("0.3", 1800, 0)),
        ])
    }

    fn rules() -> LevyRules {
        LevyRules::shipped().unwrap()
    }

    const DUE: [Date; 8] = [
        date!(2026 - 07 - 31),
        date!(2026 - 08 - 31),
        date!(2026 - 09 - 30),
        date!(2026 - 11 - 02),
        date!(2026 - 11 - 30),
        date!(2026 - 12 - 25),
        date!(2027 - 02 - 01),
        date!(2027 - 03 - 01),
    ];

    fn calc(fy: i32, members: Vec<LevyMember>, specified: Option<SpecifiedHousehold>) -> Levy {
        let r = rules();
        let rates = rates();
        let terms = Terms {
            national: r.national(fy).unwrap(),
            rates: &rates,
            due_dates: &DUE,
            installment_unit: 100,
            income_base_unit: 1,
            round_each_component: true,
        };
        compute(
            &terms,
            &LevyHousehold {
                fiscal_year: fy,
                members,
                specified,
            },
        )
        .unwrap()
    }

    fn person(id: &str, birth: Date, total_income: i64) -> LevyMember {
        LevyMember {
            id: id.into(),
            birth_date: birth,
            insured: true,
            householder: false,
            former_insured_late_elderly: false,
            insured_from: None,
            insured_until: None,
            further_periods: vec![],
            income: LevyIncome {
                total_income,
                ..Default::default()
            },
            involuntary_unemployed: false,
            former_dependent: false,
            childbirth: None,
        }
    }

    fn head(mut m: LevyMember) -> LevyMember {
        m.householder = true;
        m
    }

    fn earner(mut m: LevyMember, salary_revenue: i64) -> LevyMember {
        m.income.salary_revenue = salary_revenue;
        m.income.salary_income = m.income.total_income;
        m
    }

    fn hundred(n: i64) -> i64 {
        n - n % 100
    }

    fn part(l: &Levy, c: Component) -> ComponentLevy {
        l.components.get(&c).cloned().unwrap_or_default()
    }

    #[test]
    fn the_shipped_tables_load_and_check() {
        let r = rules();
        assert_eq!(r.fiscal_years(), vec![2023, 2024, 2025, 2026]);
        for fy in [2024, 2025, 2026] {
            assert!(r.ordinance("yazu", fy).is_some(), "八頭町 {fy}");
        }
        assert!(
            !r.ordinance("yazu", 2026).unwrap().confirmed,
            "stand-in rates say so"
        );
        assert!(!r.national(2025).unwrap().caps.contains_key("child_support"));
        assert_eq!(r.national(2026).unwrap().caps["child_support"], 30000);
        let bad = LEVY_RULES.replace(
            "reduction_half_per_member = 305000",
            "reduction_half_per_member = 600000",
        );
        assert!(LevyRules::parse(&bad).is_err(), "5割 must be below 2割");
        assert!(
            LevyRules::parse(&LEVY_RULES.replace("care = 170000 }", "care = 170000, dental = 1 }"))
                .is_err()
        );
    }

    #[test]
    fn rates_are_exact() {
        assert_eq!(Rate::parse_percent("7.35"), Some(Rate(7350)));
        assert_eq!(Rate::parse_percent("0.3"), Some(Rate(300)));
        assert_eq!(Rate::parse_percent("7.3456"), None);
        assert_eq!(Rate::parse_percent("-1"), None);
        assert_eq!(Rate::from_percent_f64(7.35), Some(Rate(7350)));
        assert_eq!(Rate::from_percent_f64(7.3456), None);
        assert_eq!(Rate(7350).of(1_000_000), 73_500);
        assert_eq!(Rate(7350).of(999), 73, "cut to the yen");
        assert_eq!(Rate(7350).display(), "7.35%");
    }

    /// A single full-year household (FY2025, age 50, 旧ただし書き 2,570,000):
    /// every part by hand.
    #[test]
    fn a_full_year_household_part_by_part() {
        let l = calc(
            2025,
            vec![head(person("A", date!(1975 - 05 - 05), 3_000_000))],
            None,
        );
        let base = 3_000_000 - 430_000;
        let m = part(&l, Component::Medical);
        assert_eq!(m.income_levy, base * 7 / 100);
        assert_eq!(
            (m.per_capita, m.per_household, m.reduction, m.over_cap),
            (30000, 20000, 0, 0)
        );
        assert_eq!(m.amount, 179_900 + 50_000);
        let s = part(&l, Component::ElderlySupport);
        assert_eq!(s.amount, 51_400 + 16_000);
        let c = part(&l, Component::Care);
        assert_eq!(c.amount, 51_400 + 12_000);
        assert!(
            !l.components.contains_key(&Component::ChildSupport),
            "not before FY2026"
        );
        assert_eq!(l.reduction, None);
        let sum = 229_900 + 67_400 + 63_400;
        assert_eq!(l.total, sum - sum % 100, "the part under 100 yen is cut");
        // Eight installments of whole 100 yen, the first taking the rest.
        assert_eq!(l.installments.len(), 8);
        let each = (l.total / 8) - (l.total / 8) % 100;
        assert!(l.installments[1..].iter().all(|i| i.amount == each));
        assert_eq!(
            l.installments.iter().map(|i| i.amount).sum::<i64>(),
            l.total
        );
        assert!(l.installments[0].amount >= each);
        assert!(
            l.explanation
                .iter()
                .any(|e| e.contains("所得割 2,570,000円×7%=179,900円")),
            "{:?}",
            l.explanation
        );
    }

    /// The statutory reduction one yen either side of each threshold
    /// (FY2025: 430,000; + 305,000 / + 560,000 per member).
    #[test]
    fn statutory_reductions_at_their_thresholds() {
        let two = |income: i64| {
            calc(
                2025,
                vec![
                    head(person("A", date!(1980 - 01 - 10), income)),
                    person("B", date!(1982 - 02 - 02), 0),
                ],
                None,
            )
            .reduction
        };
        assert_eq!(two(430_000), Some(Reduction::Seventy));
        assert_eq!(two(430_001), Some(Reduction::Fifty));
        assert_eq!(two(430_000 + 305_000 * 2), Some(Reduction::Fifty));
        assert_eq!(two(430_000 + 305_000 * 2 + 1), Some(Reduction::Twenty));
        assert_eq!(two(430_000 + 560_000 * 2), Some(Reduction::Twenty));
        assert_eq!(two(430_000 + 560_000 * 2 + 1), None);
        // FY2024's per-member amounts.
        let fy24 = |income: i64| {
            calc(
                2024,
                vec![head(person("A", date!(1980 - 01 - 10), income))],
                None,
            )
            .reduction
        };
        assert_eq!(fy24(430_000 + 295_000), Some(Reduction::Fifty));
        assert_eq!(fy24(430_000 + 295_001), Some(Reduction::Twenty));
        // 7割 takes 70% of 均等割 and 平等割: 30,000 → 9,000; 20,000 → 6,000.
        let l = calc(
            2025,
            vec![head(person("A", date!(1980 - 01 - 10), 0))],
            None,
        );
        let m = part(&l, Component::Medical);
        assert_eq!(
            (m.income_levy, m.reduction, m.amount),
            (0, 21_000 + 14_000, 9_000 + 6_000)
        );
    }

    /// Two 給与所得者等 raise the 7割 line by 100,000.
    #[test]
    fn earners_raise_the_seventy_percent_line() {
        let l = |b_salary: i64| {
            calc(
                2025,
                vec![
                    head(earner(
                        person("A", date!(1980 - 01 - 10), 265_000),
                        1_000_000,
                    )),
                    earner(person("B", date!(1982 - 02 - 02), 265_000), b_salary),
                ],
                None,
            )
            .reduction
        };
        // 530,000 of income: 7割 only with two earners (430,000 + 100,000).
        assert_eq!(l(550_001), Some(Reduction::Seventy));
        assert_eq!(
            l(550_000),
            Some(Reduction::Fifty),
            "550,000 of salary is not an earner"
        );
    }

    /// Those 65 and over have 150,000 off their pension income for the test.
    #[test]
    fn pension_special_deduction_for_65_and_over() {
        let with_pension = |birth: Date| {
            let mut a = head(person("A", birth, 580_000));
            a.income.pension_income = 580_000;
            a.income.pension_revenue = 1_680_000;
            calc(2025, vec![a], None).reduction
        };
        assert_eq!(
            with_pension(date!(1955 - 01 - 01)),
            Some(Reduction::Seventy),
            "65+: 430,000"
        );
        assert_eq!(
            with_pension(date!(1965 - 01 - 01)),
            Some(Reduction::Fifty),
            "under 65: 580,000"
        );
    }

    #[test]
    fn caps_per_component() {
        let l = calc(
            2025,
            vec![head(person("A", date!(1975 - 05 - 05), 50_000_000))],
            None,
        );
        for (c, cap) in [
            (Component::Medical, 660_000),
            (Component::ElderlySupport, 260_000),
            (Component::Care, 170_000),
        ] {
            let p = part(&l, c);
            assert_eq!(p.amount, cap, "{c:?}");
            assert_eq!(
                p.income_levy + p.per_capita + p.per_household
                    - p.reduction
                    - p.over_cap
                    - p.rounded_off,
                cap
            );
        }
        assert_eq!(l.total, 1_090_000);
        let fy26 = calc(
            2026,
            vec![head(person("A", date!(1975 - 05 - 05), 50_000_000))],
            None,
        );
        assert_eq!(part(&fy26, Component::Medical).amount, 670_000);
        assert_eq!(part(&fy26, Component::ChildSupport).amount, 30_000);
    }

    /// 未就学児: 均等割 halved after the statutory reduction.
    #[test]
    fn preschool_children_pay_half_the_per_capita_levy() {
        let l = calc(
            2025,
            vec![
                head(person("A", date!(1990 - 01 - 10), 0)),
                person("C", date!(2021 - 05 - 05), 0),
            ],
            None,
        );
        let m = part(&l, Component::Medical);
        // 7割: 9,000 each; the child's halved: 4,500. 平等割 6,000.
        assert_eq!(m.amount, 9_000 + 4_500 + 6_000);
        // Born 2019-04-02: preschool to 2026-03-31, i.e. all of FY2025.
        let l = calc(
            2025,
            vec![
                head(person("A", date!(1990 - 01 - 10), 3_000_000)),
                person("C", date!(2019 - 04 - 02), 0),
            ],
            None,
        );
        assert_eq!(part(&l, Component::Medical).reduction, 15_000);
        // Born 2019-04-01: in school from April 2025: no reduction.
        let l = calc(
            2025,
            vec![
                head(person("A", date!(1990 - 01 - 10), 3_000_000)),
                person("C", date!(2019 - 04 - 01), 0),
            ],
            None,
        );
        assert_eq!(part(&l, Component::Medical).reduction, 0);
    }

    /// 産前産後: 所得割 and 均等割 of the mother exempt for 4 months (6 for twins).
    #[test]
    fn childbirth_months_are_exempt() {
        let mother = |multiple: bool| {
            let mut m = head(person("M", date!(1995 - 03 - 03), 2_430_000));
            m.childbirth = Some(Childbirth {
                month: YearMonth {
                    year: 2025,
                    month: Month::October,
                },
                multiple,
            });
            calc(2025, vec![m], None)
        };
        let single = part(&mother(false), Component::Medical);
        // 所得割 140,000 and 均等割 30,000 a year; September to December exempt: 8/12 left.
        assert_eq!(single.income_levy, 140_000 * 8 / 12);
        assert_eq!(single.per_capita, 30_000, "before the exemption");
        assert_eq!(single.reduction, 30_000 * 4 / 12);
        assert_eq!(single.amount, hundred((140_000 + 30_000) * 8 / 12 + 20_000));
        let twins = part(&mother(true), Component::Medical);
        assert_eq!(
            twins.amount,
            hundred((140_000 + 30_000) * 6 / 12 + 20_000),
            "July to December"
        );
    }

    /// 非自発的失業者: salary income at 30%, for the levy and the reduction test.
    #[test]
    fn involuntary_unemployment_counts_salary_at_thirty_percent() {
        let mut a = head(earner(
            person("A", date!(1980 - 01 - 10), 3_000_000),
            4_400_000,
        ));
        a.involuntary_unemployed = true;
        let l = calc(2025, vec![a], None);
        // 900,000 counted: 旧ただし書き 470,000; reduction test 900,000 ≤ 430,000 + 560,000 → 2割.
        assert_eq!(part(&l, Component::Medical).income_levy, 470_000 * 7 / 100);
        assert_eq!(l.reduction, Some(Reduction::Twenty));
    }

    /// 特定世帯: 平等割 halved; 特定継続世帯: a quarter off; only in 医療分 and 支援金分.
    #[test]
    fn specified_households() {
        let l = |s| {
            calc(
                2025,
                vec![head(person("A", date!(1955 - 06 - 06), 3_000_000))],
                s,
            )
        };
        let none = l(None);
        let half = l(Some(SpecifiedHousehold::Specified));
        let three_quarters = l(Some(SpecifiedHousehold::SpecifiedContinuing));
        assert_eq!(
            part(&none, Component::Medical).amount - part(&half, Component::Medical).amount,
            10_000
        );
        assert_eq!(
            part(&none, Component::ElderlySupport).amount
                - part(&half, Component::ElderlySupport).amount,
            3_000
        );
        assert_eq!(
            part(&none, Component::Medical).amount
                - part(&three_quarters, Component::Medical).amount,
            5_000
        );
    }

    /// Acquired in October, lost the next February: October to January, 4 months.
    #[test]
    fn mid_year_acquisition_and_loss() {
        let mut a = head(person("A", date!(1980 - 01 - 10), 3_000_000));
        a.insured_from = Some(date!(2025 - 10 - 15));
        a.insured_until = Some(date!(2026 - 02 - 10));
        let l = calc(2025, vec![a], None);
        let m = part(&l, Component::Medical);
        assert_eq!(m.months, 4);
        assert_eq!(m.amount, hundred((179_900 + 30_000 + 20_000) * 4 / 12));
        assert!(l.explanation.iter().any(|e| e.contains("月割 4か月分")));
    }

    /// Lost in June and acquired again in September in the same household:
    /// April–May (June, the month of the loss, is not counted) and
    /// September–March, 9 months, not the gap.
    #[test]
    fn lost_and_acquired_again_in_the_year() {
        let mut a = head(person("A", date!(1980 - 01 - 10), 3_000_000));
        a.insured_until = Some(date!(2025 - 06 - 05));
        a.further_periods = vec![(date!(2025 - 09 - 20), None)];
        let l = calc(2025, vec![a], None);
        assert_eq!(part(&l, Component::Medical).months, 9);
        // Lost again in January: April–May and September–December.
        let mut b = head(person("A", date!(1980 - 01 - 10), 3_000_000));
        b.insured_until = Some(date!(2025 - 05 - 31));
        b.further_periods = vec![(date!(2025 - 09 - 01), Some(date!(2026 - 01 - 14)))];
        let l = calc(2025, vec![b], None);
        assert_eq!(part(&l, Component::Medical).months, 6);
    }

    /// Acquired and lost in the same month, or the sole member reaching 75
    /// in April: no month is levied.
    #[test]
    fn households_without_a_levied_month() {
        let mut a = head(person("A", date!(1980 - 01 - 10), 3_000_000));
        a.insured_from = Some(date!(2025 - 11 - 05));
        a.insured_until = Some(date!(2025 - 11 - 20));
        let h = LevyHousehold {
            fiscal_year: 2025,
            members: vec![a],
            specified: None,
        };
        assert_eq!(insured_months(&h), 0);
        let old = head(person("B", date!(1950 - 04 - 10), 3_000_000));
        let h = LevyHousehold {
            fiscal_year: 2025,
            members: vec![old],
            specified: None,
        };
        assert_eq!(insured_months(&h), 0);
        let mut a = head(person("A", date!(1980 - 01 - 10), 3_000_000));
        a.insured_from = Some(date!(2025 - 11 - 05));
        let h = LevyHousehold {
            fiscal_year: 2025,
            members: vec![a],
            specified: None,
        };
        assert_eq!(insured_months(&h), 5);
    }

    fn schedule(amounts: &[(u8, Date, i64)]) -> Vec<Installment> {
        amounts
            .iter()
            .map(|(n, d, a)| Installment {
                number: *n,
                due_date: *d,
                amount: *a,
            })
            .collect()
    }

    /// A reassessment keeps what fell due and splits the rest over what is
    /// ahead, the first taking the remainder.
    #[test]
    fn reassessment_keeps_what_fell_due() {
        let dues = [
            date!(2026 - 07 - 31),
            date!(2026 - 08 - 31),
            date!(2026 - 09 - 30),
            date!(2026 - 10 - 31),
        ];
        let first = split(100_000, &dues, 100);
        assert_eq!(
            first.iter().map(|i| i.amount).collect::<Vec<_>>(),
            [25_000; 4]
        );
        // Raised to 130,000 on 15 September: July and August stay.
        let (next, over) = resplit(
            130_300,
            &first,
            &dues,
            date!(2026 - 09 - 15),
            100,
            date!(2026 - 10 - 31),
        );
        assert_eq!(over, 0);
        assert_eq!(
            next,
            schedule(&[
                (1, dues[0], 25_000),
                (2, dues[1], 25_000),
                (3, dues[2], 40_200),
                (4, dues[3], 40_100),
            ])
        );
        // Lowered below what fell due: nothing more, 過誤納 the excess.
        let (lower, over) = resplit(
            40_000,
            &next,
            &dues,
            date!(2026 - 10 - 01),
            100,
            date!(2026 - 11 - 30),
        );
        assert_eq!(over, 50_200);
        assert_eq!(lower.iter().map(|i| i.amount).sum::<i64>(), 90_200);
        assert_eq!(lower[3].amount, 0);
        // After the last due date: one more installment, numbered 5.
        let (late, _) = resplit(
            140_300,
            &next,
            &dues,
            date!(2026 - 11 - 10),
            100,
            date!(2026 - 12 - 31),
        );
        assert_eq!(late.len(), 5);
        assert_eq!(late[4], schedule(&[(5, date!(2026 - 12 - 31), 10_000)])[0]);
        // Assessed for the first time after two due dates: the rest only.
        let (fresh, _) = resplit(
            60_000,
            &[],
            &dues,
            date!(2026 - 09 - 01),
            100,
            date!(2026 - 10 - 31),
        );
        assert_eq!(
            fresh,
            schedule(&[(3, dues[2], 30_000), (4, dues[3], 30_000)])
        );
    }

    /// Due dates moved after the first booking (a corrected ordinance): the
    /// kept installments keep their numbers and none is used twice.
    #[test]
    fn moved_due_dates_do_not_repeat_a_number() {
        let before = [date!(2026 - 07 - 31), date!(2026 - 08 - 31)];
        let moved = [date!(2026 - 07 - 31), date!(2026 - 09 - 15)];
        let first = split(10_000, &before, 100);
        let (next, _) = resplit(
            12_000,
            &first,
            &moved,
            date!(2026 - 09 - 05),
            100,
            date!(2026 - 10 - 31),
        );
        let mut numbers: Vec<u8> = next.iter().map(|i| i.number).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), next.len(), "{next:?}");
        assert_eq!(next.iter().map(|i| i.amount).sum::<i64>(), 12_000);
    }

    /// Whatever the change, the installments add up to the total unless what
    /// fell due is already more, and what fell due never changes.
    #[test]
    fn resplit_adds_up() {
        use proptest::prelude::*;
        let dues = [
            date!(2026 - 07 - 31),
            date!(2026 - 08 - 31),
            date!(2026 - 09 - 30),
            date!(2026 - 10 - 31),
            date!(2026 - 11 - 30),
        ];
        proptest!(|(first in 0i64..2_000_000, second in 0i64..2_000_000, day in 0i64..200)| {
            let on = date!(2026 - 06 - 01) + time::Duration::days(day);
            let a = split(first, &dues, 100);
            let (b, over) = resplit(second, &a, &dues, on, 100, date!(2027 - 01 - 31));
            let fixed: i64 = a.iter().filter(|i| i.due_date < on).map(|i| i.amount).sum();
            prop_assert_eq!(b.iter().map(|i| i.amount).sum::<i64>(), second.max(fixed));
            prop_assert_eq!(over, (fixed - second).max(0));
            for i in a.iter().filter(|i| i.due_date < on) {
                prop_assert!(b.contains(i));
            }
            prop_assert!(b.iter().all(|i| i.amount >= 0));
        });
    }

    /// Turning 40 in July: 介護納付金分 from July (the month of attaining 40);
    /// turning 65 in July: to June; turning 75: NHI ends the month before.
    #[test]
    fn ages_reached_during_the_year() {
        let forty = calc(
            2025,
            vec![head(person("A", date!(1985 - 07 - 20), 430_000))],
            None,
        );
        assert_eq!(part(&forty, Component::Care).months, 9);
        let sixty_five = calc(
            2025,
            vec![head(person("A", date!(1960 - 07 - 20), 430_000))],
            None,
        );
        assert_eq!(part(&sixty_five, Component::Care).months, 3);
        // Born on the 1st: attains 40 on the last day of the month before.
        let first = calc(
            2025,
            vec![head(person("A", date!(1985 - 08 - 01), 430_000))],
            None,
        );
        assert_eq!(part(&first, Component::Care).months, 9);
        let seventy_five = calc(
            2025,
            vec![
                head(person("A", date!(1950 - 11 - 20), 1_000_000)),
                person("B", date!(1960 - 01 - 01), 0),
            ],
            None,
        );
        // A leaves NHI on 2025-11-20: April to October.
        let m = part(&seventy_five, Component::Medical);
        assert_eq!(m.per_capita, (30_000 * 7 + 30_000 * 12) / 12);
    }

    /// The 擬制世帯主 owes no levy of their own but their income counts for
    /// the reduction test.
    #[test]
    fn a_nominal_householder() {
        let mut h = head(person("H", date!(1948 - 01 - 01), 2_000_000));
        h.insured = false;
        let l = calc(2025, vec![h, person("B", date!(1990 - 02 - 02), 0)], None);
        let m = part(&l, Component::Medical);
        assert_eq!(m.income_levy, 0, "the householder's income is not levied");
        assert_eq!(l.reduction, None, "2,000,000 > 430,000 + 560,000 × 1");
        let mut h = head(person("H", date!(1948 - 01 - 01), 0));
        h.insured = false;
        let l = calc(2025, vec![h, person("B", date!(1990 - 02 - 02), 0)], None);
        assert_eq!(
            l.reduction,
            Some(Reduction::Seventy),
            "a zero-income household"
        );
        assert_eq!(part(&l, Component::Medical).amount, 9_000 + 6_000);
    }

    /// FY2026: 子ども・子育て支援納付金分, with the 18-and-under 均等割 fully reduced.
    #[test]
    fn child_support_from_2026() {
        let l = calc(
            2026,
            vec![
                head(person("A", date!(1980 - 01 - 10), 3_430_000)),
                person("K", date!(2010 - 05 - 05), 0),
            ],
            None,
        );
        let c = part(&l, Component::ChildSupport);
        assert_eq!(c.income_levy, 3_000_000 * 3 / 1000);
        assert_eq!(c.per_capita, 3_600);
        assert_eq!(c.reduction, 1_800, "the child's 均等割 is fully reduced");
        assert_eq!(c.amount, 9_000 + 1_800);
        // Turning 18 in May 2026: to the first 31 March after, the whole FY2026.
        let l = calc(
            2026,
            vec![
                head(person("A", date!(1980 - 01 - 10), 3_430_000)),
                person("K", date!(2008 - 05 - 05), 0),
            ],
            None,
        );
        assert_eq!(part(&l, Component::ChildSupport).reduction, 1_800);
        // 19 in FY2026 (born 2007-04-01, 18 on 2025-03-31): no reduction.
        let l = calc(
            2026,
            vec![
                head(person("A", date!(1980 - 01 - 10), 3_430_000)),
                person("K", date!(2007 - 04 - 01), 0),
            ],
            None,
        );
        assert_eq!(part(&l, Component::ChildSupport).reduction, 0);
    }

    #[test]
    fn installments_put_the_rest_in_the_first() {
        let s = split(123_450, &DUE, 100);
        assert_eq!(s[1].amount, 15_400);
        assert_eq!(s[0].amount, 123_450 - 15_400 * 7);
        let s = split(123_450, &DUE, 1000);
        assert_eq!(s[1].amount, 15_000);
        assert_eq!(s[0].amount, 18_450);
        assert_eq!(split(0, &DUE, 100).iter().map(|i| i.amount).sum::<i64>(), 0);
    }

    #[test]
    fn bad_input_is_refused() {
        let r = rules();
        let rates = rates();
        let terms = Terms {
            national: r.national(2025).unwrap(),
            rates: &rates,
            due_dates: &DUE,
            installment_unit: 100,
            income_base_unit: 1,
            round_each_component: true,
        };
        let h = |members| LevyHousehold {
            fiscal_year: 2025,
            members,
            specified: None,
        };
        assert!(
            compute(&terms, &h(vec![person("A", date!(1980 - 01 - 10), 0)])).is_err(),
            "no householder"
        );
        let mut a = head(person("A", date!(1980 - 01 - 10), 0));
        a.insured_from = Some(date!(2025 - 10 - 01));
        a.insured_until = Some(date!(2025 - 09 - 01));
        assert!(compute(&terms, &h(vec![a])).is_err());
        let mut a = head(person("A", date!(1980 - 01 - 10), 0));
        a.insured_until = Some(date!(2025 - 03 - 31));
        assert!(
            compute(&terms, &h(vec![a])).is_err(),
            "nobody insured in the year"
        );
        let mut wrong_year = h(vec![head(person("A", date!(1980 - 01 - 10), 0))]);
        wrong_year.fiscal_year = 2026;
        assert!(compute(&terms, &wrong_year).is_err());
    }
}
