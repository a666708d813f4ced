//! The `coordination.k8s.io` group: Lease.

use super::format::{age, text};
use super::{Column, AGE, NAME};
use jiff::Timestamp;
use serde_json::Value;

const LEASE_HOLDER: &str = "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.";

pub(super) const LEASE_COLUMNS: &[Column] = &[NAME, Column::text("Holder", LEASE_HOLDER), AGE];

pub(super) fn lease_cells(lease: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        text(lease, "/metadata/name").into(),
        text(lease, "/spec/holderIdentity").into(),
        age(lease, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{ago, now};
    use super::*;
    use serde_json::json;

    #[test]
    fn lease_shows_its_holder() {
        let lease = json!({"metadata": {"name": "kube-scheduler", "creationTimestamp": ago(5)},
                           "spec": {"holderIdentity": "tutti-1_4f2a"}});
        assert_eq!(
            lease_cells(&lease, now()),
            vec![json!("kube-scheduler"), json!("tutti-1_4f2a"), json!("5s")]
        );
    }

    #[test]
    fn lease_without_holder_shows_an_empty_cell() {
        let lease = json!({"metadata": {"name": "free"}});
        assert_eq!(lease_cells(&lease, now())[1], json!(""));
    }
}
