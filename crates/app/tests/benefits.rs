//! Benefit applications, decisions and payment runs on both backends: each
//! kind's amount from the rules of its date, every refusal named with
//! nothing kept, the supervisor's decision (never by the receiving clerk),
//! the payment run from creation to the bank's answer — its 全銀 file
//! checked byte for byte against a hand-made one and read back — and a
//! property test that no sequence of operations pays a benefit twice or
//! loses one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::access::Actor;
use kokuho_app::benefit::{ApplicationInput, Decision, EventInput, PayeeBasis};
use kokuho_app::payment_account::{AccountInput, AccountSource};
use kokuho_app::session::Session;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::bank_account::{AccountType, BankAccount};
use kokuho_domain::benefit::ReimbursementType;
use kokuho_store::eligibility::InsuredRow;
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_vault::Keyring;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-25 01:00 UTC);
const DAY: Date = date!(2026 - 10 - 15);

async fn town(t: &TestDb) -> Kokuho {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(300, 21);
    town::generate(&t.db, &ring, &spec, T0, |_| {})
        .await
        .unwrap();
    Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number)
}

struct Actors {
    clerk: Actor,
    sup: Actor,
    levy: Actor,
}

async fn actors(app: &Kokuho) -> Actors {
    let a = |n: &'static str| app.actor_for(n, "tester", "test", T0);
    Actors {
        clerk: a("demo-benefits").await.unwrap(),
        sup: a("demo-supervisor").await.unwrap(),
        levy: a("demo-levy").await.unwrap(),
    }
}

/// Persons insured on `DAY`, in a household, in addressee order.
async fn insured(app: &Kokuho) -> Vec<InsuredRow> {
    let mut v = Vec::new();
    app.for_each_insured_on(DAY, None, |r| {
        if r.household_number.is_some() {
            v.push(r);
        }
        Ok(())
    })
    .await
    .unwrap();
    v.sort_by(|a, b| a.addressee_id.cmp(&b.addressee_id));
    v
}

fn input(person: &str, event: EventInput) -> ApplicationInput {
    ApplicationInput {
        addressee_id: person.to_string(),
        event,
        received_on: date!(2026 - 11 - 20),
        applicant: "本人".into(),
        documents: "領収書".into(),
        payee_id: None,
        application_account: false,
        payee_basis: PayeeBasis::Entitled,
        entitled_id: None,
        simplified_route: false,
    }
}

fn birth(on: Date) -> EventInput {
    EventInput::Childbirth {
        born_on: on,
        children: 1,
        gestation_days: 280,
        compensation_covered: true,
        paid_directly: 0,
    }
}

fn transport(paid: i64) -> EventInput {
    EventInput::Transport {
        moved_on: DAY,
        paid,
        economical: 1_000_000,
    }
}

async fn count(t: &TestDb, table: &str) -> i64 {
    kokuho_store::with_db!(&t.db, |p| sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {table}"
    )))
    .fetch_one(p)
    .await
    .unwrap())
}

async fn account(s: &Session<'_>, person: &str, number: &str, holder: &str) {
    s.register_account(
        &AccountInput {
            addressee_id: person.to_string(),
            source: AccountSource::PublicFunds,
            account: BankAccount {
                bank_code: "0166".into(),
                branch_code: "201".into(),
                account_type: AccountType::Ordinary,
                number: number.into(),
                holder: holder.into(),
            },
            confirmed_on: date!(2026 - 11 - 01),
        },
        T0,
    )
    .await
    .unwrap();
}

