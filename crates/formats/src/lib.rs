//! kokuho's file formats: text encodings, the CSV export writer and the
//! resident-registry change feed (住基異動ファイル), the claim files (レセプト)
//! the bank-transfer file (全銀 総合振込) and the files exchanged with the
//! prefecture federation (fixed-length records from layout tables).
//!
//! This crate reads and writes bytes; it knows nothing of the database.
//! Errors name lines, fields and positions but, apart from dates and single
//! unmappable characters, never the values read: a value may be personal
//! information.

pub mod charts;
pub mod claims;
pub mod claims_sample;
mod csv_in;
pub mod csv_out;
pub mod federation;
pub mod fixed;
pub mod income;
pub mod intermediate;
pub mod registry_feed;
pub mod statistics;
pub mod text;
pub mod zengin;

pub use csv_out::{CsvError, CsvWriter};
pub use text::{DecodeError, EncodeError, Encoding};
