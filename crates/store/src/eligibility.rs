//! Eligibility (国保資格ファイル), bitemporal: periods and household
//! memberships as append-only versions, the numbers of NHI households and
//! the 枝番 of their members.
//!
//! Transaction time is kept in microseconds since the Unix epoch (UTC) on
//! both backends, so "as known at T" compares integers the same way on
//! SQLite and PostgreSQL. A version is in force from `recorded_us` until
//! `superseded_us`; superseding is the only update this module makes, and it
//! only closes a version's transaction time.

use futures_util::TryStreamExt;
use kokuho_domain::addressee::HouseholdNumber;
use kokuho_domain::eligibility::{AcquisitionReason, LossReason};
use kokuho_domain::id::{AddresseeId, InsurerNumber};
use time::Date;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

/// Transaction time meaning "now": later than any recorded version.
pub const NOW: i64 = i64::MAX;

/// One version of an eligibility period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodVersion {
    pub period_id: i64,
    pub version_no: i64,
    pub addressee_id: AddresseeId,
    pub acquired_on: Date,
    pub acquisition_reason: AcquisitionReason,
    pub acquisition_event_on: Date,
    pub acquisition_notified_on: Option<Date>,
    pub acquisition_late: bool,
    pub lost_on: Option<Date>,
    pub loss_reason: Option<LossReason>,
    pub loss_event_on: Option<Date>,
    pub loss_notified_on: Option<Date>,
    pub loss_late: bool,
    pub previous_insurer_number: Option<String>,
    pub next_insurer_number: Option<String>,
    pub address_exception: bool,
    pub student_exception: bool,
    pub foreign_stay_until: Option<Date>,
    pub voided: bool,
    /// acquisition, loss, correction, void, age (the daily job)
    pub change_kind: String,
    pub change_note: String,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub superseded_us: Option<i64>,
}

const PERIOD_COLUMNS: &str = "period_id, version_no, addressee_id, acquired_on, acquisition_reason, \
    acquisition_event_on, acquisition_notified_on, acquisition_late, lost_on, loss_reason, loss_event_on, \
    loss_notified_on, loss_late, previous_insurer_number, next_insurer_number, address_exception, \
    student_exception, foreign_stay_until, voided, change_kind, change_note, recorded_us, recorded_by, superseded_us";

#[derive(sqlx::FromRow)]
struct PeriodRow {
    period_id: i64,
    version_no: i64,
    addressee_id: String,
    acquired_on: Date,
    acquisition_reason: String,
    acquisition_event_on: Date,
    acquisition_notified_on: Option<Date>,
    acquisition_late: bool,
    lost_on: Option<Date>,
    loss_reason: Option<String>,
    loss_event_on: Option<Date>,
    loss_notified_on: Option<Date>,
    loss_late: bool,
    previous_insurer_number: Option<String>,
    next_insurer_number: Option<String>,
    address_exception: bool,
    student_exception: bool,
    foreign_stay_until: Option<Date>,
    voided: bool,
    change_kind: String,
    change_note: String,
    recorded_us: i64,
    recorded_by: String,
    superseded_us: Option<i64>,
}

impl TryFrom<PeriodRow> for PeriodVersion {
    type Error = StoreError;
    fn try_from(r: PeriodRow) -> Result<PeriodVersion> {
        let bad = |col: &'static str, e: String| StoreError::corrupt("eligibility_version", col, e);
        Ok(PeriodVersion {
            period_id: r.period_id,
            version_no: r.version_no,
            addressee_id: AddresseeId::parse(&r.addressee_id)
                .map_err(|e| bad("addressee_id", e.to_string()))?,
            acquired_on: r.acquired_on,
            acquisition_reason: AcquisitionReason::from_code(&r.acquisition_reason)
                .ok_or_else(|| bad("acquisition_reason", r.acquisition_reason.clone()))?,
            acquisition_event_on: r.acquisition_event_on,
            acquisition_notified_on: r.acquisition_notified_on,
            acquisition_late: r.acquisition_late,
            lost_on: r.lost_on,
            loss_reason: r
                .loss_reason
                .as_deref()
                .map(|c| LossReason::from_code(c).ok_or_else(|| bad("loss_reason", c.to_string())))
                .transpose()?,
            loss_event_on: r.loss_event_on,
            loss_notified_on: r.loss_notified_on,
            loss_late: r.loss_late,
            previous_insurer_number: r.previous_insurer_number,
            next_insurer_number: r.next_insurer_number,
            address_exception: r.address_exception,
            student_exception: r.student_exception,
            foreign_stay_until: r.foreign_stay_until,
            voided: r.voided,
            change_kind: r.change_kind,
            change_note: r.change_note,
            recorded_us: r.recorded_us,
            recorded_by: r.recorded_by,
            superseded_us: r.superseded_us,
        })
    }
}

