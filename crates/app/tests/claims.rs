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
        let mut insured = insured_on(&t.db, &spec.insurer_number, date!(2026 - 09 - 15)).await;
        // Those 75 by their first day of the month are 後期高齢者医療's
        // (the age job has not yet recorded it for some): no NHI claim.
        insured.retain(|_, p| {
            kokuho_domain::eligibility::late_elderly_from(p.birth_date)
                .is_none_or(|d| d > p.acquired_on.max(date!(2026 - 09 - 01)))
        });
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
            assert_eq!(c.birth_date, birth.birth_date);
            let rate = if age_group(birth.birth_date, month) == AgeGroup::Under70 {
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

// ---------------------------------------------------------------------------
// Import and eligibility check (資格点検)

use kokuho_app::access::Actor;
use kokuho_domain::id::AddresseeId;
use kokuho_formats::claims::{Claim, Record};
use kokuho_formats::text::Encoding;
use kokuho_store::testing::TestDb;

const T1: OffsetDateTime = datetime!(2026-11-24 10:00 UTC);
const T2: OffsetDateTime = datetime!(2026-11-24 11:00 UTC);

const SEPTEMBER: YearMonth = YearMonth {
    year: 2026,
    month: Month::September,
};
const OCTOBER: YearMonth = YearMonth {
    year: 2026,
    month: Month::October,
};

/// Everyone insured on `on`, by (symbol, number, 枝番).
async fn insured_on(
    db: &kokuho_store::Db,
    insurer: &kokuho_domain::id::InsurerNumber,
    on: time::Date,
) -> HashMap<(String, String, String), kokuho_store::eligibility::InsuredRow> {
    let mut by_numbers = HashMap::new();
    kokuho_store::eligibility::for_each_insured_on(db, insurer, on, i64::MAX, None, |row| {
        let key = (
            row.insured_symbol.clone().unwrap(),
            row.insured_number.clone().unwrap(),
            row.branch_number.clone().unwrap(),
        );
        by_numbers.insert(key, row);
        Ok(())
    })
    .await
    .unwrap();
    by_numbers
}

/// A town whose 2025 incomes are imported, so its months from 2026-08 have
/// burden categories (the copay rates the check compares with).
async fn town_with_burden(t: &TestDb, seed: u64) -> (Kokuho, Actor) {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(1_500, seed);
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
    let income = s.sample_income(2025, T0).await.unwrap();
    let bytes = kokuho_formats::income::write(&income, Encoding::Utf8).unwrap();
    s.import_income("income-2025.csv", &bytes, Encoding::Utf8, T0)
        .await
        .unwrap();
    (app, sup)
}

async fn import(
    s: &Session<'_>,
    name: &str,
    bytes: &[u8],
) -> kokuho_app::Result<kokuho_app::claims::ClaimImportReport> {
    let (digest, size) = kokuho_formats::registry_feed::stream_digest(bytes).unwrap();
    s.import_claims(name, &digest, size, bytes, T1).await
}

fn total_claims(app_months: &[kokuho_store::claims::MonthSummary]) -> i64 {
    app_months.iter().map(|m| m.claims).sum()
}

#[tokio::test]
async fn an_import_is_all_or_nothing_and_the_same_file_is_stored_once() {
    for t in all_backends().await {
        let (app, sup) = town_with_burden(&t, 11).await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let mut bytes = Vec::new();
        let sample = s.sample_claims(SEPTEMBER, &mut bytes, T0).await.unwrap();

        // A malformed record in the middle: the file names its line, record
        // and field, and nothing is stored.
        let text = kokuho_formats::text::decode(&bytes, Encoding::Cp932).unwrap();
        let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
        let bad_at = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with("HO,"))
            .nth(40)
            .unwrap()
            .0;
        let mut fields: Vec<String> = lines[bad_at].split(',').map(str::to_string).collect();
        fields[5] = "12x".into(); // 合計点数
        lines[bad_at] = fields.join(",");
        let bad_bytes = kokuho_formats::text::encode_cp932(&lines.join("\r\n")).unwrap();
        let e = import(&s, "bad.uke", &bad_bytes).await.unwrap_err();
        match &e {
            AppError::Rejected {
                file, line, field, ..
            } => {
                assert_eq!(file, "bad.uke");
                assert_eq!(*line, bad_at + 1, "{}", t.name);
                assert_eq!(field, "HO.points");
            }
            other => panic!("{}: {other:?}", t.name),
        }
        assert!(e.message_ja().contains("行"), "{}", e.message_ja());
        assert_eq!(app.claim_months().await.unwrap(), vec![], "{}", t.name);

        // A file cut short (no GO): nothing stored either.
        let cut = &bytes[..bytes.len() / 2];
        assert!(import(&s, "cut.uke", cut).await.is_err());
        assert_eq!(app.claim_months().await.unwrap(), vec![]);

        // The whole file: every claim, with its file and line, under the
        // processing month (the month after the service month).
        let r = import(&s, "2026-10.uke", &bytes).await.unwrap();
        assert!(!r.already_imported);
        assert_eq!(r.claims, sample.claims, "{}", t.name);
        assert_eq!(
            r.months,
            vec![("2026-10".to_string(), sample.claims as i64)]
        );
        let months = app.claim_months().await.unwrap();
        assert_eq!(total_claims(&months), sample.claims as i64);
        assert_eq!(months[0].files, 1);
        // The first claim starts at line 2 (after its provider's header).
        let first = kokuho_store::claims::get(&t.db, &app.insurer, &r.digest, 2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.service_month, "2026-09");
        assert!(first.end_line > first.line);
        // Again: stored once.
        let again = import(&s, "copy-of-2026-10.uke", &bytes).await.unwrap();
        assert!(again.already_imported);
        assert_eq!(
            total_claims(&app.claim_months().await.unwrap()),
            sample.claims as i64,
            "{}",
            t.name
        );
        // Both imports are jobs, the failures with their error reports.
        let jobs = s.jobs(T2).await.unwrap();
        let imports: Vec<_> = jobs
            .iter()
            .filter(|j| j.kind == kokuho_app::jobs::JobKind::ClaimsImport)
            .collect();
        assert_eq!(imports.len(), 4, "{}", t.name);
        assert_eq!(imports.iter().filter(|j| j.status == "failed").count(), 2);
        // The levy clerk may not import claims.
        let levy = app
            .actor_for("demo-levy", "tester", "test", T0)
            .await
            .unwrap();
        let e = import(
            &Session {
                app: &app,
                actor: &levy,
            },
            "x.uke",
            &bytes,
        )
        .await
        .unwrap_err();
        assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
    }
}

/// The sample's claims with the file's other records, in file order.
struct SampleFile {
    header: Vec<Record>,
    claims: Vec<Claim>,
}

fn read_sample(bytes: &[u8]) -> SampleFile {
    let layouts = Layouts::shipped().unwrap();
    let mut reader = ClaimReader::new("sample.uke", bytes, &layouts);
    let claims: Vec<Claim> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    SampleFile {
        header: reader.header.clone(),
        claims,
    }
}

fn set(claim: &mut Claim, id: &str, field: &str, value: &str) {
    let layouts = Layouts::shipped().unwrap();
    let kind = claim.provider.kind;
    let pos = layouts.get(kind, id).unwrap().position(field).unwrap();
    for r in claim.records.iter_mut().filter(|r| r.id() == id) {
        if r.fields.len() <= pos {
            r.fields.resize(pos + 1, String::new());
        }
        r.fields[pos] = value.to_string();
    }
}

/// Marks exactly `days` as the claim's 算定日 (on its IY record).
fn set_days(claim: &mut Claim, days: &[u8]) {
    for d in 1..=31u8 {
        let v = if days.contains(&d) { "1" } else { "" };
        set(claim, "IY", &format!("day{d}"), v);
    }
}

fn write_file(f: &SampleFile) -> Vec<u8> {
    let mut records: Vec<&Record> = f.header.iter().collect();
    records.extend(f.claims.iter().flat_map(|c| c.records.iter()));
    records.sort_by_key(|r| r.line);
    let mut w = kokuho_formats::claims::ClaimWriter::new(Vec::new());
    for r in records {
        w.write(r).unwrap();
    }
    w.into_inner()
}

fn key(c: &Claim) -> (String, u32) {
    (c.provider.code.clone(), c.claim_no)
}

