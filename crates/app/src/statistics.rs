//! Statistics (統計処理): the monthly and yearly business reports
//! (事業月報・事業年報) from the data as known at one moment, and the
//! closing that fixes that moment. Figures only: persons are read to be
//! counted and never leave this module.

use std::collections::{HashMap, HashSet};

use kokuho_domain::access::Purpose;
use kokuho_domain::burden::{format_month, parse_month};
use kokuho_domain::eligibility::{YearMonth, is_preschool};
use kokuho_domain::levy::{self, Terms, fiscal_months};
use kokuho_domain::statistics::{
    self as stats, CashBenefit, ClaimFigures, Difference, HouseholdLevyFacts, InsuredCounts,
    InsuredOnDay, MonthFacts, MonthTrend, Report, YearFacts,
};
use kokuho_store::statistics as repo;
use sha2::{Digest, Sha256};
use time::{Date, Month, OffsetDateTime};

use crate::access::Actor;
use crate::eligibility::{from_us, in_tx, to_us};
use crate::levy::LevyBasis;
use crate::{AppError, Kokuho, Result};

/// The affair a statistics purpose is logged under.
pub const AFFAIR: &str = "国民健康保険事業状況報告・統計";

/// The default small-count threshold for publication (1 to 4 masked).
pub const DEFAULT_MASK_THRESHOLD: i64 = 4;

/// Which report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Month(YearMonth),
    FiscalYear(i32),
}

impl Period {
    pub fn parse_month(s: &str) -> Result<Period> {
        parse_month(s).map(Period::Month).ok_or_else(|| {
            AppError::invalid(
                "month",
                format!(
                    "'{}' is not a month (YYYY-MM)",
                    s.chars().take(20).collect::<String>()
                ),
                "報告月は YYYY-MM の形で指定してください",
            )
        })
    }

    pub fn parse_fiscal_year(s: &str) -> Result<Period> {
        Self::parse_year(s).map(Period::FiscalYear)
    }

    /// A fiscal year as written (YYYY), checked.
    pub fn parse_year(s: &str) -> Result<i32> {
        s.trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=9999).contains(y))
            .ok_or_else(|| {
                AppError::invalid(
                    "fiscal_year",
                    format!(
                        "'{}' is not a fiscal year (YYYY)",
                        s.chars().take(20).collect::<String>()
                    ),
                    "年度は西暦4桁で指定してください（例: 2026）",
                )
            })
    }

    pub fn report(self) -> &'static str {
        match self {
            Period::Month(_) => "monthly",
            Period::FiscalYear(_) => "yearly",
        }
    }

    pub fn key(self) -> String {
        match self {
            Period::Month(m) => m.to_string(),
            Period::FiscalYear(y) => y.to_string(),
        }
    }

    /// The first and last day the period covers.
    fn span(self) -> Option<(Date, Date)> {
        match self {
            Period::Month(m) => Some((m.first_day()?, m.last_day()?)),
            Period::FiscalYear(y) => stats::fiscal_year_span(y),
        }
    }

    fn title(self) -> String {
        let era = |y: i32, m: Month| {
            Date::from_calendar_date(y, m, 1)
                .ok()
                .and_then(|d| kokuho_domain::wareki::Era::of(d).map(|e| (e, d)))
                .map(|(e, d)| format!("{}{}年", e.name(), d.year() - e.start().year() + 1))
                .unwrap_or_else(|| format!("{y}年"))
        };
        match self {
            Period::Month(m) => format!(
                "国民健康保険事業状況報告書（事業月報） {}{}月分",
                era(m.year, m.month),
                u8::from(m.month)
            ),
            Period::FiscalYear(y) => format!(
                "国民健康保険事業状況報告書（事業年報） {}度",
                era(y, Month::April)
            ),
        }
    }
}

fn invalid(field: &'static str, en: impl Into<String>, ja: impl Into<String>) -> AppError {
    AppError::invalid(field, en, ja)
}

/// How long a report the screen built is shown again before it is added up
/// anew (the screen says how old it is and offers to add it up now).
pub const SCREEN_REPORT_MINUTES: i64 = 10;

/// Reports the screen built, by period, with when each was added up.
#[derive(Default)]
pub struct ReportCache(std::sync::Mutex<HashMap<String, (OffsetDateTime, Report)>>);

impl ReportCache {
    fn get(&self, key: &str, now: OffsetDateTime) -> Option<(OffsetDateTime, Report)> {
        let map = self.0.lock().ok()?;
        let (at, r) = map.get(key)?;
        let age = now - *at;
        (age >= time::Duration::ZERO && age < time::Duration::minutes(SCREEN_REPORT_MINUTES))
            .then(|| (*at, r.clone()))
    }

