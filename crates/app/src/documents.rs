//! Printed documents (帳票): what each kind says, drawn from the records of
//! the day it is issued; the issuance history; and batches that issue one
//! kind to every resident concerned, resumable after a crash without
//! issuing anyone twice.
//!
//! A document's values are kept with its issue, so a reprint draws exactly
//! what the first print drew (the same bytes: nothing in a PDF depends on
//! the clock).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kokuho_domain::addressee::Sex;
use kokuho_domain::burden::{self, AgeGroup, Elderly, Under70};
use kokuho_domain::certificate;
use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::id::AddresseeId;
use kokuho_domain::wareki;
use kokuho_pdf::{Engine, Fonts, Layout, Page, Values};
use kokuho_store::document::{self as repo, BatchRow, IssueRow};
use kokuho_store::eligibility::InsuredRow;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use crate::eligibility::to_us;
use crate::{AppError, Kokuho, Result, jst};

/// The kinds of document kokuho prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// 資格確認書
    EligibilityCertificate,
    /// 資格情報のお知らせ
    EligibilityNotice,
    /// 限度額適用認定証 / 限度額適用・標準負担額減額認定証
    LimitCertificate,
    /// 支給決定通知書 / 不支給決定通知書
    BenefitDecision,
    /// 国民健康保険税 納税通知書
    LevyNotice,
    /// 高額療養費 支給申請のお知らせ (申請勧奨)
    HighCostRecommendation,
    /// 特定疾病療養受療証
    SpecifiedDiseaseCertificate,
    /// 自己負担額証明書 (高額介護合算療養費)
    SelfPayCertificate,
    /// 返納通知書 (a recovery of a benefit paid above a later decision)
    RecoveryNotice,
    /// 高額介護合算療養費 支給額計算結果連絡票 (to the care insurer)
    CombinedCareResult,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 10] = [
        DocumentKind::EligibilityCertificate,
        DocumentKind::EligibilityNotice,
        DocumentKind::LimitCertificate,
        DocumentKind::SpecifiedDiseaseCertificate,
        DocumentKind::BenefitDecision,
        DocumentKind::LevyNotice,
        DocumentKind::HighCostRecommendation,
        DocumentKind::SelfPayCertificate,
        DocumentKind::RecoveryNotice,
        DocumentKind::CombinedCareResult,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::EligibilityCertificate => "eligibility-certificate",
            DocumentKind::EligibilityNotice => "eligibility-notice",
            DocumentKind::LimitCertificate => "limit-certificate",
            DocumentKind::BenefitDecision => "benefit-decision",
            DocumentKind::LevyNotice => "levy-notice",
            DocumentKind::HighCostRecommendation => "high-cost-recommendation",
            DocumentKind::SpecifiedDiseaseCertificate => "specified-disease-certificate",
            DocumentKind::SelfPayCertificate => "self-pay-certificate",
            DocumentKind::RecoveryNotice => "recovery-notice",
            DocumentKind::CombinedCareResult => "combined-care-result",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        Self::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            DocumentKind::EligibilityCertificate => "資格確認書",
            DocumentKind::EligibilityNotice => "資格情報のお知らせ",
            DocumentKind::LimitCertificate => "限度額適用認定証",
            DocumentKind::BenefitDecision => "給付の決定通知書",
            DocumentKind::LevyNotice => "保険税の納税通知書",
            DocumentKind::HighCostRecommendation => "高額療養費の申請のお知らせ",
            DocumentKind::SpecifiedDiseaseCertificate => "特定疾病療養受療証",
            DocumentKind::SelfPayCertificate => "自己負担額証明書",
            DocumentKind::RecoveryNotice => "返納通知書",
            DocumentKind::CombinedCareResult => "支給額計算結果連絡票",
        }
    }

    /// The prefix of the numbers this kind's issues carry.
    fn number_prefix(self) -> &'static str {
        match self {
            DocumentKind::EligibilityCertificate => "EC",
            DocumentKind::EligibilityNotice => "EN",
            DocumentKind::LimitCertificate => "LC",
            DocumentKind::BenefitDecision => "BD",
            DocumentKind::LevyNotice => "LN",
            DocumentKind::HighCostRecommendation => "HR",
            DocumentKind::SpecifiedDiseaseCertificate => "SD",
            DocumentKind::SelfPayCertificate => "SP",
            DocumentKind::RecoveryNotice => "RN",
            DocumentKind::CombinedCareResult => "CR",
        }
    }

    /// Whether a batch can issue this kind (the yearly renewal).
    pub fn batchable(self) -> bool {
        matches!(
            self,
            DocumentKind::EligibilityCertificate | DocumentKind::LevyNotice
        )
    }

    /// Whether the subject is a benefit application rather than a person.
    pub fn about_application(self) -> bool {
        matches!(self, DocumentKind::BenefitDecision)
    }

    /// Whether the subject is a household's levy for a fiscal year.
    pub fn about_levy(self) -> bool {
        matches!(self, DocumentKind::LevyNotice)
    }

    /// Whether the subject is a household's high-cost month.
    pub fn about_high_cost(self) -> bool {
        matches!(self, DocumentKind::HighCostRecommendation)
    }

    /// Whether the subject is a person's year (August to July).
    pub fn about_year(self) -> bool {
        matches!(
            self,
            DocumentKind::SelfPayCertificate | DocumentKind::CombinedCareResult
        )
    }

    /// Whether the subject is a recovery (返納金).
    pub fn about_recovery(self) -> bool {
        matches!(self, DocumentKind::RecoveryNotice)
    }

    /// Whether the subject is a person.
    pub fn about_person(self) -> bool {
        !self.about_application()
            && !self.about_levy()
            && !self.about_high_cost()
            && !self.about_year()
            && !self.about_recovery()
    }
}

/// What a document is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Person(AddresseeId),
    Application(i64),
    /// a household's levy (世帯番号) for a fiscal year
    Levy {
        household: String,
        fiscal_year: i64,
    },
    /// a person's year of August `year` to July (高額介護合算)
    PersonYear {
        person: AddresseeId,
        year: i32,
    },
    /// a household's high-cost month (世帯番号, YYYY-MM)
    HighCost {
        household: String,
        service_month: String,
    },
    /// a recovery (返納金) by its number
    Recovery(i64),
}

/// Choices made at the counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IssueOptions {
    /// print the 限度区分 on the 資格確認書 (任意記載事項, on request)
    pub with_limit_category: bool,
}

/// A document ready to record: its values and validity.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub kind: DocumentKind,
    /// whom it is addressed to (the issuance history's person)
    pub addressee_id: String,
    /// everyone whose information it prints, for the access record
    pub subjects: Vec<String>,
    pub values: Values,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

/// An issued document: its record and its PDF.
#[derive(Clone, Debug)]
pub struct Issued {
    pub issue: IssueView,
    pub pdf: Vec<u8>,
    /// everyone whose information it prints, for the access record
    pub subjects: Vec<String>,
}

/// One entry of the issuance history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueView {
    pub issue_id: i64,
    pub kind: String,
    pub kind_label: &'static str,
    pub document_number: String,
    pub addressee_id: String,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub issued_on: Date,
    pub issued_by: String,
    pub reprint_of: Option<i64>,
    pub batch_id: Option<i64>,
    pub sha256: String,
    pub substitutions: String,
    /// 交付済, 返戻, 紛失, 取消
    pub status: &'static str,
    pub status_note: Option<String>,
    /// whether it may be reprinted (in the history only): issued, not
    /// expired, not replaced by a later document of its kind
    pub reprintable: bool,
}

fn status_ja(s: &str) -> &'static str {
    match s {
        "issued" => "交付済",
        "returned" => "返戻",
        "lost" => "紛失",
        "voided" => "取消",
        _ => "不明",
    }
}

fn view(r: &IssueRow) -> IssueView {
    IssueView {
        issue_id: r.issue_id,
        kind: r.kind.clone(),
        kind_label: DocumentKind::parse(&r.kind).map_or("", DocumentKind::label_ja),
        document_number: r.document_number.clone(),
        addressee_id: r.addressee_id.clone(),
        valid_from: r.valid_from,
        valid_to: r.valid_to,
        issued_on: r.issued_on,
        issued_by: r.issued_by.clone(),
        reprint_of: r.reprint_of,
        batch_id: r.batch_id,
        sha256: r.sha256.clone(),
        substitutions: r.substitutions.clone(),
        status: status_ja(&r.status),
        status_note: r.status_note.clone(),
        reprintable: false,
    }
}

/// Whether a later first issue of the same kind (not voided) among the
/// person's `issues` replaces `r` (or the first issue `r` reprints).
fn replaced(r: &IssueRow, issues: &[IssueRow]) -> bool {
    let first = r.reprint_of.unwrap_or(r.issue_id);
    issues.iter().any(|o| {
        o.kind == r.kind && o.reprint_of.is_none() && o.issue_id > first && o.status != "voided"
    })
}

/// Why an issue may not be reprinted on `today`, given the person's later
/// issues of the same kind; None when it may.
fn reprint_refusal(r: &IssueRow, later_first_issue: bool, today: Date) -> Option<&'static str> {
    if r.status == "voided" {
        Some("誤交付として取り消された帳票は再印刷できません")
    } else if r.valid_to.is_some_and(|t| t < today) {
        Some("有効期限を過ぎた帳票は再印刷できません。新しく発行してください")
    } else if later_first_issue {
        Some(
            "より新しい同じ種類の帳票が発行されています。新しいほうを再印刷するか、新しく発行してください",
        )
    } else {
        None
    }
}

