//! The vault table (団体内統合宛名 → 個人番号): sealed numbers and their
//! lookup hashes. Nothing here sees a number in clear; sealing and opening
//! happen in the caller with the keyring.

use kokuho_domain::id::{InsurerNumber, IntegratedAddresseeId};
use kokuho_vault::{KeyId, LookupHash, Sealed};
use sqlx::QueryBuilder;
use time::OffsetDateTime;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

/// One row to store: who, the sealed number and its lookup hash.
pub struct VaultEntry {
    pub insurer_number: InsurerNumber,
    pub integrated_addressee_id: IntegratedAddresseeId,
    pub sealed: Sealed,
    pub lookup: LookupHash,
}

pub async fn insert(tx: &mut Tx, rows: &[VaultEntry], now: OffsetDateTime) -> Result<()> {
    for chunk in rows.chunks(crate::addressee::BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "INSERT INTO my_number_vault (insurer_number, integrated_addressee_id, key_id, sealed, \
                 lookup_key_id, lookup_hash, registered_at) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.insurer_number.as_str().to_string())
                    .push_bind(r.integrated_addressee_id.as_str().to_string())
                    .push_bind(i64::from(r.sealed.key_id))
                    .push_bind(r.sealed.blob.clone())
                    .push_bind(i64::from(r.lookup.key_id))
                    .push_bind(r.lookup.digest.to_vec())
                    .push_bind(now);
            });
            q.build().execute(c).await?;
        });
    }
    Ok(())
}

/// Finds the person holding a number by its lookup hash; decrypts nothing.
pub async fn find_by_lookup_hash(
    db: &Db,
    insurer: &InsurerNumber,
    lookup: &LookupHash,
) -> Result<Option<IntegratedAddresseeId>> {
    let id: Option<String> = with_db!(db, |p| sqlx::query_scalar(
        "SELECT integrated_addressee_id FROM my_number_vault \
         WHERE insurer_number = $1 AND lookup_key_id = $2 AND lookup_hash = $3"
    )
    .bind(insurer.as_str().to_string())
    .bind(i64::from(lookup.key_id))
    .bind(lookup.digest.to_vec())
    .fetch_optional(p)
    .await?);
    id.map(|s| {
        IntegratedAddresseeId::parse(&s)
            .map_err(|e| StoreError::corrupt("my_number_vault", "integrated_addressee_id", e))
    })
    .transpose()
}

/// The sealed number of one person, if the vault holds one.
pub async fn sealed_for(
    db: &Db,
    insurer: &InsurerNumber,
    id: &IntegratedAddresseeId,
) -> Result<Option<Sealed>> {
    let row: Option<(i64, Vec<u8>)> = with_db!(db, |p| {
        sqlx::query_as(
        "SELECT key_id, sealed FROM my_number_vault WHERE insurer_number = $1 AND integrated_addressee_id = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(id.as_str().to_string())
    .fetch_optional(p)
    .await?
    });
    row.map(|(key_id, blob)| {
        Ok(Sealed {
            key_id: KeyId::try_from(key_id)
                .map_err(|e| StoreError::corrupt("my_number_vault", "key_id", e))?,
            blob,
        })
    })
    .transpose()
}

/// How many rows each encryption key seals, across all insurers.
pub async fn rows_per_key(db: &Db) -> Result<Vec<(KeyId, i64)>> {
    let rows: Vec<(i64, i64)> = with_db!(db, |p| sqlx::query_as(
        "SELECT key_id, COUNT(*) FROM my_number_vault GROUP BY key_id ORDER BY key_id"
    )
    .fetch_all(p)
    .await?);
    rows.into_iter()
        .map(|(k, n)| {
            Ok((
                KeyId::try_from(k)
                    .map_err(|e| StoreError::corrupt("my_number_vault", "key_id", e))?,
                n,
            ))
        })
        .collect()
}

/// A vault row as rotation sees it.
pub struct SealedRow {
    pub insurer_number: String,
    pub integrated_addressee_id: String,
    pub sealed: Sealed,
}

/// The next `limit` rows not sealed under `current`, after the given key
/// (keyset pagination, so memory stays flat on a city-sized vault).
pub async fn rows_not_under_key(
    tx: &mut Tx,
    current: KeyId,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<SealedRow>> {
    let (a_ins, a_id) = after.unwrap_or(("", ""));
    let rows: Vec<(String, String, i64, Vec<u8>)> = with_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT insurer_number, integrated_addressee_id, key_id, sealed FROM my_number_vault \
         WHERE key_id <> $1 AND (insurer_number > $2 OR (insurer_number = $2 AND integrated_addressee_id > $3)) \
         ORDER BY insurer_number, integrated_addressee_id LIMIT $4"
    )
    .bind(i64::from(current))
    .bind(a_ins.to_string())
    .bind(a_id.to_string())
    .bind(limit)
    .fetch_all(c)
    .await?
    });
    rows.into_iter()
        .map(|(insurer_number, integrated_addressee_id, key_id, blob)| {
            Ok(SealedRow {
                insurer_number,
                integrated_addressee_id,
                sealed: Sealed {
                    key_id: KeyId::try_from(key_id)
                        .map_err(|e| StoreError::corrupt("my_number_vault", "key_id", e))?,
                    blob,
                },
            })
        })
        .collect()
}

