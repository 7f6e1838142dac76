//! Three years of NHI history for the synthetic town: who is insured, from
//! when, and what happened to them (moves, births, deaths, people leaving
//! and joining employee insurance, turning 75, a few late notifications and
//! retroactive corrections). Every change goes through the same use cases a
//! clerk's would, inside one transaction, with its recording time set to when
//! the town would have learned of it.

use kokuho_domain::addressee::Addressee;
use kokuho_domain::eligibility::{
    self as rules, AcquisitionReason as A, LossReason as L, MoveDestination,
};
use kokuho_domain::id::InsurerNumber;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration, OffsetDateTime, Time};

use kokuho_store::Tx;

use crate::eligibility::{Acquisition, Correction, Flags, Loss};
use crate::{Kokuho, Result};

/// The same-prefecture municipalities people move between (valid 保険者番号
/// of prefecture 31; synthetic).
const NEIGHBOURS: [&str; 2] = ["310011", "313023"];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryReport {
    pub households: u64,
    pub insured_now: u64,
    pub acquisitions: u64,
    pub losses: u64,
    pub corrections: u64,
    pub late_notifications: u64,
}

struct Random(ChaCha8Rng);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn day_between(&mut self, from: Date, to: Date) -> Date {
        let span = (to - from).whole_days().max(1) as u64;
        from + Duration::days(self.below(span) as i64)
    }
}

/// When the town learns of an event notified on `notified`: that day, 10:00 JST.
fn learned(notified: Date) -> OffsetDateTime {
    notified
        .with_time(Time::from_hms(1, 0, 0).unwrap_or(Time::MIDNIGHT))
        .assume_utc()
}

/// Builds the history batch by batch inside the caller's transaction.
pub struct HistoryGenerator {
    r: Random,
    as_of: Date,
    window_start: Date,
    migrated_at: OffsetDateTime,
    pub report: HistoryReport,
}

impl HistoryGenerator {
    pub fn new(seed: u64, as_of: Date, migrated_at: OffsetDateTime) -> HistoryGenerator {
        HistoryGenerator {
            r: Random(ChaCha8Rng::seed_from_u64(seed ^ 0x6b6f_6b75_686f)),
            as_of,
            window_start: as_of - Duration::days(3 * 365 + 1),
            migrated_at,
            report: HistoryReport::default(),
        }
    }

