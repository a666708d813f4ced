//! The HTTP layer: Kubernetes paths to registry calls, content negotiation (JSON, YAML bodies,
//! Table responses), bearer-token authentication, body limits, watch streams. Thin by design:
//! the semantics live in the registry.

use super::discovery;
use super::registry::{
    delete_status, DeleteOptions, Deleted, FieldValidation, ListOptions, Registry, WriteOptions,
    Written,
};
use crate::api::json::Obj;
use crate::api::meta;
use crate::api::patch::PatchType;
use crate::api::resources::{self, Kind, ResourceDef, Subresource};
use crate::api::selector::{FieldSelector, LabelSelector};
use crate::api::status::{ApiError, Result};
use crate::api::table::{self, IncludeObject};
use crate::metrics::Metrics;
use crate::security::Authenticator;
use crate::store::state::{Filter, WatchItem};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// kube-apiserver's request body limit (3 MiB).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// What every request handler shares.
pub struct AppState {
    pub registry: Registry,
    pub auth: Authenticator,
    pub metrics: Metrics,
    /// The address clients reach the server on, for `/api`'s serverAddressByClientCIDRs.
    pub server_address: String,
    /// The nodes of this process that can stream container output (`pods/log`).
    pub nodes: crate::runtime::streams::NodeStreams,
}

/// The resource a path names.
#[derive(Debug)]
pub struct Target {
    pub def: &'static ResourceDef,
    pub namespace: String,
    pub name: Option<String>,
    pub sub: Option<Subresource>,
}

/// Parses `/api/v1/...` and `/apis/<group>/<version>/...` resource paths.
pub fn parse_target(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        // `/namespaces/{ns}/{resource}...`, unless `{resource}` is a namespace subresource.
        ["namespaces", ns, res, tail @ ..]
            if Subresource::parse(res).is_none() || !tail.is_empty() =>
        {
            (ns.to_string(), &rest[2..])
        }
        _ => (String::new(), rest),
    };
    let (plural, name, sub) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(name.to_string()), None),
        [plural, name, sub] => (
            *plural,
            Some(name.to_string()),
            Some(Subresource::parse(sub)?),
        ),
        _ => return None,
    };
    let def = resources::find(group, version, plural)?;
    if !namespace.is_empty() && !def.namespaced {
        return None;
    }
    if let Some(s) = sub {
        if !def.has(s) {
            return None;
        }
    }
    Some(Target {
        def,
        namespace,
        name,
        sub,
    })
}

type Query = HashMap<String, String>;

fn query(req: &HttpRequest) -> Query {
    form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

fn flag(q: &Query, key: &str) -> bool {
    matches!(q.get(key).map(String::as_str), Some("true") | Some("1"))
}

fn json_response(code: u16, body: &Value) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(code).unwrap_or(actix_web::http::StatusCode::OK),
    )
    .content_type("application/json")
    .body(body.to_string())
}

fn with_warnings(mut resp: HttpResponse, warnings: &[String]) -> HttpResponse {
    for w in warnings {
        // The Warning header format (RFC 7234): code, agent, quoted text.
        let text = format!("299 - \"{}\"", w.replace('"', "'"));
        if let Ok(v) = HeaderValue::from_str(&text) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
    resp
}

fn accept(req: &HttpRequest) -> &str {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Whether the client asked for a `meta.k8s.io` Table.
fn wants_table(req: &HttpRequest) -> bool {
    let a = accept(req);
    a.split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
        || (a.contains("as=Table")
            && !a.contains("application/json,")
            && !a.ends_with("application/json"))
}

/// Fails with 406 when the client accepts nothing this server speaks (JSON).
fn check_acceptable(req: &HttpRequest) -> Result<()> {
    let a = accept(req);
    if a.is_empty()
        || a.split(',').any(|t| {
            let t = t.trim();
            t.starts_with("application/json")
                || t.starts_with("*/*")
                || t.starts_with("application/*")
        })
    {
        Ok(())
    } else {
        Err(ApiError::NotAcceptable(
            "application/json, application/yaml".into(),
        ))
    }
}

fn content_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_string()
}

/// Parses a request body as JSON or YAML per its content type.
fn parse_body(req: &HttpRequest, body: &[u8]) -> Result<Value> {
    let ct = content_type(req);
    // kubectl's typed-client commands (`create namespace`, `create deployment`...) send
    // protobuf.
    if crate::api::protobuf::is_protobuf(&ct) {
        return crate::api::protobuf::decode(body).map_err(|e| ApiError::BadRequest(e.to_string()));
    }
    if ct.contains("yaml") {
        serde_yaml::from_slice::<Value>(body)
            .map_err(|e| ApiError::BadRequest(format!("error converting YAML to JSON: {e}")))
    } else {
        serde_json::from_slice::<Value>(body).map_err(|e| {
            ApiError::BadRequest(format!("couldn't get version/kind; json parse error: {e}"))
        })
    }
}

/// Reads the body up to the limit, answering 413 past it.
async fn read_body(mut payload: web::Payload) -> Result<Bytes> {
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("reading body: {e}")))?;
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::TooLarge(format!("limit is {MAX_BODY}")));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn write_options(q: &Query) -> Result<WriteOptions> {
    Ok(WriteOptions {
        validation: FieldValidation::parse(q.get("fieldValidation").map(String::as_str))?,
        dry_run: q.get("dryRun").is_some_and(|v| v == "All"),
    })
}

