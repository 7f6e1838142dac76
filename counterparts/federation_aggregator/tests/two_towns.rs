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
        assert!(
            rs.iter().all(|r| r.continuity == Continuity::Continuous
                && r.from_insurer == A
                && r.from_lost_on == moved
                && r.household_candidate
                && r.from_household_insured == 2
                && !r.from_nominal_householder),
            "{rs:?}"
        );
        // the householder there is said to have been the householder
        assert_eq!(
            rs.iter()
                .filter(|r| r.from_householder)
                .map(|r| r.addressee_id.as_str())
                .collect::<Vec<_>>(),
            [b_head.addressee_id.as_str()]
        );
        assert!(agg.answers(stamp).is_empty(), "a move is answered once");

        // The stand-in as a command gives the same answer from the same files.
        let state = out.path().join("state");
        let key_file = out.path().join("transfer.key");
        std::fs::write(&key_file, key.to_text().as_bytes()).unwrap();
        let mut files: Vec<String> = Vec::new();
        for d in [&out_a, &out_b] {
            for e in std::fs::read_dir(d).unwrap() {
                files.push(e.unwrap().path().display().to_string());
            }
        }
        let bin = env!("CARGO_BIN_EXE_kokuho-federation");
        let run = |args: &[&str]| {
            let o = std::process::Command::new(bin)
                .args([
                    "--state",
                    state.to_str().unwrap(),
                    "--transfer-key",
                    key_file.to_str().unwrap(),
                ])
                .args(args)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).into_owned()
        };
        let mut receive = vec!["receive"];
        receive.extend(files.iter().map(String::as_str));
        assert_eq!(run(&receive).lines().count(), 8);
        let answer_dir = out.path().join("answers");
        let said = run(&["answer", "--out", answer_dir.to_str().unwrap()]);
        assert!(said.contains(&format!("answered {B}/KR01_{B}_")), "{said}");
        let written: Vec<_> = std::fs::read_dir(answer_dir.join(B))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(written.len(), 1);
        let from_bin = federation::read("KR01.dat", &std::fs::read(&written[0]).unwrap()).unwrap();
        assert_eq!(from_bin.body, answers[0].body);
        let said = run(&["answer", "--out", answer_dir.to_str().unwrap()]);
        assert!(said.is_empty(), "answered once, across runs: {said}");

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
        // The whole household came with its householder, who is householder
        // here: kokuho proposes that it continues, saying why.
        let proposals = b.continuity_proposals(&notices).await.unwrap();
        let p = proposals[&(b_household.clone(), A.to_string())];
        assert_eq!(p.code(), "continues", "{}", p.reason());
        assert!(
            p.reason().contains("世帯主が転入後も世帯主"),
            "{}",
            p.reason()
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

        // A file with one bad record changes nothing: the first record's
        // month is not kept, and the file is not in the record.
        let bad = federation::FederationFile {
            header: answers[0].header.clone(),
            body: Body::HighCostHandOver(vec![
                kokuho_formats::federation::HighCostHandOverRecord {
                    service_month: kokuho_domain::burden::parse_month("2026-08").unwrap(),
                    ..months[0].clone()
                },
                kokuho_formats::federation::HighCostHandOverRecord {
                    insured_number: "9999999".into(),
                    ..months[0].clone()
                },
            ]),
        };
        let files_before = b.exchange_files(100).await.unwrap().len();
        let err = b
            .import_from_federation(
                "KR02_bad.dat",
                &federation::write(&bad).unwrap(),
                None,
                "nhi: test",
                "clerk-b",
                t5,
            )
            .await
            .unwrap_err();
        let AppError::Rejected { line, field, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!((*line, field.as_str()), (3, "被保険者証番号"));
        assert_eq!(b.exchange_files(100).await.unwrap().len(), files_before);
        assert_eq!(
            b.household_high_cost(&b_household).await.unwrap().1.len(),
            3
        );

        // Online eligibility: both towns send their eligibility histories,
        // through the aggregation system, to the intermediate server; the
        // results come back the same way.
        let registry = kokuho_intermediate_server::Registry::new([7; 32]);
        let t6 = datetime!(2026-09-20 10:00 UTC);
        for (town, dir, clerk) in [
            (&a, out.path().join("ia"), "clerk-a"),
            (&b, out.path().join("ib"), "clerk-b"),
        ] {
            let r = town
                .export_to_intermediate(
                    Since::LastSent,
                    &dir,
                    &key,
                    "online_eligibility: test",
                    clerk,
                    t6,
                )
                .await
                .unwrap();
            assert_eq!(r.extract, Extract::Full);
            let f = &r.files[0];
            assert!(f.sealed && f.records == 2, "{f:?}");
            let name = f.path.file_name().unwrap().to_str().unwrap().to_string();
            let bytes = std::fs::read(&f.path).unwrap();
            assert_eq!(kokuho_app::leak_scan::count_my_numbers(&bytes), 0);
            assert_eq!(
                kokuho_federation_aggregator::relay_to_intermediate(&name, &bytes, &key).unwrap(),
                2
            );
            let result = registry.register(&name, &bytes, &key, stamp).unwrap();
            let rb = kokuho_formats::intermediate::write(&result).unwrap();
            let got = town
                .import_from_federation(
                    &result.file_name().unwrap(),
                    &rb,
                    None,
                    "online_eligibility: test",
                    clerk,
                    t6,
                )
                .await
                .unwrap();
            assert_eq!(
                got.outcome,
                "2 periods: 2 registered, 0 refused, 2 with the agency code"
            );
        }
        // The same person has one 機関別符号, whichever town sent them.
        let code = registry.code_of(B, b_head.addressee_id.as_str()).unwrap();
        assert_eq!(
            registry.code_of(A, a_head.addressee_id.as_str()).as_deref(),
            Some(code.as_str())
        );
        assert!(!code.contains(&number(12_345_678_901)));

        // A provider asks, in real time, over HTTP.
        let app = kokuho_intermediate_server::router(kokuho_intermediate_server::AppState {
            registry: registry.clone(),
            key: std::sync::Arc::new(TransferKey::parse(&key.to_text()).unwrap()),
        });
        let ask = |uri: String| {
            let app = app.clone();
            async move {
                use tower::ServiceExt;
                let res = app.oneshot(axum_request(&uri)).await.unwrap();
                assert_eq!(res.status(), 200, "{uri}");
                let body = http_body_util::BodyExt::collect(res.into_body())
                    .await
                    .unwrap()
                    .to_bytes();
                serde_json::from_slice::<serde_json::Value>(&body).unwrap()
            }
        };
        let b_numbers = kokuho_store::eligibility::all_household_numbers(&t.db, &b.insurer)
            .await
            .unwrap();
        let (b_symbol, b_number) = b_numbers.get(&b_household).unwrap().clone();
        let a_numbers = kokuho_store::eligibility::all_household_numbers(&t.db, &a.insurer)
            .await
            .unwrap();
        let (a_symbol, a_number) = a_numbers.get(&a_household).unwrap().clone();
        let q = |ins: &str, sym: &str, num: &str, date: &str| {
            format!(
                "/v1/eligibility?insurer={ins}&symbol={}&number={num}&branch=01&date={date}",
                pct(sym)
            )
        };
        // From the move, the new town insures them.
        let v = ask(q(B, &b_symbol, &b_number, "2026-09-15")).await;
        assert_eq!(v["validity"], "1", "{v}");
        assert_eq!(v["insured"]["insurer_number"], B);
        assert_eq!(v["insured"]["valid_from"], "2026-09-15");
        let v = ask(q(B, &b_symbol, &b_number, "2026-09-14")).await;
        assert_eq!(v["validity"], "2", "not yet insured by B: {v}");
        // The old card: valid the day before, then 無効（新しい資格あり）.
        let v = ask(q(A, &a_symbol, &a_number, "2026-09-14")).await;
        assert_eq!(
            (v["validity"].as_str(), v["insured"]["valid_to"].as_str()),
            (Some("1"), Some("2026-09-14")),
            "{v}"
        );
        let v = ask(q(A, &a_symbol, &a_number, "2026-09-15")).await;
        assert_eq!(v["validity"], "3", "{v}");
        // By the 機関別符号 (a My Number card read at the counter).
        let v = ask(format!(
            "/v1/eligibility/by-agency-code/{code}?date=2026-10-01"
        ))
        .await;
        assert_eq!(
            (
                v["validity"].as_str(),
                v["insured"]["insurer_number"].as_str()
            ),
            (Some("1"), Some(B)),
            "{v}"
        );
        let v = ask(format!(
            "/v1/eligibility/by-agency-code/{code}?date=2026-06-01"
        ))
        .await;
        assert_eq!(v["insured"]["insurer_number"], A, "{v}");
        let v = ask(q(B, &b_symbol, "9999999", "2026-10-01")).await;
        assert_eq!(v["validity"], "4");

        // Against the registration deadline: A's acquisitions of 2025 went
        // late (there was no send before), the move's changes in time.
        let due = a
            .online_registration_due(date!(2025 - 01 - 01), t6)
            .await
            .unwrap();
        use kokuho_domain::online_eligibility::Standing;
        let late = due
            .iter()
            .filter(|c| c.standing == Standing::SentLate)
            .count();
        let in_time = due
            .iter()
            .filter(|c| c.standing == Standing::SentInTime)
            .count();
        assert_eq!((late, in_time), (2, 2), "{due:?}");
        // A change made now is due, then overdue if nothing is sent, and
        // in time once sent.
        let t7 = datetime!(2026-09-21 09:00 UTC);
        b.lose(
            &Loss {
                addressee_id: b_child.addressee_id.clone(),
                reason: LossReason::JoinedEmployeeInsurance,
                event_on: date!(2026 - 09 - 20),
                notified_on: Some(date!(2026 - 09 - 21)),
                destination: None,
                next_insurer_number: None,
            },
            "clerk-b",
            t7,
        )
        .await
        .unwrap();
        let standing_at = |at: OffsetDateTime| {
            let b = &b;
            async move {
                b.online_registration_due(date!(2026 - 09 - 21), at)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|c| (c.due_by, c.standing))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            standing_at(datetime!(2026-09-22 09:00 UTC)).await,
            [(date!(2026 - 09 - 26), Standing::Due)]
        );
        assert_eq!(
            standing_at(datetime!(2026-09-30 09:00 UTC)).await,
            [(date!(2026 - 09 - 26), Standing::Overdue)]
        );
        let r = b
            .export_to_intermediate(
                Since::LastSent,
                &out.path().join("ib2"),
                &key,
                "online_eligibility: test",
                "clerk-b",
                datetime!(2026-09-24 09:00 UTC),
            )
            .await
            .unwrap();
        assert_eq!((r.extract, r.files[0].records), (Extract::Differential, 1));
        assert_eq!(
            standing_at(datetime!(2026-09-30 09:00 UTC)).await,
            [(date!(2026 - 09 - 26), Standing::SentInTime)]
        );

        // Information linkage: B's provision copies, answered for its
        // lawful items only; a query for another item is refused; both in
        // the access log with the item and the agency.
        let clerk = kokuho_app::access::Actor {
            account: "clerk-b".into(),
            role: kokuho_domain::access::Role::EligibilityClerk,
            grants: vec![],
            os_user: "test".into(),
            client: "test".into(),
            insurer: b.insurer.clone(),
        };
        let session = kokuho_app::session::Session {
            app: &b,
            actor: &clerk,
        };
        let t8 = datetime!(2026-10-02 09:00 UTC);
        assert_eq!(
            session
                .refresh_replicas(
                    kokuho_domain::access::Purpose::parse("nhi", "副本の更新").as_ref(),
                    t8
                )
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            session
                .refresh_replicas(
                    kokuho_domain::access::Purpose::parse("nhi", "副本の更新").as_ref(),
                    t8 + time::Duration::hours(1)
                )
                .await
                .unwrap(),
            0,
            "nothing changed since"
        );
        let head_id = b_head.integrated_addressee_id.to_string();
        let answer = session
            .answer_linkage_query(42, "AGENCY-0042", &head_id, date!(2026 - 10 - 01), t8)
            .await
            .unwrap();
        assert!(answer.insured);
        assert_eq!(answer.periods.len(), 1);
        assert_eq!(answer.periods[0].acquired_on, "2026-09-15");
        let before = session
            .answer_linkage_query(42, "AGENCY-0042", &head_id, date!(2026 - 09 - 14), t8)
            .await
            .unwrap();
        assert!(!before.insured);
        let refused = session
            .answer_linkage_query(6, "AGENCY-0006", &head_id, date!(2026 - 10 - 01), t8)
            .await
            .unwrap_err();
        assert!(matches!(refused, AppError::Forbidden { .. }), "{refused:?}");
        let log = kokuho_store::access::records(&t.db, 0, 1_000_000)
            .await
            .unwrap();
        assert!(log.iter().any(|r| r.outcome == "allowed"
            && r.action == "linkage_answer"
            && r.detail.contains("item 42 for agency AGENCY-0042: insured")));
        assert!(log.iter().any(|r| r.outcome == "denied"
            && r.action == "linkage_query"
            && r.detail.contains("item 6 from agency AGENCY-0006")));

        // The claims system's October for town B: the moved household's
        // claims come to B, and B's eligibility check finds them insured.
        let mut uke = Vec::new();
        let written = agg
            .claims_for(
                B,
                kokuho_domain::burden::parse_month("2026-10").unwrap(),
                3,
                &mut uke,
            )
            .unwrap();
        assert_eq!(written.claims, 1, "the seed gives the head one claim");
        let sup = kokuho_app::access::Actor {
            account: "sup-b".into(),
            role: kokuho_domain::access::Role::Supervisor,
            grants: vec![],
            os_user: "test".into(),
            client: "test".into(),
            insurer: b.insurer.clone(),
        };
        let s_b = kokuho_app::session::Session {
            app: &b,
            actor: &sup,
        };
        let (digest, size) = kokuho_formats::registry_feed::stream_digest(uke.as_slice()).unwrap();
        let imported = s_b
            .import_claims("2026-11.uke", &digest, size, uke.as_slice(), t8)
            .await
            .unwrap();
        assert_eq!(imported.claims, 1);
        {
            let check = s_b
                .check_claims(
                    kokuho_domain::burden::parse_month("2026-11").unwrap(),
                    None,
                    t8,
                )
                .await
                .unwrap();
            assert_eq!(check.claims, written.claims);
            let (_, rows) = s_b.claim_check(check.check_id, 1_000, t8).await.unwrap();
            // Insured by B on the days of care, with B's numbers: no
            // eligibility finding (only the copay rate, never judged here,
            // may be unconfirmed).
            assert!(
                rows.iter().all(|(f, _)| f.reason == "rate_unconfirmed"),
                "{:?}",
                rows.iter()
                    .map(|(f, _)| f.reason.clone())
                    .collect::<Vec<_>>()
            );
        }

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
                .all(|f| f.file_name.contains(A))
        );
    }
}

fn axum_request(uri: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .uri(uri)
        .body(axum::body::Body::empty())
        .unwrap()
}

/// Percent-encodes a query value (the symbol may be kanji).
fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
