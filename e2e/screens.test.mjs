// End-to-end tests of the staff screens, in a real headless Chromium
// (Debian's package; playwright-core drives it and downloads nothing).
// Needs the built binary: KOKUHO_BIN (default ../target/debug/kokuho).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.KOKUHO_BIN || join(here, "..", "target", "debug", "kokuho");
const shots = join(here, "..", "target", "e2e-screenshots");
mkdirSync(shots, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), "kokuho-e2e-"));
const db = ["--database", `sqlite://${dataDir}/kokuho.db`, "--keyring", join(dataDir, "vault.keys")];
let server;
let base;
let browser;

before(async () => {
  server = spawn(bin, ["demo", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--residents", "3000"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  base = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/listening on\s+(http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) resolve(m[1]);
    });
    server.on("exit", (code) => reject(new Error(`kokuho demo exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`no listening line: ${out}`)), 120_000).unref();
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

function code(account) {
  return execFileSync(bin, ["account", "demo-code", account, ...db]).toString().trim();
}

// A TOTP code is accepted once, so each account signs in once and its
// context (cookies) is reused by later tests.
const contexts = new Map();

async function signIn(account) {
  if (contexts.has(account)) {
    const page = await contexts.get(account).newPage();
    await page.goto(`${base}/ui`);
    return page;
  }
  const context = await browser.newContext({ locale: "ja-JP" });
  const page = await context.newPage();
  await page.goto(`${base}/ui`);
  assert.match(page.url(), /\/ui\/signin$/, "unsigned visitors are sent to sign in");
  await page.fill("#account", account);
  await page.fill("#password", "Yazu-Demo-2026!");
  await page.fill("#code", code(account));
  await page.click("#signin");
  await page.waitForURL(`${base}/ui`);
  contexts.set(account, context);
  return page;
}

test("a clerk signs in with TOTP, finds a person by half-width kana and opens them", async () => {
  const page = await signIn("demo-clerk");
  assert.match(await page.textContent("#who"), /demo-clerk（資格担当）/);
  assert.match(await page.textContent("#purpose"), /目的/);
  await page.screenshot({ path: join(shots, "search.png"), fullPage: true });
  await page.fill("#kana", "ﾀ");
  await page.click("#search");
  const count = Number(await page.textContent("#result-count"));
  assert.ok(count > 0, "half-width kana finds people");
  assert.match(await page.textContent("table.results tbody tr"), /(昭和|平成|令和|大正)\d+年/, "birth dates in 和暦");
  await page.screenshot({ path: join(shots, "results.png"), fullPage: true });
  await page.click("table.results tbody tr button.open");
  await page.waitForSelector("#person-name");
  assert.equal(new URL(page.url()).pathname, "/ui/person", "no personal data in the URL");
  assert.doesNotMatch(await page.title(), /[一-龠ぁ-んァ-ヶ]{2,}　/, "no name in the title");
  assert.match(await page.textContent("#birth"), /年\d+月\d+日/);
  assert.ok(await page.isVisible("#members"), "the household is shown");
  await page.screenshot({ path: join(shots, "person.png"), fullPage: true });
  // The clerk sees no access history; the auditor does (below).
  assert.equal(await page.$("#accesses"), null);
});

test("an auditor sees that the clerk's look-ups were recorded; security headers are set", async () => {
  const page = await signIn("demo-auditor");
  await page.fill("#kana", "ﾀ");
  await page.click("#search");
  await page.click("table.results tbody tr button.open");
  await page.waitForSelector("#accesses");
  const log = await page.textContent("#accesses");
  assert.match(log, /demo-clerk/, "the clerk's access is in the person's access history");
  assert.match(log, /person_view/);
  await page.screenshot({ path: join(shots, "person-auditor.png"), fullPage: true });
  const res = await page.request.get(`${base}/ui`);
  const h = res.headers();
  assert.match(h["content-security-policy"], /frame-ancestors 'none'/);
  assert.equal(h["x-content-type-options"], "nosniff");
  assert.equal(h["cache-control"], "no-store");
});

test("a clerk registers a 社保離脱 acquisition and sees the legal date; the auditor sees the record", async () => {
  const page = await signIn("demo-clerk");
  // A new resident, registered through the API with the same session.
  const csrf = await page.inputValue("input[name=csrf]");
  const created = await page.request.post(`${base}/api/v1/persons`, {
    headers: { "x-csrf-token": csrf },
    data: { name: "江藤　試験", name_kana: "エトウ　シケン", birth_date: "昭和55年5月5日", sex: "1",
      postal_code: "680-0461", address: "鳥取県八頭郡八頭町郡家1番地", registered_on: "2020-01-01",
      my_number: "271828182840" },
  });
  assert.equal(created.status(), 201);
  await page.fill("#kana", "えとう　しけん");
  await page.click("#search");
  await page.click("table.results tbody tr button.open");
  await page.waitForSelector("#change-form");
  await page.selectOption("#kind", "acquisition");
  await page.selectOption("#reason", "left_employee_insurance");
  await page.fill("#event_date", "R8.4.1");
  await page.fill("#notified_on", "2026-04-03");
  await page.click("#preview");
  assert.match(await page.textContent("#effective-date"), /令和8年4月1日/, "the date the law gives");
  assert.match(await page.textContent("main"), /遡及/, "a retroactive change asks for confirmation");
  await page.screenshot({ path: join(shots, "change-preview.png"), fullPage: true });
  await page.click("#register");
  assert.equal(await page.$("#result"), null, "not registered without the confirmation");
  await page.check("#confirmed");
  await page.click("#register");
  assert.match(await page.textContent("#result"), /期間\d+/);
  await page.screenshot({ path: join(shots, "change-done.png"), fullPage: true });
  // Found again by 被保険者記号・番号 and by 個人番号 (with a reason; the number is not echoed).
  const again = await signIn("demo-clerk");
  await again.fill("#kana", "ｴﾄｳ ｼｹﾝ");
  await again.click("#search");
  await again.click("table.results tbody tr button.open");
  const numbers = (await again.textContent("#main")).match(/被保険者記号・番号: (\S+)・(\d+)/);
  assert.ok(numbers, "the household got its numbers");
  await again.goto(`${base}/ui`);
  await again.fill("#insured_symbol", numbers[1]);
  await again.fill("#insured_number", numbers[2]);
  await again.click("#search");
  assert.match(await again.textContent("table.results"), /江藤/);
  await again.fill("#insured_symbol", "");
  await again.fill("#insured_number", "");
  await again.fill("#my_number", "271828182840");
  await again.fill("#my_number_reason", "窓口での本人確認");
  await again.click("#search");
  assert.match(await again.textContent("table.results"), /江藤/);
  assert.doesNotMatch(await again.content(), /271828182840/, "the number is not shown back");
  const auditor = await signIn("demo-auditor");
  await auditor.fill("#kana", "ｴﾄｳ");
  await auditor.click("#search");
  await auditor.click("table.results tbody tr button.open");
  await auditor.waitForSelector("#accesses");
  assert.match(await auditor.textContent("#accesses"), /eligibility_acquire/);
  assert.match(await auditor.textContent("#periods"), /令和8年4月1日/);
});

test("a clerk imports a resident-registry file on the jobs page, watches its progress reach 100% and confirms a proposal", async () => {
  const page = await signIn("demo-clerk");
  await page.click("#nav-jobs");
  await page.waitForSelector("#import-form");
  await page.setInputFiles("#file", join(dataDir, "registry-feed-sample.csv"));
  await page.click("#start-import");
  await page.waitForURL(/\/ui\/jobs\/\d+$/);
  // The bar is updated by the page's script, without a reload.
  const url = page.url();
  await page.waitForFunction(() => document.getElementById("job-progress").value === 100, null, { timeout: 60_000 });
  await page.waitForFunction(() => document.getElementById("job-status").textContent === "正常終了");
  assert.equal(page.url(), url, "no reload or navigation");
  assert.match(await page.textContent("#job-summary"), /異動7件、異動候補5件/);
  assert.equal(await page.isHidden("#job-report"), true, "no error report for a good file");
  await page.screenshot({ path: join(shots, "job.png"), fullPage: true });

  // A file with a bad line: the job fails, nothing changes, the report names the line.
  const bad = join(dataDir, "broken-feed.csv");
  const lines = readFileSync(join(dataDir, "registry-feed-sample.csv"), "utf8").split("\r\n");
  lines[2] = lines[2].replace(",2026-", ",2026-13-");
  writeFileSync(bad, lines.join("\r\n"));
  await page.click("#nav-jobs");
  await page.setInputFiles("#file", bad);
  await page.click("#start-import");
  await page.waitForFunction(() => document.getElementById("job-status").textContent.startsWith("エラー"), null, { timeout: 60_000 });
  assert.equal(await page.isVisible("#job-errors"), true, "the error report can be downloaded");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#job-errors")]);
  const report = readFileSync(await download.path(), "utf8");
  assert.match(report, /"broken-feed.csv",3,/);
  await page.click("#nav-jobs");
  await page.waitForSelector("#jobs");
  assert.equal((await page.$$("tr.job.failed")).length, 1);
  await page.screenshot({ path: join(shots, "jobs.png"), fullPage: true });

  await page.click("#nav-proposals");
  await page.waitForSelector("#proposals");
  const pending = await page.$$("tr.proposal.pending");
  assert.ok(pending.length >= 1, "the work list shows the proposals");
  await page.screenshot({ path: join(shots, "proposals.png"), fullPage: true });
  await page.click("tr.proposal.pending button.confirm");
  assert.match(await page.textContent("#proposal-message"), /確定しました/);
  assert.equal((await page.$$("tr.proposal.confirmed")).length, 1);
});

test("the auditor verifies the log, searches it and makes the self-inspection; a clerk cannot", async () => {
  const auditor = await signIn("demo-auditor");
  await auditor.click("#nav-audit");
  await auditor.waitForSelector("#verify-result");
  assert.match(await auditor.textContent("#verify-result"), /改ざんは検出されませんでした/);
  await auditor.fill("#account", "demo-clerk");
  await auditor.click("#log-search");
  assert.ok(Number(await auditor.textContent("#log-count")) > 0, "the clerk's accesses are found");
  const log = await auditor.textContent("#log");
  for (const action of ["person_search", "person_view", "eligibility_acquire", "registry_import", "job_error_report", "proposal_confirm"]) {
    assert.match(log, new RegExp(action), `${action} was recorded`);
  }
  await auditor.screenshot({ path: join(shots, "audit.png"), fullPage: true });
  await auditor.click("#inspection");
  assert.match(await auditor.textContent("h1"), /自己点検報告書/);
  const clerk = await signIn("demo-clerk");
  assert.equal(await clerk.$("#nav-audit"), null, "no audit link for a clerk");
  const res = await clerk.goto(`${base}/ui/audit`);
  assert.equal(res.status(), 403);
  assert.match(await clerk.textContent("#forbidden"), /権限がありません/);
});

test("a wrong code is refused with a message next to the form", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/ui/signin`);
  await page.fill("#account", "demo-levy");
  await page.fill("#password", "Yazu-Demo-2026!");
  await page.fill("#code", "000000");
  await page.click("#signin");
  assert.match(await page.textContent("#signin-error"), /正しくない/);
});

test("an error stands next to its field, which gets the focus; the session's time left counts down", async () => {
  const page = await signIn("demo-clerk");
  const first = await page.textContent("#session-left");
  assert.match(first, /^\d+:\d\d$/, "the countdown runs");
  await page.fill("#birth_date", "令和99年13月1日");
  await page.click("#search");
  await page.waitForSelector("#birth_date-error");
  assert.equal(await page.getAttribute("#birth_date", "aria-invalid"), "true");
  assert.equal(await page.evaluate(() => document.activeElement.id), "birth_date");
  assert.equal(await page.$("#search-error"), null, "not above the form");
  await page.waitForTimeout(1100);
  assert.notEqual(await page.textContent("#session-left"), "", "still counting");
  await page.screenshot({ path: join(shots, "field-error.png"), fullPage: true });
});

test("a clerk opens a household's burden history from the person page and records a 基準収入額適用 application", async () => {
  // Someone insured today in a household of two or more, from the as-of export.
  const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Tokyo" });
  const csv = execFileSync(bin, ["eligibility", "as-of", "--date", today, "--reason", "e2e", ...db], {
    env: { ...process.env, KOKUHO_OPERATOR: "demo-clerk" },
  }).toString().replace(/^\uFEFF/, "");
  const rows = csv.trim().split(/\r?\n/).slice(1).map((l) => l.split(","));
  const size = new Map();
  for (const r of rows) size.set(r[13], (size.get(r[13]) || 0) + 1);
  const person = rows.find((r) => size.get(r[13]) >= 2);
  assert.ok(person, "a household of two or more insured");
  const page = await signIn("demo-clerk");
  await page.fill("#addressee_id", person[4]);
  await page.click("#search");
  await page.click("table.results tbody tr button.open");
  await page.waitForSelector("#burden");
  await page.click("#burden-history");
  await page.waitForSelector("#versions");
  assert.equal(new URL(page.url()).pathname, "/ui/burden", "no household number in the URL");
  assert.match(await page.textContent("#versions"), /所得情報の取込/, "why each version was recorded");
  assert.match(await page.textContent("#versions"), /現在有効/);
  assert.match(await page.textContent("#versions"), /[23]割/, "copay rates by name");
  assert.match(await page.textContent("#applications"), /申請の記録はありません/);
  await page.screenshot({ path: join(shots, "burden.png"), fullPage: true });
  const month = today.slice(0, 7);
  await page.fill("#from_month", month);
  await page.click("#apply");
  await page.waitForSelector("#burden-notice");
  assert.match(await page.textContent("#burden-notice"), /基準収入額適用の申請を令和\d+年\d+月から記録しました/);
  assert.match(await page.textContent("#applications"), /から適用（.*demo-clerk）/);
  await page.screenshot({ path: join(shots, "burden-applied.png"), fullPage: true });
});

test("a clerk prints a 資格確認書 from the person page, and finds it in the person's issuance history", async () => {
  const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Tokyo" });
  const csv = execFileSync(bin, ["eligibility", "as-of", "--date", today, "--reason", "e2e", ...db], {
    env: { ...process.env, KOKUHO_OPERATOR: "demo-clerk" },
  }).toString().replace(/^\uFEFF/, "");
  const rows = csv.trim().split(/\r?\n/).slice(1).map((l) => l.split(","));
  // columns: insurer, symbol, number, 枝番, 宛名番号, name, kana, birth date, …
  const person = rows.find((r) => r[2] !== "" && r[7] > "1960" && r[7] < "2000");
  assert.ok(person, "someone under 70 insured today with an insured number");
  const page = await signIn("demo-clerk");
  await page.fill("#addressee_id", person[4]);
  await page.click("#search");
  await page.click("table.results tbody tr button.open");
  await page.waitForSelector("#person-issue-document");
  await page.selectOption("#person-doc-kind", "eligibility-certificate");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("#person-issue-document"),
  ]);
  assert.match(download.suggestedFilename(), /^eligibility-certificate-EC\d{4}-\d{7}\.pdf$/);
  const file = join(shots, "eligibility-certificate.pdf");
  await download.saveAs(file);
  assert.equal(readFileSync(file).subarray(0, 5).toString(), "%PDF-");
  const text = execFileSync("pdftotext", ["-layout", file, "-"]).toString().replace(/\s+/g, "");
  assert.match(text, /国民健康保険資格確認書/);
  assert.ok(text.includes(person[2]), "the insured number is printed");
  assert.match(text, /交付年月日令和\d+年\d+月\d+日/);
  execFileSync("pdftoppm", ["-png", "-r", "150", "-singlefile", file, join(shots, "eligibility-certificate")]);
  await page.click("#document-history-page");
  await page.waitForSelector("#documents");
  assert.equal(new URL(page.url()).pathname, "/ui/documents/history", "no personal data in the URL");
  assert.match(await page.textContent("#documents"), /資格確認書.*交付済/s);
  await page.screenshot({ path: join(shots, "documents.png"), fullPage: true });
});

