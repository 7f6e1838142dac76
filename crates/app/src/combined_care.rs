//! 高額介護合算療養費 (combined_care_benefit) at the counter: the year of
//! August to July of the household of the base date, computed from what the
//! monthly high-cost runs kept (`borne_month`), the year's 外来年間合算
//! decisions, and the certificates other insurers issued — the care
//! insurer's (介護自己負担額証明書) and other medical insurers' for months
//! spent with them. The result gives this insurer's part, paid through the
//! benefits workflow (kind `combined_care`), and the care insurer's part
//! with each member's share, for the result notice to the care insurer.
//!
//! The base date is 31 July; for a person whose NHI ended within the year,
//! the day before the loss (水戸市 on the care side: 「資格を失った日の前日
//! が「基準日」」; the NHI provision was not read here, so such a result is
//! provisional).

use std::collections::BTreeMap;

use kokuho_domain::annual_outpatient::year_months;
use kokuho_domain::burden::{Elderly, Under70, format_month, parse_month, yen};
use kokuho_domain::combined_care::{self as rule, CareHousehold, CareMember, CombinedCareRules};
use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::id::AddresseeId;
use kokuho_domain::yearly_cap::BorneMonth;
use kokuho_store::combined_care::{self as repo, CertificateRow};
use kokuho_store::eligibility::{self as elig, NOW};
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::eligibility::{Actor, in_tx, to_us};
use crate::{AppError, Kokuho, Result, local_date};

/// Whose certificate: the care insurer's or another medical insurer's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Side {
    Care,
    Medical,
}

impl Side {
    pub fn code(self) -> &'static str {
        match self {
            Side::Care => "care",
            Side::Medical => "medical",
        }
    }

    pub fn parse(s: &str) -> Option<Side> {
        match s.trim() {
            "care" => Some(Side::Care),
            "medical" => Some(Side::Medical),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Side::Care => "介護保険の自己負担額証明書",
            Side::Medical => "他の医療保険の自己負担額証明書",
        }
    }
}

/// A certificate as the clerk enters it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateInput {
    pub addressee_id: String,
    /// the year of the August the period starts with
    pub year: i32,
    pub side: Side,
    /// the certifying insurer (保険者番号)
    pub issuer: String,
    /// the certificate's number or the day it was issued
    pub certificate: String,
    /// the months certified (YYYY-MM)
    pub from_month: String,
    pub to_month: String,
    /// the copays certified, and of them the months aged 70–74
    pub amount: i64,
    pub amount_70_74: i64,
}

/// A certificate entered for a member's year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateView {
    pub entry_id: i64,
    pub addressee_id: String,
    /// care | medical, and its label
    pub side: String,
    pub side_label: &'static str,
    pub issuer: String,
    pub certificate: String,
    pub from_month: String,
    pub to_month: String,
    pub amount: i64,
    pub amount_70_74: i64,
    pub recorded_by: String,
    pub voided: bool,
}

impl From<&CertificateRow> for CertificateView {
    fn from(r: &CertificateRow) -> Self {
        CertificateView {
            entry_id: r.entry_id,
            addressee_id: r.addressee_id.clone(),
            side: r.side.clone(),
            side_label: Side::parse(&r.side).map_or("", Side::label),
            issuer: r.issuer.clone(),
            certificate: r.certificate.clone(),
            from_month: r.from_month.clone(),
            to_month: r.to_month.clone(),
            amount: r.amount,
            amount_70_74: r.amount_70_74,
            recorded_by: r.recorded_by.clone(),
            voided: r.voided_us.is_some(),
        }
    }
}

