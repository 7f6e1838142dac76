//! Burden categories stored per household and month, on both backends: the
//! yearly income import judges the months it decides, a late correction
//! changes past months while the older versions stay, and judging again
//! with nothing new records nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::access::Actor;
use kokuho_app::income::IncomeReport;
use kokuho_app::session::Session;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{Encoding, Kokuho};
use kokuho_domain::burden::parse_month;
use kokuho_formats::income::IncomeRecord;
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_store::with_db;
use kokuho_vault::Keyring;
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);
const T1: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);

/// A demo town whose 2025 income has been imported by `account` at T0 (so
/// 2026-08..2026-11 are judged): the app, the account's actor, the income
/// lines and what the import reported.
async fn town_with_income(
    t: &TestDb,
    seed: u64,
    account: &str,
) -> (Kokuho, Actor, Vec<IncomeRecord>, IncomeReport) {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(1_500, seed);
    town::generate(&t.db, &ring, &spec, T0, |_| {})
        .await
        .unwrap();
    let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number);
    let actor = app.actor_for(account, "tester", "test", T0).await.unwrap();
    let s = Session {
        app: &app,
        actor: &actor,
    };
    let sample = s.sample_income(2025, T0).await.unwrap();
    let bytes = kokuho_formats::income::write(&sample, Encoding::Utf8).unwrap();
    let report = s
        .import_income("income-2025.csv", &bytes, Encoding::Utf8, T0)
        .await
        .unwrap();
    (app, actor, sample, report)
}

#[tokio::test]
async fn the_income_import_judges_its_months_and_a_correction_keeps_the_past() {
    for t in all_backends().await {
        let (app, levy, sample, r) = town_with_income(&t, 5, "demo-levy").await;
        let s = Session {
            app: &app,
            actor: &levy,
        };
        assert_eq!(r.lines as usize, sample.len());
        assert_eq!(r.years, vec![2025]);
        assert!(r.burden_changed > 100, "{}: {r:?}", t.name);
        // 2026-08 .. 2026-11: four months for every NHI household, nothing before August.
        let months: Vec<String> = with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT DISTINCT month FROM burden_version ORDER BY month"
        )
        .fetch_all(p)
        .await
        .unwrap());
        assert_eq!(
            months,
            ["2026-08", "2026-09", "2026-10", "2026-11"],
            "{}",
            t.name
        );
        let cats: Vec<String> = with_db!(&t.db, |p| {
            sqlx::query_scalar(
            "SELECT DISTINCT category_under_70 FROM burden_version WHERE category_under_70 IS NOT NULL ORDER BY 1"
        )
        .fetch_all(p)
        .await
        .unwrap()
        });
        assert!(
            cats.len() >= 4,
            "{}: the town spreads over the categories: {cats:?}",
            t.name
        );

        // Pick a household judged ウ or エ in November and correct its first member's income upwards.
        let (household, rates): (String, String) = with_db!(&t.db, |p| {
            sqlx::query_as(
            "SELECT household_number, copay_rates FROM burden_version WHERE month = '2026-11' \
             AND category_under_70 IN ('エ', 'ウ') AND superseded_us IS NULL ORDER BY household_number LIMIT 1"
        )
        .fetch_one(p)
        .await
        .unwrap()
        });
        let person = rates.split(':').next().unwrap().to_string();
        let before = app.burden_history(&household).await.unwrap();
        assert_eq!(before.len(), 4);
        let mut corrected = sample
            .iter()
            .find(|r| r.addressee_id.as_str() == person)
            .unwrap()
            .clone();
        corrected.revision = 1;
        corrected.unreported = false;
        corrected.resident_tax_exempt = false;
        corrected.other_income = 20_000_000;
        corrected.total_income += 20_000_000;
        corrected.total_gross_income += 20_000_000;
        corrected.taxable_income += 19_000_000;
        let bytes = kokuho_formats::income::write(&[corrected], Encoding::Utf8).unwrap();
        let r = s
            .import_income("kosei.csv", &bytes, Encoding::Utf8, T1)
            .await
            .unwrap();
        assert_eq!(r.corrections, 1);
        let after = app.burden_history(&household).await.unwrap();
        assert_eq!(
            after.len(),
            8,
            "{}: a new version for each of the four months",
            t.name
        );
        for m in ["2026-08", "2026-09", "2026-10", "2026-11"] {
            let v: Vec<_> = after.iter().filter(|r| r.month == m).collect();
            assert_eq!(v.len(), 2);
            assert!(v[0].superseded_us.is_some() && v[1].superseded_us.is_none());
            assert_eq!(v[1].category_under_70.as_deref(), Some("ア"), "{m}");
            assert_eq!(v[1].change_reason, "income_import");
            assert!(v[1].reasons.contains("旧ただし書き所得"));
            // What applied before the correction is still there, as known then.
            assert_eq!(
                v[0].category_under_70,
                before
                    .iter()
                    .find(|b| b.month == m)
                    .unwrap()
                    .category_under_70
            );
        }
        // Judging again with nothing new records nothing.
        let again = s
            .recompute_burden(&[parse_month("2026-11").unwrap()], T1)
            .await
            .unwrap();
        assert_eq!(again.changed, 0, "{}", t.name);
        assert!(again.households > 0);
    }
}