test("the levy clerk reads a household's NHI tax line by line and runs the annual assessment again from the jobs page", async () => {
  const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Tokyo" });
  const csv = execFileSync(bin, ["eligibility", "as-of", "--date", today, "--reason", "e2e", ...db], {
    env: { ...process.env, KOKUHO_OPERATOR: "demo-clerk" },
  }).toString().replace(/^\uFEFF/, "");
  const rows = csv.trim().split(/\r?\n/).slice(1).map((l) => l.split(","));
  const size = new Map();
  for (const r of rows) size.set(r[13], (size.get(r[13]) || 0) + 1);
  const person = rows.find((r) => size.get(r[13]) >= 2);
  const page = await signIn("demo-levy");
  await page.fill("#addressee_id", person[4]);
  await page.click("#search");
  await page.click("table.results tbody tr button.open");
  await page.click("#levy-page");
  await page.waitForSelector("#levy-total");
  assert.equal(new URL(page.url()).pathname, "/ui/levy", "no household number in the URL");
  assert.match(await page.textContent("#levy-total"), /^[\d,]+円$/);
  assert.match(await page.textContent("#explanation"), /軽減判定/, "the reduction test explained");
  assert.match(await page.textContent("#explanation"), /医療分.*所得割/, "each component's arithmetic");
  assert.match(await page.textContent("#installments"), /第1期[\s\S]*第8期/, "the schedule");
  assert.match(await page.textContent("#versions"), /本算定/);
  assert.match(await page.textContent("#levy-provisional"), /仮の値/, "stand-in rates are flagged");
  await page.screenshot({ path: join(shots, "levy.png"), fullPage: true });
  const fy = (await page.textContent("#h-current")).match(/(\d{4})年度/)[1];

  await page.goto(`${base}/ui/jobs`);
  await page.fill("#fiscal_year", fy);
  await page.fill("#levy_on", `${fy}-06-15`);
  await page.click("#start-levy");
  await page.waitForURL(/\/ui\/jobs\/\d+$/);
  await page.waitForFunction(() => /正常終了|エラー|中断/.test(document.querySelector("#job-status").textContent), null, { timeout: 120_000 });
  assert.equal(await page.textContent("#job-status"), "正常終了");
  assert.match(await page.textContent("#job-summary"), new RegExp(`${fy}年度：\\d+世帯を計算、0世帯を調定`), "nothing changed: nothing booked");
  await page.screenshot({ path: join(shots, "levy-job.png"), fullPage: true });
});

