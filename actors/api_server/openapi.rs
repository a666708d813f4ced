//! A minimal but valid `/openapi/v3`: enough for kubectl to see that every resource takes
//! `fieldValidation` (so it validates on the server, see KUBECTL_WIRE.md). Schemas are not
//! published: kubectl then computes apply patches from its compiled-in types.

use crate::api::resources::{group_versions, in_group_version, ResourceDef};
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// A stable hash of a document, for `serverRelativeURL` cache busting.
fn hash(doc: &Value) -> String {
    // FNV-1a: stable across builds, unlike std's randomized hasher.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in doc.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016X}")
}

fn operation(def: &ResourceDef) -> Value {
    json!({
        "operationId": format!("patch{}", def.kind_name),
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": def.group, "version": def.version, "kind": def.kind_name},
        "parameters": [
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": true}},
        ],
        "responses": {"200": {"description": "OK"}},
    })
}

fn document(group: &str, version: &str) -> Option<Value> {
    let defs = in_group_version(group, version);
    if defs.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    for d in defs {
        let base = format!("/{}", gv_path(group, version));
        let item = if d.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", d.plural)
        } else {
            format!("{base}/{}/{{name}}", d.plural)
        };
        let op = operation(d);
        paths.insert(
            item,
            json!({"patch": op.clone(), "put": op.clone(), "post": op}),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

/// `/openapi/v2` as an empty document: kubectl reads it (as protobuf) to validate the items of
/// a `List` on the client, and skips validation for kinds the document does not define, which
/// leaves validation to the server (which validates strictly, as kubectl asks).
fn serve_v2(accept: &str) -> HttpResponse {
    if accept.contains("protobuf") {
        // An openapi_v2.Document protobuf with only `swagger: "2.0"` (field 1).
        HttpResponse::Ok()
            .content_type("application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            .body(&b"\x0a\x032.0"[..])
    } else {
        HttpResponse::Ok().content_type("application/json").body(
            json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.33.0"},
                   "paths": {}, "definitions": {}})
            .to_string(),
        )
    }
}

/// Answers an `/openapi/...` path, or None when the path is not one.
pub fn serve(path: &str, accept: &str) -> Option<HttpResponse> {
    if path.trim_end_matches('/') == "/openapi/v2" {
        return Some(serve_v2(accept));
    }
    let rest = path.trim_matches('/').strip_prefix("openapi/v3")?;
    let rest = rest.trim_start_matches('/');
    let body = if rest.is_empty() {
        let mut index = Map::new();
        for (g, versions) in group_versions() {
            for v in versions {
                let doc = document(g, v)?;
                index.insert(
                    gv_path(g, v),
                    json!({"serverRelativeURL": format!("/openapi/v3/{}?hash={}", gv_path(g, v), hash(&doc))}),
                );
            }
        }
        json!({ "paths": index })
    } else {
        let segs: Vec<&str> = rest.split('/').collect();
        match segs.as_slice() {
            ["api", v] => document("", v)?,
            ["apis", g, v] => document(g, v)?,
            _ => return None,
        }
    };
    Some(
        HttpResponse::Ok()
            .content_type("application/json")
            .body(body.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_version_document_is_indexed() {
        for (g, vs) in group_versions() {
            for v in vs {
                let doc = document(g, v).unwrap();
                assert!(doc["paths"].as_object().unwrap().values().all(|p| {
                    p["patch"]["parameters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|x| x["name"] == "fieldValidation")
                }));
            }
        }
    }
}
