//! The pure rules of NHI eligibility (国民健康保険の資格): when the law says a
//! person's insurance starts and ends, how ages are counted, and what a
//! person's timeline of periods must satisfy.
//!
//! Effective dates are decided by the law, not by the clerk: the clerk
//! records the event (a move, a birth, joining an employer's plan) and the
//! functions here derive the acquisition or loss date from it.
//!
//! Ages follow 年齢計算ニ関スル法律 with 民法 第143条: a person attains an age
//! at the end of the day before the birthday anniversary, so "the day the
//! person attains N" is `anniversary(birth, N) - 1 day`. For a 29 February
//! birth the anniversary in a common year is 1 March (民法 第143条第2項: the
//! period ends on the last day of February).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

// ---------------------------------------------------------------------------
// Errors

/// Why an eligibility record or a computation was refused. Carries dates at
/// most, never names or numbers.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum EligibilityError {
    /// The period would be empty or negative.
    #[error("lost_on: the loss date {lost_on} is not after the acquisition date {acquired_on}")]
    LossNotAfterAcquisition { acquired_on: Date, lost_on: Date },
    #[error("loss_reason: a loss date needs a loss reason")]
    LossWithoutReason,
    #[error("lost_on: a loss reason needs a loss date")]
    ReasonWithoutLoss,
    /// Two periods of one person cover a common day; names their
    /// acquisition dates, the earlier first.
    #[error("acquired_on: the period acquired on {first} overlaps the period acquired on {second}")]
    Overlap { first: Date, second: Date },
    /// The reason requires a date fixed by law and another date was given.
    /// `field` is "acquisition_reason" or "loss_reason"; `reason_code` is the
    /// stored code of the reason.
    #[error("{field}: the reason {reason_code} requires the date {expected_on}")]
    ReasonDoesNotFit {
        field: &'static str,
        reason_code: &'static str,
        expected_on: Date,
    },
    #[error("acquired_on: the acquisition is before the birth date")]
    BeforeBirth,
    /// From the 75th birthday the person belongs to 後期高齢者医療.
    #[error("acquired_on: the acquisition is on or after the 75th birthday ({late_elderly_from})")]
    AtOrAfter75 { late_elderly_from: Date },
    /// A derived date falls outside the dates `time` can represent.
    #[error("{field}: the date is out of the supported range")]
    DateOutOfRange { field: &'static str },
}

impl EligibilityError {
    /// The input field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            EligibilityError::LossNotAfterAcquisition { .. }
            | EligibilityError::ReasonWithoutLoss => "lost_on",
            EligibilityError::LossWithoutReason => "loss_reason",
            EligibilityError::Overlap { .. }
            | EligibilityError::BeforeBirth
            | EligibilityError::AtOrAfter75 { .. } => "acquired_on",
            EligibilityError::ReasonDoesNotFit { field, .. }
            | EligibilityError::DateOutOfRange { field } => field,
        }
    }

    /// The message for staff screens.
    pub fn message_ja(&self) -> String {
        match self {
            EligibilityError::LossNotAfterAcquisition {
                acquired_on,
                lost_on,
            } => format!("喪失日が取得日以前です（取得日 {acquired_on}、喪失日 {lost_on}）"),
            EligibilityError::LossWithoutReason => {
                "喪失日を入力した場合は喪失事由を選択してください".to_string()
            }
            EligibilityError::ReasonWithoutLoss => {
                "喪失事由を選択した場合は喪失日を入力してください".to_string()
            }
            EligibilityError::Overlap { first, second } => {
                format!("資格期間が重複しています（取得日 {first} の期間と取得日 {second} の期間）")
            }
            EligibilityError::ReasonDoesNotFit {
                field,
                reason_code,
                expected_on,
            } => {
                if *field == "loss_reason" {
                    let label = LossReason::from_code(reason_code).map_or("", LossReason::label_ja);
                    format!("喪失事由「{label}」の場合、喪失日は {expected_on} です")
                } else {
                    let label = AcquisitionReason::from_code(reason_code)
                        .map_or("", AcquisitionReason::label_ja);
                    format!("取得事由「{label}」の場合、取得日は {expected_on} です")
                }
            }
            EligibilityError::BeforeBirth => "取得日が生年月日より前です".to_string(),
            EligibilityError::AtOrAfter75 { late_elderly_from } => format!(
                "75歳の誕生日（{late_elderly_from}）以後は後期高齢者医療の対象のため、国民健康保険の資格を取得できません"
            ),
            EligibilityError::DateOutOfRange { .. } => "日付が扱える範囲を超えています".to_string(),
        }
    }
}

// ---------------------------------------------------------------------------
// Reasons

/// 資格取得事由.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcquisitionReason {
    MoveIn,
    LeftEmployeeInsurance,
    Birth,
    PublicAssistanceEnded,
    ForeignResidenceStarted,
    LeftLateElderly,
    ExOfficio,
    Other,
    /// 社保離脱 of a dependant (被扶養者) whose employee-insured moved to
    /// 後期高齢者医療 at 75: the high-cost limits of the month are halved
    /// (docs/high-cost.md).
    DependantOfLateElderly,
}

impl AcquisitionReason {
    pub const ALL: [AcquisitionReason; 9] = [
        AcquisitionReason::MoveIn,
        AcquisitionReason::LeftEmployeeInsurance,
        AcquisitionReason::DependantOfLateElderly,
        AcquisitionReason::Birth,
        AcquisitionReason::PublicAssistanceEnded,
        AcquisitionReason::ForeignResidenceStarted,
        AcquisitionReason::LeftLateElderly,
        AcquisitionReason::ExOfficio,
        AcquisitionReason::Other,
    ];

