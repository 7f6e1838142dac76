//! The guarded face of kokuho: every use case as the web and the command
//! line may call it — the actor's permission checked first (a refusal is
//! logged as denied), the access logged before the result is returned.
//! Shells call only this; the unguarded `Kokuho` methods are for jobs, the
//! synthetic town and tests.

use std::collections::BTreeSet;
use std::io::Write;

use kokuho_domain::access::{Permission, Purpose};
use kokuho_domain::addressee::{Addressee, HouseholdNumber};
use kokuho_domain::id::{AddresseeId, MyNumber};
use kokuho_formats::text::Encoding;
use kokuho_store::eligibility::PeriodVersion;
use kokuho_store::feed::Proposal;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use crate::access::Actor;
use crate::eligibility::{
    AS_OF_HEADER, Acquisition, AgeJobReport, Correction, Loss, NhiHouseholdView,
};
use crate::jobs::{Job, JobKind, JobView, report_of};
use crate::registry::{HouseholdView, NewPerson, PersonSearch, PersonView};
use crate::registry_feed::FeedReport;
use crate::{AppError, Kokuho, Result};

/// One actor's use of kokuho.
pub struct Session<'a> {
    pub app: &'a Kokuho,
    pub actor: &'a Actor,
}

fn ids<'a>(it: impl IntoIterator<Item = &'a Addressee>) -> Vec<String> {
    it.into_iter().map(|a| a.addressee_id.to_string()).collect()
}

