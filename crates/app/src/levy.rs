//! The NHI tax levy as booked (調定): the annual assessment (本算定) of
//! every household for a fiscal year, and the reassessment (更正) of a
//! household after a change. Each assessment takes the household from the
//! stored records — insured periods in the year, the householder on the
//! 賦課期日, 特定同一世帯所属者, incomes of the year before — computes it with
//! `kokuho_domain::levy`, and books a new version only where the amounts
//! differ, with the difference, the reason and a schedule that keeps the
//! installments already due.

use std::collections::{BTreeMap, HashMap};

use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::levy::{
    self, Childbirth, Component, Installment, LevyHousehold, LevyIncome, LevyMember, LevyRules,
    SpecifiedHousehold, Terms,
};
use kokuho_store::burden::FormerInsured;
use kokuho_store::income::IncomeRow;
use kokuho_store::levy::{self as repo, CurrentLevy, InstallmentRow, InsuredSpan, NotificationRow};
pub use kokuho_store::levy::{
    InstallmentRow as LevyInstallmentRow, LevyVersionRow, NotificationRow as LevyNotificationRow,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Date, Month, OffsetDateTime};

use crate::eligibility::{Actor, to_us};
use crate::jobs::Progress;
use crate::{AppError, Kokuho, Result};

/// Households read, computed and written together (bounds memory on a city).
const CHUNK: usize = 2_000;

/// What an assessment run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LevyReport {
    pub fiscal_year: i32,
    /// households computed
    pub households: u64,
    /// of which a new version was booked
    pub booked: u64,
    /// the sum of the differences booked (yen)
    pub difference: i64,
    /// the sum of the current totals after the run (yen)
    pub total: i64,
}

/// The household as it was assessed, stored with the version so the
/// explanation is reproduced from exactly what was used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevyBasis {
    pub members: Vec<BasisMember>,
    /// "specified" (特定世帯), "specified_continuing" (特定継続世帯) or none
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specified: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisMember {
    /// 宛名番号
    pub id: String,
    pub birth_date: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub householder: bool,
    /// 特定同一世帯所属者
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub former: bool,
    /// insured stretches in the year: [first day, last day]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub periods: Vec<[String; 2]>,
    /// 総所得金額等, 給与収入, 給与所得, 公的年金等収入, 公的年金等所得 of the year before
    pub income: [i64; 5],
    /// no line from the tax system (未申告): counted as nothing
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreported: bool,
    /// 非自発的失業者 (notified): salary income at 30%
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub involuntary: bool,
    /// 旧被扶養者 (notified)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub former_dependent: bool,
    /// 産前産後 (notified): the due or birth month, YYYY-MM
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub childbirth: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multiple_birth: bool,
}

fn iso(d: Date) -> String {
    d.to_string()
}

pub(crate) fn parse_iso(field: &'static str, s: &str) -> Result<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &f).map_err(|_| {
        AppError::invalid(
            field,
            format!("stored basis has a bad date '{s}'"),
            "保存された賦課の基礎に誤りがあります",
        )
    })
}

impl LevyBasis {
    /// The household the domain computes.
    pub fn household(&self, fiscal_year: i32) -> Result<LevyHousehold> {
        let mut members = Vec::with_capacity(self.members.len());
        for m in &self.members {
            let mut periods = Vec::with_capacity(m.periods.len());
            for [a, b] in &m.periods {
                periods.push((parse_iso("basis", a)?, Some(parse_iso("basis", b)?)));
            }
            let first = periods.first().copied();
            members.push(LevyMember {
                id: m.id.clone(),
                birth_date: parse_iso("basis", &m.birth_date)?,
                insured: first.is_some(),
                householder: m.householder,
                former_insured_late_elderly: m.former,
                insured_from: first.map(|p| p.0),
                insured_until: first.and_then(|p| p.1),
                further_periods: periods.iter().skip(1).copied().collect(),
                income: LevyIncome {
                    total_income: m.income[0],
                    salary_revenue: m.income[1],
                    salary_income: m.income[2],
                    pension_revenue: m.income[3],
                    pension_income: m.income[4],
                },
                involuntary_unemployed: m.involuntary,
                former_dependent: m.former_dependent,
                childbirth: match &m.childbirth {
                    None => None,
                    Some(month) => Some(Childbirth {
                        month: kokuho_domain::burden::parse_month(month).ok_or_else(|| {
                            AppError::invalid(
                                "basis",
                                format!("stored basis has a bad month '{month}'"),
                                "保存された賦課の基礎に誤りがあります",
                            )
                        })?,
                        multiple: m.multiple_birth,
                    }),
                },
            });
        }
        Ok(LevyHousehold {
            fiscal_year,
            members,
            specified: match self.specified.as_deref() {
                Some("specified") => Some(SpecifiedHousehold::Specified),
                Some("specified_continuing") => Some(SpecifiedHousehold::SpecifiedContinuing),
                _ => None,
            },
        })
    }
}

