//! The verbs of the Kubernetes API with kube-apiserver's semantics, over the store: what
//! happens to an object between the HTTP layer (or an in-process caller) and the store.
//! Decisions that need no I/O (metadata on create, merging an update onto the stored object,
//! deletion planning) are plain functions at the bottom of this file.

use crate::actors::store::{List, StoreClient};
use crate::api::meta::{self, Object};
use crate::api::resources::{storage_def, Kind, ResourceDef, Subresource};
use crate::api::status::{ApiError, Result};
use crate::api::{convert, validation};
use crate::store::state::{Filter, ListResult, WatchItem};
use crate::store::stored::{self, Stored};
use crate::store::{self, Preconditions, StoreError, WatchStart, Watcher, WriteOp};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::mpsc;

/// How unknown fields in a request body are treated (`fieldValidation`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    /// kube-apiserver's default: drop unknown fields, answer with a warning.
    #[default]
    Warn,
    Strict,
}

impl FieldValidation {
    /// Parses the query parameter.
    pub fn parse(s: Option<&str>) -> Result<FieldValidation> {
        match s {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some(other) => Err(ApiError::BadRequest(format!(
                "fieldValidation: Invalid value: \"{other}\": fieldValidation must be one of \"Ignore\", \"Warn\" or \"Strict\""
            ))),
        }
    }
}

/// Options common to the writing verbs.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    pub validation: FieldValidation,
    /// `dryRun=All`: run every step but the write.
    pub dry_run: bool,
}

/// A successful write.
#[derive(Debug)]
pub struct Written {
    /// The object in the version the caller asked for.
    pub object: Value,
    /// Warnings for the `Warning` response header.
    pub warnings: Vec<String>,
    /// Whether the write created the object (201 rather than 200).
    pub created: bool,
}

/// `DeleteOptions`, from the body and the query.
#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    /// `Foreground`, `Background` or `Orphan`.
    pub propagation_policy: Option<String>,
    pub preconditions: Preconditions,
    pub dry_run: bool,
}

/// The outcome of a delete.
#[derive(Debug)]
pub enum Deleted {
    /// The object is gone; this was its last state.
    Gone(Value),
    /// The object is being deleted (graceful deletion or finalizers pending).
    Pending(Value),
}

/// List parameters after parsing.
#[derive(Default)]
pub struct ListOptions {
    pub filter: Option<Filter>,
    pub limit: usize,
    pub continue_after: Option<String>,
}

/// How many times a read-modify-write is retried when another writer wins the race.
const MAX_RETRIES: usize = 8;

/// The API's verbs over the store. Cheap to clone; shared by the HTTP workers and the actor.
#[derive(Clone)]
pub struct Registry {
    store: StoreClient,
}

/// Maps a store error on one object to the Status kube-apiserver would answer.
fn store_err<'a>(def: &'a ResourceDef, name: &str) -> impl Fn(StoreError) -> ApiError + 'a {
    let name = name.to_string();
    move |e| match e {
        StoreError::NotFound(_) => ApiError::NotFound {
            resource: def.qualified_plural(),
            name: name.clone(),
        },
        StoreError::AlreadyExists(_) => ApiError::AlreadyExists {
            resource: def.qualified_plural(),
            name: name.clone(),
        },
        StoreError::Conflict { detail, .. } if detail.starts_with("Precondition failed") => {
            ApiError::Conflict {
                resource: def.qualified_plural(),
                name: name.clone(),
                detail,
            }
        }
        StoreError::Conflict { .. } => ApiError::stale(def.qualified_plural(), name.clone()),
        StoreError::Expired { requested, oldest } => ApiError::Expired { requested, oldest },
        StoreError::Backend(e) => ApiError::Internal(format!("storage: {e}")),
        StoreError::Unavailable => ApiError::Unavailable("the store is shutting down".into()),
    }
}

impl Registry {
    /// A registry over the store.
    pub fn new(store: StoreClient) -> Registry {
        Registry { store }
    }

    fn key(def: &ResourceDef, namespace: &str, name: &str) -> String {
        store::key(def.group, def.plural, namespace, name)
    }

    /// The stored object (storage version), or NotFound.
    async fn current(&self, def: &ResourceDef, namespace: &str, name: &str) -> Result<Arc<Value>> {
        let found = self.store.get(&Self::key(def, namespace, name)).await;
        Self::found(def, name, found)
    }

    /// The latest object, writes being committed included: the base of a read-modify-write,
    /// so that it is not refused for a write that is merely still on its way to disk.
    async fn latest(&self, def: &ResourceDef, namespace: &str, name: &str) -> Result<Arc<Value>> {
        let found = self
            .store
            .get_latest(&Self::key(def, namespace, name))
            .await;
        Self::found(def, name, found)
    }

    fn found(
        def: &ResourceDef,
        name: &str,
        found: crate::store::Result<Option<Arc<Value>>>,
    ) -> Result<Arc<Value>> {
        found
            .map_err(store_err(def, name))?
            .ok_or_else(|| ApiError::NotFound {
                resource: def.qualified_plural(),
                name: name.to_string(),
            })
    }

    /// GET one object.
    pub async fn get(&self, def: &ResourceDef, namespace: &str, name: &str) -> Result<Value> {
        let obj = self.current(def, namespace, name).await?;
        Ok(convert::from_storage(def, &obj).into_owned())
    }

