//! Errors a caller can see. Each has a stable code (for logs and support
//! tickets), a Japanese message for staff and an English one for logs.
//! None ever carries a My Number.

use kokuho_domain::addressee::AddresseeError;
use kokuho_domain::id::IdError;
use kokuho_domain::name::NameError;
use kokuho_domain::wareki::WarekiError;
use kokuho_formats::registry_feed::FeedError;
use kokuho_store::StoreError;
use kokuho_vault::{KeyringError, VaultError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: names the field.
    #[error("invalid {field}: {message_en}")]
    Invalid {
        field: &'static str,
        message_en: String,
        message_ja: String,
    },
    /// A file rejected at one of its lines (the whole file changes nothing).
    #[error("{file} line {line}, field {field}: {reason_en}")]
    Rejected {
        file: String,
        line: usize,
        field: String,
        reason_en: String,
        reason_ja: String,
    },
    /// The actor may not do this (logged as denied).
    #[error("forbidden: needs permission {permission}")]
    Forbidden {
        permission: &'static str,
        message_ja: String,
    },
    /// No usable account or session.
    #[error("not signed in, or the account cannot be used")]
    Unauthenticated { message_ja: String },
    #[error("{what} not found")]
    NotFound {
        what: &'static str,
        message_ja: &'static str,
    },
    #[error("conflict: {message_en}")]
    Conflict {
        message_en: String,
        message_ja: String,
    },
    #[error("setup: {message_en}")]
    Setup {
        message_en: String,
        message_ja: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
}

impl AppError {
    /// Stable code for logs, API bodies and support tickets.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { .. } | AppError::Rejected { .. } => "E-INPUT",
            AppError::NotFound { .. } => "E-NOTFOUND",
            AppError::Forbidden { .. } => "E-FORBIDDEN",
            AppError::Unauthenticated { .. } => "E-AUTH",
            AppError::Conflict { .. } => "E-CONFLICT",
            AppError::Setup { .. } => "E-SETUP",
            AppError::Store(_) => "E-STORE",
            AppError::Vault(_) => "E-VAULT",
            AppError::Keyring(_) => "E-KEYRING",
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            AppError::Rejected { .. } => Some("file"),
            _ => None,
        }
    }

    pub fn message_ja(&self) -> String {
        match self {
            AppError::Invalid { message_ja, .. }
            | AppError::Conflict { message_ja, .. }
            | AppError::Forbidden { message_ja, .. }
            | AppError::Unauthenticated { message_ja }
            | AppError::Setup { message_ja, .. } => message_ja.clone(),
            AppError::NotFound { message_ja, .. } => (*message_ja).to_string(),
            AppError::Rejected {
                file,
                line,
                field,
                reason_ja,
                ..
            } => {
                if field.is_empty() {
                    format!("{file} {line}行目: {reason_ja}")
                } else {
                    format!("{file} {line}行目 {field}: {reason_ja}")
                }
            }
            AppError::Store(_) => {
                "データベースでエラーが発生しました。システム管理者に連絡してください".into()
            }
            AppError::Vault(_) | AppError::Keyring(_) => {
                "個人番号の保管領域でエラーが発生しました。システム管理者に連絡してください".into()
            }
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            AppError::Invalid { message_en, .. } => message_en.clone(),
            other => other.to_string(),
        }
    }

    pub fn invalid(
        field: &'static str,
        message_en: impl Into<String>,
        message_ja: impl Into<String>,
    ) -> Self {
        AppError::Invalid {
            field,
            message_en: message_en.into(),
            message_ja: message_ja.into(),
        }
    }

    /// Renames the field an error speaks of (an id parser knows only its type).
    pub fn for_field(self, field: &'static str) -> Self {
        match self {
            AppError::Invalid {
                message_en,
                message_ja,
                ..
            } => AppError::Invalid {
                field,
                message_en,
                message_ja,
            },
            other => other,
        }
    }
}

/// A file rejected by its reader keeps the place of its first bad line.
impl From<FeedError> for AppError {
    fn from(e: FeedError) -> Self {
        AppError::Rejected {
            file: e.file,
            line: e.line,
            field: e.field.unwrap_or_default(),
            reason_en: e.reason_en,
            reason_ja: e.reason_ja,
        }
    }
}

impl From<IdError> for AppError {
    fn from(e: IdError) -> Self {
        AppError::Invalid {
            field: e.field(),
            message_en: e.to_string(),
            message_ja: e.message_ja(),
        }
    }
}

impl From<NameError> for AppError {
    fn from(e: NameError) -> Self {
        AppError::Invalid {
            field: e.field(),
            message_en: e.to_string(),
            message_ja: e.message_ja(),
        }
    }
}

impl From<AddresseeError> for AppError {
    fn from(e: AddresseeError) -> Self {
        AppError::Invalid {
            field: e.field(),
            message_en: e.to_string(),
            message_ja: e.message_ja(),
        }
    }
}

impl From<WarekiError> for AppError {
    fn from(e: WarekiError) -> Self {
        AppError::Invalid {
            field: "date",
            message_en: e.to_string(),
            message_ja: e.message_ja(),
        }
    }
}
