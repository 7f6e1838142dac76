//! 和暦 (Japanese era dates), both ways.
//!
//! Era start dates:
//! - 明治 1868-01-25: 慶応4年1月1日 in the proleptic Gregorian calendar; the
//!   明治改元の詔 (慶応4年9月8日) dated the era from that new year. Dates before
//!   1873 were lunisolar in fact; like other civil systems we map Gregorian
//!   dates directly and reject anything earlier.
//! - 大正 1912-07-30 and 昭和 1926-12-25: 改元の詔書 of those days.
//! - 平成 1989-01-08: 元号を改める政令 (昭和64年政令第1号) under 元号法
//!   (昭和54年法律第43号).
//! - 令和 2019-05-01: 元号を改める政令 (平成31年政令第143号).

use std::fmt;

use time::macros::date;
use time::{Date, Month};

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl Era {
    /// Oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// "令和".
    pub fn name(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// "令".
    pub fn short_kanji(self) -> &'static str {
        match self {
            Era::Meiji => "明",
            Era::Taisho => "大",
            Era::Showa => "昭",
            Era::Heisei => "平",
            Era::Reiwa => "令",
        }
    }

    /// 'R', 'H', 'S', 'T', 'M'.
    pub fn letter(self) -> char {
        match self {
            Era::Meiji => 'M',
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// The era code of interface files: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和.
    pub fn code(self) -> u8 {
        match self {
            Era::Meiji => 1,
            Era::Taisho => 2,
            Era::Showa => 3,
            Era::Heisei => 4,
            Era::Reiwa => 5,
        }
    }

    /// Romanised name, for English messages.
    pub fn romaji(self) -> &'static str {
        match self {
            Era::Meiji => "Meiji",
            Era::Taisho => "Taisho",
            Era::Showa => "Showa",
            Era::Heisei => "Heisei",
            Era::Reiwa => "Reiwa",
        }
    }

    /// The first day of the era (its 元年).
    pub fn start(self) -> Date {
        match self {
            Era::Meiji => date!(1868 - 01 - 25),
            Era::Taisho => date!(1912 - 07 - 30),
            Era::Showa => date!(1926 - 12 - 25),
            Era::Heisei => date!(1989 - 01 - 08),
            Era::Reiwa => date!(2019 - 05 - 01),
        }
    }

    /// The last day of the era; `None` for the current one.
    pub fn last_day(self) -> Option<Date> {
        self.next().and_then(|n| n.start().previous_day())
    }

    fn next(self) -> Option<Era> {
        match self {
            Era::Meiji => Some(Era::Taisho),
            Era::Taisho => Some(Era::Showa),
            Era::Showa => Some(Era::Heisei),
            Era::Heisei => Some(Era::Reiwa),
            Era::Reiwa => None,
        }
    }

    pub fn from_code(code: u8) -> Option<Era> {
        Era::ALL.into_iter().find(|e| e.code() == code)
    }

    /// 'R' or 'r', etc.
    pub fn from_letter(c: char) -> Option<Era> {
        let c = c.to_ascii_uppercase();
        Era::ALL.into_iter().find(|e| e.letter() == c)
    }

    /// The era containing `d`; `None` before 明治.
    pub fn of(d: Date) -> Option<Era> {
        Era::ALL.into_iter().rev().find(|e| e.start() <= d)
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a date could not be converted. Dates are not secret, so the input is
/// included.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum WarekiError {
    #[error("no date given")]
    Empty,
    #[error("unknown era in {input:?}")]
    UnknownEra { input: String },
    #[error("{input:?} is not in a recognised date form")]
    Unreadable { input: String },
    /// The parts are read but make no calendar date (month 13, 2月30日,
    /// year 0).
    #[error("{input:?} is not a calendar date")]
    NoSuchDate { input: String },
    #[error("{} {year}-{month}-{day} is outside its era ({})", .era.romaji(), era_range_en(*.era))]
    OutsideEra {
        era: Era,
        year: u16,
        month: u8,
        day: u8,
    },
    #[error("{date} is before the Meiji era (1868-01-25)")]
    BeforeMeiji { date: Date },
}

impl WarekiError {
    /// The message for staff screens.
    pub fn message_ja(&self) -> String {
        match self {
            WarekiError::Empty => "日付を入力してください".to_owned(),
            WarekiError::UnknownEra { input } => {
                format!("「{input}」の元号が分かりません（明・大・昭・平・令、M・T・S・H・R）")
            }
            WarekiError::Unreadable { input } => format!(
                "「{input}」は日付として読めません（例: 令和6年1月1日、R6.1.1、2024-01-01）"
            ),
            WarekiError::NoSuchDate { input } => format!("「{input}」という日付はありません"),
            WarekiError::OutsideEra {
                era,
                year,
                month,
                day,
            } => {
                let range = match era.last_day() {
                    Some(last) => format!(
                        "{}から{}まで",
                        Wareki::from_era_date(*era, era.start()),
                        Wareki::from_era_date(*era, last)
                    ),
                    None => format!("{}から", Wareki::from_era_date(*era, era.start())),
                };
                format!(
                    "{}{}年{month}月{day}日は{}の期間外です（{}は{range}）",
                    era.name(),
                    year_ja(*year),
                    era.name(),
                    era.name()
                )
            }
            WarekiError::BeforeMeiji { date } => format!(
                "{}年{}月{}日は明治元年1月1日（1868年1月25日）より前のため扱えません",
                date.year(),
                u8::from(date.month()),
                date.day()
            ),
        }
    }
}

fn era_range_en(era: Era) -> String {
    match era.last_day() {
        Some(last) => format!("{} runs {} to {}", era.romaji(), era.start(), last),
        None => format!("{} runs from {}", era.romaji(), era.start()),
    }
}

/// A date in era form. Fields are public; [`Wareki::to_date`] checks them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Wareki {
    pub era: Era,
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Wareki {
    pub fn from_date(d: Date) -> Result<Wareki, WarekiError> {
        let era = Era::of(d).ok_or(WarekiError::BeforeMeiji { date: d })?;
        Ok(Wareki::from_era_date(era, d))
    }

    /// `d` must not be before `era`'s start.
    fn from_era_date(era: Era, d: Date) -> Wareki {
        Wareki {
            era,
            year: (d.year() - era.start().year() + 1) as u16,
            month: u8::from(d.month()),
            day: d.day(),
        }
    }

    /// The Gregorian date; rejects impossible dates and dates outside the
    /// era (平成31年5月1日, 令和元年4月30日, 昭和64年1月8日).
    pub fn to_date(&self) -> Result<Date, WarekiError> {
        let no_such = || WarekiError::NoSuchDate {
            input: format!(
                "{}{}年{}月{}日",
                self.era.name(),
                self.year,
                self.month,
                self.day
            ),
        };
        if self.year == 0 {
            return Err(no_such());
        }
        let month = Month::try_from(self.month).map_err(|_| no_such())?;
        let g_year = self.era.start().year() + i32::from(self.year) - 1;
        let d = Date::from_calendar_date(g_year, month, self.day).map_err(|_| no_such())?;
        let after_end = self.era.next().is_some_and(|n| d >= n.start());
        if d < self.era.start() || after_end {
            return Err(WarekiError::OutsideEra {
                era: self.era,
                year: self.year,
                month: self.month,
                day: self.day,
            });
        }
        Ok(d)
    }

    /// "R6.1.1".
    pub fn short(&self) -> String {
        format!(
            "{}{}.{}.{}",
            self.era.letter(),
            self.year,
            self.month,
            self.day
        )
    }

    /// "5060101": era code, then year, month and day in two digits each, the
    /// form of interface files. From 令和100年 (2118) the year needs three
    /// digits and the result is 8 characters, which the 7-digit form cannot
    /// carry.
    pub fn era_code_yymmdd(&self) -> String {
        format!(
            "{}{:02}{:02}{:02}",
            self.era.code(),
            self.year,
            self.month,
            self.day
        )
    }
}

fn year_ja(year: u16) -> String {
    if year == 1 {
        "元".to_owned()
    } else {
        year.to_string()
    }
}

/// "令和6年1月1日"; the first year is written 元年 ("令和元年5月1日").
impl fmt::Display for Wareki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}年{}月{}日",
            self.era.name(),
            year_ja(self.year),
            self.month,
            self.day
        )
    }
}

