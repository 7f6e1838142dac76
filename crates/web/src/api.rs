//! The JSON API under `/api/v1`, and the health page.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use kokuho_app::Kokuho;
use kokuho_app::registry::{HouseholdView, NewPerson, PersonSearch, PersonView};
use kokuho_domain::addressee::{Addressee, Household};
use kokuho_domain::wareki;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::SignedIn;
use crate::error::{ApiError, ErrorBody, ErrorDetail, unreadable};
use kokuho_app::session::Session;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kokuho API",
        description = "National Health Insurance affairs of a Japanese municipality. Every path is scoped to the insurer the server serves. My Numbers are accepted only in request bodies, never in URLs, and never returned.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    tags((name = "registry", description = "宛名 (addressees) and 世帯 (households)"),
         (name = "vault", description = "団体内統合宛名: find a person by My Number"),
         (name = "eligibility", description = "資格: periods, acquisitions, losses, corrections, NHI households, registry proposals"),
         (name = "session", description = "sign-in (password + TOTP), session, sign-out"),
         (name = "system", description = "health"))
)]
pub struct ApiDoc;

pub fn routes() -> OpenApiRouter<Kokuho> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(search_persons, register_person))
        .routes(routes!(get_person))
        .routes(routes!(get_household))
        .routes(routes!(vault_lookup))
        .routes(routes!(
            crate::auth::sign_in,
            crate::auth::whoami,
            crate::auth::sign_out
        ))
        .route("/", axum::routing::get(home))
}

/// A person of the addressee registry as the API shows them.
#[derive(Serialize, ToSchema)]
pub struct PersonDto {
    /// 宛名番号
    pub addressee_id: String,
    /// 団体内統合宛名番号
    pub integrated_addressee_id: String,
    /// 氏名, exactly as registered
    pub name: String,
    /// カナ氏名
    pub name_kana: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    /// 生年月日 in 和暦 (令和6年1月1日)
    pub birth_date_wareki: String,
    /// 1 男, 2 女, 9 不詳
    pub sex: i16,
    pub sex_label: String,
    pub postal_code: String,
    pub address: String,
    /// resident (住民) or non_resident (住登外)
    pub resident_status: String,
    pub household_number: String,
    /// 続柄 code
    pub relationship: String,
    pub relationship_label: String,
    pub registered_on: String,
    pub removed_on: Option<String>,
}

