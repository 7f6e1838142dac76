//! The eligibility check of a claim (資格点検): was the person the claim
//! names insured by this insurer on the days of care, under the symbol,
//! number and 枝番 on the claim, and is the copay rate the claim charged the
//! one that applied? Pure: the caller gives what the registry knew at the
//! check (the "as known at" view), and the check says what is wrong.
//!
//! A claim found wrong is returned (返戻) to the provider through the
//! federation, or adjusted (調整) by the insurer where the person is known
//! and only a number is wrong; what the records cannot settle is marked for
//! a clerk to confirm (要確認).

use time::Date;

use crate::burden::{AgeGroup, age_group};
use crate::eligibility::YearMonth;
use crate::wareki;

/// What a claim says about whom it is for and what it charged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimFacts<'a> {
    /// 保険者番号 as written (six digits for NHI)
    pub insurer_number: &'a str,
    pub symbol: &'a str,
    pub number: &'a str,
    pub branch: Option<&'a str>,
    pub service_month: YearMonth,
    /// 算定日, bit 0 for the 1st; 0 when the claim marks none
    pub service_days: u32,
    pub birth_date: Date,
    /// 給付割合 (the percentage the insurer pays), where written
    pub benefit_rate: Option<u8>,
    /// レセプト種別 (4 digits)
    pub claim_kind: &'a str,
}

/// One stretch in which the person held an insured number: the household's
/// symbol and number and the person's 枝番 there, [from, to).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldNumber {
    pub from: Date,
    pub to: Option<Date>,
    pub symbol: String,
    pub number: String,
    pub branch: Option<String>,
}

/// What the registry knew at the check about the person the claim's
/// numbers lead to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsuredFacts {
    pub birth_date: Date,
    /// insured [acquired, lost), corrections applied, voided periods left out
    pub periods: Vec<(Date, Option<Date>)>,
    pub numbers: Vec<HeldNumber>,
}

/// Why a claim is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// 他保険者: the claim names another insurer
    OtherInsurer,
    /// 該当者なし: no insured person holds the symbol, number and 枝番
    UnknownInsured,
    /// 資格取得前の受診
    BeforeAcquisition,
    /// 資格喪失後の受診
    AfterLoss,
    /// 資格のない日の受診 (between two periods, or on days on both sides)
    NotInsuredOnDays,
    /// 75歳到達後の受診: from the 75th birthday the person is insured by
    /// 後期高齢者医療, whatever the NHI record still says
    LateElderly,
    /// 記号・番号・枝番誤り: the person held other numbers on those days
    NumberChanged,
    /// 生年月日相違
    BirthDateDiffers,
    /// 負担割合誤り
    CopayRateWrong,
    /// レセプト種別誤り (the age class: 未就学者 / 高齢受給者 / その他)
    ClaimKindWrong,
    /// 月途中の資格異動で算定日の記録なし: the records cannot tell the days
    DaysUnknown,
    /// 負担区分が未判定で、70〜74歳の負担割合を確認できない
    RateUnconfirmed,
}