/// A member of the base date's household and what they bring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YearMember {
    pub addressee_id: String,
    /// this insurer's months (after the monthly benefits; under 70 only the
    /// claim units of at least 21,000 yen), and of them as 70–74
    pub medical_here: i64,
    pub medical_here_70_74: i64,
    /// the 外来年間合算 benefit taken off the 70–74 months
    pub annual_outpatient: i64,
    /// other medical insurers' certificates
    pub medical_other: i64,
    pub medical_other_70_74: i64,
    /// the care insurer's certificate
    pub care: i64,
    pub care_70_74: i64,
    /// the shares
    pub medical_share: i64,
    pub care_share: i64,
}

/// The household's year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CombinedCareYear {
    pub year: i32,
    pub base_date: Date,
    /// the base date is the day before a loss within the year: its rule
    /// was not read for NHI
    pub base_date_provisional: bool,
    pub household_number: String,
    pub householder_id: Option<String>,
    pub category_under_70: Option<String>,
    pub category_70_74: Option<String>,
    pub members: Vec<YearMember>,
    /// the certificates of the members' year (voided ones too)
    pub certificates: Vec<CertificateView>,
    pub eligible: bool,
    pub excess: i64,
    pub paid: bool,
    /// this insurer's part: 高額介護合算療養費
    pub medical: i64,
    /// the care insurer's part: 高額医療合算介護サービス費
    pub care: i64,
    pub rounded: bool,
    pub provisional: bool,
    /// no care certificate is entered for any member: the care insurer
    /// must be asked before anything can come of the year
    pub care_missing: bool,
    pub steps: Vec<String>,
    pub source: String,
}

