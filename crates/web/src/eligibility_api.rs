//! Eligibility under `/api/v1/eligibility`: a person's periods and history,
//! acquisition, loss, correction, an NHI household on a date, and the
//! resident-registry proposals.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use kokuho_app::eligibility::{Acquisition, Correction, Flags, Loss, from_us};
use kokuho_app::records::{InsuredRow, PeriodVersion, Proposal};
use kokuho_app::registry::parse_date;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::addressee::HouseholdNumber;
use kokuho_domain::eligibility::{AcquisitionReason, LossReason, MoveDestination};
use kokuho_domain::id::{AddresseeId, InsurerNumber};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::SignedIn;
use crate::error::{ApiError, ErrorBody, unreadable};
use kokuho_app::session::Session;

pub fn routes() -> OpenApiRouter<Kokuho> {
    OpenApiRouter::new()
        .routes(routes!(person_eligibility))
        .routes(routes!(acquire))
        .routes(routes!(lose))
        .routes(routes!(correct))
        .routes(routes!(household_as_of))
        .routes(routes!(list_proposals))
        .routes(routes!(confirm_proposal))
        .routes(routes!(reject_proposal))
}

/// One version of an eligibility period.
#[derive(Serialize, ToSchema)]
pub struct PeriodDto {
    pub period_id: i64,
    pub version_no: i64,
    pub addressee_id: String,
    pub acquired_on: String,
    pub acquisition_reason: String,
    pub acquisition_reason_label: String,
    pub acquisition_late: bool,
    pub lost_on: Option<String>,
    pub loss_reason: Option<String>,
    pub loss_reason_label: Option<String>,
    pub loss_late: bool,
    pub previous_insurer_number: Option<String>,
    pub next_insurer_number: Option<String>,
    pub address_exception: bool,
    pub student_exception: bool,
    pub foreign_stay_until: Option<String>,
    pub voided: bool,
    /// acquisition, loss, correction, void, age
    pub change_kind: String,
    pub change_note: String,
    /// RFC 3339
    pub recorded_at: String,
    pub recorded_by: String,
    pub superseded_at: Option<String>,
    /// 遡及: the period starts before the day it was recorded
    pub retroactive: bool,
}

fn rfc3339(us: i64) -> String {
    from_us(us)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl From<&PeriodVersion> for PeriodDto {
    fn from(v: &PeriodVersion) -> Self {
        PeriodDto {
            period_id: v.period_id,
            version_no: v.version_no,
            addressee_id: v.addressee_id.to_string(),
            acquired_on: v.acquired_on.to_string(),
            acquisition_reason: v.acquisition_reason.code().into(),
            acquisition_reason_label: v.acquisition_reason.label_ja().into(),
            acquisition_late: v.acquisition_late,
            lost_on: v.lost_on.map(|d| d.to_string()),
            loss_reason: v.loss_reason.map(|r| r.code().into()),
            loss_reason_label: v.loss_reason.map(|r| r.label_ja().into()),
            loss_late: v.loss_late,
            previous_insurer_number: v.previous_insurer_number.clone(),
            next_insurer_number: v.next_insurer_number.clone(),
            address_exception: v.address_exception,
            student_exception: v.student_exception,
            foreign_stay_until: v.foreign_stay_until.map(|d| d.to_string()),
            voided: v.voided,
            change_kind: v.change_kind.clone(),
            change_note: v.change_note.clone(),
            recorded_at: rfc3339(v.recorded_us),
            recorded_by: v.recorded_by.clone(),
            superseded_at: v.superseded_us.map(rfc3339),
            retroactive: v.acquired_on < from_us(v.recorded_us).date(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PersonEligibility {
    pub addressee_id: String,
    /// The periods as known now (or at `known_at`), voided ones left out
    pub periods: Vec<PeriodDto>,
    /// Every version ever recorded, in recording order
    pub history: Vec<PeriodDto>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KnownAtParams {
    /// As known at this moment (RFC 3339); default now
    pub known_at: Option<String>,
}

fn parse_known_at(s: Option<&str>) -> Result<Option<OffsetDateTime>, AppError> {
    s.filter(|s| !s.is_empty())
        .map(|s| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|_| {
                AppError::invalid(
                    "known_at",
                    "known_at must be an RFC 3339 time such as 2026-04-10T09:00:00Z",
                    "時点は 2026-04-10T09:00:00Z の形式で入力してください",
                )
            })
        })
        .transpose()
}

#[utoipa::path(get, path = "/api/v1/eligibility/persons/{addressee_id}", tag = "eligibility",
    params(("addressee_id" = String, Path, description = "宛名番号"), KnownAtParams),
    responses((status = 200, body = PersonEligibility), (status = 400, body = ErrorBody)))]
async fn person_eligibility(
    State(app): State<Kokuho>,
    user: SignedIn,
    Path(addressee_id): Path<String>,
    q: Result<Query<KnownAtParams>, QueryRejection>,
) -> Result<Json<PersonEligibility>, ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::EligibilityRead,
        OffsetDateTime::now_utc(),
    )
    .await?;
    let Query(q) = q.map_err(|e| unreadable(e.body_text()))?;
    let id = AddresseeId::parse(&addressee_id).map_err(AppError::from)?;
    let known_at = parse_known_at(q.known_at.as_deref())?;
    let (periods, history) = Session {
        app: &app,
        actor: &user.actor,
    }
    .periods(&id, known_at, OffsetDateTime::now_utc())
    .await?;
    Ok(Json(PersonEligibility {
        addressee_id: id.to_string(),
        periods: periods.iter().map(PeriodDto::from).collect(),
        history: history.iter().map(PeriodDto::from).collect(),
    }))
}