    fn put(&self, key: String, at: OffsetDateTime, r: &Report) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(key, (at, r.clone()));
        }
    }

    /// Forgets every report kept (a closing changes what they reflect).
    pub fn clear(&self) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
        }
    }
}

/// What the report should reflect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownAt {
    /// the period's closing if it was closed, else now
    Default,
    /// now, even for a closed period (to see what changed)
    Now,
    /// a given moment
    At(OffsetDateTime),
}

/// The purpose a report is produced for, as logged.
pub fn purpose(reason: &str) -> Result<Purpose> {
    Purpose::parse(AFFAIR, reason).ok_or_else(|| {
        invalid(
            "purpose",
            "say what the report is for (1 to 400 characters)",
            "統計を作成する目的（提出先・用途）を入力してください",
        )
    })
}

impl Kokuho {
    /// Refuses a period that is malformed, ahead of `now`, or before any
    /// insured; says which.
    async fn check_period(&self, p: Period, known_at_us: i64) -> Result<()> {
        // "has not begun" at the moment the report reflects
        let today = crate::local_date(from_us(known_at_us));
        let (first, _) = p
            .span()
            .ok_or_else(|| invalid("period", "the period is out of range", "期間が範囲外です"))?;
        if first > today {
            return Err(invalid(
                "period",
                format!("{} has not begun", p.key()),
                format!("{} はまだ始まっていません", p.key()),
            ));
        }
        match repo::first_acquisition(&self.db, &self.insurer, known_at_us).await? {
            None => Err(invalid(
                "period",
                "no one has been insured yet: there is nothing to report",
                "被保険者の記録がないため、報告を作成できません",
            )),
            Some(start) => {
                let (_, last) = p.span().unwrap_or((first, first));
                if last < start {
                    Err(invalid(
                        "period",
                        format!(
                            "{} is before the first insured day on record ({start})",
                            p.key()
                        ),
                        format!("{} は記録の始まり（{start}）より前です", p.key()),
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The moment the report reflects, and how it was chosen.
    async fn resolve_known_at(
        &self,
        p: Period,
        known_at: KnownAt,
        now: OffsetDateTime,
    ) -> Result<(i64, &'static str)> {
        match known_at {
            KnownAt::At(t) if t > now => Err(invalid(
                "known_at",
                "the moment is in the future",
                "基準日時が未来です",
            )),
            KnownAt::At(t) => Ok((to_us(t), "given")),
            KnownAt::Now => Ok((to_us(now), "now")),
            KnownAt::Default => {
                match repo::closing(&self.db, &self.insurer, p.report(), &p.key()).await? {
                    Some(c) => Ok((c.closed_us, "closed")),
                    None => Ok((to_us(now), "now")),
                }
            }
        }
    }

    /// The figures of one period as known at `known_at`.
    /// The report of a period as the screen shows it: one added up within
    /// the last [`SCREEN_REPORT_MINUTES`] is shown again (with when it was
    /// added up), unless `fresh`. Its own `known_at` says what it reflects.
    pub async fn statistics_report_for_screen(
        &self,
        p: Period,
        fresh: bool,
        now: OffsetDateTime,
    ) -> Result<(Report, Option<OffsetDateTime>)> {
        let key = format!("{}:{}", self.insurer.as_str(), p.key());
        if !fresh && let Some((at, r)) = self.statistics_cache.get(&key, now) {
            return Ok((r, Some(at)));
        }
        let r = self.statistics_report(p, KnownAt::Default, now).await?;
        self.statistics_cache.put(key, now, &r);
        Ok((r, None))
    }

    pub async fn statistics_report(
        &self,
        p: Period,
        known_at: KnownAt,
        now: OffsetDateTime,
    ) -> Result<Report> {
        let (known_at_us, basis) = self.resolve_known_at(p, known_at, now).await?;
        self.check_period(p, known_at_us).await?;
        let insurer = kokuho_store::insurer::get(&self.db, &self.insurer).await?;
        let mut missing = Vec::new();
        let frequent = repo::frequent_case_decisions(&self.db, &self.insurer, known_at_us).await?;
        let (tables, trends) = match p {
            Period::Month(m) => {
                let mut facts = self
                    .month_facts(m, known_at_us, true, &frequent, &mut missing)
                    .await?;
                if let Some(last) = m.last_day() {
                    let at_end = self.insured_facts(m, last, known_at_us).await?;
                    (facts.insured, facts.householders) = (at_end.insured, at_end.householders);
                }
                let counts = stats::insured_counts(m, &facts);
                if counts.over_75 > 0 {
                    missing.push(age_job_overdue(counts.over_75, "the month's end", "月末"));
                }
                (stats::monthly_tables(&facts, &counts), Vec::new())
            }
            Period::FiscalYear(y) => self.year(y, known_at_us, &frequent, &mut missing).await?,
        };
        // a period not over at the moment reflected is not final either
        if p.span()
            .is_some_and(|(_, last)| last >= crate::local_date(from_us(known_at_us)))
        {
            missing.push(stats::Missing {
                en: format!("{} was not over at the moment reflected", p.key()),
                ja: format!("{} は基準日時にまだ終わっていません（途中経過）", p.key()),
            });
        }
        let mut report = Report {
            kind: p.report().into(),
            title: p.title(),
            insurer_number: self.insurer.as_str().to_string(),
            insurer_name: insurer.map(|i| i.name).unwrap_or_default(),
            period: p.key(),
            known_at: from_us(known_at_us)
                .to_offset(crate::jst())
                .format(time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second] +09:00"
                ))
                .unwrap_or_default(),
            known_at_us,
            basis: basis.into(),
            tables,
            missing,
            published: false,
            trends,
        };
        // A closed period's figures are checked against the digest taken at
        // the closing: what was changed in place since (a birth date
        // corrected, a payment returned, the levy rules edited) is said.
        if basis == "closed"
            && let Some(c) = repo::closing(&self.db, &self.insurer, p.report(), &p.key()).await?
            && c.figures_sha256 != figures_digest(&report)
        {
            report.missing.push(stats::Missing {
                en: "the figures differ from those closed: data read as it is now (a birth date, a returned payment, the levy rules) changed since the closing".into(),
                ja: "締めた時点の数値と一致しません（生年月日の訂正、口座振込の組戻し、税率表の修正など、締め後に上書きされたデータがあります）".into(),
            });
        }
        Ok(report)
    }

    /// One month's flows (movements, claims, cash benefits; the insured at
    /// its end are [`Self::insured_facts`]). `with_levy` reads the fiscal
    /// year's levy too.
    async fn month_facts(
        &self,
        m: YearMonth,
        known_at_us: i64,
        with_levy: bool,
        frequent: &HashSet<(String, String, i64)>,
        missing: &mut Vec<stats::Missing>,
    ) -> Result<MonthFacts> {
        let (first, last) = match (m.first_day(), m.last_day()) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(invalid("month", "out of range", "報告月が範囲外です")),
        };
        let month = format_month(m);
        let mut f = MonthFacts::default();
        (f.acquisitions, f.losses) =
            repo::movements(&self.db, &self.insurer, first, last, known_at_us).await?;
        if !repo::claims_imported(&self.db, &self.insurer, &month, known_at_us).await? {
            missing.push(claims_missing(std::slice::from_ref(&month)));
        }
        repo::for_each_claim_of_month(&self.db, &self.insurer, &month, known_at_us, |c| {
            let total_cost = c.points.saturating_mul(10);
            let percent = kokuho_domain::eligibility_check::percent_charged(
                c.benefit_rate.and_then(|r| u8::try_from(r).ok()),
                &c.claim_kind,
            );
            f.claims.add_alike(
                &ClaimFigures {
                    provider_kind: c.provider_kind,
                    setting: c.setting,
                    days: c.days,
                    total_cost,
                    copay: kokuho_domain::high_cost::copay_of(total_cost, percent),
                },
                c.claims,
                c.days,
            );
            f.meals.merge(&kokuho_domain::statistics::MealTotals {
                claims: c.meal_claims,
                meals: c.meals,
                amount: c.meal_amount,
            });
            Ok(())
        })
        .await?;
        let cash = |rows: Vec<repo::CashBenefitRow>| -> Vec<CashBenefit> {
            rows.into_iter()
                .map(|r| CashBenefit {
                    frequent_case: r.kind == "high_cost_benefit"
                        && is_frequent(&r.event_key, frequent),
                    annual_outpatient: r.kind == "annual_outpatient"
                        || r.event_key.starts_with("annual_outpatient:"),
                    kind: r.kind,
                    subtype: r.subtype,
                    amount: r.amount,
                })
                .collect()
        };
        f.decided =
            cash(repo::decided_between(&self.db, &self.insurer, first, last, known_at_us).await?);
        f.paid = cash(repo::paid_between(&self.db, &self.insurer, first, last, known_at_us).await?);
        if with_levy {
            f.levy = self
                .levy_facts(levy::fiscal_year_of(first), known_at_us, missing)
                .await?;
        }
        Ok(f)
    }

    /// The insured on `day` and the householders then: what the counts of a
    /// month-end are made from.
    async fn insured_facts(&self, m: YearMonth, day: Date, known_at_us: i64) -> Result<MonthFacts> {
        Ok(MonthFacts {
            insured: self.statistics_insured_on(m, day, known_at_us).await?,
            householders: repo::householders_on(&self.db, &self.insurer, day, known_at_us).await?,
            ..MonthFacts::default()
        })
    }

    /// Everyone insured on `day`, with the month's copay rate for 70–74.
    async fn statistics_insured_on(
        &self,
        m: YearMonth,
        day: Date,
        known_at_us: i64,
    ) -> Result<Vec<InsuredOnDay>> {
        let mut rates: HashMap<String, u8> = HashMap::new();
        for (_, copay_rates, _, _) in
            repo::burden_of_month(&self.db, &self.insurer, &format_month(m), known_at_us).await?
        {
            for (id, pct) in kokuho_domain::burden::copay_percents(&copay_rates) {
                rates.insert(id.to_string(), pct);
            }
        }
        let mut out = Vec::new();
        kokuho_store::statistics::for_each_insured_on(
            &self.db,
            &self.insurer,
            day,
            known_at_us,
            |r| {
                out.push(InsuredOnDay {
                    copay_percent: rates.get(&r.addressee_id).copied(),
                    addressee_id: r.addressee_id,
                    birth_date: r.birth_date,
                    sex: u8::try_from(r.sex).unwrap_or(9),
                    household: r.household_number,
                })
            },
        )
        .await?;
        Ok(out)
    }

    /// The fiscal year's levy household by household, with each reduction
    /// computed again from the booked basis (`None` where the result would
    /// not be the booked total: the rules were edited since).
    async fn levy_facts(
        &self,
        fiscal_year: i32,
        known_at_us: i64,
        missing: &mut Vec<stats::Missing>,
    ) -> Result<Vec<HouseholdLevyFacts>> {
        let rules = crate::levy::rules()?;
        let mut terms: HashMap<String, Option<(Terms<'_>, String)>> = HashMap::new();
        let mut out = Vec::new();
        let mut unreadable = 0u64;
        let mut not_recomputed = 0u64;
        let n = repo::for_each_levy(
            &self.db,
            &self.insurer,
            i64::from(fiscal_year),
            known_at_us,
            |r| {
                let mut facts = HouseholdLevyFacts {
                    total: r.total,
                    medical: r.medical,
                    elderly_support: r.elderly_support,
                    care: r.care,
                    child_support: r.child_support,
                    reduction: r.reduction.clone(),
                    ..HouseholdLevyFacts::default()
                };
                let Ok(basis) = serde_json::from_str::<LevyBasis>(&r.basis) else {
                    // counted by its booked amounts; its persons and reduction unknown
                    unreadable += 1;
                    out.push(facts);
                    return Ok(());
                };
                let year_start = Date::from_calendar_date(fiscal_year, Month::April, 1).ok();
                for m in &basis.members {
                    if m.periods.is_empty() {
                        continue;
                    }
                    facts.insured_persons += 1;
                    if m.childbirth.is_some() {
                        facts.childbirth_persons += 1;
                    }
                    let birth = crate::levy::parse_iso("basis", &m.birth_date).ok();
                    let first_insured = m
                        .periods
                        .first()
                        .and_then(|[a, _]| crate::levy::parse_iso("basis", a).ok())
                        .or(year_start);
                    if let (Some(b), Some(d)) = (birth, first_insured)
                        && is_preschool(b, d)
                    {
                        facts.preschool_persons += 1;
                    }
                }
                let t = terms
                    .entry(r.profile.clone())
                    .or_insert_with(|| crate::levy::terms_of(&rules, &r.profile, fiscal_year).ok());
                facts.reduction_amount = match (t, basis.household(fiscal_year)) {
                    // no insured member, or no month levied (all of them 75
                    // before April, say): nothing levied, nothing reduced
                    (_, _) if basis.members.is_empty() => Some(0),
                    (_, Ok(h)) if levy::insured_months(&h) == 0 => Some(0),
                    (Some((terms, _)), Ok(h)) => levy::compute(terms, &h)
                        .ok()
                        .filter(|l| l.total == r.total)
                        .map(|l| l.components.values().map(|c| c.reduction).sum()),
                    _ => None,
                };
                if facts.reduction_amount.is_none() {
                    not_recomputed += 1;
                }
                out.push(facts);
                Ok(())
            },
        )
        .await?;
        if not_recomputed > 0 {
            missing.push(stats::Missing {
                en: format!("{not_recomputed} households' reductions could not be computed again to their booked levy (the rules were edited since): the reduction amounts they enter are not given"),
                ja: format!("{not_recomputed}世帯の軽減額を賦課時の額どおりに再計算できないため（税率表の修正など）、その世帯を含む軽減額は記入していません"),
            });
        }
        if unreadable > 0 {
            missing.push(stats::Missing {
                en: format!("{unreadable} households' levy basis could not be read: their persons and reductions are not counted"),
                ja: format!("{unreadable}世帯の賦課の基礎を読めないため、その被保険者数と軽減額を数えていません"),
            });
        }
        if n == 0 {
            missing.push(stats::Missing {
                en: format!("the levy for fiscal year {fiscal_year} had not been assessed"),
                ja: format!("{fiscal_year}年度の保険税が賦課（本算定）されていません"),
            });
        }
        Ok(out)
    }

    /// The year's tables and trends.
    async fn year(
        &self,
        fiscal_year: i32,
        known_at_us: i64,
        frequent: &HashSet<(String, String, i64)>,
        missing: &mut Vec<stats::Missing>,
    ) -> Result<(Vec<stats::Table>, Vec<MonthTrend>)> {
        let mut y = YearFacts::default();
        let today = crate::local_date(from_us(known_at_us));
        // the insured on a month's last day (or on the moment's day, in a
        // month not over), read once for the average, the trends and the
        // year's end alike
        let mut ends: HashMap<YearMonth, InsuredCounts> = HashMap::new();
        for m in stats::average_months(fiscal_year) {
            let Some(last) = m.last_day() else { continue };
            if last > today {
                y.month_ends.push((m, None));
                continue;
            }
            let f = self.insured_facts(m, last, known_at_us).await?;
            let counts = stats::insured_counts(m, &f);
            ends.insert(m, counts);
            y.month_ends.push((m, Some(counts)));
        }
        let mut trends = Vec::new();
        let mut no_claims = Vec::new();
        for m in fiscal_months(fiscal_year) {
            // months not yet begun at the moment reflected add nothing
            if m.first_day().is_none_or(|d| d > today) {
                continue;
            }
            let Some(last) = m.last_day() else { continue };
            let mut month_missing = Vec::new();
            let f = self
                .month_facts(m, known_at_us, false, frequent, &mut month_missing)
                .await?;
            if !month_missing.is_empty() {
                no_claims.push(format_month(m));
            }
            let day = last.min(today);
            let counts = match ends.get(&m) {
                Some(c) if day == last => *c,
                _ => {
                    // March (the year's end) or a month not over: read here,
                    // and keep it for the age table
                    let at_end = self.insured_facts(m, day, known_at_us).await?;
                    let c = stats::insured_counts(m, &at_end);
                    y.year_end_insured = at_end.insured;
                    y.year_end = Some(day);
                    c
                }
            };
            trends.push(MonthTrend::of(m, &counts, &f));
            y.months.push((m, f));
        }
        if y.year_end.is_none() {
            // every month begun is over and none was March: the year's
            // distribution at the last month-end reached
            if let Some((m, _)) = y.months.last() {
                let m = *m;
                if let Some(last) = m.last_day() {
                    y.year_end_insured = self.statistics_insured_on(m, last, known_at_us).await?;
                    y.year_end = Some(last);
                }
            }
        }
        if let Some(end) = y.year_end {
            let over = y
                .year_end_insured
                .iter()
                .filter(|p| kokuho_domain::eligibility::age_on(p.birth_date, end) >= 75)
                .count() as i64;
            if over > 0 {
                missing.push(age_job_overdue(over, "the year's end", "年度末"));
            }
        }
        if !no_claims.is_empty() {
            missing.push(claims_missing(&no_claims));
        }
        y.levy = self.levy_facts(fiscal_year, known_at_us, missing).await?;
        let last_month = y.months.last().map(|(m, _)| format_month(*m));
        if let Some(month) = last_month {
            for (_, _, under70, elderly) in
                repo::burden_of_month(&self.db, &self.insurer, &month, known_at_us).await?
            {
                for c in [under70, elderly].into_iter().flatten() {
                    *y.categories.entry(c).or_insert(0) += 1;
                }
            }
        }
        Ok((stats::yearly_tables(&y), trends))
    }

    /// Closes a period: records the moment its report reflects from now on,
    /// with the figures' digest. A period closes once; an incomplete report
    /// closes only when asked to.
    pub async fn close_statistics(
        &self,
        p: Period,
        allow_incomplete: bool,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<(Report, String)> {
        self.statistics_cache.clear();
        if repo::closing(&self.db, &self.insurer, p.report(), &p.key())
            .await?
            .is_some()
        {
            return Err(AppError::Conflict {
                message_en: format!("{} was closed already", p.key()),
                message_ja: format!("{} は締め済みです", p.key()),
            });
        }
        let report = self.statistics_report(p, KnownAt::Now, now).await?;
        if !report.complete() && !allow_incomplete {
            return Err(AppError::Conflict {
                message_en: format!(
                    "the report is incomplete: {}",
                    report
                        .missing
                        .iter()
                        .map(|m| m.en.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                message_ja: format!(
                    "報告が未完成のため締められません: {}",
                    report
                        .missing
                        .iter()
                        .map(|m| m.ja.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            });
        }
        let digest = figures_digest(&report);
        let row = repo::ClosingRow {
            report: p.report().into(),
            period: p.key(),
            closed_us: report.known_at_us,
            closed_by: actor.account.clone(),
            figures_sha256: digest.clone(),
        };
        match in_tx!(self.db, |tx| Ok(repo::insert_closing(
            &mut tx,
            &self.insurer,
            &row
        )
        .await?))
        {
            Err(AppError::Store(kokuho_store::StoreError::Duplicate { .. })) => {
                return Err(AppError::Conflict {
                    message_en: format!("{} was closed already", p.key()),
                    message_ja: format!("{} は締め済みです", p.key()),
                });
            }
            other => other?,
        }
        Ok((
            Report {
                basis: "closed".into(),
                ..report
            },
            digest,
        ))
    }

    /// What changed since a period's closing: the closed report's cells
    /// that the data as known now gives otherwise.
    pub async fn statistics_changes(
        &self,
        p: Period,
        now: OffsetDateTime,
    ) -> Result<(Report, Report, Vec<Difference>)> {
        if repo::closing(&self.db, &self.insurer, p.report(), &p.key())
            .await?
            .is_none()
        {
            return Err(invalid(
                "period",
                format!("{} has not been closed", p.key()),
                format!("{} はまだ締められていません", p.key()),
            ));
        }
        let closed = self.statistics_report(p, KnownAt::Default, now).await?;
        let current = self.statistics_report(p, KnownAt::Now, now).await?;
        let d = stats::differences(&closed.tables, &current.tables);
        Ok((closed, current, d))
    }

    pub async fn statistics_closings(&self) -> Result<Vec<repo::ClosingRow>> {
        Ok(repo::closings(&self.db, &self.insurer).await?)
    }
}

/// Persons 75 or over on the day counted and still recorded as insured:
/// their move to 後期高齢者医療 waits for the age job.
fn age_job_overdue(over: i64, at_en: &str, at_ja: &str) -> stats::Missing {
    stats::Missing {
        en: format!(
            "{over} persons 75 or over at {at_en} are still recorded as insured: run the age job"
        ),
        ja: format!(
            "{at_ja}に75歳以上の{over}人が被保険者のままです（年齢到達処理を実行してください）"
        ),
    }
}

/// The processing months whose claims are not in, said once.
fn claims_missing(months: &[String]) -> stats::Missing {
    let list = months.join(", ");
    stats::Missing {
        en: format!("no claim file had been imported for processing month(s) {list}"),
        ja: format!(
            "{} 審査分のレセプトが取り込まれていません",
            months.join("・")
        ),
    }
}

/// Whether the high-cost benefit an application's key names came from a
/// 多数回該当 decision ("high_cost_benefit:{household}:{month}:v{n}").
fn is_frequent(event_key: &str, frequent: &HashSet<(String, String, i64)>) -> bool {
    let mut parts = event_key.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("high_cost_benefit"), Some(h), Some(m), Some(v)) => v
            .strip_prefix('v')
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|v| frequent.contains(&(h.to_string(), m.to_string(), v))),
        _ => false,
    }
}

/// SHA-256 of the report's tables as JSON, in hex: what a closing fixes.
pub fn figures_digest(r: &Report) -> String {
    let json = serde_json::to_vec(&r.tables).unwrap_or_default();
    hex::encode(Sha256::digest(&json))
}

/// Masks small counts for publication.
pub fn publish(mut r: Report, threshold: i64) -> Report {
    stats::publish_tables(&mut r.tables, threshold.max(1));
    // the month-by-month figures behind the charts are not published raw
    // (the charts mask their own tables: kokuho_formats::charts)
    r.trends.clear();
    r.published = true;
    r
}

impl crate::session::Session<'_> {
    /// The permission checked before the purpose is (a refused actor
    /// learns nothing from it), then the purpose the use is logged with.
    async fn statistics_purpose(&self, reason: &str, now: OffsetDateTime) -> Result<Purpose> {
        let purpose = purpose(reason);
        self.check(
            kokuho_domain::access::Permission::Statistics,
            purpose.as_ref().ok(),
            &[],
            now,
        )
        .await?;
        purpose
    }

    /// A report, for the CLI and the screens: permission first, then the
    /// figures, then the access record with the purpose (no subjects: the
    /// report names no one).
    pub async fn statistics_report(
        &self,
        p: Period,
        known_at: KnownAt,
        publish_threshold: Option<i64>,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Report> {
        let purpose = self.statistics_purpose(reason, now).await?;
        let report = self.app.statistics_report(p, known_at, now).await?;
        let report = match publish_threshold {
            Some(t) => publish(report, t),
            None => report,
        };
        self.log(
            &format!("statistics_{}", p.report()),
            &[],
            Some(&purpose),
            &format!(
                "{} as known at {} ({}){}{}",
                p.key(),
                report.known_at,
                report.basis,
                if report.published { ", published" } else { "" },
                if report.complete() {
                    ""
                } else {
                    ", incomplete"
                }
            ),
            now,
        )
        .await?;
        Ok(report)
    }

    /// The report as the screen shows it (kept a while: see
    /// `Kokuho::statistics_report_for_screen`), logged at every view with
    /// its purpose and whether it was added up anew.
    pub async fn statistics_report_for_screen(
        &self,
        p: Period,
        fresh: bool,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(Report, Option<OffsetDateTime>)> {
        let purpose = self.statistics_purpose(reason, now).await?;
        let (report, kept) = self.app.statistics_report_for_screen(p, fresh, now).await?;
        self.log(
            &format!("statistics_{}", p.report()),
            &[],
            Some(&purpose),
            &format!(
                "{} as known at {} ({}){}",
                p.key(),
                report.known_at,
                report.basis,
                if kept.is_some() {
                    ", shown again from the screen's last one"
                } else {
                    ""
                }
            ),
            now,
        )
        .await?;
        Ok((report, kept))
    }

    pub async fn close_statistics(
        &self,
        p: Period,
        allow_incomplete: bool,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(Report, String)> {
        let purpose = self.statistics_purpose(reason, now).await?;
        let (report, digest) = self
            .app
            .close_statistics(p, allow_incomplete, self.actor, now)
            .await?;
        self.log(
            &format!("statistics_{}_close", p.report()),
            &[],
            Some(&purpose),
            &format!(
                "{} closed as known at {}; figures {digest}",
                p.key(),
                report.known_at
            ),
            now,
        )
        .await?;
        Ok((report, digest))
    }

    pub async fn statistics_changes(
        &self,
        p: Period,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(Report, Report, Vec<Difference>)> {
        let purpose = self.statistics_purpose(reason, now).await?;
        let out = self.app.statistics_changes(p, now).await?;
        self.log(
            &format!("statistics_{}_changes", p.report()),
            &[],
            Some(&purpose),
            &format!("{}: {} figures changed since closing", p.key(), out.2.len()),
            now,
        )
        .await?;
        Ok(out)
    }

    pub async fn statistics_closings(&self, now: OffsetDateTime) -> Result<Vec<repo::ClosingRow>> {
        self.check(
            kokuho_domain::access::Permission::Statistics,
            None,
            &[],
            now,
        )
        .await?;
        self.app.statistics_closings().await
    }
}

/// The page drawn for one table: A4 landscape, the report's heading, the
/// table ruled with its headings and one line per row. kokuho's own layout
/// in the form's item order (the ministry's printed form could not be
/// read here; docs/statistics.md).
fn table_layout(t: &kokuho_domain::statistics::Table) -> kokuho_pdf::Layout {
    use kokuho_pdf::{Align, Face, Item, Paper};
    let (left, top, width) = (12.0_f32, 30.0_f32, 273.0_f32);
    let label_w = if t.columns.len() > 6 { 62.0 } else { 110.0 };
    let col_w = ((width - label_w) / t.columns.len().max(1) as f32).min(40.0);
    let row_h = 7.0;
    let size = if t.columns.len() > 8 { 7.0 } else { 9.0 };
    let mut items = vec![
        Item::Field {
            field: "title".into(),
            x: left,
            y: 10.0,
            w: width,
            h: Some(8.0),
            size: 13.0,
            min_size: Some(8.0),
            align: Align::Left,
            face: Face::GothicBold,
            optional: false,
            when: None,
        },
        Item::Field {
            field: "subtitle".into(),
            x: left,
            y: 20.0,
            w: width,
            h: None,
            size: 9.0,
            min_size: Some(6.0),
            align: Align::Left,
            face: Face::Gothic,
            optional: false,
            when: None,
        },
        Item::Text {
            text: "項目".into(),
            x: left + 1.0,
            y: top + 1.5,
            w: Some(label_w - 2.0),
            h: None,
            size,
            align: Align::Left,
            face: Face::GothicBold,
            when: None,
        },
    ];
    let total_w = label_w + col_w * t.columns.len() as f32;
    let body_h = row_h * (t.rows.len() as f32 + 1.0);
    items.push(Item::Box {
        x: left,
        y: top,
        w: total_w,
        h: body_h,
        line: Some(0.8),
        when: None,
    });
    for i in 1..=t.rows.len() {
        let y = top + row_h * i as f32;
        items.push(Item::Line {
            x1: left,
            y1: y,
            x2: left + total_w,
            y2: y,
            line: Some(if i == 1 { 0.8 } else { 0.3 }),
            when: None,
        });
    }
    let mut columns = vec![kokuho_pdf::layout::Column {
        key: "label".into(),
        dx: 1.0,
        w: label_w - 2.0,
        align: Align::Left,
    }];
    for (i, c) in t.columns.iter().enumerate() {
        let x = left + label_w + col_w * i as f32;
        items.push(Item::Line {
            x1: x,
            y1: top,
            x2: x,
            y2: top + body_h,
            line: Some(0.3),
            when: None,
        });
        items.push(Item::Text {
            text: c.heading(),
            x: x + 0.5,
            y: top + 1.5,
            w: Some(col_w - 1.0),
            h: None,
            size: size - 1.0,
            align: Align::Center,
            face: Face::GothicBold,
            when: None,
        });
        columns.push(kokuho_pdf::layout::Column {
            key: format!("c{i}"),
            dx: label_w + col_w * i as f32 + 0.5,
            w: col_w - 2.0,
            align: Align::Right,
        });
    }
    items.push(Item::Rows {
        list: "rows".into(),
        x: left,
        y: top + row_h + 1.5,
        row_h,
        max_rows: t.rows.len().max(1),
        size,
        face: Face::Gothic,
        columns,
    });
    kokuho_pdf::Layout {
        kind: "statistics".into(),
        title: t.title.clone(),
        follows: "kokuho's own, in the item order of the ministry's report (PROVISIONAL)".into(),
        version: 1,
        paper: Paper::Size {
            width_mm: 297.0,
            height_mm: 210.0,
        },
        items,
    }
}

impl Kokuho {
    /// The report as a PDF through the document engine: a page per table,
    /// then a page saying what is missing when the report is incomplete.
    pub fn statistics_pdf(&self, r: &Report) -> Result<Vec<u8>> {
        let printer = self.printer()?;
        let mut layouts = Vec::with_capacity(r.tables.len());
        let mut values = Vec::with_capacity(r.tables.len());
        let status = if r.missing.is_empty() {
            String::new()
        } else {
            format!(
                "　【未完成】{}",
                r.missing
                    .iter()
                    .map(|m| m.ja.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            )
        };
        for t in &r.tables {
            layouts.push(table_layout(t));
            let mut v = kokuho_pdf::Values::default();
            v.set("title", format!("{}　{}", r.title, t.title));
            v.set(
                "subtitle",
                format!(
                    "保険者 {} {}　基準日時 {}{}{}",
                    r.insurer_number,
                    r.insurer_name,
                    r.known_at,
                    if r.published {
                        "　公表用（＊は秘匿）"
                    } else {
                        ""
                    },
                    status
                ),
            );
            let rows = t
                .rows
                .iter()
                .map(|row| {
                    let mut m = std::collections::BTreeMap::new();
                    m.insert("label".to_string(), row.label.clone());
                    for (i, c) in row.cells.iter().enumerate() {
                        let text = match c {
                            kokuho_domain::statistics::Cell::Value(x) => {
                                kokuho_domain::burden::yen(*x)
                            }
                            other => other.text(),
                        };
                        m.insert(format!("c{i}"), text);
                    }
                    m
                })
                .collect();
            v.lists.insert("rows".into(), rows);
            values.push(v);
        }
        let pages: Vec<kokuho_pdf::Page<'_>> = layouts
            .iter()
            .zip(&values)
            .map(|(layout, values)| kokuho_pdf::Page { layout, values })
            .collect();
        Ok(printer.render(&pages)?.pdf)
    }
}