test("the benefits clerk imports the month's claims, runs the eligibility check and reads the list", async () => {
  // Last month's claims as the federation sends them, one with numbers no one holds.
  const now = new Date(new Date().toLocaleString("en-US", { timeZone: "Asia/Tokyo" }));
  const prev = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  const month = `${prev.getFullYear()}-${String(prev.getMonth() + 1).padStart(2, "0")}`;
  const file = join(dataDir, "claims.uke");
  execFileSync(bin, ["claims", "sample", "--month", month, "--out", file, ...db], {
    env: { ...process.env, KOKUHO_OPERATOR: "demo-benefits" },
  });
  // Byte-level edit (CP932 never has a comma as a trail byte): the first
  // HO's 番号 (field 3) and SN's (field 5).
  let bytes = readFileSync(file);
  for (const [id, at] of [["HO", 3], ["SN", 5]]) {
    const start = bytes.indexOf(Buffer.from(`\r\n${id},`)) + 2;
    const end = bytes.indexOf(Buffer.from("\r\n"), start);
    const fields = [];
    let from = start;
    for (let i = start; i <= end; i++) {
      if (i === end || bytes[i] === 0x2c) { fields.push(bytes.subarray(from, i)); from = i + 1; }
    }
    fields[at] = Buffer.from("99999999");
    const line = Buffer.concat(fields.flatMap((f, i) => (i ? [Buffer.from(","), f] : [f])));
    bytes = Buffer.concat([bytes.subarray(0, start), line, bytes.subarray(end)]);
  }
  writeFileSync(file, bytes);

  const page = await signIn("demo-benefits");
  await page.click("#nav-jobs");
  await page.setInputFiles("#claims-file", file);
  await page.click("#start-claims-import");
  await page.waitForURL(/\/ui\/jobs\/\d+$/);
  await page.waitForFunction(() => /正常終了|エラー|中断/.test(document.querySelector("#job-status").textContent), null, { timeout: 120_000 });
  assert.equal(await page.textContent("#job-status"), "正常終了");
  assert.match(await page.textContent("#job-summary"), /レセプト\d+件/);

  await page.click("#nav-jobs");
  await page.click("#start-claims-check");
  await page.waitForURL(/\/ui\/jobs\/\d+$/);
  await page.waitForFunction(() => /正常終了|エラー|中断/.test(document.querySelector("#job-status").textContent), null, { timeout: 120_000 });
  assert.equal(await page.textContent("#job-status"), "正常終了");
  assert.match(await page.textContent("#job-summary"), /資格点検\d+：レセプト\d+件のうち\d+件（返戻[1-9]/);

  await page.click("#nav-claims");
  await page.click("a.check-link");
  await page.waitForSelector("#findings");
  assert.match(await page.textContent("#check-summary"), /返戻 [1-9]/);
  assert.match(await page.textContent("#findings"), /該当者なし[\s\S]*99999999/);
  await page.screenshot({ path: join(shots, "claims-check.png"), fullPage: true });
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv-utf8")]);
  assert.match(readFileSync(await download.path(), "utf8"), /^処理年月,医療機関コード/);
});

