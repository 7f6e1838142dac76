//! The addressee registry (宛名情報ファイル): persons and households.

use kokuho_domain::addressee::{
    Addressee, Household, HouseholdNumber, Relationship, ResidentStatus, Sex,
};
use kokuho_domain::id::{AddresseeId, InsurerNumber, IntegratedAddresseeId};
use kokuho_domain::name::{KanaName, PersonName, kana_search_key};
use sqlx::QueryBuilder;
use time::Date;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

/// Rows per multi-row INSERT: under both SQLite's and PostgreSQL's limits on
/// bound parameters (15 columns × 1,000 = 15,000).
pub const BATCH_ROWS: usize = 1_000;

const ADDRESSEE_COLUMNS: &str = "insurer_number, addressee_id, integrated_addressee_id, name, name_kana, \
     kana_key, birth_date, sex, postal_code, address, resident_status, household_number, relationship, \
     registered_on, removed_on";

/// Inserts households in multi-row statements inside the caller's transaction.
pub async fn insert_households(tx: &mut Tx, rows: &[Household]) -> Result<()> {
    for chunk in rows.chunks(BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "INSERT INTO household (insurer_number, household_number, householder_addressee_id, \
                 postal_code, address, registered_on, removed_on) ",
            );
            q.push_values(chunk, |mut b, h| {
                b.push_bind(h.insurer_number.as_str().to_string())
                    .push_bind(h.household_number.as_str().to_string())
                    .push_bind(h.householder.as_str().to_string())
                    .push_bind(h.postal_code.clone())
                    .push_bind(h.address.clone())
                    .push_bind(h.registered_on)
                    .push_bind(h.removed_on);
            });
            q.build().execute(c).await?;
        });
    }
    Ok(())
}

/// Inserts persons in multi-row statements inside the caller's transaction.
/// The kana search key is derived here, so it can never disagree with the
/// stored kana.
pub async fn insert_addressees(tx: &mut Tx, rows: &[Addressee]) -> Result<()> {
    for chunk in rows.chunks(BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(format!("INSERT INTO addressee ({ADDRESSEE_COLUMNS}) "));
            q.push_values(chunk, |mut b, a| {
                b.push_bind(a.insurer_number.as_str().to_string())
                    .push_bind(a.addressee_id.as_str().to_string())
                    .push_bind(a.integrated_addressee_id.as_str().to_string())
                    .push_bind(a.name.as_str().to_string())
                    .push_bind(a.name_kana.as_str().to_string())
                    .push_bind(a.name_kana.search_key())
                    .push_bind(a.birth_date)
                    .push_bind(a.sex.code())
                    .push_bind(a.postal_code.clone())
                    .push_bind(a.address.clone())
                    .push_bind(a.resident_status.as_str())
                    .push_bind(a.household_number.as_str().to_string())
                    .push_bind(a.relationship.code())
                    .push_bind(a.registered_on)
                    .push_bind(a.removed_on);
            });
            q.build().execute(c).await?;
        });
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AddresseeRow {
    insurer_number: String,
    addressee_id: String,
    integrated_addressee_id: String,
    name: String,
    name_kana: String,
    birth_date: Date,
    sex: i16,
    postal_code: String,
    address: String,
    resident_status: String,
    household_number: String,
    relationship: String,
    registered_on: Date,
    removed_on: Option<Date>,
}

