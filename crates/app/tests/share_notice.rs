//! 支給額計算結果連絡票 received, on both backends: a person 70–74 who left
//! this NHI within the year has the year computed by the insurer of its base
//! date; the share it notifies is checked against what the person bore
//! here, applied for, paid by its difference when corrected upwards, and
//! recovered when corrected below what was paid.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::benefit::{ApplicationInput, Decision, EventInput, PayeeBasis};
use kokuho_app::recovery::RecoveryEvent;
use kokuho_app::session::Session;
use kokuho_app::share_notice::ShareNoticeInput;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::benefit::BenefitKind;
use kokuho_domain::eligibility::{LossReason, YearMonth, age_on};
use kokuho_store::high_cost::{self as runs, RunRow};
use kokuho_store::testing::all_backends;
use kokuho_store::yearly_cap::{self as borne, BorneMonthRow};
use kokuho_vault::Keyring;
use time::macros::{date, datetime};
use time::{Month, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);
const BASE: time::Date = date!(2026 - 07 - 31);

/// An employee-insurance insurer's number (8 digits with a valid check digit).
fn other_insurer() -> String {
    (0..10)
        .map(|d| format!("0113001{d}"))
        .find(|s| kokuho_domain::id::check_any_insurer_number(s).is_ok())
        .unwrap()
}

