//! kokuho's pure domain: identifiers, 和暦, names and the addressee model.
//!
//! Nothing here performs I/O or reads the clock; callers pass dates in.

pub mod access;
pub mod addressee;
pub mod annual_outpatient;
pub mod bank_account;
pub mod benefit;
pub mod burden;
pub mod certificate;
pub mod combined_care;
pub mod digest_text;
pub mod eligibility;
pub mod eligibility_check;
pub mod high_cost;
pub mod household_continuity;
pub mod id;
pub mod levy;
pub mod linkage;
pub mod month_periods;
pub mod name;
pub mod online_eligibility;
pub mod payment_run;
pub mod statistics;
pub mod wareki;
pub mod yearly_cap;
