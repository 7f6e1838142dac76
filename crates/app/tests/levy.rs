//! The levy as booked, on both backends: the annual assessment (本算定)
//! books every household with its schedule, running it again books nothing,
//! a loss at the counter and an income correction reassess (更正) with the
//! difference and the installments already due kept, a broken record fails
//! the whole run, and only those allowed may run it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::access::Actor;
use kokuho_app::session::Session;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Encoding, Kokuho};
use kokuho_domain::levy::{self, LevyHousehold, LevyIncome, LevyMember, LevyRules, Terms};
use kokuho_formats::income::IncomeRecord;
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_store::with_db;
use kokuho_vault::Keyring;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);
const T1: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);
/// The 本算定 is made in June, before the first due date.
const JUNE: Date = date!(2026 - 06 - 15);

async fn town(t: &TestDb, seed: u64, account: &str) -> (Kokuho, Actor, Vec<IncomeRecord>) {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(1_200, seed);
    town::generate(&t.db, &ring, &spec, T0, |_| {})
        .await
        .unwrap();
    let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number);
    let sup = app
        .actor_for("demo-supervisor", "tester", "test", T0)
        .await
        .unwrap();
    let s = Session {
        app: &app,
        actor: &sup,
    };
    let sample = s.sample_income(2025, T0).await.unwrap();
    let bytes = kokuho_formats::income::write(&sample, Encoding::Utf8).unwrap();
    s.import_income("income-2025.csv", &bytes, Encoding::Utf8, T0)
        .await
        .unwrap();
    let actor = app.actor_for(account, "tester", "test", T0).await.unwrap();
    (app, actor, sample)
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    with_db!(&t.db, |p| sqlx::query_scalar::<_, i64>(
        sqlx::AssertSqlSafe(sql.to_string())
    )
    .fetch_one(p)
    .await
    .unwrap())
}

/// (household, version, total) of every current version, in order.
async fn booked(t: &TestDb) -> Vec<(String, i64, i64)> {
    with_db!(&t.db, |p| sqlx::query_as(
        "SELECT household_number, version_no, total FROM levy_version \
         WHERE fiscal_year = 2026 AND superseded_us IS NULL ORDER BY household_number"
    )
    .fetch_all(p)
    .await
    .unwrap())
}

