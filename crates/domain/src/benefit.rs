//! Cash benefits (給付): the kinds an application can be for, the event
//! each is about, and the amount the rules of the event's date give —
//! explained step by step, with the rule it used. Pure: the caller gives
//! the dates, the checked costs and the person's copay rate; the amounts
//! set by rule come from the dated table `rules/benefits.toml`.
//!
//! The legal sources (docs/benefits.md):
//! - 療養費 (reimbursement): 国民健康保険法 第54条 — the cost as the insurer
//!   would have paid it, less the copay at the person's rate;
//! - 移送費 (transport_benefit): 同 第54条の4 — the cost of the most
//!   economical usual route, never more than was paid;
//! - 出産育児一時金 (childbirth_grant) and 葬祭費 (funeral_grant): 同
//!   第58条第1項, the amounts the town's ordinance sets;
//! - 高額療養費 (high_cost_benefit): 同 第57条の2, the monthly run's
//!   decision (`high_cost`);
//! - the right lapses two years after it arises (同 第110条第1項).

use serde::Deserialize;
use time::Date;

use crate::burden::yen;
use crate::high_cost::copay_of;
use crate::wareki::parse_date;

/// The rule table shipped with this build.
const BENEFIT_RULES: &str = include_str!("../rules/benefits.toml");

/// The largest cost accepted on one application (yen).
pub const MAX_APPLICATION_YEN: i64 = 100_000_000;

/// A figure the town sets itself (its ordinance), in force from a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TownFigure {
    pub from: Date,
    pub amount: i64,
    /// the ordinance and article it comes from
    pub source: String,
}

/// What an application asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BenefitKind {
    /// 高額療養費
    HighCostBenefit,
    /// 療養費
    Reimbursement,
    /// 出産育児一時金
    ChildbirthGrant,
    /// 葬祭費
    FuneralGrant,
    /// 移送費
    TransportBenefit,
    /// 食事療養標準負担額差額
    MealDifference,
    /// 高額療養費（外来年間合算）: the yearly run's decision for a person
    AnnualOutpatient,
    /// 高額介護合算療養費: the household's year of medical and care copays
    CombinedCare,
}

impl BenefitKind {
    pub const ALL: [BenefitKind; 8] = [
        BenefitKind::HighCostBenefit,
        BenefitKind::AnnualOutpatient,
        BenefitKind::CombinedCare,
        BenefitKind::Reimbursement,
        BenefitKind::ChildbirthGrant,
        BenefitKind::FuneralGrant,
        BenefitKind::TransportBenefit,
        BenefitKind::MealDifference,
    ];

    pub fn code(self) -> &'static str {
        match self {
            BenefitKind::HighCostBenefit => "high_cost_benefit",
            BenefitKind::Reimbursement => "reimbursement",
            BenefitKind::ChildbirthGrant => "childbirth_grant",
            BenefitKind::FuneralGrant => "funeral_grant",
            BenefitKind::TransportBenefit => "transport_benefit",
            BenefitKind::MealDifference => "meal_difference",
            BenefitKind::AnnualOutpatient => "annual_outpatient",
            BenefitKind::CombinedCare => "combined_care",
        }
    }

    pub fn parse(s: &str) -> Option<BenefitKind> {
        let s = s.trim().replace('-', "_");
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            BenefitKind::HighCostBenefit => "高額療養費",
            BenefitKind::Reimbursement => "療養費",
            BenefitKind::ChildbirthGrant => "出産育児一時金",
            BenefitKind::FuneralGrant => "葬祭費",
            BenefitKind::TransportBenefit => "移送費",
            BenefitKind::MealDifference => "食事療養標準負担額差額",
            BenefitKind::AnnualOutpatient => "高額療養費（外来年間合算）",
            BenefitKind::CombinedCare => "高額介護合算療養費",
        }
    }
}

/// Why the person paid is who they are (受取人の区分).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PayeeBasis {
    /// the person the law pays: the householder (第54条, 第57条の2, 第58条),
    /// or whoever held the funeral
    #[default]
    Entitled,
    /// an heir (相続人代表者) of that person, who died before being paid:
    /// the right passes by inheritance (民法 第896条; the NHI law has no
    /// 未支給 provision)
    Heir,
    /// another person the entitled one authorised by a letter (委任); the
    /// authority ends with the principal's death (民法 第111条)
    Proxy,
}

impl PayeeBasis {
    pub const ALL: [PayeeBasis; 3] = [PayeeBasis::Entitled, PayeeBasis::Heir, PayeeBasis::Proxy];

    pub fn code(self) -> &'static str {
        match self {
            PayeeBasis::Entitled => "entitled",
            PayeeBasis::Heir => "heir",
            PayeeBasis::Proxy => "proxy",
        }
    }

    pub fn parse(s: &str) -> Option<PayeeBasis> {
        let s = s.trim();
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PayeeBasis::Entitled => "本人（世帯主・葬祭を行った方）",
            PayeeBasis::Heir => "相続人",
            PayeeBasis::Proxy => "代理人（委任）",
        }
    }
}

/// 療養費 by what was paid for in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReimbursementType {
    /// 治療用装具 (補装具: コルセット, 弾性着衣 …)
    Appliance,
    /// 柔道整復 (接骨院・整骨院)
    JudoTherapy,
    /// はり・きゅう・あん摩マッサージ
    AcupunctureMassage,
    /// 海外療養費
    Overseas,
    /// やむを得ず保険証等なしで受診した等, その他
    Other,
}

impl ReimbursementType {
    pub const ALL: [ReimbursementType; 5] = [
        ReimbursementType::Appliance,
        ReimbursementType::JudoTherapy,
        ReimbursementType::AcupunctureMassage,
        ReimbursementType::Overseas,
        ReimbursementType::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ReimbursementType::Appliance => "appliance",
            ReimbursementType::JudoTherapy => "judo_therapy",
            ReimbursementType::AcupunctureMassage => "acupuncture_massage",
            ReimbursementType::Overseas => "overseas",
            ReimbursementType::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ReimbursementType> {
        let s = s.trim().replace('-', "_");
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReimbursementType::Appliance => "治療用装具",
            ReimbursementType::JudoTherapy => "柔道整復",
            ReimbursementType::AcupunctureMassage => "はり・きゅう・マッサージ",
            ReimbursementType::Overseas => "海外療養費",
            ReimbursementType::Other => "その他の療養費",
        }
    }
}

