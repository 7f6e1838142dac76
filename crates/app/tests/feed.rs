//! The resident-registry feed on both backends: a good file raises
//! proposals, a repeated file changes nothing, a bad line rejects the whole
//! file, and only a confirmation makes eligibility.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::jobs::Progress;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Kokuho};
use kokuho_formats::registry_feed;
use kokuho_formats::text::Encoding;
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_store::{Db, with_db};
use kokuho_vault::Keyring;
use time::macros::{date, datetime};

const NOW: time::OffsetDateTime = datetime!(2026-11-24 09:00 UTC);

async fn town(t: &TestDb) -> Kokuho {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(2_500, 3);
    town::generate(&t.db, &ring, &spec, NOW, |_| {})
        .await
        .unwrap();
    Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number)
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    with_db!(db, |p| sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(p)
        .await
        .unwrap())
}

async fn snapshot(db: &Db) -> Vec<i64> {
    vec![
        count(db, "SELECT COUNT(*) FROM addressee").await,
        count(db, "SELECT COUNT(*) FROM household").await,
        count(db, "SELECT COUNT(*) FROM eligibility_version").await,
        count(db, "SELECT COUNT(*) FROM eligibility_proposal").await,
        count(db, "SELECT COUNT(*) FROM registry_event").await,
        count(db, "SELECT COUNT(*) FROM import_file").await,
        count(
            db,
            "SELECT COUNT(*) FROM addressee WHERE removed_on IS NOT NULL",
        )
        .await,
    ]
}

