//! Information linkage (情報提供ネットワークシステム): the lawful items, as
//! data (`rules/linkage.toml`), for which the town provides information and
//! may query. Anything else is refused.

use std::collections::BTreeSet;

use serde::Deserialize;

const RULES: &str = include_str!("../rules/linkage.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    source: String,
    provision: Vec<u16>,
    query: Vec<u16>,
    replica_provisional: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkageItems {
    pub provision: BTreeSet<u16>,
    pub query: BTreeSet<u16>,
    pub source: String,
    pub replica_provisional: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("linkage items: {0}")]
pub struct ItemsError(pub String);

impl LinkageItems {
    pub fn shipped() -> Result<LinkageItems, ItemsError> {
        LinkageItems::parse(RULES)
    }

    pub fn parse(text: &str) -> Result<LinkageItems, ItemsError> {
        let r: Raw = toml::from_str(text).map_err(|e| ItemsError(e.to_string()))?;
        let set = |name: &str, v: &[u16]| -> Result<BTreeSet<u16>, ItemsError> {
            let s: BTreeSet<u16> = v.iter().copied().collect();
            if s.is_empty() {
                return Err(ItemsError(format!("{name}: no item")));
            }
            if s.len() != v.len() {
                return Err(ItemsError(format!("{name}: an item listed twice")));
            }
            if s.iter().any(|i| !(1..=200).contains(i)) {
                return Err(ItemsError(format!("{name}: item numbers are 1 to 200")));
            }
            Ok(s)
        };
        if r.source.trim().is_empty() {
            return Err(ItemsError("no source".into()));
        }
        Ok(LinkageItems {
            provision: set("provision", &r.provision)?,
            query: set("query", &r.query)?,
            source: r.source,
            replica_provisional: r.replica_provisional,
        })
    }

    pub fn may_provide(&self, item: u16) -> bool {
        self.provision.contains(&item)
    }

    pub fn may_query(&self, item: u16) -> bool {
        self.query.contains(&item)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn the_towns_items_and_nothing_else() {
        let l = LinkageItems::shipped().unwrap();
        assert_eq!(l.provision.len(), 26);
        assert!(l.may_provide(1) && l.may_provide(120) && l.may_provide(42));
        assert!(!l.may_provide(6) && !l.may_provide(0) && !l.may_provide(121));
        assert_eq!(
            l.query.iter().copied().collect::<Vec<_>>(),
            [42, 43, 44, 45]
        );
        assert!(!l.may_query(1));
        assert!(
            LinkageItems::parse(&RULES.replace("query = [42, 43, 44, 45]", "query = [42, 42]"))
                .is_err()
        );
        assert!(
            LinkageItems::parse(&RULES.replace("query = [42, 43, 44, 45]", "query = []")).is_err()
        );
        assert!(
            LinkageItems::parse(&RULES.replace("query = [42, 43, 44, 45]", "query = [400]"))
                .is_err()
        );
    }
}
