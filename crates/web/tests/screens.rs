//! The staff screens through the real router (no socket), on both
//! backends: errors placed next to their field, and the jobs page — an
//! upload that runs in the background, its status as the page polls it, the
//! error report of a rejected file, and the refusal of a role that may not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use kokuho_app::town::{self, TownSpec};
use kokuho_app::{Encoding, Kokuho};
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_store::with_db;
use kokuho_vault::Keyring;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Screen {
    router: Router,
    cookie: String,
    csrf: String,
}

async fn town(t: &TestDb) -> (Router, Kokuho) {
    let ring = Keyring::generate();
    let spec = TownSpec::demo(800, 5);
    town::generate(&t.db, &ring, &spec, time::OffsetDateTime::now_utc(), |_| {})
        .await
        .unwrap();
    let app = Kokuho::new(t.db.clone(), Arc::new(ring), spec.insurer_number);
    (kokuho_web::router(app.clone()), app)
}

async fn sign_in(router: &Router, app: &Kokuho, account: &str) -> Screen {
    let code = app
        .demo_totp_code(account, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let body =
        json!({"account": account, "password": kokuho_app::access::DEMO_PASSWORD, "code": code})
            .to_string();
    let res = router
        .clone()
        .oneshot(
            Request::post("/api/v1/session")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    Screen {
        router: router.clone(),
        cookie,
        csrf: v["csrf_token"].as_str().unwrap().to_string(),
    }
}

impl Screen {
    async fn send(&self, mut req: Request<Body>) -> (StatusCode, Vec<(String, String)>, String) {
        req.headers_mut()
            .insert(header::COOKIE, self.cookie.parse().unwrap());
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    async fn get(&self, uri: &str) -> (StatusCode, Vec<(String, String)>, String) {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn form(&self, uri: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut body = format!("csrf={}", self.csrf);
        for (k, v) in fields {
            body.push_str(&format!("&{k}={}", urlencode(v)));
        }
        let (s, _, b) = self
            .send(
                Request::post(uri)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        (s, b)
    }

    /// Uploads a file as the import form does; returns the job's page address.
    async fn upload(&self, name: &str, bytes: &[u8]) -> (StatusCode, String, String) {
        self.upload_to("/ui/jobs/registry-import", name, bytes)
            .await
    }

    async fn upload_to(
        &self,
        path: &str,
        name: &str,
        bytes: &[u8],
    ) -> (StatusCode, String, String) {
        let boundary = "kokuhoBoundary7MA4YWxk";
        let mut body = Vec::new();
        for (field, value) in [("csrf", self.csrf.as_str()), ("encoding", "utf-8")] {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let (s, headers, b) = self
            .send(
                Request::post(path)
                    .header(
                        header::CONTENT_TYPE,
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        let location = headers
            .iter()
            .find(|(k, _)| k == "location")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        (s, location, b)
    }

    /// Polls a job's status until it ends, as the page's script does.
    async fn wait(&self, job_page: &str) -> Value {
        for _ in 0..400 {
            let (s, _, b) = self.get(&format!("{job_page}/status")).await;
            assert_eq!(s, StatusCode::OK, "{b}");
            let v: Value = serde_json::from_str(&b).unwrap();
            if v["running"] == false {
                return v;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the job did not end");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_stand_next_to_their_field() {
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let clerk = sign_in(&router, &app, "demo-clerk").await;
        let (s, page) = clerk
            .form("/ui/search", &[("birth_date", "令和99年13月1日")])
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{}", t.name);
        assert!(
            page.contains(r#"id="birth_date" name="birth_date" value="令和99年13月1日" aria-invalid="true" aria-describedby="birth_date-error">"#),
            "the field is marked and keeps what was typed: {page}"
        );
        assert!(page.contains(r#"<p class="field-error" id="birth_date-error">"#));
        assert!(!page.contains(r#"id="search-error""#), "not above the form");

        // A change with an impossible date comes back to the person page's form.
        let person = app
            .search_persons(&kokuho_app::registry::PersonSearch {
                kana: Some("ア".into()),
                limit: Some(1),
                ..Default::default()
            })
            .await
            .unwrap()
            .remove(0);
        let (s, page) = clerk
            .form(
                "/ui/eligibility/preview",
                &[
                    ("addressee_id", person.addressee_id.as_str()),
                    ("kind", "loss"),
                    ("reason", "death"),
                    ("event_date", "2026-02-30"),
                    ("notified_on", ""),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#"id="event_date-error""#), "{page}");
        assert!(
            page.contains(r#"value="2026-02-30""#),
            "what was typed is kept"
        );
        assert!(page.contains(r#"<option value="loss" selected>"#));
        assert!(page.contains(r#"<option value="death" selected>"#));
        assert!(
            page.contains(person.name.as_str()),
            "still the person's page"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_page_runs_an_import_and_reports_a_bad_file() {
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let clerk = sign_in(&router, &app, "demo-clerk").await;
        let (s, _, page) = clerk.get("/ui/jobs").await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains(r#"id="import-form""#) && page.contains(r#"id="age-form""#));
        assert!(page.contains("処理の履歴はありません"));

        let events = app
            .sample_registry_feed(time::macros::date!(2026 - 04 - 01))
            .await
            .unwrap();
        let good = kokuho_formats::registry_feed::write(&events, Encoding::Utf8).unwrap();
        let (s, job_page, _) = clerk.upload("feed.csv", &good).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{}", t.name);
        assert_eq!(job_page, "/ui/jobs/1");
        let (s, _, page) = clerk.get(&job_page).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains(r#"id="job-progress""#));
        let v = clerk.wait(&job_page).await;
        assert_eq!(v["status"], "succeeded", "{v}");
        assert_eq!(v["percent"], 100);
        assert_eq!(v["done"], v["total"]);
        assert_eq!(v["summary"], "異動7件、異動候補5件");
        assert_eq!(app.proposals(Some("pending")).await.unwrap().len(), 5);

        // The same file with a broken 2nd line: rejected, nothing changed, a report to download.
        let text = String::from_utf8(good).unwrap();
        let broken = text
            .replacen("\r\n", "\r\nX", 1)
            .replace(",2026-", ",2026-99-");
        let (_, job_page, _) = clerk.upload("broken.csv", broken.as_bytes()).await;
        let v = clerk.wait(&job_page).await;
        assert_eq!(v["status"], "failed", "{v}");
        assert_eq!(v["has_error_report"], true);
        let (s, headers, csv) = clerk.get(&format!("{job_page}/errors.csv")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "content-disposition" && v.contains("attachment"))
        );
        assert!(csv.contains("\"broken.csv\",2,"), "{csv}");
        assert_eq!(app.proposals(Some("pending")).await.unwrap().len(), 5);
        let (_, _, page) = clerk.get("/ui/jobs").await;
        assert!(page.contains(r#"<tr class="job failed">"#));
        assert!(page.contains(r#"<tr class="job succeeded">"#));
        assert!(page.contains("/ui/jobs/2/errors.csv"));

        // No file chosen: the message stands at the file field.
        let (s, _, page) = clerk.upload("", b"").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#"id="file-error""#), "{page}");

        // The age job from its form.
        let (s, page) = clerk.form("/ui/jobs/age-job", &[("on", "R9.3.31")]).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
        let v = clerk.wait("/ui/jobs/3").await;
        assert_eq!(v["status"], "succeeded", "{v}");
        assert_eq!(v["subject"], "2027-03-31");

        // An auditor may run none: no link, and refusals.
        let levy = sign_in(&router, &app, "demo-auditor").await;
        let (_, _, page) = levy.get("/ui").await;
        assert!(!page.contains("nav-jobs"));
        for uri in ["/ui/jobs", "/ui/jobs/1", "/ui/jobs/2/errors.csv"] {
            let (s, _, page) = levy.get(uri).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{uri}: {page}");
        }
        let (s, _, _) = levy.get("/ui/jobs/1/status").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _, _) = levy.upload("feed.csv", b"x").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Without a session the status answers 401 and the page sends to sign-in.
        let anon = Screen {
            router: router.clone(),
            cookie: "kokuho_session=nothing".into(),
            csrf: String::new(),
        };
        assert_eq!(
            anon.get("/ui/jobs/1/status").await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(anon.get("/ui/jobs/1").await.0, StatusCode::SEE_OTHER);
    }
}

/// The demo town with last year's income imported as the town would (the
/// months from August judged), as of now.
async fn town_with_income(t: &TestDb) -> (Router, Kokuho, time::OffsetDateTime) {
    let (router, app) = town(t).await;
    let now = time::OffsetDateTime::now_utc();
    let levy = app
        .actor_for("demo-levy", "tester", "test", now)
        .await
        .unwrap();
    let s = kokuho_app::session::Session {
        app: &app,
        actor: &levy,
    };
    let year = if now.month() as u8 >= 8 {
        now.year() - 1
    } else {
        now.year() - 2
    };
    let sample = s.sample_income(year, now).await.unwrap();
    let bytes = kokuho_formats::income::write(&sample, Encoding::Utf8).unwrap();
    let r = s
        .import_income("income.csv", &bytes, Encoding::Utf8, now)
        .await
        .unwrap();
    assert!(r.burden_changed > 0, "{}: {r:?}", t.name);
    (router, app, now)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_person_page_shows_the_households_burden_categories() {
    for t in all_backends().await {
        let (router, app, now) = town_with_income(&t).await;
        let insured = {
            let mut v = vec![];
            app.for_each_insured_on(kokuho_app::local_date(now), None, |r| {
                v.push(r.addressee_id);
                Ok(())
            })
            .await
            .unwrap();
            v.remove(0)
        };
        let clerk = sign_in(&router, &app, "demo-clerk").await;
        let (st, page) = clerk
            .form("/ui/person", &[("addressee_id", insured.as_str())])
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains(r#"id="burden""#), "{}: {page}", t.name);
        assert!(
            page.contains(r#"id="burden-history""#),
            "the way to the full history"
        );

        assert!(
            page.contains("旧ただし書き所得") || page.contains("非課税") || page.contains("未申告")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_burden_page_shows_every_version_and_records_an_application() {
    for t in all_backends().await {
        let (router, app, now) = town_with_income(&t).await;
        let this_month = kokuho_domain::burden::format_month(
            kokuho_domain::eligibility::YearMonth::from_date(kokuho_app::local_date(now)),
        );
        // A household of two or more insured this month; one member leaves
        // from the first of the month, so the month gets a second version.
        let supervisor = app
            .actor_for("demo-supervisor", "tester", "test", now)
            .await
            .unwrap();
        let s = kokuho_app::session::Session {
            app: &app,
            actor: &supervisor,
        };
        let chosen: Option<(String, String)> = with_db!(&t.db, |p| sqlx::query_as(
            "SELECT household_number, copay_rates FROM burden_version WHERE month = $1 \
             AND copay_rates LIKE '%;%' AND superseded_us IS NULL ORDER BY household_number LIMIT 1"
        )
        .bind(&this_month)
        .fetch_optional(p)
        .await
        .unwrap());
        let (household, rates) = chosen.expect("a household of two or more");
        let leaving = rates.split(':').next().unwrap().to_string();
        let first = kokuho_app::local_date(now).replace_day(1).unwrap();
        s.lose(
            &kokuho_app::eligibility::Loss {
                addressee_id: kokuho_domain::id::AddresseeId::parse(&leaving).unwrap(),
                reason: kokuho_domain::eligibility::LossReason::JoinedEmployeeInsurance,
                event_on: first.previous_day().unwrap(),
                notified_on: Some(kokuho_app::local_date(now)),
                destination: None,
                next_insurer_number: None,
            },
            now,
        )
        .await
        .unwrap();
        let clerk = sign_in(&router, &app, "demo-clerk").await;
        let (st, page) = clerk
            .form("/ui/burden", &[("household", household.as_str())])
            .await;
        assert_eq!(st, StatusCode::OK, "{}: {page}", t.name);
        assert!(page.contains(r#"id="versions""#), "{page}");
        assert!(
            page.contains("第2版") && page.contains("第1版"),
            "both versions of the month"
        );
        assert!(
            page.contains("に置換"),
            "the old version stays, marked as replaced"
        );
        assert!(
            page.contains("資格・世帯の異動") && page.contains("所得情報の取込"),
            "the causes"
        );
        assert!(page.contains("現在有効"));
        assert!(
            !page.contains(&format!("{leaving}:")),
            "names, not 宛名番号 lists"
        );
        // As the records stood at the end of today: one version a month, none replaced.
        let today = kokuho_app::local_date(now).to_string();
        let (st, known) = clerk
            .form(
                "/ui/burden",
                &[
                    ("household", household.as_str()),
                    ("known_on", today.as_str()),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            !known.contains("に置換") && known.contains("第2版"),
            "{known}"
        );
        let (st, bad) = clerk
            .form(
                "/ui/burden",
                &[
                    ("household", household.as_str()),
                    ("known_on", "2026-13-45"),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(bad.contains(r#"id="known_on-error""#), "{bad}");
        // The application: recorded from this month, listed, the months judged again.
        assert!(page.contains(r#"id="apply-form""#));
        let (st, applied) = clerk
            .form(
                "/ui/burden/apply",
                &[
                    ("household", household.as_str()),
                    ("from_month", this_month.as_str()),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{applied}");
        assert!(applied.contains(r#"id="burden-notice""#), "{applied}");
        assert!(
            applied.contains("から適用（"),
            "the application is listed: {applied}"
        );
        for (month, why) in [
            ("2026-13", "適用開始月を選んでください"),
            ("2999-01", "来月以降"),
        ] {
            let (st, refused) = clerk
                .form(
                    "/ui/burden/apply",
                    &[("household", household.as_str()), ("from_month", month)],
                )
                .await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{month}");
            assert!(
                refused.contains(r#"id="from_month-error""#) && refused.contains(why),
                "{refused}"
            );
            assert!(
                refused.contains(&format!(r#"value="{month}""#)),
                "what was typed stays"
            );
        }
        // The levy clerk reads the history but may not record an application.
        let levy = sign_in(&router, &app, "demo-levy").await;
        let (st, page) = levy
            .form("/ui/burden", &[("household", household.as_str())])
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(!page.contains(r#"id="apply-form""#));
        let (st, _) = levy
            .form(
                "/ui/burden/apply",
                &[
                    ("household", household.as_str()),
                    ("from_month", this_month.as_str()),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // Every look is access-logged with the household's members.
        let logged: Vec<(String, String, String)> = with_db!(&t.db, |p| {
            sqlx::query_as(
            "SELECT account_name, outcome, subjects FROM access_log WHERE action = 'burden_view' ORDER BY seq"
        )
        .fetch_all(p)
        .await
        .unwrap()
        });
        assert!(
            logged.iter().any(|(a, o, subjects)| a == "demo-levy"
                && o == "allowed"
                && subjects.contains(&leaving)),
            "{logged:?}"
        );
        let refused: i64 = with_db!(&t.db, |p| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM access_log WHERE account_name = 'demo-levy' AND outcome = 'denied'"
        )
        .fetch_one(p)
        .await
        .unwrap()
        });
        assert!(refused >= 1, "the refused application is on record");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_annual_assessment_runs_from_the_jobs_page_and_the_levy_page_explains_it() {
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let now = time::OffsetDateTime::now_utc();
        let levy = sign_in(&router, &app, "demo-levy").await;
        // Last year's income, as the tax system sends it in June.
        let actor = app
            .actor_for("demo-levy", "tester", "test", now)
            .await
            .unwrap();
        let s = kokuho_app::session::Session {
            app: &app,
            actor: &actor,
        };
        let sample = s.sample_income(2025, now).await.unwrap();
        let bytes = kokuho_formats::income::write(&sample, Encoding::Utf8).unwrap();
        s.import_income("income.csv", &bytes, Encoding::Utf8, now)
            .await
            .unwrap();

        let (st, _, page) = levy.get("/ui/jobs").await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains(r#"id="levy-form""#), "{page}");
        // A year that is not a year: the message stands at its field.
        let (st, page) = levy
            .form(
                "/ui/jobs/levy-assessment",
                &[("fiscal_year", "来年"), ("levy_on", "R8.6.15")],
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#"id="fiscal_year-error""#), "{page}");
        let (st, page) = levy
            .form(
                "/ui/jobs/levy-assessment",
                &[("fiscal_year", "2026"), ("levy_on", "令和8年6月15日")],
            )
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
        let v = levy.wait("/ui/jobs/2").await;
        assert_eq!(v["status"], "succeeded", "{}: {v}", t.name);
        assert_eq!(v["subject"], "2026年度");
        assert!(v["summary"].as_str().unwrap().contains("世帯を調定"), "{v}");

        let household: String = with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT household_number FROM levy_version WHERE reduction IS NOT NULL \
             ORDER BY household_number LIMIT 1"
        )
        .fetch_one(p)
        .await
        .unwrap());
        let (st, page) = levy.form("/ui/levy", &[("household", &household)]).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains(r#"id="levy-total""#), "{page}");
        assert!(page.contains("2026年度の年税額"));
        assert!(page.contains("割軽減）"), "a reduced household says which");
        assert!(page.contains("軽減判定"), "the explanation: {page}");
        assert!(page.contains("第8期"), "the schedule");
        assert!(page.contains("本算定"), "the cause of the version");
        assert!(
            page.contains(r#"id="levy-provisional""#),
            "the stand-in rates are said to be provisional"
        );

        // A notification at the levy counter: a bad date stands at its
        // field; a good one is recorded and the year reassessed.
        assert!(page.contains(r#"id="notify-form""#));
        let member: String = with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT m.addressee_id FROM membership_version m WHERE m.household_number = $1 \
             AND m.superseded_us IS NULL AND NOT m.voided ORDER BY m.addressee_id LIMIT 1"
        )
        .bind(&household)
        .fetch_one(p)
        .await
        .unwrap());
        let (st, page) = levy
            .form(
                "/ui/levy/notify",
                &[
                    ("household", &household),
                    ("person", &member),
                    ("kind", "childbirth"),
                    ("effective_on", "令和8年13月1日"),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#"id="effective_on-error""#), "{page}");
        let (st, page) = levy
            .form(
                "/ui/levy/notify",
                &[
                    ("household", &household),
                    ("person", &member),
                    ("kind", "childbirth"),
                    ("effective_on", "R8.10.20"),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains(r#"id="levy-notice""#), "{page}");
        assert!(page.contains("産前産後期間の届出"));
        assert!(page.contains(r#"id="notifications""#));

        // The counter clerk reads it from the person page; the benefits
        // clerk has no way there and is refused.
        let member: String = with_db!(&t.db, |p| {
            sqlx::query_scalar(
            "SELECT addressee_id FROM addressee WHERE household_number = $1 ORDER BY addressee_id LIMIT 1"
        )
        .bind(&household)
        .fetch_one(p)
        .await
        .unwrap()
        });
        let clerk = sign_in(&router, &app, "demo-clerk").await;
        let (_, page) = clerk.form("/ui/person", &[("addressee_id", &member)]).await;
        assert!(page.contains(r#"id="levy-page""#), "{page}");
        let (st, _) = clerk.form("/ui/levy", &[("household", &household)]).await;
        assert_eq!(st, StatusCode::OK);
        let (_, page) = clerk.form("/ui/levy", &[("household", &household)]).await;
        assert!(
            !page.contains(r#"id="notify-form""#),
            "reads, records nothing"
        );
        let (st, _) = clerk
            .form(
                "/ui/levy/notify",
                &[
                    ("household", &household),
                    ("person", &member),
                    ("kind", "childbirth"),
                    ("effective_on", "R8.10.20"),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (_, _, page) = clerk.get("/ui/jobs").await;
        assert!(!page.contains(r#"id="levy-form""#));
        let (st, _) = clerk
            .form(
                "/ui/jobs/levy-assessment",
                &[("fiscal_year", "2026"), ("levy_on", "2026-06-15")],
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let benefits = sign_in(&router, &app, "demo-benefits").await;
        let (_, page) = benefits
            .form("/ui/person", &[("addressee_id", &member)])
            .await;
        assert!(!page.contains(r#"id="levy-page""#));
        let (st, _) = benefits
            .form("/ui/levy", &[("household", &household)])
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_are_imported_and_checked_from_the_jobs_page_and_listed_with_reasons() {
    for t in all_backends().await {
        let (router, app, now) = town_with_income(&t).await;
        let actor = app
            .actor_for("demo-benefits", "tester", "test", now)
            .await
            .unwrap();
        let s = kokuho_app::session::Session {
            app: &app,
            actor: &actor,
        };
        let month = kokuho_domain::eligibility::YearMonth {
            year: 2026,
            month: time::Month::September,
        };
        let mut bytes = Vec::new();
        s.sample_claims(month, &mut bytes, now).await.unwrap();
        // One claim with numbers no one holds.
        let text = kokuho_formats::text::decode(&bytes, Encoding::Cp932).unwrap();
        let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
        for prefix in ["HO,", "SN,"] {
            let i = lines.iter().position(|l| l.starts_with(prefix)).unwrap();
            let mut f: Vec<String> = lines[i].split(',').map(str::to_string).collect();
            let at = if prefix == "HO," { 3 } else { 5 };
            f[at] = "99999999".into();
            lines[i] = f.join(",");
        }
        let bytes = kokuho_formats::text::encode_cp932(&lines.join("\r\n")).unwrap();

        let benefits = sign_in(&router, &app, "demo-benefits").await;
        let (st, _, page) = benefits.get("/ui/jobs").await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains(r#"id="claims-form""#), "{page}");
        assert!(page.contains(r#"id="nav-claims""#));
        let (st, job, _) = benefits
            .upload_to("/ui/jobs/claims-import", "2026-10.uke", &bytes)
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER);
        let v = benefits.wait(&job).await;
        assert_eq!(v["status"], "succeeded", "{}: {v}", t.name);
        assert!(v["summary"].as_str().unwrap().contains("レセプト"), "{v}");

        // A month that is not one stands at its field; a month without
        // claims is refused there too.
        let (st, page) = benefits
            .form("/ui/jobs/claims-check", &[("month", "2026-13")])
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#"id="month-error""#), "{page}");
        let (st, page) = benefits
            .form("/ui/jobs/claims-check", &[("month", "2026-09")])
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(page.contains("取り込まれていません"), "{page}");
        let (st, page) = benefits
            .form("/ui/jobs/claims-check", &[("month", "2026-10")])
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
        let v = benefits.wait("/ui/jobs/3").await;
        assert_eq!(v["status"], "succeeded", "{}: {v}", t.name);

        let (st, _, page) = benefits.get("/ui/claims").await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains("令和8年10月"), "{page}");
        assert!(page.contains(r#"href="/ui/claims/checks/1""#), "{page}");
        let (st, _, page) = benefits.get("/ui/claims/checks/1").await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("うち<strong>1件</strong>：返戻 1"), "{page}");
        assert!(page.contains("該当者なし"), "{page}");
        assert!(page.contains("99999999"));
        let (st, headers, csv) = benefits
            .get("/ui/claims/checks/1/list.csv?encoding=utf-8")
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "content-disposition" && v.contains("check-1-utf-8.csv")),
            "{headers:?}"
        );
        assert!(csv.starts_with("処理年月,医療機関コード"), "{csv}");
        assert_eq!(csv.lines().count(), 2);

        // The month's high-cost run from the jobs page, its decisions, and a
        // household's history with the calculation.
        let (st, page) = benefits
            .form("/ui/jobs/high-cost-run", &[("service_month", "2026-9x")])
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#"id="service_month-error""#), "{page}");
        let (st, page) = benefits
            .form("/ui/jobs/high-cost-run", &[("service_month", "2026-09")])
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
        let v = benefits.wait("/ui/jobs/4").await;
        assert_eq!(v["status"], "succeeded", "{}: {v}", t.name);
        assert!(v["summary"].as_str().unwrap().contains("支給対象"), "{v}");
        let (_, _, page) = benefits.get("/ui/claims").await;
        assert!(page.contains(r#"href="/ui/high-cost/runs/1""#), "{page}");
        let (st, _, page) = benefits.get("/ui/high-cost/runs/1").await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains(r#"id="decisions""#), "{page}");
        let (st, _, csv) = benefits
            .get("/ui/high-cost/runs/1/decisions.csv?encoding=utf-8")
            .await;
        assert_eq!(st, StatusCode::OK);
        let household = csv
            .lines()
            .nth(1)
            .and_then(|l| l.split(',').next())
            .expect("a decision")
            .to_string();
        let (st, page) = benefits
            .form("/ui/high-cost", &[("household", &household)])
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("decision-version standing"), "{page}");
        assert!(page.contains("限度額"), "{page}");
        let (st, page) = benefits
            .form(
                "/ui/high-cost/handed-over",
                &[
                    ("household", &household),
                    ("month", "2026-06"),
                    ("from_insurer", "12"),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#"id="from_insurer-error""#), "{page}");

        // The annual outpatient cap from the jobs page: a bad year is
        // refused next to the field; a year whose months have no monthly
        // run fails naming them; with its twelve runs it is made.
        let (st, page) = benefits
            .form("/ui/jobs/annual-outpatient-run", &[("year", "R7")])
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#"id="year-error""#), "{page}");
        let (st, page) = benefits
            .form("/ui/jobs/annual-outpatient-run", &[("year", "2025")])
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
        let v = benefits.wait("/ui/jobs/5").await;
        assert_eq!(v["status"], "failed", "{v}");
        assert!(v["summary"].as_str().unwrap().contains("2025-08"), "{v}");
        {
            let mut tx = t.db.begin().await.unwrap();
            for (i, m) in [
                "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02",
                "2026-03", "2026-04", "2026-05", "2026-06", "2026-07",
            ]
            .iter()
            .enumerate()
            {
                kokuho_store::high_cost::insert_run(
                    &mut tx,
                    &app.insurer,
                    &kokuho_store::high_cost::RunRow {
                        run_id: 100 + i as i64,
                        service_month: m.to_string(),
                        rules_source: "test".into(),
                        ran_by: "tester".into(),
                        outpatient_recorded: true,
                        borne_recorded: true,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }
        let (st, page) = benefits
            .form("/ui/jobs/annual-outpatient-run", &[("year", "2025")])
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
        let v = benefits.wait("/ui/jobs/6").await;
        assert_eq!(v["status"], "succeeded", "{v}");
        let (_, _, page) = benefits.get("/ui/claims").await;
        assert!(
            page.contains(r#"href="/ui/high-cost/annual-runs/1""#),
            "{page}"
        );
        let (st, _, page) = benefits.get("/ui/high-cost/annual-runs/1").await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains(r#"id="annual-summary""#), "{page}");
        let (st, _, csv) = benefits
            .get("/ui/high-cost/annual-runs/1/decisions.csv?encoding=utf-8")
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(csv.starts_with("宛名番号,年度"), "{csv}");

        // The yearly cap's statement of the 2026 year, from the claims
        // page: provisional, September's run used, the household with the
        // decision among those with copays counted; a bad year refused.
        assert!(page_has_yearly_form(&benefits).await);
        let (st, _, page) = benefits.get("/ui/high-cost/yearly-cap?year=2026").await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains(r#"id="yearly-provisional""#), "{page}");
        assert!(page.contains("令和8年9月：月次計算の結果を使用"), "{page}");
        assert!(page.contains(&format!("<td>{household}</td>")), "{page}");
        let (st, _, csv) = benefits
            .get("/ui/high-cost/yearly-cap.csv?year=2026&encoding=utf-8")
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(csv.starts_with("世帯番号,世帯主宛名番号"), "{csv}");
        assert!(csv.contains(&format!("\n{household},")), "{csv}");
        let (st, _, page) = benefits.get("/ui/high-cost/yearly-cap?year=R8").await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{page}");
        assert!(page.contains("西暦4桁"), "{page}");
        let (_, _, page) = benefits.get("/ui/high-cost/yearly-cap?year=2025").await;
        assert!(page.contains(r#"id="yearly-none""#), "{page}");

        // A person's years: no decision yet; another insurer's certificate
        // entered (a bad line refused with the text kept), then voided.
        let person: String = kokuho_store::with_db!(&t.db, |p| {
            sqlx::query_scalar(
            "SELECT addressee_id FROM addressee WHERE insurer_number = $1 ORDER BY addressee_id LIMIT 1"
        )
        .bind(app.insurer.as_str().to_string())
        .fetch_one(p)
        .await
        .unwrap()
        });
        let (st, page) = benefits
            .form("/ui/high-cost/annual", &[("person", &person)])
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains(r#"id="no-annual-decisions""#), "{page}");
        assert!(page.contains(r#"id="other-insurer-form""#), "{page}");
        let other = |months: &'static str| {
            [
                ("person", person.clone()),
                ("year", "2026".to_string()),
                ("insurer", "06130017".to_string()),
                ("certificate", "第42号".to_string()),
                ("months", months.to_string()),
            ]
        };
        let fields = other("2026-08,一般,50000,46000\n2026-13,一般,1,1");
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (st, page) = benefits
            .form("/ui/high-cost/annual/other-insurer", &refs)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(
            page.contains(r#"id="annual-error""#) && page.contains("2行目"),
            "{page}"
        );
        assert!(
            page.contains("2026-13,一般,1,1"),
            "the text is given back: {page}"
        );
        let fields = other("2026-08,一般,50000,46000\n2026-09,-,1000,1000");
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (st, page) = benefits
            .form("/ui/high-cost/annual/other-insurer", &refs)
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("2か月分を記録しました"), "{page}");
        assert_eq!(
            page.matches(r#"class="other-insurer-month""#).count(),
            2,
            "{page}"
        );
        let entry: i64 = kokuho_store::with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT MIN(entry_id) FROM other_insurer_month WHERE insurer_number = $1"
        )
        .bind(app.insurer.as_str().to_string())
        .fetch_one(p)
        .await
        .unwrap());
        let entry = entry.to_string();
        let (st, page) = benefits
            .form(
                "/ui/high-cost/annual/other-insurer/void",
                &[("person", person.as_str()), ("entry", entry.as_str())],
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("を取り消しました"), "{page}");
        assert!(page.contains("取消（"), "{page}");

        // Others may not look (each signs in once: a TOTP code is not
        // accepted twice).
        for account in ["demo-levy", "demo-clerk"] {
            let other = sign_in(&router, &app, account).await;
            let (st, _, _) = other.get("/ui/high-cost/runs/1").await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
            let (st, _, _) = other.get("/ui/high-cost/runs/1/decisions.csv").await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
            for path in [
                "/ui/high-cost/annual-runs/1",
                "/ui/high-cost/annual-runs/1/decisions.csv",
                "/ui/high-cost/yearly-cap?year=2026",
                "/ui/high-cost/yearly-cap.csv?year=2026",
            ] {
                let (st, _, _) = other.get(path).await;
                assert_eq!(st, StatusCode::FORBIDDEN, "{account} {path}");
            }
            let (st, _) = other
                .form("/ui/jobs/annual-outpatient-run", &[("year", "2025")])
                .await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
            let (st, _) = other
                .form("/ui/high-cost", &[("household", &household)])
                .await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
            let (st, _) = other
                .form("/ui/high-cost/annual", &[("person", &person)])
                .await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
            let (st, _) = other
                .form("/ui/jobs/high-cost-run", &[("service_month", "2026-09")])
                .await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
            let (st, _, _) = other.get("/ui/claims").await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
            let (st, _, _) = other.get("/ui/claims/checks/1").await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
            let (st, _, _) = other.get("/ui/claims/checks/1/list.csv").await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
        }
    }
}

/// 高額介護合算療養費 on screen: the benefits page opens a person's year;
/// a certificate is refused with the values given back, entered, then
/// voided; the year says why it cannot be computed yet; others are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn combined_care_certificates_are_entered_and_the_year_shown_on_screen() {
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let now = time::OffsetDateTime::now_utc();
        let mut person = None;
        app.for_each_insured_on(kokuho_app::local_date(now), None, |r| {
            if person.is_none() && r.household_number.is_some() {
                person = Some(r.addressee_id.clone());
            }
            Ok(())
        })
        .await
        .unwrap();
        let person = person.unwrap();
        let benefits = sign_in(&router, &app, "demo-benefits").await;
        let (_, _, page) = benefits.get("/ui/benefits").await;
        assert!(page.contains(r#"id="apply-combined_care""#), "{page}");
        assert!(page.contains(r#"id="combined-care-open""#), "{page}");
        let (st, page) = benefits
            .form(
                "/ui/benefits/combined-care",
                &[("person", person.as_str()), ("year", "2026")],
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        // the year 2026-08 to 2027-07 is not over
        assert!(page.contains(r#"id="combined-care-unavailable""#), "{page}");
        assert!(page.contains("終わっていません"), "{page}");
        assert!(page.contains(r#"id="no-combined-certificates""#), "{page}");
        // the result for the care insurer cannot be printed before the
        // year ends: refused on the page, no PDF
        let (st, page) = benefits
            .form(
                "/ui/benefits/combined-care/result",
                &[("person", person.as_str()), ("year", "2026")],
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains(r#"id="combined-care-error""#), "{page}");
        let cert = |issuer: &'static str| {
            [
                ("person", person.clone()),
                ("year", "2026".to_string()),
                ("side", "care".to_string()),
                ("issuer", issuer.to_string()),
                ("certificate", "第7号".to_string()),
                ("from_month", "2026-08".to_string()),
                ("to_month", "2027-07".to_string()),
                ("amount", "250,000".to_string()),
                ("amount_70_74", String::new()),
            ]
        };
        let fields = cert("12");
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (st, page) = benefits
            .form("/ui/benefits/combined-care/certificate", &refs)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains(r#"id="combined-care-error""#), "{page}");
        assert!(page.contains(r#"value="250,000""#), "given back: {page}");
        let fields = cert("319012");
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (st, page) = benefits
            .form("/ui/benefits/combined-care/certificate", &refs)
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("を記録しました"), "{page}");
        assert_eq!(
            page.matches(r#"class="combined-certificate""#).count(),
            1,
            "{page}"
        );
        assert!(page.contains("250,000"), "{page}");
        let entry: i64 = kokuho_store::with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT entry_id FROM combined_care_certificate WHERE insurer_number = $1"
        )
        .bind(app.insurer.as_str().to_string())
        .fetch_one(p)
        .await
        .unwrap());
        let entry = entry.to_string();
        let (st, page) = benefits
            .form(
                "/ui/benefits/combined-care/void",
                &[
                    ("person", person.as_str()),
                    ("year", "2026"),
                    ("entry", entry.as_str()),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("を取り消しました"), "{page}");
        assert!(page.contains("<td>取消</td>"), "{page}");
        for account in ["demo-levy", "demo-clerk"] {
            let other = sign_in(&router, &app, account).await;
            let (st, _) = other
                .form(
                    "/ui/benefits/combined-care",
                    &[("person", person.as_str()), ("year", "2026")],
                )
                .await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
        }
    }
}

/// 支給額計算結果連絡票 on screen: the benefits page opens a person's
/// notices; one for a person insured here on its base date is refused with
/// the reason and the values given back; a bad number to void is refused;
/// the levy and counter clerks are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_notices_are_opened_and_a_wrong_one_refused_on_screen() {
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let mut person = None;
        app.for_each_insured_on(time::macros::date!(2025 - 08 - 01), None, |r| {
            if person.is_none() && r.household_number.is_some() && r.lost_on.is_none() {
                person = Some(r.addressee_id.clone());
            }
            Ok(())
        })
        .await
        .unwrap();
        let person = person.unwrap();
        // another town of the prefecture (a valid check digit)
        let issuer = (0..10)
            .map(|d| format!("31902{d}"))
            .find(|s| kokuho_domain::id::check_any_insurer_number(s).is_ok())
            .unwrap();
        let benefits = sign_in(&router, &app, "demo-benefits").await;
        let (_, _, page) = benefits.get("/ui/benefits").await;
        assert!(page.contains(r#"id="share-notices-open""#), "{page}");
        let (st, page) = benefits
            .form("/ui/benefits/share-notices", &[("person", person.as_str())])
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains(r#"id="no-share-notices""#), "{page}");
        let (st, page) = benefits
            .form(
                "/ui/benefits/share-notices/record",
                &[
                    ("person", person.as_str()),
                    ("kind", "combined_care"),
                    ("year", "2025"),
                    ("issuer", issuer.as_str()),
                    ("reference", "第45号"),
                    ("notified_on", "2026-10-15"),
                    ("base_date", "2026-07-31"),
                    ("amount", "12,345"),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains(r#"id="share-notice-error""#), "{page}");
        assert!(page.contains("当保険者で計算します"), "{page}");
        assert!(page.contains(r#"value="12,345""#), "given back: {page}");
        assert!(page.contains(r#"value="combined_care" selected"#), "{page}");
        let (st, page) = benefits
            .form(
                "/ui/benefits/share-notices/void",
                &[("person", person.as_str()), ("notice_id", "x")],
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("入力番号が正しくありません"), "{page}");
        for account in ["demo-levy", "demo-clerk"] {
            let other = sign_in(&router, &app, account).await;
            let (st, _) = other
                .form("/ui/benefits/share-notices", &[("person", person.as_str())])
                .await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{account}");
        }
    }
}

/// A supervisor revokes a decision to pay from the person's history, with
/// its reason; the clerk has no such button and is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_revokes_a_decision_from_the_history() {
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let now = time::OffsetDateTime::now_utc();
        let today = kokuho_app::local_date(now);
        let day = today - time::Duration::days(20);
        let mut person = None;
        app.for_each_insured_on(day, None, |r| {
            if person.is_none() && r.household_number.is_some() {
                person = Some(r.addressee_id.clone());
            }
            Ok(())
        })
        .await
        .unwrap();
        let person = person.unwrap();
        let on = day.to_string();
        let clerk = sign_in(&router, &app, "demo-benefits").await;
        let sup = sign_in(&router, &app, "demo-supervisor").await;
        let (s, b) = clerk
            .form(
                "/ui/benefits/apply",
                &[
                    ("kind", "transport_benefit"),
                    ("addressee_id", &person),
                    ("on", &on),
                    ("cost", "7200"),
                    ("economical", "5000"),
                    ("applicant", "本人"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let id: i64 = kokuho_store::with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT MAX(application_id) FROM benefit_application WHERE insurer_number = $1"
        )
        .bind(app.insurer.as_str().to_string())
        .fetch_one(p)
        .await
        .unwrap());
        let id_s = id.to_string();
        let (s, b) = sup
            .form("/ui/benefits/decide", &[("id", &id_s), ("decision", "pay")])
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // the clerk's history has no revoke button; the supervisor's has
        let (_, b) = clerk
            .form("/ui/benefits/history", &[("person", &person)])
            .await;
        assert!(b.contains(&format!(r#"id="history-{id}""#)), "{b}");
        assert!(!b.contains("revoke-decision"), "{b}");
        let (_, b) = sup
            .form("/ui/benefits/history", &[("person", &person)])
            .await;
        assert!(b.contains("revoke-decision"), "{b}");
        // the clerk may not revoke; the supervisor must give the reason
        let (s, _) = clerk
            .form(
                "/ui/benefits/revoke",
                &[("person", &person), ("id", &id_s), ("reason", "誤り")],
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, b) = sup
            .form(
                "/ui/benefits/revoke",
                &[("person", &person), ("id", &id_s), ("reason", " ")],
            )
            .await;
        assert_ne!(s, StatusCode::OK, "{b}");
        assert!(b.contains(r#"id="benefit-error""#), "{b}");
        let (s, b) = sup
            .form(
                "/ui/benefits/revoke",
                &[("person", &person), ("id", &id_s), ("reason", "受取人死亡")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(b.contains("の支給決定を取り消しました"), "{b}");
        assert!(b.contains("支給決定の取消"), "{b}");
        // revoked once: no button any more, and a second time is refused
        assert!(!b.contains("revoke-decision"), "{b}");
        let (s, _) = sup
            .form(
                "/ui/benefits/revoke",
                &[("person", &person), ("id", &id_s), ("reason", "受取人死亡")],
            )
            .await;
        assert_ne!(s, StatusCode::OK);
    }
}

/// A month is closed from the statistics screen: refused while incomplete
/// unless the box says so, then closed once, listed, and refused again; a
/// counter clerk has no statistics at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_is_closed_from_the_statistics_screen() {
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let today = kokuho_app::local_date(time::OffsetDateTime::now_utc());
        let month = kokuho_domain::eligibility::YearMonth::from_date(today)
            .prev()
            .to_string();
        let benefits = sign_in(&router, &app, "demo-benefits").await;
        let (st, _, page) = benefits.get("/ui/statistics").await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains(r#"id="close-form""#), "{page}");
        let close = |allow: &'static str| {
            vec![
                ("report", "monthly".to_string()),
                ("month", month.clone()),
                ("reason", "事業月報の報告".to_string()),
                ("allow_incomplete", allow.to_string()),
            ]
        };
        // the town has no claims imported for the month: incomplete
        let fields: Vec<(&str, String)> = close("")
            .into_iter()
            .filter(|(k, _)| *k != "allow_incomplete")
            .collect();
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (st, page) = benefits.form("/ui/statistics/close", &refs).await;
        assert_eq!(st, StatusCode::CONFLICT, "{page}");
        assert!(page.contains(r#"id="stats-error""#), "{page}");
        let fields = close("1");
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (st, page) = benefits.form("/ui/statistics/close", &refs).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("を締めました"), "{page}");
        assert!(page.contains(&format!("<td>{month}</td>")), "{page}");
        let (st, page) = benefits.form("/ui/statistics/close", &refs).await;
        assert_eq!(st, StatusCode::CONFLICT, "{page}");
        let n: i64 = kokuho_store::with_db!(&t.db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM statistics_closing WHERE insurer_number = $1"
        )
        .bind(app.insurer.as_str().to_string())
        .fetch_one(p)
        .await
        .unwrap());
        assert_eq!(n, 1);
        let clerk = sign_in(&router, &app, "demo-clerk").await;
        let (st, _) = clerk.form("/ui/statistics/close", &refs).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
}

/// The claims page offers the yearly cap's statement.
async fn page_has_yearly_form(user: &Screen) -> bool {
    let (_, _, page) = user.get("/ui/claims").await;
    page.contains(r#"action="/ui/high-cost/yearly-cap""#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_benefit_goes_from_the_counter_to_the_transfer_file_on_screen() {
    use kokuho_app::payment_account::{AccountInput, AccountSource};
    use kokuho_domain::bank_account::{AccountType, BankAccount};
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let now = time::OffsetDateTime::now_utc();
        let today = kokuho_app::local_date(now);
        let day = today - time::Duration::days(20);
        let mut person = None;
        app.for_each_insured_on(day, None, |r| {
            if person.is_none() && r.household_number.is_some() {
                person = Some(r.addressee_id.clone());
            }
            Ok(())
        })
        .await
        .unwrap();
        let person = person.unwrap();
        let clerk = sign_in(&router, &app, "demo-benefits").await;
        let sup = sign_in(&router, &app, "demo-supervisor").await;
        let levy = sign_in(&router, &app, "demo-levy").await;

        let (s, _, b) = clerk.get("/ui/benefits").await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(b.contains("決定待ちの申請（0 件）"), "{b}");
        assert!(b.contains("返納金（未納 0 件）"), "{b}");
        assert!(
            !b.contains(r#"id="recovery-assess""#),
            "a clerk does not assess"
        );
        let (s, _, _) = levy.get("/ui/benefits").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A recovery: the clerk may not assess one; for a month nothing
        // was paid for, the supervisor is told so and nothing is kept.
        let recovery = [
            ("household", "0000000001"),
            ("month", "2026-09"),
            ("due_by", "2026-12-25"),
        ];
        let (s, _) = clerk.form("/ui/benefits/recovery", &recovery).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, b) = sup.form("/ui/benefits/recovery", &recovery).await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        assert!(b.contains("支払済みの給付がありません"), "{b}");
        assert!(b.contains(r#"id="recovery-assess""#), "{b}");

        // A cost that is not a number: refused, named, nothing kept.
        let on = day.to_string();
        let (s, b) = clerk
            .form(
                "/ui/benefits/apply",
                &[
                    ("kind", "transport_benefit"),
                    ("addressee_id", &person),
                    ("on", &on),
                    ("cost", "abc"),
                    ("economical", "5000"),
                    ("applicant", "本人"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        assert!(b.contains("金額は半角数字"), "{b}");
        let (s, b) = clerk
            .form(
                "/ui/benefits/apply",
                &[
                    ("kind", "transport_benefit"),
                    ("addressee_id", &person),
                    ("on", &on),
                    ("cost", "7,200"),
                    ("economical", "5000"),
                    ("applicant", "本人"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(b.contains("受付番号 1：移送費 5,000円"), "{b}");
        // the clerk sees the queue but no decision buttons
        assert!(
            b.contains("application-1") && !b.contains("decide-pay"),
            "{b}"
        );

        // The supervisor decides from the queue.
        let (_, _, b) = sup.get("/ui/benefits").await;
        assert!(b.contains("decide-pay"), "{b}");
        let (s, b) = sup
            .form("/ui/benefits/decide", &[("id", "1"), ("decision", "pay")])
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(b.contains("受付番号 1：支給決定"), "{b}");

        // Nowhere to pay yet: the run is refused and says so.
        let today_s = today.to_string();
        let (s, b) = clerk
            .form("/ui/payments/create", &[("date", &today_s)])
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        assert!(b.contains("口座のないもの 1 件"), "{b}");

        let v = app.application_view(1).await.unwrap();
        app.register_account(
            &AccountInput {
                addressee_id: v.payee_id.clone(),
                source: AccountSource::PublicFunds,
                account: BankAccount {
                    bank_code: "0166".into(),
                    branch_code: "201".into(),
                    account_type: AccountType::Ordinary,
                    number: "7654321".into(),
                    holder: "ヤマダ タロウ".into(),
                },
                confirmed_on: today,
            },
            "demo-benefits",
            now,
        )
        .await
        .unwrap();
        app.set_bank_contract(
            &kokuho_app::town::benefits_sample::demo_contract(),
            "demo-supervisor",
            now,
        )
        .await
        .unwrap();
        let (s, b) = clerk
            .form("/ui/payments/create", &[("date", &today_s)])
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(b.contains("支払 第1回を作成しました：1 件 5,000円"), "{b}");

        // The clerk sees the list masked and cannot approve; the supervisor
        // sees the whole number and approves.
        let (_, _, b) = clerk.get("/ui/payments/1").await;
        assert!(b.contains("****321") && !b.contains("7654321"), "{b}");
        assert!(!b.contains("approve-run"));
        let (s, b) = clerk
            .form("/ui/payments/1/action", &[("action", "approve")])
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        let (_, _, b) = sup.get("/ui/payments/1").await;
        assert!(b.contains("7654321") && b.contains("approve-run"), "{b}");
        let (s, b) = sup
            .form("/ui/payments/1/action", &[("action", "approve")])
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(
            b.contains("承認しました") && b.contains("write-file"),
            "{b}"
        );

        // The transfer file comes as a download: header, one transfer,
        // trailer, end.
        let (s, _) = clerk.form("/ui/payments/1/file", &[]).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "whole numbers: not the clerk's");
        let (s, headers, body) = sup
            .send(
                Request::post("/ui/payments/1/file")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("csrf={}", sup.csrf)))
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "content-disposition" && v.contains("zengin-run-1.txt"))
        );
        // (the kana bytes are not UTF-8: count the records, not the bytes)
        assert_eq!(body.matches("\r\n").count(), 4);
        assert!(body.starts_with("1210") && body.contains("\r\n8000001000000005000"));
        let (s, b) = clerk
            .form("/ui/payments/1/action", &[("action", "sent")])
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(b.contains("送信済み") && b.contains("支払済み"), "{b}");
        let (s, _, csv) = clerk.get("/ui/payments/1/list.csv").await;
        assert_eq!(s, StatusCode::OK);
        assert!(csv.contains("移送費") && csv.contains("****321"), "{csv}");

        // The history, opened from the person page, shows where the
        // payment stands.
        let (_, page) = clerk.form("/ui/person", &[("addressee_id", &person)]).await;
        assert!(page.contains("benefit-history-page"), "{page}");
        let (_, page) = levy.form("/ui/person", &[("addressee_id", &person)]).await;
        assert!(!page.contains("benefit-history-page"));
        let (_, b) = clerk
            .form("/ui/benefits/history", &[("person", &person)])
            .await;
        assert!(b.contains("支払 第1回：支払済み"), "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_is_printed_from_the_person_page_and_reprinted_from_its_history() {
    for t in all_backends().await {
        let (router, app, now) = town_with_income(&t).await;
        let person = {
            let mut v = vec![];
            app.for_each_insured_on(kokuho_app::local_date(now), None, |r| {
                if r.insured_number.is_some() {
                    v.push(r.addressee_id);
                }
                Ok(())
            })
            .await
            .unwrap();
            v.remove(0)
        };
        let clerk = sign_in(&router, &app, "demo-clerk").await;
        let auditor = sign_in(&router, &app, "demo-auditor").await;
        let (_, page) = clerk
            .form("/ui/person", &[("addressee_id", person.as_str())])
            .await;
        assert!(page.contains(r#"id="person-issue-document""#), "{page}");
        let (_, page) = auditor
            .form("/ui/person", &[("addressee_id", person.as_str())])
            .await;
        assert!(
            !page.contains("person-issue-document"),
            "the auditor prints nothing"
        );
        assert!(
            page.contains("document-history-page"),
            "but sees the history"
        );

        // Printed at the counter: a PDF download, never cached.
        let body = format!(
            "csrf={}&person={person}&kind=eligibility-certificate",
            clerk.csrf
        );
        let (st, headers, pdf) = clerk
            .send(
                Request::post("/ui/documents/issue")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{pdf}");
        let header_of = |h: &[(String, String)], k: &str| {
            h.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(header_of(&headers, "content-type"), "application/pdf");
        assert_eq!(header_of(&headers, "cache-control"), "no-store");
        assert!(header_of(&headers, "content-disposition").contains("eligibility-certificate-EC"));
        assert!(pdf.starts_with("%PDF-"));

        // The history lists it; a reprint is the same document.
        let (st, page) = clerk
            .form("/ui/documents/history", &[("person", person.as_str())])
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            page.contains("資格確認書") && page.contains("交付済"),
            "{page}"
        );
        let id: i64 = kokuho_store::with_db!(&t.db, |c| {
            sqlx::query_scalar("SELECT MAX(issue_id) FROM document_issue")
                .fetch_one(c)
                .await
                .unwrap()
        });
        let (st, again) = clerk
            .form(&format!("/ui/documents/{id}/reprint"), &[])
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(again, pdf, "a reprint is the first print");
        let (st, page) = clerk
            .form(
                &format!("/ui/documents/{id}/mark"),
                &[
                    ("person", person.as_str()),
                    ("status", "returned"),
                    ("note", "宛所不明"),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("返戻"), "{page}");

        // The auditor may not print.
        let body = format!(
            "csrf={}&person={person}&kind=eligibility-notice",
            auditor.csrf
        );
        let (st, _, _) = auditor
            .send(
                Request::post("/ui/documents/issue")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
}

/// A 資格継続引継情報 the federation sends: the first member of one of the
/// town's households moved in from 313023 on 2026-11-01, with whether they
/// were the householder there and how many were insured there. Returns the
/// household, the member and the file.
async fn moved_in_notice(
    t: &TestDb,
    app: &Kokuho,
    from_householder: bool,
    from_household_insured: i64,
) -> (String, String, kokuho_formats::federation::FederationFile) {
    let numbers = kokuho_store::eligibility::all_household_numbers(&t.db, &app.insurer)
        .await
        .unwrap();
    let (household, (symbol, number)) = numbers.iter().next().unwrap();
    let member = app.household(household).await.unwrap().members[0]
        .addressee_id
        .to_string();
    let file = kokuho_formats::federation::FederationFile {
        header: kokuho_formats::federation::FileHeader {
            insurer_number: app.insurer.as_str().to_string(),
            created_at: time::macros::datetime!(2026-11-20 09:00:00),
            extract: kokuho_formats::federation::Extract::Answer,
            since: None,
        },
        body: kokuho_formats::federation::Body::EligibilityContinuity(vec![
            kokuho_formats::federation::EligibilityContinuityRecord {
                insurer_number: app.insurer.as_str().to_string(),
                insured_symbol: symbol.clone(),
                insured_number: number.clone(),
                branch_number: "01".into(),
                addressee_id: member.clone(),
                acquired_on: time::macros::date!(2026 - 11 - 01),
                from_insurer: "313023".into(),
                from_insured_symbol: "甲".into(),
                from_insured_number: "77".into(),
                from_branch_number: "01".into(),
                from_lost_on: time::macros::date!(2026 - 11 - 01),
                continuity: kokuho_formats::federation::Continuity::Continuous,
                household_candidate: true,
                from_householder,
                from_nominal_householder: false,
                from_household_insured,
            },
        ]),
    };
    (household.clone(), member, file)
}

/// The exchange screen: a household moved in from another municipality of
/// the prefecture waits for the clerk's judgement, which the screen records;
/// roles without the exchange permission are refused.
#[tokio::test]
async fn a_moved_in_household_is_judged_on_the_exchange_screen() {
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let clerk = sign_in(&router, &app, "demo-clerk").await;
        let (st, _, page) = clerk.get("/ui/exchange").await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains(r#"id="no-candidates""#), "{page}");
        assert!(page.contains(r#"id="nav-exchange""#));

        // The federation reports a person of one of the town's households.
        let (household, member, file) = moved_in_notice(&t, &app, false, 2).await;
        let household = household.as_str();
        app.import_from_federation(
            &file.file_name().unwrap(),
            &kokuho_formats::federation::write(&file).unwrap(),
            None,
            "nhi: test",
            "demo-clerk",
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        let (_, _, page) = clerk.get("/ui/exchange").await;
        assert!(page.contains(r#"class="candidate""#), "{page}");
        assert!(page.contains(&member), "{page}");
        // the proposal, with the criterion it rests on
        assert!(page.contains(r#"data-proposal="does_not""#), "{page}");
        assert!(page.contains("転入前の世帯主は転入していません"), "{page}");
        assert!(
            page.contains("資格継続引継情報ファイル") || page.contains("KR01_"),
            "{page}"
        );

        let (st, page) = clerk
            .form(
                "/ui/exchange/judge",
                &[
                    ("household", household),
                    ("from_insurer", "313023"),
                    ("continues", "yes"),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains(r#"id="exchange-notice""#), "{page}");
        assert!(page.contains(r#"id="no-candidates""#), "{page}");
        assert!(page.contains("継続する — 次の送信で送ります"), "{page}");
        // Judged already: a second judgement is refused with the reason.
        let (_, page) = clerk
            .form(
                "/ui/exchange/judge",
                &[
                    ("household", household),
                    ("from_insurer", "999999"),
                    ("continues", "no"),
                ],
            )
            .await;
        assert!(page.contains(r#"id="exchange-error""#), "{page}");

        let levy = sign_in(&router, &app, "demo-levy").await;
        let (st, _, _) = levy.get("/ui/exchange").await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (_, _, page) = levy.get("/ui").await;
        assert!(!page.contains(r#"id="nav-exchange""#));
    }
}

/// Exchange files from the jobs page: with the server's exchange folder and
/// transfer key, the federation extract is written to the outbox (the person
/// file sealed) as a job, and a received 資格継続引継情報 is taken in as a
/// job; without them the page says so and refuses; roles without the
/// exchange permission see no section and are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_files_are_written_and_taken_in_from_the_jobs_page() {
    for t in all_backends().await {
        let (bare, app) = town(&t).await;
        // Without a setup: said on the page, refused if posted.
        let sup = sign_in(&bare, &app, "demo-supervisor").await;
        let (_, _, page) = sup.get("/ui/jobs").await;
        assert!(page.contains(r#"id="exchange-not-set-up""#), "{page}");
        let (st, page) = sup
            .form("/ui/jobs/exchange-export", &[("to", "federation")])
            .await;
        assert_ne!(st, StatusCode::SEE_OTHER, "{page}");
        assert!(page.contains("転送鍵が設定されていません"), "{page}");

        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("transfer.key");
        let key = kokuho_vault::TransferKey::generate();
        std::fs::write(&key_file, key.to_text()).unwrap();
        let set_up = app
            .clone()
            .with_exchange(kokuho_app::exchange::ExchangeSetup {
                dir: dir.path().join("exchange"),
                transfer_key: key_file.clone(),
            });
        let router = kokuho_web::router(set_up.clone());
        let clerk = sign_in(&router, &set_up, "demo-clerk").await;
        let (_, _, page) = clerk.get("/ui/jobs").await;
        assert!(page.contains(r#"id="exchange-export-form""#), "{page}");
        let (st, page) = clerk
            .form("/ui/jobs/exchange-export", &[("to", "moon")])
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{page}");
        let (st, headers, page) = clerk
            .send(
                Request::post("/ui/jobs/exchange-export")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("csrf={}&to=federation", clerk.csrf)))
                    .unwrap(),
            )
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
        let federation_job = headers
            .iter()
            .find(|(k, _)| k == "location")
            .map(|(_, v)| v.clone())
            .unwrap();
        let v = clerk.wait(&federation_job).await;
        assert_eq!(v["status"], "succeeded", "{}: {v}", t.name);
        assert!(
            v["summary"]
                .as_str()
                .unwrap_or("")
                .contains("送信フォルダに作成しました"),
            "{v}"
        );
        let (_, headers, _) = clerk
            .send(
                Request::post("/ui/jobs/exchange-export")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("csrf={}&to=intermediate", clerk.csrf)))
                    .unwrap(),
            )
            .await;
        let intermediate_job = headers
            .iter()
            .find(|(k, _)| k == "location")
            .map(|(_, v)| v.clone())
            .unwrap();
        let v = clerk.wait(&intermediate_job).await;
        assert_eq!(v["status"], "succeeded", "{}: {v}", t.name);
        let outbox = dir.path().join("exchange/outbox/federation");
        let names: Vec<String> = std::fs::read_dir(&outbox)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 4, "{names:?}");
        let sealed: Vec<&String> = names.iter().filter(|n| n.ends_with(".sealed")).collect();
        assert_eq!(sealed.len(), 1, "{names:?}");
        for n in &names {
            let bytes = std::fs::read(outbox.join(n)).unwrap();
            assert_eq!(
                kokuho_app::leak_scan::count_my_numbers(&bytes),
                0,
                "{n} holds no number in clear"
            );
        }
        let inner = sealed[0].strip_suffix(".sealed").unwrap();
        assert!(
            key.open(&std::fs::read(outbox.join(sealed[0])).unwrap(), inner)
                .is_ok()
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("exchange/outbox/intermediate"))
                .unwrap()
                .count(),
            1
        );
        // both recorded as sent, as the command's are
        let files = set_up.exchange_files(50).await.unwrap();
        assert_eq!(
            files.iter().filter(|f| f.direction == "sent").count(),
            5,
            "{}",
            t.name
        );

        // A received 資格継続引継情報, taken in as a job.
        let (_, member, file) = moved_in_notice(&t, &app, true, 1).await;
        let name = file.file_name().unwrap();
        let bytes = kokuho_formats::federation::write(&file).unwrap();
        let (st, job, page) = clerk
            .upload_to("/ui/jobs/exchange-import", &name, &bytes)
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
        let v = clerk.wait(&job).await;
        assert_eq!(v["status"], "succeeded", "{}: {v}", t.name);
        let notices = set_up.continuity_notices().await.unwrap();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].addressee_id, member);
        // the same file again: the job fails, saying why; nothing more kept
        let (_, job, _) = clerk
            .upload_to("/ui/jobs/exchange-import", &name, &bytes)
            .await;
        let v = clerk.wait(&job).await;
        assert_eq!(v["status"], "failed", "{v}");
        assert_eq!(set_up.continuity_notices().await.unwrap().len(), 1);

        let levy = sign_in(&router, &set_up, "demo-levy").await;
        let (_, _, page) = levy.get("/ui/jobs").await;
        assert!(!page.contains(r#"id="h-exchange-files""#), "{page}");
        let (st, _) = levy
            .form("/ui/jobs/exchange-export", &[("to", "federation")])
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // nor may they look at an exchange job
        let (st, _, _) = levy.get(&federation_job).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _, _) = levy.get(&format!("{federation_job}/status")).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let _ = bare;
    }
}