/// "令和6年1月1日".
pub fn format_date(d: Date) -> Result<String, WarekiError> {
    Ok(Wareki::from_date(d)?.to_string())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Token<'a> {
    Era(Era),
    /// ASCII digits.
    Num(&'a str),
    /// 元 (first year).
    Gan,
    Nen,
    Tsuki,
    Hi,
    Sep(char),
}

/// Full-width ASCII (U+FF01–FF5E) to ASCII, U+3000 to a space.
fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

fn tokenize<'a>(s: &'a str, original: &str) -> Result<Vec<Token<'a>>, WarekiError> {
    const NAMES: [(&str, Era); 10] = [
        ("明治", Era::Meiji),
        ("大正", Era::Taisho),
        ("昭和", Era::Showa),
        ("平成", Era::Heisei),
        ("令和", Era::Reiwa),
        ("明", Era::Meiji),
        ("大", Era::Taisho),
        ("昭", Era::Showa),
        ("平", Era::Heisei),
        ("令", Era::Reiwa),
    ];
    let mut tokens = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c.is_ascii_digit() {
            let end = rest
                .find(|ch: char| !ch.is_ascii_digit())
                .unwrap_or(rest.len());
            tokens.push(Token::Num(&rest[..end]));
            rest = &rest[end..];
            continue;
        }
        if let Some((name, era)) = NAMES.iter().find(|(n, _)| rest.starts_with(n)) {
            tokens.push(Token::Era(*era));
            rest = &rest[name.len()..];
            continue;
        }
        let tok = match c {
            '元' => Token::Gan,
            '年' => Token::Nen,
            '月' => Token::Tsuki,
            '日' => Token::Hi,
            '.' | '/' | '-' => Token::Sep(c),
            _ => match Era::from_letter(c) {
                Some(era) if c.is_ascii_alphabetic() => Token::Era(era),
                // Some other word where an era should stand.
                _ if tokens.is_empty() && c.is_alphabetic() => {
                    return Err(WarekiError::UnknownEra {
                        input: original.to_owned(),
                    });
                }
                _ => {
                    return Err(WarekiError::Unreadable {
                        input: original.to_owned(),
                    });
                }
            },
        };
        tokens.push(tok);
        rest = &rest[c.len_utf8()..];
    }
    Ok(tokens)
}

