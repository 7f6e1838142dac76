//! Use-case tests on both backends: the synthetic town, the registry, the vault.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::registry::{NewPerson, PersonSearch};
use kokuho_app::town::{self, TownGenerator, TownSpec};
use kokuho_app::{AppError, Kokuho, leak_scan, vault_admin};
use kokuho_domain::id::{IntegratedAddresseeId, MyNumber};
use kokuho_store::testing::{TestDb, all_backends, sqlite};
use kokuho_store::{Db, with_db};
use kokuho_vault::Keyring;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);
const SMALL: u64 = 1_500;

async fn town(t: &TestDb, ring: &Keyring) -> Kokuho {
    let spec = TownSpec::demo(SMALL, 11);
    let report = town::generate(&t.db, ring, &spec, NOW, |_| {})
        .await
        .unwrap();
    assert_eq!(report.persons, SMALL, "{}", t.name);
    Kokuho::new(
        t.db.clone(),
        Arc::new(Keyring::parse(&ring.to_text()).unwrap()),
        spec.insurer_number,
    )
}

/// The first few (integrated id, number) pairs the generator gives for the spec.
fn first_numbers(n: usize) -> Vec<(IntegratedAddresseeId, MyNumber)> {
    let mut g = TownGenerator::new(TownSpec::demo(SMALL, 11));
    g.next_batch(n)
        .unwrap()
        .numbers
        .into_iter()
        .take(n)
        .collect()
}

async fn count(db: &Db, table: &'static str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    with_db!(db, |p| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
        sql
    ))
    .fetch_one(p)
    .await
    .unwrap())
}

