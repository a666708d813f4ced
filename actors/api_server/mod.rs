//! The API server: the Kubernetes REST API over HTTPS, and an actor through which in-process
//! components reach the same verbs.
//!
//! # Layout
//! - [`registry`]: the verbs with kube-apiserver's semantics (create, update, patch, delete...).
//! - [`http`]: paths, content negotiation, authentication, watch streams.
//! - [`discovery`]: `/version`, `/api`, `/apis` (legacy and aggregated).
//! - [`openapi`]: the minimal `/openapi/v3` kubectl needs.
//! - [`token_request`]: ServiceAccount tokens (`serviceaccounts/<name>/token`).
//! - [`exec`]: `pods/exec` over the `v5.channel.k8s.io` WebSocket protocol.

pub mod discovery;
pub mod exec;
pub mod http;
pub mod openapi;
pub mod registry;
pub mod token_request;

use crate::api::resources::{storage_def, Kind, ResourceDef};
use crate::api::status::{ApiError, Result};
use actix::prelude::*;
use registry::{Registry, WriteOptions};
use serde_json::{json, Value};

/// Creates an object (as `POST` does).
#[derive(Message)]
#[rtype(result = "Result<Value>")]
pub struct Create {
    pub def: &'static ResourceDef,
    pub namespace: String,
    pub object: Value,
}

/// Reads an object (as `GET` does).
#[derive(Message)]
#[rtype(result = "Result<Value>")]
pub struct Get {
    pub def: &'static ResourceDef,
    pub namespace: String,
    pub name: String,
}

/// The API server actor: a shell over the [`Registry`] for in-process callers.
pub struct ApiServer {
    registry: Registry,
}

impl ApiServer {
    /// An actor serving the registry's verbs.
    pub fn new(registry: Registry) -> ApiServer {
        ApiServer { registry }
    }
}

impl Actor for ApiServer {
    type Context = Context<Self>;
}

impl Handler<Create> for ApiServer {
    type Result = ResponseFuture<Result<Value>>;
    fn handle(&mut self, msg: Create, _: &mut Context<Self>) -> Self::Result {
        let registry = self.registry.clone();
        Box::pin(async move {
            let w = registry
                .create(
                    msg.def,
                    &msg.namespace,
                    msg.object,
                    &WriteOptions::default(),
                )
                .await?;
            Ok(w.object)
        })
    }
}

impl Handler<Get> for ApiServer {
    type Result = ResponseFuture<Result<Value>>;
    fn handle(&mut self, msg: Get, _: &mut Context<Self>) -> Self::Result {
        let registry = self.registry.clone();
        Box::pin(async move { registry.get(msg.def, &msg.namespace, &msg.name).await })
    }
}

/// The namespaces every cluster has from the start.
pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// Creates the system namespaces that do not exist yet.
pub async fn bootstrap(api: &Addr<ApiServer>) -> Result<()> {
    let def = storage_def(Kind::Namespace);
    for name in SYSTEM_NAMESPACES {
        let exists = api
            .send(Get {
                def,
                namespace: String::new(),
                name: name.to_string(),
            })
            .await
            .map_err(|_| ApiError::Unavailable("API server actor stopped".into()))?;
        match exists {
            Ok(_) => continue,
            Err(ApiError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let created = api
            .send(Create {
                def,
                namespace: String::new(),
                object: json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
            })
            .await
            .map_err(|_| ApiError::Unavailable("API server actor stopped".into()))?;
        match created {
            Ok(_) | Err(ApiError::AlreadyExists { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A registry on an in-memory store with the system namespaces, for actor tests.
#[cfg(test)]
pub async fn in_memory_registry() -> Registry {
    use crate::actors::store::{StoreActor, StoreClient, StoreConfig};
    let store = StoreActor::open(
        Box::new(crate::store::MemoryBackend::default()),
        StoreConfig::default(),
    )
    .expect("an empty memory store opens")
    .start();
    let registry = Registry::new(StoreClient::new(store));
    bootstrap(&ApiServer::new(registry.clone()).start())
        .await
        .expect("bootstrap on an empty store");
    registry
}