pub(crate) fn rules() -> Result<LevyRules> {
    LevyRules::shipped().map_err(|e| AppError::Setup {
        message_en: format!("the levy rule table is broken: {e}"),
        message_ja: "保険税の規則表に誤りがあります".into(),
    })
}

/// The rules of a profile and year, with a digest that changes whenever
/// either table is edited.
pub(crate) fn terms_of<'a>(
    rules: &'a LevyRules,
    profile: &str,
    fiscal_year: i32,
) -> Result<(Terms<'a>, String)> {
    let national = rules.national(fiscal_year).ok_or_else(|| {
        AppError::invalid(
            "fiscal_year",
            format!("no national levy rules for fiscal year {fiscal_year}"),
            format!("{fiscal_year}年度の保険税の規則がありません"),
        )
    })?;
    let ordinance = rules.ordinance(profile, fiscal_year).ok_or_else(|| {
        AppError::invalid(
            "fiscal_year",
            format!("no ordinance '{profile}' for fiscal year {fiscal_year}"),
            format!("{fiscal_year}年度の税率（{profile}）がありません"),
        )
    })?;
    let digest = Sha256::digest(format!("{national:?}\n{ordinance:?}").as_bytes());
    Ok((Terms::of(national, ordinance), hex::encode(&digest[..8])))
}

fn fy_start(fiscal_year: i32) -> Date {
    Date::from_calendar_date(fiscal_year, Month::April, 1).unwrap_or(Date::MIN)
}

/// One more installment, when none is left ahead: the end of the month
/// after the assessment (the ordinance's 随時の納期).
fn extra_due(on: Date) -> Date {
    YearMonth::from_date(on).next().last_day().unwrap_or(on)
}

/// 特定世帯 / 特定継続世帯 on the day judged (the 世帯別平等割 rules of
/// 地方税法 第703条の4 and its order): one insured member left with a 特定同一世帯所属者,
/// for the 5 years from the month of the move to 後期高齢者医療 (特定世帯)
/// and the 3 after (特定継続世帯), counted in months.
fn specified_on(
    on: Date,
    insured_count: usize,
    formers: &[&FormerInsured],
) -> Option<SpecifiedHousehold> {
    if insured_count != 1 {
        return None;
    }
    let month_index = |d: Date| i64::from(d.year()) * 12 + i64::from(u8::from(d.month()));
    let latest = formers.iter().map(|f| f.lost_on).max()?;
    let since = month_index(on) - month_index(latest);
    match since {
        0..60 => Some(SpecifiedHousehold::Specified),
        60..96 => Some(SpecifiedHousehold::SpecifiedContinuing),
        _ => None,
    }
}

/// What one household is made of for the year, before incomes are read.
#[derive(Default)]
struct Gathered {
    /// insured persons: 宛名番号 → (birth date, stretches in the year)
    insured: BTreeMap<String, (Date, Vec<(Date, Date)>)>,
}

impl Gathered {
    /// The 賦課期日: 1 April, or the day the household first has an insured
    /// member in the year (the ordinances' 賦課期日 and 月割 articles).
    fn first_day(&self) -> Option<Date> {
        self.insured
            .values()
            .flat_map(|(_, p)| p.iter().map(|x| x.0))
            .min()
    }
}

fn income_figures(row: Option<&IncomeRow>) -> ([i64; 5], bool) {
    match row {
        None => ([0; 5], true),
        Some(r) => (
            [
                r.total_income,
                r.salary_revenue,
                r.salary_income,
                r.pension_revenue,
                r.pension_income,
            ],
            r.unreported,
        ),
    }
}