/// Field selectors kube-apiserver supports, per kind (beyond metadata.name/namespace).
fn selectable_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Pod => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        Kind::Event => &[
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        Kind::Node => &["metadata.name", "spec.unschedulable"],
        Kind::Namespace => &["metadata.name", "status.phase"],
        Kind::Secret => &["metadata.name", "metadata.namespace", "type"],
        Kind::Job => &["metadata.name", "metadata.namespace", "status.successful"],
        Kind::ReplicaSet => &["metadata.name", "metadata.namespace", "status.replicas"],
        _ => &["metadata.name", "metadata.namespace"],
    }
}

/// The filter for `labelSelector` and `fieldSelector`.
fn selector_filter(def: &ResourceDef, q: &Query) -> Result<Option<Filter>> {
    let labels = match q.get("labelSelector").filter(|s| !s.is_empty()) {
        Some(s) => Some(LabelSelector::parse(s).map_err(|e| ApiError::BadRequest(e.to_string()))?),
        None => None,
    };
    let fields = match q.get("fieldSelector").filter(|s| !s.is_empty()) {
        Some(s) => Some(
            FieldSelector::parse_checked(s, selectable_fields(def.kind))
                .map_err(|e| ApiError::BadRequest(e.to_string()))?,
        ),
        None => None,
    };
    if labels.is_none() && fields.is_none() {
        return Ok(None);
    }
    Ok(Some(Box::new(move |obj: Obj| {
        labels
            .as_ref()
            .is_none_or(|l| l.matches(&meta::labels(obj)))
            && fields.as_ref().is_none_or(|f| f.matches(obj))
    })))
}

/// A continue token: base64 of the last key served, as an opaque string.
fn encode_continue(key: &str, rev: u64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"v": "meta.k8s.io/v1", "rv": rev, "start": key}).to_string())
}

/// The key a continue token resumes after, and the revision of the list it continues.
fn decode_continue(token: &str) -> Result<(String, u64)> {
    use base64::Engine;
    let bad = || {
        ApiError::BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)".into())
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let key = v.get("start").and_then(Value::as_str).ok_or_else(bad)?;
    let rv = v.get("rv").and_then(Value::as_u64).ok_or_else(bad)?;
    Ok((key.to_string(), rv))
}

fn include_object(q: &Query) -> IncludeObject {
    match q.get("includeObject").map(String::as_str) {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    }
}

/// The single entry point for every request.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = Instant::now();
    let path = req.path().to_string();
    let open = matches!(path.as_str(), "/healthz" | "/livez" | "/readyz");
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let authenticated = open
        || match state.auth.authenticate(auth) {
            Some(id) => {
                super::token_request::still_bound(&state.registry, id.service_account.as_ref())
                    .await
            }
            None => false,
        };
    let (verb, resource, resp) = if !authenticated {
        ("", String::new(), Err(ApiError::Unauthorized))
    } else {
        route(&req, payload, &state).await
    };
    let resp = resp.unwrap_or_else(|e| json_response(e.code(), &e.to_status()));
    state
        .metrics
        .observe_request(verb, &resource, resp.status().as_u16(), started.elapsed());
    resp
}

