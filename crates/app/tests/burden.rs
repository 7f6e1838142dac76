//! Burden categories stored per household and month, on both backends: the
//! yearly income import judges the months it decides, a late correction
//! changes past months while the older versions stay, and judging again
//! with nothing new records nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::session::Session;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{Encoding, Kokuho};
use kokuho_domain::burden::parse_month;
use kokuho_store::testing::all_backends;
use kokuho_store::with_db;
use kokuho_vault::Keyring;
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);
const T1: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);

#[tokio::test]
async fn the_income_import_judges_its_months_and_a_correction_keeps_the_past() {
    for t in all_backends().await {
        let ring = Keyring::generate();
        let spec = TownSpec::demo(1_500, 5);
        town::generate(&t.db, &ring, &spec, T0, |_| {})
            .await
            .unwrap();
        let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number);
        let levy = app
            .actor_for("demo-levy", "tester", "test", T0)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &levy,
        };
        let sample = s.sample_income(2025, T0).await.unwrap();
        let bytes = kokuho_formats::income::write(&sample, Encoding::Utf8).unwrap();
        let r = s
            .import_income("income-2025.csv", &bytes, Encoding::Utf8, T0)
            .await
            .unwrap();
        assert_eq!(r.lines as usize, sample.len());
        assert_eq!(r.years, vec![2025]);
        assert!(r.burden_changed > 100, "{}: {r:?}", t.name);
        // 2026-08 .. 2026-11: four months for every NHI household, nothing before August.
        let months: Vec<String> = with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT DISTINCT month FROM burden_version ORDER BY month"
        )
        .fetch_all(p)
        .await
        .unwrap());
        assert_eq!(
            months,
            ["2026-08", "2026-09", "2026-10", "2026-11"],
            "{}",
            t.name
        );
        let cats: Vec<String> = with_db!(&t.db, |p| {
            sqlx::query_scalar(
            "SELECT DISTINCT category_under_70 FROM burden_version WHERE category_under_70 IS NOT NULL ORDER BY 1"
        )
        .fetch_all(p)
        .await
        .unwrap()
        });
        assert!(
            cats.len() >= 4,
            "{}: the town spreads over the categories: {cats:?}",
            t.name
        );

        // Pick a household judged ウ or エ in November and correct its first member's income upwards.
        let (household, rates): (String, String) = with_db!(&t.db, |p| {
            sqlx::query_as(
            "SELECT household_number, copay_rates FROM burden_version WHERE month = '2026-11' \
             AND category_under_70 IN ('エ', 'ウ') AND superseded_us IS NULL ORDER BY household_number LIMIT 1"
        )
        .fetch_one(p)
        .await
        .unwrap()
        });
        let person = rates.split(':').next().unwrap().to_string();
        let before = app.burden_history(&household).await.unwrap();
        assert_eq!(before.len(), 4);
        let mut corrected = sample
            .iter()
            .find(|r| r.addressee_id.as_str() == person)
            .unwrap()
            .clone();
        corrected.revision = 1;
        corrected.unreported = false;
        corrected.resident_tax_exempt = false;
        corrected.other_income = 20_000_000;
        corrected.total_income += 20_000_000;
        corrected.total_gross_income += 20_000_000;
        corrected.taxable_income += 19_000_000;
        let bytes = kokuho_formats::income::write(&[corrected], Encoding::Utf8).unwrap();
        let r = s
            .import_income("kosei.csv", &bytes, Encoding::Utf8, T1)
            .await
            .unwrap();
        assert_eq!(r.corrections, 1);
        let after = app.burden_history(&household).await.unwrap();
        assert_eq!(
            after.len(),
            8,
            "{}: a new version for each of the four months",
            t.name
        );
        for m in ["2026-08", "2026-09", "2026-10", "2026-11"] {
            let v: Vec<_> = after.iter().filter(|r| r.month == m).collect();
            assert_eq!(v.len(), 2);
            assert!(v[0].superseded_us.is_some() && v[1].superseded_us.is_none());
            assert_eq!(v[1].category_under_70.as_deref(), Some("ア"), "{m}");
            assert_eq!(v[1].change_reason, "income_import");
            assert!(v[1].reasons.contains("旧ただし書き所得"));
            // What applied before the correction is still there, as known then.
            assert_eq!(
                v[0].category_under_70,
                before
                    .iter()
                    .find(|b| b.month == m)
                    .unwrap()
                    .category_under_70
            );
        }
        // Judging again with nothing new records nothing.
        let again = s
            .recompute_burden(&[parse_month("2026-11").unwrap()], T1)
            .await
            .unwrap();
        assert_eq!(again.changed, 0, "{}", t.name);
        assert!(again.households > 0);
    }
}
