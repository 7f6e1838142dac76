//! Printed documents on both backends, read back from the PDF's text: the
//! 資格確認書 (under 70 and 70–74, with and without the 限度区分), the
//! 資格情報のお知らせ, the limit certificate and the benefit decision say
//! what the records say, in 和暦; a character the font lacks is drawn as 〓
//! and recorded; a reprint is the same bytes; the history, its statuses and
//! the access log; and a batch stopped halfway and resumed issues every
//! recipient exactly once, in delivery order. PNG renders of each kind are
//! kept under the target folder (`documents-png/`) to look at.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use kokuho_app::access::Actor;
use kokuho_app::documents::{DocumentKind, IssueOptions, Subject};
use kokuho_app::session::Session;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Kokuho};
use kokuho_domain::burden::{AgeGroup, age_group, copay_percent_in};
use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::id::AddresseeId;
use kokuho_store::eligibility::InsuredRow;
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_vault::Keyring;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

/// 2026-11-25 10:00 JST.
const T0: OffsetDateTime = datetime!(2026-11-25 01:00 UTC);
const TODAY: Date = date!(2026 - 11 - 25);

async fn town(t: &TestDb, residents: u64) -> Kokuho {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(residents, 21);
    town::generate(&t.db, &ring, &spec, T0, |_| {})
        .await
        .unwrap();
    Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number)
}

/// The month's burden categories and copay rates, as the monthly job judges them.
async fn judge_month(app: &Kokuho) {
    let sup = actor(app, "demo-supervisor").await;
    Session { app, actor: &sup }
        .recompute_burden(&[YearMonth::from_date(TODAY)], T0)
        .await
        .unwrap();
}

/// The synthetic town's income of `year`, imported as the tax system sends it.
async fn import_sample_income(s: &Session<'_>, year: i32) {
    let income = s.sample_income(year, T0).await.unwrap();
    let bytes =
        kokuho_formats::income::write(&income, kokuho_formats::text::Encoding::Utf8).unwrap();
    s.import_income(
        &format!("income-{year}.csv"),
        &bytes,
        kokuho_formats::text::Encoding::Utf8,
        T0,
    )
    .await
    .unwrap();
}

async fn actor(app: &Kokuho, name: &str) -> Actor {
    app.actor_for(name, "tester", "test", T0).await.unwrap()
}

async fn insured_today(app: &Kokuho) -> Vec<InsuredRow> {
    let mut v = Vec::new();
    app.for_each_insured_on(TODAY, None, |r| {
        v.push(r);
        Ok(())
    })
    .await
    .unwrap();
    v
}

