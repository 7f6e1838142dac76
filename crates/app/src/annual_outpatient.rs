//! The yearly run of the annual outpatient cap (外来年間合算): after 31 July,
//! every person aged 70–74 with outpatient care in August to July is taken
//! from what the monthly high-cost runs left them to bear, and the part
//! above the year's cap is booked as a decision for the benefits workflow.
//! The calculation is the domain's ([`rule::compute`]); this module finds
//! its inputs as known at the run, books the decisions (versioned, as the
//! monthly ones) and keeps the run.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use kokuho_domain::annual_outpatient::{self as rule, AnnualPerson, OutpatientMonth};
use kokuho_domain::burden::{Elderly, format_month, parse_month, yen};
use kokuho_domain::eligibility::YearMonth;
use kokuho_store::annual_outpatient::{self as repo, OutpatientMonthRow};
pub use kokuho_store::annual_outpatient::{AnnualDecisionRow, AnnualRunRow};
use kokuho_store::claims as claims_repo;
use kokuho_store::high_cost as high_cost_repo;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::claims::Snapshot;
use crate::eligibility::{Actor, in_tx, to_us};
use crate::jobs::Progress;
use crate::{AppError, Kokuho, Result};

/// What a yearly run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AnnualRunReport {
    pub run_id: i64,
    /// the year of its August
    pub year: i32,
    /// persons aged 70–74 with outpatient care in the year
    pub persons: u64,
    pub with_benefit: u64,
    pub benefit: i64,
    /// persons not insured here on the base date (left, died, turned 75)
    /// whose outpatient copays pass the cap: listed for a clerk
    pub not_insured_on_base_date: u64,
    pub booked: u64,
}

/// The calculation of a person's year as stored with the decision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualBasis {
    /// 31 July, YYYY-MM-DD
    pub base_date: String,
    pub base_category: Option<String>,
    pub insured_on_base_date: bool,
    pub months: Vec<AnnualBasisMonth>,
    pub steps: Vec<String>,
    pub source: String,
    /// the benefit is a share of the year's by a split not yet confirmed
    #[serde(default)]
    pub provisional: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualBasisMonth {
    pub month: String,
    pub category: Option<String>,
    pub outpatient: i64,
    pub outpatient_left: i64,
    pub counted: bool,
    /// the monthly high-cost run the amounts come from (0 for another
    /// insurer's month)
    pub run_id: i64,
    /// another insurer's month: its 保険者番号 (from its 自己負担額証明書)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurer: Option<String>,
}

fn invalid_year(year: i32) -> AppError {
    AppError::Invalid {
        field: "year",
        message_en: format!("year {year} is out of range"),
        message_ja: format!("{year}年度は範囲外です"),
    }
}

/// Each month's latest monthly high-cost run made by a time.
#[derive(Clone, Debug, Default)]
pub(crate) struct MonthRuns {
    /// (month, run) of the months whose latest run holds
    pub current: Vec<(String, i64)>,
    /// months without a run
    pub missing: Vec<String>,
    /// months whose latest run did not keep what is asked (made before
    /// that was built)
    pub not_recorded: Vec<String>,
    /// (month, run) of the months whose latest run is out of date: a claim
    /// of the month came after it, or a processing month it used was
    /// checked again since
    pub stale: Vec<(String, i64)>,
    /// (month, households) of the runs read (current or stale) that left
    /// households out of what they kept (`borne_left_out`)
    pub borne_left_out: Vec<(String, Vec<String>)>,
}

impl Kokuho {
    /// The latest monthly run of each month from `first` to `last` made by
    /// `known_at_us`, sorted into those that hold and those that do not.
    pub(crate) async fn latest_month_runs(
        &self,
        first: YearMonth,
        last: YearMonth,
        known_at_us: i64,
        recorded: impl Fn(&high_cost_repo::RunRow) -> bool,
    ) -> Result<MonthRuns> {
        let mut out = MonthRuns::default();
        let mut m = first;
        loop {
            let key = format_month(m);
            let run = high_cost_repo::runs(&self.db, &self.insurer, Some(&key))
                .await?
                .into_iter()
                .find(|r| r.ran_us <= known_at_us);
            match run {
                None => out.missing.push(key),
                Some(r) if !recorded(&r) => out.not_recorded.push(key),
                Some(r) => {
                    if !r.borne_left_out.is_empty() {
                        out.borne_left_out.push((
                            key.clone(),
                            r.borne_left_out.split(';').map(str::to_string).collect(),
                        ));
                    }
                    let claims_now =
                        high_cost_repo::claims_of_month(&self.db, &self.insurer, &key).await?;
                    let mut current = claims_now == r.claims + r.left_out;
                    for used in r.checks.split(';').filter(|c| !c.is_empty()) {
                        let Some((bm, id)) = used.split_once(':') else {
                            continue;
                        };
                        let latest = claims_repo::checks(&self.db, &self.insurer, Some(bm))
                            .await?
                            .into_iter()
                            .find(|c| c.checked_us <= known_at_us)
                            .map(|c| c.check_id.to_string());
                        current &= latest.as_deref() == Some(id);
                    }
                    if current {
                        out.current.push((key, r.run_id));
                    } else {
                        out.stale.push((key, r.run_id));
                    }
                }
            }
            if m >= last {
                break;
            }
            m = m.next();
        }
        Ok(out)
    }

