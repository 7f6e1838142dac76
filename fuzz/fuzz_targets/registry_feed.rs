//! The resident-registry feed reader on any bytes, in both encodings.
#![no_main]

use kokuho_formats::{Encoding, registry_feed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for enc in [Encoding::Utf8, Encoding::Cp932] {
        if let Ok(events) = registry_feed::parse("fuzz", bytes, enc) {
            // What was read writes back.
            let _ = registry_feed::write(&events, enc);
        }
    }
});
