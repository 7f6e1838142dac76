//! Eligibility on both backends: every reason with its legal date, lateness,
//! retroactive corrections with as-of / known-at, households and numbers,
//! the age job, and bad input that stores nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::eligibility::{Acquisition, Correction, Flags, Loss};
use kokuho_app::jobs::Progress;
use kokuho_app::registry::NewPerson;
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::addressee::{Addressee, HouseholdNumber};
use kokuho_domain::eligibility::{AcquisitionReason as A, LossReason as L, MoveDestination};
use kokuho_domain::id::{AddresseeId, InsurerNumber};
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_store::{Db, with_db};
use kokuho_vault::Keyring;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-04-10 09:00 UTC);

async fn app(t: &TestDb) -> Kokuho {
    let insurer = InsurerNumber::parse("313023").unwrap();
    kokuho_store::insurer::upsert(
        &t.db,
        &kokuho_store::insurer::Insurer {
            insurer_number: insurer.clone(),
            name: "甲町".into(),
            prefecture: "鳥取県".into(),
        },
        T0,
    )
    .await
    .unwrap();
    Kokuho::new(t.db.clone(), Arc::new(Keyring::generate()), insurer)
}

async fn person(
    app: &Kokuho,
    name: &str,
    born: &str,
    household: Option<&HouseholdNumber>,
) -> Addressee {
    app.register_person(
        &NewPerson {
            name: name.into(),
            name_kana: "テスト".into(),
            birth_date: born.into(),
            sex: "1".into(),
            postal_code: "680-0461".into(),
            address: "鳥取県八頭郡八頭町郡家1番地".into(),
            household_number: household.map(|h| h.to_string()),
            relationship: household.map(|_| "20".into()),
            registered_on: born.into(),
            ..Default::default()
        },
        T0,
    )
    .await
    .unwrap()
}

fn acq(p: &Addressee, reason: A, on: Date) -> Acquisition {
    Acquisition {
        addressee_id: p.addressee_id.clone(),
        reason,
        event_on: on,
        notified_on: Some(on),
        household_number: None,
        previous_insurer_number: None,
        flags: Flags::default(),
    }
}