#[tokio::test]
async fn the_annual_assessment_books_every_household_once() {
    for t in all_backends().await {
        let (app, levy_clerk, sample) = town(&t, 11, "demo-levy").await;
        let s = Session {
            app: &app,
            actor: &levy_clerk,
        };
        let r = s.assess_levy(2026, JUNE, T0).await.unwrap();
        assert!(r.households > 100, "{}: {r:?}", t.name);
        assert!(r.booked > 100 && r.booked <= r.households, "{r:?}");
        assert_eq!(r.difference, r.total);
        let rows = booked(&t).await;
        assert_eq!(rows.len() as u64, r.booked, "{}", t.name);
        assert_eq!(rows.iter().map(|x| x.2).sum::<i64>(), r.total);
        assert!(rows.iter().all(|x| x.1 == 1 && x.2 > 0 && x.2 % 100 == 0));
        // Eight installments each, made in June: every due date ahead, the
        // first taking the remainder, all adding up to the total.
        let sums: Vec<(String, i64, i64)> = with_db!(&t.db, |p| {
            sqlx::query_as(
            "SELECT household_number, COUNT(*), CAST(SUM(amount) AS BIGINT) FROM levy_installment \
             WHERE fiscal_year = 2026 GROUP BY household_number ORDER BY household_number"
        )
        .fetch_all(p)
        .await
        .unwrap()
        });
        assert_eq!(sums.len(), rows.len());
        for ((h, n, sum), (h2, _, total)) in sums.iter().zip(&rows) {
            assert_eq!((h, *n, *sum), (h2, 8, *total), "{}", t.name);
        }

        // One household checked against the rules directly, from the raw
        // records: a one-person household insured all year.
        let (household, person, birth): (String, String, Date) = with_db!(&t.db, |p| {
            sqlx::query_as(
                "SELECT m.household_number, m.addressee_id, a.birth_date FROM membership_version m \
             JOIN eligibility_version e ON e.addressee_id = m.addressee_id AND e.superseded_us IS NULL AND NOT e.voided \
             JOIN addressee a ON a.addressee_id = m.addressee_id \
             JOIN household h ON h.household_number = m.household_number AND h.householder_addressee_id = m.addressee_id \
             WHERE m.superseded_us IS NULL AND NOT m.voided AND m.valid_from <= '2026-04-01' AND m.valid_to IS NULL \
               AND e.acquired_on <= '2026-04-01' AND e.lost_on IS NULL AND a.birth_date > '1960-01-01' \
               AND (SELECT COUNT(*) FROM membership_version o WHERE o.household_number = m.household_number \
                    AND o.superseded_us IS NULL AND NOT o.voided) = 1 \
               AND (SELECT COUNT(*) FROM addressee x WHERE x.household_number = m.household_number) = 1 \
             ORDER BY m.household_number LIMIT 1",
            )
            .fetch_one(p)
            .await
            .unwrap()
        });
        let income = sample
            .iter()
            .find(|r| r.addressee_id.as_str() == person)
            .map(|r| LevyIncome {
                total_income: r.total_income,
                salary_revenue: r.salary_revenue,
                salary_income: r.salary_income,
                pension_revenue: r.pension_revenue,
                pension_income: r.pension_income,
            })
            .unwrap_or_default();
        let rules = LevyRules::shipped().unwrap();
        let terms = Terms::of(
            rules.national(2026).unwrap(),
            rules.ordinance("yazu", 2026).unwrap(),
        );
        let expected = levy::compute(
            &terms,
            &LevyHousehold {
                fiscal_year: 2026,
                members: vec![LevyMember {
                    id: person.clone(),
                    birth_date: birth,
                    insured: true,
                    householder: true,
                    former_insured_late_elderly: false,
                    insured_from: None,
                    insured_until: None,
                    further_periods: vec![],
                    income,
                    involuntary_unemployed: false,
                    former_dependent: false,
                    childbirth: None,
                }],
                specified: None,
            },
        )
        .unwrap();
        let v = app.household_levy(&household).await.unwrap();
        assert_eq!(v.versions.len(), 1, "{}", t.name);
        let booked_one = &v.versions[0];
        assert_eq!(booked_one.version.total, expected.total, "{}", t.name);
        assert_eq!(
            booked_one
                .installments
                .iter()
                .map(|i| i.amount)
                .collect::<Vec<_>>(),
            expected
                .installments
                .iter()
                .map(|i| i.amount)
                .collect::<Vec<_>>()
        );
        assert!(!booked_one.rules_changed);
        assert!(
            booked_one
                .explanation
                .iter()
                .any(|l| l.contains("軽減判定")),
            "{:?}",
            booked_one.explanation
        );

        // Run again: the same records, nothing booked.
        let before = count(&t, "SELECT COUNT(*) FROM levy_version").await;
        let again = s.assess_levy(2026, JUNE, T1).await.unwrap();
        assert_eq!(again.booked, 0, "{}", t.name);
        assert_eq!(again.total, r.total);
        assert_eq!(count(&t, "SELECT COUNT(*) FROM levy_version").await, before);
        assert_eq!(booked(&t).await, rows);
        // Both runs are on the jobs page.
        let jobs = app
            .jobs(&[kokuho_app::jobs::JobKind::LevyAssessment], 10)
            .await
            .unwrap();
        assert_eq!(jobs.len(), 2);
        assert!(jobs.iter().all(|j| j.status == "succeeded"));
    }
}

