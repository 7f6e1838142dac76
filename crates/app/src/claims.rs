//! Claims (レセプト): the import of the federation's monthly claim file and
//! the eligibility check (資格点検) of a processing month.
//!
//! An import is all or nothing and the same file twice is stored once (by
//! its content digest); each claim keeps its source file and line. A check
//! reads the claims of a processing month against the eligibility history
//! as it was known at a chosen time, and records the claims to return,
//! adjust or confirm, each with its reasons.

use std::collections::HashMap;
use std::io::BufRead;

use kokuho_domain::burden::{format_month, parse_month};
use kokuho_domain::eligibility::{AcquisitionReason, YearMonth};
use kokuho_domain::eligibility_check::{self as rule, ClaimFacts, HeldNumber, InsuredFacts};
use kokuho_formats::claims::{Claim, ClaimFileError, ClaimReader, Layouts};
use kokuho_formats::text::Encoding;
use kokuho_store::claims::{self as repo, CheckRow, ClaimRow, FindingRow};
use kokuho_store::feed as files;
use time::{Date, OffsetDateTime};

use crate::eligibility::{Actor, in_tx, to_us};
use crate::jobs::Progress;
use crate::{AppError, Kokuho, Result};

/// A file's content digest, from its bytes or read as a stream.
pub use kokuho_formats::registry_feed::{file_digest, stream_digest};

const CLAIMS_KIND: &str = "claims";

/// Claims written in one statement batch during an import.
const IMPORT_BATCH: usize = 2_000;

/// What a claim import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimImportReport {
    pub claims: u64,
    pub points: i64,
    /// processing months (YYYY-MM) and their claims in the file
    pub months: Vec<(String, i64)>,
    pub already_imported: bool,
    pub digest: String,
}

fn rejected(e: ClaimFileError) -> AppError {
    AppError::Rejected {
        file: e.file.to_string(),
        line: e.line,
        field: match (e.record.is_empty(), e.field.is_empty()) {
            (true, _) => "file".to_string(),
            (false, true) => e.record.clone(),
            (false, false) => format!("{}.{}", e.record, e.field),
        },
        reason_en: e.reason.clone(),
        reason_ja: e.reason_ja.clone(),
    }
}

fn layouts() -> Result<Layouts> {
    Layouts::shipped().map_err(|e| AppError::Setup {
        message_en: format!("the claim layouts are broken: {e}"),
        message_ja: "レセプトの記録レイアウト表に誤りがあります".into(),
    })
}

fn row_of(c: &Claim, digest: &str) -> ClaimRow {
    ClaimRow {
        file_digest: digest.to_string(),
        line: c.line as i64,
        end_line: c.records.last().map_or(c.line, |r| r.line) as i64,
        billing_month: format_month(c.provider.billing_month),
        provider_kind: c.provider.kind.code().to_string(),
        provider_code: c.provider.code.clone(),
        provider_name: c.provider.name.clone(),
        claim_no: i64::from(c.claim_no),
        claim_kind: c.claim_kind.clone(),
        setting: c.setting.code().to_string(),
        service_month: format_month(c.service_month),
        name: c.name.clone(),
        sex: c.sex.clone(),
        birth_date: c.birth_date,
        benefit_rate: c.benefit_rate.map(i64::from),
        admitted_on: c.admitted_on,
        burden_class: c.burden_class.clone(),
        notes: c.notes.concat(),
        claim_insurer: c.insurer_number.clone(),
        insured_symbol: c.symbol.clone(),
        insured_number: c.number.clone(),
        branch_number: c.branch.clone(),
        days: i64::from(c.days),
        points: c.points,
        copay_charged: c.copay_charged,
        meal_count: i64::from(c.meal_count),
        meal_amount: c.meal_amount,
        public_funding: c
            .public_funding
            .iter()
            .map(|p| {
                format!(
                    "{}:{}:{}:{}",
                    p.payer_number,
                    p.recipient_number,
                    p.points,
                    p.copay.map(|c| c.to_string()).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(";"),
        prescriber: c.prescriber.clone(),
        service_days: i64::from(c.service_days),
    }
}

/// Counts the bytes a reader has handed on, for the import's progress.
struct Counting<R> {
    inner: R,
    consumed: u64,
}

impl<R: BufRead> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.consumed += amt as u64;
        self.inner.consume(amt);
    }
}

/// What a check found, as the screen and the CSV show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    pub check_id: i64,
    pub billing_month: String,
    pub known_at: OffsetDateTime,
    pub claims: u64,
    /// claims with at least one finding
    pub listed: u64,
    /// findings by action (return, adjustment, confirm)
    pub returns: u64,
    pub adjustments: u64,
    pub confirmations: u64,
}

