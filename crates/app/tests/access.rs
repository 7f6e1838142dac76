//! The access log and access control on both backends: every personal-data
//! action leaves a record (denied ones too), the database refuses to change
//! or delete records, and verification finds an edit, a deletion and a
//! reordering made directly in the database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::access::{Actor, NewAccount};
use kokuho_app::registry::PersonSearch;
use kokuho_app::session::Session;
use kokuho_app::town::{self, TownGenerator, TownSpec};
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::access::{Permission, Purpose, Role};
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_store::{Db, with_db};
use kokuho_vault::Keyring;
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);

async fn town(t: &TestDb) -> Kokuho {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(600, 4);
    town::generate(&t.db, &ring, &spec, T0, |_| {})
        .await
        .unwrap();
    Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number)
}

async fn actor(app: &Kokuho, name: &str) -> Actor {
    app.actor_for(name, "tester", "test", T0).await.unwrap()
}

async fn log_len(app: &Kokuho) -> usize {
    kokuho_store::access::records(&app.db, 0, 1_000_000)
        .await
        .unwrap()
        .len()
}

async fn exec(db: &Db, sql: &'static str) -> Result<u64, sqlx::Error> {
    with_db!(db, |p| sqlx::query(sql)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
}

#[tokio::test]
async fn every_action_is_logged_with_who_what_whom_and_why() {
    for t in all_backends().await {
        let app = town(&t).await;
        let clerk = actor(&app, "demo-clerk").await;
        let s = Session {
            app: &app,
            actor: &clerk,
        };
        let before = log_len(&app).await;
        let found = s
            .search_persons(
                &PersonSearch {
                    kana: Some("タ".into()),
                    limit: Some(3),
                    ..Default::default()
                },
                T0,
            )
            .await
            .unwrap();
        let id = found[0].addressee_id.to_string();
        s.person(&id, T0).await.unwrap();
        let (iid, number) = TownGenerator::new(TownSpec::demo(600, 4))
            .next_batch(5)
            .unwrap()
            .numbers
            .remove(0);
        s.find_by_my_number(number.expose(), None, T0)
            .await
            .unwrap();
        let out = s
            .export_insured_on(
                time::macros::date!(2026 - 04 - 01),
                None,
                kokuho_formats::text::Encoding::Utf8,
                Vec::new(),
                Some(&Purpose::parse("nhi", "国保情報集約システムへの資格情報の提供").unwrap()),
                T0,
            )
            .await
            .unwrap();
        let records = kokuho_store::access::records(&app.db, 0, 1_000_000)
            .await
            .unwrap();
        let new = &records[before..];
        assert_eq!(
            new.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
            [
                "person_search",
                "person_view",
                "my_number_lookup",
                "eligibility_export"
            ],
            "{}",
            t.name
        );
        assert!(new.iter().all(|r| r.account_name == "demo-clerk"
            && r.os_user == "tester"
            && r.outcome == "allowed"));
        assert_eq!(
            new[0].subjects.split(',').count(),
            3,
            "the search names the persons it returned"
        );
        assert_eq!(new[1].subjects, id);
        assert!(
            !new[2].subjects.is_empty()
                && !new[2].detail.contains(number.expose())
                && !new[2].subjects.contains(number.expose()),
            "the number itself is never logged"
        );
        let _ = iid;
        assert!(
            new[3].detail.contains(&format!("{} rows", out.1)) && new[3].detail.contains("sha256"),
            "{}",
            new[3].detail
        );
        // Revealing a number: the clerk may not; the supervisor must state a purpose.
        let err = s.reveal_my_number(&id, None, T0).await.unwrap_err();
        assert!(matches!(err, AppError::Forbidden { .. }));
        let sup = actor(&app, "demo-supervisor").await;
        let ss = Session {
            app: &app,
            actor: &sup,
        };
        let holder = app
            .find_by_my_number(number.expose())
            .await
            .unwrap()
            .person
            .addressee_id
            .to_string();
        assert_eq!(
            ss.reveal_my_number(&holder, None, T0)
                .await
                .unwrap_err()
                .field(),
            Some("purpose")
        );
        // A purpose outside the town's lawful affairs is refused and logged.
        let unlawful = Purpose::parse("営業活動", "名簿作成").unwrap();
        assert!(matches!(
            ss.reveal_my_number(&holder, Some(&unlawful), T0).await,
            Err(AppError::Forbidden { .. })
        ));
        let purpose = Purpose::parse("nhi", "資格確認書の送付先確認").unwrap();
        assert_eq!(
            ss.reveal_my_number(&holder, Some(&purpose), T0)
                .await
                .unwrap(),
            number
        );
        let records = kokuho_store::access::records(&app.db, 0, 1_000_000)
            .await
            .unwrap();
        let tail: Vec<_> = records.iter().rev().take(4).collect();
        assert_eq!(
            (tail[0].action.as_str(), tail[0].outcome.as_str()),
            ("my_number_reveal", "allowed")
        );
        assert!(tail[0].purpose.contains("資格確認書の送付先確認"));
        assert_eq!(
            (tail[1].action.as_str(), tail[1].outcome.as_str()),
            ("my_number_reveal", "denied"),
            "unlawful purpose: denied and logged"
        );
        assert!(tail[1].purpose.contains("営業活動"));
        assert_eq!(
            (tail[2].action.as_str(), tail[2].outcome.as_str()),
            ("my_number_reveal", "denied"),
            "no purpose: denied and logged"
        );
        assert_eq!(
            (
                tail[3].action.as_str(),
                tail[3].outcome.as_str(),
                tail[3].account_name.as_str()
            ),
            ("my_number_reveal", "denied", "demo-clerk")
        );
        // The administrator sees no personal data; a contractor only what is granted.
        let admin = actor(&app, "demo-admin").await;
        assert!(matches!(
            Session {
                app: &app,
                actor: &admin
            }
            .person(&id, T0)
            .await,
            Err(AppError::Forbidden { .. })
        ));
        let contractor = actor(&app, "demo-contractor").await;
        let c = Session {
            app: &app,
            actor: &contractor,
        };
        c.person(&id, T0).await.unwrap();
        assert!(matches!(
            c.periods(&found[0].addressee_id, None, T0).await,
            Err(AppError::Forbidden { .. })
        ));
        // After its grant ends, nothing.
        let later = T0 + time::Duration::days(400);
        assert!(
            matches!(
                app.actor_for("demo-contractor", "-", "test", later).await,
                Err(AppError::Unauthenticated { .. })
            ),
            "{}: the contractor account has expired",
            t.name
        );
        assert!(
            app.verify_access_log()
                .await
                .unwrap()
                .first_broken
                .is_none()
        );
    }
}

#[tokio::test]
async fn accounts_are_disabled_never_deleted_and_passwords_follow_the_policy() {
    for t in all_backends().await {
        let app = town(&t).await;
        let admin = actor(&app, "demo-admin").await;
        let weak = NewAccount {
            name: "yamada",
            display_name: "山田",
            role: Role::LevyClerk,
            password: "password",
            expires_on: None,
            totp_secret: None,
            demo: false,
        };
        assert_eq!(
            app.create_account(Some(&admin), &weak, T0)
                .await
                .unwrap_err()
                .field(),
            Some("password")
        );
        let good = NewAccount {
            password: "Kokuho-Levy-2026",
            ..weak
        };
        let e = app.create_account(Some(&admin), &good, T0).await.unwrap();
        assert!(
            e.otpauth_url
                .starts_with("otpauth://totp/kokuho:yamada?secret=")
        );
        assert_eq!(e.totp_secret_base32.len(), 32);
        // A clerk may not create accounts; the attempt is logged.
        let clerk = actor(&app, "demo-clerk").await;
        let other = NewAccount {
            name: "x1",
            password: "Kokuho-Levy-2026",
            ..good
        };
        assert!(matches!(
            app.create_account(Some(&clerk), &other, T0).await,
            Err(AppError::Forbidden { .. })
        ));
        app.disable_account(&admin, "yamada", T0).await.unwrap();
        assert!(matches!(
            app.actor_for("yamada", "-", "test", T0).await,
            Err(AppError::Unauthenticated { .. })
        ));
        assert!(
            kokuho_store::access::get_account(&app.db, "yamada")
                .await
                .unwrap()
                .is_some(),
            "{}: kept, disabled",
            t.name
        );
        // The name cannot be reused for someone else.
        let again = NewAccount {
            name: "yamada",
            password: "Kokuho-Levy-2027",
            ..other
        };
        assert!(matches!(
            app.create_account(Some(&admin), &again, T0).await,
            Err(AppError::Conflict { .. })
        ));
        // A disabled operator is refused on the command line too, and that is logged.
        let n = log_len(&app).await;
        assert!(app.operator("yamada", "osuser", T0).await.is_err());
        let last = kokuho_store::access::last_record(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                last.action.as_str(),
                last.outcome.as_str(),
                last.os_user.as_str()
            ),
            ("sign_in", "denied", "osuser")
        );
        assert_eq!(log_len(&app).await, n + 1);
    }
}

