//! Exchange with the prefecture federation's 国保情報集約システム: the
//! town's extracts (資格情報（世帯）・（個人）, 世帯所得区分情報, 高額該当情報,
//! 世帯継続判定結果), full or as what changed since the last send, written to
//! an outbox folder — the file holding 個人番号 sealed under the transfer
//! key — and the federation's answers taken in: persons moved in from another
//! municipality of the prefecture (資格継続引継情報, with the households to
//! judge) and the high-cost months of a continued household (高額該当引継情報),
//! which count towards 多数回 from then on.
//!
//! Every file sent or received is recorded with its name, time, record
//! count, SHA-256 and purpose; an import is one transaction, and a file is
//! taken in once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use kokuho_domain::burden::{Elderly, Under70, format_month, parse_month};
use kokuho_domain::eligibility::{AcquisitionReason, LossReason};
use kokuho_formats::federation::{
    self, Body, Change, Continuity, ContinuityJudgementRecord, Extract, FederationFile, FileHeader,
    HighCostMonthRecord, HouseholdRecord, IncomeCategoryRecord, PersonRecord,
};
use kokuho_formats::fixed::Direction;
use kokuho_store::eligibility as repo;
use kokuho_store::exchange::{self as store, FileRow, NoticeRow};
use kokuho_vault::TransferKey;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::eligibility::{from_us, to_us};
use crate::{AppError, Kokuho, Result, jst, local_date};

/// Where the jobs page keeps exchange files: `dir/outbox/federation`,
/// `dir/outbox/intermediate` for what it writes, and the transfer key file
/// it seals with (read at each job, so a rotated key takes effect).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangeSetup {
    pub dir: PathBuf,
    pub transfer_key: PathBuf,
}

impl ExchangeSetup {
    /// The outbox of one counterpart.
    pub fn outbox(&self, counterpart: &str) -> PathBuf {
        self.dir.join("outbox").join(counterpart)
    }

    /// The transfer key as the file holds it now.
    pub fn key(&self) -> Result<TransferKey> {
        TransferKey::load(&self.transfer_key).map_err(|e| AppError::Setup {
            message_en: format!("transfer key {}: {e}", self.transfer_key.display()),
            message_ja: "連携ファイルの転送鍵が読めません（運用担当に連絡してください）".into(),
        })
    }
}

/// Where a differential starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// everything (全件)
    Full,
    /// what changed since the last extract sent (the first one is full)
    LastSent,
    /// what changed after this time
    At(OffsetDateTime),
}

/// One file written to the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentFile {
    pub file_id: i64,
    pub kind: String,
    pub name_ja: String,
    pub path: PathBuf,
    pub records: usize,
    /// of the plain bytes, grouped hex
    pub sha256: String,
    pub sealed: bool,
}

/// What an extract wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportReport {
    /// the persons whose records the files carry (宛名番号), for the access record
    pub persons: Vec<String>,
    pub extract: Extract,
    pub since: Option<OffsetDateTime>,
    pub as_of: OffsetDateTime,
    pub files: Vec<SentFile>,
}

/// What taking in a file did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    pub file_id: i64,
    pub kind: String,
    pub name_ja: String,
    pub records: usize,
    /// one line, for the operator and the record
    pub outcome: String,
    /// the persons it concerns (宛名番号), for the access record
    pub subjects: Vec<String>,
}

/// The aggregation system's acquisition-reason code (the codes of municipal
/// code bases; provisional with the layout, docs/formats/federation.md).
pub fn acquisition_code(r: AcquisitionReason) -> &'static str {
    match r {
        AcquisitionReason::MoveIn | AcquisitionReason::ForeignResidenceStarted => "01",
        AcquisitionReason::LeftEmployeeInsurance | AcquisitionReason::DependantOfLateElderly => {
            "02"
        }
        AcquisitionReason::PublicAssistanceEnded => "03",
        AcquisitionReason::Birth => "04",
        AcquisitionReason::ExOfficio => "08",
        AcquisitionReason::Other => "09",
        AcquisitionReason::LeftLateElderly => "13",
    }
}

pub fn loss_code(r: LossReason) -> &'static str {
    match r {
        LossReason::MoveOut => "41",
        LossReason::JoinedEmployeeInsurance => "42",
        LossReason::PublicAssistanceStarted => "43",
        LossReason::Death => "44",
        LossReason::ExOfficio => "48",
        LossReason::Other => "49",
        LossReason::LateElderly => "51",
    }
}

fn local(t: OffsetDateTime) -> PrimitiveDateTime {
    let l = t.to_offset(jst());
    PrimitiveDateTime::new(l.date(), l.time())
        .replace_nanosecond(0)
        .unwrap_or(PrimitiveDateTime::new(l.date(), time::Time::MIDNIGHT))
}

fn hex(bytes: &[u8]) -> String {
    kokuho_domain::digest_text::grouped_hex(bytes)
}

fn setup(en: impl Into<String>, ja: impl Into<String>) -> AppError {
    AppError::Setup {
        message_en: en.into(),
        message_ja: ja.into(),
    }
}

/// Who a record of a file being written is about, for an error that must
/// say whose data does not fit (the file was never written, so its line
/// helps no one).
fn who_in(body: &Body, i: usize) -> Option<(&'static str, &'static str, String)> {
    let household = |h: &str| ("household", "世帯番号", h.to_string());
    match body {
        Body::Persons(r) => r
            .get(i)
            .map(|r| ("person", "宛名番号", r.addressee_id.clone())),
        Body::Households(r) => r.get(i).map(|r| household(&r.household_number)),
        Body::IncomeCategories(r) => r.get(i).map(|r| household(&r.household_number)),
        Body::HighCostMonths(r) => r.get(i).map(|r| household(&r.household_number)),
        Body::ContinuityJudgements(r) => r.get(i).map(|r| household(&r.insured_number)),
        Body::EligibilityContinuity(_) | Body::HighCostHandOver(_) => None,
    }
}

/// A record the writer refused, named by whose it is.
fn rejected_for(
    e: kokuho_formats::fixed::FixedError,
    who: Option<(&'static str, &'static str, String)>,
) -> AppError {
    match who {
        Some((en, ja, id)) => AppError::Rejected {
            file: e.file,
            line: e.line,
            field: e.field,
            reason_en: format!("{en} {id}: {}", e.reason),
            reason_ja: format!(
                "{ja} {id} の情報が連携ファイルの様式に合いません（{}）。内容を確かめてから作り直してください",
                e.reason_ja
            ),
        },
        None => rejected(e),
    }
}

fn rejected(e: kokuho_formats::fixed::FixedError) -> AppError {
    AppError::Rejected {
        file: e.file,
        line: e.line,
        field: e.field,
        reason_en: e.reason,
        reason_ja: e.reason_ja,
    }
}

/// The eligibility part of an extract, with the registry it was read from.
pub(crate) struct EligibilityExtract {
    pub(crate) households: Vec<HouseholdRecord>,
    pub(crate) persons: Vec<PersonRecord>,
    /// the persons with eligibility, by 宛名番号
    pub(crate) registry_persons: HashMap<String, kokuho_domain::addressee::Addressee>,
    /// the NHI households, by 世帯番号
    pub(crate) registry_households: HashMap<String, kokuho_domain::addressee::Household>,
    /// every NHI household's 記号・番号, by 世帯番号
    pub(crate) numbers: HashMap<String, (String, String)>,
}

/// A file built, not yet written.
struct Built {
    layout: &'static kokuho_formats::fixed::FileLayout,
    name: String,
    plain: zeroize::Zeroizing<Vec<u8>>,
    records: usize,
}

/// How a set of files is sent.
struct Sending<'a> {
    extract: Extract,
    since_us: Option<i64>,
    as_of_us: i64,
    out_dir: &'a Path,
    transfer: &'a TransferKey,
    purpose: &'a str,
    by: &'a str,
}

