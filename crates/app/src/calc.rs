//! Trial calculations (試算): what the rules make of figures the caller
//! gives, with no stored data read or written. Shared by the API
//! (`POST /api/v1/calc/burden`) and the CLI (`kokuho calc burden`).

use kokuho_domain::burden::{self, AgeGroup, BurdenRules, Income, Member};
use serde::{Deserialize, Serialize};

use crate::{AppError, Result};

/// The household and month to judge (docs/api/calc.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurdenRequest {
    /// YYYY-MM
    pub month: String,
    pub members: Vec<BurdenMember>,
    #[serde(default)]
    pub standard_income_application: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurdenMember {
    pub id: String,
    /// YYYY-MM-DD (or 和暦)
    pub birth_date: String,
    pub insured: bool,
    #[serde(default)]
    pub householder: bool,
    /// 特定同一世帯所属者: not insured, moved from this NHI to 後期高齢者医療
    /// and still in the household (counts for 基準収入額適用)
    #[serde(default)]
    pub former_insured_late_elderly: bool,
    #[serde(default)]
    pub income: Income,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct BurdenResponse {
    pub month: String,
    /// ア|イ|ウ|エ|オ, or null when no insured member is under 70
    pub category_under_70: Option<String>,
    /// 現役並みⅢ|現役並みⅡ|現役並みⅠ|一般|低所得Ⅱ|低所得Ⅰ, or null
    pub category_70_74: Option<String>,
    pub members: Vec<MemberRate>,
    pub reasons: Vec<String>,
    /// the calendar year whose income applies to the month (August switch)
    pub income_year: i32,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MemberRate {
    pub id: String,
    /// 3割 | 2割
    pub copay_rate: String,
    /// preschool | under_70 | 70_74
    pub age_group: String,
}

fn invalid(field: &'static str, en: impl Into<String>, ja: impl Into<String>) -> AppError {
    AppError::invalid(field, en, ja)
}

/// Judges the household's categories and copay rates for the month.
pub fn burden(req: &BurdenRequest) -> Result<BurdenResponse> {
    let rules = BurdenRules::shipped().map_err(|e| AppError::Setup {
        message_en: format!("the burden rule table is broken: {e}"),
        message_ja: "負担区分の規則表に誤りがあります".into(),
    })?;
    let month = burden::parse_month(&req.month).ok_or_else(|| {
        invalid(
            "month",
            "month must be YYYY-MM",
            "月は YYYY-MM の形式で入力してください",
        )
    })?;
    let mut members = Vec::with_capacity(req.members.len());
    for m in &req.members {
        let birth_date = crate::registry::parse_date("birth_date", &m.birth_date).map_err(|e| {
            invalid(
                "birth_date",
                format!("members[{}].birth_date: {}", m.id, e.message_en()),
                format!("{}の生年月日: {}", m.id, e.message_ja()),
            )
        })?;
        members.push(Member {
            id: m.id.clone(),
            birth_date,
            insured: m.insured,
            householder: m.householder,
            former_insured_late_elderly: m.former_insured_late_elderly,
            income: m.income.clone(),
        });
    }
    let b =
        burden::compute(&rules, month, &members, req.standard_income_application).map_err(|e| {
            AppError::Invalid {
                field: if e.field.starts_with("members") {
                    "members"
                } else {
                    "month"
                },
                message_en: e.to_string(),
                message_ja: e.reason_ja,
            }
        })?;
    Ok(BurdenResponse {
        month: burden::format_month(b.month),
        category_under_70: b.under70.map(|c| c.label().to_string()),
        category_70_74: b.elderly.map(|c| c.label().to_string()),
        members: b
            .members
            .iter()
            .map(|(id, g, rate)| MemberRate {
                id: id.clone(),
                copay_rate: rate.to_string(),
                age_group: match g {
                    AgeGroup::Preschool => "preschool",
                    AgeGroup::Under70 => "under_70",
                    AgeGroup::Elderly => "70_74",
                }
                .to_string(),
            })
            .collect(),
        reasons: b.reasons,
        income_year: burden::income_year_for(month),
    })
}

/// One component's rates for a what-if.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LevyRatesInput {
    /// 所得割 in percent (up to three decimals)
    pub income_rate_percent: f64,
    /// 均等割 (yen a year per insured member)
    pub per_capita: i64,
    /// 平等割 (yen a year per household)
    #[serde(default)]
    pub per_household: i64,
    /// 賦課限度額; absent = the national cap
    #[serde(default)]
    pub cap: Option<i64>,
}

/// A member's income of the year before the fiscal year (yen).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LevyIncomeInput {
    /// 総所得金額等
    #[serde(default)]
    pub total_income: i64,
    /// 給与収入
    #[serde(default)]
    pub salary_revenue: i64,
    /// 給与所得
    #[serde(default)]
    pub salary_income: i64,
    /// 公的年金等収入
    #[serde(default)]
    pub pension_revenue: i64,
    /// 公的年金等所得
    #[serde(default)]
    pub pension_income: i64,
}