    /// The code stored in the database; never change one.
    pub fn code(self) -> &'static str {
        match self {
            AcquisitionReason::MoveIn => "move_in",
            AcquisitionReason::LeftEmployeeInsurance => "left_employee_insurance",
            AcquisitionReason::Birth => "birth",
            AcquisitionReason::PublicAssistanceEnded => "public_assistance_ended",
            AcquisitionReason::ForeignResidenceStarted => "foreign_residence_started",
            AcquisitionReason::LeftLateElderly => "left_late_elderly",
            AcquisitionReason::DependantOfLateElderly => "dependant_of_late_elderly",
            AcquisitionReason::ExOfficio => "ex_officio",
            AcquisitionReason::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<AcquisitionReason> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            AcquisitionReason::MoveIn => "転入",
            AcquisitionReason::LeftEmployeeInsurance => "社保離脱",
            AcquisitionReason::Birth => "出生",
            AcquisitionReason::PublicAssistanceEnded => "生活保護廃止",
            AcquisitionReason::ForeignResidenceStarted => "外国人の在留開始",
            AcquisitionReason::LeftLateElderly => "後期高齢者医療離脱",
            AcquisitionReason::DependantOfLateElderly => "社保離脱（被保険者の後期高齢者医療加入）",
            AcquisitionReason::ExOfficio => "職権",
            AcquisitionReason::Other => "その他",
        }
    }
}

/// 資格喪失事由.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossReason {
    MoveOut,
    JoinedEmployeeInsurance,
    Death,
    PublicAssistanceStarted,
    LateElderly,
    ExOfficio,
    Other,
}

impl LossReason {
    pub const ALL: [LossReason; 7] = [
        LossReason::MoveOut,
        LossReason::JoinedEmployeeInsurance,
        LossReason::Death,
        LossReason::PublicAssistanceStarted,
        LossReason::LateElderly,
        LossReason::ExOfficio,
        LossReason::Other,
    ];

    /// The code stored in the database; never change one.
    pub fn code(self) -> &'static str {
        match self {
            LossReason::MoveOut => "move_out",
            LossReason::JoinedEmployeeInsurance => "joined_employee_insurance",
            LossReason::Death => "death",
            LossReason::PublicAssistanceStarted => "public_assistance_started",
            LossReason::LateElderly => "late_elderly",
            LossReason::ExOfficio => "ex_officio",
            LossReason::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<LossReason> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            LossReason::MoveOut => "転出",
            LossReason::JoinedEmployeeInsurance => "社保加入",
            LossReason::Death => "死亡",
            LossReason::PublicAssistanceStarted => "生活保護開始",
            LossReason::LateElderly => "後期高齢者医療への移行（75歳到達）",
            LossReason::ExOfficio => "職権",
            LossReason::Other => "その他",
        }
    }
}

/// Where a person moving out goes; decides whether the loss is on the move
/// date or the day after (国民健康保険法 第8条第1項 and its proviso).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveDestination {
    SamePrefecture,
    OtherPrefecture,
    Abroad,
}

impl MoveDestination {
    pub const ALL: [MoveDestination; 3] = [
        MoveDestination::SamePrefecture,
        MoveDestination::OtherPrefecture,
        MoveDestination::Abroad,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MoveDestination::SamePrefecture => "same_prefecture",
            MoveDestination::OtherPrefecture => "other_prefecture",
            MoveDestination::Abroad => "abroad",
        }
    }

    pub fn from_code(code: &str) -> Option<MoveDestination> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            MoveDestination::SamePrefecture => "県内",
            MoveDestination::OtherPrefecture => "県外",
            MoveDestination::Abroad => "国外",
        }
    }
}

// ---------------------------------------------------------------------------
// Effective dates

/// The acquisition date (資格取得日) for an event on `event_on`.
///
/// 国民健康保険法 第7条: the person acquires on the day they come to live in
/// the prefecture or cease to fall under any item of 第6条. Every reason
/// therefore acquires on the event day itself; the match is kept so that
/// each rule is written down and a new reason must be decided on.
pub fn acquisition_date(reason: AcquisitionReason, event_on: Date) -> Date {
    match reason {
        // 第7条: 住所を有するに至つた日.
        AcquisitionReason::MoveIn => event_on,
        // 第7条 with 第6条第1号〜第8号: event_on is the employee-insurance
        // loss date (the day after the last day of employment).
        AcquisitionReason::LeftEmployeeInsurance => event_on,
        // The same, the loss being the employee's 75th birthday (高齢者の
        // 医療の確保に関する法律 第52条: the employee's 後期 starts that day
        // and the dependant's status ends with it).
        AcquisitionReason::DependantOfLateElderly => event_on,
        // 第7条: a newborn has an address from birth.
        AcquisitionReason::Birth => event_on,
        // 第7条 with 第6条第9号: the day assistance ends (廃止日).
        AcquisitionReason::PublicAssistanceEnded => event_on,
        // 第7条 with 施行規則 第1条第1号: a foreign resident falls under NHI
        // from the resident registration (住民票作成日).
        AcquisitionReason::ForeignResidenceStarted => event_on,
        // 第7条 with 第6条第8号: event_on is the 後期高齢者医療 loss date.
        AcquisitionReason::LeftLateElderly => event_on,
        // No rule of its own: the clerk's decision records the legal date.
        AcquisitionReason::ExOfficio | AcquisitionReason::Other => event_on,
    }
}

/// The loss date (資格喪失日), the first day not insured, for an event on
/// `event_on`. `destination` matters only for [`LossReason::MoveOut`];
/// `birth_date` only for [`LossReason::LateElderly`].
pub fn loss_date(
    reason: LossReason,
    event_on: Date,
    destination: Option<MoveDestination>,
    birth_date: Date,
) -> Result<Date, EligibilityError> {
    let day_after = |d: Date| {
        d.next_day()
            .ok_or(EligibilityError::DateOutOfRange { field: "lost_on" })
    };
    match reason {
        LossReason::MoveOut => match destination {
            // 第8条第1項ただし書: an address elsewhere in Japan from the move
            // date, so the loss is that day. Within the prefecture the
            // prefecture stays insurer; only this municipality's period ends,
            // and the new one starts the same day.
            Some(MoveDestination::SamePrefecture | MoveDestination::OtherPrefecture) => {
                Ok(event_on)
            }
            // 第8条第1項本文: 住所を有しなくなつた日の翌日. An unknown
            // destination is treated as abroad, the general rule.
            Some(MoveDestination::Abroad) | None => day_after(event_on),
        },
        // 第8条第1項 with 第6条第1号〜第8号: the day after the employee
        // insurance acquisition, so both cover that one day.
        LossReason::JoinedEmployeeInsurance => day_after(event_on),
        // 第8条第1項本文: the address ends on the day of death; loss the next day.
        LossReason::Death => day_after(event_on),
        // 第8条第2項 with 第6条第9号: from the day assistance starts.
        LossReason::PublicAssistanceStarted => Ok(event_on),
        // 第6条第8号, 高齢者の医療の確保に関する法律 第50条・第52条: the 75th
        // birthday, whatever day the clerk entered.
        LossReason::LateElderly => late_elderly_from(birth_date)
            .ok_or(EligibilityError::DateOutOfRange { field: "lost_on" }),
        // No rule of its own: the clerk's decision records the legal date.
        LossReason::ExOfficio | LossReason::Other => Ok(event_on),
    }
}