/// A number of at most `max_digits` digits.
fn num(s: &str, max_digits: usize) -> Option<u16> {
    if s.len() > max_digits {
        return None;
    }
    s.parse().ok()
}

/// Reads a date written in any of the forms staff and files use, after
/// converting full-width characters and trimming:
/// - era letter or kanji with '.', '/' or '-': "R6.1.1", "r06/01/01",
///   "令6.1.1", "H31-4-30";
/// - era name with 年月日: "令和6年1月1日", "令和元年5月1日", "令和 6年 1月 1日";
/// - Gregorian: "2024-01-01", "2024/1/1", "2024.1.1", "2024年1月1日",
///   "20240101";
/// - the 7-digit era code form of interface files: "5060101".
///
/// Dates before 明治 (1868-01-25) are rejected in every form.
pub fn parse_date(s: &str) -> Result<Date, WarekiError> {
    let normalised = to_half_width(s);
    let t = normalised.trim();
    if t.is_empty() {
        return Err(WarekiError::Empty);
    }
    let unreadable = || WarekiError::Unreadable {
        input: s.to_owned(),
    };
    let mut tokens = tokenize(t, s)?;
    // 日 after the day is optional ("令和6年1月1").
    if let [.., Token::Tsuki, Token::Num(_), Token::Hi] = tokens.as_slice() {
        tokens.pop();
    }
    let wareki = |era: Era, y: Option<u16>, m: &str, d: &str| -> Result<Date, WarekiError> {
        let (Some(year), Some(month), Some(day)) = (y, num(m, 2), num(d, 2)) else {
            return Err(unreadable());
        };
        Wareki {
            era,
            year,
            month: month as u8,
            day: day as u8,
        }
        .to_date()
        .map_err(|e| match e {
            // Report what was typed, not our reading of it.
            WarekiError::NoSuchDate { .. } => WarekiError::NoSuchDate {
                input: s.to_owned(),
            },
            other => other,
        })
    };
    let era_year = |tok: Token<'_>| match tok {
        Token::Num(y) => num(y, 3),
        Token::Gan => Some(1),
        _ => None,
    };
    let date = match tokens.as_slice() {
        [Token::Num(code)] if code.len() == 7 => {
            let era = code
                .get(..1)
                .and_then(|c| c.parse().ok())
                .and_then(Era::from_code)
                .ok_or_else(|| WarekiError::UnknownEra {
                    input: s.to_owned(),
                })?;
            let part = |r: std::ops::Range<usize>| code.get(r).unwrap_or("");
            wareki(era, num(part(1..3), 2), part(3..5), part(5..7))?
        }
        [Token::Num(ymd)] if ymd.len() == 8 => {
            let part = |r: std::ops::Range<usize>| ymd.get(r).unwrap_or("");
            gregorian(part(0..4), part(4..6), part(6..8), s)?
        }
        [
            Token::Num(y),
            Token::Sep(a),
            Token::Num(m),
            Token::Sep(b),
            Token::Num(d),
        ] if y.len() == 4 && a == b => gregorian(y, m, d, s)?,
        [
            Token::Num(y),
            Token::Nen,
            Token::Num(m),
            Token::Tsuki,
            Token::Num(d),
        ] if y.len() == 4 => gregorian(y, m, d, s)?,
        [
            Token::Era(era),
            y,
            Token::Sep(a),
            Token::Num(m),
            Token::Sep(b),
            Token::Num(d),
        ] if a == b => wareki(*era, era_year(*y), m, d)?,
        [
            Token::Era(era),
            y,
            Token::Nen,
            Token::Num(m),
            Token::Tsuki,
            Token::Num(d),
        ] => wareki(*era, era_year(*y), m, d)?,
        // Digits first but no 4-digit year: the era was left out.
        [Token::Num(_), Token::Sep(_), ..] | [Token::Num(_), Token::Nen, ..] => {
            return Err(WarekiError::UnknownEra {
                input: s.to_owned(),
            });
        }
        _ => return Err(unreadable()),
    };
    if date < Era::Meiji.start() {
        return Err(WarekiError::BeforeMeiji { date });
    }
    Ok(date)
}