pub async fn insert_period_version(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    v: &PeriodVersion,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO eligibility_version (insurer_number, {PERIOD_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
        )))
        .bind(insurer.as_str().to_string())
        .bind(v.period_id)
        .bind(v.version_no)
        .bind(v.addressee_id.as_str().to_string())
        .bind(v.acquired_on)
        .bind(v.acquisition_reason.code())
        .bind(v.acquisition_event_on)
        .bind(v.acquisition_notified_on)
        .bind(v.acquisition_late)
        .bind(v.lost_on)
        .bind(v.loss_reason.map(|r| r.code()))
        .bind(v.loss_event_on)
        .bind(v.loss_notified_on)
        .bind(v.loss_late)
        .bind(v.previous_insurer_number.clone())
        .bind(v.next_insurer_number.clone())
        .bind(v.address_exception)
        .bind(v.student_exception)
        .bind(v.foreign_stay_until)
        .bind(v.voided)
        .bind(v.change_kind.clone())
        .bind(v.change_note.clone())
        .bind(v.recorded_us)
        .bind(v.recorded_by.clone())
        .bind(v.superseded_us)
        .execute(c)
        .await?;
    });
    Ok(())
}

/// The two bitemporal tables and their id columns (fixed names, never input).
#[derive(Clone, Copy)]
enum Versioned {
    Period,
    Membership,
}

impl Versioned {
    fn table(self) -> &'static str {
        match self {
            Versioned::Period => "eligibility_version",
            Versioned::Membership => "membership_version",
        }
    }

    fn id_column(self) -> &'static str {
        match self {
            Versioned::Period => "period_id",
            Versioned::Membership => "membership_id",
        }
    }

    fn newer(self) -> &'static str {
        match self {
            Versioned::Period => "a newer version of this eligibility period",
            Versioned::Membership => "a newer version of this membership",
        }
    }
}

/// Closes the transaction time of the version in force; fails unless
/// exactly that version was open (a concurrent change is refused) and was
/// recorded no later than `at_us`.
async fn supersede(
    tx: &mut Tx,
    v: Versioned,
    insurer: &InsurerNumber,
    id: i64,
    version_no: i64,
    at_us: i64,
) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET superseded_us = $1 WHERE insurer_number = $2 AND {} = $3 \
         AND version_no = $4 AND superseded_us IS NULL AND recorded_us <= $1",
        v.table(),
        v.id_column()
    );
    let n = with_tx!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(at_us)
            .bind(insurer.as_str().to_string())
            .bind(id)
            .bind(version_no)
            .execute(c)
            .await?
            .rows_affected()
    });
    if n != 1 {
        return Err(StoreError::Duplicate { what: v.newer() });
    }
    Ok(())
}

/// The next id of a bitemporal table for an insurer.
async fn next_id(tx: &mut Tx, v: Versioned, insurer: &InsurerNumber) -> Result<i64> {
    let sql = format!(
        "SELECT MAX({}) FROM {} WHERE insurer_number = $1",
        v.id_column(),
        v.table()
    );
    let max: Option<i64> = with_tx!(tx, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .fetch_one(c)
        .await?);
    Ok(max.unwrap_or(0) + 1)
}