#[tokio::test]
async fn a_loss_and_an_income_correction_reassess_the_household() {
    use kokuho_app::eligibility::Loss;
    use kokuho_domain::eligibility::LossReason;
    use kokuho_domain::id::AddresseeId;
    for t in all_backends().await {
        let (app, sup, sample) = town(&t, 12, "demo-supervisor").await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        s.assess_levy(2026, JUNE, T0).await.unwrap();
        // A household of two or more insured all year; one leaves for
        // employee insurance on 30 November 2026 (lost 1 December).
        let (household, leaving): (String, String) = with_db!(&t.db, |p| {
            sqlx::query_as(
            "SELECT m.household_number, m.addressee_id FROM membership_version m \
             JOIN eligibility_version e ON e.addressee_id = m.addressee_id AND e.superseded_us IS NULL \
               AND NOT e.voided AND e.lost_on IS NULL \
             JOIN household h ON h.household_number = m.household_number \
             WHERE m.superseded_us IS NULL AND NOT m.voided AND m.valid_to IS NULL \
               AND h.householder_addressee_id <> m.addressee_id \
               AND m.household_number IN (SELECT household_number FROM levy_version WHERE medical > 0) \
             ORDER BY m.household_number, m.addressee_id LIMIT 1"
        )
        .fetch_one(p)
        .await
        .unwrap()
        });
        let v1 = app.household_levy(&household).await.unwrap().versions;
        assert_eq!(v1.len(), 1);
        s.lose(
            &Loss {
                addressee_id: AddresseeId::parse(&leaving).unwrap(),
                reason: LossReason::JoinedEmployeeInsurance,
                event_on: date!(2026 - 11 - 30),
                notified_on: Some(date!(2026 - 11 - 30)),
                destination: None,
                next_insurer_number: None,
            },
            T1,
        )
        .await
        .unwrap();
        let v = app.household_levy(&household).await.unwrap().versions;
        assert_eq!(v.len(), 2, "{}", t.name);
        let (old, new) = (&v[0], &v[1]);
        assert!(old.version.superseded_us.is_some());
        assert_eq!(new.version.change_reason, "eligibility_change");
        assert_eq!(new.version.assessed_on, date!(2026 - 11 - 30));
        assert!(new.version.total < old.version.total, "{}", t.name);
        assert_eq!(
            new.version.difference,
            new.version.total - old.version.total
        );
        // Installments due before 30 November stay; the rest carry the new total.
        for i in old
            .installments
            .iter()
            .filter(|i| i.due_date < date!(2026 - 11 - 30))
        {
            assert!(
                new.installments
                    .iter()
                    .any(|n| n.installment_no == i.installment_no && n.amount == i.amount),
                "{}",
                t.name
            );
        }
        assert_eq!(
            new.installments.iter().map(|i| i.amount).sum::<i64>(),
            new.version.total.max(
                old.installments
                    .iter()
                    .filter(|i| i.due_date < date!(2026 - 11 - 30))
                    .map(|i| i.amount)
                    .sum()
            ),
        );
        // April–November with the member, December–March without.
        assert!(
            new.explanation.iter().any(|l| l.contains("（8か月）")),
            "{:?}",
            new.explanation
        );

        // The householder's 2025 income corrected upwards (修正申告): the
        // household's levy is reassessed by the import.
        let head: String = with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT householder_addressee_id FROM household WHERE household_number = $1"
        )
        .bind(&household)
        .fetch_one(p)
        .await
        .unwrap());
        let mut corrected = sample
            .iter()
            .find(|r| r.addressee_id.as_str() == head)
            .cloned()
            .expect("the householder has an income line");
        corrected.revision = 1;
        corrected.unreported = false;
        corrected.resident_tax_exempt = false;
        corrected.other_income += 3_000_000;
        corrected.total_income += 3_000_000;
        corrected.total_gross_income += 3_000_000;
        corrected.taxable_income += 3_000_000;
        let bytes = kokuho_formats::income::write(&[corrected], Encoding::Utf8).unwrap();
        let r = s
            .import_income("kosei.csv", &bytes, Encoding::Utf8, T1)
            .await
            .unwrap();
        assert_eq!(r.levy_booked, 1, "{}: {r:?}", t.name);
        let v = app.household_levy(&household).await.unwrap().versions;
        assert_eq!(v.len(), 3);
        assert_eq!(v[2].version.change_reason, "income_import");
        assert!(v[2].version.difference > 0);
        assert!(v[2].version.total > v[1].version.total);
        // Only the current version stands.
        assert_eq!(
            v.iter()
                .filter(|x| x.version.superseded_us.is_none())
                .count(),
            1
        );
        // The annual run again, told it is made on 15 June: nothing to book
        // after the counter's reassessments.
        assert_eq!(s.assess_levy(2026, JUNE, T1).await.unwrap().booked, 0);
        // A figure changed behind the counter's back, then the run told 15
        // June again: what fell due before today (30 November) stays.
        with_db!(&t.db, |p| {
            sqlx::query(
            "UPDATE income_version SET total_income = total_income + 1000000 WHERE addressee_id = $1"
        )
        .bind(&head)
        .execute(p)
        .await
        .unwrap()
            .rows_affected()
        });
        assert_eq!(s.assess_levy(2026, JUNE, T1).await.unwrap().booked, 1);
        let v = app.household_levy(&household).await.unwrap().versions;
        let (prev, last) = (&v[v.len() - 2], &v[v.len() - 1]);
        assert_eq!(last.version.change_reason, "recompute");
        for i in prev
            .installments
            .iter()
            .filter(|i| i.due_date < date!(2026 - 11 - 30))
        {
            assert!(
                last.installments
                    .contains(&kokuho_app::levy::LevyInstallmentRow {
                        version_no: last.version.version_no,
                        ..i.clone()
                    }),
                "{}: {i:?} kept",
                t.name
            );
        }
    }
}