test("the benefits clerk runs the month's high-cost benefit and shows a household how it was reached", async () => {
  // Last month's claims were imported and checked by the test before.
  const page = await signIn("demo-benefits");
  await page.click("#nav-jobs");
  await page.click("#start-high-cost-run");
  await page.waitForURL(/\/ui\/jobs\/\d+$/);
  await page.waitForFunction(() => /正常終了|エラー|中断/.test(document.querySelector("#job-status").textContent), null, { timeout: 120_000 });
  assert.equal(await page.textContent("#job-status"), "正常終了");
  assert.match(await page.textContent("#job-summary"), /支給対象[1-9]\d*世帯/);

  await page.click("#nav-claims");
  await page.click("#high-cost-runs a.run-link");
  await page.waitForSelector("#decisions");
  assert.match(await page.textContent("#run-summary"), /支給対象[1-9]\d*世帯/);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#decisions-csv-utf8")]);
  assert.match(readFileSync(await download.path(), "utf8"), /^世帯番号,世帯主宛名番号,診療年月/);
  await page.screenshot({ path: join(shots, "high-cost-run.png"), fullPage: true });

  // The household with the largest refund: its calculation, step by step.
  await page.click("#decisions .household-link");
  await page.waitForSelector("article.decision-version.standing");
  const decision = await page.textContent("article.decision-version.standing");
  assert.match(decision, /高額療養費 [\d,]+円/);
  assert.match(decision, /限度額/);
  assert.match(decision, /レセプト単位/);
  assert.match(await page.textContent("#high-cost-months"), /当保険者の決定/);
  // A month handed over from this insurer itself is refused, next to the field.
  await page.fill("#month", "2026-06");
  await page.fill("#from_insurer", "319012");
  await page.click("#record-handed-over");
  assert.match(await page.textContent("#from_insurer-error"), /他の保険者/);
  await page.fill("#month", "2026-06");
  await page.fill("#from_insurer", "310011");
  await page.click("#record-handed-over");
  assert.match(await page.textContent("#high-cost-notice"), /引継の該当月として記録/);
  assert.match(await page.textContent("#high-cost-months"), /他市町村からの引継[\s\S]*310011/);
  await page.screenshot({ path: join(shots, "high-cost-household.png"), fullPage: true });

  // The annual outpatient cap of the last closed year: the demo has run
  // only one month, so the job stops and names the months still to run.
  await page.click("#nav-jobs");
  await page.fill("#year", "R7");
  await page.click("#start-annual-outpatient-run");
  assert.match(await page.textContent("#year-error"), /8月の年/);
  await page.fill("#year", "2025");
  await page.click("#start-annual-outpatient-run");
  await page.waitForURL(/\/ui\/jobs\/\d+$/);
  await page.waitForFunction(() => /正常終了|エラー|中断/.test(document.querySelector("#job-status").textContent), null, { timeout: 120_000 });
  assert.equal(await page.textContent("#job-status"), "エラー（変更なし）");
  assert.match(await page.textContent("#job-summary"), /月次計算がまだの月[\s\S]*2025-08/);

  // The yearly cap (年間上限) of the year today falls in, from the claims
  // page: a provisional statement that uses last month's run.
  await page.click("#nav-claims");
  await page.click("#yearly-show");
  await page.waitForSelector("#yearly-summary");
  assert.match(await page.textContent("#yearly-provisional"), /暫定の試算/);
  assert.match(await page.textContent("#yearly-months"), /月次計算の結果を使用/);
  assert.match(await page.textContent("#yearly-summary"), /合算する負担のある世帯 [1-9]/);
  await page.screenshot({ path: join(shots, "yearly-cap.png"), fullPage: true });
  const [yearly] = await Promise.all([page.waitForEvent("download"), page.click("#yearly-csv-utf8")]);
  assert.match(readFileSync(await yearly.path(), "utf8"), /^世帯番号,世帯主宛名番号/);
});