impl TryFrom<AddresseeRow> for Addressee {
    type Error = StoreError;
    fn try_from(r: AddresseeRow) -> Result<Addressee> {
        let bad = |col: &'static str, e: String| StoreError::corrupt("addressee", col, e);
        Ok(Addressee {
            insurer_number: InsurerNumber::parse(&r.insurer_number)
                .map_err(|e| bad("insurer_number", e.to_string()))?,
            addressee_id: AddresseeId::parse(&r.addressee_id)
                .map_err(|e| bad("addressee_id", e.to_string()))?,
            integrated_addressee_id: IntegratedAddresseeId::parse(&r.integrated_addressee_id)
                .map_err(|e| bad("integrated_addressee_id", e.to_string()))?,
            name: PersonName::parse(&r.name).map_err(|e| bad("name", e.to_string()))?,
            name_kana: KanaName::parse(&r.name_kana)
                .map_err(|e| bad("name_kana", e.to_string()))?,
            birth_date: r.birth_date,
            sex: Sex::from_code(r.sex).ok_or_else(|| bad("sex", format!("code {}", r.sex)))?,
            postal_code: r.postal_code,
            address: r.address,
            resident_status: ResidentStatus::parse(&r.resident_status)
                .ok_or_else(|| bad("resident_status", r.resident_status.clone()))?,
            household_number: HouseholdNumber::parse(&r.household_number)
                .map_err(|e| bad("household_number", e.to_string()))?,
            relationship: Relationship::from_code(&r.relationship)
                .ok_or_else(|| bad("relationship", r.relationship.clone()))?,
            registered_on: r.registered_on,
            removed_on: r.removed_on,
        })
    }
}

#[derive(sqlx::FromRow)]
struct HouseholdRow {
    insurer_number: String,
    household_number: String,
    householder_addressee_id: String,
    postal_code: String,
    address: String,
    registered_on: Date,
    removed_on: Option<Date>,
}

impl TryFrom<HouseholdRow> for Household {
    type Error = StoreError;
    fn try_from(r: HouseholdRow) -> Result<Household> {
        let bad = |col: &'static str, e: String| StoreError::corrupt("household", col, e);
        Ok(Household {
            insurer_number: InsurerNumber::parse(&r.insurer_number)
                .map_err(|e| bad("insurer_number", e.to_string()))?,
            household_number: HouseholdNumber::parse(&r.household_number)
                .map_err(|e| bad("household_number", e.to_string()))?,
            householder: AddresseeId::parse(&r.householder_addressee_id)
                .map_err(|e| bad("householder_addressee_id", e.to_string()))?,
            postal_code: r.postal_code,
            address: r.address,
            registered_on: r.registered_on,
            removed_on: r.removed_on,
        })
    }
}

pub async fn get_person(
    db: &Db,
    insurer: &InsurerNumber,
    id: &AddresseeId,
) -> Result<Option<Addressee>> {
    let row: Option<AddresseeRow> = with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ADDRESSEE_COLUMNS} FROM addressee WHERE insurer_number = $1 AND addressee_id = $2"
    )))
    .bind(insurer.as_str().to_string())
    .bind(id.as_str().to_string())
    .fetch_optional(p)
    .await?
    });
    row.map(Addressee::try_from).transpose()
}

pub async fn get_person_by_integrated_id(
    db: &Db,
    insurer: &InsurerNumber,
    id: &IntegratedAddresseeId,
) -> Result<Option<Addressee>> {
    let row: Option<AddresseeRow> = with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(
        format!("SELECT {ADDRESSEE_COLUMNS} FROM addressee WHERE insurer_number = $1 AND integrated_addressee_id = $2")
    ))
    .bind(insurer.as_str().to_string())
    .bind(id.as_str().to_string())
    .fetch_optional(p)
    .await?
    });
    row.map(Addressee::try_from).transpose()
}

pub async fn get_household(
    db: &Db,
    insurer: &InsurerNumber,
    number: &HouseholdNumber,
) -> Result<Option<Household>> {
    let row: Option<HouseholdRow> = with_db!(db, |p| {
        sqlx::query_as(
        "SELECT insurer_number, household_number, householder_addressee_id, postal_code, address, \
         registered_on, removed_on FROM household WHERE insurer_number = $1 AND household_number = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(number.as_str().to_string())
    .fetch_optional(p)
    .await?
    });
    row.map(Household::try_from).transpose()
}

/// Members of a household, householder first, then by birth date.
pub async fn household_members(
    db: &Db,
    insurer: &InsurerNumber,
    number: &HouseholdNumber,
) -> Result<Vec<Addressee>> {
    let rows: Vec<AddresseeRow> = with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ADDRESSEE_COLUMNS} FROM addressee WHERE insurer_number = $1 AND household_number = $2 \
         ORDER BY CASE WHEN relationship = '02' THEN 0 ELSE 1 END, birth_date, addressee_id"
    )))
    .bind(insurer.as_str().to_string())
    .bind(number.as_str().to_string())
    .fetch_all(p)
    .await?
    });
    rows.into_iter().map(Addressee::try_from).collect()
}

