//! The sample month of claims, on both backends: written for the town's
//! insured as the federation would send it, read back whole by the claim
//! reader, about 1.3 claims per insured with every kind present, each
//! claim naming an insured person of the town with the copay rate of their
//! age; and only those allowed may write it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;

use kokuho_app::session::Session;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::burden::{AgeGroup, age_group};
use kokuho_domain::eligibility::YearMonth;
use kokuho_formats::claims::{ClaimReader, ClaimSetting, FileKind, Layouts};
use kokuho_store::testing::all_backends;
use kokuho_vault::Keyring;
use time::macros::{date, datetime};
use time::{Month, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);

#[tokio::test]
async fn a_sample_month_reads_back_whole_and_names_the_towns_insured() {
    for t in all_backends().await {
        let ring = Keyring::generate();
        let spec = TownSpec::demo(3_000, 7);
        town::generate(&t.db, &ring, &spec, T0, |_| {})
            .await
            .unwrap();
        let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number.clone());
        let month = YearMonth {
            year: 2026,
            month: Month::September,
        };
        let benefits = app
            .actor_for("demo-benefits", "tester", "test", T0)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &benefits,
        };
        let mut bytes = Vec::new();
        let r = s.sample_claims(month, &mut bytes, T0).await.unwrap();
        // The insured of the month, by (symbol, number, branch).
        let mut insured = HashMap::new();
        kokuho_store::eligibility::for_each_insured_on(
            &t.db,
            &spec.insurer_number,
            date!(2026 - 09 - 15),
            i64::MAX,
            None,
            |row| {
                insured.insert(
                    (
                        row.insured_symbol.unwrap(),
                        row.insured_number.unwrap(),
                        row.branch_number.unwrap(),
                    ),
                    row.birth_date,
                );
                Ok(())
            },
        )
        .await
        .unwrap();
        assert_eq!(r.insured as usize, insured.len(), "{}", t.name);

        let layouts = Layouts::shipped().unwrap();
        let mut reader = ClaimReader::new("sample.uke", bytes.as_slice(), &layouts);
        let claims: Vec<_> = reader.by_ref().collect::<Result<_, _>>().unwrap();
        assert_eq!(claims.len() as u64, r.claims);
        assert_eq!(reader.trailer().unwrap().claims, r.claims);
        let per_insured = r.claims as f64 / r.insured as f64;
        assert!((1.1..1.5).contains(&per_insured), "{per_insured}");
        let has = |k: FileKind, s: ClaimSetting| {
            claims
                .iter()
                .any(|c| c.provider.kind == k && c.setting == s)
        };
        assert!(has(FileKind::Medical, ClaimSetting::Outpatient));
        assert!(has(FileKind::Medical, ClaimSetting::Inpatient));
        assert!(has(FileKind::Dental, ClaimSetting::Outpatient));
        assert!(has(FileKind::Pharmacy, ClaimSetting::Pharmacy));
        assert!(
            claims.iter().any(|c| c.total_cost() > 1_000_000),
            "a few high-cost inpatient stays"
        );
        for c in &claims {
            assert_eq!(c.insurer_number, spec.insurer_number.as_str());
            assert_eq!(c.service_month, month);
            let key = (
                c.symbol.clone(),
                c.number.clone(),
                c.branch.clone().unwrap(),
            );
            let birth = insured.get(&key).expect("an insured person of the town");
            assert_eq!(c.birth_date, *birth);
            let rate = if age_group(*birth, month) == AgeGroup::Under70 {
                70
            } else {
                80
            };
            assert_eq!(c.benefit_rate, Some(rate));
            let percent = 100 - i64::from(rate);
            assert_eq!(
                c.copay_charged,
                Some((c.points * 10 * percent + 500) / 1000 * 10)
            );
            if c.setting == ClaimSetting::Pharmacy {
                assert!(c.prescriber.as_deref().unwrap().starts_with("311"));
            }
        }
        // Written again, the same bytes (deterministic for the seed).
        let mut again = Vec::new();
        s.sample_claims(month, &mut again, T0).await.unwrap();
        assert_eq!(again, bytes);
        // The levy clerk may not.
        let levy = app
            .actor_for("demo-levy", "tester", "test", T0)
            .await
            .unwrap();
        let e = Session {
            app: &app,
            actor: &levy,
        }
        .sample_claims(month, Vec::new(), T0)
        .await
        .unwrap_err();
        assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
    }
}