test("benefits: a refused intake names why; the supervisor decides; a payment run is made, approved by another, written and sent", async () => {
  const today = new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
  const clerk = await signIn("demo-benefits");
  await clerk.click("#nav-benefits");
  await clerk.locator("details:has(#apply-transport_benefit) > summary").click();
  await clerk.fill("#tr-person", "9999999999");
  await clerk.fill("#tr-on", today);
  await clerk.fill("#tr-cost", "1000");
  await clerk.fill("#tr-economical", "1000");
  await clerk.fill("#tr-applicant", "本人");
  await clerk.click("#apply-transport_benefit button[type=submit]");
  assert.match(await clerk.textContent("#benefit-error"), /宛名がありません/);
  assert.equal(await clerk.locator(".decide-pay").count(), 0, "a clerk has no decision buttons");

  // Paid to a proxy (委任): the proxy must be named, and is paid into the
  // account the application gives, never the 公金受取口座.
  const asOf = execFileSync(bin, ["eligibility", "as-of", "--date", today, "--reason", "e2e", ...db], {
    env: { ...process.env, KOKUHO_OPERATOR: "demo-clerk" },
  }).toString().replace(/^\uFEFF/, "");
  // columns: …, 宛名番号 (4), …, 世帯番号 (13); names hold no commas
  const insured = asOf.trim().split(/\r?\n/).slice(1).map((l) => l.split(","));
  const [patientRow] = insured;
  const patient = patientRow[4];
  // the proxy lives in another household: never the householder paid
  const proxy = insured.find((r) => r[13] !== patientRow[13])[4];
  const transport = async (payee, account) => {
    // the form of the last refusal is shown open
    if ((await clerk.locator("details:has(#apply-transport_benefit)").getAttribute("open")) === null) {
      await clerk.locator("details:has(#apply-transport_benefit) > summary").click();
    }
    await clerk.fill("#tr-person", patient);
    await clerk.fill("#tr-on", today);
    await clerk.fill("#tr-cost", "1000");
    await clerk.fill("#tr-economical", "1000");
    await clerk.fill("#tr-applicant", "代理人");
    await clerk.selectOption("#tr-basis", "proxy");
    await clerk.fill("#tr-payee-other", payee);
    await clerk.fill("#tr-documents", "委任状");
    if (account) await clerk.check("#tr-application-account");
    await clerk.click("#apply-transport_benefit button[type=submit]");
  };
  await transport("", false);
  assert.match(await clerk.textContent("#benefit-error"), /受取人（相続人・代理人）を指定してください/);
  await transport(proxy, false);
  assert.match(await clerk.textContent("#benefit-error"), /申請書に記入された口座/);

  const sup = await signIn("demo-supervisor");
  await sup.goto(`${base}/ui/benefits`);
  const waiting = await sup.locator("#decision-queue tbody tr").count();
  assert.ok(waiting >= 1, "the demo town has an application waiting");
  await sup.locator(".decide-pay").first().click();
  assert.match(await sup.textContent("#benefit-notice"), /支給決定/);
  await sup.screenshot({ path: join(shots, "benefits.png"), fullPage: true });

  await clerk.click("#nav-payments");
  await clerk.fill("#run-date", today);
  await clerk.click("#create-run button[type=submit]");
  assert.match(await clerk.textContent("#payment-notice"), /支払 第1回を作成しました：[1-9]\d* 件/);
  await clerk.click("a[href='/ui/payments/1']");
  assert.match(await clerk.textContent("#payment-list"), /\*\*\*\*\d{3}/, "numbers masked for the clerk");
  assert.equal(await clerk.locator("#approve-run").count(), 0);

  await sup.goto(`${base}/ui/payments/1`);
  await sup.click("#approve-run");
  assert.match(await sup.textContent("#payment-notice"), /承認しました/);

  // the file carries whole account numbers: the supervisor writes it
  const [file] = await Promise.all([sup.waitForEvent("download"), sup.click("#write-file")]);
  const bytes = readFileSync(await file.path());
  assert.equal(bytes.length % 122, 0, "fixed 120-byte records with CR LF");
  assert.equal(String.fromCharCode(bytes[0], bytes[1], bytes[2]), "121", "a 総合振込 header");
  await clerk.goto(`${base}/ui/payments/1`);
  await clerk.click("#mark-sent");
  assert.match(await clerk.textContent("#run-status"), /送信済み/);
  await clerk.screenshot({ path: join(shots, "payment-run.png"), fullPage: true });
  assert.equal(await clerk.locator("#return-file-form").count(), 0, "returns are the supervisor's");

  // The bank gives every transfer back (振込不能): its file, in the
  // 総合振込 layout, is uploaded and they go back to the queue.
  const returned = join(dataDir, "FUNOU.txt");
  writeFileSync(returned, bytes);
  await sup.goto(`${base}/ui/payments/1`);
  await sup.setInputFiles("#return-file", returned);
  await sup.click("#return-by-file");
  assert.match(await sup.textContent("#payment-notice"), /FUNOU\.txt の [1-9]\d* 件の振込を不能とし/);
});

