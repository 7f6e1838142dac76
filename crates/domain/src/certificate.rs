//! What a certificate says and how long it holds: the validity of the
//! 資格確認書, of the 資格情報のお知らせ for 70–74, and of the limit
//! certificates, and which limit certificate (if any) a category gets.
//!
//! The dates follow the burden year: categories and the 70–74 copay are
//! judged again every August (the income year changes on 1 August), so
//! certificates end on 31 July; sooner where the person's status changes by
//! age — at 70 (高齢受給者 from the month after, 国民健康保険法 第42条第1項
//! 第3号) and at 75 (後期高齢者医療 from the birthday, NHI lost that day).

use time::{Date, Month};

use crate::burden::{Elderly, Under70};
use crate::eligibility::{elderly_recipient_from, late_elderly_from};

/// The 31 July on or after `d`.
pub fn coming_july_31(d: Date) -> Date {
    let this_year = Date::from_calendar_date(d.year(), Month::July, 31).unwrap_or(d);
    if d <= this_year {
        this_year
    } else {
        Date::from_calendar_date(d.year() + 1, Month::July, 31).unwrap_or(d)
    }
}

fn day_before(d: Date) -> Option<Date> {
    d.previous_day()
}

/// The earliest of the coming 31 July and the day before each change of
/// status by age that falls after `issued_on`.
fn until_status_changes(birth: Date, issued_on: Date) -> Date {
    let mut end = coming_july_31(issued_on);
    for change in [elderly_recipient_from(birth), late_elderly_from(birth)]
        .into_iter()
        .flatten()
    {
        if change > issued_on
            && let Some(last) = day_before(change)
            && last < end
        {
            end = last;
        }
    }
    end
}

/// 資格確認書: valid to the coming 31 July; to the day before the 75th
/// birthday when NHI ends sooner; to the day before 高齢受給者 starts, since
/// the copay printed on it changes then. (The ministry allows up to five
/// years at the insurer's choice; the annual renewal keeps the printed 70–74
/// rate true.)
pub fn eligibility_certificate_valid_to(birth: Date, issued_on: Date) -> Date {
    until_status_changes(birth, issued_on)
}

/// 資格情報のお知らせ: no end under 70; for 70–74 the copay rate's end
/// (the coming 31 July, or the day before the 75th birthday).
pub fn eligibility_notice_valid_to(birth: Date, issued_on: Date) -> Option<Date> {
    let elderly = elderly_recipient_from(birth).is_some_and(|d| d <= issued_on);
    elderly.then(|| until_status_changes(birth, issued_on))
}

/// Which limit certificate a category gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitCertificate {
    /// 限度額適用認定証
    Limit,
    /// 限度額適用・標準負担額減額認定証 (住民税非課税: the meal charge is reduced too)
    LimitAndMealReduction,
}

impl LimitCertificate {
    pub fn title(self) -> &'static str {
        match self {
            LimitCertificate::Limit => "国民健康保険限度額適用認定証",
            LimitCertificate::LimitAndMealReduction => {
                "国民健康保険限度額適用・標準負担額減額認定証"
            }
        }
    }
}

/// The certificate for an under-70 category: ア–エ the limit certificate,
/// オ (住民税非課税) the one that also reduces the meal charge.
pub fn limit_certificate_under_70(c: Under70) -> LimitCertificate {
    match c {
        Under70::O => LimitCertificate::LimitAndMealReduction,
        _ => LimitCertificate::Limit,
    }
}

/// The certificate for a 70–74 category: 現役並みⅠ・Ⅱ the limit
/// certificate, 低所得Ⅱ・Ⅰ the one that also reduces the meal charge; 一般
/// and 現役並みⅢ get none (the 資格確認書 alone gives their limit).
pub fn limit_certificate_70_74(c: Elderly) -> Option<LimitCertificate> {
    match c {
        Elderly::Genekinami2 | Elderly::Genekinami1 => Some(LimitCertificate::Limit),
        Elderly::LowIncome2 | Elderly::LowIncome1 => Some(LimitCertificate::LimitAndMealReduction),
        Elderly::General | Elderly::Genekinami3 => None,
    }
}

/// A limit certificate holds from the first day of the month of the
/// application (発効期日) to the coming 31 July, or until the category's
/// age group changes.
pub fn limit_certificate_validity(birth: Date, applied_on: Date) -> (Date, Date) {
    let from = applied_on.replace_day(1).unwrap_or(applied_on);
    (from, until_status_changes(birth, applied_on))
}

/// The three 特定疾病 (高額長期疾病) whose monthly copay is held to a
/// fixed limit (国民健康保険法 第57条の2, 施行令 第29条の3; 厚生労働大臣の定める疾病).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecifiedDisease {
    /// 人工腎臓を実施している慢性腎不全
    Dialysis,
    /// 血漿分画製剤を投与している先天性血液凝固第Ⅷ因子障害又は第Ⅸ因子障害
    Hemophilia,
    /// 抗ウイルス剤を投与している後天性免疫不全症候群
    Hiv,
}

impl SpecifiedDisease {
    pub const ALL: [SpecifiedDisease; 3] = [
        SpecifiedDisease::Dialysis,
        SpecifiedDisease::Hemophilia,
        SpecifiedDisease::Hiv,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SpecifiedDisease::Dialysis => "dialysis",
            SpecifiedDisease::Hemophilia => "hemophilia",
            SpecifiedDisease::Hiv => "hiv",
        }
    }

    pub fn parse(s: &str) -> Option<SpecifiedDisease> {
        Self::ALL.into_iter().find(|d| d.code() == s.trim())
    }

    /// The disease as the 受療証 names it.
    pub fn label_ja(self) -> &'static str {
        match self {
            SpecifiedDisease::Dialysis => "人工腎臓を実施している慢性腎不全",
            SpecifiedDisease::Hemophilia => {
                "血漿分画製剤を投与している先天性血液凝固第Ⅷ因子障害又は先天性血液凝固第Ⅸ因子障害"
            }
            SpecifiedDisease::Hiv => {
                "抗ウイルス剤を投与している後天性免疫不全症候群（HIV感染を含み、厚生労働大臣の定める者に係るものに限る。）"
            }
        }
    }
}

