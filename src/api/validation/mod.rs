//! (temporary stub until the validation branch lands)
use crate::api::resources::Kind;
use crate::api::status::ApiError;
use serde_json::Value;
pub struct Decoded {
    pub object: Value,
    pub warnings: Vec<String>,
}
pub fn decode(_k: Kind, _v: &str, raw: Value, _s: bool) -> Result<Decoded, ApiError> {
    Ok(Decoded {
        object: raw,
        warnings: vec![],
    })
}
pub fn apply_defaults(_k: Kind, _o: &mut Value) {}
pub fn validate(_k: Kind, _o: &Value, _old: Option<&Value>) -> Result<(), ApiError> {
    Ok(())
}