    /// LIST objects; `namespace` empty lists across namespaces.
    pub async fn list(
        &self,
        def: &ResourceDef,
        namespace: &str,
        opts: ListOptions,
    ) -> Result<ListResult> {
        let storage = storage_def(def.kind);
        let mut result = self
            .store
            .list(List {
                prefix: store::prefix(storage.group, storage.plural, namespace),
                filter: opts.filter,
                after: opts.continue_after,
                limit: opts.limit,
            })
            .await
            .map_err(store_err(def, ""))?;
        if !def.storage {
            result.items = result
                .items
                .iter()
                .map(|o| {
                    let served = Arc::new(convert::from_storage(def, &o.value()).into_owned());
                    Stored::new(&served, stored::encode(&served))
                })
                .collect();
        }
        Ok(result)
    }

    /// WATCH: the events to send first, and a channel of the ones that follow.
    pub async fn watch(
        &self,
        def: &ResourceDef,
        namespace: &str,
        filter: Option<Filter>,
        from: Option<u64>,
        bookmarks: bool,
    ) -> Result<(WatchStart, mpsc::Receiver<WatchItem>)> {
        // A watcher that falls this far behind is cut off and watches again from its last
        // resourceVersion, as kube-apiserver's watch cache does with slow watchers. (A deeper
        // buffer for control loops, 16,384, was tried: no gain in the density bench, and the
        // scheduling bench's startup p99 went from 10 – 12 s to 18 – 22 s.)
        let (sender, rx) = mpsc::channel(1024);
        let watcher = Watcher {
            prefix: store::prefix(def.group, def.plural, namespace),
            filter,
            bookmarks,
            sender,
        };
        let start = self
            .store
            .watch(watcher, from)
            .await
            .map_err(store_err(def, ""))?;
        Ok((start, rx))
    }

    /// Ends a watch started with [`Registry::watch`].
    pub fn unwatch(&self, id: u64) {
        self.store.unwatch(id);
    }

    /// Fails unless the namespace exists and is not being deleted.
    async fn require_namespace(&self, namespace: &str, creating: bool) -> Result<()> {
        let ns_def = storage_def(Kind::Namespace);
        let ns = self
            .store
            .get(&Self::key(ns_def, "", namespace))
            .await
            .map_err(store_err(ns_def, namespace))?;
        match ns {
            None => Err(ApiError::NotFound {
                resource: "namespaces".into(),
                name: namespace.to_string(),
            }),
            Some(ns) if creating && !meta::str_at(&ns, &["metadata", "deletionTimestamp"]).is_empty() => {
                Err(ApiError::Forbidden(format!(
                    "unable to create new content in namespace {namespace} because it is being terminated"
                )))
            }
            Some(_) => Ok(()),
        }
    }

    /// CREATE.
    pub async fn create(
        &self,
        def: &ResourceDef,
        namespace: &str,
        body: Value,
        opts: &WriteOptions,
    ) -> Result<Written> {
        if def.namespaced {
            self.require_namespace(namespace, true).await?;
        }
        let (mut obj, warnings) = decode_body(def, body, opts.validation)?;
        prepare_create(def, namespace, &mut obj)?;
        if def.kind == Kind::Service {
            self.allocate_service_addresses(&mut obj).await?;
        }
        validation::validate(def.kind, &obj, None).map_err(|e| qualify(e, def))?;
        let name = meta::name(&obj).to_string();
        let stored = if opts.dry_run {
            Arc::new(obj)
        } else {
            self.store
                .write(WriteOp::Create {
                    key: Self::key(def, namespace, &name),
                    object: obj,
                })
                .await
                .map_err(store_err(def, &name))?
        };
        Ok(Written {
            object: convert::from_storage(def, &stored).into_owned(),
            warnings,
            created: true,
        })
    }

    /// Read-modify-write with optimistic concurrency: `change` turns the current object (in the
    /// caller's version) into the desired one; retried when another writer got in between,
    /// unless the desired object names the resourceVersion it was based on.
    async fn update_with<F>(
        &self,
        def: &ResourceDef,
        namespace: &str,
        name: &str,
        sub: Option<Subresource>,
        opts: &WriteOptions,
        change: F,
    ) -> Result<Written>
    where
        F: Fn(&Value) -> Result<Value>,
    {
        let key = Self::key(def, namespace, name);
        let mut last_err = None;
        for _ in 0..MAX_RETRIES {
            let current = self.latest(def, namespace, name).await?;
            let desired = change(&convert::from_storage(def, &current))?;
            let wanted_rv = meta::resource_version(&desired);
            let current_rv = meta::resource_version(&current);
            if wanted_rv != 0 && wanted_rv != current_rv {
                return Err(ApiError::stale(def.qualified_plural(), name.to_string()));
            }
            let (decoded, warnings) = match sub {
                // A binding changes two fields of the stored, already decoded pod.
                Some(Subresource::Binding) => (desired, Vec::new()),
                // A status write keeps the stored spec (merge_update): decoding the one sent
                // would only cost time.
                Some(Subresource::Status) => {
                    let mut desired = desired;
                    if let Some(m) = desired.as_object_mut() {
                        m.remove("spec");
                    }
                    decode_body(def, desired, opts.validation)?
                }
                _ => decode_body(def, desired, opts.validation)?,
            };
            let new = merge_update(def, &current, decoded, name, namespace, sub)?;
            // A binding sets only spec.nodeName and a condition, which pod update validation
            // forbids; kube's binding storage (`assignPod`) does not validate either.
            match sub {
                Some(Subresource::Binding) => {}
                Some(Subresource::Status) => {
                    validation::validate_status_update(def.kind, &new, &current)
                        .map_err(|e| qualify(e, def))?
                }
                _ => validation::validate(def.kind, &new, Some(&current))
                    .map_err(|e| qualify(e, def))?,
            }
            if same_object(&new, &current) || opts.dry_run {
                return Ok(Written {
                    object: convert::from_storage(def, &new).into_owned(),
                    warnings,
                    created: false,
                });
            }
            let pre = Preconditions {
                resource_version: Some(current_rv),
                uid: None,
            };
            let op = if should_delete_during_update(&new) {
                WriteOp::Delete {
                    key: key.clone(),
                    pre,
                }
            } else {
                WriteOp::Update {
                    key: key.clone(),
                    object: new,
                    pre,
                }
            };
            match self.store.write(op).await {
                Ok(stored) => {
                    return Ok(Written {
                        object: convert::from_storage(def, &stored).into_owned(),
                        warnings,
                        created: false,
                    })
                }
                Err(e @ StoreError::Conflict { .. }) => last_err = Some(e),
                Err(e) => return Err(store_err(def, name)(e)),
            }
        }
        Err(store_err(def, name)(
            last_err.unwrap_or(StoreError::Unavailable),
        ))
    }