/// Replaces one row's sealed number (rotation).
pub async fn reseal(
    tx: &mut Tx,
    insurer_number: &str,
    integrated_addressee_id: &str,
    sealed: &Sealed,
) -> Result<()> {
    let done = with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE my_number_vault SET key_id = $1, sealed = $2 WHERE insurer_number = $3 AND integrated_addressee_id = $4"
    )
    .bind(i64::from(sealed.key_id))
    .bind(sealed.blob.clone())
    .bind(insurer_number.to_string())
    .bind(integrated_addressee_id.to_string())
    .execute(c)
    .await?
    .rows_affected()
    });
    if done != 1 {
        return Err(StoreError::NotFound { what: "vault row" });
    }
    Ok(())
}

/// The sealed number of every person of the insurer who has (or had) an
/// eligibility period, by 団体内統合宛名番号 (for the extracts that must
/// carry them; the caller opens them).
pub async fn sealed_all(
    db: &Db,
    insurer: &InsurerNumber,
) -> Result<std::collections::HashMap<String, Sealed>> {
    let rows: Vec<(String, i64, Vec<u8>)> = with_db!(db, |p| {
        sqlx::query_as(
            "SELECT v.integrated_addressee_id, v.key_id, v.sealed FROM my_number_vault v \
             JOIN addressee a ON a.insurer_number = v.insurer_number \
             AND a.integrated_addressee_id = v.integrated_addressee_id \
             WHERE v.insurer_number = $1 AND a.addressee_id IN \
             (SELECT DISTINCT addressee_id FROM eligibility_version WHERE insurer_number = $1)",
        )
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?
    });
    rows.into_iter()
        .map(|(id, key_id, blob)| {
            Ok((
                id,
                Sealed {
                    key_id: KeyId::try_from(key_id)
                        .map_err(|e| StoreError::corrupt("my_number_vault", "key_id", e))?,
                    blob,
                },
            ))
        })
        .collect()
}

/// The persons with eligibility whose My Number was registered in
/// (`since`, `until`] (compared as times, whatever the backend stores).
pub async fn registered_between(
    db: &Db,
    insurer: &InsurerNumber,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<String>> {
    let rows: Vec<(String, OffsetDateTime)> = with_db!(db, |p| {
        sqlx::query_as(
            "SELECT a.addressee_id, v.registered_at FROM my_number_vault v \
             JOIN addressee a ON a.insurer_number = v.insurer_number \
             AND a.integrated_addressee_id = v.integrated_addressee_id \
             WHERE v.insurer_number = $1 AND a.addressee_id IN \
             (SELECT DISTINCT addressee_id FROM eligibility_version WHERE insurer_number = $1)",
        )
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?
    });
    Ok(rows
        .into_iter()
        .filter(|(_, at)| since < *at && *at <= until)
        .map(|(id, _)| id)
        .collect())
}