fn pdftotext(pdf: &[u8], name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Keeps a PNG of the document under the target folder, and checks the
/// embedded fonts are subsets with a Unicode map (text can be searched).
fn keep_png(pdf: &[u8], name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("documents-png");
    std::fs::create_dir_all(&dir).unwrap();
    let pdf_path = dir.join(format!("{name}.pdf"));
    std::fs::write(&pdf_path, pdf).unwrap();
    let st = Command::new("pdftoppm")
        .args(["-png", "-r", "110", "-singlefile"])
        .arg(&pdf_path)
        .arg(dir.join(name))
        .status()
        .unwrap();
    assert!(st.success());
    let png = dir.join(format!("{name}.png"));
    assert!(
        std::fs::metadata(&png).unwrap().len() > 5_000,
        "{name}: a blank page?"
    );
    let fonts = Command::new("pdffonts").arg(&pdf_path).output().unwrap();
    let listing = String::from_utf8(fonts.stdout).unwrap();
    let rows: Vec<&str> = listing.lines().skip(2).collect();
    assert!(!rows.is_empty());
    for row in rows {
        assert!(row.contains("BIZUD"), "{row}");
        assert!(
            row.contains("yes yes yes"),
            "embedded, subset, unicode: {row}"
        );
    }
    png
}

fn compact(s: &str) -> String {
    s.split_whitespace().collect()
}

#[tokio::test]
async fn counter_documents_say_what_the_records_say() {
    for t in all_backends().await {
        let app = town(&t, 1500).await;
        let clerk_actor = actor(&app, "demo-clerk").await;
        let sup_actor = actor(&app, "demo-supervisor").await;
        let clerk = Session {
            app: &app,
            actor: &clerk_actor,
        };
        let sup = Session {
            app: &app,
            actor: &sup_actor,
        };
        let month = YearMonth::from_date(TODAY);
        sup.recompute_burden(&[month], T0).await.unwrap();
        let people = insured_today(&app).await;
        let mut under70 = None;
        let mut elderly = None;
        for r in &people {
            if r.insured_number.is_none() {
                continue;
            }
            match age_group(r.birth_date, month) {
                AgeGroup::Under70 if under70.is_none() => under70 = Some(r.clone()),
                AgeGroup::Elderly if elderly.is_none() => elderly = Some(r.clone()),
                _ => {}
            }
        }
        let (young, old) = (under70.unwrap(), elderly.unwrap());
        let pid = |r: &InsuredRow| AddresseeId::parse(&r.addressee_id).unwrap();

        // 資格確認書, under 70: the statutory rate, valid to 31 July 2027.
        let ec = clerk
            .issue_document(
                DocumentKind::EligibilityCertificate,
                &Subject::Person(pid(&young)),
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap();
        let text = compact(&pdftotext(&ec.pdf, "ec"));
        for want in [
            "国民健康保険資格確認書",
            "有効期限令和9年7月31日",
            "交付年月日令和8年11月25日",
            young.insured_number.as_deref().unwrap(),
            &compact(&young.name),
            &compact(&kokuho_domain::wareki::format_date(young.birth_date).unwrap()),
            &compact(&kokuho_domain::wareki::format_date(young.acquired_on).unwrap()),
            "一部負担金の割合法定負担割合のとおり",
            "保険者番号319012",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        assert!(!text.contains("限度区分"), "{text}");
        assert_eq!(ec.issue.valid_to, Some(date!(2027 - 07 - 31)));
        assert_eq!(
            ec.issue.document_number,
            format!("EC2026-{:07}", ec.issue.issue_id)
        );
        keep_png(&ec.pdf, "eligibility-certificate");

        // 70–74: the rate judged for the month, and the 限度区分 on request.
        let household = old.household_number.clone().unwrap();
        let burden = kokuho_store::burden::current(
            &app.db,
            &app.insurer,
            &household,
            &kokuho_domain::burden::format_month(month),
        )
        .await
        .unwrap()
        .unwrap();
        let pct = copay_percent_in(&burden.copay_rates, &old.addressee_id).unwrap();
        let ec70 = clerk
            .issue_document(
                DocumentKind::EligibilityCertificate,
                &Subject::Person(pid(&old)),
                IssueOptions {
                    with_limit_category: true,
                },
                T0,
            )
            .await
            .unwrap();
        let text = compact(&pdftotext(&ec70.pdf, "ec70"));
        assert!(
            text.contains(&format!("一部負担金の割合{}割", pct / 10)),
            "{text}"
        );
        let category = burden.category_70_74.clone().unwrap();
        assert!(text.contains(&format!("限度区分{category}")), "{text}");
        assert!(text.contains("発効期日令和8年11月1日"), "{text}");
        keep_png(&ec70.pdf, "eligibility-certificate-70-74");

        // 資格情報のお知らせ: no end under 70.
        let en = clerk
            .issue_document(
                DocumentKind::EligibilityNotice,
                &Subject::Person(pid(&young)),
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap();
        let text = compact(&pdftotext(&en.pdf, "en"));
        assert!(text.contains("資格情報のお知らせ"));
        assert!(text.contains("このお知らせだけでは受診できません"));
        assert!(!text.contains("令和9年7月31日"), "no end under 70: {text}");
        assert_eq!(en.issue.valid_to, None);
        keep_png(&en.pdf, "eligibility-notice");

        // 限度額適用認定証 by the household's category.
        let young_burden = kokuho_store::burden::current(
            &app.db,
            &app.insurer,
            young.household_number.as_deref().unwrap(),
            &kokuho_domain::burden::format_month(month),
        )
        .await
        .unwrap()
        .unwrap();
        let lc = clerk
            .issue_document(
                DocumentKind::LimitCertificate,
                &Subject::Person(pid(&young)),
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap();
        let text = compact(&pdftotext(&lc.pdf, "lc"));
        let cat = young_burden.category_under_70.unwrap();
        assert!(text.contains(&format!("適用区分区分{cat}")), "{text}");
        let title = if cat == "オ" {
            "国民健康保険限度額適用・標準負担額減額認定証"
        } else {
            "国民健康保険限度額適用認定証"
        };
        assert!(text.contains(title), "{text}");
        assert!(
            text.contains("発効期日令和8年11月1日有効期限令和9年7月31日"),
            "{text}"
        );
        keep_png(&lc.pdf, "limit-certificate");

        // A reprint is the same bytes, recorded as a reprint of the first.
        let again = clerk.reprint_document(ec.issue.issue_id, T0).await.unwrap();
        assert_eq!(again.pdf, ec.pdf);
        assert_eq!(again.issue.reprint_of, Some(ec.issue.issue_id));
        assert_eq!(again.issue.sha256, ec.issue.sha256);

        // A newer certificate replaces the old: the old one is no longer reprinted.
        let newer = clerk
            .issue_document(
                DocumentKind::LimitCertificate,
                &Subject::Person(pid(&young)),
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap();
        let stale = clerk
            .reprint_document(lc.issue.issue_id, T0)
            .await
            .unwrap_err();
        assert!(matches!(stale, AppError::Conflict { .. }), "{stale:?}");
        clerk
            .set_document_status(newer.issue.issue_id, "voided", "誤って発行", T0)
            .await
            .unwrap();
        let voided = clerk
            .reprint_document(newer.issue.issue_id, T0)
            .await
            .unwrap_err();
        assert!(matches!(voided, AppError::Conflict { .. }), "{voided:?}");

        // History, newest first; returned once, never twice; no My Number in notes.
        let h = clerk
            .document_history(&young.addressee_id, T0)
            .await
            .unwrap();
        assert_eq!(
            h.iter().map(|v| v.issue_id).collect::<Vec<_>>(),
            vec![
                newer.issue.issue_id,
                again.issue.issue_id,
                lc.issue.issue_id,
                en.issue.issue_id,
                ec.issue.issue_id
            ]
        );
        let v = clerk
            .set_document_status(ec.issue.issue_id, "returned", "宛所不明で返戻", T0)
            .await
            .unwrap();
        assert_eq!(v.status, "返戻");
        let twice = clerk
            .set_document_status(ec.issue.issue_id, "lost", "紛失届", T0)
            .await
            .unwrap_err();
        assert!(matches!(twice, AppError::Conflict { .. }), "{twice:?}");
        let leak = clerk
            .set_document_status(lc.issue.issue_id, "lost", "番号 123456789018 の方", T0)
            .await
            .unwrap_err();
        assert!(
            matches!(leak, AppError::Invalid { field: "note", .. }),
            "{leak:?}"
        );

        // Who may: the auditor reads histories but prints nothing.
        let auditor_actor = actor(&app, "demo-auditor").await;
        let auditor = Session {
            app: &app,
            actor: &auditor_actor,
        };
        assert!(
            auditor
                .document_history(&young.addressee_id, T0)
                .await
                .is_ok()
        );
        let refused = auditor
            .issue_document(
                DocumentKind::EligibilityCertificate,
                &Subject::Person(pid(&young)),
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap_err();
        assert!(matches!(refused, AppError::Forbidden { .. }), "{refused:?}");

        // Every issue and reprint is in the access log with its subject.
        let logged: Vec<(String, String)> = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_as(
                "SELECT action, subjects FROM access_log WHERE action IN ('document_issue', 'document_reprint') \
                 AND outcome = 'allowed' ORDER BY at_us, seq",
            )
            .fetch_all(c)
            .await
            .unwrap()
        });
        assert_eq!(logged.len(), 6, "{logged:?}");
        assert!(
            logged
                .iter()
                .all(|(_, s)| s.contains(&young.addressee_id) || s.contains(&old.addressee_id))
        );

        // Someone not insured today gets no certificate.
        let all: BTreeSet<String> = people.iter().map(|r| r.addressee_id.clone()).collect();
        let outsider = (1..=1500u32)
            .map(|n| format!("{n:010}"))
            .find(|id| !all.contains(id))
            .unwrap();
        let e = clerk
            .issue_document(
                DocumentKind::EligibilityCertificate,
                &Subject::Person(AddresseeId::parse(&outsider).unwrap()),
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
    }
}

#[tokio::test]
async fn a_name_the_font_lacks_is_drawn_as_geta_and_recorded() {
    let t = kokuho_store::testing::sqlite().await;
    let app = town(&t, 300).await;
    judge_month(&app).await;
    let clerk_actor = actor(&app, "demo-clerk").await;
    let clerk = Session {
        app: &app,
        actor: &clerk_actor,
    };
    let someone = insured_today(&app)
        .await
        .into_iter()
        .find(|r| r.insured_number.is_some())
        .unwrap();
    // 𠮷 (U+20BB7) is in no BIZ UD face.
    kokuho_store::with_db!(&t.db, |c| {
        sqlx::query("UPDATE addressee SET name = '𠮷田　花子' WHERE addressee_id = $1")
            .bind(someone.addressee_id.clone())
            .execute(c)
            .await
            .map(|_| ())
            .unwrap()
    });
    let ec = clerk
        .issue_document(
            DocumentKind::EligibilityCertificate,
            &Subject::Person(AddresseeId::parse(&someone.addressee_id).unwrap()),
            IssueOptions::default(),
            T0,
        )
        .await
        .unwrap();
    // the name, and the householder's name when it is the same person
    assert!(
        ec.issue.substitutions.starts_with("U+20BB7 name"),
        "{}",
        ec.issue.substitutions
    );
    let text = compact(&pdftotext(&ec.pdf, "geta"));
    assert!(text.contains("〓田花子"), "{text}");
    let detail: String = kokuho_store::with_db!(&t.db, |c| {
        sqlx::query_scalar("SELECT detail FROM access_log WHERE action = 'document_issue'")
            .fetch_one(c)
            .await
            .unwrap()
    });
    assert!(detail.contains("substituted U+20BB7 name"), "{detail}");
}

#[tokio::test]
async fn a_benefit_decision_names_the_amount_or_the_reason_and_the_appeal() {
    let t = kokuho_store::testing::sqlite().await;
    let app = town(&t, 1500).await;
    let b = kokuho_app::town::benefits_sample::demo_benefits(&app, T0)
        .await
        .unwrap();
    assert!(b.decided > 0);
    let clerk_actor = actor(&app, "demo-benefits").await;
    let clerk = Session {
        app: &app,
        actor: &clerk_actor,
    };
    let decided: Vec<(i64, String, i64, Option<String>)> = kokuho_store::with_db!(&t.db, |c| {
        sqlx::query_as(
            "SELECT application_id, decision, amount, decision_reason FROM benefit_application \
             WHERE decision IS NOT NULL ORDER BY application_id",
        )
        .fetch_all(c)
        .await
        .unwrap()
    });
    let (paid_id, _, amount, _) = decided.iter().find(|d| d.1 == "pay").unwrap().clone();
    let bd = clerk
        .issue_document(
            DocumentKind::BenefitDecision,
            &Subject::Application(paid_id),
            IssueOptions::default(),
            T0,
        )
        .await
        .unwrap();
    let text = compact(&pdftotext(&bd.pdf, "bd"));
    assert!(text.contains("支給決定通知書"), "{text}");
    assert!(
        text.contains(&format!("支給額{}円", kokuho_domain::burden::yen(amount))),
        "{text}"
    );
    assert!(text.contains("国民健康保険審査会"), "{text}");
    assert!(
        text.contains(&format!("第{}号", bd.issue.document_number)),
        "{text}"
    );
    keep_png(&bd.pdf, "benefit-decision");
    // An application awaiting its decision gets no notice.
    let waiting: Option<i64> = kokuho_store::with_db!(&t.db, |c| {
        sqlx::query_scalar(
            "SELECT application_id FROM benefit_application WHERE decision IS NULL LIMIT 1",
        )
        .fetch_optional(c)
        .await
        .unwrap()
    });
    if let Some(w) = waiting {
        let e = clerk
            .issue_document(
                DocumentKind::BenefitDecision,
                &Subject::Application(w),
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
    }
}

#[tokio::test]
async fn a_batch_stopped_halfway_resumes_and_issues_everyone_once() {
    for t in all_backends().await {
        let app = town(&t, 400).await;
        judge_month(&app).await;
        let clerk_actor = actor(&app, "demo-clerk").await;
        let clerk = Session {
            app: &app,
            actor: &clerk_actor,
        };
        let out = tempfile::tempdir().unwrap();
        let rows = insured_today(&app).await;
        let expected: BTreeSet<String> = rows.iter().map(|r| r.addressee_id.clone()).collect();
        // Someone already holding a certificate to this 31 July is left out
        // (one ending sooner, at 70 or 75, is not).
        let holder = rows
            .iter()
            .find(|r| {
                r.insured_number.is_some()
                    && kokuho_domain::certificate::eligibility_certificate_valid_to(
                        r.birth_date,
                        TODAY,
                    ) == date!(2027 - 07 - 31)
            })
            .unwrap()
            .addressee_id
            .clone();
        clerk
            .issue_document(
                DocumentKind::EligibilityCertificate,
                &Subject::Person(AddresseeId::parse(&holder).unwrap()),
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap();

        let (first, resumed) = clerk
            .run_document_batch(
                DocumentKind::EligibilityCertificate,
                Some(TODAY),
                None,
                out.path(),
                Some(20),
                |_, _| {},
                T0,
            )
            .await
            .unwrap();
        assert!(!resumed && !first.finished);
        assert_eq!(first.done, 20);
        // Resuming with another as-of day is refused, not silently mixed.
        let other_day = clerk
            .run_document_batch(
                DocumentKind::EligibilityCertificate,
                Some(date!(2026 - 12 - 01)),
                None,
                out.path(),
                Some(1),
                |_, _| {},
                T0,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(other_day, AppError::Conflict { .. }),
            "{other_day:?}"
        );
        assert_eq!(first.planned as usize, expected.len() - 1);
        // A crash between a file and its commit leaves a stray part file.
        std::fs::write(out.path().join("000021-x.part"), b"half").unwrap();

        let mut seen = Vec::new();
        let (second, resumed) = clerk
            .run_document_batch(
                DocumentKind::EligibilityCertificate,
                Some(TODAY),
                None,
                out.path(),
                None,
                |done, planned| seen.push((done, planned)),
                T0,
            )
            .await
            .unwrap();
        assert!(resumed && second.finished);
        assert_eq!(second.batch_id, first.batch_id);
        assert_eq!(seen.first(), Some(&(20, second.planned)));
        assert_eq!(seen.last(), Some(&(second.planned, second.planned)));
        // Exactly once each: the issues, the files.
        let issued: Vec<String> = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_scalar(
                "SELECT addressee_id FROM document_issue WHERE batch_id = $1 ORDER BY addressee_id",
            )
            .bind(first.batch_id)
            .fetch_all(c)
            .await
            .unwrap()
        });
        let unique: BTreeSet<String> = issued.iter().cloned().collect();
        assert_eq!(unique.len(), issued.len(), "nobody twice");
        let skipped: BTreeSet<String> = second.skipped.iter().map(|s| s.1.clone()).collect();
        let mut want = expected.clone();
        want.remove(&holder);
        assert_eq!(
            unique.union(&skipped).cloned().collect::<BTreeSet<_>>(),
            want,
            "everyone planned is issued or listed as not printed"
        );
        let files: Vec<String> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".pdf") && !n.starts_with("batch-"))
            .collect();
        assert_eq!(files.len(), issued.len());
        // The combined PDF: the cover list first, then every document, in
        // delivery order.
        let combined = std::fs::read(second.combined.clone().unwrap()).unwrap();
        let text = pdftotext(&combined, "combined");
        let pages = text.matches('\u{c}').count();
        let cover_pages = issued.len().div_ceil(40);
        assert_eq!(pages, cover_pages + issued.len(), "one page a document");
        assert!(text.contains("一括発行 送付一覧"), "{text}");
        let list = std::fs::read_to_string(
            out.path()
                .join(format!("batch-{}-list.csv", first.batch_id)),
        )
        .unwrap();
        let postal: Vec<String> = list
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect();
        let mut sorted = postal.clone();
        sorted.sort();
        assert_eq!(postal, sorted, "delivery order: by postal code");
        // Run again: nothing left, nothing issued twice.
        let (third, _) = clerk
            .run_document_batch(
                DocumentKind::EligibilityCertificate,
                Some(TODAY),
                None,
                out.path(),
                None,
                |_, _| {},
                T0,
            )
            .await
            .unwrap();
        assert_ne!(
            third.batch_id, first.batch_id,
            "a finished batch is not resumed"
        );
        assert_eq!(
            third.planned as usize,
            second.skipped.len(),
            "everyone printed holds this year's certificate"
        );
        keep_png(&combined, "batch-combined-cover");
        // The combined PDF and the list are in the access log with everyone in them.
        let (subjects, detail): (String, String) = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_as(
                "SELECT subjects, detail FROM access_log WHERE action = 'document_batch_output'",
            )
            .fetch_one(c)
            .await
            .unwrap()
        });
        assert!(detail.contains("sha256"), "{detail}");
        assert!(issued.iter().all(|a| subjects.contains(a.as_str())));
    }
}

#[tokio::test]
async fn a_levy_notice_states_the_tax_its_parts_and_each_installment() {
    for t in all_backends().await {
        let app = town(&t, 1200).await;
        let levy_actor = actor(&app, "demo-levy").await;
        let levy = Session {
            app: &app,
            actor: &levy_actor,
        };
        import_sample_income(&levy, 2025).await;
        levy.assess_levy(2026, date!(2026 - 06 - 15), T0)
            .await
            .unwrap();
        let (household, total, medical): (String, i64, i64) = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_as(
                "SELECT household_number, total, medical FROM levy_version WHERE fiscal_year = 2026 \
                 AND superseded_us IS NULL AND total > 0 ORDER BY total DESC LIMIT 1",
            )
            .fetch_one(c)
            .await
            .unwrap()
        });
        let schedule: Vec<(Date, i64)> = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_as(
                "SELECT i.due_date, i.amount FROM levy_installment i JOIN levy_version v \
                 ON v.insurer_number = i.insurer_number AND v.household_number = i.household_number \
                 AND v.fiscal_year = i.fiscal_year AND v.version_no = i.version_no \
                 WHERE i.household_number = $1 AND i.fiscal_year = 2026 AND v.superseded_us IS NULL \
                 ORDER BY i.installment_no",
            )
            .bind(household.clone())
            .fetch_all(c)
            .await
            .unwrap()
        });
        assert!(!schedule.is_empty());
        let ln = levy
            .issue_document(
                DocumentKind::LevyNotice,
                &Subject::Levy {
                    household: household.clone(),
                    fiscal_year: 2026,
                },
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap();
        let text = compact(&pdftotext(&ln.pdf, "ln"));
        let yen = kokuho_domain::burden::yen;
        for want in [
            "令和8年度国民健康保険税納税通知書".to_string(),
            "地方税法第703条の4".to_string(),
            format!("年税額{}円", yen(total)),
            format!("医療分{}円", yen(medical)),
            format!("世帯番号{household}"),
            "審査請求".to_string(),
            "延滞金".to_string(),
        ] {
            assert!(text.contains(&want), "{want} in {text}");
        }
        for (i, (due, amount)) in schedule.iter().enumerate() {
            let line = format!(
                "第{}期{}{}円",
                i + 1,
                compact(&kokuho_domain::wareki::format_date(*due).unwrap()),
                yen(*amount)
            );
            assert!(text.contains(&line), "{line} in {text}");
        }
        keep_png(&ln.pdf, "levy-notice");

        // The annual batch: every household owing the year's tax once, but
        // the one already sent its notice at the counter.
        let owing: BTreeSet<String> = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_scalar(
                "SELECT household_number FROM levy_version WHERE fiscal_year = 2026 \
                 AND superseded_us IS NULL AND total > 0",
            )
            .fetch_all(c)
            .await
            .unwrap()
        })
        .into_iter()
        .collect();
        let out = tempfile::tempdir().unwrap();
        let (first, _) = levy
            .run_document_batch(
                DocumentKind::LevyNotice,
                None,
                Some(2026),
                out.path(),
                Some(5),
                |_, _| {},
                T0,
            )
            .await
            .unwrap();
        assert_eq!(first.planned as usize, owing.len() - 1);
        assert!(!first.finished);
        let (done, resumed) = levy
            .run_document_batch(
                DocumentKind::LevyNotice,
                None,
                Some(2026),
                out.path(),
                None,
                |_, _| {},
                T0,
            )
            .await
            .unwrap();
        assert!(
            resumed && done.finished && done.skipped.is_empty(),
            "{:?}",
            done.skipped
        );
        let sent: Vec<String> = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_scalar(
                "SELECT i.household_number FROM document_batch_item i WHERE i.batch_id = $1 \
                 AND i.issue_id IS NOT NULL ORDER BY i.seq",
            )
            .bind(first.batch_id)
            .fetch_all(c)
            .await
            .unwrap()
        });
        let unique: BTreeSet<String> = sent.iter().cloned().collect();
        assert_eq!(unique.len(), sent.len(), "no household twice");
        let mut want = owing.clone();
        want.remove(&household);
        assert_eq!(unique, want);
        // The eligibility clerk may read levies too; the benefits clerk may not.
        let benefits_actor = actor(&app, "demo-benefits").await;
        let e = Session {
            app: &app,
            actor: &benefits_actor,
        }
        .issue_document(
            DocumentKind::LevyNotice,
            &Subject::Levy {
                household: household.clone(),
                fiscal_year: 2026,
            },
            IssueOptions::default(),
            T0,
        )
        .await
        .unwrap_err();
        assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
        // A year not assessed is refused with the reason.
        let e = levy
            .issue_document(
                DocumentKind::LevyNotice,
                &Subject::Levy {
                    household,
                    fiscal_year: 2027,
                },
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
    }
}