/// The shipped forms and the fonts, loaded once per process.
pub struct Printer {
    engine: Engine,
    layouts: HashMap<String, Layout>,
    cover: Layout,
}

/// The process's printer, loaded on first use (fonts are megabytes).
#[derive(Default)]
pub struct PrinterCell(Mutex<Option<Arc<Printer>>>);

impl Printer {
    /// Fonts from `KOKUHO_FONT_DIR` or the system's font folders.
    pub fn load() -> Result<Printer> {
        let dir = std::env::var_os("KOKUHO_FONT_DIR").map(PathBuf::from);
        let fonts = Fonts::locate(dir.as_deref()).map_err(|e| AppError::Setup {
            message_en: e.to_string(),
            message_ja: "帳票用のフォントが見つかりません（システム管理者に連絡してください）"
                .into(),
        })?;
        let layout_err = |e: kokuho_pdf::LayoutError| AppError::Setup {
            message_en: e.to_string(),
            message_ja: "帳票の様式定義に誤りがあります".into(),
        };
        let mut layouts: HashMap<String, Layout> = kokuho_pdf::builtin_layouts()
            .map_err(layout_err)?
            .into_iter()
            .map(|l| (l.kind.clone(), l))
            .collect();
        let cover = layouts
            .remove("batch-cover")
            .ok_or_else(|| AppError::Setup {
                message_en: "no batch-cover layout".into(),
                message_ja: "送付一覧の様式定義がありません".into(),
            })?;
        Ok(Printer {
            engine: Engine::new(fonts),
            layouts,
            cover,
        })
    }

    pub fn layout(&self, kind: DocumentKind) -> Result<&Layout> {
        self.layouts
            .get(kind.code())
            .ok_or_else(|| AppError::Setup {
                message_en: format!("no layout for {}", kind.code()),
                message_ja: "帳票の様式定義がありません".into(),
            })
    }

    /// Draws documents into one PDF; substitutions are returned for the record.
    pub fn render(&self, pages: &[Page<'_>]) -> Result<kokuho_pdf::Rendered> {
        self.engine.render(pages).map_err(|e| AppError::Conflict {
            message_ja: format!("帳票を作成できません: {e}"),
            message_en: e.to_string(),
        })
    }
}

use crate::ja_date as date_ja;

/// "令和8年9月" of a month.
fn month_ja(m: YearMonth) -> Option<String> {
    let d = m.first_day()?;
    let s = wareki::format_date(d).ok()?;
    s.rsplit_once('月').map(|(ym, _)| format!("{ym}月"))
}

/// "八頭・0000311（02）" as the documents print 記号・番号（枝番）.
fn symbol_number_of(r: &InsuredRow) -> String {
    format!(
        "{}・{}（{}）",
        r.insured_symbol.as_deref().unwrap_or_default(),
        r.insured_number.as_deref().unwrap_or_default(),
        r.branch_number.as_deref().unwrap_or_default()
    )
}

fn postal(code: &str) -> String {
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 7 {
        format!("〒{}-{}", &digits[..3], &digits[3..])
    } else {
        format!("〒{code}")
    }
}

fn sex_ja(s: Sex) -> &'static str {
    match s {
        Sex::Male => "男",
        Sex::Female => "女",
        Sex::NotStated => "",
    }
}

fn conflict(en: impl Into<String>, ja: impl Into<String>) -> AppError {
    AppError::Conflict {
        message_en: en.into(),
        message_ja: ja.into(),
    }
}

/// 教示 for a decision on a benefit (国民健康保険法 第91条第1項・第99条・
/// 第103条; 行政不服審査法 第82条, 行政事件訴訟法 第46条). PROVISIONAL
/// wording, composed from prefectures' published guidance; see
/// docs/documents.md.
fn benefit_instruction(prefecture: &str, insurer_name: &str) -> String {
    format!(
        "この処分に不服があるときは、この処分があったことを知った日の翌日から起算して3か月以内に、{prefecture}国民健康保険審査会に対して審査請求をすることができます（国民健康保険法第91条第1項、第99条）。ただし、処分があった日の翌日から起算して1年を経過したときは、正当な理由がある場合を除き、審査請求をすることができません。\n\
         この処分の取消しの訴えは、審査請求に対する裁決があったことを知った日の翌日から起算して6か月以内に、{insurer_name}を被告として（訴訟において{insurer_name}を代表する者は{insurer_name}長となります。）提起することができます。なお、この処分の取消しの訴えは、審査請求に対する裁決を経た後でなければ提起することができません（国民健康保険法第103条）。ただし、審査請求があった日から3か月を経過しても裁決がないとき、処分の執行等により生ずる著しい損害を避けるため緊急の必要があるとき、その他正当な理由があるときは、裁決を経ないで提起することができます。"
    )
}

impl Kokuho {
    /// The process's printer (fonts and forms), loaded on first use.
    pub fn printer(&self) -> Result<Arc<Printer>> {
        let mut slot = self
            .printer
            .0
            .lock()
            .map_err(|_| conflict("printer lock poisoned", "帳票の準備に失敗しました"))?;
        if let Some(p) = slot.as_ref() {
            return Ok(p.clone());
        }
        let p = Arc::new(Printer::load()?);
        *slot = Some(p.clone());
        Ok(p)
    }

    /// A person's insured row on a day (symbol, number, 枝番, the period),
    /// read through their household's membership; None when not insured.
    async fn insured_row(
        &self,
        person: &str,
        household: &kokuho_domain::addressee::HouseholdNumber,
        on: Date,
    ) -> Result<Option<InsuredRow>> {
        let mut found = None;
        kokuho_store::eligibility::for_each_insured_on(
            &self.db,
            &self.insurer,
            on,
            i64::MAX,
            Some(household),
            |row| {
                if row.addressee_id == person {
                    found = Some(row);
                }
                Ok(())
            },
        )
        .await?;
        Ok(found)
    }

    async fn insurer_record(&self) -> Result<kokuho_store::insurer::Insurer> {
        kokuho_store::insurer::get(&self.db, &self.insurer)
            .await?
            .ok_or(AppError::NotFound {
                what: "insurer",
                message_ja: "保険者が登録されていません",
            })
    }

    /// What a document of `kind` about `subject` says as of `on` (the day
    /// whose eligibility, category and rate it states, and from which its
    /// validity runs) when issued on `issued_on`.
    pub async fn prepare_document(
        &self,
        kind: DocumentKind,
        subject: &Subject,
        on: Date,
        issued_on: Date,
        opts: IssueOptions,
    ) -> Result<Prepared> {
        match subject {
            Subject::Application(id) if kind.about_application() => {
                self.prepare_benefit_decision(*id, issued_on).await
            }
            Subject::Levy {
                household,
                fiscal_year,
            } if kind.about_levy() => {
                self.prepare_levy_notice(household, *fiscal_year, issued_on)
                    .await
            }
            Subject::HighCost {
                household,
                service_month,
            } if kind.about_high_cost() => {
                self.prepare_high_cost_recommendation(household, service_month, issued_on)
                    .await
            }
            Subject::PersonYear { person, year } if kind == DocumentKind::CombinedCareResult => {
                self.prepare_combined_care_result(person, *year, issued_on)
                    .await
            }
            Subject::PersonYear { person, year } if kind.about_year() => {
                self.prepare_self_pay_certificate(person, *year, issued_on, i64::MAX)
                    .await
            }
            Subject::Recovery(id) if kind.about_recovery() => {
                self.prepare_recovery_notice(*id, issued_on).await
            }
            Subject::Person(p) if kind.about_person() => {
                self.prepare_person_document(kind, p, on, issued_on, opts)
                    .await
            }
            _ if kind.about_recovery() => Err(AppError::invalid(
                "recovery",
                "this document is about a recovery (返納金)",
                "返納金の番号を指定してください",
            )),
            _ if kind.about_application() => Err(AppError::invalid(
                "application",
                "this document is about a benefit application",
                "申請番号を指定してください",
            )),
            _ if kind.about_year() => Err(AppError::invalid(
                "year",
                "this document is about a person's year (August to July)",
                "宛名番号と計算期間の年（8月の年）を指定してください",
            )),
            _ if kind.about_high_cost() => Err(AppError::invalid(
                "household",
                "this document is about a household's high-cost month",
                "世帯番号と診療年月を指定してください",
            )),
            _ if kind.about_levy() => Err(AppError::invalid(
                "household",
                "this document is about a household's levy for a fiscal year",
                "世帯番号と年度を指定してください",
            )),
            _ => Err(AppError::invalid(
                "person",
                "this document is about a person",
                "宛名番号を指定してください",
            )),
        }
    }

