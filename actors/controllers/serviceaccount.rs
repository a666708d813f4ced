//! The ServiceAccount controller: every namespace has a `default` ServiceAccount, created when
//! the namespace appears and again whenever it is deleted, as kube-controller-manager's
//! serviceaccounts controller does. Tokens for accounts come from the TokenRequest subresource
//! (`actors/api_server/token_request.rs`) and are checked by `security::Authenticator`.

use super::informer::{self, Cache, WatchEnded, Watched};
use crate::actors::api_server::registry::{Registry, WriteOptions};
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::api::status::ApiError;
use actix::prelude::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// The ServiceAccount every namespace gets.
pub const DEFAULT: &str = "default";

/// How long to wait before trying a failed create again.
const RETRY: Duration = Duration::from_secs(1);

/// A create of the `default` ServiceAccount in a namespace finished (`ok`: created or there).
#[derive(Message)]
#[rtype(result = "()")]
struct Created {
    namespace: String,
    ok: bool,
}

/// What to do for one namespace.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// The account exists, or the namespace is going away.
    Nothing,
    /// Create the `default` ServiceAccount.
    CreateDefault,
}

/// Decides for a namespace (None: gone) given whether its `default` account exists.
pub fn reconcile(namespace: Option<&Value>, default_exists: bool) -> Action {
    let Some(ns) = namespace else {
        return Action::Nothing;
    };
    let terminating = !meta::str_at(ns, &["metadata", "deletionTimestamp"]).is_empty()
        || meta::str_at(ns, &["status", "phase"]) == "Terminating";
    if terminating || default_exists {
        Action::Nothing
    } else {
        Action::CreateDefault
    }
}

/// The `default` ServiceAccount of a namespace.
pub fn default_service_account(namespace: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": DEFAULT, "namespace": namespace},
    })
}

/// The ServiceAccount controller actor.
pub struct ServiceAccountController {
    registry: Registry,
    cache: Cache,
    /// Expectations: namespaces whose create is in flight, so a stale cache does not create twice.
    creating: HashSet<String>,
}

impl ServiceAccountController {
    /// A controller acting through the registry.
    pub fn new(registry: Registry) -> ServiceAccountController {
        ServiceAccountController {
            registry,
            cache: Cache::default(),
            creating: HashSet::new(),
        }
    }

    fn filter(kind: Kind) -> Option<informer::SharedFilter> {
        (kind == Kind::ServiceAccount)
            .then(|| Arc::new(|sa: &Value| meta::name(sa) == DEFAULT) as informer::SharedFilter)
    }

    fn sync(&mut self, namespace: &str, ctx: &mut Context<Self>) {
        if self.creating.contains(namespace) {
            return;
        }
        let ns = self.cache.get(Kind::Namespace, "", namespace);
        let exists = self
            .cache
            .get(Kind::ServiceAccount, namespace, DEFAULT)
            .is_some();
        if reconcile(ns.map(|n| &**n), exists) == Action::Nothing {
            return;
        }
        self.creating.insert(namespace.to_string());
        let registry = self.registry.clone();
        let addr = ctx.address();
        let namespace = namespace.to_string();
        actix_rt::spawn(async move {
            let def = storage_def(Kind::ServiceAccount);
            let result = registry
                .create(
                    def,
                    &namespace,
                    default_service_account(&namespace),
                    &WriteOptions::default(),
                )
                .await;
            let ok = match result {
                Ok(_) | Err(ApiError::AlreadyExists { .. }) => true,
                Err(e) => {
                    tracing::debug!(%namespace, error = %e, "cannot create the default ServiceAccount");
                    false
                }
            };
            addr.do_send(Created { namespace, ok });
        });
    }
}

impl Actor for ServiceAccountController {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        for kind in [Kind::Namespace, Kind::ServiceAccount] {
            informer::watch(&self.registry, kind, Self::filter(kind), ctx);
        }
    }
}

impl Handler<Watched> for ServiceAccountController {
    type Result = ();
    fn handle(&mut self, msg: Watched, ctx: &mut Context<Self>) {
        let Some(obj) = self.cache.apply(&msg) else {
            return;
        };
        let namespace = match msg.kind {
            Kind::Namespace => meta::name(&obj),
            _ => meta::namespace(&obj),
        };
        self.sync(namespace, ctx);
    }
}

impl Handler<WatchEnded> for ServiceAccountController {
    type Result = ();
    fn handle(&mut self, msg: WatchEnded, ctx: &mut Context<Self>) {
        self.cache.clear(msg.0);
        informer::watch(&self.registry, msg.0, Self::filter(msg.0), ctx);
    }
}

impl Handler<Created> for ServiceAccountController {
    type Result = ();
    fn handle(&mut self, msg: Created, ctx: &mut Context<Self>) {
        self.creating.remove(&msg.namespace);
        // On success the account's ADDED event follows; a failure is retried later.
        if !msg.ok {
            ctx.run_later(RETRY, move |act, ctx| act.sync(&msg.namespace, ctx));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(phase: &str) -> Value {
        json!({"metadata": {"name": "web"}, "status": {"phase": phase}})
    }

    #[test]
    fn a_new_namespace_gets_a_default_service_account() {
        assert_eq!(reconcile(Some(&ns("Active")), false), Action::CreateDefault);
    }

    #[test]
    fn a_namespace_with_its_default_account_needs_nothing() {
        assert_eq!(reconcile(Some(&ns("Active")), true), Action::Nothing);
    }

    #[test]
    fn a_terminating_or_gone_namespace_gets_no_account() {
        assert_eq!(reconcile(Some(&ns("Terminating")), false), Action::Nothing);
        assert_eq!(reconcile(None, false), Action::Nothing);
    }

    #[test]
    fn the_default_account_is_named_default_in_its_namespace() {
        let sa = default_service_account("web");
        assert_eq!(meta::name(&sa), "default");
        assert_eq!(meta::namespace(&sa), "web");
    }
}