fn layout_setup(e: kokuho_formats::fixed::LayoutError) -> AppError {
    setup(
        e.to_string(),
        "連携ファイルのレイアウト定義が正しくありません",
    )
}

/// Writes a file atomically (temporary name, then rename), mode 0600.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("partial");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// How far before the last send's moment a differential starts (two hours):
/// longer than any transaction kokuho runs (a city's monthly batches take
/// minutes), so none that stamped its changes before a send and committed
/// after it falls between two differentials. docs/formats/federation.md.
pub const DIFFERENTIAL_OVERLAP_US: i64 = 2 * 3_600 * 1_000_000;

impl Kokuho {
    /// What an extract to `counterpart` covers: from (exclusive; `None` for
    /// everything) and up to `now`, and so whether it is full or a
    /// differential.
    async fn window(
        &self,
        since: Since,
        counterpart: &str,
        now: OffsetDateTime,
    ) -> Result<(Option<i64>, i64, Extract)> {
        let as_of_us = to_us(now);
        let since_us = match since {
            Since::Full => None,
            // From a while before the last send's moment: a transaction that
            // stamped its changes before that moment but committed after the
            // send read the data goes with this one. What goes twice is
            // taken as an update (the counterparts keep the latest).
            Since::LastSent => store::last_sent_as_of(&self.db, &self.insurer, counterpart)
                .await?
                .map(|s| s.saturating_sub(DIFFERENTIAL_OVERLAP_US)),
            Since::At(t) => Some(to_us(t)),
        };
        if since_us.is_some_and(|s| s >= as_of_us) {
            return Err(AppError::invalid(
                "since",
                "the differential must start before now",
                "差分の起点は現在より前の時刻にしてください",
            ));
        }
        let extract = if since_us.is_some() {
            Extract::Differential
        } else {
            Extract::Full
        };
        Ok((since_us, as_of_us, extract))
    }

