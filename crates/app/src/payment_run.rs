//! Payment runs (支払): the decided, unpaid benefits due by a day gathered
//! into a run with the account each goes to; approved by a supervisor who
//! did not make it; its 全銀 総合振込 file written; then marked sent or
//! failed, returned transfers going back to the queue. A benefit is pending
//! or paid in at most one run — the database refuses anything else — so
//! making a run twice, or two at once, never pays twice.

use std::io::Write;

use kokuho_domain::bank_account::{AccountType, masked};
use kokuho_domain::payment_run::{RunOp, RunStatus};
use kokuho_formats::zengin::{self, Header, Transfer, TransferClass, WriteOptions};
use kokuho_store::benefit::{self as repo, PaymentRow, RunRow, SettingsRow};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use crate::eligibility::{Actor, in_tx, to_us};
use crate::{AppError, Kokuho, Result, local_date};

/// A run as screens show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunView {
    pub run_id: i64,
    pub due_by: Date,
    pub pay_on: Date,
    pub status: &'static str,
    pub status_label: &'static str,
    pub transfers: i64,
    pub total: i64,
    pub without_account: i64,
    /// decided benefits held back because the payee has died since
    pub payee_died: i64,
    pub file_sha256: Option<String>,
    pub file_bytes: Option<i64>,
    pub created_by: String,
    pub approved_by: Option<String>,
    pub cancelled_by: Option<String>,
    pub written_by: Option<String>,
    pub settled_by: Option<String>,
}

fn status_of(r: &RunRow) -> Result<RunStatus> {
    RunStatus::parse(&r.status).ok_or_else(|| AppError::Setup {
        message_en: format!("run {} has an unknown status", r.run_id),
        message_ja: "支払の状態が不明です".into(),
    })
}

pub fn run_view(r: &RunRow) -> RunView {
    let s = RunStatus::parse(&r.status);
    RunView {
        run_id: r.run_id,
        due_by: r.due_by,
        pay_on: r.pay_on,
        status: s.map_or("", RunStatus::code),
        status_label: s.map_or("不明", RunStatus::label),
        transfers: r.transfers,
        total: r.total,
        without_account: r.without_account,
        payee_died: r.payee_died,
        file_sha256: r.file_sha256.clone(),
        file_bytes: r.file_bytes,
        created_by: r.created_by.clone(),
        approved_by: r.approved_by.clone(),
        cancelled_by: r.cancelled_by.clone(),
        written_by: r.written_by.clone(),
        settled_by: r.settled_by.clone(),
    }
}

/// One transfer as the payment list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentView {
    pub line: i64,
    pub application_id: i64,
    pub kind_label: &'static str,
    pub payee_id: String,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: &'static str,
    /// masked to its last three digits unless `whole`
    pub number: String,
    pub holder_transfer: String,
    pub amount: i64,
    pub outcome: &'static str,
    pub return_reason: Option<String>,
}

pub fn payment_view(p: &PaymentRow, whole: bool) -> PaymentView {
    PaymentView {
        line: p.line,
        application_id: p.application_id,
        kind_label: kokuho_domain::benefit::BenefitKind::parse(&p.kind)
            .map_or("", kokuho_domain::benefit::BenefitKind::label),
        payee_id: p.payee_id.clone(),
        bank_code: p.bank_code.clone(),
        branch_code: p.branch_code.clone(),
        account_type: p
            .account_type
            .chars()
            .next()
            .and_then(AccountType::from_code)
            .map_or("", AccountType::label),
        number: if whole {
            p.number.clone()
        } else {
            masked(&p.number)
        },
        holder_transfer: p.holder_transfer.clone(),
        amount: p.amount,
        outcome: crate::benefit::outcome_label(&p.outcome),
        return_reason: p.return_reason.clone(),
    }
}

/// The town's bank contract as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankContract {
    /// 振込依頼人コード (10 digits, from the bank)
    pub requester_code: String,
    /// 振込依頼人名 (kana; converted for the file)
    pub requester_name: String,
    pub bank_code: String,
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    pub account_type: AccountType,
    pub account_number: String,
    /// 新規コード as the bank's manual says (`0` unless told otherwise)
    pub new_code: char,
    pub transfer_class: TransferClass,
    pub line_breaks: bool,
}

