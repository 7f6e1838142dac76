//! The business reports (事業月報・事業年報) on both backends: every figure
//! of a month checked against values worked out here from the town's own
//! records and the claim file as sent (not through the report's code); a
//! retroactive change after closing leaves the closed report as it was and
//! shows in the report as known now; bad periods, missing data and
//! actors without the right are refused or reported, and every report is
//! logged with its purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;

use kokuho_app::session::Session;
use kokuho_app::statistics::{KnownAt, Period};
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::eligibility::{LossReason, YearMonth, is_preschool};
use kokuho_domain::id::AddresseeId;
use kokuho_domain::statistics::{Cell, Report};
use kokuho_formats::claims::{ClaimReader, ClaimSetting, FileKind, Layouts};
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_vault::Keyring;
use time::macros::{date, datetime};
use time::{Date, Month, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);
const T1: OffsetDateTime = datetime!(2026-11-24 10:00 UTC);
const T2: OffsetDateTime = datetime!(2026-11-24 11:00 UTC);
const T3: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);
const T4: OffsetDateTime = datetime!(2026-11-24 13:00 UTC);

const SEPTEMBER: YearMonth = YearMonth {
    year: 2026,
    month: Month::September,
};
const OCTOBER: Period = Period::Month(YearMonth {
    year: 2026,
    month: Month::October,
});
const OCT_31: Date = date!(2026 - 10 - 31);

async fn town(t: &TestDb) -> Kokuho {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(700, 13);
    town::generate(&t.db, &ring, &spec, T0, |_| {})
        .await
        .unwrap();
    Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number)
}

fn value(r: &Report, table: &str, row: &str, column: &str) -> i64 {
    r.table(table)
        .unwrap_or_else(|| panic!("table {table}"))
        .value(row, column)
        .unwrap_or_else(|| panic!("{table} {row} {column}"))
}

/// The insured on a day through the eligibility module's own reader.
async fn insured_on(app: &Kokuho, on: Date) -> Vec<kokuho_store::eligibility::InsuredRow> {
    let mut out = Vec::new();
    kokuho_store::eligibility::for_each_insured_on(
        &app.db,
        &app.insurer,
        on,
        i64::MAX,
        None,
        |r| {
            out.push(r);
            Ok(())
        },
    )
    .await
    .unwrap();
    out
}