async fn route(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> (&'static str, String, Result<HttpResponse>) {
    let path = req.path();
    let method = req.method().clone();
    if method == Method::GET {
        match path.trim_end_matches('/') {
            "/healthz" | "/livez" | "/readyz" => {
                return (
                    "get",
                    String::new(),
                    Ok(HttpResponse::Ok().content_type("text/plain").body("ok")),
                )
            }
            "/version" => {
                return (
                    "get",
                    String::new(),
                    Ok(json_response(200, &discovery::version())),
                )
            }
            "/metrics" => {
                return (
                    "get",
                    String::new(),
                    Ok(HttpResponse::Ok()
                        .content_type("text/plain; version=0.0.4")
                        .body(state.metrics.render() + &state.nodes.render_usage())),
                )
            }
            _ => {}
        }
        if let Some(resp) = discovery::serve(path, accept(req), &state.server_address) {
            return ("get", String::new(), Ok(resp));
        }
        if let Some(resp) = super::openapi::serve(path, accept(req)) {
            return ("get", String::new(), Ok(resp));
        }
    }
    let Some(target) = parse_target(path) else {
        return ("", String::new(), Err(ApiError::NoSuchPath));
    };
    let resource = target.def.plural.to_string();
    if target.sub == Some(Subresource::Exec) {
        // kubectl GETs with a WebSocket upgrade, and POSTs (SPDY) if that fails.
        if method != Method::GET && method != Method::POST {
            return ("", resource, Err(ApiError::MethodNotAllowed));
        }
        let name = target.name.as_deref().unwrap_or("");
        let result = super::exec::serve(req, payload, state, &target.namespace, name).await;
        return ("create", resource, result);
    }
    let q = query(req);
    let is_watch = flag(&q, "watch");
    let verb: &'static str = match (&method, &target.name, target.sub) {
        (&Method::GET, None, _) if is_watch => "watch",
        (&Method::GET, None, _) => "list",
        (&Method::POST, None, _) => "create",
        (&Method::DELETE, None, _) => "deletecollection",
        (&Method::GET, Some(_), _) => "get",
        (&Method::POST, Some(_), Some(Subresource::Binding)) => "create",
        (&Method::POST, Some(_), Some(Subresource::Token)) => "create",
        (&Method::PUT, Some(_), _) => "update",
        (&Method::PATCH, Some(_), _) => "patch",
        (&Method::DELETE, Some(_), None) => "delete",
        _ => return ("", resource, Err(ApiError::MethodNotAllowed)),
    };
    let body = if matches!(
        verb,
        "create" | "update" | "patch" | "delete" | "deletecollection"
    ) {
        match read_body(payload).await {
            Ok(b) => b,
            Err(e) => return (verb, resource, Err(e)),
        }
    } else {
        Bytes::new()
    };
    let result = match check_acceptable(req) {
        Err(e) => Err(e),
        Ok(()) => serve(req, state, &target, verb, &q, &body).await,
    };
    (verb, resource, result)
}

