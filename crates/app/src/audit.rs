//! Evidence for the auditor: the self-inspection report (自己点検), the
//! disclosure report for a resident's request (開示請求), and the threshold
//! assessment (しきい値判断) with a draft of the basic assessment.

use kokuho_domain::access::{LAWFUL_AFFAIRS, Permission, Role};
use kokuho_domain::id::AddresseeId;
use kokuho_store::access::{self as repo, LogRecord};
use time::{Date, Duration, OffsetDateTime, Weekday};

use crate::Result;
use crate::access::Actor;
use crate::eligibility::{from_us, to_us};
use crate::records::PeriodVersion;
use crate::registry::PersonView;
use crate::session::Session;

/// Office hours in Japan (JST): 8:00–19:00 on weekdays. Anything else is
/// listed for a look. Public holidays are not known to kokuho yet.
const OFFICE_OPENS: u8 = 8;
const OFFICE_CLOSES: u8 = 19;
/// A search returning this many persons, or an export of this many rows, is "large".
pub const LARGE_LOOKUP: usize = 100;
/// Accounts unused this long are listed.
pub const UNUSED_DAYS: i64 = 90;
/// Training older than this is overdue (default 12 months).
pub const TRAINING_VALID_DAYS: i64 = 365;

use crate::jst;

/// One finding with the records behind it.
#[derive(Clone, Debug)]
pub struct Finding {
    pub section: &'static str,
    pub section_ja: &'static str,
    pub account: String,
    pub summary: String,
    pub records: Vec<LogRecord>,
}

#[derive(Clone, Debug)]
pub struct SelfInspection {
    pub from: Date,
    pub to: Date,
    pub records_examined: usize,
    pub findings: Vec<Finding>,
}

impl SelfInspection {
    pub fn section(&self, name: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.section == name).collect()
    }

    /// CSV (UTF-8): one line per record behind a finding (or per finding without records).
    pub fn to_csv(&self) -> String {
        let mut out =
            String::from("section,区分,account,summary,seq,at,action,subjects,outcome,detail\r\n");
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        for f in &self.findings {
            if f.records.is_empty() {
                out.push_str(&format!(
                    "{},{},{},{},,,,,,\r\n",
                    f.section,
                    q(f.section_ja),
                    q(&f.account),
                    q(&f.summary)
                ));
            }
            for r in &f.records {
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{}\r\n",
                    f.section,
                    q(f.section_ja),
                    q(&f.account),
                    q(&f.summary),
                    r.seq,
                    from_us(r.at_us).to_offset(jst()),
                    r.action,
                    q(&r.subjects),
                    r.outcome,
                    q(&r.detail)
                ));
            }
        }
        out
    }

    /// A self-contained Japanese HTML page.
    pub fn to_html(&self) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let mut h = format!(
            "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>自己点検報告書</title>\
             <style>body{{font-family:\"BIZ UDPGothic\",sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #888;padding:2px 6px}}</style></head><body>\
             <h1>特定個人情報の取扱いに関する自己点検報告書</h1><p>対象期間: {} 〜 {}（点検したアクセス記録 {} 件）</p>",
            self.from, self.to, self.records_examined
        );
        let sections = [
            ("unused_accounts", "90日以上使われていない利用者"),
            ("outside_hours", "執務時間外のアクセス"),
            ("large_lookups", "大量の照会・出力"),
            ("my_number_reveals", "個人番号の表示（利用者別）"),
            ("contractor_activity", "委託先の操作"),
            ("denied", "拒否された操作"),
            ("failed_sign_ins", "サインインの失敗"),
            ("training_overdue", "研修の受講期限切れ"),
        ];
        for (key, title) in sections {
            let items = self.section(key);
            h.push_str(&format!("<h2>{title}（{}件）</h2>", items.len()));
            if items.is_empty() {
                h.push_str("<p>該当なし</p>");
                continue;
            }
            h.push_str("<table><tr><th>利用者</th><th>内容</th><th>記録</th></tr>");
            for f in items {
                let recs: Vec<String> = f
                    .records
                    .iter()
                    .map(|r| {
                        format!(
                            "#{} {} {} {}",
                            r.seq,
                            from_us(r.at_us).to_offset(jst()),
                            esc(&r.action),
                            esc(&r.outcome)
                        )
                    })
                    .collect();
                h.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&f.account),
                    esc(&f.summary),
                    recs.join("<br>")
                ));
            }
            h.push_str("</table>");
        }
        h.push_str("</body></html>");
        h
    }
}