// ---------------------------------------------------------------------------
// Notification lateness

/// Days allowed for a notification (届出): 国民健康保険法施行規則 第2条・第3条
/// (acquisition) and 第11条〜第13条 (loss), "十四日以内".
pub const NOTIFICATION_DAYS: i64 = 14;

/// The last day a notification of an event on `event_on` is on time.
///
/// Counting: the event day is not counted (民法 第140条, 初日不算入), so the
/// 14 days are the 14 days after it and the deadline is `event_on + 14`.
/// A deadline falling on a day the municipality is closed moves to the next
/// open day (地方自治法 第4条の2第4項); `is_closed` tells which days are closed
/// (pass `|_| false` for the bare count). `None` if the date overflows or more
/// than a year of consecutive days is closed.
pub fn notification_deadline(event_on: Date, is_closed: impl Fn(Date) -> bool) -> Option<Date> {
    let mut d = event_on.checked_add(Duration::days(NOTIFICATION_DAYS))?;
    for _ in 0..366 {
        if !is_closed(d) {
            return Some(d);
        }
        d = d.next_day()?;
    }
    None
}

/// True when `notified_on` is after the 14-day deadline: for an event on
/// 2026-04-01 a notification on 2026-04-15 is on time, on 2026-04-16 late.
/// Knows no holidays; see [`notification_deadline`] for closed days.
/// A notification before the event (e.g. a planned move-out) is not late.
pub fn is_late_notification(event_on: Date, notified_on: Date) -> bool {
    // Julian days cannot overflow here, unlike adding to a `Date`.
    i64::from(notified_on.to_julian_day()) - i64::from(event_on.to_julian_day()) > NOTIFICATION_DAYS
}

// ---------------------------------------------------------------------------
// Ages

/// The same month and day `years` after `birth`; a 29 February birth has its
/// anniversary on 1 March in a common year. `None` outside `time`'s range.
pub fn anniversary(birth: Date, years: i32) -> Option<Date> {
    let year = birth.year().checked_add(years)?;
    match Date::from_calendar_date(year, birth.month(), birth.day()) {
        Ok(d) => Some(d),
        // Only 29 February can be missing from the target year.
        Err(_) => Date::from_calendar_date(year, Month::March, 1).ok(),
    }
}

/// The day the person attains `years` (年齢計算ニ関スル法律: at the end of the
/// day before the anniversary).
fn attains(birth: Date, years: i32) -> Option<Date> {
    anniversary(birth, years)?.previous_day()
}

/// Completed years at the start of `on`: the new age starts on the
/// anniversary (the person attained it at the end of the day before). For a
/// 29 February birth the new age starts on 1 March in common years. Negative
/// before birth.
pub fn age_on(birth: Date, on: Date) -> i32 {
    // Comparing (month, day) gives the anniversary rule directly: in a common
    // year nothing lies between (2, 28) and (3, 1), so (2, 29) acts as 1 March.
    let before_anniversary = (on.month(), on.day()) < (birth.month(), birth.day());
    on.year() - birth.year() - i32::from(before_anniversary)
}

/// First day of 高齢受給者 status: the first day of the month after the day
/// the person attains 70 (国民健康保険法 第42条第1項第3号・第4号,
/// "七十歳に達する日の属する月の翌月以後"; 施行令 第27条の2).
pub fn elderly_recipient_from(birth: Date) -> Option<Date> {
    YearMonth::from_date(attains(birth, 70)?).next().first_day()
}

/// First day of 後期高齢者医療: the 75th birthday (高齢者の医療の確保に関する
/// 法律 第50条第1号・第52条第1号). NHI is lost on the same day.
pub fn late_elderly_from(birth: Date) -> Option<Date> {
    anniversary(birth, 75)
}

/// The first and last month in which the person is a 介護保険 第2号被保険者
/// (40 to 64, 介護保険法 第9条第2号) and so owes the NHI care levy
/// (介護納付金分). Status starts on the day of attaining 40 (第10条) and the
/// levy is monthly, so the month of that day counts; on the day of attaining
/// 65 the person becomes 第1号 (第9条第1号) and pays 介護保険料 directly from
/// that month, so the levy ends the month before. Ignores whether the person
/// is NHI-insured in those months.
pub fn care_levy_months(birth: Date) -> Option<(YearMonth, YearMonth)> {
    let first = YearMonth::from_date(attains(birth, 40)?);
    let last = YearMonth::from_date(attains(birth, 65)?).prev();
    Some((first, last))
}

/// Whether `ym` is one of [`care_levy_months`].
pub fn is_care_levy_month(birth: Date, ym: YearMonth) -> bool {
    care_levy_months(birth).is_some_and(|(first, last)| first <= ym && ym <= last)
}

/// 未就学児 (義務教育就学前) for the 2割 co-payment: 国民健康保険法
/// 第42条第1項第2号, "六歳に達する日以後の最初の三月三十一日以前". False before
/// birth. Born 2020-04-01: attains 6 on 2026-03-31, preschool through that
/// day; born 2020-04-02: attains 6 on 2026-04-01, through 2027-03-31.
pub fn is_preschool(birth: Date, on: Date) -> bool {
    // The day of attaining 6 is on or before 31 March of its year exactly
    // when the anniversary is on or before 1 April (29 February → 1 March
    // changes nothing); worked in plain integers so that no date overflows.
    let anniversary_by_april_first = (birth.month(), birth.day()) <= (Month::April, 1);
    let last_year = birth.year() + 6 + i32::from(!anniversary_by_april_first);
    birth <= on && (on.year() < last_year || (on.year() == last_year && on.month() <= Month::March))
}

/// A calendar month, e.g. for monthly levies. Ordered by year, then month.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct YearMonth {
    pub year: i32,
    pub month: Month,
}

impl YearMonth {
    pub fn from_date(d: Date) -> YearMonth {
        YearMonth {
            year: d.year(),
            month: d.month(),
        }
    }