async fn serve(
    req: &HttpRequest,
    state: &AppState,
    t: &Target,
    verb: &str,
    q: &Query,
    body: &[u8],
) -> Result<HttpResponse> {
    let reg = &state.registry;
    let def = t.def;
    let ns = t.namespace.as_str();
    let name = t.name.as_deref().unwrap_or("");
    if def.namespaced && ns.is_empty() && !matches!(verb, "list" | "watch") {
        return Err(ApiError::NoSuchPath);
    }
    match (verb, t.sub) {
        ("list", _) => list(req, state, t, q).await,
        ("watch", _) => watch(req, state, t, q).await,
        ("get", Some(Subresource::Scale)) => {
            Ok(json_response(200, &reg.get_scale(def, ns, name).await?))
        }
        ("get", Some(Subresource::Log)) => pod_log(state, ns, name, q).await,
        ("get", _) => {
            let obj = reg.get(def, ns, name).await?;
            if wants_table(req) {
                let rv = meta::str_at(&obj, &["metadata", "resourceVersion"]).to_string();
                let t = table::table(
                    def.kind,
                    &[&obj],
                    &rv,
                    None,
                    include_object(q),
                    jiff::Timestamp::now(),
                );
                Ok(json_response(200, &t))
            } else {
                Ok(json_response(200, &obj))
            }
        }
        ("create", Some(Subresource::Binding)) => {
            let binding = parse_body(req, body)?;
            Ok(json_response(201, &reg.bind(ns, name, binding).await?))
        }
        ("create", Some(Subresource::Token)) => {
            let key = state
                .auth
                .service_account_key()
                .ok_or(ApiError::NoSuchPath)?;
            let request = parse_body(req, body)?;
            let answer = super::token_request::create(reg, key, ns, name, &request).await?;
            Ok(json_response(201, &answer))
        }
        ("create", _) => {
            let obj = parse_body(req, body)?;
            let written = reg.create(def, ns, obj, &write_options(q)?).await?;
            Ok(written_response(written))
        }
        ("update", Some(Subresource::Scale)) => {
            let desired = parse_body(req, body)?;
            let scale = reg
                .update_scale(def, ns, name, &write_options(q)?, |_| Ok(desired.clone()))
                .await?;
            Ok(json_response(200, &scale))
        }
        ("update", sub) => {
            let obj = parse_body(req, body)?;
            let written = reg
                .update(def, ns, name, sub, obj, &write_options(q)?)
                .await?;
            Ok(written_response(written))
        }
        ("patch", sub) => {
            let ct = content_type(req);
            let patch_type = PatchType::from_content_type(&ct).ok_or_else(|| {
                ApiError::UnsupportedMediaType(
                    "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml".into(),
                )
            })?;
            let patch = if patch_type == PatchType::Apply {
                serde_yaml::from_slice::<Value>(body)
                    .map_err(|e| ApiError::BadRequest(format!("error decoding YAML: {e}")))?
            } else {
                serde_json::from_slice::<Value>(body)
                    .map_err(|e| ApiError::BadRequest(format!("error decoding patch: {e}")))?
            };
            if sub == Some(Subresource::Scale) {
                let scale = reg
                    .update_scale(def, ns, name, &write_options(q)?, |current| {
                        super::registry::apply_patch_to("Scale", current, patch_type, &patch)
                    })
                    .await?;
                return Ok(json_response(200, &scale));
            }
            let mut opts = write_options(q)?;
            if patch_type == PatchType::Apply && q.get("fieldManager").is_none_or(|m| m.is_empty())
            {
                return Err(ApiError::BadRequest(
                    "PATCH /apply requests require a fieldManager".into(),
                ));
            }
            if patch_type == PatchType::Apply {
                // Server-side apply always validates strictly in kube-apiserver.
                opts.validation = FieldValidation::Strict;
            }
            let written = reg
                .patch(def, ns, name, sub, (patch_type, patch), &opts)
                .await?;
            Ok(written_response(written))
        }
        ("delete", _) => {
            let opts = delete_options(req, body, q)?;
            match reg.delete(def, ns, name, &opts).await? {
                Deleted::Pending(obj) => Ok(json_response(200, &obj)),
                Deleted::Gone(obj) => {
                    if matches!(
                        def.kind,
                        Kind::Pod | Kind::Service | Kind::ServiceAccount | Kind::Namespace
                    ) {
                        Ok(json_response(200, &obj))
                    } else {
                        Ok(json_response(200, &delete_status(def, &obj)))
                    }
                }
            }
        }
        ("deletecollection", _) => {
            let opts = delete_options(req, body, q)?;
            let list_opts = ListOptions {
                filter: selector_filter(def, q)?,
                ..Default::default()
            };
            let items = reg.delete_collection(def, ns, list_opts, &opts).await?;
            let items: Vec<Vec<u8>> = items.iter().map(|i| i.to_string().into_bytes()).collect();
            Ok(list_response(def, &items, "", None, None))
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}

fn written_response(w: Written) -> HttpResponse {
    let code = if w.created { 201 } else { 200 };
    with_warnings(json_response(code, &w.object), &w.warnings)
}

fn delete_options(req: &HttpRequest, body: &[u8], q: &Query) -> Result<DeleteOptions> {
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        parse_body(req, body)?
    };
    let grace = body
        .get("gracePeriodSeconds")
        .and_then(Value::as_i64)
        .or_else(|| q.get("gracePeriodSeconds").and_then(|s| s.parse().ok()));
    let policy = body
        .get("propagationPolicy")
        .and_then(Value::as_str)
        .map(String::from)
        .or_else(|| q.get("propagationPolicy").cloned())
        .or_else(|| {
            // The deprecated orphanDependents maps onto a policy.
            match body.get("orphanDependents").and_then(Value::as_bool) {
                Some(true) => Some("Orphan".into()),
                Some(false) => Some("Background".into()),
                None => None,
            }
        });
    if let Some(p) = &policy {
        if !matches!(p.as_str(), "Foreground" | "Background" | "Orphan") {
            return Err(ApiError::BadRequest(format!(
                "propagationPolicy: Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
            )));
        }
    }
    let pre = body.get("preconditions");
    Ok(DeleteOptions {
        grace_period_seconds: grace,
        propagation_policy: policy,
        preconditions: crate::store::Preconditions {
            uid: pre
                .and_then(|p| p.get("uid"))
                .and_then(Value::as_str)
                .map(String::from),
            resource_version: pre
                .and_then(|p| p.get("resourceVersion"))
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok()),
        },
        dry_run: q.get("dryRun").is_some_and(|v| v == "All")
            || body
                .get("dryRun")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|v| v == "All")),
    })
}

