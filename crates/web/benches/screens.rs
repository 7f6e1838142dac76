//! Benchmark (not a test) of the two screens a clerk waits on: the person
//! page for a household of six, and search. Requests go through the real
//! router in-process (no socket), signed in, with every access logged as in
//! production, so the figure is the server's time to answer a page.
//!
//! cargo bench -p kokuho-web --bench screens                  # the demo town (16,000 residents), built in a temporary SQLite
//! cargo bench -p kokuho-web --bench screens -- --database URL --keyring FILE [--runs N]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use kokuho_app::Kokuho;
use kokuho_app::town::{self, TownSpec};
use kokuho_store::with_db;
use kokuho_vault::Keyring;
use tower::ServiceExt;

struct Client {
    router: Router,
    cookie: String,
    csrf: String,
}

impl Client {
    async fn post_form(&self, uri: &str, body: &str) -> (StatusCode, String) {
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &self.cookie)
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Times `runs` requests after 5 warm-ups; prints min, median, p95, max in ms.
async fn time(label: &str, c: &Client, uri: &str, body: &str, runs: usize, expect: &str) {
    for _ in 0..5 {
        let (s, page) = c.post_form(uri, body).await;
        assert_eq!(s, StatusCode::OK, "{label}: {page}");
        assert!(page.contains(expect), "{label}: the page lacks {expect:?}");
    }
    let mut t: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let (s, _) = c.post_form(uri, body).await;
        t.push(start.elapsed());
        assert_eq!(s, StatusCode::OK);
    }
    t.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {label} | {runs} | {:.1} | {:.1} | {:.1} | {:.1} |",
        ms(t[0]),
        ms(t[runs / 2]),
        ms(t[(runs * 95 / 100).min(runs - 1)]),
        ms(t[runs - 1])
    );
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = arg(&args, "--runs").map_or(100, |r| r.parse().unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let (db, keyring) = match (arg(&args, "--database"), arg(&args, "--keyring")) {
        (Some(url), Some(keys)) => (
            kokuho_store::connect(&url).await.unwrap(),
            Keyring::load(std::path::Path::new(&keys)).unwrap(),
        ),
        _ => {
            let url = format!("sqlite://{}/demo.db", tmp.path().display());
            let db = kokuho_store::connect(&url).await.unwrap();
            let ring = Keyring::generate();
            let spec = TownSpec::demo(16_000, town::DEFAULT_SEED);
            town::generate(&db, &ring, &spec, time::OffsetDateTime::now_utc(), |_| {})
                .await
                .unwrap();
            (db, ring)
        }
    };
    let insurer = kokuho_app::sole_insurer(&db).await.unwrap();
    let app = Kokuho::new(db.clone(), Arc::new(keyring), insurer.clone());
    let persons = kokuho_store::addressee::count_persons(&db, &insurer)
        .await
        .unwrap();
    let router = kokuho_web::router(app.clone());

    // Signed in as a supervisor (the role that sees the most on the page).
    let account = "demo-supervisor";
    let code = app
        .demo_totp_code(account, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let body = serde_json::json!({"account": account, "password": kokuho_app::access::DEMO_PASSWORD, "code": code}).to_string();
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
    assert_eq!(res.status(), StatusCode::OK, "sign-in");
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let v: serde_json::Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let c = Client {
        router,
        cookie,
        csrf: v["csrf_token"].as_str().unwrap().to_string(),
    };

    // A household of six with NHI members, and one of them (any household
    // of six in a database generated without eligibility history).
    let ins = insurer.as_str().to_string();
    let insured: Option<(String, String)> = with_db!(&db, |p| {
        sqlx::query_as(
            "SELECT MIN(a.addressee_id), a.household_number FROM addressee a \
             WHERE a.insurer_number = $1 AND a.removed_on IS NULL \
               AND EXISTS (SELECT 1 FROM eligibility_version e WHERE e.insurer_number = a.insurer_number \
                           AND e.addressee_id = a.addressee_id AND e.superseded_us IS NULL AND e.lost_on IS NULL) \
             GROUP BY a.household_number HAVING COUNT(*) = 6 ORDER BY a.household_number LIMIT 1",
        )
        .bind(ins.clone())
        .fetch_optional(p)
        .await
        .unwrap()
    });
    let with_history = insured.is_some();
    let (person, household): (String, String) = match insured {
        Some(x) => x,
        None => with_db!(&db, |p| {
            sqlx::query_as(
                "SELECT MIN(addressee_id), household_number FROM addressee WHERE insurer_number = $1 \
                 AND removed_on IS NULL GROUP BY household_number HAVING COUNT(*) = 6 \
                 ORDER BY household_number LIMIT 1",
            )
            .bind(ins.clone())
            .fetch_one(p)
            .await
            .unwrap()
        }),
    };
    let who = app
        .search_persons(&kokuho_app::registry::PersonSearch {
            addressee_id: Some(person.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    let (symbol, number): (Option<String>, Option<String>) = with_db!(&db, |p| sqlx::query_as(
        "SELECT insured_symbol, insured_number FROM nhi_household \
         WHERE insurer_number = $1 AND household_number = $2"
    )
    .bind(ins.clone())
    .bind(household.clone())
    .fetch_optional(p)
    .await
    .unwrap()
    .unwrap_or((None, None)));
    let family_name = who
        .name
        .as_str()
        .split([' ', '　'])
        .next()
        .unwrap()
        .to_string();
    let family_kana = who
        .name_kana
        .as_str()
        .split([' ', '　'])
        .next()
        .unwrap()
        .to_string();

    println!(
        "== {persons} residents ({}), {runs} runs each after 5 warm-ups",
        db.backend().name()
    );
    println!("| page | runs | min ms | median ms | p95 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    let csrf = enc(&c.csrf);
    time(
        if with_history {
            "person page, household of 6"
        } else {
            "person page, household of 6 (no eligibility in this database)"
        },
        &c,
        "/ui/person",
        &format!("csrf={csrf}&addressee_id={person}"),
        runs,
        "世帯",
    )
    .await;
    time(
        "search: family kana (half-width), up to 100 shown",
        &c,
        "/ui/search",
        &format!("csrf={csrf}&kana={}", enc(&family_kana)),
        runs,
        "result-count",
    )
    .await;
    time(
        "search: full kana + birth date (和暦)",
        &c,
        "/ui/search",
        &format!(
            "csrf={csrf}&kana={}&birth_date={}",
            enc(who.name_kana.as_str()),
            enc(&kokuho_domain::wareki::format_date(who.birth_date).unwrap())
        ),
        runs,
        "result-count",
    )
    .await;
    time(
        "search: kanji family name",
        &c,
        "/ui/search",
        &format!("csrf={csrf}&name={}", enc(&family_name)),
        runs,
        "result-count",
    )
    .await;
    time(
        "search: birth date",
        &c,
        "/ui/search",
        &format!("csrf={csrf}&birth_date={}", who.birth_date),
        runs,
        "result-count",
    )
    .await;
    time(
        "search: 宛名番号",
        &c,
        "/ui/search",
        &format!("csrf={csrf}&addressee_id={person}"),
        runs,
        "result-count",
    )
    .await;
    if let (Some(sym), Some(num)) = (symbol, number) {
        time(
            "search: 被保険者記号・番号",
            &c,
            "/ui/search",
            &format!(
                "csrf={csrf}&insured_symbol={}&insured_number={num}",
                enc(&sym)
            ),
            runs,
            "result-count",
        )
        .await;
    }
}
