//! Finds My Numbers where none may be: counts every run of exactly twelve
//! digits (ASCII, or full-width in UTF-8) that passes the check digit. Used on
//! database files, WAL files, logs and exports; it reports counts, never the
//! numbers.

use kokuho_domain::id::is_valid_my_number;

/// Decodes the digit at `bytes[i]`: ASCII (1 byte) or full-width ０-９ in
/// UTF-8 (EF BC 90–99, 3 bytes).
fn digit_at(bytes: &[u8], i: usize) -> Option<(u8, usize)> {
    match bytes.get(i)? {
        b @ b'0'..=b'9' => Some((*b, 1)),
        0xEF if bytes.get(i + 1) == Some(&0xBC) => match bytes.get(i + 2)? {
            b @ 0x90..=0x99 => Some((b'0' + (b - 0x90), 3)),
            _ => None,
        },
        _ => None,
    }
}

/// How many valid-looking My Numbers `bytes` holds (runs of digits of any
/// other length are not numbers and are skipped).
pub fn count_my_numbers(bytes: &[u8]) -> usize {
    let mut found = 0;
    let mut i = 0;
    let mut run: Vec<u8> = Vec::with_capacity(16);
    while i < bytes.len() {
        match digit_at(bytes, i) {
            Some((d, len)) => {
                run.push(d);
                i += len;
            }
            None => {
                found += usize::from(run.len() == 12 && is_valid_run(&run));
                run.clear();
                i += 1;
            }
        }
    }
    found + usize::from(run.len() == 12 && is_valid_run(&run))
}

/// Free text is kept as typed, shown on screens and printed on notices: a
/// My Number typed into it by mistake (in either digit width) is refused
/// with the field named, never kept.
pub fn refuse_my_number(field: &'static str, text: &str) -> crate::Result<()> {
    if count_my_numbers(text.as_bytes()) > 0 {
        return Err(crate::AppError::invalid(
            field,
            "the text looks like it holds a My Number: it is not kept",
            "個人番号と思われる数字は入力できません",
        ));
    }
    Ok(())
}

fn is_valid_run(run: &[u8]) -> bool {
    std::str::from_utf8(run).is_ok_and(is_valid_my_number)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn finds_numbers_in_text_and_binary() {
        assert_eq!(count_my_numbers(b"id=123456789018;"), 1);
        assert_eq!(count_my_numbers(b"123456789018"), 1);
        assert_eq!(
            count_my_numbers("番号１２３４５６７８９０１８です".as_bytes()),
            1
        );
        assert_eq!(count_my_numbers(b"\x00\x01314159265352\xff271828182840"), 2);
    }

    #[test]
    fn ignores_what_is_not_a_number() {
        // wrong check digit, 11 and 13 digits, internal 10-digit ids
        assert_eq!(count_my_numbers(b"123456789012"), 0);
        assert_eq!(count_my_numbers(b"12345678901"), 0);
        assert_eq!(count_my_numbers(b"1234567890180"), 0);
        assert_eq!(count_my_numbers(b"0000000001 5000000001"), 0);
        assert_eq!(count_my_numbers(b""), 0);
    }
}