#[tokio::test]
async fn the_database_refuses_to_change_the_log() {
    for t in all_backends().await {
        let app = town(&t).await;
        let clerk = actor(&app, "demo-clerk").await;
        app.log_access(&clerk, "person_view", &["0000000001".into()], None, "", T0)
            .await
            .unwrap();
        assert!(
            exec(&t.db, "UPDATE access_log SET detail = 'x'")
                .await
                .is_err(),
            "{}: update refused",
            t.name
        );
        assert!(
            exec(&t.db, "DELETE FROM access_log").await.is_err(),
            "{}: delete refused",
            t.name
        );
        if t.name == "postgres" {
            assert!(
                exec(&t.db, "TRUNCATE access_log").await.is_err(),
                "truncate refused"
            );
        }
        assert_eq!(log_len(&app).await, 1);
    }
}

/// Tampering made directly in the database (the guards switched off, as an
/// intruder with the file or a superuser could) is found by verification.
#[tokio::test]
async fn verification_finds_edits_deletions_and_reordering() {
    for tamper in ["edit", "delete", "reorder"] {
        for t in all_backends().await {
            let app = town(&t).await;
            let clerk = actor(&app, "demo-clerk").await;
            for i in 1..=5 {
                app.log_access(&clerk, "person_view", &[format!("{i:010}")], None, "", T0)
                    .await
                    .unwrap();
            }
            let ok = app.verify_access_log().await.unwrap();
            assert_eq!((ok.records, ok.first_broken.clone()), (5, None));
            let (off, on): (&[&'static str], &[&'static str]) = if t.name == "sqlite" {
                (
                    &[
                        "DROP TRIGGER access_log_no_update",
                        "DROP TRIGGER access_log_no_delete",
                    ],
                    &[],
                )
            } else {
                (
                    &["ALTER TABLE access_log DISABLE TRIGGER USER"],
                    &["ALTER TABLE access_log ENABLE TRIGGER USER"],
                )
            };
            for sql in off {
                exec(&t.db, sql).await.unwrap();
            }
            let statements: &[&'static str] = match tamper {
                "edit" => &["UPDATE access_log SET subjects = '0000000099' WHERE seq = 3"],
                "delete" => &["DELETE FROM access_log WHERE seq = 3"],
                _ => &[
                    "UPDATE access_log SET seq = 1000 WHERE seq = 2",
                    "UPDATE access_log SET seq = 2 WHERE seq = 3",
                    "UPDATE access_log SET seq = 3 WHERE seq = 1000",
                ],
            };
            for sql in statements {
                assert_eq!(
                    exec(&t.db, sql).await.unwrap(),
                    1,
                    "{} {tamper}: {sql}",
                    t.name
                );
            }
            for sql in on {
                exec(&t.db, sql).await.unwrap();
            }
            let r = app.verify_access_log().await.unwrap();
            let (seq, reason) = r.first_broken.expect("tampering found");
            // edit: record 3 itself; deletion: record 4, whose predecessor is gone;
            // reorder: record 2, which now holds 3's content.
            let (expected_seq, intact) = match tamper {
                "edit" => (3, 2),
                "delete" => (4, 2),
                _ => (2, 1),
            };
            assert_eq!(seq, expected_seq, "{} {tamper}: {reason}", t.name);
            assert_eq!(r.records, intact, "the records before it are intact");
        }
    }
}