/// The basis of one household, from what was gathered.
#[allow(clippy::too_many_arguments)] // what one household is made of, each named
fn basis_of(
    fiscal_year: i32,
    g: &Gathered,
    head: Option<&String>,
    formers: &[FormerInsured],
    incomes: &HashMap<String, IncomeRow>,
    births: &HashMap<String, Date>,
    notes: &HashMap<String, Vec<NotificationRow>>,
) -> LevyBasis {
    let judged_on = g.first_day().unwrap_or(Date::MIN);
    let mut members: Vec<BasisMember> = g
        .insured
        .iter()
        .map(|(id, (birth, periods))| {
            let (income, unreported) = income_figures(incomes.get(id));
            BasisMember {
                id: id.clone(),
                birth_date: iso(*birth),
                householder: head == Some(id),
                former: false,
                periods: periods.iter().map(|(a, b)| [iso(*a), iso(*b)]).collect(),
                income,
                unreported,
                ..notified(fiscal_year, notes.get(id).map_or(&[], Vec::as_slice))
            }
        })
        .collect();
    let counting: Vec<&FormerInsured> = formers
        .iter()
        .filter(|f| f.counts_on(judged_on) && !g.insured.contains_key(&f.addressee_id))
        .collect();
    let outsider = |id: &String, former: bool| {
        let (income, unreported) = income_figures(incomes.get(id));
        BasisMember {
            id: id.clone(),
            birth_date: iso(births.get(id).copied().unwrap_or(judged_on)),
            householder: head == Some(id),
            former,
            periods: vec![],
            income,
            unreported,
            ..Default::default()
        }
    };
    match head {
        Some(h) if !g.insured.contains_key(h) => {
            // The 擬制世帯主: not insured, the tax obligor all the same.
            let former = counting.iter().any(|f| &f.addressee_id == h);
            members.push(outsider(h, former));
        }
        Some(_) => {}
        None => {
            // No householder on record: the first insured stands in.
            if let Some(m) = members.first_mut() {
                m.householder = true;
            }
        }
    }
    for f in &counting {
        if head != Some(&f.addressee_id) {
            members.push(outsider(&f.addressee_id, true));
        }
    }
    let insured_on_day = g
        .insured
        .values()
        .filter(|(_, p)| p.iter().any(|(a, b)| *a <= judged_on && judged_on <= *b))
        .count();
    LevyBasis {
        members,
        specified: specified_on(judged_on, insured_on_day, &counting).map(|s| match s {
            SpecifiedHousehold::Specified => "specified".to_string(),
            SpecifiedHousehold::SpecifiedContinuing => "specified_continuing".to_string(),
        }),
    }
}

/// What a member's notifications make of them for the fiscal year:
/// 非自発的失業 from the year of the day after leaving the job to the end of
/// the next (the 特例対象被保険者等 rule of 地方税法 and the ordinances); 旧被扶養者
/// for the year it began and the next (the ordinances' 2-year 減免 of 均等割;
/// the 所得割 exemption is taken for the same years); 産前産後 when its months
/// can touch the year (the domain counts them).
fn notified(fiscal_year: i32, notes: &[NotificationRow]) -> BasisMember {
    let mut m = BasisMember::default();
    for n in notes {
        let from = levy::fiscal_year_of(n.effective_on);
        match n.kind.as_str() {
            "involuntary_unemployment" if (from..=from + 1).contains(&fiscal_year) => {
                m.involuntary = true;
            }
            "former_dependent" if (from..=from + 1).contains(&fiscal_year) => {
                m.former_dependent = true;
            }
            "childbirth" => {
                let month = YearMonth::from_date(n.effective_on);
                let first = YearMonth {
                    year: fiscal_year,
                    month: Month::January,
                };
                let last = YearMonth {
                    year: fiscal_year + 1,
                    month: Month::June,
                };
                if first <= month && month <= last {
                    m.childbirth = Some(kokuho_domain::burden::format_month(month));
                    m.multiple_birth = n.multiple_birth;
                }
            }
            _ => {}
        }
    }
    m
}

/// The householder on `on` from a timeline in order.
fn head_on(timeline: Option<&Vec<(Date, String)>>, on: Date) -> Option<&String> {
    timeline?
        .iter()
        .rev()
        .find(|(from, _)| *from <= on)
        .map(|(_, h)| h)
}

/// Which households an assessment covers.
pub enum Scope<'a> {
    /// every household with an insured member in the year, and every one
    /// booked before (a household left with none gets a zero version)
    All,
    /// these households only (a reassessment after a change)
    Households(&'a [String]),
}

/// What a run is told: the year, the day it is made, why, by whom.
pub struct Assessment<'a> {
    pub fiscal_year: i32,
    /// the day of the assessment: installments due before it stay
    pub on: Date,
    /// annual_assessment, eligibility_change, income_import, recompute
    pub change_reason: &'a str,
}

