//! How kokuho writes hashes and tokens as text: lower-case hex in groups of
//! eight separated by '-', between two 'h': `h0123abcd-89ef0123-…h`. A run of
//! digits is then at most eight long, and none can continue into a
//! neighbouring value (a database record stores its columns side by side:
//! two hashes, or a digest and a file name starting with a date, once formed
//! twelve digits in a row), so no hash, token or digest stored in the
//! database or a log can ever read as a 12-digit My Number to a leak scan.
//! Remove the 'h' and '-' to compare with `sha256sum`.

/// Grouped hex of `bytes`: `h0123abcd-89ef0123-…h` (empty input: `hh`).
pub fn grouped_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2 + bytes.len() / 4 + 2);
    out.push('h');
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out.push('h');
    out
}

/// The form written before the 'h' ends were added (kept readable for
/// access logs recorded then).
pub fn legacy_form(grouped: &str) -> &str {
    grouped.trim_matches('h')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn groups_of_eight() {
        assert_eq!(
            grouped_hex(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xab]),
            "h01234567-89abh"
        );
        assert_eq!(grouped_hex(&[]), "hh");
        // Two values side by side (as in a database record) cannot join into a long run.
        let two = format!(
            "{}{}",
            grouped_hex(&[0x19, 0x60, 0x20]),
            grouped_hex(&[0x20, 0x03, 0x85])
        );
        assert_eq!(two, "h196020hh200385h");
    }

    proptest! {
        #[test]
        fn never_twelve_digits_in_a_row(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let text = grouped_hex(&bytes);
            let longest = text.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
            prop_assert!(longest <= 8);
            prop_assert!(text.starts_with('h') && text.ends_with('h'));
            prop_assert_eq!(text.replace(['-', 'h'], ""), bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
        }
    }
}
