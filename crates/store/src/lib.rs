//! kokuho's storage: one set of repositories over two real backends, SQLite
//! (embedded, the town's default) and PostgreSQL (a city or a prefecture).
//!
//! The backends are concrete sqlx pools behind the [`Db`] enum; the same SQL
//! text serves both wherever it is portable, and [`with_db!`]/[`with_tx!`]
//! type-check each body once per backend. Every query is scoped by the
//! insurer (保険者番号), so one PostgreSQL can serve many municipalities.

pub mod access;
pub mod addressee;
pub mod annual_outpatient;
pub mod bank_account;
pub mod benefit;
pub mod burden;
pub mod claims;
pub mod combined_care;
mod db;
pub mod document;
pub mod eligibility;
pub mod exchange;
pub mod feed;
pub mod high_cost;
pub mod income;
pub mod insurer;
pub mod job;
pub mod levy;
pub mod other_insurer;
pub mod recovery;
pub mod schema;
pub mod share_notice;
pub mod specified_disease;
pub mod statistics;
#[cfg(feature = "testing")]
pub mod testing;
pub mod town_figure;
pub mod vault;
pub mod yearly_cap;

pub use db::{Backend, Db, Tx, connect};

/// What went wrong in the store. Messages never carry personal data.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL must start with sqlite:// or postgres:// (got scheme '{0}')")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored {table}.{column} is not valid: {reason}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        reason: String,
    },
    #[error("{what} already exists")]
    Duplicate { what: &'static str },
    #[error("{what} was not found")]
    NotFound { what: &'static str },
}

impl StoreError {
    pub(crate) fn corrupt(
        table: &'static str,
        column: &'static str,
        reason: impl ToString,
    ) -> Self {
        StoreError::Corrupt {
            table,
            column,
            reason: reason.to_string(),
        }
    }

    /// True when the database refused a row for a unique or primary key.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            StoreError::Duplicate { .. } => true,
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;
