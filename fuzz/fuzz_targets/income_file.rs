//! The municipal-tax income file reader on any bytes, in both encodings.
#![no_main]

use kokuho_formats::{Encoding, income};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for enc in [Encoding::Utf8, Encoding::Cp932] {
        if let Ok(records) = income::parse("fuzz", bytes, enc) {
            let _ = income::write(&records, enc);
        }
    }
});
