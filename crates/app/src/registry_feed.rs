//! The resident-registry feed (住基異動): applies each event to the addressee
//! registry and turns those that touch NHI into proposals, which a clerk
//! confirms or rejects. Nothing becomes eligibility without a confirmation.

use kokuho_domain::addressee::{
    Addressee, Household, HouseholdNumber, Relationship, ResidentStatus,
};
use kokuho_domain::eligibility::{AcquisitionReason, LossReason, MoveDestination};
use kokuho_domain::id::{AddresseeId, InsurerNumber, IntegratedAddresseeId};
use kokuho_formats::registry_feed::{self, Destination, RegistryEvent, RegistryEventKind};
use kokuho_formats::text::Encoding;
use kokuho_store::Tx;
use kokuho_store::addressee as registry;
use kokuho_store::eligibility::{self as elig_repo, NOW};
use kokuho_store::feed::{self as repo, EventRecord, Proposal};
use time::{Date, OffsetDateTime};

use crate::eligibility::{Acquisition, Actor, Flags, Loss, in_tx, to_us};
use crate::jobs::Progress;
use crate::registry::INTEGRATED_ID_OFFSET;
use crate::{AppError, Kokuho, Result};

const FEED_KIND: &str = "registry_feed";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedReport {
    /// The file was imported before: nothing was done.
    pub already_imported: bool,
    pub events: u64,
    pub proposals: u64,
    /// the file's content digest (grouped hex SHA-256), for the access record
    pub digest: String,
}

fn destination(d: Destination) -> MoveDestination {
    match d {
        Destination::SamePrefecture => MoveDestination::SamePrefecture,
        Destination::OtherPrefecture => MoveDestination::OtherPrefecture,
        Destination::Abroad => MoveDestination::Abroad,
    }
}

fn destination_code(d: MoveDestination) -> &'static str {
    match d {
        MoveDestination::SamePrefecture => "same_prefecture",
        MoveDestination::OtherPrefecture => "other_prefecture",
        MoveDestination::Abroad => "abroad",
    }
}

fn line_error(file: &str, e: &RegistryEvent, field: &'static str, en: &str, ja: &str) -> AppError {
    AppError::Rejected {
        file: file.to_string(),
        line: e.line,
        field: field.to_string(),
        reason_en: en.to_string(),
        reason_ja: ja.to_string(),
    }
}

impl Kokuho {
    /// Imports a feed file: all or nothing, and a file imported before
    /// changes nothing.
    pub async fn import_registry_feed(
        &self,
        file_name: &str,
        bytes: &[u8],
        encoding: Encoding,
        actor: Actor<'_>,
        progress: &Progress,
        now: OffsetDateTime,
    ) -> Result<FeedReport> {
        let digest = registry_feed::file_digest(bytes);
        let events = registry_feed::parse(file_name, bytes, encoding)?;
        in_tx!(self.db, |tx| {
            if repo::file_imported(&mut tx, &self.insurer, FEED_KIND, &digest).await? {
                return Ok(FeedReport {
                    already_imported: true,
                    digest,
                    ..Default::default()
                });
            }
            let at = to_us(now);
            let mut report = FeedReport {
                digest: digest.clone(),
                ..Default::default()
            };
            let mut next_proposal = repo::next_proposal_id(&mut tx, &self.insurer).await?;
            progress.set_total(events.len() as u64);
            for (done, e) in events.iter().enumerate() {
                progress.set_done(done as u64);
                if repo::event_exists(&mut tx, &self.insurer, &e.event_id).await? {
                    return Err(line_error(
                        file_name,
                        e,
                        "event_id",
                        "event already imported from another file",
                        "この異動は別のファイルで取込済みです",
                    ));
                }
                let proposals = self.apply_event(&mut tx, file_name, e, at).await?;
                repo::record_event(
                    &mut tx,
                    &self.insurer,
                    &EventRecord {
                        event_id: &e.event_id,
                        event_type: e.kind.code(),
                        event_date: e.event_date,
                        notified_on: e.notified_on,
                        addressee_id: e.addressee_id.as_str(),
                        file_digest: &digest,
                        line: e.line as i64,
                    },
                )
                .await?;
                for mut p in proposals {
                    p.proposal_id = next_proposal;
                    next_proposal += 1;
                    repo::insert_proposal(&mut tx, &self.insurer, &p).await?;
                    report.proposals += 1;
                }
                report.events += 1;
            }
            progress.complete();
            repo::record_file(
                &mut tx,
                &self.insurer,
                FEED_KIND,
                &digest,
                file_name,
                events.len() as i64,
                at,
                actor,
            )
            .await?;
            Ok(report)
        })
    }