    /// UPDATE (PUT), of the object or its status.
    pub async fn update(
        &self,
        def: &ResourceDef,
        namespace: &str,
        name: &str,
        sub: Option<Subresource>,
        body: Value,
        opts: &WriteOptions,
    ) -> Result<Written> {
        self.update_with(def, namespace, name, sub, opts, |_| Ok(body.clone()))
            .await
    }

    /// PATCH, of the object or its status. An apply patch creates a missing object.
    pub async fn patch(
        &self,
        def: &ResourceDef,
        namespace: &str,
        name: &str,
        sub: Option<Subresource>,
        (patch_type, patch): (crate::api::patch::PatchType, Value),
        opts: &WriteOptions,
    ) -> Result<Written> {
        use crate::api::patch::PatchType;
        let result = self
            .update_with(def, namespace, name, sub, opts, |current| {
                apply_patch_to(def.kind_name, current, patch_type, &patch)
                    .map_err(|e| qualify(e, def))
            })
            .await;
        match result {
            Err(ApiError::NotFound { .. }) if patch_type == PatchType::Apply && sub.is_none() => {
                let mut body = patch.clone();
                meta::set(&mut body, "name", name);
                self.create(def, namespace, body, opts).await
            }
            other => other,
        }
    }

    /// Replaces an object's status, only while its uid is `uid` (a kubelet must not write the
    /// status of a new pod that took its old pod's name). The same as a JSON patch `test` of
    /// the uid and `add` of `/status` through the status subresource, without the patch engine:
    /// kubelets write pod statuses more than anything else writes anything.
    pub async fn set_status(
        &self,
        def: &ResourceDef,
        namespace: &str,
        name: &str,
        uid: &str,
        status: &Value,
    ) -> Result<Written> {
        let pre = Preconditions {
            resource_version: None,
            uid: Some(uid.to_string()),
        };
        let opts = WriteOptions::default();
        self.update_with(
            def,
            namespace,
            name,
            Some(Subresource::Status),
            &opts,
            |current| {
                check_preconditions(def, name, current, &pre)?;
                let mut new = current.clone();
                new["status"] = status.clone();
                Ok(new)
            },
        )
        .await
    }