/// The registry as known at the check: who holds which numbers when, their
/// periods, birth dates, and the copay rates judged for the months.
pub(crate) struct Snapshot {
    pub(crate) persons: Vec<PersonSnap>,
    by_branch: HashMap<(String, String, String), usize>,
    by_number: HashMap<(String, String), Vec<usize>>,
    rates: HashMap<(String, String), String>,
}

pub(crate) struct PersonSnap {
    pub(crate) addressee_id: String,
    pub(crate) facts: InsuredFacts,
    /// the days the person joined as the dependant of an employee who moved
    /// to 後期高齢者医療 (half high-cost limits that month)
    pub(crate) dependant_joins: Vec<Date>,
    /// each loss: the loss date and its reason code
    pub(crate) losses: Vec<(Date, String)>,
    /// (from, to, household) of each membership
    households: Vec<(Date, Option<Date>, String)>,
}

impl Snapshot {
    pub(crate) async fn load(k: &Kokuho, months: &[String], known_at_us: i64) -> Result<Snapshot> {
        let held = repo::held_numbers_known_at(&k.db, &k.insurer, known_at_us).await?;
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut persons: Vec<PersonSnap> = Vec::new();
        let mut by_branch = HashMap::new();
        let mut by_number: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for h in held {
            let i = *index.entry(h.addressee_id.clone()).or_insert_with(|| {
                persons.push(PersonSnap {
                    addressee_id: h.addressee_id.clone(),
                    facts: InsuredFacts {
                        birth_date: h.birth_date,
                        periods: vec![],
                        numbers: vec![],
                    },
                    dependant_joins: vec![],
                    losses: vec![],
                    households: vec![],
                });
                persons.len() - 1
            });
            if let Some(b) = &h.branch_number {
                by_branch.insert(
                    (
                        h.insured_symbol.clone(),
                        h.insured_number.clone(),
                        b.clone(),
                    ),
                    i,
                );
            }
            let same = by_number
                .entry((h.insured_symbol.clone(), h.insured_number.clone()))
                .or_default();
            if !same.contains(&i) {
                same.push(i);
            }
            let p = &mut persons[i];
            p.households
                .push((h.valid_from, h.valid_to, h.household_number.clone()));
            p.facts.numbers.push(HeldNumber {
                from: h.valid_from,
                to: h.valid_to,
                symbol: h.insured_symbol,
                number: h.insured_number,
                branch: h.branch_number,
            });
        }
        let dependant = AcquisitionReason::DependantOfLateElderly.code();
        for (id, from, to, reason, loss) in
            repo::periods_known_at(&k.db, &k.insurer, known_at_us).await?
        {
            if let Some(i) = index.get(&id) {
                let p = &mut persons[*i];
                p.facts.periods.push((from, to));
                if reason == dependant {
                    p.dependant_joins.push(from);
                }
                if let (Some(to), Some(loss)) = (to, loss) {
                    p.losses.push((to, loss));
                }
            }
        }
        let rates = repo::copay_rates_known_at(&k.db, &k.insurer, months, known_at_us).await?;
        Ok(Snapshot {
            persons,
            by_branch,
            by_number,
            rates,
        })
    }

