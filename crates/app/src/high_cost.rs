//! The monthly high-cost run (高額療養費): every household's benefit for a
//! service month from its stored claims, booked as a decision for the
//! benefits workflow, with the household's high-cost months that later
//! months' 多数回 count on; and the household's high-cost history.
//!
//! The claims of the service month are read whatever month they were billed
//! in; those the latest eligibility check of their processing month listed
//! to return are left out, as are claims with 公費 (listed for a clerk). A
//! claim falls in the household its person was a member of on its first day
//! of care. The categories are the household's burden categories of the
//! month and the earlier high-cost months those recorded (this insurer's
//! decisions and months handed over from another municipality), both as
//! known at the run's time. A decision is versioned: a run that finds the
//! same amounts books nothing, one that finds others books the next
//! version with the difference.

use std::collections::HashMap;
use std::io::Write;

use kokuho_domain::burden::{Elderly, Under70, format_month, parse_month};
use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::eligibility_check::percent_charged;
use kokuho_domain::high_cost::{self as rule, HighCostRules, Household, Setting};
use kokuho_store::StoreError;
use kokuho_store::annual_outpatient::{self as annual_repo, OutpatientMonthRow};
use kokuho_store::claims as claims_repo;
use kokuho_store::high_cost as repo;
/// The run, decision and month rows, as the screens read them.
pub use kokuho_store::high_cost::{DecisionRow, MonthRow, RunRow};
use kokuho_store::yearly_cap::{self as yearly_repo, BorneMonthRow};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::claims::Snapshot;
use crate::eligibility::{Actor, in_tx, to_us};
use crate::jobs::Progress;
use crate::{AppError, Kokuho, Result};

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HighCostRunReport {
    pub run_id: i64,
    pub service_month: String,
    /// claims taken into the calculation
    pub claims: u64,
    /// claims left out (returned, 公費, not placed in a household)
    pub left_out: u64,
    /// households whose month came to a benefit
    pub households: u64,
    /// decisions booked: new, changed or withdrawn
    pub booked: u64,
    pub benefit: i64,
    pub refund: i64,
    /// households not computed because their month has no burden category
    /// for an age group with claims: booked for a clerk, not failing the run
    pub without_category: u64,
    /// later service months already run whose 多数回 this run may change
    /// (a household's high-cost month recorded or voided): run them again
    pub later_months_to_rerun: Vec<String>,
}

/// How a decision was reached, kept with it (JSON) and shown on the
/// household's high-cost history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basis {
    pub category_under_70: Option<String>,
    pub category_70_74: Option<String>,
    /// the high-cost months of the eleven before that 多数回 counted
    pub prior_months: Vec<String>,
    pub members: Vec<BasisMember>,
    pub units: Vec<BasisUnit>,
    pub steps: Vec<String>,
    /// the rule table's source for the month
    pub source: String,
    pub left_out: Vec<LeftOut>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisMember {
    /// 宛名番号
    pub id: String,
    pub birth_date: String,
    /// preschool | under_70 | 70_74
    pub age_group: String,
    pub turns_75: bool,
    /// joined this month as the dependant of an employee moved to 後期
    #[serde(default)]
    pub dependant_half: bool,
    pub benefit: i64,
    /// 70–74: the outpatient copay left after the month's benefits (the
    /// annual outpatient cap adds it up)
    #[serde(default)]
    pub outpatient_left: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisUnit {
    pub member: String,
    pub provider: String,
    pub provider_name: String,
    pub inpatient: bool,
    pub dental: bool,
    pub specified_disease: bool,
    pub total_cost: i64,
    pub copay: i64,
    pub charged: i64,
    pub aggregated: bool,
    /// the claims: processing month and claim number
    pub claims: Vec<String>,
}

/// A claim of the household's month left out of the calculation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    pub claim: String,
    pub member: String,
    pub reason: String,
    #[serde(default)]
    pub kind: LeftOutKind,
}

/// Why a claim was left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftOutKind {
    /// the eligibility check returned it
    #[default]
    Returned,
    /// 公費: settled with the public payer, for a clerk to look at
    PublicFunding,
}

/// A string table: claims repeat a few thousand providers and a few months.
#[derive(Default)]
struct Interner {
    index: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("", String::as_str)
    }
}