    /// DELETE one object, gracefully for bound pods and waiting for finalizers.
    pub async fn delete(
        &self,
        def: &ResourceDef,
        namespace: &str,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Deleted> {
        let key = Self::key(def, namespace, name);
        let mut last_err = None;
        for _ in 0..MAX_RETRIES {
            let current = self.latest(def, namespace, name).await?;
            check_preconditions(def, name, &current, &opts.preconditions)?;
            let plan = plan_delete(def.kind, &current, opts);
            let pre = Preconditions {
                resource_version: Some(meta::resource_version(&current)),
                uid: None,
            };
            let (op, pending) = match plan {
                DeletePlan::Now => (
                    WriteOp::Delete {
                        key: key.clone(),
                        pre,
                    },
                    false,
                ),
                DeletePlan::Unchanged => {
                    return Ok(Deleted::Pending(
                        convert::from_storage(def, &current).into_owned(),
                    ))
                }
                DeletePlan::Mark(object) => (
                    WriteOp::Update {
                        key: key.clone(),
                        object,
                        pre,
                    },
                    true,
                ),
            };
            if opts.dry_run {
                return Ok(Deleted::Gone(
                    convert::from_storage(def, &current).into_owned(),
                ));
            }
            match self.store.write(op).await {
                Ok(obj) => {
                    let obj = convert::from_storage(def, &obj).into_owned();
                    return Ok(if pending {
                        Deleted::Pending(obj)
                    } else {
                        Deleted::Gone(obj)
                    });
                }
                Err(e @ StoreError::Conflict { .. }) => last_err = Some(e),
                Err(e) => return Err(store_err(def, name)(e)),
            }
        }
        Err(store_err(def, name)(
            last_err.unwrap_or(StoreError::Unavailable),
        ))
    }

    /// DELETE a collection: every object the list options select.
    pub async fn delete_collection(
        &self,
        def: &ResourceDef,
        namespace: &str,
        list: ListOptions,
        opts: &DeleteOptions,
    ) -> Result<Vec<Value>> {
        let items = self.list(def, namespace, list).await?.items;
        let mut deleted = Vec::with_capacity(items.len());
        for item in items.iter().map(Stored::value) {
            match self
                .delete(def, meta::namespace(&item), meta::name(&item), opts)
                .await
            {
                Ok(Deleted::Gone(o)) | Ok(Deleted::Pending(o)) => deleted.push(o),
                // Deleted by someone else meanwhile: that is what was asked.
                Err(ApiError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(deleted)
    }

    /// POST pods/binding: assigns a pod to a node, once.
    pub async fn bind(&self, namespace: &str, name: &str, binding: Value) -> Result<Value> {
        let def = storage_def(Kind::Pod);
        let node = meta::str_at(&binding, &["target", "name"]).to_string();
        if node.is_empty() {
            return Err(ApiError::Invalid {
                kind: "Binding".into(),
                name: name.to_string(),
                causes: vec![crate::api::status::StatusCause {
                    reason: "FieldValueRequired".into(),
                    message: "Required value".into(),
                    field: "target.name".into(),
                }],
            });
        }
        let opts = WriteOptions::default();
        self.update_with(
            def,
            namespace,
            name,
            Some(Subresource::Binding),
            &opts,
            |pod| {
                let assigned = meta::str_at(pod, &["spec", "nodeName"]);
                if !assigned.is_empty() {
                    return Err(ApiError::Conflict {
                        resource: "pods".into(),
                        name: name.to_string(),
                        detail: format!("pod {name} is already assigned to node \"{assigned}\""),
                    });
                }
                if !meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty() {
                    return Err(ApiError::Conflict {
                        resource: "pods".into(),
                        name: name.to_string(),
                        detail: format!(
                            "pod {name} is being deleted, cannot be assigned to a host"
                        ),
                    });
                }
                let mut pod = pod.clone();
                pod["spec"]["nodeName"] = json!(node);
                set_condition(&mut pod, "PodScheduled", "True", "", "");
                Ok(pod)
            },
        )
        .await?;
        Ok(
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
        )
    }

    /// GET a `Scale` for a workload.
    pub async fn get_scale(&self, def: &ResourceDef, namespace: &str, name: &str) -> Result<Value> {
        let obj = self.current(def, namespace, name).await?;
        Ok(scale_of(&obj))
    }

    /// PUT or PATCH a `Scale`: `change` turns the current Scale into the desired one.
    pub async fn update_scale<F>(
        &self,
        def: &ResourceDef,
        namespace: &str,
        name: &str,
        opts: &WriteOptions,
        change: F,
    ) -> Result<Value>
    where
        F: Fn(&Value) -> Result<Value>,
    {
        let written = self
            .update_with(def, namespace, name, None, opts, |obj| {
                let desired = change(&scale_of(obj))?;
                let wanted_rv = meta::resource_version(&desired);
                let replicas = match desired.pointer("/spec/replicas") {
                    None => 0,
                    Some(v) => v.as_i64().ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "Scale in version \"v1\" cannot be handled as a Scale: json: cannot unmarshal {v} into Go struct field ScaleSpec.spec.replicas of type int32"
                        ))
                    })?,
                };
                if replicas < 0 {
                    return Err(ApiError::Invalid {
                        kind: "Scale.autoscaling".into(),
                        name: name.to_string(),
                        causes: vec![crate::api::status::StatusCause {
                            reason: "FieldValueInvalid".into(),
                            message: format!(
                                "Invalid value: {replicas}: must be greater than or equal to 0"
                            ),
                            field: "spec.replicas".into(),
                        }],
                    });
                }
                let mut obj = obj.clone();
                obj["spec"]["replicas"] = json!(replicas);
                if wanted_rv != 0 {
                    meta::set(&mut obj, "resourceVersion", wanted_rv.to_string());
                }
                Ok(obj)
            })
            .await?;
        Ok(scale_of(&written.object))
    }

    /// Gives a Service its cluster IP (and node ports) when it asks for one.
    async fn allocate_service_addresses(&self, svc: &mut Value) -> Result<()> {
        let ty = meta::str_at(&*svc, &["spec", "type"]).to_string();
        let wants_ip =
            ty != "ExternalName" && meta::str_at(&*svc, &["spec", "clusterIP"]).is_empty();
        let wants_ports = ty == "NodePort" || ty == "LoadBalancer";
        if !wants_ip && !wants_ports {
            return Ok(());
        }
        let def = storage_def(Kind::Service);
        let all: Vec<Arc<Value>> = self
            .list(def, "", ListOptions::default())
            .await?
            .items
            .iter()
            .map(Stored::value)
            .collect();
        if wants_ip {
            let used: std::collections::HashSet<&str> = all
                .iter()
                .map(|s| meta::str_at(s, &["spec", "clusterIP"]))
                .collect();
            let ip = pick_cluster_ip(&used).ok_or_else(|| {
                ApiError::Internal("failed to allocate a serviceIP: range is full".into())
            })?;
            svc["spec"]["clusterIP"] = json!(ip);
            svc["spec"]["clusterIPs"] = json!([ip]);
        }
        if wants_ports {
            let mut used: std::collections::HashSet<i64> = all
                .iter()
                .flat_map(|s| node_ports(s).collect::<Vec<_>>())
                .collect();
            if let Some(ports) = svc.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
                for port in ports {
                    if port.get("nodePort").and_then(Value::as_i64).unwrap_or(0) == 0 {
                        let p = (30000..=32767).find(|p| !used.contains(p)).ok_or_else(|| {
                            ApiError::Internal(
                                "failed to allocate a nodePort: range is full".into(),
                            )
                        })?;
                        used.insert(p);
                        port["nodePort"] = json!(p);
                    }
                }
            }
        }
        Ok(())
    }
}

