//! A sample month of claims (レセプト) for given insured persons, as the
//! federation's claims system would send them: one file of provider blocks
//! (clinics, hospitals, dental clinics, pharmacies of the prefecture), about
//! 1.3 claims per insured person — outpatient visits, about a third with a
//! pharmacy claim from the prescription, some dental, a few inpatient stays
//! and a few high-cost ones. Copays follow each person's copay rate; the days
//! of care (算定日) fall on days the person is insured; the claims are billed
//! (請求年月) the month after the service month. Deterministic for a seed.
//!
//! The town's demo and benchmarks call it with the town's insured; the
//! claims-system stand-in (`counterparts/`) with the eligibility the
//! federation holds.

use std::collections::BTreeMap;
use std::io::Write;

use kokuho_domain::burden::{AgeGroup, age_group};
use kokuho_domain::eligibility::YearMonth;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::Date;

use crate::claims::{ClaimWriter, FileKind, Layouts, Record};

/// The prefecture of the sample providers (鳥取県).
const PREFECTURE: &str = "31";
/// What a sample meal claims from the insurer (食事療養費: the 基準額 690
/// less the general 標準負担額 510, as from 2025-04), yen.
const MEAL_CLAIMED: i64 = 180;

/// The sample providers: (kind, 医療機関コード, name, takes inpatients).
fn providers() -> Vec<(FileKind, String, String, bool)> {
    let mut v = Vec::new();
    for i in 0..3u32 {
        v.push((
            FileKind::Medical,
            format!("{:07}", 1_100_001 + i),
            format!("鳥取県東部第{}病院", i + 1),
            true,
        ));
    }
    for i in 0..20u32 {
        v.push((
            FileKind::Medical,
            format!("{:07}", 1_200_001 + i),
            format!("八頭第{}診療所", i + 1),
            false,
        ));
    }
    for i in 0..8u32 {
        v.push((
            FileKind::Dental,
            format!("{:07}", 3_100_001 + i),
            format!("郡家第{}歯科医院", i + 1),
            false,
        ));
    }
    for i in 0..10u32 {
        v.push((
            FileKind::Pharmacy,
            format!("{:07}", 4_100_001 + i),
            format!("すこやか第{}薬局", i + 1),
            false,
        ));
    }
    v
}

/// An insured person as the claims system knows them for the month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamplePerson {
    /// copay rate, percent
    pub percent: i64,
    /// the days of the month the person is insured (first, last)
    pub insured: (u8, u8),
    pub name: String,
    pub sex: i16,
    pub birth: Date,
    pub symbol: String,
    pub number: String,
    pub branch: String,
}

