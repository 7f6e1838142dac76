//! Recoveries (返納金): a benefit paid, then decided lower by a later run
//! (a claim returned or corrected), leaves the payee owing the difference
//! (民法 第703条, 不当利得). The benefits supervisor assesses it from what
//! was paid for the event, the current decision and earlier recoveries;
//! the clerk records the repayment, or the supervisor cancels an
//! assessment made in error. What is recovered is taken off what the
//! event counts as applied for, so a later higher decision pays only the
//! new difference.

use kokuho_domain::annual_outpatient::year_months;
use kokuho_domain::burden::{format_month, yen};
use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::id::AddresseeId;
use kokuho_store::recovery as repo;
pub use kokuho_store::recovery::RecoveryRow;
use time::{Date, OffsetDateTime};

use crate::eligibility::{Actor, in_tx, to_us};
use crate::{AppError, Kokuho, Result, local_date};

/// The event a recovery is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecoveryEvent {
    /// 高額療養費 of a household's service month
    HighCost {
        household_number: String,
        service_month: YearMonth,
    },
    /// 外来年間合算 of a person's year (its August's year)
    AnnualOutpatient { addressee_id: String, year: i32 },
    /// 高額介護合算療養費 of the household a member belonged to on the base
    /// date of the year (its August's year)
    CombinedCare { addressee_id: String, year: i32 },
}

/// The event as the tables name it, and what is due on it now.
struct Resolved {
    kind: &'static str,
    subject: String,
    period: String,
    event_on: Date,
    due: i64,
    decision: String,
    /// a year paid on another insurer's notices: its applications, by the
    /// start of their event key
    key_prefix: Option<String>,
}

/// The period of a year paid on another insurer's notices, apart from a
/// year this insurer computes for the same household.
pub(crate) fn share_period(year: i32) -> String {
    format!("{year}:share")
}

/// Everyone a recovery shows, for the access record: the debtor and, for
/// 外来年間合算 and a year paid on another insurer's notices, the insured
/// person it is about.
pub fn persons_of(r: &RecoveryRow) -> Vec<String> {
    let mut v = vec![r.debtor_id.clone()];
    if r.kind == "annual_outpatient" && r.subject != r.debtor_id {
        v.push(r.subject.clone());
    }
    v
}

fn invalid(field: &'static str, en: impl Into<String>, ja: impl Into<String>) -> AppError {
    AppError::invalid(field, en, ja)
}

impl Kokuho {
    /// A year another insurer computed, paid here on its 支給額計算結果連
    /// 絡票: what is due is the live notice's share (nothing once every
    /// notice is voided), on the person's last day insured here in the
    /// year (the day the applications were taken on). `None` when no
    /// notice of the kind was ever entered for the person's year.
    async fn resolve_share_recovery(
        &self,
        addressee_id: &str,
        kind: &'static str,
        year: i32,
    ) -> Result<Option<Resolved>> {
        let person = AddresseeId::parse(addressee_id.trim())
            .map_err(|e| AppError::from(e).for_field("addressee_id"))?;
        let notices: Vec<_> =
            kokuho_store::share_notice::of_person(&self.db, &self.insurer, person.as_str())
                .await?
                .into_iter()
                .filter(|n| n.kind == kind && n.year == i64::from(year))
                .collect();
        // the latest first: its base date is the one the applications used
        let Some(latest) = notices.first() else {
            return Ok(None);
        };
        let live = notices.iter().find(|n| n.voided_us.is_none());
        let (_, first_day, _) = crate::combined_care::year_days(year)?;
        let base = live.map_or(latest.base_date, |n| n.base_date);
        // the day the recovery is dated on; what was paid is found by the
        // applications' keys, not by this day
        let event_on = self
            .last_insured_within(&person, first_day, base)
            .await?
            .unwrap_or(base);
        Ok(Some(Resolved {
            kind,
            subject: person.as_str().to_string(),
            period: share_period(year),
            key_prefix: Some(kokuho_store::share_notice::key_prefix(
                kind,
                person.as_str(),
                i64::from(year),
            )),
            event_on,
            due: live.map_or(0, |n| n.amount),
            decision: live.map_or_else(
                || "支給額計算結果連絡票（取消済み）".to_string(),
                |n| {
                    format!(
                        "保険者 {} の支給額計算結果連絡票（{}、{}）",
                        n.issuer, n.reference, n.notified_on
                    )
                },
            ),
        }))
    }