/// A list response. The items are spliced in as the store keeps them (JSON bytes): serializing
/// decoded trees was most of a LIST's time (1,000 pods: 2 MB through `serde_json`'s escaping
/// and map walks, ~60 ms of CPU under churn).
fn list_response<B: AsRef<[u8]>>(
    def: &ResourceDef,
    items: &[B],
    rv: &str,
    cont: Option<String>,
    remaining: Option<u64>,
) -> HttpResponse {
    let mut metadata = json!({ "resourceVersion": rv });
    if let Some(c) = cont {
        metadata["continue"] = json!(c);
    }
    if let Some(r) = remaining {
        metadata["remainingItemCount"] = json!(r);
    }
    let head = json!({
        "kind": format!("{}List", def.kind_name),
        "apiVersion": def.api_version(),
        "metadata": metadata,
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(splice_items(&head, items))
}

/// `head` (an object) with an `items` array of already-serialized JSON values appended.
fn splice_items<B: AsRef<[u8]>>(head: &Value, items: &[B]) -> Vec<u8> {
    let size = items.iter().map(|i| i.as_ref().len() + 1).sum::<usize>();
    let mut out = Vec::with_capacity(size + 256);
    // A `Value` always serializes, and `head` is an object: it ends with '}'.
    out.extend_from_slice(head.to_string().as_bytes());
    out.pop();
    out.extend_from_slice(br#","items":["#);
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item.as_ref());
    }
    out.extend_from_slice(b"]}");
    out
}

async fn list(req: &HttpRequest, state: &AppState, t: &Target, q: &Query) -> Result<HttpResponse> {
    let limit: usize = q.get("limit").and_then(|s| s.parse().ok()).unwrap_or(0);
    let (continue_after, first_rv) = match q.get("continue").filter(|c| !c.is_empty()) {
        Some(c) => {
            let (key, rv) = decode_continue(c)?;
            (Some(key), Some(rv))
        }
        None => (None, None),
    };
    let opts = ListOptions {
        filter: selector_filter(t.def, q)?,
        limit,
        continue_after,
    };
    let result = state.registry.list(t.def, &t.namespace, opts).await?;
    // Every page of a paged list reports the first page's revision, so a watch started from
    // it replays whatever changed while the client was paging.
    let list_rv = first_rv.unwrap_or(result.revision);
    let rv = list_rv.to_string();
    let cont = result
        .continue_after
        .as_deref()
        .map(|k| encode_continue(k, list_rv));
    let remaining = cont.as_ref().map(|_| result.remaining);
    if wants_table(req) {
        let values: Vec<_> = result.items.iter().map(|o| o.value()).collect();
        let items: Vec<&Value> = values.iter().map(|o| &**o).collect();
        let body = table::table(
            t.def.kind,
            &items,
            &rv,
            cont.as_deref(),
            include_object(q),
            jiff::Timestamp::now(),
        );
        return Ok(json_response(200, &body));
    }
    let items: Vec<&[u8]> = result.items.iter().map(|o| &o.json()[..]).collect();
    Ok(list_response(t.def, &items, &rv, cont, remaining))
}

/// The log subresource: the output of a pod's container, streamed from its node's runtime.
/// A pod not placed yet, a container not started, or a node that runs no real containers
/// gets kube-apiserver's 400 answers.
async fn pod_log(state: &AppState, ns: &str, name: &str, q: &Query) -> Result<HttpResponse> {
    use crate::runtime::streams::{LogOptions, StreamError};
    let def = resources::storage_def(Kind::Pod);
    let pod = state.registry.get(def, ns, name).await?;
    let node = meta::str_at(&pod, &["spec", "nodeName"]);
    if node.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let containers: Vec<&str> = ["containers", "initContainers"]
        .iter()
        .filter_map(|f| pod.pointer(&format!("/spec/{f}")).and_then(Value::as_array))
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    let container = match q.get("container") {
        Some(c) => c.clone(),
        None if pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .is_some_and(|cs| cs.len() == 1) =>
        {
            containers[0].to_string()
        }
        None => {
            return Err(ApiError::BadRequest(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )))
        }
    };
    if !containers.contains(&container.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    let number = |key: &str| -> Result<Option<u64>> {
        q.get(key)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    ApiError::BadRequest(format!(
                        "{key}: Invalid value: \"{v}\": must be a non-negative integer"
                    ))
                })
            })
            .transpose()
    };
    let options = LogOptions {
        follow: flag(q, "follow"),
        tail_lines: number("tailLines")?,
        timestamps: flag(q, "timestamps"),
        previous: flag(q, "previous"),
        since_seconds: number("sinceSeconds")?,
    };
    let Some(streams) = state.nodes.get(node) else {
        return Err(ApiError::BadRequest(format!(
            "container \"{container}\" in pod \"{name}\" is simulated on node {node}: it has no output"
        )));
    };
    match streams.logs(&pod, &container, &options) {
        Ok(stream) => Ok(HttpResponse::Ok()
            .content_type("text/plain")
            .streaming(stream.map(|chunk| {
                chunk.map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))
            }))),
        Err(StreamError::NotAvailable(message)) => Err(ApiError::BadRequest(message)),
        Err(StreamError::Runtime(message)) => Err(ApiError::Internal(message)),
    }
}