#[tokio::test]
async fn a_standard_income_application_makes_a_genekinami_household_general_from_its_month() {
    for t in all_backends().await {
        let (app, sup, sample, _) = town_with_income(&t, 6, "demo-supervisor").await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        // A household with one or two members aged 70–74 in November.
        let rows: Vec<(String, String)> = with_db!(&t.db, |p| sqlx::query_as(
            "SELECT household_number, copay_rates FROM burden_version WHERE month = '2026-11' \
             AND category_70_74 IS NOT NULL AND superseded_us IS NULL ORDER BY household_number"
        )
        .fetch_all(p)
        .await
        .unwrap());
        let (household, rates) = rows
            .iter()
            .find(|(_, r)| matches!(r.matches("高齢受給者").count(), 1 | 2))
            .unwrap()
            .clone();
        let elderly: Vec<&str> = rates
            .split(';')
            .filter(|c| c.contains("高齢受給者"))
            .map(|c| c.split(':').next().unwrap())
            .collect();
        // Their corrected income: 課税所得 1,500,000 (現役並みⅠ), revenue under the thresholds.
        let salary = if elderly.len() == 1 {
            3_800_000
        } else {
            2_500_000
        };
        let corrected: Vec<_> = elderly
            .iter()
            .map(|id| {
                let mut r = sample
                    .iter()
                    .find(|r| r.addressee_id.as_str() == *id)
                    .unwrap()
                    .clone();
                r.revision = 1;
                r.unreported = false;
                r.resident_tax_exempt = false;
                r.salary_revenue = salary;
                r.salary_income = kokuho_app::town::income_sample::salary_income(salary);
                r.pension_revenue = 0;
                r.pension_income = 0;
                // Some other income: the revenue is not confirmed by the tax
                // record, so only an application makes the household 一般.
                r.other_income = 10_000;
                r.total_income = r.salary_income + 10_000;
                r.total_gross_income = r.total_income;
                r.taxable_income = 1_500_000;
                r
            })
            .collect();
        let bytes = kokuho_formats::income::write(&corrected, Encoding::Utf8).unwrap();
        s.import_income("kosei.csv", &bytes, Encoding::Utf8, T1)
            .await
            .unwrap();
        let h = app.burden_history(&household).await.unwrap();
        for m in ["2026-08", "2026-11"] {
            assert_eq!(
                standing(&h, m).category_70_74.as_deref(),
                Some("現役並みⅠ"),
                "{}: {m}",
                t.name
            );
        }
        // The application from October: October and November become 一般 and 2割.
        let r = s
            .apply_standard_income(&household, parse_month("2026-10").unwrap(), T1)
            .await
            .unwrap();
        assert_eq!(r.changed, 2, "{}", t.name);
        let h = app.burden_history(&household).await.unwrap();
        assert_eq!(
            standing(&h, "2026-09").category_70_74.as_deref(),
            Some("現役並みⅠ")
        );
        let nov = standing(&h, "2026-11");
        assert_eq!(nov.category_70_74.as_deref(), Some("一般"));
        assert_eq!(nov.change_reason, "standard_income_application");
        assert!(nov.reasons.contains("基準収入額適用"));
        assert!(
            nov.copay_rates
                .contains(&format!("{}:2割(高齢受給者)", elderly[0]))
        );
        // A household that does not exist, or is not a household number: refused, nothing stored.
        let stored = || async {
            with_db!(&t.db, |p| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM standard_income_application"
            )
            .fetch_one(p)
            .await
            .unwrap())
        };
        let before = stored().await;
        let oct = parse_month("2026-10").unwrap();
        assert!(matches!(
            s.apply_standard_income("0999999999", oct, T1).await,
            Err(kokuho_app::AppError::NotFound { .. })
        ));
        assert!(matches!(
            s.apply_standard_income("12x", oct, T1).await,
            Err(kokuho_app::AppError::Invalid {
                field: "household",
                ..
            })
        ));
        assert_eq!(stored().await, before, "{}", t.name);
        // Applying again changes nothing.
        let again = s
            .apply_standard_income(&household, parse_month("2026-10").unwrap(), T1)
            .await
            .unwrap();
        assert_eq!(again.changed, 0);
    }
}