/// 産前産後: the due (or birth) month.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChildbirthInput {
    /// YYYY-MM
    pub month: String,
    /// more than one child
    #[serde(default)]
    pub multiple: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LevyMemberInput {
    pub id: String,
    /// YYYY-MM-DD or 和暦
    pub birth_date: String,
    /// NHI-insured at some time in the fiscal year
    pub insured: bool,
    /// the tax obligor (擬制世帯主 when not insured)
    #[serde(default)]
    pub householder: bool,
    /// 特定同一世帯所属者 (counts for the reduction test)
    #[serde(default)]
    pub former_insured_late_elderly: bool,
    /// first day insured; default 1 April of the fiscal year
    #[serde(default)]
    pub insured_from: Option<String>,
    /// last day insured; default to the year's end (NHI ends at 75)
    #[serde(default)]
    pub insured_until: Option<String>,
    #[serde(default)]
    pub income: LevyIncomeInput,
    /// 非自発的失業者: salary income counted at 30%
    #[serde(default)]
    pub involuntary_unemployed: bool,
    /// 旧被扶養者 (the ordinance's 減免)
    #[serde(default)]
    pub former_dependent: bool,
    #[serde(default)]
    pub childbirth: Option<ChildbirthInput>,
}

/// The household and the fiscal year (docs/api/calc.md).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LevyRequest {
    pub fiscal_year: i32,
    /// the ordinance profile; default yazu
    #[serde(default)]
    pub municipality: Option<String>,
    /// per component (medical, elderly_support, care, child_support): rates replacing the profile's
    #[serde(default)]
    pub rates: std::collections::BTreeMap<String, LevyRatesInput>,
    pub members: Vec<LevyMemberInput>,
    /// null, specified (特定世帯) or specified_continuing (特定継続世帯)
    #[serde(default)]
    pub specified_household: Option<String>,
}

