//! Retention and erasure: what is past its retention period is erased, on
//! an administrator's command, with a record of what was erased — never
//! silently. Periods are settings (data), with defaults here.

use kokuho_domain::access::Permission;
use kokuho_store::access as access_repo;
use kokuho_store::addressee as registry;
use time::{Date, Duration, OffsetDateTime};

use crate::eligibility::{in_tx, to_us};
use crate::session::Session;
use crate::{AppError, Result};

/// Years a person's data is kept after removal from the registry (death or
/// moving out) before it is made anonymous and their number leaves the vault.
pub const REMOVED_PERSON_YEARS: &str = "retention_removed_person_years";
pub const DEFAULT_REMOVED_PERSON_YEARS: i32 = 5;
/// Days an ended or idle web session is kept.
pub const SESSION_DAYS: &str = "retention_session_days";
pub const DEFAULT_SESSION_DAYS: i64 = 90;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionPlan {
    pub removed_before: Date,
    /// (addressee id, removed on) of persons to erase
    pub persons: Vec<(String, Date)>,
    pub sessions: i64,
    pub done: bool,
}

impl Session<'_> {
    /// Lists (dry run) or erases what is past its period.
    pub async fn retention(
        &self,
        today: Date,
        dry_run: bool,
        now: OffsetDateTime,
    ) -> Result<RetentionPlan> {
        self.require(Permission::Retention, now).await?;
        let app = self.app;
        let years = match access_repo::setting(&app.db, &app.insurer, REMOVED_PERSON_YEARS).await? {
            Some(v) => v
                .parse::<i32>()
                .ok()
                .filter(|y| (1..=150).contains(y))
                .ok_or_else(|| AppError::Setup {
                    message_en: format!("{REMOVED_PERSON_YEARS} must be a whole number of years"),
                    message_ja: "保存年数の設定が正しくありません".into(),
                })?,
            None => DEFAULT_REMOVED_PERSON_YEARS,
        };
        let session_days = access_repo::setting(&app.db, &app.insurer, SESSION_DAYS)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_SESSION_DAYS);
        let cutoff = today
            .replace_year(today.year() - years)
            .unwrap_or(today - Duration::days(365 * i64::from(years)));
        let candidates = registry::removed_before(&app.db, &app.insurer, cutoff).await?;
        let session_cutoff = to_us(now - Duration::days(session_days));
        let sessions = access_repo::old_sessions(&app.db, session_cutoff).await?;
        let mut plan = RetentionPlan {
            removed_before: cutoff,
            persons: candidates
                .iter()
                .map(|(id, _, on)| (id.clone(), *on))
                .collect(),
            sessions,
            done: false,
        };
        let subjects: Vec<String> = plan.persons.iter().map(|(id, _)| id.clone()).collect();
        if dry_run {
            app.log_access(
                self.actor,
                "retention_dry_run",
                &subjects,
                None,
                &format!(
                    "removed before {cutoff}: {} persons, {sessions} sessions",
                    subjects.len()
                ),
                now,
            )
            .await?;
            return Ok(plan);
        }
        in_tx!(app.db, |tx| {
            for (id, iid, _) in &candidates {
                registry::erase_person(&mut tx, &app.insurer, id, iid).await?;
            }
            access_repo::delete_old_sessions(&mut tx, session_cutoff).await?;
            Ok(())
        })?;
        // Birth dates keep only their month (ages for statistics stay right to the month).
        in_tx!(app.db, |tx| {
            for (id, _, _) in &candidates {
                if let Some(p) = registry::get_person_tx(
                    &mut tx,
                    &app.insurer,
                    &kokuho_domain::id::AddresseeId::parse(id)?,
                )
                .await?
                {
                    let month = p.birth_date.replace_day(1).unwrap_or(p.birth_date);
                    registry::truncate_birth_date(&mut tx, &app.insurer, id, month).await?;
                }
            }
            Ok(())
        })?;
        app.log_access(self.actor, "retention_erase", &subjects, None, &format!("removed before {cutoff}: {} persons erased (name, kana, address; My Number removed from the vault), {sessions} sessions deleted", subjects.len()), now).await?;
        plan.done = true;
        Ok(plan)
    }
}
