//! The annual outpatient cap (外来療養に係る年間の高額療養費, 外来年間合算):
//! for a person aged 70–74 whose category on the base date (31 July) is
//! 一般 or 低所得, the outpatient copays of August to July that the monthly
//! benefits left, in the months the person was 一般 or 低所得, are added up;
//! what passes the year's cap is paid.
//!
//! Sources: 健康保険法施行令 第41条の2 (the NHI article mirrors it; its number
//! is not yet read here), 保保発1204第2号 (平成29年12月4日) 第1(4) for the
//! amount (「月間の高額療養費が支給される場合にあっては、当該者に係る支給額を
//! 控除した額」), and municipal guides (中野区, 東秩父村, 上尾市, 大阪市職員
//! 共済組合) for the base date and the months that count. Who is asked when
//! a person was insured elsewhere in the year (自己負担額証明書) is the
//! insurer's workflow, not this calculation: docs/high-cost.md.

use crate::burden::{Elderly, format_month, yen};
use crate::eligibility::YearMonth;
use crate::high_cost::{HighCostError, HighCostRules, SplitRounding};

/// This insurer's part of a benefit shared in proportion to the counted
/// copays (`here` of `total`), rounded as the table says. Never more than
/// the benefit; 0 when nothing here counts.
pub fn split_share(benefit: i64, here: i64, total: i64, rounding: SplitRounding) -> i64 {
    if total <= 0 || here <= 0 || benefit <= 0 {
        return 0;
    }
    let (b, h, t) = (
        i128::from(benefit),
        i128::from(here.min(total)),
        i128::from(total),
    );
    let share = match rounding {
        SplitRounding::Floor => b * h / t,
        SplitRounding::HalfUp => (2 * b * h + t) / (2 * t),
    };
    i64::try_from(share).unwrap_or(benefit).min(benefit)
}

/// What a monthly run left the person to bear for outpatient care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutpatientMonth {
    pub month: YearMonth,
    /// the household's 70–74 category that month
    pub category: Option<Elderly>,
    /// the outpatient copays (after 特定疾病 limits)
    pub outpatient: i64,
    /// what is left after the month's high-cost benefit
    pub outpatient_left: i64,
    /// another insurer's month (its 保険者番号), from the 自己負担額証明書
    /// it issued; `None` for this insurer's own
    pub insurer: Option<String>,
}

/// A person's year, as the caller knows it. A month may come more than once:
/// a person who changed household in the month has a part in each.
#[derive(Clone, Debug)]
pub struct AnnualPerson<'a> {
    /// the year of the August the period starts with
    pub year: i32,
    /// the category on the base date (31 July of the next year)
    pub base_category: Option<Elderly>,
    pub months: &'a [OutpatientMonth],
}

/// A month as the year counted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountedMonth {
    pub month: YearMonth,
    pub category: Option<Elderly>,
    pub outpatient: i64,
    pub outpatient_left: i64,
    /// counted: the category had an individual outpatient limit (一般・低所得)
    pub counted: bool,
    /// another insurer's month (its 保険者番号)
    pub insurer: Option<String>,
}

/// What the person's year comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annual {
    pub year: i32,
    /// 一般 or 低所得 on the base date
    pub eligible: bool,
    /// the outpatient copays left, of the months that count (added up
    /// whether or not the person is eligible: another insurer may need it)
    pub counted: i64,
    /// the year's cap for the base date's category
    pub cap: Option<i64>,
    /// the year's benefit over every insurer's months
    pub benefit: i64,
    /// of `counted`, this insurer's own months
    pub counted_here: i64,
    /// what this insurer pays: the benefit, or its share of it when other
    /// insurers' months count too (the period's `annual_outpatient_split`)
    pub share: i64,
    /// the share rests on a split not yet confirmed (the table's
    /// `annual_outpatient_split.provisional`)
    pub provisional: bool,
    pub months: Vec<CountedMonth>,
    pub steps: Vec<String>,
    pub source: String,
}