/// Which reduced meal charge a low-income person was due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MealCategory {
    /// 住民税非課税 (under 70 オ, 70–74 低所得Ⅱ), 90 days or less
    NonTaxable,
    /// the same, over 90 days of stay in the last twelve months (長期該当)
    NonTaxableLong,
    /// 70–74 低所得Ⅰ
    LowIncome1,
}

impl MealCategory {
    pub fn label(self) -> &'static str {
        match self {
            MealCategory::NonTaxable => "住民税非課税（90日以内）",
            MealCategory::NonTaxableLong => "住民税非課税（長期該当）",
            MealCategory::LowIncome1 => "低所得Ⅰ",
        }
    }
}

/// The facts an application gives, as checked by the clerk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// 出産育児一時金: the birth (or a stillbirth or miscarriage after 85
    /// days of pregnancy), how many children, whether covered by 産科医療補償
    /// 制度, and what the insurer already paid the facility (直接支払制度)
    Childbirth {
        born_on: Date,
        children: u8,
        gestation_days: u32,
        compensation_covered: bool,
        paid_directly: i64,
    },
    /// 葬祭費: the death and the funeral, and the town's own figure in
    /// force on the day of death where the town recorded one (its
    /// ordinance: `town`), else the shipped table applies
    Funeral {
        died_on: Date,
        funeral_on: Date,
        town: Option<TownFigure>,
    },
    /// 療養費: the care, its cost as the insurer's fee schedule gives it
    /// (after the clerk's check), the person's copay rate on the day
    Reimbursement {
        kind: ReimbursementType,
        service_on: Date,
        cost: i64,
        copay_percent: u8,
    },
    /// 移送費: what the transport cost, and what the most economical usual
    /// route would have cost
    Transport {
        moved_on: Date,
        paid: i64,
        economical: i64,
    },
    /// 食事療養標準負担額差額: meals of one stay paid at the general charge
    MealDifference {
        first_meal_on: Date,
        last_meal_on: Date,
        meals: u32,
        category: MealCategory,
    },
    /// 高額療養費: the run's decision for a household and service month, and
    /// what was already applied for that month (an earlier version of the
    /// decision: a later run's new version pays the difference)
    HighCost {
        service_month_first_day: Date,
        refund: i64,
        already: i64,
        rule: String,
    },
    /// 高額療養費（外来年間合算）: the yearly run's current decision for a
    /// person and year, and what was already applied for that year
    AnnualOutpatient {
        /// 31 July, the year's base date
        base_date: Date,
        benefit: i64,
        already: i64,
        rule: String,
        /// the benefit is this insurer's share by a split not yet confirmed
        provisional: bool,
    },
    /// 高額介護合算療養費: the household's year as computed at the counter
    /// from the monthly runs and the certificates, and what was already
    /// applied for that household and year
    CombinedCare {
        /// 31 July, or the day before the loss of NHI within the year
        base_date: Date,
        /// the year of the August the period starts with
        year: i32,
        /// this insurer's part (高額介護合算療養費)
        medical: i64,
        already: i64,
        /// the calculation, step by step
        steps: Vec<String>,
        rule: String,
        provisional: bool,
        /// the members of the base date's household
        members: Vec<String>,
    },
    /// 外来年間合算 or 高額介護合算 of a year another insurer computed as
    /// the base date's insurer: this insurer pays the share its 支給額計算
    /// 結果連絡票 gives for the months the person spent here
    NotifiedShare {
        /// AnnualOutpatient or CombinedCare
        kind: BenefitKind,
        /// the year of the August the period starts with
        year: i32,
        /// the base date the notice gives (the right arises after it)
        base_date: Date,
        /// the person's last day insured here within the year
        last_insured_on: Date,
        /// the insurer that computed the year
        issuer: String,
        /// the notice's reference and date
        reference: String,
        notified_on: Date,
        /// this insurer's share, and what was applied for on notices of
        /// the year already
        share: i64,
        already: i64,
    },
}

impl Event {
    pub fn kind(&self) -> BenefitKind {
        match self {
            Event::Childbirth { .. } => BenefitKind::ChildbirthGrant,
            Event::Funeral { .. } => BenefitKind::FuneralGrant,
            Event::Reimbursement { .. } => BenefitKind::Reimbursement,
            Event::Transport { .. } => BenefitKind::TransportBenefit,
            Event::HighCost { .. } => BenefitKind::HighCostBenefit,
            Event::MealDifference { .. } => BenefitKind::MealDifference,
            Event::AnnualOutpatient { .. } => BenefitKind::AnnualOutpatient,
            Event::CombinedCare { .. } => BenefitKind::CombinedCare,
            Event::NotifiedShare { kind, .. } => *kind,
        }
    }

    /// The day eligibility is checked on: the person must be insured then.
    pub fn insured_on(&self) -> Date {
        match self {
            Event::Childbirth { born_on, .. } => *born_on,
            Event::Funeral { died_on, .. } => *died_on,
            Event::Reimbursement { service_on, .. } => *service_on,
            Event::Transport { moved_on, .. } => *moved_on,
            Event::MealDifference { first_meal_on, .. } => *first_meal_on,
            Event::HighCost {
                service_month_first_day,
                ..
            } => *service_month_first_day,
            Event::AnnualOutpatient { base_date, .. } => *base_date,
            Event::CombinedCare { base_date, .. } => *base_date,
            // not insured here on the base date: the share is of the months here
            Event::NotifiedShare {
                last_insured_on, ..
            } => *last_insured_on,
        }
    }

    /// The day from which the two years of 第110条 run: the day after the
    /// right arose (the birth, the funeral, the payment of the care; for
    /// 高額療養費 the first day of the month after the service month).
    pub fn lapse_from(&self) -> Date {
        let next = |d: Date| d.next_day().unwrap_or(d);
        match self {
            Event::Childbirth { born_on, .. } => next(*born_on),
            Event::Funeral { funeral_on, .. } => next(*funeral_on),
            Event::Reimbursement { service_on, .. } => next(*service_on),
            Event::Transport { moved_on, .. } => next(*moved_on),
            Event::MealDifference { last_meal_on, .. } => next(*last_meal_on),
            Event::HighCost {
                service_month_first_day,
                ..
            } => first_of_next_month(*service_month_first_day),
            // the day after the base date (1 August): 保国発1204第2号 as
            // municipal guides quote it
            Event::AnnualOutpatient { base_date, .. } => next(*base_date),
            // the day after the base date (群馬県国保連 「申請時期は、基準日の
            // 7月31日の翌日以降」)
            Event::CombinedCare { base_date, .. } => next(*base_date),
            // the right to the share arises with the year's, after its base date
            Event::NotifiedShare { base_date, .. } => next(*base_date),
        }
    }
}

