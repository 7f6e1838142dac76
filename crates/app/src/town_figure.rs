//! Figures the town sets by its own ordinance: the amount of 葬祭費
//! (国民健康保険法 第58条第1項 leaves it to the insurer, 「条例又は規約の定める
//! ところにより」). Recorded by the administrator with the ordinance's name
//! and article, dated; the figure in force on the day of death decides, and
//! an application on it is not provisional. Until the town records one, the
//! shipped table's provisional figure applies (docs/benefits.md).

use kokuho_domain::benefit::TownFigure;
use kokuho_store::town_figure::{self as repo, TownFigureRow};
use time::{Date, OffsetDateTime};

use crate::eligibility::{Actor, in_tx, to_us};
use crate::{AppError, Kokuho, Result};

/// The largest 葬祭費 accepted: far above any town's (a mistyped figure is
/// refused rather than paid).
pub const MAX_FUNERAL_GRANT: i64 = 1_000_000;

impl Kokuho {
    /// Records the town's 葬祭費 from a day, with its ordinance.
    pub async fn set_funeral_grant(
        &self,
        from: Date,
        amount: i64,
        source: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<TownFigureRow> {
        if !(1..=MAX_FUNERAL_GRANT).contains(&amount) {
            return Err(AppError::invalid(
                "amount",
                format!("the amount must be between 1 and {MAX_FUNERAL_GRANT} yen"),
                "葬祭費の額は1円以上1,000,000円以下です",
            ));
        }
        let source = source.trim();
        if source.chars().count() < 4 || source.chars().count() > 200 {
            return Err(AppError::invalid(
                "source",
                "name the ordinance and its article (4 to 200 characters)",
                "根拠（条例・規則の名称と条）を入力してください",
            ));
        }
        crate::leak_scan::refuse_my_number("source", source)?;
        let row = TownFigureRow {
            kind: "funeral_grant".into(),
            valid_from: from,
            amount,
            source: source.to_string(),
            recorded_us: to_us(now),
            recorded_by: actor.to_string(),
        };
        in_tx!(self.db, |tx| {
            repo::insert(&mut tx, &self.insurer, &row).await?;
            Ok::<_, AppError>(())
        })?;
        Ok(row)
    }

    /// The town's 葬祭費 records, by day and then by when recorded.
    pub async fn funeral_grants(&self) -> Result<Vec<TownFigureRow>> {
        Ok(repo::of_kind(&self.db, &self.insurer, "funeral_grant").await?)
    }

    /// The town's 葬祭費 in force on the day of death, if it recorded one.
    pub(crate) async fn town_funeral_grant(&self, died_on: Date) -> Result<Option<TownFigure>> {
        let rows = self.funeral_grants().await?;
        Ok(repo::in_force(&rows, died_on).map(|r| TownFigure {
            from: r.valid_from,
            amount: r.amount,
            source: r.source.clone(),
        }))
    }
}
