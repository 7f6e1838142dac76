//! The demo town's benefits: the town's bank contract (demo values), and
//! applications of several kinds received by the benefits clerk and, all
//! but one, decided by the supervisor — each payee with a 公金受取口座 — so
//! a payment run has something to pay and the decision queue something to
//! decide. Everything goes through the guarded use cases, as at the counter.

use kokuho_domain::bank_account::{AccountType, BankAccount};
use kokuho_formats::zengin::TransferClass;
use time::{Duration, OffsetDateTime};

use crate::benefit::{ApplicationInput, Decision, EventInput, PayeeBasis};
use crate::payment_account::{AccountInput, AccountSource};
use crate::payment_run::BankContract;
use crate::session::Session;
use crate::{AppError, Kokuho, Result, local_date};

/// What the demo's benefits came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemoBenefits {
    pub received: usize,
    pub decided: usize,
    /// the kinds refused by their checks (a month without burden
    /// categories, a household without a high-cost decision …)
    pub skipped: Vec<String>,
}

/// The demo bank contract: 鳥取銀行 (0166) is the bank of many Tottori
/// towns; the requester code and account are made up.
pub fn demo_contract() -> BankContract {
    BankContract {
        requester_code: "3190120001".into(),
        requester_name: "ﾔｽﾞﾁﾖｳ ｺｸﾐﾝｹﾝｺｳﾎｹﾝ".into(),
        bank_code: "0166".into(),
        bank_name: "ﾄﾂﾄﾘｷﾞﾝｺｳ".into(),
        branch_code: "201".into(),
        branch_name: "ｺｵｹﾞ".into(),
        account_type: AccountType::Current,
        account_number: "1234567".into(),
        new_code: '0',
        transfer_class: TransferClass::Telegraphic,
        line_breaks: true,
    }
}

pub async fn demo_benefits(app: &Kokuho, now: OffsetDateTime) -> Result<DemoBenefits> {
    let clerk = app.actor_for("demo-benefits", "demo", "demo", now).await?;
    let sup = app
        .actor_for("demo-supervisor", "demo", "demo", now)
        .await?;
    let c = Session { app, actor: &clerk };
    let s = Session { app, actor: &sup };
    s.set_bank_contract(&demo_contract(), now).await?;

    let today = local_date(now);
    let day = today - Duration::days(20);
    let mut insured = Vec::new();
    app.for_each_insured_on(day, None, |r| {
        if r.household_number.is_some() && insured.len() < 400 {
            insured.push(r);
        }
        Ok(())
    })
    .await?;
    let age = |b: time::Date| {
        day.year() - b.year() - i32::from((day.month(), day.day()) < (b.month(), b.day()))
    };
    let mothers = insured
        .iter()
        .filter(|r| r.sex == 2 && (22..=40).contains(&age(r.birth_date)))
        .take(2);
    let mut events: Vec<(String, EventInput)> = mothers
        .map(|r| {
            (
                r.addressee_id.clone(),
                EventInput::Childbirth {
                    born_on: day,
                    children: 1,
                    gestation_days: 39 * 7 + 2,
                    compensation_covered: true,
                    paid_directly: 0,
                },
            )
        })
        .collect();
    for (i, r) in insured
        .iter()
        .filter(|r| age(r.birth_date) >= 60)
        .take(3)
        .enumerate()
    {
        events.push((
            r.addressee_id.clone(),
            EventInput::Transport {
                moved_on: day,
                paid: 18_000 + 2_000 * i as i64,
                economical: 16_500,
            },
        ));
    }
    if let Some(r) = insured.iter().find(|r| age(r.birth_date) < 60) {
        events.push((
            r.addressee_id.clone(),
            EventInput::Reimbursement {
                kind: kokuho_domain::benefit::ReimbursementType::Appliance,
                service_on: day,
                cost: 38_400,
                reference: "demo-1".into(),
            },
        ));
    }
    // 高額療養費 of the latest run's largest refunds
    if let Some(run) = kokuho_store::high_cost::runs(&app.db, &app.insurer, None)
        .await?
        .first()
    {
        let month = kokuho_domain::burden::parse_month(&run.service_month);
        for d in
            kokuho_store::high_cost::decisions_of_run(&app.db, &app.insurer, run.run_id, 3).await?
        {
            if let (Some(m), true) = (month, d.refund > 0) {
                events.push((
                    String::new(),
                    EventInput::HighCost {
                        household_number: d.household_number.clone(),
                        service_month: m,
                    },
                ));
            }
        }
    }

    let mut out = DemoBenefits::default();
    let mut received = Vec::new();
    for (person, event) in events {
        let kind = format!("{event:?}")
            .split([' ', '{'])
            .next()
            .unwrap_or("")
            .to_string();
        let input = ApplicationInput {
            addressee_id: person,
            event,
            received_on: today - Duration::days(5),
            applicant: "世帯主（本人）".into(),
            documents: "領収書・申請書".into(),
            payee_id: None,
            application_account: false,
            payee_basis: PayeeBasis::Entitled,
            entitled_id: None,
            simplified_route: false,
        };
        match c.receive_application(&input, now).await {
            Ok(v) => {
                received.push(v);
            }
            Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
                out.skipped.push(format!("{kind}: {e}"));
            }
            Err(e) => return Err(e),
        }
    }
    out.received = received.len();
    for v in &received {
        if c.accounts_of(&v.payee_id, now).await?.is_empty() {
            let payee = kokuho_domain::id::AddresseeId::parse(&v.payee_id)?;
            let Some(p) =
                kokuho_store::addressee::get_person(&app.db, &app.insurer, &payee).await?
            else {
                continue;
            };
            let n = v.payee_id.bytes().fold(7u64, |h, b| h * 31 + u64::from(b)) % 10_000_000;
            c.register_account(
                &AccountInput {
                    addressee_id: v.payee_id.clone(),
                    source: AccountSource::PublicFunds,
                    account: BankAccount {
                        bank_code: "0166".into(),
                        branch_code: format!("{:03}", 100 + n % 50),
                        account_type: AccountType::Ordinary,
                        number: format!("{n:07}"),
                        holder: p.name_kana.to_string(),
                    },
                    confirmed_on: today - Duration::days(30),
                },
                now,
            )
            .await?;
        }
    }
    // all but the last decided, so the queue has one to decide
    let n = received.len().saturating_sub(1);
    for v in &received[..n] {
        s.decide_application(v.application_id, &Decision::Pay, today, now)
            .await?;
        out.decided += 1;
    }
    Ok(out)
}