    /// Computes the annual outpatient benefit of the year that starts in
    /// August `year`, as the records were known at `known_at`, and books the
    /// decisions that are new or changed — all or nothing.
    pub async fn run_annual_outpatient(
        &self,
        year: i32,
        known_at: OffsetDateTime,
        actor: Actor<'_>,
        progress: &Progress,
        now: OffsetDateTime,
    ) -> Result<AnnualRunReport> {
        let rules = crate::high_cost::shipped_rules()?;
        let (first, last) = rule::year_months(year).ok_or_else(|| invalid_year(year))?;
        let base_date = last.last_day().ok_or_else(|| invalid_year(year))?;
        let period = rules.for_month(first).ok_or_else(|| AppError::Invalid {
            field: "year",
            message_en: format!("no high-cost limits for {}", format_month(first)),
            message_ja: format!("{}診療分の限度額表がありません", format_month(first)),
        })?;
        let source = period.source.clone();
        let known_at_us = to_us(known_at);
        // The year is over on its base date; July's claims come later still.
        if crate::local_date(known_at) <= base_date {
            return Err(AppError::Conflict {
                message_en: format!(
                    "the year {}–{} ends on {base_date}: run it after that day",
                    format_month(first),
                    format_month(last)
                ),
                message_ja: format!(
                    "計算期間（{}〜{}）は基準日 {base_date} に終わります。その翌日以降に計算してください",
                    format_month(first),
                    format_month(last)
                ),
            });
        }
        if let Some(later) = repo::runs(&self.db, &self.insurer)
            .await?
            .into_iter()
            .filter(|r| r.year == i64::from(year))
            .map(|r| r.known_at_us)
            .max()
            && known_at_us < later
        {
            return Err(AppError::Conflict {
                message_en: format!(
                    "the year {year} was run as known at a later time ({}); a run as known earlier would replace newer decisions",
                    crate::eligibility::from_us(later)
                ),
                message_ja: format!(
                    "{year}年度は、より新しい時点の記録で計算済みです。それより前の時点では計算できません"
                ),
            });
        }

        // Each month's latest monthly run made by the run's time. It must
        // have kept its outpatient months, and still hold.
        let runs = self
            .latest_month_runs(first, last, known_at_us, |r| r.outpatient_recorded)
            .await?;
        let month_runs = runs.current;
        let missing = runs.missing;
        let mut stale: Vec<String> = runs
            .not_recorded
            .into_iter()
            .chain(runs.stale.into_iter().map(|(m, _)| m))
            .collect();
        stale.sort();
        if !missing.is_empty() || !stale.is_empty() {
            let all: Vec<String> = missing.iter().chain(&stale).cloned().collect();
            return Err(AppError::Conflict {
                message_en: format!(
                    "the monthly high-cost run is missing or out of date for {} (no run; a run from before the annual cap was kept, or claims or a check came after it): run those months first",
                    all.join(", ")
                ),
                message_ja: format!(
                    "高額療養費の月次計算がまだの月、またはその後にレセプトの取込・資格点検があった月があります（{}）。先にその月の月次計算を行ってください",
                    all.join("、")
                ),
            });
        }
        let run_ids: Vec<i64> = month_runs.iter().map(|(_, r)| *r).collect();
        let rows = repo::months_of_runs(&self.db, &self.insurer, &run_ids).await?;
        let mut by_person: BTreeMap<String, Vec<OutpatientMonthRow>> = BTreeMap::new();
        for r in rows {
            by_person.entry(r.addressee_id.clone()).or_default().push(r);
        }
        progress.set_total(by_person.len() as u64);
        // Months with other insurers, from their 自己負担額証明書 as entered
        // by the run's time.
        let mut others: HashMap<String, Vec<OtherMonthRow>> = HashMap::new();
        for r in kokuho_store::other_insurer::of_year_known_at(
            &self.db,
            &self.insurer,
            i64::from(year),
            known_at_us,
        )
        .await?
        {
            others.entry(r.addressee_id.clone()).or_default().push(r);
        }
        // A person whose only counted months are another insurer's is
        // still this insurer's to compute when insured here on the base
        // date: the year's benefit is shared out among the insurers by
        // the base date's (this) one.
        for p in others.keys() {
            by_person.entry(p.clone()).or_default();
        }
        progress.set_total(by_person.len() as u64);

        let snap = Snapshot::load(self, &[], known_at_us).await?;
        let index: HashMap<&str, usize> = snap
            .persons
            .iter()
            .enumerate()
            .map(|(i, p)| (p.addressee_id.as_str(), i))
            .collect();
        let categories = claims_repo::categories_known_at(
            &self.db,
            &self.insurer,
            &format_month(last),
            known_at_us,
        )
        .await?;

        struct Computed {
            household: Option<String>,
            result: rule::Annual,
            basis: AnnualBasis,
            review: Vec<String>,
        }
        let mut computed: BTreeMap<String, Computed> = BTreeMap::new();
        let mut refused: Vec<(String, String)> = Vec::new();
        // the burden categories of the months persons died in, as needed
        let mut death_categories: HashMap<String, HashMap<String, claims_repo::CategoriesRow>> =
            HashMap::new();
        let first_day = first.first_day().ok_or_else(|| invalid_year(year))?;
        for (done, (person, rows)) in by_person.iter().enumerate() {
            if done % 1000 == 0 {
                progress.set_done(done as u64);
            }
            let p = index.get(person.as_str()).map(|i| &snap.persons[*i]);
            let insured_on_july = p.is_some_and(|p| Snapshot::insured_on(p, base_date));
            // A person who died within the year: the day of death is taken
            // as the base date (the loss is the next day). PROVISIONAL: the
            // reading municipal guides give for 高額介護合算; the NHI
            // provision was not read here (docs/high-cost.md).
            let death_day = if insured_on_july {
                None
            } else {
                p.and_then(|p| {
                    p.losses
                        .iter()
                        .filter(|(on, why)| why == "death" && *on <= base_date)
                        .map(|(on, _)| *on)
                        .max()
                        .and_then(|on| on.previous_day())
                        .filter(|d| *d >= first_day && Snapshot::insured_on(p, *d))
                })
            };
            let insured = insured_on_july || death_day.is_some();
            let person_base = death_day.unwrap_or(base_date);
            let household = p
                .and_then(|p| Snapshot::household_at(p, person_base))
                .map(str::to_string);
            let month_key = format_month(YearMonth::from_date(person_base));
            if death_day.is_some() && !death_categories.contains_key(&month_key) {
                let c = claims_repo::categories_known_at(
                    &self.db,
                    &self.insurer,
                    &month_key,
                    known_at_us,
                )
                .await?;
                death_categories.insert(month_key.clone(), c);
            }
            let cats_of_day = if death_day.is_some() {
                death_categories.get(&month_key)
            } else {
                Some(&categories)
            };
            let base_category = if insured {
                household
                    .as_ref()
                    .and_then(|h| cats_of_day.and_then(|c| c.get(h)))
                    .and_then(|c| c.category_70_74.as_deref())
                    .and_then(Elderly::from_label)
            } else {
                None
            };
            // Another insurer's months count where this insurer is the base
            // date's: otherwise the base date's insurer adds ours.
            let other_rows: &[OtherMonthRow] = if insured {
                others.get(person).map_or(&[], Vec::as_slice)
            } else {
                &[]
            };
            let months: Vec<OutpatientMonth> = rows
                .iter()
                .filter_map(|r| {
                    Some(OutpatientMonth {
                        month: parse_month(&r.service_month)?,
                        category: r.category_70_74.as_deref().and_then(Elderly::from_label),
                        outpatient: r.outpatient,
                        outpatient_left: r.outpatient_left,
                        insurer: None,
                    })
                })
                .chain(other_rows.iter().filter_map(|r| {
                    Some(OutpatientMonth {
                        month: parse_month(&r.month)?,
                        category: r.category_70_74.as_deref().and_then(Elderly::from_label),
                        outpatient: r.outpatient,
                        outpatient_left: r.outpatient_left,
                        insurer: Some(r.other_insurer.clone()),
                    })
                }))
                .collect();
            let result = match rule::compute(
                &rules,
                &AnnualPerson {
                    year,
                    base_category,
                    months: &months,
                },
            ) {
                Ok(r) => r,
                Err(e) => {
                    refused.push((e.reason, e.reason_ja));
                    continue;
                }
            };
            let mut review = Vec::new();
            let mut steps = result.steps.clone();
            let base_ja = ja_date(person_base);
            if let Some(d) = death_day {
                let line = format!(
                    "死亡により資格を喪失（死亡日 {}）：死亡日を基準日として計算しました（国保の規定は未確認のため【暫定】）。支給は相続人の申請によります",
                    ja_date(d)
                );
                steps.insert(1, format!("{line}。"));
                review.push(line);
            }
            if !insured {
                // Not ours to pay; the months that count are what another
                // insurer (or the heirs' application) needs.
                if result.counted == 0 {
                    continue;
                }
                steps.pop();
                let death = p.and_then(|p| {
                    p.losses
                        .iter()
                        .filter(|(on, _)| *on <= base_date)
                        .max_by_key(|(on, _)| *on)
                        .filter(|(_, why)| why == "death")
                        .map(|(on, _)| *on)
                });
                let line = match death {
                    Some(on) => format!(
                        "死亡により資格を喪失（{}）：死亡日を基準日として、相続人の申請により支給を計算します（要確認）。合算する外来の負担 {}円",
                        ja_date(on),
                        yen(result.counted)
                    ),
                    None => format!(
                        "基準日（{base_ja}）にこの保険者の被保険者ではありません（資格喪失・75歳到達）：支給は基準日の保険者が計算します。合算する外来の負担 {}円 について自己負担額証明書の交付対象です",
                        yen(result.counted)
                    ),
                };
                steps.push(format!("{line}。"));
                review.push(line);
            } else if base_category.is_none() && result.counted > 0 {
                review.push(format!(
                    "基準日（{base_ja}）の世帯の70〜74歳の適用区分が判定されていません：負担区分を判定してから計算し直してください"
                ));
            } else if result.eligible && result.counted > 0 && result.counted_here == 0 {
                if result.benefit > 0 {
                    review.push(format!(
                        "この保険者の月はありません：年間の支給額 {}円 は、ほかの保険者がそれぞれの按分の額を支給します（基準日の保険者として支給額計算結果を連絡してください）",
                        yen(result.benefit)
                    ));
                }
            } else if result.eligible && result.counted > 0 {
                // Joined during the year: the months before were insured
                // elsewhere, which a 自己負担額証明書 would add.
                let covered_from_start = p.is_some_and(|p| {
                    first.first_day().is_some_and(|d| {
                        p.facts
                            .periods
                            .iter()
                            .any(|(from, to)| *from <= d && to.is_none_or(|t| d < t))
                    })
                });
                if !covered_from_start && other_rows.is_empty() {
                    review.push(
                        "計算期間の途中で加入した方です：加入前の医療保険の自己負担額証明書の提出があれば、その額も合算の対象です（要確認）"
                            .to_string(),
                    );
                }
            }
            let run_of = |month: &str| {
                month_runs
                    .iter()
                    .find(|(m, _)| m == month)
                    .map_or(0, |(_, r)| *r)
            };
            let basis = AnnualBasis {
                base_date: person_base.to_string(),
                base_category: base_category.map(|c| c.label().to_string()),
                insured_on_base_date: insured,
                months: result
                    .months
                    .iter()
                    .map(|m| {
                        let key = format_month(m.month);
                        AnnualBasisMonth {
                            run_id: if m.insurer.is_some() { 0 } else { run_of(&key) },
                            insurer: m.insurer.clone(),
                            month: key,
                            category: m.category.map(|c| c.label().to_string()),
                            outpatient: m.outpatient,
                            outpatient_left: m.outpatient_left,
                            counted: m.counted,
                        }
                    })
                    .collect(),
                steps,
                source: result.source.clone(),
                provisional: result.provisional || death_day.is_some(),
            };
            computed.insert(
                person.clone(),
                Computed {
                    household,
                    result,
                    basis,
                    review,
                },
            );
        }
        if !refused.is_empty() {
            refused.sort();
            let n = refused.len();
            let shown: Vec<_> = refused.iter().take(5).collect();
            return Err(AppError::Conflict {
                message_en: format!(
                    "{n} person(s) could not be computed for the year {year}, nothing booked: {}",
                    shown
                        .iter()
                        .map(|(en, _)| en.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                message_ja: format!(
                    "{year}年度で{n}人を計算できなかったため、何も記録していません：{}",
                    shown
                        .iter()
                        .map(|(_, ja)| ja.as_str())
                        .collect::<Vec<_>>()
                        .join("／")
                ),
            });
        }

        // The payee: the householder on the base date.
        let mut households: Vec<String> = computed
            .values()
            .filter(|c| c.result.share > 0)
            .filter_map(|c| c.household.clone())
            .collect();
        households.sort();
        households.dedup();
        let heads = high_cost_repo::householders_on(
            &self.db,
            &self.insurer,
            base_date,
            &households,
            known_at_us,
        )
        .await?;

        let recorded_us = to_us(now);
        let year_key = i64::from(year);
        let months_read = month_runs
            .iter()
            .map(|(m, r)| format!("{m}:{r}"))
            .collect::<Vec<_>>()
            .join(";");
        let persons = by_person.len() as u64;
        let report = in_tx!(self.db, |tx| {
            let run_id = repo::next_run_id(&mut tx, &self.insurer).await?;
            let current = repo::current_decisions(&mut tx, &self.insurer, year_key).await?;
            let mut report = AnnualRunReport {
                run_id,
                year,
                persons,
                ..Default::default()
            };
            let mut new_rows: Vec<AnnualDecisionRow> = Vec::new();
            let mut closing: Vec<(String, i64)> = Vec::new();
            for (person, c) in &computed {
                let before = current.get(person);
                let insured = c.basis.insured_on_base_date;
                let pays = if insured { c.result.share } else { 0 };
                if pays == 0
                    && c.review.is_empty()
                    && before.is_none_or(|b| b.benefit == 0 && b.review.is_empty())
                {
                    continue;
                }
                if pays > 0 {
                    report.with_benefit += 1;
                    report.benefit += pays;
                }
                if !insured {
                    report.not_insured_on_base_date += 1;
                }
                let mut review = c.review.clone();
                if pays == 0 && before.is_some_and(|b| b.benefit != 0) {
                    review.push("再計算で支給額がなくなりました".into());
                }
                if review.is_empty() && pays == 0 && before.is_some_and(|b| !b.review.is_empty()) {
                    review.push("前回の確認事項は解消しました（支給はありません）".into());
                }
                let row = AnnualDecisionRow {
                    addressee_id: person.clone(),
                    year: year_key,
                    version_no: before.map_or(1, |b| b.version_no + 1),
                    run_id,
                    household_number: c.household.clone(),
                    householder_id: c
                        .household
                        .as_ref()
                        .and_then(|h| heads.get(h).cloned())
                        .or_else(|| before.and_then(|b| b.householder_id.clone())),
                    category_70_74: c.basis.base_category.clone(),
                    counted: c.result.counted,
                    cap: c.result.cap.unwrap_or(0),
                    benefit: pays,
                    difference: pays - before.map_or(0, |b| b.benefit),
                    review: review.join("\n"),
                    basis: serde_json::to_string(&c.basis).unwrap_or_default(),
                    recorded_us,
                    recorded_by: actor.to_string(),
                    superseded_us: None,
                };
                if before.is_some_and(|b| b.outcome() == row.outcome()) {
                    continue;
                }
                if let Some(b) = before {
                    closing.push((b.addressee_id.clone(), b.version_no));
                }
                new_rows.push(row);
            }
            // A person with a benefit before who has no outpatient month now
            // (claims returned): the benefit is withdrawn.
            let mut gone: Vec<&AnnualDecisionRow> = current
                .values()
                .filter(|b| {
                    !computed.contains_key(&b.addressee_id)
                        && (b.benefit != 0 || !b.review.is_empty())
                })
                .collect();
            gone.sort_by(|a, b| a.addressee_id.cmp(&b.addressee_id));
            for b in gone {
                closing.push((b.addressee_id.clone(), b.version_no));
                new_rows.push(AnnualDecisionRow {
                    version_no: b.version_no + 1,
                    run_id,
                    counted: 0,
                    benefit: 0,
                    difference: -b.benefit,
                    review: if b.benefit != 0 {
                        "再計算で支給額がなくなりました".into()
                    } else {
                        "前回の確認事項は解消しました（合算する外来の負担がなくなりました）".into()
                    },
                    basis: serde_json::to_string(&AnnualBasis {
                        base_date: base_date.to_string(),
                        steps: vec!["この年度に合算する外来の負担がなくなりました".into()],
                        source: source.clone(),
                        ..Default::default()
                    })
                    .unwrap_or_default(),
                    recorded_us,
                    recorded_by: actor.to_string(),
                    superseded_us: None,
                    ..b.clone()
                });
            }
            report.booked = new_rows.len() as u64;
            repo::supersede(&mut tx, &self.insurer, year_key, &closing, recorded_us).await?;
            repo::insert_decisions(&mut tx, &self.insurer, &new_rows).await?;
            repo::insert_run(
                &mut tx,
                &self.insurer,
                &AnnualRunRow {
                    run_id,
                    year: year_key,
                    known_at_us,
                    persons: persons as i64,
                    with_benefit: report.with_benefit as i64,
                    booked: report.booked as i64,
                    benefit: report.benefit,
                    months: months_read.clone(),
                    rules_source: source.clone(),
                    ran_us: recorded_us,
                    ran_by: actor.to_string(),
                },
            )
            .await?;
            Ok(report)
        })?;
        progress.complete();
        Ok(report)
    }

    /// Every annual outpatient run, the latest first.
    pub async fn annual_outpatient_runs(&self) -> Result<Vec<AnnualRunRow>> {
        Ok(repo::runs(&self.db, &self.insurer).await?)
    }

    /// A run, and the standing decisions of its year (the largest benefit
    /// first): a re-run that changed nothing still shows who is paid.
    pub async fn annual_outpatient_run(
        &self,
        run_id: i64,
        limit: i64,
    ) -> Result<(AnnualRunRow, Vec<AnnualDecisionRow>)> {
        let run = repo::run(&self.db, &self.insurer, run_id)
            .await?
            .ok_or(AppError::NotFound {
                what: "annual outpatient run",
                message_ja: "この外来年間合算の計算はありません",
            })?;
        let rows = repo::current_of_year(&self.db, &self.insurer, run.year, limit).await?;
        Ok((run, rows))
    }
}

use crate::ja_date;

/// The persons a list of decisions is about (each person and payee), for
/// the access log.
pub fn persons_of(rows: &[AnnualDecisionRow]) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .iter()
        .flat_map(|r| std::iter::once(r.addressee_id.clone()).chain(r.householder_id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

pub const DECISIONS_HEADER: [&str; 12] = [
    "宛名番号",
    "年度（8月〜翌7月）",
    "版",
    "世帯番号（基準日）",
    "世帯主宛名番号（支給先）",
    "基準日の適用区分",
    "外来の負担の合計",
    "年間の上限",
    "支給額",
    "前回との差額",
    "要確認",
    "計算番号",
];

/// Writes decisions as CSV in the encoding asked for (UTF-8 or CP932).
pub fn write_decisions_csv<W: Write>(
    rows: &[AnnualDecisionRow],
    encoding: kokuho_formats::text::Encoding,
    out: W,
) -> Result<W> {
    let csv_error = |e: kokuho_formats::csv_out::CsvError| AppError::Invalid {
        field: "encoding",
        message_en: e.to_string(),
        message_ja: e.message_ja(),
    };
    let mut w = kokuho_formats::csv_out::CsvWriter::new(out, encoding, &DECISIONS_HEADER)
        .map_err(csv_error)?;
    for r in rows {
        w.write_row(&[
            r.addressee_id.clone(),
            r.year.to_string(),
            r.version_no.to_string(),
            r.household_number.clone().unwrap_or_default(),
            r.householder_id.clone().unwrap_or_default(),
            r.category_70_74.clone().unwrap_or_default(),
            r.counted.to_string(),
            r.cap.to_string(),
            r.benefit.to_string(),
            r.difference.to_string(),
            r.review.replace('\n', "／"),
            r.run_id.to_string(),
        ])
        .map_err(csv_error)?;
    }
    w.finish().map_err(csv_error)
}

/// The basis of a decision as stored, read back for the screen.
pub fn basis_of(row: &AnnualDecisionRow) -> AnnualBasis {
    serde_json::from_str(&row.basis).unwrap_or_default()
}

/// The year (of its August) a date's computation belongs to: the last year
/// whose base date has passed.
pub fn last_closed_year(today: time::Date) -> i32 {
    crate::yearly_cap::year_of(today) - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_last_closed_year_is_the_one_whose_31_july_has_passed() {
        assert_eq!(last_closed_year(date!(2026 - 11 - 25)), 2025);
        assert_eq!(last_closed_year(date!(2026 - 08 - 01)), 2025);
        assert_eq!(last_closed_year(date!(2026 - 07 - 31)), 2024);
    }

    #[test]
    fn months_of_a_year_run_from_august_to_july() {
        let months = rule::year_months(2025).map(|(a, b)| (format_month(a), format_month(b)));
        assert_eq!(months, Some(("2025-08".into(), "2026-07".into())));
    }
}

/// One month of another insurer's 自己負担額証明書, as the clerk enters it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherMonthInput {
    pub month: YearMonth,
    /// the 70–74 category the certificate gives (一般, 低所得Ⅱ …; none
    /// where it gives none)
    pub category: Option<Elderly>,
    /// the outpatient copays of the month
    pub outpatient: i64,
    /// what was left after that insurer's high-cost benefit of the month
    pub outpatient_left: i64,
}

/// A certificate from another insurer, for one person and year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherCertificateInput {
    pub addressee_id: String,
    /// the year of the August the period starts with
    pub year: i32,
    /// the certifying insurer's 保険者番号 (6 or 8 digits)
    pub other_insurer: String,
    /// the certificate's own reference (番号, 交付日)
    pub certificate: String,
    pub months: Vec<OtherMonthInput>,
}

pub use kokuho_store::other_insurer::OtherMonthRow;

/// Reads the months of a certificate as the clerk types them, one a line
/// (or one an argument): `YYYY-MM,CATEGORY,OUTPATIENT,LEFT`, CATEGORY 一般,
/// 低所得Ⅱ, 低所得Ⅰ, 現役並みⅠ … or `-` for none. Blank lines are skipped;
/// a bad line is named with its number.
pub fn parse_other_months<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<OtherMonthInput>> {
    let mut out = Vec::new();
    for (i, line) in lines.into_iter().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || AppError::Invalid {
            field: "months",
            message_en: format!(
                "line {}: {line:?}: expected YYYY-MM,CATEGORY,OUTPATIENT,LEFT",
                i + 1
            ),
            message_ja: format!(
                "{}行目「{line}」：「年月,区分,外来の自己負担額,支給後の額」の形で入力してください（例 2026-08,一般,50000,46000）",
                i + 1
            ),
        };
        let parts: Vec<&str> = line.split([',', '、', '，']).map(str::trim).collect();
        let [month, category, outpatient, left] = parts[..] else {
            return Err(bad());
        };
        let yen = |s: &str| -> Option<i64> {
            let digits: String = s
                .chars()
                .filter(|c| *c != '円' && *c != '，')
                .map(|c| match c {
                    '０'..='９' => {
                        char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c)
                    }
                    c => c,
                })
                .collect();
            digits.parse().ok()
        };
        out.push(OtherMonthInput {
            month: parse_month(month).ok_or_else(bad)?,
            category: match category {
                "-" | "" | "なし" => None,
                c => Some(Elderly::from_label(c).ok_or_else(bad)?),
            },
            outpatient: yen(outpatient).ok_or_else(bad)?,
            outpatient_left: yen(left).ok_or_else(bad)?,
        });
    }
    Ok(out)
}