#[tokio::test]
async fn a_good_file_raises_proposals_once_and_confirmation_makes_eligibility() {
    for t in all_backends().await {
        let app = town(&t).await;
        let history = count(&t.db, "SELECT COUNT(*) FROM eligibility_version").await;
        assert!(history > 500, "{}: the town has NHI history", t.name);
        let events = app
            .sample_registry_feed(date!(2026 - 04 - 01))
            .await
            .unwrap();
        for enc in [Encoding::Cp932] {
            let bytes = registry_feed::write(&events, enc).unwrap();
            let r = app
                .import_registry_feed("feed.csv", &bytes, enc, "clerk", &Progress::none(), NOW)
                .await
                .unwrap();
            assert_eq!(r.events, 7, "{}", t.name);
            assert_eq!(
                r.proposals, 5,
                "death, birth, move-out, household split and move-in from the prefecture"
            );
            // Nothing became eligibility yet.
            assert_eq!(
                count(&t.db, "SELECT COUNT(*) FROM eligibility_version").await,
                history
            );
            let before = snapshot(&t.db).await;
            let again = app
                .import_registry_feed(
                    "copy-of-feed.csv",
                    &bytes,
                    enc,
                    "clerk",
                    &Progress::none(),
                    NOW,
                )
                .await
                .unwrap();
            assert!(again.already_imported);
            assert_eq!(
                snapshot(&t.db).await,
                before,
                "{}: a repeated file changes nothing",
                t.name
            );
        }
        let proposals = app.proposals(Some("pending")).await.unwrap();
        assert_eq!(proposals.len(), 5);
        // Confirm the death: the loss is the day after (国民健康保険法 第8条), by the confirming clerk.
        let death = proposals.iter().find(|p| p.reason == "death").unwrap();
        let confirmed = app
            .confirm_proposal(death.proposal_id, "clerk2", NOW)
            .await
            .unwrap();
        assert_eq!(confirmed.decided_by.as_deref(), Some("clerk2"));
        let id = kokuho_domain::id::AddresseeId::parse(&death.addressee_id).unwrap();
        let periods = app.periods(&id, None).await.unwrap();
        assert_eq!(
            periods.last().unwrap().lost_on,
            Some(death.event_on + time::Duration::days(1)),
            "{}",
            t.name
        );
        assert_eq!(periods.last().unwrap().recorded_by, "clerk2");
        // Confirm the birth: acquisition on the birth date.
        let birth = proposals.iter().find(|p| p.reason == "birth").unwrap();
        app.confirm_proposal(birth.proposal_id, "clerk2", NOW)
            .await
            .unwrap();
        let baby = kokuho_domain::id::AddresseeId::parse(&birth.addressee_id).unwrap();
        assert_eq!(
            app.periods(&baby, None).await.unwrap()[0].acquired_on,
            birth.event_on
        );
        // A decided proposal cannot be decided again; a rejection needs a reason.
        assert!(matches!(
            app.confirm_proposal(death.proposal_id, "clerk2", NOW).await,
            Err(AppError::Conflict { .. })
        ));
        let out = proposals.iter().find(|p| p.reason == "move_out").unwrap();
        assert_eq!(
            app.reject_proposal(out.proposal_id, " ", "clerk2", NOW)
                .await
                .unwrap_err()
                .field(),
            Some("note")
        );
        let rejected = app
            .reject_proposal(out.proposal_id, "転出取消の連絡あり", "clerk2", NOW)
            .await
            .unwrap();
        assert_eq!(rejected.status, "rejected");
        assert_eq!(app.proposals(Some("pending")).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn a_bad_line_rejects_the_whole_file() {
    for t in all_backends().await {
        let app = town(&t).await;
        let events = app
            .sample_registry_feed(date!(2026 - 04 - 01))
            .await
            .unwrap();
        let good =
            String::from_utf8(registry_feed::write(&events, Encoding::Utf8).unwrap()).unwrap();
        let before = snapshot(&t.db).await;
        // An impossible date on the 4th line.
        let lines: Vec<&str> = good.split("\r\n").collect();
        let bad_line = lines[3].replacen(",2026-04-", ",平成31年5月", 1);
        let mut bad = lines.clone();
        bad[3] = &bad_line;
        let err = app
            .import_registry_feed(
                "bad.csv",
                bad.join("\r\n").as_bytes(),
                Encoding::Utf8,
                "clerk",
                &Progress::none(),
                NOW,
            )
            .await
            .unwrap_err();
        let AppError::Rejected {
            file, line, field, ..
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(
            (file.as_str(), *line, field.as_str()),
            ("bad.csv", 4, "event_date")
        );
        assert!(err.message_en().contains("bad.csv line 4"), "{err}");
        assert!(err.message_ja().contains("4行目"), "{}", err.message_ja());
        // A person the registry does not know, in an otherwise good file: rejected at apply time.
        let unknown = good.replacen(&events[0].addressee_id.to_string(), "0999999999", 1);
        let err = app
            .import_registry_feed(
                "unknown.csv",
                unknown.as_bytes(),
                Encoding::Utf8,
                "clerk",
                &Progress::none(),
                NOW,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert_eq!(snapshot(&t.db).await, before, "{}: nothing changed", t.name);
        // The good file still imports afterwards.
        assert_eq!(
            app.import_registry_feed(
                "good.csv",
                good.as_bytes(),
                Encoding::Utf8,
                "clerk",
                &Progress::none(),
                NOW
            )
            .await
            .unwrap()
            .events,
            7
        );
    }
}

#[tokio::test]
async fn retention_erases_what_is_past_its_period_and_says_so() {
    use kokuho_app::session::Session;
    for t in all_backends().await {
        let app = town(&t).await;
        let events = app
            .sample_registry_feed(date!(2026 - 04 - 01))
            .await
            .unwrap();
        let bytes = registry_feed::write(&events, Encoding::Utf8).unwrap();
        app.import_registry_feed(
            "feed.csv",
            &bytes,
            Encoding::Utf8,
            "clerk",
            &Progress::none(),
            NOW,
        )
        .await
        .unwrap();
        let dead = events[0].addressee_id.to_string();
        let history_before = app
            .eligibility_history(&events[0].addressee_id)
            .await
            .unwrap()
            .len();
        let admin = app
            .actor_for("demo-admin", "ops", "cli", NOW)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &admin,
        };
        // Within the period: nothing to do.
        assert!(
            s.retention(date!(2030 - 04 - 01), true, NOW)
                .await
                .unwrap()
                .persons
                .is_empty(),
            "{}",
            t.name
        );
        // Five years on: the death and the move-out are due; a dry run changes nothing.
        let before = snapshot(&t.db).await;
        let plan = s.retention(date!(2031 - 05 - 01), true, NOW).await.unwrap();
        assert_eq!(plan.persons.len(), 2, "{}", t.name);
        assert!(!plan.done);
        assert_eq!(snapshot(&t.db).await, before);
        let vault_before = count(&t.db, "SELECT COUNT(*) FROM my_number_vault").await;
        let plan = s
            .retention(date!(2031 - 05 - 01), false, NOW)
            .await
            .unwrap();
        assert!(plan.done);
        let p = app.person(&dead).await.unwrap();
        assert_eq!(p.person.name.as_str(), kokuho_store::addressee::ERASED_NAME);
        assert!(!p.has_my_number, "{}: the number left the vault", t.name);
        assert_eq!(p.person.birth_date.day(), 1, "birth date kept to the month");
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM my_number_vault").await,
            vault_before - 2
        );
        assert_eq!(
            app.eligibility_history(&events[0].addressee_id)
                .await
                .unwrap()
                .len(),
            history_before,
            "history kept for statistics"
        );
        let last = kokuho_store::access::last_record(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.action, "retention_erase");
        assert!(
            last.subjects.contains(&dead) && last.detail.contains("2 persons erased"),
            "{}",
            last.detail
        );
        // Done once: nothing left.
        assert!(
            s.retention(date!(2031 - 05 - 01), true, NOW)
                .await
                .unwrap()
                .persons
                .is_empty()
        );
        // Only administrators.
        let clerk = app
            .actor_for("demo-clerk", "ops", "cli", NOW)
            .await
            .unwrap();
        assert!(matches!(
            Session {
                app: &app,
                actor: &clerk
            }
            .retention(date!(2031 - 05 - 01), true, NOW)
            .await,
            Err(AppError::Forbidden { .. })
        ));
    }
}