fn first_of_next_month(d: Date) -> Date {
    let (y, m) = match d.month() {
        time::Month::December => (d.year().saturating_add(1), time::Month::January),
        m => (d.year(), m.next()),
    };
    Date::from_calendar_date(y, m, 1).unwrap_or(d)
}

/// The last day an application for a right arising on `from` may be made:
/// two years (国民健康保険法 第110条第1項 「二年を経過したときは、時効によつて
/// 消滅する」).
pub fn last_day_to_apply(from: Date) -> Date {
    let y = from.year().saturating_add(2);
    // 民法 第143条第2項: the day before the corresponding day; where the
    // last month has no such day (29 Feb), that month's last day.
    match Date::from_calendar_date(y, from.month(), from.day()) {
        Ok(same) => same.previous_day().unwrap_or(same),
        Err(_) => Date::from_calendar_date(y, from.month(), 28).unwrap_or(from),
    }
}

/// An amount with how it was reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount {
    pub amount: i64,
    /// one line a step, in Japanese
    pub steps: Vec<String>,
    /// the rule used: the table's period and source, or the formula's law
    pub rule: String,
    /// the rule's figure is not yet confirmed from its source
    pub provisional: bool,
}

/// Why an application's amount cannot be given; never a panic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BenefitError {
    pub field: &'static str,
    pub reason: String,
    pub reason_ja: String,
}

