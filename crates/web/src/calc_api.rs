//! Trial calculations under `/api/v1/calc`: figures in, what the rules make
//! of them out. Nothing is read from or written to the database; a signed-in
//! session is needed (no particular permission) and nothing is access-logged,
//! as no person is named.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use kokuho_app::calc::{self, BurdenMember, BurdenRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::SignedIn;
use crate::error::{ApiError, ErrorBody, unreadable};
use kokuho_app::Kokuho;

pub fn routes() -> OpenApiRouter<Kokuho> {
    OpenApiRouter::new()
        .routes(routes!(burden))
        .routes(routes!(levy))
        .routes(routes!(high_cost))
}

/// A member's income for the year that applies to the month (yen).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct IncomeDto {
    /// 総所得金額等
    #[serde(default)]
    pub total_income: i64,
    /// 住民税 課税標準額 (課税所得)
    #[serde(default)]
    pub taxable_income: i64,
    /// 収入金額の合計
    #[serde(default)]
    pub revenue: i64,
    /// 公的年金等収入 (for 低所得Ⅰ)
    #[serde(default)]
    pub pension_revenue: i64,
    /// 公的年金等所得 (for 低所得Ⅰ)
    #[serde(default)]
    pub pension_income: i64,
    /// 給与所得 (for 低所得Ⅰ)
    #[serde(default)]
    pub salary_income: i64,
    #[serde(default)]
    pub resident_tax_exempt: bool,
    /// 未申告
    #[serde(default)]
    pub unreported: bool,
    /// the revenue is known in full from the tax records (only salary and
    /// pension): 基準収入額適用 then needs no application (from 2022-01)
    #[serde(default)]
    pub revenue_confirmed: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberDto {
    pub id: String,
    /// YYYY-MM-DD or 和暦
    pub birth_date: String,
    /// NHI-insured in the month
    pub insured: bool,
    /// the householder (擬制世帯主 when not insured)
    #[serde(default)]
    pub householder: bool,
    /// 特定同一世帯所属者: not insured, moved from this NHI to 後期高齢者医療
    /// and still in the household (counts for 基準収入額適用)
    #[serde(default)]
    pub former_insured_late_elderly: bool,
    #[serde(default)]
    pub income: IncomeDto,
}

/// The household and the month.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BurdenRequestDto {
    /// YYYY-MM
    pub month: String,
    pub members: Vec<MemberDto>,
    /// 基準収入額適用 applied for
    #[serde(default)]
    pub standard_income_application: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MemberRateDto {
    pub id: String,
    /// 3割 or 2割
    pub copay_rate: String,
    /// preschool, under_70, 70_74
    pub age_group: String,
}

#[derive(Serialize, ToSchema)]
pub struct BurdenResponseDto {
    pub month: String,
    /// ア, イ, ウ, エ, オ; null when no insured member is under 70
    pub category_under_70: Option<String>,
    /// 現役並みⅢ, 現役並みⅡ, 現役並みⅠ, 一般, 低所得Ⅱ, 低所得Ⅰ; null when none is 70–74
    pub category_70_74: Option<String>,
    pub members: Vec<MemberRateDto>,
    /// why, in Japanese, for the counter
    pub reasons: Vec<String>,
    /// the calendar year whose income applies to the month
    pub income_year: i32,
}

/// Income categories (適用区分) and copay rates of a household for a month (docs/api/calc.md).
#[utoipa::path(post, path = "/api/v1/calc/burden", tag = "calc", request_body = BurdenRequestDto,
    responses((status = 200, body = BurdenResponseDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn burden(
    _user: SignedIn,
    body: Result<Json<BurdenRequestDto>, JsonRejection>,
) -> Result<Json<BurdenResponseDto>, ApiError> {
    let Json(b) = body.map_err(|e| unreadable(e.body_text()))?;
    let req = BurdenRequest {
        month: b.month,
        standard_income_application: b.standard_income_application,
        members: b
            .members
            .into_iter()
            .map(|m| BurdenMember {
                id: m.id,
                birth_date: m.birth_date,
                insured: m.insured,
                householder: m.householder,
                former_insured_late_elderly: m.former_insured_late_elderly,
                income: kokuho_domain::burden::Income {
                    total_income: m.income.total_income,
                    taxable_income: m.income.taxable_income,
                    revenue: m.income.revenue,
                    pension_revenue: m.income.pension_revenue,
                    pension_income: m.income.pension_income,
                    salary_income: m.income.salary_income,
                    resident_tax_exempt: m.income.resident_tax_exempt,
                    unreported: m.income.unreported,
                    revenue_confirmed: m.income.revenue_confirmed,
                },
            })
            .collect(),
    };
    let r = calc::burden(&req)?;
    Ok(Json(BurdenResponseDto {
        month: r.month,
        category_under_70: r.category_under_70,
        category_70_74: r.category_70_74,
        members: r
            .members
            .into_iter()
            .map(|m| MemberRateDto {
                id: m.id,
                copay_rate: m.copay_rate,
                age_group: m.age_group,
            })
            .collect(),
        reasons: r.reasons,
        income_year: r.income_year,
    }))
}

/// A household's NHI tax for a fiscal year, every line explained (docs/api/calc.md).
#[utoipa::path(post, path = "/api/v1/calc/levy", tag = "calc", request_body = calc::LevyRequest,
    responses((status = 200, body = calc::LevyResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn levy(
    _user: SignedIn,
    body: Result<Json<calc::LevyRequest>, JsonRejection>,
) -> Result<Json<calc::LevyResponse>, ApiError> {
    let Json(req) = body.map_err(|e| unreadable(e.body_text()))?;
    Ok(Json(calc::levy(&req)?))
}

/// A household's high-cost benefit (高額療養費) for a service month, step by
/// step (docs/api/calc.md).
#[utoipa::path(post, path = "/api/v1/calc/high-cost", tag = "calc", request_body = calc::HighCostRequest,
    responses((status = 200, body = calc::HighCostResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn high_cost(
    _user: SignedIn,
    body: Result<Json<calc::HighCostRequest>, JsonRejection>,
) -> Result<Json<calc::HighCostResponse>, ApiError> {
    let Json(req) = body.map_err(|e| unreadable(e.body_text()))?;
    Ok(Json(calc::high_cost(&req)?))
}
