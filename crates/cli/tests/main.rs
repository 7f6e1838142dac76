//! The binary as an operator uses it: identifiers, 和暦, generate, serve,
//! vault administration, and a leak scan of everything it wrote.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use kokuho_app::leak_scan::count_my_numbers;
use kokuho_app::town::{TownGenerator, TownSpec};

fn kokuho() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kokuho"));
    c.env_remove("KOKUHO_DATABASE_URL")
        .env_remove("KOKUHO_VAULT_KEYRING")
        .env_remove("KOKUHO_VAULT_KEYS")
        .env_remove("KOKUHO_INSURER")
        // The demo supervisor may do everything these tests do but the vault's keys.
        .env("KOKUHO_OPERATOR", "demo-supervisor");
    c
}

fn run(args: &[&str]) -> Output {
    kokuho().args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn help_is_english_for_every_subcommand() {
    let top = run(&["--help"]);
    assert!(top.status.success());
    let text = stdout(&top);
    for sub in [
        "serve",
        "demo",
        "generate",
        "migrate",
        "id",
        "wareki",
        "person",
        "household",
        "vault",
        "openapi",
        "benefits",
        "payments",
        "documents",
        "specified-disease",
        "stats",
    ] {
        assert!(text.contains(sub), "{sub} listed");
        let o = run(&[sub, "--help"]);
        assert!(o.status.success(), "{sub} --help");
        assert!(stdout(&o).contains("Usage: kokuho"), "{sub}");
    }
    for args in [
        ["id", "my-number"],
        ["vault", "rotate-key"],
        ["person", "search"],
        ["vault", "leak-scan"],
    ] {
        let o = run(&[args[0], args[1], "--help"]);
        assert!(
            o.status.success() && stdout(&o).contains("Usage"),
            "{args:?}"
        );
    }
    let o = run(&["generate", "--help"]);
    assert!(
        stdout(&o).contains("--database"),
        "data commands take --database"
    );
}

#[test]
fn payments_zengin_name_prints_the_name_or_names_the_character() {
    let o = run(&["payments", "zengin-name", "ヤマダ　タロウ"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim_end(), "ﾔﾏﾀﾞ ﾀﾛｳ");
    let o = run(&["payments", "zengin-name", "キョウコ・ロー"]);
    assert_eq!(stdout(&o).trim_end(), "ｷﾖｳｺ.ﾛ-");
    let o = run(&["payments", "zengin-name", "--half-width-long-vowel", "ロー"]);
    assert_eq!(stdout(&o).trim_end(), "ﾛｰ");
    let o = run(&["payments", "zengin-name", "ヤマ田"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("「田」") && err.contains("position 3"),
        "{err}"
    );
}

#[test]
fn id_checks() {
    let o = run(&["id", "my-number", "123456789018"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), "valid");
    let o = run(&["id", "my-number", "123456789012"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("check digit"));
    assert!(
        !stdout(&o).contains("123456789012"),
        "the number is not echoed"
    );
    let o = run(&["id", "my-number", "12345"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("12"), "says how many digits are needed");
    let o = run(&["id", "my-number", "１２３４５６７８９０１８"]);
    assert!(o.status.success(), "full-width digits are normalised");
    let mut child = kokuho()
        .args(["id", "my-number", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"314159265352\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "reads standard input");
    for valid in ["310011", "313023", "131011", "271007", "01130012"] {
        assert!(run(&["id", "insurer", valid]).status.success(), "{valid}");
    }
    let o = run(&["id", "insurer", "313024"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("invalid"));
}

#[test]
fn wareki_both_ways() {
    assert_eq!(
        stdout(&run(&["wareki", "2024-01-01"])).trim(),
        "令和6年1月1日"
    );
    assert_eq!(
        stdout(&run(&["wareki", "2019-05-01"])).trim(),
        "令和元年5月1日"
    );
    assert_eq!(
        stdout(&run(&["wareki", "2019-04-30"])).trim(),
        "平成31年4月30日"
    );
    assert_eq!(
        stdout(&run(&["wareki", "--parse", "R6.1.1"])).trim(),
        "2024-01-01"
    );
    assert_eq!(
        stdout(&run(&["wareki", "--parse", "令和6年1月1日"])).trim(),
        "2024-01-01"
    );
    let o = run(&["wareki", "--parse", "平成31年5月1日"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["wareki", "2024-02-30"]);
    assert_eq!(o.status.code(), Some(1));
}

/// A tiny HTTP/1.1 client, so the test needs nothing but the binary.
fn http(addr: &str, method: &str, path: &str, body: &str, auth: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

fn scan(path: &Path) -> (usize, usize) {
    match std::fs::read(path) {
        Ok(bytes) => (bytes.len(), count_my_numbers(&bytes)),
        Err(_) => (0, 0),
    }
}

#[test]
fn generate_serve_rotate_and_no_number_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("town.db");
    let db = format!("sqlite://{}", db_path.display());
    let keys = dir.path().join("vault.keys");
    let keys = keys.to_str().unwrap();
    let o = run(&[
        "generate",
        "--database",
        &db,
        "--keyring",
        keys,
        "--residents",
        "3000",
        "--seed",
        "9",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("3000 persons"));

    // Serve, with debug logging to a file, and use the API.
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = kokuho()
        .args([
            "serve",
            "--database",
            &db,
            "--keyring",
            keys,
            "--listen",
            "127.0.0.1:0",
        ])
        .env("KOKUHO_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .trim_start_matches("kokuho: listening on http://")
        .trim_end_matches('/')
        .to_string();
    let (status, body) = http(&addr, "GET", "/health", "", "");
    assert_eq!(status, 200, "{body}");
    // Without a session the API refuses; sign in with password and TOTP.
    let (status, _) = http(&addr, "GET", "/api/v1/persons?kana=%E3%82%BF", "", "");
    assert_eq!(status, 401);
    let code = stdout(&run(&[
        "account",
        "demo-code",
        "demo-supervisor",
        "--database",
        &db,
        "--keyring",
        keys,
    ]))
    .trim()
    .to_string();
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/session",
        &format!(
            "{{\"account\":\"demo-supervisor\",\"password\":\"{}\",\"code\":\"{code}\"}}",
            kokuho_app::access::DEMO_PASSWORD
        ),
        "",
    );
    assert_eq!(status, 200, "{body}");
    let cookie = body
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = body
        .split("\"csrf_token\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let auth = format!("Cookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n");
    let mut g = TownGenerator::new(TownSpec::demo(3000, 9));
    let numbers = g.next_batch(50).unwrap().numbers;
    for (iid, number) in numbers.iter().take(10) {
        let (status, body) = http(
            &addr,
            "POST",
            "/api/v1/vault/lookup",
            &format!("{{\"my_number\":\"{}\"}}", number.expose()),
            &auth,
        );
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(iid.as_str()));
    }
    let (status, _) = http(
        &addr,
        "POST",
        "/api/v1/vault/lookup",
        "{\"my_number\":\"314159265353\"}",
        &auth,
    );
    assert_eq!(status, 400);
    let (status, _) = http(&addr, "GET", "/api/v1/persons?kana=%E3%82%BF", "", &auth);
    assert_eq!(status, 200);
    server.kill().unwrap();
    server.wait().unwrap();

    // The CLI finds a person by number read from standard input.
    let (_, number) = &numbers[0];
    let mut child = kokuho()
        .args([
            "person",
            "find-by-my-number",
            "--database",
            &db,
            "--keyring",
            keys,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(number.expose().as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert!(!stdout(&o).contains(number.expose()));

    // A retroactive correction from the command line, then the as-of export.
    let o = run(&[
        "eligibility",
        "show",
        "--database",
        &db,
        "--keyring",
        keys,
        "0000000001",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&[
        "eligibility",
        "correct",
        "--database",
        &db,
        "--keyring",
        keys,
        "--period-id",
        "1",
        "--note",
        "",
    ]);
    assert_eq!(o.status.code(), Some(1), "a correction needs a reason");
    let o = run(&[
        "eligibility",
        "correct",
        "--database",
        &db,
        "--keyring",
        keys,
        "--operator",
        "demo-supervisor",
        "--period-id",
        "1",
        "--acquired-on",
        "R2.4.1",
        "--note",
        "取得日の訂正",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("令和2年4月1日"), "{}", stdout(&o));
    let o = run(&[
        "eligibility",
        "as-of",
        "--database",
        &db,
        "--keyring",
        keys,
        "--date",
        "2020-04-01",
        "--encoding",
        "cp932",
        "--reason",
        "資格の点検",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.starts_with(b"insurer_number,"));
    assert!(count_my_numbers(&o.stdout) == 0);

    // Rotate the key; lookups still work.
    let o = run(&["vault", "rotate-key", "--database", &db, "--keyring", keys]);
    assert_eq!(o.status.code(), Some(1), "a supervisor may not rotate keys");
    let o = run(&[
        "vault",
        "rotate-key",
        "--database",
        &db,
        "--keyring",
        keys,
        "--operator",
        "demo-admin",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("new key 2"));
    let o = run(&[
        "vault",
        "status",
        "--database",
        &db,
        "--keyring",
        keys,
        "--operator",
        "demo-admin",
    ]);
    assert!(stdout(&o).contains("rows sealed by key 2"));
    assert!(!stdout(&o).contains("rows sealed by key 1"));
    let o = run(&[
        "vault",
        "retire-key",
        "--database",
        &db,
        "--keyring",
        keys,
        "--operator",
        "demo-admin",
        "1",
    ]);
    assert!(o.status.success());

    // No valid My Number in the database, its WAL, or the server log.
    let wal = db_path.with_extension("db-wal");
    let mut read = 0;
    for f in [&db_path, &wal, &log_path] {
        let (len, found) = scan(f);
        read += len;
        assert_eq!(found, 0, "{} holds a My Number", f.display());
    }
    assert!(read > 500_000, "the files were really scanned");
    let log_text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log_text.contains("/api/v1/vault/lookup"),
        "the log did record the requests"
    );
    let o = run(&[
        "vault",
        "leak-scan",
        db_path.to_str().unwrap(),
        log_path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stdout(&o));
    // …and the scanner does find one where there is one.
    let leaky = dir.path().join("leaky.csv");
    std::fs::write(
        &leaky,
        format!("name,number\n山田,{}\n", numbers[1].1.expose()),
    )
    .unwrap();
    let o = run(&["vault", "leak-scan", leaky.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_missing_keyring_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let o = run(&[
        "person",
        "search",
        "--database",
        &db,
        "--keyring",
        "/nonexistent/keys",
        "--kana",
        "タ",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("init-keys"));
    let o = run(&["migrate", "--database", "mysql://x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("sqlite:// or postgres://"));
}

#[test]
fn postgres_through_the_binary() {
    let Some(url) = kokuho_store::testing::pg_url() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let t = runtime.block_on(kokuho_store::testing::postgres(&url));
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("vault.keys");
    let keys = keys.to_str().unwrap();
    let o = run(&[
        "generate",
        "--database",
        &t.url,
        "--keyring",
        keys,
        "--residents",
        "1200",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&[
        "person",
        "search",
        "--database",
        &t.url,
        "--keyring",
        keys,
        "--kana",
        "ﾀ",
        "--limit",
        "3",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("3件"));
    let o = run(&[
        "vault",
        "rotate-key",
        "--database",
        &t.url,
        "--keyring",
        keys,
        "--operator",
        "demo-admin",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn operators_roles_and_the_audit_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let keys = dir.path().join("vault.keys");
    let keys = keys.to_str().unwrap();
    assert!(
        run(&[
            "generate",
            "--database",
            &db,
            "--keyring",
            keys,
            "--residents",
            "500"
        ])
        .status
        .success()
    );
    // No operator: refused.
    let o = kokuho()
        .env_remove("KOKUHO_OPERATOR")
        .args([
            "person",
            "search",
            "--database",
            &db,
            "--keyring",
            keys,
            "--kana",
            "タ",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--operator"));
    // Unknown operator; an administrator reading personal data; a levy clerk exporting.
    for (op, args) in [
        ("nobody", vec!["person", "search", "--kana", "タ"]),
        ("demo-admin", vec!["person", "search", "--kana", "タ"]),
        (
            "demo-levy",
            vec![
                "eligibility",
                "as-of",
                "--date",
                "2026-04-01",
                "--reason",
                "点検",
            ],
        ),
    ] {
        let mut all = args.clone();
        all.extend(["--database", &db, "--keyring", keys, "--operator", op]);
        let o = run(&all);
        assert_eq!(o.status.code(), Some(1), "{op} {args:?}");
        assert!(
            o.stdout.is_empty() || !stdout(&o).contains("件"),
            "nothing is shown"
        );
    }
    let o = run(&[
        "person",
        "search",
        "--database",
        &db,
        "--keyring",
        keys,
        "--kana",
        "タ",
        "--operator",
        "demo-levy",
    ]);
    assert!(o.status.success(), "a levy clerk may search");
    // The log is intact and has recorded the refusals with the OS user beside the operator.
    let o = run(&["audit", "verify", "--database", &db, "--keyring", keys]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("intact: 4 records"),
        "{}",
        stdout(&o)
    );
    let o = run(&["audit", "head", "--database", &db, "--keyring", keys]);
    assert!(stdout(&o).starts_with("4 "), "{}", stdout(&o));
    // An edit made directly in the file is found.
    let conn = dir.path().join("t.db");
    let status = Command::new("sqlite3")
        .arg(&conn)
        .arg("DROP TRIGGER access_log_no_update; UPDATE access_log SET outcome = 'allowed' WHERE seq = 2;")
        .status();
    if let Ok(s) = status
        && s.success()
    {
        let o = run(&["audit", "verify", "--database", &db, "--keyring", keys]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stdout(&o).contains("BROKEN at record 2"), "{}", stdout(&o));
    }
}

/// Every command that reads or changes personal data, with every demo role:
/// refused exactly where docs/security.md's matrix says (E-FORBIDDEN), and
/// never refused for permission where it says allowed.
#[test]
fn every_command_with_every_role() {
    use kokuho_domain::access::{Permission as P, Role};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let keys = dir.path().join("vault.keys");
    let keys = keys.to_str().unwrap().to_string();
    assert!(
        run(&[
            "generate",
            "--database",
            &db,
            "--keyring",
            &keys,
            "--residents",
            "400"
        ])
        .status
        .success()
    );
    let html = dir.path().join("r.html").display().to_string();
    let csv = dir.path().join("r.csv").display().to_string();
    let uke = dir.path().join("c.uke").display().to_string();
    let pdf = dir.path().join("d.pdf").display().to_string();
    let batch_dir = dir.path().join("batch").display().to_string();
    let feed = dir.path().join("feed.csv");
    std::fs::write(&feed, "event_id,event_type,event_date,notified_on,addressee_id,household_number,relationship,name,name_kana,birth_date,sex,postal_code,address,destination,previous_insurer_number\r\nX-1,name_change,2026-04-01,,0000000001,,,改名　太郎,カイメイ　タロウ,,,,,,\r\n").unwrap();
    let feed = feed.display().to_string();
    let exchange_dir = dir.path().join("exchange").display().to_string();
    let stats_csv = dir.path().join("m.csv").display().to_string();
    let stats_xlsx = dir.path().join("y.xlsx").display().to_string();
    let charts_dir = dir.path().join("charts").display().to_string();
    let transfer_key = dir.path().join("transfer.key").display().to_string();
    assert!(
        run(&["exchange", "init-transfer-key", &transfer_key])
            .status
            .success()
    );
    let commands: Vec<(Vec<&str>, P)> = vec![
        (vec!["person", "search", "--kana", "タ"], P::RegistryRead),
        (vec!["person", "show", "0000000001"], P::RegistryRead),
        (vec!["household", "0000000001"], P::RegistryRead),
        (
            vec!["eligibility", "show", "0000000001"],
            P::EligibilityRead,
        ),
        (vec!["eligibility", "proposals"], P::EligibilityRead),
        (
            vec![
                "eligibility",
                "acquire",
                "--addressee-id",
                "0000000001",
                "--reason",
                "other",
                "--event-date",
                "1900-01-01",
            ],
            P::EligibilityWrite,
        ),
        (
            vec![
                "eligibility",
                "lose",
                "--addressee-id",
                "0000000001",
                "--reason",
                "other",
                "--event-date",
                "1900-01-01",
            ],
            P::EligibilityWrite,
        ),
        (
            vec![
                "eligibility",
                "correct",
                "--period-id",
                "999999",
                "--note",
                "x",
            ],
            P::EligibilityCorrect,
        ),
        (vec!["eligibility", "confirm", "999999"], P::ProposalDecide),
        (
            vec!["eligibility", "reject", "999999", "--reason", "x"],
            P::ProposalDecide,
        ),
        (
            vec![
                "eligibility",
                "as-of",
                "--date",
                "2026-04-01",
                "--reason",
                "点検",
            ],
            P::EligibilityExport,
        ),
        (
            vec!["eligibility", "age-job", "--date", "2026-04-01"],
            P::AgeJob,
        ),
        (vec!["registry-import", &feed], P::RegistryImport),
        (vec!["jobs", "errors", "1"], P::RegistryImport),
        (vec!["income-import", &feed], P::IncomeImport),
        (
            vec![
                "burden",
                "recompute",
                "--from",
                "2026-08",
                "--to",
                "2026-08",
            ],
            P::IncomeImport,
        ),
        (
            vec!["burden", "show", "--household", "0000000001"],
            P::EligibilityRead,
        ),
        (
            vec![
                "burden",
                "apply",
                "--household",
                "0000000001",
                "--from",
                "2026-10",
            ],
            P::EligibilityWrite,
        ),
        (
            vec![
                "levy",
                "assess",
                "--fiscal-year",
                "2026",
                "--on",
                "2026-06-15",
            ],
            P::LevyAssess,
        ),
        (
            vec!["levy", "show", "--household", "0000000001"],
            P::LevyRead,
        ),
        (vec!["levy", "profile", "--set", "yazu"], P::LevyAssess),
        (
            vec![
                "levy",
                "notify",
                "--person",
                "0000000001",
                "--kind",
                "former-dependent",
                "--on",
                "2026-04-01",
            ],
            P::LevyAssess,
        ),
        (
            vec!["claims", "sample", "--month", "2026-09", "--out", &uke],
            P::ClaimsImport,
        ),
        (vec!["claims", "import", &feed], P::ClaimsImport),
        (
            vec!["claims", "check", "--month", "2026-10"],
            P::ClaimsImport,
        ),
        (vec!["claims", "months"], P::ClaimsImport),
        (vec!["high-cost", "runs"], P::HighCost),
        (vec!["high-cost", "annual-runs"], P::HighCost),
        (
            vec!["high-cost", "annual-decisions", "--run", "999"],
            P::HighCost,
        ),
        (
            vec!["claims", "findings", "--check", "999"],
            P::ClaimsImport,
        ),
        (vec!["vault", "status"], P::VaultAdmin),
        (vec!["vault", "retire-key", "9"], P::VaultAdmin),
        (
            vec![
                "audit",
                "self-inspection",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-30",
                "--html",
                &html,
                "--csv",
                &csv,
            ],
            P::AuditRead,
        ),
        (
            vec!["audit", "disclosure", "--person", "0000000001"],
            P::AuditRead,
        ),
        (vec!["pia", "threshold"], P::AuditRead),
        (vec!["benefits", "queue"], P::BenefitApply),
        (
            vec!["benefits", "simplified-route", "list"],
            P::BenefitApply,
        ),
        (
            vec![
                "benefits",
                "apply",
                "--kind",
                "transport-benefit",
                "--person",
                "0000999999",
                "--on",
                "2026-10-01",
                "--cost",
                "100",
                "--economical",
                "100",
                "--applicant",
                "本人",
            ],
            P::BenefitApply,
        ),
        (
            vec!["benefits", "decide", "999999", "--pay"],
            P::BenefitDecide,
        ),
        (vec!["payments", "run", "list"], P::PaymentRun),
        (
            vec![
                "payments",
                "run",
                "create",
                "--date",
                "2000-01-01",
                "--pay-on",
                "2099-01-01",
            ],
            P::PaymentRun,
        ),
        (
            vec!["payments", "run", "approve", "999999"],
            P::PaymentApprove,
        ),
        (
            vec!["documents", "history", "--person", "0000000001"],
            P::DocumentRead,
        ),
        (vec!["documents", "batches"], P::DocumentRead),
        (
            vec!["specified-disease", "list", "--person", "0000000001"],
            P::EligibilityRead,
        ),
        (
            vec![
                "specified-disease",
                "add",
                "--person",
                "0000000001",
                "--disease",
                "hiv",
                "--certified-on",
                "2026-11-01",
            ],
            P::EligibilityWrite,
        ),
        (
            vec![
                "documents",
                "issue",
                "--kind",
                "eligibility-notice",
                "--person",
                "0000000001",
                "--out",
                &pdf,
            ],
            P::DocumentIssue,
        ),
        (
            vec![
                "documents",
                "mark",
                "999999",
                "--status",
                "lost",
                "--note",
                "紛失届",
            ],
            P::DocumentIssue,
        ),
        (
            vec![
                "documents",
                "batch",
                "--kind",
                "eligibility-certificate",
                "--out",
                &batch_dir,
                "--max",
                "1",
            ],
            P::DocumentBatch,
        ),
        (
            vec![
                "high-cost",
                "other-insurer",
                "add",
                "--person",
                "0000000001",
                "--year",
                "2025",
                "--other-insurer",
                "06130017",
                "--certificate",
                "第1号",
                "--month",
                "2025-08,一般,1000,1000",
            ],
            P::HighCost,
        ),
        (
            vec![
                "high-cost",
                "other-insurer",
                "list",
                "--person",
                "0000000001",
            ],
            P::HighCost,
        ),
        (
            vec!["high-cost", "other-insurer", "void", "--entry", "999999"],
            P::HighCost,
        ),
        (
            vec![
                "benefits",
                "combined-care",
                "certificate",
                "--person",
                "0000000001",
                "--year",
                "2025",
                "--side",
                "care",
                "--issuer",
                "319012",
                "--certificate",
                "第1号",
                "--from",
                "2025-08",
                "--to",
                "2026-07",
                "--amount",
                "1000",
            ],
            P::BenefitApply,
        ),
        (
            vec![
                "benefits",
                "combined-care",
                "calc",
                "--person",
                "0000000001",
                "--year",
                "2025",
            ],
            P::BenefitApply,
        ),
        (
            vec!["benefits", "combined-care", "void", "--entry", "999999"],
            P::BenefitApply,
        ),
        (
            vec![
                "benefits",
                "share-notice",
                "record",
                "--person",
                "0000000001",
                "--kind",
                "combined-care",
                "--year",
                "2025",
                "--issuer",
                "06130017",
                "--reference",
                "第45号",
                "--notified-on",
                "2026-10-15",
                "--base-date",
                "2026-07-31",
                "--amount",
                "1000",
            ],
            P::BenefitApply,
        ),
        (
            vec!["benefits", "share-notice", "list", "--person", "0000000001"],
            P::BenefitApply,
        ),
        (
            vec!["benefits", "share-notice", "void", "--notice", "999999"],
            P::BenefitApply,
        ),
        (vec!["benefits", "funeral-grant", "list"], P::BenefitApply),
        (
            vec![
                "benefits",
                "funeral-grant",
                "set",
                "--from",
                "2005-03-31",
                "--amount",
                "30000",
                "--source",
                "八頭町国民健康保険条例 第8条",
            ],
            P::AccountAdmin,
        ),
        (
            vec!["benefits", "revoke", "999999", "--reason", "誤り"],
            P::BenefitDecide,
        ),
        (
            vec![
                "benefits",
                "recovery",
                "assess",
                "--household",
                "0000000001",
                "--month",
                "2026-09",
                "--due-by",
                "2026-12-25",
            ],
            P::BenefitDecide,
        ),
        (vec!["benefits", "recovery", "list"], P::BenefitApply),
        (
            vec!["benefits", "recovery", "repaid", "999999"],
            P::BenefitApply,
        ),
        (vec!["exchange", "files"], P::Exchange),
        (vec!["exchange", "continuity"], P::Exchange),
        (
            vec![
                "exchange",
                "judge",
                "--household",
                "0000000001",
                "--from-insurer",
                "313023",
                "--continues",
                "yes",
            ],
            P::Exchange,
        ),
        (
            vec![
                "exchange",
                "export",
                "--out",
                &exchange_dir,
                "--transfer-key",
                &transfer_key,
            ],
            P::Exchange,
        ),
        (vec!["exchange", "import", &feed], P::Exchange),
        (vec!["exchange", "due"], P::Exchange),
        (vec!["exchange", "replica-refresh"], P::Exchange),
        (
            vec![
                "exchange",
                "linkage-answer",
                "--item",
                "42",
                "--agency",
                "A-1",
                "--integrated-id",
                "0000000001",
                "--date",
                "2026-10-01",
            ],
            P::Exchange,
        ),
        (
            vec![
                "stats", "monthly", "--month", "2026-10", "--format", "csv", "--out", &stats_csv,
            ],
            P::Statistics,
        ),
        (
            vec![
                "stats",
                "yearly",
                "--fiscal-year",
                "2026",
                "--format",
                "xlsx",
                "--out",
                &stats_xlsx,
            ],
            P::Statistics,
        ),
        (
            vec![
                "stats",
                "charts",
                "--fiscal-year",
                "2026",
                "--out",
                &charts_dir,
            ],
            P::Statistics,
        ),
        (vec!["stats", "closings"], P::Statistics),
        (vec!["retention", "run", "--dry-run"], P::Retention),
        (
            vec!["account", "set", "block_untrained_handlers", "false"],
            P::AccountAdmin,
        ),
        (
            vec![
                "account",
                "training",
                "demo-clerk",
                "--completed-on",
                "2026-10-01",
                "--course",
                "研修",
            ],
            P::AccountAdmin,
        ),
    ];
    let today = kokuho_app::local_date(time::OffsetDateTime::now_utc());
    for (name, role, _) in kokuho_app::access::DEMO_ACCOUNTS {
        // The demo contractor may read the registry for a year from the town's creation.
        let grants = if role == Role::Contractor {
            vec![kokuho_domain::access::Grant {
                permission: P::RegistryRead,
                valid_from: today,
                valid_until: today + time::Duration::days(364),
            }]
        } else {
            vec![]
        };
        for (args, permission) in &commands {
            let mut all = args.clone();
            all.extend([
                "--database",
                db.as_str(),
                "--keyring",
                keys.as_str(),
                "--operator",
                name,
            ]);
            let o = run(&all);
            let err = String::from_utf8_lossy(&o.stderr);
            let refused = err.contains("E-FORBIDDEN");
            let allowed = kokuho_domain::access::allowed(role, &grants, *permission, today);
            assert_eq!(refused, !allowed, "{name} {args:?}: {err}");
            if !allowed {
                assert_eq!(o.status.code(), Some(1));
            }
        }
    }
    // Every refusal above is in the log, and the chain is intact.
    let o = run(&["audit", "verify", "--database", &db, "--keyring", &keys]);
    assert!(o.status.success(), "{}", stdout(&o));
}

fn run_with_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = kokuho()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn calc_burden_reads_json_and_answers_json() {
    // A 擬制世帯主 (not insured, taxed) and a non-taxed insured daughter aged 72
    // whose pension is 800,000: taxed householder → not 低所得; 一般, 2割.
    let input = r#"{"month": "2026-11", "members": [
        {"id": "F", "birth_date": "1950-03-03", "insured": false, "householder": true,
         "income": {"total_income": 3000000, "taxable_income": 1800000, "revenue": 4000000, "resident_tax_exempt": false, "unreported": false}},
        {"id": "D", "birth_date": "1954-08-20", "insured": true, "householder": false,
         "income": {"total_income": 0, "taxable_income": 0, "revenue": 800000, "pension_revenue": 800000, "resident_tax_exempt": true, "unreported": false}}
    ]}"#;
    let o = run_with_stdin(&["calc", "burden"], input);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["category_under_70"], serde_json::Value::Null);
    assert_eq!(v["category_70_74"], "一般");
    assert_eq!(v["members"].as_array().unwrap().len(), 1);
    assert_eq!(v["members"][0]["copay_rate"], "2割");
    // The same household with the father non-taxed too: 低所得Ⅰ needs his income 0 as well → Ⅱ.
    let exempt = input.replacen(
        r#""resident_tax_exempt": false"#,
        r#""resident_tax_exempt": true"#,
        1,
    );
    let o = run_with_stdin(&["calc", "burden"], &exempt);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["category_70_74"], "低所得Ⅱ");
    // Bad input: exit 1 with the reason, nothing on standard output.
    let o = run_with_stdin(&["calc", "burden"], r#"{"month": "2026-11", "members": ["#);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("E-INPUT") && err.contains("line 1"), "{err}");
    let o = run_with_stdin(
        &["calc", "burden"],
        r#"{"month": "2026-11", "members": [{"id": "A", "birth_date": "R6.2.30", "insured": true, "householder": true}]}"#,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("birth_date"));
}

/// 名取市's published FY2025 example (one person aged 40–64, 所得 1,202,000:
/// 107,500 / 41,600 / 36,800, 185,900), through the CLI with inline rates.
#[test]
fn calc_levy_reads_json_and_answers_json() {
    let input = r#"{"fiscal_year": 2025,
        "rates": {"medical": {"income_rate_percent": 7.5, "per_capita": 26600, "per_household": 23000},
                  "elderly_support": {"income_rate_percent": 3.0, "per_capita": 10500, "per_household": 8000},
                  "care": {"income_rate_percent": 2.5, "per_capita": 10500, "per_household": 7000}},
        "members": [{"id": "A", "birth_date": "1975-06-06", "insured": true, "householder": true,
                     "income": {"total_income": 1202000}}]}"#;
    let o = run_with_stdin(&["calc", "levy"], input);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["components"]["medical"]["amount"], 107_500);
    assert_eq!(v["components"]["elderly_support"]["amount"], 41_600);
    assert_eq!(v["components"]["care"]["amount"], 36_800);
    assert_eq!(v["total"], 185_900);
    assert_eq!(v["reduction"], serde_json::Value::Null);
    // Bad input: exit 1 with the reason, nothing on standard output.
    let o = run_with_stdin(
        &["calc", "levy"],
        r#"{"fiscal_year": 2025, "members": [{"id": "A", "birth_date": "1980-01-01", "insured": true}]}"#,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("householder"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The ministry's example (区分ウ, 医療費 1,000,000 yen, 窓口 300,000 yen:
/// 限度額 87,430, 高額療養費 212,570) through the CLI, with a pharmacy claim
/// joined to its prescriber below the 21,000 floor.
#[test]
fn calc_high_cost_reads_json_and_answers_json() {
    let input = r#"{"month": "2026-07", "category_under_70": "ウ",
        "members": [{"id": "A", "birth_date": "1980-05-10"}],
        "claims": [
            {"member": "A", "provider": "P1", "setting": "inpatient", "total_cost": 1000000, "copay": 300000},
            {"member": "A", "provider": "Q1", "setting": "pharmacy", "prescriber": "P2", "total_cost": 30000, "copay": 9000},
            {"member": "A", "provider": "P2", "setting": "outpatient", "total_cost": 30000, "copay": 9000}
        ]}"#;
    let o = run_with_stdin(&["calc", "high-cost"], input);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["benefit"], 212_570);
    assert_eq!(v["counts_as_high_cost_month"], true);
    assert_eq!(v["units"].as_array().unwrap().len(), 2);
    assert_eq!(v["units"][1]["copay"], 18_000);
    assert_eq!(v["units"][1]["aggregated"], false);
    // Bad input: exit 1 with the reason, nothing on standard output.
    let o = run_with_stdin(&["calc", "high-cost"], &input.replace("ウ", "カ"));
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("category_under_70"));
}

#[test]
fn burden_months_are_checked_before_anything_is_opened() {
    for args in [
        vec![
            "burden",
            "recompute",
            "--from",
            "2026-13",
            "--to",
            "2026-11",
        ],
        vec![
            "burden",
            "apply",
            "--household",
            "0000000001",
            "--from",
            "R8.10",
        ],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("E-INPUT") && err.contains("YYYY-MM"), "{err}");
    }
}

#[test]
fn claims_are_imported_once_and_checked_with_a_csv_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let keys = dir.path().join("vault.keys");
    let keys = keys.to_str().unwrap();
    let base = ["--database", db.as_str(), "--keyring", keys];
    let with = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(base);
        run(&all)
    };
    let o = with(&["generate", "--residents", "600"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let uke = dir.path().join("2026-10.uke");
    let uke = uke.to_str().unwrap();
    let o = with(&["claims", "sample", "--month", "2026-09", "--out", uke]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = with(&["claims", "import", uke]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert!(out.contains("claims") && out.contains("2026-10: "), "{out}");
    let o = with(&["claims", "import", uke]);
    assert!(stdout(&o).contains("imported before"), "{}", stdout(&o));
    // A file that is not a claim file: exit 1 naming line, record and field.
    let bad = dir.path().join("bad.uke");
    std::fs::write(
        &bad,
        b"IR,2,31,1,1234567,,x,202610,00,0\r\nRE,1,9999\r\nGO,1,0,00\r\n",
    )
    .unwrap();
    let o = with(&["claims", "import", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.uke line 2, field RE.claim_kind"), "{err}");
    let csv = dir.path().join("check.csv");
    let o = with(&[
        "claims",
        "check",
        "--month",
        "2026-10",
        "--csv",
        csv.to_str().unwrap(),
        "--encoding",
        "cp932",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The town has no burden categories judged (no income imported): the
    // 70–74 members' rates are to be confirmed, the rest is right.
    let out = stdout(&o);
    assert!(out.starts_with("check 1: "), "{out}");
    assert!(out.contains("0 to return, 0 to adjust"), "{out}");
    let bytes = std::fs::read(&csv).unwrap();
    let text = kokuho_formats::text::decode(&bytes, kokuho_formats::text::Encoding::Cp932).unwrap();
    assert!(text.starts_with("処理年月,"), "{text}");
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.contains(",要確認,負担割合未確認")),
        "{text}"
    );
    let o = with(&["claims", "months"]);
    let out = stdout(&o);
    assert!(out.starts_with("2026-10\t"), "{out}");
    assert!(out.contains("  check 1\t"), "{out}");
    let o = with(&["claims", "findings", "--check", "1"]);
    assert!(stdout(&o).starts_with("処理年月,"), "{}", stdout(&o));
    let o = with(&["claims", "findings", "--check", "7"]);
    assert_eq!(o.status.code(), Some(1));
}

fn pdfs_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".pdf") && !n.starts_with("batch-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_batch_killed_halfway_resumes_and_prints_nobody_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("town.db");
    let db = format!("sqlite://{}", db_path.display());
    let keys = dir.path().join("vault.keys");
    let keys = keys.to_str().unwrap();
    // The whole demo town (16,000 residents, its default seed).
    let o = run(&["generate", "--database", &db, "--keyring", keys]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("renewal");
    let batch = |c: &mut Command| {
        c.args([
            "documents",
            "batch",
            "--kind",
            "eligibility-certificate",
            "--out",
        ])
        .arg(&out)
        .args(["--database", &db, "--keyring", keys]);
    };
    // Killed (SIGKILL: no clean-up of any kind) halfway: the first progress
    // line says how many are planned.
    let mut first = kokuho();
    batch(&mut first);
    let mut child = first
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut progress = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    progress.read_line(&mut line).unwrap();
    let planned_then: usize = line
        .trim()
        .split_once('/')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or_else(|| panic!("a progress line: {line}"));
    // keep the pipe drained so the batch never waits on it
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = progress.read_to_string(&mut rest);
    });
    let started = std::time::Instant::now();
    loop {
        if pdfs_in(&out).len() >= planned_then / 2 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the batch ended before it could be killed"
        );
        assert!(
            started.elapsed().as_secs() < 600,
            "the batch did not reach halfway"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut printed = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut printed)
        .unwrap();
    assert!(!printed.contains("finished:"), "{printed}");
    let before = pdfs_in(&out).len();

    // The same command again resumes and finishes.
    let mut again = kokuho();
    batch(&mut again);
    let o = again.output().unwrap();
    let text = stdout(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("batch 1 resumed"), "{text}");
    assert!(text.contains("finished:"), "{text}");
    let files = pdfs_in(&out);
    assert!(files.len() > before);

    // Exactly once each, in the database and on disk.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (issues, per_person_max, open_items, planned) = runtime.block_on(async {
        let db = kokuho_store::connect(&db).await.unwrap();
        kokuho_store::with_db!(&db, |p| {
            let issues: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM document_issue WHERE batch_id = 1")
                    .fetch_one(p)
                    .await
                    .unwrap();
            let max: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM document_issue \
                 WHERE batch_id = 1 GROUP BY addressee_id) t",
            )
            .fetch_one(p)
            .await
            .unwrap();
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM document_batch_item WHERE batch_id = 1 \
                 AND issue_id IS NULL AND skipped_reason IS NULL",
            )
            .fetch_one(p)
            .await
            .unwrap();
            let planned: i64 =
                sqlx::query_scalar("SELECT planned FROM document_batch WHERE batch_id = 1")
                    .fetch_one(p)
                    .await
                    .unwrap();
            (issues, max, open, planned)
        })
    });
    assert_eq!(per_person_max, 1, "nobody issued twice");
    assert_eq!(open_items, 0, "everyone planned issued or listed");
    assert_eq!(planned as usize, planned_then);
    assert!(
        before >= planned_then / 2 && before < planned_then,
        "killed halfway"
    );
    // Everyone insured today was planned: the as-of export's rows.
    let today = kokuho_app::local_date(time::OffsetDateTime::now_utc()).to_string();
    let o = run(&[
        "eligibility",
        "as-of",
        "--date",
        &today,
        "--reason",
        "点検",
        "--database",
        &db,
        "--keyring",
        keys,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let insured = stdout(&o).trim().lines().count() - 1;
    assert_eq!(planned as usize, insured, "every insured person planned");
    assert_eq!(files.len() as i64, issues, "one file per issue");
    let mut people: Vec<&str> = files.iter().map(|f| &f[7..17]).collect();
    people.sort();
    people.dedup();
    assert_eq!(people.len(), files.len(), "one file per person");
    assert!(out.join("batch-1-combined.pdf").is_file());
    assert!(!pdfs_in(&out).iter().any(|f| f.ends_with(".part")));
}

/// The federation extract as the operator runs it: full, then what changed;
/// the file with My Numbers sealed, the others free of them; a town's own
/// file refused as an import; every file in the record.
#[test]
fn the_federation_extract_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let keys = dir.path().join("vault.keys").display().to_string();
    let tk = dir.path().join("transfer.key").display().to_string();
    let base = ["--database", db.as_str(), "--keyring", keys.as_str()];
    let with = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(base);
        run(&all)
    };
    assert!(with(&["generate", "--residents", "300"]).status.success());
    assert!(
        run(&["exchange", "init-transfer-key", &tk])
            .status
            .success()
    );
    assert!(
        !run(&["exchange", "init-transfer-key", &tk])
            .status
            .success(),
        "never overwritten"
    );
    let out1 = dir.path().join("out1").display().to_string();
    let o = with(&[
        "exchange",
        "export",
        "--full",
        "--out",
        &out1,
        "--transfer-key",
        &tk,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    assert!(text.starts_with("full extract"), "{text}");
    let mut names: Vec<String> = std::fs::read_dir(&out1)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        names[0].starts_with("KS01_319012_") && names[1].ends_with(".dat.sealed"),
        "{names:?}"
    );
    for n in &names {
        let bytes = std::fs::read(Path::new(&out1).join(n)).unwrap();
        assert_eq!(count_my_numbers(&bytes), 0, "{n} holds no number in clear");
    }
    // The insured persons are all in it: the person file's count.
    assert!(text.contains("資格情報（個人）ファイル"), "{text}");

    // The key rotated: a new one seals from now on, and the earlier one
    // stays in the file to open what it sealed (mode 0600 kept).
    let sealed_before = std::fs::read(Path::new(&out1).join(&names[1])).unwrap();
    let inner = names[1].strip_suffix(".sealed").unwrap().to_string();
    let o = run(&["exchange", "rotate-transfer-key", &tk]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rotated = kokuho_vault::TransferKey::load(Path::new(&tk)).unwrap();
    assert_eq!(rotated.previous_keys(), 1);
    assert!(rotated.open(&sealed_before, &inner).is_ok());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&tk).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // After the last send, a differential starts two hours before its
    // moment (what a transaction committed late stamped goes again): the
    // town, just made, goes again whole. From a moment after everything
    // was recorded, the differential's files are empty.
    let out2 = dir.path().join("out2").display().to_string();
    let o = with(&["exchange", "export", "--out", &out2, "--transfer-key", &tk]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    assert!(text.starts_with("differential extract"), "{text}");
    assert_eq!(text.matches(" 0 records").count(), 2, "{text}");
    let after = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let out3 = dir.path().join("out3").display().to_string();
    let o = with(&[
        "exchange",
        "export",
        "--out",
        &out3,
        "--transfer-key",
        &tk,
        "--since",
        &after,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    assert!(text.starts_with("differential extract"), "{text}");
    assert_eq!(text.matches(" 0 records").count(), 4, "{text}");

    // The town's own file is not something it takes in.
    let own = Path::new(&out1).join(&names[0]).display().to_string();
    let o = with(&["exchange", "import", &own]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("E-"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Twelve files sent, in the record with their hashes.
    let o = with(&["exchange", "files"]);
    assert!(o.status.success());
    let listing = stdout(&o);
    assert_eq!(
        listing.lines().filter(|l| l.contains("\tsent\t")).count(),
        12,
        "{listing}"
    );
    assert_eq!(
        listing
            .lines()
            .skip(1)
            .filter(|l| l.contains("\tsealed\t"))
            .count(),
        3,
        "{listing}"
    );

    // The eligibility history for online eligibility: one sealed file.
    let out3 = dir.path().join("out4").display().to_string();
    let o = with(&[
        "exchange",
        "export",
        "--to",
        "intermediate",
        "--out",
        &out3,
        "--transfer-key",
        &tk,
        "--affair",
        "online_eligibility",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let names: Vec<String> = std::fs::read_dir(&out3)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.len() == 1 && names[0].starts_with("IS01_319012_") && names[0].ends_with(".sealed"),
        "{names:?}"
    );
    let o = with(&[
        "exchange",
        "due",
        "--from",
        "2000-01-01",
        "--affair",
        "online_eligibility",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let listed = stdout(&o);
    // The generated history's changes were accepted long before this first
    // send: late; none is left unsent.
    assert!(listed.lines().count() > 5, "{listed}");
    assert!(
        listed
            .lines()
            .skip(1)
            .all(|l| l.ends_with("期限後に送信") || l.ends_with("期限内に送信")),
        "{listed}"
    );
    assert!(listed.contains("期限後に送信"), "{listed}");
    let o = with(&["exchange", "due", "--from", "2000-01-01", "--open"]);
    assert_eq!(stdout(&o).lines().count(), 1, "nothing open");
    // A purpose outside the lawful affairs is refused.
    let o = with(&["exchange", "due", "--affair", "marketing"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("E-FORBIDDEN"));
}

#[test]
fn stats_writes_the_report_in_every_format_and_the_charts() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let keys = dir.path().join("vault.keys").display().to_string();
    assert!(
        run(&[
            "generate",
            "--database",
            &db,
            "--keyring",
            &keys,
            "--residents",
            "500"
        ])
        .status
        .success()
    );
    let base = [
        "--database",
        db.as_str(),
        "--keyring",
        keys.as_str(),
        "--operator",
        "demo-supervisor",
    ];
    for (format, magic) in [
        ("csv", &b"\xe5\xa0\xb1"[..]),
        ("csv-cp932", &b"\x95\xf1"[..]),
        ("xlsx", &b"PK"[..]),
        ("pdf", &b"%PDF"[..]),
        ("json", &b"{"[..]),
    ] {
        let out = dir.path().join(format!("r.{format}"));
        let mut args = vec!["stats", "monthly", "--month", "2026-10", "--format", format];
        let out_s = out.display().to_string();
        args.extend(["--out", out_s.as_str()]);
        args.extend(base);
        let o = run(&args);
        assert!(
            o.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = stdout(&o);
        assert!(
            text.contains("事業月報") && text.contains("INCOMPLETE"),
            "{text}"
        );
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.starts_with(magic), "{format}");
    }
    let csv = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
    assert!(csv.starts_with("報告,期間,基準日時,表,表題,項目,欄,単位,値\r\n"));
    assert!(csv.contains(",A1,被保険者数等（月末現在）,被保険者数,月末現在,件・人・世帯,"));
    // a bad format and a bad month are refused, nothing written
    let bad = dir.path().join("bad.txt").display().to_string();
    let mut args = vec![
        "stats", "monthly", "--month", "2026-10", "--format", "doc", "--out", &bad,
    ];
    args.extend(base);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("format"));
    let mut args = vec!["stats", "monthly", "--month", "2026-13", "--out", &bad];
    args.extend(base);
    assert_eq!(run(&args).status.code(), Some(1));
    assert!(!std::path::Path::new(&bad).exists());
    // the charts: an SVG and its table for each
    let charts = dir.path().join("charts").display().to_string();
    let mut args = vec!["stats", "charts", "--fiscal-year", "2026", "--out", &charts];
    args.extend(base);
    assert!(run(&args).status.success());
    for key in [
        "insured",
        "cost_per_insured",
        "high_cost",
        "levy",
        "age_pyramid",
    ] {
        let svg =
            std::fs::read_to_string(dir.path().join("charts").join(format!("{key}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{key}");
        assert!(
            dir.path()
                .join("charts")
                .join(format!("{key}.csv"))
                .exists()
        );
    }
    // closing, then the changes since (none)
    let mut args = vec!["stats", "close", "--month", "2026-10", "--allow-incomplete"];
    args.extend(base);
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("closed; figures sha256"));
    let mut args = vec!["stats", "changes", "--month", "2026-10"];
    args.extend(base);
    assert!(stdout(&run(&args)).contains("no figure changed since the closing"));
}