/// An acquisition (資格取得). The effective date follows the law from the event date.
#[derive(Deserialize, ToSchema)]
pub struct AcquisitionRequest {
    pub addressee_id: String,
    /// move_in, left_employee_insurance, dependant_of_late_elderly, birth, public_assistance_ended, foreign_residence_started, left_late_elderly, ex_officio, other
    pub reason: String,
    /// The date of the event (和暦 or ISO)
    pub event_date: String,
    pub notified_on: Option<String>,
    pub household_number: Option<String>,
    pub previous_insurer_number: Option<String>,
    #[serde(default)]
    pub address_exception: bool,
    #[serde(default)]
    pub student_exception: bool,
    pub foreign_stay_until: Option<String>,
}

fn optional_date(field: &'static str, s: Option<&str>) -> Result<Option<time::Date>, AppError> {
    s.filter(|s| !s.trim().is_empty())
        .map(|s| parse_date(field, s))
        .transpose()
}

#[utoipa::path(post, path = "/api/v1/eligibility/acquisitions", tag = "eligibility", request_body = AcquisitionRequest,
    responses((status = 201, body = PeriodDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn acquire(
    State(app): State<Kokuho>,
    user: SignedIn,
    body: Result<Json<AcquisitionRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<PeriodDto>), ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::EligibilityWrite,
        OffsetDateTime::now_utc(),
    )
    .await?;
    let Json(b) = body.map_err(|e| unreadable(e.body_text()))?;
    let a = Acquisition {
        addressee_id: AddresseeId::parse(&b.addressee_id).map_err(AppError::from)?,
        reason: AcquisitionReason::from_code(&b.reason).ok_or_else(|| {
            AppError::invalid(
                "reason",
                "unknown acquisition reason",
                "取得事由が正しくありません",
            )
        })?,
        event_on: parse_date("event_date", &b.event_date)?,
        notified_on: optional_date("notified_on", b.notified_on.as_deref())?,
        household_number: b
            .household_number
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(HouseholdNumber::parse)
            .transpose()
            .map_err(AppError::from)?,
        previous_insurer_number: b
            .previous_insurer_number
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(InsurerNumber::parse)
            .transpose()
            .map_err(AppError::from)?,
        flags: Flags {
            address_exception: b.address_exception,
            student_exception: b.student_exception,
            foreign_stay_until: optional_date(
                "foreign_stay_until",
                b.foreign_stay_until.as_deref(),
            )?,
        },
    };
    let v = Session {
        app: &app,
        actor: &user.actor,
    }
    .acquire(&a, OffsetDateTime::now_utc())
    .await?;
    Ok((StatusCode::CREATED, Json(PeriodDto::from(&v))))
}

/// A loss (資格喪失). The effective date follows the law from the event date.
#[derive(Deserialize, ToSchema)]
pub struct LossRequest {
    pub addressee_id: String,
    /// move_out, joined_employee_insurance, death, public_assistance_started, late_elderly, ex_officio, other
    pub reason: String,
    pub event_date: String,
    pub notified_on: Option<String>,
    /// For move_out: same_prefecture, other_prefecture, abroad
    pub destination: Option<String>,
    pub next_insurer_number: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/eligibility/losses", tag = "eligibility", request_body = LossRequest,
    responses((status = 201, body = PeriodDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn lose(
    State(app): State<Kokuho>,
    user: SignedIn,
    body: Result<Json<LossRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<PeriodDto>), ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::EligibilityWrite,
        OffsetDateTime::now_utc(),
    )
    .await?;
    let Json(b) = body.map_err(|e| unreadable(e.body_text()))?;
    let l = Loss {
        addressee_id: AddresseeId::parse(&b.addressee_id).map_err(AppError::from)?,
        reason: LossReason::from_code(&b.reason).ok_or_else(|| {
            AppError::invalid(
                "reason",
                "unknown loss reason",
                "喪失事由が正しくありません",
            )
        })?,
        event_on: parse_date("event_date", &b.event_date)?,
        notified_on: optional_date("notified_on", b.notified_on.as_deref())?,
        destination: b
            .destination
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|d| {
                MoveDestination::from_code(d).ok_or_else(|| {
                    AppError::invalid(
                        "destination",
                        "destination must be same_prefecture, other_prefecture or abroad",
                        "転出先の区分が正しくありません",
                    )
                })
            })
            .transpose()?,
        next_insurer_number: b
            .next_insurer_number
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(InsurerNumber::parse)
            .transpose()
            .map_err(AppError::from)?,
    };
    let v = Session {
        app: &app,
        actor: &user.actor,
    }
    .lose(&l, OffsetDateTime::now_utc())
    .await?;
    Ok((StatusCode::CREATED, Json(PeriodDto::from(&v))))
}