#[tokio::test]
async fn an_eligibility_change_judges_the_household_again() {
    for t in all_backends().await {
        let (app, sup, _, _) = town_with_income(&t, 7, "demo-supervisor").await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let (household, leaving) = household_of_several(&t).await;
        // Left for employee insurance on 2026-09-30: lost on 2026-10-01.
        s.lose(
            &kokuho_app::eligibility::Loss {
                addressee_id: kokuho_domain::id::AddresseeId::parse(&leaving).unwrap(),
                reason: kokuho_domain::eligibility::LossReason::JoinedEmployeeInsurance,
                event_on: time::macros::date!(2026 - 09 - 30),
                notified_on: Some(time::macros::date!(2026 - 11 - 25)),
                destination: None,
                next_insurer_number: None,
            },
            T1,
        )
        .await
        .unwrap();
        let h = app.burden_history(&household).await.unwrap();
        let nov = h
            .iter()
            .find(|r| r.month == "2026-11" && r.superseded_us.is_none())
            .unwrap();
        assert_eq!(nov.change_reason, "eligibility_change", "{}", t.name);
        assert!(
            !nov.copay_rates.contains(&format!("{leaving}:")),
            "{}",
            nov.copay_rates
        );
        let aug = h
            .iter()
            .find(|r| r.month == "2026-08" && r.superseded_us.is_none())
            .unwrap();
        assert_eq!(
            aug.version_no, 1,
            "months before the change are left as they were"
        );
    }
}

/// Voids a period (entered in error) at T1.
async fn void_period(s: &Session<'_>, period_id: i64) {
    s.correct(
        &kokuho_app::eligibility::Correction {
            period_id,
            acquired_on: None,
            acquisition_reason: None,
            lost_on: None,
            loss_reason: None,
            flags: None,
            void: true,
            note: "entered in error".into(),
        },
        T1,
    )
    .await
    .unwrap();
}

/// The months the income import judged.
fn months() -> Vec<kokuho_domain::eligibility::YearMonth> {
    ["2026-08", "2026-09", "2026-10", "2026-11"]
        .map(|m| parse_month(m).unwrap())
        .to_vec()
}

/// The household's standing version for a month.
fn standing<'a>(
    h: &'a [kokuho_store::burden::BurdenRow],
    month: &str,
) -> &'a kokuho_store::burden::BurdenRow {
    h.iter()
        .find(|r| r.month == month && r.superseded_us.is_none())
        .unwrap()
}

