//! 支給額計算結果連絡票 received. A person who left this NHI within a year
//! (August to July) and was insured elsewhere on its base date has the year
//! computed by that insurer — 外来年間合算 or 高額介護合算 — from the 自己負担
//! 額証明書 this insurer issued; it sends each earlier insurer the share to
//! pay for the months spent with it. A clerk enters that notice here; the
//! person then applies as for the kind, and is paid the share
//! (`benefit::EventInput::AnnualOutpatient` / `CombinedCare` find it).

use std::collections::BTreeSet;

use kokuho_domain::benefit::BenefitKind;
use kokuho_domain::burden::{format_month, yen};
use kokuho_domain::combined_care as rule;
use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::id::AddresseeId;
use kokuho_store::eligibility::{self as elig, NOW};
use kokuho_store::share_notice::{self as repo, NoticeRow};
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::eligibility::{Actor, in_tx, to_us};
use crate::{AppError, Kokuho, Result, local_date};

/// A notice as the clerk enters it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareNoticeInput {
    pub addressee_id: String,
    /// AnnualOutpatient or CombinedCare
    pub kind: BenefitKind,
    /// the year of the August the period starts with
    pub year: i32,
    /// the insurer that computed the year (保険者番号)
    pub issuer: String,
    /// the notice's number
    pub reference: String,
    pub notified_on: Date,
    /// the year's base date as the notice gives it
    pub base_date: Date,
    /// this insurer's share (按分額)
    pub amount: i64,
}

/// A notice as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShareNoticeView {
    pub notice_id: i64,
    pub addressee_id: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub year: i64,
    pub issuer: String,
    pub reference: String,
    pub notified_on: Date,
    pub base_date: Date,
    pub amount: i64,
    pub amount_text: String,
    pub recorded_by: String,
    pub voided: bool,
}

impl From<&NoticeRow> for ShareNoticeView {
    fn from(r: &NoticeRow) -> Self {
        ShareNoticeView {
            notice_id: r.notice_id,
            addressee_id: r.addressee_id.clone(),
            kind: r.kind.clone(),
            kind_label: BenefitKind::parse(&r.kind).map_or("", BenefitKind::label),
            year: r.year,
            issuer: r.issuer.clone(),
            reference: r.reference.clone(),
            notified_on: r.notified_on,
            base_date: r.base_date,
            amount: r.amount,
            amount_text: yen(r.amount),
            recorded_by: r.recorded_by.clone(),
            voided: r.voided_us.is_some(),
        }
    }
}

/// The kinds a notice can be of.
pub fn notice_kind(kind: BenefitKind) -> Result<&'static str> {
    match kind {
        BenefitKind::AnnualOutpatient | BenefitKind::CombinedCare => Ok(kind.code()),
        _ => Err(invalid(
            "kind",
            "a share notice is for 外来年間合算 or 高額介護合算 only",
            "支給額計算結果連絡票は外来年間合算または高額介護合算のものです",
        )),
    }
}

fn invalid(field: &'static str, en: impl Into<String>, ja: impl Into<String>) -> AppError {
    AppError::invalid(field, en, ja)
}

fn conflict(en: impl Into<String>, ja: impl Into<String>) -> AppError {
    AppError::Conflict {
        message_en: en.into(),
        message_ja: ja.into(),
    }
}

impl Kokuho {
    /// The person's last day insured here from `from` to `to`, if any.
    pub async fn last_insured_within(
        &self,
        person: &AddresseeId,
        from: Date,
        to: Date,
    ) -> Result<Option<Date>> {
        let periods = elig::periods_of_person_db(&self.db, &self.insurer, person, NOW).await?;
        Ok(periods
            .iter()
            .filter_map(|v| {
                let p = crate::eligibility::as_period(v);
                let start = p.acquired_on.max(from);
                let end = p
                    .lost_on
                    .and_then(|l| l.previous_day())
                    .unwrap_or(to)
                    .min(to);
                (start <= end).then_some(end)
            })
            .max())
    }

    /// What the person bore here from the year's first month to `last`,
    /// from the monthly runs' kept months (after the month's 高額療養費;
    /// under 70 only the units of at least 21,000 yen): (all, as 70–74).
    /// Refused, naming the months, while a month has no current run.
    async fn borne_here(
        &self,
        person: &AddresseeId,
        first: YearMonth,
        last: YearMonth,
    ) -> Result<(i64, i64)> {
        let runs = self
            .latest_month_runs(first, last, i64::MAX, |r| r.borne_recorded)
            .await?;
        let mut unsettled: BTreeSet<String> = runs.missing.iter().cloned().collect();
        unsettled.extend(runs.not_recorded.iter().cloned());
        unsettled.extend(runs.stale.iter().map(|(m, _)| m.clone()));
        if !unsettled.is_empty() {
            let months: Vec<String> = unsettled.into_iter().collect();
            return Err(conflict(
                format!(
                    "months without a current high-cost run: {}: the share cannot be checked against what the person bore here",
                    months.join(", ")
                ),
                format!(
                    "高額療養費の月次計算が最新でない月があります（{}）。当保険者での負担額と照合できないため、先に月次計算を実行してください",
                    months.join("、")
                ),
            ));
        }
        let ids: Vec<i64> = runs.current.iter().map(|(_, r)| *r).collect();
        let (mut all, mut elderly) = (0i64, 0i64);
        for r in kokuho_store::yearly_cap::months_of_runs(&self.db, &self.insurer, &ids).await? {
            if r.addressee_id != person.as_str() {
                continue;
            }
            let a = (r.aggregated - r.limit_benefit).max(0);
            all += a;
            if r.age_group == "70_74" {
                elderly += a;
            }
        }
        Ok((all, elderly))
    }