#[tokio::test]
async fn the_town_is_generated_and_found_by_my_number() {
    for t in all_backends().await {
        let ring = Keyring::generate();
        let app = town(&t, &ring).await;
        assert_eq!(count(&t.db, "addressee").await, SMALL as i64);
        let numbers = first_numbers(20);
        assert!(numbers.len() >= 15);
        for (iid, number) in &numbers {
            let found = app.find_by_my_number(number.expose()).await.unwrap();
            assert_eq!(&found.person.integrated_addressee_id, iid, "{}", t.name);
            assert!(found.has_my_number);
            assert!(found.household.is_some());
        }
        // A valid number nobody holds.
        let err = app.find_by_my_number("000000000019").await.unwrap_err();
        assert!(matches!(err, AppError::NotFound { .. }), "{}", t.name);
        // A second generation into the same database is refused and writes nothing.
        let again = town::generate(&t.db, &ring, &TownSpec::demo(SMALL, 11), NOW, |_| {}).await;
        assert!(matches!(again, Err(AppError::Conflict { .. })));
        assert_eq!(count(&t.db, "addressee").await, SMALL as i64);
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_town_on_both_backends() {
    let mut towns = Vec::new();
    for t in all_backends().await {
        let app = town(&t, &Keyring::generate()).await;
        let found = app
            .search_persons(&PersonSearch {
                kana: Some("タ".into()),
                limit: Some(1000),
                ..Default::default()
            })
            .await
            .unwrap();
        towns.push(
            found
                .into_iter()
                .map(|p| (p.addressee_id, p.name, p.birth_date))
                .collect::<Vec<_>>(),
        );
    }
    assert!(!towns[0].is_empty());
    for other in &towns[1..] {
        assert_eq!(&towns[0], other);
    }
}

#[tokio::test]
async fn no_clear_number_in_the_sqlite_files() {
    let t = sqlite().await;
    let _app = town(&t, &Keyring::generate()).await;
    let path = t.sqlite_path.clone().unwrap();
    let mut scanned = 0;
    for file in [path.clone(), path.with_extension("db-wal")] {
        if let Ok(bytes) = std::fs::read(&file) {
            scanned += bytes.len();
            assert_eq!(leak_scan::count_my_numbers(&bytes), 0, "{}", file.display());
        }
    }
    assert!(scanned > 100_000, "the files were really read");
}

fn new_person() -> NewPerson {
    NewPerson {
        name: "鳥取　一郎".into(),
        name_kana: "ﾄｯﾄﾘ ｲﾁﾛｳ".into(),
        birth_date: "昭和60年4月1日".into(),
        sex: "1".into(),
        postal_code: "６８０－０４６１".into(),
        address: "鳥取県八頭郡八頭町郡家100番地".into(),
        resident_status: None,
        household_number: None,
        relationship: None,
        registered_on: "R8.11.24".into(),
        my_number: Some("１２３４５６７８９０１８".into()),
    }
}

#[tokio::test]
async fn registering_a_person_with_a_number() {
    for t in all_backends().await {
        let app = town(&t, &Keyring::generate()).await;
        let p = app.register_person(&new_person(), NOW).await.unwrap();
        assert_eq!(p.postal_code, "680-0461");
        assert_eq!(p.birth_date.to_string(), "1985-04-01");
        let found = app.find_by_my_number("123456789018").await.unwrap();
        assert_eq!(found.person.addressee_id, p.addressee_id, "{}", t.name);
        // A member joining that household.
        let child = NewPerson {
            name: "鳥取　二郎".into(),
            name_kana: "トットリ　ジロウ".into(),
            birth_date: "2026-11-01".into(),
            household_number: Some(p.household_number.to_string()),
            relationship: Some("20".into()),
            my_number: None,
            ..new_person()
        };
        let c = app.register_person(&child, NOW).await.unwrap();
        let hh = app.household(p.household_number.as_str()).await.unwrap();
        assert_eq!(hh.members.len(), 2);
        assert_eq!(hh.members[0].addressee_id, p.addressee_id);
        assert_eq!(hh.members[1].addressee_id, c.addressee_id);
        assert!(
            !app.person(c.addressee_id.as_str())
                .await
                .unwrap()
                .has_my_number
        );
    }
}

#[tokio::test]
async fn bad_registrations_name_the_field_and_store_nothing() {
    for t in all_backends().await {
        let app = town(&t, &Keyring::generate()).await;
        app.register_person(&new_person(), NOW).await.unwrap();
        let persons = count(&t.db, "addressee").await;
        let households = count(&t.db, "household").await;
        let vault_rows = count(&t.db, "my_number_vault").await;
        let cases: Vec<(&str, NewPerson)> = vec![
            (
                "my_number",
                NewPerson {
                    my_number: Some("123456789012".into()),
                    ..new_person()
                },
            ),
            (
                "my_number",
                NewPerson {
                    my_number: Some("12345678901".into()),
                    ..new_person()
                },
            ),
            (
                "birth_date",
                NewPerson {
                    birth_date: "平成31年5月1日".into(),
                    ..new_person()
                },
            ),
            (
                "registered_on",
                NewPerson {
                    registered_on: "2026-02-30".into(),
                    ..new_person()
                },
            ),
            (
                "name",
                NewPerson {
                    name: "  ".into(),
                    ..new_person()
                },
            ),
            (
                "name_kana",
                NewPerson {
                    name_kana: "Tottori".into(),
                    ..new_person()
                },
            ),
            (
                "sex",
                NewPerson {
                    sex: "3".into(),
                    ..new_person()
                },
            ),
            (
                "postal_code",
                NewPerson {
                    postal_code: "680".into(),
                    ..new_person()
                },
            ),
            (
                "household_number",
                NewPerson {
                    household_number: Some("9999999".into()),
                    relationship: Some("20".into()),
                    my_number: None,
                    ..new_person()
                },
            ),
            (
                "relationship",
                NewPerson {
                    relationship: Some("20".into()),
                    my_number: None,
                    ..new_person()
                },
            ),
            (
                "registered_on",
                NewPerson {
                    registered_on: "1980-01-01".into(),
                    my_number: None,
                    ..new_person()
                },
            ),
        ];
        for (field, p) in cases {
            let err = app.register_person(&p, NOW).await.unwrap_err();
            assert_eq!(err.field(), Some(field), "{}: {err}", t.name);
            assert!(!err.message_ja().is_empty());
            assert!(
                !err.to_string().contains("12345678901"),
                "no number in errors"
            );
        }
        // The same number a second time: refused, and the person is not stored either.
        let dup = NewPerson {
            name: "別人　太郎".into(),
            ..new_person()
        };
        assert!(matches!(
            app.register_person(&dup, NOW).await,
            Err(AppError::Conflict { .. })
        ));
        assert_eq!(count(&t.db, "addressee").await, persons, "{}", t.name);
        assert_eq!(count(&t.db, "household").await, households);
        assert_eq!(count(&t.db, "my_number_vault").await, vault_rows);
    }
}

#[tokio::test]
async fn searches_need_a_criterion_and_read_wareki() {
    for t in all_backends().await {
        let app = town(&t, &Keyring::generate()).await;
        let err = app
            .search_persons(&PersonSearch::default())
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("query"));
        let some = app
            .search_persons(&PersonSearch {
                kana: Some("ﾀ".into()),
                limit: Some(1),
                ..Default::default()
            })
            .await
            .unwrap();
        let p = &some[0];
        let wareki = kokuho_domain::wareki::Wareki::from_date(p.birth_date)
            .unwrap()
            .to_string();
        let found = app
            .search_persons(&PersonSearch {
                birth_date: Some(wareki),
                limit: Some(1000),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            found.iter().any(|f| f.addressee_id == p.addressee_id),
            "{}",
            t.name
        );
        let err = app
            .search_persons(&PersonSearch {
                birth_date: Some("R6.2.30".into()),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("birth_date"));
        // A name: its beginning first; a given name alone (no name begins
        // with it) falls back to any part of the name.
        let name = |n: &str| PersonSearch {
            name: Some(n.into()),
            limit: Some(1000),
            ..Default::default()
        };
        let (family, given) = p.name.as_str().split_once('　').unwrap();
        let by_family = app.search_persons(&name(family)).await.unwrap();
        assert!(by_family.iter().any(|f| f.addressee_id == p.addressee_id));
        assert!(
            by_family
                .iter()
                .all(|f| f.name.as_str().starts_with(family))
        );
        let by_given = app.search_persons(&name(given)).await.unwrap();
        assert!(
            by_given.iter().any(|f| f.addressee_id == p.addressee_id),
            "{}: {given}",
            t.name
        );
        assert!(by_given.iter().all(|f| f.name.as_str().contains(given)));
    }
}

#[tokio::test]
async fn key_rotation_reseals_everything_and_keeps_lookups() {
    for t in all_backends().await {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.keys");
        let ring = Keyring::generate();
        ring.save(&path).unwrap();
        let app = town(&t, &ring).await;
        let rows = count(&t.db, "my_number_vault").await;
        let report = vault_admin::rotate_key(&t.db, &path).await.unwrap();
        assert_eq!(report.new_key, 2);
        assert_eq!(report.resealed as i64, rows, "{}", t.name);
        let rotated = Keyring::load(&path).unwrap();
        let status = vault_admin::status(&t.db, &rotated).await.unwrap();
        assert_eq!(status.rows_per_key, vec![(2, rows)]);
        assert_eq!(status.keys_in_ring, vec![1, 2]);
        // Lookups still work (the lookup key did not change) and numbers open.
        let app = Kokuho::new(t.db.clone(), Arc::new(rotated), app.insurer.clone());
        for (iid, number) in first_numbers(5) {
            assert_eq!(
                app.find_by_my_number(number.expose())
                    .await
                    .unwrap()
                    .person
                    .integrated_addressee_id,
                iid
            );
            let opened = vault_admin::open_number(&t.db, &app.keyring, &app.insurer, &iid)
                .await
                .unwrap();
            assert_eq!(opened, Some(number));
        }
        // The old key can go now; the current one cannot.
        vault_admin::retire_key(&t.db, &path, 1).await.unwrap();
        assert_eq!(Keyring::load(&path).unwrap().encryption_key_ids(), vec![2]);
        assert!(vault_admin::retire_key(&t.db, &path, 2).await.is_err());
    }
}

#[tokio::test]
async fn a_failed_rotation_changes_nothing() {
    for t in all_backends().await {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.keys");
        let ring = Keyring::generate();
        ring.save(&path).unwrap();
        let _app = town(&t, &ring).await;
        // Damage the last row: rotation reaches it after re-sealing the others.
        let sql = "UPDATE my_number_vault SET sealed = $1 WHERE integrated_addressee_id = \
                   (SELECT MAX(integrated_addressee_id) FROM my_number_vault)";
        with_db!(&t.db, |p| {
            sqlx::query(sql)
                .bind(vec![0u8; 40])
                .execute(p)
                .await
                .unwrap();
        });
        let rows = count(&t.db, "my_number_vault").await;
        let err = vault_admin::rotate_key(&t.db, &path).await.unwrap_err();
        assert!(matches!(err, AppError::Vault(_)), "{}: {err}", t.name);
        let status = vault_admin::status(&t.db, &Keyring::load(&path).unwrap())
            .await
            .unwrap();
        assert_eq!(
            status.rows_per_key,
            vec![(1, rows)],
            "{}: all rows still under key 1",
            t.name
        );
        assert_eq!(status.keys_in_ring, vec![1], "the keyring is restored");
        // And a retire of the only key in use is refused.
        assert!(vault_admin::retire_key(&t.db, &path, 1).await.is_err());
    }
}

#[test]
fn the_demo_insurer_is_valid_and_in_tottori() {
    assert_eq!(town::demo_insurer().prefecture_code(), "31");
}