/// The version booked for one household.
struct Booking {
    version: LevyVersionRow,
    installments: Vec<InstallmentRow>,
}

impl Kokuho {
    /// Assesses the households of `scope` for a fiscal year as the records
    /// stand now, booking a new version wherever the amounts changed. All or
    /// nothing: one transaction; a household the rules cannot assess fails
    /// the run and names the household.
    pub async fn assess_levy(
        &self,
        a: &Assessment<'_>,
        scope: Scope<'_>,
        actor: Actor<'_>,
        progress: &Progress,
        now: OffsetDateTime,
    ) -> Result<LevyReport> {
        let rules = rules()?;
        let profile = repo::profile(&self.db, &self.insurer).await?;
        let (terms, digest) = terms_of(&rules, &profile, a.fiscal_year)?;
        let fy = i64::from(a.fiscal_year);
        let (from, until) = (fy_start(a.fiscal_year), fy_start(a.fiscal_year + 1));
        let mut households: BTreeMap<String, Gathered> = BTreeMap::new();
        let mut gather = |s: InsuredSpan| {
            if let Some((start, end)) = s.within(from, until) {
                let e = households
                    .entry(s.household_number.clone())
                    .or_default()
                    .insured
                    .entry(s.addressee_id)
                    .or_insert((s.birth_date, vec![]));
                e.1.push((start, end));
            }
            Ok(())
        };
        let notes = repo::notifications(&self.db, &self.insurer, None).await?;
        let (timeline, formers, current) = match scope {
            Scope::All => {
                repo::for_each_insured_span(
                    &self.db,
                    &self.insurer,
                    from,
                    until,
                    None,
                    &mut gather,
                )
                .await?;
                (
                    repo::householder_timeline(&self.db, &self.insurer, until, None).await?,
                    kokuho_store::burden::former_insured(&self.db, &self.insurer).await?,
                    repo::current_for_year(&self.db, &self.insurer, fy, None).await?,
                )
            }
            Scope::Households(list) => {
                let (mut t, mut f, mut c) = (HashMap::new(), HashMap::new(), HashMap::new());
                for h in list {
                    repo::for_each_insured_span(
                        &self.db,
                        &self.insurer,
                        from,
                        until,
                        Some(h),
                        &mut gather,
                    )
                    .await?;
                    t.extend(
                        repo::householder_timeline(&self.db, &self.insurer, until, Some(h)).await?,
                    );
                    f.insert(
                        h.clone(),
                        kokuho_store::burden::former_insured_of(&self.db, &self.insurer, h).await?,
                    );
                    c.extend(repo::current_for_year(&self.db, &self.insurer, fy, Some(h)).await?);
                }
                (t, f, c)
            }
        };
        // Booked before but with nobody insured in the year now.
        for h in current.keys() {
            households.entry(h.clone()).or_default();
        }
        let at = to_us(now);
        let today = crate::local_date(now);
        let mut report = LevyReport {
            fiscal_year: a.fiscal_year,
            ..Default::default()
        };
        progress.set_total(households.len() as u64);
        let list: Vec<(&String, &Gathered)> = households.iter().collect();
        let mut tx = self.db.begin().await?;
        let run = async {
            for (done, chunk) in list.chunks(CHUNK).enumerate() {
                progress.set_done((done * CHUNK) as u64);
                // Incomes of the year before and the birth dates of those
                // who count without being insured.
                let mut ids: Vec<&str> = Vec::new();
                let mut outsiders: Vec<&str> = Vec::new();
                for (h, g) in chunk {
                    ids.extend(g.insured.keys().map(String::as_str));
                    let on = g.first_day();
                    if let Some(head) = on.and_then(|on| head_on(timeline.get(*h), on))
                        && !g.insured.contains_key(head)
                    {
                        outsiders.push(head);
                    }
                    outsiders.extend(
                        formers
                            .get(*h)
                            .into_iter()
                            .flatten()
                            .map(|f| f.addressee_id.as_str()),
                    );
                }
                ids.extend(&outsiders);
                ids.sort_unstable();
                ids.dedup();
                let incomes = kokuho_store::income::latest_for_persons(
                    &self.db,
                    &self.insurer,
                    a.fiscal_year - 1,
                    &ids,
                )
                .await?;
                outsiders.sort_unstable();
                outsiders.dedup();
                let births = repo::birth_dates(&self.db, &self.insurer, &outsiders).await?;
                let mut bookings = Vec::new();
                let mut closed = Vec::new();
                for (h, g) in chunk {
                    let old = current.get(*h);
                    let b = if g.insured.is_empty() {
                        LevyBasis::default()
                    } else {
                        let on = g.first_day().unwrap_or(from);
                        basis_of(
                            a.fiscal_year,
                            g,
                            head_on(timeline.get(*h), on),
                            formers.get(*h).map_or(&[], Vec::as_slice),
                            &incomes,
                            &births,
                            &notes,
                        )
                    };
                    report.households += 1;
                    let Some(booking) = self
                        .book(a, &terms, &profile, &digest, h, b, old, actor, at, today)
                        .await?
                    else {
                        report.total += old.map_or(0, |o| o.total);
                        continue;
                    };
                    report.booked += 1;
                    report.difference += booking.version.difference;
                    report.total += booking.version.total;
                    if let Some(o) = old {
                        closed.push(((*h).clone(), fy, o.version_no));
                    }
                    bookings.push(booking);
                }
                repo::supersede(&mut tx, &self.insurer, &closed, at).await?;
                let installments: Vec<InstallmentRow> = bookings
                    .iter()
                    .flat_map(|b| b.installments.iter().cloned())
                    .collect();
                let versions: Vec<LevyVersionRow> =
                    bookings.into_iter().map(|b| b.version).collect();
                repo::insert(&mut tx, &self.insurer, &versions, &installments).await?;
            }
            Ok::<(), AppError>(())
        }
        .await;
        match run {
            Ok(()) => tx.commit().await?,
            Err(e) => {
                tx.rollback().await?;
                return Err(e);
            }
        }
        progress.complete();
        Ok(report)
    }