#[tokio::test]
async fn permissions_are_checked_before_anything_happens() {
    for t in all_backends().await {
        let app = town(&t).await;
        let levy = actor(&app, "demo-levy").await;
        let s = Session {
            app: &app,
            actor: &levy,
        };
        let versions = with_db!(&t.db, |p| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM eligibility_version"
        )
        .fetch_one(p)
        .await
        .unwrap());
        let r = s.run_age_job(time::macros::date!(2030 - 01 - 01), T0).await;
        assert!(
            matches!(
                r,
                Err(AppError::Forbidden {
                    permission: "age_job",
                    ..
                })
            ),
            "{}",
            t.name
        );
        let after = with_db!(&t.db, |p| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM eligibility_version"
        )
        .fetch_one(p)
        .await
        .unwrap());
        assert_eq!(versions, after, "nothing ran");
        for p in Permission::ALL {
            assert_eq!(
                kokuho_domain::access::allowed(Role::LevyClerk, &[], p, T0.date()),
                Role::LevyClerk.may(p)
            );
        }
    }
}

#[tokio::test]
async fn the_auditors_reports_say_what_happened() {
    use kokuho_app::session::Session;
    for t in all_backends().await {
        let ring = Keyring::generate();
        let spec = TownSpec::demo(1_500, 6);
        town::generate(&t.db, &ring, &spec, T0, |_| {})
            .await
            .unwrap();
        let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number.clone());
        // A day at the office: 10:00 JST on a Tuesday, and one search at 23:30 JST.
        let day = datetime!(2026-11-24 01:00 UTC);
        let night = datetime!(2026-11-24 14:30 UTC);
        let clerk = actor(&app, "demo-clerk").await;
        let c = Session {
            app: &app,
            actor: &clerk,
        };
        let many = c
            .search_persons(
                &PersonSearch {
                    // The beginning of a name (山本, 山根, 山田, 山口, …).
                    name: Some("山".into()),
                    limit: Some(200),
                    ..Default::default()
                },
                day,
            )
            .await
            .unwrap();
        assert!(many.len() >= 100, "a large look-up");
        let someone = many[0].addressee_id.to_string();
        c.person(&someone, night).await.unwrap();
        assert!(c.reveal_my_number(&someone, None, day).await.is_err());
        let sup = actor(&app, "demo-supervisor").await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let (_, number) = TownGenerator::new(TownSpec::demo(1_500, 6))
            .next_batch(5)
            .unwrap()
            .numbers
            .remove(0);
        let holder = app
            .find_by_my_number(number.expose())
            .await
            .unwrap()
            .person
            .addressee_id
            .to_string();
        s.reveal_my_number(
            &holder,
            Some(&Purpose::parse("nhi", "本人確認").unwrap()),
            day,
        )
        .await
        .unwrap();
        let contractor = actor(&app, "demo-contractor").await;
        Session {
            app: &app,
            actor: &contractor,
        }
        .person(&someone, day)
        .await
        .unwrap();
        assert!(
            app.sign_in("demo-levy", "Wrong-Password-9", "123456", "192.0.2.1", day)
                .await
                .is_err()
        );
        let admin = actor(&app, "demo-admin").await;
        app.record_training(
            &admin,
            "demo-clerk",
            time::macros::date!(2026 - 06 - 01),
            "特定個人情報の取扱い研修",
            day,
        )
        .await
        .unwrap();
        let auditor = actor(&app, "demo-auditor").await;
        let a = Session {
            app: &app,
            actor: &auditor,
        };
        // 自己点検
        let r = a
            .self_inspection(
                time::macros::date!(2026 - 11 - 01),
                time::macros::date!(2026 - 11 - 30),
                day,
            )
            .await
            .unwrap();
        let accounts = |section: &str| {
            r.section(section)
                .iter()
                .map(|f| f.account.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(accounts("outside_hours"), ["demo-clerk"], "{}", t.name);
        assert_eq!(accounts("large_lookups"), ["demo-clerk"]);
        assert_eq!(accounts("my_number_reveals"), ["demo-supervisor"]);
        assert_eq!(accounts("contractor_activity"), ["demo-contractor"]);
        assert!(accounts("denied").contains(&"demo-clerk".to_string()));
        assert_eq!(accounts("failed_sign_ins"), ["demo-levy"]);
        assert!(
            !accounts("training_overdue").contains(&"demo-clerk".to_string()),
            "the clerk was trained"
        );
        assert!(accounts("training_overdue").contains(&"demo-levy".to_string()));
        assert!(accounts("unused_accounts").contains(&"demo-benefits".to_string()));
        assert!(
            r.section("outside_hours")[0]
                .records
                .iter()
                .all(|rec| rec.action == "person_view")
        );
        let html = r.to_html();
        assert!(
            html.contains("自己点検報告書")
                && html.contains("執務時間外のアクセス")
                && html.contains("demo-clerk")
        );
        assert!(r.to_csv().lines().count() > r.findings.len() / 2);
        // 開示請求: the person's data and every access to it.
        let d = a.disclosure(&someone, day).await.unwrap();
        assert_eq!(d.person.person.addressee_id.to_string(), someone);
        let who: Vec<_> = d
            .accesses
            .iter()
            .map(|r| {
                (
                    r.account_name.as_str(),
                    r.action.as_str(),
                    r.outcome.as_str(),
                )
            })
            .collect();
        assert!(
            who.contains(&("demo-clerk", "person_view", "allowed")),
            "{who:?}"
        );
        assert!(who.contains(&("demo-clerk", "my_number_reveal", "denied")));
        assert!(who.contains(&("demo-contractor", "person_view", "allowed")));
        assert!(
            who.contains(&("demo-clerk", "person_search", "allowed")),
            "the search that returned them"
        );
        // しきい値判断
        let th = a
            .threshold(time::macros::date!(2026 - 11 - 24), day)
            .await
            .unwrap();
        assert!((1_000..10_000).contains(&th.persons), "{}", th.persons);
        assert_eq!(th.persons_category, "1,000人以上1万人未満");
        assert_eq!(
            th.handlers, 7,
            "every demo account but none disabled; the contractor's grant is in force"
        );
        assert_eq!(
            (th.handlers_category, th.incidents_category),
            ("500人未満", "発生なし")
        );
        assert_eq!(th.required, "基礎項目評価");
        kokuho_store::access::insert_incident(
            &app.db,
            &app.insurer,
            &kokuho_store::access::IncidentRow {
                incident_id: "2026-001".into(),
                occurred_on: time::macros::date!(2026 - 10 - 01),
                serious: true,
                summary: "通知書の誤送付".into(),
                recorded_by: "demo-admin".into(),
                recorded_us: 0,
            },
        )
        .await
        .unwrap();
        let th = a
            .threshold(time::macros::date!(2026 - 11 - 24), day)
            .await
            .unwrap();
        assert_eq!(
            (th.incidents_category, th.serious_incidents),
            ("発生あり", 1)
        );
        let draft = th.draft("八頭町（デモ）", "319012");
        assert!(
            draft.contains("I 関連情報")
                && draft.contains("II しきい値判断項目")
                && draft.contains("III しきい値判断結果")
                && draft.contains("IV リスク対策")
        );
        assert!(draft.contains("1,000人以上1万人未満") && draft.contains("発生あり"));
        // Only auditors get these.
        assert!(matches!(
            c.self_inspection(
                time::macros::date!(2026 - 11 - 01),
                time::macros::date!(2026 - 11 - 30),
                day
            )
            .await,
            Err(AppError::Forbidden { .. })
        ));
        assert!(kokuho_app::audit::required_assessment(350_000, 10, false).contains("全項目評価"));
        assert!(
            kokuho_app::audit::required_assessment(50_000, 600, false).contains("重点項目評価")
        );
        assert!(
            kokuho_app::audit::required_assessment(500, 600, true).contains("義務付けられない")
        );
    }
}

#[tokio::test]
async fn a_setting_blocks_handlers_overdue_for_training() {
    use kokuho_app::session::Session;
    for t in all_backends().await {
        let app = town(&t).await;
        let admin = actor(&app, "demo-admin").await;
        let clerk = actor(&app, "demo-clerk").await;
        let s = Session {
            app: &app,
            actor: &clerk,
        };
        let q = PersonSearch {
            kana: Some("タ".into()),
            limit: Some(1),
            ..Default::default()
        };
        s.search_persons(&q, T0).await.unwrap();
        assert!(matches!(
            app.set_setting(&clerk, kokuho_app::access::BLOCK_UNTRAINED, "true", T0)
                .await,
            Err(AppError::Forbidden { .. })
        ));
        app.set_setting(&admin, kokuho_app::access::BLOCK_UNTRAINED, "true", T0)
            .await
            .unwrap();
        let err = s.search_persons(&q, T0).await.unwrap_err();
        assert!(
            matches!(err, AppError::Forbidden { .. }),
            "{}: untrained clerk blocked",
            t.name
        );
        app.record_training(
            &admin,
            "demo-clerk",
            time::macros::date!(2026 - 10 - 01),
            "研修",
            T0,
        )
        .await
        .unwrap();
        s.search_persons(&q, T0).await.unwrap();
        // A year and more later the training is overdue again.
        assert!(
            s.search_persons(&q, T0 + time::Duration::days(400))
                .await
                .is_err()
        );
        app.set_setting(&admin, kokuho_app::access::BLOCK_UNTRAINED, "false", T0)
            .await
            .unwrap();
        s.search_persons(&q, T0 + time::Duration::days(400))
            .await
            .unwrap();
        assert_eq!(
            app.set_setting(&admin, "colour", "blue", T0)
                .await
                .unwrap_err()
                .field(),
            Some("setting")
        );
    }
}

#[tokio::test]
async fn no_number_reaches_the_log_through_typed_text() {
    use kokuho_app::session::Session;
    for t in all_backends().await {
        let app = town(&t).await;
        // A number typed into the account field of the sign-in.
        assert!(
            app.sign_in("123456789018", "x", "1", "test", T0)
                .await
                .is_err()
        );
        // A number typed into a purpose: refused, and the refusal's record holds the purpose?
        let sup = actor(&app, "demo-supervisor").await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let purpose = Purpose::parse("nhi", "番号 314159265352 の確認").unwrap();
        assert_eq!(
            s.reveal_my_number("0000000001", Some(&purpose), T0)
                .await
                .unwrap_err()
                .field(),
            Some("purpose")
        );
        let all = kokuho_store::access::records(&app.db, 0, 1_000_000)
            .await
            .unwrap();
        let text: String = all
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {} ",
                    r.account_name, r.subjects, r.purpose, r.detail
                )
            })
            .collect();
        assert_eq!(
            kokuho_app::leak_scan::count_my_numbers(text.as_bytes()),
            0,
            "{}: {text}",
            t.name
        );
        assert!(
            all.iter()
                .any(|r| r.account_name == "(not an account name)")
        );
    }
}