    /// Keeps a 支給額計算結果連絡票 another insurer sent for a person's
    /// year, after checking it against what this insurer holds.
    pub async fn record_share_notice(
        &self,
        n: &ShareNoticeInput,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let kind = notice_kind(n.kind)?;
        let person = AddresseeId::parse(n.addressee_id.trim())
            .map_err(|e| AppError::from(e).for_field("addressee_id"))?;
        let found = kokuho_store::addressee::get_person(&self.db, &self.insurer, &person)
            .await?
            .ok_or(AppError::NotFound {
                what: "person",
                message_ja: "該当する宛名がありません",
            })?;
        let (first, first_day, last_day) = crate::combined_care::year_days(n.year)?;
        let issuer = kokuho_domain::id::check_any_insurer_number(n.issuer.trim())
            .map_err(|e| AppError::from(e).for_field("issuer"))?;
        if issuer == self.insurer.as_str() {
            return Err(invalid(
                "issuer",
                "the notice comes from the insurer that computed the year, not this one",
                "連絡票を送った保険者（基準日の保険者）の番号を入力してください（当保険者の番号です）",
            ));
        }
        let reference = n.reference.trim();
        if reference.is_empty() || reference.chars().count() > 60 {
            return Err(invalid(
                "reference",
                "name the notice (its number), at most 60 characters",
                "連絡票の番号を60文字以内で入力してください",
            ));
        }
        crate::leak_scan::refuse_my_number("reference", reference)?;
        if n.base_date < first_day || n.base_date > last_day {
            return Err(invalid(
                "base_date",
                format!("the base date is within the year, {first_day} to {last_day}"),
                format!("基準日は計算期間（{first_day}〜{last_day}）内の日です"),
            ));
        }
        if n.notified_on < n.base_date || n.notified_on > local_date(now) {
            return Err(invalid(
                "notified_on",
                "the notice's date is after the base date and not in the future",
                "連絡票の日付は基準日より後、今日までの日です",
            ));
        }
        if !(1..=rule::MAX_YEAR_YEN).contains(&n.amount) {
            return Err(invalid(
                "amount",
                "the share is a positive amount of yen",
                "支給額は1円以上の金額です",
            ));
        }
        let periods = elig::periods_of_person_db(&self.db, &self.insurer, &person, NOW).await?;
        if crate::benefit::insured_on(&periods, n.base_date) {
            return Err(conflict(
                "the person was insured here on the base date: this insurer computes the year itself",
                "この方は基準日に当保険者の被保険者です。当保険者で計算します（連絡票は基準日の保険者が送るものです）",
            ));
        }
        let Some(last_here) = self
            .last_insured_within(&person, first_day, n.base_date)
            .await?
        else {
            return Err(conflict(
                "the person was not insured here within the year before the base date",
                "この方は計算期間（基準日まで）に当保険者の被保険者ではありませんでした",
            ));
        };
        if kind == "annual_outpatient"
            && kokuho_domain::eligibility::age_on(found.birth_date, n.base_date) < 70
        {
            return Err(invalid(
                "kind",
                "外来年間合算 is for persons 70 to 74 on the base date",
                "外来年間合算は基準日に70歳以上の方が対象です",
            ));
        }
        // the share cannot pass what this insurer certified the person bore
        let (all, elderly) = self
            .borne_here(&person, first, YearMonth::from_date(last_here))
            .await?;
        let bound = if kind == "annual_outpatient" {
            elderly
        } else {
            all
        };
        if n.amount > bound {
            return Err(invalid(
                "amount",
                format!(
                    "the share {} is more than the person bore here from {} to {last_here} ({} yen{})",
                    n.amount,
                    format_month(first),
                    bound,
                    if kind == "annual_outpatient" {
                        ", months as 70–74"
                    } else {
                        ""
                    }
                ),
                format!(
                    "支給額 {}円 が、この方の当保険者での自己負担額（{}〜{}、{}円{}）を超えています。連絡票を確認してください",
                    yen(n.amount),
                    format_month(first),
                    last_here,
                    yen(bound),
                    if kind == "annual_outpatient" {
                        "、70〜74歳の月"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let row = NoticeRow {
            notice_id: 0,
            addressee_id: person.to_string(),
            kind: kind.to_string(),
            year: i64::from(n.year),
            issuer: issuer.clone(),
            reference: reference.to_string(),
            notified_on: n.notified_on,
            base_date: n.base_date,
            amount: n.amount,
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
                        "a notice is already entered for the person's year of this kind: void it first",
                        "この方・年度・種類の連絡票がすでに入力されています。訂正の連絡票なら、前の入力を取り消してから入力してください",
                    ),
                    other => other.into(),
                })
        })
    }

    /// Voids a notice (entered by mistake, or replaced by a corrected one).
    pub async fn void_share_notice(
        &self,
        notice_id: i64,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<NoticeRow> {
        let at = to_us(now);
        let row = in_tx!(self.db, |tx| {
            Ok(repo::void(&mut tx, &self.insurer, notice_id, at, actor).await?)
        })?;
        row.ok_or(AppError::NotFound {
            what: "notice",
            message_ja: "取り消せる連絡票の入力がありません",
        })
    }

    /// A person's notices, voided ones too.
    pub async fn share_notices(&self, addressee_id: &str) -> Result<Vec<ShareNoticeView>> {
        let person = AddresseeId::parse(addressee_id.trim())
            .map_err(|e| AppError::from(e).for_field("addressee_id"))?;
        Ok(repo::of_person(&self.db, &self.insurer, person.as_str())
            .await?
            .iter()
            .map(ShareNoticeView::from)
            .collect())
    }
}