fn gregorian(y: &str, m: &str, d: &str, input: &str) -> Result<Date, WarekiError> {
    let (Some(year), Some(month), Some(day)) = (num(y, 4), num(m, 2), num(d, 2)) else {
        return Err(WarekiError::Unreadable {
            input: input.to_owned(),
        });
    };
    let no_such = || WarekiError::NoSuchDate {
        input: input.to_owned(),
    };
    let month = Month::try_from(month as u8).map_err(|_| no_such())?;
    Date::from_calendar_date(i32::from(year), month, day as u8).map_err(|_| no_such())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    fn w(d: Date) -> String {
        format_date(d).unwrap()
    }

    #[test]
    fn era_boundaries() {
        let cases = [
            (date!(1868 - 01 - 25), "明治元年1月25日"),
            (date!(1912 - 07 - 29), "明治45年7月29日"),
            (date!(1912 - 07 - 30), "大正元年7月30日"),
            (date!(1926 - 12 - 24), "大正15年12月24日"),
            (date!(1926 - 12 - 25), "昭和元年12月25日"),
            (date!(1989 - 01 - 07), "昭和64年1月7日"),
            (date!(1989 - 01 - 08), "平成元年1月8日"),
            (date!(2019 - 04 - 30), "平成31年4月30日"),
            (date!(2019 - 05 - 01), "令和元年5月1日"),
        ];
        for (d, s) in cases {
            assert_eq!(w(d), s);
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
        assert_eq!(
            Wareki::from_date(date!(1868 - 01 - 24)).unwrap_err(),
            WarekiError::BeforeMeiji {
                date: date!(1868 - 01 - 24)
            }
        );
        assert!(format_date(date!(1000 - 01 - 01)).is_err());
    }

    #[test]
    fn era_accessors() {
        for e in Era::ALL {
            assert_eq!(Era::from_code(e.code()), Some(e));
            assert_eq!(Era::from_letter(e.letter()), Some(e));
            assert_eq!(Era::of(e.start()), Some(e));
        }
        assert_eq!(Era::Reiwa.name(), "令和");
        assert_eq!(Era::Reiwa.short_kanji(), "令");
        assert_eq!(Era::Heisei.letter(), 'H');
        assert_eq!(Era::Meiji.code(), 1);
        assert_eq!(Era::Heisei.last_day(), Some(date!(2019 - 04 - 30)));
        assert_eq!(Era::Reiwa.last_day(), None);
    }

    #[test]
    fn formats() {
        let d = date!(2024 - 01 - 01);
        let wa = Wareki::from_date(d).unwrap();
        assert_eq!(
            wa,
            Wareki {
                era: Era::Reiwa,
                year: 6,
                month: 1,
                day: 1
            }
        );
        assert_eq!(wa.to_string(), "令和6年1月1日");
        assert_eq!(wa.short(), "R6.1.1");
        assert_eq!(wa.era_code_yymmdd(), "5060101");
        assert_eq!(wa.to_date().unwrap(), d);
        let first = Wareki::from_date(date!(2019 - 05 - 01)).unwrap();
        assert_eq!(first.short(), "R1.5.1");
        assert_eq!(first.era_code_yymmdd(), "5010501");
    }

    #[test]
    fn accepted_forms() {
        let d = date!(2024 - 01 - 01);
        for s in [
            "R6.1.1",
            "r6.1.1",
            "R06.01.01",
            "令6.1.1",
            "令和6年1月1日",
            "令和 6年 1月 1日",
            "令和６年１月１日",
            "Ｒ６．１．１",
            "  R6.1.1\u{3000}",
            "R6/1/1",
            "R6-1-1",
            "令和6.1.1",
            "令和6年1月1",
            "2024-01-01",
            "2024/1/1",
            "2024.1.1",
            "2024年1月1日",
            "20240101",
            "5060101",
            "５０６０１０１",
        ] {
            assert_eq!(parse_date(s), Ok(d), "{s}");
        }
        assert_eq!(parse_date("令和元年5月1日"), Ok(date!(2019 - 05 - 01)));
        assert_eq!(parse_date("R元.5.1"), Ok(date!(2019 - 05 - 01)));
        assert_eq!(parse_date("H31.4.30"), Ok(date!(2019 - 04 - 30)));
        assert_eq!(parse_date("S64.1.7"), Ok(date!(1989 - 01 - 07)));
        assert_eq!(parse_date("T15.12.24"), Ok(date!(1926 - 12 - 24)));
        assert_eq!(parse_date("M45.7.29"), Ok(date!(1912 - 07 - 29)));
        assert_eq!(parse_date("平成元年1月8日"), Ok(date!(1989 - 01 - 08)));
        assert_eq!(parse_date("3640107"), Ok(date!(1989 - 01 - 07)));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse_date("平成31年5月1日"),
            Err(WarekiError::OutsideEra {
                era: Era::Heisei,
                year: 31,
                month: 5,
                day: 1
            })
        ));
        assert!(matches!(
            parse_date("令和1年4月30日"),
            Err(WarekiError::OutsideEra { .. })
        ));
        assert!(matches!(
            parse_date("昭和64年1月8日"),
            Err(WarekiError::OutsideEra { .. })
        ));
        assert!(matches!(
            parse_date("R6.2.30"),
            Err(WarekiError::NoSuchDate { .. })
        ));
        assert!(matches!(
            parse_date("令和0年1月1日"),
            Err(WarekiError::NoSuchDate { .. })
        ));
        assert!(matches!(
            parse_date("R6.13.1"),
            Err(WarekiError::NoSuchDate { .. })
        ));
        assert!(matches!(
            parse_date("2023-02-29"),
            Err(WarekiError::NoSuchDate { .. })
        ));
        assert!(matches!(parse_date(""), Err(WarekiError::Empty)));
        assert!(matches!(parse_date(" \u{3000}"), Err(WarekiError::Empty)));
        assert!(matches!(
            parse_date("X6.1.1"),
            Err(WarekiError::UnknownEra { .. })
        ));
        assert!(matches!(
            parse_date("慶応4年1月1日"),
            Err(WarekiError::UnknownEra { .. })
        ));
        assert!(matches!(
            parse_date("6.1.1"),
            Err(WarekiError::UnknownEra { .. })
        ));
        assert!(matches!(
            parse_date("0060101"),
            Err(WarekiError::UnknownEra { .. })
        ));
        assert!(matches!(
            parse_date("R6.1/1"),
            Err(WarekiError::Unreadable { .. })
        ));
        assert!(matches!(
            parse_date("R6.1"),
            Err(WarekiError::Unreadable { .. })
        ));
        assert!(matches!(
            parse_date("R6.1.1.1"),
            Err(WarekiError::Unreadable { .. })
        ));
        assert!(matches!(
            parse_date("R6.001.1"),
            Err(WarekiError::Unreadable { .. })
        ));
        assert!(matches!(
            parse_date("1868-01-24"),
            Err(WarekiError::BeforeMeiji { .. })
        ));
        assert!(matches!(
            parse_date("M1.1.24"),
            Err(WarekiError::OutsideEra { .. })
        ));
        let e = parse_date("平成31年5月1日").unwrap_err();
        assert_eq!(
            e.message_ja(),
            "平成31年5月1日は平成の期間外です（平成は平成元年1月8日から平成31年4月30日まで）"
        );
        assert!(e.to_string().contains("Heisei"));
        let e = parse_date("abc").unwrap_err();
        assert!(e.message_ja().contains("abc"));
        assert!(
            parse_date("R6.2.30")
                .unwrap_err()
                .message_ja()
                .contains("R6.2.30")
        );
    }

    #[test]
    fn to_date_rejects() {
        let bad = |era, year, month, day| {
            Wareki {
                era,
                year,
                month,
                day,
            }
            .to_date()
            .is_err()
        };
        assert!(bad(Era::Heisei, 31, 5, 1));
        assert!(bad(Era::Reiwa, 1, 4, 30));
        assert!(bad(Era::Showa, 64, 1, 8));
        assert!(bad(Era::Reiwa, 0, 5, 1));
        assert!(bad(Era::Reiwa, 6, 0, 1));
        assert!(bad(Era::Reiwa, 6, 1, 0));
        assert!(bad(Era::Reiwa, u16::MAX, 1, 1));
    }

    fn round_trips(d: Date) {
        let wa = Wareki::from_date(d).unwrap();
        assert_eq!(parse_date(&format_date(d).unwrap()), Ok(d));
        assert_eq!(parse_date(&wa.short()), Ok(d));
        assert_eq!(parse_date(&wa.era_code_yymmdd()), Ok(d));
        assert_eq!(wa.to_date(), Ok(d));
    }

    /// Every date of the supported range, not a sample.
    #[test]
    fn every_date_round_trips() {
        let mut d = date!(1868 - 01 - 25);
        while d <= date!(2100 - 12 - 31) {
            round_trips(d);
            d = d.next_day().unwrap();
        }
    }

    proptest! {
        #[test]
        fn random_dates_round_trip(
            offset in 0i32..=(date!(2100 - 12 - 31).to_julian_day()
                - date!(1868 - 01 - 25).to_julian_day())
        ) {
            let d = Date::from_julian_day(date!(1868 - 01 - 25).to_julian_day() + offset).unwrap();
            round_trips(d);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = parse_date(&s);
        }
    }
}