/// A search of the registry; every given criterion must match.
#[derive(Clone, Debug, Default)]
pub struct PersonQuery {
    /// Kana in any width or script; matched as a prefix of the search key.
    pub kana: Option<String>,
    /// The name as registered: its beginning or any part (see `name_match`).
    pub name: Option<String>,
    pub name_match: NameMatch,
    pub birth_date: Option<Date>,
    pub addressee_id: Option<AddresseeId>,
    pub household_number: Option<HouseholdNumber>,
    pub limit: u32,
}

/// How a name is matched. A prefix uses the index (fast on a city); any
/// part reads every person of the insurer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NameMatch {
    Prefix,
    #[default]
    Contains,
}

/// Escapes LIKE's wildcards so user input matches literally.
fn like_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub async fn search(db: &Db, insurer: &InsurerNumber, q: &PersonQuery) -> Result<Vec<Addressee>> {
    // Placeholders are numbered as the conditions are added; values are
    // always bound, never formatted into the SQL.
    let mut sql = format!("SELECT {ADDRESSEE_COLUMNS} FROM addressee WHERE insurer_number = $1");
    let mut binds: Vec<Bind> = vec![Bind::Text(insurer.as_str().to_string())];
    let next = |sql: &mut String, clause: &str, value: Bind, binds: &mut Vec<Bind>| {
        binds.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
    };
    if let Some(kana) = q
        .kana
        .as_deref()
        .map(kana_search_key)
        .filter(|k| !k.is_empty())
    {
        // A prefix range on the binary-collated key uses the index on both backends.
        let upper = format!("{kana}\u{10FFFF}");
        next(&mut sql, " AND kana_key >= ?", Bind::Text(kana), &mut binds);
        next(&mut sql, " AND kana_key < ?", Bind::Text(upper), &mut binds);
    }
    if let Some(name) = q.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        match q.name_match {
            NameMatch::Prefix => {
                // A range on the binary-collated name, like the kana key.
                let upper = format!("{name}\u{10FFFF}");
                next(
                    &mut sql,
                    " AND name >= ?",
                    Bind::Text(name.to_string()),
                    &mut binds,
                );
                next(&mut sql, " AND name < ?", Bind::Text(upper), &mut binds);
            }
            NameMatch::Contains => {
                let pattern = format!("%{}%", like_literal(name));
                next(
                    &mut sql,
                    " AND name LIKE ? ESCAPE '\\'",
                    Bind::Text(pattern),
                    &mut binds,
                );
            }
        }
    }
    if let Some(d) = q.birth_date {
        next(&mut sql, " AND birth_date = ?", Bind::Date(d), &mut binds);
    }
    if let Some(id) = &q.addressee_id {
        next(
            &mut sql,
            " AND addressee_id = ?",
            Bind::Text(id.as_str().to_string()),
            &mut binds,
        );
    }
    if let Some(h) = &q.household_number {
        next(
            &mut sql,
            " AND household_number = ?",
            Bind::Text(h.as_str().to_string()),
            &mut binds,
        );
    }
    let limit = i64::from(q.limit.clamp(1, 1_000));
    // Without a kana condition the order is written as an expression, so
    // the planner filters by the selective index (birth date, name, number)
    // and sorts the few rows found, instead of walking the kana index over
    // the whole insurer to avoid the sort. The order is the same.
    let order = if q
        .kana
        .as_deref()
        .is_some_and(|k| !kana_search_key(k).is_empty())
    {
        " ORDER BY kana_key, birth_date, addressee_id LIMIT ?"
    } else {
        " ORDER BY kana_key || '', birth_date, addressee_id LIMIT ?"
    };
    next(&mut sql, order, Bind::Int(limit), &mut binds);

    let rows: Vec<AddresseeRow> = with_db!(db, |p| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for b in binds {
            query = match b {
                Bind::Text(s) => query.bind(s),
                Bind::Date(d) => query.bind(d),
                Bind::Int(i) => query.bind(i),
            };
        }
        query.fetch_all(p).await?
    });
    rows.into_iter().map(Addressee::try_from).collect()
}