test("the operator sends the federation extract; the clerk sees every file on the exchange screen", async () => {
  const key = join(dataDir, "transfer.key");
  execFileSync(bin, ["exchange", "init-transfer-key", key]);
  const out = execFileSync(bin, ["exchange", "export", "--to", "federation", "--out", join(dataDir, "outbox"), "--transfer-key", key, ...db],
    { env: { ...process.env, KOKUHO_OPERATOR: "demo-clerk" } }).toString();
  assert.match(out, /full extract for the federation/);
  const page = await signIn("demo-clerk");
  await page.click("#nav-exchange");
  await page.waitForURL(`${base}/ui/exchange`);
  assert.match(await page.textContent("h1"), /連携/);
  await page.waitForSelector("#files");
  const rows = await page.$$eval("#files tbody tr", (trs) => trs.map((tr) => tr.textContent));
  assert.equal(rows.length, 4, rows.join("\n"));
  assert.ok(rows.some((r) => r.includes("KS02_") && r.includes("暗号化")), rows.join("\n"));
  assert.ok(rows.every((r) => r.includes("国保情報集約システム") && r.includes("demo-clerk")));
    assert.ok(await page.isVisible("#no-candidates"));
  // From the jobs page, the clerk writes the next extract into the server's
  // outbox as a job; the exchange screen lists its four files too.
  await page.goto(`${base}/ui/jobs`);
  await page.selectOption("#exchange-to", "federation");
  await page.click("#start-exchange-export");
  await page.waitForURL(/\/ui\/jobs\/\d+$/);
  await page.waitForFunction(() => /正常終了|エラー|中断/.test(document.querySelector("#job-status").textContent), null, { timeout: 120_000 });
  assert.equal(await page.textContent("#job-status"), "正常終了");
  await page.goto(`${base}/ui/exchange`);
  await page.waitForSelector("#files");
  const all = await page.$$eval("#files tbody tr", (trs) => trs.length);
  assert.equal(all, 8);
  await page.screenshot({ path: join(shots, "exchange.png"), fullPage: true });
  // The levy clerk has no exchange permission: no link, and the page is refused.
  const levy = await signIn("demo-levy");
  assert.equal(await levy.$("#nav-exchange"), null);
  const res = await levy.goto(`${base}/ui/exchange`);
  assert.equal(res.status(), 403);
});