    async fn insured_on(&self, tx: &mut Tx, person: &AddresseeId, on: Date) -> Result<bool> {
        Ok(elig_repo::periods_of_person(tx, &self.insurer, person, NOW)
            .await?
            .iter()
            .any(|p| p.acquired_on <= on && p.lost_on.is_none_or(|l| l > on)))
    }

    /// Applies one event to the registry; returns the proposals it raises.
    async fn apply_event(
        &self,
        tx: &mut Tx,
        file: &str,
        e: &RegistryEvent,
        at: i64,
    ) -> Result<Vec<Proposal>> {
        let proposal = |kind: &str, reason: &str| Proposal {
            proposal_id: 0,
            event_id: e.event_id.clone(),
            addressee_id: e.addressee_id.to_string(),
            kind: kind.into(),
            reason: reason.into(),
            event_on: e.event_date,
            notified_on: e.notified_on,
            destination: None,
            household_number: e.household_number.as_ref().map(|h| h.to_string()),
            previous_insurer_number: e.previous_insurer_number.as_ref().map(|i| i.to_string()),
            status: "pending".into(),
            created_us: at,
            decided_by: None,
            decided_us: None,
            decision_note: None,
            period_id: None,
        };
        let existing = registry::get_person_tx(tx, &self.insurer, &e.addressee_id).await?;
        let missing = || {
            line_error(
                file,
                e,
                "addressee_id",
                "no such person in the registry",
                "宛名が登録されていません",
            )
        };
        let mut out = Vec::new();
        match e.kind {
            RegistryEventKind::Birth | RegistryEventKind::MoveIn => {
                let household = e.household_number.clone().ok_or_else(|| {
                    line_error(file, e, "household_number", "required", "必須です")
                })?;
                let relationship = e.relationship.unwrap_or(Relationship::Other);
                let (Some(name), Some(kana), Some(birth), Some(sex), Some(postal), Some(address)) = (
                    e.name.clone(),
                    e.name_kana.clone(),
                    e.birth_date,
                    e.sex,
                    e.postal_code.clone(),
                    e.address.clone(),
                ) else {
                    return Err(line_error(
                        file,
                        e,
                        "name",
                        "a birth or move-in needs name, kana, birth date, sex and address",
                        "氏名・カナ・生年月日・性別・住所が必要です",
                    ));
                };
                if !registry::household_exists(tx, &self.insurer, &household).await? {
                    if e.kind == RegistryEventKind::Birth
                        || relationship != Relationship::Householder
                    {
                        return Err(line_error(
                            file,
                            e,
                            "household_number",
                            "no such household",
                            "世帯が登録されていません",
                        ));
                    }
                    registry::create_household(
                        tx,
                        &Household {
                            insurer_number: self.insurer.clone(),
                            household_number: household.clone(),
                            householder: e.addressee_id.clone(),
                            postal_code: postal.clone(),
                            address: address.clone(),
                            registered_on: e.event_date,
                            removed_on: None,
                        },
                        at,
                        "registry-feed",
                    )
                    .await?;
                }
                let person = Addressee {
                    insurer_number: self.insurer.clone(),
                    addressee_id: e.addressee_id.clone(),
                    integrated_addressee_id: existing
                        .as_ref()
                        .map(|p| p.integrated_addressee_id.clone())
                        .unwrap_or_else(|| {
                            IntegratedAddresseeId::from_u64(
                                e.addressee_id.as_str().parse::<u64>().unwrap_or(0)
                                    + INTEGRATED_ID_OFFSET,
                            )
                        }),
                    name,
                    name_kana: kana,
                    birth_date: birth,
                    sex,
                    postal_code: postal,
                    address,
                    resident_status: ResidentStatus::Resident,
                    household_number: household.clone(),
                    relationship,
                    registered_on: e.event_date,
                    removed_on: None,
                };
                kokuho_domain::addressee::validate(&person).map_err(|err| {
                    line_error(file, e, err.field(), &err.to_string(), &err.message_ja())
                })?;
                if existing.is_some() {
                    registry::update_person(tx, &person).await?;
                } else {
                    registry::insert_addressees(tx, std::slice::from_ref(&person)).await?;
                }
                if e.kind == RegistryEventKind::Birth {
                    // Born into a household with an insured member: propose acquisition.
                    let mut insured_household = false;
                    for member in
                        registry::household_member_ids(tx, &self.insurer, &household).await?
                    {
                        let Ok(member) = AddresseeId::parse(&member) else {
                            continue;
                        };
                        if member != e.addressee_id
                            && self.insured_on(tx, &member, e.event_date).await?
                        {
                            insured_household = true;
                            break;
                        }
                    }
                    if insured_household {
                        out.push(proposal("acquisition", AcquisitionReason::Birth.code()));
                    }
                } else if e.previous_insurer_number.is_some() {
                    // From another municipality's NHI in the prefecture: propose acquisition.
                    out.push(proposal("acquisition", AcquisitionReason::MoveIn.code()));
                }
            }
            RegistryEventKind::Death | RegistryEventKind::MoveOut => {
                let mut person = existing.ok_or_else(missing)?;
                person.removed_on = Some(e.event_date);
                registry::update_person(tx, &person).await?;
                if self.insured_on(tx, &e.addressee_id, e.event_date).await? {
                    let mut p = if e.kind == RegistryEventKind::Death {
                        proposal("loss", LossReason::Death.code())
                    } else {
                        proposal("loss", LossReason::MoveOut.code())
                    };
                    p.destination = e
                        .destination
                        .map(|d| destination_code(destination(d)).to_string());
                    out.push(p);
                }
            }
            RegistryEventKind::MoveWithin => {
                let mut person = existing.ok_or_else(missing)?;
                if let Some(postal) = &e.postal_code {
                    person.postal_code = postal.clone();
                }
                if let Some(address) = &e.address {
                    person.address = address.clone();
                }
                if let Some(h) = &e.household_number {
                    person.household_number = h.clone();
                }
                registry::update_person(tx, &person).await?;
            }
            RegistryEventKind::HouseholdChange => {
                let mut person = existing.ok_or_else(missing)?;
                let household = e.household_number.clone().ok_or_else(|| {
                    line_error(file, e, "household_number", "required", "必須です")
                })?;
                let relationship = e.relationship.unwrap_or(Relationship::Other);
                if !registry::household_exists(tx, &self.insurer, &household).await? {
                    if relationship != Relationship::Householder {
                        return Err(line_error(
                            file,
                            e,
                            "household_number",
                            "a new household needs its householder (02)",
                            "新しい世帯は世帯主（02）で作成してください",
                        ));
                    }
                    registry::create_household(
                        tx,
                        &Household {
                            insurer_number: self.insurer.clone(),
                            household_number: household.clone(),
                            householder: e.addressee_id.clone(),
                            postal_code: person.postal_code.clone(),
                            address: person.address.clone(),
                            registered_on: e.event_date,
                            removed_on: None,
                        },
                        at,
                        "registry-feed",
                    )
                    .await?;
                }
                let existing_household =
                    registry::get_household(&self.db, &self.insurer, &household).await?;
                if relationship == Relationship::Householder
                    && existing_household.as_ref().is_some_and(|h| {
                        h.householder != e.addressee_id && h.registered_on < e.event_date
                    })
                {
                    // 世帯主変更: the person becomes the householder of an existing household.
                    registry::set_householder(tx, &self.insurer, &household, &e.addressee_id)
                        .await?;
                    registry::record_householder(
                        tx,
                        &self.insurer,
                        &household,
                        &e.addressee_id,
                        e.event_date,
                        "householder_change",
                        at,
                        "registry-feed",
                    )
                    .await?;
                }
                person.household_number = household;
                person.relationship = relationship;
                registry::update_person(tx, &person).await?;
                if self.insured_on(tx, &e.addressee_id, e.event_date).await? {
                    out.push(proposal("household_change", "household_change"));
                }
            }
            RegistryEventKind::NameChange | RegistryEventKind::Correction => {
                let mut person = existing.ok_or_else(missing)?;
                if let Some(n) = &e.name {
                    person.name = n.clone();
                }
                if let Some(k) = &e.name_kana {
                    person.name_kana = k.clone();
                }
                if let Some(b) = e.birth_date {
                    person.birth_date = b;
                }
                if let Some(s) = e.sex {
                    person.sex = s;
                }
                registry::update_person(tx, &person).await?;
            }
        }
        Ok(out)
    }