#[tokio::test]
async fn a_month_is_counted_exactly_and_stays_as_closed() {
    for t in all_backends().await {
        let app = town(&t).await;
        let sup = app
            .actor_for("demo-supervisor", "tester", "test", T0)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &sup,
        };

        // Before any claim is imported the month is incomplete, and says why.
        let r = s
            .statistics_report(OCTOBER, KnownAt::Now, None, "10月分事業月報", T1)
            .await
            .unwrap();
        assert!(!r.complete(), "{}", t.name);
        assert!(
            r.missing
                .iter()
                .any(|m| m.ja.contains("2026-10 審査分のレセプト")),
            "{:?}",
            r.missing
        );

        // The September claims, processed in October, as the federation sends them.
        let mut bytes = Vec::new();
        s.sample_claims(SEPTEMBER, &mut bytes, T1).await.unwrap();
        let (digest, size) = kokuho_formats::registry_feed::stream_digest(&bytes[..]).unwrap();
        s.import_claims("2026-10.uke", &digest, size, bytes.as_slice(), T1)
            .await
            .unwrap();
        let layouts = Layouts::shipped().unwrap();
        let claims: Vec<_> = ClaimReader::new("x", bytes.as_slice(), &layouts)
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(claims.iter().all(|c| c.provider.billing_month
            == YearMonth {
                year: 2026,
                month: Month::October
            }));

        let r = s
            .statistics_report(OCTOBER, KnownAt::Now, None, "10月分事業月報", T2)
            .await
            .unwrap();
        assert_eq!(r.basis, "now");
        assert!(
            !r.missing.iter().any(|m| m.ja.contains("レセプト")),
            "claims are in: {:?}",
            r.missing
        );

        // A1: the insured on 31 October, worked out from the eligibility reader.
        let insured = insured_on(&app, OCT_31).await;
        let households: BTreeSet<_> = insured
            .iter()
            .filter_map(|p| p.household_number.clone())
            .collect();
        assert_eq!(
            value(&r, "A1", "被保険者数", "月末現在"),
            insured.len() as i64
        );
        assert_eq!(
            value(&r, "A1", "世帯数", "月末現在"),
            households.len() as i64
        );
        let preschool = insured
            .iter()
            .filter(|p| is_preschool(p.birth_date, OCT_31))
            .count() as i64;
        assert_eq!(value(&r, "A1", "　うち未就学児", "月末現在"), preschool);
        // 40 to 64 in October: attained 40 by 31 October, not yet 65 then
        let care = insured
            .iter()
            .filter(|p| {
                let age_end =
                    kokuho_domain::eligibility::age_on(p.birth_date, date!(2026 - 11 - 01));
                (40..65).contains(&age_end)
            })
            .count() as i64;
        assert_eq!(
            value(
                &r,
                "A1",
                "　うち介護保険第2号被保険者（40歳以上65歳未満）",
                "月末現在"
            ),
            care
        );
        assert!(care > 0 && preschool > 0, "the town has both");

        // A2: acquisitions and losses dated in October.
        let mut acq = 0;
        let mut lost = 0;
        let mut persons = BTreeSet::new();
        for p in insured_on(&app, date!(2026 - 10 - 01))
            .await
            .into_iter()
            .chain(insured)
        {
            persons.insert(p.addressee_id);
        }
        for id in &persons {
            let periods = kokuho_store::eligibility::periods_of_person_db(
                &app.db,
                &app.insurer,
                &AddresseeId::parse(id).unwrap(),
                i64::MAX,
            )
            .await
            .unwrap();
            for p in periods.iter().filter(|p| !p.voided) {
                if YearMonth::from_date(p.acquired_on) == YearMonth::from_date(OCT_31) {
                    acq += 1;
                }
                if p.lost_on
                    .is_some_and(|d| YearMonth::from_date(d) == YearMonth::from_date(OCT_31))
                {
                    lost += 1;
                }
            }
        }
        assert_eq!(value(&r, "A2", "資格取得 計", "人数"), acq);
        assert_eq!(value(&r, "A2", "資格喪失 計", "人数"), lost);

        // B: the claim file's own figures, line by line.
        let line = |c: &kokuho_formats::claims::Claim| match (c.provider.kind, c.setting) {
            (FileKind::Dental, _) => "歯科",
            (FileKind::Pharmacy, _) | (_, ClaimSetting::Pharmacy) => "調剤",
            (_, ClaimSetting::Inpatient) => "入院",
            _ => "入院外",
        };
        for l in ["入院", "入院外", "歯科", "調剤"] {
            let of: Vec<_> = claims.iter().filter(|c| line(c) == l).collect();
            let cost: i64 = of.iter().map(|c| c.points * 10).sum();
            // the sample charges the copay at the claim's rate, rounded to ten yen
            let copay: i64 = of.iter().map(|c| c.copay_charged.unwrap()).sum();
            assert_eq!(value(&r, "B", l, "件数"), of.len() as i64, "{l}");
            assert_eq!(
                value(&r, "B", l, "日数"),
                of.iter().map(|c| i64::from(c.days)).sum::<i64>(),
                "{l}"
            );
            assert_eq!(value(&r, "B", l, "費用額"), cost, "{l}");
            assert_eq!(value(&r, "B", l, "一部負担金"), copay, "{l}");
            assert_eq!(value(&r, "B", l, "保険者負担額"), cost - copay, "{l}");
            assert!(!of.is_empty(), "{l}");
        }
        assert_eq!(
            value(&r, "B", "計（入院・入院外・歯科・調剤）", "件数"),
            claims.len() as i64
        );
        assert_eq!(
            r.table("B").unwrap().cell("訪問看護", "件数"),
            Some(Cell::NotAvailable)
        );
        // Meals from the claims' HO records: the claims with meals, the
        // meals, and what they claim.
        let meals = "食事療養・生活療養（日数の欄は回数）";
        let with: Vec<_> = claims.iter().filter(|c| c.meal_count > 0).collect();
        assert!(!with.is_empty(), "the sample's inpatient stays have meals");
        assert_eq!(value(&r, "B", meals, "件数"), with.len() as i64);
        assert_eq!(
            value(&r, "B", meals, "日数"),
            with.iter().map(|c| i64::from(c.meal_count)).sum::<i64>()
        );
        assert_eq!(
            value(&r, "B", meals, "保険者負担額"),
            with.iter().map(|c| c.meal_amount).sum::<i64>()
        );
        // C: nothing decided in October in this town.
        assert_eq!(value(&r, "C", "葬祭費", "決定件数"), 0);
        // D: no levy assessed for 2026: reported missing, never as a zero levy.
        assert!(r.missing.iter().any(|m| m.ja.contains("2026年度の保険税")));

        // Closing fixes the moment; a second closing is refused.
        let e = s
            .close_statistics(OCTOBER, false, "提出", T2)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "incomplete: {e:?}");
        let (closed, digest) = s.close_statistics(OCTOBER, true, "提出", T2).await.unwrap();
        assert_eq!(closed.basis, "closed");
        let e = s
            .close_statistics(OCTOBER, true, "提出", T3)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");

        // A death on 9 October, notified late (after the closing): an adult
        // in a household that keeps other insured members, not its head.
        let on_31 = insured_on(&app, OCT_31).await;
        let heads = householders(&t).await;
        let adult = on_31
            .iter()
            .find(|p| {
                let age = kokuho_domain::eligibility::age_on(p.birth_date, OCT_31);
                let others = on_31
                    .iter()
                    .filter(|q| q.household_number == p.household_number)
                    .count();
                (20..39).contains(&age)
                    && p.acquired_on < date!(2026 - 10 - 01)
                    && p.household_number.is_some()
                    && others > 1
                    && !heads.contains(&p.addressee_id)
            })
            .expect("an adult in a household of several")
            .clone();
        let clerk = app
            .actor_for("demo-clerk", "tester", "test", T3)
            .await
            .unwrap();
        Session {
            app: &app,
            actor: &clerk,
        }
        .lose(
            &kokuho_app::eligibility::Loss {
                addressee_id: AddresseeId::parse(&adult.addressee_id).unwrap(),
                reason: LossReason::Death,
                event_on: date!(2026 - 10 - 09),
                notified_on: Some(date!(2026 - 11 - 24)),
                destination: None,
                next_insurer_number: None,
            },
            T3,
        )
        .await
        .unwrap();

        // As closed: the same figures, byte for byte.
        let again = s
            .statistics_report(OCTOBER, KnownAt::Default, None, "再提出の確認", T4)
            .await
            .unwrap();
        assert_eq!(again.basis, "closed");
        assert_eq!(again.known_at_us, closed.known_at_us);
        assert_eq!(again.tables, closed.tables);
        assert_eq!(kokuho_app::statistics::figures_digest(&again), digest);
        // As known now: one insured fewer, one death more, nothing else.
        let (_, now, diffs) = s
            .statistics_changes(OCTOBER, "遡及異動の確認", T4)
            .await
            .unwrap();
        assert_eq!(
            value(&now, "A1", "被保険者数", "月末現在"),
            value(&closed, "A1", "被保険者数", "月末現在") - 1
        );
        let changed: BTreeSet<(String, String)> = diffs
            .iter()
            .map(|d| (d.table.clone(), d.row.trim_start_matches('　').to_string()))
            .collect();
        let expected: BTreeSet<(String, String)> =
            [("A1", "被保険者数"), ("A2", "資格喪失 計"), ("A2", "死亡")]
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
        assert_eq!(changed, expected, "{diffs:?}");

        // Every report is in the access log with its purpose.
        let log = kokuho_store::access::records(&app.db, 0, 100_000)
            .await
            .unwrap();
        assert!(
            log.iter()
                .any(|e| e.action == "statistics_monthly" && e.purpose.contains("10月分事業月報")),
            "{}",
            t.name
        );
    }
}