    async fn resolve_recovery(
        &self,
        event: &RecoveryEvent,
        now: OffsetDateTime,
    ) -> Result<Resolved> {
        match event {
            RecoveryEvent::CombinedCare { addressee_id, year }
            | RecoveryEvent::AnnualOutpatient { addressee_id, year }
                if let Some(r) = self
                    .resolve_share_recovery(
                        addressee_id,
                        if matches!(event, RecoveryEvent::CombinedCare { .. }) {
                            "combined_care"
                        } else {
                            "annual_outpatient"
                        },
                        *year,
                    )
                    .await? =>
            {
                Ok(r)
            }
            RecoveryEvent::CombinedCare { addressee_id, year } => {
                // the year as it stands now: the certificates as entered now
                let y = self.combined_care_year(addressee_id, *year, now).await?;
                if y.provisional {
                    // nothing provisional is paid; nor is it claimed back
                    return Err(AppError::Conflict {
                        message_en: "the year as computed now rests on a provisional rule: no recovery is assessed on it".into(),
                        message_ja: "現在の計算は暫定の規則によるため、返納金は調定できません".into(),
                    });
                }
                Ok(Resolved {
                    key_prefix: None,
                    kind: "combined_care",
                    subject: y.household_number.clone(),
                    period: year.to_string(),
                    event_on: y.base_date,
                    due: y.medical,
                    decision: format!(
                        "高額介護合算の計算（基準日 {}、世帯 {}）",
                        y.base_date, y.household_number
                    ),
                })
            }
            RecoveryEvent::HighCost {
                household_number,
                service_month,
            } => {
                let month = format_month(*service_month);
                let event_on = service_month.first_day().ok_or_else(|| {
                    invalid("service_month", "not a month", "診療月が正しくありません")
                })?;
                let current = kokuho_store::high_cost::household_decisions(
                    &self.db,
                    &self.insurer,
                    household_number.trim(),
                )
                .await?
                .into_iter()
                .find(|d| d.service_month == month && d.superseded_us.is_none());
                Ok(Resolved {
                    key_prefix: None,
                    kind: "high_cost_benefit",
                    subject: household_number.trim().to_string(),
                    period: month.clone(),
                    event_on,
                    due: current.as_ref().map_or(0, |d| d.refund),
                    decision: current.map_or_else(
                        || "月次計算の決定なし".to_string(),
                        |d| format!("月次計算 第{}回 決定第{}版", d.run_id, d.version_no),
                    ),
                })
            }
            RecoveryEvent::AnnualOutpatient { addressee_id, year } => {
                let person = AddresseeId::parse(addressee_id.trim())
                    .map_err(|e| AppError::from(e).for_field("addressee_id"))?;
                let event_on = year_months(*year)
                    .and_then(|(_, last)| last.last_day())
                    .ok_or_else(|| invalid("year", "year out of range", "年度が範囲外です"))?;
                let current = kokuho_store::annual_outpatient::person_decisions(
                    &self.db,
                    &self.insurer,
                    person.as_str(),
                )
                .await?
                .into_iter()
                .find(|d| d.year == i64::from(*year) && d.superseded_us.is_none());
                Ok(Resolved {
                    key_prefix: None,
                    kind: "annual_outpatient",
                    subject: person.as_str().to_string(),
                    period: year.to_string(),
                    event_on,
                    due: current.as_ref().map_or(0, |d| d.benefit),
                    decision: current.map_or_else(
                        || "年間の計算の決定なし".to_string(),
                        |d| format!("年間の計算 第{}回 決定第{}版", d.run_id, d.version_no),
                    ),
                })
            }
        }
    }