#[tokio::test]
async fn a_high_cost_recommendation_states_the_amount_and_the_last_day_until_applied_for() {
    use kokuho_app::benefit::{ApplicationInput, EventInput, PayeeBasis};
    use kokuho_domain::burden::parse_month;
    let t = kokuho_store::testing::sqlite().await;
    let app = town(&t, 1500).await;
    let sup_actor = actor(&app, "demo-supervisor").await;
    let sup = Session {
        app: &app,
        actor: &sup_actor,
    };
    let clerk_actor = actor(&app, "demo-benefits").await;
    let clerk = Session {
        app: &app,
        actor: &clerk_actor,
    };
    let september = parse_month("2026-09").unwrap();
    for year in [2024, 2025] {
        import_sample_income(&sup, year).await;
    }
    sup.recompute_burden(&[parse_month("2026-05").unwrap(), september], T0)
        .await
        .unwrap();
    let mut bytes = Vec::new();
    sup.sample_claims(september, &mut bytes, T0).await.unwrap();
    let (digest, size) = kokuho_formats::registry_feed::stream_digest(bytes.as_slice()).unwrap();
    sup.import_claims("2026-10.uke", &digest, size, bytes.as_slice(), T0)
        .await
        .unwrap();
    sup.check_claims(parse_month("2026-10").unwrap(), None, T0)
        .await
        .unwrap();
    let run = sup.run_high_cost(september, None, T0).await.unwrap();
    let decision = kokuho_store::high_cost::decisions_of_run(&app.db, &app.insurer, run.run_id, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.refund > 0)
        .unwrap();
    let subject = Subject::HighCost {
        household: decision.household_number.clone(),
        service_month: "2026-09".into(),
    };
    let hr = clerk
        .issue_document(
            DocumentKind::HighCostRecommendation,
            &subject,
            IssueOptions::default(),
            T0,
        )
        .await
        .unwrap();
    let text = compact(&pdftotext(&hr.pdf, "hr"));
    for want in [
        "高額療養費の支給申請のお知らせ".to_string(),
        "令和8年9月診療分".to_string(),
        format!(
            "支給見込額{}円",
            kokuho_domain::burden::yen(decision.refund)
        ),
        // two years from the first day of the next month (第110条, 民法第143条)
        "申請期限令和10年9月30日".to_string(),
    ] {
        assert!(text.contains(&want), "{want} in {text}");
    }
    keep_png(&hr.pdf, "high-cost-recommendation");
    // Once applied for, no more recommendations for the month.
    clerk
        .receive_application(
            &ApplicationInput {
                addressee_id: String::new(),
                event: EventInput::HighCost {
                    household_number: decision.household_number.clone(),
                    service_month: september,
                },
                received_on: date!(2026 - 11 - 20),
                applicant: "世帯主".into(),
                documents: "申請書".into(),
                payee_id: None,
                application_account: false,
                payee_basis: PayeeBasis::Entitled,
                entitled_id: None,
                simplified_route: false,
            },
            T0,
        )
        .await
        .unwrap();
    let e = clerk
        .issue_document(
            DocumentKind::HighCostRecommendation,
            &subject,
            IssueOptions::default(),
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
}

#[tokio::test]
async fn a_specified_disease_certificate_follows_the_certification_and_its_limit() {
    for t in all_backends().await {
        let app = town(&t, 1500).await;
        // The year's income, so the households' categories spread over ア–オ.
        let sup_actor = actor(&app, "demo-supervisor").await;
        let sup = Session {
            app: &app,
            actor: &sup_actor,
        };
        import_sample_income(&sup, 2025).await;
        judge_month(&app).await;
        let clerk_actor = actor(&app, "demo-clerk").await;
        let clerk = Session {
            app: &app,
            actor: &clerk_actor,
        };
        let month = YearMonth::from_date(TODAY);
        // An under-70 insured person of a household judged ア or イ, and one of ウ–オ.
        let mut high = None;
        let mut other = None;
        for r in insured_today(&app).await {
            let past_75 = kokuho_domain::eligibility::late_elderly_from(r.birth_date)
                .is_some_and(|d| d <= TODAY);
            if r.insured_number.is_none()
                || past_75
                || age_group(r.birth_date, month) != AgeGroup::Under70
            {
                continue;
            }
            let b = kokuho_store::burden::current(
                &app.db,
                &app.insurer,
                r.household_number.as_deref().unwrap(),
                &kokuho_domain::burden::format_month(month),
            )
            .await
            .unwrap();
            match b.and_then(|b| b.category_under_70).as_deref() {
                Some("ア") | Some("イ") if high.is_none() => high = Some(r),
                Some("ウ") | Some("エ") | Some("オ") if other.is_none() => other = Some(r),
                _ => {}
            }
        }
        let input =
            |r: &InsuredRow, disease: &str| kokuho_app::specified_disease::CertificationInput {
                addressee_id: r.addressee_id.clone(),
                disease: disease.into(),
                certified_on: date!(2026 - 11 - 10),
                applied_on: TODAY,
            };
        let (other, high) = (other.unwrap(), high);
        let c = clerk
            .certify_specified_disease(&input(&other, "dialysis"), T0)
            .await
            .unwrap();
        assert_eq!((c.limit_yen, c.valid_from), (10_000, date!(2026 - 11 - 01)));
        let again = clerk
            .certify_specified_disease(&input(&other, "dialysis"), T0)
            .await
            .unwrap_err();
        assert!(matches!(again, AppError::Conflict { .. }), "{again:?}");
        let bad = clerk
            .certify_specified_disease(&input(&other, "cancer"), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(
                bad,
                AppError::Invalid {
                    field: "disease",
                    ..
                }
            ),
            "{bad:?}"
        );
        if let Some(high) = &high {
            let c = clerk
                .certify_specified_disease(&input(high, "dialysis"), T0)
                .await
                .unwrap();
            assert_eq!(c.limit_yen, 20_000, "dialysis under 70, 上位所得");
        }
        let sd = clerk
            .issue_document(
                DocumentKind::SpecifiedDiseaseCertificate,
                &Subject::Person(AddresseeId::parse(&other.addressee_id).unwrap()),
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap();
        let text = compact(&pdftotext(&sd.pdf, "sd"));
        for want in [
            "国民健康保険特定疾病療養受療証",
            "人工腎臓を実施している慢性腎不全",
            "認定年月日令和8年11月10日",
            "発効期日令和8年11月1日",
            "自己負担限度額10,000円",
            other.insured_number.as_deref().unwrap(),
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        keep_png(&sd.pdf, "specified-disease-certificate");
        // No certification, no 受療証.
        let someone = insured_today(&app)
            .await
            .into_iter()
            .find(|r| {
                r.insured_number.is_some()
                    && r.addressee_id != other.addressee_id
                    && high
                        .as_ref()
                        .is_none_or(|h| h.addressee_id != r.addressee_id)
                    && age_group(r.birth_date, month) == AgeGroup::Under70
                    && kokuho_domain::eligibility::late_elderly_from(r.birth_date)
                        .is_some_and(|d| d > TODAY)
            })
            .unwrap();
        let e = clerk
            .issue_document(
                DocumentKind::SpecifiedDiseaseCertificate,
                &Subject::Person(AddresseeId::parse(&someone.addressee_id).unwrap()),
                IssueOptions::default(),
                T0,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
    }
}

/// The 自己負担額証明書 from what twelve monthly runs kept: each month's
/// amount after the benefit (under 70: the units added up only), the total,
/// and refusals before the period ends or with a month not run.
#[tokio::test]
async fn a_self_pay_certificate_adds_up_the_year_the_monthly_runs_left() {
    use kokuho_store::high_cost::{self as runs, RunRow};
    use kokuho_store::yearly_cap::{self as borne, BorneMonthRow};
    const AFTER: OffsetDateTime = datetime!(2027-09-01 01:00 UTC);
    for t in all_backends().await {
        let app = town(&t, 400).await;
        let clerk_actor = app
            .actor_for("demo-benefits", "tester", "test", AFTER)
            .await
            .unwrap();
        let clerk = Session {
            app: &app,
            actor: &clerk_actor,
        };
        // Someone insured all year, under 70 throughout.
        let mut rows = Vec::new();
        app.for_each_insured_on(date!(2026 - 08 - 01), None, |r| {
            rows.push(r);
            Ok(())
        })
        .await
        .unwrap();
        let target = rows
            .into_iter()
            .find(|r| {
                r.insured_number.is_some()
                    && r.lost_on.is_none()
                    && kokuho_domain::eligibility::age_on(r.birth_date, date!(2027 - 07 - 31)) < 69
                    && kokuho_domain::eligibility::age_on(r.birth_date, date!(2026 - 08 - 01)) > 20
            })
            .unwrap();
        let subject = Subject::PersonYear {
            person: AddresseeId::parse(&target.addressee_id).unwrap(),
            year: 2026,
        };
        let mut month = YearMonth::from_date(date!(2026 - 08 - 01));
        let mut expected = 0i64;
        for i in 0..12i64 {
            let key = kokuho_domain::burden::format_month(month);
            // Months 0, 4 and 9: a unit of 30,000 added up, 5,000 of the
            // benefit; the others 15,000 in units under the floor.
            let (aggregated, benefit) = if [0, 4, 9].contains(&i) {
                (30_000, 5_000)
            } else {
                (0, 0)
            };
            expected += aggregated - benefit;
            let mut tx = app.db.begin().await.unwrap();
            runs::insert_run(
                &mut tx,
                &app.insurer,
                &RunRow {
                    run_id: i + 1,
                    service_month: key.clone(),
                    rules_source: "test".into(),
                    ran_us: kokuho_app::eligibility::to_us(T0),
                    ran_by: "tester".into(),
                    borne_recorded: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            borne::insert_months(
                &mut tx,
                &app.insurer,
                &[BorneMonthRow {
                    run_id: i + 1,
                    service_month: key,
                    addressee_id: target.addressee_id.clone(),
                    household_number: target.household_number.clone().unwrap(),
                    age_group: "under_70".into(),
                    bears: aggregated + 15_000,
                    aggregated,
                    limit_benefit: benefit,
                }],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            month = month.next();
        }
        assert_eq!(expected, 75_000);
        let sp = clerk
            .issue_document(
                DocumentKind::SelfPayCertificate,
                &subject,
                IssueOptions::default(),
                AFTER,
            )
            .await
            .unwrap();
        let text = compact(&pdftotext(&sp.pdf, "sp"));
        for want in [
            "自己負担額証明書（高額介護合算療養費）",
            "計算期間令和8年8月1日〜令和9年7月31日",
            "令和8年8月25,000円",
            "令和8年9月0円",
            "令和9年5月25,000円",
            "合計75,000円",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        keep_png(&sp.pdf, "self-pay-certificate");
        // Not before the period has ended.
        let early = clerk
            .issue_document(
                DocumentKind::SelfPayCertificate,
                &subject,
                IssueOptions::default(),
                datetime!(2027-07-20 01:00 UTC),
            )
            .await
            .unwrap_err();
        assert!(matches!(early, AppError::Conflict { .. }), "{early:?}");
        // Not with a month whose claims changed since its run.
        let e = clerk
            .issue_document(
                DocumentKind::SelfPayCertificate,
                &Subject::PersonYear {
                    person: AddresseeId::parse(&target.addressee_id).unwrap(),
                    year: 2027,
                },
                IssueOptions::default(),
                datetime!(2028-09-01 01:00 UTC),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_ja, .. } if message_ja.contains("2027-08")),
            "{e:?}"
        );
    }
}
