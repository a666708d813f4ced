//! The embedded default backend: one redb file under the data dir.

use super::backend::{Backend, BackendError, Mutation};
use ::redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;

const OBJECTS: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const REVISION: &str = "revision";

/// redb's page cache.
const CACHE_BYTES: usize = 128 << 20;

/// A redb database holding every object as JSON, and the global revision.
pub struct RedbBackend {
    db: Database,
}

fn err(context: &str, e: impl std::fmt::Display) -> BackendError {
    BackendError(format!("{context}: {e}"))
}

impl RedbBackend {
    /// Opens (creating if needed) the database file.
    pub fn open(path: &Path) -> Result<RedbBackend, BackendError> {
        // redb caches up to 1 GiB by default; the store reads the file only at load (its own
        // cache serves every read), so the cache only needs the pages commits touch.
        let db = ::redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| err("opening store database", e))?;
        // Create the tables up front so reads on a fresh file find them.
        let tx = db
            .begin_write()
            .map_err(|e| err("starting transaction", e))?;
        tx.open_table(OBJECTS)
            .map_err(|e| err("creating table", e))?;
        tx.open_table(META).map_err(|e| err("creating table", e))?;
        tx.commit().map_err(|e| err("committing", e))?;
        Ok(RedbBackend { db })
    }
}

impl Backend for RedbBackend {
    fn load(&self) -> Result<super::backend::Snapshot, BackendError> {
        let tx = self.db.begin_read().map_err(|e| err("starting read", e))?;
        let meta = tx.open_table(META).map_err(|e| err("opening meta", e))?;
        let revision = meta
            .get(REVISION)
            .map_err(|e| err("reading revision", e))?
            .map(|v| v.value())
            .unwrap_or(0);
        let objects = tx
            .open_table(OBJECTS)
            .map_err(|e| err("opening objects", e))?;
        let mut out = Vec::new();
        for entry in objects.iter().map_err(|e| err("scanning objects", e))? {
            let (k, v) = entry.map_err(|e| err("reading object", e))?;
            out.push((k.value().to_string(), v.value().to_vec()));
        }
        Ok((revision, out))
    }

    fn commit(&mut self, batch: &[Mutation], revision: u64) -> Result<(), BackendError> {
        let tx = self
            .db
            .begin_write()
            .map_err(|e| err("starting transaction", e))?;
        {
            let mut objects = tx
                .open_table(OBJECTS)
                .map_err(|e| err("opening objects", e))?;
            for m in batch {
                match m {
                    Mutation::Put { key, value } => {
                        objects
                            .insert(key.as_str(), &value[..])
                            .map_err(|e| err("writing object", e))?;
                    }
                    Mutation::Delete { key } => {
                        objects
                            .remove(key.as_str())
                            .map_err(|e| err("removing object", e))?;
                    }
                }
            }
            let mut meta = tx.open_table(META).map_err(|e| err("opening meta", e))?;
            meta.insert(REVISION, revision)
                .map_err(|e| err("writing revision", e))?;
        }
        tx.commit().map_err(|e| err("committing batch", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_batches_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        {
            let mut b = RedbBackend::open(&path).unwrap();
            b.commit(
                &[
                    Mutation::Put {
                        key: "/a".into(),
                        value: b"1".to_vec().into(),
                    },
                    Mutation::Put {
                        key: "/b".into(),
                        value: b"2".to_vec().into(),
                    },
                ],
                2,
            )
            .unwrap();
            b.commit(&[Mutation::Delete { key: "/a".into() }], 3)
                .unwrap();
        }
        let b = RedbBackend::open(&path).unwrap();
        let (rev, items) = b.load().unwrap();
        assert_eq!(rev, 3);
        assert_eq!(items, vec![("/b".to_string(), b"2".to_vec())]);
    }
}
