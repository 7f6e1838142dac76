//! Bank accounts for payments, on both backends: checked before kept (the
//! failing field named, nothing kept), one current account per person and
//! source, masked for the benefits clerk and whole for the supervisor,
//! refused to the levy clerk, every read and write access-logged; and the
//! account a payment goes to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::payment_account::{AccountInput, AccountSource};
use kokuho_app::session::Session;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::bank_account::{AccountType, BankAccount};
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_vault::Keyring;
use time::OffsetDateTime;
use time::macros::{date, datetime};

const T0: OffsetDateTime = datetime!(2026-11-25 09:00 UTC);

async fn town(t: &TestDb) -> Kokuho {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(300, 21);
    town::generate(&t.db, &ring, &spec, T0, |_| {})
        .await
        .unwrap();
    Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number)
}

fn input(person: &str, source: AccountSource, number: &str, holder: &str) -> AccountInput {
    AccountInput {
        addressee_id: person.to_string(),
        source,
        account: BankAccount {
            bank_code: "0166".into(),
            branch_code: "123".into(),
            account_type: AccountType::Ordinary,
            number: number.into(),
            holder: holder.into(),
        },
        confirmed_on: date!(2026 - 11 - 20),
    }
}

async fn logged(t: &TestDb, action: &str, outcome: &str) -> i64 {
    kokuho_store::with_db!(&t.db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM access_log WHERE action = $1 AND outcome = $2"
    )
    .bind(action.to_string())
    .bind(outcome.to_string())
    .fetch_one(p)
    .await
    .unwrap())
}

#[tokio::test]
async fn an_account_is_checked_kept_masked_and_chosen_for_payment() {
    for t in all_backends().await {
        let app = town(&t).await;
        let person: String = kokuho_store::with_db!(&t.db, |p| {
            sqlx::query_scalar(
            "SELECT addressee_id FROM addressee WHERE insurer_number = $1 ORDER BY addressee_id LIMIT 1"
        )
        .bind(app.insurer.as_str().to_string())
        .fetch_one(p)
        .await
        .unwrap()
        });
        let clerk = app
            .actor_for("demo-benefits", "tester", "test", T0)
            .await
            .unwrap();
        let sup = app
            .actor_for("demo-supervisor", "tester", "test", T0)
            .await
            .unwrap();
        let levy = app
            .actor_for("demo-levy", "tester", "test", T0)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &clerk,
        };

        // Nothing to pay into yet.
        assert!(
            app.account_for_payment(&person, false)
                .await
                .unwrap()
                .is_none()
        );

        // A holder's name the transfer file cannot carry: refused, named,
        // nothing kept.
        let e = s
            .register_account(
                &input(&person, AccountSource::Application, "12345", "山田 タロウ"),
                T0,
            )
            .await
            .unwrap_err();
        match &e {
            AppError::Invalid {
                field, message_ja, ..
            } => {
                assert_eq!(*field, "holder");
                assert!(message_ja.contains("「山」"), "{message_ja}");
            }
            other => panic!("{other:?}"),
        }
        assert!(s.accounts_of(&person, T0).await.unwrap().is_empty());

        // The application's account, then the 公金受取口座.
        let a = s
            .register_account(
                &input(
                    &person,
                    AccountSource::Application,
                    "12345",
                    "ヤマダ タロウ",
                ),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(
            (a.number.as_str(), a.holder_transfer.as_str()),
            ("****345", "ﾔﾏﾀﾞ ﾀﾛｳ")
        );
        let pf = s
            .register_account(
                &input(
                    &person,
                    AccountSource::PublicFunds,
                    "7654321",
                    "ヤマダ　タロウ",
                ),
                T0,
            )
            .await
            .unwrap();
        // The 公金受取口座 is where a payment goes, unless the resident chose
        // the application's.
        let to = app
            .account_for_payment(&person, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(to.account_id, pf.account_id);
        let to = app
            .account_for_payment(&person, true)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (to.account_id, to.number.as_str()),
            (a.account_id, "0012345")
        );

        // A new application account ends the one before.
        let a2 = s
            .register_account(
                &input(
                    &person,
                    AccountSource::Application,
                    "2222222",
                    "ヤマダ タロウ",
                ),
                T0,
            )
            .await
            .unwrap();
        let seen = s.accounts_of(&person, T0).await.unwrap();
        assert_eq!(seen.len(), 3, "{}", t.name);
        let current: Vec<i64> = seen
            .iter()
            .filter(|v| v.current)
            .map(|v| v.account_id)
            .collect();
        assert_eq!(current.len(), 2);
        assert!(current.contains(&a2.account_id) && current.contains(&pf.account_id));
        assert!(
            seen.iter()
                .all(|v| !v.whole && v.number.starts_with("****"))
        );

        // The supervisor sees the numbers whole; the levy clerk nothing.
        let whole = Session {
            app: &app,
            actor: &sup,
        }
        .accounts_of(&person, T0)
        .await
        .unwrap();
        assert!(whole.iter().any(|v| v.whole && v.number == "7654321"));
        let e = Session {
            app: &app,
            actor: &levy,
        }
        .accounts_of(&person, T0)
        .await
        .unwrap_err();
        assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");

        assert_eq!(logged(&t, "bank_account_write", "allowed").await, 3);
        assert_eq!(logged(&t, "bank_account_view", "allowed").await, 3);
        // the refusal is logged under the permission, with the person
        assert_eq!(logged(&t, "payment_account", "denied").await, 1);
    }
}
