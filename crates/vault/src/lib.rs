//! The cryptography of the My Number vault (団体内統合宛名).
//!
//! A 個人番号 is stored only as `key_id + nonce + AES-256-GCM ciphertext`,
//! bound by associated data to the row it belongs to, and found again through
//! an HMAC-SHA-256 "blind index" under a separate key, so that looking a
//! person up by number decrypts nothing. Keys live in a keyring outside the
//! database (a file, or an environment variable), each with an id so that
//! encryption keys can rotate while old rows stay readable.

mod keyring;
pub mod transfer;

pub use keyring::{KeyId, Keyring, KeyringError};
pub use transfer::{TransferError, TransferKey};

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use kokuho_domain::id::MyNumber;
use sha2::Sha256;

/// 32 bytes from the operating system's random generator (session tokens).
pub fn random_bytes() -> [u8; 32] {
    let key = Key::<Aes256Gcm>::generate();
    let mut out = [0u8; 32];
    out.copy_from_slice(key.as_slice());
    out
}

/// Length of the AES-GCM nonce stored in front of every ciphertext.
const NONCE_LEN: usize = 12;

/// A My Number sealed for one vault row.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: KeyId,
    /// nonce (12 bytes) followed by ciphertext and tag.
    pub blob: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed(key {}, {} bytes)", self.key_id, self.blob.len())
    }
}

/// The keyed hash by which a number is found: HMAC-SHA-256 over the digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LookupHash {
    pub key_id: KeyId,
    pub digest: [u8; 32],
}

impl std::fmt::Debug for LookupHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LookupHash(key {})", self.key_id)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("vault key {0} is not in the keyring")]
    UnknownKey(KeyId),
    #[error("vault row could not be decrypted (wrong key, or the row was altered or moved)")]
    Decrypt,
    #[error("vault encryption failed")]
    Encrypt,
    #[error("decrypted vault content is not a valid My Number")]
    NotAMyNumber,
}

/// Associated data binding a ciphertext to its row: a sealed number copied
/// onto another person's row fails to open.
fn row_binding(insurer_number: &str, integrated_addressee_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(insurer_number.len() + integrated_addressee_id.len() + 16);
    aad.extend_from_slice(b"kokuho-vault-v1\0");
    aad.extend_from_slice(insurer_number.as_bytes());
    aad.push(0);
    aad.extend_from_slice(integrated_addressee_id.as_bytes());
    aad
}

impl Keyring {
    /// Encrypts under the current key with a fresh random nonce.
    pub fn seal(
        &self,
        number: &MyNumber,
        insurer_number: &str,
        integrated_addressee_id: &str,
    ) -> Result<Sealed, VaultError> {
        let (key_id, key) = self.current_encryption_key();
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
        let nonce = Nonce::generate();
        let aad = row_binding(insurer_number, integrated_addressee_id);
        let ct = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: number.expose().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Encrypt)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ct.len());
        blob.extend_from_slice(nonce.as_slice());
        blob.extend_from_slice(&ct);
        Ok(Sealed { key_id, blob })
    }

    /// Decrypts a row sealed by [`Keyring::seal`] under any key still in the ring.
    pub fn open(
        &self,
        sealed: &Sealed,
        insurer_number: &str,
        integrated_addressee_id: &str,
    ) -> Result<MyNumber, VaultError> {
        let key = self
            .encryption_key(sealed.key_id)
            .ok_or(VaultError::UnknownKey(sealed.key_id))?;
        if sealed.blob.len() <= NONCE_LEN {
            return Err(VaultError::Decrypt);
        }
        let (nonce, ct) = sealed.blob.split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
        let nonce = Nonce::try_from(nonce).map_err(|_| VaultError::Decrypt)?;
        let aad = row_binding(insurer_number, integrated_addressee_id);
        let plain = zeroize::Zeroizing::new(
            cipher
                .decrypt(&nonce, Payload { msg: ct, aad: &aad })
                .map_err(|_| VaultError::Decrypt)?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| VaultError::NotAMyNumber)?;
        MyNumber::parse(text).map_err(|_| VaultError::NotAMyNumber)
    }

    /// Seals any other secret (a TOTP key, for instance) under the current
    /// key, bound to a label such as the account name.
    pub fn seal_bytes(&self, plain: &[u8], label: &str) -> Result<Sealed, VaultError> {
        let (key_id, key) = self.current_encryption_key();
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
        let nonce = Nonce::generate();
        let aad = [b"kokuho-secret-v1\0".as_slice(), label.as_bytes()].concat();
        let ct = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Encrypt)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ct.len());
        blob.extend_from_slice(nonce.as_slice());
        blob.extend_from_slice(&ct);
        Ok(Sealed { key_id, blob })
    }

    pub fn open_bytes(
        &self,
        sealed: &Sealed,
        label: &str,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, VaultError> {
        let key = self
            .encryption_key(sealed.key_id)
            .ok_or(VaultError::UnknownKey(sealed.key_id))?;
        if sealed.blob.len() <= NONCE_LEN {
            return Err(VaultError::Decrypt);
        }
        let (nonce, ct) = sealed.blob.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| VaultError::Decrypt)?;
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
        let aad = [b"kokuho-secret-v1\0".as_slice(), label.as_bytes()].concat();
        cipher
            .decrypt(&nonce, Payload { msg: ct, aad: &aad })
            .map(zeroize::Zeroizing::new)
            .map_err(|_| VaultError::Decrypt)
    }

    /// The blind index of a number under the keyring's lookup key.
    pub fn lookup_hash(&self, number: &MyNumber) -> LookupHash {
        let (key_id, key) = self.lookup_key();
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(b"kokuho-lookup-v1\0");
        mac.update(number.expose().as_bytes());
        let out = mac.finalize().into_bytes();
        let mut digest = [0u8; 32];
        digest.copy_from_slice(&out);
        LookupHash { key_id, digest }
    }
}