fn loss(p: &Addressee, reason: L, on: Date) -> Loss {
    Loss {
        addressee_id: p.addressee_id.clone(),
        reason,
        event_on: on,
        notified_on: Some(on),
        destination: None,
        next_insurer_number: None,
    }
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

/// Acquisition dates (国民健康保険法 第7条): the day the person comes under NHI.
#[tokio::test]
async fn acquisition_dates_follow_the_law() {
    for t in all_backends().await {
        let app = app(&t).await;
        let cases = [
            (A::MoveIn, date!(2026 - 04 - 01), date!(2026 - 04 - 01)), // 転入日
            (
                A::LeftEmployeeInsurance,
                date!(2026 - 04 - 01),
                date!(2026 - 04 - 01),
            ), // 社保喪失日 (退職日の翌日)
            (
                A::PublicAssistanceEnded,
                date!(2026 - 03 - 15),
                date!(2026 - 03 - 15),
            ), // 保護廃止日
            (
                A::ForeignResidenceStarted,
                date!(2026 - 02 - 02),
                date!(2026 - 02 - 02),
            ), // 住民登録日
            (
                A::LeftLateElderly,
                date!(2026 - 01 - 04),
                date!(2026 - 01 - 04),
            ), // 障害認定の撤回日
            (A::ExOfficio, date!(2026 - 01 - 05), date!(2026 - 01 - 05)),
            (A::Other, date!(2026 - 01 - 06), date!(2026 - 01 - 06)),
        ];
        for (reason, event, expected) in cases {
            let p = person(&app, "取得　太郎", "1980-05-05", None).await;
            let v = app
                .acquire(&acq(&p, reason, event), "clerk1", T0)
                .await
                .unwrap();
            assert_eq!(v.acquired_on, expected, "{} {reason:?}", t.name);
            assert_eq!(v.recorded_by, "clerk1");
        }
        // 出生: the birth date itself.
        let baby = person(&app, "出生　花子", "2026-03-30", None).await;
        let v = app
            .acquire(&acq(&baby, A::Birth, date!(2026 - 03 - 30)), "clerk1", T0)
            .await
            .unwrap();
        assert_eq!(v.acquired_on, date!(2026 - 03 - 30));
    }
}

/// Loss dates (国民健康保険法 第8条; 高齢者の医療の確保に関する法律 第50条).
#[tokio::test]
async fn loss_dates_follow_the_law() {
    for t in all_backends().await {
        let app = app(&t).await;
        let start = date!(2025 - 04 - 01);
        let cases: [(L, Date, Option<MoveDestination>, Date); 7] = [
            (
                L::MoveOut,
                date!(2026 - 03 - 31),
                Some(MoveDestination::OtherPrefecture),
                date!(2026 - 03 - 31),
            ), // 他県に住所を有するに至った日
            (
                L::MoveOut,
                date!(2026 - 03 - 31),
                Some(MoveDestination::SamePrefecture),
                date!(2026 - 03 - 31),
            ),
            (
                L::MoveOut,
                date!(2026 - 03 - 31),
                Some(MoveDestination::Abroad),
                date!(2026 - 04 - 01),
            ), // 翌日
            (
                L::JoinedEmployeeInsurance,
                date!(2026 - 03 - 01),
                None,
                date!(2026 - 03 - 02),
            ), // 社保取得日の翌日
            (L::Death, date!(2026 - 02 - 28), None, date!(2026 - 03 - 01)), // 死亡日の翌日
            (
                L::PublicAssistanceStarted,
                date!(2026 - 02 - 10),
                None,
                date!(2026 - 02 - 10),
            ), // 第8条第2項: その日
            (
                L::ExOfficio,
                date!(2026 - 01 - 20),
                None,
                date!(2026 - 01 - 20),
            ),
        ];
        for (reason, event, destination, expected) in cases {
            let p = person(&app, "喪失　次郎", "1970-07-07", None).await;
            app.acquire(&acq(&p, A::MoveIn, start), "clerk1", T0)
                .await
                .unwrap();
            let mut l = loss(&p, reason, event);
            l.destination = destination;
            let v = app.lose(&l, "clerk1", T0).await.unwrap();
            assert_eq!(
                v.lost_on,
                Some(expected),
                "{} {reason:?} {destination:?}",
                t.name
            );
            assert_eq!(v.version_no, 2);
        }
        // 75歳到達: the 75th birthday (後期高齢者医療 starts that day).
        let old = person(&app, "長寿　三郎", "1951-06-15", None).await;
        app.acquire(&acq(&old, A::MoveIn, start), "clerk1", T0)
            .await
            .unwrap();
        let v = app
            .lose(
                &loss(&old, L::LateElderly, date!(2026 - 06 - 15)),
                "job",
                T0,
            )
            .await
            .unwrap();
        assert_eq!(v.lost_on, Some(date!(2026 - 06 - 15)));
    }
}

#[tokio::test]
async fn notifications_after_14_days_are_flagged() {
    for t in all_backends().await {
        let app = app(&t).await;
        let p = person(&app, "届出　遅子", "1990-01-01", None).await;
        let mut a = acq(&p, A::LeftEmployeeInsurance, date!(2026 - 04 - 01));
        a.notified_on = Some(date!(2026 - 04 - 15)); // the 14th day: on time
        assert!(!app.acquire(&a, "c", T0).await.unwrap().acquisition_late);
        let q = person(&app, "届出　遅男", "1990-01-01", None).await;
        let mut a = acq(&q, A::LeftEmployeeInsurance, date!(2026 - 04 - 01));
        a.notified_on = Some(date!(2026 - 04 - 16)); // the 15th day: late
        let v = app.acquire(&a, "c", T0).await.unwrap();
        assert!(v.acquisition_late, "{}", t.name);
        let mut l = loss(&q, L::JoinedEmployeeInsurance, date!(2026 - 06 - 01));
        l.notified_on = Some(date!(2026 - 07 - 01));
        assert!(app.lose(&l, "c", T0).await.unwrap().loss_late);
    }
}

#[tokio::test]
async fn retroactive_corrections_keep_what_was_known() {
    for t in all_backends().await {
        let app = app(&t).await;
        let p = person(&app, "遡及　訂正", "1985-03-03", None).await;
        let v1 = app
            .acquire(
                &acq(&p, A::LeftEmployeeInsurance, date!(2026 - 04 - 01)),
                "c",
                T0,
            )
            .await
            .unwrap();
        let t1 = T0 + Duration::days(10);
        // Learned later: the employment actually ended in February.
        let v2 = app
            .correct(
                &Correction {
                    period_id: v1.period_id,
                    acquired_on: Some(date!(2026 - 02 - 01)),
                    acquisition_reason: None,
                    lost_on: None,
                    loss_reason: None,
                    flags: None,
                    void: false,
                    note: "離職日の訂正（遡及）".into(),
                },
                "supervisor",
                t1,
            )
            .await
            .unwrap();
        assert_eq!(v2.version_no, 2);
        let insured_on = |rows: Vec<kokuho_store::eligibility::PeriodVersion>, d: Date| {
            rows.iter()
                .any(|p| p.acquired_on <= d && p.lost_on.is_none_or(|l| l > d))
        };
        // As known now: insured on 2026-03-01. As known at T0: not.
        assert!(
            insured_on(
                app.periods(&p.addressee_id, None).await.unwrap(),
                date!(2026 - 03 - 01)
            ),
            "{}",
            t.name
        );
        assert!(!insured_on(
            app.periods(&p.addressee_id, Some(T0 + Duration::days(1)))
                .await
                .unwrap(),
            date!(2026 - 03 - 01)
        ));
        // Before anything was recorded, nothing was known.
        assert!(
            app.periods(&p.addressee_id, Some(T0 - Duration::days(1)))
                .await
                .unwrap()
                .is_empty()
        );
        // The history keeps both versions; nothing was erased.
        let history = app.eligibility_history(&p.addressee_id).await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(
            history[0].superseded_us,
            Some(kokuho_app::eligibility::to_us(t1))
        );
        assert_eq!(history[1].change_note, "離職日の訂正（遡及）");
        // The export as of 2026-03-01 differs by known-at.
        let export = |known| {
            let app = app.clone();
            async move {
                let (bytes, n) = app
                    .export_insured_on(
                        date!(2026 - 03 - 01),
                        known,
                        kokuho_formats::text::Encoding::Utf8,
                        Vec::new(),
                    )
                    .await
                    .unwrap();
                (String::from_utf8(bytes).unwrap(), n)
            }
        };
        let (now_csv, n_now) = export(None).await;
        let (then_csv, n_then) = export(Some(T0 + Duration::days(1))).await;
        assert_eq!((n_now, n_then), (1, 0), "{}", t.name);
        assert!(now_csv.starts_with("insurer_number,insured_symbol,insured_number,branch_number,addressee_id,name,name_kana,birth_date,sex,acquired_on,acquisition_reason,lost_on,loss_reason,household_number\r\n"));
        assert!(now_csv.contains(&format!("313023,302,0000001,01,{},遡及　訂正,テスト,1985-03-03,1,2026-02-01,left_employee_insurance,,,", p.addressee_id)), "{now_csv}");
        assert_eq!(then_csv.lines().count(), 1, "header only");
        // A void removes the period from now on, but not from the past view.
        app.correct(
            &Correction {
                period_id: v1.period_id,
                acquired_on: None,
                acquisition_reason: None,
                lost_on: None,
                loss_reason: None,
                flags: None,
                void: true,
                note: "誤登録".into(),
            },
            "supervisor",
            t1 + Duration::days(1),
        )
        .await
        .unwrap();
        assert!(app.periods(&p.addressee_id, None).await.unwrap().is_empty());
        assert_eq!(
            app.periods(&p.addressee_id, Some(t1)).await.unwrap().len(),
            1
        );
    }
}

#[tokio::test]
async fn bad_changes_are_refused_and_store_nothing() {
    for t in all_backends().await {
        let app = app(&t).await;
        let p = person(&app, "拒否　一郎", "1960-10-10", None).await;
        app.acquire(&acq(&p, A::MoveIn, date!(2025 - 04 - 01)), "c", T0)
            .await
            .unwrap();
        let versions = count(&t.db, "eligibility_version").await;
        let memberships = count(&t.db, "membership_version").await;
        // Overlapping acquisition.
        let err = app
            .acquire(&acq(&p, A::Other, date!(2025 - 10 - 01)), "c", T0)
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("acquired_on"), "{}: {err}", t.name);
        // A loss on or before the acquisition (the person was not insured the day before).
        let err = app
            .lose(
                &loss(&p, L::PublicAssistanceStarted, date!(2025 - 04 - 01)),
                "c",
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("lost_on"));
        // 75歳到達 on a day that is not the 75th birthday.
        let err = app
            .lose(&loss(&p, L::LateElderly, date!(2026 - 01 - 01)), "c", T0)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Invalid { .. }));
        // A birth acquisition on another day than the birth.
        let q = person(&app, "拒否　二郎", "2026-01-01", None).await;
        let err = app
            .acquire(&acq(&q, A::Birth, date!(2026 - 01 - 05)), "c", T0)
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("acquisition_reason"));
        // Before birth; unknown person; correction without a reason.
        let err = app
            .acquire(&acq(&q, A::MoveIn, date!(2025 - 12 - 01)), "c", T0)
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("acquired_on"));
        let mut ghost = p.clone();
        ghost.addressee_id = AddresseeId::from_u64(999_999);
        assert!(matches!(
            app.acquire(&acq(&ghost, A::MoveIn, date!(2025 - 04 - 01)), "c", T0)
                .await,
            Err(AppError::NotFound { .. })
        ));
        let err = app
            .correct(
                &Correction {
                    period_id: 1,
                    acquired_on: None,
                    acquisition_reason: None,
                    lost_on: None,
                    loss_reason: None,
                    flags: None,
                    void: false,
                    note: " ".into(),
                },
                "c",
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("note"));
        // A correction that would end before it starts.
        let err = app
            .correct(
                &Correction {
                    period_id: 1,
                    acquired_on: None,
                    acquisition_reason: None,
                    lost_on: Some(Some(date!(2025 - 03 - 01))),
                    loss_reason: Some(Some(L::Other)),
                    flags: None,
                    void: false,
                    note: "x".into(),
                },
                "c",
                T0,
            )
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("lost_on"));
        assert_eq!(
            count(&t.db, "eligibility_version").await,
            versions,
            "{}",
            t.name
        );
        assert_eq!(count(&t.db, "membership_version").await, memberships);
    }
}