#[tokio::test]
async fn a_household_the_rules_cannot_assess_fails_the_whole_run() {
    for t in all_backends().await {
        let (app, levy_clerk, _) = town(&t, 13, "demo-levy").await;
        let s = Session {
            app: &app,
            actor: &levy_clerk,
        };
        // A broken income line (negative revenue) of an insured person.
        let n = with_db!(&t.db, |p| {
            sqlx::query(
            "UPDATE income_version SET salary_revenue = -1 WHERE addressee_id = \
             (SELECT MAX(e.addressee_id) FROM eligibility_version e WHERE e.superseded_us IS NULL \
              AND e.lost_on IS NULL AND NOT e.voided AND e.acquired_on <= '2026-04-01' \
              AND e.addressee_id IN (SELECT addressee_id FROM membership_version WHERE superseded_us IS NULL \
                  AND NOT voided AND valid_to IS NULL) \
              AND e.addressee_id IN (SELECT addressee_id FROM income_version))"
        )
        .execute(p)
        .await
        .unwrap()
        .rows_affected()
        });
        assert!(n >= 1);
        let e = s.assess_levy(2026, JUNE, T0).await.unwrap_err();
        assert!(
            matches!(&e, AppError::Invalid { field: "household", message_ja, message_en }
                if message_ja.contains("負の金額") && message_en.contains("must not be negative")),
            "{e:?}"
        );
        assert_eq!(count(&t, "SELECT COUNT(*) FROM levy_version").await, 0);
        assert_eq!(count(&t, "SELECT COUNT(*) FROM levy_installment").await, 0);
        let jobs = app
            .jobs(&[kokuho_app::jobs::JobKind::LevyAssessment], 10)
            .await
            .unwrap();
        assert_eq!(jobs[0].status, "failed");
        assert!(jobs[0].has_error_report);
    }
}

#[tokio::test]
async fn only_the_levy_staff_assess_and_read_the_levy() {
    for t in all_backends().await {
        let (app, clerk, _) = town(&t, 14, "demo-benefits").await;
        let s = Session {
            app: &app,
            actor: &clerk,
        };
        assert!(matches!(
            s.assess_levy(2026, JUNE, T0).await,
            Err(AppError::Forbidden { .. })
        ));
        let household: String = with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT household_number FROM household ORDER BY household_number LIMIT 1"
        )
        .fetch_one(p)
        .await
        .unwrap());
        assert!(matches!(
            s.household_levy(&household, T0).await,
            Err(AppError::Forbidden { .. })
        ));
        assert!(matches!(
            s.set_levy_profile("natori", T0).await,
            Err(AppError::Forbidden { .. })
        ));
        let levy_clerk = app
            .actor_for("demo-levy", "tester", "test", T0)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &levy_clerk,
        };
        assert!(matches!(
            s.set_levy_profile("nowhere", T0).await,
            Err(AppError::Invalid {
                field: "profile",
                ..
            })
        ));
        // Natori has no FY2024 ordinance in the table: the run says so and books nothing.
        s.set_levy_profile("natori", T0).await.unwrap();
        assert_eq!(app.levy_profile().await.unwrap(), "natori");
        let e = s
            .assess_levy(2024, date!(2024 - 06 - 15), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Invalid {
                    field: "fiscal_year",
                    ..
                }
            ),
            "{e:?}"
        );
        let v = s.household_levy(&household, T0).await.unwrap();
        assert!(v.versions.is_empty());
        let logged = count(
            &t,
            "SELECT COUNT(*) FROM access_log WHERE action = 'levy_view' AND outcome = 'allowed'",
        )
        .await;
        assert_eq!(logged, 1, "{}", t.name);
    }
}