    /// 返納通知書: the benefit, what was paid and is due now, the amount to
    /// repay and by when, addressed to the debtor.
    async fn prepare_recovery_notice(&self, id: i64, issued_on: Date) -> Result<Prepared> {
        let r = kokuho_store::recovery::get(&self.db, &self.insurer, id)
            .await?
            .ok_or(AppError::NotFound {
                what: "recovery",
                message_ja: "該当する返納金がありません",
            })?;
        if r.status == "cancelled" {
            return Err(conflict(
                "the recovery was cancelled",
                "取り消された返納金の通知書は発行できません",
            ));
        }
        let insurer = self.insurer_record().await?;
        let debtor = self.person(&r.debtor_id).await?.person;
        let ja = |m: &str| {
            burden::parse_month(m)
                .and_then(month_ja)
                .unwrap_or_else(|| m.to_string())
        };
        let (kind_label, event) = if r.kind == "high_cost_benefit" {
            (
                "高額療養費",
                format!("世帯番号 {}　{}診療分", r.subject, ja(&r.period)),
            )
        } else if r.kind == "combined_care" {
            let year: i32 = r.period.parse().unwrap_or_default();
            (
                "高額介護合算療養費",
                format!(
                    "世帯番号 {}　{}〜{}",
                    r.subject,
                    ja(&format!("{year}-08")),
                    ja(&format!("{}-07", year + 1))
                ),
            )
        } else {
            let year: i32 = r.period.parse().unwrap_or_default();
            (
                "高額療養費（外来年間合算）",
                format!(
                    "宛名番号 {}　{}〜{}",
                    r.subject,
                    ja(&format!("{year}-08")),
                    ja(&format!("{}-07", year + 1))
                ),
            )
        };
        let mut v = Values::default();
        v.set("postal_code", postal(&debtor.postal_code))
            .set("address", debtor.address.clone())
            .set("addressee", format!("{}　様", debtor.name.as_str()))
            .set("issued_on", date_ja(issued_on))
            .set("issuer", format!("{}長", insurer.name))
            .set(
                "lead",
                "次の給付について、その後の審査により決定額が減ったため、支給した額との差額を返納していただきます。",
            )
            .set("benefit_kind", kind_label)
            .set("event", event)
            .set("paid", format!("{}円", burden::yen(r.paid_total)))
            .set("due", format!("{}円", burden::yen(r.due_total)))
            .set("amount", format!("{}円", burden::yen(r.amount)))
            .set("assessed_on", date_ja(r.assessed_on))
            .set("due_by", date_ja(r.due_by))
            .set("explanation", r.basis.clone())
            .set(
                "how_to_repay",
                format!(
                    "同封の納入通知書により、納期限までに{}の指定金融機関またはその窓口でお納めください。納期限までに返納されないときは督促します。ご不明な点は{}国民健康保険担当へお問い合わせください。",
                    insurer.name, insurer.name
                ),
            );
        Ok(Prepared {
            kind: DocumentKind::RecoveryNotice,
            addressee_id: r.debtor_id.clone(),
            subjects: crate::recovery::persons_of(&r),
            values: v,
            valid_from: None,
            valid_to: None,
        })
    }

    async fn prepare_person_document(
        &self,
        kind: DocumentKind,
        person: &AddresseeId,
        on: Date,
        issued_on: Date,
        opts: IssueOptions,
    ) -> Result<Prepared> {
        let pv = self.person(person.as_str()).await?;
        let p = &pv.person;
        // The insured row of the day: symbol, number, 枝番 and the period.
        let row = self
            .insured_row(person.as_str(), &p.household_number, on)
            .await?
            .ok_or_else(|| {
                conflict(
                    format!("{} is not insured on {on}", person.as_str()),
                    format!("{}時点で国民健康保険の資格がありません", date_ja(on)),
                )
            })?;
        // The age job may not have recorded the loss yet: NHI ends on the
        // 75th birthday whatever the records say (高齢者の医療の確保に関する法律 第52条).
        if kokuho_domain::eligibility::late_elderly_from(p.birth_date).is_some_and(|d| d <= on) {
            return Err(conflict(
                "the person has reached 75 (後期高齢者医療); record the loss first",
                "75歳に到達しているため国民健康保険の資格はありません（年齢到達による喪失の処理をしてください）",
            ));
        }
        let insurer = self.insurer_record().await?;
        let householder_name = match &pv.household {
            Some(h) if h.householder == p.addressee_id => p.name.as_str().to_string(),
            Some(h) => self
                .person(h.householder.as_str())
                .await
                .map(|v| v.person.name.as_str().to_string())
                .map_err(|_| {
                    conflict("the householder cannot be read", "世帯主の宛名を読めません")
                })?,
            None => {
                return Err(conflict(
                    "the person has no household",
                    "世帯が登録されていません",
                ));
            }
        };
        let month = YearMonth::from_date(on);
        let household = row
            .household_number
            .clone()
            .unwrap_or_else(|| p.household_number.as_str().to_string());
        let burden_row = kokuho_store::burden::current(
            &self.db,
            &self.insurer,
            &household,
            &burden::format_month(month),
        )
        .await?;
        let group = burden::age_group(p.birth_date, month);
        let symbol = row.insured_symbol.clone().unwrap_or_default();
        let number = row.insured_number.clone().unwrap_or_default();
        let branch = row.branch_number.clone().unwrap_or_default();
        if number.is_empty() || symbol.is_empty() || branch.is_empty() {
            return Err(conflict(
                "no insured symbol, number or 枝番 assigned",
                "被保険者記号・番号・枝番が付番されていません",
            ));
        }

        let mut v = Values::default();
        v.set("issued_on", date_ja(issued_on))
            .set("insurer_number", self.insurer.as_str())
            .set("insurer_name", insurer.name.clone())
            .set("insured_symbol", symbol.clone())
            .set("insured_number", number.clone())
            .set("branch_number", branch.clone())
            .set("symbol_number", symbol_number_of(&row))
            .set("name", p.name.as_str())
            .set("addressee", format!("{}　様", p.name.as_str()))
            .set("birth_date", date_ja(p.birth_date))
            .set("sex", sex_ja(p.sex))
            .set("acquired_on", date_ja(row.acquired_on))
            .set("householder_name", householder_name)
            .set("postal_code", postal(&p.postal_code))
            .set("address", p.address.clone())
            .set("issuer", format!("{}長", insurer.name));

        let elderly_rate = || -> Result<String> {
            let b = burden_row.as_ref().ok_or_else(|| {
                conflict(
                    format!("burden not judged for {}", burden::format_month(month)),
                    format!(
                        "{}の負担区分が判定されていません",
                        burden::format_month(month)
                    ),
                )
            })?;
            burden::copay_percent_in(&b.copay_rates, person.as_str())
                .map(|pct| format!("{}割", pct / 10))
                .ok_or_else(|| {
                    conflict(
                        "no copay rate for the person",
                        "一部負担金の割合が判定されていません",
                    )
                })
        };
        // 高齢受給者: from the 1st of the month after attaining 70, or the
        // August the rate was judged for, whichever is later.
        let copay_from = || {
            let aug = Date::from_calendar_date(
                burden::income_year_for(month) + 1,
                time::Month::August,
                1,
            )
            .ok();
            let from70 = kokuho_domain::eligibility::elderly_recipient_from(p.birth_date);
            aug.max(from70).max(Some(row.acquired_on)).map(date_ja)
        };

        let (valid_from, valid_to) = match kind {
            DocumentKind::EligibilityCertificate => {
                let to = certificate::eligibility_certificate_valid_to(p.birth_date, on);
                v.set("valid_to", date_ja(to));
                if group == AgeGroup::Elderly {
                    v.set("copay_rate", elderly_rate()?);
                    v.set("copay_from", copay_from().unwrap_or_default());
                } else {
                    v.set("copay_rate", "法定負担割合のとおり");
                }
                if opts.with_limit_category {
                    let label = self.limit_label(burden_row.as_ref(), group, month)?;
                    v.set("limit_category", label);
                    v.set(
                        "limit_from",
                        date_ja(on.replace_day(1).unwrap_or(on).max(row.acquired_on)),
                    );
                }
                (Some(on), Some(to))
            }
            DocumentKind::EligibilityNotice => {
                let to = certificate::eligibility_notice_valid_to(p.birth_date, on);
                if group == AgeGroup::Elderly {
                    v.set("copay_rate", elderly_rate()?);
                } else {
                    v.set("copay_rate", "法定負担割合のとおり");
                }
                if let Some(t) = to {
                    v.set("valid_to", date_ja(t));
                }
                (Some(on), to)
            }
            DocumentKind::LimitCertificate => {
                let b = burden_row.as_ref().ok_or_else(|| {
                    conflict(
                        "burden not judged for the month",
                        format!(
                            "{}の負担区分が判定されていません",
                            burden::format_month(month)
                        ),
                    )
                })?;
                let cert = match group {
                    AgeGroup::Elderly => b
                        .category_70_74
                        .as_deref()
                        .and_then(Elderly::from_label)
                        .and_then(certificate::limit_certificate_70_74),
                    _ => b
                        .category_under_70
                        .as_deref()
                        .and_then(Under70::from_label)
                        .map(certificate::limit_certificate_under_70),
                }
                .ok_or_else(|| {
                    conflict(
                        "the category gets no limit certificate",
                        "この区分の方には限度額適用認定証は交付されません（資格確認書で限度額が適用されます）",
                    )
                })?;
                let (from, to) = certificate::limit_certificate_validity(p.birth_date, on);
                let from = from.max(row.acquired_on);
                v.set("certificate_title", cert.title())
                    .set("limit_category", self.limit_label(Some(b), group, month)?)
                    .set("valid_from", date_ja(from))
                    .set("valid_to", date_ja(to));
                (Some(from), Some(to))
            }
            DocumentKind::SpecifiedDiseaseCertificate => {
                let cert = kokuho_store::specified_disease::of_person(
                    &self.db,
                    &self.insurer,
                    person.as_str(),
                )
                .await?
                .into_iter()
                .find(|c| c.ended_on.is_none_or(|e| e > on))
                .ok_or_else(|| {
                    conflict(
                        "no specified-disease certification in force",
                        "特定疾病の認定がありません（先に認定を登録してください）",
                    )
                })?;
                let label = certificate::SpecifiedDisease::parse(&cert.disease)
                    .map_or("", certificate::SpecifiedDisease::label_ja);
                v.set("disease", label)
                    .set("certified_on", date_ja(cert.certified_on))
                    .set("valid_from", date_ja(cert.valid_from))
                    .set("limit", format!("{}円", burden::yen(cert.limit_yen)));
                (Some(cert.valid_from), None)
            }
            DocumentKind::BenefitDecision
            | DocumentKind::LevyNotice
            | DocumentKind::HighCostRecommendation
            | DocumentKind::SelfPayCertificate
            | DocumentKind::RecoveryNotice
            | DocumentKind::CombinedCareResult => {
                return Err(AppError::invalid(
                    "kind",
                    "this document is not about a person",
                    "この帳票は宛名番号では発行できません",
                ));
            }
        };
        Ok(Prepared {
            kind,
            addressee_id: person.as_str().to_string(),
            subjects: vec![person.as_str().to_string()],
            values: v,
            valid_from,
            valid_to,
        })
    }