/// Every householder on record, read straight from the registry's table.
async fn householders(t: &TestDb) -> BTreeSet<String> {
    let sql = "SELECT householder_addressee_id FROM household UNION SELECT householder_addressee_id FROM householder_history";
    match &t.db {
        kokuho_store::Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
        kokuho_store::Db::Pg(p) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
    }
    .into_iter()
    .collect()
}

#[tokio::test]
async fn bad_periods_and_actors_without_the_right_are_refused() {
    for t in all_backends().await {
        let app = town(&t).await;
        let sup = app
            .actor_for("demo-supervisor", "tester", "test", T0)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &sup,
        };
        for bad in ["2026-13", "2026/10", "", "令和8年10月"] {
            assert!(Period::parse_month(bad).is_err(), "{bad}");
        }
        assert!(Period::parse_fiscal_year("26").is_err());
        let future = Period::parse_month("2027-01").unwrap();
        let e = s
            .statistics_report(future, KnownAt::Now, None, "x", T1)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Invalid {
                    field: "period",
                    ..
                }
            ),
            "{e:?}"
        );
        let ancient = Period::parse_month("1901-04").unwrap();
        let e = s
            .statistics_report(ancient, KnownAt::Now, None, "x", T1)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Invalid {
                    field: "period",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = s
            .statistics_report(OCTOBER, KnownAt::Now, None, "  ", T1)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Invalid {
                    field: "purpose",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = s.statistics_changes(OCTOBER, "x", T1).await.unwrap_err();
        assert!(matches!(e, AppError::Invalid { .. }), "not closed: {e:?}");
        // The counter clerk has no business with the statistics.
        let clerk = app
            .actor_for("demo-clerk", "tester", "test", T1)
            .await
            .unwrap();
        let e = Session {
            app: &app,
            actor: &clerk,
        }
        .statistics_report(OCTOBER, KnownAt::Now, None, "x", T1)
        .await
        .unwrap_err();
        assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
    }
}

