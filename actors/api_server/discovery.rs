//! Discovery: `/version`, legacy discovery (`/api`, `/apis`, `/api/v1`, `/apis/<g>/<v>`) and
//! aggregated discovery (`apidiscovery.k8s.io/v2`), built from the resource registry.

use crate::api::resources::{
    group_version, group_versions, in_group_version, ResourceDef, Subresource,
};
use actix_web::HttpResponse;
use serde_json::{json, Value};

/// The version kubectl's dispatcher reads to pick its bundled client: minor 33 (see
/// KUBECTL_WIRE.md), matching the k8s-openapi feature tutti is built with.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-tutti",
        "gitCommit": env!("CARGO_PKG_VERSION"),
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "rust",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, go_arch()),
    })
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Answers a discovery path, or None when the path is not one.
pub fn serve(path: &str, accept: &str, server_address: &str) -> Option<HttpResponse> {
    let aggregated = accept
        .split(',')
        .any(|t| t.contains("as=APIGroupDiscoveryList") && t.contains("v=v2"));
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body = match segs.as_slice() {
        ["api"] if aggregated => return Some(aggregated_response(&["".to_string()])),
        ["apis"] if aggregated => {
            let groups: Vec<String> = group_versions()
                .into_iter()
                .filter(|(g, _)| !g.is_empty())
                .map(|(g, _)| g.to_string())
                .collect();
            return Some(aggregated_response(&groups));
        }
        ["api"] => json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
        }),
        ["apis"] => json!({
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": group_versions()
                .into_iter()
                .filter(|(g, _)| !g.is_empty())
                .map(|(g, vs)| api_group(g, &vs))
                .collect::<Vec<_>>(),
        }),
        ["apis", group] => {
            let (g, vs) = group_versions().into_iter().find(|(g, _)| g == group)?;
            let mut body = api_group(g, &vs);
            body["kind"] = json!("APIGroup");
            body["apiVersion"] = json!("v1");
            body
        }
        ["api", "v1"] => resource_list("", "v1")?,
        ["apis", group, version] => resource_list(group, version)?,
        _ => return None,
    };
    Some(
        HttpResponse::Ok()
            .content_type("application/json")
            .body(body.to_string()),
    )
}

fn api_group(group: &str, versions: &[&str]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": group_version(group, v), "version": v}))
        .collect();
    json!({"name": group, "versions": vs, "preferredVersion": vs[0]})
}

/// The kind a subresource answers with.
fn sub_kind(def: &ResourceDef, sub: Subresource) -> (&'static str, &'static str, &'static str) {
    match sub {
        Subresource::Scale => ("autoscaling", "v1", "Scale"),
        Subresource::Binding => ("", "v1", "Binding"),
        Subresource::Token => ("authentication.k8s.io", "v1", "TokenRequest"),
        Subresource::Exec => ("", "v1", "PodExecOptions"),
        Subresource::Status | Subresource::Log => (def.group, def.version, def.kind_name),
    }
}

fn resource_list(group: &str, version: &str) -> Option<Value> {
    let defs = in_group_version(group, version);
    if defs.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for d in defs {
        resources.push(json!({
            "name": d.plural,
            "singularName": d.singular,
            "namespaced": d.namespaced,
            "kind": d.kind_name,
            "verbs": d.verbs(),
            "shortNames": d.short_names,
            "categories": d.categories,
        }));
        for &sub in d.subresources {
            let (g, v, k) = sub_kind(d, sub);
            let mut entry = json!({
                "name": format!("{}/{}", d.plural, sub.name()),
                "singularName": "",
                "namespaced": d.namespaced,
                "kind": k,
                "verbs": sub.verbs(),
            });
            if (g, v) != (d.group, d.version) {
                entry["group"] = json!(g);
                entry["version"] = json!(v);
            }
            resources.push(entry);
        }
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version(group, version),
        "resources": resources,
    }))
}

fn aggregated_response(groups: &[String]) -> HttpResponse {
    let all = group_versions();
    let items: Vec<Value> = groups
        .iter()
        .filter_map(|g| all.iter().find(|(name, _)| name == g))
        .map(|(g, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = in_group_version(g, v)
                        .into_iter()
                        .map(aggregated_resource)
                        .collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": versions})
        })
        .collect();
    let body = json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    });
    HttpResponse::Ok()
        .content_type(AGGREGATED)
        .body(body.to_string())
}

fn aggregated_resource(d: &ResourceDef) -> Value {
    let subs: Vec<Value> = d
        .subresources
        .iter()
        .map(|&s| {
            let (g, v, k) = sub_kind(d, s);
            json!({"subresource": s.name(), "responseKind": {"group": g, "version": v, "kind": k},
                   "verbs": s.verbs()})
        })
        .collect();
    let mut r = json!({
        "resource": d.plural,
        "responseKind": {"group": d.group, "version": d.version, "kind": d.kind_name},
        "scope": if d.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": d.singular,
        "verbs": d.verbs(),
    });
    if !d.short_names.is_empty() {
        r["shortNames"] = json!(d.short_names);
    }
    if !d.categories.is_empty() {
        r["categories"] = json!(d.categories);
    }
    if !subs.is_empty() {
        r["subresources"] = json!(subs);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body(resp: HttpResponse) -> Value {
        let bytes = match resp.into_body().try_into_bytes() {
            Ok(b) => b,
            Err(_) => panic!("body is not in memory"),
        };
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn core_resource_list_has_short_names_and_subresources() {
        let list = body(serve("/api/v1", "application/json", "x").unwrap());
        let names: Vec<&str> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"pods/log"));
        assert!(names.contains(&"pods/binding"));
        let pods = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "pods")
            .unwrap();
        assert_eq!(pods["shortNames"], json!(["po"]));
    }

    #[test]
    fn scale_subresources_answer_with_autoscaling_scale() {
        let list = body(serve("/apis/apps/v1", "", "x").unwrap());
        let scale = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "deployments/scale")
            .unwrap();
        assert_eq!(scale["group"], "autoscaling");
        assert_eq!(scale["kind"], "Scale");
    }

    #[test]
    fn aggregated_discovery_is_served_when_asked() {
        let resp = serve(
            "/apis",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
            "x",
        )
        .unwrap();
        assert_eq!(resp.headers().get("content-type").unwrap(), AGGREGATED);
        let list = body(resp);
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["metadata"]["name"] == "apps"));
    }

    #[test]
    fn unknown_groups_are_not_discovery() {
        assert!(serve("/apis/nope/v1", "", "x").is_none());
    }
}