    /// What an event's recoveries took back, taken off what the event
    /// counts as applied for. While one is still owed the event cannot be
    /// applied for: the supervisor settles or cancels it first, so money
    /// is never paid out while the same money is claimed back.
    pub(crate) async fn recovered_for(
        &self,
        kind: &str,
        subject: &str,
        period: &str,
    ) -> Result<i64> {
        if repo::open_for(&self.db, &self.insurer, kind, subject, period).await? > 0 {
            return Err(AppError::Conflict {
                message_en: "a recovery of this event is still owed: record it repaid or cancel it first".into(),
                message_ja: "この支給事由の返納金が未納です。納付の記録または取消を済ませてから申請してください".into(),
            });
        }
        Ok(repo::recovered_db(&self.db, &self.insurer, kind, subject, period).await?)
    }

    /// Assesses what the payee owes for an event: paid − due now − earlier
    /// recoveries. Refused while a benefit decided for the event has not
    /// been paid (its transfer's outcome decides what was paid), and when
    /// nothing is owed.
    pub async fn assess_recovery(
        &self,
        event: &RecoveryEvent,
        assessed_on: Date,
        due_by: Date,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<RecoveryRow> {
        if assessed_on > local_date(now) {
            return Err(invalid(
                "assessed_on",
                "the day of assessment is in the future",
                "調定日が未来の日付です",
            ));
        }
        if due_by < assessed_on {
            return Err(invalid(
                "due_by",
                "the day to repay by is before the assessment",
                "納期限が調定日より前です",
            ));
        }
        let at = to_us(now);
        // 高額介護合算 is computed, not read: its calculation opens its own
        // reads, so it is done before the transaction (SQLite allows one
        // writer); what was paid and recovered is still read under the lock
        let computed = match event {
            RecoveryEvent::CombinedCare { .. } => Some(self.resolve_recovery(event, now).await?),
            _ => None,
        };
        in_tx!(self.db, |tx| {
            // the number first: on PostgreSQL it serialises assessments;
            // the decision is read after it, as it stands now
            let id = repo::next_id(&mut tx, &self.insurer).await?;
            let r = match computed {
                Some(r) => r,
                None => self.resolve_recovery(event, now).await?,
            };
            let (paid, unpaid) = match &r.key_prefix {
                Some(prefix) => {
                    repo::paid_for_key_prefix(&mut tx, &self.insurer, r.kind, prefix).await?
                }
                None => {
                    repo::paid_for_event(&mut tx, &self.insurer, r.kind, &r.subject, r.event_on)
                        .await?
                }
            };
            if !unpaid.is_empty() {
                let ids: Vec<String> = unpaid.iter().map(i64::to_string).collect();
                return Err(AppError::Conflict {
                    message_en: format!(
                        "application(s) {} await their decision or have not been paid yet: decide them and record the payment run's outcome first",
                        ids.join(", ")
                    ),
                    message_ja: format!(
                        "決定待ち、または支給決定後の支払が済んでいない申請（受付番号 {}）があります。決定と支払の結果の記録を済ませてから返納額を計算してください",
                        ids.join("、")
                    ),
                });
            }
            let paid_total: i64 = paid.iter().map(|p| p.2).sum();
            // One debtor: money paid to several people (a householder
            // changed, an heir) is not charged to one of them.
            let mut payees: Vec<&str> = paid.iter().map(|p| p.1.as_str()).collect();
            payees.sort_unstable();
            payees.dedup();
            if payees.len() > 1 {
                return Err(AppError::Conflict {
                    message_en: format!(
                        "the event was paid to {} people ({}): assess each one's part by hand",
                        payees.len(),
                        payees.join(", ")
                    ),
                    message_ja: format!(
                        "この支給事由は複数の方（{}）に支払われています。返納額はそれぞれについて個別に確認してください",
                        payees.join("、")
                    ),
                });
            }
            let Some((_, debtor, _)) = paid.last() else {
                return Err(AppError::Conflict {
                    message_en: "nothing was paid for the event".into(),
                    message_ja: "この支給事由には支払済みの給付がありません".into(),
                });
            };
            let recovered =
                repo::recovered(&mut tx, &self.insurer, r.kind, &r.subject, &r.period).await?;
            let amount = paid_total - r.due - recovered;
            if amount <= 0 {
                return Err(AppError::Conflict {
                    message_en: format!(
                        "nothing is owed: paid {paid_total}, due now {}, recovered or claimed {recovered}",
                        r.due
                    ),
                    message_ja: format!(
                        "返納の必要はありません（支払済み {}円、現在の決定 {}円、返納済み・請求中 {}円）",
                        yen(paid_total),
                        yen(r.due),
                        yen(recovered)
                    ),
                });
            }
            let mut basis = vec![format!(
                "支払済み {}円（受付番号 {}）",
                yen(paid_total),
                paid.iter()
                    .map(|p| p.0.to_string())
                    .collect::<Vec<_>>()
                    .join("・")
            )];
            basis.push(format!(
                "現在の決定（{}）による額 {}円",
                r.decision,
                yen(r.due)
            ));
            if recovered > 0 {
                basis.push(format!(
                    "これまでの返納額（返納済み・請求中） {}円",
                    yen(recovered)
                ));
            }
            basis.push(format!(
                "返納額 {} − {} − {} = {}円",
                yen(paid_total),
                yen(r.due),
                yen(recovered),
                yen(amount)
            ));
            let row = RecoveryRow {
                recovery_id: id,
                kind: r.kind.to_string(),
                subject: r.subject.clone(),
                period: r.period.clone(),
                debtor_id: debtor.clone(),
                paid_total,
                due_total: r.due,
                amount,
                basis: basis.join("\n"),
                assessed_on,
                due_by,
                assessed_us: at,
                assessed_by: actor.to_string(),
                status: "assessed".into(),
                settled_on: None,
                settled_note: None,
                settled_us: None,
                settled_by: None,
            };
            repo::insert(&mut tx, &self.insurer, &row).await?;
            Ok(row)
        })
    }

    /// Records an assessment repaid (`repaid`), or cancels one made in
    /// error (a note is required).
    pub async fn settle_recovery(
        &self,
        recovery_id: i64,
        repaid: bool,
        on: Date,
        note: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<RecoveryRow> {
        let note = note.trim();
        if !repaid && note.is_empty() {
            return Err(invalid(
                "note",
                "a cancellation needs its reason",
                "取り消す理由を入力してください",
            ));
        }
        crate::leak_scan::refuse_my_number("note", note)?;
        let row = repo::get(&self.db, &self.insurer, recovery_id)
            .await?
            .ok_or(AppError::NotFound {
                what: "recovery",
                message_ja: "該当する返納金がありません",
            })?;
        if on < row.assessed_on || on > local_date(now) {
            return Err(invalid(
                "on",
                "the day is before the assessment or in the future",
                "日付が調定日より前か、未来の日付です",
            ));
        }
        let at = to_us(now);
        let status = if repaid { "repaid" } else { "cancelled" };
        let done = in_tx!(self.db, |tx| {
            Ok(repo::settle(
                &mut tx,
                &self.insurer,
                recovery_id,
                status,
                on,
                note,
                at,
                actor,
            )
            .await?)
        })?;
        if !done {
            return Err(AppError::Conflict {
                message_en: format!("recovery {recovery_id} is settled already"),
                message_ja: "この返納金は処理済みです".into(),
            });
        }
        repo::get(&self.db, &self.insurer, recovery_id)
            .await?
            .ok_or(AppError::NotFound {
                what: "recovery",
                message_ja: "該当する返納金がありません",
            })
    }

    /// Assessments, the latest first (only those still owed when `owed`).
    pub async fn recoveries(&self, owed: bool, limit: i64) -> Result<Vec<RecoveryRow>> {
        Ok(repo::list(&self.db, &self.insurer, owed, limit).await?)
    }
}