    /// `None` if the year is outside `time`'s range.
    pub fn first_day(self) -> Option<Date> {
        Date::from_calendar_date(self.year, self.month, 1).ok()
    }

    /// `None` if the year is outside `time`'s range.
    pub fn last_day(self) -> Option<Date> {
        let first = self.first_day()?;
        Some(
            first
                .replace_day(first.month().length(first.year()))
                .unwrap_or(first),
        )
    }

    /// The following month; the year saturates at `i32::MAX`.
    pub fn next(self) -> YearMonth {
        match self.month {
            Month::December => YearMonth {
                year: self.year.saturating_add(1),
                month: Month::January,
            },
            m => YearMonth {
                year: self.year,
                month: m.next(),
            },
        }
    }

    /// The preceding month; the year saturates at `i32::MIN`.
    pub fn prev(self) -> YearMonth {
        match self.month {
            Month::January => YearMonth {
                year: self.year.saturating_sub(1),
                month: Month::December,
            },
            m => YearMonth {
                year: self.year,
                month: m.previous(),
            },
        }
    }

    pub fn contains(self, d: Date) -> bool {
        YearMonth::from_date(d) == self
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, u8::from(self.month))
    }
}

// ---------------------------------------------------------------------------
// Periods

/// One period of insurance, half-open: insured from `acquired_on` up to but
/// not including `lost_on` (the loss date is the first day not insured).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Period {
    pub acquired_on: Date,
    pub acquisition_reason: AcquisitionReason,
    pub lost_on: Option<Date>,
    pub loss_reason: Option<LossReason>,
}

impl Period {
    /// Whether the person is insured on `d` by this period.
    pub fn covers(&self, d: Date) -> bool {
        self.acquired_on <= d && self.lost_on.is_none_or(|l| d < l)
    }
}

/// What one period must satisfy on its own: a loss after the acquisition,
/// and a loss date and a loss reason together or not at all.
pub fn validate_period(p: &Period) -> Result<(), EligibilityError> {
    if let Some(lost_on) = p.lost_on
        && lost_on <= p.acquired_on
    {
        return Err(EligibilityError::LossNotAfterAcquisition {
            acquired_on: p.acquired_on,
            lost_on,
        });
    }
    match (p.lost_on, p.loss_reason) {
        (Some(_), None) => Err(EligibilityError::LossWithoutReason),
        (None, Some(_)) => Err(EligibilityError::ReasonWithoutLoss),
        _ => Ok(()),
    }
}

/// The periods of one person must not share a day; touching is fine (one
/// lost on D, the next acquired on D). Each period is validated first, so
/// every period covers at least one day.
pub fn check_no_overlap(periods: &[Period]) -> Result<(), EligibilityError> {
    for p in periods {
        validate_period(p)?;
    }
    let mut sorted: Vec<&Period> = periods.iter().collect();
    sorted.sort_by_key(|p| p.acquired_on);
    // Sorted by start, any overlap shows between neighbours: if an earlier
    // period reaches past a later start, it also reaches past the start of the
    // period right after it, which is no later.
    for pair in sorted.windows(2) {
        if let [a, b] = pair
            && a.lost_on.is_none_or(|l| l > b.acquired_on)
        {
            return Err(EligibilityError::Overlap {
                first: a.acquired_on,
                second: b.acquired_on,
            });
        }
    }
    Ok(())
}

/// A loss reason tied to an age must fall on the date that age fixes:
/// [`LossReason::LateElderly`] exactly on the 75th birthday (高齢者の医療の確保
/// に関する法律 第52条第1号; 国民健康保険法 第6条第8号).
pub fn check_loss_fits_age(
    reason: LossReason,
    lost_on: Date,
    birth: Date,
) -> Result<(), EligibilityError> {
    if reason == LossReason::LateElderly {
        let expected_on = late_elderly_from(birth)
            .ok_or(EligibilityError::DateOutOfRange { field: "lost_on" })?;
        if lost_on != expected_on {
            return Err(EligibilityError::ReasonDoesNotFit {
                field: "loss_reason",
                reason_code: reason.code(),
                expected_on,
            });
        }
    }
    Ok(())
}