#[tokio::test]
async fn the_check_lists_exactly_the_seeded_claims_as_known_at_the_check() {
    use kokuho_domain::eligibility_check::Reason;
    for t in all_backends().await {
        let (app, sup) = town_with_burden(&t, 12).await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        // The insured of September by their numbers.
        let who = insured_on(&t.db, &app.insurer, date!(2026 - 09 - 30)).await;
        let person_of = |c: &Claim| {
            who.get(&(
                c.symbol.clone(),
                c.number.clone(),
                c.branch.clone().unwrap(),
            ))
            .map(|r| (r.addressee_id.clone(), r.acquired_on))
        };

        // The sample, as it comes, has nothing to list.
        let mut clean = Vec::new();
        s.sample_claims(SEPTEMBER, &mut clean, T0).await.unwrap();
        let mut f = read_sample(&clean);
        let persons: Vec<String> = f
            .claims
            .iter()
            .map(|c| person_of(c).expect("insured all September").0)
            .collect();
        // Five claims of five different persons, outpatient medical, under 70.
        let mut picked: Vec<usize> = Vec::new();
        for (i, c) in f.claims.iter().enumerate() {
            let under_70 = matches!(c.claim_kind.as_bytes()[3], b'2' | b'6');
            if c.provider.kind == FileKind::Medical
                && under_70
                && person_of(c).unwrap().1 < date!(2026 - 01 - 01)
                && !picked.iter().any(|j| persons[*j] == persons[i])
            {
                picked.push(i);
            }
            if picked.len() == 5 {
                break;
            }
        }
        let [rate_wrong, unknown, lost_before, lost_mid, acquired_mid] = picked[..] else {
            panic!("{}: five claims", t.name)
        };
        let mut expected: HashMap<(String, u32), Vec<Reason>> = HashMap::new();
        // 1. charged at 2割 under 70
        set(&mut f.claims[rate_wrong], "RE", "benefit_rate", "80");
        expected.insert(key(&f.claims[rate_wrong]), vec![Reason::CopayRateWrong]);
        // 2. numbers no one holds
        set(&mut f.claims[unknown], "HO", "number", "99999999");
        set(&mut f.claims[unknown], "SN", "number", "99999999");
        expected.insert(key(&f.claims[unknown]), vec![Reason::UnknownInsured]);
        // 3. and 4. care on the 10th and the 20th
        set_days(&mut f.claims[lost_mid], &[10, 20]);
        set_days(&mut f.claims[acquired_mid], &[10, 20]);
        let seeded = write_file(&f);
        let r = import(&s, "2026-10.uke", &seeded).await.unwrap();
        assert_eq!(r.claims as usize, f.claims.len());

        // After T1 the registry learns: one person left NHI in August, one
        // on 2026-09-15 (employee insurance from the 14th), one's period in
        // fact began on 2026-09-18 (a correction).
        let lose = |i: usize, on: time::Date| kokuho_app::eligibility::Loss {
            addressee_id: AddresseeId::parse(&persons[i]).unwrap(),
            reason: kokuho_domain::eligibility::LossReason::JoinedEmployeeInsurance,
            event_on: on,
            notified_on: Some(date!(2026 - 11 - 24)),
            destination: None,
            next_insurer_number: None,
        };
        s.lose(&lose(lost_before, date!(2026 - 08 - 20)), T2)
            .await
            .unwrap();
        s.lose(&lose(lost_mid, date!(2026 - 09 - 14)), T2)
            .await
            .unwrap();
        let acq = AddresseeId::parse(&persons[acquired_mid]).unwrap();
        let (periods, _) = s.periods(&acq, None, T2).await.unwrap();
        let period = periods.last().unwrap();
        s.correct(
            &kokuho_app::eligibility::Correction {
                period_id: period.period_id,
                acquired_on: Some(date!(2026 - 09 - 18)),
                acquisition_reason: None,
                lost_on: None,
                loss_reason: None,
                flags: None,
                void: false,
                note: "取得日の訂正".into(),
            },
            T2,
        )
        .await
        .unwrap();
        // What each of those persons' claims should show, from its days.
        for c in &f.claims {
            let p = person_of(c).map(|p| p.0);
            // the seeded days where set_days marked them (the parsed bits
            // are the sample's)
            let seeded_days = [&f.claims[lost_mid], &f.claims[acquired_mid]]
                .iter()
                .any(|x| key(x) == key(c));
            let days: Vec<u8> = if seeded_days {
                vec![10, 20]
            } else {
                (0..31u8)
                    .filter(|d| c.service_days & (1 << d) != 0)
                    .map(|d| d + 1)
                    .collect()
            };
            let reason = if p.as_deref() == Some(persons[lost_before].as_str()) {
                Some(Reason::AfterLoss)
            } else if p.as_deref() == Some(persons[lost_mid].as_str()) {
                days.iter().any(|d| *d >= 15).then_some(Reason::AfterLoss)
            } else if p.as_deref() == Some(persons[acquired_mid].as_str()) {
                days.iter()
                    .any(|d| *d < 18)
                    .then_some(Reason::BeforeAcquisition)
            } else {
                None
            };
            if let Some(r) = reason {
                expected.entry(key(c)).or_default().push(r);
            }
        }
        assert!(expected.len() >= 5, "{}: {expected:?}", t.name);

        // Checked as known at T1 (before the registry learned): only the
        // file's own errors.
        let before = s.check_claims(OCTOBER, Some(T1), T2).await.unwrap();
        let (_, rows) = s.claim_check(before.check_id, 1_000, T2).await.unwrap();
        let mut found: HashMap<(String, u32), Vec<Reason>> = HashMap::new();
        for (fr, c) in &rows {
            found
                .entry((c.provider_code.clone(), c.claim_no as u32))
                .or_default()
                .push(Reason::from_code(&fr.reason).unwrap());
        }
        let file_only: HashMap<_, _> = expected
            .iter()
            .filter(|(_, v)| matches!(v[..], [Reason::CopayRateWrong] | [Reason::UnknownInsured]))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(found, file_only, "{}", t.name);

        // As known now: every seeded claim, with its reason, and no other.
        let now = s.check_claims(OCTOBER, None, T2).await.unwrap();
        assert_eq!(now.claims as usize, f.claims.len());
        let (_, rows) = s.claim_check(now.check_id, 1_000, T2).await.unwrap();
        let mut found: HashMap<(String, u32), Vec<Reason>> = HashMap::new();
        for (fr, c) in &rows {
            found
                .entry((c.provider_code.clone(), c.claim_no as u32))
                .or_default()
                .push(Reason::from_code(&fr.reason).unwrap());
        }
        assert_eq!(found, expected, "{}", t.name);
        assert_eq!(now.listed as usize, expected.len());
        let mid = rows
            .iter()
            .find(|(_, c)| (c.provider_code.clone(), c.claim_no as u32) == key(&f.claims[lost_mid]))
            .unwrap();
        assert!(
            mid.0
                .detail_ja
                .starts_with("20日の受診は資格喪失日（令和8年9月15日）以後"),
            "{}",
            mid.0.detail_ja
        );
        assert_eq!(
            mid.0.addressee_id.as_deref(),
            Some(persons[lost_mid].as_str())
        );

        // The list as CSV, UTF-8 and CP932: a row per finding.
        let (csv, n) = s
            .claim_check_csv(now.check_id, Encoding::Utf8, Vec::new(), T2)
            .await
            .unwrap();
        assert_eq!(n as usize, rows.len());
        let text = String::from_utf8(csv).unwrap();
        assert!(text.starts_with("処理年月,医療機関コード,医療機関名,レセプト番号"));
        assert_eq!(text.lines().count(), rows.len() + 1);
        assert!(text.contains("返戻,資格喪失後の受診,"), "{text}");
        let (sjis, _) = s
            .claim_check_csv(now.check_id, Encoding::Cp932, Vec::new(), T2)
            .await
            .unwrap();
        assert_eq!(
            kokuho_formats::text::decode(&sjis, Encoding::Cp932).unwrap(),
            text
        );
        // Both checks are kept, the latest first.
        let (months, checks) = s.claim_months(T2).await.unwrap();
        assert_eq!(months.len(), 1);
        assert_eq!(
            checks.iter().map(|c| c.check_id).collect::<Vec<_>>(),
            [now.check_id, before.check_id]
        );
    }
}