/// A household of two or more in 2026-11 and one of its members.
async fn household_of_several(t: &TestDb) -> (String, String) {
    let (household, rates): (String, String) = with_db!(&t.db, |p| sqlx::query_as(
        "SELECT household_number, copay_rates FROM burden_version WHERE month = '2026-11' \
         AND copay_rates LIKE '%;%' AND superseded_us IS NULL ORDER BY household_number LIMIT 1"
    )
    .fetch_one(p)
    .await
    .unwrap());
    (household, rates.split(':').next().unwrap().to_string())
}

#[tokio::test]
async fn a_household_change_and_a_void_judge_both_households_again() {
    use kokuho_domain::addressee::HouseholdNumber;
    use kokuho_domain::id::AddresseeId;
    for t in all_backends().await {
        let (app, sup, _, _) = town_with_income(&t, 8, "demo-supervisor").await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let (from, mover) = household_of_several(&t).await;
        let to: String = with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT household_number FROM burden_version WHERE month = '2026-11' \
             AND household_number <> $1 ORDER BY household_number LIMIT 1"
        )
        .bind(&from)
        .fetch_one(p)
        .await
        .unwrap());
        let person = AddresseeId::parse(&mover).unwrap();
        // 世帯変更 from 2026-10-01: October on, the person counts in the other household.
        s.change_household(
            &person,
            &HouseholdNumber::parse(&to).unwrap(),
            time::macros::date!(2026 - 10 - 01),
            "household_change",
            T1,
        )
        .await
        .unwrap();
        let member = format!("{mover}:");
        let old = app.burden_history(&from).await.unwrap();
        let new = app.burden_history(&to).await.unwrap();
        for month in ["2026-10", "2026-11"] {
            let o = standing(&old, month);
            assert_eq!(o.change_reason, "eligibility_change", "{}", t.name);
            assert!(
                !o.copay_rates.contains(&member),
                "{month}: {}",
                o.copay_rates
            );
            let n = standing(&new, month);
            assert_eq!(n.change_reason, "eligibility_change", "{}", t.name);
            assert!(
                n.copay_rates.contains(&member),
                "{month}: {}",
                n.copay_rates
            );
        }
        for h in [&old, &new] {
            assert_eq!(standing(h, "2026-09").version_no, 1, "September stays");
        }
        // The person's period entered in error (取消): neither household counts them any more.
        let (periods, _) = s.periods(&person, None, T1).await.unwrap();
        let period = periods.last().unwrap();
        void_period(&s, period.period_id).await;
        let old = app.burden_history(&from).await.unwrap();
        let new = app.burden_history(&to).await.unwrap();
        for month in ["2026-08", "2026-09", "2026-10", "2026-11"] {
            for h in [&old, &new] {
                assert!(
                    !standing(h, month).copay_rates.contains(&member),
                    "{}: {month} after the void",
                    t.name
                );
            }
        }
        assert!(
            standing(&old, "2026-08").version_no > 1,
            "{}: the void reaches back to August",
            t.name
        );
        // A household of one whose only period is voided: no category stands.
        let single: String = with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT copay_rates FROM burden_version WHERE month = '2026-11' \
             AND copay_rates NOT LIKE '%;%' AND copay_rates <> '' AND superseded_us IS NULL \
             ORDER BY household_number LIMIT 1"
        )
        .fetch_one(p)
        .await
        .unwrap());
        let alone = AddresseeId::parse(single.split(':').next().unwrap()).unwrap();
        let (periods, _) = s.periods(&alone, None, T1).await.unwrap();
        for p in &periods {
            void_period(&s, p.period_id).await;
        }
        let household = app
            .person(alone.as_str())
            .await
            .unwrap()
            .person
            .household_number;
        let h = app.burden_history(household.as_str()).await.unwrap();
        let nov = standing(&h, "2026-11");
        assert_eq!(nov.reasons, kokuho_app::burden::NO_INSURED, "{}", t.name);
        assert_eq!(
            (&nov.category_under_70, &nov.category_70_74),
            (&None, &None)
        );
        assert_eq!(nov.copay_rates, "");
        assert!(
            h.iter()
                .any(|r| r.month == "2026-11" && r.superseded_us.is_some()),
            "the judged version stays readable"
        );
        let again = s.recompute_burden(&months(), T1).await.unwrap();
        assert_eq!(
            again.changed, 0,
            "{}: the full recomputation agrees",
            t.name
        );
    }
}