/// One component for the year, prorated (yen).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentOut {
    /// 所得割
    pub income_levy: i64,
    /// 均等割 before reductions
    pub per_capita: i64,
    /// 平等割 before reductions
    pub per_household: i64,
    /// what the reductions took
    pub reduction: i64,
    /// what the cap took
    pub over_cap: i64,
    /// the part under 100 yen cut
    pub rounded_off: i64,
    pub amount: i64,
    /// months the component applied
    pub months: u8,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstallmentOut {
    pub number: u8,
    /// YYYY-MM-DD
    pub due_date: String,
    pub amount: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevyResponse {
    pub fiscal_year: i32,
    pub municipality: String,
    /// the profile's figures are not confirmed from the ordinance
    pub provisional: bool,
    pub total: i64,
    /// 7割, 5割, 2割 or null
    pub reduction: Option<String>,
    /// by component code
    pub components: std::collections::BTreeMap<String, ComponentOut>,
    pub installments: Vec<InstallmentOut>,
    pub explanation: Vec<String>,
}

fn levy_date(field: &'static str, id: &str, s: &str) -> Result<time::Date> {
    crate::registry::parse_date(field, s).map_err(|e| {
        invalid(
            field,
            format!("members[{id}].{field}: {}", e.message_en()),
            format!("{id}の{field}: {}", e.message_ja()),
        )
    })
}

/// The household's levy for the fiscal year, with the profile's or the
/// given rates.
pub fn levy(req: &LevyRequest) -> Result<LevyResponse> {
    use kokuho_domain::levy::{
        self, Childbirth, ComponentRates, LevyHousehold, LevyIncome, LevyMember, LevyRules, Rate,
        SpecifiedHousehold, Terms,
    };
    let rules = LevyRules::shipped().map_err(|e| AppError::Setup {
        message_en: format!("the levy rule table is broken: {e}"),
        message_ja: "賦課の規則表に誤りがあります".into(),
    })?;
    let fy = req.fiscal_year;
    let national = rules.national(fy).ok_or_else(|| {
        invalid(
            "fiscal_year",
            format!("no rules for fiscal year {fy}"),
            format!("{fy}年度の規則がありません"),
        )
    })?;
    let municipality = req.municipality.clone().unwrap_or_else(|| "yazu".into());
    let ordinance = rules.ordinance(&municipality, fy).ok_or_else(|| {
        invalid(
            "municipality",
            format!("no ordinance profile {municipality} for {fy}"),
            format!("{municipality}の{fy}年度の税率がありません"),
        )
    })?;
    let mut rates = ordinance.rates.clone();
    for (c, r) in &req.rates {
        if !national.caps.contains_key(c) {
            return Err(invalid(
                "rates",
                format!("component {c} is not levied in {fy}"),
                format!("{c}は{fy}年度の区分ではありません"),
            ));
        }
        let income_rate = Rate::from_percent_f64(r.income_rate_percent).ok_or_else(|| {
            invalid(
                "rates",
                format!("rates.{c}.income_rate_percent: 0–100 with up to 3 decimals"),
                "所得割の税率は0〜100、小数点以下3桁までです",
            )
        })?;
        if r.per_capita < 0 || r.per_household < 0 || r.cap.is_some_and(|c| c < 0) {
            return Err(invalid(
                "rates",
                format!("rates.{c}: negative amount"),
                "金額が負です",
            ));
        }
        rates.insert(
            c.clone(),
            ComponentRates {
                income_rate,
                per_capita: r.per_capita,
                per_household: r.per_household,
                cap: r.cap,
            },
        );
    }
    let specified = match req.specified_household.as_deref() {
        None | Some("") => None,
        Some("specified") => Some(SpecifiedHousehold::Specified),
        Some("specified_continuing") => Some(SpecifiedHousehold::SpecifiedContinuing),
        Some(_) => {
            return Err(invalid(
                "specified_household",
                "specified_household must be null, specified or specified_continuing",
                "特定世帯の指定は null、specified、specified_continuing のいずれかです",
            ));
        }
    };
    let mut members = Vec::with_capacity(req.members.len());
    for m in &req.members {
        let childbirth = match &m.childbirth {
            None => None,
            Some(c) => Some(Childbirth {
                month: burden::parse_month(&c.month).ok_or_else(|| {
                    invalid(
                        "childbirth",
                        format!("members[{}].childbirth.month must be YYYY-MM", m.id),
                        format!("{}の出産予定月は YYYY-MM です", m.id),
                    )
                })?,
                multiple: c.multiple,
            }),
        };
        members.push(LevyMember {
            id: m.id.clone(),
            birth_date: levy_date("birth_date", &m.id, &m.birth_date)?,
            insured: m.insured,
            householder: m.householder,
            former_insured_late_elderly: m.former_insured_late_elderly,
            insured_from: m
                .insured_from
                .as_deref()
                .map(|d| levy_date("insured_from", &m.id, d))
                .transpose()?,
            insured_until: m
                .insured_until
                .as_deref()
                .map(|d| levy_date("insured_until", &m.id, d))
                .transpose()?,
            further_periods: vec![],
            income: LevyIncome {
                total_income: m.income.total_income,
                salary_revenue: m.income.salary_revenue,
                salary_income: m.income.salary_income,
                pension_revenue: m.income.pension_revenue,
                pension_income: m.income.pension_income,
            },
            involuntary_unemployed: m.involuntary_unemployed,
            former_dependent: m.former_dependent,
            childbirth,
        });
    }
    let terms = Terms {
        rates: &rates,
        ..Terms::of(national, ordinance)
    };
    let l = levy::compute(
        &terms,
        &LevyHousehold {
            fiscal_year: fy,
            members,
            specified,
        },
    )
    .map_err(|e| AppError::Invalid {
        field: "members",
        message_en: e.to_string(),
        message_ja: e.reason_ja,
    })?;
    let provisional = !ordinance.confirmed && req.rates.len() < national.caps.len();
    let mut explanation = l.explanation;
    if provisional {
        explanation.insert(
            0,
            format!(
                "{}の{}年度の税率は条例で確認できていない暫定値です（docs/levy.md）",
                ordinance.name, fy
            ),
        );
    }
    Ok(LevyResponse {
        fiscal_year: fy,
        municipality,
        provisional,
        total: l.total,
        reduction: l.reduction.map(|r| r.label().to_string()),
        components: l
            .components
            .iter()
            .map(|(c, p)| {
                (
                    c.code().to_string(),
                    ComponentOut {
                        income_levy: p.income_levy,
                        per_capita: p.per_capita,
                        per_household: p.per_household,
                        reduction: p.reduction,
                        over_cap: p.over_cap,
                        rounded_off: p.rounded_off,
                        amount: p.amount,
                        months: p.months,
                    },
                )
            })
            .collect(),
        installments: l
            .installments
            .iter()
            .map(|i| InstallmentOut {
                number: i.number,
                due_date: i.due_date.to_string(),
                amount: i.amount,
            })
            .collect(),
        explanation,
    })
}

/// One member of the household in the month.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HighCostMemberInput {
    pub id: String,
    /// YYYY-MM-DD (or 和暦)
    pub birth_date: String,
    /// YYYY-MM-DD: the day the member joined NHI as the dependant of an
    /// employee-insured who moved to 後期高齢者医療 (half individual limits
    /// that month unless it is the 1st)
    #[serde(default)]
    pub joined_as_dependant_on: Option<String>,
}