fn err(field: &str, en: impl Into<String>, ja: impl Into<String>) -> HighCostError {
    HighCostError {
        field: field.to_string(),
        reason: en.into(),
        reason_ja: ja.into(),
    }
}

/// The year's August and July.
pub fn year_months(year: i32) -> Option<(YearMonth, YearMonth)> {
    let first = YearMonth {
        year,
        month: time::Month::August,
    };
    let last = YearMonth {
        year: year.checked_add(1)?,
        month: time::Month::July,
    };
    (first.first_day().is_some() && last.last_day().is_some()).then_some((first, last))
}

/// The person's annual outpatient benefit, step by step.
pub fn compute(rules: &HighCostRules, p: &AnnualPerson<'_>) -> Result<Annual, HighCostError> {
    let (first, last) =
        year_months(p.year).ok_or_else(|| err("year", "out of range", "年度が範囲外です"))?;
    let period = rules.for_month(first).ok_or_else(|| {
        err(
            "year",
            format!("no high-cost limits for {}", format_month(first)),
            format!("{}診療分の限度額表がありません", format_month(first)),
        )
    })?;
    let mut months: Vec<CountedMonth> = Vec::with_capacity(p.months.len());
    for (i, m) in p.months.iter().enumerate() {
        let at = |f: &str| format!("months[{i}].{f}");
        if m.month < first || m.month > last {
            return Err(err(
                &at("month"),
                format!(
                    "{} is outside the year {}–{}",
                    format_month(m.month),
                    format_month(first),
                    format_month(last)
                ),
                format!(
                    "{}は計算期間（{}〜{}）の外です",
                    format_month(m.month),
                    format_month(first),
                    format_month(last)
                ),
            ));
        }
        if !(0..=m.outpatient).contains(&m.outpatient_left)
            || m.outpatient > crate::high_cost::MAX_CLAIM_YEN
        {
            return Err(err(
                &at("outpatient_left"),
                "must be between 0 and the month's outpatient copays",
                "外来の残りの負担額は0円からその月の外来負担額までです",
            ));
        }
        // A month counts where the category has an individual outpatient
        // limit (一般・低所得), by that month's table; 現役並み months not.
        let counted = m.category.is_some_and(|c| {
            rules
                .for_month(m.month)
                .is_some_and(|r| r.elderly(c).outpatient.is_some())
        });
        months.push(CountedMonth {
            month: m.month,
            category: m.category,
            outpatient: m.outpatient,
            outpatient_left: m.outpatient_left,
            counted,
            insurer: m.insurer.clone(),
        });
    }
    months.sort_by(|a, b| (a.month, &a.insurer).cmp(&(b.month, &b.insurer)));

    let mut steps = vec![format!(
        "計算期間 {}〜{}（基準日 {}年7月31日）。",
        format_month(first),
        format_month(last),
        last.year
    )];
    let cap = p
        .base_category
        .and_then(|c| period.elderly(c).annual_outpatient);
    let mut counted = 0i64;
    let mut counted_here = 0i64;
    for m in &months {
        let cat = m.category.map_or("区分なし", |c| c.label());
        let whose = match &m.insurer {
            Some(i) => format!("、保険者 {i} の自己負担額証明書"),
            None => String::new(),
        };
        if m.counted {
            counted += m.outpatient_left;
            if m.insurer.is_none() {
                counted_here += m.outpatient_left;
            }
            steps.push(format!(
                "{}（{cat}{whose}）：外来の負担 {}円、月の高額療養費の支給後 {}円 を合算",
                format_month(m.month),
                yen(m.outpatient),
                yen(m.outpatient_left)
            ));
        } else {
            steps.push(format!(
                "{}（{cat}{whose}）：外来の負担 {}円 は、一般・低所得の月でないため合算しません",
                format_month(m.month),
                yen(m.outpatient)
            ));
        }
    }
    let Some(cap_amount) = cap else {
        steps.push(match p.base_category {
            Some(c) => format!(
                "基準日の適用区分は {} のため、外来年間合算の対象ではありません（一般・低所得の方が対象です）。",
                c.label()
            ),
            None => "基準日の70〜74歳の適用区分がないため、外来年間合算の対象ではありません。"
                .to_string(),
        });
        return Ok(Annual {
            year: p.year,
            eligible: false,
            counted,
            cap: None,
            benefit: 0,
            counted_here,
            share: 0,
            provisional: false,
            months,
            steps,
            source: period.source.clone(),
        });
    };
    let benefit = (counted - cap_amount).max(0);
    steps.push(format!(
        "合計 {}円、年間の上限 {}円（基準日の区分 {}）→ 支給 {}円",
        yen(counted),
        yen(cap_amount),
        p.base_category.map_or("", |c| c.label()),
        yen(benefit)
    ));
    let others = counted - counted_here;
    let mut provisional = false;
    let share = if benefit > 0 && others > 0 {
        let split = period.annual_outpatient_split.as_ref().ok_or_else(|| {
            err(
                "year",
                "the table has no split between insurers for the year",
                "外来年間合算の保険者間の按分方法が定められていません",
            )
        })?;
        let share = split_share(benefit, counted_here, counted, split.rounding);
        steps.push(format!(
            "按分：この保険者の合算額 {}円 ÷ 合計 {}円 × {}円 = {}円（{}。ほかの保険者の分 {}円 はその保険者が支給します）{}",
            yen(counted_here),
            yen(counted),
            yen(benefit),
            yen(share),
            match split.rounding {
                SplitRounding::Floor => "1円未満切り捨て",
                SplitRounding::HalfUp => "1円未満四捨五入",
            },
            yen(benefit - share),
            if split.provisional { "【暫定】" } else { "" }
        ));
        provisional = split.provisional;
        share
    } else {
        benefit
    };
    Ok(Annual {
        year: p.year,
        eligible: true,
        counted,
        cap,
        benefit,
        counted_here,
        share,
        provisional,
        months,
        steps,
        source: period.source.clone(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn ym(y: i32, m: u8) -> YearMonth {
        YearMonth {
            year: y,
            month: time::Month::try_from(m).unwrap(),
        }
    }

    fn rules() -> HighCostRules {
        HighCostRules::shipped().unwrap()
    }

    fn month(y: i32, m: u8, c: Elderly, left: i64) -> OutpatientMonth {
        OutpatientMonth {
            month: ym(y, m),
            category: Some(c),
            outpatient: left,
            outpatient_left: left,
            insurer: None,
        }
    }

    fn year_of(amounts: &[i64], c: Elderly) -> Vec<OutpatientMonth> {
        amounts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let m = ym(2025, 8);
                let mut mm = m;
                for _ in 0..i {
                    mm = mm.next();
                }
                month(mm.year, mm.month as u8, c, *a)
            })
            .collect()
    }

    #[test]
    fn what_passes_144000_is_paid() {
        // 大阪市職員共済組合「外来年間合算」: a year of 150,000 → 6,000.
        let ms = year_of(&[12_500; 12], Elderly::General);
        let r = compute(
            &rules(),
            &AnnualPerson {
                year: 2025,
                base_category: Some(Elderly::General),
                months: &ms,
            },
        )
        .unwrap();
        assert_eq!(
            (r.counted, r.cap, r.benefit),
            (150_000, Some(144_000), 6_000)
        );
        assert!(r.eligible);
        // 久留米市: 14,000 × 8 + 8,000 × 4 = 144,000 → nothing.
        let mut amounts = vec![14_000; 8];
        amounts.extend([8_000; 4]);
        let ms = year_of(&amounts, Elderly::General);
        let r = compute(
            &rules(),
            &AnnualPerson {
                year: 2025,
                base_category: Some(Elderly::General),
                months: &ms,
            },
        )
        .unwrap();
        assert_eq!((r.counted, r.benefit), (144_000, 0));
    }

    #[test]
    fn months_as_genekinami_do_not_count_and_genekinami_on_the_base_date_is_not_eligible() {
        let mut ms = year_of(&[18_000; 12], Elderly::General);
        ms[0].category = Some(Elderly::Genekinami1);
        ms[0].outpatient = 60_000;
        ms[0].outpatient_left = 60_000;
        let p = |ms: &[OutpatientMonth], c| {
            compute(
                &rules(),
                &AnnualPerson {
                    year: 2025,
                    base_category: Some(c),
                    months: ms,
                },
            )
            .unwrap()
        };
        let r = p(&ms, Elderly::General);
        assert_eq!(r.counted, 18_000 * 11);
        assert_eq!(r.benefit, 18_000 * 11 - 144_000);
        assert!(!r.months[0].counted);
        let r = p(&ms, Elderly::Genekinami1);
        assert!(!r.eligible);
        assert_eq!(r.benefit, 0);
        // 低所得 on the base date: eligible, the same 144,000 before 2026-08.
        let r = p(&ms, Elderly::LowIncome2);
        assert_eq!(r.cap, Some(144_000));
    }

    #[test]
    fn the_2026_08_year_takes_the_revised_caps() {
        // 2026-08 to 2027-07: 一般 216,000; 低所得Ⅱ 96,000 (new).
        let ms: Vec<OutpatientMonth> = (0..12)
            .map(|i| {
                let mut m = ym(2026, 8);
                for _ in 0..i {
                    m = m.next();
                }
                month(m.year, m.month as u8, Elderly::General, 20_000)
            })
            .collect();
        let run = |c| {
            compute(
                &rules(),
                &AnnualPerson {
                    year: 2026,
                    base_category: Some(c),
                    months: &ms,
                },
            )
            .unwrap()
        };
        let r = run(Elderly::General);
        assert_eq!((r.cap, r.benefit), (Some(216_000), 240_000 - 216_000));
        let r = run(Elderly::LowIncome2);
        assert_eq!((r.cap, r.benefit), (Some(96_000), 240_000 - 96_000));
    }

    #[test]
    fn bad_months_are_refused_with_the_field() {
        let run = |ms: &[OutpatientMonth]| {
            compute(
                &rules(),
                &AnnualPerson {
                    year: 2025,
                    base_category: Some(Elderly::General),
                    months: ms,
                },
            )
        };
        let e = run(&[month(2025, 7, Elderly::General, 1)]).unwrap_err();
        assert_eq!(e.field, "months[0].month");
        // A month in two parts (a household change): both count.
        let r = run(&[
            month(2025, 9, Elderly::General, 1),
            month(2025, 9, Elderly::General, 2),
        ])
        .unwrap();
        assert_eq!(r.counted, 3);
        let mut m = month(2025, 9, Elderly::General, 10);
        m.outpatient_left = 11;
        assert_eq!(run(&[m]).unwrap_err().field, "months[0].outpatient_left");
    }

    #[test]
    fn another_insurers_months_count_and_the_benefit_is_shared() {
        // Eight months here at 12,500 and four at another insurer at
        // 12,500 (its 自己負担額証明書): 150,000 counted, 6,000 over the
        // 144,000 cap, of which this insurer pays 100,000 / 150,000.
        let mut ms = year_of(&[12_500; 12], Elderly::General);
        for m in ms.iter_mut().take(4) {
            m.insurer = Some("06130012".into());
        }
        let r = compute(
            &rules(),
            &AnnualPerson {
                year: 2025,
                base_category: Some(Elderly::General),
                months: &ms,
            },
        )
        .unwrap();
        assert_eq!(
            (r.counted, r.counted_here, r.benefit),
            (150_000, 100_000, 6_000)
        );
        assert_eq!(r.share, 4_000);
        assert!(r.provisional);
        assert!(
            r.steps
                .iter()
                .any(|s| s.contains("保険者 06130012 の自己負担額証明書"))
        );
        assert!(
            r.steps
                .iter()
                .any(|s| s.starts_with("按分") && s.contains("【暫定】"))
        );
        // A 現役並み month at the other insurer does not count.
        ms[0].category = Some(Elderly::Genekinami1);
        let r = compute(
            &rules(),
            &AnnualPerson {
                year: 2025,
                base_category: Some(Elderly::General),
                months: &ms,
            },
        )
        .unwrap();
        assert_eq!((r.counted, r.benefit, r.share), (137_500, 0, 0));
    }

    #[test]
    fn the_share_rounds_as_the_table_says() {
        // 1,000 × 1 / 3 = 333.33…: floor 333, half up 333; × 2 / 3 =
        // 666.66…: floor 666, half up 667.
        assert_eq!(split_share(1_000, 1, 3, SplitRounding::Floor), 333);
        assert_eq!(split_share(1_000, 2, 3, SplitRounding::Floor), 666);
        assert_eq!(split_share(1_000, 2, 3, SplitRounding::HalfUp), 667);
        assert_eq!(split_share(1_000, 3, 3, SplitRounding::HalfUp), 1_000);
        assert_eq!(split_share(1_000, 0, 3, SplitRounding::HalfUp), 0);
        assert_eq!(split_share(1_000, 5, 3, SplitRounding::Floor), 1_000);
        // Cut to the yen, the parts may come to less than the benefit: the
        // remainder is nobody's until the NHI rule is read.
        assert_eq!(
            split_share(1_000, 1, 3, SplitRounding::Floor)
                + split_share(1_000, 2, 3, SplitRounding::Floor),
            999
        );
    }

    proptest! {
        #[test]
        fn a_share_is_never_more_than_the_benefit_nor_less_than_its_floor(
            benefit in 0i64..10_000_000,
            here in 0i64..5_000_000,
            others in 0i64..5_000_000,
        ) {
            let total = here + others;
            for r in [SplitRounding::Floor, SplitRounding::HalfUp] {
                let s = split_share(benefit, here, total, r);
                prop_assert!((0..=benefit).contains(&s));
                if total > 0 {
                    // within one yen of the exact proportion
                    let exact = benefit as f64 * here as f64 / total as f64;
                    prop_assert!((s as f64 - exact).abs() < 1.0);
                }
            }
        }

        #[test]
        fn the_benefit_is_the_excess_of_the_counted_months(
            amounts in proptest::collection::vec((0i64..400_000, 0usize..6), 0..12),
            base in 0usize..6,
            year in 2018i32..2027,
        ) {
            let cats = [
                Elderly::Genekinami3, Elderly::Genekinami2, Elderly::Genekinami1,
                Elderly::General, Elderly::LowIncome2, Elderly::LowIncome1,
            ];
            let mut m = ym(year, 8);
            let ms: Vec<OutpatientMonth> = amounts
                .iter()
                .map(|(a, c)| {
                    let out = OutpatientMonth { month: m, category: Some(cats[*c]), outpatient: *a, outpatient_left: *a, insurer: None };
                    m = m.next();
                    out
                })
                .collect();
            let r = compute(&rules(), &AnnualPerson { year, base_category: Some(cats[base]), months: &ms }).unwrap();
            let counted: i64 = ms.iter().filter(|m| m.category.is_some_and(|c| !matches!(c, Elderly::Genekinami3 | Elderly::Genekinami2 | Elderly::Genekinami1))).map(|m| m.outpatient_left).sum();
            if base >= 3 {
                prop_assert_eq!(r.counted, counted);
                prop_assert_eq!(r.benefit, (counted - r.cap.unwrap()).max(0));
            } else {
                prop_assert_eq!(r.benefit, 0);
                prop_assert!(!r.eligible);
                prop_assert_eq!(r.counted, counted);
            }
        }
    }
}
