//! The tax system's income import on both backends: a good file records
//! every line once, the same file again changes nothing, a correction is a
//! new revision beside the old one, and a bad line (syntax, unknown person,
//! a recorded revision with other figures) rejects the whole file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::jobs::Progress;
use kokuho_app::registry::PersonSearch;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Encoding, Kokuho};
use kokuho_store::testing::all_backends;
use kokuho_store::with_db;
use kokuho_vault::Keyring;
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);
const HEADER: &str = "addressee_id,income_year,revision,total_income,total_gross_income,salary_revenue,salary_income,pension_revenue,pension_income,other_income,separate_income,taxable_income,resident_tax_exempt,unreported,family_employee_deduction";

fn file(lines: &[String]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for l in lines {
        s.push_str("\r\n");
        s.push_str(l);
    }
    s.push_str("\r\n");
    s.into_bytes()
}

#[tokio::test]
async fn income_revisions_are_kept_and_files_are_all_or_nothing() {
    for t in all_backends().await {
        let ring = Keyring::generate();
        let spec = TownSpec::demo(1_000, 8);
        town::generate(&t.db, &ring, &spec, T0, |_| {})
            .await
            .unwrap();
        let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number);
        let people = app
            .search_persons(&PersonSearch {
                kana: Some("ア".into()),
                limit: Some(2),
                ..Default::default()
            })
            .await
            .unwrap();
        let (a, b) = (
            people[0].addressee_id.to_string(),
            people[1].addressee_id.to_string(),
        );
        let count = || async {
            with_db!(&t.db, |p| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM income_version"
            )
            .fetch_one(p)
            .await
            .unwrap())
        };
        let none = Progress::none();
        let first = file(&[
            format!("{a},2025,0,2560000,2560000,3600000,2560000,0,0,0,0,1830000,0,0,0"),
            format!("{b},2025,0,0,0,0,0,800000,0,0,0,0,1,0,0"),
        ]);
        let r = app
            .import_income("i1.csv", &first, Encoding::Utf8, "levy", &none, T0)
            .await
            .unwrap();
        assert_eq!(
            (r.lines, r.recorded, r.corrections, r.unchanged),
            (2, 2, 0, 0),
            "{}",
            t.name
        );
        // The same file again: nothing.
        let again = app
            .import_income("copy.csv", &first, Encoding::Utf8, "levy", &none, T0)
            .await
            .unwrap();
        assert!(again.already_imported);
        assert_eq!(count().await, 2);
        // A correction for A (修正申告) in a new file that also repeats B unchanged.
        let second = file(&[
            format!("{a},2025,1,2760000,2760000,3800000,2760000,0,0,0,0,2030000,0,0,0"),
            format!("{b},2025,0,0,0,0,0,800000,0,0,0,0,1,0,0"),
        ]);
        let r = app
            .import_income("i2.csv", &second, Encoding::Utf8, "levy", &none, T0)
            .await
            .unwrap();
        assert_eq!((r.recorded, r.corrections, r.unchanged), (1, 1, 1));
        let history = app.income_history(&a).await.unwrap();
        assert_eq!(
            history
                .iter()
                .map(|h| (h.revision, h.total_income))
                .collect::<Vec<_>>(),
            vec![(0, 2_560_000), (1, 2_760_000)],
            "the first stays queryable"
        );
        let latest = kokuho_store::income::latest(&t.db, &app.insurer, &a, 2025)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.revision, 1);
        // Revision 0 again with other figures: the file is rejected at that line.
        let conflict = file(&[
            format!("{b},2024,0,0,0,0,0,0,0,0,0,0,1,0,0"),
            format!("{a},2025,0,1,1,0,0,0,0,1,0,0,0,0,0"),
        ]);
        let e = app
            .import_income("c.csv", &conflict, Encoding::Utf8, "levy", &none, T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Rejected { line: 3, field, .. } if field == "revision"),
            "{e}"
        );
        // Someone the registry does not know.
        let unknown = file(&[
            format!("{b},2023,0,0,0,0,0,0,0,0,0,0,1,0,0"),
            "0999999999,2025,0,0,0,0,0,0,0,0,0,0,1,0,0".into(),
        ]);
        let e = app
            .import_income("u.csv", &unknown, Encoding::Utf8, "levy", &none, T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Rejected { line: 3, field, .. } if field == "addressee_id"),
            "{e}"
        );
        assert_eq!(
            count().await,
            3,
            "{}: the rejected files changed nothing",
            t.name
        );
    }
}
