//! Sign-in, sessions and CSRF for the JSON API (the rules live in
//! `kokuho_app::access`; this translates them to cookies and headers).
//!
//! A session is a random token in an HttpOnly, SameSite=Strict cookie
//! (Secure when served over TLS); only its hash is stored. Every
//! state-changing request must carry the session's CSRF token in the
//! `X-CSRF-Token` header.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kokuho_app::access::{ABSOLUTE_TIMEOUT, Actor, IDLE_TIMEOUT};
use kokuho_app::{AppError, Kokuho};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody, unreadable};

pub const COOKIE: &str = "kokuho_session";

/// Whether cookies get the Secure attribute (set when served behind TLS).
#[derive(Clone, Copy, Debug, Default)]
pub struct CookiePolicy {
    pub secure: bool,
}

pub(crate) fn client_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "-".into())
}

pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// A request from a signed-in account with a live session.
pub struct SignedIn {
    pub actor: Actor,
    pub token: String,
}

impl FromRequestParts<Kokuho> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Kokuho) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie_token(&parts.headers) else {
            return Err(ApiError(AppError::Unauthenticated {
                message_ja: "サインインしてください".into(),
            }));
        };
        let csrf = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        let changes_state = !matches!(parts.method, Method::GET | Method::HEAD);
        let (actor, _) = app
            .resume_session(
                &token,
                csrf,
                changes_state,
                &client_of(parts),
                OffsetDateTime::now_utc(),
            )
            .await?;
        Ok(SignedIn { actor, token })
    }
}

/// Where a request came from.
pub struct Client(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Client(client_of(parts)))
    }
}

#[derive(Deserialize, ToSchema)]
pub struct SignInRequest {
    pub account: String,
    pub password: String,
    /// The 6-digit TOTP code
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    pub account: String,
    pub role: String,
    pub role_label: String,
    /// Send this in the X-CSRF-Token header of every state-changing request
    pub csrf_token: Option<String>,
    pub idle_timeout_seconds: i64,
    pub absolute_timeout_seconds: i64,
}

fn info(actor: &Actor, csrf_token: Option<String>) -> SessionInfo {
    SessionInfo {
        account: actor.account.clone(),
        role: actor.role.code().into(),
        role_label: actor.role.label_ja().into(),
        csrf_token,
        idle_timeout_seconds: IDLE_TIMEOUT.whole_seconds(),
        absolute_timeout_seconds: ABSOLUTE_TIMEOUT.whole_seconds(),
    }
}

#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignInRequest,
    responses((status = 200, body = SessionInfo, description = "Signed in; the session cookie is set"),
              (status = 401, body = ErrorBody)))]
pub async fn sign_in(
    State(app): State<Kokuho>,
    axum::Extension(policy): axum::Extension<CookiePolicy>,
    Client(client): Client,
    body: Result<Json<SignInRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) =
        body.map_err(|_| unreadable("expected {\"account\", \"password\", \"code\"}".into()))?;
    let now = OffsetDateTime::now_utc();
    let actor = app
        .sign_in(&b.account, &b.password, &b.code, &client, now)
        .await?;
    let s = app.start_session(&actor, now).await?;
    let cookie = format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        s.token,
        ABSOLUTE_TIMEOUT.whole_seconds(),
        if policy.secure { "; Secure" } else { "" }
    );
    let mut res = Json(info(&actor, Some(s.csrf_token))).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)))]
pub async fn whoami(user: SignedIn) -> Json<SessionInfo> {
    Json(info(&user.actor, None))
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Signed out"), (status = 401, body = ErrorBody)))]
pub async fn sign_out(State(app): State<Kokuho>, user: SignedIn) -> Result<Response, ApiError> {
    app.end_session(&user.token, &user.actor, OffsetDateTime::now_utc())
        .await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}
