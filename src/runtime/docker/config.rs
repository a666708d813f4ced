//! A container's environment and volumes, resolved as kubelet resolves them: plain values,
//! `fieldRef`s, ConfigMap and Secret keys (`valueFrom`, `envFrom`), and `emptyDir`,
//! `hostPath`, `configMap` and `secret` volumes (written as files under the pod's directory).

use super::spec::Resolved;
use crate::actors::api_server::registry::Registry;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::api::status::ApiError;
use base64::Engine as _;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Why a container's configuration cannot be made (kubelet: `CreateContainerConfigError`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{kind} \"{name}\" not found")]
    Missing { kind: &'static str, name: String },
    #[error("couldn't find key {key} in {kind} {namespace}/{name}")]
    MissingKey {
        kind: &'static str,
        namespace: String,
        name: String,
        key: String,
    },
    #[error("cannot read {kind} {name}: {detail}")]
    Api {
        kind: &'static str,
        name: String,
        detail: String,
    },
    #[error("cannot write volume {volume}: {detail}")]
    Volume { volume: String, detail: String },
}

/// What the pod's node knows of itself, for `fieldRef`s.
pub struct Context<'a> {
    pub node: &'a str,
    pub pod_ip: &'a str,
    /// `<data-dir>/pods/<uid>`: where volumes are made.
    pub pod_dir: &'a Path,
}

/// The keys of a ConfigMap or Secret, decoded.
type Data = BTreeMap<String, Vec<u8>>;

/// Reads a ConfigMap's or Secret's data (Secret values are base64); None when it does not
/// exist.
async fn fetch(
    registry: &Registry,
    kind: Kind,
    namespace: &str,
    name: &str,
) -> Result<Option<Data>, ConfigError> {
    let label = kind_label(kind);
    match registry.get(storage_def(kind), namespace, name).await {
        Ok(obj) => Ok(Some(data_of(kind, &obj))),
        Err(ApiError::NotFound { .. }) => Ok(None),
        Err(e) => Err(ConfigError::Api {
            kind: label,
            name: name.to_string(),
            detail: e.to_string(),
        }),
    }
}

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Secret => "secret",
        _ => "configmap",
    }
}

/// The decoded data of a ConfigMap (`data` and `binaryData`) or Secret (`data`, base64).
pub fn data_of(kind: Kind, obj: &Value) -> Data {
    let mut out = Data::new();
    let field = |f: &str| obj.get(f).and_then(Value::as_object);
    let b64 = |v: &str| base64::engine::general_purpose::STANDARD.decode(v).ok();
    if kind == Kind::Secret {
        for (k, v) in field("data").into_iter().flatten() {
            if let Some(bytes) = v.as_str().and_then(b64) {
                out.insert(k.clone(), bytes);
            }
        }
        for (k, v) in field("stringData").into_iter().flatten() {
            out.insert(
                k.clone(),
                v.as_str().unwrap_or_default().as_bytes().to_vec(),
            );
        }
    } else {
        for (k, v) in field("data").into_iter().flatten() {
            out.insert(
                k.clone(),
                v.as_str().unwrap_or_default().as_bytes().to_vec(),
            );
        }
        for (k, v) in field("binaryData").into_iter().flatten() {
            if let Some(bytes) = v.as_str().and_then(b64) {
                out.insert(k.clone(), bytes);
            }
        }
    }
    out
}

/// The files of a configMap or secret volume: every key, or the listed `items` at their
/// paths, with the item's mode or the volume's `defaultMode` (kube: 0644).
pub fn volume_files(data: &Data, source: &Value) -> Vec<(String, Vec<u8>, u32)> {
    let default_mode = source
        .get("defaultMode")
        .and_then(Value::as_u64)
        .map_or(0o644, |m| m as u32);
    match source.get("items").and_then(Value::as_array) {
        Some(items) => items
            .iter()
            .filter_map(|item| {
                let key = meta::str_at(item, &["key"]);
                let path = meta::str_at(item, &["path"]);
                let mode = item
                    .get("mode")
                    .and_then(Value::as_u64)
                    .map_or(default_mode, |m| m as u32);
                Some((path.to_string(), data.get(key)?.clone(), mode))
            })
            .collect(),
        None => data
            .iter()
            .map(|(k, v)| (k.clone(), v.clone(), default_mode))
            .collect(),
    }
}