fn header_of(s: &SettingsRow, pay_on: Date) -> Result<(Header, char, TransferClass, bool)> {
    let bad = |field: &'static str| AppError::Setup {
        message_en: format!("the bank contract's {field} is not valid"),
        message_ja: "振込依頼人の設定が正しくありません".into(),
    };
    Ok((
        Header {
            requester_code: s.requester_code.clone(),
            requester_name: s.requester_name.clone(),
            transfer_date: pay_on,
            bank_code: s.bank_code.clone(),
            bank_name: s.bank_name.clone(),
            branch_code: s.branch_code.clone(),
            branch_name: s.branch_name.clone(),
            account_type: s
                .account_type
                .chars()
                .next()
                .and_then(AccountType::from_code)
                .ok_or_else(|| bad("account_type"))?,
            account_number: s.account_number.clone(),
        },
        s.new_code.chars().next().ok_or_else(|| bad("new_code"))?,
        match s.transfer_class.as_str() {
            "7" => TransferClass::Telegraphic,
            "8" => TransferClass::Document,
            _ => return Err(bad("transfer_class")),
        },
        s.line_breaks,
    ))
}

fn zengin_error(e: zengin::ZenginError) -> AppError {
    AppError::Rejected {
        file: e.file,
        line: e.record,
        field: e.field,
        reason_en: e.reason,
        reason_ja: e.reason_ja,
    }
}

fn not_found() -> AppError {
    AppError::NotFound {
        what: "payment run",
        message_ja: "該当する支払がありません",
    }
}

fn refused(status: RunStatus, op: RunOp) -> AppError {
    let what = match op {
        RunOp::Approve => "approved",
        RunOp::Cancel => "cancelled",
        RunOp::WriteFile => "written to a file",
        RunOp::MarkSent => "marked sent",
        RunOp::MarkFailed => "marked failed",
        RunOp::ReturnTransfers => "have transfers returned",
    };
    AppError::Conflict {
        message_en: format!("a run that is {} cannot be {what}", status.code()),
        message_ja: format!("{}の支払にはこの操作はできません", status.label()),
    }
}

/// What a step does to the run's transfers: from one outcome to another,
/// all of them or only some applications', with a reason.
type OutcomeChange<'a> = (&'a str, &'a str, Option<&'a [i64]>, Option<&'a str>);

impl Kokuho {
    /// Records a new version of the town's bank contract, checked by
    /// writing an empty file's header with it.
    pub async fn set_bank_contract(
        &self,
        c: &BankContract,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let row = SettingsRow {
            version_no: 0,
            requester_code: c.requester_code.trim().to_string(),
            requester_name: c.requester_name.trim().to_string(),
            bank_code: c.bank_code.trim().to_string(),
            bank_name: c.bank_name.trim().to_string(),
            branch_code: c.branch_code.trim().to_string(),
            branch_name: c.branch_name.trim().to_string(),
            account_type: c.account_type.code().to_string(),
            account_number: c.account_number.trim().to_string(),
            new_code: c.new_code.to_string(),
            transfer_class: match c.transfer_class {
                TransferClass::Telegraphic => "7",
                TransferClass::Document => "8",
            }
            .to_string(),
            line_breaks: c.line_breaks,
            recorded_us: to_us(now),
            recorded_by: actor.to_string(),
        };
        if !matches!(c.new_code, '0' | '1' | '2') {
            return Err(AppError::invalid(
                "new_code",
                "新規コード must be 0, 1 or 2",
                "新規コードは0・1・2のいずれかです",
            ));
        }
        let (header, ..) = header_of(&row, local_date(now))?;
        zengin::write("(bank contract)", &header, &[], &WriteOptions::default()).map_err(|e| {
            AppError::Invalid {
                field: match e.field.as_str() {
                    "requester_code" => "requester_code",
                    "requester_name" => "requester_name",
                    "bank_code" => "bank_code",
                    "bank_name" => "bank_name",
                    "branch_code" => "branch_code",
                    "branch_name" => "branch_name",
                    _ => "account_number",
                },
                message_en: e.reason,
                message_ja: e.reason_ja,
            }
        })?;
        in_tx!(self.db, |tx| Ok::<_, AppError>(
            repo::insert_settings(&mut tx, &self.insurer, &row).await?
        ))
    }