test("the benefits clerk sees the year's charts with their tables and downloads the month's report", async () => {
  const page = await signIn("demo-benefits");
  await page.click("#nav-statistics");
  await page.waitForURL(`${base}/ui/statistics`);
  assert.match(await page.textContent("h1"), /統計（\d{4}年度）/);
  for (const key of ["insured", "cost_per_insured", "high_cost", "levy", "age_pyramid"]) {
    const svg = page.locator(`#chart-${key} svg`);
    assert.equal(await svg.count(), 1, key);
    const box = await svg.boundingBox();
    assert.ok(box && box.width > 300 && box.height > 200, `${key} is drawn: ${JSON.stringify(box)}`);
    const rows = await page.$$eval(`#chart-${key} .chart-table tbody tr`, (trs) => trs.length);
    assert.ok(rows > 0, `${key} has its table beside`);
  }
  // the insured chart's table holds the month-end counts as numbers
  const first = await page.textContent("#chart-insured .chart-table tbody tr td");
  assert.match(first.trim(), /^[1-9][\d,]*$/);
  // what is not in the data yet is said, not counted as zero
  assert.match(await page.textContent("#stats-missing"), /揃っていません/);
  await page.screenshot({ path: join(shots, "statistics.png"), fullPage: true });

  // the chart's table as CSV
  const [csv] = await Promise.all([page.waitForEvent("download"), page.click("#chart-insured a.chart-csv")]);
  const text = readFileSync(await csv.path(), "utf8");
  assert.match(text.split("\n")[0], /^報告,期間,基準日時,表,表題,項目,欄,単位,値/);
  // the month's report as an Excel workbook (a zip: "PK")
  const [xlsx] = await Promise.all([page.waitForEvent("download"), page.click("#download-monthly")]);
  const bytes = readFileSync(await xlsx.path());
  assert.equal(bytes.subarray(0, 2).toString(), "PK");
  assert.match(xlsx.suggestedFilename(), /^monthly-\d{4}-\d{2}\.xlsx$/);

  // The counter clerk has no statistics permission: no link, and the page is refused.
  const clerk = await signIn("demo-clerk");
  assert.equal(await clerk.$("#nav-statistics"), null);
  const res = await clerk.goto(`${base}/ui/statistics`);
  assert.equal(res.status(), 403);
});

