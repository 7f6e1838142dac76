//! Text encodings of the files kokuho exchanges: UTF-8 and CP932
//! (Windows-31J, what Japanese office software calls "Shift_JIS").
//!
//! Neither direction ever replaces a character silently: a malformed byte
//! sequence or a character CP932 cannot hold is an error that says where.

use std::fmt;

use encoding_rs::{DecoderResult, EncoderResult, SHIFT_JIS};

/// A file's text encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Encoding {
    Utf8,
    /// Windows-31J: JIS X 0208 plus the NEC and IBM extensions, as encoded by
    /// `encoding_rs::SHIFT_JIS` (the WHATWG "Shift_JIS", which is CP932).
    Cp932,
}

impl Encoding {
    /// Accepts the names staff and scripts use, case-insensitively:
    /// "utf-8", "utf8", "cp932", "shift_jis", "shift-jis", "sjis",
    /// "windows-31j", "ms932".
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "cp932" | "shift_jis" | "shift-jis" | "sjis" | "windows-31j" | "ms932" => {
                Some(Encoding::Cp932)
            }
            _ => None,
        }
    }

    /// "utf-8" or "cp932"; what [`Encoding::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Cp932 => "cp932",
        }
    }

    /// For English messages.
    fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Cp932 => "CP932",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why bytes could not be read as text. Offsets count bytes of the input
/// from 0 (a UTF-8 BOM included); lines count from 1.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("malformed {} byte sequence at byte offset {offset} (line {line})", .encoding.label())]
    Malformed {
        encoding: Encoding,
        offset: usize,
        line: usize,
    },
    /// A UTF-8 byte-order mark in a file declared CP932: decoding would
    /// produce mojibake or fail further on, so say what is wrong instead.
    #[error("the file starts with a UTF-8 byte-order mark but was declared CP932")]
    Utf8BomInCp932,
}

impl DecodeError {
    /// The 1-based line of the problem.
    pub fn line(&self) -> usize {
        match self {
            DecodeError::Malformed { line, .. } => *line,
            DecodeError::Utf8BomInCp932 => 1,
        }
    }

    /// The message for staff screens.
    pub fn message_ja(&self) -> String {
        match self {
            DecodeError::Malformed {
                encoding,
                offset,
                line,
            } => format!(
                "{line}行目（先頭から{offset}バイト目）に{}として読めないバイト列があります。文字コードの指定を確認してください",
                encoding.label()
            ),
            DecodeError::Utf8BomInCp932 => {
                "ファイルはUTF-8（BOM付き）のようですが、CP932（Shift_JIS）として指定されています"
                    .to_owned()
            }
        }
    }
}

/// A character that cannot be written in the target encoding.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum EncodeError {
    /// `position` is 1-based, in characters of the string passed in.
    #[error("character {position} ({}) cannot be written in CP932", describe_char(*.ch))]
    Unmappable { ch: char, position: usize },
}

impl EncodeError {
    /// The message for staff screens.
    pub fn message_ja(&self) -> String {
        match self {
            EncodeError::Unmappable { ch, position } => format!(
                "{position}文字目の「{ch}」（U+{:04X}）はCP932（Shift_JIS）で書き出せない文字です",
                u32::from(*ch)
            ),
        }
    }
}

/// "U+20BB7 '𠮷'" — the code point first, since the glyph may not render.
pub(crate) fn describe_char(ch: char) -> String {
    if ch.is_control() {
        format!("U+{:04X}", u32::from(ch))
    } else {
        format!("U+{:04X} '{ch}'", u32::from(ch))
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// 1-based line of byte `offset`. Safe for CP932 too: 0x0A is never a
/// trail byte there.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    bytes
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// Reads `bytes` as text. UTF-8 is strict and its BOM is skipped; CP932
/// is decoded as Windows-31J. Malformed input is an error, never replaced.
pub fn decode(bytes: &[u8], enc: Encoding) -> Result<String, DecodeError> {
    match enc {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
            let skipped = bytes.len() - body.len();
            match std::str::from_utf8(body) {
                Ok(s) => Ok(s.to_owned()),
                Err(e) => {
                    let offset = skipped + e.valid_up_to();
                    Err(DecodeError::Malformed {
                        encoding: enc,
                        offset,
                        line: line_at(bytes, offset),
                    })
                }
            }
        }
        Encoding::Cp932 => decode_cp932(bytes),
    }
}

fn decode_cp932(bytes: &[u8]) -> Result<String, DecodeError> {
    if bytes.starts_with(UTF8_BOM) {
        return Err(DecodeError::Utf8BomInCp932);
    }
    let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
    // Every CP932 byte yields at most 3 UTF-8 bytes; the fallback only
    // matters on overflow, and the loop below copes with a short buffer.
    let cap = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3));
    let mut out = String::with_capacity(cap);
    let mut read_total = 0;
    loop {
        let src = bytes.get(read_total..).unwrap_or_default();
        let (result, read) = decoder.decode_to_string_without_replacement(src, &mut out, true);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(src.len().saturating_mul(3).max(16)),
            DecoderResult::Malformed(bad, after) => {
                // `read` includes the malformed bytes and `after` bytes that
                // followed them.
                let offset = read_total.saturating_sub(usize::from(bad) + usize::from(after));
                return Err(DecodeError::Malformed {
                    encoding: Encoding::Cp932,
                    offset,
                    line: line_at(bytes, offset),
                });
            }
        }
    }
}