/// The watch stream: chunked JSON lines, one event each, ended by `timeoutSeconds`.
async fn watch(req: &HttpRequest, state: &AppState, t: &Target, q: &Query) -> Result<HttpResponse> {
    let filter = selector_filter(t.def, q)?;
    let from = match q.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(rv) => Some(rv.parse::<u64>().map_err(|_| {
            ApiError::BadRequest(format!(
                "resourceVersion: Invalid value: \"{rv}\": must be a valid integer"
            ))
        })?),
    };
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(1800)
        // kube-apiserver's longest watch is about an hour; this also keeps the deadline
        // arithmetic from overflowing.
        .min(3600);
    let bookmarks = flag(q, "allowWatchBookmarks");
    let as_table = wants_table(req);
    let include = include_object(q);
    let def = t.def;
    let storage = resources::storage_def(def.kind);
    let registry = state.registry.clone();
    let stream_state = match registry
        .watch(storage, &t.namespace, filter, from, bookmarks)
        .await
    {
        Ok((start, rx)) => WatchStream {
            registry: Some((registry, start.id)),
            pending: start.initial.into_iter().map(WatchLine::Item).collect(),
            rx: Some(rx),
            deadline: tokio::time::Instant::now() + Duration::from_secs(timeout),
        },
        // kube-apiserver starts the stream and sends the error as its only event.
        Err(e @ ApiError::Expired { .. }) => WatchStream {
            registry: None,
            pending: VecDeque::new(),
            rx: None,
            deadline: tokio::time::Instant::now(),
        }
        .with_error(e),
        Err(e) => return Err(e),
    };
    let encode = move |item: WatchLine| -> Bytes {
        let line = match item {
            WatchLine::Error(e) => json!({"type": "ERROR", "object": e.to_status()}),
            WatchLine::Item(WatchItem::Bookmark(rv)) => json!({"type": "BOOKMARK", "object": {
                "kind": def.kind_name, "apiVersion": def.api_version(),
                "metadata": {"resourceVersion": rv.to_string()}}}),
            WatchLine::Item(WatchItem::Event(kind, obj, _)) => {
                let obj = crate::api::convert::from_storage(def, &obj).into_owned();
                let object = if as_table {
                    let rv = meta::str_at(&obj, &["metadata", "resourceVersion"]).to_string();
                    table::table(
                        def.kind,
                        &[&obj],
                        &rv,
                        None,
                        include,
                        jiff::Timestamp::now(),
                    )
                } else {
                    obj
                };
                json!({"type": kind.as_str(), "object": object})
            }
        };
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        Bytes::from(bytes)
    };
    let stream = futures_util::stream::unfold(stream_state, |mut s| async move {
        let line = s.next().await?;
        Some((line, s))
    })
    .map(move |line| Ok::<Bytes, actix_web::Error>(encode(line)));
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Transfer-Encoding", "chunked"))
        .streaming(stream))
}