    /// The bank contract in force, if one was recorded.
    pub async fn bank_contract(&self) -> Result<Option<SettingsRow>> {
        Ok(repo::settings(&self.db, &self.insurer).await?)
    }

    /// Gathers every decided, unpaid benefit due by `due_by` that has an
    /// account into a new run paid on `pay_on`. Nothing to pay is a
    /// `Conflict` and makes no run.
    pub async fn create_payment_run(
        &self,
        due_by: Date,
        pay_on: Date,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<RunView> {
        if pay_on < local_date(now) {
            return Err(AppError::invalid(
                "pay_on",
                "the payment day has passed",
                "振込指定日が過去の日付です",
            ));
        }
        let at = to_us(now);
        let row = in_tx!(self.db, |tx| {
            let run_id = repo::next_run_id(&mut tx, &self.insurer).await?;
            let repo::Gathered {
                transfers,
                total,
                without_account,
                payee_died,
            } = repo::gather(&mut tx, &self.insurer, run_id, due_by).await?;
            if transfers == 0 {
                return Err(AppError::Conflict {
                    message_en: format!(
                        "nothing to pay: no decided, unpaid benefit due by {due_by} has an account \
                         ({without_account} without one, {payee_died} held back: the payee died)"
                    ),
                    message_ja: format!(
                        "支払う給付がありません（{due_by} までに支給決定した未払の給付のうち口座のないもの {without_account} 件、受取人死亡のため保留 {payee_died} 件）"
                    ),
                });
            }
            if total > zengin::MAX_TOTAL {
                return Err(AppError::Conflict {
                    message_en: "the run's total does not fit one transfer file: pay in two runs"
                        .into(),
                    message_ja: "合計金額が振込ファイル1本の上限を超えます".into(),
                });
            }
            let row = RunRow {
                run_id,
                due_by,
                pay_on,
                status: RunStatus::Created.code().to_string(),
                transfers,
                total,
                without_account,
                payee_died,
                file_sha256: None,
                file_bytes: None,
                created_us: at,
                created_by: actor.to_string(),
                approved_us: None,
                approved_by: None,
                cancelled_us: None,
                cancelled_by: None,
                written_us: None,
                written_by: None,
                settled_us: None,
                settled_by: None,
            };
            repo::insert_run(&mut tx, &self.insurer, &row).await?;
            Ok::<_, AppError>(row)
        })?;
        Ok(run_view(&row))
    }

    async fn run_row(&self, run_id: i64) -> Result<RunRow> {
        repo::run(&self.db, &self.insurer, run_id)
            .await?
            .ok_or_else(not_found)
    }

    /// Moves a run by `op`, checking it may, in one transaction with
    /// `also` (what else changes with it).
    async fn step(
        &self,
        run_id: i64,
        op: RunOp,
        stamp: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
        payments: Option<OutcomeChange<'_>>,
    ) -> Result<(RunView, u64)> {
        let run = self.run_row(run_id).await?;
        let status = status_of(&run)?;
        let to = status.after(op).ok_or_else(|| refused(status, op))?;
        if op == RunOp::Approve && run.created_by == actor {
            return Err(AppError::Conflict {
                message_en: "the account that created a run cannot approve it".into(),
                message_ja: "支払を作成した職員は承認できません（別の職員が承認してください）"
                    .into(),
            });
        }
        let at = to_us(now);
        let froms: Vec<&str> = RunStatus::before(op).iter().map(|s| s.code()).collect();
        let changed = in_tx!(self.db, |tx| {
            let n = repo::set_status(
                &mut tx,
                &self.insurer,
                run_id,
                &froms,
                to.code(),
                stamp,
                at,
                actor,
            )
            .await?;
            if n == 0 {
                return Err(refused(status, op));
            }
            let mut changed = 0;
            if let Some((from, to_outcome, only, reason)) = payments {
                changed = repo::set_outcomes(
                    &mut tx,
                    &self.insurer,
                    run_id,
                    from,
                    to_outcome,
                    only,
                    reason,
                    at,
                    actor,
                )
                .await?;
                if let Some(ids) = only
                    && changed != ids.len() as u64
                {
                    return Err(AppError::invalid(
                        "application",
                        "every returned transfer must be a paid transfer of this run; nothing was changed",
                        "この支払で支払済みの振込でないものが含まれています（何も変更していません）",
                    ));
                }
            }
            Ok::<_, AppError>(changed)
        })?;
        Ok((run_view(&self.run_row(run_id).await?), changed))
    }

    /// Approves a created run (a supervisor; never its creator).
    pub async fn approve_payment_run(
        &self,
        run_id: i64,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<RunView> {
        Ok(self
            .step(run_id, RunOp::Approve, "approved", actor, now, None)
            .await?
            .0)
    }

    /// Cancels a run whose file is not written yet: its benefits go back to
    /// the queue.
    pub async fn cancel_payment_run(
        &self,
        run_id: i64,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<RunView> {
        Ok(self
            .step(
                run_id,
                RunOp::Cancel,
                "cancelled",
                actor,
                now,
                Some(("pending", "cancelled", None, None)),
            )
            .await?
            .0)
    }

    /// The bank took the file: every pending transfer is paid.
    pub async fn mark_payment_run_sent(
        &self,
        run_id: i64,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<RunView> {
        Ok(self
            .step(
                run_id,
                RunOp::MarkSent,
                "settled",
                actor,
                now,
                Some(("pending", "paid", None, None)),
            )
            .await?
            .0)
    }

    /// The file failed: every transfer goes back to the queue.
    pub async fn mark_payment_run_failed(
        &self,
        run_id: i64,
        reason: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<RunView> {
        let reason = reason.trim();
        crate::leak_scan::refuse_my_number("reason", reason)?;
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "say why the file failed",
                "失敗の理由を入力してください",
            ));
        }
        Ok(self
            .step(
                run_id,
                RunOp::MarkFailed,
                "settled",
                actor,
                now,
                Some(("pending", "returned", None, Some(reason))),
            )
            .await?
            .0)
    }

    /// Transfers of a sent run the bank returned (振込不能・組戻し): back
    /// to the queue, all of them or none.
    pub async fn return_transfers(
        &self,
        run_id: i64,
        application_ids: &[i64],
        reason: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<(RunView, u64)> {
        let reason = reason.trim();
        // kept with each transfer and printed on the list: never a number
        crate::leak_scan::refuse_my_number("reason", reason)?;
        if reason.is_empty() || application_ids.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "name the returned transfers and say why",
                "返戻された振込と理由を入力してください",
            ));
        }
        let mut ids = application_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        self.step(
            run_id,
            RunOp::ReturnTransfers,
            "settled",
            actor,
            now,
            Some(("paid", "returned", Some(&ids), Some(reason))),
        )
        .await
    }

