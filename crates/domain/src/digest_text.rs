//! How kokuho writes hashes and tokens as text: lower-case hex in groups of
//! eight separated by '-'. A run of digits is then at most eight long, so no
//! hash, token or digest stored in the database or a log can ever read as a
//! 12-digit My Number to a leak scan. Remove the '-' to compare with
//! `sha256sum`.

/// Grouped hex of `bytes`: `0123abcd-89ef0123-…`.
pub fn grouped_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2 + bytes.len() / 4);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
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
            "01234567-89ab"
        );
        assert_eq!(grouped_hex(&[]), "");
    }

    proptest! {
        #[test]
        fn never_twelve_digits_in_a_row(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let text = grouped_hex(&bytes);
            let longest = text.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
            prop_assert!(longest <= 8);
            prop_assert_eq!(text.replace('-', ""), bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
        }
    }
}