/// One claim (レセプト) of the month, in yen.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HighCostClaimInput {
    /// how the caller names the claim (optional; default its place)
    #[serde(default)]
    pub reference: Option<String>,
    pub member: String,
    pub provider: String,
    /// inpatient | outpatient | pharmacy
    pub setting: String,
    #[serde(default)]
    pub dental: bool,
    /// pharmacy only: the prescribing provider
    #[serde(default)]
    pub prescriber: Option<String>,
    /// 療養に要した費用 (医療費)
    pub total_cost: i64,
    /// 一部負担金 at the copay rate, before any limit
    pub copay: i64,
    /// what the provider charged under a limit certificate (限度額適用) or
    /// the 特定疾病 card; absent = the copay (特定疾病: its limit)
    #[serde(default)]
    pub charged: Option<i64>,
    /// 特定疾病 (人工透析, 血友病, HIV の抗ウイルス剤)
    #[serde(default)]
    pub specified_disease: bool,
    /// the 特定疾病 is 人工透析 (20,000 yen for 上位所得 under 70)
    #[serde(default)]
    pub dialysis: bool,
}

/// The household's month (docs/api/calc.md).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HighCostRequest {
    /// the service month, YYYY-MM
    pub month: String,
    /// ア|イ|ウ|エ|オ (needed when a member under 70 has claims)
    #[serde(default)]
    pub category_under_70: Option<String>,
    /// 現役並みⅢ|現役並みⅡ|現役並みⅠ|一般|低所得Ⅱ|低所得Ⅰ (needed when a
    /// member aged 70–74 has claims)
    #[serde(default)]
    pub category_70_74: Option<String>,
    /// earlier months with a household high-cost benefit, YYYY-MM (here or
    /// handed over from another municipality of the prefecture)
    #[serde(default)]
    pub prior_high_cost_months: Vec<String>,
    pub members: Vec<HighCostMemberInput>,
    pub claims: Vec<HighCostClaimInput>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HighCostMemberOut {
    pub id: String,
    /// preschool | under_70 | 70_74
    pub age_group: String,
    /// the month of the 75th birthday (half individual limits)
    pub turns_75: bool,
    /// the month of joining as the dependant of an employee moved to
    /// 後期高齢者医療 (half individual limits, half 合算 floor under 70)
    pub dependant_half: bool,
    /// the member's share of the benefit
    pub benefit: i64,
    /// 70–74: the outpatient copay still borne after the month's benefits
    /// (what the annual outpatient cap adds up)
    pub outpatient_left: i64,
}