test("the benefits clerk enters a care insurer's certificate for 高額介護合算 and sees why the year cannot be computed yet", async () => {
  const today = new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
  const asOf = execFileSync(bin, ["eligibility", "as-of", "--date", today, "--reason", "e2e", ...db], {
    env: { ...process.env, KOKUHO_OPERATOR: "demo-clerk" },
  }).toString().replace(/^\uFEFF/, "");
  const person = asOf.trim().split(/\r?\n/)[1].split(",")[4];
  // the last year whose July has passed
  const now = new Date(Date.now() + 9 * 3600 * 1000);
  const year = now.getUTCMonth() + 1 >= 8 ? now.getUTCFullYear() - 1 : now.getUTCFullYear() - 2;
  const page = await signIn("demo-benefits");
  await page.click("#nav-benefits");
  await page.locator("details:has(#combined-care-open) > summary").click();
  await page.fill("#ccv-person", person);
  await page.fill("#ccv-year", String(year));
  await page.click("#combined-care-open button[type=submit]");
  assert.match(await page.textContent("h1"), /高額介護合算療養費/);
  assert.match(await page.textContent("#no-combined-certificates"), /入力はありません/);

  // a wrong issuer number is refused, what was typed is kept
  await page.selectOption("#cc-side", "care");
  await page.fill("#cc-issuer", "31901");
  await page.fill("#cc-certificate", "第3号");
  await page.fill("#cc-from", `${year}-08`);
  await page.fill("#cc-to", `${year + 1}-07`);
  await page.fill("#cc-amount", "320000");
  await page.click("#combined-certificate-form button[type=submit]");
  assert.match(await page.textContent("#combined-care-error"), /6桁または8桁/);
  assert.equal(await page.inputValue("#cc-amount"), "320000");
  await page.fill("#cc-issuer", "319012");
  await page.click("#combined-certificate-form button[type=submit]");
  assert.match(await page.textContent("#combined-care-notice"), /記録しました/);
  assert.equal(await page.locator(".combined-certificate").count(), 1);
  assert.match(await page.textContent("#combined-certificates"), /320,000/);
  // the demo town has run the high-cost benefit for its claim months only:
  // the year's other months are named as not run, never counted as zero
  const why = await page.textContent("#combined-care-unavailable");
  assert.match(why, /月次計算が最新でない月があります|資格がありません/);
  await page.screenshot({ path: join(shots, "combined-care.png"), fullPage: true });
  await page.click(".void-certificate");
  assert.match(await page.textContent("#combined-care-notice"), /取り消しました/);
});