/// An acquisition must fit the person's age: not before birth; a birth on
/// the birth date (国民健康保険法 第7条); and not on or after the 75th
/// birthday, when the person belongs to 後期高齢者医療 instead (同法 第6条
/// 第8号, 高齢者の医療の確保に関する法律 第50条), unless ex officio.
pub fn check_acquisition_fits(
    reason: AcquisitionReason,
    acquired_on: Date,
    birth: Date,
) -> Result<(), EligibilityError> {
    if acquired_on < birth {
        return Err(EligibilityError::BeforeBirth);
    }
    if reason == AcquisitionReason::Birth && acquired_on != birth {
        return Err(EligibilityError::ReasonDoesNotFit {
            field: "acquisition_reason",
            reason_code: reason.code(),
            expected_on: birth,
        });
    }
    // Ex officio is left open for the rare person excluded from 後期高齢者医療
    // (同法 第51条) whom the municipality must still insure.
    if reason != AcquisitionReason::ExOfficio
        && let Some(from) = late_elderly_from(birth)
        && acquired_on >= from
    {
        return Err(EligibilityError::AtOrAfter75 {
            late_elderly_from: from,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};
    use time::macros::date;

    const ANY_BIRTH: Date = date!(1980 - 05 - 20);

    fn loss(reason: LossReason, on: Date, dest: Option<MoveDestination>) -> Date {
        loss_date(reason, on, dest, ANY_BIRTH).unwrap()
    }

    // --- codes -----------------------------------------------------------

    #[test]
    fn codes_round_trip_and_match_serde() {
        for r in AcquisitionReason::ALL {
            assert_eq!(AcquisitionReason::from_code(r.code()), Some(r));
            let de: StrDeserializer<DeError> = r.code().into_deserializer();
            assert_eq!(AcquisitionReason::deserialize(de).unwrap(), r);
            assert!(!r.label_ja().is_empty());
        }
        for r in LossReason::ALL {
            assert_eq!(LossReason::from_code(r.code()), Some(r));
            let de: StrDeserializer<DeError> = r.code().into_deserializer();
            assert_eq!(LossReason::deserialize(de).unwrap(), r);
            assert!(!r.label_ja().is_empty());
        }
        for d in MoveDestination::ALL {
            assert_eq!(MoveDestination::from_code(d.code()), Some(d));
            let de: StrDeserializer<DeError> = d.code().into_deserializer();
            assert_eq!(MoveDestination::deserialize(de).unwrap(), d);
        }
        assert_eq!(AcquisitionReason::from_code("MoveIn"), None);
        assert_eq!(LossReason::from_code(""), None);
        assert_eq!(
            AcquisitionReason::LeftEmployeeInsurance.code(),
            "left_employee_insurance"
        );
        assert_eq!(LossReason::LateElderly.code(), "late_elderly");
    }

    // --- acquisition dates ---------------------------------------------

    #[test]
    fn move_in_acquires_on_the_move_in_date() {
        // 国民健康保険法 第7条: 住所を有するに至つた日.
        let d = date!(2026 - 04 - 10);
        assert_eq!(acquisition_date(AcquisitionReason::MoveIn, d), d);
    }

    #[test]
    fn leaving_employee_insurance_acquires_on_its_loss_date() {
        // 第7条 with 第6条第1号: last day of work 03-31, employee-insurance
        // loss 04-01, NHI from 04-01.
        let d = date!(2026 - 04 - 01);
        assert_eq!(
            acquisition_date(AcquisitionReason::LeftEmployeeInsurance, d),
            d
        );
    }

    #[test]
    fn birth_acquires_on_the_birth_date() {
        // 第7条: a newborn has an address from the day of birth.
        let d = date!(2026 - 05 - 03);
        assert_eq!(acquisition_date(AcquisitionReason::Birth, d), d);
    }

    #[test]
    fn end_of_public_assistance_acquires_that_day() {
        // 第7条 with 第6条第9号: no longer excluded from the day assistance ends.
        let d = date!(2026 - 06 - 30);
        assert_eq!(
            acquisition_date(AcquisitionReason::PublicAssistanceEnded, d),
            d
        );
    }

    #[test]
    fn foreign_residence_acquires_on_registration() {
        // 第7条 with 施行規則 第1条第1号: insured as a registered foreign resident.
        let d = date!(2026 - 07 - 07);
        assert_eq!(
            acquisition_date(AcquisitionReason::ForeignResidenceStarted, d),
            d
        );
    }

    #[test]
    fn leaving_late_elderly_acquires_on_its_loss_date() {
        // 第7条 with 第6条第8号: no longer excluded from the 後期 loss date.
        let d = date!(2026 - 08 - 01);
        assert_eq!(acquisition_date(AcquisitionReason::LeftLateElderly, d), d);
    }

    #[test]
    fn ex_officio_and_other_acquire_on_the_event_date() {
        // No rule of their own: the recorded decision carries the legal date.
        let d = date!(2026 - 09 - 09);
        assert_eq!(acquisition_date(AcquisitionReason::ExOfficio, d), d);
        assert_eq!(acquisition_date(AcquisitionReason::Other, d), d);
    }

    // --- loss dates ------------------------------------------------------

    #[test]
    fn move_out_within_japan_loses_on_the_move_date() {
        // 第8条第1項ただし書: an address in another municipality that same day.
        let d = date!(2026 - 04 - 10);
        assert_eq!(
            loss(
                LossReason::MoveOut,
                d,
                Some(MoveDestination::OtherPrefecture)
            ),
            d
        );
        // Same prefecture: the prefecture stays insurer; this municipality's
        // period ends where the new one's begins.
        assert_eq!(
            loss(
                LossReason::MoveOut,
                d,
                Some(MoveDestination::SamePrefecture)
            ),
            d
        );
    }

    #[test]
    fn move_abroad_loses_the_day_after() {
        // 第8条第1項本文: 住所を有しなくなつた日の翌日.
        let d = date!(2026 - 04 - 30);
        assert_eq!(
            loss(LossReason::MoveOut, d, Some(MoveDestination::Abroad)),
            date!(2026 - 05 - 01)
        );
        // Unknown destination: the general rule.
        assert_eq!(loss(LossReason::MoveOut, d, None), date!(2026 - 05 - 01));
    }

    #[test]
    fn joining_employee_insurance_loses_the_day_after_with_one_day_overlap() {
        // 第8条第1項 with 第6条第1号: employee insurance from 04-01, NHI lost
        // from 04-02; both cover 04-01.
        let d = date!(2026 - 04 - 01);
        assert_eq!(
            loss(LossReason::JoinedEmployeeInsurance, d, None),
            date!(2026 - 04 - 02)
        );
        // Month end and year end roll over.
        assert_eq!(
            loss(
                LossReason::JoinedEmployeeInsurance,
                date!(2026 - 12 - 31),
                None
            ),
            date!(2027 - 01 - 01)
        );
    }

    #[test]
    fn death_loses_the_day_after() {
        // 第8条第1項本文: the address ends with the day of death.
        assert_eq!(
            loss(LossReason::Death, date!(2028 - 02 - 28), None),
            date!(2028 - 02 - 29)
        );
    }

    #[test]
    fn public_assistance_loses_that_day() {
        // 第8条第2項 with 第6条第9号: lost from the day assistance starts.
        let d = date!(2026 - 05 - 15);
        assert_eq!(loss(LossReason::PublicAssistanceStarted, d, None), d);
    }

    #[test]
    fn late_elderly_loses_on_the_75th_birthday_whatever_the_event_date() {
        // 高齢者の医療の確保に関する法律 第50条・第52条; 国保法 第6条第8号.
        let birth = date!(1951 - 06 - 15);
        for event in [date!(2026 - 06 - 01), date!(2026 - 06 - 15)] {
            assert_eq!(
                loss_date(LossReason::LateElderly, event, None, birth).unwrap(),
                date!(2026 - 06 - 15)
            );
        }
    }

    #[test]
    fn ex_officio_and_other_lose_on_the_event_date_and_ignore_destination() {
        // No rule of their own; a destination given by mistake is ignored.
        let d = date!(2026 - 10 - 10);
        for r in [LossReason::ExOfficio, LossReason::Other] {
            assert_eq!(loss(r, d, None), d);
            assert_eq!(loss(r, d, Some(MoveDestination::Abroad)), d);
        }
        assert_eq!(
            loss(LossReason::Death, d, Some(MoveDestination::OtherPrefecture)),
            date!(2026 - 10 - 11)
        );
    }

    #[test]
    fn loss_date_overflow_is_an_error() {
        let last = Date::MAX;
        let e = loss_date(LossReason::Death, last, None, ANY_BIRTH).unwrap_err();
        assert_eq!(e, EligibilityError::DateOutOfRange { field: "lost_on" });
        assert_eq!(e.field(), "lost_on");
        assert!(loss_date(LossReason::LateElderly, ANY_BIRTH, None, Date::MAX).is_err());
    }

    // --- notifications ---------------------------------------------------

    #[test]
    fn fourteen_day_boundary() {
        // 施行規則 第2条等 "十四日以内", the event day not counted (民法 第140条).
        let event = date!(2026 - 04 - 01);
        assert!(!is_late_notification(event, date!(2026 - 04 - 01)));
        assert!(!is_late_notification(event, date!(2026 - 04 - 15)));
        assert!(is_late_notification(event, date!(2026 - 04 - 16)));
        assert!(!is_late_notification(event, date!(2026 - 03 - 20)));
        assert!(!is_late_notification(Date::MAX, Date::MAX));
        assert_eq!(
            notification_deadline(event, |_| false),
            Some(date!(2026 - 04 - 15))
        );
    }

    #[test]
    fn deadline_on_a_closed_day_moves_to_the_next_open_day() {
        // 地方自治法 第4条の2第4項. 2026-04-18 is a Saturday.
        let event = date!(2026 - 04 - 04);
        let weekend =
            |d: Date| matches!(d.weekday(), time::Weekday::Saturday | time::Weekday::Sunday);
        assert_eq!(
            notification_deadline(event, weekend),
            Some(date!(2026 - 04 - 20))
        );
        assert_eq!(notification_deadline(event, |_| true), None);
    }

    // --- ages ------------------------------------------------------------

    #[test]
    fn anniversaries() {
        assert_eq!(
            anniversary(date!(2000 - 02 - 29), 1),
            Some(date!(2001 - 03 - 01))
        );
        assert_eq!(
            anniversary(date!(2000 - 02 - 29), 4),
            Some(date!(2004 - 02 - 29))
        );
        assert_eq!(
            anniversary(date!(2000 - 01 - 31), 1),
            Some(date!(2001 - 01 - 31))
        );
        assert_eq!(anniversary(date!(2000 - 01 - 31), i32::MAX), None);
        assert_eq!(anniversary(Date::MAX, 1), None);
    }

    #[test]
    fn ages_change_on_the_birthday() {
        let b = date!(2000 - 06 - 15);
        assert_eq!(age_on(b, b), 0);
        assert_eq!(age_on(b, date!(2070 - 06 - 14)), 69);
        assert_eq!(age_on(b, date!(2070 - 06 - 15)), 70);
        assert_eq!(age_on(b, date!(2000 - 06 - 14)), -1);
    }

    #[test]
    fn leap_day_births_age_on_first_march_in_common_years() {
        let b = date!(2000 - 02 - 29);
        assert_eq!(age_on(b, date!(2001 - 02 - 28)), 0);
        assert_eq!(age_on(b, date!(2001 - 03 - 01)), 1);
        assert_eq!(age_on(b, date!(2004 - 02 - 28)), 3);
        assert_eq!(age_on(b, date!(2004 - 02 - 29)), 4);
    }

    #[test]
    fn elderly_recipient_from_the_month_after_attaining_70() {
        // 国保法 第42条第1項第3号: "七十歳に達する日の属する月の翌月以後".
        // Born on the 15th: attains 70 on 06-14 → July.
        assert_eq!(
            elderly_recipient_from(date!(1955 - 06 - 15)),
            Some(date!(2025 - 07 - 01))
        );
        // Born on the 1st: attains 70 on 05-31 → June, the birthday month.
        assert_eq!(
            elderly_recipient_from(date!(1955 - 06 - 01)),
            Some(date!(2025 - 06 - 01))
        );
        // Born on the 2nd: attains 70 on the 1st → next month.
        assert_eq!(
            elderly_recipient_from(date!(1955 - 06 - 02)),
            Some(date!(2025 - 07 - 01))
        );
        // 29 Feb, common year: attains on 02-28 → March.
        assert_eq!(
            elderly_recipient_from(date!(1956 - 02 - 29)),
            Some(date!(2026 - 03 - 01))
        );
        // 29 Feb, leap year: attains on 02-28 → March as well.
        assert_eq!(
            elderly_recipient_from(date!(1958 - 02 - 28)),
            Some(date!(2028 - 03 - 01))
        );
        assert_eq!(
            elderly_recipient_from(date!(1960 - 02 - 29)),
            Some(date!(2030 - 03 - 01))
        );
        // Born 1 January: attains 70 on 31 December → January of the 70th year.
        assert_eq!(
            elderly_recipient_from(date!(1956 - 01 - 01)),
            Some(date!(2026 - 01 - 01))
        );
    }

    #[test]
    fn late_elderly_from_the_75th_birthday() {
        // 高齢者の医療の確保に関する法律 第52条第1号.
        assert_eq!(
            late_elderly_from(date!(1951 - 06 - 15)),
            Some(date!(2026 - 06 - 15))
        );
        assert_eq!(
            late_elderly_from(date!(1951 - 06 - 01)),
            Some(date!(2026 - 06 - 01))
        );
        assert_eq!(
            late_elderly_from(date!(1952 - 02 - 29)),
            Some(date!(2027 - 03 - 01))
        );
        assert_eq!(
            late_elderly_from(date!(1953 - 02 - 28)),
            Some(date!(2028 - 02 - 28))
        );
    }

    #[test]
    fn preschool_boundary_is_1_april_versus_2_april() {
        // 国保法 第42条第1項第2号: "六歳に達する日以後の最初の三月三十一日以前".
        let april_1 = date!(2020 - 04 - 01);
        assert!(is_preschool(april_1, date!(2026 - 03 - 31)));
        assert!(!is_preschool(april_1, date!(2026 - 04 - 01)));
        let april_2 = date!(2020 - 04 - 02);
        assert!(is_preschool(april_2, date!(2026 - 04 - 01)));
        assert!(is_preschool(april_2, date!(2027 - 03 - 31)));
        assert!(!is_preschool(april_2, date!(2027 - 04 - 01)));
        // Born on 31 March and on 29 Feb: school in the year of turning 6.
        assert!(!is_preschool(date!(2020 - 03 - 31), date!(2026 - 04 - 01)));
        assert!(is_preschool(date!(2020 - 02 - 29), date!(2026 - 03 - 31)));
        assert!(!is_preschool(date!(2020 - 02 - 29), date!(2026 - 04 - 01)));
        // Not before birth; yes on the day of birth.
        assert!(!is_preschool(april_1, date!(2020 - 03 - 31)));
        assert!(is_preschool(april_1, april_1));
    }

    fn ym(year: i32, month: Month) -> YearMonth {
        YearMonth { year, month }
    }

    #[test]
    fn care_levy_months_first_and_last() {
        // 介護保険法 第9条第2号・第10条: from the month of attaining 40.
        let (first, _) = care_levy_months(date!(1986 - 04 - 01)).unwrap();
        assert_eq!(first, ym(2026, Month::March));
        let (first, _) = care_levy_months(date!(1986 - 04 - 02)).unwrap();
        assert_eq!(first, ym(2026, Month::April));
        // 第9条第1号: 第1号 from the month of attaining 65, so the levy ends
        // the month before.
        let b = date!(1961 - 06 - 15);
        let (_, last) = care_levy_months(b).unwrap();
        assert_eq!(last, ym(2026, Month::May));
        assert!(is_care_levy_month(b, ym(2026, Month::May)));
        assert!(!is_care_levy_month(b, ym(2026, Month::June)));
        assert!(is_care_levy_month(b, ym(2001, Month::June)));
        assert!(!is_care_levy_month(b, ym(2001, Month::May)));
        // Born on the 1st: attains 65 on the last day of the month before.
        let (_, last) = care_levy_months(date!(1961 - 06 - 01)).unwrap();
        assert_eq!(last, ym(2026, Month::April));
        // 29 Feb: attains 40 on 28 Feb in a common year.
        let (first, last) = care_levy_months(date!(1988 - 02 - 29)).unwrap();
        assert_eq!(first, ym(2028, Month::February));
        assert_eq!(last, ym(2053, Month::January));
    }

    #[test]
    fn year_month_basics() {
        let dec = ym(2026, Month::December);
        assert_eq!(dec.to_string(), "2026-12");
        assert_eq!(ym(2026, Month::April).to_string(), "2026-04");
        assert_eq!(dec.next(), ym(2027, Month::January));
        assert_eq!(dec.next().prev(), dec);
        assert!(ym(2026, Month::December) < ym(2027, Month::January));
        assert!(ym(2026, Month::February) < ym(2026, Month::March));
        assert_eq!(dec.first_day(), Some(date!(2026 - 12 - 01)));
        assert!(dec.contains(date!(2026 - 12 - 31)));
        assert!(!dec.contains(date!(2027 - 12 - 31)));
        assert_eq!(
            YearMonth::from_date(date!(2026 - 04 - 30)),
            ym(2026, Month::April)
        );
        assert_eq!(ym(1_000_000, Month::January).first_day(), None);
    }

    // --- periods ---------------------------------------------------------

    fn period(acquired_on: Date, lost_on: Option<Date>) -> Period {
        Period {
            acquired_on,
            acquisition_reason: AcquisitionReason::MoveIn,
            lost_on,
            loss_reason: lost_on.map(|_| LossReason::MoveOut),
        }
    }

    #[test]
    fn period_validation() {
        let a = date!(2026 - 04 - 01);
        assert!(validate_period(&period(a, None)).is_ok());
        assert!(validate_period(&period(a, Some(date!(2026 - 04 - 02)))).is_ok());
        let e = validate_period(&period(a, Some(a))).unwrap_err();
        assert_eq!(e.field(), "lost_on");
        assert!(e.message_ja().contains("喪失日が取得日以前です"));
        let mut p = period(a, Some(date!(2026 - 05 - 01)));
        p.loss_reason = None;
        assert_eq!(
            validate_period(&p),
            Err(EligibilityError::LossWithoutReason)
        );
        assert_eq!(EligibilityError::LossWithoutReason.field(), "loss_reason");
        let mut p = period(a, None);
        p.loss_reason = Some(LossReason::Death);
        assert_eq!(
            validate_period(&p),
            Err(EligibilityError::ReasonWithoutLoss)
        );
    }

    #[test]
    fn covers_is_half_open() {
        let p = period(date!(2026 - 04 - 01), Some(date!(2026 - 04 - 03)));
        assert!(!p.covers(date!(2026 - 03 - 31)));
        assert!(p.covers(date!(2026 - 04 - 01)));
        assert!(p.covers(date!(2026 - 04 - 02)));
        assert!(!p.covers(date!(2026 - 04 - 03)));
        assert!(period(date!(2026 - 04 - 01), None).covers(date!(2099 - 01 - 01)));
    }

    #[test]
    fn overlap_detection() {
        let d = |m: u8, day: u8| {
            Date::from_calendar_date(2026, Month::try_from(m).unwrap(), day).unwrap()
        };
        // Touching is fine, in any order.
        let touching = [
            period(d(5, 1), Some(d(6, 1))),
            period(d(4, 1), Some(d(5, 1))),
            period(d(6, 1), None),
        ];
        assert_eq!(check_no_overlap(&touching), Ok(()));
        assert_eq!(check_no_overlap(&[]), Ok(()));
        // One shared day.
        let shared = [period(d(4, 1), Some(d(5, 2))), period(d(5, 1), None)];
        let e = check_no_overlap(&shared).unwrap_err();
        assert_eq!(
            e,
            EligibilityError::Overlap {
                first: d(4, 1),
                second: d(5, 1)
            }
        );
        assert_eq!(e.field(), "acquired_on");
        assert!(e.message_ja().contains("重複"));
        // An open period overlaps anything after its start.
        let open = [period(d(4, 1), None), period(d(9, 1), Some(d(10, 1)))];
        assert!(check_no_overlap(&open).is_err());
        // Nested, with a later period between that touches nothing.
        let nested = [
            period(d(4, 1), Some(d(12, 1))),
            period(d(6, 1), Some(d(7, 1))),
        ];
        assert!(check_no_overlap(&nested).is_err());
        // Same start.
        let same = [
            period(d(4, 1), Some(d(4, 2))),
            period(d(4, 1), Some(d(4, 2))),
        ];
        assert!(check_no_overlap(&same).is_err());
        // An invalid period is reported as such.
        let invalid = [period(d(4, 1), Some(d(4, 1)))];
        assert!(matches!(
            check_no_overlap(&invalid),
            Err(EligibilityError::LossNotAfterAcquisition { .. })
        ));
    }

    // --- reasons against ages ---------------------------------------------

    #[test]
    fn late_elderly_loss_must_be_on_the_75th_birthday() {
        let birth = date!(1951 - 06 - 15);
        assert_eq!(
            check_loss_fits_age(LossReason::LateElderly, date!(2026 - 06 - 15), birth),
            Ok(())
        );
        let e =
            check_loss_fits_age(LossReason::LateElderly, date!(2026 - 06 - 16), birth).unwrap_err();
        assert_eq!(e.field(), "loss_reason");
        assert!(e.message_ja().contains("後期高齢者医療への移行"));
        assert!(e.message_ja().contains("2026-06-15"));
        assert_eq!(
            check_loss_fits_age(LossReason::Death, date!(2026 - 06 - 16), birth),
            Ok(())
        );
    }

    #[test]
    fn acquisition_must_fit_the_age() {
        let birth = date!(1951 - 06 - 15);
        let e = check_acquisition_fits(AcquisitionReason::MoveIn, date!(1951 - 06 - 14), birth)
            .unwrap_err();
        assert_eq!(e, EligibilityError::BeforeBirth);
        assert_eq!(e.field(), "acquired_on");
        assert_eq!(
            check_acquisition_fits(AcquisitionReason::Birth, birth, birth),
            Ok(())
        );
        let e = check_acquisition_fits(AcquisitionReason::Birth, date!(1951 - 06 - 16), birth)
            .unwrap_err();
        assert_eq!(e.field(), "acquisition_reason");
        assert!(e.message_ja().contains("出生"));
        // The day before the 75th birthday is still possible; the day itself not.
        assert_eq!(
            check_acquisition_fits(AcquisitionReason::MoveIn, date!(2026 - 06 - 14), birth),
            Ok(())
        );
        let e = check_acquisition_fits(AcquisitionReason::MoveIn, date!(2026 - 06 - 15), birth)
            .unwrap_err();
        assert_eq!(
            e,
            EligibilityError::AtOrAfter75 {
                late_elderly_from: date!(2026 - 06 - 15)
            }
        );
        assert_eq!(
            check_acquisition_fits(AcquisitionReason::ExOfficio, date!(2030 - 01 - 01), birth),
            Ok(())
        );
    }

    #[test]
    fn messages_carry_no_digits_beyond_dates() {
        let errors = [
            EligibilityError::LossWithoutReason,
            EligibilityError::ReasonWithoutLoss,
            EligibilityError::BeforeBirth,
            EligibilityError::DateOutOfRange { field: "lost_on" },
        ];
        for e in errors {
            assert!(!e.message_ja().is_empty());
            assert!(!e.message_ja().chars().any(|c| c.is_ascii_digit()));
            assert!(!e.to_string().is_empty());
        }
    }

    // --- properties ------------------------------------------------------

    fn day(n: i32) -> Date {
        Date::from_julian_day(date!(2026 - 01 - 01).to_julian_day() + n).unwrap()
    }

    fn any_date() -> impl Strategy<Value = Date> {
        let lo = date!(1900 - 01 - 01).to_julian_day();
        let hi = date!(2100 - 12 - 31).to_julian_day();
        (lo..=hi).prop_map(|j| Date::from_julian_day(j).unwrap())
    }

    /// Valid periods within a small window, so that overlaps are frequent.
    fn small_period() -> impl Strategy<Value = Period> {
        (0..40i32, prop::option::of(1..15i32))
            .prop_map(|(start, len)| period(day(start), len.map(|l| day(start + l))))
    }

    proptest! {
        #[test]
        fn validate_accepts_exactly_loss_after_acquisition(
            a in any_date(),
            offset in -3i32..=3,
        ) {
            let l = Date::from_julian_day(a.to_julian_day() + offset).unwrap();
            let p = period(a, Some(l));
            prop_assert_eq!(validate_period(&p).is_ok(), l > a);
            prop_assert!(validate_period(&period(a, None)).is_ok());
        }

        #[test]
        fn overlap_agrees_with_day_by_day_check(
            periods in prop::collection::vec(small_period(), 0..5),
        ) {
            // Every start is below day 40 and every end below day 55, so two
            // periods sharing a day share one in 0..60.
            let brute = (0..60).any(|n| {
                periods.iter().filter(|p| p.covers(day(n))).count() > 1
            });
            prop_assert_eq!(check_no_overlap(&periods).is_err(), brute);
        }

        #[test]
        fn elderly_recipient_starts_on_a_first_after_attaining_70(
            birth in any_date(),
        ) {
            let from = elderly_recipient_from(birth).unwrap();
            let attained = anniversary(birth, 70).unwrap().previous_day().unwrap();
            prop_assert_eq!(from.day(), 1);
            prop_assert!(from > attained);
            // And it is the first such 1st.
            prop_assert_eq!(
                YearMonth::from_date(from.previous_day().unwrap()),
                YearMonth::from_date(attained)
            );
            prop_assert_eq!(age_on(birth, attained), 69);
        }

        #[test]
        fn age_is_monotone(birth in any_date(), a in any_date(), b in any_date()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(age_on(birth, lo) <= age_on(birth, hi));
        }

        #[test]
        fn age_steps_by_one_on_the_anniversary(birth in any_date(), years in 1i32..110) {
            let ann = anniversary(birth, years).unwrap();
            let eve = ann.previous_day().unwrap();
            prop_assert_eq!(age_on(birth, ann), years);
            prop_assert_eq!(age_on(birth, eve), years - 1);
        }

        #[test]
        fn care_months_span_25_years(birth in any_date()) {
            let (first, last) = care_levy_months(birth).unwrap();
            prop_assert!(first <= last);
            prop_assert!(is_care_levy_month(birth, first));
            prop_assert!(is_care_levy_month(birth, last));
            prop_assert!(!is_care_levy_month(birth, first.prev()));
            prop_assert!(!is_care_levy_month(birth, last.next()));
            // 25 years = 300 months.
            let months = (last.year - first.year) * 12
                + i32::from(u8::from(last.month)) - i32::from(u8::from(first.month)) + 1;
            prop_assert_eq!(months, 300);
        }
    }
}