/// A claim unit (レセプト単位).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HighCostUnitOut {
    pub member: String,
    pub provider: String,
    /// inpatient | outpatient
    pub setting: String,
    pub dental: bool,
    pub specified_disease: bool,
    pub total_cost: i64,
    pub copay: i64,
    pub charged: i64,
    /// added up in the household step
    pub aggregated: bool,
    pub claims: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HighCostResponse {
    pub month: String,
    /// the household's benefit (高額療養費)
    pub benefit: i64,
    /// the 多数回 limits applied
    pub frequent_case: bool,
    /// counts towards later 多数回
    pub counts_as_high_cost_month: bool,
    /// already held back by providers (limit certificate, 特定疾病)
    pub paid_in_kind: i64,
    /// to pay the household: benefit less what was paid in kind
    pub refund: i64,
    /// paid in kind beyond the benefit (to check with the providers)
    pub in_kind_excess: i64,
    pub members: Vec<HighCostMemberOut>,
    pub units: Vec<HighCostUnitOut>,
    pub steps: Vec<String>,
    /// where the month's limits come from
    pub source: String,
}

fn under_70_category(s: &str) -> Option<burden::Under70> {
    burden::Under70::from_label(s)
}

fn elderly_category(s: &str) -> Option<burden::Elderly> {
    burden::Elderly::from_label(s)
}