    fn limit_label(
        &self,
        b: Option<&kokuho_store::burden::BurdenRow>,
        group: AgeGroup,
        month: YearMonth,
    ) -> Result<String> {
        let b = b.ok_or_else(|| {
            conflict(
                "burden not judged for the month",
                format!(
                    "{}の負担区分が判定されていません",
                    burden::format_month(month)
                ),
            )
        })?;
        let label = match group {
            // 低所得Ⅱ・Ⅰ are printed 区分Ⅱ・区分Ⅰ on the certificates
            AgeGroup::Elderly => b.category_70_74.as_deref().map(|c| match c {
                "低所得Ⅱ" => "区分Ⅱ".to_string(),
                "低所得Ⅰ" => "区分Ⅰ".to_string(),
                other => other.to_string(),
            }),
            _ => b.category_under_70.as_ref().map(|c| format!("区分{c}")),
        };
        label.ok_or_else(|| {
            conflict(
                "no category for the person",
                "限度額の区分が判定されていません",
            )
        })
    }

    async fn prepare_benefit_decision(&self, application_id: i64, on: Date) -> Result<Prepared> {
        let r = kokuho_store::benefit::application(&self.db, &self.insurer, application_id)
            .await?
            .ok_or(AppError::NotFound {
                what: "application",
                message_ja: "該当する申請がありません",
            })?;
        let a = crate::benefit::view(&r);
        let (decision, decided_on) = match (r.decision.as_deref(), r.decided_on) {
            (Some(d), Some(on)) => (d.to_string(), on),
            _ => {
                return Err(conflict(
                    "the application is awaiting its decision",
                    "この申請はまだ決定されていません",
                ));
            }
        };
        let insurer = self.insurer_record().await?;
        let payee = self.person(&a.payee_id).await?.person;
        let subject = self.person(&a.addressee_id).await?.person;
        // The subject's insured number on the event's day.
        let symbol_number = self
            .insured_row(&a.addressee_id, &subject.household_number, a.event_on)
            .await?
            .map(|r| symbol_number_of(&r))
            .unwrap_or_default();
        let pay = decision == "pay";
        // An heir or a proxy is addressed as such, naming whom the law pays.
        let addressee = match &a.entitled_id {
            Some(e) => {
                let entitled = self.person(e).await?.person;
                match a.payee_basis {
                    "heir" => format!(
                        "{}　様（故 {} 様 相続人代表者）",
                        payee.name.as_str(),
                        entitled.name.as_str()
                    ),
                    _ => format!(
                        "{}　様（{} 様 代理人）",
                        payee.name.as_str(),
                        entitled.name.as_str()
                    ),
                }
            }
            None => format!("{}　様", payee.name.as_str()),
        };
        let mut v = Values::default();
        v.set("postal_code", postal(&payee.postal_code))
            .set("address", payee.address.clone())
            .set("addressee", addressee)
            .set("issued_on", date_ja(on))
            .set("issuer", format!("{}長", insurer.name))
            .set(
                "notice_title",
                format!(
                    "国民健康保険{}{}",
                    a.kind_label,
                    if pay {
                        "支給決定通知書"
                    } else {
                        "不支給決定通知書"
                    }
                ),
            )
            .set(
                "lead",
                if pay {
                    "次のとおり支給することに決定しましたので通知します。"
                } else {
                    "次のとおり支給しないことに決定しましたので通知します。"
                },
            )
            .set("symbol_number", symbol_number)
            .set("subject_name", subject.name.as_str())
            .set("benefit_kind", a.kind_label.clone())
            .set("event", date_ja(a.event_on))
            .set("received_on", date_ja(a.received_on))
            .set("decided_on", date_ja(decided_on))
            .set("application_id", a.application_id.to_string())
            .set("subject_id", a.addressee_id.clone())
            .set(
                "instruction",
                benefit_instruction(&insurer.prefecture, &insurer.name),
            );
        if pay {
            v.set("amount", format!("{}円", burden::yen(a.amount)))
                .set(
                    "account",
                    if a.application_account {
                        "申請書に記載の口座"
                    } else {
                        "公金受取口座"
                    },
                )
                .set("explanation", a.steps.join("\n"));
        } else {
            v.set(
                "refusal_reason",
                a.decision_reason.clone().unwrap_or_default(),
            );
        }
        let mut subjects = vec![a.payee_id.clone()];
        for other in [Some(&a.addressee_id), a.entitled_id.as_ref()]
            .into_iter()
            .flatten()
        {
            if !subjects.contains(other) {
                subjects.push(other.clone());
            }
        }
        Ok(Prepared {
            kind: DocumentKind::BenefitDecision,
            addressee_id: a.payee_id.clone(),
            subjects,
            values: v,
            valid_from: None,
            valid_to: None,
        })
    }

    /// 支給額計算結果連絡票 (高額介護合算療養費): what the household of the
    /// person's base date came to, each member's medical and care copays
    /// and shares, for the care insurer (addressed to the insurer of the
    /// care certificate entered). Issued once the year can be computed.
    async fn prepare_combined_care_result(
        &self,
        person: &AddresseeId,
        year: i32,
        issued_on: Date,
    ) -> Result<Prepared> {
        // the year as of the day of issue (its local date is that day)
        let at = issued_on
            .with_hms(12, 0, 0)
            .map(time::PrimitiveDateTime::assume_utc)
            .map_err(|_| AppError::invalid("on", "bad day", "日付が正しくありません"))?;
        let y = self.combined_care_year(person.as_str(), year, at).await?;
        if !y.eligible {
            return Err(conflict(
                "the household's year has no copays on both sides: nothing to tell the care insurer",
                "医療と介護の両方の自己負担額がないため、連絡する計算結果がありません",
            ));
        }
        let care_insurer = y
            .certificates
            .iter()
            .find(|c| c.side == "care" && !c.voided)
            .map(|c| c.issuer.clone())
            .unwrap_or_default();
        let insurer = self.insurer_record().await?;
        let mut v = Values::default();
        let yen_of = |n: i64| format!("{}円", burden::yen(n));
        v.set(
            "addressee",
            format!("介護保険者（保険者番号 {care_insurer}）御中"),
        )
        .set("issued_on", date_ja(issued_on))
        .set("issuer", format!("{}長", insurer.name))
        .set(
            "insurer",
            format!("{}　{}", self.insurer.as_str(), insurer.name),
        )
        .set(
            "household",
            format!(
                "{}　世帯主 {}",
                y.household_number,
                y.householder_id.clone().unwrap_or_default()
            ),
        )
        .set(
            "period",
            format!(
                "{}〜{}（基準日 {}{}）",
                month_ja(YearMonth {
                    year,
                    month: time::Month::August
                })
                .unwrap_or_default(),
                month_ja(YearMonth {
                    year: year + 1,
                    month: time::Month::July
                })
                .unwrap_or_default(),
                date_ja(y.base_date),
                if y.base_date_provisional {
                    "・暫定"
                } else {
                    ""
                }
            ),
        )
        .set(
            "categories",
            format!(
                "70歳未満 {}／70〜74歳 {}",
                y.category_under_70.as_deref().unwrap_or("—"),
                y.category_70_74.as_deref().unwrap_or("—")
            ),
        )
        .set(
            "excess",
            format!(
                "{}{}",
                yen_of(y.excess),
                if y.paid {
                    ""
                } else {
                    "（支給基準額以下のため支給なし）"
                }
            ),
        )
        .set("medical_total", yen_of(y.medical))
        .set("care_total", yen_of(y.care))
        .set(
            "explanation",
            format!(
                "{}{}",
                if y.provisional { "【暫定】" } else { "" },
                y.steps.join("\n")
            ),
        );
        let rows = y
            .members
            .iter()
            .map(|m| {
                BTreeMap::from([
                    ("id".to_string(), m.addressee_id.clone()),
                    (
                        "medical".to_string(),
                        yen_of(m.medical_here + m.medical_other),
                    ),
                    ("care".to_string(), yen_of(m.care)),
                    ("medical_share".to_string(), yen_of(m.medical_share)),
                    ("care_share".to_string(), yen_of(m.care_share)),
                ])
            })
            .collect();
        v.lists.insert("members".into(), rows);
        Ok(Prepared {
            kind: DocumentKind::CombinedCareResult,
            addressee_id: y
                .householder_id
                .clone()
                .unwrap_or_else(|| person.as_str().to_string()),
            subjects: y.persons(),
            values: v,
            valid_from: None,
            valid_to: None,
        })
    }

