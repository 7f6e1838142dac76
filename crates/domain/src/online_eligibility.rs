//! Online eligibility (オンライン資格確認): the deadline by which a change of
//! eligibility must be registered with the intermediate server, as dated
//! data (`rules/online_eligibility.toml`), and the state of each change —
//! sent in time, sent late, due, overdue.

use serde::Deserialize;
use time::{Date, Duration};

const RULES: &str = include_str!("../rules/online_eligibility.toml");

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: String,
    #[serde(default)]
    until: Option<String>,
    days: i64,
    provisional: bool,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    period: Vec<RawPeriod>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlinePeriod {
    pub from: Date,
    pub until: Option<Date>,
    pub days: i64,
    pub provisional: bool,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlineRules {
    pub periods: Vec<DeadlinePeriod>,
}

fn date(s: &str) -> Result<Date, RulesError> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &f).map_err(|_| RulesError(format!("{s:?} is not a date YYYY-MM-DD")))
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("online_eligibility rules: {0}")]
pub struct RulesError(pub String);

impl DeadlineRules {
    pub fn shipped() -> Result<DeadlineRules, RulesError> {
        DeadlineRules::parse(RULES)
    }

    pub fn parse(text: &str) -> Result<DeadlineRules, RulesError> {
        let raw: RawRules = toml::from_str(text).map_err(|e| RulesError(e.to_string()))?;
        let r = DeadlineRules {
            periods: raw
                .period
                .into_iter()
                .map(|p| {
                    Ok(DeadlinePeriod {
                        from: date(&p.from)?,
                        until: p.until.as_deref().map(date).transpose()?,
                        days: p.days,
                        provisional: p.provisional,
                        source: p.source,
                    })
                })
                .collect::<Result<_, RulesError>>()?,
        };
        if r.periods.is_empty() {
            return Err(RulesError("no period".into()));
        }
        for (i, p) in r.periods.iter().enumerate() {
            if !(1..=60).contains(&p.days) {
                return Err(RulesError(format!(
                    "period {}: days must be 1 to 60",
                    i + 1
                )));
            }
            if p.until.is_some_and(|u| u < p.from) {
                return Err(RulesError(format!(
                    "period {}: ends before it starts",
                    i + 1
                )));
            }
            if let Some(next) = r.periods.get(i + 1) {
                match p.until {
                    Some(u) if u.next_day() == Some(next.from) => {}
                    _ => {
                        return Err(RulesError(format!(
                            "period {} must end the day before period {} starts",
                            i + 1,
                            i + 2
                        )));
                    }
                }
            } else if p.until.is_some() {
                return Err(RulesError("the last period must be open".into()));
            }
        }
        Ok(r)
    }

    /// The rule in force on a date, if any.
    pub fn on(&self, d: Date) -> Option<&DeadlinePeriod> {
        self.periods
            .iter()
            .find(|p| p.from <= d && p.until.is_none_or(|u| d <= u))
    }

    /// The last day to register a change accepted on `accepted_on`: the
    /// days are counted from the next day (初日不算入, 民法 第140条).
    pub fn due_by(&self, accepted_on: Date) -> Option<Date> {
        self.on(accepted_on)
            .map(|p| accepted_on + Duration::days(p.days))
    }
}

/// Where a change stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    SentInTime,
    SentLate,
    /// not sent, still in time
    Due,
    /// not sent, past its day
    Overdue,
}

impl Standing {
    pub fn code(self) -> &'static str {
        match self {
            Standing::SentInTime => "sent_in_time",
            Standing::SentLate => "sent_late",
            Standing::Due => "due",
            Standing::Overdue => "overdue",
        }
    }
    pub fn label_ja(self) -> &'static str {
        match self {
            Standing::SentInTime => "期限内に送信",
            Standing::SentLate => "期限後に送信",
            Standing::Due => "送信待ち（期限内）",
            Standing::Overdue => "期限超過・未送信",
        }
    }
}

/// A change accepted on `accepted_on`, due by `due_by`, sent on `sent_on`
/// (if it was), seen on `today`.
pub fn standing(due_by: Date, sent_on: Option<Date>, today: Date) -> Standing {
    match sent_on {
        Some(s) if s <= due_by => Standing::SentInTime,
        Some(_) => Standing::SentLate,
        None if today <= due_by => Standing::Due,
        None => Standing::Overdue,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use time::macros::date;

    use super::*;

    #[test]
    fn five_days_counted_from_the_next_day() {
        let r = DeadlineRules::shipped().unwrap();
        assert!(r.periods[0].provisional);
        assert_eq!(r.due_by(date!(2026 - 11 - 20)), Some(date!(2026 - 11 - 25)));
        assert_eq!(r.due_by(date!(2023 - 05 - 31)), None, "before the rule");
        let due = date!(2026 - 11 - 25);
        assert_eq!(standing(due, Some(due), due), Standing::SentInTime);
        assert_eq!(
            standing(due, Some(date!(2026 - 11 - 26)), due),
            Standing::SentLate
        );
        assert_eq!(standing(due, None, due), Standing::Due);
        assert_eq!(
            standing(due, None, date!(2026 - 11 - 26)),
            Standing::Overdue
        );
    }

    #[test]
    fn broken_rules_are_refused() {
        assert!(DeadlineRules::parse("").is_err());
        let gap = r#"
[[period]]
from = "2023-06-01"
until = "2024-03-30"
days = 5
provisional = false
source = "x"
[[period]]
from = "2024-04-01"
days = 3
provisional = false
source = "y"
"#;
        assert!(
            DeadlineRules::parse(gap)
                .unwrap_err()
                .0
                .contains("day before")
        );
        let zero = RULES.replace("days = 5", "days = 0");
        assert!(DeadlineRules::parse(&zero).is_err());
    }
}