/// Characters that look like ones CP932 has but are different code points,
/// with the CP932 character written instead. Text typed on a Mac or pasted
/// from the web often carries the left-hand forms (JIS/Unicode mappings
/// disagree on these), and staff cannot tell them apart on screen.
///
/// ¥ and ‾ are here for another reason: the WHATWG encoder writes them as
/// 0x5C and 0x7E, which read back as `\` and `~` — a silent change. The
/// full-width forms read back as themselves.
pub const CP932_LOOKALIKES: [(char, char); 9] = [
    ('\u{301C}', '\u{FF5E}'), // 〜 WAVE DASH → ～ FULLWIDTH TILDE
    ('\u{2016}', '\u{2225}'), // ‖ DOUBLE VERTICAL LINE → ∥ PARALLEL TO
    ('\u{2014}', '\u{2015}'), // — EM DASH → ― HORIZONTAL BAR
    ('\u{00A2}', '\u{FFE0}'), // ¢ → ￠
    ('\u{00A3}', '\u{FFE1}'), // £ → ￡
    ('\u{00AC}', '\u{FFE2}'), // ¬ → ￢
    ('\u{2212}', '\u{FF0D}'), // − MINUS SIGN → － FULLWIDTH HYPHEN-MINUS
    ('\u{00A5}', '\u{FFE5}'), // ¥ → ￥ (not 0x5C, which reads back as \)
    ('\u{203E}', '\u{FFE3}'), // ‾ OVERLINE → ￣ (not 0x7E, ~)
];

fn map_lookalike(c: char) -> char {
    CP932_LOOKALIKES
        .iter()
        .find(|(from, _)| *from == c)
        .map_or(c, |(_, to)| *to)
}

/// The Windows-31J user-defined area (外字, F040–F9FC) decodes to U+E000–
/// U+E757, but the WHATWG encoder has no mapping back; without this, a
/// decoded 外字 could not be written again.
const PUA_FIRST: u32 = 0xE000;
const PUA_LAST: u32 = 0xE757;

fn pua_bytes(c: char) -> Option<[u8; 2]> {
    let cp = u32::from(c);
    if !(PUA_FIRST..=PUA_LAST).contains(&cp) {
        return None;
    }
    // Shift_JIS pointer arithmetic of the WHATWG Encoding Standard; the
    // user-defined area starts at pointer 8836 (lead 0xF0, trail 0x40).
    let pointer = 8836 + (cp - PUA_FIRST);
    let lead = pointer / 188;
    let trail = pointer % 188;
    let lead = lead + if lead < 0x1F { 0x81 } else { 0xC1 };
    let trail = trail + if trail < 0x3F { 0x40 } else { 0x41 };
    Some([u8::try_from(lead).ok()?, u8::try_from(trail).ok()?])
}

/// Writes `s` in CP932 after replacing [`CP932_LOOKALIKES`]. A character
/// CP932 lacks (𠮷 U+20BB7, Ⅻ, most emoji) is an error naming it and its
/// 1-based position; nothing is replaced by `?` or `&#NNNN;`.
pub fn encode_cp932(s: &str) -> Result<Vec<u8>, EncodeError> {
    let mapped: String = s.chars().map(map_lookalike).collect();
    let mut out = Vec::with_capacity(mapped.len());
    // Encode runs between user-defined characters with encoding_rs, which
    // has no mapping for them.
    let mut run_start = 0;
    let mut run_pos = 0; // characters before `run_start`
    for (pos, (i, c)) in mapped.char_indices().enumerate() {
        if let Some(bytes) = pua_bytes(c) {
            encode_run(
                mapped.get(run_start..i).unwrap_or_default(),
                run_pos,
                &mut out,
            )?;
            out.extend_from_slice(&bytes);
            run_start = i + c.len_utf8();
            run_pos = pos + 1;
        }
    }
    encode_run(
        mapped.get(run_start..).unwrap_or_default(),
        run_pos,
        &mut out,
    )?;
    Ok(out)
}