/// Resolves a container's environment and volume binds.
pub async fn resolve(
    registry: &Registry,
    pod: &Value,
    container: &Value,
    ctx: &Context<'_>,
) -> Result<Resolved, ConfigError> {
    let ns = meta::namespace(pod);
    let mut cache: HashMap<(Kind, String), Option<Data>> = HashMap::new();
    let mut resolved = Resolved::default();
    // envFrom first: explicit env entries override it (kubelet's order).
    for source in items(container.get("envFrom")) {
        let (kind, reference) = match (source.get("configMapRef"), source.get("secretRef")) {
            (Some(r), _) => (Kind::ConfigMap, r),
            (_, Some(r)) => (Kind::Secret, r),
            _ => continue,
        };
        let name = meta::str_at(reference, &["name"]);
        let optional = reference.get("optional").and_then(Value::as_bool) == Some(true);
        let prefix = meta::str_at(source, &["prefix"]);
        match cached(&mut cache, registry, kind, ns, name).await? {
            Some(data) => {
                for (k, v) in data {
                    resolved
                        .env
                        .push(format!("{prefix}{k}={}", String::from_utf8_lossy(v)));
                }
            }
            None if optional => {}
            None => return Err(missing(kind, name)),
        }
    }
    for var in items(container.get("env")) {
        let name = meta::str_at(var, &["name"]);
        let Some(from) = var.get("valueFrom") else {
            resolved
                .env
                .push(format!("{name}={}", meta::str_at(var, &["value"])));
            continue;
        };
        let key_ref = |field: &str, kind: Kind| from.get(field).map(|r| (kind, r));
        let value = if let Some((kind, r)) = key_ref("configMapKeyRef", Kind::ConfigMap)
            .or_else(|| key_ref("secretKeyRef", Kind::Secret))
        {
            let source = meta::str_at(r, &["name"]);
            let key = meta::str_at(r, &["key"]);
            let optional = r.get("optional").and_then(Value::as_bool) == Some(true);
            match cached(&mut cache, registry, kind, ns, source).await? {
                Some(data) => match data.get(key) {
                    Some(v) => Some(String::from_utf8_lossy(v).into_owned()),
                    None if optional => None,
                    None => {
                        return Err(ConfigError::MissingKey {
                            kind: kind_label(kind),
                            namespace: ns.to_string(),
                            name: source.to_string(),
                            key: key.to_string(),
                        })
                    }
                },
                None if optional => None,
                None => return Err(missing(kind, source)),
            }
        } else {
            field_ref(pod, meta::str_at(from, &["fieldRef", "fieldPath"]), ctx)
        };
        if let Some(value) = value {
            resolved.env.push(format!("{name}={value}"));
        }
    }
    let volumes: HashMap<&str, &Value> = items(pod.pointer("/spec/volumes"))
        .map(|v| (meta::str_at(v, &["name"]), v))
        .collect();
    for mount in items(container.get("volumeMounts")) {
        let volume_name = meta::str_at(mount, &["name"]);
        let Some(volume) = volumes.get(volume_name) else {
            continue;
        };
        let dir = ctx.pod_dir.join("volumes").join(volume_name);
        let host = if let Some(path) = volume.pointer("/hostPath/path").and_then(Value::as_str) {
            PathBuf::from(path)
        } else if volume.get("emptyDir").is_some() {
            make_dir(&dir, volume_name)?;
            dir
        } else if let Some((kind, source, name_field)) = volume
            .get("configMap")
            .map(|s| (Kind::ConfigMap, s, "name"))
            .or_else(|| {
                volume
                    .get("secret")
                    .map(|s| (Kind::Secret, s, "secretName"))
            })
        {
            let name = meta::str_at(source, &[name_field]);
            let optional = source.get("optional").and_then(Value::as_bool) == Some(true);
            let data = match cached(&mut cache, registry, kind, ns, name).await? {
                Some(data) => data.clone(),
                None if optional => Data::new(),
                None => return Err(missing(kind, name)),
            };
            make_dir(&dir, volume_name)?;
            write_files(&dir, &volume_files(&data, source), volume_name)?;
            dir
        } else {
            tracing::warn!(volume = %volume_name, "this volume type is not supported by the Docker runtime yet");
            continue;
        };
        let read_only = mount.get("readOnly").and_then(Value::as_bool) == Some(true);
        let sub_path = meta::str_at(mount, &["subPath"]);
        let host = if sub_path.is_empty() {
            host
        } else {
            host.join(sub_path)
        };
        resolved.binds.push(format!(
            "{}:{}{}",
            host.display(),
            meta::str_at(mount, &["mountPath"]),
            if read_only { ":ro" } else { "" }
        ));
    }
    Ok(resolved)
}