fn outside_hours(at_us: i64) -> bool {
    let t = from_us(at_us).to_offset(jst());
    matches!(t.weekday(), Weekday::Saturday | Weekday::Sunday)
        || t.hour() < OFFICE_OPENS
        || t.hour() >= OFFICE_CLOSES
}

fn finding(
    section: &'static str,
    section_ja: &'static str,
    account: &str,
    summary: String,
    records: Vec<LogRecord>,
) -> Finding {
    Finding {
        section,
        section_ja,
        account: account.to_string(),
        summary,
        records,
    }
}

/// The disclosure report: what the town holds on a person and who accessed it.
#[derive(Clone, Debug)]
pub struct Disclosure {
    pub person: PersonView,
    pub periods: Vec<PeriodVersion>,
    pub accesses: Vec<LogRecord>,
}

/// The threshold assessment (しきい値判断) from live data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threshold {
    pub date: Date,
    pub persons: i64,
    pub persons_category: &'static str,
    pub handlers: i64,
    pub handlers_category: &'static str,
    pub serious_incidents: usize,
    pub incidents_category: &'static str,
    pub required: &'static str,
}

/// The assessment form's categories (特定個人情報保護評価指針 第6の2).
pub fn persons_category(n: i64) -> &'static str {
    match n {
        ..1_000 => "1,000人未満",
        1_000..10_000 => "1,000人以上1万人未満",
        10_000..100_000 => "1万人以上10万人未満",
        100_000..300_000 => "10万人以上30万人未満",
        _ => "30万人以上",
    }
}

/// Which assessment the guideline requires for these counts.
pub fn required_assessment(persons: i64, handlers: i64, serious: bool) -> &'static str {
    let many_handlers = handlers >= 500;
    match persons {
        ..1_000 => "特定個人情報保護評価の実施は義務付けられない",
        1_000..10_000 => "基礎項目評価",
        10_000..100_000 if !many_handlers && !serious => "基礎項目評価",
        10_000..100_000 => "基礎項目評価及び重点項目評価",
        100_000..300_000 if !many_handlers && !serious => "基礎項目評価及び重点項目評価",
        _ => "基礎項目評価及び全項目評価",
    }
}

