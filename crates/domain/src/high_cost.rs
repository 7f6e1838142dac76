//! High-cost benefit (高額療養費): for a household and a service month, the
//! benefit its copays come to, step by step, so a clerk can show the
//! resident how it was reached. Pure: the caller gives the month, the
//! household's categories (from the burden categories), its earlier
//! high-cost months and its claims; the limits come from the dated table
//! `rules/high_cost.toml`.
//!
//! The order of the steps (健康保険法施行令 第41条 and its NHI equivalent,
//! 国民健康保険法施行令 第29条の2 and following; docs/high-cost.md):
//! 0. 特定疾病 claim units are held to their own limit;
//! 1. 70–74: each member's outpatient copays against the individual
//!    outpatient limit (not for 現役並み);
//!    1b. a member in the month of their 75th birthday: their own copays
//!    against half the 70–74 household limit;
//! 2. 70–74: what the 70–74 members still bear against the 70–74
//!    household limit;
//! 3. the whole household: the under-70 claim units of 21,000 or more and
//!    what the 70–74 members still bear, against the under-70 limit.
//!
//! The benefit is the sum of the steps; what providers already held back
//! under a limit certificate or the 特定疾病 card (paid in kind) is
//! subtracted to give the refund.

use std::collections::BTreeMap;

use serde::Deserialize;
use time::Date;

use crate::burden::{AgeGroup, Elderly, Under70, age_group, format_month, yen};
use crate::eligibility::{YearMonth, late_elderly_from};
use crate::month_periods::{self, Period, PeriodError};

/// The rule table shipped with this build.
const HIGH_COST_RULES: &str = include_str!("../rules/high_cost.toml");

/// The largest amount accepted on one claim (yen): far above any real
/// claim, low enough that sums of a month's claims cannot overflow.
pub const MAX_CLAIM_YEN: i64 = 10_000_000_000;

/// One limit: `base`, plus 1% of the total cost above `over`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub base: i64,
    #[serde(default)]
    pub over: Option<i64>,
    /// 多数回該当 (absent: the law has none for the category)
    #[serde(default)]
    pub frequent: Option<i64>,
    /// 70–74 一般・低所得: the individual outpatient limit
    #[serde(default)]
    pub outpatient: Option<i64>,
    /// 70–74 一般・低所得: the annual outpatient cap (外来年間合算, 年間上限)
    /// of the year (August to July) whose August falls in the period
    #[serde(default)]
    pub annual_outpatient: Option<i64>,
    /// the yearly cap (年間上限) of the 2026-08 revision on what the
    /// monthly benefits left, for the year (August to July) whose August
    /// falls in the period; how it is counted is the period's `yearly_cap`
    #[serde(default)]
    pub yearly: Option<i64>,
}

/// How the yearly cap (年間上限) is counted. The order's text was not read
/// here: the reading shipped is provisional and says so on every result
/// (docs/high-cost.md); the real reading is a change of this data.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct YearlyCapReading {
    /// not yet confirmed from the order (令和8年政令第240号) or its notice
    pub provisional: bool,
    /// `household`: the members of the household on the base date, as
    /// 高額介護合算 (70–74 members first with their cap, then the whole
    /// household with the under-70 cap); `person`: each person alone
    pub unit: YearlyCapUnit,
    /// under 70, a month's claim units below the 合算 floor count too
    pub below_floor_counts: bool,
}