    /// Computes one household and, when its amounts differ from `old`,
    /// the version to book with its schedule.
    #[allow(clippy::too_many_arguments)] // one booking's inputs, each named
    async fn book(
        &self,
        a: &Assessment<'_>,
        terms: &Terms<'_>,
        profile: &str,
        digest: &str,
        household: &str,
        basis: LevyBasis,
        old: Option<&CurrentLevy>,
        actor: Actor<'_>,
        at: i64,
        today: Date,
    ) -> Result<Option<Booking>> {
        let fy = i64::from(a.fiscal_year);
        let household_of = if basis.members.is_empty() {
            None
        } else {
            Some(basis.household(a.fiscal_year)?)
        };
        let (total, reduction, parts) = match household_of.filter(|h| levy::insured_months(h) > 0) {
            None => (0, None, [0; 4]),
            Some(h) => {
                let l = levy::compute(terms, &h).map_err(|e| AppError::Invalid {
                    field: "household",
                    message_en: format!("household {household}: {}: {}", e.field, e.reason),
                    message_ja: format!(
                        "世帯 {household} の保険税を計算できません：{}",
                        e.reason_ja
                    ),
                })?;
                let part = |c: Component| l.components.get(&c).map_or(0, |p| p.amount);
                (
                    l.total,
                    l.reduction.map(|r| r.label().to_string()),
                    Component::ALL.map(part),
                )
            }
        };
        let next = LevyVersionRow {
            household_number: household.to_string(),
            fiscal_year: fy,
            version_no: old.map_or(1, |o| o.version_no + 1),
            profile: profile.to_string(),
            rules_digest: digest.to_string(),
            total,
            reduction,
            medical: parts[0],
            elderly_support: parts[1],
            care: parts[2],
            child_support: parts[3],
            difference: total - old.map_or(0, |o| o.total),
            overpaid: 0,
            basis: serde_json::to_string(&basis).unwrap_or_default(),
            change_reason: a.change_reason.to_string(),
            assessed_on: a.on,
            recorded_us: at,
            recorded_by: actor.to_string(),
            superseded_us: None,
        };
        match old {
            Some(o) if o.outcome() == next.outcome() => return Ok(None),
            None if total == 0 => return Ok(None),
            _ => {}
        }
        let previous: Vec<Installment> = match old {
            None => vec![],
            Some(o) => repo::installments(&self.db, &self.insurer, household, Some(fy))
                .await?
                .into_iter()
                .filter(|i| i.version_no == o.version_no)
                .map(|i| Installment {
                    number: i.installment_no as u8,
                    due_date: i.due_date,
                    amount: i.amount,
                })
                .collect(),
        };
        // A reassessment never moves what fell due before today, whatever
        // day it is told it was made.
        let on = if old.is_some() { a.on.max(today) } else { a.on };
        let (schedule, overpaid) = levy::resplit(
            total,
            &previous,
            terms.due_dates,
            on,
            terms.installment_unit,
            extra_due(on),
        );
        let installments = schedule
            .into_iter()
            .map(|i| InstallmentRow {
                household_number: household.to_string(),
                fiscal_year: fy,
                version_no: next.version_no,
                installment_no: i64::from(i.number),
                due_date: i.due_date,
                amount: i.amount,
            })
            .collect();
        Ok(Some(Booking {
            version: LevyVersionRow { overpaid, ..next },
            installments,
        }))
    }

