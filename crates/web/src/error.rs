//! API errors: a JSON body with a stable code, the field, and the reason in
//! Japanese (for staff) and English (for logs and developers).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kokuho_app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code, e.g. `E-INPUT`.
    pub code: String,
    /// The input field at fault, where there is one.
    pub field: Option<String>,
    pub message_ja: String,
    pub message_en: String,
}

pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = match &e {
            AppError::Invalid { .. } | AppError::Rejected { .. } => StatusCode::BAD_REQUEST,
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(code = e.code(), error = %e, "request failed");
        } else {
            tracing::info!(code = e.code(), field = e.field(), "request refused");
        }
        let message_en = if status.is_server_error() {
            "internal error; see the server log".to_string()
        } else {
            e.message_en()
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: e.code().to_string(),
                field: e.field().map(str::to_string),
                message_ja: e.message_ja(),
                message_en,
            },
        };
        (status, Json(body)).into_response()
    }
}

/// A request the framework could not even read (bad JSON, bad query).
pub fn unreadable(reason: String) -> ApiError {
    ApiError(AppError::invalid(
        "body",
        format!("the request could not be read: {reason}"),
        "リクエストの形式が正しくありません",
    ))
}