#[tokio::test]
async fn the_sample_as_sent_has_nothing_to_list() {
    for t in all_backends().await {
        let (app, sup) = town_with_burden(&t, 13).await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let mut bytes = Vec::new();
        let sample = s.sample_claims(SEPTEMBER, &mut bytes, T0).await.unwrap();
        import(&s, "2026-10.uke", &bytes).await.unwrap();
        let r = s.check_claims(OCTOBER, None, T1).await.unwrap();
        assert_eq!(r.claims, sample.claims);
        assert_eq!(r.listed, 0, "{}: {r:?}", t.name);
        // No claims for a month: a clear refusal.
        let e = s.check_claims(SEPTEMBER, None, T1).await.unwrap_err();
        assert!(matches!(e, AppError::NotFound { .. }), "{e:?}");
    }
}

// ---------------------------------------------------------------------------
// The monthly high-cost run (高額療養費)

/// Sets the GO record's total points to what the claims add up to.
fn set_total_points(f: &mut SampleFile) {
    let layouts = Layouts::shipped().unwrap();
    let total: i64 = f.claims.iter().map(claim_points).sum();
    for r in f.header.iter_mut().filter(|r| r.id() == "GO") {
        let kind = FileKind::Medical;
        let pos = layouts
            .get(kind, "GO")
            .unwrap()
            .position("total_points")
            .unwrap();
        r.fields[pos] = total.to_string();
    }
}

fn claim_points(c: &Claim) -> i64 {
    let layouts = Layouts::shipped().unwrap();
    let pos = layouts
        .get(c.provider.kind, "HO")
        .unwrap()
        .position("points")
        .unwrap();
    c.records
        .iter()
        .find(|r| r.id() == "HO")
        .and_then(|r| r.fields.get(pos))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_monthly_run_books_each_households_benefit_once_and_again_only_on_change() {
    use kokuho_app::high_cost::basis_of;
    for t in all_backends().await {
        let (app, sup) = town_with_burden(&t, 14).await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let who = insured_on(&t.db, &app.insurer, date!(2026 - 09 - 30)).await;
        let categories =
            kokuho_store::claims::categories_known_at(&t.db, &app.insurer, "2026-09", i64::MAX)
                .await
                .unwrap();
        let mut clean = Vec::new();
        s.sample_claims(SEPTEMBER, &mut clean, T0).await.unwrap();
        let mut f = read_sample(&clean);
        let household_of = |c: &Claim| {
            who.get(&(
                c.symbol.clone(),
                c.number.clone(),
                c.branch.clone().unwrap(),
            ))
            .and_then(|r| r.household_number.clone())
            .unwrap()
        };
        let mut claims_of: HashMap<String, usize> = HashMap::new();
        for c in &f.claims {
            *claims_of.entry(household_of(c)).or_default() += 1;
        }
        // Two households with one claim each, outpatient medical, under 70
        // (not 未就学): one of category ウ, one of any category.
        let alone = |c: &Claim| {
            c.provider.kind == FileKind::Medical
                && matches!(c.claim_kind.as_bytes()[3], b'2')
                && claims_of[&household_of(c)] == 1
        };
        let target = f
            .claims
            .iter()
            .position(|c| {
                alone(c) && categories[&household_of(c)].category_under_70.as_deref() == Some("ウ")
            })
            .expect("a household of category ウ with one claim");
        let returned = f
            .claims
            .iter()
            .position(|c| alone(c) && household_of(c) != household_of(&f.claims[target]))
            .unwrap();
        let target_household = household_of(&f.claims[target]);
        let returned_household = household_of(&f.claims[returned]);
        // Each claim: 100,000 points = 1,000,000 yen, 300,000 charged at 3割.
        for i in [target, returned] {
            set(&mut f.claims[i], "HO", "points", "100000");
            set(&mut f.claims[i], "HO", "copay_charged", "300000");
        }
        // The second charged at 2割 under 70: the check returns it.
        set(&mut f.claims[returned], "RE", "benefit_rate", "80");
        set_total_points(&mut f);
        import(&s, "2026-10.uke", &write_file(&f)).await.unwrap();

        // Before the check: refused, nothing booked.
        let e = s.run_high_cost(SEPTEMBER, None, T1).await.unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
        assert!(s.high_cost_runs(T1).await.unwrap().is_empty());
        let check = s.check_claims(OCTOBER, None, T1).await.unwrap();
        assert_eq!(check.returns, 1, "{}: {check:?}", t.name);

        // A file of the same processing month imported after the check (one
        // claim of a third household): the run waits for a new check.
        let other = f
            .claims
            .iter()
            .position(|c| {
                c.provider.kind == FileKind::Medical
                    && ![&target_household, &returned_household].contains(&&household_of(c))
            })
            .unwrap();
        let mut extra = SampleFile {
            header: f.header.clone(),
            claims: vec![f.claims[other].clone()],
        };
        let layouts = Layouts::shipped().unwrap();
        let at = layouts
            .get(FileKind::Medical, "GO")
            .unwrap()
            .position("total_claims")
            .unwrap();
        for r in extra.header.iter_mut().filter(|r| r.id() == "GO") {
            r.fields[at] = "1".into();
        }
        set_total_points(&mut extra);
        import(&s, "2026-10-late.uke", &write_file(&extra))
            .await
            .unwrap();
        let e = s.run_high_cost(SEPTEMBER, None, T1).await.unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_en, .. } if message_en.contains("check again")),
            "{e:?}"
        );
        let check = s.check_claims(OCTOBER, None, T1).await.unwrap();
        assert_eq!(check.claims as usize, f.claims.len() + 1);

        let r = s.run_high_cost(SEPTEMBER, None, T1).await.unwrap();
        assert_eq!(r.claims + r.left_out, f.claims.len() as u64 + 1);
        assert_eq!(r.left_out, 1);
        let (run, rows) = s.high_cost_run(r.run_id, i64::MAX, T1).await.unwrap();
        assert_eq!(run.booked as usize, rows.len());
        assert_eq!(rows.iter().map(|d| d.benefit).sum::<i64>(), r.benefit);
        assert_eq!(rows.iter().map(|d| d.refund).sum::<i64>(), r.refund);
        // 厚生労働省「高額療養費制度の見直しについて（令和８年８月診療分から）」:
        // ウ, 1,000,000 yen → 85,800 + 7,140 = 92,940; 300,000 − 92,940.
        let d = rows
            .iter()
            .find(|d| d.household_number == target_household)
            .expect("the ウ household's decision");
        assert_eq!(d.category_under_70.as_deref(), Some("ウ"));
        assert_eq!((d.benefit, d.refund, d.paid_in_kind), (207_060, 207_060, 0));
        assert!(d.counts_as_high_cost_month && !d.frequent_case);
        assert_eq!((d.version_no, d.difference), (1, 207_060));
        assert!(d.householder_id.is_some());
        let basis = basis_of(d);
        assert_eq!(basis.units.len(), 1);
        assert_eq!(basis.units[0].copay, 300_000);
        assert!(
            basis.steps.join("\n").contains("92,940"),
            "{:?}",
            basis.steps
        );
        // The returned claim's household: no benefit.
        assert!(
            !rows
                .iter()
                .any(|d| d.household_number == returned_household)
        );

        // Every member aged 70–74 with outpatient care has the month's
        // outpatient copay and what the benefit left, for the annual cap.
        let outpatient =
            kokuho_store::annual_outpatient::months_of_runs(&t.db, &app.insurer, &[r.run_id])
                .await
                .unwrap();
        let elderly_outpatient: std::collections::HashSet<String> = f
            .claims
            .iter()
            .filter(|c| {
                c.setting != ClaimSetting::Inpatient
                    && c.public_funding.is_empty()
                    && age_group(c.birth_date, SEPTEMBER) == AgeGroup::Elderly
                    && who.contains_key(&(
                        c.symbol.clone(),
                        c.number.clone(),
                        c.branch.clone().unwrap(),
                    ))
            })
            .map(|c| {
                who[&(
                    c.symbol.clone(),
                    c.number.clone(),
                    c.branch.clone().unwrap(),
                )]
                    .addressee_id
                    .clone()
            })
            .collect();
        assert!(!outpatient.is_empty());
        assert_eq!(
            outpatient
                .iter()
                .map(|o| o.addressee_id.clone())
                .collect::<std::collections::HashSet<_>>(),
            elderly_outpatient,
            "{}",
            t.name
        );
        assert!(outpatient.iter().all(|o| 0 <= o.outpatient_left
            && o.outpatient_left <= o.outpatient
            && o.service_month == "2026-09"));

        // The same run again books nothing.
        let again = s.run_high_cost(SEPTEMBER, None, T1).await.unwrap();
        assert_eq!((again.booked, again.benefit), (0, r.benefit));
        // As known before that run: refused (older records over newer).
        let e = s.run_high_cost(SEPTEMBER, Some(T0), T2).await.unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");

        // Three months handed over from another municipality: 多数回 from
        // the fourth, ウ 44,400 — the next version, with the difference.
        for m in [6, 7, 8] {
            let month = YearMonth {
                year: 2026,
                month: Month::try_from(m).unwrap(),
            };
            s.record_handed_over_month(&target_household, month, "310011", T2)
                .await
                .unwrap();
        }
        let third = s.run_high_cost(SEPTEMBER, None, T2).await.unwrap();
        assert_eq!(third.booked, 1);
        let (decisions, months) = s.household_high_cost(&target_household, T2).await.unwrap();
        let now = &decisions[0];
        assert_eq!(
            (now.version_no, now.benefit, now.difference),
            (2, 255_600, 48_540)
        );
        assert!(now.frequent_case);
        assert_eq!(
            basis_of(now).prior_months,
            ["2026-06", "2026-07", "2026-08"]
        );
        assert!(decisions[1].superseded_us.is_some());
        let sources: Vec<(&str, &str)> = months
            .iter()
            .map(|m| (m.service_month.as_str(), m.source.as_str()))
            .collect();
        assert_eq!(
            sources,
            [
                ("2026-09", "decision"),
                ("2026-08", "handed_over"),
                ("2026-07", "handed_over"),
                ("2026-06", "handed_over")
            ]
        );
        // One handed over in error, voided: back to 92,940, a third version.
        s.void_handed_over_month(
            &target_household,
            YearMonth {
                year: 2026,
                month: Month::June,
            },
            None,
            T2,
        )
        .await
        .unwrap();
        s.run_high_cost(SEPTEMBER, None, T2).await.unwrap();
        let (decisions, _) = s.household_high_cost(&target_household, T2).await.unwrap();
        assert_eq!(
            (
                decisions[0].version_no,
                decisions[0].benefit,
                decisions[0].difference
            ),
            (3, 207_060, -48_540)
        );
        // A handed-over month needs another insurer and a household.
        let e = s
            .record_handed_over_month(&target_household, SEPTEMBER, app.insurer.as_str(), T2)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid { .. }), "{e:?}");
        let e = s
            .record_handed_over_month("9999999999", SEPTEMBER, "310011", T2)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound { .. }), "{e:?}");

        // A month without claims: refused. The levy clerk may not run it.
        let e = s.run_high_cost(OCTOBER, None, T2).await.unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
        let levy = app
            .actor_for("demo-levy", "tester", "test", T2)
            .await
            .unwrap();
        let e = Session {
            app: &app,
            actor: &levy,
        }
        .run_high_cost(SEPTEMBER, None, T2)
        .await
        .unwrap_err();
        assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");

        // August run after September: a month that starts counting names
        // September for a re-run (its 多数回 may change); a re-run that
        // changes no count names none.
        let august = YearMonth {
            year: 2026,
            month: Month::August,
        };
        let mut bytes = Vec::new();
        s.sample_claims(august, &mut bytes, T0).await.unwrap();
        let mut fa = read_sample(&bytes);
        let i = fa
            .claims
            .iter()
            .position(|c| {
                c.provider.kind == FileKind::Medical
                    && matches!(c.claim_kind.as_bytes()[3], b'2')
                    && age_group(c.birth_date, august) == AgeGroup::Under70
            })
            .unwrap();
        set(&mut fa.claims[i], "HO", "points", "100000");
        set(&mut fa.claims[i], "HO", "copay_charged", "300000");
        set_total_points(&mut fa);
        import(&s, "2026-09.uke", &write_file(&fa)).await.unwrap();
        s.check_claims(august.next(), None, T2).await.unwrap();
        let r8 = s.run_high_cost(august, None, T2).await.unwrap();
        assert_eq!(r8.later_months_to_rerun, ["2026-09"], "{}", t.name);
        let again = s.run_high_cost(august, None, T2).await.unwrap();
        assert!(again.later_months_to_rerun.is_empty());

        // A household whose September has no burden category (formed and
        // gone within a month, say): listed for review, the others booked.
        let lone = f
            .claims
            .iter()
            .map(&household_of)
            .find(|h| ![&target_household, &returned_household].contains(&h))
            .unwrap();
        kokuho_store::with_db!(&t.db, |p| sqlx::query(
            "DELETE FROM burden_version WHERE household_number = $1 AND month = '2026-09'"
        )
        .bind(lone.clone())
        .execute(p)
        .await
        .map(|_| ())
        .unwrap());
        let r9 = s.run_high_cost(SEPTEMBER, None, T2).await.unwrap();
        assert_eq!(r9.without_category, 1, "{}", t.name);
        let (decisions, _) = s.household_high_cost(&lone, T2).await.unwrap();
        assert!(
            decisions[0].review.contains("適用区分が判定されていない"),
            "{:?}",
            decisions[0]
        );
        assert_eq!(decisions[0].benefit, 0);
        // The same again books nothing new for it.
        let again = s.run_high_cost(SEPTEMBER, None, T2).await.unwrap();
        assert_eq!((again.without_category, again.booked), (1, 0));
        // It kept no borne rows: the run names it, and the yearly cap's
        // statement lists it as not counted for the month.
        let (run9, _) = s.high_cost_run(again.run_id, 0, T2).await.unwrap();
        assert_eq!(run9.borne_left_out, lone);
        let statement = s.yearly_cap_position(2026, 0, T2).await.unwrap();
        let september = statement
            .months
            .iter()
            .find(|m| m.month == "2026-09")
            .unwrap();
        assert_eq!(september.left_out, std::slice::from_ref(&lone));
        assert!(
            statement
                .uncategorised
                .iter()
                .any(|(h, why)| *h == lone && why.contains("2026-09")),
            "{:?}",
            statement.uncategorised
        );

        // The CSV carries every decision of the run.
        let (bytes, n) = s
            .high_cost_run_csv(r.run_id, Encoding::Cp932, Vec::new(), T2)
            .await
            .unwrap();
        assert_eq!(n as usize, rows.len());
        let text = kokuho_formats::text::decode(&bytes, Encoding::Cp932).unwrap();
        assert!(text.contains(&target_household) && text.contains("207060"));
    }
}