/// Encodes a run without user-defined characters; `chars_before` is its
/// offset in characters, for error positions.
fn encode_run(run: &str, chars_before: usize, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if run.is_empty() {
        return Ok(());
    }
    let mut encoder = SHIFT_JIS.new_encoder();
    let cap = encoder
        .max_buffer_length_from_utf8_without_replacement(run.len())
        .unwrap_or(run.len().saturating_mul(2));
    let mut buf = vec![0u8; cap.max(16)];
    let mut read_total = 0;
    loop {
        let src = run.get(read_total..).unwrap_or_default();
        let (result, read, written) =
            encoder.encode_from_utf8_without_replacement(src, &mut buf, true);
        out.extend_from_slice(buf.get(..written).unwrap_or_default());
        read_total += read;
        match result {
            EncoderResult::InputEmpty => return Ok(()),
            EncoderResult::OutputFull => {}
            EncoderResult::Unmappable(ch) => {
                // `read` includes the unmappable character itself.
                let position =
                    chars_before + run.get(..read_total).map_or(0, |r| r.chars().count());
                return Err(EncodeError::Unmappable { ch, position });
            }
        }
    }
}

/// Writes `s` in `enc`. UTF-8 is written without a BOM.
pub fn encode(s: &str, enc: Encoding) -> Result<Vec<u8>, EncodeError> {
    match enc {
        Encoding::Utf8 => Ok(s.as_bytes().to_vec()),
        Encoding::Cp932 => encode_cp932(s),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encoding_names() {
        for s in ["utf-8", "UTF8", " Utf-8 "] {
            assert_eq!(Encoding::parse(s), Some(Encoding::Utf8), "{s}");
        }
        for s in ["cp932", "CP932", "Shift_JIS", "sjis", "SJIS", "windows-31j"] {
            assert_eq!(Encoding::parse(s), Some(Encoding::Cp932), "{s}");
        }
        assert_eq!(Encoding::parse("euc-jp"), None);
        assert_eq!(Encoding::parse(""), None);
        for e in [Encoding::Utf8, Encoding::Cp932] {
            assert_eq!(Encoding::parse(e.name()), Some(e));
        }
    }

    #[test]
    fn utf8_strict_and_bom_skipped() {
        assert_eq!(decode("山田".as_bytes(), Encoding::Utf8).unwrap(), "山田");
        let mut with_bom = UTF8_BOM.to_vec();
        with_bom.extend_from_slice("a,b".as_bytes());
        assert_eq!(decode(&with_bom, Encoding::Utf8).unwrap(), "a,b");
        // Only one BOM is skipped; a second one is text (U+FEFF).
        let mut two = UTF8_BOM.to_vec();
        two.extend_from_slice(UTF8_BOM);
        assert_eq!(decode(&two, Encoding::Utf8).unwrap(), "\u{FEFF}");

        let bad = b"ab\ncd\n\xE5\xB1x";
        assert_eq!(
            decode(bad, Encoding::Utf8).unwrap_err(),
            DecodeError::Malformed {
                encoding: Encoding::Utf8,
                offset: 6,
                line: 3
            }
        );
        let mut bad_bom = UTF8_BOM.to_vec();
        bad_bom.extend_from_slice(b"a\xFF");
        let e = decode(&bad_bom, Encoding::Utf8).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Malformed {
                encoding: Encoding::Utf8,
                offset: 4,
                line: 1
            }
        );
        assert_eq!(
            e.to_string(),
            "malformed UTF-8 byte sequence at byte offset 4 (line 1)"
        );
        assert!(e.message_ja().contains("1行目"));
    }

    #[test]
    fn cp932_decodes_and_reports_malformed() {
        let bytes = [0x8E, 0x52, 0x93, 0x63, 0x81, 0x40, 0x91, 0xBE, 0x98, 0x59];
        assert_eq!(decode(&bytes, Encoding::Cp932).unwrap(), "山田\u{3000}太郎");
        // NEC and IBM extensions: ① and 髙.
        assert_eq!(decode(&[0x87, 0x40], Encoding::Cp932).unwrap(), "①");
        assert_eq!(decode(&[0xFB, 0xFC], Encoding::Cp932).unwrap(), "髙");
        // 0x82 followed by an ASCII byte that is no trail byte.
        let bad = b"ab\r\ncd\r\nx\x82\x20";
        assert_eq!(
            decode(bad, Encoding::Cp932).unwrap_err(),
            DecodeError::Malformed {
                encoding: Encoding::Cp932,
                offset: 9,
                line: 3
            }
        );
        // A lead byte at the end of the input.
        assert_eq!(
            decode(b"abc\x93", Encoding::Cp932).unwrap_err(),
            DecodeError::Malformed {
                encoding: Encoding::Cp932,
                offset: 3,
                line: 1
            }
        );
        // Bytes that are never valid.
        for b in [0xA0u8, 0xFD, 0xFE, 0xFF] {
            let e = decode(&[b'a', b'\n', b], Encoding::Cp932).unwrap_err();
            assert_eq!(
                e,
                DecodeError::Malformed {
                    encoding: Encoding::Cp932,
                    offset: 2,
                    line: 2
                },
                "{b:#x}"
            );
        }
        let mut bom = UTF8_BOM.to_vec();
        bom.push(b'a');
        assert_eq!(
            decode(&bom, Encoding::Cp932).unwrap_err(),
            DecodeError::Utf8BomInCp932
        );
    }

    #[test]
    fn cp932_encodes_and_maps_lookalikes() {
        assert_eq!(
            encode_cp932("山田\u{3000}太郎").unwrap(),
            [0x8E, 0x52, 0x93, 0x63, 0x81, 0x40, 0x91, 0xBE, 0x98, 0x59]
        );
        for (from, to) in CP932_LOOKALIKES {
            let a = encode_cp932(&from.to_string()).unwrap();
            let b = encode_cp932(&to.to_string()).unwrap();
            assert_eq!(a, b, "{from}");
            assert_eq!(decode(&a, Encoding::Cp932).unwrap(), to.to_string());
        }
        // The table of docs/formats/csv.md.
        let bytes: Vec<[u8; 2]> = CP932_LOOKALIKES
            .iter()
            .map(|(from, _)| encode_cp932(&from.to_string()).unwrap().try_into().unwrap())
            .collect();
        assert_eq!(
            bytes,
            [
                [0x81, 0x60],
                [0x81, 0x61],
                [0x81, 0x5C],
                [0x81, 0x91],
                [0x81, 0x92],
                [0x81, 0xCA],
                [0x81, 0x7C],
                [0x81, 0x8F],
                [0x81, 0x50]
            ]
        );
        assert_eq!(encode_cp932("−").unwrap(), [0x81, 0x7C]);
        assert_eq!(encode_cp932("¥‾").unwrap(), [0x81, 0x8F, 0x81, 0x50]);
        assert_eq!(encode_cp932("\\~").unwrap(), b"\\~");
        // The encoder's own 3-byte forms are never produced.
        assert_eq!(encode_cp932("①髙").unwrap(), [0x87, 0x40, 0xFB, 0xFC]);
    }

    #[test]
    fn cp932_unmappable_is_an_error() {
        assert_eq!(
            encode_cp932("吉田𠮷男").unwrap_err(),
            EncodeError::Unmappable {
                ch: '\u{20BB7}',
                position: 3
            }
        );
        assert_eq!(
            encode_cp932("Ⅻ").unwrap_err(),
            EncodeError::Unmappable {
                ch: 'Ⅻ',
                position: 1
            }
        );
        let e = encode("ab😀", Encoding::Cp932).unwrap_err();
        assert_eq!(
            e,
            EncodeError::Unmappable {
                ch: '😀',
                position: 3
            }
        );
        assert!(e.to_string().contains("U+1F600"));
        assert!(e.message_ja().contains("3文字目"));
        // Positions count characters across user-defined characters too.
        assert_eq!(
            encode_cp932("\u{E000}あ\u{E001}Ⅻ").unwrap_err(),
            EncodeError::Unmappable {
                ch: 'Ⅻ',
                position: 4
            }
        );
        // UTF-8 writes everything.
        assert_eq!(encode("𠮷", Encoding::Utf8).unwrap(), "𠮷".as_bytes());
    }

    #[test]
    fn user_defined_area_round_trips() {
        for (bytes, cp) in [([0xF0, 0x40], 0xE000), ([0xF9, 0xFC], 0xE757)] {
            let s = decode(&bytes, Encoding::Cp932).unwrap();
            assert_eq!(s, char::from_u32(cp).unwrap().to_string());
            assert_eq!(encode_cp932(&s).unwrap(), bytes);
        }
        assert!(encode_cp932("\u{E758}").is_err());
    }

    /// Every 2-byte sequence of the CP932 range that decodes to one
    /// character survives decode → encode → decode unchanged. The bytes may
    /// change: NEC-selected IBM extensions (ED/EE) are written in their IBM
    /// form (FA–FC), which Windows does too.
    #[test]
    fn every_two_byte_sequence_round_trips() {
        let mut decodable = 0;
        for lead in (0x81u8..=0x9F).chain(0xE0..=0xFC) {
            for trail in (0x40u8..=0x7E).chain(0x80..=0xFC) {
                let Ok(text) = decode(&[lead, trail], Encoding::Cp932) else {
                    continue;
                };
                decodable += 1;
                let bytes =
                    encode_cp932(&text).unwrap_or_else(|e| panic!("{lead:02X}{trail:02X}: {e}"));
                assert_eq!(
                    decode(&bytes, Encoding::Cp932).unwrap(),
                    text,
                    "{lead:02X}{trail:02X}"
                );
            }
        }
        // JIS X 0208 (6879) + NEC row 13 (83) + NEC-selected IBM (374) +
        // IBM (388) + user-defined (1880).
        assert_eq!(decodable, 9604);
    }

    /// Every character that encodes reads back as itself (after the
    /// lookalike mapping): nothing in the whole of Unicode is replaced
    /// silently.
    #[test]
    fn every_encodable_char_reads_back() {
        let mut encodable = 0;
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let Ok(bytes) = encode_cp932(c.encode_utf8(&mut [0; 4])) else {
                continue;
            };
            encodable += 1;
            assert_eq!(
                decode(&bytes, Encoding::Cp932).unwrap(),
                map_lookalike(c).to_string(),
                "U+{:04X}",
                u32::from(c)
            );
        }
        // A floor, so that the loop cannot pass by encoding nothing.
        assert!(encodable > 9000, "{encodable}");
    }

    /// Pairs that decode without error, collected once for the proptest.
    fn decodable_pairs() -> Vec<[u8; 2]> {
        let mut v = Vec::new();
        for lead in (0x81u8..=0x9F).chain(0xE0..=0xFC) {
            for trail in (0x40u8..=0x7E).chain(0x80..=0xFC) {
                if decode(&[lead, trail], Encoding::Cp932).is_ok() {
                    v.push([lead, trail]);
                }
            }
        }
        v
    }

    fn cp932_unit() -> impl Strategy<Value = Vec<u8>> {
        let pairs = decodable_pairs();
        prop_oneof![
            (0x20u8..=0x7E).prop_map(|b| vec![b]),
            (0xA1u8..=0xDF).prop_map(|b| vec![b]),
            Just(vec![b'\r', b'\n']),
            proptest::sample::select(pairs).prop_map(|p| p.to_vec()),
        ]
    }

    /// Characters from the ranges where CP932's repertoire lies, and a bit
    /// around them.
    fn bmp_char() -> impl Strategy<Value = char> {
        prop_oneof![
            0x00u32..0x80,
            0x80u32..0x500,
            0x2000u32..0x3400,
            0x4E00u32..0xA000,
            0xE000u32..0xE800,
            0xF900u32..0xFB00,
            0xFF00u32..0x10000,
        ]
        .prop_filter_map("surrogate", char::from_u32)
    }

    proptest! {
        #[test]
        fn cp932_text_round_trips(units in proptest::collection::vec(cp932_unit(), 0..64)) {
            let bytes: Vec<u8> = units.concat();
            let text = decode(&bytes, Encoding::Cp932).unwrap();
            let again = decode(&encode_cp932(&text).unwrap(), Encoding::Cp932).unwrap();
            prop_assert_eq!(again, text);
        }

        /// Whatever encodes must read back as itself, once the lookalikes are
        /// mapped: no silent replacement anywhere in the repertoire.
        #[test]
        fn encoded_text_reads_back(chars in proptest::collection::vec(bmp_char(), 0..24)) {
            let s: String = chars.into_iter().collect();
            if let Ok(bytes) = encode_cp932(&s) {
                let expected: String = s.chars().map(map_lookalike).collect();
                prop_assert_eq!(decode(&bytes, Encoding::Cp932).unwrap(), expected);
            }
        }

        #[test]
        fn utf8_round_trips(s in "\\PC{0,40}") {
            prop_assert_eq!(decode(&encode(&s, Encoding::Utf8).unwrap(), Encoding::Utf8).unwrap(), s);
        }

        #[test]
        fn cp932_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Err(DecodeError::Malformed { offset, line, .. }) = decode(&bytes, Encoding::Cp932) {
                prop_assert!(offset < bytes.len());
                prop_assert!(line >= 1);
            }
        }
    }
}
