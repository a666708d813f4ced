//! The namespace controller: when a namespace is being deleted (Terminating), delete every
//! object in it, then remove the `kubernetes` finalizer from its `spec.finalizers` so the API
//! server removes it, as kube-controller-manager's namespace controller does.

use crate::actors::api_server::registry::{DeleteOptions, ListOptions, Registry, WriteOptions};
use crate::api::meta;
use crate::api::resources::{storage_def, Kind, RESOURCES};
use crate::api::status::ApiError;
use crate::store::state::WatchItem;
use crate::store::EventType;
use actix::prelude::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

/// The finalizer the namespace controller owns in `spec.finalizers`.
pub const FINALIZER: &str = "kubernetes";

/// How long to wait before looking again at a namespace whose contents are still going away.
const RETRY: Duration = Duration::from_millis(500);

/// What to do with a namespace.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// It is not being deleted, or our finalizer is gone already.
    Nothing,
    /// Delete what is left in it, then look again.
    DeleteContents,
    /// It is empty: remove our finalizer (the API server then removes the namespace).
    Finalize,
}

/// Decides from the namespace and how many objects it still holds.
pub fn reconcile(ns: &Value, remaining: usize) -> Action {
    let deleting = !meta::str_at(ns, &["metadata", "deletionTimestamp"]).is_empty();
    let ours = ns
        .pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|x| x == FINALIZER));
    match (deleting && ours, remaining) {
        (false, _) => Action::Nothing,
        (true, 0) => Action::Finalize,
        (true, _) => Action::DeleteContents,
    }
}

/// A namespace finished (gone, or nothing to do).
#[derive(Message)]
#[rtype(result = "()")]
struct Finished(String);

/// The namespace controller actor.
pub struct NamespaceController {
    registry: Registry,
    /// Namespaces with a finalization task running.
    working: HashSet<String>,
}

impl NamespaceController {
    /// A controller acting through the registry.
    pub fn new(registry: Registry) -> NamespaceController {
        NamespaceController {
            registry,
            working: HashSet::new(),
        }
    }

    fn watch(&self, ctx: &mut Context<Self>) {
        let registry = self.registry.clone();
        let def = storage_def(Kind::Namespace);
        async move { registry.watch(def, "", None, None, false).await }
            .into_actor(self)
            .map(|result, _, ctx: &mut Context<Self>| match result {
                Ok((start, rx)) => {
                    let initial = futures_util::stream::iter(start.initial);
                    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
                        rx.recv().await.map(|item| (item, rx))
                    });
                    ctx.add_stream(futures_util::StreamExt::chain(initial, rest));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "namespace controller cannot watch; retrying");
                    ctx.run_later(RETRY, |act, ctx| act.watch(ctx));
                }
            })
            .wait(ctx);
    }
}

impl Actor for NamespaceController {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.watch(ctx);
    }
}

impl StreamHandler<WatchItem> for NamespaceController {
    fn handle(&mut self, item: WatchItem, ctx: &mut Context<Self>) {
        let WatchItem::Event(kind, ns, _) = item else {
            return;
        };
        if kind == EventType::Deleted || reconcile(&ns, 1) == Action::Nothing {
            return;
        }
        let name = meta::name(&ns).to_string();
        if !self.working.insert(name.clone()) {
            return;
        }
        let registry = self.registry.clone();
        let addr = ctx.address();
        actix_rt::spawn(async move {
            if let Err(e) = finalize(&registry, &name).await {
                tracing::warn!(namespace = %name, error = %e, "namespace deletion stopped");
            }
            addr.do_send(Finished(name));
        });
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        // The store closed the watch (we fell behind): watch again from the current state.
        self.watch(ctx);
    }
}

impl Handler<Finished> for NamespaceController {
    type Result = ();
    fn handle(&mut self, msg: Finished, _: &mut Context<Self>) {
        self.working.remove(&msg.0);
    }
}

/// Deletes a terminating namespace's contents until none is left, then finalizes it.
async fn finalize(registry: &Registry, name: &str) -> Result<(), ApiError> {
    let ns_def = storage_def(Kind::Namespace);
    loop {
        let ns = match registry.get(ns_def, "", name).await {
            Ok(ns) => ns,
            Err(ApiError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut remaining = 0;
        let mut contents = Vec::new();
        for def in RESOURCES.iter().filter(|d| d.namespaced && d.storage) {
            let items = registry
                .list(def, name, ListOptions::default())
                .await?
                .items;
            remaining += items.len();
            contents.push((def, items));
        }
        match reconcile(&ns, remaining) {
            Action::Nothing => return Ok(()),
            Action::DeleteContents => {
                for (def, items) in contents {
                    for item in items.iter().map(|i| i.value()) {
                        let deleting =
                            !meta::str_at(&item, &["metadata", "deletionTimestamp"]).is_empty();
                        if deleting {
                            continue;
                        }
                        match registry
                            .delete(def, name, meta::name(&item), &DeleteOptions::default())
                            .await
                        {
                            Ok(_) | Err(ApiError::NotFound { .. }) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                actix_rt::time::sleep(RETRY).await;
            }
            Action::Finalize => {
                let mut finalized = ns.clone();
                let left: Vec<Value> = ns
                    .pointer("/spec/finalizers")
                    .and_then(Value::as_array)
                    .map(|f| f.iter().filter(|x| *x != FINALIZER).cloned().collect())
                    .unwrap_or_default();
                finalized["spec"]["finalizers"] = json!(left);
                match registry
                    .update(ns_def, "", name, None, finalized, &WriteOptions::default())
                    .await
                {
                    Ok(_) | Err(ApiError::NotFound { .. }) => return Ok(()),
                    // Someone changed it meanwhile: look again.
                    Err(ApiError::Conflict { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(deleting: bool, finalizers: &[&str]) -> Value {
        let mut n = json!({"metadata": {"name": "x"}, "spec": {"finalizers": finalizers}});
        if deleting {
            n["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        n
    }

    #[test]
    fn a_live_namespace_is_left_alone() {
        assert_eq!(reconcile(&ns(false, &["kubernetes"]), 3), Action::Nothing);
    }

    #[test]
    fn a_terminating_namespace_with_contents_has_them_deleted() {
        assert_eq!(
            reconcile(&ns(true, &["kubernetes"]), 3),
            Action::DeleteContents
        );
    }

    #[test]
    fn an_empty_terminating_namespace_is_finalized() {
        assert_eq!(reconcile(&ns(true, &["kubernetes"]), 0), Action::Finalize);
    }

    #[test]
    fn a_namespace_whose_finalizer_is_gone_needs_nothing() {
        assert_eq!(reconcile(&ns(true, &[]), 0), Action::Nothing);
    }
}
