//! A sample month of claims for the synthetic town (or a generated city),
//! as the federation would send them: one file of provider blocks (clinics,
//! hospitals, dental clinics, pharmacies of the prefecture), about 1.3
//! claims per insured person — outpatient visits, about a third with a
//! pharmacy claim from the prescription, some dental, a few inpatient stays
//! and a few high-cost ones. Copays follow the copay rate judged for the
//! person's household and month (by age where the month is not judged: 3割,
//! 2割 for preschool children and 70–74); the days of care (算定日) fall on
//! days the person is insured; the claims are billed (請求年月) the month
//! after the service month. Deterministic for a seed.

use std::io::Write;

use kokuho_domain::burden::{AgeGroup, age_group};
use kokuho_domain::eligibility::YearMonth;

use crate::{AppError, Kokuho, Result};

pub use kokuho_formats::claims_sample::{SampleError, SamplePerson, SampleWritten};

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimsSample {
    pub insured: u64,
    pub claims: u64,
    pub providers: u64,
}

impl Kokuho {
    /// Writes a month of sample claims for the insured of the month (as on
    /// its 15th) to `out`.
    pub async fn sample_claims(
        &self,
        month: YearMonth,
        seed: u64,
        out: impl Write,
    ) -> Result<ClaimsSample> {
        let on = month
            .first_day()
            .and_then(|d| d.replace_day(15).ok())
            .ok_or_else(|| AppError::invalid("month", "month out of range", "年月が範囲外です"))?;
        let (first, last) = (
            month.first_day().unwrap_or(on),
            month.last_day().unwrap_or(on),
        );
        let rates = kokuho_store::burden::current_for_month(
            &self.db,
            &self.insurer,
            &kokuho_domain::burden::format_month(month),
        )
        .await?;
        let mut people = Vec::new();
        kokuho_store::eligibility::for_each_insured_on(
            &self.db,
            &self.insurer,
            on,
            i64::MAX,
            None,
            |row| {
                let group = age_group(row.birth_date, month);
                let judged = row
                    .household_number
                    .as_ref()
                    .and_then(|h| rates.get(h))
                    .and_then(|b| {
                        kokuho_domain::burden::copay_percent_in(&b.copay_rates, &row.addressee_id)
                    });
                let percent =
                    judged.map_or(if group == AgeGroup::Under70 { 30 } else { 20 }, i64::from);
                let from = row.acquired_on.max(first);
                // Care from the 75th birthday is 後期高齢者医療's, even where
                // the age job has not yet recorded the loss.
                let to = [
                    row.lost_on,
                    kokuho_domain::eligibility::late_elderly_from(row.birth_date),
                ]
                .into_iter()
                .flatten()
                .filter_map(|d| d.previous_day())
                .fold(last, |a, b| a.min(b));
                if to < from {
                    return Ok(());
                }
                let (from, to) = (from.day(), to.day());
                people.push(SamplePerson {
                    percent,
                    insured: (from, to),
                    name: row.name,
                    sex: row.sex,
                    birth: row.birth_date,
                    symbol: row.insured_symbol.unwrap_or_default(),
                    number: row.insured_number.unwrap_or_default(),
                    branch: row.branch_number.unwrap_or_default(),
                });
                Ok(())
            },
        )
        .await?;
        let written = kokuho_formats::claims_sample::write_month(
            &people,
            month,
            self.insurer.as_str(),
            seed,
            out,
        )
        .map_err(|e| {
            if e.input {
                AppError::Invalid {
                    field: "claims",
                    message_en: e.en,
                    message_ja: e.ja,
                }
            } else {
                AppError::Setup {
                    message_en: e.en,
                    message_ja: e.ja,
                }
            }
        })?;
        Ok(ClaimsSample {
            insured: people.len() as u64,
            claims: written.claims,
            providers: written.providers,
        })
    }
}
