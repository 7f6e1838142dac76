//! The keyring: encryption keys (rotating, each with an id) and the lookup
//! (HMAC) key, kept outside the database.
//!
//! Text form, one key a line, `#` comments allowed:
//! ```text
//! enc 1 <64 hex digits>
//! enc 2 <64 hex digits>
//! mac 1 <64 hex digits>
//! ```
//! The encryption key with the highest id is the current one; older ones stay
//! until no row uses them. There is exactly one `mac` key.

use std::collections::BTreeMap;
use std::path::Path;

use aes_gcm::aead::Generate;
use zeroize::Zeroizing;

pub type KeyId = u32;

type KeyBytes = Zeroizing<[u8; 32]>;

#[derive(Clone)]
pub struct Keyring {
    encryption: BTreeMap<KeyId, KeyBytes>,
    lookup: (KeyId, KeyBytes),
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keyring(encryption keys {:?}, lookup key {})",
            self.encryption.keys().collect::<Vec<_>>(),
            self.lookup.0
        )
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyringError {
    #[error("keyring line {line}: {reason}")]
    Syntax { line: usize, reason: &'static str },
    #[error("keyring has no encryption key (a line 'enc ID HEX')")]
    NoEncryptionKey,
    #[error("keyring must have exactly one lookup key (a line 'mac ID HEX')")]
    LookupKeyCount,
    #[error("encryption key {0} is the current key and cannot be retired")]
    RetireCurrent(KeyId),
    #[error("encryption key {0} is not in the keyring")]
    Unknown(KeyId),
    #[error("keyring file {path}: {reason}")]
    Io { path: String, reason: String },
}

fn random_key() -> KeyBytes {
    let key = aes_gcm::Key::<aes_gcm::Aes256Gcm>::generate();
    let mut bytes = Zeroizing::new([0u8; 32]);
    bytes.copy_from_slice(key.as_slice());
    bytes
}

impl Keyring {
    /// A new keyring with encryption key 1 and lookup key 1, from the OS RNG.
    pub fn generate() -> Keyring {
        let mut encryption = BTreeMap::new();
        encryption.insert(1, random_key());
        Keyring {
            encryption,
            lookup: (1, random_key()),
        }
    }

    pub fn parse(text: &str) -> Result<Keyring, KeyringError> {
        let mut encryption = BTreeMap::new();
        let mut lookups = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(kind), Some(id), Some(hexkey), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(KeyringError::Syntax {
                    line: line_no,
                    reason: "expected 'enc|mac ID HEX'",
                });
            };
            let id: KeyId = id.parse().map_err(|_| KeyringError::Syntax {
                line: line_no,
                reason: "key id is not a whole number",
            })?;
            if id == 0 {
                return Err(KeyringError::Syntax {
                    line: line_no,
                    reason: "key ids start at 1",
                });
            }
            let mut key = Zeroizing::new([0u8; 32]);
            hex::decode_to_slice(hexkey, key.as_mut_slice()).map_err(|_| KeyringError::Syntax {
                line: line_no,
                reason: "key is not 64 hexadecimal digits",
            })?;
            match kind {
                "enc" => {
                    if encryption.insert(id, key).is_some() {
                        return Err(KeyringError::Syntax {
                            line: line_no,
                            reason: "duplicate encryption key id",
                        });
                    }
                }
                "mac" => lookups.push((id, key)),
                _ => {
                    return Err(KeyringError::Syntax {
                        line: line_no,
                        reason: "key kind must be 'enc' or 'mac'",
                    });
                }
            }
        }
        if encryption.is_empty() {
            return Err(KeyringError::NoEncryptionKey);
        }
        if lookups.len() != 1 {
            return Err(KeyringError::LookupKeyCount);
        }
        let lookup = lookups.remove(0);
        Ok(Keyring { encryption, lookup })
    }

    /// The text form; it holds the keys in clear, so it is only ever written
    /// to the keyring file itself.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::from(
            "# kokuho My Number vault keyring. Keep outside the database, readable only by the service account (mode 0600).\n# The highest 'enc' id is the current encryption key; 'mac' is the lookup (HMAC) key.\n",
        ));
        for (id, key) in &self.encryption {
            out.push_str(&format!("enc {id} {}\n", hex::encode(key.as_slice())));
        }
        out.push_str(&format!(
            "mac {} {}\n",
            self.lookup.0,
            hex::encode(self.lookup.1.as_slice())
        ));
        out
    }

    pub fn load(path: &Path) -> Result<Keyring, KeyringError> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| KeyringError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?);
        Keyring::parse(&text)
    }

    /// Writes atomically (temporary file, then rename) with mode 0600, so a
    /// crash never leaves a half-written keyring.
    pub fn save(&self, path: &Path) -> Result<(), KeyringError> {
        let io = |e: std::io::Error| KeyringError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        let tmp = path.with_extension("keys.tmp");
        {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp).map_err(io)?;
            f.write_all(self.to_text().as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)?;
        if let Some(dir) = dir
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }

    pub fn current_encryption_key_id(&self) -> KeyId {
        self.encryption.keys().next_back().copied().unwrap_or(1)
    }

    pub fn encryption_key_ids(&self) -> Vec<KeyId> {
        self.encryption.keys().copied().collect()
    }

    pub fn lookup_key_id(&self) -> KeyId {
        self.lookup.0
    }

    pub(crate) fn current_encryption_key(&self) -> (KeyId, &[u8; 32]) {
        match self.encryption.iter().next_back() {
            Some((id, key)) => (*id, key),
            // parse() and generate() guarantee at least one key.
            None => (0, &[0u8; 32]),
        }
    }

    pub(crate) fn encryption_key(&self, id: KeyId) -> Option<&[u8; 32]> {
        self.encryption.get(&id).map(|k| &**k)
    }

    pub(crate) fn lookup_key(&self) -> (KeyId, &[u8; 32]) {
        (self.lookup.0, &self.lookup.1)
    }

    /// Adds a new encryption key, which becomes the current one.
    pub fn add_encryption_key(&mut self) -> KeyId {
        let id = self.current_encryption_key_id() + 1;
        self.encryption.insert(id, random_key());
        id
    }

    /// Removes an old encryption key once no row uses it (the caller checks).
    pub fn retire_encryption_key(&mut self, id: KeyId) -> Result<(), KeyringError> {
        if id == self.current_encryption_key_id() {
            return Err(KeyringError::RetireCurrent(id));
        }
        self.encryption
            .remove(&id)
            .map(|_| ())
            .ok_or(KeyringError::Unknown(id))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn text_round_trip() {
        let mut ring = Keyring::generate();
        ring.add_encryption_key();
        let again = Keyring::parse(&ring.to_text()).unwrap();
        assert_eq!(again.encryption_key_ids(), vec![1, 2]);
        assert_eq!(again.current_encryption_key_id(), 2);
        assert_eq!(again.encryption_key(1), ring.encryption_key(1));
        assert_eq!(again.lookup_key(), ring.lookup_key());
    }

    #[test]
    fn bad_keyrings_name_the_line() {
        let k = "00".repeat(32);
        assert_eq!(
            Keyring::parse(&format!("enc 1 {k}\nmac 1 zz\n")).unwrap_err(),
            KeyringError::Syntax {
                line: 2,
                reason: "key is not 64 hexadecimal digits"
            }
        );
        assert_eq!(
            Keyring::parse(&format!("mac 1 {k}\n")).unwrap_err(),
            KeyringError::NoEncryptionKey
        );
        assert_eq!(
            Keyring::parse(&format!("enc 1 {k}\nmac 1 {k}\nmac 2 {k}\n")).unwrap_err(),
            KeyringError::LookupKeyCount
        );
        assert!(matches!(
            Keyring::parse(&format!("# c\nfoo 1 {k}\n")).unwrap_err(),
            KeyringError::Syntax { line: 2, .. }
        ));
        assert!(matches!(
            Keyring::parse(&format!("enc 0 {k}\nmac 1 {k}")).unwrap_err(),
            KeyringError::Syntax { line: 1, .. }
        ));
    }

    #[test]
    fn errors_never_show_key_material() {
        let k = "ab".repeat(31) + "zz";
        let err = Keyring::parse(&format!("enc 1 {k}\n")).unwrap_err();
        assert!(!err.to_string().contains("abab"));
    }

    #[cfg(unix)]
    #[test]
    fn saved_file_is_private_and_loads() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.keys");
        let ring = Keyring::generate();
        ring.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let loaded = Keyring::load(&path).unwrap();
        assert_eq!(loaded.lookup_key(), ring.lookup_key());
        assert!(matches!(
            Keyring::load(&dir.path().join("missing")).unwrap_err(),
            KeyringError::Io { .. }
        ));
    }

    #[test]
    fn retiring() {
        let mut ring = Keyring::generate();
        assert_eq!(
            ring.retire_encryption_key(1),
            Err(KeyringError::RetireCurrent(1))
        );
        ring.add_encryption_key();
        assert_eq!(ring.retire_encryption_key(7), Err(KeyringError::Unknown(7)));
        ring.retire_encryption_key(1).unwrap();
        assert_eq!(ring.encryption_key_ids(), vec![2]);
    }
}