fn field_ref(pod: &Value, path: &str, ctx: &Context<'_>) -> Option<String> {
    let text = |p: &[&str]| Some(meta::str_at(pod, p).to_string());
    match path {
        "metadata.name" => text(&["metadata", "name"]),
        "metadata.namespace" => text(&["metadata", "namespace"]),
        "metadata.uid" => text(&["metadata", "uid"]),
        "spec.nodeName" => Some(ctx.node.to_string()),
        "spec.serviceAccountName" => text(&["spec", "serviceAccountName"]),
        "status.podIP" => Some(ctx.pod_ip.to_string()),
        other => {
            // metadata.labels['k'] and metadata.annotations['k'].
            let (field, key) = other.strip_suffix("']").and_then(|p| p.split_once("['"))?;
            let map = match field {
                "metadata.labels" => meta::labels(pod),
                "metadata.annotations" => meta::annotations(pod),
                _ => return None,
            };
            map.get(key).cloned()
        }
    }
}

async fn cached<'a>(
    cache: &'a mut HashMap<(Kind, String), Option<Data>>,
    registry: &Registry,
    kind: Kind,
    namespace: &str,
    name: &str,
) -> Result<&'a Option<Data>, ConfigError> {
    let key = (kind, name.to_string());
    if !cache.contains_key(&key) {
        let data = fetch(registry, kind, namespace, name).await?;
        cache.insert(key.clone(), data);
    }
    Ok(&cache[&key])
}

fn missing(kind: Kind, name: &str) -> ConfigError {
    ConfigError::Missing {
        kind: kind_label(kind),
        name: name.to_string(),
    }
}

fn make_dir(dir: &Path, volume: &str) -> Result<(), ConfigError> {
    std::fs::create_dir_all(dir).map_err(|e| ConfigError::Volume {
        volume: volume.to_string(),
        detail: e.to_string(),
    })
}

fn write_files(
    dir: &Path,
    files: &[(String, Vec<u8>, u32)],
    volume: &str,
) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |e: std::io::Error| ConfigError::Volume {
        volume: volume.to_string(),
        detail: e.to_string(),
    };
    for (path, bytes, mode) in files {
        // Keys are validated file names; a path with `..` would leave the volume.
        if Path::new(path)
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            continue;
        }
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        std::fs::write(&file, bytes).map_err(fail)?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(*mode)).map_err(fail)?;
    }
    Ok(())
}

/// The elements of an optional JSON array.
pub fn items(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_are_base64_and_config_maps_plain() {
        let secret = json!({"data": {"password": "czNjcjN0"}, "stringData": {"user": "admin"}});
        let data = data_of(Kind::Secret, &secret);
        assert_eq!(data["password"], b"s3cr3t");
        assert_eq!(data["user"], b"admin");
        let cm = json!({"data": {"mode": "fast"}, "binaryData": {"blob": "AAE="}});
        let data = data_of(Kind::ConfigMap, &cm);
        assert_eq!(data["mode"], b"fast");
        assert_eq!(data["blob"], vec![0, 1]);
    }

    #[test]
    fn volumes_hold_every_key_or_the_listed_items_with_their_modes() {
        let data: Data = [
            ("a".to_string(), b"1".to_vec()),
            ("b".to_string(), b"2".to_vec()),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            volume_files(&data, &json!({})),
            [
                ("a".to_string(), b"1".to_vec(), 0o644),
                ("b".to_string(), b"2".to_vec(), 0o644)
            ]
        );
        let source = json!({"defaultMode": 0o400, "items": [
            {"key": "b", "path": "conf/b.txt"}, {"key": "a", "path": "a", "mode": 0o600},
            {"key": "missing", "path": "x"}]});
        assert_eq!(
            volume_files(&data, &source),
            [
                ("conf/b.txt".to_string(), b"2".to_vec(), 0o400),
                ("a".to_string(), b"1".to_vec(), 0o600)
            ]
        );
    }

    #[test]
    fn field_refs_read_the_pod_and_the_node() {
        let pod = json!({"metadata": {"name": "p", "namespace": "ns", "uid": "u",
            "labels": {"app": "web"}}, "spec": {"serviceAccountName": "sa"}});
        let dir = PathBuf::from("/tmp");
        let ctx = Context {
            node: "node-2",
            pod_ip: "172.17.0.5",
            pod_dir: &dir,
        };
        let get = |p: &str| field_ref(&pod, p, &ctx);
        assert_eq!(get("metadata.name").as_deref(), Some("p"));
        assert_eq!(get("metadata.namespace").as_deref(), Some("ns"));
        assert_eq!(get("spec.nodeName").as_deref(), Some("node-2"));
        assert_eq!(get("status.podIP").as_deref(), Some("172.17.0.5"));
        assert_eq!(get("metadata.labels['app']").as_deref(), Some("web"));
        assert_eq!(get("spec.serviceAccountName").as_deref(), Some("sa"));
        assert_eq!(get("status.hostIP"), None);
    }
}
