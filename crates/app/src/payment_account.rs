//! The bank accounts benefits are paid into (口座): the resident's
//! registered 公金受取口座, or an account given on an application. Each
//! account is checked before it is kept (`kokuho_domain::bank_account`:
//! codes, number, a holder's name the transfer file can carry); a person has
//! at most one current account of each source, a change ending the one
//! before. Which account a payment goes to: the 公金受取口座 where there is
//! one and the resident has not asked otherwise, else the application's.

use kokuho_domain::bank_account::{AccountType, BankAccount, LongVowel, masked};
use kokuho_domain::id::AddresseeId;
use kokuho_store::addressee as addressee_repo;
use kokuho_store::bank_account::{self as repo, AccountRow};
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::eligibility::{Actor, in_tx, to_us};
use crate::{AppError, Kokuho, Result};

/// Where an account came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AccountSource {
    /// 公金受取口座 (registered with the Digital Agency, looked up)
    PublicFunds,
    /// given on an application (申請書の口座)
    Application,
}

impl AccountSource {
    pub fn code(self) -> &'static str {
        match self {
            AccountSource::PublicFunds => "public_funds",
            AccountSource::Application => "application",
        }
    }

    pub fn parse(s: &str) -> Option<AccountSource> {
        match s.trim().replace('-', "_").as_str() {
            "public_funds" => Some(AccountSource::PublicFunds),
            "application" => Some(AccountSource::Application),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountSource::PublicFunds => "公金受取口座",
            AccountSource::Application => "申請書の口座",
        }
    }
}

/// An account to keep for a person.
#[derive(Clone, Debug)]
pub struct AccountInput {
    pub addressee_id: String,
    pub source: AccountSource,
    pub account: BankAccount,
    /// the day the account was confirmed (looked up, or the application's)
    pub confirmed_on: Date,
}

/// An account as a screen shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountView {
    pub account_id: i64,
    pub addressee_id: String,
    pub source: &'static str,
    pub source_label: &'static str,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: &'static str,
    /// masked to its last three digits unless `whole`
    pub number: String,
    pub whole: bool,
    pub holder: String,
    pub holder_transfer: String,
    pub confirmed_on: Date,
    pub current: bool,
    pub recorded_us: i64,
    pub recorded_by: String,
}

fn view(r: &AccountRow, whole: bool) -> AccountView {
    let source = AccountSource::parse(&r.source).unwrap_or(AccountSource::Application);
    AccountView {
        account_id: r.account_id,
        addressee_id: r.addressee_id.clone(),
        source: source.code(),
        source_label: source.label(),
        bank_code: r.bank_code.clone(),
        branch_code: r.branch_code.clone(),
        account_type: r
            .account_type
            .chars()
            .next()
            .and_then(AccountType::from_code)
            .map_or("", AccountType::label),
        number: if whole {
            r.number.clone()
        } else {
            masked(&r.number)
        },
        whole,
        holder: r.holder.clone(),
        holder_transfer: r.holder_transfer.clone(),
        confirmed_on: r.confirmed_on,
        current: r.ended_us.is_none(),
        recorded_us: r.recorded_us,
        recorded_by: r.recorded_by.clone(),
    }
}

impl Kokuho {
    /// Checks and keeps an account, ending the person's current account of
    /// the same source. Nothing is kept when any field fails: the first
    /// failing field is named (never its value).
    pub async fn register_account(
        &self,
        input: &AccountInput,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<AccountView> {
        let id = AddresseeId::parse(&input.addressee_id)?;
        addressee_repo::get_person(&self.db, &self.insurer, &id)
            .await?
            .ok_or(AppError::NotFound {
                what: "person",
                message_ja: "該当する宛名がありません",
            })?;
        let checked = input.account.check(LongVowel::Hyphen).map_err(|errors| {
            let first = &errors[0];
            AppError::Invalid {
                field: first.field,
                message_en: first.reason.clone(),
                message_ja: errors
                    .iter()
                    .map(|e| e.reason_ja.clone())
                    .collect::<Vec<_>>()
                    .join("／"),
            }
        })?;
        let at = to_us(now);
        let row = in_tx!(self.db, |tx| {
            repo::end_current(
                &mut tx,
                &self.insurer,
                id.as_str(),
                input.source.code(),
                at,
                actor,
            )
            .await?;
            let row = AccountRow {
                account_id: repo::next_id(&mut tx, &self.insurer).await?,
                addressee_id: id.to_string(),
                source: input.source.code().to_string(),
                bank_code: checked.bank_code.clone(),
                branch_code: checked.branch_code.clone(),
                account_type: checked.account_type.code().to_string(),
                number: checked.number.clone(),
                holder: checked.holder.clone(),
                holder_transfer: checked.holder_transfer.clone(),
                confirmed_on: input.confirmed_on,
                recorded_us: at,
                recorded_by: actor.to_string(),
                ended_us: None,
                ended_by: None,
            };
            repo::insert(&mut tx, &self.insurer, &row).await?;
            Ok::<_, AppError>(row)
        })?;
        Ok(view(&row, false))
    }

    /// Every account of a person, current first; numbers whole only when
    /// `whole`.
    pub async fn accounts_of(&self, addressee_id: &str, whole: bool) -> Result<Vec<AccountView>> {
        let id = AddresseeId::parse(addressee_id)?;
        Ok(repo::of_person(&self.db, &self.insurer, id.as_str())
            .await?
            .iter()
            .map(|r| view(r, whole))
            .collect())
    }

    /// The account a payment to the person goes to: the current
    /// 公金受取口座 where there is one, else the current application
    /// account; when `application_chosen` (the resident asked for the
    /// application's account), that one only. `None`: nowhere to pay.
    pub async fn account_for_payment(
        &self,
        addressee_id: &str,
        application_chosen: bool,
    ) -> Result<Option<AccountRow>> {
        let id = AddresseeId::parse(addressee_id)?;
        let current: Vec<AccountRow> = repo::of_person(&self.db, &self.insurer, id.as_str())
            .await?
            .into_iter()
            .filter(|r| r.ended_us.is_none())
            .collect();
        let of = |s: AccountSource| current.iter().find(|r| r.source == s.code()).cloned();
        Ok(if application_chosen {
            // never the 公金受取口座 the resident asked not to use
            of(AccountSource::Application)
        } else {
            of(AccountSource::PublicFunds).or_else(|| of(AccountSource::Application))
        })
    }
}