fn node_ports(svc: &Value) -> impl Iterator<Item = i64> + '_ {
    svc.pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("nodePort").and_then(Value::as_i64))
}

/// A free address in 10.96.0.0/12 (kube-apiserver's default service range), skipping the
/// network address and .1 (by convention the `kubernetes` Service).
fn pick_cluster_ip(used: &std::collections::HashSet<&str>) -> Option<String> {
    let base: u32 = u32::from(std::net::Ipv4Addr::new(10, 96, 0, 0));
    let size: u32 = 1 << 20;
    let start = rand::random::<u32>() % (size - 2) + 2;
    (0..size - 2)
        .map(|i| base + 2 + (start - 2 + i) % (size - 2))
        .map(|ip| std::net::Ipv4Addr::from(ip).to_string())
        .find(|ip| !used.contains(ip.as_str()))
}

/// Parses, type-checks and converts a request body to the storage version, checking that its
/// kind and apiVersion are the ones the URL names.
fn decode_body(
    def: &ResourceDef,
    mut body: Value,
    validation: FieldValidation,
) -> Result<(Value, Vec<String>)> {
    if !body.is_object() {
        return Err(ApiError::BadRequest(format!(
            "the body of the request was not a {} object",
            def.kind_name
        )));
    }
    let api_version = def.api_version();
    match body.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => body["apiVersion"] = json!(api_version),
        Some(v) if v == api_version => {}
        Some(v) => {
            return Err(ApiError::BadRequest(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )))
        }
    }
    match body.get("kind").and_then(Value::as_str) {
        None | Some("") => body["kind"] = json!(def.kind_name),
        Some(k) if k == def.kind_name => {}
        Some(k) => {
            return Err(ApiError::BadRequest(format!(
                "{k} in version \"{}\" cannot be handled as a {}: the kind in the data ({k}) does not match the expected kind ({})",
                def.version, def.kind_name, def.kind_name
            )))
        }
    }
    let storage = storage_def(def.kind);
    let body = convert::to_storage(def, body);
    let decoded = validation::decode(
        def.kind,
        storage.version,
        body,
        validation == FieldValidation::Strict,
    )?;
    let warnings = match validation {
        FieldValidation::Warn => decoded.warnings,
        _ => Vec::new(),
    };
    Ok((decoded.object, warnings))
}

/// Adds the group to an `Invalid` error's kind when the validator left it bare.
fn qualify(e: ApiError, def: &ResourceDef) -> ApiError {
    match e {
        ApiError::Invalid { kind, name, causes } if kind == def.kind_name => ApiError::Invalid {
            kind: def.qualified_kind(),
            name,
            causes,
        },
        other => other,
    }
}

/// Letters kube-apiserver uses for generated name suffixes (no vowels, no look-alikes).
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `generateName` plus five random characters, as kube-apiserver names objects.
pub fn generate_name(prefix: &str) -> String {
    // Cut to 58 bytes (kube's limit: 63 minus the suffix) on a character boundary.
    let mut cut = prefix.len().min(58);
    while !prefix.is_char_boundary(cut) {
        cut -= 1;
    }
    let prefix = &prefix[..cut];
    let suffix: String = (0..5)
        .map(|_| NAME_ALPHABET[rand::random::<u32>() as usize % NAME_ALPHABET.len()] as char)
        .collect();
    format!("{prefix}{suffix}")
}

/// Sets the metadata kube-apiserver sets on create, resets status, applies defaults.
pub fn prepare_create(def: &ResourceDef, namespace: &str, obj: &mut Value) -> Result<()> {
    let body_ns = meta::namespace(&*obj).to_string();
    if def.namespaced {
        if !body_ns.is_empty() && body_ns != namespace {
            return Err(ApiError::BadRequest(
                "the namespace of the provided object does not match the namespace sent on the request".into(),
            ));
        }
        meta::set(obj, "namespace", namespace);
    } else if !body_ns.is_empty() {
        meta::remove(obj, "namespace");
    }
    if meta::name(&*obj).is_empty() {
        let prefix = meta::str_at(&*obj, &["metadata", "generateName"]).to_string();
        if !prefix.is_empty() {
            meta::set(obj, "name", generate_name(&prefix));
        }
    }
    if meta::resource_version(&*obj) != 0 {
        return Err(ApiError::BadRequest(
            "resourceVersion should not be set on objects to be created".into(),
        ));
    }
    meta::set(obj, "uid", uuid::Uuid::new_v4().to_string());
    meta::set(obj, "creationTimestamp", meta::now_rfc3339());
    meta::set(obj, "generation", 1);
    for gone in [
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
    ] {
        meta::remove(obj, gone);
    }
    // Nodes keep the status they are created with (kube's node strategy: "Nodes allow *all*
    // fields, including status, to be set on create"), so a kubelet registers its capacity.
    if def.has(Subresource::Status) && def.kind != Kind::Node {
        if let Some(map) = obj.as_object_mut() {
            map.remove("status");
        }
    }
    validation::apply_defaults(def.kind, obj);
    if def.kind == Kind::Pod {
        let qos = validation::defaults::pod_qos_class(obj);
        obj["status"] = json!({"phase": "Pending", "qosClass": qos});
    }
    if def.kind == Kind::Service && obj.get("status").is_none() {
        obj["status"] = json!({"loadBalancer": {}});
    }
    Ok(())
}