fn refuse(field: &'static str, reason: impl Into<String>, ja: impl Into<String>) -> BenefitError {
    BenefitError {
        field,
        reason: reason.into(),
        reason_ja: ja.into(),
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct ChildbirthRow {
    from: String,
    covered: i64,
    uncovered: i64,
    source: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct FuneralRow {
    from: String,
    amount: i64,
    #[serde(default)]
    provisional: bool,
    source: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct MealRow {
    from: String,
    #[serde(default)]
    unknown: bool,
    #[serde(default)]
    general: Option<i64>,
    #[serde(default)]
    non_taxable: Option<i64>,
    #[serde(default)]
    non_taxable_long: Option<i64>,
    #[serde(default)]
    low_income1: Option<i64>,
    source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BenefitFile {
    childbirth_grant: Vec<ChildbirthRow>,
    funeral_grant: Vec<FuneralRow>,
    meal_charge: Vec<MealRow>,
}

/// The charges per meal of one period; `None` where the period's figures
/// are not known yet (meals then are refused, not priced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MealCharges {
    pub general: i64,
    pub non_taxable: i64,
    pub non_taxable_long: i64,
    pub low_income1: i64,
}

impl MealCharges {
    fn of(self, c: MealCategory) -> i64 {
        match c {
            MealCategory::NonTaxable => self.non_taxable,
            MealCategory::NonTaxableLong => self.non_taxable_long,
            MealCategory::LowIncome1 => self.low_income1,
        }
    }
}

/// One period of a rule: from a day, with its figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dated<T> {
    pub from: Date,
    pub figures: T,
    pub source: String,
    pub provisional: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildbirthFigures {
    pub covered: i64,
    pub uncovered: i64,
}

/// The benefit rules, checked at load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenefitRules {
    pub childbirth_grant: Vec<Dated<ChildbirthFigures>>,
    pub funeral_grant: Vec<Dated<i64>>,
    pub meal_charge: Vec<Dated<Option<MealCharges>>>,
}

/// Why the table was refused: the field and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("rules/benefits.toml: {field}: {reason}")]
pub struct RulesError {
    pub field: String,
    pub reason: String,
}

fn dated<T>(
    table: &str,
    rows: Vec<(String, T, String, bool)>,
    positive: impl Fn(&T) -> bool,
) -> Result<Vec<Dated<T>>, RulesError> {
    let mut out: Vec<Dated<T>> = Vec::new();
    for (i, (from, figures, source, provisional)) in rows.into_iter().enumerate() {
        let at = |f: &str| format!("{table}[{i}].{f}");
        let from = parse_date(&from).map_err(|e| RulesError {
            field: at("from"),
            reason: e.to_string(),
        })?;
        if out.last().is_some_and(|p| p.from >= from) {
            return Err(RulesError {
                field: at("from"),
                reason: "periods must be in order of their first day".into(),
            });
        }
        if source.trim().is_empty() {
            return Err(RulesError {
                field: at("source"),
                reason: "every period names its source".into(),
            });
        }
        if !positive(&figures) {
            return Err(RulesError {
                field: at("amount"),
                reason: "amounts must be positive".into(),
            });
        }
        out.push(Dated {
            from,
            figures,
            source,
            provisional,
        });
    }
    if out.is_empty() {
        return Err(RulesError {
            field: table.to_string(),
            reason: "no period".into(),
        });
    }
    Ok(out)
}

fn in_force<T>(periods: &[Dated<T>], on: Date) -> Option<&Dated<T>> {
    periods.iter().rev().find(|p| p.from <= on)
}

impl BenefitRules {
    /// The table shipped with this build; a broken table fails every test.
    pub fn shipped() -> Result<BenefitRules, RulesError> {
        BenefitRules::parse(BENEFIT_RULES)
    }

    pub fn parse(text: &str) -> Result<BenefitRules, RulesError> {
        let file: BenefitFile = toml::from_str(text).map_err(|e| RulesError {
            field: "(file)".into(),
            reason: e.to_string(),
        })?;
        let childbirth_grant = dated(
            "childbirth_grant",
            file.childbirth_grant
                .into_iter()
                .map(|r| {
                    (
                        r.from,
                        ChildbirthFigures {
                            covered: r.covered,
                            uncovered: r.uncovered,
                        },
                        r.source,
                        false,
                    )
                })
                .collect(),
            |f| f.uncovered > 0 && f.covered >= f.uncovered && f.covered <= MAX_APPLICATION_YEN,
        )?;
        let funeral_grant = dated(
            "funeral_grant",
            file.funeral_grant
                .into_iter()
                .map(|r| (r.from, r.amount, r.source, r.provisional))
                .collect(),
            |a| *a > 0 && *a <= MAX_APPLICATION_YEN,
        )?;
        let meal_charge = dated(
            "meal_charge",
            file.meal_charge
                .into_iter()
                .map(|r| {
                    let figures =
                        match (r.general, r.non_taxable, r.non_taxable_long, r.low_income1) {
                            (
                                Some(general),
                                Some(non_taxable),
                                Some(non_taxable_long),
                                Some(low_income1),
                            ) if !r.unknown => Some(Some(MealCharges {
                                general,
                                non_taxable,
                                non_taxable_long,
                                low_income1,
                            })),
                            (None, None, None, None) if r.unknown => Some(None),
                            // figures and `unknown` disagree: refused below
                            _ => None,
                        };
                    (r.from, figures, r.source, false)
                })
                .collect(),
            |f| match f {
                Some(Some(m)) => {
                    m.low_income1 > 0
                        && m.non_taxable_long >= m.low_income1
                        && m.non_taxable >= m.non_taxable_long
                        && m.general > m.non_taxable
                }
                Some(None) => true,
                None => false,
            },
        )?
        .into_iter()
        .map(|d| Dated {
            from: d.from,
            figures: d.figures.flatten(),
            source: d.source,
            provisional: d.provisional,
        })
        .collect();
        Ok(BenefitRules {
            childbirth_grant,
            funeral_grant,
            meal_charge,
        })
    }
}

/// 妊娠85日 (4か月) 以上: a stillbirth or miscarriage from then is a birth
/// for the grant (昭和36年7月5日 保険発第63号 as applied to NHI).
pub const GRANT_FROM_GESTATION_DAYS: u32 = 85;
/// 産科医療補償制度 covers births of 22 weeks of pregnancy or more.
pub const COMPENSATION_FROM_GESTATION_DAYS: u32 = 22 * 7;

fn check_yen(field: &'static str, v: i64) -> Result<(), BenefitError> {
    if (0..=MAX_APPLICATION_YEN).contains(&v) {
        Ok(())
    } else {
        Err(refuse(
            field,
            format!("amount outside 0..={MAX_APPLICATION_YEN}"),
            format!(
                "金額は0円以上{}円以下で入力してください",
                yen(MAX_APPLICATION_YEN)
            ),
        ))
    }
}

/// The amount of an application's event, by the rules of its date.
/// `Ok` with amount 0 never happens: nothing to pay is an error naming why.
pub fn amount(rules: &BenefitRules, event: &Event) -> Result<Amount, BenefitError> {
    let out = match event {
        Event::Childbirth {
            born_on,
            children,
            gestation_days,
            compensation_covered,
            paid_directly,
        } => {
            check_yen("paid_directly", *paid_directly)?;
            if *children == 0 || *children > 9 {
                return Err(refuse(
                    "children",
                    "children must be 1 to 9",
                    "出生児数は1〜9で入力してください",
                ));
            }
            if *gestation_days < GRANT_FROM_GESTATION_DAYS {
                return Err(refuse(
                    "gestation_days",
                    "a birth before 85 days of pregnancy is not a birth for the grant",
                    "妊娠85日（4か月）未満の出産は出産育児一時金の対象になりません",
                ));
            }
            let p = in_force(&rules.childbirth_grant, *born_on).ok_or_else(|| {
                refuse(
                    "born_on",
                    "no childbirth grant rule for the date",
                    "出生日に適用される支給額の定めがありません",
                )
            })?;
            let covered =
                *compensation_covered && *gestation_days >= COMPENSATION_FROM_GESTATION_DAYS;
            let each = if covered {
                p.figures.covered
            } else {
                p.figures.uncovered
            };
            let grant = each * i64::from(*children);
            let mut steps = vec![format!(
                "出生日 {born_on}: 1児あたり {}円（{}）",
                yen(each),
                if covered {
                    "産科医療補償制度の対象"
                } else if *compensation_covered {
                    "妊娠22週未満のため産科医療補償制度の加算なし"
                } else {
                    "産科医療補償制度の対象外"
                }
            )];
            if *children > 1 {
                steps.push(format!("{children}児: {}円", yen(grant)));
            }
            let amount = grant - paid_directly;
            if *paid_directly > 0 {
                steps.push(format!(
                    "直接支払制度で医療機関へ支払済み {}円を差し引き: {}円",
                    yen(*paid_directly),
                    yen(amount.max(0))
                ));
            }
            if amount <= 0 {
                return Err(refuse(
                    "paid_directly",
                    "the grant was paid to the facility in full: nothing is left to pay",
                    "直接支払制度で全額を支払済みのため、差額はありません",
                ));
            }
            Amount {
                amount,
                steps,
                rule: format!("benefits.toml childbirth_grant {}: {}", p.from, p.source),
                provisional: p.provisional,
            }
        }
        Event::Funeral {
            died_on,
            funeral_on,
            town,
        } => {
            if funeral_on < died_on {
                return Err(refuse(
                    "funeral_on",
                    "the funeral is before the death",
                    "葬祭日が死亡日より前です",
                ));
            }
            // the town's ordinance, as the town recorded it, decides
            if let Some(t) = town.as_ref().filter(|t| t.from <= *died_on) {
                check_yen("amount", t.amount)?;
                return Ok(Amount {
                    amount: t.amount,
                    steps: vec![format!(
                        "死亡日 {died_on}: 葬祭費 {}円（{}から、{}）",
                        yen(t.amount),
                        t.from,
                        t.source
                    )],
                    rule: format!("国民健康保険法 第58条第1項; {} ({} から)", t.source, t.from),
                    provisional: false,
                });
            }
            let p = in_force(&rules.funeral_grant, *died_on).ok_or_else(|| {
                refuse(
                    "died_on",
                    "no funeral grant rule for the date",
                    "死亡日に適用される支給額の定めがありません",
                )
            })?;
            Amount {
                amount: p.figures,
                steps: vec![format!(
                    "死亡日 {died_on}: 葬祭費 {}円{}",
                    yen(p.figures),
                    if p.provisional { "【暫定】" } else { "" }
                )],
                rule: format!("benefits.toml funeral_grant {}: {}", p.from, p.source),
                provisional: p.provisional,
            }
        }
        Event::Reimbursement {
            kind,
            service_on,
            cost,
            copay_percent,
        } => {
            check_yen("cost", *cost)?;
            if *copay_percent > 100 {
                return Err(refuse(
                    "copay_percent",
                    "copay rate above 100%",
                    "負担割合が正しくありません",
                ));
            }
            let copay = copay_of(*cost, *copay_percent);
            let amount = cost - copay;
            if amount <= 0 {
                return Err(refuse(
                    "cost",
                    "nothing is left after the copay",
                    "一部負担金相当額を差し引くと支給額がありません",
                ));
            }
            Amount {
                amount,
                steps: vec![
                    format!(
                        "{} {service_on}: 保険適用の費用額 {}円",
                        kind.label(),
                        yen(*cost)
                    ),
                    format!(
                        "一部負担金相当額（{}割、10円未満四捨五入）{}円を差し引き: {}円",
                        copay_percent / 10,
                        yen(copay),
                        yen(amount)
                    ),
                ],
                rule: "国民健康保険法 第54条 (療養費), 第42条の2 (端数)".into(),
                provisional: false,
            }
        }
        Event::Transport {
            moved_on,
            paid,
            economical,
        } => {
            check_yen("paid", *paid)?;
            check_yen("economical", *economical)?;
            let amount = (*paid).min(*economical);
            if amount <= 0 {
                return Err(refuse(
                    "paid",
                    "no transport cost",
                    "移送に要した費用がありません",
                ));
            }
            Amount {
                amount,
                steps: vec![
                    format!(
                        "移送日 {moved_on}: 支払った費用 {}円、最も経済的な通常の経路・方法による費用 {}円",
                        yen(*paid),
                        yen(*economical)
                    ),
                    format!("少ない方: {}円", yen(amount)),
                ],
                rule: "国民健康保険法 第54条の4 (移送費)".into(),
                provisional: false,
            }
        }
        Event::MealDifference {
            first_meal_on,
            last_meal_on,
            meals,
            category,
        } => {
            if last_meal_on < first_meal_on {
                return Err(refuse(
                    "last_meal_on",
                    "the last meal is before the first",
                    "最後の食事の日が最初の食事の日より前です",
                ));
            }
            let days = (*last_meal_on - *first_meal_on).whole_days() + 1;
            if *meals == 0 || i64::from(*meals) > days * 3 {
                return Err(refuse(
                    "meals",
                    format!("meals must be 1 to three a day ({} for the stay)", days * 3),
                    format!("食数は1から1日3食まで（この期間は{}食まで）です", days * 3),
                ));
            }
            let first = in_force(&rules.meal_charge, *first_meal_on).ok_or_else(|| {
                refuse(
                    "first_meal_on",
                    "no meal charge for the date",
                    "食事の日に適用される標準負担額の定めがありません",
                )
            })?;
            let last = in_force(&rules.meal_charge, *last_meal_on);
            if last.map(|p| p.from) != Some(first.from) {
                return Err(refuse(
                    "last_meal_on",
                    "the meals cross a change of the charge: apply for each period",
                    "期間の途中で標準負担額が変わります。変更日の前後に分けて申請してください",
                ));
            }
            let charges = first.figures.ok_or_else(|| {
                refuse(
                    "first_meal_on",
                    format!("the meal charges from {} are not confirmed yet", first.from),
                    format!(
                        "{} からの標準負担額が未確認のため計算できません（規則表の更新を待ってください）",
                        first.from
                    ),
                )
            })?;
            let each = charges.general - charges.of(*category);
            let amount = each * i64::from(*meals);
            Amount {
                amount,
                steps: vec![
                    format!(
                        "{first_meal_on}〜{last_meal_on}: 一般の標準負担額 1食 {}円、{} 1食 {}円",
                        yen(charges.general),
                        category.label(),
                        yen(charges.of(*category))
                    ),
                    format!("差額 1食 {}円 × {meals}食 = {}円", yen(each), yen(amount)),
                ],
                rule: format!("benefits.toml meal_charge {}: {}", first.from, first.source),
                provisional: false,
            }
        }
        Event::HighCost {
            service_month_first_day,
            refund,
            already,
            rule,
        } => {
            check_yen("refund", *refund)?;
            check_yen("already", *already)?;
            if *refund <= 0 {
                return Err(refuse(
                    "service_month",
                    "the month's decision has nothing to refund",
                    "この診療月の高額療養費の決定に支給額がありません",
                ));
            }
            let amount = refund - already;
            if amount < 0 {
                // a later run lowered the benefit: what was paid above it is
                // to be returned (返納金, assessed by the supervisor)
                return Err(refuse(
                    "service_month",
                    "the month's decision is now below what was applied for: a recovery (返納) is needed, not a payment",
                    "この診療月の決定額が申請済みの額を下回りました（係長が返納金を調定してください）",
                ));
            }
            if amount == 0 {
                return Err(refuse(
                    "service_month",
                    "the month's decision was applied for in full already",
                    "この診療月の高額療養費は申請済みです",
                ));
            }
            let mut steps = vec![format!(
                "診療月 {}-{:02}: 月次計算の決定による支給額 {}円",
                service_month_first_day.year(),
                u8::from(service_month_first_day.month()),
                yen(*refund)
            )];
            if *already > 0 {
                steps.push(format!(
                    "申請済みの {}円を差し引き、追加の支給額 {}円",
                    yen(*already),
                    yen(amount)
                ));
            }
            Amount {
                amount,
                steps,
                rule: format!("国民健康保険法 第57条の2; {rule}"),
                provisional: false,
            }
        }
        Event::AnnualOutpatient {
            base_date,
            benefit,
            already,
            rule,
            provisional,
        } => {
            check_yen("benefit", *benefit)?;
            check_yen("already", *already)?;
            let year = base_date.year() - 1;
            if *benefit <= 0 {
                return Err(refuse(
                    "year",
                    "the year's decision has nothing to pay",
                    "この年度の外来年間合算の決定に支給額がありません",
                ));
            }
            let amount = benefit - already;
            if amount < 0 {
                return Err(refuse(
                    "year",
                    "the year's decision is now below what was applied for: a recovery (返納) is needed, not a payment",
                    "この年度の決定額が申請済みの額を下回りました（係長が返納金を調定してください）",
                ));
            }
            if amount == 0 {
                return Err(refuse(
                    "year",
                    "the year's decision was applied for in full already",
                    "この年度の外来年間合算は申請済みです",
                ));
            }
            let mut steps = vec![format!(
                "計算期間 {year}-08〜{}-07（基準日 {base_date}）: 年間の計算の決定による支給額 {}円",
                year + 1,
                yen(*benefit)
            )];
            if *already > 0 {
                steps.push(format!(
                    "申請済みの {}円を差し引き、追加の支給額 {}円",
                    yen(*already),
                    yen(amount)
                ));
            }
            Amount {
                amount,
                steps,
                rule: format!("国民健康保険法 第57条の2, 同法施行令 第29条の2の2; {rule}"),
                provisional: *provisional,
            }
        }
        Event::CombinedCare {
            base_date,
            year,
            medical,
            already,
            steps,
            rule,
            provisional,
            ..
        } => {
            check_yen("medical", *medical)?;
            check_yen("already", *already)?;
            if *medical <= 0 {
                return Err(refuse(
                    "year",
                    "the year comes to nothing for this insurer to pay",
                    "この世帯・年度の高額介護合算療養費はありません",
                ));
            }
            let amount = medical - already;
            if amount < 0 {
                return Err(refuse(
                    "year",
                    "the year now comes below what was applied for: a recovery (返納) is needed, not a payment",
                    "この年度の計算額が申請済みの額を下回りました（返納金の調定が必要です）",
                ));
            }
            if amount == 0 {
                return Err(refuse(
                    "year",
                    "the household's year was applied for in full already",
                    "この世帯・年度の高額介護合算療養費は申請済みです",
                ));
            }
            let mut out = steps.clone();
            out.push(format!(
                "計算期間 {year}-08〜{}-07（基準日 {base_date}）: 国民健康保険の支給額 {}円",
                year.saturating_add(1),
                yen(*medical)
            ));
            if *already > 0 {
                out.push(format!(
                    "申請済みの {}円を差し引き、追加の支給額 {}円",
                    yen(*already),
                    yen(amount)
                ));
            }
            Amount {
                amount,
                steps: out,
                rule: format!("国民健康保険法 第57条の3, 同法施行令 第29条の4の2; {rule}"),
                provisional: *provisional,
            }
        }
        Event::NotifiedShare {
            kind,
            year,
            base_date,
            issuer,
            reference,
            notified_on,
            share,
            already,
            ..
        } => {
            check_yen("share", *share)?;
            check_yen("already", *already)?;
            let (what, law) = match kind {
                BenefitKind::AnnualOutpatient => (
                    "外来年間合算",
                    "国民健康保険法 第57条の2, 同法施行令 第29条の2の2",
                ),
                BenefitKind::CombinedCare => (
                    "高額介護合算療養費",
                    "国民健康保険法 第57条の3, 同法施行令 第29条の4の2",
                ),
                _ => {
                    return Err(refuse(
                        "kind",
                        "a share notice is for 外来年間合算 or 高額介護合算 only",
                        "支給額計算結果連絡票は外来年間合算または高額介護合算のものです",
                    ));
                }
            };
            if *share <= 0 {
                return Err(refuse(
                    "amount",
                    "the notice gives no share to pay",
                    "連絡票に当保険者の支給額がありません",
                ));
            }
            let amount = share - already;
            if amount < 0 {
                return Err(refuse(
                    "year",
                    "the notice's share is now below what was applied for: a recovery (返納) is needed, not a payment",
                    "連絡票の支給額が申請済みの額を下回りました（返納金の調定が必要です）",
                ));
            }
            if amount == 0 {
                return Err(refuse(
                    "year",
                    "the notice's share was applied for in full already",
                    "この連絡票の支給額は申請済みです",
                ));
            }
            let mut steps = vec![
                format!(
                    "計算期間 {year}-08〜{}-07（基準日 {base_date}）: 基準日の保険者 {issuer} が{what}を計算",
                    year.saturating_add(1)
                ),
                format!(
                    "支給額計算結果連絡票（{reference}、{notified_on}）による当保険者の支給額 {}円",
                    yen(*share)
                ),
            ];
            if *already > 0 {
                steps.push(format!(
                    "申請済みの {}円を差し引き、追加の支給額 {}円",
                    yen(*already),
                    yen(amount)
                ));
            }
            Amount {
                amount,
                steps,
                rule: format!("{law}; 他保険者（{issuer}）の支給額計算結果連絡票"),
                provisional: false,
            }
        }
    };
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rules() -> BenefitRules {
        BenefitRules::shipped().unwrap()
    }

    fn birth(on: Date, covered: bool, days: u32, children: u8, direct: i64) -> Event {
        Event::Childbirth {
            born_on: on,
            children,
            gestation_days: days,
            compensation_covered: covered,
            paid_directly: direct,
        }
    }

    #[test]
    fn childbirth_grant_changes_on_2023_04_01() {
        // 健康保険法施行令 第36条: 420,000 (408,000 + 12,000) to 2023-03-31,
        // 500,000 (488,000 + 12,000) from 2023-04-01.
        let r = rules();
        let before = amount(&r, &birth(date!(2023 - 03 - 31), true, 280, 1, 0)).unwrap();
        let after = amount(&r, &birth(date!(2023 - 04 - 01), true, 280, 1, 0)).unwrap();
        assert_eq!(before.amount, 420_000);
        assert_eq!(after.amount, 500_000);
        assert!(after.rule.contains("2023-04-01"), "{}", after.rule);
        let before = amount(&r, &birth(date!(2023 - 03 - 31), false, 280, 1, 0)).unwrap();
        let after = amount(&r, &birth(date!(2023 - 04 - 01), false, 280, 1, 0)).unwrap();
        assert_eq!((before.amount, after.amount), (408_000, 488_000));
    }

    #[test]
    fn childbirth_grant_earlier_periods() {
        let r = rules();
        let at = |d, c| amount(&r, &birth(d, c, 280, 1, 0)).unwrap().amount;
        assert_eq!(at(date!(2014 - 12 - 31), false), 390_000);
        assert_eq!(at(date!(2015 - 01 - 01), false), 404_000);
        assert_eq!(at(date!(2021 - 12 - 31), false), 404_000);
        assert_eq!(at(date!(2022 - 01 - 01), false), 408_000);
        assert_eq!(at(date!(2014 - 12 - 31), true), 420_000);
        let err = amount(&r, &birth(date!(2009 - 09 - 30), true, 280, 1, 0)).unwrap_err();
        assert_eq!(err.field, "born_on");
    }

    #[test]
    fn childbirth_twins_gestation_and_direct_payment() {
        let r = rules();
        let d = date!(2026 - 05 - 10);
        assert_eq!(
            amount(&r, &birth(d, true, 260, 2, 0)).unwrap().amount,
            1_000_000
        );
        // under 22 weeks: no 産科医療補償 addition even at a participating facility
        assert_eq!(
            amount(&r, &birth(d, true, 153, 1, 0)).unwrap().amount,
            488_000
        );
        assert_eq!(
            amount(&r, &birth(d, true, 154, 1, 0)).unwrap().amount,
            500_000
        );
        // from 85 days of pregnancy only
        assert_eq!(
            amount(&r, &birth(d, true, 84, 1, 0)).unwrap_err().field,
            "gestation_days"
        );
        assert_eq!(
            amount(&r, &birth(d, true, 85, 1, 0)).unwrap().amount,
            488_000
        );
        // 直接支払制度: the difference to the mother, nothing when paid in full
        let diff = amount(&r, &birth(d, true, 280, 1, 465_000)).unwrap();
        assert_eq!(diff.amount, 35_000);
        assert!(diff.steps.iter().any(|s| s.contains("直接支払制度")));
        assert_eq!(
            amount(&r, &birth(d, true, 280, 1, 500_000))
                .unwrap_err()
                .field,
            "paid_directly"
        );
        assert_eq!(
            amount(&r, &birth(d, true, 280, 0, 0)).unwrap_err().field,
            "children"
        );
    }

    #[test]
    fn funeral_grant_is_the_towns_provisional_amount() {
        let r = rules();
        let a = amount(
            &r,
            &Event::Funeral {
                died_on: date!(2026 - 10 - 01),
                funeral_on: date!(2026 - 10 - 03),
                town: None,
            },
        )
        .unwrap();
        assert_eq!(a.amount, 20_000);
        assert!(a.provisional);
        assert!(a.steps[0].contains("【暫定】"));
        let bad = amount(
            &r,
            &Event::Funeral {
                died_on: date!(2026 - 10 - 03),
                funeral_on: date!(2026 - 10 - 01),
                town: None,
            },
        )
        .unwrap_err();
        assert_eq!(bad.field, "funeral_on");
        // The town's own figure, recorded from its ordinance, decides and
        // is not provisional; a death before it takes the table.
        let town = TownFigure {
            from: date!(2024 - 04 - 01),
            amount: 30_000,
            source: "八頭町国民健康保険条例 第8条".into(),
        };
        let ev = |died_on| Event::Funeral {
            died_on,
            funeral_on: died_on,
            town: Some(town.clone()),
        };
        let a = amount(&r, &ev(date!(2026 - 10 - 01))).unwrap();
        assert_eq!((a.amount, a.provisional), (30_000, false));
        assert!(a.rule.contains("第8条"), "{}", a.rule);
        let a = amount(&r, &ev(date!(2024 - 03 - 31))).unwrap();
        assert_eq!((a.amount, a.provisional), (20_000, true));
    }

    #[test]
    fn reimbursement_is_cost_less_copay_to_ten_yen() {
        let r = rules();
        let ev = |cost, pct| Event::Reimbursement {
            kind: ReimbursementType::JudoTherapy,
            service_on: date!(2026 - 09 - 15),
            cost,
            copay_percent: pct,
        };
        // 12,345 × 30% = 3,703.5 → 3,700 (under 5 yen dropped) → 8,645
        assert_eq!(amount(&r, &ev(12_345, 30)).unwrap().amount, 8_645);
        // 12,355 × 30% = 3,706.5 → 3,710 → 8,645
        assert_eq!(amount(&r, &ev(12_355, 30)).unwrap().amount, 8_645);
        // 20%: 50,000 → 40,000
        assert_eq!(amount(&r, &ev(50_000, 20)).unwrap().amount, 40_000);
        assert_eq!(amount(&r, &ev(-1, 30)).unwrap_err().field, "cost");
        assert_eq!(
            amount(&r, &ev(MAX_APPLICATION_YEN + 1, 30))
                .unwrap_err()
                .field,
            "cost"
        );
    }

    #[test]
    fn transport_pays_the_economical_route_at_most() {
        let r = rules();
        let ev = |paid, economical| Event::Transport {
            moved_on: date!(2026 - 09 - 15),
            paid,
            economical,
        };
        assert_eq!(amount(&r, &ev(30_000, 18_000)).unwrap().amount, 18_000);
        assert_eq!(amount(&r, &ev(12_000, 18_000)).unwrap().amount, 12_000);
        assert_eq!(amount(&r, &ev(0, 18_000)).unwrap_err().field, "paid");
    }

    #[test]
    fn meal_difference_by_the_charges_of_the_meals_dates() {
        let r = rules();
        let ev = |from, to, meals, category| Event::MealDifference {
            first_meal_on: from,
            last_meal_on: to,
            meals,
            category,
        };
        // 2025-04-01 to 2026-05-31: 510 − 240 = 270 a meal
        let a = amount(
            &r,
            &ev(
                date!(2025 - 10 - 01),
                date!(2025 - 10 - 10),
                30,
                MealCategory::NonTaxable,
            ),
        )
        .unwrap();
        assert_eq!(a.amount, 270 * 30);
        // before and after 2024-06-01 and 2025-04-01
        let one = |d, c| amount(&r, &ev(d, d, 1, c)).unwrap().amount;
        assert_eq!(
            one(date!(2024 - 05 - 31), MealCategory::NonTaxable),
            460 - 210
        );
        assert_eq!(
            one(date!(2024 - 06 - 01), MealCategory::NonTaxable),
            490 - 230
        );
        assert_eq!(
            one(date!(2025 - 03 - 31), MealCategory::LowIncome1),
            490 - 110
        );
        assert_eq!(
            one(date!(2025 - 04 - 01), MealCategory::LowIncome1),
            510 - 110
        );
        assert_eq!(
            one(date!(2025 - 04 - 01), MealCategory::NonTaxableLong),
            510 - 190
        );
        // a stay across a change is applied for in two parts
        let e = amount(
            &r,
            &ev(
                date!(2025 - 03 - 30),
                date!(2025 - 04 - 02),
                6,
                MealCategory::NonTaxable,
            ),
        )
        .unwrap_err();
        assert_eq!(e.field, "last_meal_on");
        // the FY2026 charges are not known: refused, not priced at the old ones
        let e = amount(
            &r,
            &ev(
                date!(2026 - 06 - 01),
                date!(2026 - 06 - 03),
                9,
                MealCategory::NonTaxable,
            ),
        )
        .unwrap_err();
        assert_eq!(e.field, "first_meal_on");
        assert!(e.reason_ja.contains("未確認"));
        // at most three meals a day
        let e = amount(
            &r,
            &ev(
                date!(2025 - 10 - 01),
                date!(2025 - 10 - 02),
                7,
                MealCategory::NonTaxable,
            ),
        )
        .unwrap_err();
        assert_eq!(e.field, "meals");
    }

    #[test]
    fn a_later_decision_pays_the_difference_only() {
        let r = rules();
        let ev = |refund, already| Event::HighCost {
            service_month_first_day: date!(2026 - 09 - 01),
            refund,
            already,
            rule: "run".into(),
        };
        assert_eq!(amount(&r, &ev(12_000, 0)).unwrap().amount, 12_000);
        let more = amount(&r, &ev(12_000, 10_000)).unwrap();
        assert_eq!(more.amount, 2_000);
        assert!(more.steps[1].contains("申請済み"));
        assert!(
            amount(&r, &ev(12_000, 12_000))
                .unwrap_err()
                .reason_ja
                .contains("申請済み")
        );
        assert!(
            amount(&r, &ev(9_000, 12_000))
                .unwrap_err()
                .reason_ja
                .contains("返納")
        );
    }

    #[test]
    fn a_notified_share_pays_its_difference_is_checked_on_the_last_day_here_and_lapses_after_the_base_date()
     {
        let r = rules();
        let ev = |kind, share, already| Event::NotifiedShare {
            kind,
            year: 2026,
            base_date: date!(2027 - 07 - 31),
            last_insured_on: date!(2027 - 02 - 14),
            issuer: "06130012".into(),
            reference: "第123号".into(),
            notified_on: date!(2027 - 09 - 20),
            share,
            already,
        };
        let e = ev(BenefitKind::AnnualOutpatient, 18_000, 0);
        assert_eq!(e.kind(), BenefitKind::AnnualOutpatient);
        assert_eq!(e.insured_on(), date!(2027 - 02 - 14));
        assert_eq!(e.lapse_from(), date!(2027 - 08 - 01));
        let a = amount(&r, &e).unwrap();
        assert_eq!(a.amount, 18_000);
        assert!(!a.provisional);
        assert!(a.steps[0].contains("06130012") && a.steps[0].contains("外来年間合算"));
        assert!(a.steps[1].contains("第123号") && a.steps[1].contains("18,000円"));
        assert!(a.rule.contains("第57条の2"));
        let c = amount(&r, &ev(BenefitKind::CombinedCare, 30_000, 18_000)).unwrap();
        assert_eq!(c.amount, 12_000);
        assert!(c.rule.contains("第57条の3") && c.steps[2].contains("申請済み"));
        let refused = |k, s, a| amount(&r, &ev(k, s, a)).unwrap_err().reason_ja;
        assert!(refused(BenefitKind::CombinedCare, 30_000, 30_000).contains("申請済み"));
        assert!(refused(BenefitKind::CombinedCare, 20_000, 30_000).contains("返納"));
        assert!(refused(BenefitKind::AnnualOutpatient, 0, 0).contains("支給額がありません"));
        assert!(refused(BenefitKind::FuneralGrant, 1_000, 0).contains("連絡票"));
    }

    #[test]
    fn an_annual_outpatient_decision_pays_its_difference_and_lapses_from_1_august() {
        let r = rules();
        let ev = |benefit, already, provisional| Event::AnnualOutpatient {
            base_date: date!(2027 - 07 - 31),
            benefit,
            already,
            rule: "run".into(),
            provisional,
        };
        let a = amount(&r, &ev(26_000, 0, false)).unwrap();
        assert_eq!((a.amount, a.provisional), (26_000, false));
        assert!(a.rule.contains("第29条の2の2"));
        assert_eq!(
            amount(&r, &ev(26_000, 14_000, false)).unwrap().amount,
            12_000
        );
        // A share by a provisional split stays provisional: it cannot be
        // decided to pay until the split is confirmed.
        assert!(amount(&r, &ev(26_000, 0, true)).unwrap().provisional);
        for (benefit, already, says) in [
            (26_000, 26_000, "申請済み"),
            (9_000, 12_000, "返納"),
            (0, 0, "支給額がありません"),
        ] {
            let e = amount(&r, &ev(benefit, already, false)).unwrap_err();
            assert_eq!(e.field, "year");
            assert!(e.reason_ja.contains(says), "{}", e.reason_ja);
        }
        // The person must be insured on the base date; two years run from
        // the day after it.
        let e = ev(1, 0, false);
        assert_eq!(e.insured_on(), date!(2027 - 07 - 31));
        assert_eq!(e.lapse_from(), date!(2027 - 08 - 01));
        assert_eq!(last_day_to_apply(e.lapse_from()), date!(2029 - 07 - 31));
    }

    #[test]
    fn a_combined_care_year_pays_this_insurer_s_part_less_what_was_applied_for() {
        let r = rules();
        let ev = |medical, already| Event::CombinedCare {
            base_date: date!(2025 - 07 - 31),
            year: 2024,
            medical,
            already,
            steps: vec!["① …".into()],
            rule: "combined_care.toml".into(),
            provisional: false,
            members: vec!["A".into()],
        };
        let a = amount(&r, &ev(20_000, 0)).unwrap();
        assert_eq!(a.amount, 20_000);
        assert_eq!(a.steps[0], "① …");
        assert!(a.rule.contains("第57条の3"));
        assert_eq!(amount(&r, &ev(20_000, 5_000)).unwrap().amount, 15_000);
        for (medical, already, says) in [
            (20_000, 20_000, "申請済み"),
            (9_000, 12_000, "返納"),
            (0, 0, "ありません"),
        ] {
            let e = amount(&r, &ev(medical, already)).unwrap_err();
            assert_eq!(e.field, "year");
            assert!(e.reason_ja.contains(says), "{}", e.reason_ja);
        }
        assert_eq!(ev(1, 0).lapse_from(), date!(2025 - 08 - 01));
        assert_eq!(ev(1, 0).kind(), BenefitKind::CombinedCare);
    }

    #[test]
    fn two_years_to_apply() {
        // a right arising on 2024-03-01 lapses after 2026-02-28
        assert_eq!(
            last_day_to_apply(date!(2024 - 03 - 01)),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            last_day_to_apply(date!(2024 - 02 - 29)),
            date!(2026 - 02 - 28)
        );
        let hc = Event::HighCost {
            service_month_first_day: date!(2026 - 12 - 01),
            refund: 1,
            already: 0,
            rule: String::new(),
        };
        assert_eq!(hc.lapse_from(), date!(2027 - 01 - 01));
    }

    #[test]
    fn table_refuses_disorder_and_missing_sources() {
        let good = BENEFIT_RULES;
        assert!(BenefitRules::parse(good).is_ok());
        let swapped = good.replacen("2015-01-01", "2008-01-01", 1);
        assert_eq!(
            BenefitRules::parse(&swapped).unwrap_err().field,
            "childbirth_grant[1].from"
        );
        let zero = good.replacen("amount = 20000", "amount = 0", 1);
        assert_eq!(
            BenefitRules::parse(&zero).unwrap_err().field,
            "funeral_grant[0].amount"
        );
    }

    #[test]
    fn kinds_round_trip() {
        for k in BenefitKind::ALL {
            assert_eq!(BenefitKind::parse(k.code()), Some(k));
        }
        for t in ReimbursementType::ALL {
            assert_eq!(ReimbursementType::parse(t.code()), Some(t));
        }
        assert_eq!(
            BenefitKind::parse("childbirth-grant"),
            Some(BenefitKind::ChildbirthGrant)
        );
    }
}
