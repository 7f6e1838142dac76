//! Administration of the vault: key status, rotation, retiring old keys.

use std::path::Path;

use kokuho_domain::id::IntegratedAddresseeId;
use kokuho_store::Db;
use kokuho_store::vault as repo;
use kokuho_vault::{KeyId, Keyring};

use crate::{AppError, Result};

/// Rows re-sealed per page during rotation; keeps memory flat on a city.
const ROTATION_PAGE: i64 = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultStatus {
    pub current_key: KeyId,
    pub keys_in_ring: Vec<KeyId>,
    pub rows_per_key: Vec<(KeyId, i64)>,
}

pub async fn status(db: &Db, ring: &Keyring) -> Result<VaultStatus> {
    Ok(VaultStatus {
        current_key: ring.current_encryption_key_id(),
        keys_in_ring: ring.encryption_key_ids(),
        rows_per_key: repo::rows_per_key(db).await?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    pub new_key: KeyId,
    pub resealed: u64,
}

/// Adds a new encryption key to the keyring file and re-seals every vault
/// row under it in one transaction. The keyring is written (atomically)
/// before any row uses the new key; if the re-sealing fails the database is
/// rolled back and the old keyring is written back, so nothing changes.
pub async fn rotate_key(db: &Db, keyring_path: &Path) -> Result<RotationReport> {
    let old_ring = Keyring::load(keyring_path)?;
    let mut ring = Keyring::load(keyring_path)?;
    let new_key = ring.add_encryption_key();
    ring.save(keyring_path)?;
    match reseal_all(db, &ring, new_key).await {
        Ok(resealed) => {
            tracing::info!(new_key, resealed, "vault key rotated");
            Ok(RotationReport { new_key, resealed })
        }
        Err(e) => {
            if let Err(restore) = old_ring.save(keyring_path) {
                tracing::error!(error = %restore, "could not restore the keyring after a failed rotation; it holds an unused extra key, which is harmless");
            }
            Err(e)
        }
    }
}

async fn reseal_all(db: &Db, ring: &Keyring, new_key: KeyId) -> Result<u64> {
    let mut tx = db.begin().await?;
    let outcome: Result<u64> = async {
        let mut resealed = 0u64;
        let mut after: Option<(String, String)> = None;
        loop {
            let page = repo::rows_not_under_key(
                &mut tx,
                new_key,
                after.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                ROTATION_PAGE,
            )
            .await?;
            let Some(last) = page.last() else { break };
            after = Some((
                last.insurer_number.clone(),
                last.integrated_addressee_id.clone(),
            ));
            for row in &page {
                let number = ring.open(
                    &row.sealed,
                    &row.insurer_number,
                    &row.integrated_addressee_id,
                )?;
                let sealed =
                    ring.seal(&number, &row.insurer_number, &row.integrated_addressee_id)?;
                repo::reseal(
                    &mut tx,
                    &row.insurer_number,
                    &row.integrated_addressee_id,
                    &sealed,
                )
                .await?;
                resealed += 1;
            }
        }
        Ok(resealed)
    }
    .await;
    match outcome {
        Ok(n) => {
            tx.commit().await?;
            Ok(n)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}

/// Removes an old encryption key from the keyring file once no row uses it.
pub async fn retire_key(db: &Db, keyring_path: &Path, key: KeyId) -> Result<()> {
    let mut ring = Keyring::load(keyring_path)?;
    let in_use = repo::rows_per_key(db)
        .await?
        .into_iter()
        .find(|(k, _)| *k == key)
        .map_or(0, |(_, n)| n);
    if in_use > 0 {
        return Err(AppError::Conflict {
            message_en: format!(
                "key {key} still seals {in_use} rows: run `kokuho vault rotate-key` first"
            ),
            message_ja: format!(
                "鍵{key}で暗号化された行が{in_use}件残っています。先に鍵の更新を行ってください"
            ),
        });
    }
    ring.retire_encryption_key(key)?;
    ring.save(keyring_path)?;
    Ok(())
}

/// Opens one person's number (for tests and, later, the reveal use case,
/// which adds authorisation and the access record).
pub async fn open_number(
    db: &Db,
    ring: &Keyring,
    insurer: &kokuho_domain::id::InsurerNumber,
    id: &IntegratedAddresseeId,
) -> Result<Option<kokuho_domain::id::MyNumber>> {
    let Some(sealed) = repo::sealed_for(db, insurer, id).await? else {
        return Ok(None);
    };
    Ok(Some(ring.open(&sealed, insurer.as_str(), id.as_str())?))
}
