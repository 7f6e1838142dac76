//! Repository tests: every scenario runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kokuho_domain::addressee::{
    Addressee, Household, HouseholdNumber, Relationship, ResidentStatus, Sex,
};
use kokuho_domain::id::{AddresseeId, InsurerNumber, IntegratedAddresseeId, MyNumber};
use kokuho_domain::name::{KanaName, PersonName};
use kokuho_store::addressee::{self, NameMatch, PersonQuery};
use kokuho_store::insurer::{self, Insurer};
use kokuho_store::testing::{TestDb, all_backends, pg_url, postgres, sqlite};
use kokuho_store::vault::{self, VaultEntry};
use kokuho_store::{Db, schema};
use kokuho_vault::Keyring;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);

fn ins(n: &str) -> InsurerNumber {
    InsurerNumber::parse(n).unwrap()
}

async fn with_insurers(db: &Db) {
    for (n, name) in [("313023", "甲町"), ("310011", "乙市")] {
        insurer::upsert(
            db,
            &Insurer {
                insurer_number: ins(n),
                name: name.into(),
                prefecture: "鳥取県".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    }
}

fn household(insurer: &str, n: u64, householder: u64) -> Household {
    Household {
        insurer_number: ins(insurer),
        household_number: HouseholdNumber::from_u64(n),
        householder: AddresseeId::from_u64(householder),
        postal_code: "680-0461".into(),
        address: "鳥取県八頭郡八頭町郡家1番地".into(),
        registered_on: date!(2000 - 01 - 01),
        removed_on: None,
    }
}

fn person(
    insurer: &str,
    id: u64,
    hh: u64,
    name: &str,
    kana: &str,
    born: Date,
    rel: Relationship,
) -> Addressee {
    Addressee {
        insurer_number: ins(insurer),
        addressee_id: AddresseeId::from_u64(id),
        integrated_addressee_id: IntegratedAddresseeId::from_u64(id + 5_000_000_000),
        name: PersonName::parse(name).unwrap(),
        name_kana: KanaName::parse(kana).unwrap(),
        birth_date: born,
        sex: Sex::Female,
        postal_code: "680-0461".into(),
        address: "鳥取県八頭郡八頭町郡家1番地".into(),
        resident_status: ResidentStatus::Resident,
        household_number: HouseholdNumber::from_u64(hh),
        relationship: rel,
        registered_on: born.max(date!(2000 - 01 - 01)),
        removed_on: None,
    }
}

/// Two households in 313023 and one person of the same name in 310011.
async fn seed(db: &Db) {
    with_insurers(db).await;
    let mut tx = db.begin().await.unwrap();
    addressee::insert_households(
        &mut tx,
        &[
            household("313023", 1, 1),
            household("313023", 2, 3),
            household("310011", 1, 1),
        ],
    )
    .await
    .unwrap();
    addressee::insert_addressees(
        &mut tx,
        &[
            person(
                "313023",
                1,
                1,
                "山田　太郎",
                "ヤマダ　タロウ",
                date!(1950 - 04 - 01),
                Relationship::Householder,
            ),
            person(
                "313023",
                2,
                1,
                "山田　花子",
                "ﾔﾏﾀﾞ ﾊﾅｺ",
                date!(1953 - 09 - 30),
                Relationship::Wife,
            ),
            // 神 U+FA19 (a compatibility ideograph NFC would change) and 𠮷 (plane 2)
            person(
                "313023",
                3,
                2,
                "\u{FA19}谷　\u{20BB7}子",
                "かみたに　よしこ",
                date!(1988 - 02 - 29),
                Relationship::Householder,
            ),
            // an ideographic variation sequence: 葛 + VS17
            person(
                "313023",
                4,
                2,
                "葛\u{E0100}西　100%_太",
                "カサイ　タ",
                date!(2016 - 05 - 01),
                Relationship::Child,
            ),
            person(
                "310011",
                1,
                1,
                "山田　太郎",
                "ヤマダ　タロウ",
                date!(1950 - 04 - 01),
                Relationship::Householder,
            ),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

fn names(v: &[Addressee]) -> Vec<String> {
    v.iter().map(|p| p.name.as_str().to_string()).collect()
}

#[tokio::test]
async fn migrations_are_in_step_on_both_backends() {
    let lite = sqlite().await;
    let versions = schema::migration_versions(&lite.db);
    assert!(!versions.is_empty());
    assert_eq!(
        schema::applied_versions(&lite.db).await.unwrap(),
        versions.iter().map(|v| v.0).collect::<Vec<_>>()
    );
    // Applying again is a no-op.
    lite.db.migrate().await.unwrap();
    let Some(url) = pg_url() else { return };
    let pg = postgres(&url).await;
    assert_eq!(
        schema::migration_versions(&pg.db),
        versions,
        "same versions and names in both folders"
    );
    assert_eq!(
        schema::columns(&lite.db).await.unwrap(),
        schema::columns(&pg.db).await.unwrap(),
        "both schemas have the same tables and columns"
    );
}

#[tokio::test]
async fn names_are_stored_exactly() {
    for t in all_backends().await {
        seed(&t.db).await;
        let p = addressee::get_person(&t.db, &ins("313023"), &AddresseeId::from_u64(3))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.name.as_str(), "\u{FA19}谷　\u{20BB7}子", "{}", t.name);
        assert_eq!(p.name_kana.as_str(), "かみたに　よしこ");
        assert_eq!(p.birth_date, date!(1988 - 02 - 29));
        let p = addressee::get_person(&t.db, &ins("313023"), &AddresseeId::from_u64(4))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.name.as_str(), "葛\u{E0100}西　100%_太", "{}", t.name);
        let p = addressee::get_person(&t.db, &ins("313023"), &AddresseeId::from_u64(2))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            p.name_kana.as_str(),
            "ﾔﾏﾀﾞ ﾊﾅｺ",
            "half-width kana kept as given"
        );
    }
}

#[tokio::test]
async fn kana_search_finds_every_spelling_within_the_insurer() {
    for t in all_backends().await {
        seed(&t.db).await;
        for kana in ["ﾔﾏﾀﾞ", "やまだ", "ヤマダ", "ヤマダ　", "やま だ"] {
            let found = addressee::search(
                &t.db,
                &ins("313023"),
                &PersonQuery {
                    kana: Some(kana.into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            assert_eq!(
                names(&found),
                ["山田　太郎", "山田　花子"],
                "{} {kana}",
                t.name
            );
            assert!(
                found.iter().all(|p| p.insurer_number == ins("313023")),
                "tenancy"
            );
        }
        let found = addressee::search(
            &t.db,
            &ins("313023"),
            &PersonQuery {
                kana: Some("やまだはな".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(names(&found), ["山田　花子"]);
        let other = addressee::search(
            &t.db,
            &ins("310011"),
            &PersonQuery {
                kana: Some("ヤマダ".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            other.len(),
            1,
            "{}: the other insurer sees only its own",
            t.name
        );
    }
}

#[tokio::test]
async fn name_and_birth_date_search_treat_input_literally() {
    for t in all_backends().await {
        seed(&t.db).await;
        let q = |name: &str| PersonQuery {
            name: Some(name.into()),
            limit: 50,
            ..Default::default()
        };
        let found = addressee::search(&t.db, &ins("313023"), &q("100%_"))
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{}", t.name);
        // Wildcards in input match only themselves.
        assert!(
            addressee::search(&t.db, &ins("313023"), &q("%"))
                .await
                .unwrap()
                .len()
                == 1
        );
        assert!(
            addressee::search(&t.db, &ins("313023"), &q("_"))
                .await
                .unwrap()
                .len()
                == 1
        );
        assert!(
            addressee::search(&t.db, &ins("313023"), &q("' OR 1=1 --"))
                .await
                .unwrap()
                .is_empty()
        );
        // The beginning of a name, by the index: literal too, and variant
        // characters (葛 with its IVS) match only themselves.
        let prefix = |name: &str| PersonQuery {
            name: Some(name.into()),
            name_match: NameMatch::Prefix,
            limit: 50,
            ..Default::default()
        };
        let found = addressee::search(&t.db, &ins("313023"), &prefix("山田"))
            .await
            .unwrap();
        assert_eq!(names(&found), ["山田　太郎", "山田　花子"], "{}", t.name);
        for nobody in ["太郎", "葛西", "%", "_"] {
            assert!(
                addressee::search(&t.db, &ins("313023"), &prefix(nobody))
                    .await
                    .unwrap()
                    .is_empty(),
                "{}: {nobody}",
                t.name
            );
        }
        let found = addressee::search(&t.db, &ins("313023"), &prefix("葛\u{E0100}西　100%"))
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{}", t.name);
        let by_birth = addressee::search(
            &t.db,
            &ins("313023"),
            &PersonQuery {
                birth_date: Some(date!(1950 - 04 - 01)),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(names(&by_birth), ["山田　太郎"]);
        let limited = addressee::search(
            &t.db,
            &ins("313023"),
            &PersonQuery {
                kana: Some("ヤ".into()),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(limited.len(), 1);
    }
}

#[tokio::test]
async fn households_list_the_householder_first() {
    for t in all_backends().await {
        seed(&t.db).await;
        let members =
            addressee::household_members(&t.db, &ins("313023"), &HouseholdNumber::from_u64(2))
                .await
                .unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(
            members[0].relationship,
            Relationship::Householder,
            "{}",
            t.name
        );
        let h = addressee::get_household(&t.db, &ins("313023"), &HouseholdNumber::from_u64(2))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(h.householder, AddresseeId::from_u64(3));
        assert!(
            addressee::get_household(&t.db, &ins("313023"), &HouseholdNumber::from_u64(9))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            addressee::count_persons(&t.db, &ins("313023"))
                .await
                .unwrap(),
            4
        );
        assert_eq!(
            addressee::count_households(&t.db, &ins("310011"))
                .await
                .unwrap(),
            1
        );
    }
}

#[tokio::test]
async fn the_database_refuses_duplicates_and_orphans_and_a_failed_batch_leaves_nothing() {
    for t in all_backends().await {
        seed(&t.db).await;
        // Duplicate addressee id.
        let mut tx = t.db.begin().await.unwrap();
        let err = addressee::insert_addressees(
            &mut tx,
            &[person(
                "313023",
                1,
                1,
                "別人",
                "ベツジン",
                date!(1990 - 01 - 01),
                Relationship::Child,
            )],
        )
        .await
        .unwrap_err();
        assert!(err.is_unique_violation(), "{}: {err}", t.name);
        tx.rollback().await.unwrap();
        // A person in a household that does not exist.
        let mut tx = t.db.begin().await.unwrap();
        assert!(
            addressee::insert_addressees(
                &mut tx,
                &[person(
                    "313023",
                    10,
                    77,
                    "孤児",
                    "コジ",
                    date!(1990 - 01 - 01),
                    Relationship::Child
                )],
            )
            .await
            .is_err(),
            "{}: foreign key",
            t.name
        );
        tx.rollback().await.unwrap();
        // A batch whose second statement fails leaves nothing of the first.
        let mut tx = t.db.begin().await.unwrap();
        addressee::insert_households(&mut tx, &[household("313023", 5, 20)])
            .await
            .unwrap();
        let failed = addressee::insert_households(&mut tx, &[household("313023", 1, 1)]).await;
        assert!(failed.is_err());
        tx.rollback().await.unwrap();
        assert!(
            addressee::get_household(&t.db, &ins("313023"), &HouseholdNumber::from_u64(5))
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn the_vault_stores_only_sealed_numbers_and_finds_them_by_hash() {
    for t in all_backends().await {
        seed(&t.db).await;
        let ring = Keyring::generate();
        let insurer = ins("313023");
        let n1 = MyNumber::parse("123456789018").unwrap();
        let n2 = MyNumber::parse("314159265352").unwrap();
        let entry = |id: u64, n: &MyNumber| {
            let iid = IntegratedAddresseeId::from_u64(id + 5_000_000_000);
            VaultEntry {
                insurer_number: insurer.clone(),
                sealed: ring.seal(n, insurer.as_str(), iid.as_str()).unwrap(),
                lookup: ring.lookup_hash(n),
                integrated_addressee_id: iid,
            }
        };
        let mut tx = t.db.begin().await.unwrap();
        vault::insert(&mut tx, &[entry(1, &n1), entry(2, &n2)], NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let found = vault::find_by_lookup_hash(&t.db, &insurer, &ring.lookup_hash(&n2))
            .await
            .unwrap();
        assert_eq!(
            found,
            Some(IntegratedAddresseeId::from_u64(5_000_000_002)),
            "{}",
            t.name
        );
        // The same number under another insurer is not found.
        assert_eq!(
            vault::find_by_lookup_hash(&t.db, &ins("310011"), &ring.lookup_hash(&n2))
                .await
                .unwrap(),
            None
        );
        let sealed = vault::sealed_for(
            &t.db,
            &insurer,
            &IntegratedAddresseeId::from_u64(5_000_000_001),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            ring.open(&sealed, insurer.as_str(), "5000000001").unwrap(),
            n1
        );

        // One number, one person: a second row with the same hash is refused.
        let mut tx = t.db.begin().await.unwrap();
        let err = vault::insert(&mut tx, &[entry(3, &n1)], NOW)
            .await
            .unwrap_err();
        assert!(err.is_unique_violation(), "{}: {err}", t.name);
        tx.rollback().await.unwrap();
        assert_eq!(vault::rows_per_key(&t.db).await.unwrap(), vec![(1, 2)]);
    }
}

#[tokio::test]
async fn a_sqlite_file_holds_no_clear_number() {
    let t: TestDb = sqlite().await;
    seed(&t.db).await;
    let ring = Keyring::generate();
    let insurer = ins("313023");
    let n = MyNumber::parse("271828182840").unwrap();
    let iid = IntegratedAddresseeId::from_u64(5_000_000_001);
    let mut tx = t.db.begin().await.unwrap();
    vault::insert(
        &mut tx,
        &[VaultEntry {
            insurer_number: insurer.clone(),
            sealed: ring.seal(&n, insurer.as_str(), iid.as_str()).unwrap(),
            lookup: ring.lookup_hash(&n),
            integrated_addressee_id: iid,
        }],
        NOW,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let path = t.sqlite_path.clone().unwrap();
    for file in [path.clone(), path.with_extension("db-wal")] {
        if let Ok(bytes) = std::fs::read(&file) {
            assert!(
                !bytes.windows(12).any(|w| w == b"271828182840"),
                "{}",
                file.display()
            );
        }
    }
}