    /// The history of these households (members grouped by household).
    pub async fn households(
        &mut self,
        app: &Kokuho,
        tx: &mut Tx,
        households: &[Vec<Addressee>],
    ) -> Result<()> {
        let (as_of, window_start, migrated_at) = (self.as_of, self.window_start, self.migrated_at);
        let r = &mut self.r;
        let report = &mut self.report;
        {
            for members in households {
                let age = |p: &Addressee| rules::age_on(p.birth_date, as_of);
                let working = members
                    .iter()
                    .filter(|p| (20..65).contains(&age(p)))
                    .count();
                let young_old = members
                    .iter()
                    .filter(|p| (60..75).contains(&age(p)))
                    .count();
                // Retired households are mostly NHI; some working households are
                // self-employed or farmers; in three-generation households the
                // retired grandparents often are, under an employed householder.
                let whole = if working == 0 {
                    r.chance(900)
                } else {
                    r.chance(140)
                };
                let elders_only = !whole && working > 0 && young_old > 0 && r.chance(950);
                let chosen: Vec<&Addressee> = members
                    .iter()
                    .filter(|p| {
                        rules::late_elderly_from(p.birth_date).is_some_and(|d| d > window_start)
                    })
                    .filter(|p| whole || (elders_only && age(p) >= 60))
                    .collect();
                if chosen.is_empty() {
                    continue;
                }
                report.households += 1;
                for p in chosen {
                    let birth = p.birth_date;
                    // When this person came under NHI: at birth or move-in for
                    // the young, on retirement (60–65) for the employed, or at
                    // the town's migration to kokuho for long-standing members.
                    let retirement =
                        rules::anniversary(birth, 60 + r.below(6) as i32).unwrap_or(birth);
                    let (reason, event) =
                        if p.registered_on > window_start && p.registered_on != birth {
                            (A::MoveIn, p.registered_on)
                        } else if birth > window_start {
                            (A::Birth, birth)
                        } else if retirement > window_start && retirement < as_of && working == 0 {
                            (A::LeftEmployeeInsurance, retirement)
                        } else {
                            (
                                if birth == p.registered_on {
                                    A::Birth
                                } else {
                                    A::MoveIn
                                },
                                p.registered_on.max(birth),
                            )
                        };
                    if rules::late_elderly_from(birth).is_some_and(|d| d <= event) {
                        continue;
                    }
                    let in_window = event > window_start;
                    let late = in_window && r.chance(60);
                    let notified = if late {
                        event + Duration::days(15 + r.below(45) as i64)
                    } else {
                        event + Duration::days(r.below(10) as i64)
                    };
                    let recorded = if in_window {
                        learned(notified)
                    } else {
                        migrated_at.min(learned(window_start))
                    };
                    let previous_insurer_number =
                        (reason == A::MoveIn && in_window && r.chance(300))
                            .then(|| InsurerNumber::parse(NEIGHBOURS[r.below(2) as usize]).ok())
                            .flatten();
                    let acquisition = Acquisition {
                        addressee_id: p.addressee_id.clone(),
                        reason,
                        event_on: event,
                        notified_on: in_window.then_some(notified),
                        household_number: None,
                        previous_insurer_number,
                        flags: Flags {
                            student_exception: (18..23).contains(&age(p)) && r.chance(40),
                            ..Flags::default()
                        },
                    };
                    let v = app
                        .acquire_in(tx, &acquisition, "synthetic-history", recorded)
                        .await?;
                    // Each later change of this person is recorded after the last one.
                    let mut last = recorded;
                    report.acquisitions += 1;
                    report.late_notifications += u64::from(v.acquisition_late);
                    // A few acquisitions are corrected later, retroactively.
                    if in_window && reason == A::LeftEmployeeInsurance && r.chance(300) {
                        let earlier = event - Duration::days(14 + r.below(60) as i64);
                        if earlier > birth {
                            let correction = Correction {
                                period_id: v.period_id,
                                acquired_on: Some(earlier),
                                acquisition_reason: None,
                                lost_on: None,
                                loss_reason: None,
                                flags: None,
                                void: false,
                                note: "資格喪失証明書の提出により取得日を訂正（遡及）".into(),
                            };
                            last = recorded + Duration::days(20);
                            app.correct_in(tx, &correction, "synthetic-history", last)
                                .await?;
                            report.corrections += 1;
                        }
                    }
                    // What happened next, if anything, within the window.
                    let from = event.max(window_start) + Duration::days(1);
                    if from >= as_of {
                        continue;
                    }
                    let turning_75 = rules::late_elderly_from(birth).unwrap_or(Date::MAX);
                    let roll = r.below(1000);
                    let ending = if age(p) >= 65 && roll < 60 {
                        Some((L::Death, None))
                    } else if (20..60).contains(&age(p)) && roll < 120 {
                        Some((L::JoinedEmployeeInsurance, None))
                    } else if roll >= 960 {
                        Some((
                            L::MoveOut,
                            Some(if r.chance(500) {
                                MoveDestination::SamePrefecture
                            } else {
                                MoveDestination::OtherPrefecture
                            }),
                        ))
                    } else {
                        None
                    };
                    if let Some((reason, destination)) = ending {
                        let on = r.day_between(from, as_of.min(turning_75));
                        if on <= from {
                            continue;
                        }
                        let late = r.chance(60);
                        let notified = on
                            + Duration::days(if late {
                                15 + r.below(30) as i64
                            } else {
                                r.below(10) as i64
                            });
                        let loss = Loss {
                            addressee_id: p.addressee_id.clone(),
                            reason,
                            event_on: on,
                            notified_on: Some(notified),
                            destination,
                            next_insurer_number: (destination
                                == Some(MoveDestination::SamePrefecture))
                            .then(|| InsurerNumber::parse(NEIGHBOURS[0]).ok())
                            .flatten(),
                        };
                        last = learned(notified).max(last + Duration::seconds(1));
                        let v = app
                            .lose_in(tx, &loss, "synthetic-history", last, "loss")
                            .await?;
                        report.losses += 1;
                        report.late_notifications += u64::from(v.loss_late);
                        // Some who joined employee insurance come back to NHI later.
                        if reason == L::JoinedEmployeeInsurance && r.chance(300) {
                            let back = r.day_between(on + Duration::days(30), as_of);
                            if back > on + Duration::days(1) && back < as_of {
                                let again = Acquisition {
                                    reason: A::LeftEmployeeInsurance,
                                    event_on: back,
                                    notified_on: Some(back),
                                    ..acquisition.clone()
                                };
                                let at = learned(back).max(last + Duration::seconds(1));
                                app.acquire_in(tx, &again, "synthetic-history", at).await?;
                                report.acquisitions += 1;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Everyone who turned 75 in the window moved to 後期高齢者医療.
    pub async fn finish(mut self, app: &Kokuho, tx: &mut Tx) -> Result<HistoryReport> {
        let aged = app
            .run_age_job_in(
                tx,
                self.as_of,
                "age-job",
                &crate::jobs::Progress::none(),
                self.migrated_at,
            )
            .await?;
        self.report.losses += aged.late_elderly_losses;
        Ok(self.report)
    }
}
