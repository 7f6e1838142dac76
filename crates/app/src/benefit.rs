//! Benefit applications and decisions (給付の申請・決定), one workflow for
//! every kind: received and checked together (the person insured on the
//! event's day, the amount by the rules of that day, the two years of
//! 国民健康保険法 第110条, no second application for one event) — refused
//! with the reason and nothing kept when any check fails; then decided by a
//! supervisor other than the clerk who received it (支給, or 不支給 with the
//! reason); then paid by a payment run (`payment_run`).
//!
//! Who is paid: the householder (国民健康保険法 第54条, 第57条の2, 第58条 pay
//! the 世帯主), except 葬祭費, which goes to whoever held the funeral.

pub use kokuho_domain::benefit::PayeeBasis;
use kokuho_domain::benefit::{self as rule, BenefitKind, BenefitRules, Event, ReimbursementType};
use kokuho_domain::burden::{copay_percent_in, format_month};
use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::id::AddresseeId;
use kokuho_store::benefit::{self as repo, ApplicationRow};
use kokuho_store::eligibility::{self as elig, NOW};
use serde::Serialize;
use time::{Date, OffsetDateTime};
use unicode_normalization::UnicodeNormalization;

use crate::eligibility::{Actor, in_tx, to_us};
use crate::{AppError, Kokuho, Result, local_date};

/// The event of an application, as the clerk enters it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventInput {
    Childbirth {
        born_on: Date,
        children: u8,
        gestation_days: u32,
        compensation_covered: bool,
        paid_directly: i64,
    },
    Funeral {
        died_on: Date,
        funeral_on: Date,
    },
    Reimbursement {
        kind: ReimbursementType,
        service_on: Date,
        /// the cost as the fee schedule gives it, after the clerk's check
        cost: i64,
        /// what tells two applications for the same day apart (the
        /// receipt's or the provider's number)
        reference: String,
    },
    Transport {
        moved_on: Date,
        paid: i64,
        economical: i64,
    },
    /// 食事療養標準負担額差額: meals of one stay paid at the general charge
    /// by a low-income person (the category comes from the household's
    /// burden categories of the month)
    MealDifference {
        first_meal_on: Date,
        last_meal_on: Date,
        meals: u32,
        /// over 90 days of stay in the last twelve months (長期該当)
        long_stay: bool,
    },
    /// 高額療養費 of a household's service month, as the monthly run
    /// decided it
    HighCost {
        household_number: String,
        service_month: YearMonth,
    },
    /// 高額療養費（外来年間合算） of a person (the application's
    /// `addressee_id`) for the year whose August is `year`, as the yearly
    /// run decided it
    AnnualOutpatient {
        year: i32,
    },
    /// 高額介護合算療養費 of the household a member (the application's
    /// `addressee_id`) belonged to on the base date of the year whose
    /// August is `year`, computed at the counter
    CombinedCare {
        year: i32,
    },
}

/// An application as received at the counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicationInput {
    /// the insured person the event is about (宛名番号); for 高額療養費
    /// the householder is taken from the run's decision and this is ignored
    pub addressee_id: String,
    pub event: EventInput,
    pub received_on: Date,
    /// who applied, and how they relate to the insured person
    pub applicant: String,
    /// the documents shown (領収書, 会葬礼状, 合意文書 …)
    pub documents: String,
    /// who is paid (宛名番号): by default the householder on the event's
    /// day; 葬祭費 must name who held the funeral; an heir or a proxy must
    /// be named
    pub payee_id: Option<String>,
    /// the payee chose the application's account over the 公金受取口座
    pub application_account: bool,
    /// why the payee is paid: the entitled person, an heir, a proxy
    pub payee_basis: PayeeBasis,
    /// 葬祭費 paid to an heir or a proxy: who held the funeral (宛名番号)
    pub entitled_id: Option<String>,
    /// 高額療養費: the householder asks for the simplified route — later
    /// months applied for by the monthly batch (where the town takes it)
    pub simplified_route: bool,
}

/// The town setting that takes the simplified route for 高額療養費
/// (申請簡素化): `true` or `false` (the default).
pub const SIMPLIFIED_ROUTE: &str = "high_cost_simplified_route";

/// What the simplified route's batch did for a service month.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SimplifiedReport {
    pub households: usize,
    /// applications made (awaiting the supervisor's decision)
    pub created: Vec<i64>,
    /// households already applied for that month
    pub already: usize,
    /// households with nothing to refund (or no decision) that month
    pub nothing: usize,
    /// households refused by a check, with the reason
    pub refused: Vec<(String, String)>,
}

/// An application as screens and the command line show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApplicationView {
    pub application_id: i64,
    pub kind: &'static str,
    pub kind_label: String,
    pub addressee_id: String,
    pub household_number: Option<String>,
    pub event_on: Date,
    pub received_on: Date,
    pub applicant: String,
    pub documents: String,
    pub payee_id: String,
    pub application_account: bool,
    /// entitled | heir | proxy, and its label
    pub payee_basis: &'static str,
    pub payee_basis_label: &'static str,
    /// the person the law pays, where the payee is another (heir, proxy)
    pub entitled_id: Option<String>,
    pub amount: i64,
    pub steps: Vec<String>,
    pub rule: String,
    pub provisional: bool,
    pub received_by: String,
    /// 審査待ち, 支給決定, 不支給決定
    pub status: &'static str,
    pub decision_reason: Option<String>,
    pub decided_on: Option<Date>,
    pub decided_by: Option<String>,
    /// 高額介護合算: the members of the base date's household the
    /// calculation shows (for the access record)
    pub members: Vec<String>,
}

impl ApplicationView {
    /// Everyone the application is about, for the access record: the
    /// insured person, the payee and, for an heir or a proxy, the person
    /// the law pays.
    pub fn persons(&self) -> Vec<String> {
        let mut v = vec![self.addressee_id.clone()];
        for p in [Some(&self.payee_id), self.entitled_id.as_ref()]
            .into_iter()
            .flatten()
            .chain(&self.members)
        {
            if !v.contains(p) {
                v.push(p.clone());
            }
        }
        v
    }
}

