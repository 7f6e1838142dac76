//! Imports and batches as jobs on both backends: each records how it ended,
//! its progress reaches the whole, a rejected file leaves an error report
//! naming the line, only roles that may run a kind see it, and a job whose
//! process died is marked interrupted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kokuho_app::access::Actor;
use kokuho_app::jobs::JobKind;
use kokuho_app::session::Session;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{AppError, Encoding, Kokuho};
use kokuho_formats::registry_feed;
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_store::with_db;
use kokuho_vault::Keyring;
use time::OffsetDateTime;
use time::macros::{date, datetime};

const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);

async fn town(t: &TestDb) -> Kokuho {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(2_500, 3);
    town::generate(&t.db, &ring, &spec, T0, |_| {})
        .await
        .unwrap();
    Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number)
}

async fn actor(app: &Kokuho, name: &str) -> Actor {
    app.actor_for(name, "tester", "test", T0).await.unwrap()
}

#[tokio::test]
async fn an_import_is_a_job_with_its_outcome_or_its_error_report() {
    for t in all_backends().await {
        let app = town(&t).await;
        let clerk = actor(&app, "demo-clerk").await;
        let s = Session {
            app: &app,
            actor: &clerk,
        };
        let events = app
            .sample_registry_feed(date!(2026 - 04 - 01))
            .await
            .unwrap();
        let good = registry_feed::write(&events, Encoding::Utf8).unwrap();
        let text = String::from_utf8(good.clone()).unwrap();

        // A bad 3rd line: the job fails, nothing is imported, the report names the line.
        let lines: Vec<&str> = text.split("\r\n").collect();
        let bad_line = lines[2].replacen(",2026-", ",2026-13-", 1);
        let mut bad = lines.clone();
        bad[2] = &bad_line;
        let err = s
            .import_registry_feed("bad.csv", bad.join("\r\n").as_bytes(), Encoding::Utf8, T0)
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Rejected { line: 3, .. }),
            "{}: {err}",
            t.name
        );
        let jobs = s.jobs(T0).await.unwrap();
        assert_eq!(jobs.len(), 1, "{}", t.name);
        let failed = &jobs[0];
        assert_eq!(failed.kind, JobKind::RegistryImport);
        assert_eq!(failed.subject, "bad.csv");
        assert_eq!(failed.status, "failed");
        assert_eq!(failed.percent(), 100, "a finished job's bar is full");
        assert!(failed.has_error_report);
        let report = s.job_error_report(failed.id, T0).await.unwrap();
        let mut rows = report.lines();
        assert_eq!(rows.next(), Some("\u{feff}ファイル,行,項目,理由,reason"));
        let row = rows.next().unwrap();
        assert!(row.starts_with("\"bad.csv\",3,\"event_date\","), "{row}");
        assert!(rows.next().is_none());
        let proposals = with_db!(&t.db, |p| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM eligibility_proposal"
        )
        .fetch_one(p)
        .await
        .unwrap());
        assert_eq!(proposals, 0, "{}: a failed import changes nothing", t.name);

        // The good file: succeeded, every event counted, no report.
        let job = s
            .start_job(JobKind::RegistryImport, "good.csv", T0)
            .await
            .unwrap();
        assert_eq!(s.job(job.id, T0).await.unwrap().status, "running");
        let r = s
            .import_registry_feed_as(&job, "good.csv", &good, Encoding::Utf8, T0)
            .await
            .unwrap();
        let done = s.job(job.id, T0).await.unwrap();
        assert_eq!(done.status, "succeeded", "{}", t.name);
        assert_eq!((done.done, done.total), (r.events, r.events));
        assert_eq!(
            done.summary.as_deref(),
            Some(format!("{} events, {} proposals", r.events, r.proposals).as_str())
        );
        assert!(!done.has_error_report);
        assert!(matches!(
            s.job_error_report(job.id, T0).await,
            Err(AppError::NotFound { .. })
        ));
        // A job of another kind cannot carry the import.
        let age = s
            .start_job(JobKind::AgeJob, "2026-04-01", T0)
            .await
            .unwrap();
        assert!(
            s.import_registry_feed_as(&age, "good.csv", &good, Encoding::Utf8, T0)
                .await
                .is_err()
        );
        // Newest first.
        let ids: Vec<i64> = s.jobs(T0).await.unwrap().iter().map(|j| j.id).collect();
        assert_eq!(ids, vec![age.id, job.id, failed.id]);
    }
}

