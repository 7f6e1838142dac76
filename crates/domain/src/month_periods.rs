//! Rule tables dated by month (burden categories, high-cost limits): each
//! period from a month, until a month or the next period's start, checked
//! to be in order without gaps or overlaps.

use crate::burden::parse_month;
use crate::eligibility::YearMonth;

/// A period as read: its first month, its last (if bounded), its figures.
pub type Period<T> = (YearMonth, Option<YearMonth>, T);

/// Why a table's periods were refused; each table's error takes it in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodError {
    pub field: String,
    pub reason: &'static str,
    pub reason_ja: &'static str,
}

fn fail(field: String, reason: &'static str, reason_ja: &'static str) -> PeriodError {
    PeriodError {
        field,
        reason,
        reason_ja,
    }
}

/// Period `i`'s `from` and `until` ("YYYY-MM"), `until` not before `from`.
pub fn bounds(
    i: usize,
    from: &str,
    until: Option<&str>,
) -> Result<(YearMonth, Option<YearMonth>), PeriodError> {
    let at = |f: &str| format!("period[{i}].{f}");
    let from = parse_month(from)
        .ok_or_else(|| fail(at("from"), "not YYYY-MM", "年月の形式が正しくありません"))?;
    let until = match until {
        None => None,
        Some(u) => Some(
            parse_month(u)
                .ok_or_else(|| fail(at("until"), "not YYYY-MM", "年月の形式が正しくありません"))?,
        ),
    };
    if until.is_some_and(|u| u < from) {
        return Err(fail(
            at("until"),
            "before from",
            "終了年月が開始年月より前です",
        ));
    }
    Ok((from, until))
}

/// Checks the periods are there and in order, and ends each where the next
/// begins (the last month before it); the last keeps its own `until`.
pub fn link<T>(periods: &mut [Period<T>]) -> Result<(), PeriodError> {
    if periods.is_empty() {
        return Err(fail("period".into(), "no period", "期間がありません"));
    }
    for i in 0..periods.len() - 1 {
        let next_from = periods[i + 1].0;
        if next_from <= periods[i].0 {
            return Err(fail(
                format!("period[{}].from", i + 1),
                "periods out of order",
                "期間の順序が正しくありません",
            ));
        }
        match periods[i].1 {
            Some(u) if u.next() != next_from => {
                return Err(fail(
                    format!("period[{i}].until"),
                    "gap or overlap with the next period",
                    "次の期間との間に空きか重なりがあります",
                ));
            }
            _ => periods[i].1 = Some(next_from.prev()),
        }
    }
    Ok(())
}

/// The figures for a month, or `None` outside the table.
pub fn find<T>(periods: &[Period<T>], m: YearMonth) -> Option<&T> {
    periods
        .iter()
        .find(|(from, until, _)| *from <= m && until.is_none_or(|u| m <= u))
        .map(|(_, _, p)| p)
}