/// The monthly limit per provider (入院・外来 each): the table's
/// `specified_disease` (10,000 yen), or for dialysis of a person under 70 in
/// a household of category ア or イ (上位所得, 基礎控除後の所得 600万円超) the
/// table's `specified_disease_dialysis_high_income` (20,000 yen).
pub fn specified_disease_limit(
    period: &crate::high_cost::HighCostPeriod,
    disease: SpecifiedDisease,
    group: crate::burden::AgeGroup,
    under70: Option<Under70>,
) -> i64 {
    let high_income = matches!(under70, Some(Under70::A) | Some(Under70::I));
    if disease == SpecifiedDisease::Dialysis
        && group != crate::burden::AgeGroup::Elderly
        && high_income
    {
        period.specified_disease_dialysis_high_income
    } else {
        period.specified_disease
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use time::macros::date;

    #[test]
    fn certificates_end_on_31_july() {
        let b = date!(1980 - 05 - 10);
        assert_eq!(
            eligibility_certificate_valid_to(b, date!(2026 - 07 - 31)),
            date!(2026 - 07 - 31)
        );
        assert_eq!(
            eligibility_certificate_valid_to(b, date!(2026 - 08 - 01)),
            date!(2027 - 07 - 31)
        );
        assert_eq!(
            eligibility_certificate_valid_to(b, date!(2026 - 11 - 25)),
            date!(2027 - 07 - 31)
        );
    }

    #[test]
    fn a_certificate_ends_before_the_copay_changes_at_70() {
        // Attains 70 on 2027-03-09 (the day before the birthday): 高齢受給者
        // from 2027-04-01, so the certificate ends 2027-03-31.
        let b = date!(1957 - 03 - 10);
        assert_eq!(
            eligibility_certificate_valid_to(b, date!(2026 - 11 - 25)),
            date!(2027 - 03 - 31)
        );
        // Once 70–74 it runs to 31 July again.
        assert_eq!(
            eligibility_certificate_valid_to(b, date!(2027 - 04 - 01)),
            date!(2027 - 07 - 31)
        );
    }

    #[test]
    fn a_certificate_ends_the_day_before_the_75th_birthday() {
        let b = date!(1952 - 02 - 15);
        assert_eq!(
            eligibility_certificate_valid_to(b, date!(2026 - 11 - 25)),
            date!(2027 - 02 - 14)
        );
        assert_eq!(
            eligibility_notice_valid_to(b, date!(2026 - 11 - 25)),
            Some(date!(2027 - 02 - 14))
        );
    }

    #[test]
    fn a_notice_has_no_end_under_70() {
        assert_eq!(
            eligibility_notice_valid_to(date!(1980 - 05 - 10), date!(2026 - 11 - 25)),
            None
        );
        assert_eq!(
            eligibility_notice_valid_to(date!(1955 - 05 - 10), date!(2026 - 11 - 25)),
            Some(date!(2027 - 07 - 31))
        );
    }

    #[test]
    fn the_specified_disease_limit_doubles_only_for_dialysis_under_70_in_a_high_income_household() {
        use crate::burden::AgeGroup;
        let rules = crate::high_cost::HighCostRules::shipped().unwrap();
        let p = rules
            .for_month(crate::eligibility::YearMonth::from_date(date!(
                2026 - 11 - 01
            )))
            .unwrap();
        let d = SpecifiedDisease::Dialysis;
        assert_eq!(
            specified_disease_limit(p, d, AgeGroup::Under70, Some(Under70::A)),
            20_000
        );
        assert_eq!(
            specified_disease_limit(p, d, AgeGroup::Under70, Some(Under70::I)),
            20_000
        );
        assert_eq!(
            specified_disease_limit(p, d, AgeGroup::Under70, Some(Under70::U)),
            10_000
        );
        assert_eq!(
            specified_disease_limit(p, d, AgeGroup::Elderly, None),
            10_000
        );
        assert_eq!(
            specified_disease_limit(
                p,
                SpecifiedDisease::Hiv,
                AgeGroup::Under70,
                Some(Under70::A)
            ),
            10_000
        );
        assert_eq!(
            SpecifiedDisease::parse("hemophilia"),
            Some(SpecifiedDisease::Hemophilia)
        );
    }

    #[test]
    fn which_limit_certificate() {
        assert_eq!(
            limit_certificate_under_70(Under70::U),
            LimitCertificate::Limit
        );
        assert_eq!(
            limit_certificate_under_70(Under70::O),
            LimitCertificate::LimitAndMealReduction
        );
        assert_eq!(limit_certificate_70_74(Elderly::General), None);
        assert_eq!(limit_certificate_70_74(Elderly::Genekinami3), None);
        assert_eq!(
            limit_certificate_70_74(Elderly::Genekinami1),
            Some(LimitCertificate::Limit)
        );
        assert_eq!(
            limit_certificate_70_74(Elderly::LowIncome1),
            Some(LimitCertificate::LimitAndMealReduction)
        );
        assert_eq!(
            limit_certificate_validity(date!(1980 - 05 - 10), date!(2026 - 11 - 25)),
            (date!(2026 - 11 - 01), date!(2027 - 07 - 31))
        );
    }
}