/// The annual outpatient cap over a year's monthly runs: the months the
/// monthly runs left, the base date's category and insurance, the payee,
/// versions on change, and the refusals.
#[tokio::test]
async fn the_annual_outpatient_run_pays_what_passes_the_years_cap() {
    use kokuho_store::annual_outpatient::{self as annual, OutpatientMonthRow};
    use kokuho_store::high_cost::{self as runs, RunRow};
    const BASE: time::Date = date!(2027 - 07 - 31);
    const AFTER: OffsetDateTime = datetime!(2027-09-01 09:00 UTC);
    const LATER: OffsetDateTime = datetime!(2027-10-01 09:00 UTC);
    for t in all_backends().await {
        let (app, sup) = town_with_burden(&t, 15).await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        // July 2027's burden categories (the import judged up to its day).
        s.recompute_burden(
            &[YearMonth {
                year: 2027,
                month: Month::July,
            }],
            T1,
        )
        .await
        .unwrap();
        // A person aged 70–74 on the base date, insured then, in a household
        // of 一般 in July 2027.
        let categories =
            kokuho_store::claims::categories_known_at(&t.db, &app.insurer, "2027-07", i64::MAX)
                .await
                .unwrap();
        let on_base = insured_on(&t.db, &app.insurer, BASE).await;
        let from_start = insured_on(&t.db, &app.insurer, date!(2026 - 08 - 01)).await;
        let target = on_base
            .values()
            .filter(|r| {
                from_start
                    .values()
                    .any(|f| f.addressee_id == r.addressee_id)
            })
            .filter(|r| {
                let age = kokuho_domain::eligibility::age_on(r.birth_date, BASE);
                (70..75).contains(&age)
                    && r.household_number.as_ref().is_some_and(|h| {
                        categories.get(h).and_then(|c| c.category_70_74.as_deref()) == Some("一般")
                    })
            })
            .min_by_key(|r| r.addressee_id.clone())
            .expect("a person aged 70–74 of 一般 on the base date")
            .clone();
        // A person whose insurance ended before the base date.
        let (left, _, _, _, left_why) =
            kokuho_store::claims::periods_known_at(&t.db, &app.insurer, i64::MAX)
                .await
                .unwrap()
                .into_iter()
                .filter(|(id, _, to, _, _)| {
                    to.is_some_and(|d| d <= BASE)
                        && !on_base.values().any(|r| &r.addressee_id == id)
                })
                .min()
                .expect("a person who left before the base date");

        // The twelve monthly runs, as if run: August as 現役並みⅠ, then
        // 一般 with 24,000 of outpatient copays of which 22,000 are left.
        let months: Vec<String> = (0..12)
            .map(|i| {
                let mut m = YearMonth {
                    year: 2026,
                    month: Month::August,
                };
                for _ in 0..i {
                    m = m.next();
                }
                kokuho_domain::burden::format_month(m)
            })
            .collect();
        // `claims`: what the run read of the month (a count that no longer
        // matches the month's claims makes the run out of date).
        let book_month =
            |run_id: i64, month: String, left_now: i64, recorded: bool, claims: i64| {
                let (db, insurer) = (t.db.clone(), app.insurer.clone());
                let (target, gone) = (target.clone(), left.clone());
                async move {
                    let mut tx = db.begin().await.unwrap();
                    runs::insert_run(
                        &mut tx,
                        &insurer,
                        &RunRow {
                            run_id,
                            service_month: month.clone(),
                            known_at_us: 0,
                            rules_source: "test".into(),
                            ran_us: kokuho_app::eligibility::to_us(T1),
                            ran_by: "tester".into(),
                            outpatient_recorded: recorded,
                            claims,
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                    let august = month == "2026-08";
                    annual::insert_months(
                        &mut tx,
                        &insurer,
                        &[
                            OutpatientMonthRow {
                                run_id,
                                service_month: month.clone(),
                                addressee_id: target.addressee_id.clone(),
                                household_number: target.household_number.clone().unwrap(),
                                category_70_74: Some(
                                    if august { "現役並みⅠ" } else { "一般" }.into(),
                                ),
                                outpatient: if august { 60_000 } else { 24_000 },
                                outpatient_left: if august { 60_000 } else { left_now },
                            },
                            OutpatientMonthRow {
                                run_id,
                                service_month: month,
                                addressee_id: gone,
                                household_number: "0000000000".into(),
                                category_70_74: Some("一般".into()),
                                outpatient: 30_000,
                                outpatient_left: 22_000,
                            },
                        ],
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                }
            };
        // November 2026 as run before the annual cap was built (no
        // outpatient months kept).
        for (i, m) in months.iter().enumerate().take(11) {
            book_month(i as i64 + 1, m.clone(), 22_000, i != 3, 0).await;
        }

        // Before the base date has passed: refused.
        let e = s
            .run_annual_outpatient(2026, None, datetime!(2027-07-31 12:00 UTC))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
        // A month without its monthly run, and one whose run kept no
        // outpatient months: refused, naming both.
        let e = s
            .run_annual_outpatient(2026, None, AFTER)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_en, .. }
                if message_en.contains("2027-07") && message_en.contains("2026-11")),
            "{e:?}"
        );
        assert!(s.annual_outpatient_runs(AFTER).await.unwrap().is_empty());
        book_month(12, months[11].clone(), 22_000, true, 0).await;
        book_month(20, months[3].clone(), 22_000, true, 0).await;

        let r = s.run_annual_outpatient(2026, None, AFTER).await.unwrap();
        assert_eq!((r.persons, r.with_benefit), (2, 1), "{}: {r:?}", t.name);
        assert_eq!(r.not_insured_on_base_date, 1);
        let (run, rows) = s.annual_outpatient_run(r.run_id, 100, AFTER).await.unwrap();
        assert_eq!(run.booked, 2);
        // 2026-08 as 現役並みⅠ does not count: 22,000 × 11 = 242,000, less
        // the 2026-08 year's cap for 一般, 216,000.
        let d = rows
            .iter()
            .find(|d| d.addressee_id == target.addressee_id)
            .unwrap();
        assert_eq!((d.counted, d.cap, d.benefit), (242_000, 216_000, 26_000));
        assert_eq!(d.category_70_74.as_deref(), Some("一般"));
        assert_eq!(d.household_number, target.household_number);
        assert!(d.householder_id.is_some());
        assert!(d.review.is_empty());
        let basis = kokuho_app::annual_outpatient::basis_of(d);
        assert_eq!(basis.months.len(), 12);
        assert!(!basis.months[0].counted && basis.months[1].counted);
        assert!(basis.steps.join("\n").contains("216,000"));
        // The one who left: nothing paid here, listed for the certificate
        // (or, after a death, for the heirs' application).
        let g = rows.iter().find(|d| d.addressee_id == left).unwrap();
        assert_eq!((g.benefit, g.counted), (0, 22_000 * 12));
        assert_eq!(g.category_70_74, None);
        let expected = if left_why.as_deref() == Some("death") {
            "相続人"
        } else {
            "自己負担額証明書"
        };
        assert!(g.review.contains(expected), "{}", g.review);
        // The view was access-logged with the persons.
        let mut csv = Vec::new();
        let (_, n) = s
            .annual_outpatient_run_csv(r.run_id, Encoding::Cp932, &mut csv, AFTER)
            .await
            .unwrap();
        assert_eq!(n, 2);
        let text = kokuho_formats::text::decode(&csv, Encoding::Cp932).unwrap();
        assert!(text.contains("26000"), "{text}");

        // The same again books nothing.
        let again = s.run_annual_outpatient(2026, None, AFTER).await.unwrap();
        assert_eq!((again.booked, again.benefit), (0, 26_000));
        // A July run that no longer matches the month's claims (one came
        // after it): refused until July is run again.
        book_month(13, months[11].clone(), 22_000, true, 1).await;
        let e = s
            .run_annual_outpatient(2026, None, LATER)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_en, .. } if message_en.contains("2027-07")),
            "{e:?}"
        );
        // July run again, leaving less (a claim returned): the next
        // version with the difference.
        book_month(14, months[11].clone(), 10_000, true, 0).await;
        let third = s.run_annual_outpatient(2026, None, LATER).await.unwrap();
        assert_eq!(third.booked, 1);
        let (_, rows) = s
            .annual_outpatient_run(third.run_id, 100, LATER)
            .await
            .unwrap();
        assert_eq!(
            (rows[0].version_no, rows[0].benefit, rows[0].difference),
            (2, 14_000, -12_000)
        );
        // As known before the latest annual run: refused.
        let e = s
            .run_annual_outpatient(2026, Some(AFTER), LATER)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");

        // Another insurer's 自己負担額証明書: August 2026 as 一般 with
        // 46,000 left. 230,000 here + 46,000 = 276,000, 60,000 over the
        // cap, of which this insurer pays 230,000 / 276,000 = 50,000.
        use kokuho_app::annual_outpatient::{OtherCertificateInput, OtherMonthInput};
        const LATEST: OffsetDateTime = datetime!(2027-10-02 09:00 UTC);
        let august = YearMonth {
            year: 2026,
            month: Month::August,
        };
        let cert = |insurer: &str, month: YearMonth| OtherCertificateInput {
            addressee_id: target.addressee_id.clone(),
            year: 2026,
            other_insurer: insurer.into(),
            certificate: "第2027-0042号（令和9年9月20日交付）".into(),
            months: vec![OtherMonthInput {
                month,
                category: Some(kokuho_domain::burden::Elderly::General),
                outpatient: 50_000,
                outpatient_left: 46_000,
            }],
        };
        // Refused, nothing kept: this insurer's own number; a month outside
        // the year; a reference that holds a My Number.
        let field = |e: AppError| match e {
            AppError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        };
        let own = app.insurer.as_str().to_string();
        assert_eq!(
            field(
                s.record_other_insurer_months(&cert(&own, august), LATER)
                    .await
                    .unwrap_err()
            ),
            "other_insurer"
        );
        let july_before = YearMonth {
            year: 2026,
            month: Month::July,
        };
        assert_eq!(
            field(
                s.record_other_insurer_months(&cert("06130017", july_before), LATER)
                    .await
                    .unwrap_err()
            ),
            "months"
        );
        let mut leaky = cert("06130017", august);
        leaky.certificate = "123456789018".into();
        assert_eq!(
            field(
                s.record_other_insurer_months(&leaky, LATER)
                    .await
                    .unwrap_err()
            ),
            "certificate"
        );
        let ids = s
            .record_other_insurer_months(&cert("06130017", august), LATER)
            .await
            .unwrap();
        assert_eq!(ids.len(), 1);
        // The same month from the same insurer again: refused.
        let e = s
            .record_other_insurer_months(&cert("06130017", august), LATER)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
        let fourth = s.run_annual_outpatient(2026, None, LATEST).await.unwrap();
        assert_eq!((fourth.booked, fourth.benefit), (1, 50_000));
        let (_, rows) = s
            .annual_outpatient_run(fourth.run_id, 100, LATEST)
            .await
            .unwrap();
        let d = rows
            .iter()
            .find(|d| d.addressee_id == target.addressee_id)
            .unwrap();
        assert_eq!(
            (d.version_no, d.counted, d.benefit, d.difference),
            (3, 276_000, 50_000, 36_000)
        );
        let basis = kokuho_app::annual_outpatient::basis_of(d);
        assert!(
            basis
                .months
                .iter()
                .any(|m| m.insurer.as_deref() == Some("06130017") && m.counted && m.run_id == 0)
        );
        assert!(
            basis.steps.iter().any(|l| l.starts_with("按分")),
            "{:?}",
            basis.steps
        );
        // Voided as a mistake: the next run is back to this insurer's own
        // months alone.
        let voided = s.void_other_insurer_month(ids[0], LATEST).await.unwrap();
        assert_eq!(voided.month, "2026-08");
        let listed = s
            .other_insurer_months(&target.addressee_id, LATEST)
            .await
            .unwrap();
        assert!(listed.len() == 1 && listed[0].voided_us.is_some());
        let fifth = s
            .run_annual_outpatient(2026, None, LATEST + time::Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(fifth.benefit, 14_000);

        // Applied for from the year's decision: 14,000 to the householder
        // on the base date; a second application for the same version is
        // refused; the supervisor decides it.
        let clerk = app
            .actor_for("demo-benefits", "tester", "test", T0)
            .await
            .unwrap();
        let c = Session {
            app: &app,
            actor: &clerk,
        };
        let apply = kokuho_app::benefit::ApplicationInput {
            addressee_id: target.addressee_id.clone(),
            event: kokuho_app::benefit::EventInput::AnnualOutpatient { year: 2026 },
            received_on: date!(2027 - 10 - 02),
            applicant: "世帯主".into(),
            documents: String::new(),
            payee_id: None,
            application_account: false,
            payee_basis: kokuho_app::benefit::PayeeBasis::Entitled,
            entitled_id: None,
            simplified_route: false,
        };
        let at = LATEST + time::Duration::hours(2);
        let v = c.receive_application(&apply, at).await.unwrap();
        assert_eq!((v.kind, v.amount), ("annual_outpatient", 14_000));
        assert_eq!(v.event_on, BASE);
        let (_, rows) = s
            .annual_outpatient_run(fifth.run_id, 100, at)
            .await
            .unwrap();
        let d = rows
            .iter()
            .find(|d| d.addressee_id == target.addressee_id)
            .unwrap();
        assert_eq!(Some(v.payee_id.clone()), d.householder_id);
        let e = c.receive_application(&apply, at).await.unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
        s.decide_application(
            v.application_id,
            &kokuho_app::benefit::Decision::Pay,
            date!(2027 - 10 - 02),
            at,
        )
        .await
        .unwrap();
        // Recovery (返納): while the decided 14,000 has not been paid, no
        // assessment; once paid, July run again leaving 5,000 less makes
        // the year 9,000, so the householder owes 5,000.
        use kokuho_app::recovery::RecoveryEvent;
        let year_event = RecoveryEvent::AnnualOutpatient {
            addressee_id: target.addressee_id.clone(),
            year: 2026,
        };
        let day = date!(2027 - 10 - 02);
        let e = s
            .assess_recovery(&year_event, day, date!(2027 - 10 - 31), at)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_en, .. } if message_en.contains("not been paid")),
            "{e:?}"
        );
        kokuho_store::with_db!(&t.db, |p| {
            sqlx::query(
            "INSERT INTO payment (insurer_number, run_id, application_id, line, payee_id, account_id, \
             bank_code, branch_code, account_type, number, holder_transfer, amount, outcome) \
             VALUES ($1, 1, $2, 1, $3, 1, '0166', '201', '1', '1234567', 'ﾃｽﾄ', 14000, 'paid')"
        )
        .bind(app.insurer.as_str().to_string())
        .bind(v.application_id)
        .bind(v.payee_id.clone())
        .execute(p)
        .await
        .map(|_| ())
        .unwrap()
        });
        book_month(15, months[11].clone(), 5_000, true, 0).await;
        let sixth = s
            .run_annual_outpatient(2026, None, at + time::Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(sixth.benefit, 9_000);
        let at = at + time::Duration::hours(2);
        // Applying now would pay less than was paid: a recovery is needed.
        let e = c.receive_application(&apply, at).await.unwrap_err();
        assert!(format!("{e:?}").contains("返納"), "{e:?}");
        // The clerk may not assess; the supervisor does.
        let e = c
            .assess_recovery(&year_event, day, date!(2027 - 10 - 31), at)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
        let rec = s
            .assess_recovery(&year_event, day, date!(2027 - 10 - 31), at)
            .await
            .unwrap();
        assert_eq!(
            (
                rec.paid_total,
                rec.due_total,
                rec.amount,
                rec.status.as_str()
            ),
            (14_000, 9_000, 5_000, "assessed")
        );
        assert_eq!(rec.debtor_id, v.payee_id);
        assert!(
            rec.basis.contains("14,000 − 9,000 − 0 = 5,000円"),
            "{}",
            rec.basis
        );
        // Assessed once: nothing more is owed.

        let e = s
            .assess_recovery(&year_event, day, date!(2027 - 10 - 31), at)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
        // While it is owed, the year cannot be applied for again.
        let e = c.receive_application(&apply, at).await.unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_ja, .. } if message_ja.contains("未納")),
            "{e:?}"
        );
        // The 返納通知書 to the debtor: the amounts and the day to repay by.
        let notice = c
            .issue_document(
                kokuho_app::documents::DocumentKind::RecoveryNotice,
                &kokuho_app::documents::Subject::Recovery(rec.recovery_id),
                Default::default(),
                at,
            )
            .await
            .unwrap();
        assert_eq!(notice.issue.addressee_id, rec.debtor_id);
        assert!(notice.subjects.contains(&target.addressee_id));
        // kept under the target folder for a look
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("recovery-notice-{}.pdf", t.name));
        std::fs::write(&path, &notice.pdf).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) must be installed");
        let text: String = String::from_utf8(out.stdout)
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for want in [
            "返納通知書",
            "支払済みの額14,000円",
            "現在の決定額9,000円",
            "返納額5,000円",
            "納期限令和9年10月31日",
        ] {
            assert!(text.contains(want), "{want}: {text}");
        }

        // Repaid, recorded by the clerk; settled once.
        let repaid = c
            .settle_recovery(rec.recovery_id, true, day, "納付書により納付", at)
            .await
            .unwrap();
        assert_eq!(repaid.status, "repaid");
        // Repaid: the year counts as applied for in full (14,000 − 5,000).
        let e = c.receive_application(&apply, at).await.unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_ja, .. } if message_ja.contains("申請済み")),
            "{e:?}"
        );
        let e = s
            .settle_recovery(rec.recovery_id, false, day, "誤り", at)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
        assert_eq!(s.recoveries(true, 10, at).await.unwrap().len(), 0);
        assert_eq!(s.recoveries(false, 10, at).await.unwrap().len(), 1);

        // A year with no decision for the person: refused with the field.
        let e = c
            .receive_application(
                &kokuho_app::benefit::ApplicationInput {
                    event: kokuho_app::benefit::EventInput::AnnualOutpatient { year: 2025 },
                    ..apply.clone()
                },
                at,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Invalid { field: "year", .. }),
            "{e:?}"
        );
        // Someone of 一般 insured here on the base date whose only counted
        // months are another insurer's (twelve of 20,000 left: 240,000,
        // 24,000 over the cap): computed here, as the base date's insurer,
        // with nothing of it this insurer's to pay, and said so.
        let second = on_base
            .values()
            .filter(|r| {
                r.addressee_id != target.addressee_id
                    && (70..75).contains(&kokuho_domain::eligibility::age_on(r.birth_date, BASE))
                    && r.household_number.as_ref().is_some_and(|h| {
                        categories.get(h).and_then(|c| c.category_70_74.as_deref()) == Some("一般")
                    })
            })
            .min_by_key(|r| r.addressee_id.clone())
            .expect("a second person aged 70–74 of 一般")
            .clone();
        let mut m = august;
        let mut months = Vec::new();
        for _ in 0..12 {
            months.push(OtherMonthInput {
                month: m,
                category: Some(kokuho_domain::burden::Elderly::General),
                outpatient: 24_000,
                outpatient_left: 20_000,
            });
            m = m.next();
        }
        s.record_other_insurer_months(
            &OtherCertificateInput {
                addressee_id: second.addressee_id.clone(),
                year: 2026,
                other_insurer: "06130017".into(),
                certificate: "第2027-0077号".into(),
                months,
            },
            at,
        )
        .await
        .unwrap();
        let later = at + time::Duration::hours(1);
        let sixth = s.run_annual_outpatient(2026, None, later).await.unwrap();
        let (_, rows) = s
            .annual_outpatient_run(sixth.run_id, 100, later)
            .await
            .unwrap();
        let d = rows
            .iter()
            .find(|d| d.addressee_id == second.addressee_id)
            .expect("a decision for the person with only another insurer's months");
        assert_eq!((d.counted, d.benefit), (240_000, 0));
        assert!(d.review.contains("24,000円"), "{}", d.review);
        assert!(d.review.contains("ほかの保険者"), "{}", d.review);

        // The same person died on 2027-03-10 (no longer insured on 31 July):
        // the day of death is the base date, provisionally, and the steps
        // and the review say so; the heirs apply.
        let died_on = date!(2027 - 03 - 10);
        s.lose(
            &kokuho_app::eligibility::Loss {
                addressee_id: AddresseeId::parse(&second.addressee_id).unwrap(),
                reason: kokuho_domain::eligibility::LossReason::Death,
                event_on: died_on,
                notified_on: Some(date!(2027 - 03 - 12)),
                destination: None,
                next_insurer_number: None,
            },
            later,
        )
        .await
        .unwrap();
        let after_death = later + time::Duration::hours(1);
        s.recompute_burden(
            &[YearMonth {
                year: 2027,
                month: Month::March,
            }],
            after_death,
        )
        .await
        .unwrap();
        let seventh = s
            .run_annual_outpatient(2026, None, after_death + time::Duration::minutes(1))
            .await
            .unwrap();
        let (_, rows) = s
            .annual_outpatient_run(
                seventh.run_id,
                100,
                after_death + time::Duration::minutes(1),
            )
            .await
            .unwrap();
        let d = rows
            .iter()
            .find(|d| d.addressee_id == second.addressee_id)
            .expect("a decision for the person who died");
        let basis = kokuho_app::annual_outpatient::basis_of(d);
        assert_eq!(basis.base_date, "2027-03-10");
        assert!(basis.provisional);
        assert!(basis.insured_on_base_date);
        assert!(d.review.contains("死亡日"), "{}", d.review);
        assert!(
            basis.steps.iter().any(|s| s.contains("死亡日を基準日")),
            "{:?}",
            basis.steps
        );

        let logged: i64 = kokuho_store::with_db!(&t.db, |p| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM access_log WHERE action IN \
             ('other_insurer_months_record', 'other_insurer_month_void', 'other_insurer_months_view')"
        )
        .fetch_one(p)
        .await
        .unwrap()
        });
        assert_eq!(logged, 4);
    }
}