impl From<&Addressee> for PersonDto {
    fn from(a: &Addressee) -> Self {
        PersonDto {
            addressee_id: a.addressee_id.to_string(),
            integrated_addressee_id: a.integrated_addressee_id.to_string(),
            name: a.name.to_string(),
            name_kana: a.name_kana.to_string(),
            birth_date: a.birth_date.to_string(),
            birth_date_wareki: wareki::format_date(a.birth_date).unwrap_or_default(),
            sex: a.sex.code(),
            sex_label: a.sex.label_ja().to_string(),
            postal_code: a.postal_code.clone(),
            address: a.address.clone(),
            resident_status: a.resident_status.as_str().to_string(),
            household_number: a.household_number.to_string(),
            relationship: a.relationship.code().to_string(),
            relationship_label: a.relationship.label_ja().to_string(),
            registered_on: a.registered_on.to_string(),
            removed_on: a.removed_on.map(|d| d.to_string()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HouseholdDto {
    pub household_number: String,
    /// 世帯主's 宛名番号
    pub householder: String,
    pub postal_code: String,
    pub address: String,
    pub registered_on: String,
    pub removed_on: Option<String>,
}

impl From<&Household> for HouseholdDto {
    fn from(h: &Household) -> Self {
        HouseholdDto {
            household_number: h.household_number.to_string(),
            householder: h.householder.to_string(),
            postal_code: h.postal_code.clone(),
            address: h.address.clone(),
            registered_on: h.registered_on.to_string(),
            removed_on: h.removed_on.map(|d| d.to_string()),
        }
    }
}

/// A person with their household; whether the vault holds their My Number
/// (never the number).
#[derive(Serialize, ToSchema)]
pub struct PersonDetail {
    pub person: PersonDto,
    pub household: Option<HouseholdDto>,
    pub has_my_number: bool,
}

impl From<PersonView> for PersonDetail {
    fn from(v: PersonView) -> Self {
        PersonDetail {
            person: PersonDto::from(&v.person),
            household: v.household.as_ref().map(HouseholdDto::from),
            has_my_number: v.has_my_number,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HouseholdDetail {
    pub household: HouseholdDto,
    /// Householder first, then by birth date.
    pub members: Vec<PersonDto>,
}

impl From<HouseholdView> for HouseholdDetail {
    fn from(v: HouseholdView) -> Self {
        HouseholdDetail {
            household: HouseholdDto::from(&v.household),
            members: v.members.iter().map(PersonDto::from).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PersonList {
    pub count: usize,
    pub persons: Vec<PersonDto>,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// "ok"
    pub status: String,
    /// sqlite or postgres
    pub backend: String,
    pub insurer_number: String,
    pub version: String,
}

#[utoipa::path(get, path = "/health", tag = "system",
    responses((status = 200, description = "The service and its database answer", body = Health),
              (status = 500, description = "The database does not answer", body = ErrorBody)))]
async fn health(State(app): State<Kokuho>) -> Result<Json<Health>, ApiError> {
    app.check_health().await?;
    Ok(Json(Health {
        status: "ok".into(),
        backend: app.db.backend().name().into(),
        insurer_number: app.insurer.to_string(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// カナ氏名 (any width, hiragana or katakana); a prefix
    pub kana: Option<String>,
    /// Part of the 氏名 as registered
    pub name: Option<String>,
    /// 生年月日: R6.1.1, 令和6年1月1日 or 2024-01-01
    pub birth_date: Option<String>,
    /// 宛名番号
    pub addressee_id: Option<String>,
    /// 被保険者記号 (with the number)
    pub insured_symbol: Option<String>,
    /// 被保険者番号: the members of that NHI household
    pub insured_number: Option<String>,
    /// At most this many (1–1000, default 50)
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/persons", tag = "registry", params(SearchParams),
    responses((status = 200, body = PersonList), (status = 400, body = ErrorBody)))]
async fn search_persons(
    State(app): State<Kokuho>,
    user: SignedIn,
    q: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<PersonList>, ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::RegistryRead,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    let Query(q) = q.map_err(|e| unreadable(e.body_text()))?;
    let found = Session {
        app: &app,
        actor: &user.actor,
    }
    .search_persons(
        &PersonSearch {
            kana: q.kana,
            name: q.name,
            birth_date: q.birth_date,
            addressee_id: q.addressee_id,
            insured_symbol: q.insured_symbol,
            insured_number: q.insured_number,
            limit: q.limit,
        },
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(PersonList {
        count: found.len(),
        persons: found.iter().map(PersonDto::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/persons/{addressee_id}", tag = "registry",
    params(("addressee_id" = String, Path, description = "宛名番号")),
    responses((status = 200, body = PersonDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(app): State<Kokuho>,
    user: SignedIn,
    Path(addressee_id): Path<String>,
) -> Result<Json<PersonDetail>, ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::RegistryRead,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    Ok(Json(
        s.person(&addressee_id, time::OffsetDateTime::now_utc())
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/households/{household_number}", tag = "registry",
    params(("household_number" = String, Path, description = "世帯番号")),
    responses((status = 200, body = HouseholdDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_household(
    State(app): State<Kokuho>,
    user: SignedIn,
    Path(household_number): Path<String>,
) -> Result<Json<HouseholdDetail>, ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::RegistryRead,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    Ok(Json(
        s.household(&household_number, time::OffsetDateTime::now_utc())
            .await?
            .into(),
    ))
}

/// A person to register. Dates in 和暦 or ISO; the My Number is optional and
/// goes only into the vault.
#[derive(Deserialize, ToSchema)]
pub struct NewPersonRequest {
    pub name: String,
    pub name_kana: String,
    pub birth_date: String,
    /// 1 男, 2 女, 9 不詳 (or male / female)
    pub sex: String,
    pub postal_code: String,
    pub address: String,
    /// resident (default) or non_resident
    pub resident_status: Option<String>,
    /// Join this household; omit to start a new one as its householder
    pub household_number: Option<String>,
    /// 続柄 code, required when joining a household (e.g. 20 子)
    pub relationship: Option<String>,
    pub registered_on: String,
    /// 個人番号 (12 digits); stored only in the vault
    pub my_number: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/persons", tag = "registry", request_body = NewPersonRequest,
    responses((status = 201, body = PersonDto), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn register_person(
    State(app): State<Kokuho>,
    user: SignedIn,
    body: Result<Json<NewPersonRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<PersonDto>), ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::RegistryWrite,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    let Json(b) = body.map_err(|e| unreadable(e.body_text()))?;
    let person = Session {
        app: &app,
        actor: &user.actor,
    }
    .register_person(
        &NewPerson {
            name: b.name,
            name_kana: b.name_kana,
            birth_date: b.birth_date,
            sex: b.sex,
            postal_code: b.postal_code,
            address: b.address,
            resident_status: b.resident_status,
            household_number: b.household_number,
            relationship: b.relationship,
            registered_on: b.registered_on,
            my_number: b.my_number,
        },
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(PersonDto::from(&person))))
}

#[derive(Deserialize, ToSchema)]
pub struct VaultLookupRequest {
    /// 個人番号 (12 digits; full-width digits accepted)
    pub my_number: String,
}

/// Finds a person by My Number through the vault's keyed hash. The number
/// travels in the body so it never appears in a URL or an access log line.
#[utoipa::path(post, path = "/api/v1/vault/lookup", tag = "vault", request_body = VaultLookupRequest,
    responses((status = 200, body = PersonDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn vault_lookup(
    State(app): State<Kokuho>,
    user: SignedIn,
    body: Result<Json<VaultLookupRequest>, JsonRejection>,
) -> Result<Json<PersonDetail>, ApiError> {
    Session {
        app: &app,
        actor: &user.actor,
    }
    .require(
        kokuho_domain::access::Permission::MyNumberLookup,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    // The rejection text may quote the body; keep only its kind.
    let Json(b) = body.map_err(|_| unreadable("expected {\"my_number\": \"…\"}".into()))?;
    let s = Session {
        app: &app,
        actor: &user.actor,
    };
    Ok(Json(
        s.find_by_my_number(&b.my_number, None, time::OffsetDateTime::now_utc())
            .await?
            .into(),
    ))
}

async fn home(State(app): State<Kokuho>) -> impl IntoResponse {
    let backend = app.db.backend().name();
    let insurer = app.insurer.to_string();
    Html(format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>kokuho</title></head>\
         <body><h1>kokuho 国民健康保険システム</h1>\
         <p>保険者番号 {insurer}／データベース {backend}</p>\
         <ul><li><a href=\"/health\">稼働状況 (health)</a></li>\
         <li><a href=\"/swagger-ui/\">API 仕様 (OpenAPI / Swagger UI)</a></li>\
         <li><a href=\"/api-docs/openapi.json\">openapi.json</a></li></ul></body></html>"
    ))
}
