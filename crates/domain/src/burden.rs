//! Burden categories (国保負担区分): for a household and a month, the income
//! category that sets the high-cost limits (適用区分) and each insured
//! member's copay rate. Pure: the caller gives the month, the members and
//! the incomes that apply to that month (see [`income_year_for`]); the
//! thresholds come from the dated table `rules/burden.toml`.

use std::fmt;

use serde::Deserialize;
use time::{Date, Month};

use crate::eligibility::{YearMonth, elderly_recipient_from, is_preschool, late_elderly_from};
use crate::month_periods::{self, Period, PeriodError};

/// The rule table shipped with this build.
const BURDEN_RULES: &str = include_str!("../rules/burden.toml");

/// One period of thresholds (yen).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BurdenPeriod {
    pub from: String,
    #[serde(default)]
    pub until: Option<String>,
    pub kyu_tadashigaki_deduction: i64,
    pub under70_a_over: i64,
    pub under70_i_over: i64,
    pub under70_u_over: i64,
    pub genekinami3_at_least: i64,
    pub genekinami2_at_least: i64,
    pub genekinami1_at_least: i64,
    pub standard_income_single_under: i64,
    pub standard_income_multiple_under: i64,
    pub kyu_tadashigaki_70_74_total_at_most: i64,
    pub low_income_1_pension_deduction: i64,
    pub low_income_1_salary_deduction: i64,
    /// 基準収入額適用 without application where the insurer can confirm
    /// the revenue from its own (tax) records
    pub standard_income_ex_officio: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BurdenFile {
    period: Vec<BurdenPeriod>,
}

/// The dated table, checked: months parse, periods are in order without
/// gaps or overlaps, thresholds are ordered and not negative.
#[derive(Clone, Debug)]
pub struct BurdenRules {
    periods: Vec<Period<BurdenPeriod>>,
}

/// Why a rule table or an input was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BurdenError {
    pub field: String,
    pub reason: String,
    pub reason_ja: String,
}

fn err(field: impl Into<String>, reason: impl Into<String>, ja: impl Into<String>) -> BurdenError {
    BurdenError {
        field: field.into(),
        reason: reason.into(),
        reason_ja: ja.into(),
    }
}

impl From<PeriodError> for BurdenError {
    fn from(e: PeriodError) -> Self {
        err(e.field, e.reason, e.reason_ja)
    }
}

/// "YYYY-MM".
pub fn parse_month(s: &str) -> Option<YearMonth> {
    let (y, m) = s.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Some(YearMonth { year, month })
}

pub fn format_month(m: YearMonth) -> String {
    format!("{:04}-{:02}", m.year, m.month as u8)
}

impl BurdenRules {
    /// The table shipped with this build; a broken table fails every test.
    pub fn shipped() -> Result<BurdenRules, BurdenError> {
        BurdenRules::parse(BURDEN_RULES)
    }

    pub fn parse(text: &str) -> Result<BurdenRules, BurdenError> {
        let file: BurdenFile = toml::from_str(text).map_err(|e| {
            err(
                "rules/burden.toml",
                e.to_string(),
                "負担区分の規則表が読めません",
            )
        })?;
        let mut periods = Vec::new();
        for (i, p) in file.period.into_iter().enumerate() {
            let at = |f: &str| format!("period[{i}].{f}");
            let (from, until) = month_periods::bounds(i, &p.from, p.until.as_deref())?;
            let amounts = [
                p.kyu_tadashigaki_deduction,
                p.under70_a_over,
                p.under70_i_over,
                p.under70_u_over,
                p.genekinami3_at_least,
                p.genekinami2_at_least,
                p.genekinami1_at_least,
                p.standard_income_single_under,
                p.standard_income_multiple_under,
                p.kyu_tadashigaki_70_74_total_at_most,
                p.low_income_1_pension_deduction,
                p.low_income_1_salary_deduction,
            ];
            if amounts.iter().any(|a| *a < 0) {
                return Err(err(at("*"), "negative amount", "金額が負です"));
            }
            let ordered = p.under70_a_over > p.under70_i_over
                && p.under70_i_over > p.under70_u_over
                && p.genekinami3_at_least > p.genekinami2_at_least
                && p.genekinami2_at_least > p.genekinami1_at_least
                && p.standard_income_single_under < p.standard_income_multiple_under;
            if !ordered {
                return Err(err(
                    at("thresholds"),
                    "thresholds out of order",
                    "区分の境界の順序が正しくありません",
                ));
            }
            periods.push((from, until, p));
        }
        month_periods::link(&mut periods)?;
        Ok(BurdenRules { periods })
    }

    /// The thresholds for a month, or `None` before the first period.
    pub fn for_month(&self, m: YearMonth) -> Option<&BurdenPeriod> {
        month_periods::find(&self.periods, m)
    }
}

