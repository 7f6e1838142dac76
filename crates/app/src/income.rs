//! Income from the municipal tax system (所得の取込): every revision of a
//! person's income for a year is kept; the highest applies. A file is all
//! or nothing, and the same file twice changes nothing.

use kokuho_formats::income::{self as format, IncomeRecord};
use kokuho_formats::text::Encoding;
use kokuho_store::addressee as registry;
use kokuho_store::feed as files;
use kokuho_store::income::{self as repo, IncomeRow};
use time::OffsetDateTime;

use crate::eligibility::{Actor, in_tx, to_us};
use crate::jobs::Progress;
use crate::{AppError, Kokuho, Result};

const INCOME_KIND: &str = "income";

/// What an income import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncomeReport {
    pub lines: u64,
    /// revisions recorded for the first time
    pub recorded: u64,
    /// of which corrections (revision 1 or more: 修正申告・更正)
    pub corrections: u64,
    /// lines already recorded with the same figures (sent again)
    pub unchanged: u64,
    pub already_imported: bool,
    /// the income years in the file
    pub years: Vec<i32>,
    /// household-months whose burden categories changed as a result
    pub burden_changed: u64,
    /// households whose booked levy was reassessed as a result
    pub levy_booked: u64,
    /// the file's content digest (grouped hex SHA-256), for the access record
    pub digest: String,
}

fn rejected(file: &str, r: &IncomeRecord, field: &str, en: String, ja: String) -> AppError {
    AppError::Rejected {
        file: file.to_string(),
        line: r.line,
        field: field.to_string(),
        reason_en: en,
        reason_ja: ja,
    }
}

fn row_of(r: &IncomeRecord, digest: &str, at_us: i64, by: &str) -> IncomeRow {
    IncomeRow {
        addressee_id: r.addressee_id.to_string(),
        income_year: r.income_year,
        revision: r.revision,
        total_income: r.total_income,
        total_gross_income: r.total_gross_income,
        salary_revenue: r.salary_revenue,
        salary_income: r.salary_income,
        pension_revenue: r.pension_revenue,
        pension_income: r.pension_income,
        other_income: r.other_income,
        separate_income: r.separate_income,
        taxable_income: r.taxable_income,
        resident_tax_exempt: r.resident_tax_exempt,
        unreported: r.unreported,
        family_employee_deduction: r.family_employee_deduction,
        file_digest: digest.to_string(),
        line: r.line as i64,
        recorded_us: at_us,
        recorded_by: by.to_string(),
    }
}

impl Kokuho {
    /// Imports an income file: all or nothing; a file imported before, or a
    /// line recorded before with the same figures, changes nothing; a line
    /// that repeats a recorded revision with other figures rejects the file.
    pub async fn import_income(
        &self,
        file_name: &str,
        bytes: &[u8],
        encoding: Encoding,
        actor: Actor<'_>,
        progress: &Progress,
        now: OffsetDateTime,
    ) -> Result<IncomeReport> {
        let digest = kokuho_formats::registry_feed::file_digest(bytes);
        let records = format::parse(file_name, bytes, encoding)?;
        let mut years: Vec<i32> = records.iter().map(|r| r.income_year).collect();
        years.sort_unstable();
        years.dedup();
        in_tx!(self.db, |tx| {
            if files::file_imported(&mut tx, &self.insurer, INCOME_KIND, &digest).await? {
                return Ok(IncomeReport {
                    already_imported: true,
                    years: years.clone(),
                    digest,
                    ..Default::default()
                });
            }
            let at = to_us(now);
            let mut report = IncomeReport {
                digest: digest.clone(),
                ..Default::default()
            };
            progress.set_total(records.len() as u64);
            for (done, r) in records.iter().enumerate() {
                progress.set_done(done as u64);
                if registry::get_person_tx(&mut tx, &self.insurer, &r.addressee_id)
                    .await?
                    .is_none()
                {
                    return Err(rejected(
                        file_name,
                        r,
                        "addressee_id",
                        "no such person in the registry".into(),
                        "宛名に登録されていない人です".into(),
                    ));
                }
                let row = row_of(r, &digest, at, actor);
                match repo::get(
                    &mut tx,
                    &self.insurer,
                    &row.addressee_id,
                    r.income_year,
                    r.revision,
                )
                .await?
                {
                    Some(old) if old.figures() == row.figures() => report.unchanged += 1,
                    Some(_) => {
                        return Err(rejected(
                            file_name,
                            r,
                            "revision",
                            format!(
                                "revision {} of {} is recorded with other figures: a correction needs a higher revision",
                                r.revision, r.income_year
                            ),
                            format!(
                                "{}年分の更正回数{}は別の金額で登録済みです（修正・更正は更正回数を上げてください）",
                                r.income_year, r.revision
                            ),
                        ));
                    }
                    None => {
                        repo::insert(&mut tx, &self.insurer, &row).await?;
                        report.recorded += 1;
                        if r.revision > 0 {
                            report.corrections += 1;
                        }
                    }
                }
                report.lines += 1;
            }
            progress.complete();
            report.years = years.clone();
            files::record_file(
                &mut tx,
                &self.insurer,
                INCOME_KIND,
                &digest,
                file_name,
                records.len() as i64,
                at,
                actor,
            )
            .await?;
            Ok(report)
        })
    }

    /// Every recorded revision of a person's income.
    pub async fn income_history(&self, addressee_id: &str) -> Result<Vec<IncomeRow>> {
        Ok(repo::history(&self.db, &self.insurer, addressee_id).await?)
    }
}