/// The household's high-cost benefit for the month, step by step.
pub fn high_cost(req: &HighCostRequest) -> Result<HighCostResponse> {
    use kokuho_domain::high_cost::{self, Claim, Household, Setting};
    let rules = crate::high_cost::shipped_rules()?;
    let month = burden::parse_month(&req.month).ok_or_else(|| {
        invalid(
            "month",
            "month must be YYYY-MM",
            "診療月は YYYY-MM の形式で入力してください",
        )
    })?;
    let under_70 = match req.category_under_70.as_deref() {
        None | Some("") => None,
        Some(s) => Some(under_70_category(s).ok_or_else(|| {
            invalid(
                "category_under_70",
                format!("category_under_70 {s:?} is not one of ア, イ, ウ, エ, オ"),
                "70歳未満の適用区分はア・イ・ウ・エ・オのいずれかです",
            )
        })?),
    };
    let elderly = match req.category_70_74.as_deref() {
        None | Some("") => None,
        Some(s) => Some(elderly_category(s).ok_or_else(|| {
            invalid(
                "category_70_74",
                format!("category_70_74 {s:?} is not one of 現役並みⅢ, 現役並みⅡ, 現役並みⅠ, 一般, 低所得Ⅱ, 低所得Ⅰ"),
                "70〜74歳の適用区分は現役並みⅢ・Ⅱ・Ⅰ、一般、低所得Ⅱ・Ⅰのいずれかです",
            )
        })?),
    };
    let mut prior = Vec::with_capacity(req.prior_high_cost_months.len());
    for (i, m) in req.prior_high_cost_months.iter().enumerate() {
        prior.push(burden::parse_month(m).ok_or_else(|| {
            invalid(
                "prior_high_cost_months",
                format!("prior_high_cost_months[{i}] {m:?} is not YYYY-MM"),
                format!("過去の該当月 {m} は YYYY-MM の形式で入力してください"),
            )
        })?);
    }
    let mut members = Vec::with_capacity(req.members.len());
    for m in &req.members {
        let birth_date = crate::registry::parse_date("birth_date", &m.birth_date).map_err(|e| {
            invalid(
                "members",
                format!("members[{}].birth_date: {}", m.id, e.message_en()),
                format!("{}の生年月日: {}", m.id, e.message_ja()),
            )
        })?;
        let joined_as_dependant_on = match m.joined_as_dependant_on.as_deref() {
            None | Some("") => None,
            Some(d) => Some(
                crate::registry::parse_date("joined_as_dependant_on", d).map_err(|e| {
                    invalid(
                        "members",
                        format!(
                            "members[{}].joined_as_dependant_on: {}",
                            m.id,
                            e.message_en()
                        ),
                        format!("{}の加入日: {}", m.id, e.message_ja()),
                    )
                })?,
            ),
        };
        members.push(high_cost::Member {
            id: m.id.clone(),
            birth_date,
            joined_as_dependant_on,
        });
    }
    let mut claims = Vec::with_capacity(req.claims.len());
    for (i, c) in req.claims.iter().enumerate() {
        let setting = Setting::parse(&c.setting).ok_or_else(|| {
            invalid(
                "claims",
                format!(
                    "claims[{i}].setting {:?} is not inpatient, outpatient or pharmacy",
                    c.setting
                ),
                format!(
                    "{}件目のレセプトの種別は inpatient・outpatient・pharmacy のいずれかです",
                    i + 1
                ),
            )
        })?;
        claims.push(Claim {
            reference: c
                .reference
                .clone()
                .unwrap_or_else(|| format!("claims[{i}]")),
            member: c.member.clone(),
            provider: c.provider.clone(),
            setting,
            dental: c.dental,
            prescriber: c.prescriber.clone(),
            total_cost: c.total_cost,
            copay: c.copay,
            charged: c.charged,
            specified_disease: c.specified_disease,
            dialysis: c.dialysis,
        });
    }
    let r = high_cost::compute(
        &rules,
        &Household {
            month,
            under_70,
            elderly,
            prior_high_cost_months: &prior,
            members: &members,
            claims: &claims,
        },
    )
    .map_err(|e| AppError::Invalid {
        field: match e.field.split(['[', '.']).next().unwrap_or("") {
            "claims" => "claims",
            "members" => "members",
            "category_under_70" => "category_under_70",
            "category_70_74" => "category_70_74",
            _ => "month",
        },
        message_en: e.to_string(),
        message_ja: e.reason_ja,
    })?;
    Ok(HighCostResponse {
        month: burden::format_month(r.month),
        benefit: r.benefit,
        frequent_case: r.frequent_case,
        counts_as_high_cost_month: r.counts_as_high_cost_month,
        paid_in_kind: r.paid_in_kind,
        refund: r.refund,
        in_kind_excess: r.in_kind_excess,
        members: r
            .members
            .into_iter()
            .map(|m| HighCostMemberOut {
                id: m.id,
                age_group: m.age_group.to_string(),
                turns_75: m.turns_75,
                dependant_half: m.dependant_half,
                benefit: m.benefit,
                outpatient_left: m.outpatient_left,
            })
            .collect(),
        units: r
            .units
            .into_iter()
            .map(|u| HighCostUnitOut {
                member: u.member,
                provider: u.provider,
                setting: if u.inpatient {
                    "inpatient"
                } else {
                    "outpatient"
                }
                .to_string(),
                dental: u.dental,
                specified_disease: u.specified_disease,
                total_cost: u.total_cost,
                copay: u.copay,
                charged: u.charged,
                aggregated: u.aggregated,
                claims: u.claims,
            })
            .collect(),
        steps: r.steps,
        source: r.source,
    })
}
