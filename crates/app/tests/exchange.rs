//! The federation extract's differential on both backends: a period voided
//! after it was sent goes again as 取消, and the household it was in goes
//! again as 削除 (no member was ever insured in it) — not under another
//! household's numbers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::Kokuho;
use kokuho_app::eligibility::{Acquisition, Correction, Flags};
use kokuho_app::exchange::Since;
use kokuho_app::registry::NewPerson;
use kokuho_domain::eligibility::AcquisitionReason;
use kokuho_domain::id::InsurerNumber;
use kokuho_formats::federation::{self, Body, Change};
use kokuho_store::testing::all_backends;
use kokuho_vault::{Keyring, TransferKey};
use time::macros::{date, datetime};

#[tokio::test]
async fn a_voided_period_and_its_household_go_again_as_removed() {
    for t in all_backends().await {
        let insurer = InsurerNumber::parse("319012").unwrap();
        let t0 = datetime!(2026-10-01 09:00 UTC);
        kokuho_store::insurer::upsert(
            &t.db,
            &kokuho_store::insurer::Insurer {
                insurer_number: insurer.clone(),
                name: "八頭町".into(),
                prefecture: "鳥取県".into(),
            },
            t0,
        )
        .await
        .unwrap();
        let app = Kokuho::new(t.db.clone(), Arc::new(Keyring::generate()), insurer);
        let person = app
            .register_person(
                &NewPerson {
                    name: "八頭　一".into(),
                    name_kana: "ヤズ　ハジメ".into(),
                    birth_date: "1980-01-01".into(),
                    sex: "1".into(),
                    postal_code: "680-0461".into(),
                    address: "鳥取県八頭郡八頭町郡家1番地".into(),
                    registered_on: "2026-10-01".into(),
                    ..Default::default()
                },
                t0,
            )
            .await
            .unwrap();
        let period = app
            .acquire(
                &Acquisition {
                    addressee_id: person.addressee_id.clone(),
                    reason: AcquisitionReason::MoveIn,
                    event_on: date!(2026 - 10 - 01),
                    notified_on: Some(date!(2026 - 10 - 01)),
                    household_number: None,
                    previous_insurer_number: None,
                    flags: Flags::default(),
                },
                "clerk",
                t0,
            )
            .await
            .unwrap();
        let key = TransferKey::generate();
        let dir = tempfile::tempdir().unwrap();
        let first = app
            .export_to_federation(
                Since::LastSent,
                &dir.path().join("1"),
                &key,
                "nhi",
                "clerk",
                datetime!(2026-10-02 09:00 UTC),
            )
            .await
            .unwrap();
        let households = |r: &kokuho_app::exchange::ExportReport| {
            let f = r
                .files
                .iter()
                .find(|f| f.kind == "eligibility_household")
                .unwrap();
            let bytes = std::fs::read(&f.path).unwrap();
            match federation::read("KS01.dat", &bytes).unwrap().body {
                Body::Households(h) => h,
                other => panic!("{other:?}"),
            }
        };
        let persons = |r: &kokuho_app::exchange::ExportReport| {
            let f = r
                .files
                .iter()
                .find(|f| f.kind == "eligibility_person")
                .unwrap();
            let name = f
                .path
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .strip_suffix(".sealed")
                .unwrap()
                .to_string();
            let plain = key.open(&std::fs::read(&f.path).unwrap(), &name).unwrap();
            match federation::read(&name, &plain).unwrap().body {
                Body::Persons(p) => p,
                other => panic!("{other:?}"),
            }
        };
        let h1 = households(&first);
        assert_eq!(h1.len(), 1);
        assert_eq!(
            (h1[0].change, h1[0].insured_from, h1[0].insured_until),
            (Change::Upsert, Some(date!(2026 - 10 - 01)), None)
        );

        // The period was entered in error: voided.
        app.correct(
            &Correction {
                period_id: period.period_id,
                acquired_on: None,
                acquisition_reason: None,
                lost_on: None,
                loss_reason: None,
                flags: None,
                void: true,
                note: "誤登録".into(),
            },
            "clerk",
            datetime!(2026-10-03 09:00 UTC),
        )
        .await
        .unwrap();
        let second = app
            .export_to_federation(
                Since::LastSent,
                &dir.path().join("2"),
                &key,
                "nhi",
                "clerk",
                datetime!(2026-10-04 09:00 UTC),
            )
            .await
            .unwrap();
        let p2 = persons(&second);
        assert_eq!(p2.len(), 1);
        assert_eq!(
            (p2[0].change, p2[0].period_id),
            (Change::Remove, period.period_id)
        );
        assert_eq!(
            p2[0].household_number, h1[0].household_number,
            "under the numbers it was sent with"
        );
        let h2 = households(&second);
        assert_eq!(h2.len(), 1, "{h2:?}");
        assert_eq!(
            (h2[0].change, h2[0].household_number.as_str()),
            (Change::Remove, h1[0].household_number.as_str())
        );
        // Nothing changed since: the next differential is empty.
        let third = app
            .export_to_federation(
                Since::LastSent,
                &dir.path().join("3"),
                &key,
                "nhi",
                "clerk",
                datetime!(2026-10-05 09:00 UTC),
            )
            .await
            .unwrap();
        assert!(
            third.files.iter().all(|f| f.records == 0),
            "{:?}",
            third.files
        );
        // A transaction that stamped its change an hour before the third
        // send's moment but committed after that send read the data: the
        // next differential starts two hours before that moment, so the
        // change goes with it rather than falling between the two.
        let late = app
            .register_person(
                &NewPerson {
                    name: "八頭　二郎".into(),
                    name_kana: "ヤズ　ジロウ".into(),
                    birth_date: "1981-02-02".into(),
                    sex: "1".into(),
                    postal_code: "680-0461".into(),
                    address: "鳥取県八頭郡八頭町郡家2番地".into(),
                    registered_on: "2026-10-05".into(),
                    ..Default::default()
                },
                datetime!(2026-10-05 08:00 UTC),
            )
            .await
            .unwrap();
        app.acquire(
            &Acquisition {
                addressee_id: late.addressee_id.clone(),
                reason: AcquisitionReason::MoveIn,
                event_on: date!(2026 - 10 - 05),
                notified_on: Some(date!(2026 - 10 - 05)),
                household_number: None,
                previous_insurer_number: None,
                flags: Flags::default(),
            },
            "clerk",
            datetime!(2026-10-05 08:00 UTC),
        )
        .await
        .unwrap();
        let fourth = app
            .export_to_federation(
                Since::LastSent,
                &dir.path().join("4"),
                &key,
                "nhi",
                "clerk",
                datetime!(2026-10-06 09:00 UTC),
            )
            .await
            .unwrap();
        let p4 = persons(&fourth);
        assert_eq!(p4.len(), 1, "{p4:?}");
        assert_eq!(p4[0].addressee_id, late.addressee_id.to_string());
        // the header says where the differential starts: 07:00 UTC, 16:00 JST
        let f = fourth
            .files
            .iter()
            .find(|f| f.kind == "eligibility_household")
            .unwrap();
        let header = federation::read("KS01.dat", &std::fs::read(&f.path).unwrap())
            .unwrap()
            .header;
        assert_eq!(
            header.since,
            Some(datetime!(2026-10-05 16:00:00)),
            "{}",
            t.name
        );
    }
}

