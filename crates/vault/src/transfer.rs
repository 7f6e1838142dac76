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

/// 32 bytes, kept in a file (64 hex digits) outside the repository. After
/// a rotation the file holds the new key first (it seals) and the keys
/// before it below (they only open files sealed before the rotation).
pub struct TransferKey {
    current: Zeroizing<[u8; 32]>,
    previous: Vec<Zeroizing<[u8; 32]>>,
}

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
    fn fresh() -> Zeroizing<[u8; 32]> {
        let k = Key::<Aes256Gcm>::generate();
        let mut b = [0u8; 32];
        b.copy_from_slice(k.as_slice());
        Zeroizing::new(b)
    }

    pub fn generate() -> TransferKey {
        TransferKey {
            current: Self::fresh(),
            previous: Vec::new(),
        }
    }

    /// A new key for sealing; this one's keys kept to open what they sealed
    /// (the `keep` most recent of them; 0 keeps none).
    pub fn rotated(&self, keep: usize) -> TransferKey {
        let mut previous: Vec<Zeroizing<[u8; 32]>> = std::iter::once(&self.current)
            .chain(&self.previous)
            .cloned()
            .collect();
        previous.truncate(keep);
        TransferKey {
            current: Self::fresh(),
            previous,
        }
    }

    /// How many earlier keys are kept for opening.
    pub fn previous_keys(&self) -> usize {
        self.previous.len()
    }

    /// 64 hex digits a line, the sealing key first; blank lines and `#`
    /// comments ignored.
    pub fn parse(text: &str) -> Result<TransferKey, TransferError> {
        let bad = |reason: &str| TransferError::Key {
            path: String::new(),
            reason: reason.into(),
        };
        let mut keys = Vec::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let bytes = Zeroizing::new(hex::decode(line).map_err(|_| bad("not hex"))?);
            let arr: [u8; 32] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| bad("must be 32 bytes (64 hex digits)"))?;
            keys.push(Zeroizing::new(arr));
        }
        let mut keys = keys.into_iter();
        let current = keys.next().ok_or_else(|| bad("empty"))?;
        Ok(TransferKey {
            current,
            previous: keys.collect(),
        })
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
        let mut t = format!(
            "# kokuho transfer key: seals exchange files holding My Numbers\n{}\n",
            hex::encode(self.current.as_slice())
        );
        for k in &self.previous {
            t.push_str("# an earlier key: opens only files sealed before a rotation\n");
            t.push_str(&hex::encode(k.as_slice()));
            t.push('\n');
        }
        Zeroizing::new(t)
    }

    fn cipher_of(key: &[u8; 32]) -> Aes256Gcm {
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key))
    }

    fn cipher(&self) -> Aes256Gcm {
        Self::cipher_of(&self.current)
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
        // the sealing key first, then the earlier ones (the tag tells)
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find_map(|k| {
                Self::cipher_of(k)
                    .decrypt(&nonce, Payload { msg: ct, aad: &aad })
                    .ok()
            })
            .map(Zeroizing::new)
            .ok_or(TransferError::Open)
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
        assert!(!format!("{k:?}").contains(&hex::encode(k.current.as_slice())));
    }

    #[test]
    fn a_rotated_key_seals_anew_and_still_opens_what_the_old_one_sealed() {
        let old = TransferKey::generate();
        let name = "KS02_319012_20261125093015.dat";
        let before = old.seal(b"before", name).unwrap();
        let new = TransferKey::parse(&old.rotated(1).to_text()).unwrap();
        assert_eq!(new.previous_keys(), 1);
        assert_eq!(new.open(&before, name).unwrap().as_slice(), b"before");
        let after = new.seal(b"after", name).unwrap();
        // the old key alone does not open what the new one sealed
        assert_eq!(old.open(&after, name), Err(TransferError::Open));
        // rotated again keeping one: the first key is dropped
        let newer = new.rotated(1);
        assert_eq!(newer.open(&after, name).unwrap().as_slice(), b"after");
        assert_eq!(newer.open(&before, name), Err(TransferError::Open));
        assert_eq!(new.rotated(0).previous_keys(), 0);
        // the text names each earlier key as one that only opens
        assert!(new.to_text().contains("# an earlier key"));
    }
}