/// The calendar year whose income sets the category of `m`: the category
/// for August to July uses the previous calendar year's income (住民税 for
/// the fiscal year starting in June is assessed on it, and the category
/// year starts in August), so 2026-08..2027-07 use 2025.
pub fn income_year_for(m: YearMonth) -> i32 {
    if m.month as u8 >= 8 {
        m.year - 1
    } else {
        m.year - 2
    }
}

/// A member's income as the tax system gives it, for the year that applies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Income {
    /// 総所得金額等
    #[serde(default)]
    pub total_income: i64,
    /// 住民税 課税標準額 (課税所得)
    #[serde(default)]
    pub taxable_income: i64,
    /// 収入金額の合計 (for 基準収入額適用)
    #[serde(default)]
    pub revenue: i64,
    /// 公的年金等収入 and 公的年金等所得 (for 低所得Ⅰ)
    #[serde(default)]
    pub pension_revenue: i64,
    #[serde(default)]
    pub pension_income: i64,
    /// 給与所得 (for 低所得Ⅰ)
    #[serde(default)]
    pub salary_income: i64,
    /// 住民税非課税
    #[serde(default)]
    pub resident_tax_exempt: bool,
    /// 未申告: nothing is known of the income
    #[serde(default)]
    pub unreported: bool,
    /// The revenue is known in full from the tax records (only salary and
    /// public pension, whose revenue the tax system reports), so the insurer
    /// can apply 基準収入額適用 without an application where the rules allow
    #[serde(default)]
    pub revenue_confirmed: bool,
}

/// One member of the household in the month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub birth_date: Date,
    /// NHI-insured in the month
    pub insured: bool,
    /// the (NHI or 擬制) householder
    pub householder: bool,
    /// 特定同一世帯所属者: not insured, left this NHI for 後期高齢者医療 and
    /// has stayed in the household since. Counts only where the law says
    /// (the 基準収入額 of a household with one 70–74 member).
    pub former_insured_late_elderly: bool,
    pub income: Income,
}

/// Under-70 category (適用区分).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Under70 {
    A,
    I,
    U,
    E,
    O,
}

impl Under70 {
    pub const ALL: [Under70; 5] = [Under70::A, Under70::I, Under70::U, Under70::E, Under70::O];

    /// The category its label names (ア … オ).
    pub fn from_label(s: &str) -> Option<Under70> {
        Self::ALL.into_iter().find(|c| c.label() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Under70::A => "ア",
            Under70::I => "イ",
            Under70::U => "ウ",
            Under70::E => "エ",
            Under70::O => "オ",
        }
    }
}

/// 70–74 category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Elderly {
    Genekinami3,
    Genekinami2,
    Genekinami1,
    General,
    LowIncome2,
    LowIncome1,
}

impl Elderly {
    pub const ALL: [Elderly; 6] = [
        Elderly::Genekinami3,
        Elderly::Genekinami2,
        Elderly::Genekinami1,
        Elderly::General,
        Elderly::LowIncome2,
        Elderly::LowIncome1,
    ];

    /// The category its label names (現役並みⅢ … 低所得Ⅰ; Roman numerals
    /// typed as ASCII letters are read too).
    pub fn from_label(s: &str) -> Option<Elderly> {
        let s = s.replace("III", "Ⅲ").replace("II", "Ⅱ").replace('I', "Ⅰ");
        Self::ALL.into_iter().find(|c| c.label() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Elderly::Genekinami3 => "現役並みⅢ",
            Elderly::Genekinami2 => "現役並みⅡ",
            Elderly::Genekinami1 => "現役並みⅠ",
            Elderly::General => "一般",
            Elderly::LowIncome2 => "低所得Ⅱ",
            Elderly::LowIncome1 => "低所得Ⅰ",
        }
    }

    pub fn is_genekinami(self) -> bool {
        matches!(
            self,
            Elderly::Genekinami3 | Elderly::Genekinami2 | Elderly::Genekinami1
        )
    }
}

/// Copay rate (一部負担金の割合).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CopayRate {
    /// 3割
    Thirty,
    /// 2割
    Twenty,
}

impl fmt::Display for CopayRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CopayRate::Thirty => "3割",
            CopayRate::Twenty => "2割",
        })
    }
}

/// A member's age group in the month, for the copay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeGroup {
    /// 未就学児 (2割)
    Preschool,
    /// under 70
    Under70,
    /// 高齢受給者 (70–74)
    Elderly,
}

/// A member's copay rate (percent) in a household-month's recorded rates
/// ("宛名番号:3割;宛名番号:2割(高齢受給者)"), where the member is listed.
pub fn copay_percent_in(copay_rates: &str, addressee_id: &str) -> Option<u8> {
    copay_percents(copay_rates).find_map(|(id, pct)| (id == addressee_id).then_some(pct))
}