    /// The person a claim's numbers lead to: by 枝番 where the claim has
    /// one; otherwise the household's member with the claim's birth date
    /// (or its only member).
    pub(crate) fn resolve(&self, c: &ClaimRow) -> Option<usize> {
        let (sym, num) = (c.insured_symbol.clone(), c.insured_number.clone());
        match &c.branch_number {
            Some(b) => self.by_branch.get(&(sym, num, b.clone())).copied(),
            None => {
                let members = self.by_number.get(&(sym, num))?;
                members
                    .iter()
                    .copied()
                    .find(|i| self.persons[*i].facts.birth_date == c.birth_date)
                    .or_else(|| (members.len() == 1).then(|| members[0]))
            }
        }
    }

    /// The household the person was a member of on `day`.
    /// Insured here on `day`: within a period, and not yet in 後期高齢者医療.
    pub(crate) fn insured_on(p: &PersonSnap, day: Date) -> bool {
        p.facts
            .periods
            .iter()
            .any(|(from, to)| *from <= day && to.is_none_or(|t| day < t))
            && kokuho_domain::eligibility::late_elderly_from(p.facts.birth_date)
                .is_none_or(|d| day < d)
    }

    pub(crate) fn household_at(p: &PersonSnap, day: Date) -> Option<&str> {
        p.households
            .iter()
            .find(|(from, to, _)| *from <= day && to.is_none_or(|t| day < t))
            .map(|h| h.2.as_str())
    }

    /// The household a claim's care falls in: the one the person was a
    /// member of on the first day of care, or (no day marked) the first of
    /// the month's memberships.
    pub(crate) fn household_on(p: &PersonSnap, month: YearMonth, days: u32) -> Option<&str> {
        let first = month.first_day()?;
        let last = month.last_day()?;
        let day = rule::service_dates(month, days).first().copied();
        p.households
            .iter()
            .find(|(from, to, _)| match day {
                Some(d) => *from <= d && to.is_none_or(|t| d < t),
                None => *from <= last && to.is_none_or(|t| t > first),
            })
            .map(|h| h.2.as_str())
    }

    /// The copay rate judged for the person in the month, from the burden
    /// categories of the household the care falls in.
    fn copay_percent(&self, p: &PersonSnap, month: YearMonth, days: u32) -> Option<u8> {
        let household = Self::household_on(p, month, days)?;
        let rates = self
            .rates
            .get(&(household.to_string(), format_month(month)))?;
        kokuho_domain::burden::copay_percent_in(rates, &p.addressee_id)
    }
}

impl Kokuho {
    /// Imports a claim file read from `input` whose content digest is
    /// `digest` (computed by the caller in a first pass, so the file need
    /// not be held in memory): all or nothing; a file imported before
    /// changes nothing. `size` is the file's length, for the progress.
    #[allow(clippy::too_many_arguments)] // one each: the file, its digest and size, who, progress, when
    pub async fn import_claims(
        &self,
        file_name: &str,
        digest: &str,
        size: u64,
        input: impl BufRead,
        actor: Actor<'_>,
        progress: &Progress,
        now: OffsetDateTime,
    ) -> Result<ClaimImportReport> {
        let layouts = layouts()?;
        in_tx!(self.db, |tx| {
            if files::file_imported(&mut tx, &self.insurer, CLAIMS_KIND, digest).await? {
                return Ok(ClaimImportReport {
                    already_imported: true,
                    digest: digest.to_string(),
                    ..Default::default()
                });
            }
            progress.set_total(size);
            let mut reader = ClaimReader::new(
                file_name,
                Counting {
                    inner: input,
                    consumed: 0,
                },
                &layouts,
            );
            let mut report = ClaimImportReport {
                digest: digest.to_string(),
                ..Default::default()
            };
            let mut batch = Vec::with_capacity(IMPORT_BATCH);
            loop {
                let next = reader.next();
                let done = match next {
                    Some(c) => {
                        let c = c.map_err(rejected)?;
                        report.claims += 1;
                        report.points += c.points;
                        batch.push(row_of(&c, digest));
                        false
                    }
                    None => true,
                };
                if batch.len() >= IMPORT_BATCH || (done && !batch.is_empty()) {
                    repo::insert(&mut tx, &self.insurer, &batch).await?;
                    batch.clear();
                    progress.set_done(reader.input().consumed);
                }
                if done {
                    break;
                }
            }
            report.months = repo::record_file_months(&mut tx, &self.insurer, digest).await?;
            files::record_file(
                &mut tx,
                &self.insurer,
                CLAIMS_KIND,
                digest,
                file_name,
                report.claims as i64,
                to_us(now),
                actor,
            )
            .await?;
            progress.complete();
            Ok(report)
        })
    }

