//! The stored burden categories (国保負担区分ファイル): for every NHI
//! household and month, what `kokuho_domain::burden` makes of its insured
//! members, its householder and their incomes. A recomputation records a
//! new version only where the outcome changed, and keeps every earlier one.

use std::collections::{BTreeMap, HashMap};

use kokuho_domain::addressee::HouseholdNumber;
use kokuho_domain::burden::{self, AgeGroup, BurdenRules, Income, Member, format_month};
use kokuho_domain::eligibility::YearMonth;
use kokuho_store::burden::{self as repo, FormerInsured};
pub use kokuho_store::burden::{ApplicationRecord, BurdenRow};
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
            // Salary and pension revenue are on the tax record; any other
            // income is known only as income, so its revenue is not.
            revenue_confirmed: !r.unreported && r.other_income == 0 && r.separate_income == 0,
        },
    }
}

fn rules() -> Result<BurdenRules> {
    BurdenRules::shipped().map_err(|e| AppError::Setup {
        message_en: format!("the burden rule table is broken: {e}"),
        message_ja: "負担区分の規則表に誤りがあります".into(),
    })
}

/// Incomes of one year as the rules take them, read by person as needed;
/// a person known to have no line is remembered as such.
#[derive(Default)]
struct IncomeCache {
    by_person: HashMap<String, Option<Income>>,
}

impl IncomeCache {
    /// Those of `ids` not read yet, each once (no borrow is held across
    /// the reading, which keeps the future `Send`).
    fn missing<'a>(&self, ids: impl Iterator<Item = &'a String>) -> Vec<String> {
        let mut missing: Vec<String> = ids
            .filter(|id| !self.by_person.contains_key(id.as_str()))
            .cloned()
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    async fn load(&mut self, app: &Kokuho, year: i32, missing: Vec<String>) -> Result<()> {
        if missing.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = missing.iter().map(String::as_str).collect();
        let found =
            kokuho_store::income::latest_for_persons(&app.db, &app.insurer, year, &ids).await?;
        for id in missing {
            let income = found.get(&id).map(|r| income_of(Some(r)));
            self.by_person.insert(id, income);
        }
        Ok(())
    }

    fn get(&self, id: &str) -> Income {
        match self.by_person.get(id) {
            Some(Some(i)) => i.clone(),
            _ => income_of(None),
        }
    }
}

/// What a household is made of in a month, for judging it.
struct HouseholdMonth<'a> {
    household: &'a str,
    month: YearMonth,
    /// insured members: 宛名番号 → birth date
    insured: &'a BTreeMap<String, Date>,
    householder: Option<&'a String>,
    /// 特定同一世帯所属者 candidates (checked against the month's first day)
    former: &'a [FormerInsured],
    /// 基準収入額適用 applied for, in force this month
    applied: bool,
}

/// Judges one household-month; `Some(next version)` when the outcome
/// differs from `old` (or there is none), `None` when nothing changed.
#[allow(clippy::too_many_arguments)] // the inputs of one judgement, each named
fn judge(
    rules: &BurdenRules,
    h: &HouseholdMonth<'_>,
    income: &dyn Fn(&str) -> Income,
    old: Option<&BurdenRow>,
    change_reason: &str,
    actor: &str,
    at: i64,
) -> std::result::Result<Option<BurdenRow>, burden::BurdenError> {
    let first = h.month.first_day().unwrap_or(Date::MIN);
    let mut members: Vec<Member> = h
        .insured
        .iter()
        .map(|(id, birth)| Member {
            id: id.clone(),
            birth_date: *birth,
            insured: true,
            householder: h.householder == Some(id),
            former_insured_late_elderly: false,
            income: income(id),
        })
        .collect();
    let former: Vec<&str> = h
        .former
        .iter()
        .filter(|f| f.counts_on(first) && !h.insured.contains_key(&f.addressee_id))
        .map(|f| f.addressee_id.as_str())
        .collect();
    match h.householder {
        Some(head) if !members.iter().any(|m| &m.id == head) => members.push(Member {
            // The 擬制世帯主: not insured, so the age is not used.
            id: head.clone(),
            birth_date: first,
            insured: false,
            householder: true,
            former_insured_late_elderly: former.contains(&head.as_str()),
            income: income(head),
        }),
        Some(_) => {}
        // No householder on record for the date: the first insured stands in.
        None => {
            if let Some(m) = members.first_mut() {
                m.householder = true;
            }
        }
    }
    for id in former {
        if h.householder.is_some_and(|head| head == id) {
            continue;
        }
        members.push(Member {
            id: id.to_string(),
            birth_date: first,
            insured: false,
            householder: false,
            former_insured_late_elderly: true,
            income: income(id),
        });
    }
    let b = burden::compute(rules, h.month, &members, h.applied)?;
    let copay_rates = b
        .members
        .iter()
        .map(|(id, g, rate)| match g {
            AgeGroup::Preschool => format!("{id}:{rate}(未就学)"),
            AgeGroup::Under70 => format!("{id}:{rate}"),
            AgeGroup::Elderly => format!("{id}:{rate}(高齢受給者)"),
        })
        .collect::<Vec<_>>()
        .join(";");
    let next = BurdenRow {
        household_number: h.household.to_string(),
        month: format_month(h.month),
        version_no: old.map_or(1, |o| o.version_no + 1),
        income_year: burden::income_year_for(h.month),
        category_under_70: b.under70.map(|c| c.label().to_string()),
        category_70_74: b.elderly.map(|c| c.label().to_string()),
        copay_rates,
        reasons: b.reasons.join("\n"),
        change_reason: change_reason.to_string(),
        recorded_us: at,
        recorded_by: actor.to_string(),
        superseded_us: None,
    };
    Ok(old
        .is_none_or(|o| o.outcome() != next.outcome())
        .then_some(next))
}

