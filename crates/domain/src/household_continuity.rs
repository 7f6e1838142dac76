//! 世帯の継続性: whether a household that moved in from another municipality
//! of the prefecture continues the one it left, so that the high-cost months
//! it had there count for 多数回 here (from 平成30年度, when the prefecture
//! became an insurer with its municipalities; 新潟県 「世帯の継続性とは、国保
//! 上の世帯主を基準とした、転居前後での家計の同一性、世帯の連続性」).
//!
//! The criteria the town judges by are the ministry's reference criteria,
//! which look at the householder (国の参酌基準、世帯主に着目), as municipal
//! guides state them (富田林市 「世帯の継続性」, 松山市 「世帯の継続性の判定」):
//! the household continues where
//! 1. only the address changed, the householder and members the same;
//! 2. the householder changed within the same household;
//! 3. members were added by birth or by leaving other insurance;
//! 4. members left by death or by joining other insurance;
//!
//! and, where a household split (世帯分離) or merged (世帯合併), the household
//! whose householder after the move was the householder before it. This
//! gives the town a proposal with its reason; the clerk judges.

use std::collections::BTreeSet;

/// A person who moved in, as the federation's 資格継続引継情報 gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovedIn {
    pub addressee_id: String,
    /// the householder of the household they left
    pub was_householder: bool,
}

/// What the proposal is made from: the persons who moved from one
/// household there into one household here, what the federation says of
/// the household they left, and the household here on the day they came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub moved: Vec<MovedIn>,
    /// the household left had a householder not NHI-insured (擬制世帯主)
    pub nominal_before: bool,
    /// its insured on its last day with them; 0 when not known
    pub insured_before: i64,
    /// how many households there the persons came from (two merging here
    /// from the same municipality: 2)
    pub from_households: usize,
    /// the householder here on the day they came
    pub householder_here: Option<String>,
    /// the insured of the household here on that day
    pub members_here: Vec<String>,
}

/// The proposal, with the criterion as the clerk reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proposal {
    Continues(&'static str),
    DoesNotContinue(&'static str),
    /// the data cannot tell: the clerk looks at the resident records
    Undecided(&'static str),
}

impl Proposal {
    pub fn reason(self) -> &'static str {
        match self {
            Proposal::Continues(r) | Proposal::DoesNotContinue(r) | Proposal::Undecided(r) => r,
        }
    }

    /// continues | does_not | undecided
    pub fn code(self) -> &'static str {
        match self {
            Proposal::Continues(_) => "continues",
            Proposal::DoesNotContinue(_) => "does_not",
            Proposal::Undecided(_) => "undecided",
        }
    }
}