pub async fn supersede_period(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    period_id: i64,
    version_no: i64,
    at_us: i64,
) -> Result<()> {
    supersede(tx, Versioned::Period, insurer, period_id, version_no, at_us).await
}

pub async fn next_period_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    next_id(tx, Versioned::Period, insurer).await
}

const KNOWN_AT: &str = "recorded_us <= $3 AND (superseded_us IS NULL OR superseded_us > $3)";

/// A person's periods as known at `known_at_us` (voided ones left out),
/// oldest first. Inside a transaction, so checks and writes see one state.
pub async fn periods_of_person(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    person: &AddresseeId,
    known_at_us: i64,
) -> Result<Vec<PeriodVersion>> {
    let rows: Vec<PeriodRow> = with_tx!(tx, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PERIOD_COLUMNS} FROM eligibility_version WHERE insurer_number = $1 AND addressee_id = $2 \
         AND {KNOWN_AT} AND NOT voided ORDER BY acquired_on, period_id"
    )))
    .bind(insurer.as_str().to_string())
    .bind(person.as_str().to_string())
    .bind(known_at_us)
    .fetch_all(c)
    .await?
    });
    rows.into_iter().map(PeriodVersion::try_from).collect()
}

/// The same, outside a transaction (read-only callers).
pub async fn periods_of_person_db(
    db: &Db,
    insurer: &InsurerNumber,
    person: &AddresseeId,
    known_at_us: i64,
) -> Result<Vec<PeriodVersion>> {
    let rows: Vec<PeriodRow> = with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PERIOD_COLUMNS} FROM eligibility_version WHERE insurer_number = $1 AND addressee_id = $2 \
         AND {KNOWN_AT} AND NOT voided ORDER BY acquired_on, period_id"
    )))
    .bind(insurer.as_str().to_string())
    .bind(person.as_str().to_string())
    .bind(known_at_us)
    .fetch_all(p)
    .await?
    });
    rows.into_iter().map(PeriodVersion::try_from).collect()
}

/// Every version ever recorded for a person, in recording order.
pub async fn history_of_person(
    db: &Db,
    insurer: &InsurerNumber,
    person: &AddresseeId,
) -> Result<Vec<PeriodVersion>> {
    let rows: Vec<PeriodRow> = with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PERIOD_COLUMNS} FROM eligibility_version WHERE insurer_number = $1 AND addressee_id = $2 \
         ORDER BY recorded_us, period_id, version_no"
    )))
    .bind(insurer.as_str().to_string())
    .bind(person.as_str().to_string())
    .fetch_all(p)
    .await?
    });
    rows.into_iter().map(PeriodVersion::try_from).collect()
}

/// The period version in force now for a period id.
pub async fn current_version(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    period_id: i64,
) -> Result<Option<PeriodVersion>> {
    let row: Option<PeriodRow> = with_tx!(tx, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PERIOD_COLUMNS} FROM eligibility_version WHERE insurer_number = $1 AND period_id = $2 \
         AND superseded_us IS NULL"
    )))
    .bind(insurer.as_str().to_string())
    .bind(period_id)
    .fetch_optional(c)
    .await?
    });
    row.map(PeriodVersion::try_from).transpose()
}

/// Open (or later-ending) periods, as known now, of persons born on or
/// before `born_by`: the candidates of the daily age job.
pub async fn periods_of_persons_born_by(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    born_by: Date,
) -> Result<Vec<(PeriodVersion, Date)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        period: PeriodRow,
        birth_date: Date,
    }
    let cols = PERIOD_COLUMNS
        .split(", ")
        .map(|c| format!("e.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<Row> = with_tx!(tx, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {cols}, a.birth_date FROM eligibility_version e JOIN addressee a \
         ON a.insurer_number = e.insurer_number AND a.addressee_id = e.addressee_id \
         WHERE e.insurer_number = $1 AND e.superseded_us IS NULL AND NOT e.voided AND a.birth_date <= $2 \
         ORDER BY e.period_id"
    )))
    .bind(insurer.as_str().to_string())
    .bind(born_by)
    .fetch_all(c)
    .await?
    });
    rows.into_iter()
        .map(|r| Ok((PeriodVersion::try_from(r.period)?, r.birth_date)))
        .collect()
}