/// The version for a month in which the household no longer has an insured
/// member (all left, or the only one's period was voided): no category and
/// no copay apply, and what was judged before must not be read as standing.
/// `None` when `old` already says so, or there is nothing to end.
fn without_insured(
    old: Option<&BurdenRow>,
    change_reason: &str,
    actor: &str,
    at: i64,
) -> Option<BurdenRow> {
    let old = old?;
    let next = BurdenRow {
        version_no: old.version_no + 1,
        category_under_70: None,
        category_70_74: None,
        copay_rates: String::new(),
        reasons: NO_INSURED.to_string(),
        change_reason: change_reason.to_string(),
        recorded_us: at,
        recorded_by: actor.to_string(),
        superseded_us: None,
        ..old.clone()
    };
    (old.outcome() != next.outcome()).then_some(next)
}

/// The reason recorded for a month without an insured member.
pub const NO_INSURED: &str = "この月に国保の被保険者がいないため、負担区分はありません";

/// Whether an application whose first month is `from` is in force in `month`.
fn applied_in(from: Option<&String>, month: YearMonth) -> bool {
    from.is_some_and(|from| from.as_str() <= format_month(month).as_str())
}

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
        let rules = rules()?;
        let at = to_us(now);
        let mut report = BurdenReport::default();
        // The incomes read so far, per year, of the persons the months
        // needed (insured members and householders), as the rules take them.
        let mut incomes: HashMap<i32, IncomeCache> = HashMap::new();
        let applications = repo::applications(&self.db, &self.insurer).await?;
        let formers = repo::former_insured(&self.db, &self.insurer).await?;
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
            let income = incomes.entry(year).or_default();
            let missing = income.missing(households.iter().flat_map(|(h, insured)| {
                insured.keys().chain(heads.get(h)).chain(
                    formers
                        .get(h)
                        .into_iter()
                        .flatten()
                        .map(|f| &f.addressee_id),
                )
            }));
            income.load(self, year, missing).await?;
            let lookup = |id: &str| income.get(id);
            let current =
                repo::current_for_month(&self.db, &self.insurer, &format_month(month)).await?;
            let mut changes: Vec<(Option<BurdenRow>, BurdenRow)> = Vec::new();
            for (household, insured) in &households {
                report.households += 1;
                let h = HouseholdMonth {
                    household,
                    month,
                    insured,
                    householder: heads.get(household),
                    former: formers.get(household).map_or(&[], Vec::as_slice),
                    applied: applied_in(applications.get(household), month),
                };
                let old = current.get(household);
                match judge(&rules, &h, &lookup, old, change_reason, actor, at) {
                    Ok(Some(next)) => changes.push((old.cloned(), next)),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(household = %household, month = %format_month(month), "burden not judged: {e}");
                        report.skipped += 1;
                    }
                }
            }
            // Households judged before that have no insured member now.
            for (household, old) in &current {
                if !households.contains_key(household)
                    && let Some(next) = without_insured(Some(old), change_reason, actor, at)
                {
                    changes.push((Some(old.clone()), next));
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

    /// Recomputes one household for the months (after a change at the
    /// counter: an eligibility change, an application). A month left with
    /// no insured member gets a version that says so.
    pub async fn recompute_household_burden(
        &self,
        household: &HouseholdNumber,
        months: &[YearMonth],
        change_reason: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<BurdenReport> {
        let rules = rules()?;
        let at = to_us(now);
        let mut report = BurdenReport::default();
        let application = repo::application_of(&self.db, &self.insurer, household.as_str()).await?;
        let former = repo::former_insured_of(&self.db, &self.insurer, household.as_str()).await?;
        for &month in months {
            let (Some(first), Some(last)) = (month.first_day(), month.last_day()) else {
                continue;
            };
            // The householder on the first day comes with that day's view.
            let first_view = self.nhi_household_as_of(household, first, None).await?;
            let head = first_view.householder.map(|a| a.to_string());
            let mut insured: BTreeMap<String, Date> = BTreeMap::new();
            for m in first_view.members.into_iter().chain(
                self.nhi_household_as_of(household, last, None)
                    .await?
                    .members,
            ) {
                insured.insert(m.addressee_id, m.birth_date);
            }
            if insured.is_empty() {
                let old = repo::current(
                    &self.db,
                    &self.insurer,
                    household.as_str(),
                    &format_month(month),
                )
                .await?;
                if let Some(next) = without_insured(old.as_ref(), change_reason, actor, at) {
                    in_tx!(self.db, |tx| repo::replace(
                        &mut tx,
                        &self.insurer,
                        old.as_ref(),
                        &next
                    )
                    .await
                    .map_err(AppError::from))?;
                    report.changed += 1;
                }
                continue;
            }
            report.households += 1;
            let year = burden::income_year_for(month);
            let mut income = IncomeCache::default();
            let missing = income.missing(
                insured
                    .keys()
                    .chain(head.iter())
                    .chain(former.iter().map(|f| &f.addressee_id)),
            );
            income.load(self, year, missing).await?;
            let lookup = |id: &str| income.get(id);
            let old = repo::current(
                &self.db,
                &self.insurer,
                household.as_str(),
                &format_month(month),
            )
            .await?;
            let h = HouseholdMonth {
                household: household.as_str(),
                month,
                insured: &insured,
                householder: head.as_ref(),
                former: &former,
                applied: applied_in(application.as_ref(), month),
            };
            match judge(&rules, &h, &lookup, old.as_ref(), change_reason, actor, at) {
                Ok(Some(next)) => {
                    in_tx!(self.db, |tx| repo::replace(
                        &mut tx,
                        &self.insurer,
                        old.as_ref(),
                        &next
                    )
                    .await
                    .map_err(AppError::from))?;
                    report.changed += 1;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(household = %household.as_str(), month = %format_month(month), "burden not judged: {e}");
                    report.skipped += 1;
                }
            }
            report.months += 1;
        }
        Ok(report)
    }

    /// The months from `from` to `until` judged before: what a change at
    /// the counter must judge again (one index probe a month).
    pub async fn judged_months(&self, from: YearMonth, until: YearMonth) -> Result<Vec<YearMonth>> {
        let mut months = Vec::new();
        let mut m = from;
        while m <= until {
            if repo::month_judged(&self.db, &self.insurer, &format_month(m)).await? {
                months.push(m);
            }
            m = m.next();
        }
        Ok(months)
    }

    /// Records a 基準収入額適用 application from `from`; false when it was
    /// recorded before.
    pub async fn record_standard_income_application(
        &self,
        household: &HouseholdNumber,
        from: YearMonth,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        if kokuho_store::addressee::get_household(&self.db, &self.insurer, household)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound {
                what: "household",
                message_ja: "該当する世帯がありません",
            });
        }
        let at = to_us(now);
        in_tx!(self.db, |tx| repo::record_application(
            &mut tx,
            &self.insurer,
            household.as_str(),
            &format_month(from),
            at,
            actor
        )
        .await
        .map_err(AppError::from))
    }

    /// Every version of a household's categories.
    pub async fn burden_history(&self, household: &str) -> Result<Vec<BurdenRow>> {
        Ok(repo::history(&self.db, &self.insurer, household).await?)
    }

    /// What the household's burden page shows: the household and its
    /// members, every version of every month, and the applications.
    pub async fn household_burden(&self, household: &str) -> Result<HouseholdBurden> {
        let view = self.household(household).await?;
        let number = view.household.household_number.as_str().to_string();
        Ok(HouseholdBurden {
            versions: repo::history(&self.db, &self.insurer, &number).await?,
            applications: repo::application_records(&self.db, &self.insurer, &number).await?,
            household: view,
        })
    }
}

/// A household's burden categories with everything needed to explain them.
#[derive(Clone, Debug)]
pub struct HouseholdBurden {
    pub household: crate::registry::HouseholdView,
    /// every version, by month then version
    pub versions: Vec<BurdenRow>,
    pub applications: Vec<repo::ApplicationRecord>,
}

impl HouseholdBurden {
    /// The versions that stood at `at_us` (as the records were then known),
    /// one per month at most: what a claim of that time was checked against.
    pub fn as_known_at(&self, at_us: i64) -> Vec<&BurdenRow> {
        self.versions
            .iter()
            .filter(|v| v.recorded_us <= at_us && v.superseded_us.is_none_or(|s| s > at_us))
            .collect()
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

/// What caused a version, for the staff screens.
pub fn change_reason_ja(code: &str) -> &str {
    match code {
        "income_import" => "所得情報の取込",
        "recompute" => "一括再判定",
        "eligibility_change" => "資格・世帯の異動",
        "standard_income_application" => "基準収入額適用の申請",
        other => other,
    }
}