impl Session<'_> {
    /// 自己点検 for a period: each finding with the records behind it.
    pub async fn self_inspection(
        &self,
        from: Date,
        to: Date,
        now: OffsetDateTime,
    ) -> Result<SelfInspection> {
        self.require(Permission::AuditRead, now).await?;
        let app = self.app;
        let start = to_us(from.midnight().assume_offset(jst()));
        let end = to_us(to.next_day().unwrap_or(to).midnight().assume_offset(jst()));
        let records = repo::records_between(&app.db, &app.insurer, start, end).await?;
        let mut findings = Vec::new();
        let accounts = repo::list_accounts(&app.db).await?;
        let all = repo::records(&app.db, 0, i64::MAX).await?;
        for a in accounts
            .iter()
            .filter(|a| a.disabled_us.is_none() && a.insurer_number == app.insurer.as_str())
        {
            let last = all
                .iter()
                .filter(|r| r.account_name == a.name && r.outcome == "allowed")
                .map(|r| r.at_us)
                .max();
            let since = to_us(now - Duration::days(UNUSED_DAYS));
            if last.is_none_or(|l| l < since) {
                let when = last
                    .map(|l| from_us(l).date().to_string())
                    .unwrap_or_else(|| "利用実績なし".into());
                findings.push(finding(
                    "unused_accounts",
                    "未使用の利用者",
                    &a.name,
                    format!("最終利用: {when}"),
                    vec![],
                ));
            }
            let trained = repo::last_training(&app.db, &a.name).await?;
            if trained.is_none_or(|d| d < to - Duration::days(TRAINING_VALID_DAYS)) {
                let when = trained
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "受講記録なし".into());
                findings.push(finding(
                    "training_overdue",
                    "研修期限切れ",
                    &a.name,
                    format!("最終受講: {when}"),
                    vec![],
                ));
            }
        }
        let personal = |r: &LogRecord| {
            !matches!(
                r.action.as_str(),
                "sign_in" | "sign_out" | "self_inspection"
            )
        };
        for r in records
            .iter()
            .filter(|r| r.outcome == "allowed" && personal(r) && outside_hours(r.at_us))
        {
            findings.push(finding(
                "outside_hours",
                "時間外",
                &r.account_name,
                r.action.clone(),
                vec![r.clone()],
            ));
        }
        for r in records.iter().filter(|r| r.outcome == "allowed") {
            let subjects = r.subjects.split(',').filter(|s| !s.is_empty()).count();
            let rows: usize = r
                .detail
                .split(" rows")
                .next()
                .and_then(|s| s.rsplit(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if subjects >= LARGE_LOOKUP
                || (r.action == "eligibility_export" && rows >= LARGE_LOOKUP)
            {
                findings.push(finding(
                    "large_lookups",
                    "大量照会",
                    &r.account_name,
                    format!("{} ({} persons, {} rows)", r.action, subjects, rows),
                    vec![r.clone()],
                ));
            }
        }
        let mut reveals: std::collections::BTreeMap<&str, Vec<LogRecord>> = Default::default();
        for r in records
            .iter()
            .filter(|r| r.action == "my_number_reveal" && r.outcome == "allowed")
        {
            reveals
                .entry(r.account_name.as_str())
                .or_default()
                .push(r.clone());
        }
        for (account, rs) in reveals {
            findings.push(finding(
                "my_number_reveals",
                "個人番号の表示",
                account,
                format!("{}回", rs.len()),
                rs,
            ));
        }
        for r in records
            .iter()
            .filter(|r| r.role == Role::Contractor.code() && r.outcome == "allowed")
        {
            findings.push(finding(
                "contractor_activity",
                "委託先",
                &r.account_name,
                r.action.clone(),
                vec![r.clone()],
            ));
        }
        for r in records.iter().filter(|r| r.outcome == "denied") {
            if r.action == "sign_in" {
                findings.push(finding(
                    "failed_sign_ins",
                    "サインイン失敗",
                    &r.account_name,
                    r.detail.clone(),
                    vec![r.clone()],
                ));
            } else {
                findings.push(finding(
                    "denied",
                    "拒否",
                    &r.account_name,
                    format!("{}: {}", r.action, r.detail),
                    vec![r.clone()],
                ));
            }
        }
        let report = SelfInspection {
            from,
            to,
            records_examined: records.len(),
            findings,
        };
        self.app
            .log_access(
                self.actor,
                "self_inspection",
                &[],
                None,
                &format!("{from}..{to}: {} findings", report.findings.len()),
                now,
            )
            .await?;
        Ok(report)
    }

    /// Everything held on one person and every access to it (開示請求).
    pub async fn disclosure(&self, addressee_id: &str, now: OffsetDateTime) -> Result<Disclosure> {
        let subject = [addressee_id.to_string()];
        self.require(Permission::AuditRead, now).await?;
        let person = self.app.person(addressee_id).await?;
        let id = AddresseeId::parse(addressee_id)?;
        let periods = self.app.eligibility_history(&id).await?;
        let accesses = repo::records_about(&self.app.db, &self.app.insurer, addressee_id).await?;
        self.app
            .log_access(self.actor, "disclosure", &subject, None, "", now)
            .await?;
        Ok(Disclosure {
            person,
            periods,
            accesses,
        })
    }

    /// しきい値判断 on a date.
    pub async fn threshold(&self, date: Date, now: OffsetDateTime) -> Result<Threshold> {
        self.require(Permission::AuditRead, now).await?;
        threshold(self.app, date, now, self.actor).await
    }
}

async fn threshold(
    app: &crate::Kokuho,
    date: Date,
    now: OffsetDateTime,
    actor: &Actor,
) -> Result<Threshold> {
    let persons = repo::persons_with_number(&app.db, &app.insurer).await?;
    let mut handlers = 0i64;
    for a in repo::list_accounts(&app.db).await? {
        if a.insurer_number != app.insurer.as_str()
            || a.disabled_us.is_some()
            || a.expires_on.is_some_and(|d| d < date)
        {
            continue;
        }
        let role = a.role()?;
        let grants = repo::grants_of(&app.db, &a.name).await?;
        let handles = Permission::ALL
            .into_iter()
            .filter(|p| !matches!(p, Permission::AccountAdmin | Permission::SystemRead))
            .any(|p| kokuho_domain::access::allowed(role, &grants, p, date));
        handlers += i64::from(handles);
    }
    let year_ago = date - Duration::days(365);
    let serious = repo::incidents_since(&app.db, &app.insurer, year_ago)
        .await?
        .into_iter()
        .filter(|i| i.serious && i.occurred_on <= date)
        .count();
    let t = Threshold {
        date,
        persons,
        persons_category: persons_category(persons),
        handlers,
        handlers_category: if handlers >= 500 {
            "500人以上"
        } else {
            "500人未満"
        },
        serious_incidents: serious,
        incidents_category: if serious > 0 {
            "発生あり"
        } else {
            "発生なし"
        },
        required: required_assessment(persons, handlers, serious > 0),
    };
    app.log_access(
        actor,
        "pia_threshold",
        &[],
        None,
        &format!("{date}: {persons} persons, {handlers} handlers, {serious} serious incidents"),
        now,
    )
    .await?;
    Ok(t)
}