/// A correction (訂正), also retroactive (遡及). Omitted fields keep their value.
#[derive(Deserialize, ToSchema)]
pub struct CorrectionRequest {
    pub acquired_on: Option<String>,
    pub acquisition_reason: Option<String>,
    /// A date, or "" to reopen the period
    pub lost_on: Option<String>,
    pub loss_reason: Option<String>,
    #[serde(default)]
    pub void: bool,
    /// Why (required)
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/eligibility/periods/{period_id}/corrections", tag = "eligibility", request_body = CorrectionRequest,
    params(("period_id" = i64, Path, description = "資格期間")),
    responses((status = 201, body = PeriodDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn correct(
    State(app): State<Kokuho>,
    user: SignedIn,
    Path(period_id): Path<i64>,
    body: Result<Json<CorrectionRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<PeriodDto>), ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::EligibilityCorrect,
        OffsetDateTime::now_utc(),
    )
    .await?;
    let Json(b) = body.map_err(|e| unreadable(e.body_text()))?;
    let c = Correction {
        period_id,
        acquired_on: optional_date("acquired_on", b.acquired_on.as_deref())?,
        acquisition_reason: b
            .acquisition_reason
            .as_deref()
            .map(|r| {
                AcquisitionReason::from_code(r).ok_or_else(|| {
                    AppError::invalid(
                        "acquisition_reason",
                        "unknown acquisition reason",
                        "取得事由が正しくありません",
                    )
                })
            })
            .transpose()?,
        lost_on: match b.lost_on.as_deref() {
            None => None,
            Some("") => Some(None),
            Some(d) => Some(Some(parse_date("lost_on", d)?)),
        },
        loss_reason: match b.loss_reason.as_deref() {
            None => None,
            Some("") => Some(None),
            Some(r) => Some(Some(LossReason::from_code(r).ok_or_else(|| {
                AppError::invalid(
                    "loss_reason",
                    "unknown loss reason",
                    "喪失事由が正しくありません",
                )
            })?)),
        },
        flags: None,
        void: b.void,
        note: b.note,
    };
    let v = Session {
        app: &app,
        actor: &user.actor,
    }
    .correct(&c, OffsetDateTime::now_utc())
    .await?;
    Ok((StatusCode::CREATED, Json(PeriodDto::from(&v))))
}

#[derive(Serialize, ToSchema)]
pub struct InsuredMemberDto {
    pub addressee_id: String,
    pub name: String,
    pub name_kana: String,
    pub birth_date: String,
    pub branch_number: Option<String>,
    pub acquired_on: String,
    pub acquisition_reason: String,
}

impl From<&InsuredRow> for InsuredMemberDto {
    fn from(r: &InsuredRow) -> Self {
        InsuredMemberDto {
            addressee_id: r.addressee_id.clone(),
            name: r.name.clone(),
            name_kana: r.name_kana.clone(),
            birth_date: r.birth_date.to_string(),
            branch_number: r.branch_number.clone(),
            acquired_on: r.acquired_on.to_string(),
            acquisition_reason: r.acquisition_reason.clone(),
        }
    }
}

/// An NHI household on a date.
#[derive(Serialize, ToSchema)]
pub struct NhiHouseholdDto {
    pub household_number: String,
    pub date: String,
    pub insured_symbol: Option<String>,
    pub insured_number: Option<String>,
    /// The registry householder's 宛名番号 on the date
    pub householder: Option<String>,
    /// 擬制世帯主: the householder is not insured
    pub nominal_householder: bool,
    pub members: Vec<InsuredMemberDto>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseholdParams {
    /// The date (和暦 or ISO); required
    pub date: String,
    /// As known at (RFC 3339); default now
    pub known_at: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/eligibility/households/{household_number}", tag = "eligibility",
    params(("household_number" = String, Path, description = "世帯番号"), HouseholdParams),
    responses((status = 200, body = NhiHouseholdDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn household_as_of(
    State(app): State<Kokuho>,
    user: SignedIn,
    Path(household_number): Path<String>,
    q: Result<Query<HouseholdParams>, QueryRejection>,
) -> Result<Json<NhiHouseholdDto>, ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::EligibilityRead,
        OffsetDateTime::now_utc(),
    )
    .await?;
    let Query(q) = q.map_err(|e| unreadable(e.body_text()))?;
    let household = HouseholdNumber::parse(&household_number).map_err(AppError::from)?;
    let on = parse_date("date", &q.date)?;
    let v = Session {
        app: &app,
        actor: &user.actor,
    }
    .nhi_household_as_of(
        &household,
        on,
        parse_known_at(q.known_at.as_deref())?,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(NhiHouseholdDto {
        household_number: v.household_number.to_string(),
        date: v.on.to_string(),
        insured_symbol: v.insured_symbol,
        insured_number: v.insured_number,
        householder: v.householder.map(|h| h.to_string()),
        nominal_householder: v.nominal_householder,
        members: v.members.iter().map(InsuredMemberDto::from).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ProposalDto {
    pub proposal_id: i64,
    pub event_id: String,
    pub addressee_id: String,
    /// acquisition, loss, household_change
    pub kind: String,
    pub reason: String,
    pub event_on: String,
    pub notified_on: Option<String>,
    pub destination: Option<String>,
    pub household_number: Option<String>,
    /// pending, confirmed, rejected
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub period_id: Option<i64>,
}

impl From<&Proposal> for ProposalDto {
    fn from(p: &Proposal) -> Self {
        ProposalDto {
            proposal_id: p.proposal_id,
            event_id: p.event_id.clone(),
            addressee_id: p.addressee_id.clone(),
            kind: p.kind.clone(),
            reason: p.reason.clone(),
            event_on: p.event_on.to_string(),
            notified_on: p.notified_on.map(|d| d.to_string()),
            destination: p.destination.clone(),
            household_number: p.household_number.clone(),
            status: p.status.clone(),
            decided_by: p.decided_by.clone(),
            decided_at: p.decided_us.map(rfc3339),
            decision_note: p.decision_note.clone(),
            period_id: p.period_id,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalParams {
    /// pending, confirmed or rejected; default all
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/eligibility/proposals", tag = "eligibility", params(ProposalParams),
    responses((status = 200, body = Vec<ProposalDto>), (status = 400, body = ErrorBody)))]
async fn list_proposals(
    State(app): State<Kokuho>,
    user: SignedIn,
    q: Result<Query<ProposalParams>, QueryRejection>,
) -> Result<Json<Vec<ProposalDto>>, ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::EligibilityRead,
        OffsetDateTime::now_utc(),
    )
    .await?;
    let Query(q) = q.map_err(|e| unreadable(e.body_text()))?;
    if let Some(s) = q.status.as_deref()
        && !matches!(s, "pending" | "confirmed" | "rejected")
    {
        return Err(AppError::invalid(
            "status",
            "status must be pending, confirmed or rejected",
            "状態は pending・confirmed・rejected のいずれかです",
        )
        .into());
    }
    Ok(Json(
        Session {
            app: &app,
            actor: &user.actor,
        }
        .proposals(q.status.as_deref(), OffsetDateTime::now_utc())
        .await?
        .iter()
        .map(ProposalDto::from)
        .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/eligibility/proposals/{proposal_id}/confirm", tag = "eligibility",
    params(("proposal_id" = i64, Path, description = "異動候補")),
    responses((status = 200, body = ProposalDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn confirm_proposal(
    State(app): State<Kokuho>,
    user: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<ProposalDto>, ApiError> {
    Ok(Json(ProposalDto::from(
        &Session {
            app: &app,
            actor: &user.actor,
        }
        .confirm_proposal(id, OffsetDateTime::now_utc())
        .await?,
    )))
}

#[derive(Deserialize, ToSchema)]
pub struct RejectRequest {
    /// Why (required)
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/eligibility/proposals/{proposal_id}/reject", tag = "eligibility", request_body = RejectRequest,
    params(("proposal_id" = i64, Path, description = "異動候補")),
    responses((status = 200, body = ProposalDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reject_proposal(
    State(app): State<Kokuho>,
    user: SignedIn,
    Path(id): Path<i64>,
    body: Result<Json<RejectRequest>, JsonRejection>,
) -> Result<Json<ProposalDto>, ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::ProposalDecide,
        OffsetDateTime::now_utc(),
    )
    .await?;
    let Json(b) = body.map_err(|e| unreadable(e.body_text()))?;
    Ok(Json(ProposalDto::from(
        &Session {
            app: &app,
            actor: &user.actor,
        }
        .reject_proposal(id, &b.reason, OffsetDateTime::now_utc())
        .await?,
    )))
}
