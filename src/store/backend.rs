//! The durable engine behind the store, hidden behind a trait so another engine (etcd for an
//! HA control plane) can serve later without touching the store's callers.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// One change in a committed batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// Write these bytes (the object's JSON) under the key.
    Put {
        key: String,
        value: std::sync::Arc<[u8]>,
    },
    /// Remove the key.
    Delete { key: String },
}

/// Failure of the durable engine.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[error("{0}")]
pub struct BackendError(pub String);

/// Everything a backend holds: the latest revision and every key with its bytes.
pub type Snapshot = (u64, Vec<(String, Vec<u8>)>);

/// A durable key/value engine with a revision counter, written in atomic batches.
pub trait Backend: Send + 'static {
    /// Everything stored, and the revision of the last committed batch.
    fn load(&self) -> Result<Snapshot, BackendError>;
    /// Applies a batch atomically and durably, recording `revision` as the latest.
    fn commit(&mut self, batch: &[Mutation], revision: u64) -> Result<(), BackendError>;
}

/// A backend that keeps everything in memory: for tests and for throwaway simulations.
#[derive(Default)]
pub struct MemoryBackend {
    inner: Mutex<(u64, BTreeMap<String, Vec<u8>>)>,
}

impl Backend for MemoryBackend {
    fn load(&self) -> Result<Snapshot, BackendError> {
        let guard = self
            .inner
            .lock()
            .map_err(|_| BackendError("memory backend poisoned".into()))?;
        Ok((
            guard.0,
            guard
                .1
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ))
    }

    fn commit(&mut self, batch: &[Mutation], revision: u64) -> Result<(), BackendError> {
        let guard = self
            .inner
            .get_mut()
            .map_err(|_| BackendError("memory backend poisoned".into()))?;
        for m in batch {
            match m {
                Mutation::Put { key, value } => {
                    guard.1.insert(key.clone(), value.to_vec());
                }
                Mutation::Delete { key } => {
                    guard.1.remove(key);
                }
            }
        }
        guard.0 = revision;
        Ok(())
    }
}
