//! Income from the tax system, every revision kept (the highest applies).

use kokuho_domain::id::InsurerNumber;

use crate::{Db, Result, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct IncomeRow {
    pub addressee_id: String,
    pub income_year: i32,
    pub revision: i32,
    pub total_income: i64,
    pub total_gross_income: i64,
    pub salary_revenue: i64,
    pub salary_income: i64,
    pub pension_revenue: i64,
    pub pension_income: i64,
    pub other_income: i64,
    pub separate_income: i64,
    pub taxable_income: i64,
    pub resident_tax_exempt: bool,
    pub unreported: bool,
    pub family_employee_deduction: i64,
    pub file_digest: String,
    pub line: i64,
    pub recorded_us: i64,
    pub recorded_by: String,
}

impl IncomeRow {
    /// The figures, without where and when they were recorded.
    pub fn figures(&self) -> (i32, i32, [i64; 10], bool, bool) {
        (
            self.income_year,
            self.revision,
            [
                self.total_income,
                self.total_gross_income,
                self.salary_revenue,
                self.salary_income,
                self.pension_revenue,
                self.pension_income,
                self.other_income,
                self.separate_income,
                self.taxable_income,
                self.family_employee_deduction,
            ],
            self.resident_tax_exempt,
            self.unreported,
        )
    }
}

const COLUMNS: &str = "addressee_id, income_year, revision, total_income, total_gross_income, salary_revenue, \
    salary_income, pension_revenue, pension_income, other_income, separate_income, taxable_income, \
    resident_tax_exempt, unreported, family_employee_deduction, file_digest, line, recorded_us, recorded_by";

pub async fn get(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    addressee_id: &str,
    income_year: i32,
    revision: i32,
) -> Result<Option<IncomeRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM income_version WHERE insurer_number = $1 AND addressee_id = $2 \
         AND income_year = $3 AND revision = $4"
    );
    Ok(with_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .bind(income_year)
        .bind(revision)
        .fetch_optional(c)
        .await?))
}

pub async fn insert(tx: &mut Tx, insurer: &InsurerNumber, r: &IncomeRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO income_version (insurer_number, {COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(r.addressee_id.clone())
        .bind(r.income_year)
        .bind(r.revision)
        .bind(r.total_income)
        .bind(r.total_gross_income)
        .bind(r.salary_revenue)
        .bind(r.salary_income)
        .bind(r.pension_revenue)
        .bind(r.pension_income)
        .bind(r.other_income)
        .bind(r.separate_income)
        .bind(r.taxable_income)
        .bind(r.resident_tax_exempt)
        .bind(r.unreported)
        .bind(r.family_employee_deduction)
        .bind(r.file_digest.clone())
        .bind(r.line)
        .bind(r.recorded_us)
        .bind(r.recorded_by.clone())
        .execute(c)
        .await
        .map(|_| ())?);
    Ok(())
}

/// Every revision of a person's income, by year then revision.
pub async fn history(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<IncomeRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM income_version WHERE insurer_number = $1 AND addressee_id = $2 \
         ORDER BY income_year, revision"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .fetch_all(p)
        .await?))
}

/// The revision that applies: the highest recorded for the year.
pub async fn latest(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
    income_year: i32,
) -> Result<Option<IncomeRow>> {
    Ok(history(db, insurer, addressee_id)
        .await?
        .into_iter()
        .filter(|r| r.income_year == income_year)
        .max_by_key(|r| r.revision))
}

/// The revision that applies, for those of `ids` with income for the year
/// (by the primary key, a few hundred persons a statement): what a
/// recomputation needs without holding every resident's income.
pub async fn latest_for_persons(
    db: &Db,
    insurer: &InsurerNumber,
    income_year: i32,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, IncomeRow>> {
    const CHUNK: usize = 500;
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let params: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM income_version WHERE insurer_number = $1 AND income_year = $2 \
             AND addressee_id IN ({}) ORDER BY addressee_id, revision",
            params.join(", ")
        );
        let rows: Vec<IncomeRow> = with_db!(db, |p| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(insurer.as_str().to_string())
                .bind(income_year);
            for id in chunk {
                q = q.bind(id.to_string());
            }
            q.fetch_all(p).await?
        });
        // Ordered by revision: the last one kept per person is the highest.
        out.extend(rows.into_iter().map(|r| (r.addressee_id.clone(), r)));
    }
    Ok(out)
}