fn field_of(e: &AppError) -> &'static str {
    match e {
        AppError::Invalid { field, .. } => field,
        AppError::Conflict { .. } => "(conflict)",
        AppError::Forbidden { .. } => "(forbidden)",
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn applications_are_checked_then_decided_by_another_supervisor() {
    for t in all_backends().await {
        let app = town(&t).await;
        let a = actors(&app).await;
        let clerk = Session {
            app: &app,
            actor: &a.clerk,
        };
        let sup = Session {
            app: &app,
            actor: &a.sup,
        };
        let people = insured(&app).await;
        let p = people[0].addressee_id.clone();

        // 出産育児一時金 by the date's rule: 500,000 now; the rule recorded.
        let v = clerk
            .receive_application(&input(&p, birth(DAY)), T0)
            .await
            .unwrap();
        assert_eq!(v.amount, 500_000);
        assert!(v.rule.contains("2023-04-01"), "{}", v.rule);
        assert_eq!(v.status, "審査待ち");
        // paid to the householder of the day
        assert!(!v.payee_id.is_empty());

        // Refusals, each named, nothing kept.
        let before = count(&t, "benefit_application").await;
        let refusals: Vec<(ApplicationInput, &str)> = vec![
            // a second application for the same birth
            (input(&p, birth(DAY)), "(conflict)"),
            // an amount outside the rules
            (input(&p, transport(-5)), "paid"),
            // before 85 days of pregnancy
            (
                input(
                    &p,
                    EventInput::Childbirth {
                        born_on: date!(2026 - 10 - 16),
                        children: 1,
                        gestation_days: 60,
                        compensation_covered: false,
                        paid_directly: 0,
                    },
                ),
                "gestation_days",
            ),
            // 葬祭費 without who held the funeral
            (
                input(
                    &p,
                    EventInput::Funeral {
                        died_on: DAY,
                        funeral_on: DAY,
                    },
                ),
                "payee_id",
            ),
            // not insured on the day (before the person was born)
            (
                input(&p, transport(1000))
                    .with_day(people[0].birth_date - time::Duration::days(30)),
                "addressee_id",
            ),
            // two years passed (国民健康保険法 第110条)
            (
                ApplicationInput {
                    received_on: date!(2026 - 11 - 20),
                    ..input(
                        &p,
                        EventInput::Transport {
                            moved_on: date!(2024 - 11 - 19),
                            paid: 1000,
                            economical: 1000,
                        },
                    )
                },
                "received_on",
            ),
            // 療養費 without the receipt's reference
            (
                input(
                    &p,
                    EventInput::Reimbursement {
                        kind: ReimbursementType::Appliance,
                        service_on: DAY,
                        cost: 10_000,
                        reference: " ".into(),
                    },
                ),
                "reference",
            ),
            // a My Number typed into free text, in either width
            (
                ApplicationInput {
                    applicant: "本人 123456789018".into(),
                    ..input(&p, transport(1000))
                },
                "applicant",
            ),
            (
                ApplicationInput {
                    documents: "領収書（１２３４５６７８９０１８）".into(),
                    ..input(&p, transport(1000))
                },
                "documents",
            ),
            // a payee other than the householder for a birth
            (
                ApplicationInput {
                    payee_id: Some(people[1].addressee_id.clone()),
                    ..input(&p, birth(date!(2026 - 10 - 20)))
                },
                "payee_basis",
            ),
            // a high-cost month without a run's decision
            (
                input(
                    "",
                    EventInput::HighCost {
                        household_number: people[0].household_number.clone().unwrap(),
                        service_month: kokuho_domain::burden::parse_month("2026-01").unwrap(),
                    },
                ),
                "service_month",
            ),
        ];
        for (i, want) in refusals {
            let e = clerk.receive_application(&i, T0).await.unwrap_err();
            assert_eq!(field_of(&e), want, "{e:?}");
        }
        assert_eq!(count(&t, "benefit_application").await, before);

        // The levy clerk may not receive; the benefits clerk may not decide.
        let levy = Session {
            app: &app,
            actor: &a.levy,
        };
        let e = levy
            .receive_application(&input(&p, transport(100)), T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(forbidden)");
        let e = clerk
            .decide_application(v.application_id, &Decision::Pay, date!(2026 - 11 - 25), T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(forbidden)");

        // The supervisor who received an application cannot decide it.
        let own = sup
            .receive_application(&input(&people[1].addressee_id, transport(2_400)), T0)
            .await
            .unwrap();
        assert_eq!(own.amount, 2_400);
        let e = sup
            .decide_application(
                own.application_id,
                &Decision::Pay,
                date!(2026 - 11 - 25),
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");

        // A refusal needs its reason; once refused, the event may be
        // applied for again.
        let e = sup
            .decide_application(
                v.application_id,
                &Decision::Refuse { reason: " ".into() },
                date!(2026 - 11 - 25),
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "reason");
        // nor a My Number in it
        let e = sup
            .decide_application(
                v.application_id,
                &Decision::Refuse {
                    reason: "番号 123456789018 の方".into(),
                },
                date!(2026 - 11 - 25),
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "reason");
        let refused = sup
            .decide_application(
                v.application_id,
                &Decision::Refuse {
                    reason: "他の保険者から支給済み".into(),
                },
                date!(2026 - 11 - 25),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(refused.status, "不支給決定");
        let again = clerk
            .receive_application(&input(&p, birth(DAY)), T0)
            .await
            .unwrap();
        let paid = sup
            .decide_application(
                again.application_id,
                &Decision::Pay,
                date!(2026 - 11 - 25),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(paid.status, "支給決定");
        assert_eq!(paid.decided_by.as_deref(), Some("demo-supervisor"));
        // decided once only
        let e = sup
            .decide_application(
                again.application_id,
                &Decision::Pay,
                date!(2026 - 11 - 25),
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");

        // 葬祭費 rests on the provisional town amount: received, but not
        // decided to pay until the figure is confirmed.
        let funeral = clerk
            .receive_application(
                &ApplicationInput {
                    payee_id: Some(people[1].addressee_id.clone()),
                    ..input(
                        &people[2].addressee_id,
                        EventInput::Funeral {
                            died_on: DAY,
                            funeral_on: DAY,
                        },
                    )
                },
                T0,
            )
            .await
            .unwrap();
        assert!(funeral.provisional);
        let e = sup
            .decide_application(
                funeral.application_id,
                &Decision::Pay,
                date!(2026 - 11 - 25),
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");
        sup.decide_application(
            funeral.application_id,
            &Decision::Refuse {
                reason: "葬祭の事実が確認できない".into(),
            },
            date!(2026 - 11 - 25),
            T0,
        )
        .await
        .unwrap();

        // The history shows both, the queue the one left.
        let h = clerk.benefit_history(&p, T0).await.unwrap();
        assert!(h.len() >= 2);
        let q = sup.decision_queue(50, T0).await.unwrap();
        assert_eq!(
            q.iter().map(|a| a.application_id).collect::<Vec<_>>(),
            vec![own.application_id]
        );
        // every write and read access-logged
        let logged: i64 = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM access_log WHERE action IN ('benefit_application_write', 'benefit_decision', 'benefit_view')"
        )
        .fetch_one(c)
        .await
        .unwrap()
        });
        assert!(logged >= 7, "{logged}");
    }
}

trait WithDay {
    fn with_day(self, d: Date) -> Self;
}

impl WithDay for ApplicationInput {
    fn with_day(mut self, d: Date) -> Self {
        if let EventInput::Transport { moved_on, .. } = &mut self.event {
            *moved_on = d;
        }
        self.received_on = d + time::Duration::days(3);
        self
    }
}

/// A 受付日 that saves a right which had lapsed by the day of entry (an
/// application that came by post, found late) is the supervisor's to
/// enter; the clerk is refused with the reason, nothing kept.
#[tokio::test]
async fn a_receipt_day_before_the_lapse_entered_after_it_needs_a_supervisor() {
    for t in all_backends().await {
        let app = town(&t).await;
        let a = actors(&app).await;
        let clerk = Session {
            app: &app,
            actor: &a.clerk,
        };
        let sup = Session {
            app: &app,
            actor: &a.sup,
        };
        let p = insured(&app)
            .await
            .into_iter()
            .find(|r| r.acquired_on <= date!(2024 - 11 - 01))
            .expect("a person insured since 2024")
            .addressee_id;
        // moved on 2024-11-19: the two years end on 2026-11-19; today is
        // 2026-11-25
        let late = ApplicationInput {
            received_on: date!(2026 - 11 - 19),
            ..input(
                &p,
                EventInput::Transport {
                    moved_on: date!(2024 - 11 - 19),
                    paid: 1000,
                    economical: 1000,
                },
            )
        };
        let before = count(&t, "benefit_application").await;
        let e = clerk.receive_application(&late, T0).await.unwrap_err();
        assert_eq!(field_of(&e), "received_on", "{e:?}");
        assert!(e.message_ja().contains("係長"), "{e:?}");
        assert_eq!(count(&t, "benefit_application").await, before);
        let v = sup.receive_application(&late, T0).await.unwrap();
        assert_eq!(v.received_on, date!(2026 - 11 - 19));
        // within the limit, a clerk's 受付日 a few days back is accepted
        let recent = ApplicationInput {
            received_on: date!(2026 - 11 - 20),
            ..input(&p, transport(2000))
        };
        clerk.receive_application(&recent, T0).await.unwrap();
    }
}

/// The bank contract's bad fields are each refused with the field named,
/// nothing kept; only the approving role may set it.
#[tokio::test]
async fn a_bad_bank_contract_is_refused_field_by_field() {
    use kokuho_app::payment_run::BankContract;
    for t in all_backends().await {
        let app = town(&t).await;
        let a = actors(&app).await;
        let clerk = Session {
            app: &app,
            actor: &a.clerk,
        };
        let sup = Session {
            app: &app,
            actor: &a.sup,
        };
        let good = town::benefits_sample::demo_contract();
        let cases: Vec<(BankContract, &str)> = vec![
            (
                BankContract {
                    requester_code: "31901".into(),
                    ..good.clone()
                },
                "requester_code",
            ),
            (
                BankContract {
                    requester_name: "八頭町".into(),
                    ..good.clone()
                },
                "requester_name",
            ),
            (
                BankContract {
                    bank_code: "16".into(),
                    ..good.clone()
                },
                "bank_code",
            ),
            (
                BankContract {
                    branch_code: "2011".into(),
                    ..good.clone()
                },
                "branch_code",
            ),
            (
                BankContract {
                    account_number: "12345678".into(),
                    ..good.clone()
                },
                "account_number",
            ),
            (
                BankContract {
                    new_code: '9',
                    ..good.clone()
                },
                "new_code",
            ),
        ];
        for (c, field) in cases {
            let e = sup.set_bank_contract(&c, T0).await.unwrap_err();
            assert_eq!(field_of(&e), field, "{e:?}");
        }
        assert_eq!(count(&t, "payment_settings").await, 0, "{}", t.name);
        let e = clerk.set_bank_contract(&good, T0).await.unwrap_err();
        assert_eq!(field_of(&e), "(forbidden)");
        sup.set_bank_contract(&good, T0).await.unwrap();
        assert_eq!(count(&t, "payment_settings").await, 1);
    }
}

/// 葬祭費 is the town's figure by its ordinance: provisional (and not
/// payable) until the administrator records it with the ordinance, then
/// that figure, confirmed, for deaths from its day.
#[tokio::test]
async fn the_funeral_grant_is_the_figure_the_town_records_from_its_ordinance() {
    for t in all_backends().await {
        let app = town(&t).await;
        let a = actors(&app).await;
        let clerk = Session {
            app: &app,
            actor: &a.clerk,
        };
        let sup = Session {
            app: &app,
            actor: &a.sup,
        };
        let admin_actor = app
            .actor_for("demo-admin", "tester", "test", T0)
            .await
            .unwrap();
        let admin = Session {
            app: &app,
            actor: &admin_actor,
        };
        let people = insured(&app).await;
        let funeral = |deceased: &str, holder: &str| ApplicationInput {
            payee_id: Some(holder.to_string()),
            ..input(
                deceased,
                EventInput::Funeral {
                    died_on: DAY,
                    funeral_on: DAY,
                },
            )
        };
        let v = clerk
            .receive_application(
                &funeral(&people[0].addressee_id, &people[2].addressee_id),
                T0,
            )
            .await
            .unwrap();
        assert_eq!((v.amount, v.provisional), (20_000, true));
        let e = sup
            .decide_application(v.application_id, &Decision::Pay, date!(2026 - 11 - 24), T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");

        // Only the administrator records it; bad figures are refused.
        let src = "八頭町国民健康保険条例 第8条";
        let e = sup
            .set_funeral_grant(date!(2005 - 03 - 31), 30_000, src, T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(forbidden)");
        for (amount, source, field) in [(0, src, "amount"), (30_000, "条例", "source")] {
            let e = admin
                .set_funeral_grant(date!(2005 - 03 - 31), amount, source, T0)
                .await
                .unwrap_err();
            assert_eq!(field_of(&e), field);
        }
        admin
            .set_funeral_grant(date!(2005 - 03 - 31), 30_000, src, T0)
            .await
            .unwrap();
        // a later ordinance from a later day
        admin
            .set_funeral_grant(
                date!(2026 - 10 - 16),
                50_000,
                "八頭町国民健康保険条例 第8条（改正）",
                T0,
            )
            .await
            .unwrap();
        let v = clerk
            .receive_application(
                &funeral(&people[1].addressee_id, &people[2].addressee_id),
                T0,
            )
            .await
            .unwrap();
        // died on DAY (2026-10-15): the figure from 2005
        assert_eq!((v.amount, v.provisional), (30_000, false));
        assert!(v.rule.contains("第8条"), "{}", v.rule);
        sup.decide_application(v.application_id, &Decision::Pay, date!(2026 - 11 - 24), T0)
            .await
            .unwrap();
        let listed = clerk.funeral_grants(T0).await.unwrap();
        assert_eq!(listed.len(), 2);
    }
}

#[tokio::test]
async fn reimbursement_uses_the_persons_copay_rate_of_the_month() {
    for t in all_backends().await {
        let app = town(&t).await;
        let a = actors(&app).await;
        let clerk = Session {
            app: &app,
            actor: &a.clerk,
        };
        let people = insured(&app).await;
        let first = clerk
            .receive_application(
                &input(
                    &people[0].addressee_id,
                    EventInput::Reimbursement {
                        kind: ReimbursementType::JudoTherapy,
                        service_on: DAY,
                        cost: 12_345,
                        reference: "接骨院A".into(),
                    },
                ),
                T0,
            )
            .await
            .unwrap_err();
        // no copay rate judged yet for the month: refused, named
        assert_eq!(field_of(&first), "service_on");
        Session {
            app: &app,
            actor: &a.sup,
        }
        .recompute_burden(
            &[kokuho_domain::burden::parse_month("2026-10").unwrap()],
            T0,
        )
        .await
        .unwrap();
        let mut done = false;
        for r in people.iter().take(40) {
            let v = clerk
                .receive_application(
                    &input(
                        &r.addressee_id,
                        EventInput::Reimbursement {
                            kind: ReimbursementType::JudoTherapy,
                            service_on: DAY,
                            cost: 12_345,
                            reference: "接骨院A".into(),
                        },
                    ),
                    T0,
                )
                .await;
            match v {
                Ok(v) => {
                    // 3割: 12,345 − 3,700 (3,703.5 to ten yen); 2割: − 2,470
                    assert!(
                        v.amount == 8_645 || v.amount == 9_875,
                        "{} {:?}",
                        v.amount,
                        v.steps
                    );
                    assert!(v.kind_label.contains("柔道整復"));
                    done = true;
                    break;
                }
                Err(AppError::Invalid { field, .. }) => assert_eq!(field, "service_on"),
                Err(e) => panic!("{e:?}"),
            }
        }
        assert!(done, "no person had a copay rate for {DAY}");
    }
}

/// The file a run of three transfers must give, built by hand field by
/// field (docs/formats/zengin.md), not by the writer.
fn expected_file(pay_on: Date, lines: &[(&str, &str, &str, i64, i64)]) -> Vec<u8> {
    fn num(v: impl ToString, n: usize) -> String {
        format!("{:0>n$}", v.to_string())
    }
    fn text(v: &str, n: usize) -> String {
        let w = v.chars().count();
        format!("{v}{}", " ".repeat(n - w))
    }
    let mut recs = vec![format!(
        "1210{}{}{:02}{:02}0166{}201{}2{}{}",
        num("3190120001", 10),
        text("ﾔｽﾞﾁﾖｳ ｺｸﾐﾝｹﾝｺｳﾎｹﾝ", 40),
        u8::from(pay_on.month()),
        pay_on.day(),
        text("ﾄﾂﾄﾘｷﾞﾝｺｳ", 15),
        text("ｺｵｹﾞ", 15),
        "1234567",
        " ".repeat(17)
    )];
    let mut total = 0;
    for (branch, number, name, amount, app_id) in lines {
        total += amount;
        recs.push(format!(
            "20166{}{branch}{}00001{number}{}{}0{}{}7 {}",
            " ".repeat(15),
            " ".repeat(15),
            text(name, 30),
            num(amount, 10),
            num(app_id, 10),
            num(0, 10),
            " ".repeat(7)
        ));
    }
    recs.push(format!(
        "8{}{}{}",
        num(lines.len(), 6),
        num(total, 12),
        " ".repeat(101)
    ));
    recs.push(format!("9{}", " ".repeat(119)));
    let mut out = Vec::new();
    for r in recs {
        assert_eq!(r.chars().count(), 120, "{r}");
        for c in r.chars() {
            let u = c as u32;
            out.push(if (0xFF61..=0xFF9F).contains(&u) {
                (u - 0xFF61 + 0xA1) as u8
            } else {
                u8::try_from(u).unwrap()
            });
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[tokio::test]
async fn a_payment_run_pays_each_decided_benefit_once() {
    for t in all_backends().await {
        let app = town(&t).await;
        let a = actors(&app).await;
        let clerk = Session {
            app: &app,
            actor: &a.clerk,
        };
        let sup = Session {
            app: &app,
            actor: &a.sup,
        };
        sup.set_bank_contract(&town::benefits_sample::demo_contract(), T0)
            .await
            .unwrap();
        // Three households' benefits, each payee with a 公金受取口座 of a
        // known name; a fourth decided benefit has no account.
        let people = insured(&app).await;
        let mut households = std::collections::BTreeSet::new();
        let mut chosen = Vec::new();
        for r in &people {
            if households.insert(r.household_number.clone()) {
                chosen.push(r.addressee_id.clone());
            }
            if chosen.len() == 4 {
                break;
            }
        }
        let names = ["ヤマダ　タロウ", "キョウコ・ロー", "ｻﾄｳ ﾊﾅｺ"];
        let mut ids = Vec::new();
        for (i, p) in chosen.iter().enumerate() {
            let v = clerk
                .receive_application(&input(p, transport(10_000 + i as i64 * 1_111)), T0)
                .await
                .unwrap();
            if i < 3 {
                account(&clerk, &v.payee_id, &format!("{}", 1_000 + i), names[i]).await;
            }
            sup.decide_application(v.application_id, &Decision::Pay, date!(2026 - 11 - 24), T0)
                .await
                .unwrap();
            ids.push(v.application_id);
        }

        // Not yet due on the 23rd: nothing to pay, no run made.
        let e = clerk
            .create_payment_run(date!(2026 - 11 - 23), date!(2026 - 11 - 30), T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");
        assert_eq!(count(&t, "payment_run").await, 0);

        let run = clerk
            .create_payment_run(date!(2026 - 11 - 25), date!(2026 - 11 - 30), T0)
            .await
            .unwrap();
        assert_eq!((run.transfers, run.total), (3, 10_000 + 11_111 + 12_222));
        assert_eq!(run.without_account, 1);
        // made twice: the second finds nothing
        let e = clerk
            .create_payment_run(date!(2026 - 11 - 25), date!(2026 - 11 - 30), T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");

        // No file before approval; the creator cannot approve (nor can the
        // benefits clerk at all); the supervisor can.
        let e = sup.write_payment_file(run.run_id, T0).await.unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");
        let e = clerk.approve_payment_run(run.run_id, T0).await.unwrap_err();
        assert_eq!(field_of(&e), "(forbidden)");
        let approved = sup.approve_payment_run(run.run_id, T0).await.unwrap();
        assert_eq!(approved.approved_by.as_deref(), Some("demo-supervisor"));

        // The file carries whole account numbers: the clerk may not write
        // it; the supervisor does.
        let e = clerk.write_payment_file(run.run_id, T0).await.unwrap_err();
        assert_eq!(field_of(&e), "(forbidden)");
        let (bytes, written) = sup.write_payment_file(run.run_id, T0).await.unwrap();
        // once written, the run can no longer be cancelled
        let e = clerk.cancel_payment_run(run.run_id, T0).await.unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");
        let want = expected_file(
            date!(2026 - 11 - 30),
            &[
                ("201", "0001000", "ﾔﾏﾀﾞ ﾀﾛｳ", 10_000, ids[0]),
                ("201", "0001001", "ｷﾖｳｺ.ﾛ-", 11_111, ids[1]),
                ("201", "0001002", "ｻﾄｳ ﾊﾅｺ", 12_222, ids[2]),
            ],
        );
        for (i, (got, exp)) in bytes.chunks(122).zip(want.chunks(122)).enumerate() {
            assert_eq!(
                got,
                exp,
                "record {}:\n got {:?}\nwant {:?}",
                i + 1,
                String::from_utf8_lossy(got),
                String::from_utf8_lossy(exp)
            );
        }
        assert_eq!(bytes, want);
        assert_eq!(written.file_bytes, Some(bytes.len() as i64));
        // read back: the same payments
        let read = kokuho_formats::zengin::read("run", &bytes, 2026).unwrap();
        assert_eq!(read.total_count, 3);
        assert_eq!(
            read.transfers
                .iter()
                .map(|t| (t.customer_code1 as i64, t.amount))
                .collect::<Vec<_>>(),
            vec![(ids[0], 10_000), (ids[1], 11_111), (ids[2], 12_222)]
        );
        // written again: the same bytes
        let (again, _) = sup.write_payment_file(run.run_id, T0).await.unwrap();
        assert_eq!(again, bytes);

        // The list masks numbers for the clerk, not for the supervisor.
        let (_, list) = clerk.payment_list(run.run_id, T0).await.unwrap();
        assert_eq!(list[0].number, "****000");
        let (_, list) = sup.payment_list(run.run_id, T0).await.unwrap();
        assert_eq!(list[0].number, "0001000");
        let (csv, n) = clerk
            .payment_list_csv(
                run.run_id,
                kokuho_formats::text::Encoding::Utf8,
                Vec::new(),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(n, 3);
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.contains("移送費") && csv.contains("****001"), "{csv}");
        assert!(!csv.contains("0001001"));

        // Sent: all paid. One returned by the bank goes back to the queue,
        // and the next run pays it, and only it.
        let sent = clerk.mark_payment_run_sent(run.run_id, T0).await.unwrap();
        assert_eq!(sent.status, "sent");
        // putting paid money back in the queue is a supervisor's act
        let e = clerk
            .return_transfers(run.run_id, &[ids[1]], "口座解約済み", T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(forbidden)");
        let e = sup
            .return_transfers(run.run_id, &[ids[3]], "口座なし", T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "application");
        let (_, n) = sup
            .return_transfers(run.run_id, &[ids[1]], "口座解約済み", T0)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let run2 = clerk
            .create_payment_run(date!(2026 - 11 - 25), date!(2026 - 12 - 01), T0)
            .await
            .unwrap();
        assert_eq!((run2.transfers, run2.total), (1, 11_111));

        // Cancelled before approval: back to the queue.
        clerk.cancel_payment_run(run2.run_id, T0).await.unwrap();
        let run3 = clerk
            .create_payment_run(date!(2026 - 11 - 25), date!(2026 - 12 - 01), T0)
            .await
            .unwrap();
        assert_eq!(run3.transfers, 1);
        // A failed file: back to the queue again.
        sup.approve_payment_run(run3.run_id, T0).await.unwrap();
        sup.write_payment_file(run3.run_id, T0).await.unwrap();
        let e = sup
            .mark_payment_run_failed(run3.run_id, "", T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "reason");
        sup.mark_payment_run_failed(run3.run_id, "伝送エラー", T0)
            .await
            .unwrap();
        let e = clerk
            .mark_payment_run_sent(run3.run_id, T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");
        let run4 = clerk
            .create_payment_run(date!(2026 - 11 - 25), date!(2026 - 12 - 01), T0)
            .await
            .unwrap();
        assert_eq!(run4.transfers, 1);

        // Each benefit paid at most once across every run.
        let twice: i64 = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT application_id FROM payment WHERE outcome IN ('pending', 'paid') \
             GROUP BY application_id HAVING COUNT(*) > 1) x"
        )
        .fetch_one(c)
        .await
        .unwrap()
        });
        assert_eq!(twice, 0);
        // the history tells where each payment stands
        let h = clerk.benefit_history(&chosen[1], T0).await.unwrap();
        assert!(
            h.iter()
                .any(|l| l.payment == Some((run4.run_id, "支払処理中"))),
            "{h:?}"
        );
        // the database itself refuses a second live transfer of a benefit
        let dup = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query(
            "INSERT INTO payment (insurer_number, run_id, application_id, line, payee_id, account_id, bank_code, \
             branch_code, account_type, number, holder_transfer, amount, outcome) \
             SELECT insurer_number, 99, application_id, 1, payee_id, account_id, bank_code, branch_code, \
             account_type, number, holder_transfer, amount, 'pending' FROM payment WHERE run_id = $1"
        )
        .bind(run4.run_id)
        .execute(c)
        .await
        .map(|_| ())
        });
        assert!(dup.is_err());

        // The bank's return file (振込不能, in the 総合振込 layout): the
        // first run's third transfer came back. A file that does not match
        // what was sent, or names a transfer not paid, changes nothing.
        let sent_file = kokuho_formats::zengin::read("run", &bytes, 2026).unwrap();
        let back = |t: Vec<kokuho_formats::zengin::Transfer>| {
            kokuho_formats::zengin::write(
                "return",
                &sent_file.header,
                &t,
                &kokuho_formats::zengin::WriteOptions::default(),
            )
            .unwrap()
        };
        let third = sent_file.transfers[2].clone();
        let wrong_amount = kokuho_formats::zengin::Transfer {
            amount: third.amount + 1,
            ..third.clone()
        };
        for (file, record, field) in [
            (back(vec![wrong_amount]), 2, "振込金額"),
            // the second was returned above: not paid any more
            (back(vec![sent_file.transfers[1].clone()]), 2, "顧客コード1"),
            (back(vec![third.clone(), third.clone()]), 3, "顧客コード1"),
        ] {
            let e = sup
                .return_transfers_from_file(run.run_id, "FUNOU.txt", &file, "振込不能", T0)
                .await
                .unwrap_err();
            match e {
                AppError::Rejected { line, field: f, .. } => {
                    assert_eq!((line, f.as_str()), (record, field))
                }
                other => panic!("{other:?}"),
            }
        }
        // a reason or a file name holding a My Number is refused, never kept
        for (name, reason, field) in [
            ("FUNOU.txt", "番号123456789018", "reason"),
            ("123456789018.txt", "振込不能", "file"),
        ] {
            let e = sup
                .return_transfers_from_file(
                    run.run_id,
                    name,
                    &back(vec![third.clone()]),
                    reason,
                    T0,
                )
                .await
                .unwrap_err();
            assert_eq!(field_of(&e), field);
        }
        let e = clerk
            .return_transfers_from_file(
                run.run_id,
                "FUNOU.txt",
                &back(vec![third.clone()]),
                "振込不能",
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(forbidden)");
        let (_, n) = sup
            .return_transfers_from_file(run.run_id, "FUNOU.txt", &back(vec![third]), "振込不能", T0)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let run5 = clerk
            .create_payment_run(date!(2026 - 11 - 25), date!(2026 - 12 - 02), T0)
            .await
            .unwrap();
        assert_eq!((run5.transfers, run5.total), (1, 12_222));
    }
}

mod never_twice {
    //! Whatever sequence of decide / run / cancel / approve / write / send /
    //! fail / return operations, no benefit is paid twice and none is lost:
    //! every decided benefit is paid once, or waiting in the queue, or in
    //! exactly one live run.
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Decide(usize),
        Create,
        Approve(usize),
        Cancel(usize),
        Write(usize),
        Sent(usize),
        Failed(usize),
        Return(usize, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..6usize).prop_map(Op::Decide),
            Just(Op::Create),
            (0..4usize).prop_map(Op::Approve),
            (0..4usize).prop_map(Op::Cancel),
            (0..4usize).prop_map(Op::Write),
            (0..4usize).prop_map(Op::Sent),
            (0..4usize).prop_map(Op::Failed),
            ((0..4usize), (0..6usize)).prop_map(|(r, a)| Op::Return(r, a)),
        ]
    }

    async fn check(ops: Vec<Op>, postgres: bool) {
        let t = if postgres {
            match kokuho_store::testing::pg_url() {
                Some(url) => kokuho_store::testing::postgres(&url).await,
                None => return,
            }
        } else {
            kokuho_store::testing::sqlite().await
        };
        let app = town(&t).await;
        let a = actors(&app).await;
        let clerk = Session {
            app: &app,
            actor: &a.clerk,
        };
        let sup = Session {
            app: &app,
            actor: &a.sup,
        };
        sup.set_bank_contract(&town::benefits_sample::demo_contract(), T0)
            .await
            .unwrap();
        let people = insured(&app).await;
        let mut apps = Vec::new();
        for (i, r) in people.iter().take(6).enumerate() {
            let v = clerk
                .receive_application(&input(&r.addressee_id, transport(1_000 + i as i64)), T0)
                .await
                .unwrap();
            if clerk.accounts_of(&v.payee_id, T0).await.unwrap().is_empty() {
                account(&clerk, &v.payee_id, &format!("{}", 500 + i), "テスト").await;
            }
            apps.push(v.application_id);
        }
        let mut decided = std::collections::BTreeSet::new();
        let mut runs: Vec<i64> = Vec::new();
        let run_of = |runs: &Vec<i64>, i: usize| runs.get(i % runs.len().max(1)).copied();
        for op in ops {
            // every operation either does what it says or is refused
            // without changing anything; refusals are expected here
            match op {
                Op::Decide(i) => {
                    if sup
                        .decide_application(apps[i], &Decision::Pay, date!(2026 - 11 - 25), T0)
                        .await
                        .is_ok()
                    {
                        decided.insert(i);
                    }
                }
                Op::Create => {
                    if let Ok(r) = clerk
                        .create_payment_run(date!(2026 - 11 - 25), date!(2026 - 11 - 30), T0)
                        .await
                    {
                        runs.push(r.run_id);
                    }
                }
                Op::Approve(r) => {
                    if let Some(r) = run_of(&runs, r) {
                        let _ = sup.approve_payment_run(r, T0).await;
                    }
                }
                Op::Cancel(r) => {
                    if let Some(r) = run_of(&runs, r) {
                        let _ = clerk.cancel_payment_run(r, T0).await;
                    }
                }
                Op::Write(r) => {
                    if let Some(r) = run_of(&runs, r) {
                        let _ = sup.write_payment_file(r, T0).await;
                    }
                }
                Op::Sent(r) => {
                    if let Some(r) = run_of(&runs, r) {
                        let _ = clerk.mark_payment_run_sent(r, T0).await;
                    }
                }
                Op::Failed(r) => {
                    if let Some(r) = run_of(&runs, r) {
                        let _ = sup.mark_payment_run_failed(r, "不能", T0).await;
                    }
                }
                Op::Return(r, i) => {
                    if let Some(r) = run_of(&runs, r) {
                        let _ = sup.return_transfers(r, &[apps[i]], "不能", T0).await;
                    }
                }
            }
            // after every step: each decided benefit is live (pending or
            // paid) in at most one run; undecided ones in none
            let rows: Vec<(i64, String)> = kokuho_store::with_db!(&t.db, |c| {
                sqlx::query_as(
                "SELECT application_id, outcome FROM payment WHERE outcome IN ('pending', 'paid')"
            )
            .fetch_all(c)
            .await
            .unwrap()
            });
            for (i, id) in apps.iter().enumerate() {
                let live = rows.iter().filter(|r| r.0 == *id).count();
                assert!(live <= 1, "benefit {id} live in {live} runs");
                if !decided.contains(&i) {
                    assert_eq!(live, 0);
                }
            }
        }
        // none lost: a last run takes every decided benefit not yet paid,
        // once a pending run is settled or cancelled
        for r in &runs {
            let _ = clerk.cancel_payment_run(*r, T0).await;
            let _ = sup.approve_payment_run(*r, T0).await;
            let _ = sup.write_payment_file(*r, T0).await;
            let _ = clerk.mark_payment_run_sent(*r, T0).await;
        }
        let _ = clerk
            .create_payment_run(date!(2026 - 11 - 25), date!(2026 - 11 - 30), T0)
            .await;
        let rows: Vec<(i64, String)> = kokuho_store::with_db!(&t.db, |c| sqlx::query_as(
            "SELECT application_id, outcome FROM payment WHERE outcome IN ('pending', 'paid')"
        )
        .fetch_all(c)
        .await
        .unwrap());
        for (i, id) in apps.iter().enumerate() {
            let live = rows.iter().filter(|r| r.0 == *id).count();
            assert_eq!(live, usize::from(decided.contains(&i)), "benefit {id}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        #[test]
        fn no_benefit_is_paid_twice_or_lost(ops in proptest::collection::vec(op(), 1..40)) {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(check(ops, false));
        }
    }

    // The same on PostgreSQL, fewer cases: each builds its own schema and
    // town.
    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]
        #[test]
        fn no_benefit_is_paid_twice_or_lost_on_postgresql(ops in proptest::collection::vec(op(), 1..40)) {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(check(ops, true));
        }
    }
}

#[tokio::test]
async fn a_high_cost_application_takes_the_runs_decision() {
    use kokuho_domain::burden::parse_month;
    for t in all_backends().await {
        let ring = Keyring::generate();
        let spec = TownSpec::demo(1500, 21);
        town::generate(&t.db, &ring, &spec, T0, |_| {})
            .await
            .unwrap();
        let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number);
        let a = actors(&app).await;
        let sup = Session {
            app: &app,
            actor: &a.sup,
        };
        let clerk = Session {
            app: &app,
            actor: &a.clerk,
        };
        let september = parse_month("2026-09").unwrap();
        let may = parse_month("2026-05").unwrap();
        for year in [2024, 2025] {
            let income = sup.sample_income(year, T0).await.unwrap();
            let bytes =
                kokuho_formats::income::write(&income, kokuho_formats::text::Encoding::Utf8)
                    .unwrap();
            sup.import_income(
                &format!("income-{year}.csv"),
                &bytes,
                kokuho_formats::text::Encoding::Utf8,
                T0,
            )
            .await
            .unwrap();
        }
        sup.recompute_burden(&[may, september], T0).await.unwrap();
        let mut bytes = Vec::new();
        sup.sample_claims(september, &mut bytes, T0).await.unwrap();
        let (digest, size) =
            kokuho_formats::registry_feed::stream_digest(bytes.as_slice()).unwrap();
        sup.import_claims("2026-10.uke", &digest, size, bytes.as_slice(), T0)
            .await
            .unwrap();
        sup.check_claims(parse_month("2026-10").unwrap(), None, T0)
            .await
            .unwrap();
        let run = sup.run_high_cost(september, None, T0).await.unwrap();
        let refunds: Vec<_> =
            kokuho_store::high_cost::decisions_of_run(&app.db, &app.insurer, run.run_id, 20)
                .await
                .unwrap()
                .into_iter()
                .filter(|d| d.refund > 0)
                .collect();
        assert!(
            refunds.len() >= 3,
            "households with a refund: {}",
            refunds.len()
        );
        let decision = refunds[0].clone();
        let input = ApplicationInput {
            addressee_id: String::new(),
            event: EventInput::HighCost {
                household_number: decision.household_number.clone(),
                service_month: september,
            },
            received_on: date!(2026 - 11 - 20),
            applicant: "世帯主".into(),
            documents: "申請書".into(),
            payee_id: None,
            application_account: false,
            payee_basis: PayeeBasis::Entitled,
            entitled_id: None,
            simplified_route: false,
        };
        let v = clerk.receive_application(&input, T0).await.unwrap();
        assert_eq!(v.amount, decision.refund);
        assert_eq!(Some(v.payee_id.clone()), decision.householder_id);
        assert!(
            v.rule.contains(&format!("第{}回", run.run_id)),
            "{}",
            v.rule
        );
        // one application per household and month
        let e = clerk.receive_application(&input, T0).await.unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");

        // A later run books a new version of the month's decision (a late
        // claim raised the refund by 1,234 yen): while the first
        // application awaits its decision, the new version waits too; once
        // decided, the new version pays the difference only; the same
        // version again is a duplicate.
        let mut v2 = decision.clone();
        v2.version_no += 1;
        v2.refund += 1_234;
        v2.difference = 1_234;
        let mut tx = app.db.begin().await.unwrap();
        kokuho_store::high_cost::supersede(
            &mut tx,
            &app.insurer,
            &decision.service_month,
            &[(decision.household_number.clone(), decision.version_no)],
            1,
        )
        .await
        .unwrap();
        kokuho_store::high_cost::insert_decisions(&mut tx, &app.insurer, &[v2.clone()])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let e = clerk.receive_application(&input, T0).await.unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");
        sup.decide_application(v.application_id, &Decision::Pay, date!(2026 - 11 - 25), T0)
            .await
            .unwrap();
        let more = clerk.receive_application(&input, T0).await.unwrap();
        assert_eq!(more.amount, 1_234, "{:?}", more.steps);
        assert!(
            more.steps.iter().any(|l| l.contains("申請済み")),
            "{:?}",
            more.steps
        );
        let e = clerk.receive_application(&input, T0).await.unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");

        // The simplified route: refused while the town does not take it.
        let hc = |d: &kokuho_store::high_cost::DecisionRow, simplified| ApplicationInput {
            event: EventInput::HighCost {
                household_number: d.household_number.clone(),
                service_month: september,
            },
            simplified_route: simplified,
            ..input.clone()
        };
        let e = clerk
            .receive_application(&hc(&refunds[1], true), T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "simplified_route");
        let admin = app
            .actor_for("demo-admin", "tester", "test", T0)
            .await
            .unwrap();
        app.set_setting(&admin, kokuho_app::benefit::SIMPLIFIED_ROUTE, "true", T0)
            .await
            .unwrap();
        // one household asks with its application, another by the form
        let with = clerk
            .receive_application(&hc(&refunds[1], true), T0)
            .await
            .unwrap();
        assert!(
            clerk
                .register_simplified_route(
                    &refunds[2].household_number,
                    september,
                    date!(2026 - 11 - 01),
                    T0
                )
                .await
                .unwrap()
        );
        assert!(
            !clerk
                .register_simplified_route(
                    &refunds[1].household_number,
                    september,
                    date!(2026 - 11 - 01),
                    T0
                )
                .await
                .unwrap(),
            "already on the route"
        );
        let r = clerk.apply_simplified_route(september, T0).await.unwrap();
        assert_eq!(
            (r.households, r.created.len(), r.already),
            (2, 1, 1),
            "{r:?}"
        );
        let made = clerk.application(r.created[0], T0).await.unwrap();
        assert_eq!(made.amount, refunds[2].refund);
        assert_eq!(
            made.household_number.as_deref(),
            Some(refunds[2].household_number.as_str())
        );
        assert!(made.documents.contains("申出書"));
        assert_ne!(made.application_id, with.application_id);
        // run again: nothing twice
        let again = clerk.apply_simplified_route(september, T0).await.unwrap();
        assert_eq!((again.created.len(), again.already), (0, 2));
        // the supervisor decides them as any other
        sup.decide_application(
            made.application_id,
            &Decision::Pay,
            date!(2026 - 11 - 25),
            T0,
        )
        .await
        .unwrap();

        // 食事療養標準負担額差額 for a member of a 住民税非課税 (オ) household
        // in May 2026: (510 − 240) a meal; a household of another category
        // paid the general charge rightly; meals from 2026-06-01 wait for
        // the FY2026 charges.
        let households: Vec<(String, Option<String>)> = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_as(
                "SELECT household_number, category_under_70 FROM burden_version \
                 WHERE month = '2026-05' AND superseded_us IS NULL ORDER BY household_number",
            )
            .fetch_all(c)
            .await
            .unwrap()
        });
        let mut members = Vec::new();
        app.for_each_insured_on(date!(2026 - 05 - 10), None, |r| {
            if (date!(2026 - 05 - 10) - r.birth_date).whole_days() < 365 * 69 {
                members.push(r);
            }
            Ok(())
        })
        .await
        .unwrap();
        let member_of = |cat: &str| {
            members
                .iter()
                .find(|m| {
                    households.iter().any(|(h, c)| {
                        Some(h) == m.household_number.as_ref() && c.as_deref() == Some(cat)
                    })
                })
                .map(|m| m.addressee_id.clone())
        };
        let meals = |person: &str, from: Date, to: Date, n: u32| ApplicationInput {
            addressee_id: person.to_string(),
            event: EventInput::MealDifference {
                first_meal_on: from,
                last_meal_on: to,
                meals: n,
                long_stay: false,
            },
            received_on: date!(2026 - 11 - 20),
            applicant: "本人".into(),
            documents: "領収書".into(),
            payee_id: None,
            application_account: false,
            payee_basis: PayeeBasis::Entitled,
            entitled_id: None,
            simplified_route: false,
        };
        let low = member_of("オ").expect("an オ household in May");
        let v = clerk
            .receive_application(
                &meals(&low, date!(2026 - 05 - 10), date!(2026 - 05 - 14), 12),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(v.amount, (510 - 240) * 12, "{:?}", v.steps);
        assert!(v.steps[0].contains("住民税非課税"));
        // the same meals again, from another first day: a duplicate
        let e = clerk
            .receive_application(
                &meals(&low, date!(2026 - 05 - 12), date!(2026 - 05 - 20), 9),
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");
        // the days after: another stay
        clerk
            .receive_application(
                &meals(&low, date!(2026 - 05 - 15), date!(2026 - 05 - 16), 6),
                T0,
            )
            .await
            .unwrap();
        let e = clerk
            .receive_application(
                &meals(&low, date!(2026 - 06 - 01), date!(2026 - 06 - 03), 9),
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "first_meal_on");
        if let Some(other) = member_of("ア").or_else(|| member_of("ウ")) {
            let e = clerk
                .receive_application(
                    &meals(&other, date!(2026 - 05 - 10), date!(2026 - 05 - 11), 3),
                    T0,
                )
                .await
                .unwrap_err();
            assert!(e.message_ja().contains("該当しない"), "{e:?}");
        }
    }
}

/// A benefit the householder was due is paid to an heir once the
/// householder has died, to a proxy only while they live, and never into
/// the 公金受取口座 of someone it was not due to.
#[tokio::test]
async fn an_heir_or_a_proxy_is_paid_by_the_rules_of_whom_the_law_pays() {
    for t in all_backends().await {
        let app = town(&t).await;
        let a = actors(&app).await;
        let clerk = Session {
            app: &app,
            actor: &a.clerk,
        };
        let people = insured(&app).await;
        // A household whose householder is insured, with another insured
        // member who is not the householder.
        let households: Vec<String> = people
            .iter()
            .filter_map(|p| p.household_number.clone())
            .collect();
        let holders = kokuho_store::high_cost::householders_on(
            &t.db,
            &app.insurer,
            DAY,
            &households,
            i64::MAX,
        )
        .await
        .unwrap();
        let (member, holder) = people
            .iter()
            .find_map(|p| {
                let h = holders.get(p.household_number.as_ref()?)?;
                (*h != p.addressee_id && people.iter().any(|q| q.addressee_id == *h))
                    .then(|| (p.addressee_id.clone(), h.clone()))
            })
            .expect("a household with an insured householder and member");
        let heir = member.clone();
        let event = |d: Date| EventInput::Transport {
            moved_on: d,
            paid: 5_000,
            economical: 5_000,
        };
        let by = |basis: PayeeBasis, payee: Option<&str>, account: bool, docs: &str, d: Date| {
            ApplicationInput {
                payee_basis: basis,
                payee_id: payee.map(str::to_string),
                application_account: account,
                documents: docs.into(),
                ..input(&member, event(d))
            }
        };
        let refused = |r: Result<_, AppError>| field_of(&r.unwrap_err());

        // While the householder lives: no heir; a proxy with the letter
        // and the application's account.
        assert_eq!(
            refused(
                clerk
                    .receive_application(
                        &by(PayeeBasis::Heir, Some(&heir), true, "申立書", DAY),
                        T0
                    )
                    .await
            ),
            "payee_basis"
        );
        assert_eq!(
            refused(
                clerk
                    .receive_application(
                        &by(PayeeBasis::Proxy, Some(&heir), false, "委任状", DAY),
                        T0
                    )
                    .await
            ),
            "application_account"
        );
        assert_eq!(
            refused(
                clerk
                    .receive_application(&by(PayeeBasis::Proxy, Some(&heir), true, " ", DAY), T0)
                    .await
            ),
            "documents"
        );
        assert_eq!(
            refused(
                clerk
                    .receive_application(
                        &by(PayeeBasis::Proxy, Some(&holder), true, "委任状", DAY),
                        T0
                    )
                    .await
            ),
            "payee_id"
        );
        let v = clerk
            .receive_application(
                &by(
                    PayeeBasis::Proxy,
                    Some(&heir),
                    true,
                    "委任状（令和8年11月20日付）",
                    DAY,
                ),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(
            (v.payee_id.as_str(), v.payee_basis, v.entitled_id.as_deref()),
            (heir.as_str(), "proxy", Some(holder.as_str()))
        );

        // A benefit decided for the householder before the death, with an
        // account to pay into.
        let sup = Session {
            app: &app,
            actor: &a.sup,
        };
        let own = clerk
            .receive_application(
                &by(
                    PayeeBasis::Entitled,
                    None,
                    false,
                    "",
                    DAY - time::Duration::days(1),
                ),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(own.payee_id, holder);
        account(&clerk, &holder, "2000", "ヤマダ　タロウ").await;
        sup.decide_application(
            own.application_id,
            &Decision::Pay,
            date!(2026 - 11 - 24),
            T0,
        )
        .await
        .unwrap();

        // The householder dies on 1 November.
        app.lose(
            &kokuho_app::eligibility::Loss {
                addressee_id: kokuho_domain::id::AddresseeId::parse(&holder).unwrap(),
                reason: kokuho_domain::eligibility::LossReason::Death,
                event_on: date!(2026 - 11 - 01),
                notified_on: Some(date!(2026 - 11 - 05)),
                destination: None,
                next_insurer_number: None,
            },
            "tester",
            T0,
        )
        .await
        .unwrap();
        let d2 = DAY + time::Duration::days(1);
        // The payment run holds back what was decided for the dead
        // householder (nothing else is due, so no run is made).
        let e = clerk
            .create_payment_run(date!(2026 - 11 - 25), date!(2026 - 11 - 30), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_ja, .. } if message_ja.contains("受取人死亡のため保留 1 件")),
            "{e:?}"
        );
        // Nor is the proxy's application decided to pay now.
        let e = sup
            .decide_application(v.application_id, &Decision::Pay, date!(2026 - 11 - 24), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_ja, .. } if message_ja.contains("亡くなっています")),
            "{e:?}"
        );
        // The supervisor revokes the held decision (no money went), so the
        // heir can apply for that event; the clerk may not revoke.
        let e = clerk
            .revoke_decision(own.application_id, date!(2026 - 11 - 25), "受取人死亡", T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(forbidden)");
        assert_eq!(
            field_of(
                &sup.revoke_decision(own.application_id, date!(2026 - 11 - 25), " ", T0)
                    .await
                    .unwrap_err()
            ),
            "reason"
        );
        let revoked = sup
            .revoke_decision(
                own.application_id,
                date!(2026 - 11 - 25),
                "受取人（世帯主）死亡のため。相続人の申請による",
                T0,
            )
            .await
            .unwrap();
        assert_eq!(revoked.status, "支給決定の取消");
        let e = sup
            .revoke_decision(own.application_id, date!(2026 - 11 - 25), "二度目", T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "(conflict)");
        let heirs = clerk
            .receive_application(
                &by(
                    PayeeBasis::Heir,
                    Some(&heir),
                    true,
                    "相続人代表者の申立書、戸籍謄本",
                    DAY - time::Duration::days(1),
                ),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(heirs.payee_basis, "heir");
        // Not to the dead householder, not by their mandate.
        assert_eq!(
            refused(
                clerk
                    .receive_application(&by(PayeeBasis::Entitled, None, false, "", d2), T0)
                    .await
            ),
            "payee_basis"
        );
        assert_eq!(
            refused(
                clerk
                    .receive_application(
                        &by(PayeeBasis::Proxy, Some(&heir), true, "委任状", d2),
                        T0
                    )
                    .await
            ),
            "payee_basis"
        );
        // To the heir, into the account the application gives, with the
        // documents named.
        assert_eq!(
            refused(
                clerk
                    .receive_application(
                        &by(PayeeBasis::Heir, Some(&heir), false, "申立書", d2),
                        T0
                    )
                    .await
            ),
            "application_account"
        );
        assert_eq!(
            refused(
                clerk
                    .receive_application(
                        &by(PayeeBasis::Heir, Some(&holder), true, "申立書", d2),
                        T0
                    )
                    .await
            ),
            "payee_id"
        );
        let before = count(&t, "benefit_application").await;
        let v = clerk
            .receive_application(
                &by(
                    PayeeBasis::Heir,
                    Some(&heir),
                    true,
                    "相続人代表者の申立書、戸籍謄本",
                    d2,
                ),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(count(&t, "benefit_application").await, before + 1);
        assert_eq!(
            (v.payee_id.as_str(), v.payee_basis, v.entitled_id.as_deref()),
            (heir.as_str(), "heir", Some(holder.as_str()))
        );
        assert!(v.application_account);
        assert_eq!(v.payee_basis_label, "相続人");
    }
}

/// Applications received at the same moment at several counters all get a
/// number: on PostgreSQL the MAX+1 numbers wait for each other instead of
/// one failing on the primary key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_received_at_once_all_get_a_number() {
    for t in all_backends().await {
        let app = town(&t).await;
        let a = actors(&app).await;
        let people = insured(&app).await;
        let apply = |i: usize| {
            let (app, clerk) = (app.clone(), a.clerk.clone());
            let person = people[i].addressee_id.clone();
            tokio::spawn(async move {
                Session {
                    app: &app,
                    actor: &clerk,
                }
                .receive_application(&input(&person, transport(1_000 + i as i64)), T0)
                .await
                .map(|v| v.application_id)
            })
        };
        let handles: Vec<_> = (0..6).map(apply).collect();
        let mut ids = Vec::new();
        for h in handles {
            ids.push(
                h.await
                    .unwrap()
                    .unwrap_or_else(|e| panic!("{}: {e:?}", t.name)),
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 6, "{}: {ids:?}", t.name);
    }
}
