//! A payment run's life (支払の流れ): which step may follow which. A run is
//! made (created), approved by a supervisor, its transfer file written (as
//! often as needed: the same run gives the same file), then marked sent or
//! failed; it can be cancelled until its file is written. After it was sent,
//! single transfers the bank returned (振込不能・組戻し) go back to the
//! queue for a later run.

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunStatus {
    Created,
    Approved,
    Cancelled,
    Written,
    Sent,
    Failed,
}

/// What can be done to a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunOp {
    Approve,
    Cancel,
    WriteFile,
    MarkSent,
    MarkFailed,
    /// single transfers returned by the bank after the run was sent
    ReturnTransfers,
}

impl RunStatus {
    pub const ALL: [RunStatus; 6] = [
        RunStatus::Created,
        RunStatus::Approved,
        RunStatus::Cancelled,
        RunStatus::Written,
        RunStatus::Sent,
        RunStatus::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RunStatus::Created => "created",
            RunStatus::Approved => "approved",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Written => "written",
            RunStatus::Sent => "sent",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Created => "作成済み（承認待ち）",
            RunStatus::Approved => "承認済み",
            RunStatus::Cancelled => "取消",
            RunStatus::Written => "振込ファイル作成済み",
            RunStatus::Sent => "送信済み",
            RunStatus::Failed => "送信失敗（再支払待ち）",
        }
    }

    /// The status after `op`, or `None` where `op` may not follow.
    pub fn after(self, op: RunOp) -> Option<RunStatus> {
        use RunOp::*;
        use RunStatus::*;
        match (self, op) {
            (Created, Approve) => Some(Approved),
            (Created | Approved, Cancel) => Some(Cancelled),
            (Approved | Written, WriteFile) => Some(Written),
            (Written, MarkSent) => Some(Sent),
            (Written, MarkFailed) => Some(Failed),
            (Sent, ReturnTransfers) => Some(Sent),
            _ => None,
        }
    }

    /// The statuses `op` may be applied in.
    pub fn before(op: RunOp) -> Vec<RunStatus> {
        Self::ALL
            .into_iter()
            .filter(|s| s.after(op).is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_only_before_the_file_and_no_way_back() {
        assert_eq!(
            RunStatus::before(RunOp::Cancel),
            vec![RunStatus::Created, RunStatus::Approved]
        );
        assert_eq!(RunStatus::before(RunOp::Approve), vec![RunStatus::Created]);
        for s in [RunStatus::Cancelled, RunStatus::Failed] {
            for op in [
                RunOp::Approve,
                RunOp::Cancel,
                RunOp::WriteFile,
                RunOp::MarkSent,
                RunOp::MarkFailed,
                RunOp::ReturnTransfers,
            ] {
                assert_eq!(s.after(op), None, "{s:?} {op:?}");
            }
        }
        // a file only for an approved run, and again for a written one
        assert_eq!(RunStatus::Created.after(RunOp::WriteFile), None);
        assert_eq!(
            RunStatus::Written.after(RunOp::WriteFile),
            Some(RunStatus::Written)
        );
        assert_eq!(RunStatus::Sent.after(RunOp::MarkFailed), None);
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.code()), Some(s));
        }
    }
}