    /// Checks every claim of a processing month against the eligibility
    /// history and the burden categories as they were known at `known_at`,
    /// and records the check with what it found.
    pub async fn check_claims(
        &self,
        billing_month: YearMonth,
        known_at: OffsetDateTime,
        actor: Actor<'_>,
        progress: &Progress,
        now: OffsetDateTime,
    ) -> Result<CheckReport> {
        let month = format_month(billing_month);
        let summary = repo::months(&self.db, &self.insurer, Some(&month))
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound {
                what: "claims of the processing month",
                message_ja: "この処理年月のレセプトは取り込まれていません",
            })?;
        progress.set_total(summary.claims as u64);
        let known_at_us = to_us(known_at);
        // The service months the claims are for: their burden categories.
        let service_months = repo::service_months(&self.db, &self.insurer, &month).await?;
        let snap = Snapshot::load(self, &service_months, known_at_us).await?;
        let insurer = self.insurer.as_str().to_string();
        let mut findings: Vec<FindingRow> = Vec::new();
        let (mut claims, mut listed) = (0u64, 0u64);
        repo::for_each_in_month(&self.db, &self.insurer, &month, |c| {
            claims += 1;
            if claims % 10_000 == 0 {
                progress.set_done(claims);
            }
            let Some(service_month) = parse_month(&c.service_month) else {
                return Err(kokuho_store::StoreError::Corrupt {
                    table: "claim",
                    column: "service_month",
                    reason: "not YYYY-MM".into(),
                });
            };
            let facts = ClaimFacts {
                insurer_number: &c.claim_insurer,
                symbol: &c.insured_symbol,
                number: &c.insured_number,
                branch: c.branch_number.as_deref(),
                service_month,
                service_days: u32::try_from(c.service_days).unwrap_or(0),
                birth_date: c.birth_date,
                benefit_rate: c.benefit_rate.and_then(|r| u8::try_from(r).ok()),
                claim_kind: &c.claim_kind,
            };
            let person = snap.resolve(&c).map(|i| &snap.persons[i]);
            let rate =
                person.and_then(|p| snap.copay_percent(p, service_month, facts.service_days));
            let found = rule::check(&facts, &insurer, person.map(|p| &p.facts), rate);
            if !found.is_empty() {
                listed += 1;
            }
            for (seq, f) in found.into_iter().enumerate() {
                findings.push(FindingRow {
                    file_digest: c.file_digest.clone(),
                    line: c.line,
                    seq: seq as i64,
                    reason: f.reason.code().to_string(),
                    action: f.reason.action().code().to_string(),
                    detail_en: f.detail_en,
                    detail_ja: f.detail_ja,
                    addressee_id: person.map(|p| p.addressee_id.clone()),
                });
            }
            Ok(())
        })
        .await?;
        let count =
            |a: rule::Action| findings.iter().filter(|f| f.action == a.code()).count() as u64;
        let (returns, adjustments, confirmations) = (
            count(rule::Action::Return),
            count(rule::Action::Adjustment),
            count(rule::Action::Confirm),
        );
        let check = CheckRow {
            check_id: 0,
            billing_month: month.clone(),
            known_at_us,
            claims: claims as i64,
            listed: listed as i64,
            checked_us: to_us(now),
            checked_by: actor.to_string(),
        };
        let check_id = in_tx!(self.db, |tx| Ok(repo::insert_check(
            &mut tx,
            &self.insurer,
            &check,
            &findings
        )
        .await?))?;
        progress.complete();
        Ok(CheckReport {
            check_id,
            billing_month: month,
            known_at,
            claims,
            listed,
            returns,
            adjustments,
            confirmations,
        })
    }

    /// The processing months with claims imported.
    pub async fn claim_months(&self) -> Result<Vec<repo::MonthSummary>> {
        Ok(repo::months(&self.db, &self.insurer, None).await?)
    }

    /// One processing month's claims, if any were imported.
    pub async fn claim_month(&self, m: YearMonth) -> Result<Option<repo::MonthSummary>> {
        let key = format_month(m);
        Ok(repo::months(&self.db, &self.insurer, Some(&key))
            .await?
            .into_iter()
            .next())
    }

    /// The checks of a month (or all), latest first.
    pub async fn claim_checks(&self, billing_month: Option<YearMonth>) -> Result<Vec<CheckRow>> {
        let m = billing_month.map(format_month);
        Ok(repo::checks(&self.db, &self.insurer, m.as_deref()).await?)
    }

    /// A check and up to `limit` of its findings with their claims.
    pub async fn claim_check(
        &self,
        check_id: i64,
        limit: i64,
    ) -> Result<(CheckRow, Vec<(FindingRow, ClaimRow)>)> {
        let check = repo::check(&self.db, &self.insurer, check_id)
            .await?
            .ok_or(AppError::NotFound {
                what: "claim check",
                message_ja: "この資格点検はありません",
            })?;
        let rows = repo::findings(&self.db, &self.insurer, check_id, limit).await?;
        Ok((check, rows))
    }

    /// How many findings of each (reason, action) a check has (no personal data).
    pub async fn claim_check_counts(
        &self,
        check_id: i64,
    ) -> Result<HashMap<(String, String), i64>> {
        Ok(repo::finding_counts(&self.db, &self.insurer, check_id).await?)
    }
}

