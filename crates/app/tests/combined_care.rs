//! 高額介護合算療養費 on both backends: the household's year from the
//! monthly runs' kept months and the certificates entered, the checks on a
//! certificate, the application and its refusals, and the access log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::benefit::{ApplicationInput, Decision, EventInput, PayeeBasis};
use kokuho_app::combined_care::{CertificateInput, Side};
use kokuho_app::session::Session;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::burden::Under70;
use kokuho_domain::combined_care::CombinedCareRules;
use kokuho_domain::eligibility::YearMonth;
use kokuho_formats::text::Encoding;
use kokuho_store::high_cost::{self as runs, RunRow};
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_store::yearly_cap::{self as borne, BorneMonthRow};
use kokuho_vault::Keyring;
use time::macros::{date, datetime};
use time::{Month, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);
const BASE: time::Date = date!(2027 - 07 - 31);
const AFTER: OffsetDateTime = datetime!(2027-09-01 01:00 UTC);

fn certificate(person: &str, issuer: &str, amount: i64) -> CertificateInput {
    CertificateInput {
        addressee_id: person.into(),
        year: 2026,
        side: Side::Care,
        issuer: issuer.into(),
        certificate: "第12号（令和9年8月20日交付）".into(),
        from_month: "2026-08".into(),
        to_month: "2027-07".into(),
        amount,
        amount_70_74: 0,
    }
}

/// A town, a person and their year as the tests take them.
struct Year {
    app: Kokuho,
    sup: kokuho_app::access::Actor,
    clerk: kokuho_app::access::Actor,
    /// under 70, insured all year, in a household with an under-70
    /// category and none for 70–74 in the year's July
    target: kokuho_store::eligibility::InsuredRow,
    household: String,
    /// the household's under-70 limit for the year
    limit: i64,
}

/// A town judged for the July that ends the year whose August is `year`
/// (on the incomes of the year before), the person, and twelve monthly
/// runs that kept `(bears, aggregated, limit_benefit)` for them each month.
async fn year_of(t: &TestDb, seed: u64, year: i32, kept: (i64, i64, i64)) -> Year {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(1_500, seed);
    town::generate(&t.db, &ring, &spec, T0, |_| {})
        .await
        .unwrap();
    let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number.clone());
    let sup = app
        .actor_for("demo-supervisor", "tester", "test", T0)
        .await
        .unwrap();
    let s = Session {
        app: &app,
        actor: &sup,
    };
    let income = s.sample_income(year - 1, T0).await.unwrap();
    let bytes = kokuho_formats::income::write(&income, Encoding::Utf8).unwrap();
    s.import_income(
        &format!("income-{}.csv", year - 1),
        &bytes,
        Encoding::Utf8,
        T0,
    )
    .await
    .unwrap();
    let july = YearMonth {
        year: year + 1,
        month: Month::July,
    };
    s.recompute_burden(&[july], T0).await.unwrap();
    let clerk = app
        .actor_for("demo-benefits", "tester", "test", T0)
        .await
        .unwrap();
    let base = july.last_day().unwrap();
    let categories = kokuho_store::claims::categories_known_at(
        &t.db,
        &app.insurer,
        &kokuho_domain::burden::format_month(july),
        i64::MAX,
    )
    .await
    .unwrap();
    let mut month = YearMonth {
        year,
        month: Month::August,
    };
    let mut rows = Vec::new();
    app.for_each_insured_on(month.first_day().unwrap(), None, |r| {
        rows.push(r);
        Ok(())
    })
    .await
    .unwrap();
    let target = rows
        .into_iter()
        .filter(|r| {
            r.lost_on.is_none()
                && kokuho_domain::eligibility::age_on(r.birth_date, base) < 69
                && kokuho_domain::eligibility::age_on(r.birth_date, base) > 20
                && r.household_number.as_ref().is_some_and(|h| {
                    categories.get(h).is_some_and(|c| {
                        c.category_under_70.is_some() && c.category_70_74.is_none()
                    })
                })
        })
        .min_by_key(|r| r.addressee_id.clone())
        .expect("a person under 70 insured all year");
    let household = target.household_number.clone().unwrap();
    let limit = CombinedCareRules::shipped()
        .unwrap()
        .for_year(year)
        .unwrap()
        .under_70(
            categories[&household]
                .category_under_70
                .as_deref()
                .and_then(Under70::from_label)
                .unwrap(),
        );
    let (bears, aggregated, limit_benefit) = kept;
    for i in 0..12i64 {
        let key = kokuho_domain::burden::format_month(month);
        let mut tx = app.db.begin().await.unwrap();
        runs::insert_run(
            &mut tx,
            &app.insurer,
            &RunRow {
                run_id: i + 1,
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
                run_id: i + 1,
                service_month: key,
                addressee_id: target.addressee_id.clone(),
                household_number: household.clone(),
                age_group: "under_70".into(),
                bears,
                aggregated,
                limit_benefit,
            }],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        month = month.next();
    }
    Year {
        app,
        sup,
        clerk,
        target,
        household,
        limit,
    }
}

