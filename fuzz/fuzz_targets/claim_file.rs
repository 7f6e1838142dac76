//! The claim-file reader on any bytes: it ends every input with claims or
//! an error, never a panic, and every claim it yields holds records.
#![no_main]

use kokuho_formats::claims::{ClaimReader, Layouts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(layouts) = Layouts::shipped() else {
        return;
    };
    let mut reader = ClaimReader::new("fuzz", bytes, &layouts);
    for claim in reader.by_ref().flatten() {
        assert!(!claim.records.is_empty());
    }
    let _ = reader.trailer();
});