/// Every (宛名番号, copay percent) of a household-month's recorded rates;
/// an entry that does not read is skipped.
pub fn copay_percents(copay_rates: &str) -> impl Iterator<Item = (&str, u8)> {
    copay_rates.split(';').filter_map(|entry| {
        let (id, rate) = entry.split_once(':')?;
        let (tenths, _) = rate.split_once('割')?;
        tenths
            .parse::<u8>()
            .ok()
            .filter(|t| *t <= 10)
            .map(|t| (id, t * 10))
    })
}

/// The member's age group in month `m`: 70–74 from the month after attaining
/// 70 (国民健康保険法 第42条第1項第3号・第4号) until 後期高齢者医療; preschool
/// through the first 31 March after the sixth birthday (第42条第1項第2号) —
/// for a month, preschool on any day of it.
pub fn age_group(birth: Date, m: YearMonth) -> AgeGroup {
    let (Some(first), Some(last)) = (m.first_day(), m.last_day()) else {
        return AgeGroup::Under70;
    };
    let elderly_from = elderly_recipient_from(birth);
    let late_from = late_elderly_from(birth);
    if elderly_from.is_some_and(|d| d <= first) && late_from.is_none_or(|d| d > first) {
        AgeGroup::Elderly
    } else if is_preschool(birth, first) || is_preschool(birth, last) {
        AgeGroup::Preschool
    } else {
        AgeGroup::Under70
    }
}

/// What the household comes to in the month, with the reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Burden {
    pub month: YearMonth,
    pub under70: Option<Under70>,
    pub elderly: Option<Elderly>,
    /// (member id, age group, copay) for every insured member
    pub members: Vec<(String, AgeGroup, CopayRate)>,
    pub reasons: Vec<String>,
}

/// 旧ただし書き所得: 総所得金額等 less the deduction, never below zero.
pub fn kyu_tadashigaki(total_income: i64, deduction: i64) -> i64 {
    (total_income - deduction).max(0)
}

