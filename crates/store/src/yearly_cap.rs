//! The yearly cap (年間上限): what each monthly high-cost run left each
//! person with claims to bear in each household-month.

use kokuho_domain::id::InsurerNumber;
use sqlx::QueryBuilder;

use crate::{Db, Result, Tx, with_db, with_tx};

/// Rows per multi-row INSERT (9 columns × 500 stays under every limit).
const BATCH_ROWS: usize = 500;

/// A person's household-month as a monthly run left it.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct BorneMonthRow {
    pub run_id: i64,
    pub service_month: String,
    pub addressee_id: String,
    pub household_number: String,
    /// preschool | under_70 | 70_74
    pub age_group: String,
    pub bears: i64,
    pub aggregated: i64,
    pub limit_benefit: i64,
}

const COLUMNS: &str = "run_id, service_month, addressee_id, household_number, age_group, bears, aggregated, limit_benefit";

pub async fn insert_months(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    rows: &[BorneMonthRow],
) -> Result<()> {
    for chunk in rows.chunks(BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(format!(
                "INSERT INTO borne_month (insurer_number, {COLUMNS}) "
            ));
            q.push_values(chunk, |mut b, r| {
                b.push_bind(insurer.as_str().to_string())
                    .push_bind(r.run_id)
                    .push_bind(r.service_month.clone())
                    .push_bind(r.addressee_id.clone())
                    .push_bind(r.household_number.clone())
                    .push_bind(r.age_group.clone())
                    .push_bind(r.bears)
                    .push_bind(r.aggregated)
                    .push_bind(r.limit_benefit);
            });
            q.build().execute(c).await?;
        });
    }
    Ok(())
}

/// The rows of the given monthly runs for some persons, by person and
/// month (the primary key serves it: a household's year on a city reads
/// only its own rows).
pub async fn months_of_runs_for(
    db: &Db,
    insurer: &InsurerNumber,
    run_ids: &[i64],
    persons: &[String],
) -> Result<Vec<BorneMonthRow>> {
    if run_ids.is_empty() || persons.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for chunk in persons.chunks(BATCH_ROWS) {
        let rows: Vec<BorneMonthRow> = with_db!(db, |p| {
            let mut q = QueryBuilder::new(format!(
                "SELECT {COLUMNS} FROM borne_month WHERE insurer_number = "
            ));
            q.push_bind(insurer.as_str().to_string())
                .push(" AND run_id IN (");
            let mut list = q.separated(", ");
            for r in run_ids {
                list.push_bind(*r);
            }
            q.push(") AND addressee_id IN (");
            let mut list = q.separated(", ");
            for a in chunk {
                list.push_bind(a.clone());
            }
            q.push(") ORDER BY addressee_id, service_month, household_number");
            q.build_query_as().fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// The rows of the given monthly runs, by person and month.
pub async fn months_of_runs(
    db: &Db,
    insurer: &InsurerNumber,
    run_ids: &[i64],
) -> Result<Vec<BorneMonthRow>> {
    let mut out = Vec::new();
    for chunk in run_ids.chunks(BATCH_ROWS) {
        let rows: Vec<BorneMonthRow> = with_db!(db, |p| {
            let mut q = QueryBuilder::new(format!(
                "SELECT {COLUMNS} FROM borne_month WHERE insurer_number = "
            ));
            q.push_bind(insurer.as_str().to_string())
                .push(" AND run_id IN (");
            let mut list = q.separated(", ");
            for r in chunk {
                list.push_bind(*r);
            }
            q.push(") ORDER BY addressee_id, service_month, household_number");
            q.build_query_as().fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}