#[tokio::test]
async fn households_numbers_and_branches() {
    for t in all_backends().await {
        let app = app(&t).await;
        let head = person(&app, "世帯　主", "1950-01-01", None).await; // not insured: 擬制世帯主
        let a = person(
            &app,
            "世帯　長男",
            "1980-01-01",
            Some(&head.household_number),
        )
        .await;
        let b = person(
            &app,
            "世帯　次男",
            "1982-01-01",
            Some(&head.household_number),
        )
        .await;
        app.acquire(&acq(&a, A::MoveIn, date!(2025 - 04 - 01)), "c", T0)
            .await
            .unwrap();
        app.acquire(&acq(&b, A::MoveIn, date!(2025 - 05 - 01)), "c", T0)
            .await
            .unwrap();
        let rows = |on| {
            let app = app.clone();
            async move {
                let mut v = Vec::new();
                app.for_each_insured_on(on, None, |r| {
                    v.push(r);
                    Ok(())
                })
                .await
                .unwrap();
                v
            }
        };
        let on = rows(date!(2025 - 06 - 01)).await;
        assert_eq!(on.len(), 2, "{}", t.name);
        assert!(
            on.iter()
                .all(|r| r.insured_number == on[0].insured_number && r.insured_number.is_some()),
            "one number per household"
        );
        assert_eq!(
            on.iter()
                .map(|r| r.branch_number.clone().unwrap())
                .collect::<Vec<_>>(),
            ["01", "02"]
        );
        // b leaves and comes back: same 枝番; a newcomer never reuses b's.
        app.lose(
            &loss(&b, L::JoinedEmployeeInsurance, date!(2025 - 09 - 30)),
            "c",
            T0,
        )
        .await
        .unwrap();
        let c = person(
            &app,
            "世帯　三男",
            "1984-01-01",
            Some(&head.household_number),
        )
        .await;
        app.acquire(&acq(&c, A::MoveIn, date!(2025 - 11 - 01)), "c", T0)
            .await
            .unwrap();
        app.acquire(
            &acq(&b, A::LeftEmployeeInsurance, date!(2026 - 01 - 01)),
            "c",
            T0,
        )
        .await
        .unwrap();
        let later = rows(date!(2026 - 02 - 01)).await;
        let branch_of = |id: &AddresseeId| {
            later
                .iter()
                .find(|r| r.addressee_id == id.as_str())
                .unwrap()
                .branch_number
                .clone()
                .unwrap()
        };
        assert_eq!(branch_of(&b.addressee_id), "02", "{}", t.name);
        assert_eq!(branch_of(&c.addressee_id), "03");
        // The household split: c moves to a new household of their own from 2026-03-01.
        let own = person(&app, "分離　世帯", "1990-01-01", None).await;
        app.change_household(
            &c.addressee_id,
            &own.household_number,
            date!(2026 - 03 - 01),
            "household_split",
            "c",
            T0,
        )
        .await
        .unwrap();
        let before = rows(date!(2026 - 02 - 28)).await;
        let after = rows(date!(2026 - 03 - 01)).await;
        let hh = |v: &[kokuho_store::eligibility::InsuredRow]| {
            v.iter()
                .find(|r| r.addressee_id == c.addressee_id.as_str())
                .unwrap()
                .household_number
                .clone()
                .unwrap()
        };
        assert_eq!(hh(&before), head.household_number.to_string(), "{}", t.name);
        assert_eq!(hh(&after), own.household_number.to_string());
        let c_after = after
            .iter()
            .find(|r| r.addressee_id == c.addressee_id.as_str())
            .unwrap();
        assert_ne!(
            c_after.insured_number, on[0].insured_number,
            "the new household has its own number"
        );
        assert_eq!(c_after.branch_number.as_deref(), Some("01"));
    }
}