pub(crate) fn view(r: &ApplicationRow) -> ApplicationView {
    let kind = BenefitKind::parse(&r.kind);
    let sub = r.subtype.as_deref().and_then(ReimbursementType::parse);
    let members: Vec<String> = if r.kind == "combined_care" {
        serde_json::from_str::<serde_json::Value>(&r.facts)
            .ok()
            .and_then(|v| {
                v["members"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|m| m.as_str().map(str::to_string))
                        .collect()
                })
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    ApplicationView {
        members,
        application_id: r.application_id,
        kind: kind.map_or("", BenefitKind::code),
        kind_label: match (kind, sub) {
            (Some(k), Some(s)) => format!("{}（{}）", k.label(), s.label()),
            (Some(k), None) => k.label().to_string(),
            _ => r.kind.clone(),
        },
        addressee_id: r.addressee_id.clone(),
        household_number: r.household_number.clone(),
        event_on: r.event_on,
        received_on: r.received_on,
        applicant: r.applicant.clone(),
        documents: r.documents.clone(),
        payee_id: r.payee_id.clone(),
        application_account: r.application_account,
        payee_basis: PayeeBasis::parse(&r.payee_basis).map_or("", PayeeBasis::code),
        payee_basis_label: PayeeBasis::parse(&r.payee_basis).map_or("", PayeeBasis::label),
        entitled_id: r.entitled_id.clone().filter(|e| *e != r.payee_id),
        amount: r.amount,
        steps: r.basis.lines().map(str::to_string).collect(),
        rule: r.rule.clone(),
        provisional: r.provisional,
        received_by: r.received_by.clone(),
        status: match r.decision.as_deref() {
            None => "審査待ち",
            Some("pay") => "支給決定",
            Some("revoked") => "支給決定の取消",
            Some(_) => "不支給決定",
        },
        decision_reason: r
            .revoke_reason
            .clone()
            .or_else(|| r.decision_reason.clone()),
        decided_on: r.decided_on,
        decided_by: r.decided_by.clone(),
    }
}

/// A supervisor's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// 支給
    Pay,
    /// 不支給, with the reason the notice will give
    Refuse { reason: String },
}

fn invalid(field: &'static str, en: impl Into<String>, ja: impl Into<String>) -> AppError {
    AppError::invalid(field, en, ja)
}

pub(crate) fn insured_on(periods: &[elig::PeriodVersion], day: Date) -> bool {
    periods
        .iter()
        .any(|p| crate::eligibility::as_period(p).covers(day))
}