/// One version of a household membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipVersion {
    pub membership_id: i64,
    pub version_no: i64,
    pub addressee_id: AddresseeId,
    pub household_number: HouseholdNumber,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub reason: String,
    pub voided: bool,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub superseded_us: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    membership_id: i64,
    version_no: i64,
    addressee_id: String,
    household_number: String,
    valid_from: Date,
    valid_to: Option<Date>,
    reason: String,
    voided: bool,
    recorded_us: i64,
    recorded_by: String,
    superseded_us: Option<i64>,
}

impl TryFrom<MembershipRow> for MembershipVersion {
    type Error = StoreError;
    fn try_from(r: MembershipRow) -> Result<MembershipVersion> {
        let bad = |col: &'static str, e: String| StoreError::corrupt("membership_version", col, e);
        Ok(MembershipVersion {
            membership_id: r.membership_id,
            version_no: r.version_no,
            addressee_id: AddresseeId::parse(&r.addressee_id)
                .map_err(|e| bad("addressee_id", e.to_string()))?,
            household_number: HouseholdNumber::parse(&r.household_number)
                .map_err(|e| bad("household_number", e.to_string()))?,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            reason: r.reason,
            voided: r.voided,
            recorded_us: r.recorded_us,
            recorded_by: r.recorded_by,
            superseded_us: r.superseded_us,
        })
    }
}

const MEMBERSHIP_COLUMNS: &str = "membership_id, version_no, addressee_id, household_number, valid_from, valid_to, \
    reason, voided, recorded_us, recorded_by, superseded_us";

pub async fn insert_membership_version(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    m: &MembershipVersion,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO membership_version (insurer_number, {MEMBERSHIP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )))
        .bind(insurer.as_str().to_string())
        .bind(m.membership_id)
        .bind(m.version_no)
        .bind(m.addressee_id.as_str().to_string())
        .bind(m.household_number.as_str().to_string())
        .bind(m.valid_from)
        .bind(m.valid_to)
        .bind(m.reason.clone())
        .bind(m.voided)
        .bind(m.recorded_us)
        .bind(m.recorded_by.clone())
        .bind(m.superseded_us)
        .execute(c)
        .await?;
    });
    Ok(())
}

pub async fn supersede_membership(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    membership_id: i64,
    version_no: i64,
    at_us: i64,
) -> Result<()> {
    supersede(
        tx,
        Versioned::Membership,
        insurer,
        membership_id,
        version_no,
        at_us,
    )
    .await
}

pub async fn next_membership_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    next_id(tx, Versioned::Membership, insurer).await
}

/// A person's memberships as known at `known_at_us`, oldest first.
pub async fn memberships_of_person(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    person: &AddresseeId,
    known_at_us: i64,
) -> Result<Vec<MembershipVersion>> {
    let rows: Vec<MembershipRow> = with_tx!(tx, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM membership_version WHERE insurer_number = $1 AND addressee_id = $2 \
         AND {KNOWN_AT} AND NOT voided ORDER BY valid_from, membership_id"
    )))
    .bind(insurer.as_str().to_string())
    .bind(person.as_str().to_string())
    .bind(known_at_us)
    .fetch_all(c)
    .await?
    });
    rows.into_iter().map(MembershipVersion::try_from).collect()
}

/// The 被保険者記号・番号 of a household, if assigned.
pub async fn household_numbers(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    household: &HouseholdNumber,
) -> Result<Option<(String, String)>> {
    Ok(with_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT insured_symbol, insured_number FROM nhi_household WHERE insurer_number = $1 AND household_number = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(household.as_str().to_string())
    .fetch_optional(c)
    .await?
    }))
}