#[tokio::test]
async fn the_year_averages_its_month_ends_and_publication_masks_small_counts() {
    for t in all_backends().await {
        let app = town(&t).await;
        let aud = app
            .actor_for("demo-auditor", "tester", "test", T0)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &aud,
        };
        let fy2025 = Period::parse_fiscal_year("2025").unwrap();
        let r = s
            .statistics_report(fy2025, KnownAt::Now, None, "年報", T1)
            .await
            .unwrap();
        let a1 = r.table("A1").unwrap();
        assert_eq!(a1.columns.len(), 13);
        assert_eq!(a1.columns[0].name, "2025年3月末");
        assert_eq!(a1.columns[11].name, "2026年2月末");
        let mut ends = Vec::new();
        for (i, c) in a1.columns.iter().take(12).enumerate() {
            let m = YearMonth {
                year: 2025 + i32::from(i >= 10),
                month: Month::March.nth_next(i as u8),
            };
            let n = insured_on(&app, m.last_day().unwrap()).await.len() as i64;
            assert_eq!(a1.value("被保険者数", &c.name), Some(n), "{}", c.name);
            ends.push(n);
        }
        let avg = (2 * ends.iter().sum::<i64>() + 12) / 24;
        assert_eq!(a1.value("被保険者数", "年度平均"), Some(avg));
        assert_eq!(r.trends.len(), 12);
        let e = r.table("E").unwrap();
        let total: i64 = e.rows.iter().map(|row| row.cells[2].value().unwrap()).sum();
        assert_eq!(
            total,
            insured_on(&app, date!(2026 - 03 - 31)).await.len() as i64,
            "the age table holds everyone insured at the year's end"
        );

        // For publication, no count from 1 to 4 is left.
        let p = s
            .statistics_report(fy2025, KnownAt::Now, Some(4), "公表", T1)
            .await
            .unwrap();
        assert!(p.published);
        for t in &p.tables {
            for row in &t.rows {
                for (c, col) in row.cells.iter().zip(&t.columns) {
                    if col.unit == kokuho_domain::statistics::Unit::Count {
                        assert!(!matches!(c, Cell::Value(1..=4)), "{} {}", t.code, row.label);
                    }
                }
            }
        }
        assert!(
            p.tables
                .iter()
                .flat_map(|t| &t.rows)
                .flat_map(|r| &r.cells)
                .any(|c| *c == Cell::Masked),
            "a small town has small counts to mask"
        );
    }
}