enum Bind {
    Text(String),
    Date(Date),
    Int(i64),
}

pub async fn count_persons(db: &Db, insurer: &InsurerNumber) -> Result<i64> {
    let (n,): (i64,) = with_db!(db, |p| sqlx::query_as(
        "SELECT COUNT(*) FROM addressee WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(p)
    .await?);
    Ok(n)
}

pub async fn count_households(db: &Db, insurer: &InsurerNumber) -> Result<i64> {
    let (n,): (i64,) = with_db!(db, |p| sqlx::query_as(
        "SELECT COUNT(*) FROM household WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(p)
    .await?);
    Ok(n)
}

/// The largest numeric addressee id in use (0 when none), so new registrations
/// continue the sequence.
pub async fn max_addressee_number(tx: &mut Tx, insurer: &InsurerNumber) -> Result<u64> {
    let ids: Option<String> = with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT MAX(addressee_id) FROM addressee WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?);
    Ok(ids.and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// Whether a household exists (inside a transaction, for checks before writes).
pub async fn household_exists(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    number: &HouseholdNumber,
) -> Result<bool> {
    let n: i64 = with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM household WHERE insurer_number = $1 AND household_number = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(number.as_str().to_string())
    .fetch_one(c)
    .await?);
    Ok(n > 0)
}

/// The largest numeric household number in use (0 when none).
pub async fn max_household_number(tx: &mut Tx, insurer: &InsurerNumber) -> Result<u64> {
    let n: Option<String> = with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT MAX(household_number) FROM household WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?);
    Ok(n.and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// Rewrites a person's registry row (the key stays); used by the
/// resident-registry feed for moves, name changes and corrections.
pub async fn update_person(tx: &mut Tx, a: &Addressee) -> Result<()> {
    let n = with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE addressee SET name = $1, name_kana = $2, kana_key = $3, birth_date = $4, sex = $5, postal_code = $6, \
         address = $7, resident_status = $8, household_number = $9, relationship = $10, registered_on = $11, removed_on = $12 \
         WHERE insurer_number = $13 AND addressee_id = $14"
    )
    .bind(a.name.as_str().to_string())
    .bind(a.name_kana.as_str().to_string())
    .bind(a.name_kana.search_key())
    .bind(a.birth_date)
    .bind(a.sex.code())
    .bind(a.postal_code.clone())
    .bind(a.address.clone())
    .bind(a.resident_status.as_str())
    .bind(a.household_number.as_str().to_string())
    .bind(a.relationship.code())
    .bind(a.registered_on)
    .bind(a.removed_on)
    .bind(a.insurer_number.as_str().to_string())
    .bind(a.addressee_id.as_str().to_string())
    .execute(c)
    .await?
    .rows_affected()
    });
    if n != 1 {
        return Err(StoreError::NotFound { what: "person" });
    }
    Ok(())
}

/// A person read inside a transaction (sees the transaction's own writes).
pub async fn get_person_tx(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    id: &AddresseeId,
) -> Result<Option<Addressee>> {
    let row: Option<AddresseeRow> = with_tx!(tx, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ADDRESSEE_COLUMNS} FROM addressee WHERE insurer_number = $1 AND addressee_id = $2"
    )))
    .bind(insurer.as_str().to_string())
    .bind(id.as_str().to_string())
    .fetch_optional(c)
    .await?
    });
    row.map(Addressee::try_from).transpose()
}