/// A claim as the run holds it: small, so a city's month fits.
struct Held {
    person: u32,
    provider: u32,
    prescriber: Option<u32>,
    setting: Setting,
    dental: bool,
    specified: bool,
    dialysis: bool,
    total_cost: i64,
    copay: i64,
    charged: Option<i64>,
    billing: u32,
    claim_no: i64,
}

#[derive(Default)]
struct HouseholdMonth {
    claims: Vec<Held>,
    left_out: Vec<LeftOut>,
}

fn corrupt(column: &'static str, reason: &str) -> StoreError {
    StoreError::Corrupt {
        table: "claim",
        column,
        reason: reason.into(),
    }
}

/// The eleven months before `m`, oldest first.
fn window_before(m: YearMonth) -> (YearMonth, YearMonth) {
    let mut from = m;
    for _ in 0..11 {
        from = from.prev();
    }
    (from, m.prev())
}

/// The shipped high-cost rule table; a broken one is a set-up error.
pub(crate) fn shipped_rules() -> Result<HighCostRules> {
    HighCostRules::shipped().map_err(|e| AppError::Setup {
        message_en: format!("the high-cost rule table is broken: {e}"),
        message_ja: "高額療養費の規則表に誤りがあります".into(),
    })
}

/// Why a run left nothing to compute.
fn no_claims(month: &str) -> AppError {
    AppError::Conflict {
        message_en: format!("no claims of service month {month} have been imported"),
        message_ja: format!("診療月 {month} のレセプトは取り込まれていません"),
    }
}