#[tokio::test]
async fn the_households_year_adds_the_runs_months_and_the_care_certificate() {
    for t in all_backends().await {
        // Twelve monthly runs: each month a unit of 130,000 added up, of
        // which the month's benefit paid 30,000, and 10,000 in units under
        // the floor (not counted): 100,000 a month, 1,200,000 the year.
        let y = year_of(&t, 21, 2026, (140_000, 130_000, 30_000)).await;
        let (app, target, limit) = (&y.app, &y.target, y.limit);
        let s = Session { app, actor: &y.sup };
        let clerk = Session {
            app,
            actor: &y.clerk,
        };

        // Before the base date has passed: refused.
        let e = clerk
            .combined_care_year(&target.addressee_id, 2026, datetime!(2027-07-20 01:00 UTC))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");

        // Without the care insurer's certificate nothing comes of the year.
        let y = clerk
            .combined_care_year(&target.addressee_id, 2026, AFTER)
            .await
            .unwrap();
        assert_eq!(y.base_date, BASE);
        assert!(y.care_missing && !y.eligible);
        assert_eq!((y.medical, y.care), (0, 0));
        let me = y
            .members
            .iter()
            .find(|m| m.addressee_id == target.addressee_id)
            .unwrap();
        assert_eq!(me.medical_here, 1_200_000);
        let apply = |person: &str| ApplicationInput {
            addressee_id: person.into(),
            event: EventInput::CombinedCare { year: 2026 },
            received_on: date!(2027 - 08 - 25),
            applicant: "世帯主".into(),
            documents: "申請書".into(),
            payee_id: None,
            application_account: false,
            payee_basis: PayeeBasis::Entitled,
            entitled_id: None,
            simplified_route: false,
        };
        let e = clerk
            .receive_application(&apply(&target.addressee_id), AFTER)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Invalid { field: "year", message_ja, .. } if message_ja.contains("介護保険の自己負担額証明書")),
            "{e:?}"
        );

        // A certificate's checks: nothing is kept when refused.
        let refusals = [
            (certificate(&target.addressee_id, "12345", 1), "issuer"),
            (
                CertificateInput {
                    from_month: "2026-07".into(),
                    ..certificate(&target.addressee_id, "319012", 1)
                },
                "from_month",
            ),
            (
                CertificateInput {
                    amount_70_74: 2,
                    ..certificate(&target.addressee_id, "319012", 1)
                },
                "amount_70_74",
            ),
            (
                CertificateInput {
                    certificate: " ".into(),
                    ..certificate(&target.addressee_id, "319012", 1)
                },
                "certificate",
            ),
            (
                CertificateInput {
                    side: Side::Medical,
                    ..certificate(&target.addressee_id, app.insurer.as_str(), 1)
                },
                "issuer",
            ),
        ];
        for (c, field) in refusals {
            let e = clerk
                .record_combined_care_certificate(&c, AFTER)
                .await
                .unwrap_err();
            assert_eq!(e.field(), Some(field), "{e:?}");
        }
        // The care insurer certifies 1,200,000 of care copays.
        let entry = clerk
            .record_combined_care_certificate(
                &certificate(&target.addressee_id, "319012", 1_200_000),
                AFTER,
            )
            .await
            .unwrap();
        let dup = clerk
            .record_combined_care_certificate(
                &certificate(&target.addressee_id, "319012", 5),
                AFTER,
            )
            .await
            .unwrap_err();
        assert!(matches!(dup, AppError::Conflict { .. }), "{dup:?}");

        // 1,200,000 + 1,200,000 − the limit, split half and half.
        let y = clerk
            .combined_care_year(&target.addressee_id, 2026, AFTER)
            .await
            .unwrap();
        let excess = 2_400_000 - limit;
        assert!(y.eligible && y.paid && !y.care_missing);
        assert_eq!(y.excess, excess);
        assert_eq!((y.medical, y.care), (excess / 2, excess / 2));
        assert!(!y.rounded);
        // the year 2026-08 to 2027-07 has limits not yet confirmed
        assert!(y.provisional);
        assert!(y.steps.iter().any(|s| s.starts_with("②")), "{:?}", y.steps);
        assert!(y.householder_id.is_some());

        // The result for the care insurer (支給額計算結果連絡票), printed:
        // addressed to the care certificate's insurer, each side's total.
        let doc = clerk
            .issue_document(
                kokuho_app::documents::DocumentKind::CombinedCareResult,
                &kokuho_app::documents::Subject::PersonYear {
                    person: kokuho_domain::id::AddresseeId::parse(&target.addressee_id).unwrap(),
                    year: 2026,
                },
                Default::default(),
                AFTER,
            )
            .await
            .unwrap();
        assert!(doc.subjects.contains(&target.addressee_id));
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("combined-care-result-{}.pdf", t.name));
        std::fs::write(&path, &doc.pdf).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) must be installed");
        let text: String = String::from_utf8(out.stdout)
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let half = kokuho_domain::burden::yen(excess / 2);
        for want in [
            "支給額計算結果連絡票".to_string(),
            "介護保険者（保険者番号319012）御中".to_string(),
            format!("{half}円"),
        ] {
            assert!(text.contains(&want), "{want}: {text}");
        }

        // The levy clerk may not see it.
        let levy = app
            .actor_for("demo-levy", "tester", "test", T0)
            .await
            .unwrap();
        let e = Session { app, actor: &levy }
            .combined_care_year(&target.addressee_id, 2026, AFTER)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");

        // Applied for: this insurer's part, paid to the householder of the
        // base date; provisional, so a supervisor cannot decide to pay it.
        let a = clerk
            .receive_application(&apply(&target.addressee_id), AFTER)
            .await
            .unwrap();
        assert_eq!(a.amount, excess / 2);
        assert_eq!(a.kind, "combined_care");
        assert!(a.provisional);
        assert_eq!(Some(a.payee_id.clone()), y.householder_id);
        let again = clerk
            .receive_application(&apply(&target.addressee_id), AFTER)
            .await
            .unwrap_err();
        assert!(matches!(again, AppError::Conflict { .. }), "{again:?}");
        let e = s
            .decide_application(
                a.application_id,
                &Decision::Pay,
                date!(2027 - 09 - 01),
                AFTER,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_ja, .. } if message_ja.contains("暫定")),
            "{e:?}"
        );

        // The certificate voided: the year comes to nothing again.
        clerk
            .void_combined_care_certificate(entry, AFTER)
            .await
            .unwrap();
        let y = clerk
            .combined_care_year(&target.addressee_id, 2026, AFTER)
            .await
            .unwrap();
        assert!(y.care_missing && y.medical == 0);
        let certs = clerk
            .combined_care_certificates(&target.addressee_id, 2026, AFTER)
            .await
            .unwrap();
        assert_eq!(certs.len(), 1);
        assert!(certs[0].voided);

        let logged: i64 = kokuho_store::with_db!(&t.db, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM access_log WHERE action IN \
                 ('combined_care_view', 'combined_care_certificate_record', \
                  'combined_care_certificate_void', 'combined_care_certificates_view')",
            )
            .fetch_one(p)
            .await
            .unwrap()
        });
        // three views, one certificate kept, one voided, one list; the
        // refused calls keep nothing
        assert_eq!(logged, 6, "{}", t.name);
    }
}