/// Straight SQL on either backend, for the figures worked out here.
async fn rows<T>(t: &TestDb, sql: &'static str) -> Vec<T>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    match &t.db {
        kokuho_store::Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        kokuho_store::Db::Pg(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    }
}

#[tokio::test]
async fn the_levy_the_elderly_and_the_cash_benefits_are_counted_from_what_was_booked() {
    use kokuho_app::benefit::{ApplicationInput, Decision, EventInput, PayeeBasis};
    for t in all_backends().await {
        let ring = Keyring::generate();
        let spec = TownSpec::demo(1_200, 17);
        town::generate(&t.db, &ring, &spec, T0, |_| {})
            .await
            .unwrap();
        let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number);
        let sup = app
            .actor_for("demo-supervisor", "tester", "test", T0)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &sup,
        };
        // incomes (burden categories from the new year) and the 本算定
        let sample = s.sample_income(2025, T0).await.unwrap();
        let bytes = kokuho_formats::income::write(&sample, kokuho_app::Encoding::Utf8).unwrap();
        s.import_income("income-2025.csv", &bytes, kokuho_app::Encoding::Utf8, T0)
            .await
            .unwrap();
        s.assess_levy(2026, date!(2026 - 06 - 15), T0)
            .await
            .unwrap();

        // A childbirth grant received by the benefits clerk, decided on
        // 20 October by the supervisor; a transport benefit decided in November.
        let clerk_actor = app
            .actor_for("demo-benefits", "tester", "test", T0)
            .await
            .unwrap();
        let clerk = Session {
            app: &app,
            actor: &clerk_actor,
        };
        let mother = insured_on(&app, date!(2026 - 10 - 15))
            .await
            .into_iter()
            .find(|p| p.household_number.is_some())
            .unwrap();
        let input = |event| ApplicationInput {
            addressee_id: mother.addressee_id.clone(),
            event,
            received_on: date!(2026 - 10 - 16),
            applicant: "本人".into(),
            documents: "出生証明書".into(),
            payee_id: None,
            application_account: false,
            payee_basis: PayeeBasis::Entitled,
            entitled_id: None,
            simplified_route: false,
        };
        let birth = clerk
            .receive_application(
                &input(EventInput::Childbirth {
                    born_on: date!(2026 - 10 - 12),
                    children: 1,
                    gestation_days: 280,
                    compensation_covered: true,
                    paid_directly: 0,
                }),
                T0,
            )
            .await
            .unwrap();
        s.decide_application(
            birth.application_id,
            &Decision::Pay,
            date!(2026 - 10 - 20),
            T0,
        )
        .await
        .unwrap();
        let transport = clerk
            .receive_application(
                &input(EventInput::Transport {
                    moved_on: date!(2026 - 10 - 15),
                    paid: 12_340,
                    economical: 1_000_000,
                }),
                T0,
            )
            .await
            .unwrap();
        s.decide_application(
            transport.application_id,
            &Decision::Pay,
            date!(2026 - 11 - 02),
            T0,
        )
        .await
        .unwrap();

        let r = s
            .statistics_report(OCTOBER, KnownAt::Now, None, "10月分事業月報", T1)
            .await
            .unwrap();

        // D: the booked versions' own sums.
        let booked: Vec<(i64, Option<String>, i64, i64, i64, i64)> = rows(
            &t,
            "SELECT total, reduction, medical, elderly_support, care, child_support FROM levy_version \
             WHERE fiscal_year = 2026 AND superseded_us IS NULL",
        )
        .await;
        let levied: Vec<_> = booked.iter().filter(|b| b.0 > 0).collect();
        assert!(levied.len() > 100, "{}", t.name);
        assert_eq!(value(&r, "D", "調定額 計", "世帯数"), levied.len() as i64);
        assert_eq!(
            value(&r, "D", "調定額 計", "金額"),
            levied.iter().map(|b| b.0).sum::<i64>()
        );
        assert_eq!(
            value(&r, "D", "　介護納付金分", "金額"),
            booked.iter().map(|b| b.4).sum::<i64>()
        );
        assert_eq!(
            value(&r, "D", "　子ども・子育て支援納付金分", "金額"),
            booked.iter().map(|b| b.5).sum::<i64>()
        );
        assert!(
            value(&r, "D", "　子ども・子育て支援納付金分", "金額") > 0,
            "FY2026 levies it"
        );
        for cut in ["7割", "5割", "2割"] {
            assert_eq!(
                value(&r, "D", &format!("{cut}軽減"), "世帯数"),
                booked
                    .iter()
                    .filter(|b| b.1.as_deref() == Some(cut))
                    .count() as i64,
                "{cut}"
            );
        }
        // every reduction recomputes to the booked total, so the amounts are known
        let cut70 = value(&r, "D", "7割軽減", "金額");
        let cut50 = value(&r, "D", "5割軽減", "金額");
        assert!(
            value(&r, "D", "7割軽減", "世帯数") > 0 && cut70 > 0,
            "{cut70}"
        );
        // a 7割 household is relieved of more per person than a 5割 one
        assert!(
            cut70 * value(&r, "D", "5割軽減", "被保険者数")
                > cut50 * value(&r, "D", "7割軽減", "被保険者数"),
            "{cut70} {cut50}"
        );
        assert!(
            !r.missing.iter().any(|m| m.ja.contains("保険税")),
            "{:?}",
            r.missing
        );
        // every household's reduction recomputes, households levied nothing included
        assert!(
            !r.missing.iter().any(|m| m.ja.contains("再計算")),
            "{:?}",
            r.missing
        );
        assert!(value(&r, "D", "軽減額 計（均等割・平等割）", "金額") >= cut70 + cut50);

        // A1: 70 to 74 by the month's copay rate, from the burden versions.
        let rates: Vec<(String,)> = rows(
            &t,
            "SELECT copay_rates FROM burden_version WHERE month = '2026-10' AND superseded_us IS NULL",
        )
        .await;
        let rate_of: std::collections::HashMap<String, String> = rates
            .iter()
            .flat_map(|(r,)| r.split(';').filter_map(|p| p.split_once(':')))
            .map(|(a, b)| (a.to_string(), b.split('(').next().unwrap().to_string()))
            .collect();
        let elderly: Vec<_> = insured_on(&app, OCT_31)
            .await
            .into_iter()
            .filter(|p| {
                kokuho_domain::eligibility::elderly_recipient_from(p.birth_date)
                    .is_some_and(|d| d <= OCT_31)
            })
            .collect();
        // those 75 by the month's end should have moved to 後期高齢者医療:
        // still insured on record, they are counted, and flagged
        let (elderly, over): (Vec<_>, Vec<_>) = elderly
            .into_iter()
            .partition(|p| kokuho_domain::eligibility::age_on(p.birth_date, OCT_31) < 75);
        assert_eq!(
            r.missing
                .iter()
                .any(|m| m.ja.contains(&format!("75歳以上の{}人", over.len()))),
            !over.is_empty(),
            "{:?}",
            r.missing
        );
        let with = |rate: &str| {
            elderly
                .iter()
                .filter(|p| rate_of.get(&p.addressee_id).map(String::as_str) == Some(rate))
                .count() as i64
        };
        assert!(!elderly.is_empty());
        assert_eq!(
            value(&r, "A1", "　うち高齢受給者（70歳以上75歳未満）", "月末現在"),
            elderly.len() as i64
        );
        assert_eq!(
            value(&r, "A1", "　　うち一部負担金2割", "月末現在"),
            with("2割")
        );
        assert_eq!(
            value(&r, "A1", "　　うち一部負担金3割", "月末現在"),
            with("3割")
        );
        assert!(with("2割") > 0);

        // C: the grant decided in October, not the one of November.
        assert_eq!(value(&r, "C", "出産育児一時金", "決定件数"), 1);
        assert_eq!(value(&r, "C", "出産育児一時金", "決定金額"), birth.amount);
        assert_eq!(
            value(&r, "C", "出産育児一時金", "支払件数"),
            0,
            "not paid yet"
        );
        assert_eq!(value(&r, "C", "移送費", "決定件数"), 0);
        let nov = s
            .statistics_report(
                Period::parse_month("2026-11").unwrap(),
                KnownAt::Now,
                None,
                "11月分の途中経過",
                T1,
            )
            .await
            .unwrap();
        assert_eq!(value(&nov, "C", "移送費", "決定金額"), transport.amount);
        assert!(
            nov.missing
                .iter()
                .any(|m| m.ja.contains("終わっていません")),
            "a month not over is not final: {:?}",
            nov.missing
        );

        // The PDF: a page per table, the figures in it as text.
        let pdf = app.statistics_pdf(&r).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let text = std::process::Command::new("pdftotext")
            .args(["-layout", path.to_str().unwrap(), "-"])
            .output()
            .expect("pdftotext (poppler-utils) is installed by scripts/ensure-print.sh");
        let text = String::from_utf8(text.stdout).unwrap();
        assert_eq!(
            text.matches('\u{c}').count(),
            r.tables.len(),
            "a page per table"
        );
        assert!(text.contains("療養の給付等（当月審査分）"));
        assert!(text.contains(&kokuho_domain::burden::yen(value(
            &r,
            "D",
            "調定額 計",
            "金額"
        ))));
    }
}