/// Merges a decoded update onto the stored object: identity and deletion metadata are kept,
/// the status (or, for a status update, everything but the status) comes from the stored
/// object, defaults apply and the generation follows the spec.
pub fn merge_update(
    def: &ResourceDef,
    current: &Value,
    desired: Value,
    name: &str,
    namespace: &str,
    sub: Option<Subresource>,
) -> Result<Value> {
    let desired_name = meta::name(&desired);
    if !desired_name.is_empty() && desired_name != name {
        return Err(ApiError::BadRequest(format!(
            "the name of the object ({desired_name}) does not match the name on the URL ({name})"
        )));
    }
    let desired_ns = meta::namespace(&desired);
    if def.namespaced && !desired_ns.is_empty() && desired_ns != namespace {
        return Err(ApiError::BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
                .into(),
        ));
    }
    let mut new = match sub {
        Some(Subresource::Status) => {
            let mut new = current.clone();
            match desired.get("status") {
                Some(s) => new["status"] = s.clone(),
                None => {
                    if let Some(m) = new.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
            new
        }
        _ => {
            let mut new = desired;
            if def.has(Subresource::Status) && sub != Some(Subresource::Binding) {
                match current.get("status") {
                    Some(s) => new["status"] = s.clone(),
                    None => {
                        if let Some(m) = new.as_object_mut() {
                            m.remove("status");
                        }
                    }
                }
            }
            new
        }
    };
    for kept in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        match current.pointer(&format!("/metadata/{kept}")) {
            Some(v) => meta::set(&mut new, kept, v.clone()),
            None => {
                meta::remove(&mut new, kept);
            }
        }
    }
    meta::remove(&mut new, "managedFields");
    // A finalizer may not be added to an object that is being deleted.
    if !meta::str_at(current, &["metadata", "deletionTimestamp"]).is_empty() {
        let before = string_list(current.pointer("/metadata/finalizers"));
        let after = string_list(new.pointer("/metadata/finalizers"));
        if let Some(added) = after.iter().find(|f| !before.contains(f)) {
            return Err(ApiError::Invalid {
                kind: def.qualified_kind(),
                name: name.to_string(),
                causes: vec![crate::api::status::StatusCause {
                    reason: "FieldValueForbidden".into(),
                    message: format!("Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{\"{added}\"}}"),
                    field: "metadata.finalizers".into(),
                }],
            });
        }
    }
    validation::apply_defaults(def.kind, &mut new);
    if new.get("spec") != current.get("spec") && current.get("spec").is_some() {
        let generation = current
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        meta::set(&mut new, "generation", generation + 1);
    }
    Ok(new)
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether two versions of an object differ only in resourceVersion: an update that changes
/// nothing is not written (kube-apiserver answers it without a new revision).
fn same_object(a: &Value, b: &Value) -> bool {
    // Compared field by field rather than on stripped copies: this runs on every update, and
    // copying both objects cost more than the write itself.
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return a == b;
    };
    a.len() == b.len()
        && a.iter().all(|(k, va)| {
            let Some(vb) = b.get(k) else {
                return false;
            };
            match (k.as_str(), va.as_object(), vb.as_object()) {
                ("metadata", Some(ma), Some(mb)) => {
                    let rest = |m: &'_ serde_json::Map<String, Value>| {
                        m.len() - usize::from(m.contains_key("resourceVersion"))
                    };
                    rest(ma) == rest(mb)
                        && ma
                            .iter()
                            .filter(|(f, _)| *f != "resourceVersion")
                            .all(|(f, v)| mb.get(f) == Some(v))
                }
                _ => va == vb,
            }
        })
}

/// kube-apiserver deletes an object when an update leaves it with a deletionTimestamp, no
/// finalizers and no grace period left (`ShouldDeleteDuringUpdate`).
fn should_delete_during_update(obj: &Value) -> bool {
    !meta::str_at(obj, &["metadata", "deletionTimestamp"]).is_empty()
        && string_list(obj.pointer("/metadata/finalizers")).is_empty()
        // Only namespaces have spec.finalizers; elsewhere this is always empty.
        && string_list(obj.pointer("/spec/finalizers")).is_empty()
        && obj
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            == 0
}

/// Applies a patch of any type to an object of the named kind (`Scale` too), mapping patch
/// errors to the codes kube-apiserver answers them with.
pub fn apply_patch_to(
    kind_name: &str,
    current: &Value,
    patch_type: crate::api::patch::PatchType,
    patch: &Value,
) -> Result<Value> {
    use crate::api::patch::{self, PatchType};
    let result = match patch_type {
        PatchType::Json => patch::json_patch(current, patch),
        PatchType::Merge => Ok(patch::merge_patch(current, patch)),
        PatchType::StrategicMerge | PatchType::Apply => {
            patch::strategic_merge_patch(kind_name, current, patch)
        }
    };
    result.map_err(|e| match e.code() {
        400 => ApiError::BadRequest(e.status_message()),
        422 => ApiError::Unprocessable(e.status_message()),
        413 => ApiError::TooLarge(e.status_message()),
        _ => ApiError::Internal(e.status_message()),
    })
}