    /// Records a notification that changes a member's levy; its number.
    pub async fn record_levy_notification(
        &self,
        n: &LevyNotification,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<i64> {
        if kokuho_store::addressee::get_person(&self.db, &self.insurer, &n.person)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound {
                what: "person",
                message_ja: "該当する人がいません",
            });
        }
        let at = to_us(now);
        crate::eligibility::in_tx!(self.db, |tx| repo::record_notification(
            &mut tx,
            &self.insurer,
            n.person.as_str(),
            n.kind.code(),
            n.effective_on,
            n.multiple_birth,
            at,
            actor,
        )
        .await
        .map_err(AppError::from))
    }

    /// Voids a notification; the person it was for and its date.
    pub async fn void_levy_notification(&self, id: i64) -> Result<(String, Date)> {
        crate::eligibility::in_tx!(self.db, |tx| repo::void_notification(
            &mut tx,
            &self.insurer,
            id
        )
        .await
        .map_err(AppError::from))?
        .ok_or(AppError::NotFound {
            what: "notification",
            message_ja: "該当する届出がありません（取消済みを含む）",
        })
    }

    /// The notifications in force of the persons named.
    pub async fn levy_notifications_of(&self, persons: &[String]) -> Result<Vec<NotificationRow>> {
        let mut out = Vec::new();
        for p in persons {
            out.extend(
                repo::notifications(&self.db, &self.insurer, Some(p))
                    .await?
                    .into_values()
                    .flatten(),
            );
        }
        out.sort_by_key(|n| n.notification_id);
        Ok(out)
    }

    /// Whether any household's levy has been booked for the fiscal year.
    pub async fn levy_year_booked(&self, fiscal_year: i32) -> Result<bool> {
        Ok(repo::year_assessed(&self.db, &self.insurer, i64::from(fiscal_year)).await?)
    }

    /// Fiscal years booked from `from_year` on: what a change at the counter
    /// must reassess.
    pub async fn assessed_years_since(&self, from_year: i32) -> Result<Vec<i32>> {
        Ok(repo::assessed_years(&self.db, &self.insurer)
            .await?
            .into_iter()
            .filter_map(|y| i32::try_from(y).ok())
            .filter(|y| *y >= from_year)
            .collect())
    }

    /// The ordinance profile the insurer levies by.
    pub async fn levy_profile(&self) -> Result<String> {
        Ok(repo::profile(&self.db, &self.insurer).await?)
    }

    /// Sets the ordinance profile; it must be one the rule table holds.
    pub async fn set_levy_profile(&self, profile: &str) -> Result<()> {
        let rules = rules()?;
        if !rules
            .fiscal_years()
            .iter()
            .any(|y| rules.ordinance(profile, *y).is_some())
        {
            return Err(AppError::invalid(
                "profile",
                format!("no ordinance profile '{profile}' in the rule table"),
                format!("税率表に「{profile}」がありません"),
            ));
        }
        Ok(repo::set_profile(&self.db, &self.insurer, profile).await?)
    }

    /// A household's levy: every version of every year with its schedule
    /// and the explanation reproduced from its basis.
    pub async fn household_levy(&self, household: &str) -> Result<HouseholdLevy> {
        let view = self.household(household).await?;
        let number = view.household.household_number.as_str().to_string();
        let versions = repo::history(&self.db, &self.insurer, &number).await?;
        let installments = repo::installments(&self.db, &self.insurer, &number, None).await?;
        let rules = rules()?;
        let mut explained = Vec::with_capacity(versions.len());
        for v in versions {
            let schedule: Vec<InstallmentRow> = installments
                .iter()
                .filter(|i| i.fiscal_year == v.fiscal_year && i.version_no == v.version_no)
                .cloned()
                .collect();
            let (lines, rules_changed) = explain(&rules, &v);
            explained.push(ExplainedLevy {
                version: v,
                installments: schedule,
                explanation: lines,
                rules_changed,
            });
        }
        let members: Vec<String> = view
            .members
            .iter()
            .map(|m| m.addressee_id.to_string())
            .collect();
        Ok(HouseholdLevy {
            notifications: self.levy_notifications_of(&members).await?,
            household: view,
            versions: explained,
        })
    }
}