// HMAC accepts keys of any length, so `new_from_slice` cannot fail; this keeps
// the lints (no unwrap/panic) honest without an unreachable branch in callers.
#[allow(clippy::panic)]
fn unreachable_hmac() -> Hmac<Sha256> {
    panic!("HMAC-SHA-256 accepts keys of any length")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn number() -> MyNumber {
        MyNumber::parse("123456789018").unwrap()
    }

    #[test]
    fn seals_and_opens() {
        let ring = Keyring::generate();
        let sealed = ring.seal(&number(), "313270", "0000000001").unwrap();
        assert_eq!(sealed.key_id, 1);
        // The ciphertext holds no digits of the number in clear.
        assert!(!sealed.blob.windows(12).any(|w| w == b"123456789018"));
        let opened = ring.open(&sealed, "313270", "0000000001").unwrap();
        assert_eq!(opened, number());
    }

    #[test]
    fn two_seals_differ_but_lookup_is_stable() {
        let ring = Keyring::generate();
        let a = ring.seal(&number(), "313270", "1").unwrap();
        let b = ring.seal(&number(), "313270", "1").unwrap();
        assert_ne!(a.blob, b.blob, "a fresh nonce every time");
        assert_eq!(ring.lookup_hash(&number()), ring.lookup_hash(&number()));
        let other = MyNumber::parse("314159265352").unwrap();
        assert_ne!(ring.lookup_hash(&number()), ring.lookup_hash(&other));
    }

    #[test]
    fn a_sealed_number_moved_to_another_row_fails() {
        let ring = Keyring::generate();
        let sealed = ring.seal(&number(), "313270", "0000000001").unwrap();
        assert_eq!(
            ring.open(&sealed, "313270", "0000000002"),
            Err(VaultError::Decrypt)
        );
        assert_eq!(
            ring.open(&sealed, "310011", "0000000001"),
            Err(VaultError::Decrypt)
        );
    }

    #[test]
    fn tampering_is_detected() {
        let ring = Keyring::generate();
        let mut sealed = ring.seal(&number(), "313270", "1").unwrap();
        let last = sealed.blob.len() - 1;
        sealed.blob[last] ^= 1;
        assert_eq!(ring.open(&sealed, "313270", "1"), Err(VaultError::Decrypt));
        sealed.blob.truncate(5);
        assert_eq!(ring.open(&sealed, "313270", "1"), Err(VaultError::Decrypt));
    }

    #[test]
    fn rotation_keeps_old_rows_readable() {
        let mut ring = Keyring::generate();
        let old = ring.seal(&number(), "313270", "1").unwrap();
        let new_id = ring.add_encryption_key();
        assert_eq!(new_id, 2);
        let new = ring.seal(&number(), "313270", "1").unwrap();
        assert_eq!(new.key_id, 2);
        assert_eq!(ring.open(&old, "313270", "1").unwrap(), number());
        assert_eq!(ring.open(&new, "313270", "1").unwrap(), number());
        // Lookup does not depend on the encryption key.
        let before = ring.lookup_hash(&number());
        assert_eq!(before.key_id, 1);
        ring.retire_encryption_key(1).unwrap();
        assert_eq!(
            ring.open(&old, "313270", "1"),
            Err(VaultError::UnknownKey(1))
        );
        assert_eq!(ring.lookup_hash(&number()), before);
    }

    #[test]
    fn another_keyring_cannot_open_or_find() {
        let ring = Keyring::generate();
        let other = Keyring::generate();
        let sealed = ring.seal(&number(), "313270", "1").unwrap();
        assert_eq!(other.open(&sealed, "313270", "1"), Err(VaultError::Decrypt));
        assert_ne!(ring.lookup_hash(&number()), other.lookup_hash(&number()));
    }

    #[test]
    fn debug_output_reveals_nothing() {
        let ring = Keyring::generate();
        let sealed = ring.seal(&number(), "313270", "1").unwrap();
        let text = format!("{sealed:?} {:?} {ring:?}", ring.lookup_hash(&number()));
        assert!(!text.contains("123456789018"));
        assert!(!text.contains(&hex::encode(&sealed.blob[..4])));
    }
}