#[tokio::test]
async fn the_age_job_counts_its_candidates_and_a_dead_runner_is_interrupted() {
    for t in all_backends().await {
        let app = town(&t).await;
        let clerk = actor(&app, "demo-clerk").await;
        let s = Session {
            app: &app,
            actor: &clerk,
        };
        let r = s.run_age_job(date!(2027 - 03 - 31), T0).await.unwrap();
        let j = &s.jobs(T0).await.unwrap()[0];
        assert_eq!(j.kind, JobKind::AgeJob);
        assert_eq!(j.status, "succeeded");
        assert!(j.total > 0 && j.done == j.total, "{}: {j:?}", t.name);
        assert_eq!(
            j.summary.as_deref(),
            Some(format!("{} losses (75th birthday)", r.late_elderly_losses).as_str())
        );

        // A job left running by a process of this host that no longer exists.
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        let dead = kokuho_store::job::start(
            &t.db,
            &app.insurer,
            "age_job",
            "2026-04-01",
            "demo-clerk",
            0,
            &format!("{host}:4194303:0"),
        )
        .await
        .unwrap();
        assert_eq!(s.job(dead, T0).await.unwrap().status, "interrupted");
        assert_eq!(app.mark_dead_jobs(T0).await.unwrap(), 1);
        let row = kokuho_store::job::get(&t.db, &app.insurer, dead)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "interrupted", "{}: recorded", t.name);
        // One of another host is left alone: it may still be running there.
        let elsewhere = kokuho_store::job::start(
            &t.db,
            &app.insurer,
            "age_job",
            "2026-04-01",
            "demo-clerk",
            0,
            "another-host:1:0",
        )
        .await
        .unwrap();
        assert_eq!(app.mark_dead_jobs(T0).await.unwrap(), 0);
        assert_eq!(s.job(elsewhere, T0).await.unwrap().status, "running");
    }
}

#[tokio::test]
async fn only_roles_that_may_run_a_kind_see_its_jobs() {
    for t in all_backends().await {
        let app = town(&t).await;
        let clerk = actor(&app, "demo-clerk").await;
        let levy = actor(&app, "demo-levy").await;
        let auditor = actor(&app, "demo-auditor").await;
        let s = Session {
            app: &app,
            actor: &clerk,
        };
        s.run_age_job(date!(2026 - 04 - 01), T0).await.unwrap();
        // The levy clerk imports income and assesses the levy: sees those jobs only.
        let l = Session {
            app: &app,
            actor: &levy,
        };
        assert_eq!(
            l.job_kinds(T0),
            vec![
                JobKind::IncomeImport,
                JobKind::BurdenRecompute,
                JobKind::LevyAssessment
            ]
        );
        assert!(
            l.jobs(T0).await.unwrap().is_empty(),
            "{}: not the age job",
            t.name
        );
        assert!(matches!(
            l.job(1, T0).await,
            Err(AppError::Forbidden { .. })
        ));
        assert!(matches!(
            l.start_job(JobKind::AgeJob, "2026-04-01", T0).await,
            Err(AppError::Forbidden { .. })
        ));
        for other in [&auditor] {
            let o = Session {
                app: &app,
                actor: other,
            };
            assert!(
                matches!(o.jobs(T0).await, Err(AppError::Forbidden { .. })),
                "{}",
                t.name
            );
            assert!(matches!(
                o.job(1, T0).await,
                Err(AppError::Forbidden { .. })
            ));
            assert!(matches!(
                o.job_error_report(1, T0).await,
                Err(AppError::Forbidden { .. })
            ));
            assert!(matches!(
                o.start_job(JobKind::RegistryImport, "x.csv", T0).await,
                Err(AppError::Forbidden { .. })
            ));
            assert!(o.job_kinds(T0).is_empty());
        }
        // the eligibility clerk also makes and takes in exchange files
        assert_eq!(
            s.job_kinds(T0),
            vec![
                JobKind::RegistryImport,
                JobKind::AgeJob,
                JobKind::FederationExport,
                JobKind::IntermediateExport,
                JobKind::ExchangeImport
            ]
        );
    }
}

/// One exchange extract of a kind at a time: a second start while the first
/// runs is refused (a double click on the jobs page), another kind is not;
/// once the first ends, it starts again. Other kinds may run side by side.
#[tokio::test]
async fn one_exchange_extract_of_a_kind_runs_at_a_time() {
    for t in all_backends().await {
        let app = town(&t).await;
        let clerk = actor(&app, "demo-clerk").await;
        let s = Session {
            app: &app,
            actor: &clerk,
        };
        let first = s
            .start_job(JobKind::FederationExport, "差分", T0)
            .await
            .unwrap();
        let e = s
            .start_job(JobKind::FederationExport, "全件", T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict { message_ja, .. } if message_ja.contains("実行中")),
            "{}: {e:?}",
            t.name
        );
        let other = s
            .start_job(JobKind::IntermediateExport, "差分", T0)
            .await
            .unwrap();
        app.finish_job(&first, Ok(("done", "完了")), T0)
            .await
            .unwrap();
        let again = s
            .start_job(JobKind::FederationExport, "差分", T0)
            .await
            .unwrap();
        assert!(again.id > other.id);
        // imports are not limited so
        for _ in 0..2 {
            s.start_job(JobKind::RegistryImport, "a.csv", T0)
                .await
                .unwrap();
        }
    }
}