/// Counts and hashes what an export writes, for its access record.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Session<'_> {
    pub(crate) async fn check(
        &self,
        p: Permission,
        purpose: Option<&Purpose>,
        subjects: &[String],
        now: OffsetDateTime,
    ) -> Result<()> {
        self.app
            .authorize(self.actor, p, purpose, subjects, now)
            .await
    }

    /// A person named by the user, as it may be logged: a well-formed
    /// 宛名番号, never raw input — a My Number typed into the field by
    /// mistake is refused before anything is checked or logged.
    fn person_subject(field: &'static str, raw: &str) -> Result<String> {
        let id = AddresseeId::parse(raw.trim()).map_err(|e| AppError::from(e).for_field(field))?;
        if crate::leak_scan::count_my_numbers(id.as_str().as_bytes()) > 0 {
            return Err(AppError::invalid(
                field,
                "that looks like a My Number, not an addressee number",
                "個人番号ではなく宛名番号を入力してください",
            ));
        }
        Ok(id.as_str().to_string())
    }

    /// Checks a permission before the shell even reads the request's input,
    /// so a refused actor learns nothing from validation messages.
    pub async fn require(&self, p: Permission, now: OffsetDateTime) -> Result<()> {
        self.check(p, None, &[], now).await
    }

    /// The same, for a permission used only with a stated purpose.
    pub async fn require_for(
        &self,
        p: Permission,
        purpose: Option<&Purpose>,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.check(p, purpose, &[], now).await
    }

    pub(crate) async fn log(
        &self,
        action: &str,
        subjects: &[String],
        purpose: Option<&Purpose>,
        detail: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.app
            .log_access(self.actor, action, subjects, purpose, detail, now)
            .await
            .map(|_| ())
    }

    pub async fn search_persons(
        &self,
        q: &PersonSearch,
        now: OffsetDateTime,
    ) -> Result<Vec<Addressee>> {
        self.check(Permission::RegistryRead, None, &[], now).await?;
        let found = self.app.search_persons(q).await?;
        self.log(
            "person_search",
            &ids(&found),
            None,
            &format!("{} results", found.len()),
            now,
        )
        .await?;
        Ok(found)
    }

    pub async fn person(&self, addressee_id: &str, now: OffsetDateTime) -> Result<PersonView> {
        let subject = [addressee_id.to_string()];
        self.check(Permission::RegistryRead, None, &subject, now)
            .await?;
        let v = self.app.person(addressee_id).await?;
        self.log("person_view", &subject, None, "", now).await?;
        Ok(v)
    }

    pub async fn household(&self, number: &str, now: OffsetDateTime) -> Result<HouseholdView> {
        self.check(Permission::RegistryRead, None, &[], now).await?;
        let v = self.app.household(number).await?;
        self.log("household_view", &ids(&v.members), None, number, now)
            .await?;
        Ok(v)
    }

    pub async fn register_person(&self, p: &NewPerson, now: OffsetDateTime) -> Result<Addressee> {
        self.check(Permission::RegistryWrite, None, &[], now)
            .await?;
        let a = self.app.register_person(p, now).await?;
        let with_number = p.my_number.as_deref().is_some_and(|n| !n.trim().is_empty());
        self.log(
            "person_register",
            &ids([&a]),
            None,
            if with_number {
                "with My Number (to the vault)"
            } else {
                ""
            },
            now,
        )
        .await?;
        Ok(a)
    }

    /// Finds a person by My Number; the number itself is never logged.
    pub async fn find_by_my_number(
        &self,
        number: &str,
        purpose: Option<&Purpose>,
        now: OffsetDateTime,
    ) -> Result<PersonView> {
        self.check(Permission::MyNumberLookup, purpose, &[], now)
            .await?;
        match self.app.find_by_my_number(number).await {
            Ok(v) => {
                self.log("my_number_lookup", &ids([&v.person]), purpose, "found", now)
                    .await?;
                Ok(v)
            }
            Err(e @ AppError::NotFound { .. }) => {
                self.log("my_number_lookup", &[], purpose, "not found", now)
                    .await?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Shows a person's My Number in clear: its own permission and a stated
    /// purpose every time, recorded before the number is returned.
    pub async fn reveal_my_number(
        &self,
        addressee_id: &str,
        purpose: Option<&Purpose>,
        now: OffsetDateTime,
    ) -> Result<MyNumber> {
        let subject = [addressee_id.to_string()];
        self.check(Permission::MyNumberReveal, purpose, &subject, now)
            .await?;
        let person = self.app.person(addressee_id).await?.person;
        let number = crate::vault_admin::open_number(
            &self.app.db,
            &self.app.keyring,
            &self.app.insurer,
            &person.integrated_addressee_id,
        )
        .await?
        .ok_or(AppError::NotFound {
            what: "My Number",
            message_ja: "個人番号が登録されていません",
        })?;
        self.log("my_number_reveal", &subject, purpose, "", now)
            .await?;
        Ok(number)
    }

    pub async fn periods(
        &self,
        person: &AddresseeId,
        known_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<(Vec<PeriodVersion>, Vec<PeriodVersion>)> {
        let subject = [person.to_string()];
        self.check(Permission::EligibilityRead, None, &subject, now)
            .await?;
        let periods = self.app.periods(person, known_at).await?;
        let history = self.app.eligibility_history(person).await?;
        self.log("eligibility_view", &subject, None, "", now)
            .await?;
        Ok((periods, history))
    }

    pub async fn acquire(&self, a: &Acquisition, now: OffsetDateTime) -> Result<PeriodVersion> {
        let subject = [a.addressee_id.to_string()];
        self.check(Permission::EligibilityWrite, None, &subject, now)
            .await?;
        let v = self.app.acquire(a, &self.actor.account, now).await?;
        self.rejudge_households_of(&a.addressee_id, v.acquired_on, BTreeSet::new(), now)
            .await;
        self.log(
            "eligibility_acquire",
            &subject,
            None,
            &format!("period {} {}", v.period_id, v.acquisition_reason.code()),
            now,
        )
        .await?;
        Ok(v)
    }

    pub async fn lose(&self, l: &Loss, now: OffsetDateTime) -> Result<PeriodVersion> {
        let subject = [l.addressee_id.to_string()];
        self.check(Permission::EligibilityWrite, None, &subject, now)
            .await?;
        let v = self.app.lose(l, &self.actor.account, now).await?;
        if let Some(lost) = v.lost_on {
            // The month of the loss still counts the person (insured on its first day).
            self.rejudge_households_of(&l.addressee_id, lost, BTreeSet::new(), now)
                .await;
        }
        self.log(
            "eligibility_lose",
            &subject,
            None,
            &format!("period {} {}", v.period_id, l.reason.code()),
            now,
        )
        .await?;
        Ok(v)
    }

    pub async fn correct(&self, c: &Correction, now: OffsetDateTime) -> Result<PeriodVersion> {
        self.check(Permission::EligibilityCorrect, None, &[], now)
            .await?;
        let old = self.app.period(c.period_id).await?;
        // A void takes the memberships with it: their households are read first.
        let before = self
            .app
            .households_of_person_since(&old.addressee_id, old.acquired_on)
            .await?;
        let v = self.app.correct(c, &self.actor.account, now).await?;
        let from = old.acquired_on.min(v.acquired_on);
        self.rejudge_households_of(&v.addressee_id, from, before, now)
            .await;
        self.log(
            "eligibility_correct",
            &[v.addressee_id.to_string()],
            None,
            &format!("period {} version {}", v.period_id, v.version_no),
            now,
        )
        .await?;
        Ok(v)
    }

    pub async fn change_household(
        &self,
        person: &AddresseeId,
        household: &HouseholdNumber,
        from: Date,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let subject = [person.to_string()];
        self.check(Permission::EligibilityWrite, None, &subject, now)
            .await?;
        self.app
            .change_household(person, household, from, reason, &self.actor.account, now)
            .await?;
        self.rejudge_households_of(person, from, BTreeSet::new(), now)
            .await;
        self.log(
            "eligibility_household_change",
            &subject,
            None,
            household.as_str(),
            now,
        )
        .await
    }

    pub async fn nhi_household_as_of(
        &self,
        household: &HouseholdNumber,
        on: Date,
        known_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<NhiHouseholdView> {
        self.check(Permission::EligibilityRead, None, &[], now)
            .await?;
        let v = self
            .app
            .nhi_household_as_of(household, on, known_at)
            .await?;
        let subjects: Vec<String> = v.members.iter().map(|m| m.addressee_id.clone()).collect();
        self.log(
            "eligibility_household_view",
            &subjects,
            None,
            household.as_str(),
            now,
        )
        .await?;
        Ok(v)
    }

    /// The bulk export, recorded with its row count, columns and the SHA-256
    /// of exactly the bytes written.
    pub async fn export_insured_on<W: Write>(
        &self,
        on: Date,
        known_at: Option<OffsetDateTime>,
        enc: Encoding,
        out: W,
        purpose: Option<&Purpose>,
        now: OffsetDateTime,
    ) -> Result<(W, u64)> {
        self.check(Permission::EligibilityExport, purpose, &[], now)
            .await?;
        let hashing = Hashing {
            inner: out,
            hash: Sha256::new(),
            bytes: 0,
        };
        let (h, rows) = self
            .app
            .export_insured_on(on, known_at, enc, hashing)
            .await?;
        let detail = format!(
            "as-of {on} known-at {} encoding {}: {rows} rows, {} bytes, columns {}, sha256 {}",
            known_at
                .map(|t| t.to_string())
                .unwrap_or_else(|| "now".into()),
            enc.name(),
            h.bytes,
            AS_OF_HEADER.join("|"),
            kokuho_domain::digest_text::grouped_hex(&h.hash.finalize())
        );
        self.log("eligibility_export", &[], purpose, &detail, now)
            .await?;
        Ok((h.inner, rows))
    }

    /// Starts a job of a kind the actor may run (its rows appear on the jobs page).
    pub async fn start_job(
        &self,
        kind: JobKind,
        subject: &str,
        now: OffsetDateTime,
    ) -> Result<Job> {
        self.check(kind.permission(), job_purpose(kind).as_ref(), &[], now)
            .await?;
        self.app
            .start_job(kind, subject, &self.actor.account, now)
            .await
    }

    /// Records the end of a job: the summary, or the error report.
    pub(crate) async fn end_job<T>(
        &self,
        job: &Job,
        subject: &str,
        r: &Result<T>,
        summary: impl FnOnce(&T) -> (String, String),
    ) -> Result<()> {
        let lines;
        let outcome = match r {
            Ok(v) => Ok(summary(v)),
            Err(e) => {
                lines = report_of(e, subject);
                Err(lines.as_slice())
            }
        };
        self.app
            .finish_job(
                job,
                outcome
                    .as_ref()
                    .map(|(en, ja)| (en.as_str(), ja.as_str()))
                    .map_err(|l| *l),
                OffsetDateTime::now_utc(),
            )
            .await
    }

    pub(crate) fn same_kind(job: &Job, kind: JobKind) -> Result<()> {
        if job.kind == kind {
            Ok(())
        } else {
            Err(AppError::invalid(
                "job",
                "the job was started for another kind of work",
                "別の種類の処理として開始された処理です",
            ))
        }
    }

    /// The daily age job, recorded as a job.
    pub async fn run_age_job(&self, on: Date, now: OffsetDateTime) -> Result<AgeJobReport> {
        let job = self
            .start_job(JobKind::AgeJob, &on.to_string(), now)
            .await?;
        self.run_age_job_as(&job, on, now).await
    }

    pub async fn run_age_job_as(
        &self,
        job: &Job,
        on: Date,
        now: OffsetDateTime,
    ) -> Result<AgeJobReport> {
        self.check(Permission::AgeJob, None, &[], now).await?;
        Self::same_kind(job, JobKind::AgeJob)?;
        let r = self
            .app
            .run_age_job(on, &self.actor.account, &job.progress, now)
            .await;
        self.end_job(job, &on.to_string(), &r, |r| {
            (
                format!("{} losses (75th birthday)", r.late_elderly_losses),
                format!("75歳到達による資格喪失 {}件", r.late_elderly_losses),
            )
        })
        .await?;
        let r = r?;
        for (person, lost) in &r.lost {
            self.rejudge_households_of(person, *lost, BTreeSet::new(), now)
                .await;
        }
        self.log(
            "age_job",
            &[],
            None,
            &format!("{on}: {} losses (job {})", r.late_elderly_losses, job.id),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Imports a resident-registry feed, recorded as a job.
    pub async fn import_registry_feed(
        &self,
        file_name: &str,
        bytes: &[u8],
        enc: Encoding,
        now: OffsetDateTime,
    ) -> Result<FeedReport> {
        let job = self
            .start_job(JobKind::RegistryImport, file_name, now)
            .await?;
        self.import_registry_feed_as(&job, file_name, bytes, enc, now)
            .await
    }

    pub async fn import_registry_feed_as(
        &self,
        job: &Job,
        file_name: &str,
        bytes: &[u8],
        enc: Encoding,
        now: OffsetDateTime,
    ) -> Result<FeedReport> {
        self.check(Permission::RegistryImport, None, &[], now)
            .await?;
        Self::same_kind(job, JobKind::RegistryImport)?;
        let r = self
            .app
            .import_registry_feed(
                file_name,
                bytes,
                enc,
                &self.actor.account,
                &job.progress,
                now,
            )
            .await;
        self.end_job(job, file_name, &r, |r| {
            if r.already_imported {
                (
                    "imported before: nothing changed".to_string(),
                    "取込済みのファイルです（変更なし）".to_string(),
                )
            } else {
                (
                    format!("{} events, {} proposals", r.events, r.proposals),
                    format!("異動{}件、異動候補{}件", r.events, r.proposals),
                )
            }
        })
        .await?;
        let r = r?;
        let digest = &r.digest;
        self.log(
            "registry_import",
            &[],
            None,
            &format!(
                "{file_name} sha256 {digest}: {} events, {} proposals{} (job {})",
                r.events,
                r.proposals,
                if r.already_imported {
                    ", imported before"
                } else {
                    ""
                },
                job.id
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Imports the tax system's income file, recorded as a job.
    pub async fn import_income(
        &self,
        file_name: &str,
        bytes: &[u8],
        enc: Encoding,
        now: OffsetDateTime,
    ) -> Result<crate::income::IncomeReport> {
        let job = self
            .start_job(JobKind::IncomeImport, file_name, now)
            .await?;
        self.import_income_as(&job, file_name, bytes, enc, now)
            .await
    }

    pub async fn import_income_as(
        &self,
        job: &Job,
        file_name: &str,
        bytes: &[u8],
        enc: Encoding,
        now: OffsetDateTime,
    ) -> Result<crate::income::IncomeReport> {
        self.check(Permission::IncomeImport, None, &[], now).await?;
        Self::same_kind(job, JobKind::IncomeImport)?;
        let mut r = self
            .app
            .import_income(
                file_name,
                bytes,
                enc,
                &self.actor.account,
                &job.progress,
                now,
            )
            .await;
        // The months the imported years decide, up to this month, are judged
        // again (in their own transactions: the income stays imported if this fails).
        if let Ok(report) = &mut r
            && !report.already_imported
        {
            let until = kokuho_domain::eligibility::YearMonth::from_date(crate::local_date(now));
            let mut months: Vec<_> = report
                .years
                .iter()
                .flat_map(|y| crate::burden::months_of_income_year(*y, until))
                .collect();
            months.sort();
            months.dedup();
            match self
                .app
                .recompute_burden(
                    &months,
                    "income_import",
                    &self.actor.account,
                    &job.progress,
                    now,
                )
                .await
            {
                Ok(b) => report.burden_changed = b.changed,
                Err(e) => r = Err(e),
            }
        }
        // Fiscal years already booked whose incomes came in: reassessed (更正).
        // Also when the file was imported before: a reassessment that failed
        // then is made now (one that has nothing to change books nothing).
        if let Ok(report) = &mut r {
            let years = report.years.clone();
            for y in years {
                match self.reassess_year(y + 1, "income_import", job, now).await {
                    Ok(n) => report.levy_booked += n,
                    Err(e) => {
                        r = Err(e);
                        break;
                    }
                }
            }
        }
        self.end_job(job, file_name, &r, |r| {
            if r.already_imported {
                (
                    "imported before: nothing changed".to_string(),
                    "取込済みのファイルです（変更なし）".to_string(),
                )
            } else {
                (
                    format!(
                        "{} lines: {} recorded ({} corrections), {} unchanged; burden changed for {} household-months; levy reassessed for {} households",
                        r.lines, r.recorded, r.corrections, r.unchanged, r.burden_changed, r.levy_booked
                    ),
                    format!(
                        "{}行：新規{}件（うち修正・更正{}件）、変更なし{}件／負担区分の変更 {}世帯・月／保険税の更正 {}世帯",
                        r.lines, r.recorded, r.corrections, r.unchanged, r.burden_changed, r.levy_booked
                    ),
                )
            }
        })
        .await?;
        let r = r?;
        let digest = &r.digest;
        self.log(
            "income_import",
            &[],
            None,
            &format!(
                "{file_name} sha256 {digest}: {} lines, {} recorded, {} corrections (job {})",
                r.lines, r.recorded, r.corrections, job.id
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Judges every household's burden categories again for the months.
    pub async fn recompute_burden(
        &self,
        months: &[kokuho_domain::eligibility::YearMonth],
        now: OffsetDateTime,
    ) -> Result<crate::burden::BurdenReport> {
        let subject = match (months.first(), months.last()) {
            (Some(a), Some(b)) => format!(
                "{} – {}",
                kokuho_domain::burden::format_month(*a),
                kokuho_domain::burden::format_month(*b)
            ),
            _ => "-".into(),
        };
        let job = self
            .start_job(JobKind::BurdenRecompute, &subject, now)
            .await?;
        let r = self
            .app
            .recompute_burden(months, "recompute", &self.actor.account, &job.progress, now)
            .await;
        self.end_job(&job, &subject, &r, |r| {
            (
                format!(
                    "{} household-months, {} changed, {} not judged",
                    r.households, r.changed, r.skipped
                ),
                format!(
                    "世帯・月 {}件、変更 {}件、判定不能 {}件",
                    r.households, r.changed, r.skipped
                ),
            )
        })
        .await?;
        let r = r?;
        self.log(
            "burden_recompute",
            &[],
            None,
            &format!(
                "{subject}: {} household-months, {} changed (job {})",
                r.households, r.changed, job.id
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Every version of a household's burden categories (logged).
    pub async fn burden_history(
        &self,
        household: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<kokuho_store::burden::BurdenRow>> {
        self.check(Permission::EligibilityRead, None, &[], now)
            .await?;
        let rows = self.app.burden_history(household).await?;
        self.log(
            "burden_view",
            &[],
            None,
            &format!("household {household}"),
            now,
        )
        .await?;
        Ok(rows)
    }

    /// A household's burden page: its members, every version of its
    /// categories and its applications (logged with the members as subjects).
    pub async fn household_burden(
        &self,
        household: &str,
        now: OffsetDateTime,
    ) -> Result<crate::burden::HouseholdBurden> {
        self.check(Permission::EligibilityRead, None, &[], now)
            .await?;
        self.check(Permission::RegistryRead, None, &[], now).await?;
        let v = self.app.household_burden(household).await?;
        self.log(
            "burden_view",
            &ids(&v.household.members),
            None,
            &format!("household {household}"),
            now,
        )
        .await?;
        Ok(v)
    }

    /// A sample income file for the synthetic town (demo and benchmarks).
    pub async fn sample_income(
        &self,
        year: i32,
        now: OffsetDateTime,
    ) -> Result<Vec<kokuho_formats::income::IncomeRecord>> {
        self.check(Permission::IncomeImport, None, &[], now).await?;
        let r = self
            .app
            .sample_income(year, crate::town::DEFAULT_SEED)
            .await?;
        self.log(
            "income_sample",
            &[],
            None,
            &format!("{year}: {} lines", r.len()),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Writes a sample month of claims for the town's insured (demo and
    /// benchmarks); logged with the count, as it reads every insured
    /// person's name and birth date.
    pub async fn sample_claims(
        &self,
        month: kokuho_domain::eligibility::YearMonth,
        out: impl std::io::Write,
        now: OffsetDateTime,
    ) -> Result<crate::town::claims_sample::ClaimsSample> {
        self.check(Permission::ClaimsImport, None, &[], now).await?;
        let r = self
            .app
            .sample_claims(month, crate::town::DEFAULT_SEED, out)
            .await?;
        self.log(
            "claims_sample",
            &[],
            None,
            &format!(
                "{}: {} claims for {} insured",
                kokuho_domain::burden::format_month(month),
                r.claims,
                r.insured
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Imports the federation's claim file, recorded as a job. `digest` and
    /// `size` come from a first pass over the file (see
    /// `kokuho_formats::registry_feed::stream_digest`).
    pub async fn import_claims(
        &self,
        file_name: &str,
        digest: &str,
        size: u64,
        input: impl std::io::BufRead,
        now: OffsetDateTime,
    ) -> Result<crate::claims::ClaimImportReport> {
        let job = self
            .start_job(JobKind::ClaimsImport, file_name, now)
            .await?;
        self.import_claims_as(&job, file_name, digest, size, input, now)
            .await
    }

    pub async fn import_claims_as(
        &self,
        job: &Job,
        file_name: &str,
        digest: &str,
        size: u64,
        input: impl std::io::BufRead,
        now: OffsetDateTime,
    ) -> Result<crate::claims::ClaimImportReport> {
        self.check(Permission::ClaimsImport, None, &[], now).await?;
        Self::same_kind(job, JobKind::ClaimsImport)?;
        let r = self
            .app
            .import_claims(
                file_name,
                digest,
                size,
                input,
                &self.actor.account,
                &job.progress,
                now,
            )
            .await;
        self.end_job(job, file_name, &r, |r| {
            if r.already_imported {
                (
                    "imported before: nothing changed".to_string(),
                    "取込済みのファイルです（変更なし）".to_string(),
                )
            } else {
                let months: Vec<String> =
                    r.months.iter().map(|(m, n)| format!("{m}: {n}")).collect();
                (
                    format!(
                        "{} claims, {} points ({})",
                        r.claims,
                        r.points,
                        months.join(", ")
                    ),
                    format!(
                        "レセプト{}件、{}点（処理年月別 {}）",
                        r.claims,
                        r.points,
                        months.join("、")
                    ),
                )
            }
        })
        .await?;
        let r = r?;
        self.log(
            "claims_import",
            &[],
            None,
            &format!(
                "{file_name} sha256 {}: {} claims{} (job {})",
                r.digest,
                r.claims,
                if r.already_imported {
                    ", imported before"
                } else {
                    ""
                },
                job.id
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// The eligibility check (資格点検) of a processing month as the records
    /// were known at `known_at` (now when None), recorded as a job.
    pub async fn check_claims(
        &self,
        billing_month: kokuho_domain::eligibility::YearMonth,
        known_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<crate::claims::CheckReport> {
        let subject = kokuho_domain::burden::format_month(billing_month);
        let job = self.start_job(JobKind::ClaimsCheck, &subject, now).await?;
        self.check_claims_as(&job, billing_month, known_at, now)
            .await
    }

    pub async fn check_claims_as(
        &self,
        job: &Job,
        billing_month: kokuho_domain::eligibility::YearMonth,
        known_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<crate::claims::CheckReport> {
        self.check(Permission::ClaimsImport, None, &[], now).await?;
        Self::same_kind(job, JobKind::ClaimsCheck)?;
        let subject = kokuho_domain::burden::format_month(billing_month);
        let r = self
            .app
            .check_claims(
                billing_month,
                known_at.unwrap_or(now),
                &self.actor.account,
                &job.progress,
                now,
            )
            .await;
        self.end_job(job, &subject, &r, |r| {
            (
                format!(
                    "check {}: {} claims, {} listed ({} returns, {} adjustments, {} to confirm)",
                    r.check_id, r.claims, r.listed, r.returns, r.adjustments, r.confirmations
                ),
                format!(
                    "資格点検{}：レセプト{}件のうち{}件（返戻{}・調整{}・要確認{}）",
                    r.check_id, r.claims, r.listed, r.returns, r.adjustments, r.confirmations
                ),
            )
        })
        .await?;
        let r = r?;
        self.log(
            "claims_check",
            &[],
            None,
            &format!(
                "{subject} as known at {}: check {}, {} claims against the eligibility history, {} listed (job {})",
                r.known_at, r.check_id, r.claims, r.listed, job.id
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// The processing months with claims, and their checks (no personal data).
    pub async fn claim_months(
        &self,
        now: OffsetDateTime,
    ) -> Result<(
        Vec<kokuho_store::claims::MonthSummary>,
        Vec<kokuho_store::claims::CheckRow>,
    )> {
        self.check(Permission::ClaimsImport, None, &[], now).await?;
        Ok((
            self.app.claim_months().await?,
            self.app.claim_checks(None).await?,
        ))
    }

    /// A check with up to `limit` of its listed claims: names and numbers
    /// of the persons, so the look is access-logged with them.
    pub async fn claim_check(
        &self,
        check_id: i64,
        limit: i64,
        now: OffsetDateTime,
    ) -> Result<(
        kokuho_store::claims::CheckRow,
        Vec<(
            kokuho_store::claims::FindingRow,
            kokuho_store::claims::ClaimRow,
        )>,
    )> {
        self.check(Permission::ClaimsImport, None, &[], now).await?;
        let (check, rows) = self.app.claim_check(check_id, limit).await?;
        self.log(
            "claims_check_view",
            &crate::claims::listed_persons(&rows),
            None,
            &format!("check {check_id}: {} findings shown", rows.len()),
            now,
        )
        .await?;
        Ok((check, rows))
    }

    /// A check's list as CSV, access-logged with its persons.
    pub async fn claim_check_csv<W: Write>(
        &self,
        check_id: i64,
        encoding: Encoding,
        out: W,
        now: OffsetDateTime,
    ) -> Result<(W, u64)> {
        self.check(Permission::ClaimsImport, None, &[], now).await?;
        let (check, rows) = self.app.claim_check(check_id, i64::MAX).await?;
        let r = crate::claims::write_check_csv(&check, &rows, encoding, out)?;
        self.log(
            "claims_check_export",
            &crate::claims::listed_persons(&rows),
            None,
            &format!("check {check_id}: {} rows, {}", r.1, encoding.name()),
            now,
        )
        .await?;
        Ok(r)
    }

    /// The monthly high-cost run (高額療養費) of a service month as the
    /// records were known at `known_at` (now when None), recorded as a job.
    pub async fn run_high_cost(
        &self,
        service_month: kokuho_domain::eligibility::YearMonth,
        known_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<crate::high_cost::HighCostRunReport> {
        let subject = kokuho_domain::burden::format_month(service_month);
        let job = self.start_job(JobKind::HighCostRun, &subject, now).await?;
        self.run_high_cost_as(&job, service_month, known_at, now)
            .await
    }

    pub async fn run_high_cost_as(
        &self,
        job: &Job,
        service_month: kokuho_domain::eligibility::YearMonth,
        known_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<crate::high_cost::HighCostRunReport> {
        self.check(Permission::HighCost, None, &[], now).await?;
        Self::same_kind(job, JobKind::HighCostRun)?;
        let subject = kokuho_domain::burden::format_month(service_month);
        let known_at = known_at.unwrap_or(now);
        let r = self
            .app
            .run_high_cost(
                service_month,
                known_at,
                &self.actor.account,
                &job.progress,
                now,
            )
            .await;
        self.end_job(job, &subject, &r, |r| {
            let (mut rerun_en, mut rerun_ja) = if r.later_months_to_rerun.is_empty() {
                (String::new(), String::new())
            } else {
                (
                    format!(
                        "; the high-cost months changed: run {} again (多数回)",
                        r.later_months_to_rerun.join(", ")
                    ),
                    format!(
                        "。該当月が変わったため、{} の計算をやり直してください（多数回）",
                        r.later_months_to_rerun.join("、")
                    ),
                )
            };
            if r.without_category > 0 {
                rerun_en += &format!(
                    "; {} household(s) not computed for want of a burden category (listed for review)",
                    r.without_category
                );
                rerun_ja += &format!(
                    "。適用区分が判定されていない{}世帯は計算せず、要確認として記録しました",
                    r.without_category
                );
            }
            (
                format!(
                    "run {}: {} claims ({} left out), {} households with a benefit of {} yen ({} to refund), {} decisions booked{rerun_en}",
                    r.run_id, r.claims, r.left_out, r.households, r.benefit, r.refund, r.booked
                ),
                format!(
                    "計算{}：レセプト{}件（除外{}件）、支給対象{}世帯・高額療養費{}円（うち償還{}円）、決定{}件を記録{rerun_ja}",
                    r.run_id, r.claims, r.left_out, r.households, r.benefit, r.refund, r.booked
                ),
            )
        })
        .await?;
        let r = r?;
        self.log(
            "high_cost_run",
            &[],
            None,
            &format!(
                "service month {subject} as known at {known_at}: run {}, {} claims, {} households with a benefit, {} decisions booked (job {})",
                r.run_id, r.claims, r.households, r.booked, job.id
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// The yearly run of the annual outpatient cap (外来年間合算) as a job.
    pub async fn run_annual_outpatient(
        &self,
        year: i32,
        known_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<crate::annual_outpatient::AnnualRunReport> {
        let job = self
            .start_job(JobKind::AnnualOutpatientRun, &year.to_string(), now)
            .await?;
        self.run_annual_outpatient_as(&job, year, known_at, now)
            .await
    }

    pub async fn run_annual_outpatient_as(
        &self,
        job: &Job,
        year: i32,
        known_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<crate::annual_outpatient::AnnualRunReport> {
        self.check(Permission::HighCost, None, &[], now).await?;
        Self::same_kind(job, JobKind::AnnualOutpatientRun)?;
        let subject = year.to_string();
        let known_at = known_at.unwrap_or(now);
        let r = self
            .app
            .run_annual_outpatient(year, known_at, &self.actor.account, &job.progress, now)
            .await;
        self.end_job(job, &subject, &r, |r| {
            (
                format!(
                    "run {}: {} persons aged 70-74 with outpatient care, {} with a benefit of {} yen, {} not insured on the base date, {} decisions booked",
                    r.run_id, r.persons, r.with_benefit, r.benefit, r.not_insured_on_base_date, r.booked
                ),
                format!(
                    "計算{}：外来受診のある70〜74歳{}人、支給対象{}人・{}円、基準日に資格のない方{}人、決定{}件を記録",
                    r.run_id, r.persons, r.with_benefit, r.benefit, r.not_insured_on_base_date, r.booked
                ),
            )
        })
        .await?;
        let r = r?;
        self.log(
            "annual_outpatient_run",
            &[],
            None,
            &format!(
                "year {subject} as known at {known_at}: run {}, {} persons, {} with a benefit, {} decisions booked (job {})",
                r.run_id, r.persons, r.with_benefit, r.booked, job.id
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Keeps the months of another insurer's 自己負担額証明書 for the
    /// annual outpatient cap, access-logged with the person.
    pub async fn record_other_insurer_months(
        &self,
        c: &crate::annual_outpatient::OtherCertificateInput,
        now: OffsetDateTime,
    ) -> Result<Vec<i64>> {
        let person = Self::person_subject("addressee_id", &c.addressee_id)?;
        self.check(
            Permission::HighCost,
            None,
            std::slice::from_ref(&person),
            now,
        )
        .await?;
        let c = crate::annual_outpatient::OtherCertificateInput {
            addressee_id: person.clone(),
            ..c.clone()
        };
        let ids = self
            .app
            .record_other_insurer_months(&c, &self.actor.account, now)
            .await?;
        self.log(
            "other_insurer_months_record",
            &[person],
            None,
            &format!(
                "year {}: {} month(s) of insurer {}'s certificate (entries {})",
                c.year,
                ids.len(),
                c.other_insurer.trim(),
                ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
            ),
            now,
        )
        .await?;
        Ok(ids)
    }

    /// A person's annual outpatient decisions (every version, the latest
    /// year first) and the months entered from other insurers'
    /// certificates, access-logged with the person and the payees.
    pub async fn annual_history(
        &self,
        addressee_id: &str,
        now: OffsetDateTime,
    ) -> Result<(
        Vec<crate::annual_outpatient::AnnualDecisionRow>,
        Vec<crate::annual_outpatient::OtherMonthRow>,
    )> {
        let person = Self::person_subject("person", addressee_id)?;
        self.check(
            Permission::HighCost,
            None,
            std::slice::from_ref(&person),
            now,
        )
        .await?;
        let (decisions, others) = self.app.annual_history(&person).await?;
        let mut subjects = vec![person];
        for d in &decisions {
            if let Some(h) = &d.householder_id
                && !subjects.contains(h)
            {
                subjects.push(h.clone());
            }
        }
        self.log(
            "annual_outpatient_view",
            &subjects,
            None,
            &format!(
                "{} decision version(s), {} entries of other insurers shown",
                decisions.len(),
                others.len()
            ),
            now,
        )
        .await?;
        Ok((decisions, others))
    }

    /// Voids an entry of another insurer's certificate.
    pub async fn void_other_insurer_month(
        &self,
        entry_id: i64,
        now: OffsetDateTime,
    ) -> Result<crate::annual_outpatient::OtherMonthRow> {
        self.check(Permission::HighCost, None, &[], now).await?;
        let row = self
            .app
            .void_other_insurer_month(entry_id, &self.actor.account, now)
            .await?;
        self.log(
            "other_insurer_month_void",
            std::slice::from_ref(&row.addressee_id),
            None,
            &format!(
                "entry {entry_id} ({} of insurer {})",
                row.month, row.other_insurer
            ),
            now,
        )
        .await?;
        Ok(row)
    }

    /// A person's entries from other insurers' certificates.
    pub async fn other_insurer_months(
        &self,
        addressee_id: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::annual_outpatient::OtherMonthRow>> {
        let person = Self::person_subject("person", addressee_id)?;
        self.check(
            Permission::HighCost,
            None,
            std::slice::from_ref(&person),
            now,
        )
        .await?;
        let rows = self.app.other_insurer_months(&person).await?;
        self.log(
            "other_insurer_months_view",
            &[person],
            None,
            &format!("{} entries shown", rows.len()),
            now,
        )
        .await?;
        Ok(rows)
    }

    /// The annual outpatient runs, the latest first (no personal data).
    pub async fn annual_outpatient_runs(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<kokuho_store::annual_outpatient::AnnualRunRow>> {
        self.check(Permission::HighCost, None, &[], now).await?;
        self.app.annual_outpatient_runs().await
    }

    /// An annual run with up to `limit` of its year's standing decisions,
    /// access-logged with the persons and payees.
    pub async fn annual_outpatient_run(
        &self,
        run_id: i64,
        limit: i64,
        now: OffsetDateTime,
    ) -> Result<(
        kokuho_store::annual_outpatient::AnnualRunRow,
        Vec<kokuho_store::annual_outpatient::AnnualDecisionRow>,
    )> {
        self.check(Permission::HighCost, None, &[], now).await?;
        let (run, rows) = self.app.annual_outpatient_run(run_id, limit).await?;
        self.log(
            "annual_outpatient_run_view",
            &crate::annual_outpatient::persons_of(&rows),
            None,
            &format!("run {run_id}: {} decisions shown", rows.len()),
            now,
        )
        .await?;
        Ok((run, rows))
    }

    /// An annual run's decisions as CSV, access-logged.
    pub async fn annual_outpatient_run_csv<W: Write>(
        &self,
        run_id: i64,
        encoding: Encoding,
        out: W,
        now: OffsetDateTime,
    ) -> Result<(W, u64)> {
        self.check(Permission::HighCost, None, &[], now).await?;
        let (_, rows) = self.app.annual_outpatient_run(run_id, i64::MAX).await?;
        let w = crate::annual_outpatient::write_decisions_csv(&rows, encoding, out)?;
        self.log(
            "annual_outpatient_export",
            &crate::annual_outpatient::persons_of(&rows),
            None,
            &format!("run {run_id}: {} rows, {}", rows.len(), encoding.name()),
            now,
        )
        .await?;
        Ok((w, rows.len() as u64))
    }

    /// The yearly cap's statement of a year so far (試算, provisional
    /// while the rule table says so), with at most `limit` households and
    /// leavers; access-logged with the persons shown.
    pub async fn yearly_cap_position(
        &self,
        year: i32,
        limit: usize,
        now: OffsetDateTime,
    ) -> Result<crate::yearly_cap::YearlyCapPosition> {
        self.check(Permission::HighCost, None, &[], now).await?;
        let p = self.app.yearly_cap_position(year, now).await?;
        let p = p.truncated(limit);
        self.log(
            "yearly_cap_view",
            &p.persons(),
            None,
            &format!(
                "year {year} as of {}: {} of {} households, {} of {} leavers shown",
                p.as_of,
                p.households.len(),
                p.households_total,
                p.leavers.len(),
                p.leavers_total
            ),
            now,
        )
        .await?;
        Ok(p)
    }

    /// The yearly cap's statement as CSV (every household), access-logged;
    /// with the statement written, for a caller that also shows it.
    pub async fn yearly_cap_csv<W: Write>(
        &self,
        year: i32,
        encoding: Encoding,
        out: W,
        now: OffsetDateTime,
    ) -> Result<(W, u64, crate::yearly_cap::YearlyCapPosition)> {
        self.check(Permission::HighCost, None, &[], now).await?;
        let p = self.app.yearly_cap_position(year, now).await?;
        let w = crate::yearly_cap::write_position_csv(&p, encoding, out)?;
        let rows =
            (p.households.len() + p.leavers.len() + p.uncategorised.len() + p.refused.len()) as u64;
        self.log(
            "yearly_cap_export",
            &p.persons(),
            None,
            &format!(
                "year {year} as of {}: {rows} rows, {}",
                p.as_of,
                encoding.name()
            ),
            now,
        )
        .await?;
        Ok((w, rows, p))
    }

    /// Checks and keeps a bank account for a person (口座の登録),
    /// access-logged with the person.
    pub async fn register_account(
        &self,
        input: &crate::payment_account::AccountInput,
        now: OffsetDateTime,
    ) -> Result<crate::payment_account::AccountView> {
        let subject = [input.addressee_id.clone()];
        self.check(Permission::PaymentAccount, None, &subject, now)
            .await?;
        let v = self
            .app
            .register_account(input, &self.actor.account, now)
            .await?;
        self.log(
            "bank_account_write",
            &subject,
            None,
            &format!("account {} ({})", v.account_id, v.source),
            now,
        )
        .await?;
        Ok(v)
    }

    /// A person's accounts, access-logged; numbers whole only for a role
    /// that may see them (the log says so).
    pub async fn accounts_of(
        &self,
        addressee_id: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::payment_account::AccountView>> {
        let subject = [addressee_id.to_string()];
        self.check(Permission::PaymentAccount, None, &subject, now)
            .await?;
        let whole = self.actor.role.may(Permission::PaymentAccountReveal);
        let v = self.app.accounts_of(addressee_id, whole).await?;
        self.log(
            "bank_account_view",
            &subject,
            None,
            &format!(
                "{} accounts, numbers {}",
                v.len(),
                if whole { "whole" } else { "masked" }
            ),
            now,
        )
        .await?;
        Ok(v)
    }

    /// The high-cost runs, the latest first (no personal data).
    pub async fn high_cost_runs(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<kokuho_store::high_cost::RunRow>> {
        self.check(Permission::HighCost, None, &[], now).await?;
        self.app.high_cost_runs(None).await
    }

    /// A run with up to `limit` of the decisions it booked, access-logged
    /// with their payees.
    pub async fn high_cost_run(
        &self,
        run_id: i64,
        limit: i64,
        now: OffsetDateTime,
    ) -> Result<(
        kokuho_store::high_cost::RunRow,
        Vec<kokuho_store::high_cost::DecisionRow>,
    )> {
        self.check(Permission::HighCost, None, &[], now).await?;
        let (run, rows) = self.app.high_cost_run(run_id, limit).await?;
        self.log(
            "high_cost_run_view",
            &crate::high_cost::payees(&rows),
            None,
            &format!("run {run_id}: {} decisions shown", rows.len()),
            now,
        )
        .await?;
        Ok((run, rows))
    }

    /// A run's decisions as CSV, access-logged with their payees.
    pub async fn high_cost_run_csv<W: Write>(
        &self,
        run_id: i64,
        encoding: Encoding,
        out: W,
        now: OffsetDateTime,
    ) -> Result<(W, u64)> {
        self.check(Permission::HighCost, None, &[], now).await?;
        let (_, rows) = self.app.high_cost_run(run_id, i64::MAX).await?;
        let w = crate::high_cost::write_decisions_csv(&rows, encoding, out)?;
        self.log(
            "high_cost_export",
            &crate::high_cost::payees(&rows),
            None,
            &format!("run {run_id}: {} rows, {}", rows.len(), encoding.name()),
            now,
        )
        .await?;
        Ok((w, rows.len() as u64))
    }

    /// A household's high-cost history: every decision version and its
    /// months, access-logged with the persons in it.
    pub async fn household_high_cost(
        &self,
        household: &str,
        now: OffsetDateTime,
    ) -> Result<(
        Vec<kokuho_store::high_cost::DecisionRow>,
        Vec<kokuho_store::high_cost::MonthRow>,
    )> {
        self.check(Permission::HighCost, None, &[], now).await?;
        let (decisions, months) = self.app.household_high_cost(household).await?;
        self.log(
            "high_cost_view",
            &crate::high_cost::persons_of(&decisions),
            None,
            &format!(
                "household {household}: {} decision versions, {} months",
                decisions.len(),
                months.len()
            ),
            now,
        )
        .await?;
        Ok((decisions, months))
    }

    /// Records a month handed over from another municipality (引継).
    pub async fn record_handed_over_month(
        &self,
        household: &str,
        service_month: kokuho_domain::eligibility::YearMonth,
        from_insurer: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.check(Permission::HighCost, None, &[], now).await?;
        self.app
            .record_handed_over_month(
                household,
                service_month,
                from_insurer,
                &self.actor.account,
                now,
            )
            .await?;
        let members = self.app.household(household).await?.members;
        self.log(
            "high_cost_month",
            &ids(&members),
            None,
            &format!(
                "household {household}: {} handed over from {from_insurer}",
                kokuho_domain::burden::format_month(service_month)
            ),
            now,
        )
        .await
    }

    /// Voids a handed-over month entered in error.
    pub async fn void_handed_over_month(
        &self,
        household: &str,
        service_month: kokuho_domain::eligibility::YearMonth,
        from_insurer: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<u64> {
        self.check(Permission::HighCost, None, &[], now).await?;
        let n = self
            .app
            .void_handed_over_month(
                household,
                service_month,
                from_insurer,
                &self.actor.account,
                now,
            )
            .await?;
        let members = self.app.household(household).await?.members;
        self.log(
            "high_cost_month_void",
            &ids(&members),
            None,
            &format!(
                "household {household}: {} handed over, {n} voided",
                kokuho_domain::burden::format_month(service_month)
            ),
            now,
        )
        .await?;
        Ok(n)
    }

    /// Judges again, from the month of `from` to this month, every NHI
    /// household the person belongs to in those months, and those in
    /// `also` (which a change took the person out of): an eligibility or
    /// household change alters who counts. Only months already judged are
    /// judged again. A failure is logged, not returned: the change stands,
    /// and `kokuho burden recompute` judges again.
    /// A booked fiscal year assessed again as the records stand (更正),
    /// where it was booked before; the number of households booked anew.
    async fn reassess_year(
        &self,
        fiscal_year: i32,
        reason: &str,
        job: &Job,
        now: OffsetDateTime,
    ) -> Result<u64> {
        if !self.app.levy_year_booked(fiscal_year).await? {
            return Ok(0);
        }
        let a = crate::levy::Assessment {
            fiscal_year,
            on: crate::local_date(now),
            change_reason: reason,
        };
        let r = self
            .app
            .assess_levy(
                &a,
                crate::levy::Scope::All,
                &self.actor.account,
                &job.progress,
                now,
            )
            .await?;
        Ok(r.booked)
    }

    /// The booked years from the change on, reassessed for the households
    /// (更正 after an eligibility or household change).
    async fn reassess_households(
        &self,
        households: &BTreeSet<HouseholdNumber>,
        from: Date,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let from_year = kokuho_domain::levy::fiscal_year_of(from);
        let years = self.app.assessed_years_since(from_year).await?;
        let list: Vec<String> = households.iter().map(|h| h.as_str().to_string()).collect();
        for fiscal_year in years {
            let a = crate::levy::Assessment {
                fiscal_year,
                on: crate::local_date(now),
                change_reason: reason,
            };
            self.app
                .assess_levy(
                    &a,
                    crate::levy::Scope::Households(&list),
                    &self.actor.account,
                    &crate::jobs::Progress::none(),
                    now,
                )
                .await?;
        }
        Ok(())
    }

    /// The annual assessment (本算定) of every household for a fiscal year,
    /// made on `on`, recorded as a job; run again, it books only what changed.
    pub async fn assess_levy(
        &self,
        fiscal_year: i32,
        on: Date,
        now: OffsetDateTime,
    ) -> Result<crate::levy::LevyReport> {
        self.check(Permission::LevyAssess, None, &[], now).await?;
        let job = self
            .start_job(JobKind::LevyAssessment, &format!("{fiscal_year}年度"), now)
            .await?;
        self.assess_levy_as(&job, fiscal_year, on, now).await
    }

    pub async fn assess_levy_as(
        &self,
        job: &Job,
        fiscal_year: i32,
        on: Date,
        now: OffsetDateTime,
    ) -> Result<crate::levy::LevyReport> {
        self.check(Permission::LevyAssess, None, &[], now).await?;
        Self::same_kind(job, JobKind::LevyAssessment)?;
        // The first run is the 本算定; a later one books corrections.
        let booked_before = self.app.levy_year_booked(fiscal_year).await?;
        let a = crate::levy::Assessment {
            fiscal_year,
            on,
            change_reason: if booked_before {
                "recompute"
            } else {
                "annual_assessment"
            },
        };
        let r = self
            .app
            .assess_levy(
                &a,
                crate::levy::Scope::All,
                &self.actor.account,
                &job.progress,
                now,
            )
            .await;
        self.end_job(job, &format!("{fiscal_year}年度"), &r, |r| {
            (
                format!(
                    "fiscal year {}: {} households, {} booked, difference {} yen, total {} yen",
                    r.fiscal_year, r.households, r.booked, r.difference, r.total
                ),
                format!(
                    "{}年度：{}世帯を計算、{}世帯を調定（差額 {}円）、調定額合計 {}円",
                    r.fiscal_year, r.households, r.booked, r.difference, r.total
                ),
            )
        })
        .await?;
        let r = r?;
        self.log(
            "levy_assessment",
            &[],
            None,
            &format!(
                "fiscal year {fiscal_year} on {on}: {} households, {} booked (job {})",
                r.households, r.booked, job.id
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// A household's levy page: every version with its schedule and
    /// explanation (logged with the members as subjects).
    pub async fn household_levy(
        &self,
        household: &str,
        now: OffsetDateTime,
    ) -> Result<crate::levy::HouseholdLevy> {
        self.check(Permission::LevyRead, None, &[], now).await?;
        self.check(Permission::RegistryRead, None, &[], now).await?;
        let v = self.app.household_levy(household).await?;
        self.log(
            "levy_view",
            &ids(&v.household.members),
            None,
            &format!("household {household}"),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Records a notification that changes a member's levy (産前産後,
    /// 非自発的失業, 旧被扶養者) and reassesses the booked years it touches.
    pub async fn record_levy_notification(
        &self,
        n: &crate::levy::LevyNotification,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let subject = [n.person.to_string()];
        self.check(Permission::LevyAssess, None, &subject, now)
            .await?;
        let id = self
            .app
            .record_levy_notification(n, &self.actor.account, now)
            .await?;
        self.log(
            "levy_notification",
            &subject,
            None,
            &format!("{} {} (notification {id})", n.kind.code(), n.effective_on),
            now,
        )
        .await?;
        // The notification stands even if the reassessment fails (the log
        // says so; running the assessment again books it).
        self.reassess_after_notification(&n.person, n.effective_on, now)
            .await;
        Ok(id)
    }

    /// Voids a notification and reassesses what it touched.
    pub async fn void_levy_notification(&self, id: i64, now: OffsetDateTime) -> Result<()> {
        self.check(Permission::LevyAssess, None, &[], now).await?;
        let (person, on) = self.app.void_levy_notification(id).await?;
        self.log(
            "levy_notification_void",
            std::slice::from_ref(&person),
            None,
            &format!("notification {id} voided"),
            now,
        )
        .await?;
        let person =
            AddresseeId::parse(&person).map_err(|e| AppError::from(e).for_field("person"))?;
        self.reassess_after_notification(&person, on, now).await;
        Ok(())
    }

    async fn reassess_after_notification(
        &self,
        person: &AddresseeId,
        on: Date,
        now: OffsetDateTime,
    ) {
        // 産前産後 reaches months before the due month: from a year before.
        let from = on - time::Duration::days(366);
        let run = async {
            let households = self.app.households_of_person_since(person, from).await?;
            self.reassess_households(&households, from, "levy_notification", now)
                .await
        };
        if let Err(e) = run.await {
            tracing::warn!(
                code = e.code(),
                "levy not reassessed after a notification: {}",
                e.message_en()
            );
        }
    }

    /// The ordinance profile the insurer levies by, set (IT operator or
    /// supervisor: it changes every later assessment).
    pub async fn set_levy_profile(&self, profile: &str, now: OffsetDateTime) -> Result<()> {
        self.check(Permission::LevyAssess, None, &[], now).await?;
        self.app.set_levy_profile(profile).await?;
        self.log(
            "levy_profile",
            &[],
            None,
            &format!("levy profile set to {profile}"),
            now,
        )
        .await
    }

    async fn rejudge_households_of(
        &self,
        person: &AddresseeId,
        from: Date,
        also: BTreeSet<HouseholdNumber>,
        now: OffsetDateTime,
    ) {
        let run = async {
            let months = self
                .app
                .judged_months(
                    kokuho_domain::eligibility::YearMonth::from_date(from),
                    kokuho_domain::eligibility::YearMonth::from_date(crate::local_date(now)),
                )
                .await?;
            let mut households = self.app.households_of_person_since(person, from).await?;
            households.extend(also);
            for household in months
                .is_empty()
                .then(Vec::new)
                .unwrap_or_else(|| households.iter().collect())
            {
                self.app
                    .recompute_household_burden(
                        household,
                        &months,
                        "eligibility_change",
                        &self.actor.account,
                        now,
                    )
                    .await?;
            }
            Ok::<_, AppError>(households)
        };
        let households = match run.await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(
                    code = e.code(),
                    "burden categories not judged again after an eligibility change: {}",
                    e.message_en()
                );
                return;
            }
        };
        if let Err(e) = self
            .reassess_households(&households, from, "eligibility_change", now)
            .await
        {
            tracing::warn!(
                code = e.code(),
                "levy not reassessed after an eligibility change: {}",
                e.message_en()
            );
        }
    }

    /// Records a 基準収入額適用 application for a household from `from`, and
    /// judges its months from then to this month again.
    pub async fn apply_standard_income(
        &self,
        household: &str,
        from: kokuho_domain::eligibility::YearMonth,
        now: OffsetDateTime,
    ) -> Result<crate::burden::BurdenReport> {
        self.check(Permission::EligibilityWrite, None, &[], now)
            .await?;
        let household = HouseholdNumber::parse(household)
            .map_err(|e| AppError::invalid("household", e.to_string(), e.message_ja()))?;
        let recorded = self
            .app
            .record_standard_income_application(&household, from, &self.actor.account, now)
            .await?;
        let until = kokuho_domain::eligibility::YearMonth::from_date(crate::local_date(now));
        let mut months = vec![];
        let mut m = from;
        while m <= until && months.len() < 36 {
            months.push(m);
            m = m.next();
        }
        let r = self
            .app
            .recompute_household_burden(
                &household,
                &months,
                "standard_income_application",
                &self.actor.account,
                now,
            )
            .await?;
        self.log(
            "standard_income_application",
            &[],
            None,
            &format!(
                "household {} from {}{}: {} months changed",
                household.as_str(),
                kokuho_domain::burden::format_month(from),
                if recorded { "" } else { " (recorded before)" },
                r.changed
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// The kinds of job the actor may see and start.
    pub fn job_kinds(&self, now: OffsetDateTime) -> Vec<JobKind> {
        JobKind::ALL
            .into_iter()
            .filter(|k| {
                kokuho_domain::access::allowed(
                    self.actor.role,
                    &self.actor.grants,
                    k.permission(),
                    crate::local_date(now),
                )
            })
            .collect()
    }

    /// The newest jobs the actor may see (no personal data in them).
    pub async fn jobs(&self, now: OffsetDateTime) -> Result<Vec<JobView>> {
        let kinds = self.job_kinds(now);
        if kinds.is_empty() {
            // Logged as a refusal.
            self.check(Permission::RegistryImport, None, &[], now)
                .await?;
        }
        self.app.jobs(&kinds, 50).await
    }

    pub async fn job(&self, id: i64, now: OffsetDateTime) -> Result<JobView> {
        if self.job_kinds(now).is_empty() {
            // Refused (and logged) before anything is looked up.
            self.check(Permission::RegistryImport, None, &[], now)
                .await?;
        }
        let j = self.app.job(id).await?;
        self.check(j.kind.permission(), job_purpose(j.kind).as_ref(), &[], now)
            .await?;
        Ok(j)
    }

    /// A failed job's error report (CSV); it may name 宛名番号, so it is logged.
    pub async fn job_error_report(&self, id: i64, now: OffsetDateTime) -> Result<String> {
        let j = self.job(id, now).await?;
        let report = self
            .app
            .job_error_report(id)
            .await?
            .ok_or(AppError::NotFound {
                what: "error report",
                message_ja: "この処理にはエラー報告がありません",
            })?;
        self.log(
            "job_error_report",
            &[],
            None,
            &format!("job {} ({})", j.id, j.kind.code()),
            now,
        )
        .await?;
        Ok(report)
    }

    pub async fn proposals(
        &self,
        status: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Vec<Proposal>> {
        self.check(Permission::EligibilityRead, None, &[], now)
            .await?;
        let p = self.app.proposals(status).await?;
        let subjects: Vec<String> = p.iter().map(|p| p.addressee_id.clone()).collect();
        self.log(
            "proposal_list",
            &subjects,
            None,
            &format!("{} proposals", p.len()),
            now,
        )
        .await?;
        Ok(p)
    }

    pub async fn confirm_proposal(&self, id: i64, now: OffsetDateTime) -> Result<Proposal> {
        self.check(Permission::ProposalDecide, None, &[], now)
            .await?;
        let p = self
            .app
            .confirm_proposal(id, &self.actor.account, now)
            .await?;
        if let Ok(person) = AddresseeId::parse(&p.addressee_id) {
            self.rejudge_households_of(&person, p.event_on, BTreeSet::new(), now)
                .await;
        }
        self.log(
            "proposal_confirm",
            std::slice::from_ref(&p.addressee_id),
            None,
            &format!("proposal {id}"),
            now,
        )
        .await?;
        Ok(p)
    }

    pub async fn reject_proposal(
        &self,
        id: i64,
        note: &str,
        now: OffsetDateTime,
    ) -> Result<Proposal> {
        self.check(Permission::ProposalDecide, None, &[], now)
            .await?;
        let p = self
            .app
            .reject_proposal(id, note, &self.actor.account, now)
            .await?;
        self.log(
            "proposal_reject",
            std::slice::from_ref(&p.addressee_id),
            None,
            &format!("proposal {id}"),
            now,
        )
        .await?;
        Ok(p)
    }

    pub async fn vault_status(
        &self,
        now: OffsetDateTime,
    ) -> Result<crate::vault_admin::VaultStatus> {
        self.check(Permission::VaultAdmin, None, &[], now).await?;
        let s = crate::vault_admin::status(&self.app.db, &self.app.keyring).await?;
        self.log("vault_status", &[], None, "", now).await?;
        Ok(s)
    }

    pub async fn rotate_vault_key(
        &self,
        keyring: &std::path::Path,
        now: OffsetDateTime,
    ) -> Result<crate::vault_admin::RotationReport> {
        self.check(Permission::VaultAdmin, None, &[], now).await?;
        let r = crate::vault_admin::rotate_key(&self.app.db, keyring).await?;
        self.log(
            "vault_rotate",
            &[],
            None,
            &format!("new key {}, {} rows", r.new_key, r.resealed),
            now,
        )
        .await?;
        Ok(r)
    }

    pub async fn retire_vault_key(
        &self,
        keyring: &std::path::Path,
        key: u32,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.check(Permission::VaultAdmin, None, &[], now).await?;
        crate::vault_admin::retire_key(&self.app.db, keyring, key).await?;
        self.log("vault_retire", &[], None, &format!("key {key}"), now)
            .await
    }
}

/// Figures the town sets by its ordinance (葬祭費).
impl Session<'_> {
    /// Records the town's 葬祭費 from a day (the administrator, on the
    /// ordinance's authority), logged with the figure and its source.
    pub async fn set_funeral_grant(
        &self,
        from: Date,
        amount: i64,
        source: &str,
        now: OffsetDateTime,
    ) -> Result<kokuho_store::town_figure::TownFigureRow> {
        self.check(Permission::AccountAdmin, None, &[], now).await?;
        let r = self
            .app
            .set_funeral_grant(from, amount, source, &self.actor.account, now)
            .await?;
        self.log(
            "town_figure_set",
            &[],
            None,
            &format!("funeral_grant from {from}: {amount} yen ({})", r.source),
            now,
        )
        .await?;
        Ok(r)
    }

    /// The town's 葬祭費 records (no personal data).
    pub async fn funeral_grants(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<kokuho_store::town_figure::TownFigureRow>> {
        self.check(Permission::BenefitApply, None, &[], now).await?;
        self.app.funeral_grants().await
    }
}

/// 支給額計算結果連絡票 received from the insurer that computed a year.
impl Session<'_> {
    /// Keeps a notice, access-logged with the person.
    pub async fn record_share_notice(
        &self,
        n: &crate::share_notice::ShareNoticeInput,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let person = Self::person_subject("addressee_id", &n.addressee_id)?;
        self.check(
            Permission::BenefitApply,
            None,
            std::slice::from_ref(&person),
            now,
        )
        .await?;
        let n = crate::share_notice::ShareNoticeInput {
            addressee_id: person.clone(),
            ..n.clone()
        };
        let id = self
            .app
            .record_share_notice(&n, &self.actor.account, now)
            .await?;
        self.log(
            "share_notice_record",
            &[person],
            None,
            &format!(
                "year {}: {} notice of insurer {} (notice {id}), share {} yen",
                n.year,
                n.kind.code(),
                n.issuer.trim(),
                n.amount
            ),
            now,
        )
        .await?;
        Ok(id)
    }

    /// Voids a notice entered by mistake or replaced by a corrected one.
    pub async fn void_share_notice(
        &self,
        notice_id: i64,
        now: OffsetDateTime,
    ) -> Result<kokuho_store::share_notice::NoticeRow> {
        self.check(Permission::BenefitApply, None, &[], now).await?;
        let row = self
            .app
            .void_share_notice(notice_id, &self.actor.account, now)
            .await?;
        self.log(
            "share_notice_void",
            std::slice::from_ref(&row.addressee_id),
            None,
            &format!(
                "notice {notice_id} ({} of insurer {}, year {})",
                row.kind, row.issuer, row.year
            ),
            now,
        )
        .await?;
        Ok(row)
    }

    /// A person's notices, access-logged with the person.
    pub async fn share_notices(
        &self,
        addressee_id: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::share_notice::ShareNoticeView>> {
        let person = Self::person_subject("person", addressee_id)?;
        self.check(
            Permission::BenefitApply,
            None,
            std::slice::from_ref(&person),
            now,
        )
        .await?;
        let v = self.app.share_notices(&person).await?;
        self.log(
            "share_notices_view",
            &[person],
            None,
            &format!("{} notice(s) shown", v.len()),
            now,
        )
        .await?;
        Ok(v)
    }
}

/// 高額介護合算療養費: certificates and the household's year.
impl Session<'_> {
    /// Keeps a certificate another insurer issued (the care insurer's, or
    /// another medical insurer's), access-logged with the person.
    pub async fn record_combined_care_certificate(
        &self,
        c: &crate::combined_care::CertificateInput,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let person = Self::person_subject("addressee_id", &c.addressee_id)?;
        self.check(
            Permission::BenefitApply,
            None,
            std::slice::from_ref(&person),
            now,
        )
        .await?;
        let c = crate::combined_care::CertificateInput {
            addressee_id: person.clone(),
            ..c.clone()
        };
        let id = self
            .app
            .record_combined_care_certificate(&c, &self.actor.account, now)
            .await?;
        self.log(
            "combined_care_certificate_record",
            &[person],
            None,
            &format!(
                "year {}: {} certificate of insurer {} (entry {id})",
                c.year,
                c.side.code(),
                c.issuer.trim()
            ),
            now,
        )
        .await?;
        Ok(id)
    }

    /// Voids a certificate entered by mistake.
    pub async fn void_combined_care_certificate(
        &self,
        entry_id: i64,
        now: OffsetDateTime,
    ) -> Result<kokuho_store::combined_care::CertificateRow> {
        self.check(Permission::BenefitApply, None, &[], now).await?;
        let row = self
            .app
            .void_combined_care_certificate(entry_id, &self.actor.account, now)
            .await?;
        self.log(
            "combined_care_certificate_void",
            std::slice::from_ref(&row.addressee_id),
            None,
            &format!(
                "entry {entry_id} ({} certificate of insurer {}, year {})",
                row.side, row.issuer, row.year
            ),
            now,
        )
        .await?;
        Ok(row)
    }

    /// A person's certificates of a year, access-logged with the person.
    pub async fn combined_care_certificates(
        &self,
        addressee_id: &str,
        year: i32,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::combined_care::CertificateView>> {
        let person = Self::person_subject("person", addressee_id)?;
        self.check(
            Permission::BenefitApply,
            None,
            std::slice::from_ref(&person),
            now,
        )
        .await?;
        let v = self.app.combined_care_certificates(&person, year).await?;
        self.log(
            "combined_care_certificates_view",
            &[person],
            None,
            &format!("year {year}: {} certificate(s) shown", v.len()),
            now,
        )
        .await?;
        Ok(v)
    }

    /// The household's year of a person, access-logged with every member
    /// and the householder.
    pub async fn combined_care_year(
        &self,
        addressee_id: &str,
        year: i32,
        now: OffsetDateTime,
    ) -> Result<crate::combined_care::CombinedCareYear> {
        let person = Self::person_subject("person", addressee_id)?;
        self.check(
            Permission::BenefitApply,
            None,
            std::slice::from_ref(&person),
            now,
        )
        .await?;
        let y = self.app.combined_care_year(&person, year, now).await?;
        self.log(
            "combined_care_view",
            &y.persons(),
            None,
            &format!(
                "year {year}, household {}: medical {} yen, care {} yen",
                y.household_number, y.medical, y.care
            ),
            now,
        )
        .await?;
        Ok(y)
    }
}

/// Benefits and payments (給付・支払).
impl Session<'_> {
    /// Receives and checks a benefit application (給付の申請受付),
    /// access-logged with the insured person and the payee.
    pub async fn receive_application(
        &self,
        input: &crate::benefit::ApplicationInput,
        now: OffsetDateTime,
    ) -> Result<crate::benefit::ApplicationView> {
        self.check(Permission::BenefitApply, None, &[], now).await?;
        let may_backdate = kokuho_domain::access::allowed(
            self.actor.role,
            &self.actor.grants,
            Permission::BenefitDecide,
            crate::local_date(now),
        );
        let v = self
            .app
            .receive_application_as(input, &self.actor.account, may_backdate, now)
            .await?;
        let subjects = v.persons();
        self.log(
            "benefit_application_write",
            &subjects,
            None,
            &format!(
                "application {} {} {} yen, payee {}",
                v.application_id, v.kind, v.amount, v.payee_basis
            ),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Decides an application (支給・不支給決定), access-logged.
    pub async fn decide_application(
        &self,
        application_id: i64,
        decision: &crate::benefit::Decision,
        decided_on: Date,
        now: OffsetDateTime,
    ) -> Result<crate::benefit::ApplicationView> {
        self.check(Permission::BenefitDecide, None, &[], now)
            .await?;
        let v = self
            .app
            .decide_application(
                application_id,
                decision,
                decided_on,
                &self.actor.account,
                now,
            )
            .await?;
        self.log(
            "benefit_decision",
            &v.persons(),
            None,
            &format!("application {application_id}: {}", v.status),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Puts a household on the simplified route (申請簡素化).
    pub async fn register_simplified_route(
        &self,
        household: &str,
        from_month: kokuho_domain::eligibility::YearMonth,
        consented_on: Date,
        now: OffsetDateTime,
    ) -> Result<bool> {
        self.check(Permission::BenefitApply, None, &[], now).await?;
        let added = self
            .app
            .register_simplified_route(
                household,
                from_month,
                consented_on,
                &self.actor.account,
                now,
            )
            .await?;
        self.log(
            "benefit_simplified_route",
            &[],
            None,
            &format!(
                "household {household} from {}: {}",
                kokuho_domain::burden::format_month(from_month),
                if added { "added" } else { "already" }
            ),
            now,
        )
        .await?;
        Ok(added)
    }

    /// The households on the simplified route (household numbers only).
    pub async fn simplified_route_households(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<kokuho_store::benefit::SimplifiedRow>> {
        self.check(Permission::BenefitApply, None, &[], now).await?;
        self.app.simplified_route_households().await
    }

    /// The simplified route's batch for a service month, access-logged.
    pub async fn apply_simplified_route(
        &self,
        month: kokuho_domain::eligibility::YearMonth,
        now: OffsetDateTime,
    ) -> Result<crate::benefit::SimplifiedReport> {
        self.check(Permission::BenefitApply, None, &[], now).await?;
        let r = self
            .app
            .apply_simplified_route(month, &self.actor.account, now)
            .await?;
        self.log(
            "benefit_simplified_run",
            &[],
            None,
            &format!(
                "month {}: {} households, applications {:?}",
                kokuho_domain::burden::format_month(month),
                r.households,
                r.created
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Revokes a decision to pay before any money went: a supervisor's
    /// act, access-logged with everyone on the application.
    pub async fn revoke_decision(
        &self,
        application_id: i64,
        on: Date,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<crate::benefit::ApplicationView> {
        self.check(Permission::BenefitDecide, None, &[], now)
            .await?;
        let v = self
            .app
            .revoke_decision(application_id, on, reason, &self.actor.account, now)
            .await?;
        self.log(
            "benefit_decision_revoke",
            &v.persons(),
            None,
            &format!("application {application_id}: revoked on {on}"),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Assesses a recovery (返納金) of an event paid above its current
    /// decision: a supervisor's act, access-logged with the debtor.
    pub async fn assess_recovery(
        &self,
        event: &crate::recovery::RecoveryEvent,
        assessed_on: Date,
        due_by: Date,
        now: OffsetDateTime,
    ) -> Result<crate::recovery::RecoveryRow> {
        self.check(Permission::BenefitDecide, None, &[], now)
            .await?;
        let r = self
            .app
            .assess_recovery(event, assessed_on, due_by, &self.actor.account, now)
            .await?;
        let subjects = crate::recovery::persons_of(&r);
        self.log(
            "benefit_recovery_assess",
            &subjects,
            None,
            &format!(
                "recovery {}: {} {} {}, {} yen due by {}",
                r.recovery_id, r.kind, r.subject, r.period, r.amount, r.due_by
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Records a recovery repaid (the benefits clerk), or cancels one
    /// assessed in error (a supervisor), access-logged with the debtor.
    pub async fn settle_recovery(
        &self,
        recovery_id: i64,
        repaid: bool,
        on: Date,
        note: &str,
        now: OffsetDateTime,
    ) -> Result<crate::recovery::RecoveryRow> {
        let p = if repaid {
            Permission::BenefitApply
        } else {
            Permission::BenefitDecide
        };
        self.check(p, None, &[], now).await?;
        let r = self
            .app
            .settle_recovery(recovery_id, repaid, on, note, &self.actor.account, now)
            .await?;
        let subjects = crate::recovery::persons_of(&r);
        self.log(
            "benefit_recovery_settle",
            &subjects,
            None,
            &format!("recovery {recovery_id}: {} on {on}", r.status),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Recoveries, the latest first, access-logged with the debtors.
    pub async fn recoveries(
        &self,
        owed: bool,
        limit: i64,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::recovery::RecoveryRow>> {
        self.check(Permission::BenefitApply, None, &[], now).await?;
        let v = self.app.recoveries(owed, limit).await?;
        let debtors: BTreeSet<String> = v.iter().flat_map(crate::recovery::persons_of).collect();
        self.log(
            "benefit_recovery_view",
            &debtors.into_iter().collect::<Vec<_>>(),
            None,
            &format!("{} recoveries shown", v.len()),
            now,
        )
        .await?;
        Ok(v)
    }

    /// One application, access-logged.
    pub async fn application(
        &self,
        application_id: i64,
        now: OffsetDateTime,
    ) -> Result<crate::benefit::ApplicationView> {
        self.check(Permission::BenefitApply, None, &[], now).await?;
        let v = self.app.application_view(application_id).await?;
        self.log(
            "benefit_view",
            &v.persons(),
            None,
            &format!("application {application_id}"),
            now,
        )
        .await?;
        Ok(v)
    }

    /// The supervisor's decision queue, access-logged with the persons.
    pub async fn decision_queue(
        &self,
        limit: i64,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::benefit::ApplicationView>> {
        self.check(Permission::BenefitApply, None, &[], now).await?;
        let v = self.app.decision_queue(limit).await?;
        let persons: BTreeSet<String> = v.iter().flat_map(|a| a.persons()).collect();
        self.log(
            "benefit_view",
            &persons.into_iter().collect::<Vec<_>>(),
            None,
            &format!("decision queue: {} applications", v.len()),
            now,
        )
        .await?;
        Ok(v)
    }

    /// A person's benefit history, access-logged.
    pub async fn benefit_history(
        &self,
        addressee_id: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::benefit::BenefitLine>> {
        // What is logged is a well-formed 宛名番号, never raw input (a My
        // Number typed into the field by mistake is refused unlogged).
        let id = AddresseeId::parse(addressee_id.trim())?;
        if crate::leak_scan::count_my_numbers(id.as_str().as_bytes()) > 0 {
            return Err(AppError::invalid(
                "person",
                "that looks like a My Number, not an addressee number",
                "個人番号ではなく宛名番号を入力してください",
            ));
        }
        let addressee_id = id.as_str();
        let subject = [addressee_id.to_string()];
        self.check(Permission::BenefitApply, None, &subject, now)
            .await?;
        let v = self.app.benefit_history(addressee_id).await?;
        self.log(
            "benefit_view",
            &subject,
            None,
            &format!("history: {} applications", v.len()),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Records the town's bank contract (振込依頼人), a supervisor's act.
    pub async fn set_bank_contract(
        &self,
        c: &crate::payment_run::BankContract,
        now: OffsetDateTime,
    ) -> Result<i64> {
        self.check(Permission::PaymentApprove, None, &[], now)
            .await?;
        let v = self
            .app
            .set_bank_contract(c, &self.actor.account, now)
            .await?;
        self.log(
            "payment_contract_write",
            &[],
            None,
            &format!("version {v}"),
            now,
        )
        .await?;
        Ok(v)
    }

    async fn payees_of_run(&self, run_id: i64) -> Result<Vec<String>> {
        let (_, rows) = self.app.payment_run(run_id).await?;
        let set: BTreeSet<String> = rows.into_iter().map(|p| p.payee_id).collect();
        Ok(set.into_iter().collect())
    }

    /// Makes a payment run, access-logged with its payees.
    pub async fn create_payment_run(
        &self,
        due_by: Date,
        pay_on: Date,
        now: OffsetDateTime,
    ) -> Result<crate::payment_run::RunView> {
        self.check(Permission::PaymentRun, None, &[], now).await?;
        let v = self
            .app
            .create_payment_run(due_by, pay_on, &self.actor.account, now)
            .await?;
        let payees = self.payees_of_run(v.run_id).await?;
        self.log(
            "payment_run_create",
            &payees,
            None,
            &format!(
                "run {}: {} transfers, {} yen, pay on {}",
                v.run_id, v.transfers, v.total, v.pay_on
            ),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Approves a run (never its creator).
    pub async fn approve_payment_run(
        &self,
        run_id: i64,
        now: OffsetDateTime,
    ) -> Result<crate::payment_run::RunView> {
        self.check(Permission::PaymentApprove, None, &[], now)
            .await?;
        let v = self
            .app
            .approve_payment_run(run_id, &self.actor.account, now)
            .await?;
        self.log(
            "payment_run_approve",
            &[],
            None,
            &format!("run {run_id}"),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Cancels a run not yet approved.
    pub async fn cancel_payment_run(
        &self,
        run_id: i64,
        now: OffsetDateTime,
    ) -> Result<crate::payment_run::RunView> {
        self.check(Permission::PaymentRun, None, &[], now).await?;
        let v = self
            .app
            .cancel_payment_run(run_id, &self.actor.account, now)
            .await?;
        self.log(
            "payment_run_cancel",
            &[],
            None,
            &format!("run {run_id}"),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Writes an approved run's transfer file, access-logged with its
    /// payees and the file's digest. The file carries whole account
    /// numbers: only a role that may see them writes it.
    pub async fn write_payment_file(
        &self,
        run_id: i64,
        now: OffsetDateTime,
    ) -> Result<(Vec<u8>, crate::payment_run::RunView)> {
        self.check(Permission::PaymentAccountReveal, None, &[], now)
            .await?;
        let (bytes, v, payees) = self
            .app
            .write_payment_file(run_id, &self.actor.account, now)
            .await?;
        self.log(
            "payment_file_export",
            &payees,
            None,
            &format!(
                "run {run_id}: {} bytes, sha256 {}",
                bytes.len(),
                v.file_sha256.clone().unwrap_or_default()
            ),
            now,
        )
        .await?;
        Ok((bytes, v))
    }

    /// The bank took the file: the run's transfers are paid.
    pub async fn mark_payment_run_sent(
        &self,
        run_id: i64,
        now: OffsetDateTime,
    ) -> Result<crate::payment_run::RunView> {
        self.check(Permission::PaymentRun, None, &[], now).await?;
        let v = self
            .app
            .mark_payment_run_sent(run_id, &self.actor.account, now)
            .await?;
        self.log("payment_run_sent", &[], None, &format!("run {run_id}"), now)
            .await?;
        Ok(v)
    }

    /// The file failed: its transfers go back to the queue. Money put back
    /// in the queue could be paid again, so a supervisor says so.
    pub async fn mark_payment_run_failed(
        &self,
        run_id: i64,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<crate::payment_run::RunView> {
        self.check(Permission::PaymentApprove, None, &[], now)
            .await?;
        let v = self
            .app
            .mark_payment_run_failed(run_id, reason, &self.actor.account, now)
            .await?;
        self.log(
            "payment_run_failed",
            &[],
            None,
            &format!("run {run_id}"),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Transfers the bank returned go back to the queue (a supervisor, as
    /// for a failed file).
    pub async fn return_transfers(
        &self,
        run_id: i64,
        application_ids: &[i64],
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(crate::payment_run::RunView, u64)> {
        self.check(Permission::PaymentApprove, None, &[], now)
            .await?;
        let v = self
            .app
            .return_transfers(run_id, application_ids, reason, &self.actor.account, now)
            .await?;
        self.log(
            "payment_returned",
            &[],
            None,
            &format!("run {run_id}: {} transfers returned", v.1),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Marks returned the transfers a bank's return file names (all or
    /// none), logged like `return_transfers` with the file's name.
    pub async fn return_transfers_from_file(
        &self,
        run_id: i64,
        file_name: &str,
        bytes: &[u8],
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(crate::payment_run::RunView, u64)> {
        self.check(Permission::PaymentApprove, None, &[], now)
            .await?;
        let v = self
            .app
            .return_transfers_from_file(run_id, file_name, bytes, reason, &self.actor.account, now)
            .await?;
        self.log(
            "payment_returned",
            &[],
            None,
            &format!(
                "run {run_id}: {} transfers returned by the bank's file {file_name}",
                v.1
            ),
            now,
        )
        .await?;
        Ok(v)
    }

    /// The runs (no personal data).
    pub async fn payment_runs(
        &self,
        limit: i64,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::payment_run::RunView>> {
        self.check(Permission::PaymentRun, None, &[], now).await?;
        self.app.payment_runs(limit).await
    }

    /// A run's payment list, access-logged with its payees; numbers whole
    /// only for a role that may see them.
    pub async fn payment_list(
        &self,
        run_id: i64,
        now: OffsetDateTime,
    ) -> Result<(
        crate::payment_run::RunView,
        Vec<crate::payment_run::PaymentView>,
    )> {
        self.check(Permission::PaymentRun, None, &[], now).await?;
        let whole = self.actor.role.may(Permission::PaymentAccountReveal);
        let (run, rows) = self.app.payment_run(run_id).await?;
        let payees: BTreeSet<String> = rows.iter().map(|p| p.payee_id.clone()).collect();
        self.log(
            "payment_list_view",
            &payees.into_iter().collect::<Vec<_>>(),
            None,
            &format!(
                "run {run_id}: {} transfers, numbers {}",
                rows.len(),
                if whole { "whole" } else { "masked" }
            ),
            now,
        )
        .await?;
        Ok((
            run,
            rows.iter()
                .map(|p| crate::payment_run::payment_view(p, whole))
                .collect(),
        ))
    }

    /// A run's payment list as CSV, access-logged.
    pub async fn payment_list_csv<W: Write>(
        &self,
        run_id: i64,
        encoding: Encoding,
        out: W,
        now: OffsetDateTime,
    ) -> Result<(W, u64)> {
        self.check(Permission::PaymentRun, None, &[], now).await?;
        let whole = self.actor.role.may(Permission::PaymentAccountReveal);
        let (_, rows) = self.app.payment_run(run_id).await?;
        let w = crate::payment_run::write_payment_list_csv(&rows, whole, encoding, out)?;
        let payees: BTreeSet<String> = rows.iter().map(|p| p.payee_id.clone()).collect();
        self.log(
            "payment_list_export",
            &payees.into_iter().collect::<Vec<_>>(),
            None,
            &format!("run {run_id}: {} rows, {}", rows.len(), encoding.name()),
            now,
        )
        .await?;
        Ok((w, rows.len() as u64))
    }

    // --- printed documents (帳票)

    /// Records a 特定疾病 certification (the 受療証 is then printed as a
    /// document), access-logged.
    pub async fn certify_specified_disease(
        &self,
        input: &crate::specified_disease::CertificationInput,
        now: OffsetDateTime,
    ) -> Result<kokuho_store::specified_disease::CertificationRow> {
        self.check(Permission::EligibilityWrite, None, &[], now)
            .await?;
        let r = self
            .app
            .certify_specified_disease(input, &self.actor.account, now)
            .await?;
        self.log(
            "specified_disease_write",
            std::slice::from_ref(&r.addressee_id),
            None,
            &format!(
                "certification {} {} from {} limit {} yen",
                r.certification_id, r.disease, r.valid_from, r.limit_yen
            ),
            now,
        )
        .await?;
        Ok(r)
    }

    pub async fn specified_diseases_of(
        &self,
        person: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<kokuho_store::specified_disease::CertificationRow>> {
        self.check(Permission::EligibilityRead, None, &[], now)
            .await?;
        let id = AddresseeId::parse(person).map_err(|e| AppError::from(e).for_field("person"))?;
        let v = self.app.specified_diseases_of(&id).await?;
        self.log(
            "specified_disease_view",
            &[id.to_string()],
            None,
            &format!("{} certifications", v.len()),
            now,
        )
        .await?;
        Ok(v)
    }

    /// The permission a kind's content needs besides issuing documents.
    fn content_permission(kind: crate::documents::DocumentKind) -> Permission {
        if kind.about_application() || kind.about_recovery() {
            Permission::BenefitApply
        } else if kind.about_levy() {
            Permission::LevyRead
        } else if kind.about_high_cost() || kind.about_year() {
            Permission::HighCost
        } else {
            Permission::EligibilityRead
        }
    }

    /// Prints one document at the counter; the issue is recorded and
    /// access-logged with its number, hash and any substituted characters.
    pub async fn issue_document(
        &self,
        kind: crate::documents::DocumentKind,
        subject: &crate::documents::Subject,
        opts: crate::documents::IssueOptions,
        now: OffsetDateTime,
    ) -> Result<crate::documents::Issued> {
        self.check(Permission::DocumentIssue, None, &[], now)
            .await?;
        self.check(Self::content_permission(kind), None, &[], now)
            .await?;
        let issued = self
            .app
            .issue_document(kind, subject, opts, &self.actor.account, now)
            .await?;
        let i = &issued.issue;
        self.log(
            "document_issue",
            &issued.subjects,
            None,
            &format!(
                "{} {} issue {} sha256 {}{}",
                i.kind,
                i.document_number,
                i.issue_id,
                i.sha256,
                if i.substitutions.is_empty() {
                    String::new()
                } else {
                    format!(" substituted {}", i.substitutions)
                }
            ),
            now,
        )
        .await?;
        Ok(issued)
    }

    /// Reprints an issued document exactly (再交付), access-logged.
    pub async fn reprint_document(
        &self,
        issue_id: i64,
        now: OffsetDateTime,
    ) -> Result<crate::documents::Issued> {
        self.check(Permission::DocumentIssue, None, &[], now)
            .await?;
        let original = self.app.document_issue(issue_id).await?;
        if let Some(kind) = crate::documents::DocumentKind::parse(&original.kind) {
            self.check(Self::content_permission(kind), None, &[], now)
                .await?;
        }
        let issued = self
            .app
            .reprint_document(issue_id, &self.actor.account, now)
            .await?;
        let i = &issued.issue;
        self.log(
            "document_reprint",
            &issued.subjects,
            None,
            &format!(
                "{} {} issue {} reprints {} sha256 {}",
                i.kind, i.document_number, i.issue_id, issue_id, i.sha256
            ),
            now,
        )
        .await?;
        Ok(issued)
    }

    /// A resident's issuance history, access-logged.
    pub async fn document_history(
        &self,
        person: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::documents::IssueView>> {
        self.check(Permission::DocumentRead, None, &[], now).await?;
        let id = AddresseeId::parse(person).map_err(|e| AppError::from(e).for_field("person"))?;
        let h = self
            .app
            .document_history(&id, now.to_offset(crate::jst()).date())
            .await?;
        self.log(
            "document_history_view",
            &[id.to_string()],
            None,
            &format!("{} documents", h.len()),
            now,
        )
        .await?;
        Ok(h)
    }

    /// Records a document returned, lost or voided, access-logged.
    pub async fn set_document_status(
        &self,
        issue_id: i64,
        status: &str,
        note: &str,
        now: OffsetDateTime,
    ) -> Result<crate::documents::IssueView> {
        self.check(Permission::DocumentIssue, None, &[], now)
            .await?;
        let v = self
            .app
            .set_document_status(issue_id, status, note, &self.actor.account, now)
            .await?;
        self.log(
            "document_status",
            std::slice::from_ref(&v.addressee_id),
            None,
            &format!("issue {issue_id} {status}"),
            now,
        )
        .await?;
        Ok(v)
    }

    /// Starts a batch of `kind` for those insured on `as_of` (default
    /// today), or resumes the unfinished one; then issues up to `max` of its
    /// recipients (all when none given). Each run is access-logged with whom
    /// it issued to — also when it stops on an error — and the finished
    /// batch's combined PDF and list with their hashes and everyone in them.
    #[allow(clippy::too_many_arguments)]
    pub async fn run_document_batch(
        &self,
        kind: crate::documents::DocumentKind,
        as_of: Option<Date>,
        fiscal_year: Option<i64>,
        out: &std::path::Path,
        max: Option<usize>,
        progress: impl FnMut(i64, i64),
        now: OffsetDateTime,
    ) -> Result<(crate::documents::BatchReport, bool)> {
        self.check(Permission::DocumentBatch, None, &[], now)
            .await?;
        self.check(Self::content_permission(kind), None, &[], now)
            .await?;
        let (b, resumed) = self
            .app
            .start_or_resume_batch(kind, as_of, fiscal_year, &self.actor.account, now)
            .await?;
        let mut issued_now = Vec::new();
        let result = self
            .app
            .run_batch(
                b.batch_id,
                out,
                max,
                progress,
                &mut issued_now,
                &self.actor.account,
                now,
            )
            .await;
        let mut subjects: Vec<String> = issued_now.iter().map(|(_, a)| a.clone()).collect();
        let detail = match &result {
            Ok(r) => {
                // the records of those not printed were read too
                subjects.extend(r.skipped.iter().map(|(_, a, _)| a.clone()));
                format!(
                    "batch {} {} {}: {} issued now, {}/{} done, {} not printed{}",
                    b.batch_id,
                    b.kind,
                    if resumed { "resumed" } else { "started" },
                    issued_now.len(),
                    r.done,
                    r.planned,
                    r.skipped.len(),
                    if r.finished { ", finished" } else { "" }
                )
            }
            Err(e) => format!(
                "batch {} {} {}: {} issued now, stopped: {}",
                b.batch_id,
                b.kind,
                if resumed { "resumed" } else { "started" },
                issued_now.len(),
                e.message_en()
            ),
        };
        subjects.sort();
        subjects.dedup();
        self.log("document_batch", &subjects, None, &detail, now)
            .await?;
        let report = result?;
        if let Some(o) = &report.outputs {
            self.log(
                "document_batch_output",
                &o.recipients,
                None,
                &format!(
                    "batch {}: {} sha256 {}; {} sha256 {}; {} recipients",
                    report.batch_id,
                    o.combined.display(),
                    o.combined_sha256,
                    o.list.display(),
                    o.list_sha256,
                    o.recipients.len()
                ),
                now,
            )
            .await?;
        }
        Ok((report, resumed))
    }

    pub async fn document_batches(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<kokuho_store::document::BatchRow>> {
        self.check(Permission::DocumentRead, None, &[], now).await?;
        self.app.document_batches().await
    }
}

/// The purpose a job of a kind is checked with when its permission is used
/// only for a stated one (exchange files carry My Numbers): the job's own
/// work, as the jobs page names it.
fn job_purpose(kind: JobKind) -> Option<kokuho_domain::access::Purpose> {
    kind.permission()
        .needs_purpose()
        .then(|| kokuho_domain::access::Purpose::parse("nhi", kind.label_ja()))
        .flatten()
}