    /// Marks returned the transfers a bank's return file names (振込不能:
    /// the failed transfers given back in the 総合振込 layout), all or none:
    /// every data record must be a paid transfer of this run — the
    /// application's 受付番号 in 顧客コード1 (as written), with the same
    /// bank, branch, account number and amount — and the header must carry
    /// the run's 振込指定日. How banks return failed transfers is their own
    /// (docs/formats/zengin.md, provisional); this reads the 総合振込 form.
    pub async fn return_transfers_from_file(
        &self,
        run_id: i64,
        file_name: &str,
        bytes: &[u8],
        reason: &str,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<(RunView, u64)> {
        // the name goes into the access record
        crate::leak_scan::refuse_my_number("file", file_name)?;
        let run = self.run_row(run_id).await?;
        let rejected = |record: usize, field: &str, en: String, ja: String| AppError::Rejected {
            file: file_name.to_string(),
            line: record,
            field: field.to_string(),
            reason_en: en,
            reason_ja: ja,
        };
        let file = zengin::read(file_name, bytes, run.pay_on.year())
            .map_err(|e| rejected(e.record, &e.field, e.reason.clone(), e.reason_ja.clone()))?;
        if file.header.transfer_date != run.pay_on {
            return Err(rejected(
                1,
                "振込指定日",
                format!("the file's transfer day is not the run's ({})", run.pay_on),
                format!("振込指定日がこの支払（{}）と違います", run.pay_on),
            ));
        }
        let payments = repo::payments_of_run(&self.db, &self.insurer, run_id).await?;
        let mut ids: Vec<i64> = Vec::with_capacity(file.transfers.len());
        for (i, t) in file.transfers.iter().enumerate() {
            let record = i + 2;
            let Some(p) = i64::try_from(t.customer_code1)
                .ok()
                .and_then(|id| payments.iter().find(|p| p.application_id == id))
            else {
                return Err(rejected(
                    record,
                    "顧客コード1",
                    "not a transfer of this run".into(),
                    "この支払の振込ではありません（受付番号が違います）".into(),
                ));
            };
            let same = p.bank_code == t.bank_code
                && p.branch_code == t.branch_code
                && p.number == t.account_number
                && p.amount == t.amount;
            if !same {
                return Err(rejected(
                    record,
                    "振込金額",
                    "the bank, branch, account or amount differs from the transfer sent".into(),
                    "送った振込と金融機関・支店・口座番号・金額のいずれかが違います".into(),
                ));
            }
            if p.outcome != "paid" {
                return Err(rejected(
                    record,
                    "顧客コード1",
                    format!("transfer {} is not paid ({})", p.application_id, p.outcome),
                    format!(
                        "受付番号 {} の振込は支払済みではありません",
                        p.application_id
                    ),
                ));
            }
            if ids.contains(&p.application_id) {
                return Err(rejected(
                    record,
                    "顧客コード1",
                    "the same transfer twice in the file".into(),
                    "同じ振込が2回あります".into(),
                ));
            }
            ids.push(p.application_id);
        }
        if ids.is_empty() {
            return Err(rejected(
                2,
                "データレコード",
                "the file names no transfer".into(),
                "振込不能の明細がありません".into(),
            ));
        }
        self.return_transfers(run_id, &ids, reason, actor, now)
            .await
    }

    /// Writes an approved run's 全銀 総合振込 file: the same run gives the
    /// same bytes each time (while the bank contract is unchanged). The
    /// file's digest and size are recorded with the run. Also gives the
    /// payees the file carries (for the access record).
    pub async fn write_payment_file(
        &self,
        run_id: i64,
        actor: Actor<'_>,
        now: OffsetDateTime,
    ) -> Result<(Vec<u8>, RunView, Vec<String>)> {
        let run = self.run_row(run_id).await?;
        let status = status_of(&run)?;
        status
            .after(RunOp::WriteFile)
            .ok_or_else(|| refused(status, RunOp::WriteFile))?;
        // the file carries the transfer day without its year: never one past
        if run.pay_on < local_date(now) {
            return Err(AppError::Conflict {
                message_en: format!(
                    "the run's transfer day {} has passed: cancel the run and make a new one",
                    run.pay_on
                ),
                message_ja: "振込指定日を過ぎています（取り消して作成し直してください）".into(),
            });
        }
        let settings = self.bank_contract().await?.ok_or_else(|| AppError::Setup {
            message_en: "no bank contract recorded: `kokuho payments contract set` first".into(),
            message_ja: "振込依頼人（指定金融機関）の設定がありません".into(),
        })?;
        let (header, new_code, transfer_class, line_breaks) = header_of(&settings, run.pay_on)?;
        let rows = repo::payments_of_run(&self.db, &self.insurer, run_id).await?;
        let transfers = rows
            .iter()
            .map(|p| {
                Ok(Transfer {
                    bank_code: p.bank_code.clone(),
                    bank_name: String::new(),
                    branch_code: p.branch_code.clone(),
                    branch_name: String::new(),
                    account_type: p
                        .account_type
                        .chars()
                        .next()
                        .and_then(AccountType::from_code)
                        .ok_or_else(|| AppError::Setup {
                            message_en: format!("transfer {} has an unknown account type", p.line),
                            message_ja: "預金種目が不明な振込があります".into(),
                        })?,
                    account_number: p.number.clone(),
                    payee_name: p.holder_transfer.clone(),
                    amount: p.amount,
                    new_code,
                    customer_code1: u64::try_from(p.application_id).unwrap_or(0),
                    customer_code2: 0,
                    transfer_class,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let name = format!("payment-run-{run_id}");
        let bytes = zengin::write(
            &name,
            &header,
            &transfers,
            &WriteOptions {
                line_breaks,
                ..WriteOptions::default()
            },
        )
        .map_err(zengin_error)?;
        let sha = hex::encode(Sha256::digest(&bytes));
        let at = to_us(now);
        let froms: Vec<&str> = RunStatus::before(RunOp::WriteFile)
            .iter()
            .map(|s| s.code())
            .collect();
        in_tx!(self.db, |tx| {
            let n = repo::set_status(
                &mut tx,
                &self.insurer,
                run_id,
                &froms,
                RunStatus::Written.code(),
                "written",
                at,
                actor,
            )
            .await?;
            if n == 0 {
                return Err(refused(status, RunOp::WriteFile));
            }
            repo::set_file(&mut tx, &self.insurer, run_id, &sha, bytes.len() as i64).await?;
            Ok::<_, AppError>(())
        })?;
        let payees: std::collections::BTreeSet<String> =
            rows.into_iter().map(|p| p.payee_id).collect();
        Ok((
            bytes,
            run_view(&self.run_row(run_id).await?),
            payees.into_iter().collect(),
        ))
    }

    /// The runs, the latest first.
    pub async fn payment_runs(&self, limit: i64) -> Result<Vec<RunView>> {
        Ok(repo::runs(&self.db, &self.insurer, limit)
            .await?
            .iter()
            .map(run_view)
            .collect())
    }

    /// A run and its transfers in file order.
    pub async fn payment_run(&self, run_id: i64) -> Result<(RunView, Vec<PaymentRow>)> {
        let run = self.run_row(run_id).await?;
        let rows = repo::payments_of_run(&self.db, &self.insurer, run_id).await?;
        Ok((run_view(&run), rows))
    }
}

pub const PAYMENT_LIST_HEADER: [&str; 12] = [
    "行",
    "受付番号",
    "給付",
    "受取人宛名番号",
    "金融機関コード",
    "支店コード",
    "預金種目",
    "口座番号",
    "口座名義（カナ）",
    "金額",
    "状態",
    "返戻理由",
];

/// A run's payment list as CSV; account numbers whole only when `whole`.
pub fn write_payment_list_csv<W: Write>(
    rows: &[PaymentRow],
    whole: bool,
    encoding: kokuho_formats::text::Encoding,
    out: W,
) -> Result<W> {
    let csv_error = |e: kokuho_formats::csv_out::CsvError| AppError::Invalid {
        field: "encoding",
        message_en: e.to_string(),
        message_ja: e.message_ja(),
    };
    let mut w = kokuho_formats::csv_out::CsvWriter::new(out, encoding, &PAYMENT_LIST_HEADER)
        .map_err(csv_error)?;
    for p in rows {
        let v = payment_view(p, whole);
        w.write_row(&[
            v.line.to_string(),
            v.application_id.to_string(),
            v.kind_label.to_string(),
            v.payee_id,
            v.bank_code,
            v.branch_code,
            v.account_type.to_string(),
            v.number,
            v.holder_transfer,
            v.amount.to_string(),
            v.outcome.to_string(),
            v.return_reason.unwrap_or_default(),
        ])
        .map_err(csv_error)?;
    }
    w.finish().map_err(csv_error)
}