    pub async fn proposals(&self, status: Option<&str>) -> Result<Vec<Proposal>> {
        Ok(repo::proposals(&self.db, &self.insurer, status).await?)
    }

    /// Confirms a pending proposal: registers the change it proposes, in the
    /// same transaction as the decision, with who and when.
    pub async fn confirm_proposal(
        &self,
        id: i64,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<Proposal> {
        in_tx!(self.db, |tx| {
            let p = self.pending(&mut tx, id).await?;
            let person = AddresseeId::parse(&p.addressee_id)?;
            let period_id = match p.kind.as_str() {
                "acquisition" => {
                    let reason =
                        AcquisitionReason::from_code(&p.reason).ok_or_else(|| bad_proposal(&p))?;
                    let a = Acquisition {
                        addressee_id: person,
                        reason,
                        event_on: p.event_on,
                        notified_on: p.notified_on,
                        household_number: p
                            .household_number
                            .as_deref()
                            .map(HouseholdNumber::parse)
                            .transpose()?,
                        previous_insurer_number: p
                            .previous_insurer_number
                            .as_deref()
                            .map(InsurerNumber::parse)
                            .transpose()?,
                        flags: Flags::default(),
                    };
                    Some(self.acquire_in(&mut tx, &a, actor, now).await?.period_id)
                }
                "loss" => {
                    let reason =
                        LossReason::from_code(&p.reason).ok_or_else(|| bad_proposal(&p))?;
                    let destination = match p.destination.as_deref() {
                        Some("same_prefecture") => Some(MoveDestination::SamePrefecture),
                        Some("other_prefecture") => Some(MoveDestination::OtherPrefecture),
                        Some("abroad") => Some(MoveDestination::Abroad),
                        _ => None,
                    };
                    let l = Loss {
                        addressee_id: person,
                        reason,
                        event_on: p.event_on,
                        notified_on: p.notified_on,
                        destination,
                        next_insurer_number: None,
                    };
                    Some(
                        self.lose_in(&mut tx, &l, actor, now, "loss")
                            .await?
                            .period_id,
                    )
                }
                _ => {
                    let household =
                        HouseholdNumber::parse(p.household_number.as_deref().unwrap_or(""))?;
                    self.join_household_in(
                        &mut tx,
                        &person,
                        &household,
                        p.event_on,
                        "household_change",
                        actor,
                        to_us(now),
                    )
                    .await?;
                    None
                }
            };
            repo::decide(
                &mut tx,
                &self.insurer,
                id,
                "confirmed",
                actor,
                to_us(now),
                "",
                period_id,
            )
            .await?;
            Ok(Proposal {
                status: "confirmed".into(),
                decided_by: Some(actor.to_string()),
                decided_us: Some(to_us(now)),
                period_id,
                ..p
            })
        })
    }

    pub async fn reject_proposal(
        &self,
        id: i64,
        note: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<Proposal> {
        if note.trim().is_empty() {
            return Err(AppError::invalid(
                "note",
                "a rejection needs a reason",
                "却下の理由を入力してください",
            ));
        }
        in_tx!(self.db, |tx| {
            let p = self.pending(&mut tx, id).await?;
            repo::decide(
                &mut tx,
                &self.insurer,
                id,
                "rejected",
                actor,
                to_us(now),
                note.trim(),
                None,
            )
            .await?;
            Ok(Proposal {
                status: "rejected".into(),
                decided_by: Some(actor.to_string()),
                decided_us: Some(to_us(now)),
                decision_note: Some(note.trim().to_string()),
                ..p
            })
        })
    }

    async fn pending(&self, tx: &mut Tx, id: i64) -> Result<Proposal> {
        let p = repo::proposal(tx, &self.insurer, id)
            .await?
            .ok_or(AppError::NotFound {
                what: "proposal",
                message_ja: "該当する異動候補がありません",
            })?;
        if p.status != "pending" {
            return Err(AppError::Conflict {
                message_en: format!("proposal {id} was {} already", p.status),
                message_ja: format!("異動候補{id}は処理済みです"),
            });
        }
        Ok(p)
    }
}

fn bad_proposal(p: &Proposal) -> AppError {
    AppError::Conflict {
        message_en: format!("proposal {} has an unknown reason", p.proposal_id),
        message_ja: "異動候補の事由が不明です".into(),
    }
}