    /// 自己負担額証明書 (高額介護合算療養費): what the person bore each month
    /// of the year August `year` to July, after the monthly 高額療養費 —
    /// under 70 only the claim units of at least the 合算 floor (21,000 yen)
    /// count, 70–74 every unit — with the 70–74 part shown apart and the
    /// 外来年間合算 benefit taken off; from what every monthly run kept
    /// (`borne_month`). Issued once the period has ended for the person (31
    /// July, or the loss of NHI), and only when every month's latest run holds.
    async fn prepare_self_pay_certificate(
        &self,
        person: &AddresseeId,
        year: i32,
        issued_on: Date,
        known_at_us: i64,
    ) -> Result<Prepared> {
        let first_day = Date::from_calendar_date(year, time::Month::August, 1).map_err(|_| {
            AppError::invalid("year", "year out of range", "年度が正しくありません")
        })?;
        let last_day = Date::from_calendar_date(year + 1, time::Month::July, 31).map_err(|_| {
            AppError::invalid("year", "year out of range", "年度が正しくありません")
        })?;
        let pv = self.person(person.as_str()).await?;
        let p = &pv.person;
        // The person's days insured within the period.
        let periods = self.periods(person, None).await?;
        let mut from: Option<Date> = None;
        let mut to: Option<Date> = None;
        for v in &periods {
            let per = crate::eligibility::as_period(v);
            let start = per.acquired_on.max(first_day);
            let end = per
                .lost_on
                .and_then(|l| l.previous_day())
                .unwrap_or(last_day)
                .min(last_day);
            if start <= end {
                from = Some(from.map_or(start, |f| f.min(start)));
                to = Some(to.map_or(end, |t| t.max(end)));
            }
        }
        let (Some(from), Some(to)) = (from, to) else {
            return Err(conflict(
                "the person was not insured in the period",
                "計算期間中に国民健康保険の資格がありません",
            ));
        };
        if issued_on <= to {
            return Err(conflict(
                format!("the period runs to {to}"),
                format!(
                    "計算期間（{}まで）が終わっていません。期間の終了後に発行してください",
                    date_ja(to)
                ),
            ));
        }
        let first = YearMonth::from_date(first_day);
        let last = YearMonth::from_date(to);
        let runs = self
            .latest_month_runs(first, last, known_at_us, |r| r.borne_recorded)
            .await?;
        let mut unsettled: Vec<String> = runs.missing.clone();
        unsettled.extend(runs.not_recorded.iter().cloned());
        unsettled.extend(runs.stale.iter().map(|(m, _)| m.clone()));
        if !unsettled.is_empty() {
            unsettled.sort();
            return Err(conflict(
                format!(
                    "months without a current high-cost run: {}",
                    unsettled.join(", ")
                ),
                format!(
                    "高額療養費の月次計算が最新でない月があります（{}）。先に月次計算を実行してください",
                    unsettled.join("、")
                ),
            ));
        }
        let ids: Vec<i64> = runs.current.iter().map(|(_, r)| *r).collect();
        let mut by_month: BTreeMap<String, (i64, bool)> = BTreeMap::new();
        for r in kokuho_store::yearly_cap::months_of_runs(&self.db, &self.insurer, &ids).await? {
            if r.addressee_id != person.as_str() {
                continue;
            }
            // A person who changed household in the month has a row in each.
            let e = by_month
                .entry(r.service_month.clone())
                .or_insert((0, false));
            e.0 += (r.aggregated - r.limit_benefit).max(0);
            e.1 |= r.age_group == "70_74";
        }
        let annual = kokuho_store::annual_outpatient::of_year_known_at(
            &self.db,
            &self.insurer,
            i64::from(year),
            known_at_us,
        )
        .await?
        .into_iter()
        .filter(|d| d.addressee_id == person.as_str())
        .map(|d| d.benefit)
        .sum::<i64>();
        let mut rows = Vec::new();
        let (mut total, mut elderly_total) = (0i64, 0i64);
        let mut m = first;
        for _ in 0..12 {
            let key = burden::format_month(m);
            let insured = m >= YearMonth::from_date(from) && m <= last;
            let (amount, elderly) = by_month.get(&key).copied().unwrap_or((0, false));
            let month_ja = month_ja(m).unwrap_or_else(|| key.clone());
            let (a, e) = if insured {
                total += amount;
                if elderly {
                    elderly_total += amount;
                }
                (
                    format!("{}円", burden::yen(amount)),
                    if elderly {
                        format!("{}円", burden::yen(amount))
                    } else {
                        "―".to_string()
                    },
                )
            } else {
                ("（未加入）".to_string(), String::new())
            };
            rows.push(BTreeMap::from([
                ("month".to_string(), month_ja),
                ("amount".to_string(), a),
                ("elderly".to_string(), e),
            ]));
            m = m.next();
        }
        let deducted = annual.min(elderly_total);
        let insurer = self.insurer_record().await?;
        let symbol_number = self
            .insured_row(person.as_str(), &p.household_number, to)
            .await?
            .map(|r| symbol_number_of(&r))
            .unwrap_or_default();
        if symbol_number.is_empty() {
            return Err(conflict(
                "no insured number on the period's last day",
                "計算期間の末日の被保険者記号・番号がありません",
            ));
        }
        let mut v = Values::default();
        v.set("postal_code", postal(&p.postal_code))
            .set("address", p.address.clone())
            .set("addressee", format!("{}　様", p.name.as_str()))
            .set("issued_on", date_ja(issued_on))
            .set("issuer", format!("{}長", insurer.name))
            .set("insurer_number", self.insurer.as_str())
            .set("insurer_name", insurer.name.clone())
            .set("symbol_number", symbol_number)
            .set("name", p.name.as_str())
            .set("birth_date", date_ja(p.birth_date))
            .set(
                "period",
                format!("{}〜{}", date_ja(first_day), date_ja(last_day)),
            )
            .set(
                "insured_period",
                format!("{}〜{}", date_ja(from), date_ja(to)),
            )
            .set("total", format!("{}円", burden::yen(total - deducted)))
            .set(
                "elderly_total",
                format!("{}円", burden::yen(elderly_total - deducted)),
            )
            .set("annual_outpatient", format!("{}円", burden::yen(deducted)));
        v.lists.insert("months".into(), rows);
        Ok(Prepared {
            kind: DocumentKind::SelfPayCertificate,
            addressee_id: person.as_str().to_string(),
            subjects: vec![person.as_str().to_string()],
            values: v,
            valid_from: Some(first_day),
            valid_to: Some(last_day),
        })
    }