/// How the annual outpatient benefit of a person insured by more than one
/// insurer in the year is shared: each insurer pays the benefit in the
/// proportion its own counted copays bear to the whole (按分), the base
/// date's insurer computing it from the other insurers' 自己負担額証明書.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AnnualSplit {
    /// not yet confirmed from the NHI notice (保国発1204第2号) itself
    pub provisional: bool,
    /// how this insurer's share is rounded to the yen
    pub rounding: SplitRounding,
    pub source: String,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SplitRounding {
    /// fractions of a yen cut
    Floor,
    /// 50 sen and over up, below down
    HalfUp,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum YearlyCapUnit {
    Household,
    Person,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Under70Limits {
    pub a: Limit,
    pub i: Limit,
    pub u: Limit,
    pub e: Limit,
    pub o: Limit,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ElderlyLimits {
    pub genekinami3: Limit,
    pub genekinami2: Limit,
    pub genekinami1: Limit,
    pub general: Limit,
    pub low_income2: Limit,
    pub low_income1: Limit,
}

/// One period of limits.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HighCostPeriod {
    pub from: String,
    #[serde(default)]
    pub until: Option<String>,
    pub source: String,
    pub aggregation_floor: i64,
    pub specified_disease: i64,
    pub specified_disease_dialysis_high_income: i64,
    /// how the yearly cap is counted, where the period's limits have one
    #[serde(default)]
    pub yearly_cap: Option<YearlyCapReading>,
    /// how the annual outpatient benefit is shared between insurers,
    /// where the period's limits have an annual outpatient cap
    #[serde(default)]
    pub annual_outpatient_split: Option<AnnualSplit>,
    pub under_70: Under70Limits,
    pub elderly: ElderlyLimits,
}

impl HighCostPeriod {
    pub fn under_70(&self, c: Under70) -> &Limit {
        let l = &self.under_70;
        match c {
            Under70::A => &l.a,
            Under70::I => &l.i,
            Under70::U => &l.u,
            Under70::E => &l.e,
            Under70::O => &l.o,
        }
    }

    pub fn elderly(&self, c: Elderly) -> &Limit {
        let l = &self.elderly;
        match c {
            Elderly::Genekinami3 => &l.genekinami3,
            Elderly::Genekinami2 => &l.genekinami2,
            Elderly::Genekinami1 => &l.genekinami1,
            Elderly::General => &l.general,
            Elderly::LowIncome2 => &l.low_income2,
            Elderly::LowIncome1 => &l.low_income1,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HighCostFile {
    period: Vec<HighCostPeriod>,
}

/// The dated table, checked when loaded.
#[derive(Clone, Debug)]
pub struct HighCostRules {
    periods: Vec<Period<HighCostPeriod>>,
}

/// Why a rule table or an input was refused: the field, the reason in
/// English (logs) and in Japanese (screens).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct HighCostError {
    pub field: String,
    pub reason: String,
    pub reason_ja: String,
}

fn err(
    field: impl Into<String>,
    reason: impl Into<String>,
    ja: impl Into<String>,
) -> HighCostError {
    HighCostError {
        field: field.into(),
        reason: reason.into(),
        reason_ja: ja.into(),
    }
}

impl From<PeriodError> for HighCostError {
    fn from(e: PeriodError) -> Self {
        err(e.field, e.reason, e.reason_ja)
    }
}

fn check_period(i: usize, p: &HighCostPeriod) -> Result<(), HighCostError> {
    let at = |f: &str| format!("period[{i}].{f}");
    let under = [
        ("a", &p.under_70.a),
        ("i", &p.under_70.i),
        ("u", &p.under_70.u),
        ("e", &p.under_70.e),
        ("o", &p.under_70.o),
    ];
    let elderly = [
        ("genekinami3", &p.elderly.genekinami3),
        ("genekinami2", &p.elderly.genekinami2),
        ("genekinami1", &p.elderly.genekinami1),
        ("general", &p.elderly.general),
        ("low_income2", &p.elderly.low_income2),
        ("low_income1", &p.elderly.low_income1),
    ];
    for (name, l) in under
        .iter()
        .map(|(n, l)| (format!("under_70.{n}"), *l))
        .chain(elderly.iter().map(|(n, l)| (format!("elderly.{n}"), *l)))
    {
        let amounts = [
            Some(l.base),
            l.over,
            l.frequent,
            l.outpatient,
            l.annual_outpatient,
            l.yearly,
        ];
        if amounts.iter().flatten().any(|a| *a <= 0) {
            return Err(err(
                at(&name),
                "amounts must be positive",
                "金額は正の数です",
            ));
        }
        if l.annual_outpatient.is_some()
            && l.outpatient.is_none_or(|o| Some(o) > l.annual_outpatient)
        {
            return Err(err(
                at(&name),
                "an annual outpatient cap needs an outpatient limit not above it",
                "外来年間合算の上限は、外来の限度額がある区分に、その額以上で定めます",
            ));
        }
        if l.frequent.is_some_and(|f| f > l.base) || l.outpatient.is_some_and(|o| o > l.base) {
            return Err(err(
                at(&name),
                "the frequent-case or outpatient limit is above the limit",
                "多数回または外来の限度額が限度額を超えています",
            ));
        }
    }
    // The 1% part belongs to ア・イ・ウ and 現役並み; the individual
    // outpatient limit to 一般 and 低所得 alone.
    let formula = |l: &Limit| l.over.is_some();
    let shape_ok = formula(&p.under_70.a)
        && formula(&p.under_70.i)
        && formula(&p.under_70.u)
        && !formula(&p.under_70.e)
        && !formula(&p.under_70.o)
        && under.iter().all(|(_, l)| l.outpatient.is_none())
        && formula(&p.elderly.genekinami3)
        && formula(&p.elderly.genekinami2)
        && formula(&p.elderly.genekinami1)
        && elderly[..3].iter().all(|(_, l)| l.outpatient.is_none())
        && elderly[3..]
            .iter()
            .all(|(_, l)| l.outpatient.is_some() && !formula(l));
    if !shape_ok {
        return Err(err(
            at("limits"),
            "the 1% part belongs to a, i, u and genekinami; the outpatient limit to general and low income",
            "1%加算と外来限度額の有無が区分に合いません",
        ));
    }
    // An annual outpatient cap needs the rule that shares it.
    let annual = elderly.iter().any(|(_, l)| l.annual_outpatient.is_some());
    if annual != p.annual_outpatient_split.is_some() {
        return Err(err(
            at("annual_outpatient_split"),
            "an annual outpatient cap needs its split between insurers (annual_outpatient_split), and only then",
            "外来年間合算の上限には、保険者間の按分方法（annual_outpatient_split）を定めます",
        ));
    }
    // The yearly cap: for every category or none, with its reading, and
    // never below the monthly limit.
    let yearly: Vec<Option<i64>> = under
        .iter()
        .map(|(_, l)| l.yearly)
        .chain(elderly.iter().map(|(_, l)| l.yearly))
        .collect();
    let all = yearly.iter().all(Option::is_some);
    if !(all || yearly.iter().all(Option::is_none)) || all != p.yearly_cap.is_some() {
        return Err(err(
            at("yearly_cap"),
            "a yearly cap needs an amount for every category and its reading (yearly_cap)",
            "年間上限は、すべての区分の金額と計算方法（yearly_cap）をそろえて定めます",
        ));
    }
    if under
        .iter()
        .chain(elderly.iter())
        .any(|(_, l)| l.yearly.is_some_and(|y| y < l.base))
    {
        return Err(err(
            at("yearly_cap"),
            "a yearly cap is below the monthly limit",
            "年間上限が月の限度額より低くなっています",
        ));
    }
    let bases: Vec<i64> = under.iter().map(|(_, l)| l.base).collect();
    if bases.windows(2).any(|w| w[0] <= w[1]) {
        return Err(err(
            at("under_70"),
            "limits not ordered from a down to o",
            "70歳未満の限度額がア〜オの順になっていません",
        ));
    }
    let ebases: Vec<i64> = elderly.iter().map(|(_, l)| l.base).collect();
    if ebases.windows(2).any(|w| w[0] < w[1]) {
        return Err(err(
            at("elderly"),
            "limits not ordered from genekinami3 down to low_income1",
            "70〜74歳の限度額が区分の順になっていません",
        ));
    }
    if p.aggregation_floor <= 0
        || p.specified_disease <= 0
        || p.specified_disease_dialysis_high_income < p.specified_disease
    {
        return Err(err(
            at("aggregation_floor"),
            "floor and 特定疾病 limits must be positive, the dialysis one not below the other",
            "合算の下限または特定疾病の限度額が正しくありません",
        ));
    }
    Ok(())
}

impl HighCostRules {
    /// The table shipped with this build; a broken table fails every test.
    pub fn shipped() -> Result<HighCostRules, HighCostError> {
        HighCostRules::parse(HIGH_COST_RULES)
    }

    pub fn parse(text: &str) -> Result<HighCostRules, HighCostError> {
        let file: HighCostFile = toml::from_str(text).map_err(|e| {
            err(
                "rules/high_cost.toml",
                e.to_string(),
                "高額療養費の規則表が読めません",
            )
        })?;
        let mut periods = Vec::new();
        for (i, p) in file.period.into_iter().enumerate() {
            let (from, until) = month_periods::bounds(i, &p.from, p.until.as_deref())?;
            check_period(i, &p)?;
            periods.push((from, until, p));
        }
        month_periods::link(&mut periods)?;
        Ok(HighCostRules { periods })
    }

    /// The limits for a service month, or `None` outside the table.
    pub fn for_month(&self, m: YearMonth) -> Option<&HighCostPeriod> {
        month_periods::find(&self.periods, m)
    }
}

/// 1% of an amount in yen, to the yen: under 50 sen dropped, 50 sen and
/// over counted as one yen (健康保険法施行令 第42条 and the NHI equivalent:
/// 「五十銭未満の端数があるときはこれを切り捨て、五十銭以上一円未満の端数が
/// あるときはこれを一円に切り上げる」).
pub fn one_percent_rounded(yen: i64) -> i64 {
    (yen.max(0) + 50) / 100
}

/// The copay (一部負担金) of a claim: its total cost at the rate charged,
/// to ten yen — under 5 yen dropped, 5 yen or more counted as ten
/// (国民健康保険法 第42条の2: 「五円未満の端数があるときは、これを切り捨て、
/// 五円以上十円未満の端数があるときは、これを十円に切り上げる」).
pub fn copay_of(total_cost: i64, percent: u8) -> i64 {
    let exact = i128::from(total_cost.max(0)) * i128::from(percent.min(100));
    // exact is in hundredths of a yen; ten yen is 1,000 of them.
    let tens = (exact + 500) / 1000;
    (tens * 10) as i64
}

/// Whether a claim's レセプト特記事項 (two-digit codes run together) mark it
/// as 特定疾病, and whether with the 20,000 yen limit of 人工透析 for 上位所得
/// (`02` 長: 10,000 yen; `16` 長2: 20,000 yen; docs/formats/claims.md —
/// the two codes are PROVISIONAL there).
pub fn specified_disease_of(notes: &str) -> (bool, bool) {
    let codes: Vec<&str> = notes
        .as_bytes()
        .chunks(2)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    let high = codes.contains(&"16");
    (high || codes.contains(&"02"), high)
}

/// Why an individual limit is halved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Half {
    Whole,
    /// the month of the 75th birthday
    TurnsSeventyFive,
    /// the month of joining as a dependant of an employee moved to 後期
    Dependant,
}

impl Half {
    fn of(turns_75: bool, dependant: bool) -> Half {
        match (turns_75, dependant) {
            (true, _) => Half::TurnsSeventyFive,
            (false, true) => Half::Dependant,
            (false, false) => Half::Whole,
        }
    }
}

/// The amount of a limit for a total cost: the 多数回 figure in a frequent
/// month where the category has one, else `base` plus the 1% part. `half`
/// halves base, threshold and 多数回 figure (the month of the 75th
/// birthday, or of joining as a 後期 employee's dependant; every shipped
/// figure is even, so nothing is lost).
fn limit_amount(l: &Limit, total_cost: i64, frequent: bool, half: Half) -> (i64, String) {
    let h = |x: i64| if half == Half::Whole { x } else { x / 2 };
    let halved = match half {
        Half::Whole => "",
        Half::TurnsSeventyFive => "（75歳到達月のため2分の1）",
        Half::Dependant => "（後期高齢者医療へ移った方の被扶養者だった方の加入月のため2分の1）",
    };
    if frequent && let Some(f) = l.frequent {
        return (h(f), format!("{}円（多数回該当）{halved}", yen(h(f))));
    }
    match l.over {
        Some(over) if total_cost > h(over) => {
            let add = one_percent_rounded(total_cost - h(over));
            (
                h(l.base) + add,
                format!(
                    "{} + ({} − {}) × 1% = {}円{halved}",
                    yen(h(l.base)),
                    yen(total_cost),
                    yen(h(over)),
                    yen(h(l.base) + add)
                ),
            )
        }
        Some(over) => (
            h(l.base),
            format!(
                "{}円（医療費 {} 円は {} 円以下）{halved}",
                yen(h(l.base)),
                yen(total_cost),
                yen(h(over))
            ),
        ),
        None => (h(l.base), format!("{}円{halved}", yen(h(l.base)))),
    }
}

/// Where a claim's care was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    Inpatient,
    Outpatient,
    /// 調剤: joined with the prescribing provider's outpatient claim
    Pharmacy,
}

impl Setting {
    pub fn parse(s: &str) -> Option<Setting> {
        match s {
            "inpatient" => Some(Setting::Inpatient),
            "outpatient" => Some(Setting::Outpatient),
            "pharmacy" => Some(Setting::Pharmacy),
            _ => None,
        }
    }
}

/// One claim (レセプト) of the month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// how the caller names the claim (its number, or its place in a file)
    pub reference: String,
    pub member: String,
    pub provider: String,
    pub setting: Setting,
    pub dental: bool,
    /// pharmacy only: the prescribing provider
    pub prescriber: Option<String>,
    /// 療養に要した費用 (yen)
    pub total_cost: i64,
    /// 一部負担金 at the member's copay rate, before any limit (yen)
    pub copay: i64,
    /// what the provider charged when it applied a limit (限度額適用認定証,
    /// the 資格確認書's 区分, online confirmation) or the 特定疾病 card;
    /// `None`: the copay was charged (a 特定疾病 claim: its limit)
    pub charged: Option<i64>,
    pub specified_disease: bool,
    /// 特定疾病 by 人工腎臓 (dialysis)
    pub dialysis: bool,
}

/// An insured member of the household in the month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub birth_date: Date,
    /// The day the member joined NHI as the dependant (被扶養者) of an
    /// employee-insured who moved to 後期高齢者医療 at 75 (社保離脱). In
    /// that month, when the day is not the 1st, the member's individual
    /// limits are half and, under 70, the 合算 floor is half (国民健康保険法
    /// 施行令 第29条の2・第29条の3 as amended by 平成20年政令第357号; the
    /// paragraphs are not yet read here: docs/high-cost.md).
    pub joined_as_dependant_on: Option<Date>,
}

/// The household's month, as the caller knows it.
#[derive(Clone, Debug)]
pub struct Household<'a> {
    pub month: YearMonth,
    pub under_70: Option<Under70>,
    pub elderly: Option<Elderly>,
    /// months with a household high-cost benefit before this one, here or
    /// handed over from another municipality of the prefecture
    pub prior_high_cost_months: &'a [YearMonth],
    pub members: &'a [Member],
    pub claims: &'a [Claim],
}