/// The screen's report is kept a few minutes: shown again with when it was
/// added up, added up anew when asked, when older, or after a closing; every
/// view is logged.
#[tokio::test]
async fn the_screen_shows_a_report_kept_a_few_minutes() {
    for t in all_backends().await {
        let app = town(&t).await;
        let actor = app
            .actor_for("demo-supervisor", "tester", "test", T0)
            .await
            .unwrap();
        let s = Session {
            app: &app,
            actor: &actor,
        };
        let year = Period::FiscalYear(2026);
        let view = |fresh: bool, at: OffsetDateTime| {
            s.statistics_report_for_screen(year, fresh, "統計画面の閲覧", at)
        };
        let (first, kept) = view(false, T1).await.unwrap();
        assert!(kept.is_none());
        let (again, kept) = view(false, T1 + time::Duration::minutes(3)).await.unwrap();
        assert_eq!(kept, Some(T1));
        assert_eq!(again, first);
        let (_, kept) = view(true, T1 + time::Duration::minutes(4)).await.unwrap();
        assert!(kept.is_none(), "asked for anew");
        let (_, kept) = view(false, T1 + time::Duration::minutes(20)).await.unwrap();
        assert!(kept.is_none(), "older than the minutes kept");
        let at = T1 + time::Duration::minutes(21);
        let (_, kept) = view(false, at).await.unwrap();
        assert!(kept.is_some());
        s.close_statistics(OCTOBER, true, "提出", at).await.unwrap();
        let (_, kept) = view(false, at).await.unwrap();
        assert!(kept.is_none(), "a closing forgets what was kept");
        let logged: i64 = kokuho_store::with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM access_log WHERE action = 'statistics_yearly'"
        )
        .fetch_one(p)
        .await
        .unwrap());
        assert_eq!(logged, 6, "{}", t.name);
    }
}