impl Kokuho {
    /// Revokes a decision to pay before any money went (no transfer
    /// pending or paid) — the payee died and the heir applies, or the
    /// decision was wrong — with the reason. The event may then be applied
    /// for again.
    pub async fn revoke_decision(
        &self,
        application_id: i64,
        on: Date,
        reason: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<ApplicationView> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid(
                "reason",
                "a revocation needs its reason",
                "取消の理由を入力してください",
            ));
        }
        crate::leak_scan::refuse_my_number("reason", reason)?;
        let app = self.application(application_id).await?;
        if app.decision.as_deref() != Some("pay") {
            return Err(AppError::Conflict {
                message_en: format!("application {application_id} is not decided to pay"),
                message_ja: "この申請は支給決定されていません".into(),
            });
        }
        if app.decided_on.is_some_and(|d| on < d) || on > local_date(now) {
            return Err(invalid(
                "on",
                "the day is before the decision or in the future",
                "取消日が決定日より前か、未来の日付です",
            ));
        }
        let at = to_us(now);
        let done = in_tx!(self.db, |tx| {
            Ok(repo::revoke(
                &mut tx,
                &self.insurer,
                application_id,
                on,
                reason,
                at,
                actor,
            )
            .await?)
        })?;
        if !done {
            return Err(AppError::Conflict {
                message_en: "the benefit is in a payment run or paid: cancel the run, or assess a recovery".into(),
                message_ja: "この給付は支払に組み込まれているか支払済みです（支払の取消、または返納金の調定をしてください）".into(),
            });
        }
        self.application_view(application_id).await
    }

    /// A death recorded since the counter may have changed who is to be
    /// paid: the entitled person's own payment and a proxy's authority end
    /// with their death (民法 第111条), and a payee who died cannot be
    /// paid. Refused so the supervisor decides 不支給 and the heir applies.
    async fn payee_still_stands(&self, app: &ApplicationRow) -> Result<()> {
        let basis = PayeeBasis::parse(&app.payee_basis).unwrap_or_default();
        let entitled = app.entitled_id.as_deref().unwrap_or(&app.payee_id);
        if basis != PayeeBasis::Heir
            && let Some(on) = repo::death_of(&self.db, &self.insurer, entitled).await?
        {
            return Err(AppError::Conflict {
                message_en: format!(
                    "the person entitled ({entitled}) died on {on}: decide 不支給 and receive the heir's application"
                ),
                message_ja: format!(
                    "支給を受ける方（{entitled}）は {on} に亡くなっています。不支給と決定し、相続人からの申請を受け付けてください"
                ),
            });
        }
        if basis != PayeeBasis::Entitled
            && let Some(on) = repo::death_of(&self.db, &self.insurer, &app.payee_id).await?
        {
            return Err(AppError::Conflict {
                message_en: format!("the payee ({}) died on {on}", app.payee_id),
                message_ja: format!(
                    "受取人（{}）は {on} に亡くなっています。不支給と決定し、改めて申請を受け付けてください",
                    app.payee_id
                ),
            });
        }
        Ok(())
    }

    /// Whom the law pays (the householder on the day, or whoever held the
    /// funeral) and who is paid: that person, their heir once they have
    /// died, or the person they authorised while they live.
    async fn payee_of(
        &self,
        input: &ApplicationInput,
        event: &Event,
        household: Option<&str>,
        day: Date,
    ) -> Result<(AddresseeId, AddresseeId)> {
        let named = |field: &'static str, v: &Option<String>| -> Result<Option<AddresseeId>> {
            match v.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                None => Ok(None),
                Some(p) => Ok(Some(
                    AddresseeId::parse(p)
                        .map_err(|e| AppError::from(e).for_field(field))?
                        .to_owned(),
                )),
            }
        };
        let payee = named("payee_id", &input.payee_id)?;
        let entitled = if event.kind() == BenefitKind::FuneralGrant {
            let holder = match input.payee_basis {
                PayeeBasis::Entitled => named("entitled_id", &input.entitled_id)?.or(payee.clone()),
                _ => named("entitled_id", &input.entitled_id)?,
            };
            holder.ok_or_else(|| {
                invalid(
                    if input.payee_basis == PayeeBasis::Entitled {
                        "payee_id"
                    } else {
                        "entitled_id"
                    },
                    "葬祭費 is paid to whoever held the funeral: name them",
                    "葬祭費は葬祭を行った方に支給します。葬祭を行った方を指定してください",
                )
            })?
        } else {
            // 第54条, 第57条の2, 第58条 pay the householder
            let hh = household.ok_or_else(|| {
                invalid(
                    "addressee_id",
                    "the person belonged to no household on the day",
                    "その日の世帯が見つかりません",
                )
            })?;
            let holder = self.householder_on(hh, day).await?.ok_or_else(|| {
                invalid(
                    "payee_id",
                    "the household has no householder on record",
                    "世帯主が登録されていません",
                )
            })?;
            let holder = AddresseeId::parse(&holder)?.to_owned();
            // whom the law pays is not the caller's to choose here
            if let Some(named) = named("entitled_id", &input.entitled_id)?
                && named != holder
            {
                return Err(invalid(
                    "entitled_id",
                    format!("the law pays the householder on the day ({holder}) for this benefit"),
                    format!("この給付はその日の世帯主（{holder}）に支給します"),
                ));
            }
            holder
        };
        kokuho_store::addressee::get_person(&self.db, &self.insurer, &entitled)
            .await?
            .ok_or(AppError::NotFound {
                what: "entitled person",
                message_ja: "支給を受ける方（葬祭を行った方）の宛名がありません",
            })?;
        let died = repo::death_of(&self.db, &self.insurer, entitled.as_str()).await?;
        let payee = match input.payee_basis {
            PayeeBasis::Entitled => {
                if let Some(p) = &payee
                    && *p != entitled
                {
                    return Err(invalid(
                        "payee_basis",
                        "this benefit is paid to the householder: another payee is an heir or a proxy",
                        "この給付は世帯主に支給します。ほかの方が受け取るときは、受取人の区分を相続人または代理人（委任）にしてください",
                    ));
                }
                if let Some(on) = died {
                    return Err(invalid(
                        "payee_basis",
                        format!("the person entitled ({entitled}) died on {on}: the heir applies"),
                        format!(
                            "支給を受ける方（{entitled}）は {on} に亡くなっています。相続人を受取人として申請してください"
                        ),
                    ));
                }
                entitled.clone()
            }
            PayeeBasis::Heir | PayeeBasis::Proxy => {
                let heir = input.payee_basis == PayeeBasis::Heir;
                let p = payee.ok_or_else(|| {
                    invalid(
                        "payee_id",
                        "name the heir or the proxy who is paid",
                        "受取人（相続人・代理人）を指定してください",
                    )
                })?;
                if p == entitled {
                    return Err(invalid(
                        "payee_id",
                        "the payee is the entitled person: choose the entitled basis",
                        "受取人が支給を受ける方ご本人です。受取人の区分を本人にしてください",
                    ));
                }
                match (heir, died) {
                    (true, None) => {
                        return Err(invalid(
                            "payee_basis",
                            format!("no death of {entitled} is on record: an heir cannot be paid"),
                            format!(
                                "支給を受ける方（{entitled}）の死亡が記録されていません。相続人への支給はできません"
                            ),
                        ));
                    }
                    (false, Some(on)) => {
                        // 民法 第111条第1項第1号: the mandate ends with the
                        // principal's death
                        return Err(invalid(
                            "payee_basis",
                            format!(
                                "{entitled} died on {on}: the authority ended, the heir applies"
                            ),
                            format!(
                                "委任した方（{entitled}）は {on} に亡くなっており、委任は終了しています。相続人を受取人として申請してください"
                            ),
                        ));
                    }
                    _ => {}
                }
                if let Some(on) = repo::death_of(&self.db, &self.insurer, p.as_str()).await? {
                    return Err(invalid(
                        "payee_id",
                        format!("the payee {p} died on {on}"),
                        format!("受取人（{p}）は {on} に亡くなっています"),
                    ));
                }
                // The 公金受取口座 is for public money due to its holder
                // (公金受取口座登録法 第1条); money due to another is paid to
                // the account the application gives.
                if !input.application_account {
                    return Err(invalid(
                        "application_account",
                        "an heir or a proxy is paid to the account the application gives",
                        "相続人・代理人への支給は、申請書に記入された口座に振り込みます。申請の口座を指定してください",
                    ));
                }
                if input.documents.trim().is_empty() {
                    return Err(invalid(
                        "documents",
                        if heir {
                            "name the documents shown (相続人代表者の申立書, 戸籍謄本 …)"
                        } else {
                            "name the letter of authority (委任状) shown"
                        },
                        if heir {
                            "確認した書類（相続人代表者の申立書・戸籍謄本など）を入力してください"
                        } else {
                            "確認した委任状を入力してください"
                        },
                    ));
                }
                p
            }
        };
        kokuho_store::addressee::get_person(&self.db, &self.insurer, &payee)
            .await?
            .ok_or(AppError::NotFound {
                what: "payee",
                message_ja: "受取人の宛名がありません",
            })?;
        Ok((entitled, payee))
    }

    /// The reduced meal charge a person was due on a day: from the
    /// household's burden categories of the month — under 70 オ or 70–74
    /// 低所得Ⅱ: 住民税非課税 (長期 when the stay passed 90 days); 70–74
    /// 低所得Ⅰ. Anyone else paid the general charge rightly.
    async fn meal_category(
        &self,
        person: &AddresseeId,
        day: Date,
        long_stay: bool,
    ) -> Result<kokuho_domain::benefit::MealCategory> {
        use kokuho_domain::benefit::MealCategory;
        use kokuho_domain::burden::{Elderly, Under70};
        let p = kokuho_store::addressee::get_person(&self.db, &self.insurer, person)
            .await?
            .ok_or(AppError::NotFound {
                what: "person",
                message_ja: "該当する宛名がありません",
            })?;
        let household = self.household_of_on(person, day).await?;
        let burden = match household {
            Some(h) => {
                kokuho_store::burden::current(
                    &self.db,
                    &self.insurer,
                    &h,
                    &format_month(YearMonth::from_date(day)),
                )
                .await?
            }
            None => None,
        }
        .ok_or_else(|| {
            invalid(
                "first_meal_on",
                "no burden categories judged for the person's household in that month",
                "その月の負担区分が判定されていません（先に負担区分を判定してください）",
            )
        })?;
        // 70–74 from the month after the 70th birthday (the 1st: that month),
        // as the burden categories count it
        let seventy = kokuho_domain::burden::age_group(p.birth_date, YearMonth::from_date(day))
            == kokuho_domain::burden::AgeGroup::Elderly;
        let low = if seventy {
            match burden
                .category_70_74
                .as_deref()
                .and_then(Elderly::from_label)
            {
                Some(Elderly::LowIncome1) => Some(MealCategory::LowIncome1),
                Some(Elderly::LowIncome2) => Some(MealCategory::NonTaxable),
                _ => None,
            }
        } else {
            match burden
                .category_under_70
                .as_deref()
                .and_then(Under70::from_label)
            {
                Some(Under70::O) => Some(MealCategory::NonTaxable),
                _ => None,
            }
        };
        let c = low.ok_or_else(|| {
            invalid(
                "first_meal_on",
                "the person was not low-income that month: the general charge was due",
                "その月は住民税非課税世帯等に該当しないため、差額はありません",
            )
        })?;
        Ok(match (c, long_stay) {
            (MealCategory::NonTaxable, true) => MealCategory::NonTaxableLong,
            (c, _) => c,
        })
    }

    /// The household a person belonged to on a day (as known now).
    pub(crate) async fn household_of_on(
        &self,
        person: &AddresseeId,
        day: Date,
    ) -> Result<Option<String>> {
        in_tx!(self.db, |tx| {
            let ms = elig::memberships_of_person(&mut tx, &self.insurer, person, NOW).await?;
            Ok(ms
                .into_iter()
                .find(|m| m.valid_from <= day && m.valid_to.is_none_or(|t| day < t))
                .map(|m| m.household_number.to_string()))
        })
    }

    /// The application for a year another insurer computed, when a live
    /// 支給額計算結果連絡票 of the kind is entered for the person's year:
    /// the event, the person, their household here on their last day
    /// insured here, and the key (one application per notice and what was
    /// applied for before it, less recoveries).
    async fn notified_share(
        &self,
        addressee_id: &str,
        kind: BenefitKind,
        year: i32,
    ) -> Result<Option<SharedEvent>> {
        let person = AddresseeId::parse(addressee_id.trim())
            .map_err(|e| AppError::from(e).for_field("addressee_id"))?
            .to_owned();
        let code = crate::share_notice::notice_kind(kind)?;
        let Some(n) = kokuho_store::share_notice::live(
            &self.db,
            &self.insurer,
            person.as_str(),
            code,
            i64::from(year),
        )
        .await?
        else {
            return Ok(None);
        };
        let (_, first_day, _) = crate::combined_care::year_days(year)?;
        let last_here = self
            .last_insured_within(&person, first_day, n.base_date)
            .await?
            .ok_or_else(|| {
                invalid(
                    "addressee_id",
                    "the person was not insured here within the notice's year",
                    "この方は連絡票の計算期間に当保険者の被保険者ではありませんでした",
                )
            })?;
        let household = self.household_of_on(&person, last_here).await?;
        let (applied, waiting) = kokuho_store::share_notice::applied(
            &self.db,
            &self.insurer,
            person.as_str(),
            code,
            i64::from(year),
        )
        .await?;
        if waiting > 0 {
            return Err(AppError::Conflict {
                message_en: format!(
                    "an application on the notice of the person's year {year} awaits its decision: decide it first"
                ),
                message_ja: "この方・年度の連絡票による申請が決定待ちです（先に決定してください）"
                    .into(),
            });
        }
        // recoveries of the notices' year: by the person, apart from a year
        // this insurer computes for the household (crate::recovery)
        let already = applied
            - self
                .recovered_for(code, person.as_str(), &crate::recovery::share_period(year))
                .await?;
        let key = format!("{code}_share:{person}:{year}:{}:{already}", n.notice_id);
        Ok(Some((
            Event::NotifiedShare {
                kind,
                year,
                base_date: n.base_date,
                last_insured_on: last_here,
                issuer: n.issuer,
                reference: n.reference,
                notified_on: n.notified_on,
                share: n.amount,
                already,
            },
            person,
            household,
            key,
            None,
        )))
    }

    pub(crate) async fn householder_on(
        &self,
        household: &str,
        day: Date,
    ) -> Result<Option<String>> {
        Ok(kokuho_store::high_cost::householders_on(
            &self.db,
            &self.insurer,
            day,
            &[household.to_string()],
            NOW,
        )
        .await?
        .remove(household))
    }

    /// Receives and checks an application; kept only when every check
    /// passes (awaiting the supervisor's decision). A 受付日 before the
    /// right lapsed, entered after it lapsed, is a supervisor's to enter
    /// (`receive_application_as` with `may_backdate`).
    pub async fn receive_application(
        &self,
        input: &ApplicationInput,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<ApplicationView> {
        self.receive_application_as(input, actor, false, now).await
    }

    /// As `receive_application`; `may_backdate`: the actor may enter a
    /// 受付日 that saves a right which had lapsed by the day of entry (an
    /// application that came by post and was found late). The two-year
    /// limit runs to the day the application arrived (国民健康保険法 第110条;
    /// 民法 第147条: a claim interrupts it), so the 受付日 decides; since
    /// anyone could type an earlier one, the supervisor answers for it, and
    /// the day of entry is kept beside it (`received_us`).
    pub async fn receive_application_as(
        &self,
        input: &ApplicationInput,
        actor: Actor<'_>,
        may_backdate: bool,
        now: OffsetDateTime,
    ) -> Result<ApplicationView> {
        let rules = BenefitRules::shipped().map_err(|e| AppError::Setup {
            message_en: e.to_string(),
            message_ja: "給付の規則表が読めません".into(),
        })?;
        let today = local_date(now);
        if input.received_on > today {
            return Err(invalid(
                "received_on",
                "the day received is in the future",
                "受付日が未来の日付です",
            ));
        }
        if input.applicant.trim().is_empty() {
            return Err(invalid(
                "applicant",
                "the applicant is required",
                "申請者を入力してください",
            ));
        }
        crate::leak_scan::refuse_my_number("applicant", &input.applicant)?;
        crate::leak_scan::refuse_my_number("documents", &input.documents)?;
        if let EventInput::Reimbursement { reference, .. } = &input.event {
            crate::leak_scan::refuse_my_number("reference", reference)?;
        }
        // The event, the person it is about, its household and the key
        // that makes a second application for it a duplicate.
        let (event, person, household, key, subtype) = match &input.event {
            EventInput::AnnualOutpatient { year } => {
                if let Some(shared) = self
                    .notified_share(&input.addressee_id, BenefitKind::AnnualOutpatient, *year)
                    .await?
                {
                    shared
                } else {
                    let person = AddresseeId::parse(input.addressee_id.trim())
                        .map_err(|e| AppError::from(e).for_field("addressee_id"))?
                        .to_owned();
                    let decision = kokuho_store::annual_outpatient::person_decisions(
                    &self.db,
                    &self.insurer,
                    person.as_str(),
                )
                .await?
                .into_iter()
                .find(|d| d.year == i64::from(*year) && d.superseded_us.is_none())
                .ok_or_else(|| {
                    invalid(
                        "year",
                        "no annual outpatient decision for the person and year: run the year first",
                        "この方・年度の外来年間合算の計算結果がありません（先に年間の計算を実行してください）",
                    )
                })?;
                    // The latest run of the year read the certificates as known
                    // at its time (a run that changed nothing books no version,
                    // so the decision's own time is not the one to compare).
                    let read_at = kokuho_store::annual_outpatient::runs(&self.db, &self.insurer)
                        .await?
                        .into_iter()
                        .filter(|r| r.year == i64::from(*year))
                        .map(|r| r.known_at_us)
                        .max()
                        .unwrap_or(decision.recorded_us);
                    if kokuho_store::other_insurer::changed_since(
                        &self.db,
                        &self.insurer,
                        person.as_str(),
                        i64::from(*year),
                        read_at,
                    )
                    .await?
                    {
                        return Err(AppError::Conflict {
                        message_en: format!(
                            "another insurer's certificate for the year {year} was entered or voided after the decision: run the year again first"
                        ),
                        message_ja: "この決定の後に、ほかの保険者の自己負担額証明書の入力が変わりました。年間の計算をやり直してから申請してください".into(),
                    });
                    }
                    // the decision's base date: 31 July, or the day of death within
                    // the year
                    let july = kokuho_domain::annual_outpatient::year_months(*year)
                        .and_then(|(_, last)| last.last_day())
                        .ok_or_else(|| invalid("year", "year out of range", "年度が範囲外です"))?;
                    let base_date = kokuho_domain::wareki::parse_date(
                        &crate::annual_outpatient::basis_of(&decision).base_date,
                    )
                    .ok()
                    .filter(|d| *d <= july)
                    .unwrap_or(july);
                    let (applied, waiting) =
                        repo::annual_applied(&self.db, &self.insurer, person.as_str(), base_date)
                            .await?;
                    // what was recovered (返納) no longer counts as applied for
                    let already = applied
                        - self
                            .recovered_for("annual_outpatient", person.as_str(), &year.to_string())
                            .await?;
                    if waiting > 0 {
                        return Err(AppError::Conflict {
                            message_en: format!(
                                "an application for the person's year {year} awaits its decision: decide it first"
                            ),
                            message_ja: "この方・年度の申請が決定待ちです（先に決定してください）"
                                .into(),
                        });
                    }
                    if already > 0 && already == decision.benefit {
                        return Err(AppError::Conflict {
                            message_en: format!(
                                "the person's year {year} was applied for in full already"
                            ),
                            message_ja: "この方・年度の外来年間合算は申請済みです".into(),
                        });
                    }
                    if !decision.review.is_empty() && decision.benefit == 0 {
                        return Err(invalid(
                            "year",
                            format!(
                                "the year's decision is listed for a clerk: {}",
                                decision.review
                            ),
                            format!("この年度の決定は確認事項があります：{}", decision.review),
                        ));
                    }
                    (
                        Event::AnnualOutpatient {
                            base_date,
                            benefit: decision.benefit,
                            already,
                            provisional: {
                                let b = crate::annual_outpatient::basis_of(&decision);
                                b.provisional
                                    || b.steps
                                        .iter()
                                        .any(|s| s.starts_with("按分") && s.contains("【暫定】"))
                            },
                            rule: format!(
                                "外来年間合算 年間計算 第{}回 (決定 第{}版)",
                                decision.run_id, decision.version_no
                            ),
                        },
                        person.clone(),
                        decision.household_number.clone(),
                        // one application per version of the year's decision
                        format!("annual_outpatient:{person}:{year}:v{}", decision.version_no),
                        None,
                    )
                }
            }
            EventInput::CombinedCare { year } => {
                if let Some(shared) = self
                    .notified_share(&input.addressee_id, BenefitKind::CombinedCare, *year)
                    .await?
                {
                    shared
                } else {
                    let y = self
                        .combined_care_year(&input.addressee_id, *year, now)
                        .await?;
                    if y.medical <= 0 {
                        return Err(invalid(
                            "year",
                            if y.care_missing {
                                "nothing to pay for the year: no care certificate is entered"
                            } else {
                                "nothing to pay for the year"
                            },
                            if y.care_missing {
                                "この世帯・年度の高額介護合算療養費はありません（介護保険の自己負担額証明書が入力されていません）"
                            } else {
                                "この世帯・年度の高額介護合算療養費はありません"
                            },
                        ));
                    }
                    let (applied, waiting) = kokuho_store::combined_care::applied(
                        &self.db,
                        &self.insurer,
                        &y.household_number,
                        y.base_date,
                    )
                    .await?;
                    if waiting > 0 {
                        return Err(AppError::Conflict {
                            message_en: format!(
                                "an application for the household's year {year} awaits its decision: decide it first"
                            ),
                            message_ja:
                                "この世帯・年度の申請が決定待ちです（先に決定してください）".into(),
                        });
                    }
                    // what was recovered (返納) no longer counts as applied for
                    let already = applied
                        - self
                            .recovered_for("combined_care", &y.household_number, &year.to_string())
                            .await?;
                    let person = AddresseeId::parse(input.addressee_id.trim())?.to_owned();
                    (
                        Event::CombinedCare {
                            base_date: y.base_date,
                            year: *year,
                            medical: y.medical,
                            already,
                            steps: y.steps.clone(),
                            rule: y.source.clone(),
                            provisional: y.provisional,
                            members: y.members.iter().map(|m| m.addressee_id.clone()).collect(),
                        },
                        person,
                        Some(y.household_number.clone()),
                        // one application per state of the year: what it came
                        // to and what was applied for (less recoveries) — a
                        // later certificate that raises it is applied for by the
                        // difference, even back to a figure paid before
                        format!(
                            "combined_care:{}:{}:{}:{already}",
                            y.household_number, y.base_date, y.medical
                        ),
                        None,
                    )
                }
            }
            EventInput::HighCost {
                household_number,
                service_month,
            } => {
                let month = format_month(*service_month);
                let decision = kokuho_store::high_cost::household_decisions(
                    &self.db,
                    &self.insurer,
                    household_number,
                )
                .await?
                .into_iter()
                .find(|d| d.service_month == month && d.superseded_us.is_none())
                .ok_or_else(|| {
                    invalid(
                        "service_month",
                        "no high-cost decision for the household and month: run the month first",
                        "この世帯・診療月の高額療養費の計算結果がありません（先に月次計算を実行してください）",
                    )
                })?;
                let first = service_month.first_day().ok_or_else(|| {
                    invalid("service_month", "not a month", "診療月が正しくありません")
                })?;
                let (applied, waiting) =
                    repo::high_cost_applied(&self.db, &self.insurer, household_number, first)
                        .await?;
                // what was recovered (返納) no longer counts as applied for
                let already = applied
                    - self
                        .recovered_for("high_cost_benefit", household_number, &month)
                        .await?;
                if waiting > 0 {
                    return Err(AppError::Conflict {
                        message_en: format!(
                            "an application for the household's {month} awaits its decision: decide it first"
                        ),
                        message_ja: "この世帯・診療月の申請が決定待ちです（先に決定してください）"
                            .into(),
                    });
                }
                if already > 0 && already == decision.refund {
                    return Err(AppError::Conflict {
                        message_en: format!(
                            "the household's {month} was applied for in full already"
                        ),
                        message_ja: "この世帯・診療月の高額療養費は申請済みです".into(),
                    });
                }
                let householder = decision.householder_id.clone().ok_or_else(|| {
                    invalid(
                        "household_number",
                        "the household has no householder on record",
                        "世帯主が登録されていません",
                    )
                })?;
                (
                    Event::HighCost {
                        service_month_first_day: first,
                        refund: decision.refund,
                        already,
                        rule: format!(
                            "高額療養費 月次計算 第{}回 (決定 第{}版)",
                            decision.run_id, decision.version_no
                        ),
                    },
                    AddresseeId::parse(&householder)?,
                    Some(household_number.clone()),
                    // one application per version of the month's decision:
                    // a later run's version is applied for by its difference
                    format!(
                        "high_cost_benefit:{household_number}:{month}:v{}",
                        decision.version_no
                    ),
                    None,
                )
            }
            other => {
                let person = AddresseeId::parse(&input.addressee_id)?.to_owned();
                let (event, key, subtype) = match other {
                    EventInput::Childbirth {
                        born_on,
                        children,
                        gestation_days,
                        compensation_covered,
                        paid_directly,
                    } => (
                        Event::Childbirth {
                            born_on: *born_on,
                            children: *children,
                            gestation_days: *gestation_days,
                            compensation_covered: *compensation_covered,
                            paid_directly: *paid_directly,
                        },
                        format!("childbirth_grant:{person}:{born_on}"),
                        None,
                    ),
                    EventInput::Funeral {
                        died_on,
                        funeral_on,
                    } => (
                        Event::Funeral {
                            died_on: *died_on,
                            funeral_on: *funeral_on,
                            town: self.town_funeral_grant(*died_on).await?,
                        },
                        format!("funeral_grant:{person}"),
                        None,
                    ),
                    EventInput::Reimbursement {
                        kind,
                        service_on,
                        cost,
                        reference,
                    } => {
                        // the receipt's number tells two applications for one
                        // day apart: required, compared without spaces or case
                        let reference: String = reference
                            .nfkc()
                            .filter(|c| !c.is_whitespace())
                            .collect::<String>()
                            .to_uppercase();
                        if reference.is_empty() {
                            return Err(invalid(
                                "reference",
                                "the receipt's or provider's reference is required",
                                "領収書番号または施術所等の番号を入力してください",
                            ));
                        }
                        let household = self.household_of_on(&person, *service_on).await?;
                        let percent = match household {
                            Some(h) => kokuho_store::burden::current(
                                &self.db,
                                &self.insurer,
                                &h,
                                &format_month(YearMonth::from_date(*service_on)),
                            )
                            .await?
                            .and_then(|b| copay_percent_in(&b.copay_rates, person.as_str())),
                            None => None,
                        }
                        .ok_or_else(|| {
                            invalid(
                                "service_on",
                                "no copay rate judged for the person's household in that month: judge the burden categories first",
                                "その月の負担区分（負担割合）が判定されていません（先に負担区分を判定してください）",
                            )
                        })?;
                        (
                            Event::Reimbursement {
                                kind: *kind,
                                service_on: *service_on,
                                cost: *cost,
                                copay_percent: percent,
                            },
                            format!(
                                "reimbursement:{person}:{}:{service_on}:{reference}",
                                kind.code()
                            ),
                            Some(kind.code().to_string()),
                        )
                    }
                    EventInput::Transport {
                        moved_on,
                        paid,
                        economical,
                    } => (
                        Event::Transport {
                            moved_on: *moved_on,
                            paid: *paid,
                            economical: *economical,
                        },
                        format!("transport_benefit:{person}:{moved_on}"),
                        None,
                    ),
                    EventInput::MealDifference {
                        first_meal_on,
                        last_meal_on,
                        meals,
                        long_stay,
                    } => {
                        // the same meals twice: any live application whose
                        // days overlap these is the same event
                        for (id, facts) in
                            repo::live_meal_applications(&self.db, &self.insurer, person.as_str())
                                .await?
                        {
                            let v: serde_json::Value =
                                serde_json::from_str(&facts).unwrap_or_default();
                            let day = |k: &str| {
                                v[k].as_str()
                                    .and_then(|d| kokuho_domain::wareki::parse_date(d).ok())
                            };
                            if let (Some(from), Some(to)) =
                                (day("first_meal_on"), day("last_meal_on"))
                                && from <= *last_meal_on
                                && *first_meal_on <= to
                            {
                                return Err(AppError::Conflict {
                                    message_en: format!(
                                        "application {id} already covers meals from {from} to {to}"
                                    ),
                                    message_ja: format!(
                                        "受付番号 {id} の申請（{from}〜{to}）と期間が重なります"
                                    ),
                                });
                            }
                        }
                        let category = self
                            .meal_category(&person, *first_meal_on, *long_stay)
                            .await?;
                        (
                            Event::MealDifference {
                                first_meal_on: *first_meal_on,
                                last_meal_on: *last_meal_on,
                                meals: *meals,
                                category,
                            },
                            format!("meal_difference:{person}:{first_meal_on}"),
                            None,
                        )
                    }
                    EventInput::HighCost { .. }
                    | EventInput::AnnualOutpatient { .. }
                    | EventInput::CombinedCare { .. } => unreachable_high_cost()?,
                };
                let household = self.household_of_on(&person, event.insured_on()).await?;
                (event, person, household, key, subtype)
            }
        };
        let day = event.insured_on();
        // a year's share arises after its base date, not on the last day here
        if let Event::NotifiedShare { base_date, .. } = &event
            && input.received_on <= *base_date
        {
            return Err(invalid(
                "received_on",
                format!("the right arises after the base date {base_date}"),
                format!(
                    "受付日が基準日（{base_date}）以前です（支給の権利は基準日の翌日に生じます）"
                ),
            ));
        }
        if input.received_on < day {
            return Err(invalid(
                "received_on",
                "received before the event",
                "受付日が支給事由の日より前です",
            ));
        }
        let last = rule::last_day_to_apply(event.lapse_from());
        if input.received_on > last {
            return Err(invalid(
                "received_on",
                format!("the right lapsed after {last} (two years, 国民健康保険法 第110条)"),
                format!("時効（2年）により請求できません（請求期限 {last}）"),
            ));
        }
        kokuho_store::addressee::get_person(&self.db, &self.insurer, &person)
            .await?
            .ok_or(AppError::NotFound {
                what: "person",
                message_ja: "該当する宛名がありません",
            })?;
        // 高額療養費 goes to the householder, who may be a 擬制世帯主 (not
        // insured): the run already placed each claim with an insured
        // member, so only the other kinds check the person here.
        let periods = elig::periods_of_person_db(&self.db, &self.insurer, &person, NOW).await?;
        if !matches!(event, Event::HighCost { .. }) && !insured_on(&periods, day) {
            return Err(invalid(
                "addressee_id",
                format!("the person was not insured here on {day}"),
                format!("{day} に国保の被保険者ではありません"),
            ));
        }
        let amount = rule::amount(&rules, &event).map_err(|e| AppError::Invalid {
            field: e.field,
            message_en: e.reason,
            message_ja: e.reason_ja,
        })?;
        if today > last && !may_backdate {
            return Err(invalid(
                "received_on",
                format!(
                    "the right lapsed after {last}, before today: a 受付日 on or before it is entered by a supervisor"
                ),
                format!(
                    "請求期限（{last}）を過ぎてからの入力です。期限内の受付日でさかのぼって受け付けるときは係長が入力してください"
                ),
            ));
        }
        let (entitled, payee) = self
            .payee_of(input, &event, household.as_deref(), day)
            .await?;
        let simplified = match (&input.event, input.simplified_route) {
            (_, false) => None,
            (EventInput::HighCost { service_month, .. }, true) => {
                self.simplified_route_taken().await?;
                Some(format_month(*service_month))
            }
            (_, true) => {
                return Err(invalid(
                    "simplified_route",
                    "the simplified route is for 高額療養費 only",
                    "申請簡素化は高額療養費のみです",
                ));
            }
        };
        let facts = facts_json(&input.event, &event);
        let at = to_us(now);
        let row = in_tx!(self.db, |tx| {
            if let Some(earlier) = repo::live_for_event(&mut tx, &self.insurer, &key).await? {
                return Err(AppError::Conflict {
                    message_en: format!(
                        "application {earlier} is already for the same event (awaiting its decision or decided to pay)"
                    ),
                    message_ja: format!("同じ支給事由の申請（受付番号 {earlier}）があります"),
                });
            }
            let row = ApplicationRow {
                application_id: repo::next_application_id(&mut tx, &self.insurer).await?,
                kind: event.kind().code().to_string(),
                subtype: subtype.clone(),
                addressee_id: person.to_string(),
                household_number: household.clone(),
                event_on: day,
                event_key: key.clone(),
                facts: facts.clone(),
                received_on: input.received_on,
                applicant: input.applicant.trim().to_string(),
                documents: input.documents.trim().to_string(),
                payee_id: payee.to_string(),
                application_account: input.application_account,
                payee_basis: input.payee_basis.code().to_string(),
                entitled_id: Some(entitled.to_string()),
                revoked_on: None,
                revoked_us: None,
                revoked_by: None,
                revoke_reason: None,
                amount: amount.amount,
                basis: amount.steps.join("\n"),
                rule: amount.rule.clone(),
                provisional: amount.provisional,
                received_us: at,
                received_by: actor.to_string(),
                decision: None,
                decision_reason: None,
                decided_on: None,
                decided_us: None,
                decided_by: None,
            };
            repo::insert_application(&mut tx, &self.insurer, &row)
                .await
                .map_err(|e| match e {
                    kokuho_store::StoreError::Duplicate { .. } => AppError::Conflict {
                        message_en: "an application for the same event was received meanwhile"
                            .into(),
                        message_ja: "同じ支給事由の申請があります".into(),
                    },
                    other => other.into(),
                })?;
            if let (Some(from_month), Some(h)) = (&simplified, &household) {
                repo::add_simplified(
                    &mut tx,
                    &self.insurer,
                    &repo::SimplifiedRow {
                        household_number: h.clone(),
                        seq: 0,
                        from_month: from_month.clone(),
                        consented_on: input.received_on,
                        application_id: Some(row.application_id),
                        recorded_us: at,
                        recorded_by: actor.to_string(),
                        ended_us: None,
                        ended_by: None,
                    },
                )
                .await?;
            }
            Ok::<_, AppError>(row)
        })?;
        Ok(view(&row))
    }

    /// Refuses unless the town takes the simplified route.
    async fn simplified_route_taken(&self) -> Result<()> {
        let on = kokuho_store::access::setting(&self.db, &self.insurer, SIMPLIFIED_ROUTE)
            .await?
            .as_deref()
            == Some("true");
        if on {
            Ok(())
        } else {
            Err(invalid(
                "simplified_route",
                "the town does not take the simplified route (setting high_cost_simplified_route)",
                "この保険者は高額療養費の申請簡素化を採用していません",
            ))
        }
    }

    /// Puts a household on the simplified route from a service month (its
    /// 申出書, without an application); whether it was added (false when it
    /// is on it already).
    pub async fn register_simplified_route(
        &self,
        household: &str,
        from_month: YearMonth,
        consented_on: Date,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        self.simplified_route_taken().await?;
        if consented_on > local_date(now) {
            return Err(invalid(
                "consented_on",
                "the day of the request is in the future",
                "申出日が未来の日付です",
            ));
        }
        self.household(household).await?;
        let at = to_us(now);
        in_tx!(self.db, |tx| Ok::<_, AppError>(
            repo::add_simplified(
                &mut tx,
                &self.insurer,
                &repo::SimplifiedRow {
                    household_number: household.trim().to_string(),
                    seq: 0,
                    from_month: format_month(from_month),
                    consented_on,
                    application_id: None,
                    recorded_us: at,
                    recorded_by: actor.to_string(),
                    ended_us: None,
                    ended_by: None,
                },
            )
            .await?
        ))
    }

    /// The households on the simplified route.
    pub async fn simplified_route_households(&self) -> Result<Vec<repo::SimplifiedRow>> {
        Ok(repo::simplified_current(&self.db, &self.insurer).await?)
    }

    /// The simplified route's batch for a service month: for every household
    /// on the route from that month or before, the month's 高額療養費 is
    /// applied for as at the counter (the same checks; the supervisor still
    /// decides). Run again, it makes nothing twice.
    pub async fn apply_simplified_route(
        &self,
        month: YearMonth,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<SimplifiedReport> {
        self.simplified_route_taken().await?;
        let key = format_month(month);
        let mut r = SimplifiedReport::default();
        for h in self.simplified_route_households().await? {
            if h.from_month > key {
                continue;
            }
            r.households += 1;
            let input = ApplicationInput {
                addressee_id: String::new(),
                event: EventInput::HighCost {
                    household_number: h.household_number.clone(),
                    service_month: month,
                },
                received_on: local_date(now),
                applicant: "世帯主（申請簡素化）".into(),
                documents: match h.application_id {
                    Some(a) => format!(
                        "申請簡素化の申出（受付番号 {a} の申請時, {}）",
                        h.consented_on
                    ),
                    None => format!("申請簡素化の申出書（{}）", h.consented_on),
                },
                payee_id: None,
                application_account: false,
                payee_basis: PayeeBasis::Entitled,
                entitled_id: None,
                simplified_route: false,
            };
            match self.receive_application(&input, actor, now).await {
                Ok(v) => r.created.push(v.application_id),
                Err(AppError::Conflict { .. }) => r.already += 1,
                Err(AppError::Invalid {
                    field: "service_month",
                    ..
                }) => r.nothing += 1,
                Err(e @ (AppError::Invalid { .. } | AppError::NotFound { .. })) => {
                    r.refused.push((h.household_number.clone(), e.message_ja()));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(r)
    }

    /// Decides an application awaiting its decision. The supervisor who
    /// decides is never the clerk who received it.
    pub async fn decide_application(
        &self,
        application_id: i64,
        decision: &Decision,
        decided_on: Date,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<ApplicationView> {
        let app = self.application(application_id).await?;
        if app.decision.is_some() {
            return Err(AppError::Conflict {
                message_en: format!("application {application_id} is already decided"),
                message_ja: "この申請は決定済みです".into(),
            });
        }
        if app.received_by == actor {
            return Err(AppError::Conflict {
                message_en: "the clerk who received an application cannot decide it".into(),
                message_ja: "受付した職員は決定できません（別の職員が決定してください）".into(),
            });
        }
        if decided_on < app.received_on || decided_on > local_date(now) {
            return Err(invalid(
                "decided_on",
                "the decision's day is before the application or in the future",
                "決定日が受付日より前か、未来の日付です",
            ));
        }
        let (code, reason) = match decision {
            Decision::Pay if app.provisional => {
                return Err(AppError::Conflict {
                    message_en: "the amount rests on a provisional rule: enter the confirmed figure in the rule table, then receive the application again".into(),
                    message_ja: "金額が暫定の規則によるため支給決定できません（規則表の確定値を設定してから受け付け直してください）".into(),
                });
            }
            Decision::Pay => {
                self.payee_still_stands(&app).await?;
                ("pay", None)
            }
            Decision::Refuse { reason } if !reason.trim().is_empty() => {
                crate::leak_scan::refuse_my_number("reason", reason)?;
                ("refuse", Some(reason.trim()))
            }
            Decision::Refuse { .. } => {
                return Err(invalid(
                    "reason",
                    "a refusal needs its reason",
                    "不支給の理由を入力してください",
                ));
            }
        };
        let at = to_us(now);
        in_tx!(self.db, |tx| {
            let n = repo::decide(
                &mut tx,
                &self.insurer,
                application_id,
                code,
                reason,
                decided_on,
                at,
                actor,
            )
            .await?;
            if n == 0 {
                return Err(AppError::Conflict {
                    message_en: format!("application {application_id} was decided meanwhile"),
                    message_ja: "この申請は決定済みです".into(),
                });
            }
            Ok::<_, AppError>(())
        })?;
        Ok(view(&self.application(application_id).await?))
    }

    pub(crate) async fn application(&self, application_id: i64) -> Result<ApplicationRow> {
        repo::application(&self.db, &self.insurer, application_id)
            .await?
            .ok_or(AppError::NotFound {
                what: "application",
                message_ja: "該当する申請がありません",
            })
    }

    /// One application.
    pub async fn application_view(&self, application_id: i64) -> Result<ApplicationView> {
        Ok(view(&self.application(application_id).await?))
    }

    /// The decision queue: applications awaiting a decision, oldest first.
    pub async fn decision_queue(&self, limit: i64) -> Result<Vec<ApplicationView>> {
        Ok(repo::awaiting_decision(&self.db, &self.insurer, limit)
            .await?
            .iter()
            .map(view)
            .collect())
    }

    /// A person's benefit history: applications about them or paid to
    /// them, the latest first, each with where its payment stands.
    pub async fn benefit_history(&self, addressee_id: &str) -> Result<Vec<BenefitLine>> {
        let id = AddresseeId::parse(addressee_id)?;
        let rows = repo::of_person(&self.db, &self.insurer, id.as_str()).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.application_id).collect();
        let states = repo::payment_states(&self.db, &self.insurer, &ids).await?;
        Ok(rows
            .iter()
            .map(|r| {
                let last = states
                    .iter()
                    .filter(|s| s.0 == r.application_id)
                    .max_by_key(|s| s.1);
                BenefitLine {
                    application: view(r),
                    payment: last.map(|s| (s.1, outcome_label(&s.2))),
                }
            })
            .collect())
    }
}

/// An application with where its payment stands: the latest run it was in
/// and that transfer's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BenefitLine {
    pub application: ApplicationView,
    pub payment: Option<(i64, &'static str)>,
}

pub fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "pending" => "支払処理中",
        "paid" => "支払済み",
        "returned" => "振込不能（再支払待ち）",
        "cancelled" => "取消（再支払待ち）",
        _ => "不明",
    }
}

fn unreachable_high_cost<T>() -> Result<T> {
    Err(invalid(
        "kind",
        "high-cost applications are taken above",
        "申請の種類が正しくありません",
    ))
}

/// An application's event, person, household, key and subtype.
type SharedEvent = (Event, AddresseeId, Option<String>, String, Option<String>);

/// The event's facts as kept with the application (no personal numbers).
fn facts_json(input: &EventInput, event: &Event) -> String {
    let v = match (input, event) {
        (
            _,
            Event::NotifiedShare {
                year,
                base_date,
                last_insured_on,
                issuer,
                reference,
                notified_on,
                share,
                ..
            },
        ) => serde_json::json!({
            "year": year, "base_date": base_date.to_string(),
            "last_insured_on": last_insured_on.to_string(), "notice": {
                "issuer": issuer, "reference": reference,
                "notified_on": notified_on.to_string(), "share": share,
            },
        }),
        (EventInput::AnnualOutpatient { year }, _) => serde_json::json!({ "year": year }),
        (
            EventInput::CombinedCare { year },
            Event::CombinedCare {
                base_date, members, ..
            },
        ) => serde_json::json!({
            "year": year, "base_date": base_date.to_string(), "members": members,
        }),
        (EventInput::CombinedCare { year }, _) => serde_json::json!({ "year": year }),
        (
            EventInput::Childbirth {
                born_on,
                children,
                gestation_days,
                compensation_covered,
                paid_directly,
            },
            _,
        ) => serde_json::json!({
            "born_on": born_on.to_string(), "children": children, "gestation_days": gestation_days,
            "compensation_covered": compensation_covered, "paid_directly": paid_directly,
        }),
        (
            EventInput::Funeral {
                died_on,
                funeral_on,
            },
            _,
        ) => {
            serde_json::json!({"died_on": died_on.to_string(), "funeral_on": funeral_on.to_string()})
        }
        (
            EventInput::Reimbursement {
                kind,
                service_on,
                cost,
                reference,
            },
            Event::Reimbursement { copay_percent, .. },
        ) => serde_json::json!({
            "type": kind.code(), "service_on": service_on.to_string(), "cost": cost,
            "reference": reference, "copay_percent": copay_percent,
        }),
        (
            EventInput::Transport {
                moved_on,
                paid,
                economical,
            },
            _,
        ) => {
            serde_json::json!({"moved_on": moved_on.to_string(), "paid": paid, "economical": economical})
        }
        (
            EventInput::MealDifference {
                first_meal_on,
                last_meal_on,
                meals,
                long_stay,
            },
            Event::MealDifference { category, .. },
        ) => serde_json::json!({
            "first_meal_on": first_meal_on.to_string(), "last_meal_on": last_meal_on.to_string(),
            "meals": meals, "long_stay": long_stay, "category": category.label(),
        }),
        (
            EventInput::HighCost {
                household_number,
                service_month,
            },
            _,
        ) => {
            serde_json::json!({"household_number": household_number, "service_month": format_month(*service_month)})
        }
        _ => serde_json::json!({}),
    };
    v.to_string()
}