impl Reason {
    pub const ALL: [Reason; 12] = [
        Reason::OtherInsurer,
        Reason::UnknownInsured,
        Reason::BeforeAcquisition,
        Reason::AfterLoss,
        Reason::NotInsuredOnDays,
        Reason::LateElderly,
        Reason::NumberChanged,
        Reason::BirthDateDiffers,
        Reason::CopayRateWrong,
        Reason::ClaimKindWrong,
        Reason::DaysUnknown,
        Reason::RateUnconfirmed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::OtherInsurer => "other_insurer",
            Reason::UnknownInsured => "unknown_insured",
            Reason::BeforeAcquisition => "before_acquisition",
            Reason::AfterLoss => "after_loss",
            Reason::NotInsuredOnDays => "not_insured_on_days",
            Reason::LateElderly => "late_elderly",
            Reason::NumberChanged => "number_changed",
            Reason::BirthDateDiffers => "birth_date_differs",
            Reason::CopayRateWrong => "copay_rate_wrong",
            Reason::ClaimKindWrong => "claim_kind_wrong",
            Reason::DaysUnknown => "days_unknown",
            Reason::RateUnconfirmed => "rate_unconfirmed",
        }
    }

    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Reason::OtherInsurer => "他保険者",
            Reason::UnknownInsured => "該当者なし",
            Reason::BeforeAcquisition => "資格取得前の受診",
            Reason::AfterLoss => "資格喪失後の受診",
            Reason::NotInsuredOnDays => "資格のない日の受診",
            Reason::LateElderly => "75歳到達後の受診（後期高齢者医療）",
            Reason::NumberChanged => "記号・番号・枝番誤り",
            Reason::BirthDateDiffers => "生年月日相違",
            Reason::CopayRateWrong => "負担割合誤り",
            Reason::ClaimKindWrong => "レセプト種別誤り",
            Reason::DaysUnknown => "算定日不明（月途中の資格異動）",
            Reason::RateUnconfirmed => "負担割合未確認（負担区分未判定）",
        }
    }

    /// What the insurer does with a claim listed for this reason.
    pub fn action(self) -> Action {
        match self {
            Reason::OtherInsurer
            | Reason::UnknownInsured
            | Reason::BeforeAcquisition
            | Reason::AfterLoss
            | Reason::NotInsuredOnDays
            | Reason::LateElderly
            | Reason::CopayRateWrong
            | Reason::ClaimKindWrong => Action::Return,
            Reason::NumberChanged => Action::Adjustment,
            Reason::BirthDateDiffers | Reason::DaysUnknown | Reason::RateUnconfirmed => {
                Action::Confirm
            }
        }
    }
}

/// What happens to a listed claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// 返戻: back to the provider, who claims again
    Return,
    /// 調整: the insurer corrects the numbers; the claim is paid
    Adjustment,
    /// 要確認: a clerk looks at the records before deciding
    Confirm,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Return => "return",
            Action::Adjustment => "adjustment",
            Action::Confirm => "confirm",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Action::Return => "返戻",
            Action::Adjustment => "調整",
            Action::Confirm => "要確認",
        }
    }
}

/// One thing wrong with a claim, said for the log and for the counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub reason: Reason,
    pub detail_en: String,
    pub detail_ja: String,
}

impl Finding {
    fn new(reason: Reason, en: impl Into<String>, ja: impl Into<String>) -> Finding {
        Finding {
            reason,
            detail_en: en.into(),
            detail_ja: ja.into(),
        }
    }
}

fn ja_date(d: Date) -> String {
    wareki::format_date(d).unwrap_or_else(|_| d.to_string())
}

fn days_ja(days: &[Date]) -> String {
    days.iter()
        .map(|d| format!("{}日", d.day()))
        .collect::<Vec<_>>()
        .join("・")
}