impl Kokuho {
    /// Computes every household's high-cost benefit of `service_month` from
    /// the stored claims, as the records were known at `known_at`, and books
    /// the decisions that are new or changed — all or nothing.
    pub async fn run_high_cost(
        &self,
        service_month: YearMonth,
        known_at: OffsetDateTime,
        actor: Actor<'_>,
        progress: &Progress,
        now: OffsetDateTime,
    ) -> Result<HighCostRunReport> {
        let rules = shipped_rules()?;
        let month = format_month(service_month);
        let period = rules
            .for_month(service_month)
            .ok_or_else(|| AppError::Invalid {
                field: "month",
                message_en: format!("no high-cost limits for {month}"),
                message_ja: format!("{month}診療分の高額療養費の限度額表がありません"),
            })?;
        let source = period.source.clone();
        let Some(last_day) = service_month.last_day() else {
            return Err(AppError::Invalid {
                field: "month",
                message_en: "out of range".into(),
                message_ja: "年月が範囲外です".into(),
            });
        };

        // The returns of the latest check of each processing month.
        let billing_months =
            claims_repo::billing_months_of(&self.db, &self.insurer, &month).await?;
        if billing_months.is_empty() {
            return Err(no_claims(&month));
        }
        let known_at_us = to_us(known_at);
        // A run as known before the month's last run would book decisions
        // on older records over newer ones.
        if let Some(last) = repo::runs(&self.db, &self.insurer, Some(&month))
            .await?
            .into_iter()
            .map(|r| r.known_at_us)
            .max()
            && known_at_us < last
        {
            return Err(AppError::Conflict {
                message_en: format!(
                    "{month} was run as known at a later time ({}); a run as known earlier would replace newer decisions",
                    crate::eligibility::from_us(last)
                ),
                message_ja: format!(
                    "{month}診療分は、より新しい時点の記録で計算済みです。それより前の時点では計算できません"
                ),
            });
        }
        let mut returned: HashMap<(String, i64), i64> = HashMap::new();
        let mut checks_used = Vec::new();
        for bm in &billing_months {
            let claims_now = claims_repo::months(&self.db, &self.insurer, Some(bm))
                .await?
                .into_iter()
                .map(|m| m.claims)
                .sum::<i64>();
            // The latest check made by the run's time; it must have read
            // every claim the month has now (a file imported after it was
            // never checked).
            let Some(check) = claims_repo::checks(&self.db, &self.insurer, Some(bm))
                .await?
                .into_iter()
                .find(|c| c.checked_us <= known_at_us)
            else {
                return Err(AppError::Conflict {
                    message_en: format!(
                        "processing month {bm} brought claims of {month} but has no eligibility check: run the check first"
                    ),
                    message_ja: format!(
                        "処理年月 {bm} のレセプト（{month}診療分を含む）の資格点検がまだです。先に資格点検を行ってください"
                    ),
                });
            };
            if check.claims != claims_now {
                return Err(AppError::Conflict {
                    message_en: format!(
                        "processing month {bm} has {claims_now} claims but its check {} read {}: a file came after the check; check again first",
                        check.check_id, check.claims
                    ),
                    message_ja: format!(
                        "処理年月 {bm} のレセプトは{claims_now}件ですが、資格点検{}は{}件で行われています（点検の後に取り込んだファイルがあります）。先に資格点検をやり直してください",
                        check.check_id, check.claims
                    ),
                });
            }
            checks_used.push(format!("{bm}:{}", check.check_id));
            for key in
                claims_repo::returned_in_check(&self.db, &self.insurer, check.check_id).await?
            {
                returned.insert(key, check.check_id);
            }
        }

        let total = repo::claims_of_month(&self.db, &self.insurer, &month).await?;
        progress.set_total(total as u64);
        let snap = Snapshot::load(self, std::slice::from_ref(&month), known_at_us).await?;
        let categories =
            claims_repo::categories_known_at(&self.db, &self.insurer, &month, known_at_us).await?;

        // Claims into households.
        let mut providers = Interner::default();
        let mut provider_names: HashMap<u32, String> = HashMap::new();
        let mut billings = Interner::default();
        let mut households = Interner::default();
        let mut by_household: HashMap<u32, HouseholdMonth> = HashMap::new();
        let (mut taken, mut left_out, mut seen) = (0u64, 0u64, 0u64);
        claims_repo::for_each_of_service_month(&self.db, &self.insurer, &month, |c| {
            seen += 1;
            if seen % 10_000 == 0 {
                progress.set_done(seen);
            }
            let reference = format!(
                "{}請求 {} No.{}",
                c.billing_month, c.provider_name, c.claim_no
            );
            let person = snap.resolve(&c);
            let days = u32::try_from(c.service_days).unwrap_or(0);
            let household =
                person.and_then(|i| Snapshot::household_on(&snap.persons[i], service_month, days));
            let (Some(person), Some(household)) = (person, household) else {
                // No one, or no household, to aggregate with: the check lists
                // such a claim (返戻・該当者なし or 要確認).
                left_out += 1;
                return Ok(());
            };
            let h = by_household.entry(households.id(household)).or_default();
            let member = snap.persons[person].addressee_id.clone();
            if let Some(check_id) = returned.get(&(c.file_digest.clone(), c.line)) {
                left_out += 1;
                h.left_out.push(LeftOut {
                    claim: reference,
                    member,
                    reason: format!("資格点検{check_id}で返戻とされたため除外"),
                    kind: LeftOutKind::Returned,
                });
                return Ok(());
            }
            if !c.public_funding.is_empty() {
                left_out += 1;
                h.left_out.push(LeftOut {
                    claim: reference,
                    member,
                    reason: "公費併用のレセプトのため計算から除外（要確認）".into(),
                    kind: LeftOutKind::PublicFunding,
                });
                return Ok(());
            }
            let setting = Setting::parse(&c.setting)
                .ok_or_else(|| corrupt("setting", "not inpatient, outpatient or pharmacy"))?;
            let total_cost = c
                .points
                .checked_mul(10)
                .filter(|t| (0..=rule::MAX_CLAIM_YEN).contains(t))
                .ok_or_else(|| corrupt("points", "out of range"))?;
            let percent = percent_charged(
                c.benefit_rate.and_then(|r| u8::try_from(r).ok()),
                &c.claim_kind,
            );
            let copay = rule::copay_of(total_cost, percent);
            let (specified, dialysis) = rule::specified_disease_of(&c.notes);
            let provider = providers.id(&c.provider_code);
            provider_names
                .entry(provider)
                .or_insert_with(|| c.provider_name.clone());
            h.claims.push(Held {
                person: person as u32,
                provider,
                prescriber: c.prescriber.as_deref().map(|p| providers.id(p)),
                setting,
                dental: c.provider_kind == "dental",
                specified,
                dialysis,
                total_cost,
                copay,
                // what the provider charged, never above the copay as computed
                charged: c.copay_charged.map(|ch| ch.clamp(0, copay)),
                billing: billings.id(&c.billing_month),
                claim_no: c.claim_no,
            });
            taken += 1;
            Ok(())
        })
        .await?;

        let (from, to) = window_before(service_month);
        let prior = repo::months_between(
            &self.db,
            &self.insurer,
            &format_month(from),
            &format_month(to),
            known_at_us,
        )
        .await?;

        // Every household's month. Only those the run may book are kept
        // whole (a benefit, a point for a clerk, or a standing decision to
        // compare with): a city's month has far more households without.
        let standing = repo::current_decision_households(&self.db, &self.insurer, &month).await?;
        let mut outpatient_rows: Vec<OutpatientMonthRow> = Vec::new();
        let mut borne_rows: Vec<BorneMonthRow> = Vec::new();
        let mut computed: HashMap<String, (rule::HighCost, Basis)> = HashMap::new();
        let mut refused: Vec<(String, String, String)> = Vec::new();
        let mut uncategorised: Vec<(String, String, Vec<LeftOut>)> = Vec::new();
        let empty = Vec::new();
        for (hid, hm) in &by_household {
            let household = households.name(*hid).to_string();
            let cats = categories.get(&household);
            let under_70 = cats
                .and_then(|c| c.category_under_70.as_deref())
                .and_then(Under70::from_label);
            let elderly = cats
                .and_then(|c| c.category_70_74.as_deref())
                .and_then(Elderly::from_label);
            let prior_months: Vec<YearMonth> = prior
                .get(&household)
                .unwrap_or(&empty)
                .iter()
                .filter_map(|m| parse_month(m))
                .collect();
            let mut member_ids: Vec<u32> = hm.claims.iter().map(|c| c.person).collect();
            member_ids.sort_unstable();
            member_ids.dedup();
            let members: Vec<rule::Member> = member_ids
                .iter()
                .map(|p| {
                    let p = &snap.persons[*p as usize];
                    rule::Member {
                        id: p.addressee_id.clone(),
                        birth_date: p.facts.birth_date,
                        joined_as_dependant_on: p
                            .dependant_joins
                            .iter()
                            .copied()
                            .filter(|d| *d <= last_day)
                            .max(),
                    }
                })
                .collect();
            let claims: Vec<rule::Claim> = hm
                .claims
                .iter()
                .map(|c| rule::Claim {
                    // A pharmacy claim joins its prescriber's unit: name the
                    // pharmacy, or its number reads as the prescriber's.
                    reference: match c.setting {
                        Setting::Pharmacy => format!(
                            "{}請求 No.{}（調剤 {}）",
                            billings.name(c.billing),
                            c.claim_no,
                            provider_names.get(&c.provider).map_or("", String::as_str)
                        ),
                        _ => format!("{}請求 No.{}", billings.name(c.billing), c.claim_no),
                    },
                    member: snap.persons[c.person as usize].addressee_id.clone(),
                    provider: providers.name(c.provider).to_string(),
                    setting: c.setting,
                    dental: c.dental,
                    prescriber: c.prescriber.map(|p| providers.name(p).to_string()),
                    total_cost: c.total_cost,
                    copay: c.copay,
                    charged: c.charged,
                    specified_disease: c.specified,
                    dialysis: c.dialysis,
                })
                .collect();
            let result = rule::compute(
                &rules,
                &Household {
                    month: service_month,
                    under_70,
                    elderly,
                    prior_high_cost_months: &prior_months,
                    members: &members,
                    claims: &claims,
                },
            );
            let r = match result {
                Ok(r) => r,
                // A household-month without the category its claims need
                // (e.g. formed and dissolved within the month) is listed for a
                // clerk; it does not hold back every other household.
                Err(e) if e.field == "category_under_70" || e.field == "category_70_74" => {
                    uncategorised.push((household, e.reason_ja, hm.left_out.clone()));
                    continue;
                }
                Err(e) => {
                    // the reason only: the field names a member's 宛名番号, and the
                    // message becomes the job's summary
                    refused.push((household, e.reason, e.reason_ja));
                    continue;
                }
            };
            // What the month left each member aged 70–74 to bear for
            // outpatient care, for the annual outpatient cap.
            for m in r.members.iter().filter(|m| m.outpatient > 0) {
                outpatient_rows.push(OutpatientMonthRow {
                    run_id: 0,
                    service_month: month.clone(),
                    addressee_id: m.id.clone(),
                    household_number: household.clone(),
                    category_70_74: elderly.map(|c| c.label().to_string()),
                    outpatient: m.outpatient,
                    outpatient_left: m.outpatient_left,
                });
            }
            // What the month left each member to bear, for the yearly cap.
            for m in &r.members {
                borne_rows.push(BorneMonthRow {
                    run_id: 0,
                    service_month: month.clone(),
                    addressee_id: m.id.clone(),
                    household_number: household.clone(),
                    age_group: m.age_group.to_string(),
                    bears: m.bears,
                    aggregated: m.aggregated,
                    limit_benefit: m.limit_benefit,
                });
            }
            let keep = r.benefit > 0
                || r.in_kind_excess > 0
                || hm
                    .left_out
                    .iter()
                    .any(|l| l.kind == LeftOutKind::PublicFunding)
                || standing.contains(&household);
            if !keep {
                continue;
            }
            let basis = Basis {
                category_under_70: under_70.map(|c| c.label().to_string()),
                category_70_74: elderly.map(|c| c.label().to_string()),
                prior_months: prior_months.iter().map(|m| format_month(*m)).collect(),
                members: r
                    .members
                    .iter()
                    .map(|m| BasisMember {
                        id: m.id.clone(),
                        birth_date: members
                            .iter()
                            .find(|x| x.id == m.id)
                            .map(|x| x.birth_date.to_string())
                            .unwrap_or_default(),
                        age_group: m.age_group.to_string(),
                        turns_75: m.turns_75,
                        dependant_half: m.dependant_half,
                        benefit: m.benefit,
                        outpatient_left: m.outpatient_left,
                    })
                    .collect(),
                units: r
                    .units
                    .iter()
                    .map(|u| BasisUnit {
                        member: u.member.clone(),
                        provider: u.provider.clone(),
                        provider_name: providers
                            .index
                            .get(&u.provider)
                            .and_then(|i| provider_names.get(i))
                            .cloned()
                            .unwrap_or_default(),
                        inpatient: u.inpatient,
                        dental: u.dental,
                        specified_disease: u.specified_disease,
                        total_cost: u.total_cost,
                        copay: u.copay,
                        charged: u.charged,
                        aggregated: u.aggregated,
                        claims: u.claims.clone(),
                    })
                    .collect(),
                steps: r.steps.clone(),
                source: r.source.clone(),
                left_out: hm.left_out.clone(),
            };
            computed.insert(household, (r, basis));
        }
        if !refused.is_empty() {
            refused.sort();
            let n = refused.len();
            let shown: Vec<_> = refused.iter().take(5).collect();
            return Err(AppError::Conflict {
                message_en: format!(
                    "{n} household(s) could not be computed for {month}, nothing booked: {}",
                    shown
                        .iter()
                        .map(|(h, en, _)| format!("household {h}: {en}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                message_ja: format!(
                    "{month}診療分で{n}世帯を計算できなかったため、何も記録していません：{}",
                    shown
                        .iter()
                        .map(|(h, _, ja)| format!("世帯 {h}：{ja}"))
                        .collect::<Vec<_>>()
                        .join("／")
                ),
            });
        }

        // The payee of each household with a benefit: its householder at the
        // month's end.
        let mut with_benefit: Vec<String> = computed
            .iter()
            .filter(|(_, (r, _))| r.benefit > 0)
            .map(|(h, _)| h.clone())
            .collect();
        with_benefit.sort();
        let heads = repo::householders_on(
            &self.db,
            &self.insurer,
            last_day,
            &with_benefit,
            known_at_us,
        )
        .await?;

        // The eleven months after this one that have been run.
        let mut later_run_months = Vec::new();
        let mut later = service_month;
        for _ in 0..11 {
            later = later.next();
            let key = format_month(later);
            if !repo::runs(&self.db, &self.insurer, Some(&key))
                .await?
                .is_empty()
            {
                later_run_months.push(key);
            }
        }

        // Households whose month could not be computed kept no borne rows:
        // the yearly cap's statement names them.
        let mut borne_left_out: Vec<&str> = uncategorised.iter().map(|u| u.0.as_str()).collect();
        borne_left_out.sort_unstable();
        let borne_left_out = borne_left_out.join(";");
        let recorded_us = to_us(now);
        let report = in_tx!(self.db, |tx| {
            let run_id = repo::next_run_id(&mut tx, &self.insurer).await?;
            for r in &mut outpatient_rows {
                r.run_id = run_id;
            }
            annual_repo::insert_months(&mut tx, &self.insurer, &outpatient_rows).await?;
            for r in &mut borne_rows {
                r.run_id = run_id;
            }
            yearly_repo::insert_months(&mut tx, &self.insurer, &borne_rows).await?;
            let current = repo::current_decisions(&mut tx, &self.insurer, &month).await?;
            let decided = repo::decided_months(&mut tx, &self.insurer, &month).await?;
            let mut report = HighCostRunReport {
                run_id,
                service_month: month.clone(),
                claims: taken,
                left_out,
                ..Default::default()
            };
            let mut new_rows: Vec<DecisionRow> = Vec::new();
            let mut closing: Vec<(String, i64)> = Vec::new();
            let mut book = |row: DecisionRow, before: Option<&DecisionRow>| {
                if before.is_some_and(|b| b.outcome() == row.outcome()) {
                    return;
                }
                if let Some(b) = before {
                    closing.push((b.household_number.clone(), b.version_no));
                }
                new_rows.push(row);
            };
            let mut households_sorted: Vec<&String> = computed.keys().collect();
            households_sorted.sort();
            for household in households_sorted {
                let (r, basis) = &computed[household];
                let before = current.get(household);
                // A month without benefit is booked only where a clerk must
                // look: a provider held back more than the limit, or a 公費
                // claim was left out; or it withdraws an earlier benefit.
                let worth_a_look = r.in_kind_excess > 0
                    || basis
                        .left_out
                        .iter()
                        .any(|l| l.kind == LeftOutKind::PublicFunding);
                if r.benefit == 0
                    && !worth_a_look
                    && before.is_none_or(|b| b.benefit == 0 && b.refund == 0)
                {
                    continue;
                }
                if r.benefit > 0 {
                    report.households += 1;
                    report.benefit += r.benefit;
                    report.refund += r.refund;
                }
                let mut review = Vec::new();
                if r.in_kind_excess > 0 {
                    review.push(format!(
                        "医療機関等の窓口で限度額を超えて{}円多く減額されています（医療機関等に確認）",
                        r.in_kind_excess
                    ));
                }
                if !basis.left_out.is_empty() {
                    review.push(format!(
                        "計算から除外したレセプトが{}件あります",
                        basis.left_out.len()
                    ));
                }
                if r.benefit == 0 && before.is_some_and(|b| b.benefit != 0 || b.refund != 0) {
                    review.push("再計算で支給額がなくなりました（返戻・月遅れ請求等）".into());
                }
                let row = DecisionRow {
                    household_number: household.clone(),
                    service_month: month.clone(),
                    version_no: before.map_or(1, |b| b.version_no + 1),
                    run_id,
                    householder_id: heads
                        .get(household)
                        .cloned()
                        .or_else(|| before.and_then(|b| b.householder_id.clone())),
                    category_under_70: basis.category_under_70.clone(),
                    category_70_74: basis.category_70_74.clone(),
                    frequent_case: r.frequent_case,
                    counts_as_high_cost_month: r.counts_as_high_cost_month,
                    benefit: r.benefit,
                    paid_in_kind: r.paid_in_kind,
                    refund: r.refund,
                    in_kind_excess: r.in_kind_excess,
                    difference: r.refund - before.map_or(0, |b| b.refund),
                    review: review.join("\n"),
                    basis: serde_json::to_string(basis).unwrap_or_default(),
                    recorded_us,
                    recorded_by: actor.to_string(),
                    superseded_us: None,
                };
                book(row, before);
            }
            uncategorised.sort_by(|a, b| a.0.cmp(&b.0));
            for (household, reason_ja, left_out) in &uncategorised {
                report.without_category += 1;
                let before = current.get(household);
                let basis = Basis {
                    source: source.clone(),
                    left_out: left_out.clone(),
                    steps: vec![format!("計算していません：{reason_ja}")],
                    ..Default::default()
                };
                let row = DecisionRow {
                    household_number: household.clone(),
                    service_month: month.clone(),
                    version_no: before.map_or(1, |b| b.version_no + 1),
                    run_id,
                    householder_id: before.and_then(|b| b.householder_id.clone()),
                    difference: -before.map_or(0, |b| b.refund),
                    review: format!(
                        "この月の適用区分が判定されていないため計算していません（{reason_ja}）：負担区分を判定してから再計算してください"
                    ),
                    basis: serde_json::to_string(&basis).unwrap_or_default(),
                    recorded_us,
                    recorded_by: actor.to_string(),
                    ..Default::default()
                };
                book(row, before);
            }
            // Households with a benefit before whose month now has no claim
            // left to compute: the benefit is withdrawn.
            let mut gone: Vec<&DecisionRow> = current
                .values()
                .filter(|b| {
                    !computed.contains_key(&b.household_number)
                        && !uncategorised.iter().any(|u| u.0 == b.household_number)
                        && (b.benefit != 0 || b.refund != 0)
                })
                .collect();
            gone.sort_by(|a, b| a.household_number.cmp(&b.household_number));
            for b in gone {
                let basis = Basis {
                    source: source.clone(),
                    left_out: Vec::new(),
                    steps: vec!["この月の計算に含めるレセプトがなくなりました".into()],
                    ..Default::default()
                };
                let row = DecisionRow {
                    household_number: b.household_number.clone(),
                    service_month: month.clone(),
                    version_no: b.version_no + 1,
                    run_id,
                    householder_id: b.householder_id.clone(),
                    category_under_70: b.category_under_70.clone(),
                    category_70_74: b.category_70_74.clone(),
                    frequent_case: false,
                    counts_as_high_cost_month: false,
                    difference: -b.refund,
                    review: "再計算で支給額がなくなりました（返戻・月遅れ請求等）".into(),
                    basis: serde_json::to_string(&basis).unwrap_or_default(),
                    recorded_us,
                    recorded_by: actor.to_string(),
                    ..Default::default()
                };
                book(row, Some(b));
            }
            report.booked = new_rows.len() as u64;
            repo::supersede(&mut tx, &self.insurer, &month, &closing, recorded_us).await?;
            repo::insert_decisions(&mut tx, &self.insurer, &new_rows).await?;
            // The households' high-cost months follow their decisions.
            let mut counts_changed = false;
            for row in &new_rows {
                let has = decided.contains(&row.household_number);
                counts_changed |= row.counts_as_high_cost_month != has;
                if row.counts_as_high_cost_month && !has {
                    repo::record_month(
                        &mut tx,
                        &self.insurer,
                        &row.household_number,
                        &month,
                        "decision",
                        None,
                        Some(run_id),
                        recorded_us,
                        actor,
                    )
                    .await?;
                } else if !row.counts_as_high_cost_month && has {
                    repo::void_months(
                        &mut tx,
                        &self.insurer,
                        &row.household_number,
                        &month,
                        "decision",
                        None,
                        recorded_us,
                        actor,
                    )
                    .await?;
                }
            }
            // A month that starts or stops counting changes the 多数回 of
            // the eleven after it: those already run are named for a re-run.
            if counts_changed {
                report.later_months_to_rerun = later_run_months.clone();
            }
            repo::insert_run(
                &mut tx,
                &self.insurer,
                &RunRow {
                    run_id,
                    service_month: month.clone(),
                    known_at_us,
                    claims: taken as i64,
                    left_out: left_out as i64,
                    households: report.households as i64,
                    booked: report.booked as i64,
                    benefit: report.benefit,
                    refund: report.refund,
                    checks: checks_used.join(";"),
                    rules_source: source.clone(),
                    ran_us: recorded_us,
                    ran_by: actor.to_string(),
                    outpatient_recorded: true,
                    borne_recorded: true,
                    borne_left_out: borne_left_out.clone(),
                },
            )
            .await?;
            Ok(report)
        })?;
        progress.complete();
        Ok(report)
    }

    /// Every high-cost run (of one service month when given), the latest
    /// first.
    pub async fn high_cost_runs(&self, service_month: Option<&str>) -> Result<Vec<RunRow>> {
        Ok(repo::runs(&self.db, &self.insurer, service_month).await?)
    }

    /// A run and the decisions it booked (the largest refund first).
    pub async fn high_cost_run(
        &self,
        run_id: i64,
        limit: i64,
    ) -> Result<(RunRow, Vec<DecisionRow>)> {
        let run = repo::run(&self.db, &self.insurer, run_id)
            .await?
            .ok_or(AppError::NotFound {
                what: "high-cost run",
                message_ja: "この高額療養費の計算はありません",
            })?;
        let rows = repo::decisions_of_run(&self.db, &self.insurer, run_id, limit).await?;
        Ok((run, rows))
    }

    /// A household's high-cost decisions (every version) and months.
    pub async fn household_high_cost(
        &self,
        household: &str,
    ) -> Result<(Vec<DecisionRow>, Vec<MonthRow>)> {
        let number = kokuho_domain::addressee::HouseholdNumber::parse(household)?;
        let household = number.as_str();
        let decisions = repo::household_decisions(&self.db, &self.insurer, household).await?;
        let months = repo::household_months(&self.db, &self.insurer, household).await?;
        Ok((decisions, months))
    }

    /// Records a high-cost month handed over from another municipality of
    /// the prefecture (国保情報集約システムの引継情報), for 多数回.
    pub async fn record_handed_over_month(
        &self,
        household: &str,
        service_month: YearMonth,
        from_insurer: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<()> {
        // 6 or 8 digits with a valid check digit (全角 digits taken)
        let from_insurer = kokuho_domain::id::check_any_insurer_number(from_insurer.trim())
            .map_err(|e| AppError::from(e).for_field("from_insurer"))?;
        let from_insurer = from_insurer.as_str();
        if from_insurer == self.insurer.as_str() {
            return Err(AppError::Invalid {
                field: "from_insurer",
                message_en: "a month handed over comes from another insurer".into(),
                message_ja: "引継元は他の保険者です".into(),
            });
        }
        let month = format_month(service_month);
        let number = kokuho_domain::addressee::HouseholdNumber::parse(household)?;
        in_tx!(self.db, |tx| {
            if !kokuho_store::addressee::household_exists(&mut tx, &self.insurer, &number).await? {
                return Err(AppError::NotFound {
                    what: "household",
                    message_ja: "この世帯番号の世帯はありません",
                });
            }
            repo::record_month(
                &mut tx,
                &self.insurer,
                number.as_str(),
                &month,
                "handed_over",
                Some(from_insurer),
                None,
                to_us(now),
                actor,
            )
            .await?;
            Ok(())
        })
    }

    /// Voids a handed-over month (entered in error); how many were voided.
    pub async fn void_handed_over_month(
        &self,
        household: &str,
        service_month: YearMonth,
        from_insurer: Option<&str>,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let month = format_month(service_month);
        let number = kokuho_domain::addressee::HouseholdNumber::parse(household)?;
        in_tx!(self.db, |tx| {
            let n = repo::void_months(
                &mut tx,
                &self.insurer,
                number.as_str(),
                &month,
                "handed_over",
                from_insurer,
                to_us(now),
                actor,
            )
            .await?;
            if n == 0 {
                return Err(AppError::NotFound {
                    what: "handed-over month",
                    message_ja: "取り消す引継の該当月がありません",
                });
            }
            Ok(n)
        })
    }
}

/// The persons a list of decisions is about (their payees), for the access
/// log.
pub fn payees(rows: &[DecisionRow]) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .iter()
        .filter_map(|r| r.householder_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The persons a household's decisions are about: payees and members.
pub fn persons_of(rows: &[DecisionRow]) -> Vec<String> {
    let mut ids = payees(rows);
    for r in rows {
        if let Ok(b) = serde_json::from_str::<Basis>(&r.basis) {
            ids.extend(b.members.into_iter().map(|m| m.id));
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

pub const DECISIONS_HEADER: [&str; 14] = [
    "世帯番号",
    "世帯主宛名番号",
    "診療年月",
    "版",
    "適用区分（70歳未満）",
    "適用区分（70〜74歳）",
    "多数回",
    "高額療養費",
    "現物給付済",
    "支給額",
    "前回との差額",
    "多数回の計算に数える",
    "要確認",
    "計算番号",
];

/// Writes decisions as CSV in the encoding asked for (UTF-8 or CP932).
pub fn write_decisions_csv<W: Write>(
    rows: &[DecisionRow],
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
            r.household_number.clone(),
            r.householder_id.clone().unwrap_or_default(),
            r.service_month.clone(),
            r.version_no.to_string(),
            r.category_under_70.clone().unwrap_or_default(),
            r.category_70_74.clone().unwrap_or_default(),
            if r.frequent_case { "該当" } else { "" }.to_string(),
            r.benefit.to_string(),
            r.paid_in_kind.to_string(),
            r.refund.to_string(),
            r.difference.to_string(),
            if r.counts_as_high_cost_month {
                "数える"
            } else {
                ""
            }
            .to_string(),
            r.review.replace('\n', "／"),
            r.run_id.to_string(),
        ])
        .map_err(csv_error)?;
    }
    w.finish().map_err(csv_error)
}

/// The basis of a decision as stored, read back for the screen.
pub fn basis_of(row: &DecisionRow) -> Basis {
    serde_json::from_str(&row.basis).unwrap_or_default()
}