#[tokio::test]
async fn the_age_job_is_idempotent_and_respects_birthdays() {
    for t in all_backends().await {
        let app = app(&t).await;
        let on_first = person(&app, "一日　生まれ", "1951-07-01", None).await;
        let mid = person(&app, "十五日　生まれ", "1951-07-15", None).await;
        let leap = person(&app, "閏日　生まれ", "1952-02-29", None).await;
        let young = person(&app, "若者", "1960-07-15", None).await;
        for p in [&on_first, &mid, &leap, &young] {
            app.acquire(&acq(p, A::MoveIn, date!(2020 - 04 - 01)), "c", T0)
                .await
                .unwrap();
        }
        let r = app
            .run_age_job(date!(2026 - 07 - 10), "age-job", &Progress::none(), T0)
            .await
            .unwrap();
        assert_eq!(
            r.late_elderly_losses, 1,
            "{}: only the one born on the 1st has turned 75",
            t.name
        );
        let r = app
            .run_age_job(date!(2026 - 07 - 10), "age-job", &Progress::none(), T0)
            .await
            .unwrap();
        assert_eq!(r.late_elderly_losses, 0, "a second run changes nothing");
        let r = app
            .run_age_job(date!(2027 - 03 - 01), "age-job", &Progress::none(), T0)
            .await
            .unwrap();
        assert_eq!(r.late_elderly_losses, 2);
        let lost = |p: &Addressee| {
            let app = app.clone();
            let id = p.addressee_id.clone();
            async move { app.periods(&id, None).await.unwrap()[0].lost_on }
        };
        assert_eq!(lost(&on_first).await, Some(date!(2026 - 07 - 01)));
        assert_eq!(lost(&mid).await, Some(date!(2026 - 07 - 15)));
        assert_eq!(
            lost(&leap).await,
            Some(date!(2027 - 03 - 01)),
            "a 29 February birth turns 75 on 1 March in a common year"
        );
        assert_eq!(lost(&young).await, None);
        // A run for a past date finds nothing more.
        assert_eq!(
            app.run_age_job(date!(2026 - 08 - 01), "age-job", &Progress::none(), T0)
                .await
                .unwrap()
                .late_elderly_losses,
            0
        );
    }
}