impl Threshold {
    /// A draft of the basic assessment's sections I–IV (基礎項目評価書) in Japanese.
    pub fn draft(&self, insurer_name: &str, insurer_number: &str) -> String {
        let mut s = format!(
            "特定個人情報保護評価書（基礎項目評価書）案\n作成日: {}\n\nI 関連情報\n1. 特定個人情報ファイルを取り扱う事務: 国民健康保険に関する事務（{insurer_name}、保険者番号 {insurer_number}）\n2. 特定個人情報ファイルを取り扱う事務において使用するシステム: 国民健康保険システム（kokuho）、団体内統合宛名システム、国保情報集約システム、国保総合システム、医療保険者等向け中間サーバー\n3. 個人番号の利用（法令上の根拠）:\n",
            self.date
        );
        for (_, name, basis) in LAWFUL_AFFAIRS {
            s.push_str(&format!("   ・{name}: {basis}\n"));
        }
        s.push_str("4. 特定個人情報ファイル: 国保資格ファイル、国保負担区分ファイル、宛名情報ファイル、資格情報（個人）ファイル\n\n");
        s.push_str(&format!(
            "II しきい値判断項目\n1. 対象人数: {}（{}人）\n2. 取扱者数: {}（{}人）\n3. 重大事故: {}（過去1年以内 {}件）\n\n",
            self.persons_category, self.persons, self.handlers_category, self.handlers, self.incidents_category, self.serious_incidents
        ));
        s.push_str(&format!("III しきい値判断結果\n{}\n\n", self.required));
        s.push_str(
            "IV リスク対策\n・目的外の入手が行われるリスク: 住基異動の取込と宛名登録のみが個人情報を書き込み、個人番号は暗号化した保管領域にのみ格納\n\
             ・目的を超えた紐付け、事務に必要のない情報との紐付けが行われるリスク: 個人番号の表示は専用の権限と法定事務の目的の申告が毎回必要、全件記録\n\
             ・権限のない者によって不正に使用されるリスク: パスワードと確認コードによる認証、失敗時のロック、退職者の利用者は無効化、役割ごとの権限（既定は拒否）\n\
             ・委託先における不正な使用等のリスク: 委託先は期限付きで個別に付与された操作のみ\n\
             ・不正な提供・移転が行われるリスク: 一括出力は権限が必要で、件数・項目・ハッシュ値を記録\n\
             ・特定個人情報の漏えい・滅失・毀損リスク: AES-256-GCMによる暗号化、鍵はデータベース外、ログ等への個人番号の出力なし\n\
             ・自己点検・監査: 改ざん検知可能なアクセス記録、自己点検報告書\n\
             ・従業者に対する教育・啓発: 研修受講記録と期限切れの点検\n",
        );
        s
    }
}

impl Session<'_> {
    /// `audit verify` for the auditor's screen; the check itself is logged.
    pub async fn verify_access_log(
        &self,
        now: OffsetDateTime,
    ) -> Result<crate::access::VerifyReport> {
        self.require(Permission::AuditRead, now).await?;
        let r = self.app.verify_access_log().await?;
        let detail = match &r.first_broken {
            None => format!("intact: {} records", r.records),
            Some((seq, reason)) => format!("broken at {seq}: {reason}"),
        };
        self.app
            .log_access(self.actor, "audit_verify", &[], None, &detail, now)
            .await?;
        Ok(r)
    }

    /// Access records between two dates (JST), optionally of one account or action.
    pub async fn search_access_log(
        &self,
        from: Date,
        to: Date,
        account: Option<&str>,
        action: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Vec<LogRecord>> {
        self.require(Permission::AuditRead, now).await?;
        let start = to_us(from.midnight().assume_offset(jst()));
        let end = to_us(to.next_day().unwrap_or(to).midnight().assume_offset(jst()));
        let found: Vec<LogRecord> =
            repo::records_between(&self.app.db, &self.app.insurer, start, end)
                .await?
                .into_iter()
                .filter(|r| account.is_none_or(|a| a.is_empty() || r.account_name == a))
                .filter(|r| action.is_none_or(|a| a.is_empty() || r.action == a))
                .collect();
        self.app
            .log_access(
                self.actor,
                "audit_search",
                &[],
                None,
                &format!("{from}..{to}: {} records", found.len()),
                now,
            )
            .await?;
        Ok(found)
    }
}
