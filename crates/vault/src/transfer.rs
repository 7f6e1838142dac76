//! The transfer key: seals the exchange files that hold 個人番号 while they
//! wait in the outbox, until the link to the counterpart (the federation's
//! data-link terminal) takes them. It is a key of its own, shared with the
//! counterpart and nothing else: the vault's keys never leave the town.
//!
//! A sealed file is `KOKUHO-SEALED-1\n`, a 12-byte nonce, then the
//! AES-256-GCM ciphertext of the file, bound to the file's name (a sealed
//! file renamed to pass for another fails to open).

use std::path::Path;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use zeroize::Zeroizing;

const MAGIC: &[u8] = b"KOKUHO-SEALED-1\n";
const NONCE_LEN: usize = 12;

/// 32 bytes, kept in a file (64 hex digits) outside the repository.
pub struct TransferKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for TransferKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransferKey(…)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TransferError {
    #[error("transfer key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("not a sealed file")]
    NotSealed,
    #[error("the sealed file could not be opened (another key, another name, or altered)")]
    Open,
    #[error("sealing failed")]
    Seal,
}

impl TransferKey {
    pub fn generate() -> TransferKey {
        let k = Key::<Aes256Gcm>::generate();
        let mut b = [0u8; 32];
        b.copy_from_slice(k.as_slice());
        TransferKey(Zeroizing::new(b))
    }

    /// 64 hex digits; blank lines and `#` comments ignored.
    pub fn parse(text: &str) -> Result<TransferKey, TransferError> {
        let bad = |reason: &str| TransferError::Key {
            path: String::new(),
            reason: reason.into(),
        };
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or_else(|| bad("empty"))?;
        let bytes = Zeroizing::new(hex::decode(line).map_err(|_| bad("not hex"))?);
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| bad("must be 32 bytes (64 hex digits)"))?;
        Ok(TransferKey(Zeroizing::new(arr)))
    }

    pub fn load(path: &Path) -> Result<TransferKey, TransferError> {
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|e| TransferError::Key {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?,
            );
        TransferKey::parse(&text).map_err(|e| match e {
            TransferError::Key { reason, .. } => TransferError::Key {
                path: path.display().to_string(),
                reason,
            },
            other => other,
        })
    }

    /// The text form [`TransferKey::parse`] reads.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "# kokuho transfer key: seals exchange files holding My Numbers\n{}\n",
            hex::encode(self.0.as_slice())
        ))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(*self.0))
    }

    pub fn seal(&self, plain: &[u8], file_name: &str) -> Result<Vec<u8>, TransferError> {
        let nonce = Nonce::generate();
        let aad = [MAGIC, file_name.as_bytes()].concat();
        let ct = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| TransferError::Seal)?;
        Ok([MAGIC, nonce.as_slice(), &ct].concat())
    }

    pub fn open(
        &self,
        sealed: &[u8],
        file_name: &str,
    ) -> Result<Zeroizing<Vec<u8>>, TransferError> {
        let rest = sealed.strip_prefix(MAGIC).ok_or(TransferError::NotSealed)?;
        if rest.len() <= NONCE_LEN {
            return Err(TransferError::Open);
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| TransferError::Open)?;
        let aad = [MAGIC, file_name.as_bytes()].concat();
        self.cipher()
            .decrypt(&nonce, Payload { msg: ct, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| TransferError::Open)
    }
}

/// Whether bytes are a sealed file.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_sealed_file_opens_only_with_its_key_and_its_name() {
        let k = TransferKey::generate();
        let plain = b"123456789018 and more";
        let s = k.seal(plain, "KS02_319012_20261125093015.dat").unwrap();
        assert!(is_sealed(&s));
        assert!(
            !s.windows(12).any(|w| w == b"123456789018"),
            "no number in clear"
        );
        assert_eq!(
            k.open(&s, "KS02_319012_20261125093015.dat")
                .unwrap()
                .as_slice(),
            plain
        );
        assert_eq!(
            k.open(&s, "KS02_319012_20261125093016.dat"),
            Err(TransferError::Open)
        );
        assert_eq!(
            TransferKey::generate().open(&s, "KS02_319012_20261125093015.dat"),
            Err(TransferError::Open)
        );
        let mut altered = s.clone();
        let n = altered.len() - 1;
        altered[n] ^= 1;
        assert_eq!(
            k.open(&altered, "KS02_319012_20261125093015.dat"),
            Err(TransferError::Open)
        );
        assert_eq!(k.open(plain, "x"), Err(TransferError::NotSealed));
        let back = TransferKey::parse(&k.to_text()).unwrap();
        assert_eq!(
            back.open(&s, "KS02_319012_20261125093015.dat")
                .unwrap()
                .as_slice(),
            plain
        );
        assert!(TransferKey::parse("abcd").is_err());
        assert!(!format!("{k:?}").contains(&hex::encode(k.0.as_slice())));
    }
}