/// The proposal for one candidate household.
pub fn propose(f: &Facts) -> Proposal {
    if f.moved.is_empty() || f.insured_before <= 0 {
        return Proposal::Undecided(
            "引継情報に転入前の世帯の情報がありません。世帯主に着目して判定してください",
        );
    }
    let moved: BTreeSet<&str> = f.moved.iter().map(|m| m.addressee_id.as_str()).collect();
    // a householder there who heads the household here (of any of the
    // households they came from, when two merged here)
    if f.moved.iter().any(|m| {
        m.was_householder && f.householder_here.as_deref() == Some(m.addressee_id.as_str())
    }) {
        return Proposal::Continues(
            "転入前の世帯主が転入後も世帯主です（住所のみの異動、または世帯の分離・合併で世帯主が変わらない場合）",
        );
    }
    if !f.moved.iter().any(|m| m.was_householder) {
        if f.nominal_before {
            return Proposal::Undecided(
                "転入前の世帯主は国保の被保険者ではありません（擬制世帯主）。その方が転入後も世帯主か、住民記録で確かめて判定してください",
            );
        }
        return Proposal::DoesNotContinue(
            "転入前の世帯主は転入していません（世帯の一部の方の転入）",
        );
    }
    // The whole household came, into a household of none but them: the
    // householder changed within the same household.
    let whole = f.from_households == 1
        && f.householder_here.is_some()
        && !f.members_here.is_empty()
        && i64::try_from(moved.len()).is_ok_and(|n| n == f.insured_before)
        && f.members_here.iter().all(|m| moved.contains(m.as_str()));
    if whole {
        return Proposal::Continues(
            "世帯の全員がそろって転入し、同じ世帯の中で世帯主が変わりました",
        );
    }
    Proposal::DoesNotContinue(
        "転入前の世帯主が転入後の世帯主ではありません（世帯の分離・合併で別の方の世帯に入った場合）",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(ids: &[(&str, bool)]) -> Vec<MovedIn> {
        ids.iter()
            .map(|(id, h)| MovedIn {
                addressee_id: (*id).into(),
                was_householder: *h,
            })
            .collect()
    }

    fn facts(m: &[(&str, bool)], before: i64, householder: &str, here: &[&str]) -> Facts {
        Facts {
            moved: moved(m),
            nominal_before: false,
            insured_before: before,
            from_households: 1,
            householder_here: Some(householder.into()),
            members_here: here.iter().map(|s| (*s).into()).collect(),
        }
    }

    #[test]
    fn the_same_householder_continues_whether_the_household_moved_whole_split_or_merged() {
        // 1. address only
        let p = propose(&facts(&[("A", true), ("B", false)], 2, "A", &["A", "B"]));
        assert!(matches!(p, Proposal::Continues(r) if r.contains("世帯主が転入後も世帯主")));
        // split: the householder came with one of three
        let p = propose(&facts(&[("A", true), ("B", false)], 3, "A", &["A", "B"]));
        assert_eq!(p.code(), "continues");
        // merged: the householder took others in here
        let p = propose(&facts(&[("A", true)], 1, "A", &["A", "X"]));
        assert_eq!(p.code(), "continues");
    }

    #[test]
    fn a_householder_changed_within_the_whole_household_continues_elsewhere_not() {
        // 2. all came, the spouse is householder now
        let p = propose(&facts(&[("A", true), ("B", false)], 2, "B", &["A", "B"]));
        assert!(matches!(p, Proposal::Continues(r) if r.contains("同じ世帯の中")));
        // the household left had three insured: one stayed behind
        let p = propose(&facts(&[("A", true), ("B", false)], 3, "B", &["A", "B"]));
        assert_eq!(p.code(), "does_not");
        // they joined someone else's household here (合併, another householder)
        let p = propose(&facts(
            &[("A", true), ("B", false)],
            2,
            "X",
            &["A", "B", "X"],
        ));
        assert!(matches!(p, Proposal::DoesNotContinue(r) if r.contains("別の方の世帯")));
        // two households of the same town merged here under the second's
        // householder: his household continues, whichever notice comes first
        let mut f = facts(
            &[("A", true), ("B", false), ("C", true)],
            2,
            "C",
            &["A", "B", "C"],
        );
        f.from_households = 2;
        assert_eq!(propose(&f).code(), "continues");
        // no householder here known: not "the whole household" by default
        let mut f = facts(&[("A", true)], 1, "A", &[]);
        f.householder_here = None;
        assert_eq!(propose(&f).code(), "does_not");
    }

    #[test]
    fn a_part_without_the_householder_does_not_continue_and_a_nominal_householder_is_the_clerks() {
        let p = propose(&facts(&[("B", false)], 2, "B", &["B"]));
        assert!(matches!(p, Proposal::DoesNotContinue(r) if r.contains("転入していません")));
        let mut f = facts(&[("B", false), ("C", false)], 2, "Z", &["B", "C"]);
        f.nominal_before = true;
        assert!(matches!(propose(&f), Proposal::Undecided(r) if r.contains("擬制世帯主")));
        // notices received before the federation said who was householder
        let p = propose(&facts(&[("A", false)], 0, "A", &["A"]));
        assert_eq!(p.code(), "undecided");
        assert_eq!(propose(&facts(&[], 2, "A", &[])).code(), "undecided");
    }
}
