//! The control loops, one actor each: watch handlers only enqueue keys; a pure reconcile
//! function reads current state and decides; the actor carries the decision out.
//!
//! # Layout
//! - [`namespace`]: a deleted namespace's contents are deleted, then the namespace itself.

pub mod namespace;