#[tokio::test]
async fn sessions_time_out_and_passwords_are_reset_by_an_administrator() {
    for t in all_backends().await {
        let app = town(&t).await;
        let now = OffsetDateTime::now_utc();
        let code = app.demo_totp_code("demo-clerk", now).await.unwrap();
        let clerk = app
            .sign_in(
                "demo-clerk",
                kokuho_app::access::DEMO_PASSWORD,
                &code,
                "test",
                now,
            )
            .await
            .unwrap();
        let s = app.start_session(&clerk, now).await.unwrap();
        // Used within the idle limit: fine, and the use extends it.
        app.resume_session(
            &s.token,
            None,
            false,
            "test",
            now + time::Duration::minutes(29),
        )
        .await
        .unwrap();
        app.resume_session(
            &s.token,
            None,
            false,
            "test",
            now + time::Duration::minutes(58),
        )
        .await
        .unwrap();
        // Idle for more than 30 minutes: over.
        assert!(
            matches!(
                app.resume_session(
                    &s.token,
                    None,
                    false,
                    "test",
                    now + time::Duration::minutes(89)
                )
                .await,
                Err(AppError::Unauthenticated { .. })
            ),
            "{}",
            t.name
        );
        // However busy, a session ends after 12 hours.
        let s2 = app.start_session(&clerk, now).await.unwrap();
        let mut at = now;
        while at < now + time::Duration::hours(12) {
            at += time::Duration::minutes(25);
            let r = app.resume_session(&s2.token, None, false, "test", at).await;
            if at - now > kokuho_app::access::ABSOLUTE_TIMEOUT {
                assert!(r.is_err(), "{}: absolute limit", t.name);
            } else {
                r.unwrap();
            }
        }
        // A state-changing request needs the CSRF token.
        let s3 = app.start_session(&clerk, now).await.unwrap();
        assert!(matches!(
            app.resume_session(&s3.token, Some("forged"), true, "test", now)
                .await,
            Err(AppError::Forbidden { .. })
        ));
        app.resume_session(&s3.token, Some(&s3.csrf_token), true, "test", now)
            .await
            .unwrap();
        // The administrator resets a forgotten password; the policy applies.
        let admin = actor(&app, "demo-admin").await;
        assert_eq!(
            app.reset_password(&admin, "demo-clerk", "short", now)
                .await
                .unwrap_err()
                .field(),
            Some("password")
        );
        app.reset_password(&admin, "demo-clerk", "New-Clerk-Pass-2026", now)
            .await
            .unwrap();
        let later = now + time::Duration::seconds(60);
        let code = app.demo_totp_code("demo-clerk", later).await.unwrap();
        assert!(
            app.sign_in(
                "demo-clerk",
                kokuho_app::access::DEMO_PASSWORD,
                &code,
                "test",
                later
            )
            .await
            .is_err()
        );
        let later = later + time::Duration::seconds(30);
        let code = app.demo_totp_code("demo-clerk", later).await.unwrap();
        app.sign_in("demo-clerk", "New-Clerk-Pass-2026", &code, "test", later)
            .await
            .unwrap();
        assert!(matches!(
            app.reset_password(&clerk, "demo-admin", "Another-Pass-2026", now)
                .await,
            Err(AppError::Forbidden { .. })
        ));
    }
}