/// The numbering rule: (symbol, digits).
pub async fn numbering_rule(tx: &mut Tx, insurer: &InsurerNumber) -> Result<Option<(String, i64)>> {
    Ok(with_tx!(tx, |c| sqlx::query_as(
        "SELECT insured_symbol, number_digits FROM numbering_rule WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_optional(c)
    .await?))
}

/// Sets (or replaces) the rule; the sequence continues where it was.
pub async fn set_numbering_rule(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    symbol: &str,
    digits: i64,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO numbering_rule (insurer_number, insured_symbol, number_digits, next_number) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (insurer_number) DO UPDATE SET insured_symbol = excluded.insured_symbol, number_digits = excluded.number_digits",
        )
        .bind(insurer.as_str().to_string())
        .bind(symbol.to_string())
        .bind(digits)
        .execute(c)
        .await?;
    });
    Ok(())
}

/// Takes the next number of the sequence.
pub async fn take_next_number(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    let n: Option<i64> = with_tx!(tx, |c| {
        sqlx::query_scalar(
        "UPDATE numbering_rule SET next_number = next_number + 1 WHERE insurer_number = $1 RETURNING next_number - 1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_optional(c)
    .await?
    });
    n.ok_or(StoreError::NotFound {
        what: "numbering rule",
    })
}

pub async fn insert_household_numbers(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    household: &HouseholdNumber,
    symbol: &str,
    number: &str,
    at_us: i64,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO nhi_household (insurer_number, household_number, insured_symbol, insured_number, assigned_us) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(insurer.as_str().to_string())
        .bind(household.as_str().to_string())
        .bind(symbol.to_string())
        .bind(number.to_string())
        .bind(at_us)
        .execute(c)
        .await?;
    });
    Ok(())
}

/// The 枝番 already assigned in a household: (person, branch).
pub async fn branches(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    household: &HouseholdNumber,
) -> Result<Vec<(String, String)>> {
    Ok(with_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT addressee_id, branch_number FROM branch_assignment WHERE insurer_number = $1 AND household_number = $2 \
         ORDER BY branch_number"
    )
    .bind(insurer.as_str().to_string())
    .bind(household.as_str().to_string())
    .fetch_all(c)
    .await?
    }))
}

pub async fn insert_branch(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    household: &HouseholdNumber,
    person: &AddresseeId,
    branch: &str,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO branch_assignment (insurer_number, household_number, addressee_id, branch_number) VALUES ($1, $2, $3, $4)",
        )
        .bind(insurer.as_str().to_string())
        .bind(household.as_str().to_string())
        .bind(person.as_str().to_string())
        .bind(branch.to_string())
        .execute(c)
        .await?;
    });
    Ok(())
}

/// One insured person on a date, as the as-of export shows them.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct InsuredRow {
    pub insured_symbol: Option<String>,
    pub insured_number: Option<String>,
    pub branch_number: Option<String>,
    pub addressee_id: String,
    pub name: String,
    pub name_kana: String,
    pub birth_date: Date,
    pub sex: i16,
    pub acquired_on: Date,
    pub acquisition_reason: String,
    pub lost_on: Option<Date>,
    pub loss_reason: Option<String>,
    pub household_number: Option<String>,
}

