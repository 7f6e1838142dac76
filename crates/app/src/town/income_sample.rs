//! A sample income file for the synthetic town: one line per resident for a
//! calendar year, shaped by age (children without income, earners on
//! salaries or their own business, pensioners), with a few unreported. The
//! figures follow the 2020+ salary and pension deductions closely enough for
//! the categories to spread as in a real town; they are not tax advice.

use kokuho_domain::eligibility::age_on;
use kokuho_domain::id::AddresseeId;
use kokuho_formats::income::IncomeRecord;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use time::{Date, Month};

use super::Random;
use crate::{AppError, Kokuho, Result};

/// 給与所得 from 給与収入 (所得税法 第28条, as from 2020).
pub fn salary_income(revenue: i64) -> i64 {
    let deduction = match revenue {
        ..=1_625_000 => 550_000,
        1_625_001..=1_800_000 => revenue * 4 / 10 - 100_000,
        1_800_001..=3_600_000 => revenue * 3 / 10 + 80_000,
        3_600_001..=6_600_000 => revenue * 2 / 10 + 440_000,
        6_600_001..=8_500_000 => revenue / 10 + 1_100_000,
        _ => 1_950_000,
    };
    (revenue - deduction).max(0)
}

/// 公的年金等所得 for someone 65 or over with other income up to 10 million
/// (所得税法 第35条; the 1,100,000 minimum deduction), simplified above 3.3 M.
pub fn pension_income(revenue: i64) -> i64 {
    let deduction = match revenue {
        ..=3_299_999 => 1_100_000,
        3_300_000..=4_099_999 => revenue / 4 + 275_000,
        _ => revenue * 15 / 100 + 685_000,
    };
    (revenue - deduction).max(0)
}

fn record(r: &mut Random, id: AddresseeId, year: i32, birth: Date, line: usize) -> IncomeRecord {
    let end = Date::from_calendar_date(year, Month::December, 31).unwrap_or(birth);
    let age = age_on(birth, end);
    let mut rec = IncomeRecord {
        line,
        addressee_id: id,
        income_year: year,
        revision: 0,
        total_income: 0,
        total_gross_income: 0,
        salary_revenue: 0,
        salary_income: 0,
        pension_revenue: 0,
        pension_income: 0,
        other_income: 0,
        separate_income: 0,
        taxable_income: 0,
        resident_tax_exempt: false,
        unreported: false,
        family_employee_deduction: 0,
    };
    if age >= 18 && r.chance(1) {
        rec.unreported = true;
        return rec;
    }
    if (18..65).contains(&age) {
        match r.below(100) {
            0..=69 => {
                // Salaries: most between 1.5 and 5 million, a tail to 12 million.
                let revenue = if r.chance(85) {
                    r.range(1_000_000, 5_000_000)
                } else {
                    r.range(5_000_000, 12_000_000)
                } as i64;
                rec.salary_revenue = revenue / 1_000 * 1_000;
                rec.salary_income = salary_income(rec.salary_revenue);
            }
            70..=84 => rec.other_income = r.range(0, 6_000_000) as i64 / 1_000 * 1_000,
            _ => {}
        }
    } else if age >= 65 {
        rec.pension_revenue = r.range(500_000, 3_200_000) as i64 / 1_000 * 1_000;
        rec.pension_income = pension_income(rec.pension_revenue);
        if age < 75 && r.chance(20) {
            rec.salary_revenue = r.range(800_000, 6_000_000) as i64 / 1_000 * 1_000;
            rec.salary_income = salary_income(rec.salary_revenue);
        }
    }
    rec.total_income = rec.salary_income + rec.pension_income + rec.other_income;
    rec.total_gross_income = rec.total_income;
    // 課税所得: less the basic deduction and about 15% of salary for social insurance.
    let deductions = 430_000 + rec.salary_revenue * 15 / 100 + rec.pension_revenue / 20;
    rec.taxable_income = ((rec.total_income - deductions).max(0)) / 1_000 * 1_000;
    // 非課税 under about 450,000 of income (the town's 均等割 threshold, roughly).
    rec.resident_tax_exempt = rec.total_income <= 450_000;
    rec
}

impl Kokuho {
    /// One line per living resident for `year`, deterministic for `seed`.
    pub async fn sample_income(&self, year: i32, seed: u64) -> Result<Vec<IncomeRecord>> {
        let mut r = Random(ChaCha8Rng::seed_from_u64(
            seed ^ u64::from(year.unsigned_abs()),
        ));
        let people = kokuho_store::addressee::living(&self.db, &self.insurer).await?;
        let mut out = Vec::with_capacity(people.len());
        for (i, (id, birth)) in people.into_iter().enumerate() {
            let id = AddresseeId::parse(&id).map_err(AppError::from)?;
            out.push(record(&mut r, id, year, birth, i + 2));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deductions_follow_the_published_tables() {
        // 給与収入 1,625,000 → 1,075,000; 3,600,000 → 2,440,000; 10,000,000 → 8,050,000.
        assert_eq!(salary_income(1_625_000), 1_075_000);
        assert_eq!(salary_income(3_600_000), 2_440_000);
        assert_eq!(salary_income(10_000_000), 8_050_000);
        assert_eq!(salary_income(500_000), 0);
        // 65+: pension 2,000,000 → 900,000; 1,100,000 → 0.
        assert_eq!(pension_income(2_000_000), 900_000);
        assert_eq!(pension_income(1_100_000), 0);
    }
}