/// A claim unit (レセプト単位): person × provider × month, inpatient and
/// outpatient apart, dental apart, pharmacy with its prescriber.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub member: String,
    pub provider: String,
    pub inpatient: bool,
    pub dental: bool,
    pub specified_disease: bool,
    /// a 特定疾病 unit for 人工腎臓
    pub dialysis: bool,
    pub total_cost: i64,
    pub copay: i64,
    pub charged: i64,
    /// some claim of the unit said what was charged
    pub charged_stated: bool,
    /// what the unit bears after its 特定疾病 limit (= copay otherwise)
    pub bears: i64,
    /// added up in step 3 (under 70: 21,000 or more; 70–74: always)
    pub aggregated: bool,
    /// the claims in the unit
    pub claims: Vec<String>,
}

impl Unit {
    pub fn label(&self) -> String {
        format!(
            "{} {} {}{}{}",
            self.member,
            self.provider,
            if self.dental { "歯科" } else { "" },
            if self.inpatient {
                "入院"
            } else {
                "入院外"
            },
            if self.specified_disease {
                "（特定疾病）"
            } else {
                ""
            }
        )
    }
}

/// A member's share of the benefit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberBenefit {
    pub id: String,
    /// preschool | under_70 | 70_74
    pub age_group: &'static str,
    /// the month of the 75th birthday (half individual limits)
    pub turns_75: bool,
    /// the month of joining as the dependant of an employee who moved to
    /// 後期高齢者医療 (half individual limits, half 合算 floor under 70)
    pub dependant_half: bool,
    pub benefit: i64,
    /// 70–74: the member's outpatient copays (after 特定疾病 limits); 0
    /// under 70
    pub outpatient: i64,
    /// 70–74: the outpatient copay the member still bears after the
    /// month's benefits, which the annual outpatient cap (外来年間合算)
    /// adds up; 0 under 70
    pub outpatient_left: i64,
    /// the copays the member bears after 特定疾病 limits, every unit
    pub bears: i64,
    /// … of the units added up in the household's steps (under 70: at
    /// least the 合算 floor; 70–74: all)
    pub aggregated: i64,
    /// the member's share of the benefit of steps ①–③ (the limits), i.e.
    /// without the 特定疾病 step: `aggregated − limit_benefit` is what the
    /// month left the member to bear of what was added up
    pub limit_benefit: i64,
}

/// What the household's month comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HighCost {
    pub month: YearMonth,
    /// the 多数回 limits applied (three or more high-cost months in the
    /// eleven before)
    pub frequent_case: bool,
    /// the month counts towards later 多数回 (a household benefit from step
    /// 1b, 2 or 3; not the outpatient step alone, not 特定疾病 alone)
    pub counts_as_high_cost_month: bool,
    pub benefit: i64,
    /// held back by providers (limit certificates, 特定疾病)
    pub paid_in_kind: i64,
    /// benefit − paid in kind, never below 0
    pub refund: i64,
    /// paid in kind beyond the benefit (to be checked with the providers)
    pub in_kind_excess: i64,
    pub members: Vec<MemberBenefit>,
    pub units: Vec<Unit>,
    pub steps: Vec<String>,
    /// the rule table's source for the month
    pub source: String,
}

fn group_name(g: AgeGroup) -> &'static str {
    match g {
        AgeGroup::Preschool => "preschool",
        AgeGroup::Under70 => "under_70",
        AgeGroup::Elderly => "70_74",
    }
}

/// Shares a benefit by what each bore in the step: each its floor, the
/// yen left over to the largest (first by id on a tie) so the shares add
/// up to the benefit. The household's benefit is paid to the householder;
/// the shares are for the records and statistics per person.
pub(crate) fn apportion(total: i64, bore: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    let sum: i64 = bore.values().sum();
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    if total <= 0 || sum <= 0 {
        return out;
    }
    let mut given = 0;
    for (id, b) in bore {
        let s = (i128::from(total) * i128::from(*b) / i128::from(sum)) as i64;
        given += s;
        out.insert(id.clone(), s);
    }
    if let Some((id, _)) = bore.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
        *out.entry(id.clone()).or_default() += total - given;
    }
    out
}

/// The part of a benefit `share`, paid on a member's `whole` borne amount,
/// that falls on its outpatient `part`: in proportion, rounded to the
/// nearest yen (half up). The annual outpatient cap takes the member's
/// outpatient copay less the month's benefits on it (「当該者に係る支給額を
/// 控除した額」, 保保発1204第2号 第1(4)); the notice's rule for a household
/// benefit has not been read here, so the proportion is provisional
/// (docs/high-cost.md).
pub fn outpatient_part(share: i64, part: i64, whole: i64) -> i64 {
    if share <= 0 || part <= 0 || whole <= 0 {
        return 0;
    }
    let (s, p, w) = (i128::from(share), i128::from(part), i128::from(whole));
    let v = (2 * s * p + w) / (2 * w);
    i64::try_from(v).unwrap_or(0).min(part)
}

fn months_list(ms: &[YearMonth]) -> String {
    ms.iter()
        .map(|m| format_month(*m))
        .collect::<Vec<_>>()
        .join("、")
}