/// Calls `each` for every person insured on `on` as known at `known_at_us`,
/// streaming (memory stays flat on a city), ordered by symbol, number, 枝番.
pub async fn for_each_insured_on(
    db: &Db,
    insurer: &InsurerNumber,
    on: Date,
    known_at_us: i64,
    household: Option<&HouseholdNumber>,
    mut each: impl FnMut(InsuredRow) -> Result<()>,
) -> Result<u64> {
    // For one household the candidates come from the membership index (the
    // IN list steers SQLite's planner, which has no statistics), so a
    // household's page does not read the whole insurer's eligibility.
    let (membership_join, household_filter, household_members) = match household {
        Some(_) => (
            "JOIN",
            " AND m.household_number = $4",
            " AND e.addressee_id IN (SELECT addressee_id FROM membership_version \
              WHERE insurer_number = $1 AND household_number = $4)",
        ),
        None => ("LEFT JOIN", "", ""),
    };
    let sql = format!(
        "SELECT h.insured_symbol, h.insured_number, b.branch_number, e.addressee_id, a.name, a.name_kana, \
         a.birth_date, a.sex, e.acquired_on, e.acquisition_reason, e.lost_on, e.loss_reason, m.household_number \
         FROM eligibility_version e \
         JOIN addressee a ON a.insurer_number = e.insurer_number AND a.addressee_id = e.addressee_id \
         {membership_join} membership_version m ON m.insurer_number = e.insurer_number AND m.addressee_id = e.addressee_id \
              AND m.recorded_us <= $3 AND (m.superseded_us IS NULL OR m.superseded_us > $3) AND NOT m.voided \
              AND m.valid_from <= $2 AND (m.valid_to IS NULL OR m.valid_to > $2){household_filter} \
         LEFT JOIN nhi_household h ON h.insurer_number = e.insurer_number AND h.household_number = m.household_number \
         LEFT JOIN branch_assignment b ON b.insurer_number = e.insurer_number AND b.household_number = m.household_number \
              AND b.addressee_id = e.addressee_id \
         WHERE e.insurer_number = $1 AND e.recorded_us <= $3 AND (e.superseded_us IS NULL OR e.superseded_us > $3) \
           AND NOT e.voided AND e.acquired_on <= $2 AND (e.lost_on IS NULL OR e.lost_on > $2){household_members} \
         ORDER BY h.insured_symbol, h.insured_number, b.branch_number, e.addressee_id"
    );
    let mut n = 0u64;
    with_db!(db, |p| {
        let mut q = sqlx::query_as::<_, InsuredRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(insurer.as_str().to_string())
            .bind(on)
            .bind(known_at_us);
        if let Some(h) = household {
            q = q.bind(h.as_str().to_string());
        }
        let mut rows = q.fetch(p);
        while let Some(row) = rows.try_next().await? {
            each(row)?;
            n += 1;
        }
    });
    Ok(n)
}

/// The households holding a 被保険者番号 (and 記号, when given).
pub async fn households_by_insured_number(
    db: &Db,
    insurer: &InsurerNumber,
    symbol: Option<&str>,
    number: &str,
) -> Result<Vec<HouseholdNumber>> {
    // With the symbol, the unique index answers; a number alone reads the
    // insurer's households (numbers repeat across symbols).
    let sql = match symbol {
        Some(_) => {
            "SELECT household_number FROM nhi_household WHERE insurer_number = $1 AND insured_number = $2 \
             AND insured_symbol = $3 ORDER BY household_number"
        }
        None => {
            "SELECT household_number FROM nhi_household WHERE insurer_number = $1 AND insured_number = $2 \
             ORDER BY household_number"
        }
    };
    let rows: Vec<String> = with_db!(db, |p| {
        let mut q = sqlx::query_scalar(sql)
            .bind(insurer.as_str().to_string())
            .bind(number.to_string());
        if let Some(sym) = symbol {
            q = q.bind(sym.to_string());
        }
        q.fetch_all(p).await?
    });
    rows.iter()
        .map(|h| {
            HouseholdNumber::parse(h)
                .map_err(|e| StoreError::corrupt("nhi_household", "household_number", e))
        })
        .collect()
}

/// Every period version of the insurer as known at `known_at_us`, voided
/// ones included (a differential tells the federation what was voided).
pub async fn all_periods_known_at(
    db: &Db,
    insurer: &InsurerNumber,
    known_at_us: i64,
) -> Result<Vec<PeriodVersion>> {
    let rows: Vec<PeriodRow> = with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {PERIOD_COLUMNS} FROM eligibility_version WHERE insurer_number = $1 \
             AND recorded_us <= $2 AND (superseded_us IS NULL OR superseded_us > $2) ORDER BY addressee_id, acquired_on, period_id"
        )))
        .bind(insurer.as_str().to_string())
        .bind(known_at_us)
        .fetch_all(p)
        .await?
    });
    rows.into_iter().map(PeriodVersion::try_from).collect()
}