/// Members of a household inside a transaction.
pub async fn household_member_ids(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    number: &HouseholdNumber,
) -> Result<Vec<String>> {
    Ok(with_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT addressee_id FROM addressee WHERE insurer_number = $1 AND household_number = $2 ORDER BY addressee_id"
    )
    .bind(insurer.as_str().to_string())
    .bind(number.as_str().to_string())
    .fetch_all(c)
    .await?
    }))
}

/// Records who is householder of a household from a date.
#[allow(clippy::too_many_arguments)] // one column each
pub async fn record_householder(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    household: &HouseholdNumber,
    householder: &AddresseeId,
    valid_from: Date,
    reason: &str,
    recorded_us: i64,
    recorded_by: &str,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO householder_history (insurer_number, household_number, valid_from, recorded_us, \
             householder_addressee_id, reason, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(insurer.as_str().to_string())
        .bind(household.as_str().to_string())
        .bind(valid_from)
        .bind(recorded_us)
        .bind(householder.as_str().to_string())
        .bind(reason.to_string())
        .bind(recorded_by.to_string())
        .execute(c)
        .await?;
    });
    Ok(())
}

/// Records the initial householders of many households at once (bulk loads).
pub async fn record_householders(
    tx: &mut Tx,
    rows: &[Household],
    recorded_us: i64,
    recorded_by: &str,
) -> Result<()> {
    for chunk in rows.chunks(BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "INSERT INTO householder_history (insurer_number, household_number, valid_from, recorded_us, \
                 householder_addressee_id, reason, recorded_by) ",
            );
            q.push_values(chunk, |mut b, h| {
                b.push_bind(h.insurer_number.as_str().to_string())
                    .push_bind(h.household_number.as_str().to_string())
                    .push_bind(h.registered_on)
                    .push_bind(recorded_us)
                    .push_bind(h.householder.as_str().to_string())
                    .push_bind("registration")
                    .push_bind(recorded_by.to_string());
            });
            q.build().execute(c).await?;
        });
    }
    Ok(())
}

/// The householder on `on` as known at `known_at_us`: the latest entry in
/// force on that date (a later recording of the same date wins).
pub async fn householder_on(
    db: &Db,
    insurer: &InsurerNumber,
    household: &HouseholdNumber,
    on: Date,
    known_at_us: i64,
) -> Result<Option<AddresseeId>> {
    let id: Option<String> = with_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT householder_addressee_id FROM householder_history WHERE insurer_number = $1 AND household_number = $2 \
         AND valid_from <= $3 AND recorded_us <= $4 ORDER BY valid_from DESC, recorded_us DESC LIMIT 1"
    )
    .bind(insurer.as_str().to_string())
    .bind(household.as_str().to_string())
    .bind(on)
    .bind(known_at_us)
    .fetch_optional(p)
    .await?
    });
    id.map(|s| {
        AddresseeId::parse(&s)
            .map_err(|e| StoreError::corrupt("householder_history", "householder_addressee_id", e))
    })
    .transpose()
}

/// Sets the current householder on the household row.
pub async fn set_householder(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    household: &HouseholdNumber,
    householder: &AddresseeId,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query("UPDATE household SET householder_addressee_id = $1 WHERE insurer_number = $2 AND household_number = $3")
            .bind(householder.as_str().to_string())
            .bind(insurer.as_str().to_string())
            .bind(household.as_str().to_string())
            .execute(c)
            .await?;
    });
    Ok(())
}

