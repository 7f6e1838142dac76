//! API tests through the real router (no socket), on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use kokuho_app::Kokuho;
use kokuho_app::town::{self, TownGenerator, TownSpec};
use kokuho_store::testing::{TestDb, all_backends};
use kokuho_vault::Keyring;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The router with a signed-in session (cookie and CSRF token).
#[derive(Clone)]
struct Api {
    router: Router,
    app: Kokuho,
    cookie: Option<String>,
    csrf: Option<String>,
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

async fn sign_in(router: &Router, app: &Kokuho, account: &str) -> Api {
    let code = app
        .demo_totp_code(account, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let body =
        json!({"account": account, "password": kokuho_app::access::DEMO_PASSWORD, "code": code})
            .to_string();
    let res = router
        .clone()
        .oneshot(post("/api/v1/session", &body))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{account} signs in");
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    Api {
        router: router.clone(),
        app: app.clone(),
        cookie: cookie.split(';').next().map(str::to_string),
        csrf: v["csrf_token"].as_str().map(str::to_string),
    }
}

/// A town and a supervisor's session (the role that may do everything the API offers).
async fn app(t: &TestDb) -> Api {
    let (router, app) = town(t).await;
    sign_in(&router, &app, "demo-supervisor").await
}

async fn call(api: &Api, mut req: Request<Body>) -> (StatusCode, Value) {
    if let Some(c) = &api.cookie {
        req.headers_mut().insert(header::COOKIE, c.parse().unwrap());
    }
    if let Some(c) = &api.csrf {
        req.headers_mut().insert("x-csrf-token", c.parse().unwrap());
    }
    let res = api.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, value)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn assert_error(v: &Value, field: &str) {
    assert_eq!(v["error"]["code"], "E-INPUT", "{v}");
    assert_eq!(v["error"]["field"], field, "{v}");
    assert!(
        v["error"]["message_ja"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(
        v["error"]["message_en"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test]
async fn health_and_home() {
    for t in all_backends().await {
        let r = app(&t).await;
        let (s, v) = call(&r, get("/health")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["status"], "ok");
        assert_eq!(v["backend"], t.name);
        let (s, v) = call(&r, get("/")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(v.as_str().unwrap().contains("kokuho"));
    }
}

#[tokio::test]
async fn search_person_household() {
    for t in all_backends().await {
        let r = app(&t).await;
        let (s, v) = call(&r, get("/api/v1/persons?kana=%EF%BE%80&limit=3")).await; // ﾀ
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["count"], 3);
        let first = &v["persons"][0];
        assert!(first["name_kana"].as_str().unwrap().starts_with('タ'));
        assert!(first["birth_date_wareki"].as_str().unwrap().ends_with('日'));
        let id = first["addressee_id"].as_str().unwrap();
        let (s, v) = call(&r, get(&format!("/api/v1/persons/{id}"))).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["person"]["addressee_id"], id);
        assert!(v.get("my_number").is_none() && v["person"].get("my_number").is_none());
        let hh = v["person"]["household_number"].as_str().unwrap();
        let (s, v) = call(&r, get(&format!("/api/v1/households/{hh}"))).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["members"][0]["relationship"], "02", "householder first");
        // Unknown and malformed ids.
        let (s, v) = call(&r, get("/api/v1/persons/0999999999")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(v["error"]["code"], "E-NOTFOUND");
        let (s, v) = call(&r, get("/api/v1/persons/12ab")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "addressee_id");
        let (s, v) = call(&r, get("/api/v1/persons?limit=lots")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "body");
        let (s, v) = call(&r, get("/api/v1/persons?birth_date=H31.5.1")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "birth_date");
    }
}

fn new_person(my_number: &str) -> String {
    json!({
        "name": "因幡　白兎",
        "name_kana": "いなば　はくと",
        "birth_date": "令和元年5月1日",
        "sex": "2",
        "postal_code": "680-0461",
        "address": "鳥取県八頭郡八頭町郡家1番地",
        "registered_on": "2026-11-24",
        "my_number": my_number
    })
    .to_string()
}

#[tokio::test]
async fn register_and_find_by_my_number() {
    for t in all_backends().await {
        let r = app(&t).await;
        let (s, v) = call(&r, post("/api/v1/persons", &new_person("314159265352"))).await;
        assert_eq!(s, StatusCode::CREATED, "{}: {v}", t.name);
        assert_eq!(v["birth_date"], "2019-05-01");
        let id = v["addressee_id"].clone();
        let (s, v) = call(
            &r,
            post(
                "/api/v1/vault/lookup",
                r#"{"my_number":"３１４１５９２６５３５２"}"#,
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["person"]["addressee_id"], id);
        assert_eq!(v["has_my_number"], true);
        assert!(
            !v.to_string().contains("314159265352"),
            "the number is never returned"
        );
        // The generated town's people are found too.
        let mut g = TownGenerator::new(TownSpec::demo(800, 5));
        let (iid, number) = g.next_batch(10).unwrap().numbers.remove(0);
        let (s, v) = call(
            &r,
            post(
                "/api/v1/vault/lookup",
                &json!({"my_number": number.expose()}).to_string(),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["person"]["integrated_addressee_id"], iid.as_str());
        // Valid but unknown; invalid; duplicate.
        let (s, _) = call(
            &r,
            post("/api/v1/vault/lookup", r#"{"my_number":"000000000019"}"#),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = call(
            &r,
            post("/api/v1/vault/lookup", r#"{"my_number":"314159265353"}"#),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "my_number");
        assert!(
            !v.to_string().contains("31415926535"),
            "the input is not echoed"
        );
        let (s, v) = call(&r, post("/api/v1/persons", &new_person("314159265352"))).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
    }
}

#[tokio::test]
async fn rejected_requests_write_nothing() {
    for t in all_backends().await {
        let r = app(&t).await;
        let before = call(&r, get("/api/v1/persons?kana=%E3%82%A4%E3%83%8A%E3%83%90"))
            .await
            .1["count"]
            .clone(); // イナバ
        let bad = [
            ("my_number", new_person("314159265353")),
            (
                "birth_date",
                new_person("314159265352").replace("令和元年5月1日", "平成31年5月1日"),
            ),
            (
                "name_kana",
                new_person("314159265352").replace("いなば　はくと", "Inaba"),
            ),
            (
                "postal_code",
                new_person("314159265352").replace("680-0461", "68O-0461"),
            ),
        ];
        for (field, body) in bad {
            let (s, v) = call(&r, post("/api/v1/persons", &body)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{field}");
            assert_error(&v, field);
        }
        let (s, v) = call(&r, post("/api/v1/persons", "{not json")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "body");
        let (s, v) = call(
            &r,
            post("/api/v1/vault/lookup", r#"{"my_number":123456789018}"#),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(!v.to_string().contains("123456789018"));
        let after = call(&r, get("/api/v1/persons?kana=%E3%82%A4%E3%83%8A%E3%83%90"))
            .await
            .1["count"]
            .clone();
        assert_eq!(before, after, "{}", t.name);
    }
}

#[tokio::test]
async fn the_openapi_document_is_served_and_current() {
    let t = kokuho_store::testing::sqlite().await;
    let r = app(&t).await;
    let (s, v) = call(&r, get("/api-docs/openapi.json")).await;
    assert_eq!(s, StatusCode::OK);
    for path in [
        "/health",
        "/api/v1/persons",
        "/api/v1/persons/{addressee_id}",
        "/api/v1/households/{household_number}",
        "/api/v1/vault/lookup",
    ] {
        assert!(v["paths"].get(path).is_some(), "{path} documented");
    }
    let served = serde_json::to_string_pretty(&v).unwrap();
    let generated: Value =
        serde_json::from_str(&kokuho_web::openapi().to_pretty_json().unwrap()).unwrap();
    assert_eq!(v, generated);
    // The committed copy in docs/ must match what the code serves.
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi.json"
    ))
    .expect("docs/openapi.json exists (kokuho openapi > docs/openapi.json)");
    let committed: Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(
        committed, v,
        "docs/openapi.json is stale: run `kokuho openapi > docs/openapi.json`\n{served}"
    );
    let (s, _) = call(&r, get("/swagger-ui/")).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn eligibility_through_the_api() {
    for t in all_backends().await {
        let r = app(&t).await;
        // A new person, then an acquisition with the legal date and a late notification.
        let (s, v) = call(&r, post("/api/v1/persons", &new_person("271828182840"))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["addressee_id"].as_str().unwrap().to_string();
        let hh = v["household_number"].as_str().unwrap().to_string();
        let body = json!({"addressee_id": id, "reason": "left_employee_insurance", "event_date": "R8.4.1", "notified_on": "2026-04-20"}).to_string();
        let (s, v) = call(&r, post("/api/v1/eligibility/acquisitions", &body)).await;
        assert_eq!(s, StatusCode::CREATED, "{}: {v}", t.name);
        assert_eq!(v["acquired_on"], "2026-04-01");
        assert_eq!(v["acquisition_late"], true);
        let period = v["period_id"].as_i64().unwrap();
        // The NHI household on a date: numbers, members, householder.
        let (s, v) = call(
            &r,
            get(&format!(
                "/api/v1/eligibility/households/{hh}?date=2026-05-01"
            )),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["members"].as_array().unwrap().len(), 1);
        assert_eq!(v["members"][0]["branch_number"], "01");
        assert_eq!(v["nominal_householder"], false);
        // A retroactive correction, then the history and the view as known before it.
        let (s, v) = call(
            &r,
            post(
                &format!("/api/v1/eligibility/periods/{period}/corrections"),
                r#"{"acquired_on":"2026-03-01","note":"離職日の訂正"}"#,
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["version_no"], 2);
        assert_eq!(v["retroactive"], true);
        let (s, v) = call(&r, get(&format!("/api/v1/eligibility/persons/{id}"))).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["periods"][0]["acquired_on"], "2026-03-01");
        assert_eq!(v["history"].as_array().unwrap().len(), 2);
        let first_recorded = v["history"][0]["recorded_at"].as_str().unwrap().to_string();
        let (_, then) = call(
            &r,
            get(&format!(
                "/api/v1/eligibility/persons/{id}?known_at={}",
                first_recorded.replace('+', "%2B")
            )),
        )
        .await;
        assert_eq!(then["periods"][0]["acquired_on"], "2026-04-01", "{then}");
        // A loss: the day after death.
        let (s, v) = call(
            &r,
            post(
                "/api/v1/eligibility/losses",
                &json!({"addressee_id": id, "reason": "death", "event_date": "2026-09-30"})
                    .to_string(),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["lost_on"], "2026-10-01");
        // Bad input names the field and stores nothing.
        let (_, before) = call(&r, get(&format!("/api/v1/eligibility/persons/{id}"))).await;
        for (body, field) in [
            (
                json!({"addressee_id": id, "reason": "moved", "event_date": "2026-04-01"}),
                "reason",
            ),
            (
                json!({"addressee_id": id, "reason": "move_in", "event_date": "平成31年5月1日"}),
                "event_date",
            ),
            (
                json!({"addressee_id": id, "reason": "move_in", "event_date": "2026-06-01"}),
                "acquired_on",
            ),
            (
                json!({"addressee_id": "x1", "reason": "move_in", "event_date": "2026-06-01"}),
                "addressee_id",
            ),
        ] {
            let (s, v) = call(
                &r,
                post("/api/v1/eligibility/acquisitions", &body.to_string()),
            )
            .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{field}: {v}");
            assert_error(&v, field);
        }
        let (s, v) = call(
            &r,
            post(
                &format!("/api/v1/eligibility/periods/{period}/corrections"),
                r#"{"note":""}"#,
            ),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "note");
        let (s, v) = call(&r, get("/api/v1/eligibility/proposals?status=maybe")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "status");
        let (_, after) = call(&r, get(&format!("/api/v1/eligibility/persons/{id}"))).await;
        assert_eq!(before, after, "{}", t.name);
        let (s, _) = call(&r, post("/api/v1/eligibility/proposals/999/confirm", "")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

use kokuho_domain::access::{Permission, Role};

/// Every API route, with the permission it needs (None: any signed-in account).
fn routes(id: &str, hh: &str) -> Vec<(&'static str, String, String, Option<Permission>)> {
    let person = json!({"name": "行列　試験", "name_kana": "ギョウレツ", "birth_date": "1990-01-01", "sex": "1",
        "postal_code": "680-0461", "address": "鳥取県八頭郡八頭町郡家1番地", "registered_on": "2026-11-01"}).to_string();
    vec![
        ("GET", "/api/v1/session".into(), String::new(), None),
        (
            "GET",
            "/api/v1/persons?kana=%E3%82%BF".into(),
            String::new(),
            Some(Permission::RegistryRead),
        ),
        (
            "GET",
            format!("/api/v1/persons/{id}"),
            String::new(),
            Some(Permission::RegistryRead),
        ),
        (
            "GET",
            format!("/api/v1/households/{hh}"),
            String::new(),
            Some(Permission::RegistryRead),
        ),
        (
            "POST",
            "/api/v1/persons".into(),
            person,
            Some(Permission::RegistryWrite),
        ),
        (
            "POST",
            "/api/v1/vault/lookup".into(),
            r#"{"my_number":"000000000019"}"#.into(),
            Some(Permission::MyNumberLookup),
        ),
        (
            "GET",
            format!("/api/v1/eligibility/persons/{id}"),
            String::new(),
            Some(Permission::EligibilityRead),
        ),
        (
            "POST",
            "/api/v1/eligibility/acquisitions".into(),
            json!({"addressee_id": id, "reason": "other", "event_date": "1800-01-01"}).to_string(),
            Some(Permission::EligibilityWrite),
        ),
        (
            "POST",
            "/api/v1/eligibility/losses".into(),
            json!({"addressee_id": id, "reason": "other", "event_date": "1900-01-01"}).to_string(),
            Some(Permission::EligibilityWrite),
        ),
        (
            "POST",
            "/api/v1/eligibility/periods/999999/corrections".into(),
            r#"{"note":"x"}"#.into(),
            Some(Permission::EligibilityCorrect),
        ),
        (
            "GET",
            format!("/api/v1/eligibility/households/{hh}?date=2026-04-01"),
            String::new(),
            Some(Permission::EligibilityRead),
        ),
        (
            "GET",
            "/api/v1/eligibility/proposals".into(),
            String::new(),
            Some(Permission::EligibilityRead),
        ),
        (
            "POST",
            "/api/v1/eligibility/proposals/999999/confirm".into(),
            String::new(),
            Some(Permission::ProposalDecide),
        ),
        (
            "POST",
            "/api/v1/eligibility/proposals/999999/reject".into(),
            r#"{"reason":"x"}"#.into(),
            Some(Permission::ProposalDecide),
        ),
        (
            "POST",
            "/api/v1/calc/burden".into(),
            r#"{"month":"2026-11","members":[{"id":"A","birth_date":"1980-01-01","insured":true,"householder":true}]}"#.into(),
            None,
        ),
        (
            "POST",
            "/api/v1/calc/levy".into(),
            r#"{"fiscal_year":2025,"members":[{"id":"A","birth_date":"1980-01-01","insured":true,"householder":true}]}"#.into(),
            None,
        ),
        (
            "POST",
            "/api/v1/calc/high-cost".into(),
            r#"{"month":"2026-07","members":[],"claims":[]}"#.into(),
            None,
        ),
    ]
}

#[tokio::test]
async fn the_burden_trial_calculation() {
    for t in all_backends().await {
        let api = app(&t).await;
        let body = json!({
            "month": "2026-11",
            "members": [
                {"id": "A", "birth_date": "1954-06-15", "insured": true, "householder": true,
                 "income": {"total_income": 4_000_000, "taxable_income": 2_000_000, "revenue": 5_000_000,
                            "resident_tax_exempt": false, "unreported": false}},
                {"id": "B", "birth_date": "2021-05-01", "insured": true, "householder": false}
            ],
            "standard_income_application": false
        })
        .to_string();
        let (s, v) = call(&api, post("/api/v1/calc/burden", &body)).await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", t.name);
        assert_eq!(v["category_under_70"], "ウ");
        assert_eq!(v["category_70_74"], "現役並みⅠ");
        assert_eq!(v["members"][0]["copay_rate"], "3割");
        assert_eq!(v["members"][1]["copay_rate"], "2割", "preschool");
        assert_eq!(v["income_year"], 2025);
        assert!(v["reasons"][0].as_str().unwrap().contains("3,570,000円"));
        // Bad input names its field; no session, no answer.
        let (s, v) = call(
            &api,
            post("/api/v1/calc/burden", r#"{"month":"2026-13","members":[]}"#),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "month");
        let (s, v) = call(&api, post("/api/v1/calc/burden", r#"{"month":"2026-11","members":[{"id":"A","birth_date":"1980-01-01","insured":true}]}"#)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "members");
        let (s, _) = call(
            &api,
            post(
                "/api/v1/calc/burden",
                r#"{"month":"2026-11","extra":1,"members":[]}"#,
            ),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let anon = Api {
            cookie: None,
            csrf: None,
            ..api.clone()
        };
        let (s, _) = call(&anon, post("/api/v1/calc/burden", &body)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
}

/// 成田市's published FY2025 example, with inline rates for a what-if.
#[tokio::test]
async fn the_levy_trial_calculation() {
    for t in all_backends().await {
        let api = app(&t).await;
        let body = json!({
            "fiscal_year": 2025,
            "municipality": "yazu",
            "rates": {
                "medical": {"income_rate_percent": 6.81, "per_capita": 22100, "per_household": 19100},
                "elderly_support": {"income_rate_percent": 2.13, "per_capita": 8700, "per_household": 0},
                "care": {"income_rate_percent": 0, "per_capita": 0}
            },
            "members": [
                {"id": "A", "birth_date": "1980-01-10", "insured": true, "householder": true,
                 "income": {"total_income": 1320000, "salary_revenue": 2000000, "salary_income": 1320000}},
                {"id": "B", "birth_date": "1982-02-02", "insured": true},
                {"id": "C", "birth_date": "2008-03-03", "insured": true}
            ]
        })
        .to_string();
        let (s, v) = call(&api, post("/api/v1/calc/levy", &body)).await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", t.name);
        assert_eq!(v["reduction"], "5割");
        assert_eq!(v["components"]["medical"]["income_levy"], 60609);
        assert_eq!(v["components"]["medical"]["amount"], 103300);
        assert_eq!(
            v["provisional"], false,
            "every component's rates were given"
        );
        assert_eq!(v["installments"].as_array().unwrap().len(), 8);
        let total: i64 = v["installments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["amount"].as_i64().unwrap())
            .sum();
        assert_eq!(total, v["total"].as_i64().unwrap());
        assert!(
            v["explanation"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e.as_str().unwrap().contains("1,345,000円以下"))
        );
        // The profile alone: provisional, and it says so first.
        let (s, v) = call(&api, post("/api/v1/calc/levy", r#"{"fiscal_year":2026,"members":[{"id":"A","birth_date":"1980-01-01","insured":true,"householder":true}]}"#)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["provisional"], true);
        assert!(v["explanation"][0].as_str().unwrap().contains("暫定"));
        assert!(
            v["components"]["child_support"].is_object(),
            "FY2026 has the new component"
        );
        // Bad input names its field.
        for (bad, field) in [
            (r#"{"fiscal_year":1999,"members":[]}"#, "fiscal_year"),
            (
                r#"{"fiscal_year":2025,"municipality":"atlantis","members":[]}"#,
                "municipality",
            ),
            (
                r#"{"fiscal_year":2025,"members":[{"id":"A","birth_date":"1980-01-01","insured":true}]}"#,
                "members",
            ),
            (
                r#"{"fiscal_year":2025,"rates":{"medical":{"income_rate_percent":7.1234,"per_capita":1}},"members":[]}"#,
                "rates",
            ),
            (
                r#"{"fiscal_year":2025,"specified_household":"maybe","members":[]}"#,
                "specified_household",
            ),
        ] {
            let (s, v) = call(&api, post("/api/v1/calc/levy", bad)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
            assert_error(&v, field);
        }
        let anon = Api {
            cookie: None,
            csrf: None,
            ..api.clone()
        };
        assert_eq!(
            call(&anon, post("/api/v1/calc/levy", &body)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

/// A mixed household (70–74 一般 and ウ) through the API: ① the outpatient
/// limit, ② the 70–74 household, ③ the whole household, and the 2026-08
/// figures for the same claims.
#[tokio::test]
async fn the_high_cost_trial_calculation() {
    for t in all_backends().await {
        let api = app(&t).await;
        let body = |month: &str| {
            json!({
                "month": month,
                "category_under_70": "ウ",
                "category_70_74": "一般",
                "prior_high_cost_months": [],
                "members": [
                    {"id": "A", "birth_date": "1980-05-10"},
                    {"id": "B", "birth_date": "1954-03-03"},
                    {"id": "C", "birth_date": "1955-02-02"}
                ],
                "claims": [
                    {"member": "A", "provider": "P0", "setting": "inpatient", "total_cost": 500000, "copay": 150000},
                    {"member": "B", "provider": "P1", "setting": "outpatient", "total_cost": 150000, "copay": 30000},
                    {"member": "C", "provider": "P2", "setting": "inpatient", "total_cost": 400000, "copay": 80000}
                ]
            })
            .to_string()
        };
        let (s, v) = call(&api, post("/api/v1/calc/high-cost", &body("2026-07"))).await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", t.name);
        assert_eq!(v["benefit"], 12_000 + 40_400 + 119_670);
        assert_eq!(v["refund"], v["benefit"]);
        assert_eq!(v["frequent_case"], false);
        let steps: Vec<&str> = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(steps.iter().any(|s| s.starts_with("①")), "{steps:?}");
        assert!(steps.iter().any(|s| s.starts_with("②")));
        assert!(steps.iter().any(|s| s.starts_with("③")));
        let shares: i64 = v["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["benefit"].as_i64().unwrap())
            .sum();
        assert_eq!(shares, v["benefit"].as_i64().unwrap());
        // What the month leaves B to bear for outpatient care (the annual
        // cap adds it up): 30,000 − ① 12,000 − B's part of ② (40,400 ×
        // 18,000 / 98,000 = 7,420) − of ③ (119,670 × 10,580 / 207,600 =
        // 6,098).
        let b = v["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "B")
            .unwrap();
        assert_eq!(b["outpatient_left"], 30_000 - 12_000 - 7_420 - 6_098);
        // A dependant who joined on the 15th when the employee moved to
        // 後期: A's own limit at half, ウ 40,050 + (500,000 − 133,500) × 1%.
        let dependant = json!({
            "month": "2026-07",
            "category_under_70": "ウ",
            "members": [{"id": "A", "birth_date": "1980-05-10", "joined_as_dependant_on": "2026-07-15"}],
            "claims": [{"member": "A", "provider": "P0", "setting": "inpatient", "total_cost": 500000, "copay": 150000}]
        })
        .to_string();
        let (s, v) = call(&api, post("/api/v1/calc/high-cost", &dependant)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["benefit"], 150_000 - 43_715);
        assert_eq!(v["members"][0]["dependant_half"], true);
        let (s, v) = call(
            &api,
            post(
                "/api/v1/calc/high-cost",
                &dependant.replace("2026-07-15", "2026-07-x"),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_error(&v, "members");
        // 2026-08: 一般 22,000 / 61,500; ウ 85,800 + (1,050,000 − 286,000) × 1%.
        let (_, v) = call(&api, post("/api/v1/calc/high-cost", &body("2026-08"))).await;
        assert_eq!(v["benefit"], 8_000 + 40_500 + (211_500 - 93_440));
        // A month the table does not reach yet, and other bad input.
        for (bad, field) in [
            (body("2027-08"), "month"),
            (body("2026-7"), "month"),
            (body("2026-07").replace("一般", "普通"), "category_70_74"),
            (
                body("2026-07").replace("\"member\":\"B\"", "\"member\":\"Z\""),
                "claims",
            ),
            (body("2026-07").replace("outpatient", "ward"), "claims"),
        ] {
            let (s, v) = call(&api, post("/api/v1/calc/high-cost", &bad)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
            assert_error(&v, field);
        }
        let anon = Api {
            cookie: None,
            csrf: None,
            ..api.clone()
        };
        assert_eq!(
            call(&anon, post("/api/v1/calc/high-cost", &body("2026-07")))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
}

fn request(method: &str, uri: &str, body: &str) -> Request<Body> {
    if method == "GET" {
        get(uri)
    } else {
        post(uri, body)
    }
}

async fn denied_count(app: &Kokuho) -> usize {
    kokuho_store::access::records(&app.db, 0, 1_000_000)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.outcome == "denied")
        .count()
}

/// The matrix of docs/security.md: every route with every role and with no session.
#[tokio::test]
async fn every_route_with_every_role() {
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let anonymous = Api {
            router: router.clone(),
            app: app.clone(),
            cookie: None,
            csrf: None,
        };
        let sup = sign_in(&router, &app, "demo-supervisor").await;
        let (_, found) = call(&sup, get("/api/v1/persons?kana=%E3%82%BF&limit=1")).await;
        let id = found["persons"][0]["addressee_id"]
            .as_str()
            .unwrap()
            .to_string();
        let hh = found["persons"][0]["household_number"]
            .as_str()
            .unwrap()
            .to_string();
        for (method, uri, body, _) in routes(&id, &hh) {
            let (s, v) = call(&anonymous, request(method, &uri, &body)).await;
            assert_eq!(
                s,
                StatusCode::UNAUTHORIZED,
                "{} no session: {method} {uri}: {v}",
                t.name
            );
        }
        for (name, role, _) in kokuho_app::access::DEMO_ACCOUNTS {
            let api = if role == Role::Supervisor {
                sup.clone()
            } else {
                sign_in(&router, &app, name).await
            };
            let grants = kokuho_store::access::grants_of(&app.db, name)
                .await
                .unwrap();
            for (method, uri, body, permission) in routes(&id, &hh) {
                let before = denied_count(&app).await;
                let (s, v) = call(&api, request(method, &uri, &body)).await;
                let expected = permission.is_none_or(|p| {
                    kokuho_domain::access::allowed(
                        role,
                        &grants,
                        p,
                        kokuho_app::local_date(time::OffsetDateTime::now_utc()),
                    )
                });
                if expected {
                    assert!(
                        s != StatusCode::FORBIDDEN && s != StatusCode::UNAUTHORIZED,
                        "{} {name} may {method} {uri}: {s} {v}",
                        t.name
                    );
                } else {
                    assert_eq!(
                        s,
                        StatusCode::FORBIDDEN,
                        "{} {name} may not {method} {uri}: {v}",
                        t.name
                    );
                    assert_eq!(v["error"]["code"], "E-FORBIDDEN");
                    assert_eq!(
                        denied_count(&app).await,
                        before + 1,
                        "the refusal is logged as denied"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn sessions_csrf_disabled_accounts_and_lockout() {
    for t in all_backends().await {
        let (router, app) = town(&t).await;
        let clerk = sign_in(&router, &app, "demo-clerk").await;
        let body =
            json!({"addressee_id": "0000000001", "reason": "other", "event_date": "1800-01-01"})
                .to_string();
        // A state-changing request without, or with a forged, CSRF token is refused and logged.
        let no_csrf = Api {
            csrf: None,
            ..clerk.clone()
        };
        let before = denied_count(&app).await;
        let (s, v) = call(&no_csrf, post("/api/v1/eligibility/acquisitions", &body)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{}: {v}", t.name);
        let forged = Api {
            csrf: Some("0".repeat(64)),
            ..clerk.clone()
        };
        let (s, _) = call(&forged, post("/api/v1/eligibility/acquisitions", &body)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(denied_count(&app).await, before + 2);
        // Reads need no CSRF token.
        let (s, _) = call(&no_csrf, get("/api/v1/session")).await;
        assert_eq!(s, StatusCode::OK);
        // The administrator disables the clerk: the open session stops working.
        let admin_actor = app
            .actor_for("demo-admin", "-", "test", time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        app.disable_account(&admin_actor, "demo-clerk", time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        let (s, _) = call(&clerk, get("/api/v1/session")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{}", t.name);
        // Sign-out ends a session.
        let auditor = sign_in(&router, &app, "demo-auditor").await;
        let (s, _) = call(
            &auditor,
            Request::delete("/api/v1/session")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = call(&auditor, get("/api/v1/session")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // Wrong passwords lock the account; then even the right one is refused.
        let code = app
            .demo_totp_code("demo-levy", time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        for _ in 0..kokuho_app::access::MAX_FAILED_SIGN_INS {
            let (s, _) = call(
                &Api {
                    cookie: None,
                    csrf: None,
                    ..clerk.clone()
                },
                post(
                    "/api/v1/session",
                    &json!({"account": "demo-levy", "password": "Wrong-Password-1", "code": code})
                        .to_string(),
                ),
            )
            .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        let (s, _) = call(&Api { cookie: None, csrf: None, ..clerk.clone() }, post("/api/v1/session", &json!({"account": "demo-levy", "password": kokuho_app::access::DEMO_PASSWORD, "code": code}).to_string())).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{}: locked out", t.name);
        // A code is accepted once: replaying the benefits clerk's code fails.
        let code = app
            .demo_totp_code("demo-benefits", time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        let login = json!({"account": "demo-benefits", "password": kokuho_app::access::DEMO_PASSWORD, "code": code}).to_string();
        let anon = Api {
            cookie: None,
            csrf: None,
            ..clerk.clone()
        };
        let (s, _) = call(&anon, post("/api/v1/session", &login)).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = call(&anon, post("/api/v1/session", &login)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{}: replayed code", t.name);
        // A wrong code, an unknown account.
        let (s, _) = call(&anon, post("/api/v1/session", &json!({"account": "demo-supervisor", "password": kokuho_app::access::DEMO_PASSWORD, "code": "000000"}).to_string())).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = call(
            &anon,
            post(
                "/api/v1/session",
                &json!({"account": "nobody", "password": "x", "code": "1"}).to_string(),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let _ = &clerk.app;
    }
}
