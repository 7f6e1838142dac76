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