#[tokio::test]
async fn notifications_reassess_and_a_void_restores_the_amount() {
    use kokuho_app::levy::{LevyNotification, NotificationKind};
    use kokuho_domain::id::AddresseeId;
    for t in all_backends().await {
        let (app, levy_clerk, _) = town(&t, 15, "demo-levy").await;
        let s = Session {
            app: &app,
            actor: &levy_clerk,
        };
        s.assess_levy(2026, JUNE, T0).await.unwrap();
        // An insured salary earner of a household below every cap.
        let (household, person): (String, String) = with_db!(&t.db, |p| {
            sqlx::query_as(
            "SELECT v.household_number, i.addressee_id FROM levy_version v \
             JOIN membership_version m ON m.household_number = v.household_number AND m.superseded_us IS NULL \
               AND NOT m.voided AND m.valid_to IS NULL \
             JOIN eligibility_version e ON e.addressee_id = m.addressee_id AND e.superseded_us IS NULL \
               AND NOT e.voided AND e.lost_on IS NULL AND e.acquired_on <= '2026-04-01' \
             JOIN income_version i ON i.addressee_id = m.addressee_id AND i.income_year = 2025 \
             WHERE v.superseded_us IS NULL AND v.total BETWEEN 150000 AND 400000 \
               AND i.salary_income > 1000000 \
             ORDER BY v.household_number LIMIT 1"
        )
        .fetch_one(p)
        .await
        .unwrap()
        });
        let before = app.household_levy(&household).await.unwrap();
        let original = before.versions.last().unwrap().version.total;
        let id = s
            .record_levy_notification(
                &LevyNotification {
                    person: AddresseeId::parse(&person).unwrap(),
                    kind: NotificationKind::InvoluntaryUnemployment,
                    effective_on: date!(2026 - 05 - 01),
                    multiple_birth: false,
                },
                T1,
            )
            .await
            .unwrap();
        let after = app.household_levy(&household).await.unwrap();
        assert_eq!(after.notifications.len(), 1, "{}", t.name);
        let v2 = &after.versions.last().unwrap().version;
        assert_eq!(v2.change_reason, "levy_notification");
        assert!(v2.total < original, "{}: {} < {original}", t.name, v2.total);
        assert!(v2.basis.contains("\"involuntary\":true"));
        // Voided: assessed again to the original amount, as a third version.
        s.void_levy_notification(id, T1).await.unwrap();
        let restored = app.household_levy(&household).await.unwrap();
        assert!(restored.notifications.is_empty());
        assert_eq!(restored.versions.len(), 3);
        assert_eq!(restored.versions[2].version.total, original);
        assert!(matches!(
            s.void_levy_notification(id, T1).await,
            Err(AppError::NotFound { .. })
        ));
        // 産前産後 (due in October): 4 months of her 所得割 and 均等割 exempt.
        s.record_levy_notification(
            &LevyNotification {
                person: AddresseeId::parse(&person).unwrap(),
                kind: NotificationKind::Childbirth,
                effective_on: date!(2026 - 10 - 20),
                multiple_birth: false,
            },
            T1,
        )
        .await
        .unwrap();
        let born = app.household_levy(&household).await.unwrap();
        let last = born.versions.last().unwrap();
        assert!(last.version.total < original, "{}", t.name);
        assert!(last.version.basis.contains("\"childbirth\":\"2026-10\""));
        // A benefits clerk may not record one.
        let other = app
            .actor_for("demo-benefits", "tester", "test", T0)
            .await
            .unwrap();
        let b = Session {
            app: &app,
            actor: &other,
        };
        assert!(matches!(
            b.record_levy_notification(
                &LevyNotification {
                    person: AddresseeId::parse(&person).unwrap(),
                    kind: NotificationKind::FormerDependent,
                    effective_on: date!(2026 - 04 - 01),
                    multiple_birth: false,
                },
                T1,
            )
            .await,
            Err(AppError::Forbidden { .. })
        ));
    }
}
