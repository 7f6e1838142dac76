//! Figures a town sets itself by its ordinance (葬祭費), dated: the latest
//! record for a day stands; nothing is deleted.

use kokuho_domain::id::InsurerNumber;
use time::Date;

use crate::{Db, Result, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TownFigureRow {
    pub kind: String,
    pub valid_from: Date,
    pub amount: i64,
    pub source: String,
    pub recorded_us: i64,
    pub recorded_by: String,
}

pub async fn insert(tx: &mut Tx, insurer: &InsurerNumber, r: &TownFigureRow) -> Result<()> {
    with_tx!(tx, |c| sqlx::query(
        "INSERT INTO town_figure (insurer_number, kind, valid_from, amount, source, recorded_us, \
         recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(insurer.as_str().to_string())
    .bind(r.kind.clone())
    .bind(r.valid_from)
    .bind(r.amount)
    .bind(r.source.clone())
    .bind(r.recorded_us)
    .bind(r.recorded_by.clone())
    .execute(c)
    .await
    .map(|_| ())?);
    Ok(())
}

/// Every record of a kind, by day and then by when recorded.
pub async fn of_kind(db: &Db, insurer: &InsurerNumber, kind: &str) -> Result<Vec<TownFigureRow>> {
    Ok(with_db!(db, |p| sqlx::query_as(
        "SELECT kind, valid_from, amount, source, recorded_us, recorded_by FROM town_figure \
         WHERE insurer_number = $1 AND kind = $2 ORDER BY valid_from, recorded_us"
    )
    .bind(insurer.as_str().to_string())
    .bind(kind.to_string())
    .fetch_all(p)
    .await?))
}

/// The figure in force on a day: the latest day on or before it, its
/// latest record.
pub fn in_force(rows: &[TownFigureRow], on: Date) -> Option<&TownFigureRow> {
    rows.iter()
        .filter(|r| r.valid_from <= on)
        .max_by_key(|r| (r.valid_from, r.recorded_us))
}