/// The household's high-cost benefit for the month.
pub fn compute(rules: &HighCostRules, h: &Household<'_>) -> Result<HighCost, HighCostError> {
    let month = h.month;
    let r = rules.for_month(month).ok_or_else(|| {
        err(
            "month",
            format!("no high-cost limits for {}", format_month(month)),
            format!("{}診療分の限度額表がありません", format_month(month)),
        )
    })?;
    let (Some(first), Some(last)) = (month.first_day(), month.last_day()) else {
        return Err(err("month", "out of range", "年月が範囲外です"));
    };

    // Members: age group in the month, the 75th birthday month.
    // (age group, turns 75 this month, joined this month as a dependant of
    // an employee moved to 後期)
    let mut members: BTreeMap<&str, (AgeGroup, bool, bool)> = BTreeMap::new();
    for m in h.members {
        let late = late_elderly_from(m.birth_date);
        if m.birth_date > last {
            return Err(err(
                format!("members[{}].birth_date", m.id),
                "born after the month",
                "診療月より後に生まれています",
            ));
        }
        if late.is_some_and(|d| d <= first) {
            return Err(err(
                format!("members[{}].birth_date", m.id),
                "75 or over for the whole month: insured by 後期高齢者医療, not NHI",
                "その月はすでに75歳で、後期高齢者医療の被保険者です",
            ));
        }
        let turns_75 = late.is_some_and(|d| first < d && d <= last);
        // Not when the employee's 75th birthday (the day the dependant
        // joins) is the 1st: the whole month is then 後期 for the employee.
        let dependant = m
            .joined_as_dependant_on
            .is_some_and(|d| first < d && d <= last);
        if members
            .insert(
                m.id.as_str(),
                (age_group(m.birth_date, month), turns_75, dependant),
            )
            .is_some()
        {
            return Err(err(
                format!("members[{}]", m.id),
                "the same id twice",
                "同じ番号の被保険者が2人います",
            ));
        }
    }

    // Claims into units.
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct Key<'a> {
        member: &'a str,
        provider: &'a str,
        inpatient: bool,
        dental: bool,
        specified: bool,
    }
    let mut units: BTreeMap<Key<'_>, Unit> = BTreeMap::new();
    for (i, c) in h.claims.iter().enumerate() {
        let at = |f: &str| format!("claims[{i}].{f}");
        if !members.contains_key(c.member.as_str()) {
            return Err(err(
                at("member"),
                format!("no member {}", c.member),
                format!("被保険者 {} がいません", c.member),
            ));
        }
        for (f, v) in [("total_cost", c.total_cost), ("copay", c.copay)] {
            if !(0..=MAX_CLAIM_YEN).contains(&v) {
                return Err(err(at(f), "out of range", "金額が範囲外です"));
            }
        }
        if c.copay > c.total_cost {
            return Err(err(
                at("copay"),
                "copay above the total cost",
                "一部負担金が医療費を超えています",
            ));
        }
        if let Some(ch) = c.charged
            && !(0..=c.copay).contains(&ch)
        {
            return Err(err(
                at("charged"),
                "charged must be between 0 and the copay",
                "窓口負担額は0円から一部負担金までです",
            ));
        }
        if c.dialysis && !c.specified_disease {
            return Err(err(
                at("dialysis"),
                "dialysis is a 特定疾病: set specified_disease",
                "人工透析は特定疾病として入力してください",
            ));
        }
        let provider = match (c.setting, &c.prescriber) {
            // A 特定疾病 pharmacy claim keeps its own limit at the pharmacy.
            (Setting::Pharmacy, _) if c.specified_disease => c.provider.as_str(),
            (Setting::Pharmacy, Some(p)) if !p.is_empty() => p.as_str(),
            (Setting::Pharmacy, _) => {
                return Err(err(
                    at("prescriber"),
                    "a pharmacy claim needs its prescribing provider",
                    "調剤レセプトには処方元の医療機関が必要です",
                ));
            }
            _ => c.provider.as_str(),
        };
        if provider.is_empty() {
            return Err(err(at("provider"), "empty", "医療機関が空です"));
        }
        let key = Key {
            member: c.member.as_str(),
            provider,
            inpatient: c.setting == Setting::Inpatient,
            dental: c.dental,
            specified: c.specified_disease,
        };
        let u = units.entry(key).or_insert_with(|| Unit {
            member: c.member.clone(),
            provider: provider.to_string(),
            inpatient: c.setting == Setting::Inpatient,
            dental: c.dental,
            specified_disease: c.specified_disease,
            dialysis: false,
            total_cost: 0,
            copay: 0,
            charged: 0,
            charged_stated: false,
            bears: 0,
            aggregated: false,
            claims: vec![],
        });
        u.total_cost += c.total_cost;
        u.copay += c.copay;
        u.charged += c.charged.unwrap_or(c.copay);
        u.charged_stated |= c.charged.is_some();
        u.dialysis |= c.dialysis;
        u.claims.push(c.reference.clone());
    }

    let mut steps = Vec::new();
    let mut benefit_of: BTreeMap<String, i64> = BTreeMap::new();
    // the 特定疾病 step's part of each member's benefit
    let mut specified_of: BTreeMap<String, i64> = BTreeMap::new();

    // Categories the claims need.
    let has_under = units
        .values()
        .any(|u| members[u.member.as_str()].0 != AgeGroup::Elderly);
    let has_elderly = units
        .values()
        .any(|u| members[u.member.as_str()].0 == AgeGroup::Elderly);
    if has_under && h.under_70.is_none() {
        return Err(err(
            "category_under_70",
            "a member under 70 has claims: the under-70 category is needed",
            "70歳未満の方のレセプトがあるため、70歳未満の適用区分が必要です",
        ));
    }
    if has_elderly && h.elderly.is_none() {
        return Err(err(
            "category_70_74",
            "a member aged 70–74 has claims: the 70–74 category is needed",
            "70〜74歳の方のレセプトがあるため、70〜74歳の適用区分が必要です",
        ));
    }

    // 多数回該当: three or more high-cost months in the eleven before.
    let window_start = (0..11).fold(month, |m, _| m.prev());
    let mut prior: Vec<YearMonth> = h
        .prior_high_cost_months
        .iter()
        .copied()
        .filter(|m| window_start <= *m && *m < month)
        .collect();
    prior.sort();
    prior.dedup();
    let frequent = prior.len() >= 3;
    let mut head = format!("{}診療分。", format_month(month));
    if let Some(c) = h.under_70 {
        head += &format!("70歳未満の適用区分 {}。", c.label());
    }
    if let Some(c) = h.elderly {
        head += &format!("70〜74歳の適用区分 {}。", c.label());
    }
    head += &if prior.is_empty() {
        "過去12か月に高額療養費の該当月はありません。".to_string()
    } else if frequent {
        format!(
            "過去12か月の該当月 {} 回（{}）：4回目以降のため多数回該当の限度額を使います。",
            prior.len(),
            months_list(&prior)
        )
    } else {
        format!(
            "過去12か月の該当月 {} 回（{}）：多数回該当ではありません。",
            prior.len(),
            months_list(&prior)
        )
    };
    steps.push(head);
    for (id, (_, t75, dependant)) in &members {
        if *t75 {
            steps.push(format!(
                "{id} はこの月に75歳の誕生日を迎えるため、個人単位の限度額は2分の1です（世帯の限度額はそのまま）。"
            ));
        } else if *dependant {
            steps.push(format!(
                "{id} は後期高齢者医療へ移った被用者保険の被保険者の被扶養者だった方で、この月に国保へ加入したため、個人単位の限度額と合算の基準額は2分の1です（世帯の限度額はそのまま）。"
            ));
        }
    }

    // Step 0: 特定疾病 units held to their limit.
    for u in units.values_mut() {
        u.bears = u.copay;
        if !u.specified_disease {
            continue;
        }
        let (group, turns_75, _) = members[u.member.as_str()];
        let under = group != AgeGroup::Elderly;
        let high_income = matches!(h.under_70, Some(Under70::A | Under70::I));
        let whole = if under && high_income && u.dialysis {
            r.specified_disease_dialysis_high_income
        } else {
            r.specified_disease
        };
        // The month of the 75th birthday halves the 特定疾病 limit too
        // (10,000 → 5,000 at each insurer; 平成20年政令第357号, from
        // 2009-01): 坂戸市・福井県後期高齢者医療広域連合 publish it. The
        // dependant's halving is not extended to it: no source says so.
        let limit = if turns_75 { whole / 2 } else { whole };
        // The card holds the charge to the limit unless the claim says
        // otherwise.
        if !u.charged_stated {
            u.charged = u.copay.min(limit);
        }
        let b = (u.copay - limit).max(0);
        u.bears = u.copay.min(limit);
        steps.push(format!(
            "⓪ 特定疾病 {}：一部負担金 {}円、限度額 {}円{} → 支給 {}円（多数回の回数には数えません）",
            u.label(),
            yen(u.copay),
            yen(limit),
            if turns_75 { "（75歳到達月のため2分の1）" } else { "" },
            yen(b)
        ));
        add_benefit(&u.member, b, &mut benefit_of);
        add_benefit(&u.member, b, &mut specified_of);
    }
    for u in units.values() {
        steps.push(format!(
            "レセプト単位 {}：医療費 {}円、一部負担金 {}円{}",
            u.label(),
            yen(u.total_cost),
            yen(u.copay),
            if u.charged < u.copay {
                format!("（窓口では {}円）", yen(u.charged))
            } else {
                String::new()
            }
        ));
    }

    // What each 70–74 member bears, outpatient and inpatient.
    let elderly_ids: Vec<&str> = members
        .iter()
        .filter(|(_, (g, _, _))| *g == AgeGroup::Elderly)
        .map(|(id, _)| *id)
        .collect();
    let mut remaining: BTreeMap<String, i64> = BTreeMap::new();
    // what each 70–74 member still bears of the outpatient copay
    let mut outpatient_left: BTreeMap<String, i64> = BTreeMap::new();
    let mut outpatient_of: BTreeMap<String, i64> = BTreeMap::new();
    let mut elderly_cost = 0;
    let mut counts = false;
    if let (Some(cat), true) = (h.elderly, has_elderly) {
        let l = r.elderly(cat);
        for id in &elderly_ids {
            let mine = || units.values().filter(|u| u.member == *id);
            let outpatient: i64 = mine().filter(|u| !u.inpatient).map(|u| u.bears).sum();
            let inpatient: i64 = mine().filter(|u| u.inpatient).map(|u| u.bears).sum();
            elderly_cost += mine().map(|u| u.total_cost).sum::<i64>();
            if outpatient + inpatient == 0 {
                continue;
            }
            let (_, turns_75, dependant) = members[id];
            let half = Half::of(turns_75, dependant);
            let halved = half != Half::Whole;
            // Step 1: the individual outpatient limit.
            let mut out_left = outpatient;
            if let (Some(o), true) = (l.outpatient, outpatient > 0) {
                let lim = if halved { o / 2 } else { o };
                let b = (outpatient - lim).max(0);
                out_left -= b;
                steps.push(format!(
                    "① 70〜74歳の外来（個人単位）{id}：外来の負担 {}円、限度額 {}円{} → 支給 {}円",
                    yen(outpatient),
                    yen(lim),
                    if halved { "（2分の1）" } else { "" },
                    yen(b)
                ));
                add_benefit(id, b, &mut benefit_of);
            }
            let mut left = out_left + inpatient;
            // Step 1b: the month of the 75th birthday (or of joining as a
            // dependant of an employee moved to 後期), the member's own
            // limit at half.
            if halved {
                let own_cost: i64 = mine().map(|u| u.total_cost).sum();
                let (lim, how) = limit_amount(l, own_cost, frequent, half);
                let b = (left - lim).max(0);
                steps.push(format!(
                    "①' {}の個人単位 {id}：負担 {}円、限度額 {how} → 支給 {}円",
                    if turns_75 {
                        "75歳到達月"
                    } else {
                        "加入月"
                    },
                    yen(left),
                    yen(b)
                ));
                if b > 0 {
                    counts = true;
                }
                out_left -= outpatient_part(b, out_left, left);
                left -= b;
                add_benefit(id, b, &mut benefit_of);
            }
            remaining.insert(id.to_string(), left);
            outpatient_of.insert(id.to_string(), outpatient);
            outpatient_left.insert(id.to_string(), out_left);
        }
        // Step 2: the 70–74 household.
        let bore: i64 = remaining.values().sum();
        if bore > 0 {
            let (lim, how) = limit_amount(l, elderly_cost, frequent, Half::Whole);
            let b = (bore - lim).max(0);
            steps.push(format!(
                "② 70〜74歳の世帯：負担の合計 {}円（外来の支給後と入院）、限度額 {how} → 支給 {}円",
                yen(bore),
                yen(b)
            ));
            if b > 0 {
                counts = true;
                for (id, s) in apportion(b, &remaining) {
                    add_benefit(&id, s, &mut benefit_of);
                    let bore = remaining.entry(id.clone()).or_default();
                    if let Some(o) = outpatient_left.get_mut(&id) {
                        *o -= outpatient_part(s, *o, *bore);
                    }
                    *bore -= s;
                }
            }
        }
    }

    // Step 3: the whole household with the under-70 units of the floor or
    // more.
    if let (Some(cat), true) = (h.under_70, has_under) {
        let floor = r.aggregation_floor;
        // a dependant who joined from a 後期 employee this month: half floor
        let floor_of = |member: &str| {
            if members[member].2 { floor / 2 } else { floor }
        };
        let mut bore: BTreeMap<String, i64> = remaining.clone();
        let mut cost = elderly_cost;
        let mut own_cost: BTreeMap<String, i64> = BTreeMap::new();
        let mut any = false;
        for u in units.values_mut() {
            if members[u.member.as_str()].0 == AgeGroup::Elderly {
                u.aggregated = true;
                continue;
            }
            if u.bears >= floor_of(&u.member) {
                u.aggregated = true;
                any = true;
                *bore.entry(u.member.clone()).or_default() += u.bears;
                *own_cost.entry(u.member.clone()).or_default() += u.total_cost;
                cost += u.total_cost;
            }
        }
        let under_units: Vec<String> = units
            .values()
            .filter(|u| members[u.member.as_str()].0 != AgeGroup::Elderly)
            .map(|u| {
                format!(
                    "{} {}円{}",
                    u.label(),
                    yen(u.bears),
                    if u.aggregated {
                        "（合算）".to_string()
                    } else {
                        format!("（{}円未満のため合算しません）", yen(floor_of(&u.member)))
                    }
                )
            })
            .collect();
        steps.push(format!(
            "70歳未満のレセプト単位：{}",
            under_units.join("、")
        ));
        // Step 3a: such a dependant's own units first, at half the limit.
        for (id, own) in &own_cost {
            if !members[id.as_str()].2 {
                continue;
            }
            let Some(mine) = bore.get_mut(id) else {
                continue;
            };
            let (lim, how) = limit_amount(r.under_70(cat), *own, frequent, Half::Dependant);
            let b = (*mine - lim).max(0);
            steps.push(format!(
                "③' 加入月の個人単位 {id}：合算対象の負担 {}円、限度額 {how} → 支給 {}円",
                yen(*mine),
                yen(b)
            ));
            if b > 0 {
                counts = true;
                *mine -= b;
                add_benefit(id, b, &mut benefit_of);
            }
        }
        if any {
            let total: i64 = bore.values().sum();
            let (lim, how) = limit_amount(r.under_70(cat), cost, frequent, Half::Whole);
            let b = (total - lim).max(0);
            let from_elderly: i64 = remaining.values().sum();
            steps.push(format!(
                "③ 世帯合算：70歳未満の合算対象 {}円{} = {}円、限度額 {how} → 支給 {}円",
                yen(total - from_elderly),
                if from_elderly > 0 {
                    format!(" + 70〜74歳の残り {}円", yen(from_elderly))
                } else {
                    String::new()
                },
                yen(total),
                yen(b)
            ));
            if b > 0 {
                counts = true;
                for (id, s) in apportion(b, &bore) {
                    add_benefit(&id, s, &mut benefit_of);
                    if let (Some(o), Some(w)) = (outpatient_left.get_mut(&id), bore.get(&id)) {
                        *o -= outpatient_part(s, *o, *w);
                    }
                }
            }
        } else {
            steps.push(format!(
                "③ 世帯合算：70歳未満の方に {}円以上のレセプト単位がないため、合算しません{}",
                yen(floor),
                if members.values().any(|m| m.0 != AgeGroup::Elderly && m.2) {
                    format!("（加入月の方は {}円以上）", yen(floor / 2))
                } else {
                    String::new()
                }
            ));
        }
    } else {
        for u in units.values_mut() {
            u.aggregated = members[u.member.as_str()].0 == AgeGroup::Elderly;
        }
    }

    let benefit: i64 = benefit_of.values().sum();
    let paid_in_kind: i64 = units.values().map(|u| u.copay - u.charged).sum();
    let refund = (benefit - paid_in_kind).max(0);
    let in_kind_excess = (paid_in_kind - benefit).max(0);
    steps.push(format!(
        "支給額 {}円{}",
        yen(benefit),
        if paid_in_kind > 0 {
            format!(
                "、うち医療機関での限度額適用により現物給付済み {}円、償還額 {}円",
                yen(paid_in_kind),
                yen(refund)
            )
        } else {
            String::new()
        }
    ));
    if in_kind_excess > 0 {
        steps.push(format!(
            "現物給付済みの額が計算した支給額を {}円 上回ります：医療機関の窓口負担を確認してください",
            yen(in_kind_excess)
        ));
    }
    steps.push(if counts {
        "この月は世帯の高額療養費の該当月として、以後の多数回の回数に数えます。".to_string()
    } else if benefit > 0 {
        "この月の支給は外来（個人単位）または特定疾病だけのため、多数回の回数には数えません。"
            .to_string()
    } else {
        "この月の支給はありません。".to_string()
    });

    Ok(HighCost {
        month,
        frequent_case: frequent,
        counts_as_high_cost_month: counts,
        benefit,
        paid_in_kind,
        refund,
        in_kind_excess,
        members: members
            .iter()
            .map(|(id, (g, t75, dependant))| MemberBenefit {
                id: id.to_string(),
                age_group: group_name(*g),
                turns_75: *t75,
                dependant_half: *dependant,
                benefit: benefit_of.get(*id).copied().unwrap_or(0),
                outpatient: outpatient_of.get(*id).copied().unwrap_or(0),
                outpatient_left: outpatient_left.get(*id).copied().unwrap_or(0),
                bears: units
                    .values()
                    .filter(|u| u.member == *id)
                    .map(|u| u.bears)
                    .sum(),
                aggregated: units
                    .values()
                    .filter(|u| u.member == *id && u.aggregated)
                    .map(|u| u.bears)
                    .sum(),
                limit_benefit: benefit_of.get(*id).copied().unwrap_or(0)
                    - specified_of.get(*id).copied().unwrap_or(0),
            })
            .collect(),
        units: units.into_values().collect(),
        steps,
        source: r.source.clone(),
    })
}

