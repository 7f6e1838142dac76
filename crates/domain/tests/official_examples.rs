//! Worked examples and decision tables from official publications, as test
//! vectors: `tests/vectors/burden_official.toml` gives each case with its
//! source and the quoted text; this runs them through the engine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use kokuho_domain::burden::{self, BurdenRules, Income, Member};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    source: String,
    quote: String,
    #[serde(default)]
    derived: Option<String>,
    month: String,
    #[serde(default)]
    standard_income_application: bool,
    #[serde(default)]
    expect_under_70: Option<String>,
    #[serde(default)]
    expect_70_74: Option<String>,
    #[serde(default)]
    expect_copay: BTreeMap<String, String>,
    #[serde(default)]
    expect_reasons: Vec<String>,
    member: Vec<VectorMember>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VectorMember {
    id: String,
    birth_date: String,
    #[serde(default = "yes")]
    insured: bool,
    #[serde(default)]
    householder: bool,
    #[serde(default)]
    former_insured_late_elderly: bool,
    #[serde(default)]
    total_income: i64,
    #[serde(default)]
    taxable_income: i64,
    #[serde(default)]
    revenue: i64,
    #[serde(default)]
    pension_revenue: i64,
    #[serde(default)]
    pension_income: i64,
    #[serde(default)]
    salary_income: i64,
    #[serde(default)]
    resident_tax_exempt: bool,
    #[serde(default)]
    unreported: bool,
    #[serde(default)]
    revenue_confirmed: bool,
}

fn yes() -> bool {
    true
}

fn date(s: &str) -> time::Date {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
}

#[test]
fn official_examples_give_the_published_categories() {
    let file: File =
        toml::from_str(include_str!("vectors/burden_official.toml")).expect("the vector file");
    assert!(file.case.len() >= 10);
    let rules = BurdenRules::shipped().unwrap();
    for c in &file.case {
        assert!(c.source.starts_with("https://"), "{}: a source", c.name);
        assert!(!c.quote.is_empty(), "{}: the quoted text", c.name);
        let _ = &c.derived;
        let members: Vec<Member> = c
            .member
            .iter()
            .map(|m| Member {
                id: m.id.clone(),
                birth_date: date(&m.birth_date),
                insured: m.insured,
                householder: m.householder,
                former_insured_late_elderly: m.former_insured_late_elderly,
                income: Income {
                    total_income: m.total_income,
                    taxable_income: m.taxable_income,
                    revenue: m.revenue,
                    pension_revenue: m.pension_revenue,
                    pension_income: m.pension_income,
                    salary_income: m.salary_income,
                    resident_tax_exempt: m.resident_tax_exempt,
                    unreported: m.unreported,
                    revenue_confirmed: m.revenue_confirmed,
                },
            })
            .collect();
        let month = burden::parse_month(&c.month).unwrap();
        let b = burden::compute(&rules, month, &members, c.standard_income_application)
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!(
            b.under70.map(|x| x.label().to_string()),
            c.expect_under_70,
            "{} ({})\n{:?}",
            c.name,
            c.source,
            b.reasons
        );
        assert_eq!(
            b.elderly.map(|x| x.label().to_string()),
            c.expect_70_74,
            "{} ({})\n{:?}",
            c.name,
            c.source,
            b.reasons
        );
        for (id, rate) in &c.expect_copay {
            let got = b.members.iter().find(|(m, _, _)| m == id);
            assert_eq!(
                got.map(|(_, _, r)| r.to_string()).as_ref(),
                Some(rate),
                "{}: {id}",
                c.name
            );
        }
        for want in &c.expect_reasons {
            assert!(
                b.reasons.iter().any(|r| r.contains(want.as_str())),
                "{}: a reason with {want}: {:?}",
                c.name,
                b.reasons
            );
        }
    }
}