/// Every membership of the insurer as known at `known_at_us`, voided ones
/// included (a voided period voids its memberships: the household it was in
/// must still be described again); callers filter on `voided`.
pub async fn all_memberships_known_at(
    db: &Db,
    insurer: &InsurerNumber,
    known_at_us: i64,
) -> Result<Vec<MembershipVersion>> {
    let rows: Vec<MembershipRow> = with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM membership_version WHERE insurer_number = $1 \
             AND recorded_us <= $2 AND (superseded_us IS NULL OR superseded_us > $2) ORDER BY addressee_id, valid_from, membership_id"
        )))
        .bind(insurer.as_str().to_string())
        .bind(known_at_us)
        .fetch_all(p)
        .await?
    });
    rows.into_iter().map(MembershipVersion::try_from).collect()
}

/// The persons whose record changed in (`since_us`, `until_us`]: what a
/// differential extract sends again — their periods or memberships recorded
/// or superseded, a resident-registry change imported (name, address), the
/// householder of their household changed, their household's 記号・番号
/// assigned. (A My Number registered since is added by the caller from the
/// vault's own time.)
pub async fn changed_persons(
    db: &Db,
    insurer: &InsurerNumber,
    since_us: i64,
    until_us: i64,
) -> Result<std::collections::BTreeSet<String>> {
    let rows: Vec<String> = with_db!(db, |p| {
        sqlx::query_scalar(
            "SELECT addressee_id FROM eligibility_version WHERE insurer_number = $1 \
             AND ((recorded_us > $2 AND recorded_us <= $3) OR (superseded_us > $2 AND superseded_us <= $3)) \
             UNION SELECT addressee_id FROM membership_version WHERE insurer_number = $1 \
             AND ((recorded_us > $2 AND recorded_us <= $3) OR (superseded_us > $2 AND superseded_us <= $3)) \
             UNION SELECT e.addressee_id FROM registry_event e JOIN import_file f \
             ON f.insurer_number = e.insurer_number AND f.kind = 'registry_feed' AND f.digest = e.file_digest \
             WHERE e.insurer_number = $1 AND f.imported_us > $2 AND f.imported_us <= $3 \
             UNION SELECT addressee_id FROM membership_version WHERE insurer_number = $1 AND household_number IN \
             (SELECT household_number FROM householder_history WHERE insurer_number = $1 \
              AND recorded_us > $2 AND recorded_us <= $3 \
              UNION SELECT household_number FROM nhi_household WHERE insurer_number = $1 \
              AND assigned_us > $2 AND assigned_us <= $3)",
        )
        .bind(insurer.as_str().to_string())
        .bind(since_us)
        .bind(until_us)
        .fetch_all(p)
        .await?
    });
    Ok(rows.into_iter().collect())
}

/// Every NHI household's 記号・番号, by household number.
pub async fn all_household_numbers(
    db: &Db,
    insurer: &InsurerNumber,
) -> Result<std::collections::HashMap<String, (String, String)>> {
    let rows: Vec<(String, String, String)> = with_db!(db, |p| {
        sqlx::query_as(
            "SELECT household_number, insured_symbol, insured_number FROM nhi_household WHERE insurer_number = $1",
        )
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?
    });
    Ok(rows.into_iter().map(|(h, s, n)| (h, (s, n))).collect())
}

/// Every 枝番, by (household number, 宛名番号).
pub async fn all_branches(
    db: &Db,
    insurer: &InsurerNumber,
) -> Result<std::collections::HashMap<(String, String), String>> {
    let rows: Vec<(String, String, String)> = with_db!(db, |p| {
        sqlx::query_as(
            "SELECT household_number, addressee_id, branch_number FROM branch_assignment WHERE insurer_number = $1",
        )
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?
    });
    Ok(rows.into_iter().map(|(h, a, b)| ((h, a), b)).collect())
}