    /// 高額療養費 支給申請のお知らせ (申請勧奨): a household's month whose
    /// decision pays more than has been applied for, addressed to the
    /// householder, with the amount, the calculation and the last day to
    /// apply (国民健康保険法 第110条; 民法 第143条).
    async fn prepare_high_cost_recommendation(
        &self,
        household: &str,
        service_month: &str,
        issued_on: Date,
    ) -> Result<Prepared> {
        let month = burden::parse_month(service_month).ok_or_else(|| {
            AppError::invalid(
                "service_month",
                "the service month is YYYY-MM",
                "診療年月はYYYY-MMで指定してください",
            )
        })?;
        let key = burden::format_month(month);
        let decision =
            kokuho_store::high_cost::household_decisions(&self.db, &self.insurer, household)
                .await?
                .into_iter()
                .find(|d| d.service_month == key && d.superseded_us.is_none())
                .ok_or_else(|| {
                    conflict(
                        format!("no high-cost decision for {household} {key}"),
                        "この世帯・診療月の高額療養費の計算結果がありません",
                    )
                })?;
        let first = month
            .first_day()
            .ok_or_else(|| conflict("not a month", "診療年月が正しくありません"))?;
        let (paid, waiting) =
            kokuho_store::benefit::high_cost_applied(&self.db, &self.insurer, household, first)
                .await?;
        let due = decision.refund - paid;
        if waiting > 0 || due <= 0 {
            return Err(conflict(
                "nothing left to apply for (applied already, or no refund)",
                "この世帯・診療月は申請済みか、支給額がありません（お知らせは送付しません）",
            ));
        }
        let householder = decision.householder_id.clone().ok_or_else(|| {
            conflict(
                "the household has no householder on record",
                "世帯主が登録されていません",
            )
        })?;
        let payer = self.person(&householder).await?.person;
        let insurer = self.insurer_record().await?;
        let month_ja = month_ja(month).unwrap_or_else(|| key.clone());
        let lapse_from = kokuho_domain::benefit::Event::HighCost {
            service_month_first_day: first,
            refund: decision.refund,
            already: paid,
            rule: String::new(),
        }
        .lapse_from();
        let deadline = kokuho_domain::benefit::last_day_to_apply(lapse_from);
        let basis = crate::high_cost::basis_of(&decision);
        // A household may have members of both age groups: name each.
        let category = [
            decision
                .category_under_70
                .as_ref()
                .map(|c| format!("70歳未満 区分{c}")),
            decision
                .category_70_74
                .as_ref()
                .map(|c| format!("70〜74歳 {c}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("／");
        let mut v = Values::default();
        v.set("postal_code", postal(&payer.postal_code))
            .set("address", payer.address.clone())
            .set("addressee", format!("{}　様", payer.name.as_str()))
            .set("issued_on", date_ja(issued_on))
            .set("issuer", format!("{}長", insurer.name))
            .set(
                "lead",
                format!(
                    "{month_ja}診療分の医療費の自己負担額が限度額を超えたため、高額療養費が支給される見込みです。申請期限までに申請してください。"
                ),
            )
            .set("household_number", household)
            .set("service_month", format!("{month_ja}診療分"))
            .set("amount", format!("{}円", burden::yen(due)))
            .set("category", category)
            .set("deadline", date_ja(deadline))
            .set("explanation", basis.steps.join("\n"));
        if decision.frequent_case {
            v.set(
                "frequent",
                "多数回該当（過去12か月に3回以上の該当があり、4回目以降の限度額です）",
            );
        }
        let mut subjects = vec![householder.clone()];
        for m in &basis.members {
            if !subjects.contains(&m.id) {
                subjects.push(m.id.clone());
            }
        }
        Ok(Prepared {
            kind: DocumentKind::HighCostRecommendation,
            addressee_id: householder,
            subjects,
            values: v,
            valid_from: None,
            valid_to: Some(deadline),
        })
    }

    /// 納税通知書: the household's levy for the year as currently booked,
    /// addressed to the householder (納税義務者, 地方税法 第703条の4), with
    /// what 地方税法 第1条第1項第6号 requires.
    async fn prepare_levy_notice(
        &self,
        household: &str,
        fiscal_year: i64,
        issued_on: Date,
    ) -> Result<Prepared> {
        let h = self.household_levy(household).await?;
        let e = h
            .versions
            .iter()
            .filter(|e| e.version.fiscal_year == fiscal_year && e.version.superseded_us.is_none())
            .max_by_key(|e| e.version.version_no)
            .ok_or_else(|| {
                conflict(
                    format!("no levy booked for {household} in {fiscal_year}"),
                    format!("{fiscal_year}年度の保険税が賦課されていません"),
                )
            })?;
        if e.version.total <= 0 {
            return Err(conflict(
                "the household owes no tax this year",
                "この年度の保険税はかかりません（納税通知書は発行しません）",
            ));
        }
        let insurer = self.insurer_record().await?;
        let householder_id = h.household.household.householder.clone();
        let payer = self.person(householder_id.as_str()).await?.person;
        let year_ja = i32::try_from(fiscal_year)
            .ok()
            .and_then(|y| Date::from_calendar_date(y, time::Month::April, 1).ok())
            .and_then(|d| wareki::format_date(d).ok())
            .and_then(|s| s.split_once('年').map(|(y, _)| format!("{y}年度")))
            .unwrap_or_else(|| format!("{fiscal_year}年度"));
        let v = &e.version;
        let mut values = Values::default();
        values
            .set("postal_code", postal(&payer.postal_code))
            .set("address", payer.address.clone())
            .set("addressee", format!("{}　様", payer.name.as_str()))
            .set("issued_on", date_ja(issued_on))
            .set("issuer", format!("{}長", insurer.name))
            .set("notice_title", format!("{year_ja} 国民健康保険税 納税通知書"))
            .set(
                "lead",
                format!(
                    "{year_ja}の国民健康保険税を次のとおり決定しましたので通知します。課税の根拠: 地方税法第703条の4及び{}国民健康保険税条例。",
                    insurer.name
                ),
            )
            .set("taxpayer", payer.name.as_str())
            .set("household_number", household)
            .set("total", format!("{}円", burden::yen(v.total)))
            .set(
                "reduction",
                v.reduction
                    .clone()
                    .map(|r| format!("{r}軽減"))
                    .unwrap_or_else(|| "なし".into()),
            )
            .set(
                "collection",
                "普通徴収（同封の納付書、または口座振替で納めてください）",
            )
            .set("explanation", e.explanation.join("\n"))
            .set(
                "payment",
                format!(
                    "納付の場所: {name}会計管理者、指定金融機関・収納代理金融機関の本店・支店、コンビニエンスストア（納付書の裏面をご覧ください）。\n納期限までに納付されないときは督促状により督促し、延滞金（地方税法第723条）を加算して徴収します。督促を受けてもなお納付されないときは、財産の差押えなどの滞納処分を行うことがあります。",
                    name = insurer.name
                ),
            )
            .set(
                "instruction",
                format!(
                    "この処分に不服があるときは、この通知を受けた日の翌日から起算して3か月以内に、{name}長に対して審査請求をすることができます（行政不服審査法第2条、第18条）。ただし、処分があった日の翌日から起算して1年を経過したときは、正当な理由がある場合を除き、審査請求をすることができません。\nこの処分の取消しの訴えは、審査請求に対する裁決があったことを知った日の翌日から起算して6か月以内に、{name}を被告として（訴訟において{name}を代表する者は{name}長となります。）提起することができます。ただし、審査請求に対する裁決を経た後でなければ提起することができません（地方税法第19条の12）。",
                    name = insurer.name
                ),
            );
        let parts: Vec<BTreeMap<String, String>> = [
            ("医療分", v.medical),
            ("後期高齢者支援金分", v.elderly_support),
            ("介護納付金分", v.care),
            ("子ども・子育て支援納付金分", v.child_support),
        ]
        .into_iter()
        .filter(|(_, a)| *a > 0)
        .map(|(label, a)| {
            BTreeMap::from([
                ("label".to_string(), label.to_string()),
                ("amount".to_string(), format!("{}円", burden::yen(a))),
            ])
        })
        .collect();
        values.lists.insert("parts".into(), parts);
        let installments: Vec<BTreeMap<String, String>> = e
            .installments
            .iter()
            .map(|i| {
                BTreeMap::from([
                    ("no".to_string(), format!("第{}期", i.installment_no)),
                    ("due".to_string(), date_ja(i.due_date)),
                    ("amount".to_string(), format!("{}円", burden::yen(i.amount))),
                ])
            })
            .collect();
        values.lists.insert("installments".into(), installments);
        Ok(Prepared {
            kind: DocumentKind::LevyNotice,
            addressee_id: householder_id.to_string(),
            subjects: vec![householder_id.to_string()],
            values,
            valid_from: i32::try_from(fiscal_year)
                .ok()
                .and_then(|y| Date::from_calendar_date(y, time::Month::April, 1).ok()),
            valid_to: i32::try_from(fiscal_year)
                .ok()
                .and_then(|y| Date::from_calendar_date(y + 1, time::Month::March, 31).ok()),
        })
    }

    /// Draws a prepared document, records its issue in `tx`'s transaction
    /// and returns it; the caller commits.
    #[allow(clippy::too_many_arguments)]
    async fn record_issue(
        &self,
        tx: &mut kokuho_store::Tx,
        printer: &Printer,
        p: &Prepared,
        issued_on: Date,
        batch_id: Option<i64>,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Issued> {
        let layout = printer.layout(p.kind)?;
        let id = repo::next_issue_id(tx, &self.insurer).await?;
        // The fiscal year (April to March) of the issue, then the sequence.
        let fiscal_year = if issued_on.month() >= time::Month::April {
            issued_on.year()
        } else {
            issued_on.year() - 1
        };
        let number = format!("{}{}-{:07}", p.kind.number_prefix(), fiscal_year, id);
        let mut values = p.values.clone();
        values.set("document_number", format!("第{number}号"));
        let rendered = printer.render(&[Page {
            layout,
            values: &values,
        }])?;
        let substitutions = rendered
            .substitutions
            .iter()
            .map(|s| format!("{} {}", s.code_point(), s.field))
            .collect::<Vec<_>>()
            .join("; ");
        let row = IssueRow {
            issue_id: id,
            kind: p.kind.code().to_string(),
            document_number: number,
            addressee_id: p.addressee_id.clone(),
            valid_from: p.valid_from,
            valid_to: p.valid_to,
            issued_on,
            issued_us: to_us(now),
            issued_by: actor.to_string(),
            reprint_of: None,
            batch_id,
            layout_version: i32::try_from(layout.version).unwrap_or(i32::MAX),
            content: serde_json::to_string(&values)
                .map_err(|e| conflict(e.to_string(), "帳票の内容を保存できません"))?,
            sha256: hex::encode(Sha256::digest(&rendered.pdf)),
            substitutions,
            status: "issued".into(),
            status_note: None,
            status_us: None,
            status_by: None,
        };
        repo::insert_issue(tx, &self.insurer, &row).await?;
        Ok(Issued {
            issue: view(&row),
            pdf: rendered.pdf,
            subjects: p.subjects.clone(),
        })
    }

    /// Issues one document at the counter: drawn from today's records,
    /// recorded, returned as PDF.
    pub async fn issue_document(
        &self,
        kind: DocumentKind,
        subject: &Subject,
        opts: IssueOptions,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Issued> {
        let on = now.to_offset(jst()).date();
        let prepared = self.prepare_document(kind, subject, on, on, opts).await?;
        let printer = self.printer()?;
        let mut tx = self.db.begin().await?;
        let issued = self
            .record_issue(&mut tx, &printer, &prepared, on, None, actor, now)
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Reprints an issued document exactly (再交付): the same values, the
    /// same bytes; the reprint is recorded with the issue it reprints.
    pub async fn reprint_document(
        &self,
        issue_id: i64,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Issued> {
        let original = repo::issue(&self.db, &self.insurer, issue_id)
            .await?
            .ok_or(AppError::NotFound {
                what: "document",
                message_ja: "該当する発行記録がありません",
            })?;
        let kind = DocumentKind::parse(&original.kind)
            .ok_or_else(|| conflict("unknown document kind", "帳票の種類が不明です"))?;
        let later = replaced(
            &original,
            &repo::issues_of(&self.db, &self.insurer, &original.addressee_id).await?,
        );
        if let Some(why) = reprint_refusal(&original, later, now.to_offset(jst()).date()) {
            return Err(conflict(
                format!("issue {issue_id} may not be reprinted"),
                why,
            ));
        }
        let printer = self.printer()?;
        let layout = printer.layout(kind)?;
        if i64::from(original.layout_version) != i64::from(layout.version) {
            return Err(conflict(
                format!(
                    "issue {issue_id} was drawn with layout version {}, the form is now version {}",
                    original.layout_version, layout.version
                ),
                "様式が改定されたため同一の再印刷はできません。新しく発行してください",
            ));
        }
        let values: Values = serde_json::from_str(&original.content)
            .map_err(|e| conflict(e.to_string(), "発行記録の内容を読めません"))?;
        let rendered = printer.render(&[Page {
            layout,
            values: &values,
        }])?;
        let sha = hex::encode(Sha256::digest(&rendered.pdf));
        if sha != original.sha256 {
            return Err(conflict(
                format!(
                    "reprint of issue {issue_id} differs from the first print (fonts or the PDF library changed since)"
                ),
                "フォントまたは印刷部品が更新されたため同一の再印刷ができません。新しく発行してください",
            ));
        }
        let first = original.reprint_of.unwrap_or(original.issue_id);
        let mut tx = self.db.begin().await?;
        let id = repo::next_issue_id(&mut tx, &self.insurer).await?;
        let row = IssueRow {
            issue_id: id,
            document_number: format!("{}-R{id}", original.document_number),
            issued_on: now.to_offset(jst()).date(),
            issued_us: to_us(now),
            issued_by: actor.to_string(),
            reprint_of: Some(first),
            batch_id: None,
            status: "issued".into(),
            status_note: None,
            status_us: None,
            status_by: None,
            ..original
        };
        repo::insert_issue(&mut tx, &self.insurer, &row).await?;
        tx.commit().await?;
        // A benefit decision also prints the insured person it is about.
        let mut all = vec![row.addressee_id.clone()];
        if let Some(other) = values.get("subject_id").filter(|o| *o != row.addressee_id) {
            all.push(other.to_string());
        }
        Ok(Issued {
            issue: view(&row),
            pdf: rendered.pdf,
            subjects: all,
        })
    }

    /// A resident's issuance history, the newest first.
    pub async fn document_history(
        &self,
        person: &AddresseeId,
        today: Date,
    ) -> Result<Vec<IssueView>> {
        let rows = repo::issues_of(&self.db, &self.insurer, person.as_str()).await?;
        Ok(rows
            .iter()
            .map(|r| {
                let later = replaced(r, &rows);
                IssueView {
                    reprintable: reprint_refusal(r, later, today).is_none(),
                    ..view(r)
                }
            })
            .collect())
    }

    pub async fn document_issue(&self, issue_id: i64) -> Result<IssueView> {
        repo::issue(&self.db, &self.insurer, issue_id)
            .await?
            .map(|r| view(&r))
            .ok_or(AppError::NotFound {
                what: "document",
                message_ja: "該当する発行記録がありません",
            })
    }

    /// Records a document returned undelivered (返戻), reported lost (紛失),
    /// or issued in error (取消). Only an issued document changes, once.
    pub async fn set_document_status(
        &self,
        issue_id: i64,
        status: &str,
        note: &str,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<IssueView> {
        if !matches!(status, "returned" | "lost" | "voided") {
            return Err(AppError::invalid(
                "status",
                "status must be returned, lost or voided",
                "状態は返戻・紛失・取消のいずれかです",
            ));
        }
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 200 {
            return Err(AppError::invalid(
                "note",
                "a note of 1 to 200 characters is required",
                "経緯を200文字以内で入力してください",
            ));
        }
        if crate::leak_scan::count_my_numbers(note.as_bytes()) > 0 {
            return Err(AppError::invalid(
                "note",
                "the note looks like it holds a My Number",
                "経緯に個人番号と思われる数字があります。個人番号は入力しないでください",
            ));
        }
        let mut tx = self.db.begin().await?;
        let changed = repo::set_status(
            &mut tx,
            &self.insurer,
            issue_id,
            status,
            note,
            to_us(now),
            actor,
        )
        .await?;
        if !changed {
            return Err(conflict(
                format!("issue {issue_id} is not an issued document"),
                "交付済の帳票ではありません（既に返戻・紛失・取消が記録されています）",
            ));
        }
        tx.commit().await?;
        self.document_issue(issue_id).await
    }

    /// The running batch of `kind`, or a new one: the recipients (insured
    /// on `as_of` whose latest document of the kind ends before the new
    /// one's end, or who have none) fixed in delivery order.
    pub async fn start_or_resume_batch(
        &self,
        kind: DocumentKind,
        as_of: Option<Date>,
        fiscal_year: Option<i64>,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<(BatchRow, bool)> {
        if !kind.batchable() {
            return Err(AppError::invalid(
                "kind",
                format!("{} cannot be issued in a batch", kind.code()),
                format!("{}は一括発行できません", kind.label_ja()),
            ));
        }
        if let Some(b) = repo::running_batch(&self.db, &self.insurer, kind.code()).await? {
            if let Some(d) = as_of
                && d != b.as_of
            {
                return Err(conflict(
                    format!(
                        "batch {} of this kind is unfinished, for {}",
                        b.batch_id, b.as_of
                    ),
                    format!(
                        "{}時点の一括発行（第{}回）が終わっていません。基準日を指定せずに再実行して完了させてください",
                        date_ja(b.as_of),
                        b.batch_id
                    ),
                ));
            }
            return Ok((b, true));
        }
        let issued_on = now.to_offset(jst()).date();
        let as_of = as_of.unwrap_or(issued_on);
        let effective = as_of.max(issued_on);
        let new_end = certificate::coming_july_31(effective);
        let mut tx = self.db.begin().await?;
        let latest: HashMap<String, Option<Date>> =
            repo::latest_valid_to(&mut tx, &self.insurer, kind.code())
                .await?
                .into_iter()
                .collect();
        let (recipients, valid_to): (Vec<repo::Recipient>, Option<Date>) = if kind.about_levy() {
            let fy = fiscal_year.ok_or_else(|| {
                AppError::invalid(
                    "fiscal_year",
                    "a levy notice batch needs the fiscal year",
                    "年度を指定してください",
                )
            })?;
            let end = i32::try_from(fy)
                .ok()
                .and_then(|y| Date::from_calendar_date(y + 1, time::Month::March, 31).ok());
            let r = repo::levy_households_in_delivery_order(&mut tx, &self.insurer, fy)
                .await?
                .into_iter()
                // A household already sent this year's notice is not sent another.
                .filter(|(a, _)| !matches!(latest.get(a), Some(Some(e)) if Some(*e) >= end))
                .map(|(a, h)| repo::Recipient {
                    addressee_id: a,
                    household_number: Some(h),
                })
                .collect();
            (r, end)
        } else {
            let r = repo::insured_in_delivery_order(&mut tx, &self.insurer, as_of, to_us(now))
                .await?
                .into_iter()
                // A certificate already running to the end this one would
                // have (the 31 July, or sooner at 70 or 75) is not replaced.
                .filter(|(a, birth)| match latest.get(a) {
                    Some(Some(end)) => {
                        *end < certificate::eligibility_certificate_valid_to(*birth, effective)
                    }
                    _ => true,
                })
                .map(|(a, _)| repo::Recipient {
                    addressee_id: a,
                    household_number: None,
                })
                .collect();
            (r, Some(new_end))
        };
        let id = repo::next_batch_id(&mut tx, &self.insurer).await?;
        let b = BatchRow {
            batch_id: id,
            kind: kind.code().to_string(),
            as_of,
            issued_on,
            valid_to,
            fiscal_year: fiscal_year.filter(|_| kind.about_levy()),
            planned: recipients.len() as i64,
            status: "running".into(),
            created_us: to_us(now),
            created_by: actor.to_string(),
            finished_us: None,
        };
        match repo::insert_batch(&mut tx, &self.insurer, &b, &recipients).await {
            Err(kokuho_store::StoreError::Duplicate { .. }) => {
                return Err(conflict(
                    "another batch of this kind was started at the same moment",
                    "同じ帳票の一括発行が実行中です",
                ));
            }
            other => other?,
        }
        tx.commit().await?;
        Ok((b, false))
    }

    /// Issues a batch's remaining recipients (at most `max` in this call),
    /// one PDF each in `out`; when none remain, writes the combined PDF in
    /// delivery order with its cover list, and the list as CSV. Who was
    /// issued to is pushed onto `issued_now` as it happens, so the caller can
    /// record it even when the run stops on an error.
    ///
    /// Each item is drawn, recorded, tied to its item, written to its file
    /// and committed in that order: a crash before the commit leaves at most
    /// a file that the resumed run writes again, identical.
    #[allow(clippy::too_many_arguments)]
    pub async fn run_batch(
        &self,
        batch_id: i64,
        out: &Path,
        max: Option<usize>,
        mut progress: impl FnMut(i64, i64),
        issued_now: &mut Vec<(i64, String)>,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<BatchReport> {
        let b = repo::batch(&self.db, &self.insurer, batch_id)
            .await?
            .ok_or(AppError::NotFound {
                what: "batch",
                message_ja: "該当する一括発行がありません",
            })?;
        let kind = DocumentKind::parse(&b.kind)
            .ok_or_else(|| conflict("unknown document kind", "帳票の種類が不明です"))?;
        std::fs::create_dir_all(out).map_err(|e| io_err(out, &e))?;
        let printer = self.printer()?;
        let mut handled = 0usize;
        let (mut done, planned) = repo::batch_progress(&self.db, &self.insurer, batch_id).await?;
        progress(done, planned);
        let budget = max.unwrap_or(usize::MAX);
        'outer: while handled < budget {
            let items = repo::pending_items(&self.db, &self.insurer, batch_id, 200).await?;
            if items.is_empty() {
                break;
            }
            for (seq, addressee, household) in items {
                if handled >= budget {
                    break 'outer;
                }
                handled += 1;
                let subject = match (household, b.fiscal_year) {
                    (Some(household), Some(fiscal_year)) if kind.about_levy() => Subject::Levy {
                        household,
                        fiscal_year,
                    },
                    _ => Subject::Person(AddresseeId::parse(&addressee)?),
                };
                let prepared = self
                    .prepare_document(
                        kind,
                        &subject,
                        b.as_of.max(b.issued_on),
                        b.issued_on,
                        IssueOptions::default(),
                    )
                    .await;
                let mut tx = self.db.begin().await?;
                let outcome = match prepared {
                    Ok(p) => {
                        // Given one at the counter since the plan: not again.
                        let held = repo::latest_valid_to_of(
                            &mut tx,
                            &self.insurer,
                            kind.code(),
                            &addressee,
                        )
                        .await?;
                        if held.is_some() && held >= p.valid_to {
                            Err("窓口で同じ期限までの帳票を発行済です".to_string())
                        } else {
                            match self
                                .record_issue(
                                    &mut tx,
                                    &printer,
                                    &p,
                                    b.issued_on,
                                    Some(batch_id),
                                    actor,
                                    now,
                                )
                                .await
                            {
                                Ok(i) => Ok(i),
                                // e.g. a value the form cannot hold
                                Err(AppError::Conflict { message_ja, .. }) => Err(message_ja),
                                Err(e) => return Err(e),
                            }
                        }
                    }
                    // Lost eligibility since the plan, no number yet, no
                    // category: listed for the clerk, not printed.
                    Err(AppError::Conflict { message_ja, .. }) => Err(message_ja),
                    Err(e) => return Err(e),
                };
                match outcome {
                    Ok(issued) => {
                        if !repo::set_item_issue(
                            &mut tx,
                            &self.insurer,
                            batch_id,
                            seq,
                            issued.issue.issue_id,
                        )
                        .await?
                        {
                            return Err(conflict(
                                "batch item issued by another run",
                                "同じ一括発行が別に実行されています",
                            ));
                        }
                        let file = out.join(format!("{seq:06}-{addressee}.pdf"));
                        write_atomically(&file, &issued.pdf)?;
                        tx.commit().await?;
                        issued_now.push((issued.issue.issue_id, addressee.clone()));
                    }
                    Err(reason) => {
                        // a fresh transaction: the failed draw wrote nothing
                        drop(tx);
                        let mut tx = self.db.begin().await?;
                        repo::set_item_skipped(&mut tx, &self.insurer, batch_id, seq, &reason)
                            .await?;
                        tx.commit().await?;
                    }
                }
                done += 1;
                progress(done, planned);
            }
        }
        let finished = done >= planned;
        let skipped = repo::skipped_items(&self.db, &self.insurer, batch_id).await?;
        let mut outputs = None;
        if finished {
            outputs = Some(self.write_batch_outputs(&printer, &b, kind, out).await?);
            repo::finish_batch(&self.db, &self.insurer, batch_id, to_us(now)).await?;
        }
        Ok(BatchReport {
            batch_id,
            kind,
            planned,
            done,
            skipped,
            finished,
            combined: outputs.as_ref().map(|o| o.combined.clone()),
            outputs,
        })
    }

    /// The combined PDF (cover list first, then every document in delivery
    /// order, drawn from the recorded values) and the list as CSV.
    async fn write_batch_outputs(
        &self,
        printer: &Printer,
        b: &BatchRow,
        kind: DocumentKind,
        out: &Path,
    ) -> Result<BatchOutputs> {
        let issues = repo::issues_of_batch(&self.db, &self.insurer, b.batch_id).await?;
        let layout = printer.layout(kind)?;
        let mut values = Vec::with_capacity(issues.len());
        for r in &issues {
            let v: Values = serde_json::from_str(&r.content)
                .map_err(|e| conflict(e.to_string(), "発行記録の内容を読めません"))?;
            values.push(v);
        }
        // The cover list: one row a recipient, 40 a page.
        let rows: Vec<BTreeMap<String, String>> = issues
            .iter()
            .zip(&values)
            .enumerate()
            .map(|(i, (r, v))| {
                BTreeMap::from([
                    ("no".to_string(), (i + 1).to_string()),
                    (
                        "postal_code".to_string(),
                        v.get("postal_code").unwrap_or("").to_string(),
                    ),
                    (
                        "address".to_string(),
                        v.get("address").unwrap_or("").to_string(),
                    ),
                    ("name".to_string(), v.get("name").unwrap_or("").to_string()),
                    ("document_number".to_string(), r.document_number.clone()),
                ])
            })
            .collect();
        let pages_total = rows.len().div_ceil(40).max(1);
        let mut covers = Vec::new();
        for (n, chunk) in rows.chunks(40).enumerate() {
            let mut c = Values::default();
            c.set("title", format!("{} 一括発行 送付一覧", kind.label_ja()))
                .set("batch", format!("一括発行番号 {}", b.batch_id))
                .set("issued_on", format!("交付日 {}", date_ja(b.issued_on)))
                .set("count", format!("{}件", issues.len()))
                .set("page", format!("{}/{}", n + 1, pages_total));
            c.lists.insert("rows".into(), chunk.to_vec());
            covers.push(c);
        }
        if covers.is_empty() {
            let mut c = Values::default();
            c.set("title", format!("{} 一括発行 送付一覧", kind.label_ja()))
                .set("batch", format!("一括発行番号 {}", b.batch_id))
                .set("issued_on", format!("交付日 {}", date_ja(b.issued_on)))
                .set("count", "0件")
                .set("page", "1/1");
            covers.push(c);
        }
        let mut pages: Vec<Page<'_>> = covers
            .iter()
            .map(|c| Page {
                layout: &printer.cover,
                values: c,
            })
            .collect();
        pages.extend(values.iter().map(|v| Page { layout, values: v }));
        let rendered = printer.render(&pages)?;
        let combined = out.join(format!("batch-{}-combined.pdf", b.batch_id));
        write_atomically(&combined, &rendered.pdf)?;
        let csv_err = |e: kokuho_formats::csv_out::CsvError| {
            conflict(e.to_string(), "送付一覧のCSVを作成できません")
        };
        let mut w = kokuho_formats::csv_out::CsvWriter::new(
            Vec::new(),
            kokuho_formats::text::Encoding::Utf8,
            &["順", "郵便番号", "住所", "氏名", "宛名番号", "発行番号"],
        )
        .map_err(csv_err)?;
        for (i, (r, v)) in issues.iter().zip(&values).enumerate() {
            w.write_row(&[
                (i + 1).to_string().as_str(),
                v.get("postal_code").unwrap_or(""),
                v.get("address").unwrap_or(""),
                v.get("name").unwrap_or(""),
                r.addressee_id.as_str(),
                r.document_number.as_str(),
            ])
            .map_err(csv_err)?;
        }
        let csv = w.finish().map_err(csv_err)?;
        let list = out.join(format!("batch-{}-list.csv", b.batch_id));
        write_atomically(&list, &csv)?;
        Ok(BatchOutputs {
            combined,
            combined_sha256: hex::encode(Sha256::digest(&rendered.pdf)),
            list,
            list_sha256: hex::encode(Sha256::digest(&csv)),
            recipients: issues.iter().map(|r| r.addressee_id.clone()).collect(),
        })
    }

    pub async fn document_batches(&self) -> Result<Vec<BatchRow>> {
        Ok(repo::batches(&self.db, &self.insurer).await?)
    }
}

/// The files a finished batch writes, with their hashes and everyone in them.
#[derive(Clone, Debug)]
pub struct BatchOutputs {
    pub combined: PathBuf,
    pub combined_sha256: String,
    pub list: PathBuf,
    pub list_sha256: String,
    pub recipients: Vec<String>,
}

/// What a batch run did.
#[derive(Clone, Debug)]
pub struct BatchReport {
    pub batch_id: i64,
    pub kind: DocumentKind,
    pub planned: i64,
    /// issued or skipped, over every run of the batch
    pub done: i64,
    /// (seq, 宛名番号, why) of the batch's recipients not printed (every run)
    pub skipped: Vec<(i64, String, String)>,
    pub finished: bool,
    pub combined: Option<PathBuf>,
    pub outputs: Option<BatchOutputs>,
}

fn io_err(path: &Path, e: &std::io::Error) -> AppError {
    AppError::Conflict {
        message_en: format!("{}: {e}", path.display()),
        message_ja: format!("ファイルを書き込めません: {}", path.display()),
    }
}

/// Writes through a temporary file and a rename, so a crash never leaves a
/// half-written PDF under the final name.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes).map_err(|e| io_err(&tmp, &e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, &e))?;
    Ok(())
}