#[tokio::test]
async fn a_confirmed_registry_proposal_judges_the_household_again() {
    for t in all_backends().await {
        let (app, sup, _, _) = town_with_income(&t, 9, "demo-supervisor").await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let events = app
            .sample_registry_feed(time::macros::date!(2026 - 10 - 01))
            .await
            .unwrap();
        let bytes = kokuho_formats::registry_feed::write(&events, Encoding::Utf8).unwrap();
        s.import_registry_feed("feed.csv", &bytes, Encoding::Utf8, T1)
            .await
            .unwrap();
        let death = s
            .proposals(Some("pending"), T1)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.reason == "death")
            .unwrap();
        let household: String = with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT household_number FROM burden_version WHERE month = '2026-11' \
             AND superseded_us IS NULL AND copay_rates LIKE $1"
        )
        .bind(format!("%{}:%", death.addressee_id))
        .fetch_one(p)
        .await
        .unwrap());
        s.confirm_proposal(death.proposal_id, T1).await.unwrap();
        let h = app.burden_history(&household).await.unwrap();
        let nov = standing(&h, "2026-11");
        assert_eq!(nov.change_reason, "eligibility_change", "{}", t.name);
        assert!(
            !nov.copay_rates
                .contains(&format!("{}:", death.addressee_id)),
            "{}",
            nov.copay_rates
        );
        if nov.copay_rates.is_empty() {
            // The only insured member died: no category stands for the month.
            assert_eq!(nov.reasons, kokuho_app::burden::NO_INSURED);
            assert_eq!(nov.category_under_70, None);
            assert_eq!(nov.category_70_74, None);
        }
        // A full recomputation agrees and records nothing more.
        let again = s.recompute_burden(&months(), T1).await.unwrap();
        assert_eq!(again.changed, 0, "{}", t.name);
    }
}