fn check_preconditions(
    def: &ResourceDef,
    name: &str,
    obj: &Value,
    pre: &Preconditions,
) -> Result<()> {
    if let Some(uid) = &pre.uid {
        if meta::uid(obj) != uid {
            return Err(ApiError::Conflict {
                resource: def.qualified_plural(),
                name: name.to_string(),
                detail: format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta::uid(obj)
                ),
            });
        }
    }
    if let Some(rv) = pre.resource_version {
        if meta::resource_version(obj) != rv {
            return Err(ApiError::Conflict {
                resource: def.qualified_plural(),
                name: name.to_string(),
                detail: format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta::resource_version(obj)
                ),
            });
        }
    }
    Ok(())
}

/// The longest grace period honoured (ten years); longer ones are cut to it.
const MAX_GRACE_SECONDS: i64 = 10 * 365 * 24 * 3600;

/// What a delete does to an object.
#[derive(Debug, PartialEq)]
pub enum DeletePlan {
    /// Remove it now.
    Now,
    /// Write this version (deletionTimestamp, finalizers) and leave removal to others.
    Mark(Value),
    /// It is already being deleted and nothing changes.
    Unchanged,
}

/// Decides a delete: pods bound to a node get a grace period for their kubelet; an object
/// with finalizers (or a Foreground/Orphan propagation, recorded as finalizers) waits for them.
pub fn plan_delete(kind: Kind, obj: &Value, opts: &DeleteOptions) -> DeletePlan {
    let mut finalizers = string_list(obj.pointer("/metadata/finalizers"));
    // A namespace waits for its `spec.finalizers` (the namespace controller empties it once
    // the contents are gone), as kube-apiserver's namespace registry does.
    let spec_finalizers =
        kind == Kind::Namespace && !string_list(obj.pointer("/spec/finalizers")).is_empty();
    let mut add = |f: &str| {
        if !finalizers.iter().any(|x| x == f) {
            finalizers.push(f.to_string());
        }
    };
    match opts.propagation_policy.as_deref() {
        Some("Foreground") => add("foregroundDeletion"),
        Some("Orphan") => add("orphan"),
        _ => {}
    }
    let grace = if kind == Kind::Pod {
        let bound = !meta::str_at(obj, &["spec", "nodeName"]).is_empty();
        let phase = meta::str_at(obj, &["status", "phase"]);
        let terminal = phase == "Succeeded" || phase == "Failed";
        if !bound || terminal {
            0
        } else {
            opts.grace_period_seconds
                .or_else(|| {
                    obj.pointer("/spec/terminationGracePeriodSeconds")
                        .and_then(Value::as_i64)
                })
                .unwrap_or(30)
                .max(0)
        }
    } else {
        0
    };
    let deleting = !meta::str_at(obj, &["metadata", "deletionTimestamp"]).is_empty();
    let current_grace = obj
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64);
    let old_finalizers = string_list(obj.pointer("/metadata/finalizers"));
    if finalizers.is_empty() && grace == 0 && !spec_finalizers {
        return DeletePlan::Now;
    }
    if deleting && finalizers == old_finalizers && current_grace.is_some_and(|g| g <= grace) {
        return DeletePlan::Unchanged;
    }
    let mut marked = obj.clone();
    if !deleting || current_grace.is_some_and(|g| grace < g) {
        // Grace periods come from clients: clamp so the timestamp cannot overflow.
        let at = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(
                grace.min(MAX_GRACE_SECONDS),
            ))
            .unwrap_or(jiff::Timestamp::MAX);
        let at = at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        meta::set(&mut marked, "deletionTimestamp", at);
        meta::set(&mut marked, "deletionGracePeriodSeconds", grace);
    }
    meta::set(&mut marked, "finalizers", json!(finalizers));
    if kind == Kind::Namespace {
        marked["status"]["phase"] = json!("Terminating");
    }
    DeletePlan::Mark(marked)
}

/// Sets (or replaces) a status condition.
pub fn set_condition(obj: &mut Value, ty: &str, status: &str, reason: &str, message: &str) {
    let now = meta::now_rfc3339();
    let mut cond =
        json!({"type": ty, "status": status, "lastProbeTime": null, "lastTransitionTime": now});
    if !reason.is_empty() {
        cond["reason"] = json!(reason);
    }
    if !message.is_empty() {
        cond["message"] = json!(message);
    }
    if !obj.get("status").is_some_and(Value::is_object) {
        obj["status"] = json!({});
    }
    let conditions = obj["status"]
        .as_object_mut()
        .expect("status was made an object above")
        .entry("conditions")
        .or_insert_with(|| json!([]));
    if !conditions.is_array() {
        *conditions = json!([]);
    }
    let list = conditions.as_array_mut().expect("made an array above");
    match list
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
    {
        Some(c) if c.get("status").and_then(Value::as_str) == Some(status) => {}
        Some(c) => *c = cond,
        None => list.push(cond),
    }
}