/// A year whose limits are confirmed (2025-08 to 2026-07): applied for,
/// decided, paid through a payment run; then the care certificate turns
/// out lower, and the householder owes the difference (返納金).
#[tokio::test]
async fn a_paid_year_decided_lower_later_is_recovered() {
    use kokuho_app::payment_account::{AccountInput, AccountSource};
    use kokuho_app::recovery::RecoveryEvent;
    use kokuho_domain::bank_account::{AccountType, BankAccount};
    for t in all_backends().await {
        let y = year_of(&t, 22, 2025, (100_000, 100_000, 0)).await;
        let (app, target, household, limit) = (&y.app, &y.target, y.household.clone(), y.limit);
        let sup = Session { app, actor: &y.sup };
        let clerk = Session {
            app,
            actor: &y.clerk,
        };
        let first = clerk
            .record_combined_care_certificate(
                &CertificateInput {
                    year: 2025,
                    from_month: "2025-08".into(),
                    to_month: "2026-07".into(),
                    ..certificate(&target.addressee_id, "319012", 1_200_000)
                },
                T0,
            )
            .await
            .unwrap();
        let y = clerk
            .combined_care_year(&target.addressee_id, 2025, T0)
            .await
            .unwrap();
        let paid = (2_400_000 - limit) / 2;
        assert_eq!(y.medical, paid);
        assert!(!y.provisional, "{:?}", y.steps);

        let apply = ApplicationInput {
            addressee_id: target.addressee_id.clone(),
            event: EventInput::CombinedCare { year: 2025 },
            received_on: date!(2026 - 11 - 20),
            applicant: "世帯主".into(),
            documents: "申請書".into(),
            payee_id: None,
            application_account: false,
            payee_basis: PayeeBasis::Entitled,
            entitled_id: None,
            simplified_route: false,
        };
        let a = clerk.receive_application(&apply, T0).await.unwrap();
        assert_eq!((a.amount, a.provisional), (paid, false));
        assert_eq!(a.household_number.as_deref(), Some(household.as_str()));
        assert!(a.steps.iter().any(|s| s.starts_with("②")), "{:?}", a.steps);
        sup.decide_application(a.application_id, &Decision::Pay, date!(2026 - 11 - 24), T0)
            .await
            .unwrap();
        // Paid: an account, the bank contract, a run made, approved,
        // written and sent.
        clerk
            .register_account(
                &AccountInput {
                    addressee_id: a.payee_id.clone(),
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
        assert_eq!(run.total, paid);
        sup.approve_payment_run(run.run_id, T0).await.unwrap();
        sup.write_payment_file(run.run_id, T0).await.unwrap();
        clerk.mark_payment_run_sent(run.run_id, T0).await.unwrap();

        // Applied for in full: a second application is refused.
        let e = clerk.receive_application(&apply, T0).await.unwrap_err();
        assert!(
            matches!(&e, AppError::Invalid { field: "year", message_ja, .. } if message_ja.contains("申請済み")),
            "{e:?}"
        );
        // The care insurer corrects its certificate to 800,000: this
        // insurer's part is now 1,200,000 / 2,000,000 of what passes the
        // limit (a whole yen, whatever the category: every limit is a
        // multiple of 10,000).
        clerk
            .void_combined_care_certificate(first, T0)
            .await
            .unwrap();
        clerk
            .record_combined_care_certificate(
                &CertificateInput {
                    year: 2025,
                    from_month: "2025-08".into(),
                    to_month: "2026-07".into(),
                    certificate: "第12号の訂正".into(),
                    ..certificate(&target.addressee_id, "319012", 800_000)
                },
                T0,
            )
            .await
            .unwrap();
        let event = RecoveryEvent::CombinedCare {
            addressee_id: target.addressee_id.clone(),
            year: 2025,
        };
        // the clerk may not assess it
        let e = clerk
            .assess_recovery(&event, date!(2026 - 11 - 24), date!(2026 - 12 - 25), T0)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
        let r = sup
            .assess_recovery(&event, date!(2026 - 11 - 24), date!(2026 - 12 - 25), T0)
            .await
            .unwrap();
        assert_eq!(r.kind, "combined_care");
        assert_eq!(r.subject, household);
        assert_eq!(r.period, "2025");
        assert_eq!(r.debtor_id, a.payee_id);
        let due = (2_000_000 - limit) * 3 / 5;
        assert_eq!((r.paid_total, r.due_total), (paid, due));
        assert_eq!(r.amount, paid - due);
        assert!(r.basis.contains("高額介護合算の計算"), "{}", r.basis);
        // while it is owed, the year cannot be applied for again
        let e = clerk.receive_application(&apply, T0).await.unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
        // assessed once: nothing more is owed
        let e = sup
            .assess_recovery(&event, date!(2026 - 11 - 24), date!(2026 - 12 - 25), T0)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
        // Repaid; then the care insurer's first figure turns out right after
        // all: the year is back at what was paid, and the difference the
        // recovery took back is applied for again (a new application).
        clerk
            .settle_recovery(r.recovery_id, true, date!(2026 - 11 - 24), "", T0)
            .await
            .unwrap();
        let second = kokuho_store::combined_care::of_persons(
            &t.db,
            &app.insurer,
            2025,
            std::slice::from_ref(&target.addressee_id),
        )
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.voided_us.is_none())
        .unwrap()
        .entry_id;
        clerk
            .void_combined_care_certificate(second, T0)
            .await
            .unwrap();
        clerk
            .record_combined_care_certificate(
                &CertificateInput {
                    year: 2025,
                    from_month: "2025-08".into(),
                    to_month: "2026-07".into(),
                    certificate: "第12号の再訂正".into(),
                    ..certificate(&target.addressee_id, "319012", 1_200_000)
                },
                T0,
            )
            .await
            .unwrap();
        let again = clerk.receive_application(&apply, T0).await.unwrap();
        assert_eq!(again.amount, paid - due);
        assert!(
            again.steps.iter().any(|s| s.contains("申請済み")),
            "{:?}",
            again.steps
        );

        // A month whose run left this household out (no burden category):
        // the year is refused naming it, never computed short.
        let mut tx = app.db.begin().await.unwrap();
        runs::insert_run(
            &mut tx,
            &app.insurer,
            &RunRow {
                run_id: 13,
                service_month: "2025-09".into(),
                rules_source: "test".into(),
                ran_us: kokuho_app::eligibility::to_us(T0) + 1,
                ran_by: "tester".into(),
                borne_recorded: true,
                borne_left_out: household.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let e = clerk
            .combined_care_year(&target.addressee_id, 2025, T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_ja, .. } if message_ja.contains("2025-09") && message_ja.contains(&household)),
            "{e:?}"
        );
        // A person under 70 all year has no months as 70–74 to certify.
        let e = clerk
            .record_combined_care_certificate(
                &CertificateInput {
                    year: 2025,
                    from_month: "2025-08".into(),
                    to_month: "2026-07".into(),
                    issuer: "319012".into(),
                    amount_70_74: 1,
                    ..certificate(&target.addressee_id, "319012", 10)
                },
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(e.field(), Some("amount_70_74"), "{e:?}");
        // another medical insurer's months that were all insured here
        let e = clerk
            .record_combined_care_certificate(
                &CertificateInput {
                    year: 2025,
                    side: Side::Medical,
                    from_month: "2025-09".into(),
                    to_month: "2025-10".into(),
                    ..certificate(&target.addressee_id, "06130017", 10)
                },
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(e.field(), Some("from_month"), "{e:?}");
    }
}
