//! Worked examples published by municipalities, as levy test vectors; each
//! names its source and quotes the figures it checks. Rates the page does
//! not give are set to zero, and only the components it shows are checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use kokuho_domain::levy::{
    self, Component, ComponentRates, LevyHousehold, LevyIncome, LevyMember, LevyRules, Rate,
    Reduction, Terms,
};
use time::Date;
use time::macros::date;

fn rates(list: &[(&str, &str, i64, i64)]) -> BTreeMap<String, ComponentRates> {
    let mut m: BTreeMap<String, ComponentRates> = Component::ALL
        .iter()
        .map(|c| (c.code().to_string(), ComponentRates::default()))
        .collect();
    for (c, r, pc, ph) in list {
        m.insert(
            c.to_string(),
            ComponentRates {
                income_rate: Rate::parse_percent(r).unwrap(),
                per_capita: *pc,
                per_household: *ph,
                cap: None,
            },
        );
    }
    m
}

fn member(id: &str, birth: Date, total_income: i64, salary_revenue: i64) -> LevyMember {
    LevyMember {
        id: id.into(),
        birth_date: birth,
        insured: true,
        householder: false,
        former_insured_late_elderly: false,
        insured_from: None,
        insured_until: None,
        further_periods: vec![],
        income: LevyIncome {
            total_income,
            salary_revenue,
            salary_income: total_income,
            ..Default::default()
        },
        involuntary_unemployed: false,
        former_dependent: false,
        childbirth: None,
    }
}

fn levy_of(
    fy: i32,
    rates: &BTreeMap<String, ComponentRates>,
    mut members: Vec<LevyMember>,
) -> levy::Levy {
    let rules = LevyRules::shipped().unwrap();
    let national = rules.national(fy).unwrap();
    // Only the components levied that year.
    let rates: BTreeMap<String, ComponentRates> = rates
        .iter()
        .filter(|(c, _)| national.caps.contains_key(c.as_str()))
        .map(|(c, r)| (c.clone(), r.clone()))
        .collect();
    members[0].householder = true;
    let due = [date!(2025 - 07 - 31)];
    levy::compute(
        &Terms {
            national,
            rates: &rates,
            due_dates: &due,
            installment_unit: 100,
            income_base_unit: 1,
            round_each_component: true,
        },
        &LevyHousehold {
            fiscal_year: fy,
            members,
            specified: None,
        },
    )
    .unwrap()
}

fn amount(l: &levy::Levy, c: Component) -> i64 {
    l.components[&c].amount
}

/// 成田市 令和7年度: 「5割軽減基準=305,000円×3…+430,000円…=1,345,000円」;
/// 基礎課税分 「(1,320,000-430,000)×6.81%=60,609円」, 均等割 22,100×3 halved,
/// 平等割 19,100 halved, 「103,309(100円未満端数切捨)103,300円」; 後期支援分
/// 所得割 890,000×2.13%=18,957 and 均等割 8,700×3 → 13,050.
/// https://www.city.narita.chiba.jp/kurashi/page100601.html (updated 2025-05-01)
#[test]
fn narita_2025_five_tenths() {
    let r = rates(&[
        ("medical", "6.81", 22_100, 19_100),
        ("elderly_support", "2.13", 8_700, 0),
    ]);
    let l = levy_of(
        2025,
        &r,
        vec![
            member("A", date!(1980 - 01 - 10), 1_320_000, 2_000_000),
            member("B", date!(1982 - 02 - 02), 0, 0),
            member("C", date!(2008 - 03 - 03), 0, 0),
        ],
    );
    assert_eq!(l.reduction, Some(Reduction::Fifty));
    let m = &l.components[&Component::Medical];
    assert_eq!(m.income_levy, 60_609);
    assert_eq!(m.per_capita - 33_150 + m.per_household - 9_550, m.reduction);
    assert_eq!(amount(&l, Component::Medical), 103_300);
    let s = &l.components[&Component::ElderlySupport];
    assert_eq!(s.income_levy, 18_957);
    assert_eq!(s.per_capita - s.reduction, 13_050);
    assert!(
        l.explanation.iter().any(|e| e.contains("1,345,000円以下")),
        "{:?}",
        l.explanation
    );
}

