//! End to end, on both backends: two towns of one prefecture and the
//! federation's aggregation system. A household moves from town A to town B;
//! both towns send their extracts; the aggregation system finds the move and
//! tells B; B judges the household to continue; the aggregation system hands
//! A's high-cost months over; B takes them in, and they count towards B's
//! 多数回 from then on. Both towns share one database, each its own insurer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use kokuho_app::eligibility::{Acquisition, Flags, Loss};
use kokuho_app::exchange::Since;
use kokuho_app::registry::NewPerson;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::addressee::Addressee;
use kokuho_domain::eligibility::{AcquisitionReason, LossReason, MoveDestination};
use kokuho_domain::id::{InsurerNumber, MyNumber};
use kokuho_federation_aggregator::Aggregator;
use kokuho_formats::federation::{self, Body, Continuity, Extract};
use kokuho_store::testing::all_backends;
use kokuho_vault::{Keyring, TransferKey};
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2025-04-01 09:00 UTC);
const A: &str = "319012";
const B: &str = "313023";

async fn town(db: &kokuho_store::Db, number: &str, name: &str) -> Kokuho {
    let insurer = InsurerNumber::parse(number).unwrap();
    kokuho_store::insurer::upsert(
        db,
        &kokuho_store::insurer::Insurer {
            insurer_number: insurer.clone(),
            name: name.into(),
            prefecture: "鳥取県".into(),
        },
        T0,
    )
    .await
    .unwrap();
    Kokuho::new(db.clone(), Arc::new(Keyring::generate()), insurer)
}

fn number(base: u64) -> String {
    MyNumber::from_base(base).unwrap().expose().to_string()
}

async fn family(app: &Kokuho, on: Date, at: OffsetDateTime) -> (Addressee, Addressee) {
    let householder = app
        .register_person(
            &NewPerson {
                name: "因幡　一郎".into(),
                name_kana: "イナバ　イチロウ".into(),
                birth_date: "1970-05-05".into(),
                sex: "1".into(),
                postal_code: "680-0461".into(),
                address: "鳥取県八頭郡八頭町郡家1番地".into(),
                registered_on: on.to_string(),
                my_number: Some(number(12_345_678_901)),
                ..Default::default()
            },
            at,
        )
        .await
        .unwrap();
    let child = app
        .register_person(
            &NewPerson {
                name: "因幡　花".into(),
                name_kana: "イナバ　ハナ".into(),
                birth_date: "2005-06-06".into(),
                sex: "2".into(),
                postal_code: "680-0461".into(),
                address: "鳥取県八頭郡八頭町郡家1番地".into(),
                household_number: Some(householder.household_number.to_string()),
                relationship: Some("20".into()),
                registered_on: on.to_string(),
                my_number: Some(number(12_345_678_902)),
                ..Default::default()
            },
            at,
        )
        .await
        .unwrap();
    (householder, child)
}

fn acquire(p: &Addressee, reason: AcquisitionReason, on: Date, from: Option<&str>) -> Acquisition {
    Acquisition {
        addressee_id: p.addressee_id.clone(),
        reason,
        event_on: on,
        notified_on: Some(on),
        household_number: None,
        previous_insurer_number: from.map(|f| InsurerNumber::parse(f).unwrap()),
        flags: Flags::default(),
    }
}

/// Every file of a folder, as the aggregation system receives them.
fn send_all(agg: &mut Aggregator, dir: &Path, key: &TransferKey) -> Vec<String> {
    let mut names = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        agg.ingest(&name, &std::fs::read(&p).unwrap(), key).unwrap();
        names.push(name);
    }
    names
}