impl Kokuho {
    /// Keeps the months of another insurer's 自己負担額証明書 — all or
    /// nothing — for the yearly run to add to this insurer's months.
    pub async fn record_other_insurer_months(
        &self,
        c: &OtherCertificateInput,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<Vec<i64>> {
        let bad = |field: &'static str, en: String, ja: String| AppError::Invalid {
            field,
            message_en: en,
            message_ja: ja,
        };
        let person = kokuho_domain::id::AddresseeId::parse(c.addressee_id.trim())
            .map_err(|e| AppError::from(e).for_field("addressee_id"))?;
        kokuho_store::addressee::get_person(&self.db, &self.insurer, &person)
            .await?
            .ok_or(AppError::NotFound {
                what: "person",
                message_ja: "該当する宛名がありません",
            })?;
        let (first, last) = rule::year_months(c.year).ok_or_else(|| invalid_year(c.year))?;
        // 6 or 8 digits with a valid check digit (全角 digits taken)
        let other = kokuho_domain::id::check_any_insurer_number(c.other_insurer.trim())
            .map_err(|e| AppError::from(e).for_field("other_insurer"))?;
        let other = other.as_str();
        if other == self.insurer.as_str() {
            return Err(bad(
                "other_insurer",
                "this insurer's own months come from its monthly runs".into(),
                "この保険者の月は月次計算から合算します。ほかの保険者の証明書を入力してください"
                    .into(),
            ));
        }
        let certificate = c.certificate.trim();
        if certificate.is_empty() {
            return Err(bad(
                "certificate",
                "name the certificate (its number or the day it was issued)".into(),
                "証明書の番号または交付日を入力してください".into(),
            ));
        }
        crate::leak_scan::refuse_my_number("certificate", certificate)?;
        if c.months.is_empty() {
            return Err(bad(
                "months",
                "enter at least one month".into(),
                "月を1つ以上入力してください".into(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, m) in c.months.iter().enumerate() {
            let key = format_month(m.month);
            if m.month < first || m.month > last {
                return Err(bad(
                    "months",
                    format!(
                        "month {} ({key}) is outside the year {}–{}",
                        i + 1,
                        format_month(first),
                        format_month(last)
                    ),
                    format!(
                        "{}番目の月（{key}）は計算期間（{}〜{}）の外です",
                        i + 1,
                        format_month(first),
                        format_month(last)
                    ),
                ));
            }
            if !seen.insert(key.clone()) {
                return Err(bad(
                    "months",
                    format!("month {key} is entered twice"),
                    format!("{key} が二度入力されています"),
                ));
            }
            if m.outpatient < 0
                || m.outpatient > kokuho_domain::high_cost::MAX_CLAIM_YEN
                || !(0..=m.outpatient).contains(&m.outpatient_left)
            {
                return Err(bad(
                    "months",
                    format!(
                        "month {key}: the amount left must be between 0 and the outpatient copays"
                    ),
                    format!("{key}：高額療養費の支給後の額は、0円から外来の自己負担額までです"),
                ));
            }
        }
        let at = to_us(now);
        let rows: Vec<OtherMonthRow> = c
            .months
            .iter()
            .map(|m| OtherMonthRow {
                entry_id: 0,
                addressee_id: person.to_string(),
                year: i64::from(c.year),
                month: format_month(m.month),
                other_insurer: other.to_string(),
                certificate: certificate.to_string(),
                category_70_74: m.category.map(|c| c.label().to_string()),
                outpatient: m.outpatient,
                outpatient_left: m.outpatient_left,
                recorded_us: at,
                recorded_by: actor.to_string(),
                voided_us: None,
                voided_by: None,
            })
            .collect();
        in_tx!(self.db, |tx| {
            kokuho_store::other_insurer::insert(&mut tx, &self.insurer, &rows)
                .await
                .map_err(|e| match e {
                    kokuho_store::StoreError::Duplicate { .. } => AppError::Conflict {
                        message_en: format!(
                            "a month of this certificate is already entered from insurer {other}: void it first"
                        ),
                        message_ja: format!(
                            "保険者 {other} の同じ月がすでに入力されています。誤りなら取り消してから入力してください"
                        ),
                    },
                    other => other.into(),
                })
        })
    }

    /// Voids an entry entered by mistake; the person it was about.
    pub async fn void_other_insurer_month(
        &self,
        entry_id: i64,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<OtherMonthRow> {
        let at = to_us(now);
        let row = in_tx!(self.db, |tx| {
            Ok(
                kokuho_store::other_insurer::void(&mut tx, &self.insurer, entry_id, at, actor)
                    .await?,
            )
        })?;
        row.ok_or(AppError::NotFound {
            what: "entry",
            message_ja: "取り消せる入力がありません",
        })
    }

    /// A person's annual outpatient decisions, every version, the latest
    /// year and version first; and their entries from other insurers.
    pub async fn annual_history(
        &self,
        addressee_id: &str,
    ) -> Result<(Vec<AnnualDecisionRow>, Vec<OtherMonthRow>)> {
        let decisions = repo::person_decisions(&self.db, &self.insurer, addressee_id).await?;
        let others = self.other_insurer_months(addressee_id).await?;
        Ok((decisions, others))
    }

    /// A person's entries from other insurers' certificates, voided ones too.
    pub async fn other_insurer_months(&self, addressee_id: &str) -> Result<Vec<OtherMonthRow>> {
        Ok(
            kokuho_store::other_insurer::of_person(&self.db, &self.insurer, addressee_id.trim())
                .await?,
        )
    }
}