/// 成田市 令和6年度, the same household: 5割 line 295,000×3+430,000 =
/// 1,315,000 is below 1,320,000, so 2割: 所得割 890,000×6.59%=58,651,
/// 均等割 21,000×3 → 50,400, 平等割 18,100 → 14,480,
/// 「123,531(100円未満端数切捨)123,500円(基礎課税分)」; 後期支援分 所得割 ×1.95% = 17,355.
/// https://www.city.narita.chiba.jp/kurashi/page100601.html (updated 2024-04-01)
#[test]
fn narita_2024_two_tenths() {
    let r = rates(&[
        ("medical", "6.59", 21_000, 18_100),
        ("elderly_support", "1.95", 0, 0),
    ]);
    let l = levy_of(
        2024,
        &r,
        vec![
            member("A", date!(1980 - 01 - 10), 1_320_000, 2_000_000),
            member("B", date!(1982 - 02 - 02), 0, 0),
            member("C", date!(2008 - 03 - 03), 0, 0),
        ],
    );
    assert_eq!(l.reduction, Some(Reduction::Twenty));
    assert_eq!(l.components[&Component::Medical].income_levy, 58_651);
    assert_eq!(amount(&l, Component::Medical), 123_500);
    assert_eq!(l.components[&Component::ElderlySupport].income_levy, 17_355);
}

/// 名取市 令和7年度 → 令和8年度, one person aged 40–64 with 所得 1,202,000:
/// R7 「107,500円」「41,600円」「36,800円」, 「185,900円」; R8 109,100 / 43,100 /
/// 41,900, 194,100 (子ども・子育て支援納付金分 not in the example). Two such
/// persons: R7 192,000 / 75,300 / 66,600, 333,900; R8 194,100 / 77,300 /
/// 73,900, 345,300. https://www.city.natori.miyagi.jp/page/39025.html
#[test]
fn natori_2025_and_2026() {
    let r7 = rates(&[
        ("medical", "7.5", 26_600, 23_000),
        ("elderly_support", "3.0", 10_500, 8_000),
        ("care", "2.5", 10_500, 7_000),
    ]);
    let r8 = rates(&[
        ("medical", "7.5", 27_100, 24_100),
        ("elderly_support", "3.0", 11_000, 9_000),
        ("care", "2.65", 11_500, 10_000),
    ]);
    let one = || vec![member("A", date!(1975 - 06 - 06), 1_202_000, 0)];
    let two = || {
        vec![
            member("A", date!(1975 - 06 - 06), 1_202_000, 0),
            member("B", date!(1976 - 07 - 07), 1_202_000, 0),
        ]
    };
    for (fy, r, members, want) in [
        (2025, &r7, one(), [107_500, 41_600, 36_800]),
        (2026, &r8, one(), [109_100, 43_100, 41_900]),
        (2025, &r7, two(), [192_000, 75_300, 66_600]),
        (2026, &r8, two(), [194_100, 77_300, 73_900]),
    ] {
        let l = levy_of(fy, r, members);
        let got = [
            amount(&l, Component::Medical),
            amount(&l, Component::ElderlySupport),
            amount(&l, Component::Care),
        ];
        assert_eq!(got, want, "FY{fy}");
        assert_eq!(l.reduction, None);
    }
}

/// 新座市 未就学児: 均等割 32,000 → 「7割世帯 4,800」, 5割 8,000, 2割 12,800.
/// https://www.city.niiza.lg.jp/soshiki/30/mishuugakuji.html (令和7年度)
#[test]
fn niiza_preschool_after_the_statutory_reduction() {
    let r = rates(&[("medical", "0", 32_000, 0)]);
    for (income, want) in [
        (0, 4_800),
        (600_000, 8_000),
        (1_500_000, 12_800),
        (5_000_000, 16_000),
    ] {
        let l = levy_of(
            2025,
            &r,
            vec![
                member("A", date!(1990 - 01 - 10), income, 0),
                member("C", date!(2021 - 05 - 05), 0, 0),
            ],
        );
        // The parent's 均等割 after the statutory reduction plus the child's half of it.
        let m = &l.components[&Component::Medical];
        let parent = 32_000
            - 32_000
                * l.reduction.map_or(0, |r| match r {
                    Reduction::Seventy => 70,
                    Reduction::Fifty => 50,
                    Reduction::Twenty => 20,
                })
                / 100;
        assert_eq!(
            m.per_capita - m.reduction - parent,
            want,
            "{income}: {:?}",
            l.reduction
        );
    }
}

/// 伊勢崎市 令和5年度: 「166万円×6.9%=114,540円」, 均等割 26,000×3, 平等割
/// 20,500 → 「213,000円」 (医療分).
/// https://www.city.isesaki.lg.jp/soshiki/kensui/kokumin/huka/2114.html
#[test]
fn isesaki_2023_medical() {
    let r = rates(&[("medical", "6.9", 26_000, 20_500)]);
    let l = levy_of(
        2023,
        &r,
        vec![
            member("A", date!(1978 - 01 - 10), 2_020_000, 3_000_000),
            member("B", date!(1980 - 03 - 03), 500_000, 1_050_000),
            member("C", date!(2010 - 05 - 05), 0, 0),
        ],
    );
    assert_eq!(l.components[&Component::Medical].income_levy, 114_540);
    assert_eq!(amount(&l, Component::Medical), 213_000);
}