/// The yearly cap's statement (年間上限, provisional) from a real month: a
/// household of category ウ with one outpatient stay of 50,000,000 yen
/// bears 85,800 + 1% = 582,940 after the monthly benefit, past the year's
/// 530,000; a household whose only claim is an under-70 unit below 21,000
/// counts nothing under the shipped reading. Nothing is booked.
#[tokio::test]
async fn the_yearly_cap_statement_adds_up_what_the_monthly_runs_left() {
    for t in all_backends().await {
        let (app, sup) = town_with_burden(&t, 14).await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let who = insured_on(&t.db, &app.insurer, date!(2026 - 09 - 30)).await;
        let categories =
            kokuho_store::claims::categories_known_at(&t.db, &app.insurer, "2026-09", i64::MAX)
                .await
                .unwrap();
        let mut clean = Vec::new();
        s.sample_claims(SEPTEMBER, &mut clean, T0).await.unwrap();
        let mut f = read_sample(&clean);
        let row_of = |c: &Claim| {
            who.get(&(
                c.symbol.clone(),
                c.number.clone(),
                c.branch.clone().unwrap(),
            ))
            .unwrap()
            .clone()
        };
        let household_of = |c: &Claim| row_of(c).household_number.unwrap();
        let mut claims_of: HashMap<String, usize> = HashMap::new();
        for c in &f.claims {
            *claims_of.entry(household_of(c)).or_default() += 1;
        }
        let alone_under_70 = |c: &Claim| {
            c.provider.kind == FileKind::Medical
                && matches!(c.claim_kind.as_bytes()[3], b'2')
                && claims_of[&household_of(c)] == 1
                && age_group(row_of(c).birth_date, SEPTEMBER) == AgeGroup::Under70
        };
        let target = f
            .claims
            .iter()
            .position(|c| {
                alone_under_70(c)
                    && categories[&household_of(c)].category_under_70.as_deref() == Some("ウ")
            })
            .expect("a household of category ウ with one claim");
        let small = f
            .claims
            .iter()
            .position(|c| alone_under_70(c) && household_of(c) != household_of(&f.claims[target]))
            .unwrap();
        // 5,000,000 points = 50,000,000 yen; the provider held the charge
        // to the limit (限度額適用認定証): 85,800 + (50,000,000 − 286,000) × 1%.
        set(&mut f.claims[target], "HO", "points", "5000000");
        set(&mut f.claims[target], "HO", "copay_charged", "582940");
        // 1,000 points = 10,000 yen, 3,000 borne: below the 合算 floor.
        set(&mut f.claims[small], "HO", "points", "1000");
        set(&mut f.claims[small], "HO", "copay_charged", "3000");
        set_total_points(&mut f);
        import(&s, "2026-10.uke", &write_file(&f)).await.unwrap();
        s.check_claims(OCTOBER, None, T1).await.unwrap();
        let run = s.run_high_cost(SEPTEMBER, None, T1).await.unwrap();

        let p = s.yearly_cap_position(2026, usize::MAX, T2).await.unwrap();
        assert!(p.applies && p.provisional, "{}", t.name);
        assert_eq!(p.unit.as_deref(), Some("household"));
        assert_eq!(p.as_of, "2026-11-24");
        let states: Vec<(&str, &str)> = p
            .months
            .iter()
            .map(|m| (m.month.as_str(), m.state))
            .collect();
        assert_eq!(
            states,
            [
                ("2026-08", "missing"),
                ("2026-09", "used"),
                ("2026-10", "missing"),
                ("2026-11", "missing")
            ]
        );
        assert_eq!(p.months[1].run_id, Some(run.run_id));
        let h = p
            .households
            .iter()
            .find(|h| h.household_number == household_of(&f.claims[target]))
            .unwrap();
        assert_eq!(
            (h.counted, h.cap, h.benefit, h.to_cap),
            (582_940, Some(530_000), 52_940, Some(0)),
            "{}: {:?}",
            t.name,
            h.steps
        );
        // the largest excess first
        assert_eq!(p.households[0].household_number, h.household_number);
        assert!(
            !p.households
                .iter()
                .any(|h| h.household_number == household_of(&f.claims[small]))
        );
        assert_eq!(p.households_total as usize, p.households.len());
        assert_eq!(
            p.benefit_total,
            p.households.iter().map(|h| h.benefit).sum::<i64>()
        );
        // Nothing booked: the monthly decisions are the run's alone.
        let (_, rows) = s.high_cost_run(run.run_id, i64::MAX, T2).await.unwrap();
        assert_eq!(rows.len() as u64, run.booked);

        // The CSV has a row a household and the access log names them.
        let (bytes, n, whole) = s
            .yearly_cap_csv(2026, Encoding::Utf8, Vec::new(), T2)
            .await
            .unwrap();
        assert_eq!(whole, p);
        assert_eq!(
            n as usize,
            p.households.len() + p.leavers.len() + p.uncategorised.len() + p.refused.len()
        );
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(&format!("{},", h.household_number)));
        assert!(text.contains("582940,530000,0,52940,"), "{text}");
        let logged: i64 = kokuho_store::with_db!(&t.db, |p| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM access_log WHERE action IN ('yearly_cap_view', 'yearly_cap_export') \
             AND outcome = 'allowed'"
        )
        .fetch_one(p)
        .await
        .unwrap()
        });
        assert_eq!(logged, 2, "{}", t.name);

        // A year not yet begun is refused; one before the revision has no cap.
        assert!(s.yearly_cap_position(2027, 10, T2).await.is_err());
        let before = s.yearly_cap_position(2025, 10, T2).await.unwrap();
        assert!(!before.applies && before.households.is_empty());
    }
}

