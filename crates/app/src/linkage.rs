//! Information linkage (情報提供ネットワークシステム): the provision copies
//! (副本) of what the town provides of each person, kept up to date from
//! eligibility, and queries answered from them for the lawful items only
//! (`rules/linkage.toml`). Every answer and every refusal is in the access
//! log with the item number and the requesting agency.

use std::collections::{BTreeMap, HashMap};

use kokuho_domain::access::{Permission, Purpose};
use kokuho_domain::linkage::LinkageItems;
use kokuho_formats::federation::Change;
use kokuho_store::exchange::{self as store, ReplicaRow};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::eligibility::to_us;
use crate::session::Session;
use crate::{AppError, Kokuho, Result, local_date};

/// One eligibility period as the provision copy holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaPeriod {
    pub insurer_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub branch_number: String,
    /// YYYY-MM-DD
    pub acquired_on: String,
    /// YYYY-MM-DD, the first day without NHI
    pub lost_on: Option<String>,
}

/// What the town answers a lawful query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkageAnswer {
    pub item: u16,
    pub agency: String,
    pub on: Date,
    /// whether the person was insured by this town on the date
    pub insured: bool,
    pub periods: Vec<ReplicaPeriod>,
}

fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

fn items() -> Result<LinkageItems> {
    LinkageItems::shipped().map_err(|e| AppError::Setup {
        message_en: e.to_string(),
        message_ja: "情報連携の項目の定義が正しくありません".into(),
    })
}

impl Kokuho {
    /// Brings the provision copies up to date: the persons whose
    /// eligibility changed since the last refresh (everyone at first).
    pub async fn refresh_replicas(&self, now: OffsetDateTime) -> Result<usize> {
        let as_of_us = to_us(now);
        let since = store::replicas_refreshed_at(&self.db, &self.insurer).await?;
        let extract = self
            .eligibility_records(since, as_of_us, local_date(now), false)
            .await?;
        let integrated: HashMap<String, String> = extract
            .registry_persons
            .values()
            .map(|a| {
                (
                    a.addressee_id.to_string(),
                    a.integrated_addressee_id.to_string(),
                )
            })
            .collect();
        let records = extract.persons;
        let mut by_person: BTreeMap<String, Vec<ReplicaPeriod>> = BTreeMap::new();
        for r in records {
            let periods = by_person.entry(r.addressee_id.clone()).or_default();
            if r.change == Change::Remove {
                continue;
            }
            periods.push(ReplicaPeriod {
                insurer_number: r.insurer_number,
                insured_symbol: r.insured_symbol,
                insured_number: r.insured_number,
                branch_number: r.branch_number,
                acquired_on: ymd(r.acquired_on),
                lost_on: r.lost_on.map(ymd),
            });
        }
        let mut rows = Vec::with_capacity(by_person.len());
        for (person, periods) in by_person {
            let Some(id) = integrated.get(&person) else {
                continue;
            };
            rows.push(ReplicaRow {
                integrated_addressee_id: id.clone(),
                addressee_id: person,
                content: serde_json::to_string(&periods).map_err(|e| AppError::Setup {
                    message_en: e.to_string(),
                    message_ja: "副本を作れませんでした".into(),
                })?,
                refreshed_us: as_of_us,
            });
        }
        let mut tx = self.db.begin().await?;
        store::upsert_replicas(&mut tx, &self.insurer, &rows).await?;
        tx.commit().await?;
        Ok(rows.len())
    }
}

impl Session<'_> {
    /// Refreshes the provision copies (a batch, logged with its count).
    pub async fn refresh_replicas(
        &self,
        purpose: Option<&Purpose>,
        now: OffsetDateTime,
    ) -> Result<usize> {
        self.check(Permission::Exchange, purpose, &[], now).await?;
        let n = self.app.refresh_replicas(now).await?;
        self.log(
            "linkage_replica_refresh",
            &[],
            purpose,
            &format!("{n} provision copies refreshed"),
            now,
        )
        .await?;
        Ok(n)
    }

    /// Answers a query from the information-provision network: only for an
    /// item the town provides; a query for any other item is refused, and
    /// both are logged with the item and the requesting agency.
    pub async fn answer_linkage_query(
        &self,
        item: u16,
        agency: &str,
        integrated_addressee_id: &str,
        on: Date,
        now: OffsetDateTime,
    ) -> Result<LinkageAnswer> {
        let asked = Purpose::parse("nhi", "情報提供ネットワークシステムからの照会への回答");
        self.check(Permission::Exchange, asked.as_ref(), &[], now)
            .await?;
        let agency = agency.trim();
        if agency.is_empty()
            || agency.chars().count() > 60
            || crate::leak_scan::count_my_numbers(agency.as_bytes()) > 0
        {
            return Err(AppError::invalid(
                "agency",
                "name the requesting agency (its code, at most 60 characters)",
                "情報照会者（機関コード）を60文字以内で入力してください",
            ));
        }
        let id = kokuho_domain::id::IntegratedAddresseeId::parse(integrated_addressee_id)
            .map_err(|e| AppError::from(e).for_field("integrated_addressee_id"))?;
        let purpose = Purpose::parse(
            "nhi",
            &format!("情報提供ネットワーク 別表第二 第{item}項 照会者 {agency}"),
        );
        let items = items()?;
        if !items.may_provide(item) {
            self.app
                .log_denied(
                    self.actor,
                    "linkage_query",
                    &format!("item {item} from agency {agency}: not an item this town provides"),
                    now,
                )
                .await?;
            return Err(AppError::Forbidden {
                permission: "linkage_item",
                message_ja: format!(
                    "別表第二 第{item}項は、この町が情報提供する項目ではありません（提供しません）"
                ),
            });
        }
        let replica = store::replica(&self.app.db, &self.app.insurer, id.as_str()).await?;
        let periods: Vec<ReplicaPeriod> = match &replica {
            Some(r) => serde_json::from_str(&r.content).map_err(|e| AppError::Setup {
                message_en: format!("provision copy unreadable: {e}"),
                message_ja: "副本が読めません".into(),
            })?,
            None => Vec::new(),
        };
        let day = ymd(on);
        let insured = periods
            .iter()
            .any(|p| p.acquired_on <= day && p.lost_on.as_ref().is_none_or(|l| day < *l));
        let subjects: Vec<String> = replica.iter().map(|r| r.addressee_id.clone()).collect();
        self.log(
            "linkage_answer",
            &subjects,
            purpose.as_ref(),
            &format!(
                "item {item} for agency {agency}: {} on {on}",
                if insured { "insured" } else { "not insured" }
            ),
            now,
        )
        .await?;
        Ok(LinkageAnswer {
            item,
            agency: agency.to_string(),
            on,
            insured,
            periods,
        })
    }
}