/// A log begun before hashes were written between two 'h' still verifies,
/// and records appended after it continue its chain; an edit is still found.
#[tokio::test]
async fn a_log_written_in_the_earlier_hash_form_still_verifies() {
    use kokuho_domain::digest_text::legacy_form;
    use kokuho_store::access::{LogEntry, chain_hash, genesis_hash};
    for t in all_backends().await {
        let app = Kokuho::new(
            t.db.clone(),
            Arc::new(Keyring::generate()),
            kokuho_app::town::demo_insurer(),
        );
        let entry = |n: i64| LogEntry {
            at_us: 1_700_000_000_000_000 + n,
            insurer_number: "319012".into(),
            account_name: "old-clerk".into(),
            role: "eligibility_clerk".into(),
            os_user: "-".into(),
            client: "127.0.0.1".into(),
            action: "person_view".into(),
            subjects: "0000000001".into(),
            purpose: String::new(),
            outcome: "allowed".into(),
            detail: format!("record {n}"),
        };
        let mut prev = legacy_form(&genesis_hash()).to_string();
        for seq in 1..=2i64 {
            let e = entry(seq);
            let hash = legacy_form(&chain_hash(&prev, seq, &e)).to_string();
            with_db!(&t.db, |p| {
                sqlx::query(
                "INSERT INTO access_log (seq, at_us, insurer_number, account_name, role, os_user, client, action, \
                 subjects, purpose, outcome, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            )
            .bind(seq)
            .bind(e.at_us)
            .bind(e.insurer_number.clone())
            .bind(e.account_name.clone())
            .bind(e.role.clone())
            .bind(e.os_user.clone())
            .bind(e.client.clone())
            .bind(e.action.clone())
            .bind(e.subjects.clone())
            .bind(e.purpose.clone())
            .bind(e.outcome.clone())
            .bind(e.detail.clone())
            .bind(prev.clone())
            .bind(hash.clone())
            .execute(p)
            .await
            .map(|_| ())
            .unwrap()
            });
            prev = hash;
        }
        assert!(!prev.starts_with('h'), "written in the earlier form");
        let v = app.verify_access_log().await.unwrap();
        assert_eq!((v.records, v.first_broken), (2, None), "{}", t.name);
        // A record appended now continues the chain in the new form.
        let mut tx = t.db.begin().await.unwrap();
        let r = kokuho_store::access::append(&mut tx, &entry(3))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(r.prev_hash, prev);
        assert!(r.hash.starts_with('h') && r.hash.ends_with('h'));
        let v = app.verify_access_log().await.unwrap();
        assert_eq!((v.records, v.first_broken), (3, None), "{}", t.name);
    }
}