/// The `autoscaling/v1` `Scale` of a workload.
pub fn scale_of(obj: &Value) -> Value {
    let selector = obj
        .pointer("/spec/selector")
        .and_then(|s| crate::api::selector::LabelSelector::from_label_selector_json(s).ok())
        .map(|s| s.to_string())
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta::name(obj),
            "namespace": meta::namespace(obj),
            "uid": meta::uid(obj),
            "resourceVersion": meta::str_at(obj, &["metadata", "resourceVersion"]),
            "creationTimestamp": obj.pointer("/metadata/creationTimestamp"),
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0)},
        "status": {
            "replicas": obj.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0),
            "selector": selector,
        },
    })
}

/// The `Status` kube-apiserver answers a delete with for kinds that do not return the object.
pub fn delete_status(def: &ResourceDef, obj: &Object) -> Value {
    let mut details = json!({"name": meta::name(obj), "kind": def.plural, "uid": meta::uid(obj)});
    if !def.group.is_empty() {
        details["group"] = json!(def.group);
    }
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> DeleteOptions {
        DeleteOptions::default()
    }

    #[test]
    fn objects_differing_only_in_resource_version_are_the_same() {
        let a = json!({"metadata": {"name": "p", "resourceVersion": "5"}, "spec": {"x": 1}});
        let b = json!({"metadata": {"name": "p", "resourceVersion": "9"}, "spec": {"x": 1}});
        let no_rv = json!({"metadata": {"name": "p"}, "spec": {"x": 1}});
        assert!(same_object(&a, &b));
        assert!(same_object(&a, &no_rv) && same_object(&no_rv, &a));
        let other_spec =
            json!({"metadata": {"name": "p", "resourceVersion": "5"}, "spec": {"x": 2}});
        let other_meta =
            json!({"metadata": {"name": "q", "resourceVersion": "5"}, "spec": {"x": 1}});
        let more_meta = json!({"metadata": {"name": "p", "resourceVersion": "5", "labels": {}}, "spec": {"x": 1}});
        let more_fields = json!({"metadata": {"name": "p"}, "spec": {"x": 1}, "status": {}});
        for other in [other_spec, other_meta, more_meta, more_fields] {
            assert!(!same_object(&a, &other), "{other}");
            assert!(!same_object(&other, &a), "{other}");
        }
    }

    #[test]
    fn an_unbound_pod_is_deleted_at_once() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {}});
        assert_eq!(plan_delete(Kind::Pod, &pod, &opts()), DeletePlan::Now);
    }

    #[test]
    fn a_bound_pod_gets_its_grace_period() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1", "terminationGracePeriodSeconds": 12}});
        let DeletePlan::Mark(marked) = plan_delete(Kind::Pod, &pod, &opts()) else {
            panic!("expected a graceful deletion");
        };
        assert_eq!(marked["metadata"]["deletionGracePeriodSeconds"], 12);
        assert!(marked["metadata"]["deletionTimestamp"].is_string());
    }

    #[test]
    fn a_second_delete_with_zero_grace_removes_a_terminating_pod() {
        let pod = json!({"metadata": {"name": "p", "deletionTimestamp": "2026-01-01T00:00:00Z",
            "deletionGracePeriodSeconds": 30}, "spec": {"nodeName": "n1"}});
        let o = DeleteOptions {
            grace_period_seconds: Some(0),
            ..opts()
        };
        assert_eq!(plan_delete(Kind::Pod, &pod, &o), DeletePlan::Now);
    }

    #[test]
    fn foreground_propagation_is_recorded_as_a_finalizer() {
        let d = json!({"metadata": {"name": "d"}});
        let o = DeleteOptions {
            propagation_policy: Some("Foreground".into()),
            ..opts()
        };
        let DeletePlan::Mark(marked) = plan_delete(Kind::Deployment, &d, &o) else {
            panic!("expected the delete to wait for the finalizer");
        };
        assert_eq!(
            marked["metadata"]["finalizers"],
            json!(["foregroundDeletion"])
        );
    }

    #[test]
    fn deleting_a_namespace_marks_it_terminating() {
        let ns = json!({"metadata": {"name": "x"}, "spec": {"finalizers": ["kubernetes"]}});
        let DeletePlan::Mark(marked) = plan_delete(Kind::Namespace, &ns, &opts()) else {
            panic!("expected a pending delete");
        };
        assert_eq!(marked["status"]["phase"], "Terminating");
    }

    #[test]
    fn long_multibyte_prefixes_are_cut_on_a_character_boundary() {
        let n = generate_name(&format!("a{}", "é".repeat(30)));
        assert!(n.len() <= 63);
        assert!(n.starts_with('a'));
    }

    #[test]
    fn huge_grace_periods_do_not_overflow() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1",
            "terminationGracePeriodSeconds": 9_000_000_000_000_i64}});
        assert!(matches!(
            plan_delete(Kind::Pod, &pod, &opts()),
            DeletePlan::Mark(_)
        ));
    }

    #[test]
    fn generated_names_keep_the_prefix_and_add_five_characters() {
        let n = generate_name("web-");
        assert!(n.starts_with("web-"));
        assert_eq!(n.len(), 9);
    }

    #[test]
    fn cluster_ips_skip_used_addresses() {
        let used = std::collections::HashSet::new();
        let ip = pick_cluster_ip(&used).unwrap();
        assert!(ip.starts_with("10.9") || ip.starts_with("10.10") || ip.starts_with("10.11"));
    }
}