#[tokio::test]
async fn a_notified_share_is_checked_applied_for_paid_and_recovered() {
    use kokuho_app::payment_account::{AccountInput, AccountSource};
    use kokuho_domain::bank_account::{AccountType, BankAccount};
    for t in all_backends().await {
        let ring = Keyring::generate();
        let spec = TownSpec::demo(1_500, 31);
        town::generate(&t.db, &ring, &spec, T0, |_| {})
            .await
            .unwrap();
        let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number.clone());
        let sup_actor = app
            .actor_for("demo-supervisor", "tester", "test", T0)
            .await
            .unwrap();
        let clerk_actor = app
            .actor_for("demo-benefits", "tester", "test", T0)
            .await
            .unwrap();
        let sup = Session {
            app: &app,
            actor: &sup_actor,
        };
        let clerk = Session {
            app: &app,
            actor: &clerk_actor,
        };
        // A person 70–74 on the base date, insured from the year's start.
        let mut rows = Vec::new();
        app.for_each_insured_on(date!(2025 - 08 - 01), None, |r| {
            rows.push(r);
            Ok(())
        })
        .await
        .unwrap();
        let target = rows
            .into_iter()
            .filter(|r| {
                r.lost_on.is_none()
                    && (71..74).contains(&age_on(r.birth_date, BASE))
                    && r.household_number.is_some()
            })
            .min_by_key(|r| r.addressee_id.clone())
            .expect("a person 70–74 insured all year");
        let person = target.addressee_id.clone();
        // Left for employee insurance: insured here to 2026-02-28.
        sup.lose(
            &kokuho_app::eligibility::Loss {
                addressee_id: kokuho_domain::id::AddresseeId::parse(&person).unwrap(),
                reason: LossReason::JoinedEmployeeInsurance,
                event_on: date!(2026 - 02 - 28),
                notified_on: Some(date!(2026 - 03 - 05)),
                destination: None,
                next_insurer_number: None,
            },
            T0,
        )
        .await
        .unwrap();
        let last_here = app
            .last_insured_within(
                &kokuho_domain::id::AddresseeId::parse(&person).unwrap(),
                date!(2025 - 08 - 01),
                BASE,
            )
            .await
            .unwrap()
            .unwrap();
        assert!(last_here < date!(2026 - 03 - 01), "{last_here}");

        let issuer = other_insurer();
        let notice = |amount: i64| ShareNoticeInput {
            addressee_id: person.clone(),
            kind: BenefitKind::AnnualOutpatient,
            year: 2025,
            issuer: issuer.clone(),
            reference: "支給額計算結果連絡票 第45号".into(),
            notified_on: date!(2026 - 10 - 15),
            base_date: BASE,
            amount,
        };
        // Without the monthly runs of the months here, the share cannot be
        // checked: refused naming the months.
        let e = clerk
            .record_share_notice(&notice(20_000), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_ja, .. } if message_ja.contains("2025-08")),
            "{} {e:?}",
            t.name
        );
        // The months here, August to the month of the last day: 18,000 a
        // month after the month's benefit, as 70–74.
        let mut month = YearMonth {
            year: 2025,
            month: Month::August,
        };
        let last_month = YearMonth::from_date(last_here);
        let mut months = 0i64;
        loop {
            let key = kokuho_domain::burden::format_month(month);
            let mut tx = app.db.begin().await.unwrap();
            runs::insert_run(
                &mut tx,
                &app.insurer,
                &RunRow {
                    run_id: months + 1,
                    service_month: key.clone(),
                    rules_source: "test".into(),
                    ran_us: kokuho_app::eligibility::to_us(T0),
                    ran_by: "tester".into(),
                    borne_recorded: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            borne::insert_months(
                &mut tx,
                &app.insurer,
                &[BorneMonthRow {
                    run_id: months + 1,
                    service_month: key,
                    addressee_id: person.clone(),
                    household_number: target.household_number.clone().unwrap(),
                    age_group: "70_74".into(),
                    bears: 20_000,
                    aggregated: 20_000,
                    limit_benefit: 2_000,
                }],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            months += 1;
            if month >= last_month {
                break;
            }
            month = month.next();
        }
        let bore = 18_000 * months;

        // The checks, each naming its field.
        let refused = |e: AppError| match e {
            AppError::Invalid { field, .. } => field.to_string(),
            AppError::Conflict { message_ja, .. } => format!("conflict: {message_ja}"),
            other => format!("{other:?}"),
        };
        let cases = [
            (
                ShareNoticeInput {
                    amount: bore + 1,
                    ..notice(0)
                },
                "amount",
            ),
            (
                ShareNoticeInput {
                    issuer: app.insurer.as_str().into(),
                    ..notice(10_000)
                },
                "issuer",
            ),
            (
                ShareNoticeInput {
                    // a wrong check digit
                    issuer: format!("{}{}", &issuer[..7], (issuer.as_bytes()[7] - b'0' + 1) % 10),
                    ..notice(10_000)
                },
                "issuer",
            ),
            (
                ShareNoticeInput {
                    reference: "個人番号 123456789018".into(),
                    ..notice(10_000)
                },
                "reference",
            ),
            (
                ShareNoticeInput {
                    notified_on: date!(2026 - 07 - 30),
                    ..notice(10_000)
                },
                "notified_on",
            ),
            (
                ShareNoticeInput {
                    base_date: date!(2026 - 08 - 01),
                    ..notice(10_000)
                },
                "base_date",
            ),
            (
                ShareNoticeInput {
                    kind: BenefitKind::FuneralGrant,
                    ..notice(10_000)
                },
                "kind",
            ),
        ];
        for (input, field) in cases {
            let e = clerk.record_share_notice(&input, T0).await.unwrap_err();
            assert_eq!(refused(e), field, "{} {:?}", t.name, input);
        }
        // a base date the person was insured here on: this insurer computes
        let e = clerk
            .record_share_notice(
                &ShareNoticeInput {
                    base_date: date!(2026 - 01 - 31),
                    ..notice(10_000)
                },
                T0,
            )
            .await
            .unwrap_err();
        assert!(refused(e).contains("当保険者で計算"), "{}", t.name);
        // the levy clerk may not enter one
        let levy_actor = app
            .actor_for("demo-levy", "tester", "test", T0)
            .await
            .unwrap();
        let e = Session {
            app: &app,
            actor: &levy_actor,
        }
        .record_share_notice(&notice(10_000), T0)
        .await
        .unwrap_err();
        assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");

        // Entered; a second live notice of the year is refused.
        let first = clerk
            .record_share_notice(&notice(30_000), T0)
            .await
            .unwrap();
        let e = clerk
            .record_share_notice(&notice(30_000), T0)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");

        // Applied for: the share, on the last day insured here.
        let apply = ApplicationInput {
            addressee_id: person.clone(),
            event: EventInput::AnnualOutpatient { year: 2025 },
            received_on: date!(2026 - 10 - 20),
            applicant: "本人".into(),
            documents: "申請書、支給額計算結果連絡票の写し".into(),
            payee_id: Some(person.clone()),
            application_account: false,
            payee_basis: PayeeBasis::Entitled,
            entitled_id: None,
            simplified_route: false,
        };
        // received on the base date: the right arises the day after
        let e = clerk
            .receive_application(
                &ApplicationInput {
                    received_on: BASE,
                    ..apply.clone()
                },
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(e.field(), Some("received_on"), "{e:?}");
        let a = clerk.receive_application(&apply, T0).await.unwrap();
        assert_eq!((a.amount, a.provisional), (30_000, false), "{}", t.name);
        assert_eq!(a.kind, "annual_outpatient");
        assert_eq!(a.event_on, last_here);
        assert!(
            a.steps
                .iter()
                .any(|s| s.contains("第45号") && s.contains("30,000円")),
            "{:?}",
            a.steps
        );
        assert!(a.rule.contains(&issuer), "{}", a.rule);
        // while it awaits its decision, a second is refused
        let e = clerk.receive_application(&apply, T0).await.unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
        sup.decide_application(a.application_id, &Decision::Pay, date!(2026 - 10 - 21), T0)
            .await
            .unwrap();
        let e = clerk.receive_application(&apply, T0).await.unwrap_err();
        assert!(
            matches!(&e, AppError::Invalid { message_ja, .. } if message_ja.contains("申請済み")),
            "{e:?}"
        );

        // Corrected upwards: the difference only.
        clerk.void_share_notice(first, T0).await.unwrap();
        let second = clerk
            .record_share_notice(&notice(36_000), T0)
            .await
            .unwrap();
        let b = clerk.receive_application(&apply, T0).await.unwrap();
        assert_eq!(b.amount, 6_000, "{:?}", b.steps);
        assert!(
            b.steps.iter().any(|s| s.contains("申請済み")),
            "{:?}",
            b.steps
        );
        sup.decide_application(b.application_id, &Decision::Pay, date!(2026 - 10 - 21), T0)
            .await
            .unwrap();

        // Paid through a payment run.
        clerk
            .register_account(
                &AccountInput {
                    addressee_id: person.clone(),
                    source: AccountSource::PublicFunds,
                    account: BankAccount {
                        bank_code: "0166".into(),
                        branch_code: "201".into(),
                        account_type: AccountType::Ordinary,
                        number: "0001000".into(),
                        holder: "ヤマダ　タロウ".into(),
                    },
                    confirmed_on: date!(2026 - 11 - 01),
                },
                T0,
            )
            .await
            .unwrap();
        sup.set_bank_contract(&town::benefits_sample::demo_contract(), T0)
            .await
            .unwrap();
        let run = clerk
            .create_payment_run(date!(2026 - 11 - 24), date!(2026 - 11 - 30), T0)
            .await
            .unwrap();
        assert_eq!(run.total, 36_000, "{}", t.name);
        sup.approve_payment_run(run.run_id, T0).await.unwrap();
        sup.write_payment_file(run.run_id, T0).await.unwrap();
        clerk.mark_payment_run_sent(run.run_id, T0).await.unwrap();

        // Corrected below what was paid: applying is refused, the
        // supervisor assesses the difference.
        clerk.void_share_notice(second, T0).await.unwrap();
        clerk
            .record_share_notice(&notice(25_000), T0)
            .await
            .unwrap();
        let e = clerk.receive_application(&apply, T0).await.unwrap_err();
        assert!(
            matches!(&e, AppError::Invalid { message_ja, .. } if message_ja.contains("返納")),
            "{e:?}"
        );
        let event = RecoveryEvent::AnnualOutpatient {
            addressee_id: person.clone(),
            year: 2025,
        };
        let r = sup
            .assess_recovery(&event, date!(2026 - 11 - 24), date!(2026 - 12 - 25), T0)
            .await
            .unwrap();
        assert_eq!(r.kind, "annual_outpatient");
        assert_eq!(r.subject, person);
        assert_eq!(r.period, "2025:share");
        assert_eq!(
            (r.paid_total, r.due_total, r.amount),
            (36_000, 25_000, 11_000)
        );
        assert!(r.basis.contains("支給額計算結果連絡票"), "{}", r.basis);

        // Listed, voided ones too; every entry, void and view logged.
        let list = clerk.share_notices(&person, T0).await.unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list.iter().filter(|n| !n.voided).count(), 1);
        let log: Vec<(String, String, String, String)> = kokuho_store::with_db!(&t.db, |p| {
            sqlx::query_as(
                "SELECT action, subjects, outcome, detail FROM access_log \
                 WHERE action LIKE 'share_notice%' ORDER BY seq",
            )
            .fetch_all(p)
            .await
            .unwrap()
        });
        let allowed = |action: &str| {
            log.iter()
                .filter(|(a, s, o, _)| a == action && o == "allowed" && s.contains(&person))
                .count()
        };
        // three kept, two voided, one list; the refused entries keep nothing
        assert_eq!(
            (
                allowed("share_notice_record"),
                allowed("share_notice_void"),
                allowed("share_notices_view")
            ),
            (3, 2, 1),
            "{} {log:?}",
            t.name
        );
        // the notice's reference never carries a My Number into the log
        assert!(log.iter().all(|(_, _, _, d)| !d.contains("123456789018")));

        // 高額介護合算 of the same year, computed by the same insurer: its
        // share is bounded by all the person bore here (not only 70–74),
        // applied for apart from 外来年間合算, and its recoveries are the
        // notices' own (period "2025:share"), not the household's year.
        let cc = |amount: i64| ShareNoticeInput {
            kind: BenefitKind::CombinedCare,
            reference: "第46号".into(),
            ..notice(amount)
        };
        clerk.record_share_notice(&cc(12_000), T0).await.unwrap();
        let c = clerk
            .receive_application(
                &ApplicationInput {
                    event: EventInput::CombinedCare { year: 2025 },
                    ..apply.clone()
                },
                T0,
            )
            .await
            .unwrap();
        assert_eq!((c.kind, c.amount), ("combined_care", 12_000), "{}", t.name);
        assert_eq!(c.event_on, last_here);
        assert!(c.rule.contains("第57条の3"), "{}", c.rule);
    }
}