fn add_benefit(id: &str, b: i64, to: &mut BTreeMap<String, i64>) {
    if b > 0 {
        *to.entry(id.to_string()).or_default() += b;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn ym(y: i32, m: u8) -> YearMonth {
        YearMonth {
            year: y,
            month: time::Month::try_from(m).unwrap(),
        }
    }

    fn member(id: &str, birth: Date) -> Member {
        Member {
            id: id.into(),
            birth_date: birth,
            joined_as_dependant_on: None,
        }
    }

    /// A member who joined NHI on `joined` as the dependant of an employee
    /// who moved to 後期高齢者医療 that day.
    fn dependant(id: &str, birth: Date, joined: Date) -> Member {
        Member {
            joined_as_dependant_on: Some(joined),
            ..member(id, birth)
        }
    }

    fn claim(member: &str, provider: &str, setting: Setting, total: i64, copay: i64) -> Claim {
        Claim {
            reference: format!("{member}-{provider}-{total}"),
            member: member.into(),
            provider: provider.into(),
            setting,
            dental: false,
            prescriber: None,
            total_cost: total,
            copay,
            charged: None,
            specified_disease: false,
            dialysis: false,
        }
    }

    fn rules() -> HighCostRules {
        HighCostRules::shipped().unwrap()
    }

    const ADULT: Date = date!(1980 - 05 - 10);

    fn run(
        month: YearMonth,
        under: Option<Under70>,
        elderly: Option<Elderly>,
        prior: &[YearMonth],
        members: &[Member],
        claims: &[Claim],
    ) -> HighCost {
        compute(
            &rules(),
            &Household {
                month,
                under_70: under,
                elderly,
                prior_high_cost_months: prior,
                members,
                claims,
            },
        )
        .unwrap()
    }

    fn benefit_of(r: &HighCost, id: &str) -> i64 {
        r.members.iter().find(|m| m.id == id).unwrap().benefit
    }

    #[test]
    fn copay_is_rounded_to_ten_yen_half_up_at_five() {
        // 1,234 points = 12,340 yen at 3割 = 3,702 → 3,700; 1,235 points →
        // 3,705 → 3,710; 2割 of 12,345 = 2,469 → 2,470.
        assert_eq!(copay_of(12_340, 30), 3_700);
        assert_eq!(copay_of(12_350, 30), 3_710);
        assert_eq!(copay_of(12_345, 20), 2_470);
        assert_eq!(copay_of(12_320, 30), 3_700);
        assert_eq!(copay_of(0, 30), 0);
        assert_eq!(copay_of(1_000_000, 30), 300_000);
        assert_eq!(copay_of(1_000_000, 0), 0);
    }

    #[test]
    fn specified_disease_marks_are_read_from_the_notes() {
        assert_eq!(specified_disease_of(""), (false, false));
        assert_eq!(specified_disease_of("02"), (true, false));
        assert_eq!(specified_disease_of("0116"), (true, true));
        // a 0 and a 2 of two codes run together are not 02
        assert_eq!(specified_disease_of("1020"), (false, false));
    }

    #[test]
    fn shipped_table_loads_and_ends_before_the_2027_revision() {
        let r = rules();
        assert_eq!(r.for_month(ym(2018, 7)), None);
        assert_eq!(r.for_month(ym(2026, 7)).unwrap().under_70.u.base, 80100);
        assert_eq!(r.for_month(ym(2026, 8)).unwrap().under_70.u.base, 85800);
        assert_eq!(r.for_month(ym(2027, 7)).unwrap().under_70.e.base, 61500);
        assert_eq!(r.for_month(ym(2027, 8)), None);
    }

    #[test]
    fn broken_tables_are_refused() {
        let good = HIGH_COST_RULES;
        let gap = good.replace("until = \"2026-07\"", "until = \"2026-06\"");
        assert!(
            HighCostRules::parse(&gap)
                .unwrap_err()
                .reason
                .contains("gap")
        );
        let disordered = good.replacen("base = 167400", "base = 267400", 1);
        assert_eq!(
            HighCostRules::parse(&disordered).unwrap_err().field,
            "period[0].under_70"
        );
        let no_percent = good.replacen(", over = 267000", "", 1);
        assert_eq!(
            HighCostRules::parse(&no_percent).unwrap_err().field,
            "period[0].limits"
        );
        let frequent_above = good.replacen("frequent = 24600 }", "frequent = 99999 }", 1);
        assert!(HighCostRules::parse(&frequent_above).is_err());
        assert!(HighCostRules::parse("period = 3").is_err());
    }

    #[test]
    fn one_percent_rounds_half_a_yen_up() {
        assert_eq!(one_percent_rounded(733_000), 7_330);
        assert_eq!(one_percent_rounded(733_049), 7_330);
        assert_eq!(one_percent_rounded(733_050), 7_331);
        assert_eq!(one_percent_rounded(-5), 0);
    }

    /// 厚生労働省「高額療養費制度を利用される皆さまへ」: 70歳未満・区分ウ, 医療費
    /// 100万円, 窓口負担 30万円 → 限度額 80,100 + (1,000,000 − 267,000) × 1% =
    /// 87,430, 高額療養費 212,570.
    #[test]
    fn ministry_example_category_u_before_the_revision() {
        let m = [member("A", ADULT)];
        let c = [claim("A", "P1", Setting::Inpatient, 1_000_000, 300_000)];
        let r = run(ym(2026, 7), Some(Under70::U), None, &[], &m, &c);
        assert_eq!(r.benefit, 212_570);
        assert_eq!(r.refund, 212_570);
        assert!(r.counts_as_high_cost_month);
        assert!(!r.frequent_case);
        assert!(
            r.steps
                .iter()
                .any(|s| s.contains("80,100 + (1,000,000 − 267,000) × 1% = 87,430円"))
        );
    }

    /// 厚生労働省「高額療養費制度に関する参考資料」 (令和8年8月診療分から): ウ with
    /// 1,000,000 yen → 85,800 + 7,140 = 92,940.
    #[test]
    fn ministry_example_category_u_after_the_revision() {
        let m = [member("A", ADULT)];
        let c = [claim("A", "P1", Setting::Inpatient, 1_000_000, 300_000)];
        let r = run(ym(2026, 8), Some(Under70::U), None, &[], &m, &c);
        assert_eq!(r.benefit, 300_000 - 92_940);
    }

    #[test]
    fn each_under_70_category_at_its_limit() {
        let m = [member("A", ADULT)];
        let cases = [
            (Under70::A, 1_000_000, 252_600 + 1_580),
            (Under70::I, 1_000_000, 167_400 + 4_420),
            (Under70::U, 260_000, 80_100),
            (Under70::E, 1_000_000, 57_600),
            (Under70::O, 1_000_000, 35_400),
        ];
        for (cat, total, limit) in cases {
            let c = [claim(
                "A",
                "P1",
                Setting::Inpatient,
                total,
                300_000.min(total),
            )];
            let r = run(ym(2025, 11), Some(cat), None, &[], &m, &c);
            assert_eq!(r.benefit, 300_000.min(total) - limit, "{cat:?}");
            // Exactly at the limit: nothing.
            let c = [claim("A", "P1", Setting::Inpatient, total, limit)];
            let r = run(ym(2025, 11), Some(cat), None, &[], &m, &c);
            assert_eq!(r.benefit, 0, "{cat:?}");
            assert!(!r.counts_as_high_cost_month);
        }
    }

    #[test]
    fn under_70_units_below_21000_are_not_added_up() {
        let m = [member("A", ADULT), member("B", date!(1985 - 01 - 01))];
        let at = |copay_b: i64| {
            let c = [
                claim("A", "P1", Setting::Inpatient, 300_000, 60_000),
                claim("B", "P2", Setting::Outpatient, 100_000, copay_b),
            ];
            run(ym(2025, 11), Some(Under70::E), None, &[], &m, &c)
        };
        let below = at(20_999);
        assert_eq!(below.benefit, 60_000 - 57_600);
        assert!(
            below
                .steps
                .iter()
                .any(|s| s.contains("21,000円未満のため合算しません"))
        );
        let at_floor = at(21_000);
        assert_eq!(at_floor.benefit, 81_000 - 57_600);
        // Shares follow what each bore.
        assert_eq!(
            benefit_of(&at_floor, "A") + benefit_of(&at_floor, "B"),
            23_400
        );
        assert_eq!(benefit_of(&at_floor, "A"), 23_400 * 60 / 81 + 1);
    }

    #[test]
    fn pharmacy_joins_its_prescriber_and_dental_stays_apart() {
        let m = [member("A", ADULT)];
        let mut pharmacy = claim("A", "Q1", Setting::Pharmacy, 30_000, 9_000);
        pharmacy.prescriber = Some("P1".into());
        let clinic = claim("A", "P1", Setting::Outpatient, 50_000, 15_000);
        let big = claim("A", "P9", Setting::Inpatient, 500_000, 150_000);
        let r = run(
            ym(2025, 11),
            Some(Under70::E),
            None,
            &[],
            &m,
            &[clinic.clone(), pharmacy.clone(), big.clone()],
        );
        assert_eq!(r.units.len(), 2);
        assert_eq!(r.benefit, 174_000 - 57_600);
        // From another prescriber, the pharmacy claim is its own unit.
        pharmacy.prescriber = Some("P2".into());
        let r = run(
            ym(2025, 11),
            Some(Under70::E),
            None,
            &[],
            &m,
            &[clinic.clone(), pharmacy.clone(), big.clone()],
        );
        assert_eq!(r.units.len(), 3);
        assert_eq!(r.benefit, 150_000 - 57_600);
        // Dental at the same provider is a unit of its own.
        let mut dental = claim("A", "P1", Setting::Outpatient, 40_000, 12_000);
        dental.dental = true;
        let r = run(
            ym(2025, 11),
            Some(Under70::E),
            None,
            &[],
            &m,
            &[clinic, dental, big],
        );
        assert_eq!(r.units.len(), 3);
        assert_eq!(r.benefit, 150_000 - 57_600);
        // A pharmacy claim without its prescriber is refused.
        let mut orphan = claim("A", "Q1", Setting::Pharmacy, 30_000, 9_000);
        orphan.prescriber = None;
        let e = compute(
            &rules(),
            &Household {
                month: ym(2025, 11),
                under_70: Some(Under70::E),
                elderly: None,
                prior_high_cost_months: &[],
                members: &m,
                claims: &[orphan],
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "claims[0].prescriber");
    }

    #[test]
    fn frequent_case_from_the_fourth_month_in_twelve() {
        let m = [member("A", ADULT)];
        let c = [claim("A", "P1", Setting::Inpatient, 300_000, 90_000)];
        let month = ym(2025, 12);
        // Three months within the eleven before: 多数回.
        let prior = [ym(2025, 1), ym(2025, 5), ym(2025, 11)];
        let r = run(month, Some(Under70::U), None, &prior, &m, &c);
        assert!(r.frequent_case);
        assert_eq!(r.benefit, 90_000 - 44_400);
        assert!(r.counts_as_high_cost_month);
        // The month twelve before is outside the window.
        let prior = [ym(2024, 12), ym(2025, 5), ym(2025, 11)];
        let r = run(month, Some(Under70::U), None, &prior, &m, &c);
        assert!(!r.frequent_case);
        assert_eq!(r.benefit, 90_000 - (80_100 + 330));
        // The same month twice counts once; later months not at all.
        let prior = [ym(2025, 5), ym(2025, 5), ym(2025, 11), ym(2026, 1)];
        assert!(!run(month, Some(Under70::U), None, &prior, &m, &c).frequent_case);
    }

    #[test]
    fn elderly_general_outpatient_then_household() {
        let m = [
            member("B", date!(1954 - 03 - 03)),
            member("C", date!(1955 - 02 - 02)),
        ];
        let c = [
            claim("B", "P1", Setting::Outpatient, 150_000, 30_000),
            claim("C", "P2", Setting::Inpatient, 400_000, 80_000),
        ];
        let r = run(ym(2026, 7), None, Some(Elderly::General), &[], &m, &c);
        // ① B 30,000 − 18,000 = 12,000; ② 18,000 + 80,000 − 57,600 = 40,400.
        assert_eq!(r.benefit, 52_400);
        assert!(r.counts_as_high_cost_month);
        assert_eq!(benefit_of(&r, "B") + benefit_of(&r, "C"), 52_400);
        // After the revision: 22,000 outpatient, 61,500 household.
        let r = run(ym(2026, 8), None, Some(Elderly::General), &[], &m, &c);
        assert_eq!(r.benefit, 8_000 + (22_000 + 80_000 - 61_500));
        // The outpatient step alone does not count for 多数回.
        let only_out = [claim("B", "P1", Setting::Outpatient, 150_000, 30_000)];
        let r = run(
            ym(2026, 7),
            None,
            Some(Elderly::General),
            &[],
            &m,
            &only_out,
        );
        assert_eq!(r.benefit, 12_000);
        assert!(!r.counts_as_high_cost_month);
    }

    #[test]
    fn elderly_low_income_has_no_frequent_case_until_the_revision() {
        let m = [member("B", date!(1954 - 03 - 03))];
        let c = [claim("B", "P1", Setting::Inpatient, 200_000, 40_000)];
        let prior = [ym(2026, 1), ym(2026, 2), ym(2026, 3)];
        let r = run(ym(2026, 7), None, Some(Elderly::LowIncome2), &prior, &m, &c);
        assert_eq!(r.benefit, 40_000 - 24_600);
        let r = run(ym(2026, 8), None, Some(Elderly::LowIncome2), &prior, &m, &c);
        assert_eq!(r.benefit, 40_000 - 24_600, "多数回 24,600 from 2026-08");
        let r = run(ym(2026, 8), None, Some(Elderly::LowIncome2), &[], &m, &c);
        assert_eq!(r.benefit, 40_000 - 25_700);
        let r = run(ym(2026, 8), None, Some(Elderly::LowIncome1), &prior, &m, &c);
        assert_eq!(r.benefit, 40_000 - 15_700);
    }

    #[test]
    fn genekinami_has_no_outpatient_step() {
        let m = [member("B", date!(1954 - 03 - 03))];
        let c = [claim("B", "P1", Setting::Outpatient, 1_000_000, 300_000)];
        let r = run(ym(2026, 7), None, Some(Elderly::Genekinami1), &[], &m, &c);
        assert_eq!(r.benefit, 300_000 - 87_430);
        assert!(!r.steps.iter().any(|s| s.starts_with("①")));
        assert!(r.counts_as_high_cost_month);
    }

    /// The mixed household of the rules reference: ① the 70–74 outpatient
    /// limit, ② the 70–74 household, ③ the whole household with the 1% part
    /// on every aggregated claim's cost.
    #[test]
    fn mixed_household_in_three_steps() {
        let m = [
            member("A", ADULT),
            member("B", date!(1954 - 03 - 03)),
            member("C", date!(1955 - 02 - 02)),
        ];
        let c = [
            claim("A", "P0", Setting::Inpatient, 500_000, 150_000),
            claim("B", "P1", Setting::Outpatient, 150_000, 30_000),
            claim("C", "P2", Setting::Inpatient, 400_000, 80_000),
        ];
        let r = run(
            ym(2026, 7),
            Some(Under70::U),
            Some(Elderly::General),
            &[],
            &m,
            &c,
        );
        // ① 12,000; ② 40,400; ③ 150,000 + 57,600 − (80,100 + 7,830).
        assert_eq!(r.benefit, 12_000 + 40_400 + 119_670);
        assert_eq!(r.members.iter().map(|m| m.benefit).sum::<i64>(), r.benefit);
        // What the household still bears is the under-70 limit.
        assert_eq!(260_000 - r.benefit, 87_930);
        assert!(
            r.steps
                .iter()
                .any(|s| s.contains("+ 70〜74歳の残り 57,600円"))
        );
    }

    #[test]
    fn a_dependant_joining_when_the_employee_moves_to_late_elderly_has_half_limits_that_month() {
        // Under 70, ウ (2018-08 table): the employee turned 75 on 15 May
        // 2025; the dependant joined NHI that day. Own limit at half:
        // 40,050 + (500,000 − 133,500) × 1% = 43,715 (さいたま市「高額療養費
        // の75歳到達月特例」: ウ 40,050 + (医療費 − 133,500) × 1%).
        let d = dependant("D", ADULT, date!(2025 - 05 - 15));
        let c = [claim("D", "P1", Setting::Inpatient, 500_000, 150_000)];
        let r = run(
            ym(2025, 5),
            Some(Under70::U),
            None,
            &[],
            std::slice::from_ref(&d),
            &c,
        );
        assert!(r.members[0].dependant_half);
        assert_eq!(r.benefit, 150_000 - 43_715);
        assert!(r.counts_as_high_cost_month);
        assert!(r.steps.iter().any(|s| s.contains("③' 加入月の個人単位 D")));
        // The next month, and a join on the 1st, have whole limits:
        // 80,100 + (500,000 − 267,000) × 1% = 82,430.
        let r = run(ym(2025, 6), Some(Under70::U), None, &[], &[d], &c);
        assert!(!r.members[0].dependant_half);
        assert_eq!(r.benefit, 150_000 - 82_430);
        let first = dependant("D", ADULT, date!(2025 - 05 - 01));
        let r = run(ym(2025, 5), Some(Under70::U), None, &[], &[first], &c);
        assert_eq!(r.benefit, 150_000 - 82_430);

        // The 合算 floor is half (10,500): D's unit of 12,000 joins A's
        // 90,000; the household limit stays whole: 80,100 + (340,000 −
        // 267,000) × 1% = 80,830 → 102,000 − 80,830.
        let m = [
            member("A", ADULT),
            dependant("D", ADULT, date!(2025 - 05 - 15)),
        ];
        let c = [
            claim("A", "P1", Setting::Inpatient, 300_000, 90_000),
            claim("D", "P2", Setting::Outpatient, 40_000, 12_000),
        ];
        let r = run(ym(2025, 5), Some(Under70::U), None, &[], &m, &c);
        assert_eq!(r.benefit, 102_000 - 80_830);
        // … where 12,000 alone would stay out: 90,000 − 80,430.
        let m = [member("A", ADULT), member("D", ADULT)];
        let r = run(ym(2025, 5), Some(Under70::U), None, &[], &m, &c);
        assert_eq!(r.benefit, 90_000 - 80_430);
        // Just under the half floor stays out even for the dependant.
        let m = [
            member("A", ADULT),
            dependant("D", ADULT, date!(2025 - 05 - 15)),
        ];
        let c = [
            claim("A", "P1", Setting::Inpatient, 300_000, 90_000),
            claim("D", "P2", Setting::Outpatient, 34_900, 10_470),
        ];
        let r = run(ym(2025, 5), Some(Under70::U), None, &[], &m, &c);
        assert_eq!(r.benefit, 90_000 - 80_430);

        // Aged 70–74 (一般): the outpatient limit 18,000 at half.
        let d = dependant("E", date!(1953 - 01 - 01), date!(2025 - 05 - 10));
        let c = [claim("E", "P1", Setting::Outpatient, 100_000, 20_000)];
        let r = run(ym(2025, 5), None, Some(Elderly::General), &[], &[d], &c);
        assert_eq!(r.benefit, 20_000 - 9_000);
    }

    #[test]
    fn the_outpatient_left_after_the_months_benefits_is_what_the_annual_cap_adds_up() {
        // 一般 (2018-08 table), the two-step example of ダイヤモンド・オンライン
        // 「高額療養費の計算方法」: 花子 outpatient 16,000 + 10,000, 太郎
        // inpatient 57,600. ① 花子 26,000 − 18,000 → 8,000; ② 57,600 +
        // 18,000 = 75,600 − 57,600 → 18,000, of which 花子's share
        // 18,000 × 18,000 / 75,600 = 4,285 falls on her outpatient copay.
        let m = [
            member("H", date!(1953 - 01 - 01)),
            member("T", date!(1952 - 01 - 01)),
        ];
        let c = [
            claim("H", "P1", Setting::Outpatient, 80_000, 16_000),
            claim("H", "P2", Setting::Outpatient, 50_000, 10_000),
            claim("T", "P3", Setting::Inpatient, 288_000, 57_600),
        ];
        let r = run(ym(2025, 5), None, Some(Elderly::General), &[], &m, &c);
        assert_eq!(r.benefit, 26_000);
        assert_eq!(benefit_of(&r, "H"), 8_000 + 4_285);
        let h = r.members.iter().find(|m| m.id == "H").unwrap();
        assert_eq!(h.outpatient_left, 26_000 - 8_000 - 4_285);
        // 太郎 had no outpatient care.
        let t = r.members.iter().find(|m| m.id == "T").unwrap();
        assert_eq!(t.outpatient_left, 0);
        // Without a benefit the whole outpatient copay is left.
        let c = [claim("H", "P1", Setting::Outpatient, 60_000, 12_000)];
        let r = run(ym(2025, 5), None, Some(Elderly::General), &[], &m, &c);
        assert_eq!(r.members[0].outpatient_left, 12_000);
    }

    #[test]
    fn outpatient_part_is_proportional_and_never_more_than_the_part() {
        assert_eq!(outpatient_part(18_000, 18_000, 75_600), 4_286);
        assert_eq!(outpatient_part(100, 0, 500), 0);
        assert_eq!(outpatient_part(100, 500, 500), 100);
        assert_eq!(outpatient_part(0, 500, 500), 0);
        assert_eq!(outpatient_part(1, 1, 2), 1);
        assert_eq!(outpatient_part(1, 1, 3), 0);
    }

    #[test]
    fn month_of_the_75th_birthday_halves_the_persons_limits() {
        // Turns 75 on 15 July 2026: NHI until the 14th.
        let m = [member("D", date!(1951 - 07 - 15))];
        let c = [claim("D", "P1", Setting::Inpatient, 300_000, 60_000)];
        let r = run(ym(2026, 7), None, Some(Elderly::General), &[], &m, &c);
        assert!(r.members[0].turns_75);
        assert_eq!(r.benefit, 60_000 - 28_800);
        assert!(r.counts_as_high_cost_month);
        // The outpatient limit is halved too.
        let c = [claim("D", "P1", Setting::Outpatient, 100_000, 20_000)];
        let r = run(ym(2026, 7), None, Some(Elderly::General), &[], &m, &c);
        assert_eq!(r.benefit, 20_000 - 9_000);
        // Born on the 1st: 後期高齢者医療 from the 1st, no NHI month.
        let m = [member("D", date!(1951 - 07 - 01))];
        let e = compute(
            &rules(),
            &Household {
                month: ym(2026, 7),
                under_70: None,
                elderly: Some(Elderly::General),
                prior_high_cost_months: &[],
                members: &m,
                claims: &c,
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "members[D].birth_date");
    }

    #[test]
    fn specified_disease_is_held_to_its_limit_in_kind() {
        let m = [member("A", ADULT)];
        let mut c = claim("A", "P1", Setting::Outpatient, 500_000, 150_000);
        c.specified_disease = true;
        c.dialysis = true;
        let r = run(ym(2026, 7), Some(Under70::U), None, &[], &m, &[c.clone()]);
        assert_eq!(r.benefit, 140_000);
        assert_eq!(r.paid_in_kind, 140_000);
        assert_eq!(r.refund, 0);
        assert!(!r.counts_as_high_cost_month);
        // Dialysis in a household of 上位所得: 20,000.
        let r = run(ym(2026, 7), Some(Under70::I), None, &[], &m, &[c.clone()]);
        assert_eq!(r.benefit, 130_000);
        // Not dialysis: 10,000 whatever the income.
        c.dialysis = false;
        let r = run(ym(2026, 7), Some(Under70::A), None, &[], &m, &[c]);
        assert_eq!(r.benefit, 140_000);
    }

    #[test]
    fn specified_disease_limit_is_half_in_the_month_of_the_75th_birthday() {
        // 坂戸市 国保「特定疾病」: 75歳到達月は従前の保険者と半額5千円ずつ.
        let c = |m: &str| {
            let mut c = claim(m, "P1", Setting::Outpatient, 200_000, 40_000);
            c.specified_disease = true;
            c.dialysis = true;
            c
        };
        let turning = [member("A", date!(1951 - 07 - 15))];
        let r = run(
            ym(2026, 7),
            None,
            Some(Elderly::General),
            &[],
            &turning,
            &[c("A")],
        );
        assert_eq!(r.benefit, 35_000);
        assert!(
            r.steps
                .iter()
                .any(|s| s.contains("限度額 5,000円（75歳到達月のため2分の1）"))
        );
        // The month before, and a member who turns 75 the next month: whole.
        let r = run(
            ym(2026, 6),
            None,
            Some(Elderly::General),
            &[],
            &turning,
            &[c("A")],
        );
        assert_eq!(r.benefit, 30_000);
        let later = [member("A", date!(1951 - 08 - 15))];
        let r = run(
            ym(2026, 7),
            None,
            Some(Elderly::General),
            &[],
            &later,
            &[c("A")],
        );
        assert_eq!(r.benefit, 30_000);
        // A birthday on the 2nd and on the last day of the month: halved.
        for born in [date!(1951 - 07 - 02), date!(1951 - 07 - 31)] {
            let m = [member("A", born)];
            let r = run(
                ym(2026, 7),
                None,
                Some(Elderly::General),
                &[],
                &m,
                &[c("A")],
            );
            assert_eq!(r.benefit, 35_000, "{born}");
        }
    }

    #[test]
    fn limit_certificate_already_held_the_charge() {
        let m = [member("A", ADULT)];
        let mut big = claim("A", "P1", Setting::Inpatient, 1_000_000, 300_000);
        big.charged = Some(87_430);
        let r = run(ym(2026, 7), Some(Under70::U), None, &[], &m, &[big.clone()]);
        assert_eq!((r.benefit, r.paid_in_kind, r.refund), (212_570, 212_570, 0));
        assert!(r.counts_as_high_cost_month);
        // Another unit of the floor or more: the household limit takes its
        // 1% part on both, and the refund is what the household paid over.
        let other = claim("A", "P2", Setting::Outpatient, 100_000, 30_000);
        let r = run(ym(2026, 7), Some(Under70::U), None, &[], &m, &[big, other]);
        assert_eq!(r.refund, 29_000);
        assert_eq!(r.in_kind_excess, 0);
        // A provider that held back too much shows as an excess.
        let mut wrong = claim("A", "P1", Setting::Inpatient, 1_000_000, 300_000);
        wrong.charged = Some(35_400);
        let r = run(ym(2026, 7), Some(Under70::U), None, &[], &m, &[wrong]);
        assert_eq!(r.refund, 0);
        assert_eq!(r.in_kind_excess, 87_430 - 35_400);
    }

    #[test]
    fn bad_input_names_the_field() {
        let m = [member("A", ADULT)];
        let fails = |under: Option<Under70>, month: YearMonth, c: Claim| {
            compute(
                &rules(),
                &Household {
                    month,
                    under_70: under,
                    elderly: None,
                    prior_high_cost_months: &[],
                    members: &m,
                    claims: &[c],
                },
            )
            .unwrap_err()
        };
        let ok = claim("A", "P1", Setting::Inpatient, 100, 30);
        assert_eq!(
            fails(None, ym(2026, 7), ok.clone()).field,
            "category_under_70"
        );
        assert_eq!(
            fails(Some(Under70::U), ym(2027, 8), ok.clone()).field,
            "month"
        );
        let mut c = ok.clone();
        c.member = "Z".into();
        assert_eq!(
            fails(Some(Under70::U), ym(2026, 7), c).field,
            "claims[0].member"
        );
        let mut c = ok.clone();
        c.copay = 200;
        assert_eq!(
            fails(Some(Under70::U), ym(2026, 7), c).field,
            "claims[0].copay"
        );
        let mut c = ok.clone();
        c.charged = Some(31);
        assert_eq!(
            fails(Some(Under70::U), ym(2026, 7), c).field,
            "claims[0].charged"
        );
        let mut c = ok;
        c.total_cost = -1;
        assert_eq!(
            fails(Some(Under70::U), ym(2026, 7), c).field,
            "claims[0].total_cost"
        );
    }

    fn arb_claims() -> impl Strategy<Value = Vec<Claim>> {
        let one = (
            0usize..4,
            0usize..3,
            0u8..3,
            any::<bool>(),
            1i64..3_000_000,
            0u8..4,
            any::<bool>(),
        )
            .prop_map(|(m, p, s, dental, total, rate, specified)| {
                let setting =
                    [Setting::Inpatient, Setting::Outpatient, Setting::Pharmacy][usize::from(s)];
                let mut c = claim(
                    ["A", "B", "C", "D"][m],
                    ["P1", "P2", "P3"][p],
                    setting,
                    total,
                    total * i64::from(rate + 1) / 10,
                );
                c.dental = dental;
                c.prescriber = Some("P1".into());
                c.specified_disease = specified && setting != Setting::Pharmacy;
                c
            });
        proptest::collection::vec(one, 0..12)
    }

    proptest! {
        #[test]
        fn a_copay_is_the_nearest_ten_yen_with_five_rounded_up(
            cost in 0i64..=MAX_CLAIM_YEN,
            percent in prop::sample::select(vec![0u8, 10, 20, 30, 100]),
        ) {
            let c = copay_of(cost, percent);
            // exact copay in hundredths of a yen
            let exact = i128::from(cost) * i128::from(percent);
            prop_assert_eq!(c % 10, 0);
            let diff = i128::from(c) * 100 - exact;
            prop_assert!((-499..=500).contains(&diff), "{} {} {}", cost, percent, c);
        }
    }

    proptest! {
        #[test]
        fn shares_add_up_and_the_benefit_stays_within_the_copays(
            claims in arb_claims(),
            u in 0usize..5,
            e in 0usize..6,
            prior in proptest::collection::vec(0u8..12, 0..6),
            july in any::<bool>(),
            joined in any::<bool>(),
        ) {
            let month = if july { ym(2026, 7) } else { ym(2026, 9) };
            let a_joined = if july { date!(2026 - 07 - 20) } else { date!(2026 - 09 - 20) };
            let members = [
                if joined { dependant("A", ADULT, a_joined) } else { member("A", ADULT) },
                member("B", date!(2022 - 06 - 01)),
                member("C", date!(1954 - 03 - 03)),
                member("D", if july { date!(1951 - 07 - 15) } else { date!(1951 - 09 - 15) }),
            ];
            let prior: Vec<YearMonth> =
                prior.iter().fold((vec![], month), |(mut v, m), k| {
                    let mut p = m;
                    for _ in 0..=*k { p = p.prev(); }
                    v.push(p);
                    (v, m)
                }).0;
            let under = [Under70::A, Under70::I, Under70::U, Under70::E, Under70::O][u];
            let elderly = [
                Elderly::Genekinami3, Elderly::Genekinami2, Elderly::Genekinami1,
                Elderly::General, Elderly::LowIncome2, Elderly::LowIncome1,
            ][e];
            let h = |prior: &[YearMonth]| compute(&rules(), &Household {
                month,
                under_70: Some(under),
                elderly: Some(elderly),
                prior_high_cost_months: prior,
                members: &members,
                claims: &claims,
            }).unwrap();
            let r = h(&prior);
            let copays: i64 = claims.iter().map(|c| c.copay).sum();
            prop_assert!(r.benefit >= 0 && r.benefit <= copays);
            prop_assert_eq!(r.members.iter().map(|m| m.benefit).sum::<i64>(), r.benefit);
            prop_assert!(r.members.iter().all(|m| m.benefit >= 0));
            prop_assert_eq!(r.refund + r.paid_in_kind - r.in_kind_excess, r.benefit);
            // 多数回 never makes the household worse off.
            prop_assert!(h(&[]).benefit <= r.benefit || !r.frequent_case);
            if r.frequent_case {
                prop_assert!(h(&[]).benefit <= r.benefit);
            }
            // What the annual outpatient cap adds up stays within the
            // member's outpatient copays.
            for m in &r.members {
                let out: i64 = claims
                    .iter()
                    .filter(|c| c.member == m.id && c.setting != Setting::Inpatient)
                    .map(|c| c.copay)
                    .sum();
                prop_assert!((0..=out).contains(&m.outpatient_left), "{:?} {}", m, out);
                prop_assert!(m.outpatient_left <= m.outpatient && m.outpatient <= out, "{:?} {}", m, out);
            }
            // What the yearly cap adds up: the month's benefit on the
            // limits comes out of what was added up, never more.
            for m in &r.members {
                prop_assert!(0 <= m.limit_benefit && m.limit_benefit <= m.aggregated, "{:?}", m);
                prop_assert!(m.aggregated <= m.bears && m.benefit >= m.limit_benefit, "{:?}", m);
            }
            prop_assert_eq!(r.members.iter().map(|m| m.bears).sum::<i64>(),
                r.units.iter().map(|u| u.bears).sum::<i64>());
            // Halving for a joining dependant never lowers the benefit.
            if joined {
                let whole = [member("A", ADULT), members[1].clone(), members[2].clone(), members[3].clone()];
                let w = compute(&rules(), &Household {
                    month,
                    under_70: Some(under),
                    elderly: Some(elderly),
                    prior_high_cost_months: &prior,
                    members: &whole,
                    claims: &claims,
                }).unwrap();
                prop_assert!(w.benefit <= r.benefit, "{} > {}", w.benefit, r.benefit);
            }
        }
    }
}