/// A whole number with thousands separators (1,234,500; -1,000), as the
/// screens, the forms and the reports write amounts and counts.
pub fn yen(n: i64) -> String {
    // unsigned_abs: i64::MIN has no positive twin
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The categories and copay rates of a household for a month.
/// `standard_income_application`: the household applied for 基準収入額適用.
pub fn compute(
    rules: &BurdenRules,
    month: YearMonth,
    members: &[Member],
    standard_income_application: bool,
) -> Result<Burden, BurdenError> {
    let r = rules.for_month(month).ok_or_else(|| {
        err(
            "month",
            format!("no rules for {}", format_month(month)),
            format!("{}の規則がありません", format_month(month)),
        )
    })?;
    for m in members {
        for (f, v) in [
            ("total_income", m.income.total_income),
            ("taxable_income", m.income.taxable_income),
            ("revenue", m.income.revenue),
            ("pension_revenue", m.income.pension_revenue),
            ("pension_income", m.income.pension_income),
            ("salary_income", m.income.salary_income),
        ] {
            if v < 0 && f != "total_income" {
                return Err(err(
                    format!("members[{}].income.{f}", m.id),
                    "must not be negative",
                    "負の金額は入力できません",
                ));
            }
        }
    }
    if members.iter().filter(|m| m.householder).count() != 1 {
        return Err(err(
            "members",
            "exactly one member must be the householder",
            "世帯主を1人指定してください",
        ));
    }
    let insured: Vec<(&Member, AgeGroup)> = members
        .iter()
        .filter(|m| m.insured)
        .map(|m| (m, age_group(m.birth_date, month)))
        .collect();
    if insured.is_empty() {
        return Err(err(
            "members",
            "no insured member in the household",
            "国保の被保険者がいません",
        ));
    }
    let mut reasons = Vec::new();
    let householder = members.iter().find(|m| m.householder);
    let nominal = householder.is_some_and(|h| !h.insured);
    if nominal {
        reasons.push(
            "世帯主は国保の被保険者ではありません（擬制世帯主）：その所得は区分の所得に含めず、住民税非課税の判定には含めます"
                .to_string(),
        );
    }
    // 住民税非課税 household: the householder (擬制世帯主 included) and every
    // insured member exempt, and nobody's income unknown.
    let judged: Vec<&Member> = members
        .iter()
        .filter(|m| m.insured || m.householder)
        .collect();
    let unreported: Vec<&str> = judged
        .iter()
        .filter(|m| m.income.unreported)
        .map(|m| m.id.as_str())
        .collect();
    let exempt = unreported.is_empty() && judged.iter().all(|m| m.income.resident_tax_exempt);

    // Under 70: the household's 旧ただし書き所得 over its insured members.
    let under70 = if insured.iter().any(|(_, g)| *g != AgeGroup::Elderly) {
        let insured_unreported: Vec<&str> = insured
            .iter()
            .filter(|(m, _)| m.income.unreported)
            .map(|(m, _)| m.id.as_str())
            .collect();
        let base: i64 = insured
            .iter()
            .map(|(m, _)| kyu_tadashigaki(m.income.total_income, r.kyu_tadashigaki_deduction))
            .sum();
        let c = if !insured_unreported.is_empty() {
            reasons.push(format!(
                "所得未申告の被保険者（{}）がいるため、70歳未満の区分はアとします",
                insured_unreported.join("、")
            ));
            Under70::A
        } else if exempt {
            reasons.push("世帯主と被保険者全員が住民税非課税のため、70歳未満の区分はオです".into());
            Under70::O
        } else {
            let c = if base > r.under70_a_over {
                Under70::A
            } else if base > r.under70_i_over {
                Under70::I
            } else if base > r.under70_u_over {
                Under70::U
            } else {
                Under70::E
            };
            reasons.push(format!(
                "被保険者の旧ただし書き所得の合計 {}円（総所得金額等から{}円を控除）により、70歳未満の区分は{}です",
                yen(base),
                yen(r.kyu_tadashigaki_deduction),
                c.label()
            ));
            c
        };
        Some(c)
    } else {
        None
    };

    // 70–74: by the highest 課税所得 of the insured aged 70–74.
    let elderly_members: Vec<&Member> = insured
        .iter()
        .filter(|(_, g)| *g == AgeGroup::Elderly)
        .map(|(m, _)| *m)
        .collect();
    let elderly = if elderly_members.is_empty() {
        None
    } else {
        let top = elderly_members
            .iter()
            .map(|m| m.income.taxable_income)
            .max()
            .unwrap_or(0);
        let by_taxable = if top >= r.genekinami3_at_least {
            Some(Elderly::Genekinami3)
        } else if top >= r.genekinami2_at_least {
            Some(Elderly::Genekinami2)
        } else if top >= r.genekinami1_at_least {
            Some(Elderly::Genekinami1)
        } else {
            None
        };
        let c = match by_taxable {
            Some(g) => {
                let kyu_total: i64 = elderly_members
                    .iter()
                    .map(|m| kyu_tadashigaki(m.income.total_income, r.kyu_tadashigaki_deduction))
                    .sum();
                let revenue: i64 = elderly_members.iter().map(|m| m.income.revenue).sum();
                // One 70–74 member: 383万円未満 alone, or 520万円未満 with the
                // 特定同一世帯所属者 (国民健康保険法施行令 第27条の2 第2項).
                let former: Vec<&Member> = members
                    .iter()
                    .filter(|m| !m.insured && m.former_insured_late_elderly)
                    .collect();
                let (revenue, under, with_former) = if elderly_members.len() > 1 {
                    (revenue, r.standard_income_multiple_under, false)
                } else if revenue < r.standard_income_single_under || former.is_empty() {
                    (revenue, r.standard_income_single_under, false)
                } else {
                    let combined = revenue + former.iter().map(|m| m.income.revenue).sum::<i64>();
                    (combined, r.standard_income_multiple_under, true)
                };
                if kyu_total <= r.kyu_tadashigaki_70_74_total_at_most {
                    reasons.push(format!(
                        "70〜74歳の被保険者の課税所得 {}円は現役並みの基準以上ですが、旧ただし書き所得の合計 {}円が{}円以下のため一般です",
                        yen(top),
                        yen(kyu_total),
                        yen(r.kyu_tadashigaki_70_74_total_at_most)
                    ));
                    Elderly::General
                } else if revenue < under
                    && (standard_income_application
                        || (r.standard_income_ex_officio
                            && elderly_members
                                .iter()
                                .chain(if with_former {
                                    former.iter()
                                } else {
                                    [].iter()
                                })
                                .all(|m| m.income.revenue_confirmed && !m.income.unreported)))
                {
                    reasons.push(format!(
                        "{}、70〜74歳の被保険者{}人{}の収入の合計 {}円が{}円未満のため一般です",
                        if standard_income_application {
                            "基準収入額適用の申請があり"
                        } else {
                            "基準収入額適用（収入を税情報で確認できるため申請不要）により"
                        },
                        elderly_members.len(),
                        if with_former {
                            "と後期高齢者医療に移った世帯員（特定同一世帯所属者）"
                        } else {
                            ""
                        },
                        yen(revenue),
                        yen(under)
                    ));
                    Elderly::General
                } else {
                    reasons.push(format!(
                        "70〜74歳の被保険者の課税所得の最高額 {}円により{}です{}",
                        yen(top),
                        g.label(),
                        if standard_income_application {
                            format!("（基準収入額適用の申請はありますが、収入の合計 {}円が{}円以上です）", yen(revenue), yen(under))
                        } else {
                            String::new()
                        }
                    ));
                    g
                }
            }
            None if exempt => {
                // 低所得Ⅰ: every judged member's income is 0, pension counted
                // with its deduction and salary income less its deduction.
                let zero = judged.iter().all(|m| {
                    let pension =
                        (m.income.pension_revenue - r.low_income_1_pension_deduction).max(0);
                    let salary = (m.income.salary_income - r.low_income_1_salary_deduction).max(0);
                    m.income.total_income - m.income.pension_income - m.income.salary_income
                        + pension
                        + salary
                        <= 0
                });
                if zero {
                    reasons.push(format!(
                        "世帯主と被保険者全員が住民税非課税で、各所得が0円（公的年金等は収入から{}円を控除）のため低所得Ⅰです",
                        yen(r.low_income_1_pension_deduction)
                    ));
                    Elderly::LowIncome1
                } else {
                    reasons.push("世帯主と被保険者全員が住民税非課税のため低所得Ⅱです".into());
                    Elderly::LowIncome2
                }
            }
            None => {
                if !unreported.is_empty() {
                    reasons.push(format!(
                        "所得未申告の人（{}）がいるため住民税非課税と確認できず、70〜74歳の区分は一般です",
                        unreported.join("、")
                    ));
                } else {
                    reasons.push(format!(
                        "70〜74歳の被保険者の課税所得が{}円未満で、住民税課税世帯のため一般です",
                        yen(r.genekinami1_at_least)
                    ));
                }
                Elderly::General
            }
        };
        Some(c)
    };

    let members_out = insured
        .iter()
        .map(|(m, g)| {
            let rate = match g {
                AgeGroup::Preschool => CopayRate::Twenty,
                AgeGroup::Under70 => CopayRate::Thirty,
                AgeGroup::Elderly if elderly.is_some_and(Elderly::is_genekinami) => {
                    CopayRate::Thirty
                }
                AgeGroup::Elderly => CopayRate::Twenty,
            };
            (m.id.clone(), *g, rate)
        })
        .collect();
    Ok(Burden {
        month,
        under70,
        elderly,
        members: members_out,
        reasons,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    fn ym(s: &str) -> YearMonth {
        parse_month(s).unwrap()
    }

    fn member(id: &str, birth: Date, total: i64, taxable: i64) -> Member {
        Member {
            former_insured_late_elderly: false,
            id: id.into(),
            birth_date: birth,
            insured: true,
            householder: false,
            income: Income {
                total_income: total,
                taxable_income: taxable,
                revenue: total,
                ..Default::default()
            },
        }
    }

    fn head(mut m: Member) -> Member {
        m.householder = true;
        m
    }

    fn rules() -> BurdenRules {
        BurdenRules::shipped().unwrap()
    }

    #[test]
    fn the_shipped_table_loads_and_covers_every_month_since_2018_08() {
        let r = rules();
        assert!(r.for_month(ym("2018-07")).is_none());
        assert_eq!(
            r.for_month(ym("2021-07"))
                .unwrap()
                .kyu_tadashigaki_deduction,
            330_000
        );
        assert_eq!(
            r.for_month(ym("2021-08"))
                .unwrap()
                .kyu_tadashigaki_deduction,
            430_000
        );
        assert_eq!(
            r.for_month(ym("2026-11")).unwrap().under70_a_over,
            9_010_000
        );
    }

    #[test]
    fn a_broken_table_is_refused_with_the_field() {
        let good = BURDEN_RULES;
        let swapped = good.replacen("under70_i_over = 6000000", "under70_i_over = 9900000", 1);
        assert_eq!(
            BurdenRules::parse(&swapped).unwrap_err().field,
            "period[0].thresholds"
        );
        let bad_month = good.replacen("from = \"2021-08\"", "from = \"2021-13\"", 1);
        assert_eq!(
            BurdenRules::parse(&bad_month).unwrap_err().field,
            "period[1].from"
        );
        let unknown = format!("{good}\nsurprise = 1\n");
        assert!(BurdenRules::parse(&unknown).is_err());
        let gap = good.replacen(
            "from = \"2018-08\"",
            "from = \"2018-08\"\nuntil = \"2021-05\"",
            1,
        );
        assert_eq!(
            BurdenRules::parse(&gap).unwrap_err().field,
            "period[0].until"
        );
    }

    #[test]
    fn the_income_year_switches_in_august() {
        assert_eq!(income_year_for(ym("2026-07")), 2024);
        assert_eq!(income_year_for(ym("2026-08")), 2025);
        assert_eq!(income_year_for(ym("2027-07")), 2025);
        assert_eq!(income_year_for(ym("2027-01")), 2025);
    }

    /// One yen below, at and above each under-70 boundary (旧ただし書き所得 =
    /// 総所得金額等 − 430,000).
    #[test]
    fn under_70_boundaries() {
        let r = rules();
        let m = ym("2026-11");
        let cases = [
            (9_010_000, Under70::I),
            (9_010_001, Under70::A),
            (9_009_999, Under70::I),
            (6_000_000, Under70::U),
            (6_000_001, Under70::I),
            (5_999_999, Under70::U),
            (2_100_000, Under70::E),
            (2_100_001, Under70::U),
            (2_099_999, Under70::E),
            (0, Under70::E),
        ];
        for (base, want) in cases {
            let a = head(member("A", date!(1980 - 05 - 05), base + 430_000, 0));
            let b = compute(&r, m, &[a], false).unwrap();
            assert_eq!(b.under70, Some(want), "{base}");
            assert_eq!(b.elderly, None);
            assert_eq!(b.members[0].2, CopayRate::Thirty);
        }
    }

    #[test]
    fn the_household_sum_counts_insured_members_only() {
        let r = rules();
        let m = ym("2026-11");
        // Two earners at 3,500,000 旧ただし書き each: 7,000,000 → イ.
        let a = head(member("A", date!(1980 - 05 - 05), 3_930_000, 0));
        let b = member("B", date!(1982 - 01 - 01), 3_930_000, 0);
        assert_eq!(
            compute(&r, m, &[a.clone(), b.clone()], false)
                .unwrap()
                .under70,
            Some(Under70::I)
        );
        // The same householder outside NHI (擬制世帯主): only B counts → ウ.
        let mut nominal = a.clone();
        nominal.insured = false;
        let out = compute(&r, m, &[nominal, b], false).unwrap();
        assert_eq!(out.under70, Some(Under70::U));
        assert!(out.reasons[0].contains("擬制世帯主"));
        assert_eq!(out.members.len(), 1, "only the insured get a copay rate");
    }

    #[test]
    fn non_taxed_needs_the_nominal_householder_too() {
        let r = rules();
        let m = ym("2026-11");
        let mut child = member("B", date!(1990 - 01 - 01), 0, 0);
        child.income.resident_tax_exempt = true;
        let mut parent = head(member("A", date!(1960 - 01 - 01), 5_000_000, 3_000_000));
        parent.insured = false;
        // The taxed 擬制世帯主 keeps the household out of オ.
        assert_eq!(
            compute(&r, m, &[parent.clone(), child.clone()], false)
                .unwrap()
                .under70,
            Some(Under70::E)
        );
        parent.income.resident_tax_exempt = true;
        assert_eq!(
            compute(&r, m, &[parent, child], false).unwrap().under70,
            Some(Under70::O)
        );
    }

    #[test]
    fn an_unreported_member_makes_the_household_a() {
        let r = rules();
        let m = ym("2026-11");
        let a = head(member("A", date!(1980 - 05 - 05), 0, 0));
        let mut b = member("B", date!(1982 - 01 - 01), 0, 0);
        b.income.unreported = true;
        let out = compute(&r, m, &[a, b], false).unwrap();
        assert_eq!(out.under70, Some(Under70::A));
        assert!(out.reasons.iter().any(|x| x.contains("未申告")));
    }

    /// One yen below, at and above each 70–74 boundary (課税所得).
    #[test]
    fn elderly_boundaries_and_copay() {
        let r = rules();
        let m = ym("2026-11");
        let cases = [
            (6_900_000, Elderly::Genekinami3, CopayRate::Thirty),
            (6_899_999, Elderly::Genekinami2, CopayRate::Thirty),
            (3_800_000, Elderly::Genekinami2, CopayRate::Thirty),
            (3_799_999, Elderly::Genekinami1, CopayRate::Thirty),
            (1_450_000, Elderly::Genekinami1, CopayRate::Thirty),
            (1_449_999, Elderly::General, CopayRate::Twenty),
        ];
        for (taxable, want, rate) in cases {
            // 旧ただし書き well over 2,100,000 so that the automatic rule does not apply.
            let a = head(member("A", date!(1954 - 06 - 15), 9_000_000, taxable));
            let out = compute(&r, m, &[a], false).unwrap();
            assert_eq!(out.elderly, Some(want), "{taxable}");
            assert_eq!(out.under70, None);
            assert_eq!(out.members[0].2, rate);
        }
    }

    #[test]
    fn standard_income_application_at_its_thresholds() {
        let r = rules();
        let m = ym("2026-11");
        let one = |revenue: i64, applied: bool| {
            let mut a = head(member("A", date!(1954 - 06 - 15), 2_600_000, 1_500_000));
            a.income.revenue = revenue;
            compute(&r, m, &[a], applied).unwrap().elderly.unwrap()
        };
        assert_eq!(one(3_829_999, true), Elderly::General);
        assert_eq!(one(3_830_000, true), Elderly::Genekinami1);
        assert_eq!(
            one(3_829_999, false),
            Elderly::Genekinami1,
            "only on application"
        );
        let two = |revenue_each: i64| {
            let mut a = head(member("A", date!(1954 - 06 - 15), 2_600_000, 1_500_000));
            let mut b = member("B", date!(1955 - 02 - 02), 600_000, 0);
            a.income.revenue = revenue_each;
            b.income.revenue = revenue_each;
            compute(&r, m, &[a, b], true).unwrap().elderly.unwrap()
        };
        assert_eq!(two(2_599_999), Elderly::General);
        assert_eq!(two(2_600_000), Elderly::Genekinami1);
        // One 70–74 member at 383万円 or more, with a 特定同一世帯所属者 (moved
        // to 後期高齢者医療, still in the household): their revenue together
        // under 520万円 makes the household 一般; at 520万円 it does not.
        let with_former = |own: i64, former: i64| {
            let mut a = head(member("A", date!(1954 - 06 - 15), 2_600_000, 1_500_000));
            a.income.revenue = own;
            let mut f = member("F", date!(1950 - 01 - 10), 700_000, 0);
            f.insured = false;
            f.former_insured_late_elderly = true;
            f.income.revenue = former;
            compute(&r, m, &[a, f], true).unwrap()
        };
        let b = with_former(4_000_000, 1_199_999);
        assert_eq!(b.elderly, Some(Elderly::General));
        assert!(
            b.reasons.iter().any(|x| x.contains("特定同一世帯所属者")),
            "{:?}",
            b.reasons
        );
        assert_eq!(b.members.len(), 1, "the former member has no copay here");
        assert_eq!(
            with_former(4_000_000, 1_200_000).elderly,
            Some(Elderly::Genekinami1)
        );
        // Under 383万円 alone: 一般 whatever the former member earns.
        assert_eq!(
            with_former(3_829_999, 9_000_000).elderly,
            Some(Elderly::General)
        );
        // A non-insured member who is not a 特定同一世帯所属者 does not count.
        let mut a = head(member("A", date!(1954 - 06 - 15), 2_600_000, 1_500_000));
        a.income.revenue = 4_000_000;
        let mut o = member("O", date!(1990 - 01 - 10), 0, 0);
        o.insured = false;
        assert_eq!(
            compute(&r, m, &[a, o], true).unwrap().elderly,
            Some(Elderly::Genekinami1)
        );
    }

    /// From 2022-01 no application is needed where the revenue is
    /// confirmed from the tax records; before, and where it is not, it is.
    #[test]
    fn standard_income_without_application_where_the_revenue_is_confirmed() {
        let r = rules();
        let judge = |month: &str, confirmed: bool, revenue: i64| {
            // 70–74 in the month judged.
            let born = if month < "2024" {
                date!(1950 - 06 - 15)
            } else {
                date!(1954 - 06 - 15)
            };
            let mut a = head(member("A", born, 2_600_000, 1_500_000));
            a.income.revenue = revenue;
            a.income.revenue_confirmed = confirmed;
            compute(&r, ym(month), &[a], false).unwrap()
        };
        let b = judge("2026-11", true, 3_829_999);
        assert_eq!(b.elderly, Some(Elderly::General));
        assert!(
            b.reasons.iter().any(|x| x.contains("申請不要")),
            "{:?}",
            b.reasons
        );
        assert_eq!(
            judge("2026-11", true, 3_830_000).elderly,
            Some(Elderly::Genekinami1)
        );
        assert_eq!(
            judge("2026-11", false, 3_829_999).elderly,
            Some(Elderly::Genekinami1),
            "not confirmed: on application only"
        );
        assert_eq!(
            judge("2021-12", true, 3_829_999).elderly,
            Some(Elderly::Genekinami1),
            "before 2022-01: on application only"
        );
        assert_eq!(
            judge("2022-01", true, 3_829_999).elderly,
            Some(Elderly::General)
        );
    }

    #[test]
    fn small_70_74_income_is_general_without_application() {
        let r = rules();
        let m = ym("2026-11");
        // 課税所得 1,500,000 but 旧ただし書き 2,100,000 exactly: 一般; one yen more: 現役並みⅠ.
        let a = |total: i64| head(member("A", date!(1954 - 06 - 15), total, 1_500_000));
        assert_eq!(
            compute(&r, m, &[a(2_530_000)], false).unwrap().elderly,
            Some(Elderly::General)
        );
        assert_eq!(
            compute(&r, m, &[a(2_530_001)], false).unwrap().elderly,
            Some(Elderly::Genekinami1)
        );
    }

    #[test]
    fn low_income_two_and_one() {
        let r = rules();
        let m = ym("2026-11");
        let pensioner = |pension: i64| {
            let mut a = head(member("A", date!(1954 - 06 - 15), 0, 0));
            a.income.resident_tax_exempt = true;
            a.income.pension_revenue = pension;
            // 公的年金等所得 with the 1,100,000 minimum deduction for 65+.
            a.income.pension_income = (pension - 1_100_000).max(0);
            a.income.total_income = a.income.pension_income;
            a
        };
        assert_eq!(
            compute(&r, m, &[pensioner(800_000)], false)
                .unwrap()
                .elderly,
            Some(Elderly::LowIncome1)
        );
        assert_eq!(
            compute(&r, m, &[pensioner(800_001)], false)
                .unwrap()
                .elderly,
            Some(Elderly::LowIncome2)
        );
        let mut worker = pensioner(0);
        worker.income.salary_income = 100_000;
        worker.income.total_income = 100_000;
        assert_eq!(
            compute(&r, m, &[worker.clone()], false).unwrap().elderly,
            Some(Elderly::LowIncome1)
        );
        worker.income.salary_income = 100_001;
        worker.income.total_income = 100_001;
        assert_eq!(
            compute(&r, m, &[worker], false).unwrap().elderly,
            Some(Elderly::LowIncome2)
        );
        // Unreported: not confirmed non-taxed → 一般.
        let mut u = pensioner(0);
        u.income.unreported = true;
        assert_eq!(
            compute(&r, m, &[u], false).unwrap().elderly,
            Some(Elderly::General)
        );
    }

    #[test]
    fn mixed_ages_turning_70_and_preschool() {
        let r = rules();
        // Born 1956-10-15: attains 70 on 2026-10-14, 高齢受給者 from 2026-11-01.
        let a = head(member("A", date!(1956 - 10 - 15), 5_000_000, 2_000_000));
        let kid = member("K", date!(2021 - 05 - 01), 0, 0);
        let oct = compute(&r, ym("2026-10"), &[a.clone(), kid.clone()], false).unwrap();
        assert_eq!(oct.under70, Some(Under70::U));
        assert_eq!(oct.elderly, None);
        assert_eq!(oct.members[0].2, CopayRate::Thirty);
        assert_eq!(
            oct.members[1],
            ("K".into(), AgeGroup::Preschool, CopayRate::Twenty)
        );
        let nov = compute(&r, ym("2026-11"), &[a, kid], false).unwrap();
        assert_eq!(nov.elderly, Some(Elderly::Genekinami1));
        assert_eq!(
            nov.under70,
            Some(Under70::U),
            "the child keeps an under-70 category"
        );
        assert_eq!(nov.members[0].1, AgeGroup::Elderly);
        // Born on the 1st: from the birthday month itself.
        assert_eq!(
            age_group(date!(1956 - 11 - 01), ym("2026-11")),
            AgeGroup::Elderly
        );
        assert_eq!(
            age_group(date!(1956 - 11 - 02), ym("2026-11")),
            AgeGroup::Under70
        );
        // Preschool ends on the 31 March after the sixth birthday.
        assert_eq!(
            age_group(date!(2020 - 04 - 02), ym("2027-03")),
            AgeGroup::Preschool
        );
        assert_eq!(
            age_group(date!(2020 - 04 - 02), ym("2027-04")),
            AgeGroup::Under70
        );
        assert_eq!(
            age_group(date!(2020 - 04 - 01), ym("2026-04")),
            AgeGroup::Under70
        );
    }

    #[test]
    fn bad_households_are_refused() {
        let r = rules();
        let m = ym("2026-11");
        let a = member("A", date!(1980 - 01 - 01), 0, 0);
        assert_eq!(
            compute(&r, m, std::slice::from_ref(&a), false)
                .unwrap_err()
                .field,
            "members"
        );
        let mut h = head(a.clone());
        h.insured = false;
        assert_eq!(compute(&r, m, &[h], false).unwrap_err().field, "members");
        assert_eq!(
            compute(&r, ym("2010-01"), &[head(a)], false)
                .unwrap_err()
                .field,
            "month"
        );
    }

    #[test]
    fn a_members_rate_is_read_from_the_recorded_rates() {
        let rates = "0001:3割;0002:2割(高齢受給者);0003:2割(未就学)";
        assert_eq!(copay_percent_in(rates, "0001"), Some(30));
        assert_eq!(copay_percent_in(rates, "0002"), Some(20));
        assert_eq!(copay_percent_in(rates, "0003"), Some(20));
        assert_eq!(copay_percent_in(rates, "0004"), None);
        assert_eq!(copay_percent_in("", "0001"), None);
    }

    proptest::proptest! {
        /// More income never gives a lower category, and the copay follows it.
        #[test]
        fn categories_are_monotone_in_income(base in 0i64..20_000_000, extra in 0i64..5_000_000, taxable in 0i64..10_000_000) {
            let r = rules();
            let m = ym("2026-11");
            let young = |t: i64| compute(&r, m, &[head(member("A", date!(1980 - 01 - 01), t, 0))], false).unwrap().under70.unwrap();
            proptest::prop_assert!(young(base + extra) <= young(base));
            let old = |t: i64| compute(&r, m, &[head(member("A", date!(1954 - 01 - 01), 9_000_000, t))], false).unwrap();
            let (lo, hi) = (old(taxable), old(taxable + extra));
            proptest::prop_assert!(hi.elderly.unwrap() <= lo.elderly.unwrap());
            proptest::prop_assert_eq!(hi.members[0].2 == CopayRate::Thirty, hi.elderly.unwrap().is_genekinami());
        }
    }
}