    /// The federation extract: builds every file, writes them to `out_dir`
    /// (the person file sealed under `transfer`) and records them, or writes
    /// and records nothing.
    pub async fn export_to_federation(
        &self,
        since: Since,
        out_dir: &Path,
        transfer: &TransferKey,
        purpose: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<ExportReport> {
        let (since_us, as_of_us, extract) = self.window(since, "federation", now).await?;
        let header = FileHeader {
            insurer_number: self.insurer.as_str().to_string(),
            created_at: local(now),
            extract,
            since: since_us.map(|s| local(from_us(s))),
        };
        let today = local_date(now);
        let EligibilityExtract {
            households,
            persons,
            numbers,
            ..
        } = self
            .eligibility_records(since_us, as_of_us, today, true)
            .await?;
        let person_ids: Vec<String> = persons
            .iter()
            .map(|p| p.addressee_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let categories = self.category_records(since_us, as_of_us, &numbers).await?;
        let months = self.high_cost_records(since_us, as_of_us, &numbers).await?;

        let mut tx = self.db.begin().await?;
        let judged = store::unsent_judgements(&mut tx, &self.insurer).await?;
        let mut judgements: BTreeMap<(String, String, String, String), ContinuityJudgementRecord> =
            BTreeMap::new();
        let mut included: Vec<(i64, i64)> = Vec::new();
        for n in &judged {
            let Some((symbol, number)) = numbers.get(&n.household_number) else {
                continue;
            };
            included.push((n.notice_id, n.judged_us.unwrap_or(0)));
            judgements
                .entry((
                    n.household_number.clone(),
                    n.from_insurer.clone(),
                    n.from_insured_symbol.clone(),
                    n.from_insured_number.clone(),
                ))
                .or_insert_with(|| ContinuityJudgementRecord {
                    insurer_number: self.insurer.as_str().to_string(),
                    insured_symbol: symbol.clone(),
                    insured_number: number.clone(),
                    from_insurer: n.from_insurer.clone(),
                    from_insured_symbol: n.from_insured_symbol.clone(),
                    from_insured_number: n.from_insured_number.clone(),
                    continues: n.judgement.as_deref() == Some("continues"),
                    judged_on: n.judged_on.unwrap_or(today),
                });
        }
        let mut bodies = vec![
            Body::Households(households),
            Body::Persons(persons),
            Body::IncomeCategories(categories),
            Body::HighCostMonths(months),
        ];
        if !judgements.is_empty() {
            bodies.push(Body::ContinuityJudgements(
                judgements.into_values().collect(),
            ));
        }

        // Build every file before writing any: a field that does not fit
        // refuses the extract whole.
        let mut built = Vec::with_capacity(bodies.len());
        for body in bodies {
            let file = FederationFile {
                header: header.clone(),
                body,
            };
            let layout = file.layout().map_err(layout_setup)?;
            let name = file.file_name().map_err(layout_setup)?;
            let plain = federation::write(&file).map_err(|e| {
                let who = e.line.checked_sub(2).and_then(|i| who_in(&file.body, i));
                rejected_for(e, who)
            })?;
            built.push(Built {
                layout,
                name,
                plain: zeroize::Zeroizing::new(plain),
                records: file.body.len(),
            });
        }
        let judged_ids = included;
        let files = self
            .send(
                tx,
                "federation",
                built,
                Sending {
                    extract,
                    since_us,
                    as_of_us,
                    out_dir,
                    transfer,
                    purpose,
                    by,
                },
                &judged_ids,
            )
            .await?;
        Ok(ExportReport {
            persons: person_ids,
            extract,
            since: since_us.map(from_us),
            as_of: now,
            files,
        })
    }

    /// Writes built files to the outbox (those holding My Numbers sealed)
    /// and records them in `tx`, committing; on any failure nothing stays
    /// written or recorded.
    async fn send(
        &self,
        mut tx: kokuho_store::Tx,
        counterpart: &str,
        built: Vec<Built>,
        s: Sending<'_>,
        judged_ids: &[(i64, i64)],
    ) -> Result<Vec<SentFile>> {
        let mut sealed_built = Vec::with_capacity(built.len());
        for b in built {
            let sha = hex(&Sha256::digest(b.plain.as_slice()));
            let (name, bytes): (String, Vec<u8>) = if b.layout.carries_my_number {
                let sealed = s
                    .transfer
                    .seal(&b.plain, &b.name)
                    .map_err(|e| setup(e.to_string(), "連携ファイルを暗号化できませんでした"))?;
                (format!("{}.sealed", b.name), sealed)
            } else {
                (b.name.clone(), b.plain.to_vec())
            };
            sealed_built.push((b.records, b.layout, name, bytes, sha));
        }
        std::fs::create_dir_all(s.out_dir).map_err(|e| {
            setup(
                format!("cannot create {}: {e}", s.out_dir.display()),
                "出力先フォルダを作成できません",
            )
        })?;
        let mut written: Vec<PathBuf> = Vec::new();
        let mut files = Vec::new();
        let result: Result<()> = async {
            for (records, layout, name, bytes, sha) in &sealed_built {
                let path = s.out_dir.join(name);
                if path.exists() {
                    return Err(AppError::Conflict {
                        message_en: format!("{} already exists", path.display()),
                        message_ja: format!("{name} はすでにあります"),
                    });
                }
                write_atomically(&path, bytes).map_err(|e| {
                    setup(
                        format!("cannot write {}: {e}", path.display()),
                        "連携ファイルを書き込めません",
                    )
                })?;
                written.push(path.clone());
                let file_id = store::insert_file(
                    &mut tx,
                    &self.insurer,
                    &FileRow {
                        file_id: 0,
                        direction: "sent".into(),
                        counterpart: counterpart.into(),
                        file_kind: layout.key.clone(),
                        file_name: name.clone(),
                        extract: match s.extract {
                            Extract::Full => "full",
                            Extract::Differential => "differential",
                            Extract::Answer => "answer",
                        }
                        .into(),
                        since_us: s.since_us,
                        as_of_us: s.as_of_us,
                        record_count: *records as i64,
                        sha256: sha.clone(),
                        sealed: layout.carries_my_number,
                        purpose: s.purpose.to_string(),
                        outcome: format!("{records} records written"),
                        recorded_us: s.as_of_us,
                        recorded_by: s.by.to_string(),
                    },
                )
                .await?;
                if layout.key == "household_continuity_confirmation" {
                    store::mark_sent(&mut tx, &self.insurer, judged_ids, file_id).await?;
                }
                files.push(SentFile {
                    file_id,
                    kind: layout.key.clone(),
                    name_ja: layout.name_ja.clone(),
                    path,
                    records: *records,
                    sha256: sha.clone(),
                    sealed: layout.carries_my_number,
                });
            }
            Ok(())
        }
        .await;
        let committed = match result {
            Ok(()) => tx.commit().await.map_err(AppError::from),
            Err(e) => Err(e),
        };
        if let Err(e) = committed {
            // Nothing half-sent: the files go with the record.
            for p in &written {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        Ok(files)
    }

    /// 資格情報（世帯） and 資格情報（個人）: every period of the persons whose
    /// record changed (all persons for a full extract), as known at
    /// `as_of_us`, and every household they are or were in, described
    /// whole. `with_numbers` opens the My Numbers (only the files that must
    /// carry them ask).
    pub(crate) async fn eligibility_records(
        &self,
        since_us: Option<i64>,
        as_of_us: i64,
        today: Date,
        with_numbers: bool,
    ) -> Result<EligibilityExtract> {
        let insurer = self.insurer.as_str().to_string();
        let periods = repo::all_periods_known_at(&self.db, &self.insurer, as_of_us).await?;
        let changed = match since_us {
            Some(s) => {
                let mut c = repo::changed_persons(&self.db, &self.insurer, s, as_of_us).await?;
                c.extend(
                    kokuho_store::vault::registered_between(
                        &self.db,
                        &self.insurer,
                        from_us(s),
                        from_us(as_of_us),
                    )
                    .await?,
                );
                Some(c)
            }
            None => None,
        };
        let memberships = repo::all_memberships_known_at(&self.db, &self.insurer, as_of_us).await?;
        let numbers = repo::all_household_numbers(&self.db, &self.insurer).await?;
        let branches = repo::all_branches(&self.db, &self.insurer).await?;
        let persons: HashMap<String, kokuho_domain::addressee::Addressee> =
            kokuho_store::addressee::all_persons(&self.db, &self.insurer)
                .await?
                .into_iter()
                .map(|a| (a.addressee_id.to_string(), a))
                .collect();
        let households: HashMap<String, kokuho_domain::addressee::Household> =
            kokuho_store::addressee::all_households(&self.db, &self.insurer)
                .await?
                .into_iter()
                .map(|h| (h.household_number.to_string(), h))
                .collect();
        let sealed = if with_numbers {
            kokuho_store::vault::sealed_all(&self.db, &self.insurer).await?
        } else {
            HashMap::new()
        };
        let mut by_person: HashMap<&str, Vec<&kokuho_store::eligibility::MembershipVersion>> =
            HashMap::new();
        for m in &memberships {
            by_person
                .entry(m.addressee_id.as_str())
                .or_default()
                .push(m);
        }
        let mut periods_of: HashMap<&str, Vec<&kokuho_store::eligibility::PeriodVersion>> =
            HashMap::new();
        for p in periods.iter().filter(|p| !p.voided) {
            periods_of
                .entry(p.addressee_id.as_str())
                .or_default()
                .push(p);
        }

        let mut out = Vec::new();
        let mut opened: HashMap<String, Option<String>> = HashMap::new();
        // The households to describe: every one a sent person is or was in.
        let mut touched: BTreeSet<String> = BTreeSet::new();
        for p in &periods {
            let id = p.addressee_id.as_str();
            if changed.as_ref().is_some_and(|c| !c.contains(id)) {
                continue;
            }
            let person = persons.get(id).ok_or_else(|| {
                setup(
                    format!("period {} names no addressee", p.period_id),
                    "資格の宛名が見つかりません（データの不整合）",
                )
            })?;
            // The household the person belonged to on the period's last day
            // (today for an open period), else the last one in the period.
            let last_day = p
                .lost_on
                .and_then(|d| d.previous_day())
                .unwrap_or(today)
                .max(p.acquired_on);
            let ms = by_person.get(id).map(Vec::as_slice).unwrap_or(&[]);
            for m in ms {
                touched.insert(m.household_number.to_string());
            }
            // A live period by live memberships; a voided one by the
            // memberships voided with it.
            let eligible =
                |m: &&&kokuho_store::eligibility::MembershipVersion| m.voided == p.voided;
            let member = ms
                .iter()
                .filter(eligible)
                .find(|m| m.valid_from <= last_day && m.valid_to.is_none_or(|t| last_day < t))
                .or_else(|| {
                    ms.iter().filter(eligible).rev().find(|m| {
                        m.valid_from < p.lost_on.unwrap_or(Date::MAX)
                            && m.valid_to.is_none_or(|t| p.acquired_on < t)
                    })
                });
            let household = member
                .map(|m| m.household_number.to_string())
                .unwrap_or_else(|| person.household_number.to_string());
            touched.insert(household.clone());
            let Some((symbol, number)) = numbers.get(&household) else {
                return Err(setup(
                    format!("household {household} has no insured number"),
                    format!("世帯 {household} に被保険者記号番号がありません"),
                ));
            };
            let branch = branches
                .get(&(household.clone(), id.to_string()))
                .cloned()
                .unwrap_or_else(|| "00".into());
            // Opened once a person, whatever the number of their periods.
            let my_number = match opened.get(id) {
                Some(n) => n.clone(),
                None => {
                    let n = match sealed.get(person.integrated_addressee_id.as_str()) {
                        Some(s) => Some(
                            self.keyring
                                .open(s, &insurer, person.integrated_addressee_id.as_str())?
                                .expose()
                                .to_string(),
                        ),
                        None => None,
                    };
                    opened.insert(id.to_string(), n.clone());
                    n
                }
            };
            let householder = households
                .get(&household)
                .is_some_and(|h| h.householder.as_str() == id);
            out.push(PersonRecord {
                change: if p.voided {
                    Change::Remove
                } else {
                    Change::Upsert
                },
                insurer_number: insurer.clone(),
                insured_symbol: symbol.clone(),
                insured_number: number.clone(),
                branch_number: branch,
                household_number: household,
                addressee_id: id.to_string(),
                period_id: p.period_id,
                my_number,
                name: person.name.to_string(),
                name_kana: person.name_kana.to_string(),
                birth_date: person.birth_date,
                sex: person.sex.code() as u8,
                householder,
                acquired_on: p.acquired_on,
                acquisition_reason: acquisition_code(p.acquisition_reason).into(),
                lost_on: p.lost_on,
                loss_reason: p.loss_reason.map(|r| loss_code(r).to_string()),
                exception_kind: if p.student_exception {
                    1
                } else if p.address_exception {
                    3
                } else {
                    0
                },
                previous_insurer: p.previous_insurer_number.clone(),
                next_insurer: p.next_insurer_number.clone(),
            });
        }
        if changed.is_none() {
            touched.extend(numbers.keys().cloned());
        }

        // A household as a whole: the days any member was both in it and
        // insured (membership ∩ period), whoever of them changed.
        let mut spans: HashMap<&str, (Option<Date>, Option<Date>, bool)> = HashMap::new();
        for m in memberships.iter().filter(|m| !m.voided) {
            let h = m.household_number.as_str();
            if !touched.contains(h) {
                continue;
            }
            for p in periods_of
                .get(m.addressee_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                let start = p.acquired_on.max(m.valid_from);
                let end = match (p.lost_on, m.valid_to) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if end.is_some_and(|e| e <= start) {
                    continue;
                }
                let e = spans.entry(h).or_insert((None, None, false));
                e.0 = Some(e.0.map_or(start, |d| d.min(start)));
                match end {
                    None => e.2 = true,
                    Some(end) => e.1 = Some(e.1.map_or(end, |d| d.max(end))),
                }
            }
        }
        let open_persons: BTreeSet<&str> = periods
            .iter()
            .filter(|p| !p.voided && p.acquired_on <= today && p.lost_on.is_none_or(|l| today < l))
            .map(|p| p.addressee_id.as_str())
            .collect();
        let mut hh = Vec::new();
        for number_of in &touched {
            let (Some((symbol, number)), Some(h)) =
                (numbers.get(number_of), households.get(number_of))
            else {
                continue;
            };
            let span = spans.get(number_of.as_str());
            hh.push(HouseholdRecord {
                change: if span.is_some() {
                    Change::Upsert
                } else {
                    Change::Remove
                },
                insurer_number: insurer.clone(),
                insured_symbol: symbol.clone(),
                insured_number: number.clone(),
                household_number: number_of.clone(),
                householder_addressee_id: h.householder.to_string(),
                nominal_householder: !open_persons.contains(h.householder.as_str()),
                // 7 digits, as the layout holds it
                postal_code: h.postal_code.replace('-', ""),
                address: h.address.clone(),
                insured_from: span.and_then(|s| s.0),
                insured_until: span.and_then(|s| if s.2 { None } else { s.1 }),
            });
        }
        Ok(EligibilityExtract {
            households: hh,
            persons: out,
            registry_persons: persons,
            registry_households: households,
            numbers,
        })
    }

    /// 世帯所得区分情報: the current category versions recorded since the
    /// last send (all of them for a full extract).
    async fn category_records(
        &self,
        since_us: Option<i64>,
        as_of_us: i64,
        numbers: &HashMap<String, (String, String)>,
    ) -> Result<Vec<IncomeCategoryRecord>> {
        let rows = store::burden_changed(&self.db, &self.insurer, since_us, as_of_us).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let Some((symbol, number)) = numbers.get(&r.household_number) else {
                continue;
            };
            let Some(month) = parse_month(&r.month) else {
                continue;
            };
            out.push(IncomeCategoryRecord {
                change: Change::Upsert,
                insurer_number: self.insurer.as_str().to_string(),
                insured_symbol: symbol.clone(),
                insured_number: number.clone(),
                household_number: r.household_number.clone(),
                month,
                under_70: r.category_under_70.as_deref().and_then(Under70::from_label),
                elderly: r.category_70_74.as_deref().and_then(Elderly::from_label),
            });
        }
        Ok(out)
    }

    /// 高額該当情報: high-cost months recorded or voided since the last send.
    async fn high_cost_records(
        &self,
        since_us: Option<i64>,
        as_of_us: i64,
        numbers: &HashMap<String, (String, String)>,
    ) -> Result<Vec<HighCostMonthRecord>> {
        let rows =
            store::high_cost_months_changed(&self.db, &self.insurer, since_us, as_of_us).await?;
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let Some((symbol, number)) = numbers.get(&r.household_number) else {
                continue;
            };
            let Some(month) = parse_month(&r.service_month) else {
                continue;
            };
            let voided = r.voided_us.is_some_and(|v| v <= as_of_us);
            let from = if r.source == "handed_over" {
                r.from_insurer.clone()
            } else {
                None
            };
            // One record a month and source; a month recorded again after a
            // void is sent as it now stands.
            let key = (
                r.household_number.clone(),
                r.service_month.clone(),
                from.clone(),
            );
            if !seen.insert(key.clone()) {
                if !voided {
                    out.retain(|m: &HighCostMonthRecord| {
                        !(m.household_number == key.0
                            && format_month(m.service_month) == key.1
                            && m.handed_over_from == key.2)
                    });
                } else {
                    continue;
                }
            }
            out.push(HighCostMonthRecord {
                change: if voided {
                    Change::Remove
                } else {
                    Change::Upsert
                },
                insurer_number: self.insurer.as_str().to_string(),
                insured_symbol: symbol.clone(),
                insured_number: number.clone(),
                household_number: r.household_number.clone(),
                service_month: month,
                handed_over_from: from,
            });
        }
        Ok(out)
    }

    /// Takes in a file from the federation — its own answers, or the
    /// intermediate server's registration result it relays — all or
    /// nothing, once.
    pub async fn import_from_federation(
        &self,
        file_name: &str,
        bytes: &[u8],
        transfer: Option<&TransferKey>,
        purpose: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<ImportReport> {
        let plain: zeroize::Zeroizing<Vec<u8>> = if kokuho_vault::transfer::is_sealed(bytes) {
            let key = transfer.ok_or_else(|| {
                setup(
                    "the file is sealed: give the transfer key",
                    "暗号化されたファイルです。転送鍵を指定してください",
                )
            })?;
            let inner = file_name.strip_suffix(".sealed").unwrap_or(file_name);
            key.open(bytes, inner).map_err(|e| AppError::Rejected {
                file: file_name.to_string(),
                line: 0,
                field: String::new(),
                reason_en: e.to_string(),
                reason_ja: "暗号化されたファイルを開けません（鍵またはファイル名が違うか、改ざんされています）"
                    .into(),
            })?
        } else {
            zeroize::Zeroizing::new(bytes.to_vec())
        };
        // The intermediate server's results come back through the
        // aggregation system too: the file code says whose layout it is.
        let code = plain
            .get(1..5)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .unwrap_or_default();
        if kokuho_formats::intermediate::layouts()
            .map_err(layout_setup)?
            .file_by_code(&code)
            .is_some()
        {
            return self
                .import_registration_result(
                    file_name,
                    &plain,
                    kokuho_vault::transfer::is_sealed(bytes),
                    purpose,
                    by,
                    now,
                )
                .await;
        }
        let file = federation::read(file_name, &plain).map_err(rejected)?;
        let layout = file.layout().map_err(|e| {
            setup(
                e.to_string(),
                "連携ファイルのレイアウト定義が正しくありません",
            )
        })?;
        let whole = |en: String, ja: String| AppError::Rejected {
            file: file_name.to_string(),
            line: 1,
            field: "ファイル識別".into(),
            reason_en: en,
            reason_ja: ja,
        };
        if layout.direction != Direction::FromFederation {
            return Err(whole(
                format!(
                    "{} is a file the town sends, not one it receives",
                    layout.code
                ),
                format!(
                    "{}は市町村から送るファイルです（取り込めません）",
                    layout.name_ja
                ),
            ));
        }
        if file.header.insurer_number != self.insurer.as_str() {
            return Err(AppError::Rejected {
                file: file_name.to_string(),
                line: 1,
                field: "保険者番号".into(),
                reason_en: "the file is for another insurer".into(),
                reason_ja: "他の保険者あてのファイルです".into(),
            });
        }
        let sha = hex(&Sha256::digest(plain.as_slice()));
        let now_us = to_us(now);
        let mut tx = self.db.begin().await?;
        if let Some((id, name)) = store::received_with_hash(&mut tx, &self.insurer, &sha).await? {
            return Err(AppError::Conflict {
                message_en: format!("this file was already taken in (file {id}, {name})"),
                message_ja: format!("このファイルは取込済みです（受信番号 {id}：{name}）"),
            });
        }
        // The receiving side's households by 記号・番号.
        let numbers = repo::all_household_numbers(&self.db, &self.insurer).await?;
        let by_card: HashMap<(String, String), String> = numbers
            .iter()
            .map(|(h, (s, n))| ((s.clone(), n.clone()), h.clone()))
            .collect();
        let household_of = |line: usize, symbol: &str, number: &str| {
            by_card
                .get(&(symbol.to_string(), number.to_string()))
                .cloned()
                .ok_or_else(|| AppError::Rejected {
                    file: file_name.to_string(),
                    line,
                    field: "被保険者証番号".into(),
                    reason_en: "no household of this insurer has this symbol and number".into(),
                    reason_ja: "この記号番号の世帯がありません".into(),
                })
        };
        let mut subjects = BTreeSet::new();
        let (records, outcome, notices) = match &file.body {
            Body::EligibilityContinuity(rs) => {
                let mut notices = Vec::with_capacity(rs.len());
                let mut candidates = BTreeSet::new();
                for (i, r) in rs.iter().enumerate() {
                    let line = i + 2;
                    let household = household_of(line, &r.insured_symbol, &r.insured_number)?;
                    let id =
                        kokuho_domain::id::AddresseeId::parse(&r.addressee_id).map_err(|_| {
                            AppError::Rejected {
                                file: file_name.to_string(),
                                line,
                                field: "宛名番号".into(),
                                reason_en: "not an addressee number".into(),
                                reason_ja: "宛名番号が正しくありません".into(),
                            }
                        })?;
                    if kokuho_store::addressee::get_person(&self.db, &self.insurer, &id)
                        .await?
                        .is_none()
                    {
                        return Err(AppError::Rejected {
                            file: file_name.to_string(),
                            line,
                            field: "宛名番号".into(),
                            reason_en: "no such person".into(),
                            reason_ja: "この宛名番号の方がいません".into(),
                        });
                    }
                    subjects.insert(r.addressee_id.clone());
                    if r.household_candidate {
                        candidates.insert((household.clone(), r.from_insurer.clone()));
                    }
                    notices.push(NoticeRow {
                        notice_id: 0,
                        received_file_id: 0,
                        addressee_id: r.addressee_id.clone(),
                        household_number: household,
                        insured_symbol: r.insured_symbol.clone(),
                        insured_number: r.insured_number.clone(),
                        branch_number: r.branch_number.clone(),
                        acquired_on: r.acquired_on,
                        from_insurer: r.from_insurer.clone(),
                        from_insured_symbol: r.from_insured_symbol.clone(),
                        from_insured_number: r.from_insured_number.clone(),
                        from_branch_number: r.from_branch_number.clone(),
                        from_lost_on: r.from_lost_on,
                        continuity: match r.continuity {
                            Continuity::Continuous => "continuous",
                            Continuity::Gap => "gap",
                            Continuity::Overlap => "overlap",
                        }
                        .into(),
                        household_candidate: r.household_candidate,
                        judgement: None,
                        judged_on: None,
                        judged_us: None,
                        judged_by: None,
                        sent_file_id: None,
                        recorded_us: now_us,
                        from_householder: r.from_householder,
                        from_nominal_householder: r.from_nominal_householder,
                        from_household_insured: r.from_household_insured,
                    });
                }
                let gaps = rs
                    .iter()
                    .filter(|r| r.continuity != Continuity::Continuous)
                    .count();
                (
                    rs.len(),
                    format!(
                        "{} persons moved in, {} households to judge, {} with a gap or overlap",
                        rs.len(),
                        candidates.len(),
                        gaps
                    ),
                    notices,
                )
            }
            Body::HighCostHandOver(rs) => {
                let mut added = 0;
                let mut known = 0;
                let mut in_file = BTreeSet::new();
                for (i, r) in rs.iter().enumerate() {
                    let household = household_of(i + 2, &r.insured_symbol, &r.insured_number)?;
                    let month = format_month(r.service_month);
                    let existing = kokuho_store::high_cost::household_months(
                        &self.db,
                        &self.insurer,
                        &household,
                    )
                    .await?;
                    // Known already, or earlier in this very file.
                    if existing.iter().any(|m| {
                        m.service_month == month
                            && m.voided_us.is_none()
                            && m.source == "handed_over"
                            && m.from_insurer.as_deref() == Some(r.from_insurer.as_str())
                    }) || !in_file.insert((
                        household.clone(),
                        month.clone(),
                        r.from_insurer.clone(),
                    )) {
                        known += 1;
                        continue;
                    }
                    kokuho_store::high_cost::record_month(
                        &mut tx,
                        &self.insurer,
                        &household,
                        &month,
                        "handed_over",
                        Some(&r.from_insurer),
                        None,
                        now_us,
                        by,
                    )
                    .await?;
                    added += 1;
                    for m in kokuho_store::addressee::household_member_ids(
                        &mut tx,
                        &self.insurer,
                        &kokuho_domain::addressee::HouseholdNumber::parse(&household)
                            .map_err(|e| setup(e.to_string(), "世帯番号が正しくありません"))?,
                    )
                    .await?
                    {
                        subjects.insert(m.to_string());
                    }
                }
                (
                    rs.len(),
                    format!("{added} high-cost months handed over recorded, {known} already known"),
                    Vec::new(),
                )
            }
            _ => {
                return Err(whole(
                    "not a file the town takes in".into(),
                    "取り込めないファイルです".into(),
                ));
            }
        };
        let file_id = store::insert_file(
            &mut tx,
            &self.insurer,
            &FileRow {
                file_id: 0,
                direction: "received".into(),
                counterpart: "federation".into(),
                file_kind: layout.key.clone(),
                file_name: file_name.to_string(),
                extract: "answer".into(),
                since_us: None,
                as_of_us: now_us,
                record_count: records as i64,
                sha256: sha,
                sealed: kokuho_vault::transfer::is_sealed(bytes),
                purpose: purpose.to_string(),
                outcome: outcome.clone(),
                recorded_us: now_us,
                recorded_by: by.to_string(),
            },
        )
        .await?;
        let notices: Vec<NoticeRow> = notices
            .into_iter()
            .map(|mut n| {
                n.received_file_id = file_id;
                n
            })
            .collect();
        store::insert_notices(&mut tx, &self.insurer, &notices).await?;
        tx.commit().await?;
        Ok(ImportReport {
            file_id,
            kind: layout.key.clone(),
            name_ja: layout.name_ja.clone(),
            records,
            outcome,
            subjects: subjects.into_iter().collect(),
        })
    }

    /// The town's judgement of a candidate household: does it continue the
    /// household it was in the other municipality (世帯の継続性)? Sent with
    /// the next extract; until then it can be judged again.
    pub async fn judge_continuity(
        &self,
        household: &str,
        from_insurer: &str,
        continues: bool,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let mut tx = self.db.begin().await?;
        let n = store::judge(
            &mut tx,
            &self.insurer,
            household,
            from_insurer,
            if continues { "continues" } else { "does_not" },
            local_date(now),
            to_us(now),
            by,
        )
        .await?;
        if n == 0 {
            return Err(AppError::NotFound {
                what: "household continuity candidate not yet sent",
                message_ja: "判定を待つ世帯継続の候補がありません（送信済みか、候補ではありません）",
            });
        }
        tx.commit().await?;
        Ok(n)
    }

    pub async fn exchange_files(&self, limit: i64) -> Result<Vec<FileRow>> {
        Ok(store::files(&self.db, &self.insurer, limit).await?)
    }

    pub async fn continuity_notices(&self) -> Result<Vec<NoticeRow>> {
        Ok(store::notices(&self.db, &self.insurer).await?)
    }

    /// kokuho's proposal for each candidate household still to judge, by
    /// (household, municipality moved from), from the notices as read (the
    /// reference criteria, which look at the householder:
    /// `kokuho_domain::household_continuity`). The clerk judges.
    pub async fn continuity_proposals(
        &self,
        notices: &[NoticeRow],
    ) -> Result<BTreeMap<(String, String), kokuho_domain::household_continuity::Proposal>> {
        use kokuho_domain::household_continuity::{Facts, MovedIn, propose};
        let mut groups: BTreeMap<(String, String), Vec<&NoticeRow>> = BTreeMap::new();
        for n in notices
            .iter()
            .filter(|n| n.household_candidate && n.judgement.is_none() && n.sent_file_id.is_none())
        {
            groups
                .entry((n.household_number.clone(), n.from_insurer.clone()))
                .or_default()
                .push(n);
        }
        let mut out = BTreeMap::new();
        for ((household, from), ns) in groups {
            let Some(day) = ns.iter().map(|n| n.acquired_on).min() else {
                continue;
            };
            let mut moved: Vec<MovedIn> = Vec::new();
            for n in &ns {
                if !moved.iter().any(|m| m.addressee_id == n.addressee_id) {
                    moved.push(MovedIn {
                        addressee_id: n.addressee_id.clone(),
                        was_householder: n.from_householder,
                    });
                }
            }
            let facts = Facts {
                moved,
                nominal_before: ns.iter().any(|n| n.from_nominal_householder),
                insured_before: ns
                    .iter()
                    .map(|n| n.from_household_insured)
                    .max()
                    .unwrap_or(0),
                from_households: ns
                    .iter()
                    .map(|n| (&n.from_insured_symbol, &n.from_insured_number))
                    .collect::<BTreeSet<_>>()
                    .len(),
                householder_here: self.householder_on(&household, day).await?,
                members_here: kokuho_store::combined_care::members_on(
                    &self.db,
                    &self.insurer,
                    &household,
                    day,
                    i64::MAX,
                )
                .await?,
            };
            out.insert((household, from), propose(&facts));
        }
        Ok(out)
    }
}

impl crate::session::Session<'_> {
    /// The federation extract under a lawful purpose (the person file holds
    /// My Numbers), logged with every file's name, count and hash.
    pub async fn export_to_federation(
        &self,
        since: Since,
        out_dir: &Path,
        transfer: &TransferKey,
        purpose: Option<&kokuho_domain::access::Purpose>,
        now: OffsetDateTime,
    ) -> Result<ExportReport> {
        use kokuho_domain::access::Permission;
        self.check(Permission::Exchange, purpose, &[], now).await?;
        let purpose_text = purpose.map(|p| p.to_log()).unwrap_or_default();
        let r = self
            .app
            .export_to_federation(
                since,
                out_dir,
                transfer,
                &purpose_text,
                &self.actor.account,
                now,
            )
            .await?;
        let detail = format!(
            "federation {} extract{}: {}",
            match r.extract {
                Extract::Full => "full",
                _ => "differential",
            },
            r.since.map(|s| format!(" since {s}")).unwrap_or_default(),
            r.files
                .iter()
                .map(|f| format!(
                    "{} ({} records, sha256 {}{})",
                    f.path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
                    f.records,
                    f.sha256,
                    if f.sealed { ", sealed" } else { "" }
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
        self.log("exchange_send", logged(&r.persons), purpose, &detail, now)
            .await?;
        Ok(r)
    }

    /// Takes in a file from the federation; logged with the persons it
    /// concerns.
    pub async fn import_from_federation(
        &self,
        file_name: &str,
        bytes: &[u8],
        transfer: Option<&TransferKey>,
        purpose: Option<&kokuho_domain::access::Purpose>,
        now: OffsetDateTime,
    ) -> Result<ImportReport> {
        use kokuho_domain::access::Permission;
        self.check(Permission::Exchange, purpose, &[], now).await?;
        let purpose_text = purpose.map(|p| p.to_log()).unwrap_or_default();
        let r = self
            .app
            .import_from_federation(
                file_name,
                bytes,
                transfer,
                &purpose_text,
                &self.actor.account,
                now,
            )
            .await?;
        self.log(
            "exchange_receive",
            &r.subjects,
            purpose,
            &format!("{file_name} ({}): {}", r.kind, r.outcome),
            now,
        )
        .await?;
        Ok(r)
    }

    /// Records the town's judgement of a candidate household.
    pub async fn judge_continuity(
        &self,
        household: &str,
        from_insurer: &str,
        continues: bool,
        purpose: Option<&kokuho_domain::access::Purpose>,
        now: OffsetDateTime,
    ) -> Result<u64> {
        use kokuho_domain::access::Permission;
        self.check(Permission::Exchange, purpose, &[], now).await?;
        let n = self
            .app
            .judge_continuity(household, from_insurer, continues, &self.actor.account, now)
            .await?;
        let members = self.app.household(household).await?.members;
        let ids: Vec<String> = members.iter().map(|a| a.addressee_id.to_string()).collect();
        self.log(
            "continuity_judge",
            &ids,
            purpose,
            &format!(
                "household {household} from {from_insurer}: {}",
                if continues {
                    "continues"
                } else {
                    "does not continue"
                }
            ),
            now,
        )
        .await?;
        Ok(n)
    }

    /// The files sent and received, and the moved-in persons with their
    /// households' judgements.
    /// An extract written as a job of the jobs page (`FederationExport` or
    /// `IntermediateExport`), into the setup's outbox, sealed with its key;
    /// the job records the files or why there are none.
    pub async fn export_as_job(
        &self,
        job: &crate::jobs::Job,
        since: Since,
        purpose: Option<&kokuho_domain::access::Purpose>,
        now: OffsetDateTime,
    ) -> Result<ExportReport> {
        use crate::jobs::JobKind;
        let counterpart = match job.kind {
            JobKind::FederationExport => "federation",
            _ => {
                Self::same_kind(job, JobKind::IntermediateExport)?;
                "intermediate"
            }
        };
        let r = async {
            let setup = self.app.exchange_setup.clone().ok_or_else(no_setup)?;
            let key = setup.key()?;
            let out = setup.outbox(counterpart);
            if counterpart == "federation" {
                self.export_to_federation(since, &out, &key, purpose, now)
                    .await
            } else {
                self.export_to_intermediate(since, &out, &key, purpose, now)
                    .await
            }
        }
        .await;
        self.end_job(job, counterpart, &r, |r| {
            let records: usize = r.files.iter().map(|f| f.records).sum();
            let names: Vec<String> = r
                .files
                .iter()
                .filter_map(|f| f.path.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            (
                format!(
                    "{} extract: {} files, {records} records: {}",
                    if r.extract == Extract::Full {
                        "full"
                    } else {
                        "differential"
                    },
                    r.files.len(),
                    names.join(", ")
                ),
                format!(
                    "{}：{}ファイル・{records}件を送信フォルダに作成しました（{}）",
                    if r.extract == Extract::Full {
                        "全件"
                    } else {
                        "差分"
                    },
                    r.files.len(),
                    names.join("、")
                ),
            )
        })
        .await?;
        r
    }

    /// A received file taken in as a job of the jobs page (sealed files
    /// opened with the setup's key).
    pub async fn import_as_job(
        &self,
        job: &crate::jobs::Job,
        name: &str,
        bytes: &[u8],
        purpose: Option<&kokuho_domain::access::Purpose>,
        now: OffsetDateTime,
    ) -> Result<ImportReport> {
        Self::same_kind(job, crate::jobs::JobKind::ExchangeImport)?;
        let r = async {
            let key = match &self.app.exchange_setup {
                Some(s) => Some(s.key()?),
                None if kokuho_vault::transfer::is_sealed(bytes) => return Err(no_setup()),
                None => None,
            };
            self.import_from_federation(name, bytes, key.as_ref(), purpose, now)
                .await
        }
        .await;
        self.end_job(job, name, &r, |r| {
            (
                format!("{}: {} records: {}", r.kind, r.records, r.outcome),
                format!(
                    "{}：{}件を取り込みました（{}）",
                    r.name_ja, r.records, r.outcome
                ),
            )
        })
        .await?;
        r
    }

    pub async fn exchange_records(
        &self,
        purpose: Option<&kokuho_domain::access::Purpose>,
        now: OffsetDateTime,
    ) -> Result<(Vec<FileRow>, Vec<NoticeRow>)> {
        use kokuho_domain::access::Permission;
        self.check(Permission::Exchange, purpose, &[], now).await?;
        let files = self.app.exchange_files(500).await?;
        let notices = self.app.continuity_notices().await?;
        let ids: BTreeSet<String> = notices.iter().map(|n| n.addressee_id.clone()).collect();
        self.log(
            "exchange_read",
            &ids.into_iter().collect::<Vec<_>>(),
            purpose,
            &format!("{} files, {} notices", files.len(), notices.len()),
            now,
        )
        .await?;
        Ok((files, notices))
    }
}

/// The refusal when the server has no exchange folder and transfer key.
pub fn no_setup() -> AppError {
    AppError::Setup {
        message_en: "exchange files are not set up for the server: start it with --exchange-dir and --transfer-key".into(),
        message_ja: "連携ファイルの送信フォルダと転送鍵が設定されていません（運用担当に連絡してください）".into(),
    }
}

/// The online answer's loss reason for the aggregation system's code.
fn online_loss_reason(code: &str) -> &'static str {
    match code {
        "44" => "01",
        "43" => "02",
        "42" | "51" => "03",
        _ => "99",
    }
}

impl Kokuho {
    /// The eligibility history for online eligibility (資格履歴情報): every
    /// period of the persons changed since the last send (all at first),
    /// with copay, limit category and the 個人番号 that obtains the
    /// 機関別符号, sealed in the outbox, recorded.
    pub async fn export_to_intermediate(
        &self,
        since: Since,
        out_dir: &Path,
        transfer: &TransferKey,
        purpose: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<ExportReport> {
        use kokuho_domain::burden::{AgeGroup, age_group, copay_percent_in};
        use kokuho_domain::eligibility::YearMonth;
        use kokuho_formats::intermediate::{self, HistoryRecord, IntermediateFile};
        let (since_us, as_of_us, extract) = self.window(since, "intermediate", now).await?;
        let today = local_date(now);
        let month = YearMonth::from_date(today);
        // The registry as the extract read it: not read a second time.
        let EligibilityExtract {
            persons: persons_out,
            registry_persons: persons,
            registry_households: households,
            ..
        } = self
            .eligibility_records(since_us, as_of_us, today, true)
            .await?;
        let burden =
            kokuho_store::burden::current_for_month(&self.db, &self.insurer, &format_month(month))
                .await?;
        let person_ids: Vec<String> = persons_out
            .iter()
            .map(|p| p.addressee_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut records = Vec::with_capacity(persons_out.len());
        for p in persons_out {
            let person = persons.get(&p.addressee_id);
            let householder_name = households
                .get(&p.household_number)
                .and_then(|h| persons.get(h.householder.as_str()))
                .map(|a| a.name.to_string())
                .unwrap_or_default();
            let group = age_group(p.birth_date, month);
            let b = burden.get(&p.household_number);
            let limit_category = b.and_then(|b| {
                if group == AgeGroup::Elderly {
                    b.category_70_74
                        .as_deref()
                        .and_then(Elderly::from_label)
                        .map(|c| federation::elderly_code(c).to_string())
                } else {
                    b.category_under_70
                        .as_deref()
                        .and_then(Under70::from_label)
                        .map(|c| federation::under_70_code(c).to_string())
                }
            });
            records.push(HistoryRecord {
                change: p.change,
                insurer_number: p.insurer_number,
                insured_symbol: p.insured_symbol,
                insured_number: p.insured_number,
                branch_number: p.branch_number,
                addressee_id: p.addressee_id.clone(),
                period_id: p.period_id,
                my_number: p.my_number,
                name: p.name,
                name_kana: p.name_kana,
                sex: p.sex,
                birth_date: p.birth_date,
                postal_code: person
                    .map(|a| a.postal_code.replace('-', ""))
                    .unwrap_or_default(),
                address: person.map(|a| a.address.clone()).unwrap_or_default(),
                householder_name,
                valid_from: p.acquired_on,
                valid_until: p.lost_on,
                loss_reason: p
                    .loss_reason
                    .as_deref()
                    .map(|c| online_loss_reason(c).to_string()),
                preschool: group == AgeGroup::Preschool,
                copay_percent: b
                    .and_then(|b| copay_percent_in(&b.copay_rates, &p.addressee_id))
                    .filter(|c| *c == 20 || *c == 30),
                limit_category,
            });
        }
        let file = IntermediateFile {
            header: intermediate::header(
                self.insurer.as_str(),
                local(now),
                extract,
                since_us.map(|s| local(from_us(s))),
            ),
            body: kokuho_formats::intermediate::Body::Histories(records),
        };
        let layout = file.layout().map_err(layout_setup)?;
        let name = file.file_name().map_err(layout_setup)?;
        let plain = intermediate::write(&file).map_err(|e| {
            let who = e.line.checked_sub(2).and_then(|i| match &file.body {
                kokuho_formats::intermediate::Body::Histories(r) => r
                    .get(i)
                    .map(|r| ("person", "宛名番号", r.addressee_id.clone())),
                kokuho_formats::intermediate::Body::Results(_) => None,
            });
            rejected_for(e, who)
        })?;
        let built = vec![Built {
            layout,
            name,
            plain: zeroize::Zeroizing::new(plain),
            records: file.body.len(),
        }];
        let tx = self.db.begin().await?;
        let files = self
            .send(
                tx,
                "intermediate",
                built,
                Sending {
                    extract,
                    since_us,
                    as_of_us,
                    out_dir,
                    transfer,
                    purpose,
                    by,
                },
                &[],
            )
            .await?;
        Ok(ExportReport {
            persons: person_ids,
            extract,
            since: since_us.map(from_us),
            as_of: now,
            files,
        })
    }

    /// Takes in the intermediate server's registration result (資格履歴登録
    /// 結果): per period, registered or refused with the server's code, and
    /// whether the 機関別符号 was obtained. All or nothing, once.
    async fn import_registration_result(
        &self,
        file_name: &str,
        plain: &[u8],
        sealed: bool,
        purpose: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<ImportReport> {
        use kokuho_formats::intermediate::{self, Body as IBody};
        let file = intermediate::read(file_name, plain).map_err(rejected)?;
        let layout = file.layout().map_err(layout_setup)?;
        if layout.direction.from_town() {
            return Err(AppError::Rejected {
                file: file_name.to_string(),
                line: 1,
                field: "ファイル識別".into(),
                reason_en: format!(
                    "{} is a file the town sends, not one it receives",
                    layout.code
                ),
                reason_ja: format!(
                    "{}は市町村から送るファイルです（取り込めません）",
                    layout.name_ja
                ),
            });
        }
        if file.header.insurer_number != self.insurer.as_str() {
            return Err(AppError::Rejected {
                file: file_name.to_string(),
                line: 1,
                field: "保険者番号".into(),
                reason_en: "the file is for another insurer".into(),
                reason_ja: "他の保険者あてのファイルです".into(),
            });
        }
        let IBody::Results(rs) = &file.body else {
            return Err(setup("not a result file", "取り込めないファイルです"));
        };
        // Every result names a period of ours, once.
        let periods: BTreeSet<(String, i64)> =
            repo::all_periods_known_at(&self.db, &self.insurer, kokuho_store::eligibility::NOW)
                .await?
                .into_iter()
                .map(|p| (p.addressee_id.to_string(), p.period_id))
                .collect();
        let mut seen = BTreeSet::new();
        for (i, r) in rs.iter().enumerate() {
            let bad = |field: &str, en: &str, ja: &str| AppError::Rejected {
                file: file_name.to_string(),
                line: i + 2,
                field: field.to_string(),
                reason_en: en.to_string(),
                reason_ja: ja.to_string(),
            };
            if kokuho_domain::id::AddresseeId::parse(&r.addressee_id).is_err() {
                return Err(bad(
                    "宛名番号",
                    "not an addressee number",
                    "宛名番号が正しくありません",
                ));
            }
            let key = (r.addressee_id.clone(), r.period_id);
            if !periods.contains(&key) {
                return Err(bad(
                    "資格履歴番号",
                    "no such period of this insurer",
                    "この宛名番号・資格履歴番号の資格がありません",
                ));
            }
            if !seen.insert(key) {
                return Err(bad(
                    "資格履歴番号",
                    "the same period twice in the file",
                    "同じ資格の結果が2回あります",
                ));
            }
        }
        let sha = hex(&Sha256::digest(plain));
        let now_us = to_us(now);
        let mut tx = self.db.begin().await?;
        if let Some((id, name)) = store::received_with_hash(&mut tx, &self.insurer, &sha).await? {
            return Err(AppError::Conflict {
                message_en: format!("this file was already taken in (file {id}, {name})"),
                message_ja: format!("このファイルは取込済みです（受信番号 {id}：{name}）"),
            });
        }
        let refused = rs.iter().filter(|r| !r.ok).count();
        let coded = rs.iter().filter(|r| r.agency_code_obtained).count();
        let outcome = format!(
            "{} periods: {} registered, {refused} refused, {coded} with the agency code",
            rs.len(),
            rs.len() - refused
        );
        let file_id = store::insert_file(
            &mut tx,
            &self.insurer,
            &FileRow {
                file_id: 0,
                direction: "received".into(),
                counterpart: "intermediate".into(),
                file_kind: layout.key.clone(),
                file_name: file_name.to_string(),
                extract: "answer".into(),
                since_us: None,
                as_of_us: now_us,
                record_count: rs.len() as i64,
                sha256: sha,
                sealed,
                purpose: purpose.to_string(),
                outcome: outcome.clone(),
                recorded_us: now_us,
                recorded_by: by.to_string(),
            },
        )
        .await?;
        let rows: Vec<store::RegistrationRow> = rs
            .iter()
            .map(|r| store::RegistrationRow {
                addressee_id: r.addressee_id.clone(),
                period_id: r.period_id,
                result_file_id: file_id,
                ok: r.ok,
                error_code: r.error_code.clone(),
                agency_code_obtained: r.agency_code_obtained,
                recorded_us: now_us,
            })
            .collect();
        store::insert_registrations(&mut tx, &self.insurer, &rows).await?;
        tx.commit().await?;
        Ok(ImportReport {
            file_id,
            kind: layout.key.clone(),
            name_ja: layout.name_ja.clone(),
            records: rs.len(),
            outcome,
            subjects: rs
                .iter()
                .map(|r| r.addressee_id.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        })
    }

    /// Every change of eligibility accepted on or after `from` and where it
    /// stands against the registration deadline (sent in time, late, due,
    /// overdue), the oldest first.
    pub async fn online_registration_due(
        &self,
        from: Date,
        now: OffsetDateTime,
    ) -> Result<Vec<DueChange>> {
        use kokuho_domain::online_eligibility::{DeadlineRules, standing};
        let rules = DeadlineRules::shipped().map_err(|e| {
            setup(
                e.to_string(),
                "オンライン資格確認の期限の定義が正しくありません",
            )
        })?;
        let from_us = to_us(from.midnight().assume_offset(jst()));
        let changes = store::versions_recorded_since(&self.db, &self.insurer, from_us).await?;
        let sends = store::sends(
            &self.db,
            &self.insurer,
            "intermediate",
            "eligibility_history",
        )
        .await?;
        let today = local_date(now);
        // The server's results: a period it refused is not registered.
        let mut results: HashMap<(String, i64), Vec<(i64, bool)>> = HashMap::new();
        for r in store::all_registrations(&self.db, &self.insurer).await? {
            results
                .entry((r.addressee_id, r.period_id))
                .or_default()
                .push((r.recorded_us, r.ok));
        }
        let mut out = Vec::with_capacity(changes.len());
        for c in changes {
            let accepted_on = local_date(from_us_dt(c.recorded_us));
            let Some(due_by) = rules.due_by(accepted_on) else {
                continue;
            };
            // The sends whose extracts covered the change, oldest first;
            // the first one the server did not refuse (no refusal among the
            // results recorded before the next covering send) registered it.
            let covering: Vec<i64> = sends
                .iter()
                .filter(|s| {
                    s.as_of_us >= c.recorded_us && s.since_us.is_none_or(|x| x < c.recorded_us)
                })
                .map(|s| s.recorded_us)
                .collect();
            let rs = results.get(&(c.addressee_id.clone(), c.period_id));
            let sent = covering
                .iter()
                .enumerate()
                .find(|(k, at)| {
                    let next = covering.get(k + 1).copied().unwrap_or(i64::MAX);
                    rs.is_none_or(|rs| {
                        !rs.iter()
                            .any(|(when, ok)| *when >= **at && *when < next && !ok)
                    })
                })
                .map(|(_, at)| *at);
            let sent_on = sent.map(|s| local_date(from_us_dt(s)));
            out.push(DueChange {
                addressee_id: c.addressee_id,
                period_id: c.period_id,
                change_kind: c.change_kind,
                accepted_on,
                due_by,
                sent_on,
                standing: standing(due_by, sent_on, today),
            });
        }
        Ok(out)
    }
}

fn from_us_dt(us: i64) -> OffsetDateTime {
    from_us(us)
}

/// A change of eligibility against the registration deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueChange {
    pub addressee_id: String,
    pub period_id: i64,
    pub change_kind: String,
    pub accepted_on: Date,
    pub due_by: Date,
    pub sent_on: Option<Date>,
    pub standing: kokuho_domain::online_eligibility::Standing,
}

impl crate::session::Session<'_> {
    /// The eligibility history for online eligibility, under its lawful
    /// purpose (it carries the 個人番号 for the 機関別符号).
    pub async fn export_to_intermediate(
        &self,
        since: Since,
        out_dir: &Path,
        transfer: &TransferKey,
        purpose: Option<&kokuho_domain::access::Purpose>,
        now: OffsetDateTime,
    ) -> Result<ExportReport> {
        use kokuho_domain::access::Permission;
        self.check(Permission::Exchange, purpose, &[], now).await?;
        let purpose_text = purpose.map(|p| p.to_log()).unwrap_or_default();
        let r = self
            .app
            .export_to_intermediate(
                since,
                out_dir,
                transfer,
                &purpose_text,
                &self.actor.account,
                now,
            )
            .await?;
        let detail = format!(
            "intermediate-server eligibility history: {}",
            r.files
                .iter()
                .map(|f| format!(
                    "{} ({} records, sha256 {}, sealed)",
                    f.path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
                    f.records,
                    f.sha256
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
        self.log("exchange_send", logged(&r.persons), purpose, &detail, now)
            .await?;
        Ok(r)
    }

    /// Changes of eligibility against the registration deadline.
    pub async fn online_registration_due(
        &self,
        from: Date,
        purpose: Option<&kokuho_domain::access::Purpose>,
        now: OffsetDateTime,
    ) -> Result<Vec<DueChange>> {
        use kokuho_domain::access::Permission;
        self.check(Permission::Exchange, purpose, &[], now).await?;
        let r = self.app.online_registration_due(from, now).await?;
        let subjects: Vec<String> = r
            .iter()
            .map(|c| c.addressee_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let overdue = r
            .iter()
            .filter(|c| c.standing == kokuho_domain::online_eligibility::Standing::Overdue)
            .count();
        self.log(
            "exchange_read",
            logged(&subjects),
            purpose,
            &format!(
                "online registration since {from}: {} changes, {overdue} overdue",
                r.len()
            ),
            now,
        )
        .await?;
        Ok(r)
    }
}

/// The persons an access record names: every one, up to a bulk extract's
/// size, beyond which the record names the file (its hash) instead, like
/// the eligibility export.
fn logged(persons: &[String]) -> &[String] {
    const BULK: usize = 50_000;
    if persons.len() > BULK { &[] } else { persons }
}