impl CombinedCareYear {
    /// Every person the result names, for the access log.
    pub fn persons(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .members
            .iter()
            .map(|m| m.addressee_id.clone())
            .chain(self.householder_id.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

fn invalid(field: &'static str, en: impl Into<String>, ja: impl Into<String>) -> AppError {
    AppError::Invalid {
        field,
        message_en: en.into(),
        message_ja: ja.into(),
    }
}

fn conflict(en: impl Into<String>, ja: impl Into<String>) -> AppError {
    AppError::Conflict {
        message_en: en.into(),
        message_ja: ja.into(),
    }
}

/// The year whose August is `year`: its first month, first day and last day.
pub(crate) fn year_days(year: i32) -> Result<(YearMonth, Date, Date)> {
    let bad = || {
        invalid(
            "year",
            format!("year {year} is out of range"),
            "年度が範囲外です",
        )
    };
    let (first, last) = year_months(year).ok_or_else(bad)?;
    Ok((
        first,
        first.first_day().ok_or_else(bad)?,
        last.last_day().ok_or_else(bad)?,
    ))
}

/// The rule table shipped with this build.
pub fn shipped_rules() -> Result<CombinedCareRules> {
    CombinedCareRules::shipped().map_err(|e| AppError::Setup {
        message_en: format!("{}: {}", e.field, e.reason),
        message_ja: "高額介護合算療養費の規則表が読めません".into(),
    })
}

impl Kokuho {
    /// Keeps a certificate another insurer issued for a person's year.
    pub async fn record_combined_care_certificate(
        &self,
        c: &CertificateInput,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let person = AddresseeId::parse(c.addressee_id.trim())
            .map_err(|e| AppError::from(e).for_field("addressee_id"))?;
        let found = kokuho_store::addressee::get_person(&self.db, &self.insurer, &person)
            .await?
            .ok_or(AppError::NotFound {
                what: "person",
                message_ja: "該当する宛名がありません",
            })?;
        let (first, _, last_day) = year_days(c.year)?;
        let last = year_months(c.year).map(|(_, l)| l).unwrap_or(first);
        // 6 or 8 digits with a valid check digit (全角 digits taken)
        let issuer = kokuho_domain::id::check_any_insurer_number(c.issuer.trim())
            .map_err(|e| AppError::from(e).for_field("issuer"))?;
        let issuer = issuer.as_str();
        if c.side == Side::Medical && issuer == self.insurer.as_str() {
            return Err(invalid(
                "issuer",
                "this insurer's own months come from its monthly runs",
                "この保険者の月は月次計算から合算します。ほかの医療保険者の証明書を入力してください",
            ));
        }
        let certificate = c.certificate.trim();
        if certificate.is_empty() {
            return Err(invalid(
                "certificate",
                "name the certificate (its number or the day it was issued)",
                "証明書の番号または交付日を入力してください",
            ));
        }
        crate::leak_scan::refuse_my_number("certificate", certificate)?;
        let month = |field: &'static str, s: &str| {
            parse_month(s.trim())
                .filter(|m| *m >= first && *m <= last)
                .ok_or_else(|| {
                    invalid(
                        field,
                        format!(
                            "a month YYYY-MM within {}–{}",
                            format_month(first),
                            format_month(last)
                        ),
                        format!(
                            "月は計算期間（{}〜{}）内の年月を 2025-08 の形式で入力してください",
                            format_month(first),
                            format_month(last)
                        ),
                    )
                })
        };
        let from = month("from_month", &c.from_month)?;
        let to = month("to_month", &c.to_month)?;
        if to < from {
            return Err(invalid(
                "to_month",
                "the last month is before the first",
                "終わりの月が始めの月より前です",
            ));
        }
        if !(0..=rule::MAX_YEAR_YEN).contains(&c.amount)
            || !(0..=c.amount).contains(&c.amount_70_74)
        {
            return Err(invalid(
                "amount_70_74",
                "amounts must be 0 ≤ of which 70–74 ≤ amount",
                "金額は 0 ≦ うち70〜74歳の額 ≦ 自己負担額 です",
            ));
        }
        // months as 70–74 need the person to be 70 by the end of the year
        if c.amount_70_74 > 0 && kokuho_domain::eligibility::age_on(found.birth_date, last_day) < 70
        {
            return Err(invalid(
                "amount_70_74",
                "the person is not 70 within the year: no months as 70–74",
                "この方は計算期間中に70歳になりません（70〜74歳の月の額はありません）",
            ));
        }
        // another medical insurer's months cannot be months wholly insured here
        if c.side == Side::Medical {
            let periods = elig::periods_of_person_db(&self.db, &self.insurer, &person, NOW).await?;
            let mut m = from;
            let mut all_here = true;
            loop {
                let whole = match (m.first_day(), m.last_day()) {
                    (Some(a), Some(b)) => {
                        crate::benefit::insured_on(&periods, a)
                            && crate::benefit::insured_on(&periods, b)
                    }
                    _ => false,
                };
                all_here &= whole;
                if m >= to || !all_here {
                    break;
                }
                m = m.next();
            }
            if all_here {
                return Err(invalid(
                    "from_month",
                    "the person was insured here for the whole of every month certified: those months come from this insurer's own runs",
                    "証明書の月はすべてこの国保に加入していた月です（この保険者の月次計算から合算します）",
                ));
            }
        }
        let row = CertificateRow {
            entry_id: 0,
            addressee_id: person.to_string(),
            year: i64::from(c.year),
            side: c.side.code().to_string(),
            issuer: issuer.to_string(),
            certificate: certificate.to_string(),
            from_month: format_month(from),
            to_month: format_month(to),
            amount: c.amount,
            amount_70_74: c.amount_70_74,
            recorded_us: to_us(now),
            recorded_by: actor.to_string(),
            voided_us: None,
            voided_by: None,
        };
        in_tx!(self.db, |tx| {
            repo::insert(&mut tx, &self.insurer, &row)
                .await
                .map_err(|e| match e {
                    kokuho_store::StoreError::Duplicate { .. } => conflict(
                        format!(
                            "a certificate of insurer {issuer} is already entered for the person's year: void it first"
                        ),
                        format!(
                            "保険者 {issuer} の証明書がこの方・年度ですでに入力されています。誤りなら取り消してから入力してください"
                        ),
                    ),
                    other => other.into(),
                })
        })
    }

    /// Voids a certificate entered by mistake; the entry it was.
    pub async fn void_combined_care_certificate(
        &self,
        entry_id: i64,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<CertificateRow> {
        let at = to_us(now);
        let row = in_tx!(self.db, |tx| {
            Ok(repo::void(&mut tx, &self.insurer, entry_id, at, actor).await?)
        })?;
        row.ok_or(AppError::NotFound {
            what: "entry",
            message_ja: "取り消せる入力がありません",
        })
    }

    /// A person's certificates of a year, voided ones too.
    pub async fn combined_care_certificates(
        &self,
        addressee_id: &str,
        year: i32,
    ) -> Result<Vec<CertificateView>> {
        let person = AddresseeId::parse(addressee_id.trim())
            .map_err(|e| AppError::from(e).for_field("addressee_id"))?;
        year_days(year)?;
        Ok(repo::of_persons(
            &self.db,
            &self.insurer,
            i64::from(year),
            &[person.to_string()],
        )
        .await?
        .iter()
        .map(CertificateView::from)
        .collect())
    }

    /// The base date of a person's year: 31 July if insured then, else the
    /// day before the loss of NHI within the year (provisional).
    async fn combined_care_base_date(
        &self,
        person: &AddresseeId,
        year: i32,
    ) -> Result<(Date, bool)> {
        let (_, first_day, last_day) = year_days(year)?;
        let periods = elig::periods_of_person_db(&self.db, &self.insurer, person, NOW).await?;
        let covers = |d: Date| crate::benefit::insured_on(&periods, d);
        if covers(last_day) {
            return Ok((last_day, false));
        }
        let lost = periods
            .iter()
            .filter_map(|p| p.lost_on)
            .filter(|l| *l > first_day && *l <= last_day)
            .max()
            .and_then(|l| l.previous_day());
        match lost {
            Some(d) if covers(d) => Ok((d, true)),
            _ => Err(conflict(
                "the person was not insured in the year",
                "計算期間中に国民健康保険の資格がありません",
            )),
        }
    }

    /// The household's year of the person, computed from the stored runs
    /// and certificates as known now. Reads only.
    pub async fn combined_care_year(
        &self,
        addressee_id: &str,
        year: i32,
        now: OffsetDateTime,
    ) -> Result<CombinedCareYear> {
        let rules = shipped_rules()?;
        let person = AddresseeId::parse(addressee_id.trim())
            .map_err(|e| AppError::from(e).for_field("addressee_id"))?;
        let (first, first_day, _) = year_days(year)?;
        let (base_date, base_date_provisional) =
            self.combined_care_base_date(&person, year).await?;
        if local_date(now) <= base_date {
            return Err(conflict(
                format!("the year runs to {base_date}"),
                format!(
                    "計算期間（基準日 {base_date}）が終わっていません。基準日の翌日以降に計算してください"
                ),
            ));
        }
        // The household of the base date.
        let household = self
            .household_of_on(&person, base_date)
            .await?
            .ok_or_else(|| {
                conflict(
                    "the person belonged to no NHI household on the base date",
                    "基準日に国民健康保険の世帯に属していません",
                )
            })?;
        let mut members: Vec<String> = Vec::new();
        for id in repo::members_on(&self.db, &self.insurer, &household, base_date, NOW).await? {
            let Ok(a) = AddresseeId::parse(&id) else {
                continue;
            };
            let periods = elig::periods_of_person_db(&self.db, &self.insurer, &a, NOW).await?;
            if crate::benefit::insured_on(&periods, base_date) {
                members.push(id);
            }
        }
        let householder_id = self.householder_on(&household, base_date).await?;
        let categories = kokuho_store::claims::categories_known_at(
            &self.db,
            &self.insurer,
            &format_month(YearMonth::from_date(base_date)),
            NOW,
        )
        .await?;
        let cats = categories.get(&household);
        let under_70 = cats
            .and_then(|c| c.category_under_70.as_deref())
            .and_then(Under70::from_label);
        let elderly = cats
            .and_then(|c| c.category_70_74.as_deref())
            .and_then(Elderly::from_label);

        // This insurer's months, from the monthly runs.
        let base_month = YearMonth::from_date(base_date);
        let runs = self
            .latest_month_runs(first, base_month, NOW, |r| r.borne_recorded)
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
        // A month whose run left out a household a member belonged to in
        // the year (no burden category that month) kept nothing of it: the
        // year would be short, so it is refused until the month is run again.
        let mut households_of_members: std::collections::BTreeSet<String> =
            std::collections::BTreeSet::new();
        for id in &members {
            let Ok(a) = AddresseeId::parse(id) else {
                continue;
            };
            let ms = in_tx!(self.db, |tx| {
                Ok(elig::memberships_of_person(&mut tx, &self.insurer, &a, NOW).await?)
            })?;
            households_of_members.extend(
                ms.into_iter()
                    .filter(|m| {
                        m.valid_from <= base_date && m.valid_to.is_none_or(|t| first_day < t)
                    })
                    .map(|m| m.household_number.to_string()),
            );
        }
        let left_out: Vec<String> = runs
            .borne_left_out
            .iter()
            .flat_map(|(m, hs)| {
                hs.iter()
                    .filter(|h| households_of_members.contains(*h))
                    .map(move |h| format!("{m} 世帯 {h}"))
            })
            .collect();
        if !left_out.is_empty() {
            return Err(conflict(
                format!(
                    "monthly runs left out a household of the members (no burden category): {}",
                    left_out.join(", ")
                ),
                format!(
                    "月次計算で負担区分がなく計算できなかった世帯・月があります（{}）。負担区分を判定し、その月を計算し直してください",
                    left_out.join("、")
                ),
            ));
        }
        let run_ids: Vec<i64> = runs.current.iter().map(|(_, r)| *r).collect();
        let mut here: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for r in kokuho_store::yearly_cap::months_of_runs_for(
            &self.db,
            &self.insurer,
            &run_ids,
            &members,
        )
        .await?
        {
            let Some(month) = parse_month(&r.service_month) else {
                continue;
            };
            let b = BorneMonth {
                month,
                elderly: r.age_group == "70_74",
                bears: r.bears,
                aggregated: r.aggregated,
                limit_benefit: r.limit_benefit,
            };
            // under 70 only the units added up (at least the 合算 floor)
            let left = b.left(false);
            let e = here.entry(r.addressee_id.clone()).or_default();
            e.0 += left;
            if b.elderly {
                e.1 += left;
            }
        }
        let annual: BTreeMap<String, i64> = kokuho_store::annual_outpatient::of_year_known_at(
            &self.db,
            &self.insurer,
            i64::from(year),
            NOW,
        )
        .await?
        .into_iter()
        .filter(|d| members.contains(&d.addressee_id))
        .map(|d| (d.addressee_id, d.benefit))
        .collect();
        let certificates =
            repo::of_persons(&self.db, &self.insurer, i64::from(year), &members).await?;

        let mut steps = vec![format!(
            "基準日 {base_date}{}：世帯 {household} の被保険者 {}人（{}）。70歳未満の区分 {}、70〜74歳の区分 {}。",
            if base_date_provisional {
                "（年度途中の資格喪失のため喪失日の前日。国保の規定は未確認のため【暫定】）"
            } else {
                ""
            },
            members.len(),
            members.join("、"),
            under_70.map_or("なし", Under70::label),
            elderly.map_or("なし", Elderly::label),
        )];
        let mut out_members: Vec<YearMember> = Vec::new();
        let mut domain_members: Vec<CareMember> = Vec::new();
        for id in &members {
            let (medical_here, mut medical_here_70_74) = here.get(id).copied().unwrap_or((0, 0));
            let annual_benefit = annual.get(id).copied().unwrap_or(0);
            let ao = annual_benefit.min(medical_here_70_74);
            if annual_benefit > ao {
                // the annual run counted other insurers' months too: only
                // what falls on this insurer's months is taken off here
                steps.push(format!(
                    "{id}：外来年間合算の支給 {}円 のうち、この保険者の70〜74歳の月の額 {}円 までを差し引きます",
                    yen(annual_benefit),
                    yen(ao)
                ));
            }
            medical_here_70_74 -= ao;
            let live = certificates
                .iter()
                .filter(|c| c.addressee_id == *id && c.voided_us.is_none());
            let (mut mo, mut mo_e, mut ca, mut ca_e) = (0i64, 0i64, 0i64, 0i64);
            for c in live {
                if c.side == "care" {
                    ca += c.amount;
                    ca_e += c.amount_70_74;
                } else {
                    mo += c.amount;
                    mo_e += c.amount_70_74;
                }
                steps.push(format!(
                    "{id}：{} 保険者 {}（{}、{}〜{}）{}円（うち70〜74歳の月 {}円）",
                    Side::parse(&c.side).map_or("", Side::label),
                    c.issuer,
                    c.certificate,
                    c.from_month,
                    c.to_month,
                    yen(c.amount),
                    yen(c.amount_70_74)
                ));
            }
            if medical_here > 0 || ao > 0 {
                steps.push(format!(
                    "{id}：この保険者の月 {}円（高額療養費の支給後。うち70〜74歳の月 {}円{}）",
                    yen(medical_here - ao),
                    yen(medical_here_70_74),
                    if ao > 0 {
                        format!("、外来年間合算の支給 {}円 を差し引き", yen(ao))
                    } else {
                        String::new()
                    }
                ));
            }
            let medical = medical_here - ao;
            domain_members.push(CareMember {
                id: id.clone(),
                medical_elderly: medical_here_70_74 + mo_e,
                medical_under: (medical - medical_here_70_74) + (mo - mo_e),
                care_elderly: ca_e,
                care_under: ca - ca_e,
            });
            out_members.push(YearMember {
                addressee_id: id.clone(),
                medical_here: medical,
                medical_here_70_74,
                annual_outpatient: ao,
                medical_other: mo,
                medical_other_70_74: mo_e,
                care: ca,
                care_70_74: ca_e,
                medical_share: 0,
                care_share: 0,
            });
        }
        let care_missing = !certificates
            .iter()
            .any(|c| c.side == "care" && c.voided_us.is_none());
        if care_missing {
            steps.push(
                "介護保険の自己負担額証明書が入力されていません（介護保険者に照会してください）。"
                    .into(),
            );
        }
        let r = rule::compute(
            &rules,
            &CareHousehold {
                year,
                under_70,
                elderly,
                members: &domain_members,
            },
        )
        .map_err(|e| AppError::Invalid {
            field: if e.field.starts_with("category_") {
                "category"
            } else {
                "year"
            },
            message_en: format!("{}: {}", e.field, e.reason),
            message_ja: e.reason_ja.clone(),
        })?;
        for (m, s) in out_members.iter_mut().zip(&r.members) {
            m.medical_share = s.medical;
            m.care_share = s.care;
        }
        steps.extend(r.steps.iter().cloned());
        Ok(CombinedCareYear {
            year,
            base_date,
            base_date_provisional,
            household_number: household,
            householder_id,
            category_under_70: under_70.map(|c| c.label().to_string()),
            category_70_74: elderly.map(|c| c.label().to_string()),
            members: out_members,
            certificates: certificates.iter().map(CertificateView::from).collect(),
            eligible: r.eligible,
            excess: r.excess,
            paid: r.paid,
            medical: r.medical,
            care: r.care,
            rounded: r.rounded,
            provisional: r.provisional || base_date_provisional,
            care_missing,
            steps,
            source: r.source,
        })
    }
}