/// The month a person joins NHI as the dependant of an employee who moved
/// to 後期高齢者医療 (acquisition reason dependant_of_late_elderly, not on
/// the 1st), through a real monthly run: their individual limit is half
/// (under 70: base ÷ 2 + 1% over the half threshold), and the run's
/// calculation says so.
#[tokio::test]
async fn a_dependant_joining_when_the_employee_moves_to_late_elderly_has_half_limits() {
    use kokuho_app::eligibility::{Acquisition, Flags};
    use kokuho_domain::addressee::HouseholdNumber;
    use kokuho_domain::burden::Under70;
    use kokuho_domain::eligibility::AcquisitionReason;
    use kokuho_domain::high_cost::{HighCostRules, one_percent_rounded};
    for t in all_backends().await {
        let (app, sup) = town_with_burden(&t, 14).await;
        let s = Session {
            app: &app,
            actor: &sup,
        };
        let who = insured_on(&t.db, &app.insurer, date!(2026 - 09 - 30)).await;
        let categories =
            kokuho_store::claims::categories_known_at(&t.db, &app.insurer, "2026-09", i64::MAX)
                .await
                .unwrap();
        let mut clean = Vec::new();
        s.sample_claims(SEPTEMBER, &mut clean, T0).await.unwrap();
        let mut f = read_sample(&clean);
        let row_of = |c: &Claim| {
            who.get(&(
                c.symbol.clone(),
                c.number.clone(),
                c.branch.clone().unwrap(),
            ))
            .unwrap()
            .clone()
        };
        let household_of = |c: &Claim| row_of(c).household_number.unwrap();
        let mut claims_of: HashMap<String, usize> = HashMap::new();
        for c in &f.claims {
            *claims_of.entry(household_of(c)).or_default() += 1;
        }
        // A household of category ウ whose only claim is an under-70
        // member's outpatient claim: that claim becomes the newcomer's.
        let target = f
            .claims
            .iter()
            .position(|c| {
                c.provider.kind == FileKind::Medical
                    && matches!(c.claim_kind.as_bytes()[3], b'2' | b'6')
                    && claims_of[&household_of(c)] == 1
                    && age_group(row_of(c).birth_date, SEPTEMBER) == AgeGroup::Under70
                    && categories[&household_of(c)].category_under_70.as_deref() == Some("ウ")
            })
            .expect("a household of category ウ with one claim");
        let household = household_of(&f.claims[target]);

        // Someone of working age not insured here joins that household on
        // 2026-09-15 as the dependant of an employee who turned 75.
        let newcomer: String = kokuho_store::with_db!(&t.db, |p| {
            sqlx::query_scalar(
            "SELECT a.addressee_id FROM addressee a WHERE a.insurer_number = $1 \
             AND a.removed_on IS NULL AND a.birth_date BETWEEN '1970-01-01' AND '1995-12-31' \
             AND NOT EXISTS (SELECT 1 FROM eligibility_version e WHERE e.insurer_number = a.insurer_number \
             AND e.addressee_id = a.addressee_id) ORDER BY a.addressee_id LIMIT 1"
        )
        .bind(app.insurer.as_str().to_string())
        .fetch_one(p)
        .await
        .unwrap()
        });
        let id = kokuho_domain::id::AddresseeId::parse(&newcomer).unwrap();
        let person = kokuho_store::addressee::get_person(&t.db, &app.insurer, &id)
            .await
            .unwrap()
            .unwrap();
        s.acquire(
            &Acquisition {
                addressee_id: id.clone(),
                reason: AcquisitionReason::DependantOfLateElderly,
                event_on: date!(2026 - 09 - 15),
                notified_on: Some(date!(2026 - 09 - 20)),
                household_number: Some(HouseholdNumber::parse(&household).unwrap()),
                previous_insurer_number: None,
                flags: Flags::default(),
            },
            T0,
        )
        .await
        .unwrap();
        let now_insured = insured_on(&t.db, &app.insurer, date!(2026 - 09 - 30)).await;
        let (_, row) = now_insured
            .iter()
            .find(|(_, r)| r.addressee_id == newcomer)
            .expect("the newcomer is insured at the end of September");
        let (symbol, number, branch) = (
            row.insured_symbol.clone().unwrap(),
            row.insured_number.clone().unwrap(),
            row.branch_number.clone().unwrap(),
        );

        // Their claim: 100,000 points = 1,000,000 yen, 300,000 charged.
        let c = &mut f.claims[target];
        set(c, "RE", "name", person.name.as_str());
        set(
            c,
            "RE",
            "birth_date",
            &person.birth_date.to_string().replace('-', ""),
        );
        set(c, "RE", "sex", &person.sex.code().to_string());
        set(c, "HO", "symbol", &symbol);
        set(c, "HO", "number", &number);
        set(c, "SN", "symbol", &symbol);
        set(c, "SN", "number", &number);
        set(c, "SN", "branch", &branch);
        set(c, "HO", "points", "100000");
        set(c, "HO", "copay_charged", "300000");
        // care after the acquisition
        set_days(c, &[20, 21]);
        for id in ["SI", "TO"] {
            for d in 1..=31u8 {
                if c.records.iter().any(|r| r.id() == id) {
                    set(c, id, &format!("day{d}"), "");
                }
            }
        }
        set_total_points(&mut f);
        import(&s, "2026-10.uke", &write_file(&f)).await.unwrap();
        let check = s.check_claims(OCTOBER, None, T1).await.unwrap();
        let findings: Vec<(String, String)> = kokuho_store::with_db!(&t.db, |p| sqlx::query_as(
            "SELECT reason, detail_en FROM claim_finding WHERE insurer_number = $1"
        )
        .bind(app.insurer.as_str().to_string())
        .fetch_all(p)
        .await
        .unwrap());
        assert_eq!(check.returns, 0, "{}: {findings:?}", t.name);
        let r = s.run_high_cost(SEPTEMBER, None, T1).await.unwrap();
        assert_eq!(r.left_out, 0, "{}: {check:?}", t.name);

        let (decisions, _) = s.household_high_cost(&household, T1).await.unwrap();
        let d = &decisions[0];
        let basis = kokuho_app::high_cost::basis_of(d);
        let member = basis
            .members
            .iter()
            .find(|m| m.id == newcomer)
            .expect("the newcomer in the calculation");
        assert!(member.dependant_half, "{:?}", basis.members);
        // The half limit of the household's category that month.
        let rules = HighCostRules::shipped().unwrap();
        let cat = Under70::from_label(basis.category_under_70.as_deref().unwrap()).unwrap();
        let l = rules.for_month(SEPTEMBER).unwrap().under_70(cat);
        let half = l.base / 2 + l.over.map_or(0, |o| one_percent_rounded(1_000_000 - o / 2));
        assert_eq!(d.benefit, 300_000 - half, "{}: {:?}", t.name, basis.steps);
        if cat == Under70::U {
            // 42,900 + (1,000,000 − 143,000) × 1% = 51,470 (whole: 92,940)
            assert_eq!(d.benefit, 248_530);
        }
    }
}