#[tokio::test]
async fn nominal_householders_and_a_change_of_householder() {
    for t in all_backends().await {
        let app = app(&t).await;
        let head = person(&app, "擬制　世帯主", "1950-01-01", None).await; // employee-insured: not in NHI
        let son = person(
            &app,
            "国保　長男",
            "1980-01-01",
            Some(&head.household_number),
        )
        .await;
        app.acquire(&acq(&son, A::MoveIn, date!(2025 - 04 - 01)), "c", T0)
            .await
            .unwrap();
        let view = app
            .nhi_household_as_of(&head.household_number, date!(2026 - 01 - 01), None)
            .await
            .unwrap();
        assert_eq!(
            view.householder.as_ref(),
            Some(&head.addressee_id),
            "{}",
            t.name
        );
        assert!(
            view.nominal_householder,
            "the householder is not insured: 擬制世帯主"
        );
        assert_eq!(view.members.len(), 1);
        assert!(view.insured_number.is_some());
        // The son becomes householder on 2026-06-01 (世帯主変更 from the registry feed).
        let feed = format!(
            "event_id,event_type,event_date,notified_on,addressee_id,household_number,relationship,name,name_kana,birth_date,sex,postal_code,address,destination,previous_insurer_number\r\n\
             H-1,household_change,2026-06-01,2026-06-03,{},{},02,,,,,,,,\r\n",
            son.addressee_id, head.household_number
        );
        let r = app
            .import_registry_feed(
                "h.csv",
                feed.as_bytes(),
                kokuho_formats::text::Encoding::Utf8,
                "c",
                &Progress::none(),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(r.events, 1);
        let after = app
            .nhi_household_as_of(&head.household_number, date!(2026 - 07 - 01), None)
            .await
            .unwrap();
        assert_eq!(
            after.householder.as_ref(),
            Some(&son.addressee_id),
            "{}",
            t.name
        );
        assert!(!after.nominal_householder);
        let before = app
            .nhi_household_as_of(&head.household_number, date!(2026 - 05 - 31), None)
            .await
            .unwrap();
        assert_eq!(
            before.householder.as_ref(),
            Some(&head.addressee_id),
            "history kept"
        );
        assert!(before.nominal_householder);
        // As known before the feed arrived, the son was never householder.
        let then = app
            .nhi_household_as_of(
                &head.household_number,
                date!(2026 - 07 - 01),
                Some(T0 - Duration::seconds(1)),
            )
            .await;
        assert!(then.is_ok());
        assert!(matches!(
            app.nhi_household_as_of(
                &HouseholdNumber::from_u64(424242),
                date!(2026 - 07 - 01),
                None
            )
            .await,
            Err(AppError::NotFound { .. })
        ));
    }
}

#[tokio::test]
async fn search_by_insured_symbol_and_number() {
    for t in all_backends().await {
        let app = app(&t).await;
        let head = person(&app, "番号　世帯主", "1960-01-01", None).await;
        let child = person(
            &app,
            "番号　長女",
            "1990-01-01",
            Some(&head.household_number),
        )
        .await;
        app.acquire(&acq(&head, A::MoveIn, date!(2025 - 04 - 01)), "c", T0)
            .await
            .unwrap();
        let view = app
            .nhi_household_as_of(&head.household_number, date!(2025 - 05 - 01), None)
            .await
            .unwrap();
        let (symbol, number) = (view.insured_symbol.unwrap(), view.insured_number.unwrap());
        let found = app
            .search_persons(&kokuho_app::registry::PersonSearch {
                insured_symbol: Some(symbol.clone()),
                insured_number: Some(number.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        let ids: Vec<_> = found.iter().map(|p| p.addressee_id.clone()).collect();
        assert!(
            ids.contains(&head.addressee_id) && ids.contains(&child.addressee_id),
            "{}: the household's members",
            t.name
        );
        let none = app
            .search_persons(&kokuho_app::registry::PersonSearch {
                insured_number: Some("9999999".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(none.is_empty());
        let err = app
            .search_persons(&kokuho_app::registry::PersonSearch {
                insured_number: Some("12-34!".into()),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("insured_number"));
    }
}