/// The explanation of a booked version, computed again from its basis;
/// `true` when the rule table has been edited since (the lines then follow
/// today's table, the amounts stay as booked).
fn explain(rules: &LevyRules, v: &LevyVersionRow) -> (Vec<String>, bool) {
    let Ok(fy) = i32::try_from(v.fiscal_year) else {
        return (vec![], true);
    };
    let Ok((terms, digest)) = terms_of(rules, &v.profile, fy) else {
        return (vec!["この年度の規則が見つかりません".into()], true);
    };
    let basis: LevyBasis = match serde_json::from_str(&v.basis) {
        Ok(b) => b,
        Err(_) => return (vec!["賦課の基礎を読めません".into()], true),
    };
    if basis.members.is_empty() {
        return (
            vec!["この年度に国保の被保険者がいないため、保険税はかかりません".into()],
            digest != v.rules_digest,
        );
    }
    let household = basis.household(fy).ok();
    if household
        .as_ref()
        .is_some_and(|h| levy::insured_months(h) == 0)
    {
        return (
            vec![
                "この年度に保険税のかかる月がありません（資格を取得した月と喪失した月が同じ、または4月中に75歳になったなど）"
                    .into(),
            ],
            digest != v.rules_digest,
        );
    }
    let lines = household
        .and_then(|h| levy::compute(&terms, &h).ok())
        .map(|l| {
            // The schedule is the booked one, shown beside; drop the split line.
            l.explanation
                .into_iter()
                .filter(|e| !e.contains("期に分けて納付"))
                .collect()
        })
        .unwrap_or_else(|| vec!["賦課の基礎から計算できません".into()]);
    (lines, digest != v.rules_digest)
}

/// One booked version with its schedule and explanation.
#[derive(Clone, Debug)]
pub struct ExplainedLevy {
    pub version: LevyVersionRow,
    pub installments: Vec<InstallmentRow>,
    pub explanation: Vec<String>,
    pub rules_changed: bool,
}

/// A household's levy with everything needed to explain it.
#[derive(Clone, Debug)]
pub struct HouseholdLevy {
    pub household: crate::registry::HouseholdView,
    /// every version, by year then version
    pub versions: Vec<ExplainedLevy>,
    /// the members' notifications in force (産前産後, 非自発的失業, 旧被扶養者)
    pub notifications: Vec<NotificationRow>,
}

/// The ordinance's name and whether its figures are confirmed (a
/// provisional stand-in says so on every screen that shows it).
pub fn ordinance_status(profile: &str, fiscal_year: i64) -> Option<(String, bool, String)> {
    let rules = rules().ok()?;
    let o = rules.ordinance(profile, i32::try_from(fiscal_year).ok()?)?;
    Some((o.name.clone(), o.confirmed, o.note.clone()))
}

/// The kinds of notification that change a member's levy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationKind {
    /// 産前産後: the due or birth month
    Childbirth,
    /// 非自発的失業: the day after leaving the job
    InvoluntaryUnemployment,
    /// 旧被扶養者: the day NHI was acquired
    FormerDependent,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 3] = [
        NotificationKind::Childbirth,
        NotificationKind::InvoluntaryUnemployment,
        NotificationKind::FormerDependent,
    ];

    pub fn code(self) -> &'static str {
        match self {
            NotificationKind::Childbirth => "childbirth",
            NotificationKind::InvoluntaryUnemployment => "involuntary_unemployment",
            NotificationKind::FormerDependent => "former_dependent",
        }
    }

    /// From the code, or its kebab-case form on the command line.
    pub fn parse(s: &str) -> Option<NotificationKind> {
        let s = s.trim().replace('-', "_");
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            NotificationKind::Childbirth => "産前産後期間の届出",
            NotificationKind::InvoluntaryUnemployment => "非自発的失業者の届出",
            NotificationKind::FormerDependent => "旧被扶養者の届出",
        }
    }
}