/// The persons a check's rows name, each once (the subjects of the access
/// record when the list is seen or saved).
pub fn listed_persons(rows: &[(FindingRow, ClaimRow)]) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .iter()
        .filter_map(|(f, _)| f.addressee_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Writes a check's list of claims to return, adjust or confirm as CSV.
pub fn write_check_csv<W: std::io::Write>(
    check: &CheckRow,
    rows: &[(FindingRow, ClaimRow)],
    encoding: Encoding,
    out: W,
) -> Result<(W, u64)> {
    let csv_error = |e: kokuho_formats::csv_out::CsvError| AppError::Invalid {
        field: "encoding",
        message_en: e.to_string(),
        message_ja: e.message_ja(),
    };
    let mut w = kokuho_formats::csv_out::CsvWriter::new(out, encoding, &FINDINGS_HEADER)
        .map_err(csv_error)?;
    for (f, c) in rows {
        let reason = rule::Reason::from_code(&f.reason);
        let action = reason.map(rule::Reason::action);
        w.write_row(&[
            check.billing_month.clone(),
            c.provider_code.clone(),
            c.provider_name.clone(),
            c.claim_no.to_string(),
            c.service_month.clone(),
            c.claim_kind.clone(),
            c.claim_insurer.clone(),
            c.insured_symbol.clone(),
            c.insured_number.clone(),
            c.branch_number.clone().unwrap_or_default(),
            c.name.clone(),
            c.birth_date.to_string(),
            action.map_or(f.action.clone(), |a| a.label_ja().to_string()),
            reason.map_or(f.reason.clone(), |r| r.label_ja().to_string()),
            f.detail_ja.clone(),
            f.addressee_id.clone().unwrap_or_default(),
            c.file_digest.clone(),
            c.line.to_string(),
        ])
        .map_err(csv_error)?;
    }
    let n = rows.len() as u64;
    Ok((w.finish().map_err(csv_error)?, n))
}

/// The columns of a check's CSV (Japanese headings: the list goes to staff
/// and, for returns, with the claims to the federation).
pub const FINDINGS_HEADER: [&str; 18] = [
    "処理年月",
    "医療機関コード",
    "医療機関名",
    "レセプト番号",
    "診療年月",
    "レセプト種別",
    "保険者番号",
    "記号",
    "番号",
    "枝番",
    "氏名",
    "生年月日",
    "処理",
    "理由",
    "内容",
    "宛名番号",
    "ファイル",
    "行",
];
