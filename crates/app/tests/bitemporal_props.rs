//! Property tests of the bitemporal eligibility store (SQLite; the same code
//! runs on PostgreSQL in the other tests): whatever sequence of changes a
//! clerk makes, no person ever has overlapping periods, and what was known
//! at a time T never changes afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::Kokuho;
use kokuho_app::eligibility::{Acquisition, Correction, Flags, Loss};
use kokuho_app::registry::NewPerson;
use kokuho_domain::eligibility::{
    AcquisitionReason as A, LossReason as L, Period, check_no_overlap,
};
use kokuho_domain::id::InsurerNumber;
use kokuho_vault::Keyring;
use proptest::prelude::*;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

#[derive(Clone, Debug)]
enum Op {
    Acquire(i64),
    Lose(i64, u8),
    Correct { acquired: i64, lost: Option<i64> },
    Void,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0i64..1500).prop_map(Op::Acquire),
        (0i64..1500, 0u8..4).prop_map(|(d, r)| Op::Lose(d, r)),
        (0i64..1500, proptest::option::of(0i64..1500)).prop_map(|(a, l)| Op::Correct {
            acquired: a,
            lost: l
        }),
        Just(Op::Void),
    ]
}

const BASE: Date = date!(2022 - 01 - 01);

/// What a view says, without the transaction-time end, which a later change
/// sets (that is how the version stops being current, not a change of the past).
fn facts(
    mut v: Vec<kokuho_store::eligibility::PeriodVersion>,
) -> Vec<kokuho_store::eligibility::PeriodVersion> {
    for p in &mut v {
        p.superseded_us = None;
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]
    #[test]
    fn no_overlap_and_the_past_never_changes(ops in proptest::collection::vec(op(), 1..14)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let t = kokuho_store::testing::sqlite().await;
            let insurer = InsurerNumber::parse("313023").unwrap();
            let t0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
            kokuho_store::insurer::upsert(&t.db, &kokuho_store::insurer::Insurer { insurer_number: insurer.clone(), name: "町".into(), prefecture: "鳥取県".into() }, t0).await.unwrap();
            let app = Kokuho::new(t.db.clone(), Arc::new(Keyring::generate()), insurer);
            let p = app.register_person(&NewPerson {
                name: "性質　試験".into(), name_kana: "セイシツ".into(), birth_date: "1970-01-01".into(), sex: "2".into(),
                postal_code: "680-0461".into(), address: "八頭町".into(), registered_on: "1970-01-01".into(), ..Default::default()
            }, t0).await.unwrap();
            let mut snapshots = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                let at = t0 + Duration::hours(i as i64 + 1);
                let periods = app.periods(&p.addressee_id, None).await.unwrap();
                let last = periods.last().cloned();
                let _ = match op {
                    Op::Acquire(d) => app.acquire(&Acquisition { addressee_id: p.addressee_id.clone(), reason: A::MoveIn, event_on: BASE + Duration::days(*d), notified_on: None, household_number: None, previous_insurer_number: None, flags: Flags::default() }, "prop", at).await.map(|_| ()),
                    Op::Lose(d, r) => {
                        let reason = [L::MoveOut, L::Death, L::JoinedEmployeeInsurance, L::Other][*r as usize];
                        app.lose(&Loss { addressee_id: p.addressee_id.clone(), reason, event_on: BASE + Duration::days(*d), notified_on: None, destination: None, next_insurer_number: None }, "prop", at).await.map(|_| ())
                    }
                    Op::Correct { acquired, lost } => match &last {
                        Some(v) => app.correct(&Correction { period_id: v.period_id, acquired_on: Some(BASE + Duration::days(*acquired)), acquisition_reason: None, lost_on: Some(lost.map(|l| BASE + Duration::days(l))), loss_reason: Some(lost.map(|_| L::Other)), flags: None, void: false, note: "prop".into() }, "prop", at).await.map(|_| ()),
                        None => Ok(()),
                    },
                    Op::Void => match &last {
                        Some(v) => app.correct(&Correction { period_id: v.period_id, acquired_on: None, acquisition_reason: None, lost_on: None, loss_reason: None, flags: None, void: true, note: "prop".into() }, "prop", at).await.map(|_| ()),
                        None => Ok(()),
                    },
                };
                // Whatever was accepted or refused: no overlap now.
                let now: Vec<Period> = app.periods(&p.addressee_id, None).await.unwrap().iter().map(|v| Period { acquired_on: v.acquired_on, acquisition_reason: v.acquisition_reason, lost_on: v.lost_on, loss_reason: v.loss_reason }).collect();
                assert!(check_no_overlap(&now).is_ok(), "overlap after {op:?}: {now:?}");
                snapshots.push((at, facts(app.periods(&p.addressee_id, Some(at)).await.unwrap())));
            }
            // Every earlier view reads the same at the end.
            for (at, seen) in snapshots {
                assert_eq!(facts(app.periods(&p.addressee_id, Some(at)).await.unwrap()), seen, "the view as known at {at} changed");
            }
        });
    }
}