enum WatchLine {
    Item(WatchItem),
    Error(ApiError),
}

/// The state of one watch response; ends the store's watch when dropped (client gone).
struct WatchStream {
    registry: Option<(Registry, u64)>,
    pending: VecDeque<WatchLine>,
    rx: Option<tokio::sync::mpsc::Receiver<WatchItem>>,
    deadline: tokio::time::Instant,
}

impl WatchStream {
    fn with_error(mut self, e: ApiError) -> WatchStream {
        self.pending.push_back(WatchLine::Error(e));
        self
    }

    async fn next(&mut self) -> Option<WatchLine> {
        if let Some(line) = self.pending.pop_front() {
            return Some(line);
        }
        let rx = self.rx.as_mut()?;
        match tokio::time::timeout_at(self.deadline, rx.recv()).await {
            Ok(Some(item)) => Some(WatchLine::Item(item)),
            // Closed by the store (slow consumer) or timed out: end the response.
            Ok(None) | Err(_) => None,
        }
    }
}

impl Drop for WatchStream {
    fn drop(&mut self) {
        if let Some((registry, id)) = self.registry.take() {
            registry.unwatch(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spliced_items_make_the_same_list_as_serializing_it_whole() {
        let head =
            json!({"kind": "PodList", "metadata": {"resourceVersion": "7", "continue": "a\"b"}});
        let pods = [
            json!({"metadata": {"name": "é\n"}}),
            json!({"n": [1, 2.5, null]}),
        ];
        let bytes: Vec<Vec<u8>> = pods.iter().map(|p| p.to_string().into_bytes()).collect();
        let spliced: Value = serde_json::from_slice(&splice_items(&head, &bytes)).unwrap();
        let mut whole = head.clone();
        whole["items"] = json!(pods);
        assert_eq!(spliced, whole);
        let empty: Value = serde_json::from_slice(&splice_items(&head, &[] as &[&[u8]])).unwrap();
        assert_eq!(empty["items"], json!([]));
    }

    #[test]
    fn namespaced_item_paths_parse() {
        let t = parse_target("/apis/apps/v1/namespaces/default/deployments/web/scale").unwrap();
        assert_eq!(t.def.plural, "deployments");
        assert_eq!(t.namespace, "default");
        assert_eq!(t.name.as_deref(), Some("web"));
        assert_eq!(t.sub, Some(Subresource::Scale));
    }

    #[test]
    fn a_namespace_and_its_status_are_not_taken_for_a_collection() {
        let t = parse_target("/api/v1/namespaces/kube-system").unwrap();
        assert_eq!(t.def.plural, "namespaces");
        assert_eq!(t.name.as_deref(), Some("kube-system"));
        let t = parse_target("/api/v1/namespaces/kube-system/status").unwrap();
        assert_eq!(t.sub, Some(Subresource::Status));
        let t = parse_target("/api/v1/namespaces/kube-system/pods").unwrap();
        assert_eq!(t.def.plural, "pods");
        assert_eq!(t.namespace, "kube-system");
        assert_eq!(t.name, None);
    }

    #[test]
    fn cluster_scoped_resources_reject_a_namespace() {
        assert!(parse_target("/api/v1/namespaces/default/nodes").is_none());
        assert!(parse_target("/api/v1/nodes/n1").is_some());
        assert!(parse_target("/api/v1/pods").is_some());
        assert!(parse_target("/apis/apps/v1/namespaces/d/deployments/x/log").is_none());
    }

    #[test]
    fn continue_tokens_round_trip() {
        let token = encode_continue("/core/pods/default/b", 7);
        assert_eq!(
            decode_continue(&token).unwrap(),
            ("/core/pods/default/b".to_string(), 7)
        );
        assert!(decode_continue("garbage!").is_err());
    }
}