/// The intermediate server's registration result, relayed by the
/// federation, is refused whole — naming the line and the field — when a
/// record names a period that is not this insurer's, or one period twice;
/// a good one is taken in once. A query from the information-provision
/// network names its agency: missing, over 60 characters or holding a My
/// Number, it is refused before anything is looked up.
#[tokio::test]
async fn a_bad_registration_result_or_linkage_agency_is_refused() {
    use kokuho_app::AppError;
    use kokuho_app::session::Session;
    use kokuho_app::town::{self, TownSpec};
    use kokuho_formats::intermediate::{
        self, Body as IBody, Extract, IntermediateFile, ResultRecord,
    };
    const T0: time::OffsetDateTime = datetime!(2026-11-25 09:00 UTC);
    for t in all_backends().await {
        let ring = Keyring::generate();
        let spec = TownSpec::demo(300, 5);
        town::generate(&t.db, &ring, &spec, T0, |_| {})
            .await
            .unwrap();
        let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number.clone());
        let periods =
            kokuho_store::eligibility::all_periods_known_at(&t.db, &app.insurer, i64::MAX)
                .await
                .unwrap();
        let p = &periods[0];
        let record = |period_id: i64| ResultRecord {
            insurer_number: app.insurer.as_str().to_string(),
            insured_symbol: "八頭".into(),
            insured_number: "0001234".into(),
            branch_number: "01".into(),
            addressee_id: p.addressee_id.to_string(),
            period_id,
            ok: true,
            error_code: None,
            agency_code_obtained: true,
        };
        let file = |rs: Vec<ResultRecord>| {
            intermediate::write(&IntermediateFile {
                header: intermediate::header(
                    app.insurer.as_str(),
                    datetime!(2026-11-25 10:00:00),
                    Extract::Answer,
                    None,
                ),
                body: IBody::Results(rs),
            })
            .unwrap()
        };
        let import = |bytes: Vec<u8>| {
            let app = app.clone();
            async move {
                app.import_from_federation("result.dat", &bytes, None, "", "tester", T0)
                    .await
            }
        };
        for (rs, line) in [
            (vec![record(p.period_id), record(999_999_999)], 3),
            (vec![record(p.period_id), record(p.period_id)], 3),
        ] {
            let e = import(file(rs)).await.unwrap_err();
            match e {
                AppError::Rejected { line: l, field, .. } => {
                    assert_eq!((l, field.as_str()), (line, "資格履歴番号"), "{}", t.name)
                }
                other => panic!("{other:?}"),
            }
        }
        let r = import(file(vec![record(p.period_id)])).await.unwrap();
        assert_eq!(r.records, 1);
        // the same file again: taken in once
        let e = import(file(vec![record(p.period_id)])).await.unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");

        let sup = app
            .actor_for("demo-supervisor", "tester", "test", T0)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let long = "A".repeat(61);
        for agency in ["", "  ", long.as_str(), "照会 123456789018"] {
            let e = s
                .answer_linkage_query(42, agency, "0000000001", date!(2026 - 11 - 01), T0)
                .await
                .unwrap_err();
            assert_eq!(e.field(), Some("agency"), "{agency:?}: {e:?}");
        }
    }
}