#[tokio::test]
async fn a_household_moves_between_towns_and_its_high_cost_count_continues() {
    for t in all_backends().await {
        let a = town(&t.db, A, "八頭町").await;
        let b = town(&t.db, B, "甲町").await;
        let key = TransferKey::generate();
        let moved = date!(2026 - 09 - 15);

        // Town A: the household insured since 2025-04, three high-cost
        // months in 2026, then gone to town B on 15 September.
        let (a_head, a_child) = family(&a, date!(2025 - 04 - 01), T0).await;
        for p in [&a_head, &a_child] {
            a.acquire(
                &acquire(p, AcquisitionReason::MoveIn, date!(2025 - 04 - 01), None),
                "clerk-a",
                T0,
            )
            .await
            .unwrap();
        }
        let a_household = a_head.household_number.to_string();
        {
            let mut tx = t.db.begin().await.unwrap();
            for m in ["2026-03", "2026-05", "2026-07"] {
                kokuho_store::high_cost::record_month(
                    &mut tx,
                    &a.insurer,
                    &a_household,
                    m,
                    "decision",
                    None,
                    Some(1),
                    1,
                    "test",
                )
                .await
                .unwrap();
            }
            // A month outside the twelve before the move is not handed over.
            kokuho_store::high_cost::record_month(
                &mut tx,
                &a.insurer,
                &a_household,
                "2025-08",
                "decision",
                None,
                Some(1),
                1,
                "test",
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let t1 = datetime!(2026-09-16 09:00 UTC);
        for p in [&a_head, &a_child] {
            a.lose(
                &Loss {
                    addressee_id: p.addressee_id.clone(),
                    reason: LossReason::MoveOut,
                    event_on: moved,
                    notified_on: Some(moved),
                    destination: Some(MoveDestination::SamePrefecture),
                    next_insurer_number: Some(InsurerNumber::parse(B).unwrap()),
                },
                "clerk-a",
                t1,
            )
            .await
            .unwrap();
        }

        // Town B: the same persons (the same My Numbers) move in that day.
        let (b_head, b_child) = family(&b, moved, t1).await;
        for p in [&b_head, &b_child] {
            b.acquire(
                &acquire(p, AcquisitionReason::MoveIn, moved, Some(A)),
                "clerk-b",
                t1,
            )
            .await
            .unwrap();
        }
        let b_household = b_head.household_number.to_string();

        // Both towns send their full extracts.
        let out = tempfile::tempdir().unwrap();
        let (out_a, out_b) = (out.path().join("a"), out.path().join("b"));
        let t2 = datetime!(2026-09-17 09:00 UTC);
        let ra = a
            .export_to_federation(Since::LastSent, &out_a, &key, "nhi: test", "clerk-a", t2)
            .await
            .unwrap();
        assert_eq!(ra.extract, Extract::Full, "the first extract is full");
        let kinds: Vec<&str> = ra.files.iter().map(|f| f.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "eligibility_household",
                "eligibility_person",
                "household_income_category",
                "high_cost_month"
            ]
        );
        let person_file = ra
            .files
            .iter()
            .find(|f| f.kind == "eligibility_person")
            .unwrap();
        assert!(person_file.sealed);
        assert_eq!(person_file.records, 2);
        let sealed = std::fs::read(&person_file.path).unwrap();
        assert_eq!(
            kokuho_app::leak_scan::count_my_numbers(&sealed),
            0,
            "no number in clear"
        );
        assert_eq!(
            ra.files
                .iter()
                .find(|f| f.kind == "high_cost_month")
                .unwrap()
                .records,
            4
        );
        b.export_to_federation(Since::LastSent, &out_b, &key, "nhi: test", "clerk-b", t2)
            .await
            .unwrap();

        // The aggregation system finds the move and tells town B.
        let mut agg = Aggregator::new();
        send_all(&mut agg, &out_a, &key);
        send_all(&mut agg, &out_b, &key);
        assert_eq!(agg.persons_of(A), 2);
        let stamp = time::PrimitiveDateTime::new(date!(2026 - 09 - 18), time::Time::MIDNIGHT);
        let answers = agg.answers(stamp);
        assert_eq!(answers.len(), 1, "only B hears of the move");
        let Body::EligibilityContinuity(rs) = &answers[0].body else {
            panic!("{:?}", answers[0].body)
        };
        assert_eq!(answers[0].header.insurer_number, B);
        assert_eq!(rs.len(), 2);
        assert!(rs.iter().all(|r| r.continuity == Continuity::Continuous
            && r.from_insurer == A
            && r.from_lost_on == moved
            && r.household_candidate));
        assert!(agg.answers(stamp).is_empty(), "a move is answered once");

        // Town B takes the answer in, once.
        let bytes = federation::write(&answers[0]).unwrap();
        let name = answers[0].file_name().unwrap();
        let t3 = datetime!(2026-09-18 09:00 UTC);
        let r = b
            .import_from_federation(&name, &bytes, None, "nhi: test", "clerk-b", t3)
            .await
            .unwrap();
        assert_eq!(r.records, 2);
        assert!(r.outcome.contains("1 households to judge"), "{}", r.outcome);
        let again = b
            .import_from_federation(&name, &bytes, None, "nhi: test", "clerk-b", t3)
            .await
            .unwrap_err();
        assert!(matches!(again, AppError::Conflict { .. }), "{again:?}");
        // Town A cannot take in B's answer.
        let wrong = a
            .import_from_federation(&name, &bytes, None, "nhi: test", "clerk-a", t3)
            .await
            .unwrap_err();
        assert!(matches!(wrong, AppError::Rejected { .. }), "{wrong:?}");
        let notices = b.continuity_notices().await.unwrap();
        assert_eq!(notices.len(), 2);
        assert!(
            notices
                .iter()
                .all(|n| n.household_number == b_household && n.judgement.is_none())
        );

        // B judges the household to continue; the judgement goes with the
        // next (differential) extract, which has no eligibility change.
        assert_eq!(
            b.judge_continuity(&b_household, A, true, "clerk-b", t3)
                .await
                .unwrap(),
            2
        );
        let out_b2 = out.path().join("b2");
        let t4 = datetime!(2026-09-19 09:00 UTC);
        let rb = b
            .export_to_federation(Since::LastSent, &out_b2, &key, "nhi: test", "clerk-b", t4)
            .await
            .unwrap();
        assert_eq!(rb.extract, Extract::Differential);
        let count = |k: &str| rb.files.iter().find(|f| f.kind == k).map(|f| f.records);
        assert_eq!(
            count("eligibility_person"),
            Some(0),
            "nothing changed since"
        );
        assert_eq!(count("household_continuity_confirmation"), Some(1));
        let err = b
            .judge_continuity(&b_household, A, false, "clerk-b", t4)
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::NotFound { .. }),
            "sent judgements stay"
        );

        // The aggregation system hands A's months of the twelve before the
        // move over; B takes them in.
        send_all(&mut agg, &out_b2, &key);
        let answers = agg.answers(stamp);
        assert_eq!(answers.len(), 1);
        let Body::HighCostHandOver(months) = &answers[0].body else {
            panic!("{:?}", answers[0].body)
        };
        let got: Vec<String> = months
            .iter()
            .map(|m| kokuho_domain::burden::format_month(m.service_month))
            .collect();
        assert_eq!(got, ["2026-03", "2026-05", "2026-07"]);
        let t5 = datetime!(2026-09-20 09:00 UTC);
        let r = b
            .import_from_federation(
                &answers[0].file_name().unwrap(),
                &federation::write(&answers[0]).unwrap(),
                None,
                "nhi: test",
                "clerk-b",
                t5,
            )
            .await
            .unwrap();
        assert_eq!(
            r.outcome,
            "3 high-cost months handed over recorded, 0 already known"
        );

        // B's October counts three earlier high-cost months in twelve: its
        // fourth is 多数回 there, as it would have been in A.
        let prior = kokuho_store::high_cost::months_between(
            &t.db,
            &b.insurer,
            "2025-10",
            "2026-09",
            i64::MAX,
        )
        .await
        .unwrap();
        assert_eq!(
            prior.get(&b_household).cloned().unwrap_or_default(),
            ["2026-03", "2026-05", "2026-07"]
        );
        let hist = b.household_high_cost(&b_household).await.unwrap();
        assert!(
            hist.1
                .iter()
                .all(|m| m.source == "handed_over" && m.from_insurer.as_deref() == Some(A))
        );

        // The record of every file, both ways.
        let files = b.exchange_files(100).await.unwrap();
        let dirs: Vec<(&str, &str)> = files
            .iter()
            .map(|f| (f.direction.as_str(), f.file_kind.as_str()))
            .collect();
        assert!(dirs.contains(&("received", "eligibility_continuity")));
        assert!(dirs.contains(&("received", "high_cost_hand_over")));
        assert!(dirs.contains(&("sent", "household_continuity_confirmation")));
        assert!(
            files
                .iter()
                .all(|f| f.sha256.len() == 73 && f.sha256.starts_with('h')),
            "grouped hex"
        );
        // A's record stays A's.
        assert!(
            a.exchange_files(100)
                .await
                .unwrap()
                .iter()
                .all(|f| f.direction == "sent")
        );
        let _ = (a_child, b_child);
    }
}
