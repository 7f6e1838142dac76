//! Breaking running Japanese text into lines of a width, with the usual
//! 禁則 (JIS X 4051): closing brackets, punctuation, small kana and the long
//! vowel mark never start a line (they hang at the end of the previous one:
//! ぶら下げ), and opening brackets never end one (they move to the next).

/// Characters a line must not start with.
const NO_START: &str = "、。，．・：；？！ー―‐〜～）］｝」』】〕〉》’”ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々ゝゞヽヾ,.)]}!?:;％%";
/// Characters a line must not end with.
const NO_END: &str = "（［｛「『【〔〈《‘“([{￥$＄";

fn no_start(c: char) -> bool {
    NO_START.contains(c)
}

fn no_end(c: char) -> bool {
    NO_END.contains(c)
}

/// Characters of a number or a Latin word, which are not split across
/// lines ("21,000", "U+20BB7").
fn in_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ',' | '.' | '+' | '-' | '%' | '/')
}

/// Greedy lines of at most `max` wide (by `width`, the advance of one
/// character), except that one character a line may not start with hangs
/// past the end. A forced break is '\n'.
pub fn break_lines(text: &str, max: f32, width: impl Fn(char) -> f32) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line: Vec<char> = Vec::new();
        let mut used = 0.0f32;
        for c in para.chars() {
            let w = width(c);
            if used + w <= max || line.is_empty() {
                line.push(c);
                used += w;
                continue;
            }
            let hanging = used > max;
            if no_start(c) && !hanging {
                // ぶら下げ: the mark stays with the line it closes.
                line.push(c);
                used += w;
                continue;
            }
            let mut carry = Vec::new();
            if no_start(c) {
                // One mark hangs already: 追い出し — take back the trailing
                // marks and the character before them, so the next line
                // starts with a character that may start one.
                while let Some(l) = line.pop() {
                    carry.insert(0, l);
                    if !no_start(l) {
                        break;
                    }
                }
                if line.is_empty() {
                    // Nothing but marks: they stay together on one line.
                    line = carry;
                    line.push(c);
                    used += w;
                    continue;
                }
            }
            // A number or word is not split: its start moves down with c,
            // unless it fills the whole line.
            if in_word(c) && carry.is_empty() {
                let run = line.iter().rev().take_while(|&&l| in_word(l)).count();
                let starts_ok = line
                    .get(line.len() - run)
                    .is_some_and(|&first| !no_start(first));
                if run > 0 && run < line.len() && starts_ok {
                    carry = line.split_off(line.len() - run);
                }
            }
            // The line is full: move a trailing opening bracket down with c.
            while line.len() > 1 && line.last().is_some_and(|&l| no_end(l)) {
                if let Some(l) = line.pop() {
                    carry.insert(0, l);
                }
            }
            out.push(line.iter().collect());
            carry.push(c);
            used = carry.iter().map(|&x| width(x)).sum();
            line = carry;
        }
        out.push(line.into_iter().collect());
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn one(_: char) -> f32 {
        1.0
    }

    #[test]
    fn breaks_at_the_width() {
        assert_eq!(
            break_lines("あいうえおかき", 3.0, one),
            vec!["あいう", "えおか", "き"]
        );
    }

    #[test]
    fn punctuation_hangs_instead_of_starting_a_line() {
        assert_eq!(
            break_lines("あいう。えお", 3.0, one),
            vec!["あいう。", "えお"]
        );
        assert_eq!(
            break_lines("あいうっえお", 3.0, one),
            vec!["あいうっ", "えお"]
        );
    }

    #[test]
    fn an_opening_bracket_moves_to_the_next_line() {
        assert_eq!(
            break_lines("あい「うえ」", 3.0, one),
            vec!["あい", "「うえ」"]
        );
    }

    #[test]
    fn a_number_is_not_split() {
        assert_eq!(
            break_lines("あいう21,000円", 8.0, one),
            vec!["あいう", "21,000円"]
        );
        // a number longer than the line is broken where it must be
        assert_eq!(break_lines("1234567", 3.0, one), vec!["123", "456", "7"]);
    }

    #[test]
    fn forced_breaks_and_empty_text() {
        assert_eq!(break_lines("あ\nい", 3.0, one), vec!["あ", "い"]);
        assert_eq!(break_lines("", 3.0, one), vec![""]);
    }

    proptest! {
        /// No character is lost or reordered, and no line starts with a
        /// character that may not start one (unless a line holds only it).
        #[test]
        fn keeps_every_character_and_the_rules(s in "[あいう。、「」ー（）a-c0-9,]{0,60}", max in 1u8..8) {
            let lines = break_lines(&s, f32::from(max), one);
            prop_assert_eq!(lines.concat(), s.clone());
            for pair in lines.windows(2) {
                if let (Some(before), Some(first)) = (pair.first(), pair[1].chars().next()) {
                    // A mark may start a line only when the line before it is
                    // all marks and brackets (nothing could be moved).
                    prop_assert!(!no_start(first) || before.chars().all(|c| no_start(c) || no_end(c)),
                        "line {:?} of {:?} starts with {:?}", pair[1], lines, first);
                }
            }
        }
    }
}