/// A notification to record.
#[derive(Clone, Debug)]
pub struct LevyNotification {
    pub person: kokuho_domain::id::AddresseeId,
    pub kind: NotificationKind,
    /// childbirth: any day of the due (or birth) month; the others: the day it applies from
    pub effective_on: Date,
    pub multiple_birth: bool,
}

/// What caused a version, for the staff screens.
pub fn levy_reason_ja(code: &str) -> &str {
    match code {
        "annual_assessment" => "本算定",
        "eligibility_change" => "資格・世帯の異動による更正",
        "income_import" => "所得の更正による更正",
        "recompute" => "一括再計算による更正",
        "levy_notification" => "届出（産前産後・非自発的失業・旧被扶養者）による更正",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::date;

    fn former(lost_on: Date) -> FormerInsured {
        FormerInsured {
            household_number: "H".into(),
            addressee_id: "F".into(),
            lost_on,
            removed_on: None,
        }
    }

    /// 5 years from the month of the move (60 months), then 3 more.
    #[test]
    fn specified_household_years() {
        let f = former(date!(2021 - 06 - 10));
        let on = |d| specified_on(d, 1, &[&f]);
        assert_eq!(
            on(date!(2026 - 04 - 01)),
            Some(SpecifiedHousehold::Specified)
        );
        assert_eq!(
            on(date!(2026 - 05 - 31)),
            Some(SpecifiedHousehold::Specified)
        );
        assert_eq!(
            on(date!(2026 - 06 - 01)),
            Some(SpecifiedHousehold::SpecifiedContinuing)
        );
        assert_eq!(
            on(date!(2029 - 05 - 01)),
            Some(SpecifiedHousehold::SpecifiedContinuing)
        );
        assert_eq!(on(date!(2029 - 06 - 01)), None);
        // Two insured left: not a 特定世帯.
        assert_eq!(specified_on(date!(2026 - 04 - 01), 2, &[&f]), None);
        assert_eq!(specified_on(date!(2026 - 04 - 01), 1, &[]), None);
    }

    #[test]
    fn basis_round_trips() {
        let b = LevyBasis {
            members: vec![BasisMember {
                id: "000000000001".into(),
                birth_date: "1980-01-10".into(),
                householder: true,
                former: false,
                periods: vec![
                    ["2026-04-01".into(), "2026-06-30".into()],
                    ["2026-10-01".into(), "2027-03-31".into()],
                ],
                income: [1, 2, 3, 4, 5],
                childbirth: Some("2026-10".into()),
                multiple_birth: true,
                ..Default::default()
            }],
            specified: None,
        };
        let text = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<LevyBasis>(&text).unwrap(), b);
        let h = b.household(2026).unwrap();
        assert_eq!(h.members[0].insured_from, Some(date!(2026 - 04 - 01)));
        assert_eq!(h.members[0].further_periods.len(), 1);
        assert_eq!(h.members[0].income.pension_income, 5);
        assert!(h.members[0].childbirth.is_some_and(|c| c.multiple));
        // A basis stored before the notifications existed still reads.
        let old: LevyBasis = serde_json::from_str(
            r#"{"members":[{"id":"1","birth_date":"1980-01-10","income":[0,0,0,0,0]}]}"#,
        )
        .unwrap();
        assert!(!old.members[0].involuntary && old.members[0].childbirth.is_none());
    }

    /// Notifications count in the years they reach, not before or after.
    #[test]
    fn notifications_reach_their_years() {
        let note = |kind: &str, on: Date| NotificationRow {
            notification_id: 1,
            addressee_id: "1".into(),
            kind: kind.into(),
            effective_on: on,
            multiple_birth: false,
            voided: false,
            recorded_us: 0,
            recorded_by: "t".into(),
        };
        let left = [note("involuntary_unemployment", date!(2026 - 03 - 10))];
        assert!(notified(2025, &left).involuntary);
        assert!(notified(2026, &left).involuntary);
        assert!(!notified(2027, &left).involuntary);
        assert!(!notified(2024, &left).involuntary);
        let dep = [note("former_dependent", date!(2026 - 04 - 01))];
        assert!(notified(2026, &dep).former_dependent && notified(2027, &dep).former_dependent);
        assert!(!notified(2028, &dep).former_dependent);
        let born = [note("childbirth", date!(2027 - 04 - 20))];
        assert_eq!(notified(2026, &born).childbirth.as_deref(), Some("2027-04"));
        assert_eq!(notified(2027, &born).childbirth.as_deref(), Some("2027-04"));
        assert!(notified(2025, &born).childbirth.is_none());
    }
}
