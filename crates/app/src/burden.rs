//! The stored burden categories (国保負担区分ファイル): for every NHI
//! household and month, what `kokuho_domain::burden` makes of its insured
//! members, its householder and their incomes. A recomputation records a
//! new version only where the outcome changed, and keeps every earlier one.

use std::collections::{BTreeMap, HashMap};

use kokuho_domain::burden::{self, AgeGroup, BurdenRules, Income, Member, format_month};
use kokuho_domain::eligibility::YearMonth;
use kokuho_store::burden::{self as repo, BurdenRow};
use kokuho_store::income::IncomeRow;
use time::{Date, OffsetDateTime};

use crate::eligibility::{Actor, in_tx, to_us};
use crate::jobs::Progress;
use crate::{AppError, Kokuho, Result};

/// What a recomputation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BurdenReport {
    pub months: u64,
    /// household-months judged
    pub households: u64,
    /// of which a new version was recorded
    pub changed: u64,
    /// household-months the rules could not judge (reason in the log)
    pub skipped: u64,
}

fn income_of(row: Option<&IncomeRow>) -> Income {
    match row {
        // No line from the tax system: nothing is known of the income (未申告).
        None => Income {
            unreported: true,
            ..Default::default()
        },
        Some(r) => Income {
            total_income: r.total_income,
            taxable_income: r.taxable_income,
            revenue: r.salary_revenue + r.pension_revenue + r.other_income.max(0),
            pension_revenue: r.pension_revenue,
            pension_income: r.pension_income,
            salary_income: r.salary_income,
            resident_tax_exempt: r.resident_tax_exempt,
            unreported: r.unreported,
        },
    }
}

/// A member as the recomputation found them: (宛名番号, birth date).
type Insured = (String, Date);

impl Kokuho {
    /// Recomputes every NHI household's categories for each month, as the
    /// records are known now. One transaction per month.
    pub async fn recompute_burden(
        &self,
        months: &[YearMonth],
        change_reason: &str,
        actor: Actor<'_>,
        progress: &Progress,
        now: OffsetDateTime,
    ) -> Result<BurdenReport> {
        let rules = BurdenRules::shipped().map_err(|e| AppError::Setup {
            message_en: format!("the burden rule table is broken: {e}"),
            message_ja: "負担区分の規則表に誤りがあります".into(),
        })?;
        let at = to_us(now);
        let mut report = BurdenReport::default();
        let mut incomes: HashMap<i32, HashMap<String, IncomeRow>> = HashMap::new();
        progress.set_total(months.len() as u64);
        for (done, &month) in months.iter().enumerate() {
            progress.set_done(done as u64);
            let (Some(first), Some(last)) = (month.first_day(), month.last_day()) else {
                continue;
            };
            // Insured on the first or the last day of the month, by household.
            let mut households: BTreeMap<String, BTreeMap<String, Date>> = BTreeMap::new();
            for on in [first, last] {
                self.for_each_insured_on(on, None, |r| {
                    if let Some(h) = r.household_number {
                        households
                            .entry(h)
                            .or_default()
                            .insert(r.addressee_id, r.birth_date);
                    }
                    Ok(())
                })
                .await?;
            }
            let heads = repo::householders_on(&self.db, &self.insurer, first, at).await?;
            let year = burden::income_year_for(month);
            if let std::collections::hash_map::Entry::Vacant(slot) = incomes.entry(year) {
                slot.insert(
                    kokuho_store::income::latest_for_year(&self.db, &self.insurer, year).await?,
                );
            }
            let income = &incomes[&year];
            let current =
                repo::current_for_month(&self.db, &self.insurer, &format_month(month)).await?;
            let mut changes: Vec<(Option<BurdenRow>, BurdenRow)> = Vec::new();
            for (household, insured) in &households {
                report.households += 1;
                let insured: Vec<Insured> = insured.iter().map(|(a, b)| (a.clone(), *b)).collect();
                let head = heads.get(household);
                let mut members: Vec<Member> = insured
                    .iter()
                    .map(|(id, birth)| Member {
                        id: id.clone(),
                        birth_date: *birth,
                        insured: true,
                        householder: head == Some(id),
                        income: income_of(income.get(id)),
                    })
                    .collect();
                match head {
                    Some(h) if !members.iter().any(|m| &m.id == h) => members.push(Member {
                        // The 擬制世帯主: not insured, so the age is not used.
                        id: h.clone(),
                        birth_date: first,
                        insured: false,
                        householder: true,
                        income: income_of(income.get(h)),
                    }),
                    Some(_) => {}
                    // No householder on record for the date: the first insured stands in.
                    None => {
                        if let Some(m) = members.first_mut() {
                            m.householder = true;
                        }
                    }
                }
                let b = match burden::compute(&rules, month, &members, false) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(household = %household, month = %format_month(month), "burden not judged: {e}");
                        report.skipped += 1;
                        continue;
                    }
                };
                let copay_rates = b
                    .members
                    .iter()
                    .map(|(id, g, rate)| {
                        let g = match g {
                            AgeGroup::Preschool => "未就学",
                            AgeGroup::Under70 => "",
                            AgeGroup::Elderly => "高齢受給者",
                        };
                        format!(
                            "{id}:{rate}{}",
                            if g.is_empty() {
                                String::new()
                            } else {
                                format!("({g})")
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(";");
                let old = current.get(household);
                let next = BurdenRow {
                    household_number: household.clone(),
                    month: format_month(month),
                    version_no: old.map_or(1, |o| o.version_no + 1),
                    income_year: year,
                    category_under_70: b.under70.map(|c| c.label().to_string()),
                    category_70_74: b.elderly.map(|c| c.label().to_string()),
                    copay_rates,
                    reasons: b.reasons.join("\n"),
                    change_reason: change_reason.to_string(),
                    recorded_us: at,
                    recorded_by: actor.to_string(),
                    superseded_us: None,
                };
                if old.is_none_or(|o| o.outcome() != next.outcome()) {
                    changes.push((old.cloned(), next));
                }
            }
            report.changed += changes.len() as u64;
            in_tx!(self.db, |tx| {
                for (old, next) in &changes {
                    repo::replace(&mut tx, &self.insurer, old.as_ref(), next).await?;
                }
                Ok::<(), AppError>(())
            })?;
            report.months += 1;
        }
        progress.complete();
        Ok(report)
    }

    /// Every version of a household's categories.
    pub async fn burden_history(&self, household: &str) -> Result<Vec<BurdenRow>> {
        Ok(repo::history(&self.db, &self.insurer, household).await?)
    }
}

/// The months an income year decides (August of the next year to July of
/// the one after), up to and including `until`.
pub fn months_of_income_year(income_year: i32, until: YearMonth) -> Vec<YearMonth> {
    let mut out = Vec::new();
    let mut m = YearMonth {
        year: income_year + 1,
        month: time::Month::August,
    };
    for _ in 0..12 {
        if m > until {
            break;
        }
        out.push(m);
        m = m.next();
    }
    out
}