#[tokio::test]
async fn a_former_member_now_in_late_elderly_care_counts_for_the_standard_income() {
    for t in all_backends().await {
        let (app, sup, sample, _) = town_with_income(&t, 11, "demo-supervisor").await;
        let formers =
            kokuho_store::burden::former_insured(&t.db, &kokuho_app::town::demo_insurer())
                .await
                .unwrap();
        assert!(
            !formers.is_empty(),
            "{}: the town's history moved people to 後期高齢者医療",
            t.name
        );
        let nov = time::macros::date!(2026 - 11 - 01);
        // Each candidate left NHI for 後期高齢者医療 and is not insured now.
        for (household, list) in &formers {
            for f in list {
                assert_eq!(&f.household_number, household);
                let id = kokuho_domain::id::AddresseeId::parse(&f.addressee_id).unwrap();
                let periods = app.periods(&id, None).await.unwrap();
                let last = periods.last().unwrap();
                assert_eq!(last.loss_reason.map(|r| r.code()), Some("late_elderly"));
                assert_eq!(last.lost_on, Some(f.lost_on));
            }
        }
        // A household whose one insured member is given 現役並み income above
        // 383万円 of revenue, beside a 特定同一世帯所属者: on application the
        // two revenues together decide.
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let mut found = None;
        for (household, list) in &formers {
            let Some(f) = list.iter().find(|f| f.counts_on(nov)) else {
                continue;
            };
            let view = app
                .nhi_household_as_of(
                    &kokuho_domain::addressee::HouseholdNumber::parse(household).unwrap(),
                    nov,
                    None,
                )
                .await
                .unwrap();
            if view.members.len() == 1
                && kokuho_domain::burden::age_group(
                    view.members[0].birth_date,
                    parse_month("2026-11").unwrap(),
                ) == kokuho_domain::burden::AgeGroup::Elderly
            {
                found = Some((
                    household.clone(),
                    f.addressee_id.clone(),
                    view.members[0].addressee_id.clone(),
                ));
                break;
            }
        }
        let Some((household, former, insured)) = found else {
            panic!(
                "{}: no household of one insured member aged 70–74 beside a 特定同一世帯所属者",
                t.name
            );
        };
        // Make the insured member 70–74 with 課税所得 1,500,000 and 4,000,000 of
        // salary; the former member 1,100,000 of pension (together under 5,200,000).
        let line = |id: &str, revision: i32, f: &dyn Fn(&mut IncomeRecord)| {
            let mut r = sample
                .iter()
                .find(|r| r.addressee_id.as_str() == id)
                .cloned()
                .unwrap();
            r.revision = revision;
            f(&mut r);
            r
        };
        let file = |revision: i32, former_pension: i64| {
            let records = vec![
                line(&insured, revision, &|r| {
                    r.total_income = 2_600_000;
                    r.total_gross_income = 2_600_000;
                    r.salary_revenue = 3_900_000;
                    r.salary_income = 2_500_000;
                    r.pension_revenue = 0;
                    r.pension_income = 0;
                    // Some other income: the revenue cannot be confirmed from
                    // the tax data alone, so only an application brings 一般.
                    r.other_income = 100_000;
                    r.separate_income = 0;
                    r.taxable_income = 1_500_000;
                    r.resident_tax_exempt = false;
                    r.unreported = false;
                }),
                line(&former, revision, &|r| {
                    r.total_income = 0;
                    r.total_gross_income = 0;
                    r.salary_revenue = 0;
                    r.salary_income = 0;
                    r.pension_revenue = former_pension;
                    r.pension_income = 0;
                    r.other_income = 0;
                    r.separate_income = 0;
                    r.taxable_income = 0;
                    r.resident_tax_exempt = true;
                    r.unreported = false;
                }),
            ];
            kokuho_formats::income::write(&records, Encoding::Utf8).unwrap()
        };
        let nov_of = |h: &[kokuho_store::burden::BurdenRow]| standing(h, "2026-11").clone();
        let levy = app
            .actor_for("demo-levy", "tester", "test", T1)
            .await
            .unwrap();
        let l = Session {
            app: &app,
            actor: &levy,
        };
        l.import_income("correction-1.csv", &file(1, 1_100_000), Encoding::Utf8, T1)
            .await
            .unwrap();
        let before = nov_of(&app.burden_history(&household).await.unwrap());
        assert_eq!(
            before.category_70_74.as_deref(),
            Some("現役並みⅠ"),
            "{}: {}",
            t.name,
            before.reasons
        );
        s.apply_standard_income(&household, parse_month("2026-11").unwrap(), T1)
            .await
            .unwrap();
        let after = nov_of(&app.burden_history(&household).await.unwrap());
        assert_eq!(
            after.category_70_74.as_deref(),
            Some("一般"),
            "{}: {}",
            t.name,
            after.reasons
        );
        assert!(
            after.reasons.contains("特定同一世帯所属者") && after.reasons.contains("5,100,000円"),
            "{}",
            after.reasons
        );
        assert!(
            after.copay_rates.contains(&format!("{insured}:2割")),
            "{}",
            after.copay_rates
        );
        assert!(
            !after.copay_rates.contains(&former),
            "no copay for the former member"
        );
        // The former member's pension corrected to 1,300,000: together 5,300,000, not under 5,200,000.
        l.import_income("correction-2.csv", &file(2, 1_300_000), Encoding::Utf8, T1)
            .await
            .unwrap();
        let corrected = nov_of(&app.burden_history(&household).await.unwrap());
        assert_eq!(
            corrected.category_70_74.as_deref(),
            Some("現役並みⅠ"),
            "{}",
            corrected.reasons
        );
    }
}
