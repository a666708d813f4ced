//! (temporary stub until the selector branch lands)
use serde_json::Value;
use std::collections::BTreeMap;
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(String);
pub struct LabelSelector;
impl LabelSelector {
    pub fn parse(_s: &str) -> Result<LabelSelector, SelectorError> {
        Ok(LabelSelector)
    }
    pub fn matches(&self, _l: &BTreeMap<String, String>) -> bool {
        true
    }
}
impl std::fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "")
    }
}
pub fn from_label_selector_json(_v: &Value) -> Result<LabelSelector, SelectorError> {
    Ok(LabelSelector)
}
pub struct FieldSelector;
impl FieldSelector {
    pub fn parse_checked(_s: &str, _a: &[&str]) -> Result<FieldSelector, SelectorError> {
        Ok(FieldSelector)
    }
    pub fn matches(&self, _o: &Value) -> bool {
        true
    }
}
