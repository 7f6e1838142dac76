// End-to-end tests of the staff screens, in a real headless Chromium
// (Debian's package; playwright-core drives it and downloads nothing).
// Needs the built binary: KOKUHO_BIN (default ../target/debug/kokuho).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
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

async function signIn(account) {
  const context = await browser.newContext({ locale: "ja-JP" });
  const page = await context.newPage();
  await page.goto(`${base}/ui`);
  assert.match(page.url(), /\/ui\/signin$/, "unsigned visitors are sent to sign in");
  await page.fill("#account", account);
  await page.fill("#password", "Yazu-Demo-2026!");
  await page.fill("#code", code(account));
  await page.click("#signin");
  await page.waitForURL(`${base}/ui`);
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