struct Spec {
    person: usize,
    inpatient: bool,
    days: u32,
    points: i64,
    /// pharmacy: the prescribing provider's index
    prescriber: Option<usize>,
    /// 算定日, bit 0 for the 1st
    service_days: u32,
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleWritten {
    pub claims: u64,
    pub providers: u64,
}

/// Why a sample month could not be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{en}")]
pub struct SampleError {
    pub en: String,
    pub ja: String,
    /// the data could not be written (a person's name, say), not the
    /// layout or the output
    pub input: bool,
}

/// Uniform draws from a seeded ChaCha8 stream (deterministic for a seed).
struct Random(ChaCha8Rng);

impl Random {
    /// Uniform in 0..n (n ≥ 1), by the multiply-shift mapping of one u64.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }
    fn range(&mut self, lo: u64, hi_inclusive: u64) -> u64 {
        lo + self.below(hi_inclusive - lo + 1)
    }
    /// True with probability pct/100.
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

fn ymd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `n` distinct days (at most the span's) within the insured days, as 算定日 bits.
fn scatter(r: &mut Random, (from, to): (u8, u8), n: u32) -> u32 {
    let width = u32::from(to.saturating_sub(from)) + 1;
    let mut bits = 0u32;
    for _ in 0..n.min(width) {
        // the next free day from a random start
        let mut d = r.below(u64::from(width)) as u32;
        while bits & (1 << (u32::from(from) - 1 + d)) != 0 {
            d = (d + 1) % width;
        }
        bits |= 1 << (u32::from(from) - 1 + d);
    }
    bits
}

/// A stay of `n` days from a random day in the first part of the insured
/// days, cut at their end.
fn stay(r: &mut Random, (from, to): (u8, u8), n: u32) -> u32 {
    let start = u32::from(from) + r.below(u64::from(to.saturating_sub(from)).min(9) + 1) as u32;
    (start..=u32::from(to))
        .take(n as usize)
        .fold(0, |b, d| b | 1 << (d - 1))
}

/// 一部負担金: the rate's share of the cost, rounded to 10 yen (10円未満
/// 四捨五入, 国民健康保険法 第42条第2項).
fn copay(points: i64, percent: i64) -> i64 {
    (points * 10 * percent + 500) / 1000 * 10
}

/// Writes a month of sample claims for `people` (insured in `month`) of
/// `insurer` to `out`.
pub fn write_month(
    people: &[SamplePerson],
    month: YearMonth,
    insurer: &str,
    seed: u64,
    out: impl Write,
) -> Result<SampleWritten, SampleError> {
    let layouts = Layouts::shipped().map_err(|e| SampleError {
        en: format!("the claim layouts are broken: {e}"),
        ja: "レセプトの記録レイアウト表に誤りがあります".into(),
        input: false,
    })?;
    let on = month
        .first_day()
        .and_then(|d| d.replace_day(15).ok())
        .ok_or_else(|| SampleError {
            en: "month out of range".into(),
            ja: "年月が範囲外です".into(),
            input: false,
        })?;
    let mut r = Random(ChaCha8Rng::seed_from_u64(
        seed ^ (u64::from(month.year.unsigned_abs()) * 100 + u64::from(u8::from(month.month))),
    ));
    let providers = providers();
    let pick = |r: &mut Random, kind: FileKind, inpatient: bool| {
        let of: Vec<usize> = (0..providers.len())
            .filter(|i| providers[*i].0 == kind && providers[*i].3 == inpatient)
            .collect();
        of[r.below(of.len() as u64) as usize]
    };
    let mut by_provider: BTreeMap<usize, Vec<Spec>> = BTreeMap::new();
    for (i, person) in people.iter().enumerate() {
        let span = person.insured;
        let visits = match r.below(100) {
            0..45 => 0,
            45..75 => 1,
            75..90 => 2,
            90..97 => 3,
            _ => 4,
        };
        for _ in 0..visits {
            let clinic = pick(&mut r, FileKind::Medical, false);
            let n = 1 + r.below(3) as u32;
            let service_days = scatter(&mut r, span, n);
            let days = service_days.count_ones();
            by_provider.entry(clinic).or_default().push(Spec {
                person: i,
                inpatient: false,
                days,
                points: r.range(250, 1_800) as i64 * i64::from(days),
                prescriber: None,
                service_days,
            });
            if r.chance(35) {
                // Dispensed on the first day of the visit.
                let on = service_days & service_days.wrapping_neg();
                by_provider
                    .entry(pick(&mut r, FileKind::Pharmacy, false))
                    .or_default()
                    .push(Spec {
                        person: i,
                        inpatient: false,
                        days: 1,
                        points: r.range(150, 3_000) as i64,
                        prescriber: Some(clinic),
                        service_days: on,
                    });
            }
        }
        if r.chance(8) {
            let n = 1 + r.below(2) as u32;
            let service_days = scatter(&mut r, span, n);
            let days = service_days.count_ones();
            by_provider
                .entry(pick(&mut r, FileKind::Dental, false))
                .or_default()
                .push(Spec {
                    person: i,
                    inpatient: false,
                    days,
                    points: r.range(300, 1_500) as i64 * i64::from(days),
                    prescriber: None,
                    service_days,
                });
        }
        // Inpatient stays: 2 in 100 a month, one in five of them
        // high-cost (over a million yen).
        if r.chance(2) {
            let high = r.chance(20);
            let n = 3 + r.below(25) as u32;
            let service_days = stay(&mut r, span, n);
            by_provider
                .entry(pick(&mut r, FileKind::Medical, true))
                .or_default()
                .push(Spec {
                    person: i,
                    inpatient: true,
                    days: service_days.count_ones(),
                    points: if high {
                        r.range(100_000, 600_000) as i64
                    } else {
                        r.range(8_000, 60_000) as i64
                    },
                    prescriber: None,
                    service_days,
                });
        }
    }

    let mut w = ClaimWriter::new(out);
    let write = |w: &mut ClaimWriter<_>, rec: std::result::Result<Record, String>| {
        let rec = rec.map_err(|e| SampleError {
            en: format!("the sample claim does not fit the layout: {e}"),
            ja: "サンプルのレセプトがレイアウトに合いません".into(),
            input: false,
        })?;
        w.write(&rec).map_err(|e| SampleError {
            en: e.to_string(),
            ja: e.message_ja(),
            input: true,
        })
    };
    let month_text = format!("{:04}{:02}", month.year, u8::from(month.month));
    let billed = month.next();
    let billing_text = format!("{:04}{:02}", billed.year, u8::from(billed.month));
    let day_names: Vec<String> = (1..=31).map(|d| format!("day{d}")).collect();
    // A provider block's header: IR (点数表 1 or 3) or YK (4).
    let header = |p: usize| {
        let (kind, code, name, _) = &providers[p];
        let id = if *kind == FileKind::Pharmacy {
            "YK"
        } else {
            "IR"
        };
        Record::named(
            &layouts,
            *kind,
            id,
            &[
                ("payer", "2".into()),
                ("prefecture", PREFECTURE.into()),
                ("score_table", kind.score_table().into()),
                ("provider_code", code.clone()),
                ("provider_name", name.clone()),
                ("billing_month", billing_text.clone()),
                ("volume", "00".into()),
            ],
        )
    };
    let insurer = format!("{insurer:>8}");
    let (mut claims, mut points_all) = (0u64, 0i64);
    for (p, specs) in &by_provider {
        let kind = &providers[*p].0;
        let table = kind.score_table();
        write(&mut w, header(*p))?;
        for (n, s) in specs.iter().enumerate() {
            let person = &people[s.person];
            let group = age_group(person.birth, month);
            let percent = person.percent;
            // レセプト種別 digit 4: 世帯主 (枝番 00/01) 1/2, 未就学者 3/4,
            // その他 5/6, 高齢受給者 一般・低所得 7/8, 7割給付 9/0; odd inpatient.
            let base = match group {
                AgeGroup::Preschool => 3,
                AgeGroup::Elderly if percent == 30 => 9,
                AgeGroup::Elderly => 7,
                AgeGroup::Under70 if matches!(person.branch.as_str(), "00" | "01") => 1,
                AgeGroup::Under70 => 5,
            };
            let digit4 = if s.inpatient { base } else { (base + 1) % 10 };
            let claim_kind = format!("{table}11{digit4}");
            let mut re = vec![
                ("claim_no", (n + 1).to_string()),
                ("claim_kind", claim_kind),
                ("service_month", month_text.clone()),
                ("name", person.name.clone()),
                ("sex", if person.sex == 2 { "2" } else { "1" }.to_string()),
                ("birth_date", ymd(person.birth)),
                ("benefit_rate", (100 - percent).to_string()),
            ];
            if s.inpatient {
                let admitted = month
                    .first_day()
                    .and_then(|d| {
                        d.replace_day(1 + s.service_days.trailing_zeros() as u8)
                            .ok()
                    })
                    .unwrap_or(on);
                re.push(("admitted_on", ymd(admitted)));
            }
            if let Some(pr) = s.prescriber {
                re.push(("prescriber_prefecture", PREFECTURE.into()));
                re.push(("prescriber_score_table", "1".into()));
                re.push(("prescriber_code", providers[pr].1.clone()));
                re.push(("prescriber_name", providers[pr].2.clone()));
            }
            write(&mut w, Record::named(&layouts, *kind, "RE", &re))?;
            // an inpatient stay's meals: three a day
            let meals = if s.inpatient {
                (i64::from(s.days) * 3).min(93)
            } else {
                0
            };
            write(
                &mut w,
                Record::named(
                    &layouts,
                    *kind,
                    "HO",
                    &[
                        ("insurer_number", insurer.clone()),
                        ("symbol", person.symbol.clone()),
                        ("number", person.number.clone()),
                        ("days", s.days.to_string()),
                        ("points", s.points.to_string()),
                        ("copay_charged", copay(s.points, percent).to_string()),
                        ("meal_count", meals.to_string()),
                        ("meal_amount", (meals * MEAL_CLAIMED).to_string()),
                    ],
                ),
            )?;
            write(
                &mut w,
                Record::named(
                    &layouts,
                    *kind,
                    "SN",
                    &[
                        ("payer_kind", "1".into()),
                        ("confirmation_class", "01".into()),
                        ("insurer_number", insurer.clone()),
                        ("symbol", person.symbol.clone()),
                        ("number", person.number.clone()),
                        ("branch", person.branch.clone()),
                    ],
                ),
            )?;
            if *kind != FileKind::Pharmacy {
                write(
                    &mut w,
                    Record::named(
                        &layouts,
                        *kind,
                        "SY",
                        &[
                            ("disease_code", "0000999".into()),
                            ("started_on", ymd(on)),
                            ("outcome", "1".into()),
                            ("disease_name", "その他の疾患".into()),
                            ("main", "01".into()),
                        ],
                    ),
                )?;
            }
            let mut iy: Vec<(&str, String)> = vec![
                ("practice_class", "21".into()),
                ("burden_class", "1".into()),
                ("code", "620000001".into()),
                ("quantity", "1".into()),
                ("points", s.points.to_string()),
                ("times", s.days.to_string()),
            ];
            iy.extend(
                (0..31)
                    .filter(|d| s.service_days & (1 << d) != 0)
                    .map(|d| (day_names[d].as_str(), "1".to_string())),
            );
            write(&mut w, Record::named(&layouts, *kind, "IY", &iy))?;
            claims += 1;
            points_all += s.points;
        }
    }
    let last_kind = by_provider
        .keys()
        .last()
        .map_or(FileKind::Medical, |p| providers[*p].0);
    if by_provider.is_empty() {
        // No claim this month: a header alone, so the file is still one.
        write(&mut w, header(0))?;
    }
    write(
        &mut w,
        Record::named(
            &layouts,
            last_kind,
            "GO",
            &[
                ("total_claims", claims.to_string()),
                ("total_points", points_all.to_string()),
                ("volume", "00".into()),
            ],
        ),
    )?;
    let mut out = w.into_inner();
    out.flush().map_err(|e| SampleError {
        en: format!("cannot write the claims: {e}"),
        ja: "レセプトを書き出せません".into(),
        input: false,
    })?;
    Ok(SampleWritten {
        claims,
        providers: by_provider.len() as u64,
    })
}
