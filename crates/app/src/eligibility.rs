//! Eligibility management (資格管理): acquisition, loss, correction, household
//! changes, the daily age job, and "as of D, as known at T" queries.
//!
//! Every change is one transaction that adds versions and closes the
//! transaction time of the versions it replaces; nothing is ever erased.

use std::collections::BTreeSet;

use kokuho_domain::addressee::{Addressee, HouseholdNumber};
use kokuho_domain::eligibility::{
    self as rules, AcquisitionReason, LossReason, MoveDestination, Period,
};
use kokuho_domain::id::{AddresseeId, InsurerNumber};
use kokuho_store::Tx;
use kokuho_store::addressee as registry;
use kokuho_store::eligibility::{self as repo, MembershipVersion, NOW, PeriodVersion};
use time::{Date, OffsetDateTime};

use crate::jobs::Progress;
use crate::{AppError, Kokuho, Result};

/// Microseconds since the Unix epoch: the transaction-time unit.
pub fn to_us(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

pub fn from_us(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The default rule for 被保険者記号・番号 when a town has set none: the
/// symbol is the insurer's local part and numbers have 7 digits.
pub const DEFAULT_NUMBER_DIGITS: i64 = 7;

/// Who records a change (an operator or a job); kept on every version.
pub type Actor<'a> = &'a str;

#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// 住所地特例
    pub address_exception: bool,
    /// マル学
    pub student_exception: bool,
    /// 外国人: the end of the period of stay
    pub foreign_stay_until: Option<Date>,
}

#[derive(Clone, Debug)]
pub struct Acquisition {
    pub addressee_id: AddresseeId,
    pub reason: AcquisitionReason,
    /// The date of the event itself (move-in, employee-insurance loss, birth…).
    pub event_on: Date,
    pub notified_on: Option<Date>,
    /// The NHI household; defaults to the person's resident-registry household.
    pub household_number: Option<HouseholdNumber>,
    /// For a move from a municipality of the same prefecture (high-cost count continues).
    pub previous_insurer_number: Option<InsurerNumber>,
    pub flags: Flags,
}

#[derive(Clone, Debug)]
pub struct Loss {
    pub addressee_id: AddresseeId,
    pub reason: LossReason,
    pub event_on: Date,
    pub notified_on: Option<Date>,
    pub destination: Option<MoveDestination>,
    /// For a move to a municipality of the same prefecture.
    pub next_insurer_number: Option<InsurerNumber>,
}

/// A correction of one period: the new values, and why.
#[derive(Clone, Debug)]
pub struct Correction {
    pub period_id: i64,
    pub acquired_on: Option<Date>,
    pub acquisition_reason: Option<AcquisitionReason>,
    /// Some(None) reopens the period.
    pub lost_on: Option<Option<Date>>,
    pub loss_reason: Option<Option<LossReason>>,
    pub flags: Option<Flags>,
    /// Remove the period altogether (entered in error).
    pub void: bool,
    pub note: String,
}

fn not_found_person() -> AppError {
    AppError::NotFound {
        what: "person",
        message_ja: "該当する宛名がありません",
    }
}

fn period_error(e: rules::EligibilityError) -> AppError {
    AppError::Invalid {
        field: e.field(),
        message_en: e.to_string(),
        message_ja: e.message_ja(),
    }
}

pub(crate) fn as_period(v: &PeriodVersion) -> Period {
    Period {
        acquired_on: v.acquired_on,
        acquisition_reason: v.acquisition_reason,
        lost_on: v.lost_on,
        loss_reason: v.loss_reason,
    }
}

/// Runs `body` in a transaction: commit on success, roll back on error.
macro_rules! in_tx {
    ($db:expr, |$tx:ident| $body:expr) => {{
        let mut $tx = $db.begin().await?;
        let result: Result<_> = async { $body }.await;
        match result {
            Ok(v) => {
                $tx.commit().await?;
                Ok(v)
            }
            Err(e) => {
                $tx.rollback().await?;
                Err(e)
            }
        }
    }};
}
pub(crate) use in_tx;

impl Kokuho {
    async fn person_in(&self, tx: &mut Tx, id: &AddresseeId) -> Result<Addressee> {
        kokuho_store::addressee::get_person_tx(tx, &self.insurer, id)
            .await?
            .ok_or_else(not_found_person)
    }

    /// Registers an acquisition (資格取得) with the date the law gives.
    pub async fn acquire(
        &self,
        a: &Acquisition,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<PeriodVersion> {
        in_tx!(self.db, |tx| self.acquire_in(&mut tx, a, actor, now).await)
    }

    pub(crate) async fn acquire_in(
        &self,
        tx: &mut Tx,
        a: &Acquisition,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<PeriodVersion> {
        let person = self.person_in(tx, &a.addressee_id).await?;
        let acquired_on = rules::acquisition_date(a.reason, a.event_on);
        rules::check_acquisition_fits(a.reason, acquired_on, person.birth_date)
            .map_err(period_error)?;
        let mut periods: Vec<Period> =
            repo::periods_of_person(tx, &self.insurer, &a.addressee_id, NOW)
                .await?
                .iter()
                .map(as_period)
                .collect();
        let new = Period {
            acquired_on,
            acquisition_reason: a.reason,
            lost_on: None,
            loss_reason: None,
        };
        periods.push(new);
        rules::check_no_overlap(&periods).map_err(period_error)?;
        let household = a
            .household_number
            .clone()
            .unwrap_or_else(|| person.household_number.clone());
        if !registry::household_exists(tx, &self.insurer, &household).await? {
            return Err(AppError::invalid(
                "household_number",
                "no such household",
                "指定された世帯がありません",
            ));
        }
        let at = to_us(now);
        let version = PeriodVersion {
            period_id: repo::next_period_id(tx, &self.insurer).await?,
            version_no: 1,
            addressee_id: a.addressee_id.clone(),
            acquired_on,
            acquisition_reason: a.reason,
            acquisition_event_on: a.event_on,
            acquisition_notified_on: a.notified_on,
            acquisition_late: a
                .notified_on
                .is_some_and(|n| rules::is_late_notification(a.event_on, n)),
            lost_on: None,
            loss_reason: None,
            loss_event_on: None,
            loss_notified_on: None,
            loss_late: false,
            previous_insurer_number: a.previous_insurer_number.as_ref().map(|i| i.to_string()),
            next_insurer_number: None,
            address_exception: a.flags.address_exception,
            student_exception: a.flags.student_exception,
            foreign_stay_until: a.flags.foreign_stay_until,
            voided: false,
            change_kind: "acquisition".into(),
            change_note: String::new(),
            recorded_us: at,
            recorded_by: actor.to_string(),
            superseded_us: None,
        };
        repo::insert_period_version(tx, &self.insurer, &version).await?;
        self.join_household_in(
            tx,
            &a.addressee_id,
            &household,
            acquired_on,
            "acquisition",
            actor,
            at,
        )
        .await?;
        Ok(version)
    }

    /// Opens a membership from `from` (closing any open one the day before
    /// ends at `from`) and makes sure the household has numbers and the
    /// person a 枝番 in it.
    #[allow(clippy::too_many_arguments)] // the membership's fields plus who and when
    pub(crate) async fn join_household_in(
        &self,
        tx: &mut Tx,
        person: &AddresseeId,
        household: &HouseholdNumber,
        from: Date,
        reason: &str,
        actor: Actor<'_>,
        at: i64,
    ) -> Result<()> {
        let memberships = repo::memberships_of_person(tx, &self.insurer, person, NOW).await?;
        for m in memberships
            .iter()
            .filter(|m| m.valid_to.is_none_or(|to| to > from))
        {
            if m.valid_from >= from {
                // A membership that starts on or after the new one is replaced by it.
                repo::supersede_membership(tx, &self.insurer, m.membership_id, m.version_no, at)
                    .await?;
                repo::insert_membership_version(
                    tx,
                    &self.insurer,
                    &MembershipVersion {
                        version_no: m.version_no + 1,
                        voided: true,
                        recorded_us: at,
                        recorded_by: actor.to_string(),
                        superseded_us: None,
                        ..m.clone()
                    },
                )
                .await?;
            } else {
                repo::supersede_membership(tx, &self.insurer, m.membership_id, m.version_no, at)
                    .await?;
                repo::insert_membership_version(
                    tx,
                    &self.insurer,
                    &MembershipVersion {
                        version_no: m.version_no + 1,
                        valid_to: Some(from),
                        recorded_us: at,
                        recorded_by: actor.to_string(),
                        superseded_us: None,
                        ..m.clone()
                    },
                )
                .await?;
            }
        }
        let membership_id = repo::next_membership_id(tx, &self.insurer).await?;
        repo::insert_membership_version(
            tx,
            &self.insurer,
            &MembershipVersion {
                membership_id,
                version_no: 1,
                addressee_id: person.clone(),
                household_number: household.clone(),
                valid_from: from,
                valid_to: None,
                reason: reason.to_string(),
                voided: false,
                recorded_us: at,
                recorded_by: actor.to_string(),
                superseded_us: None,
            },
        )
        .await?;
        self.ensure_numbers(tx, household, person, at).await
    }

    /// 被保険者記号・番号 for the household (assigned once, by the town's
    /// rule) and a 枝番 for the person in it (kept for them, never reused).
    async fn ensure_numbers(
        &self,
        tx: &mut Tx,
        household: &HouseholdNumber,
        person: &AddresseeId,
        at: i64,
    ) -> Result<()> {
        if repo::household_numbers(tx, &self.insurer, household)
            .await?
            .is_none()
        {
            let (symbol, digits) = match repo::numbering_rule(tx, &self.insurer).await? {
                Some(rule) => rule,
                None => {
                    let symbol = self.insurer.as_str()[2..5].to_string();
                    repo::set_numbering_rule(tx, &self.insurer, &symbol, DEFAULT_NUMBER_DIGITS)
                        .await?;
                    (symbol, DEFAULT_NUMBER_DIGITS)
                }
            };
            let n = repo::take_next_number(tx, &self.insurer).await?;
            let number = format!("{n:0width$}", width = usize::try_from(digits).unwrap_or(7));
            repo::insert_household_numbers(tx, &self.insurer, household, &symbol, &number, at)
                .await?;
        }
        let branches = repo::branches(tx, &self.insurer, household).await?;
        if !branches.iter().any(|(p, _)| p == person.as_str()) {
            let used: Vec<u8> = branches
                .iter()
                .filter_map(|(_, b)| b.parse().ok())
                .collect();
            let Some(next) = (1..=99u8).find(|b| !used.contains(b)) else {
                return Err(AppError::Conflict {
                    message_en: "all 99 branch numbers of this household are used".into(),
                    message_ja: "この世帯の枝番（01〜99）をすべて使用済みです".into(),
                });
            };
            repo::insert_branch(tx, &self.insurer, household, person, &format!("{next:02}"))
                .await?;
        }
        Ok(())
    }

    /// Registers a loss (資格喪失) with the date the law gives.
    pub async fn lose(
        &self,
        l: &Loss,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<PeriodVersion> {
        in_tx!(self.db, |tx| self
            .lose_in(&mut tx, l, actor, now, "loss")
            .await)
    }

    pub(crate) async fn lose_in(
        &self,
        tx: &mut Tx,
        l: &Loss,
        actor: Actor<'_>,
        now: OffsetDateTime,
        kind: &str,
    ) -> Result<PeriodVersion> {
        let person = self.person_in(tx, &l.addressee_id).await?;
        let lost_on = rules::loss_date(l.reason, l.event_on, l.destination, person.birth_date)
            .map_err(period_error)?;
        if l.reason == LossReason::LateElderly && lost_on != l.event_on {
            // The event of 75歳到達 is the birthday itself; any other date is a mistake.
            return Err(AppError::invalid(
                "loss_reason",
                format!("reaching 75 happens on the 75th birthday, {lost_on}"),
                format!("75歳到達の喪失日は75歳の誕生日（{lost_on}）です"),
            ));
        }
        rules::check_loss_fits_age(l.reason, lost_on, person.birth_date).map_err(period_error)?;
        let periods = repo::periods_of_person(tx, &self.insurer, &l.addressee_id, NOW).await?;
        // The period this loss ends: the one insured the day before the loss date.
        let Some(current) = periods
            .iter()
            .rev()
            .find(|p| p.acquired_on < lost_on && p.lost_on.is_none_or(|to| to >= lost_on))
        else {
            return Err(AppError::invalid(
                "lost_on",
                "the person is not insured on the day before this loss date",
                "喪失日の前日に資格がありません（喪失日が取得日以前か、資格がありません）",
            ));
        };
        let updated = PeriodVersion {
            version_no: current.version_no + 1,
            lost_on: Some(lost_on),
            loss_reason: Some(l.reason),
            loss_event_on: Some(l.event_on),
            loss_notified_on: l.notified_on,
            loss_late: l
                .notified_on
                .is_some_and(|n| rules::is_late_notification(l.event_on, n)),
            next_insurer_number: l.next_insurer_number.as_ref().map(|i| i.to_string()),
            change_kind: kind.into(),
            change_note: String::new(),
            recorded_us: to_us(now),
            recorded_by: actor.to_string(),
            superseded_us: None,
            ..current.clone()
        };
        rules::validate_period(&as_period(&updated)).map_err(period_error)?;
        let others: Vec<Period> = periods
            .iter()
            .filter(|p| p.period_id != current.period_id)
            .map(as_period)
            .chain([as_period(&updated)])
            .collect();
        rules::check_no_overlap(&others).map_err(period_error)?;
        repo::supersede_period(
            tx,
            &self.insurer,
            current.period_id,
            current.version_no,
            updated.recorded_us,
        )
        .await?;
        repo::insert_period_version(tx, &self.insurer, &updated).await?;
        self.close_memberships(tx, &l.addressee_id, lost_on, actor, updated.recorded_us)
            .await?;
        Ok(updated)
    }

    async fn close_memberships(
        &self,
        tx: &mut Tx,
        person: &AddresseeId,
        on: Date,
        actor: Actor<'_>,
        at: i64,
    ) -> Result<()> {
        for m in repo::memberships_of_person(tx, &self.insurer, person, NOW).await? {
            if m.valid_to.is_none_or(|to| to > on) && m.valid_from < on {
                repo::supersede_membership(tx, &self.insurer, m.membership_id, m.version_no, at)
                    .await?;
                repo::insert_membership_version(
                    tx,
                    &self.insurer,
                    &MembershipVersion {
                        version_no: m.version_no + 1,
                        valid_to: Some(on),
                        recorded_us: at,
                        recorded_by: actor.to_string(),
                        superseded_us: None,
                        ..m
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Corrects a period (訂正), including retroactively (遡及): adds a
    /// version; the old one stays readable as known before.
    pub async fn correct(
        &self,
        c: &Correction,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<PeriodVersion> {
        in_tx!(self.db, |tx| self.correct_in(&mut tx, c, actor, now).await)
    }

    pub(crate) async fn correct_in(
        &self,
        tx: &mut Tx,
        c: &Correction,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<PeriodVersion> {
        if c.note.trim().is_empty() {
            return Err(AppError::invalid(
                "note",
                "a correction needs a reason",
                "訂正の理由を入力してください",
            ));
        }
        {
            let current = repo::current_version(tx, &self.insurer, c.period_id)
                .await?
                .ok_or(AppError::NotFound {
                    what: "eligibility period",
                    message_ja: "該当する資格期間がありません",
                })?;
            if current.voided {
                return Err(AppError::Conflict {
                    message_en: "the period was voided".into(),
                    message_ja: "この資格期間は取り消されています".into(),
                });
            }
            let person = self.person_in(tx, &current.addressee_id).await?;
            let mut updated = PeriodVersion {
                version_no: current.version_no + 1,
                change_kind: if c.void {
                    "void".into()
                } else {
                    "correction".into()
                },
                change_note: c.note.trim().to_string(),
                recorded_us: to_us(now),
                recorded_by: actor.to_string(),
                superseded_us: None,
                voided: c.void,
                ..current.clone()
            };
            if let Some(d) = c.acquired_on {
                updated.acquired_on = d;
            }
            if let Some(r) = c.acquisition_reason {
                updated.acquisition_reason = r;
            }
            if let Some(l) = c.lost_on {
                updated.lost_on = l;
            }
            if let Some(r) = c.loss_reason {
                updated.loss_reason = r;
            }
            if let Some(f) = &c.flags {
                updated.address_exception = f.address_exception;
                updated.student_exception = f.student_exception;
                updated.foreign_stay_until = f.foreign_stay_until;
            }
            if !c.void {
                let p = as_period(&updated);
                rules::validate_period(&p).map_err(period_error)?;
                rules::check_acquisition_fits(
                    p.acquisition_reason,
                    p.acquired_on,
                    person.birth_date,
                )
                .map_err(period_error)?;
                if let (Some(r), Some(on)) = (p.loss_reason, p.lost_on) {
                    rules::check_loss_fits_age(r, on, person.birth_date).map_err(period_error)?;
                }
                let periods =
                    repo::periods_of_person(tx, &self.insurer, &current.addressee_id, NOW).await?;
                let all: Vec<Period> = periods
                    .iter()
                    .filter(|v| v.period_id != c.period_id)
                    .map(as_period)
                    .chain([p])
                    .collect();
                rules::check_no_overlap(&all).map_err(period_error)?;
            }
            repo::supersede_period(
                tx,
                &self.insurer,
                current.period_id,
                current.version_no,
                updated.recorded_us,
            )
            .await?;
            repo::insert_period_version(tx, &self.insurer, &updated).await?;
            self.realign_memberships(tx, &current, &updated, actor)
                .await?;
            Ok(updated)
        }
    }

    /// Keeps the household memberships in step with a corrected period: the
    /// first starts on the (new) acquisition date, the last ends on the
    /// (new) loss date, and a voided period takes its memberships with it.
    async fn realign_memberships(
        &self,
        tx: &mut Tx,
        old: &PeriodVersion,
        new: &PeriodVersion,
        actor: Actor<'_>,
    ) -> Result<()> {
        let at = new.recorded_us;
        let within = |m: &MembershipVersion| {
            m.valid_from < old.lost_on.unwrap_or(Date::MAX)
                && m.valid_to.is_none_or(|to| to > old.acquired_on)
        };
        let memberships: Vec<MembershipVersion> =
            repo::memberships_of_person(tx, &self.insurer, &old.addressee_id, NOW)
                .await?
                .into_iter()
                .filter(within)
                .collect();
        let last = memberships.len().saturating_sub(1);
        for (i, m) in memberships.iter().enumerate() {
            let mut next = MembershipVersion {
                version_no: m.version_no + 1,
                recorded_us: at,
                recorded_by: actor.to_string(),
                superseded_us: None,
                ..m.clone()
            };
            if new.voided {
                next.voided = true;
            } else {
                if i == 0 && m.valid_from == old.acquired_on {
                    next.valid_from = new.acquired_on;
                }
                if i == last && m.valid_to == old.lost_on {
                    next.valid_to = new.lost_on;
                }
            }
            if next.valid_from == m.valid_from
                && next.valid_to == m.valid_to
                && next.voided == m.voided
            {
                continue;
            }
            if next.valid_to.is_some_and(|to| to <= next.valid_from) {
                // Nothing of this membership is left inside the period.
                next.valid_from = m.valid_from;
                next.valid_to = m.valid_to;
                next.voided = true;
            }
            repo::supersede_membership(tx, &self.insurer, m.membership_id, m.version_no, at)
                .await?;
            repo::insert_membership_version(tx, &self.insurer, &next).await?;
        }
        Ok(())
    }

    /// Moves an insured person to another household from a date (世帯分離,
    /// 世帯合併, 世帯変更); the old membership ends that day.
    pub async fn change_household(
        &self,
        person: &AddresseeId,
        household: &HouseholdNumber,
        from: Date,
        reason: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<()> {
        in_tx!(self.db, |tx| {
            self.person_in(&mut tx, person).await?;
            if !registry::household_exists(&mut tx, &self.insurer, household).await? {
                return Err(AppError::invalid(
                    "household_number",
                    "no such household",
                    "指定された世帯がありません",
                ));
            }
            self.join_household_in(&mut tx, person, household, from, reason, actor, to_us(now))
                .await
        })
    }

    /// The NHI households a person belongs to at some time in the month of
    /// `from` or after (as known now): those whose burden months a change
    /// from `from` can alter. A membership that ended on the first of that
    /// month counts too, since the month judged without the person is new.
    pub async fn households_of_person_since(
        &self,
        person: &AddresseeId,
        from: Date,
    ) -> Result<BTreeSet<HouseholdNumber>> {
        let month_start = from.replace_day(1).unwrap_or(from);
        in_tx!(self.db, |tx| {
            let memberships =
                repo::memberships_of_person(&mut tx, &self.insurer, person, NOW).await?;
            Ok(memberships
                .into_iter()
                .filter(|m| m.valid_to.is_none_or(|to| to >= month_start))
                .map(|m| m.household_number)
                .collect())
        })
    }

    /// A period as it stands now.
    pub async fn period(&self, period_id: i64) -> Result<PeriodVersion> {
        in_tx!(self.db, |tx| repo::current_version(
            &mut tx,
            &self.insurer,
            period_id
        )
        .await?
        .ok_or(AppError::NotFound {
            what: "eligibility period",
            message_ja: "該当する資格期間がありません",
        }))
    }

    /// A person's periods as of now or as known at `known_at`.
    pub async fn periods(
        &self,
        person: &AddresseeId,
        known_at: Option<OffsetDateTime>,
    ) -> Result<Vec<PeriodVersion>> {
        Ok(
            repo::periods_of_person_db(
                &self.db,
                &self.insurer,
                person,
                known_at.map_or(NOW, to_us),
            )
            .await?,
        )
    }

    /// Every version ever recorded for a person (the audit view).
    pub async fn eligibility_history(&self, person: &AddresseeId) -> Result<Vec<PeriodVersion>> {
        Ok(repo::history_of_person(&self.db, &self.insurer, person).await?)
    }

    /// Streams everyone insured on `on` (as known at `known_at`).
    pub async fn for_each_insured_on(
        &self,
        on: Date,
        known_at: Option<OffsetDateTime>,
        each: impl FnMut(repo::InsuredRow) -> kokuho_store::Result<()>,
    ) -> Result<u64> {
        Ok(repo::for_each_insured_on(
            &self.db,
            &self.insurer,
            on,
            known_at.map_or(NOW, to_us),
            None,
            each,
        )
        .await?)
    }

    /// The daily age job for `on`: records the loss on the 75th birthday
    /// (後期高齢者医療への移行) of everyone insured past it. Idempotent: a
    /// second run, or a run for a past date, finds nothing more to do.
    pub async fn run_age_job(
        &self,
        on: Date,
        actor: Actor<'_>,
        progress: &Progress,
        now: OffsetDateTime,
    ) -> Result<AgeJobReport> {
        in_tx!(self.db, |tx| self
            .run_age_job_in(&mut tx, on, actor, progress, now)
            .await)
    }

    pub(crate) async fn run_age_job_in(
        &self,
        tx: &mut Tx,
        on: Date,
        actor: Actor<'_>,
        progress: &Progress,
        now: OffsetDateTime,
    ) -> Result<AgeJobReport> {
        {
            // A superset: everyone born before the year of those turning 74;
            // the exact birthday test follows per person.
            let born_by =
                Date::from_calendar_date(on.year() - 74, time::Month::January, 1).unwrap_or(on);
            let candidates = repo::periods_of_persons_born_by(tx, &self.insurer, born_by).await?;
            let mut report = AgeJobReport::default();
            progress.set_total(candidates.len() as u64);
            for (done, (period, birth)) in candidates.into_iter().enumerate() {
                progress.set_done(done as u64);
                let Some(turning_75) = rules::late_elderly_from(birth) else {
                    continue;
                };
                if turning_75 > on
                    || period.acquired_on >= turning_75
                    || period.lost_on.is_some_and(|l| l <= turning_75)
                {
                    continue;
                }
                self.lose_in(
                    tx,
                    &Loss {
                        addressee_id: period.addressee_id.clone(),
                        reason: LossReason::LateElderly,
                        event_on: turning_75,
                        notified_on: None,
                        destination: None,
                        next_insurer_number: None,
                    },
                    actor,
                    now,
                    "age",
                )
                .await?;
                report.late_elderly_losses += 1;
                report.lost.push((period.addressee_id.clone(), turning_75));
            }
            progress.complete();
            Ok(report)
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgeJobReport {
    pub late_elderly_losses: u64,
    /// Who lost eligibility, and from when (their households are judged again).
    pub lost: Vec<(AddresseeId, Date)>,
}

/// The columns of `kokuho eligibility as-of` (docs/formats/eligibility-as-of.md).
pub const AS_OF_HEADER: [&str; 14] = [
    "insurer_number",
    "insured_symbol",
    "insured_number",
    "branch_number",
    "addressee_id",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "acquired_on",
    "acquisition_reason",
    "lost_on",
    "loss_reason",
    "household_number",
];

impl Kokuho {
    /// Writes everyone insured on `on` (as known at `known_at`) as CSV; a
    /// character the encoding cannot hold is an error naming row and column.
    pub async fn export_insured_on<W: std::io::Write>(
        &self,
        on: Date,
        known_at: Option<OffsetDateTime>,
        encoding: kokuho_formats::text::Encoding,
        out: W,
    ) -> Result<(W, u64)> {
        let csv_error = |e: kokuho_formats::csv_out::CsvError| AppError::Invalid {
            field: "encoding",
            message_en: e.to_string(),
            message_ja: e.message_ja(),
        };
        let mut w = kokuho_formats::csv_out::CsvWriter::new(out, encoding, &AS_OF_HEADER)
            .map_err(csv_error)?;
        let insurer = self.insurer.to_string();
        let mut failure: Option<AppError> = None;
        let n = self
            .for_each_insured_on(on, known_at, |r| {
                let fields = [
                    insurer.clone(),
                    r.insured_symbol.unwrap_or_default(),
                    r.insured_number.unwrap_or_default(),
                    r.branch_number.unwrap_or_default(),
                    r.addressee_id,
                    r.name,
                    r.name_kana,
                    r.birth_date.to_string(),
                    r.sex.to_string(),
                    r.acquired_on.to_string(),
                    r.acquisition_reason,
                    r.lost_on.map(|d| d.to_string()).unwrap_or_default(),
                    r.loss_reason.unwrap_or_default(),
                    r.household_number.unwrap_or_default(),
                ];
                if let Err(e) = w.write_row(&fields) {
                    failure = Some(csv_error(e));
                    return Err(kokuho_store::StoreError::NotFound {
                        what: "an encodable row",
                    });
                }
                Ok(())
            })
            .await;
        if let Some(e) = failure {
            return Err(e);
        }
        let n = n?;
        Ok((w.finish().map_err(csv_error)?, n))
    }
}

/// An NHI household on a date: its numbers, its registry householder (who is
/// the 擬制世帯主 when not insured themselves) and its insured members.
#[derive(Clone, Debug)]
pub struct NhiHouseholdView {
    pub household_number: HouseholdNumber,
    pub on: Date,
    pub insured_symbol: Option<String>,
    pub insured_number: Option<String>,
    pub householder: Option<AddresseeId>,
    /// 擬制世帯主: the householder is not insured on the date (the tax obligor all the same).
    pub nominal_householder: bool,
    pub members: Vec<repo::InsuredRow>,
}

impl Kokuho {
    /// The NHI household as of `on`, as known at `known_at`.
    pub async fn nhi_household_as_of(
        &self,
        household: &HouseholdNumber,
        on: Date,
        known_at: Option<OffsetDateTime>,
    ) -> Result<NhiHouseholdView> {
        let known = known_at.map_or(NOW, to_us);
        if registry::get_household(&self.db, &self.insurer, household)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound {
                what: "household",
                message_ja: "該当する世帯がありません",
            });
        }
        let mut members = Vec::new();
        repo::for_each_insured_on(&self.db, &self.insurer, on, known, Some(household), |r| {
            members.push(r);
            Ok(())
        })
        .await?;
        let householder =
            registry::householder_on(&self.db, &self.insurer, household, on, known).await?;
        let nominal_householder = !members.is_empty()
            && householder
                .as_ref()
                .is_some_and(|h| !members.iter().any(|m| m.addressee_id == h.as_str()));
        Ok(NhiHouseholdView {
            household_number: household.clone(),
            on,
            insured_symbol: members.first().and_then(|m| m.insured_symbol.clone()),
            insured_number: members.first().and_then(|m| m.insured_number.clone()),
            householder,
            nominal_householder,
            members,
        })
    }
}