/// Persons removed from the registry before `cutoff` whose data has not been
/// erased yet: (addressee id, integrated id, removed on).
pub async fn removed_before(
    db: &Db,
    insurer: &InsurerNumber,
    cutoff: Date,
) -> Result<Vec<(String, String, Date)>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT addressee_id, integrated_addressee_id, removed_on FROM addressee \
         WHERE insurer_number = $1 AND removed_on IS NOT NULL AND removed_on < $2 AND name <> $3 ORDER BY addressee_id"
    )
    .bind(insurer.as_str().to_string())
    .bind(cutoff)
    .bind(ERASED_NAME)
    .fetch_all(p)
    .await?
    }))
}

/// What an erased person's name becomes.
pub const ERASED_NAME: &str = "（消去済み）";
const ERASED_KANA: &str = "ショウキョズミ";

/// Makes a person anonymous while keeping the row (and so the history and
/// statistics that refer to it): name, kana and address erased, the birth
/// date kept to its month, the My Number removed from the vault.
pub async fn erase_person(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    addressee_id: &str,
    integrated_id: &str,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "UPDATE addressee SET name = $1, name_kana = $2, kana_key = $2, address = $1, postal_code = '000-0000' \
             WHERE insurer_number = $3 AND addressee_id = $4",
        )
        .bind(ERASED_NAME)
        .bind(ERASED_KANA)
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .execute(&mut *c)
        .await?;
        sqlx::query("DELETE FROM my_number_vault WHERE insurer_number = $1 AND integrated_addressee_id = $2")
            .bind(insurer.as_str().to_string())
            .bind(integrated_id.to_string())
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// Keeps only the month of a birth date (for statistics after erasure).
pub async fn truncate_birth_date(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    addressee_id: &str,
    month_start: Date,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "UPDATE addressee SET birth_date = $1 WHERE insurer_number = $2 AND addressee_id = $3",
        )
        .bind(month_start)
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .execute(c)
        .await?;
    });
    Ok(())
}

/// Registers a new household and who is its householder from its
/// registration date, in one go (the two always belong together).
pub async fn create_household(
    tx: &mut Tx,
    h: &Household,
    recorded_us: i64,
    recorded_by: &str,
) -> Result<()> {
    insert_households(tx, std::slice::from_ref(h)).await?;
    record_householder(
        tx,
        &h.insurer_number,
        &h.household_number,
        &h.householder,
        h.registered_on,
        "registration",
        recorded_us,
        recorded_by,
    )
    .await
}

/// Everyone not removed from the registry: (宛名番号, birth date), in number order.
pub async fn living(db: &Db, insurer: &InsurerNumber) -> Result<Vec<(String, Date)>> {
    Ok(with_db!(db, |p| sqlx::query_as(
        "SELECT addressee_id, birth_date FROM addressee WHERE insurer_number = $1 \
         AND removed_on IS NULL ORDER BY addressee_id"
    )
    .bind(insurer.as_str().to_string())
    .fetch_all(p)
    .await?))
}

/// Every person of the insurer who has (or had) an eligibility period:
/// what the exchange extracts describe, without the rest of the registry.
pub async fn all_persons(db: &Db, insurer: &InsurerNumber) -> Result<Vec<Addressee>> {
    let rows: Vec<AddresseeRow> = with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ADDRESSEE_COLUMNS} FROM addressee WHERE insurer_number = $1 AND addressee_id IN \
             (SELECT DISTINCT addressee_id FROM eligibility_version WHERE insurer_number = $1)"
        )))
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?
    });
    rows.into_iter().map(Addressee::try_from).collect()
}

/// Every household of the insurer that is or was an NHI household.
pub async fn all_households(db: &Db, insurer: &InsurerNumber) -> Result<Vec<Household>> {
    let rows: Vec<HouseholdRow> = with_db!(db, |p| {
        sqlx::query_as(
            "SELECT insurer_number, household_number, householder_addressee_id, postal_code, address, \
             registered_on, removed_on FROM household WHERE insurer_number = $1 AND household_number IN \
             (SELECT household_number FROM nhi_household WHERE insurer_number = $1)",
        )
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?
    });
    rows.into_iter().map(Household::try_from).collect()
}