fn days_en(days: &[Date]) -> String {
    days.iter()
        .map(|d| d.day().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The dates of the marked days of the month.
pub fn service_dates(month: YearMonth, days: u32) -> Vec<Date> {
    let Some(first) = month.first_day() else {
        return vec![];
    };
    (0..31u8)
        .filter(|i| days & (1 << i) != 0)
        .filter_map(|i| first.replace_day(i + 1).ok())
        .collect()
}

/// The copay rate (percent) a claim charged: 100 − 給付割合 where written,
/// else the one its レセプト種別 implies (digit 4: 3/4 未就学者 and 7/8
/// 高齢受給者一般・低所得 2割; 9/0 高齢受給者7割給付 and the rest 3割).
pub fn charged_percent(claim: &ClaimFacts<'_>) -> u8 {
    percent_charged(claim.benefit_rate, claim.claim_kind)
}

/// [`charged_percent`] from the two fields it reads.
pub fn percent_charged(benefit_rate: Option<u8>, claim_kind: &str) -> u8 {
    match benefit_rate {
        Some(r) => 100 - r.min(100),
        None => match claim_kind.as_bytes().get(3) {
            Some(b'3' | b'4' | b'7' | b'8') => 20,
            _ => 30,
        },
    }
}

/// The age class a レセプト種別 declares (digit 4), where it declares one.
fn kind_age_class(claim_kind: &str) -> Option<AgeGroup> {
    match claim_kind.as_bytes().get(3)? {
        b'1' | b'2' | b'5' | b'6' => Some(AgeGroup::Under70),
        b'3' | b'4' => Some(AgeGroup::Preschool),
        b'7' | b'8' | b'9' | b'0' => Some(AgeGroup::Elderly),
        _ => None,
    }
}

fn age_class_ja(g: AgeGroup) -> &'static str {
    match g {
        AgeGroup::Preschool => "未就学者",
        AgeGroup::Under70 => "未就学者・高齢受給者以外",
        AgeGroup::Elderly => "高齢受給者",
    }
}

fn insured_on(periods: &[(Date, Option<Date>)], d: Date) -> bool {
    periods
        .iter()
        .any(|(from, to)| *from <= d && to.is_none_or(|t| d < t))
}

/// Checks one claim. `insurer` is this insurer's number; `person` is what
/// the registry knew of the person the claim's numbers lead to (None when
/// they lead to no one); `copay_percent` the rate judged for the person and
/// the service month with the household's burden categories, where the
/// month was judged.
pub fn check(
    claim: &ClaimFacts<'_>,
    insurer: &str,
    person: Option<&InsuredFacts>,
    copay_percent: Option<u8>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if claim.insurer_number != insurer {
        out.push(Finding::new(
            Reason::OtherInsurer,
            "the claim names another insurer",
            "レセプトの保険者番号が当保険者ではありません",
        ));
        return out;
    }
    let Some(p) = person else {
        out.push(Finding::new(
            Reason::UnknownInsured,
            "no insured person holds the symbol, number and branch on the claim",
            "レセプトの記号・番号・枝番に該当する被保険者がいません",
        ));
        return out;
    };
    let marked = service_dates(claim.service_month, claim.service_days);

    // From the 75th birthday the person is insured by 後期高齢者医療
    // (高齢者の医療の確保に関する法律 第52条第1号), even before the age job
    // records the loss: care on those days is not NHI's. A claim marking no
    // day is one only when the whole month is past the birthday.
    if let Some(d75) = crate::eligibility::late_elderly_from(p.birth_date) {
        let late = if marked.is_empty() {
            claim
                .service_month
                .first_day()
                .is_some_and(|first| first >= d75)
        } else {
            marked.iter().any(|d| *d >= d75)
        };
        if late {
            out.push(Finding::new(
                Reason::LateElderly,
                format!("care on or after the 75th birthday ({d75}): insured by 後期高齢者医療"),
                format!(
                    "75歳の誕生日（{}）以後の受診です（後期高齢者医療の被保険者）",
                    ja_date(d75)
                ),
            ));
            return out;
        }
    }

    // Insured on the days of care: the marked days, or, where the claim
    // marks none, any day of the month (then a month with a change in it
    // cannot be settled from the records).
    let days: Vec<Date> = if marked.is_empty() {
        // every day of the month (the bits past its end name no date)
        let month = service_dates(claim.service_month, u32::MAX);
        let insured: Vec<Date> = month
            .iter()
            .copied()
            .filter(|d| insured_on(&p.periods, *d))
            .collect();
        if insured.is_empty() {
            out.push(not_insured(&month, p));
            return out;
        }
        if insured.len() < month.len() {
            out.push(Finding::new(
                Reason::DaysUnknown,
                format!(
                    "insured on {} of the month's {} days and the claim marks no service days",
                    insured.len(),
                    month.len()
                ),
                format!(
                    "診療月の{}日のうち資格のある日は{}日で、レセプトに算定日の記録がありません",
                    month.len(),
                    insured.len()
                ),
            ));
        }
        insured
    } else {
        let uninsured: Vec<Date> = marked
            .iter()
            .copied()
            .filter(|d| !insured_on(&p.periods, *d))
            .collect();
        if !uninsured.is_empty() {
            out.push(not_insured(&uninsured, p));
            return out;
        }
        marked
    };

    // The numbers held on those days.
    for d in &days {
        let held = p
            .numbers
            .iter()
            .find(|h| h.from <= *d && h.to.is_none_or(|t| *d < t));
        let Some(h) = held else { continue };
        let branch_ok = match (claim.branch, h.branch.as_deref()) {
            (Some(c), Some(b)) => c == b,
            _ => true,
        };
        if h.symbol != claim.symbol || h.number != claim.number || !branch_ok {
            let right = format!(
                "{}・{}{}",
                h.symbol,
                h.number,
                h.branch
                    .as_deref()
                    .map(|b| format!("・{b}"))
                    .unwrap_or_default()
            );
            out.push(Finding::new(
                Reason::NumberChanged,
                format!("the person held other numbers on {d}"),
                format!("{}の記号・番号・枝番は {right} です", ja_date(*d)),
            ));
            break;
        }
    }

    if claim.birth_date != p.birth_date {
        out.push(Finding::new(
            Reason::BirthDateDiffers,
            "the birth date differs from the registry's",
            format!(
                "生年月日が住民記録（{}）と異なります",
                ja_date(p.birth_date)
            ),
        ));
    }

    let group = age_group(p.birth_date, claim.service_month);
    if let Some(declared) = kind_age_class(claim.claim_kind)
        && declared != group
    {
        out.push(Finding::new(
            Reason::ClaimKindWrong,
            format!("the claim kind declares {declared:?}; the person is {group:?} in the month"),
            format!(
                "レセプト種別は{}ですが、診療月は{}です",
                age_class_ja(declared),
                age_class_ja(group)
            ),
        ));
    }

    let expected = copay_percent.or(match group {
        AgeGroup::Preschool => Some(20),
        AgeGroup::Under70 => Some(30),
        AgeGroup::Elderly => None,
    });
    let charged = charged_percent(claim);
    match expected {
        Some(e) if e != charged => out.push(Finding::new(
            Reason::CopayRateWrong,
            format!("charged at {charged}%; the rate for the month is {e}%"),
            format!(
                "負担割合{}割で請求されていますが、診療月の負担割合は{}割です",
                charged / 10,
                e / 10
            ),
        )),
        Some(_) => {}
        None => out.push(Finding::new(
            Reason::RateUnconfirmed,
            "a 70–74 member's month without burden categories: the rate cannot be confirmed",
            "70〜74歳の月の負担区分が判定されていないため、負担割合を確認できません",
        )),
    }
    out
}

fn not_insured(days: &[Date], p: &InsuredFacts) -> Finding {
    let first_acquired = p.periods.iter().map(|(a, _)| *a).min();
    let last_lost = if p.periods.iter().any(|(_, l)| l.is_none()) {
        None
    } else {
        p.periods.iter().filter_map(|(_, l)| *l).max()
    };
    let (Some(day0), Some(day_n)) = (days.first(), days.last()) else {
        return Finding::new(Reason::NotInsuredOnDays, "", "");
    };
    match (first_acquired, last_lost) {
        (Some(a), _) if *day_n < a => Finding::new(
            Reason::BeforeAcquisition,
            format!("care on {} before the acquisition on {a}", days_en(days)),
            format!(
                "{}の受診は資格取得日（{}）より前です",
                days_ja(days),
                ja_date(a)
            ),
        ),
        (_, Some(l)) if *day0 >= l => Finding::new(
            Reason::AfterLoss,
            format!("care on {} after the loss on {l}", days_en(days)),
            format!(
                "{}の受診は資格喪失日（{}）以後です",
                days_ja(days),
                ja_date(l)
            ),
        ),
        (None, _) => Finding::new(
            Reason::NotInsuredOnDays,
            format!(
                "care on {}: the person has never been insured",
                days_en(days)
            ),
            format!("{}の受診：資格を取得したことがありません", days_ja(days)),
        ),
        _ => Finding::new(
            Reason::NotInsuredOnDays,
            format!("care on {} while not insured", days_en(days)),
            format!("{}は資格のない日です", days_ja(days)),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use time::Month;
    use time::macros::date;

    const SEPT: YearMonth = YearMonth {
        year: 2026,
        month: Month::September,
    };

    fn claim() -> ClaimFacts<'static> {
        ClaimFacts {
            insurer_number: "319012",
            symbol: "八頭",
            number: "1001",
            branch: Some("01"),
            service_month: SEPT,
            service_days: 1 << 9 | 1 << 19, // the 10th and the 20th
            birth_date: date!(1980 - 05 - 10),
            benefit_rate: Some(70),
            claim_kind: "1112",
        }
    }

    fn person() -> InsuredFacts {
        InsuredFacts {
            birth_date: date!(1980 - 05 - 10),
            periods: vec![(date!(2020 - 04 - 01), None)],
            numbers: vec![HeldNumber {
                from: date!(2020 - 04 - 01),
                to: None,
                symbol: "八頭".into(),
                number: "1001".into(),
                branch: Some("01".into()),
            }],
        }
    }

    /// The reasons listed for a claim, the month judged at 3割.
    fn reasons(c: &ClaimFacts<'_>, p: Option<&InsuredFacts>) -> Vec<Reason> {
        reasons_at(c, p, Some(30))
    }

    fn reasons_at(c: &ClaimFacts<'_>, p: Option<&InsuredFacts>, rate: Option<u8>) -> Vec<Reason> {
        check(c, "319012", p, rate)
            .into_iter()
            .map(|f| f.reason)
            .collect()
    }

    #[test]
    fn a_right_claim_is_not_listed() {
        assert!(check(&claim(), "319012", Some(&person()), Some(30)).is_empty());
    }

    #[test]
    fn care_from_the_75th_birthday_is_returned_though_the_record_still_runs() {
        // 75 on 2026-09-20: the 10th is NHI's, the 20th 後期高齢者医療's.
        let mut c = claim();
        let mut p = person();
        c.birth_date = date!(1951 - 09 - 20);
        p.birth_date = date!(1951 - 09 - 20);
        c.benefit_rate = Some(80);
        c.claim_kind = "1118";
        let f = check(&c, "319012", Some(&p), Some(20));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].reason, Reason::LateElderly);
        assert_eq!(f[0].reason.action(), Action::Return);
        assert!(
            f[0].detail_ja.contains("令和8年9月20日"),
            "{}",
            f[0].detail_ja
        );
        // 75 on the 21st: both days are NHI's
        c.birth_date = date!(1951 - 09 - 21);
        p.birth_date = date!(1951 - 09 - 21);
        assert!(reasons_at(&c, Some(&p), Some(20)).is_empty());
        // no day marked: only a month wholly past the birthday is listed
        c.service_days = 0;
        assert!(!reasons_at(&c, Some(&p), Some(20)).contains(&Reason::LateElderly));
        c.birth_date = date!(1951 - 09 - 01);
        p.birth_date = date!(1951 - 09 - 01);
        assert_eq!(reasons_at(&c, Some(&p), Some(20)), [Reason::LateElderly]);
    }

    #[test]
    fn another_insurer_or_no_one_is_returned() {
        let mut c = claim();
        c.insurer_number = "319013";
        assert_eq!(reasons(&c, Some(&person())), [Reason::OtherInsurer]);
        assert_eq!(reasons(&claim(), None), [Reason::UnknownInsured]);
        assert_eq!(Reason::UnknownInsured.action(), Action::Return);
    }

    #[test]
    fn the_days_of_care_must_fall_in_a_period() {
        let mut p = person();
        // lost on the 20th: the 20th is the first day without status
        p.periods = vec![(date!(2020 - 04 - 01), Some(date!(2026 - 09 - 20)))];
        let f = check(&claim(), "319012", Some(&p), Some(30));
        assert_eq!(f.len(), 1);
        // the 10th was insured, the 20th was not: only the 20th named
        assert_eq!(f[0].reason, Reason::AfterLoss);
        assert!(
            f[0].detail_ja
                .starts_with("20日の受診は資格喪失日（令和8年9月20日）以後")
        );
        // lost on the 21st: both days insured
        p.periods = vec![(date!(2020 - 04 - 01), Some(date!(2026 - 09 - 21)))];
        assert!(reasons(&claim(), Some(&p)).is_empty());
        // acquired on the 11th: the 10th is before
        p.periods = vec![(date!(2026 - 09 - 11), None)];
        p.numbers[0].from = date!(2026 - 09 - 11);
        assert_eq!(reasons(&claim(), Some(&p)), [Reason::BeforeAcquisition]);
        // acquired on the 10th: fine
        p.periods = vec![(date!(2026 - 09 - 10), None)];
        assert!(reasons(&claim(), Some(&p)).is_empty());
        // a gap from the 5th to the 15th, then back
        p.periods = vec![
            (date!(2020 - 04 - 01), Some(date!(2026 - 09 - 05))),
            (date!(2026 - 09 - 15), None),
        ];
        assert_eq!(reasons(&claim(), Some(&p)), [Reason::NotInsuredOnDays]);
    }

    #[test]
    fn without_marked_days_the_month_decides() {
        let mut c = claim();
        c.service_days = 0;
        let mut p = person();
        assert!(reasons(&c, Some(&p)).is_empty());
        p.periods = vec![(date!(2020 - 04 - 01), Some(date!(2026 - 09 - 01)))];
        assert_eq!(reasons(&c, Some(&p)), [Reason::AfterLoss]);
        p.periods = vec![(date!(2020 - 04 - 01), Some(date!(2026 - 09 - 02)))];
        assert_eq!(reasons(&c, Some(&p)), [Reason::DaysUnknown]);
        assert_eq!(Reason::DaysUnknown.action(), Action::Confirm);
    }

    #[test]
    fn other_numbers_on_the_days_are_adjusted() {
        let mut p = person();
        p.numbers = vec![
            HeldNumber {
                to: Some(date!(2026 - 09 - 15)),
                ..p.numbers[0].clone()
            },
            HeldNumber {
                from: date!(2026 - 09 - 15),
                to: None,
                symbol: "八頭".into(),
                number: "2002".into(),
                branch: Some("01".into()),
            },
        ];
        let f = check(&claim(), "319012", Some(&p), Some(30));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].reason, Reason::NumberChanged);
        assert!(
            f[0].detail_ja.contains("八頭・2002・01"),
            "{}",
            f[0].detail_ja
        );
        assert_eq!(f[0].reason.action(), Action::Adjustment);
        // only the 10th: the old numbers were right
        let mut c = claim();
        c.service_days = 1 << 9;
        assert!(reasons(&c, Some(&p)).is_empty());
        // a wrong 枝番 alone
        c.branch = Some("02");
        assert_eq!(reasons(&c, Some(&p)), [Reason::NumberChanged]);
    }

    #[test]
    fn the_copay_rate_and_the_age_class() {
        // under 70 charged at 2割
        let mut c = claim();
        c.benefit_rate = Some(80);
        assert_eq!(reasons(&c, Some(&person())), [Reason::CopayRateWrong]);
        // without 給付割合 the kind says: 1112 is 3割
        c.benefit_rate = None;
        assert!(reasons(&c, Some(&person())).is_empty());
        // 70–74 in 現役並み (3割) billed as 一般 (kind 1118, 2割)
        let mut p = person();
        p.birth_date = date!(1955 - 03 - 15);
        let mut c = claim();
        c.birth_date = p.birth_date;
        c.benefit_rate = None;
        c.claim_kind = "1118";
        assert_eq!(reasons(&c, Some(&p)), [Reason::CopayRateWrong]);
        c.claim_kind = "1110";
        assert!(reasons(&c, Some(&p)).is_empty());
        // a 70–74 member billed as under 70
        c.claim_kind = "1112";
        assert_eq!(reasons(&c, Some(&p)), [Reason::ClaimKindWrong]);
        // no burden categories for the month: cannot be confirmed
        c.claim_kind = "1118";
        assert_eq!(reasons_at(&c, Some(&p), None), [Reason::RateUnconfirmed]);
        // a preschool child at 2割 by age alone
        let mut child = person();
        child.birth_date = date!(2022 - 01 - 01);
        let mut c = claim();
        c.birth_date = child.birth_date;
        c.claim_kind = "1114";
        c.benefit_rate = Some(80);
        assert!(reasons_at(&c, Some(&child), None).is_empty());
        c.benefit_rate = Some(70);
        assert_eq!(reasons_at(&c, Some(&child), None), [Reason::CopayRateWrong]);
    }

    #[test]
    fn the_birth_date_is_confirmed() {
        let mut c = claim();
        c.birth_date = date!(1980 - 05 - 11);
        assert_eq!(reasons(&c, Some(&person())), [Reason::BirthDateDiffers]);
        assert_eq!(Reason::BirthDateDiffers.action(), Action::Confirm);
    }

    proptest::proptest! {
        /// A claim with marked days is listed as not insured exactly when
        /// one of its days falls outside every period, and then names
        /// exactly those days.
        #[test]
        fn not_insured_exactly_on_uncovered_days(
            days in 1u32..(1 << 30),
            cuts in proptest::collection::vec(1u8..=30, 0..4),
            open_end in proptest::bool::ANY,
        ) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            cuts.dedup();
            let day = |d: u8| date!(2026 - 09 - 01).replace_day(d).unwrap();
            // Periods alternate from the 1st: [1, c1), [c2, c3), …
            let mut bounds: Vec<Date> = std::iter::once(date!(2026 - 09 - 01))
                .chain(cuts.iter().map(|c| day(*c)))
                .collect();
            if bounds.len() % 2 == 1 && !open_end {
                bounds.push(date!(2026 - 10 - 01));
            }
            let periods: Vec<(Date, Option<Date>)> = bounds
                .chunks(2)
                .filter(|c| c.len() == 1 || c[0] < c[1])
                .map(|c| (c[0], c.get(1).copied()))
                .collect();
            let mut p = person();
            p.periods = periods.clone();
            p.numbers[0].from = date!(2026 - 09 - 01);
            let mut c = claim();
            c.service_days = days;
            let uncovered: Vec<Date> = service_dates(SEPT, days)
                .into_iter()
                .filter(|d| !insured_on(&periods, *d))
                .collect();
            let f = check(&c, "319012", Some(&p), Some(30));
            let listed = f.iter().any(|f| matches!(
                f.reason,
                Reason::BeforeAcquisition | Reason::AfterLoss | Reason::NotInsuredOnDays
            ));
            proptest::prop_assert_eq!(listed, !uncovered.is_empty());
            if listed {
                proptest::prop_assert!(f[0].detail_ja.starts_with(&days_ja(&uncovered)));
            } else {
                proptest::prop_assert!(f.is_empty());
            }
        }
    }

    #[test]
    fn codes_round_trip() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(r.code()), Some(r));
        }
    }
}
