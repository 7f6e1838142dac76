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
