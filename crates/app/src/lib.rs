//! kokuho's use cases: one function per business act, over the store and
//! the vault. Web and CLI are thin shells over this crate.

pub mod access;
pub mod annual_outpatient;
pub mod audit;
pub mod benefit;
pub mod burden;
pub mod calc;
pub mod claims;
pub mod combined_care;
pub mod documents;
pub mod eligibility;
pub mod error;
pub mod exchange;
pub mod high_cost;
pub mod income;
pub mod jobs;
pub mod leak_scan;
pub mod levy;
pub mod linkage;
pub mod payment_account;
pub mod payment_run;
pub mod recovery;
pub mod registry;
pub mod registry_feed;
pub mod retention;
pub mod session;
pub mod share_notice;
pub mod specified_disease;
pub mod statistics;
pub mod town;
pub mod town_figure;
pub mod vault_admin;
pub mod yearly_cap;

/// The records use cases return, for the shells to render.
pub mod records {
    pub use kokuho_store::eligibility::{InsuredRow, PeriodVersion};
    pub use kokuho_store::feed::Proposal;
}

use std::sync::Arc;

pub use error::AppError;
use kokuho_domain::id::InsurerNumber;
pub use kokuho_formats::text::Encoding;
use kokuho_store::Db;
use kokuho_vault::Keyring;

pub type Result<T> = std::result::Result<T, AppError>;

/// What every use case needs: the database, the vault's keys, and the
/// insurer (tenant) the caller acts for.
#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    #[test]
    fn the_local_date_is_japans() {
        assert_eq!(
            super::local_date(datetime!(2026-11-24 14:59:59 UTC)),
            date!(2026 - 11 - 24)
        );
        assert_eq!(
            super::local_date(datetime!(2026-11-24 15:00 UTC)),
            date!(2026 - 11 - 25)
        );
        assert_eq!(
            super::local_date(datetime!(2026-12-31 23:30 -01:00)),
            date!(2027 - 01 - 01)
        );
    }
}

#[derive(Clone)]
pub struct Kokuho {
    pub db: Db,
    pub keyring: Arc<Keyring>,
    pub insurer: InsurerNumber,
    /// Progress of the jobs this process runs.
    pub jobs: Arc<jobs::JobBoard>,
    /// Fonts and forms for printed documents, loaded on first use.
    pub printer: Arc<documents::PrinterCell>,
    /// The statistics screen's reports, kept a while (a city's year takes
    /// a minute to add up)
    pub statistics_cache: Arc<statistics::ReportCache>,
    /// Where the jobs page writes and reads exchange files, and the
    /// transfer key it seals with (`kokuho serve --exchange-dir
    /// --transfer-key`); none: exchange files by command only
    pub exchange_setup: Option<Arc<exchange::ExchangeSetup>>,
}

impl Kokuho {
    pub fn new(db: Db, keyring: Arc<Keyring>, insurer: InsurerNumber) -> Self {
        Kokuho {
            db,
            keyring,
            insurer,
            jobs: Arc::default(),
            printer: Arc::default(),
            statistics_cache: Arc::default(),
            exchange_setup: None,
        }
    }

    /// The same, with exchange files run from the jobs page.
    pub fn with_exchange(mut self, setup: exchange::ExchangeSetup) -> Self {
        self.exchange_setup = Some(Arc::new(setup));
        self
    }

    /// Answers when the database does and its schema is migrated.
    pub async fn check_health(&self) -> Result<usize> {
        Ok(kokuho_store::schema::applied_versions(&self.db)
            .await?
            .len())
    }
}

/// A date as staff screens and documents write it (和暦, or the ISO date if
/// out of the era table).
pub(crate) fn ja_date(d: time::Date) -> String {
    kokuho_domain::wareki::format_date(d).unwrap_or_else(|_| d.to_string())
}

/// Japan's offset (JST, UTC+9, no summer time): the calendar of the law,
/// the counter and the town.
pub fn jst() -> time::UtcOffset {
    time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC)
}

/// The calendar date in Japan at `now`. Every "today" — a notification
/// date, a grant's validity, the month being judged, a default in a form —
/// is this date, not the UTC one (they differ from 00:00 to 09:00 JST).
pub fn local_date(now: time::OffsetDateTime) -> time::Date {
    now.to_offset(jst()).date()
}

/// The insurer a database serves when none is named: its only one.
pub async fn sole_insurer(db: &Db) -> Result<InsurerNumber> {
    let insurers = kokuho_store::insurer::list(db).await?;
    match insurers.as_slice() {
        [one] => Ok(one.insurer_number.clone()),
        [] => Err(AppError::Setup {
            message_en: "the database serves no insurer yet: run `kokuho generate` or register one"
                .into(),
            message_ja: "保険者が登録されていません".into(),
        }),
        _ => Err(AppError::Setup {
            message_en: "the database serves several insurers: name one with --insurer".into(),
            message_ja: "複数の保険者が登録されています。保険者番号を指定してください".into(),
        }),
    }
}
