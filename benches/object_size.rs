//! `cargo bench --bench object_size`: what one running pod costs in memory as a decoded
//! `serde_json::Value` (the form every cache holds today) and as a compact read-only tree (a
//! prototype of the form issue 5's memory target needs), counted by a global allocator that
//! rounds each allocation up to a size class as mimalloc does. Prints figures; the only check is
//! that the compact tree gives back the pod it was made from.
//!
//! The prototype is one allocation per tree for its nodes (16 bytes each, children contiguous),
//! one for their keys (interned, 4 bytes each) and one for all its strings.

use serde_json::Value;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes and allocations live, each rounded to its size class.
struct Counting;
static BYTES: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// mimalloc-like size classes: 16-byte steps to 128, then eighths of the next power of two.
fn size_class(n: usize) -> usize {
    if n <= 128 {
        n.div_ceil(16) * 16
    } else {
        let step = n.next_power_of_two() / 8;
        n.div_ceil(step) * step
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(size_class(layout.size()), Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES.fetch_sub(size_class(layout.size()), Ordering::Relaxed);
        ALLOCATIONS.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `dealloc` is passed on as it is.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A node of the compact tree: containers name the range of their children.
#[derive(Clone, Copy)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str { start: u32, len: u32 },
    Array { first: u32, len: u32 },
    Object { first: u32, len: u32 },
}

/// A compact read-only JSON tree. Its read API (get, pointer, as_str...) is left for when it
/// is built for real: here only its size matters, and [`Compact::thaw`] shows it lost nothing.
struct Compact {
    nodes: Box<[Node]>,
    /// `keys[i]` names `nodes[i]` inside its object (interned).
    keys: Box<[u32]>,
    text: Box<str>,
}

impl Compact {
    /// The `Value` the tree was made from.
    fn thaw(&self, keys: &Interner) -> Value {
        self.thaw_at(0, keys)
    }

    fn thaw_at(&self, at: usize, keys: &Interner) -> Value {
        let children = |first: u32, len: u32| first as usize..(first + len) as usize;
        match self.nodes[at] {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Int(i) => Value::from(i),
            Node::Float(f) => Value::from(f),
            Node::Str { start, len } => {
                Value::from(&self.text[start as usize..(start + len) as usize])
            }
            Node::Array { first, len } => children(first, len)
                .map(|i| self.thaw_at(i, keys))
                .collect(),
            Node::Object { first, len } => children(first, len)
                .map(|i| (keys.1[self.keys[i] as usize].clone(), self.thaw_at(i, keys)))
                .collect(),
        }
    }
}

/// Keys by id and ids by key.
#[derive(Default)]
struct Interner(HashMap<String, u32>, Vec<String>);

impl Interner {
    fn id(&mut self, key: &str) -> u32 {
        if let Some(id) = self.0.get(key) {
            return *id;
        }
        let id = self.1.len() as u32;
        self.1.push(key.to_string());
        self.0.insert(key.to_string(), id);
        id
    }
}

/// Lays a tree out breadth-first, so that each container's children sit side by side.
fn compact(root: &Value, keys: &mut Interner) -> Compact {
    const NO_KEY: u32 = u32::MAX;
    let (mut nodes, mut names, mut text) = (vec![Node::Null], vec![NO_KEY], String::new());
    let mut queue = VecDeque::from([(0, root)]);
    while let Some((at, value)) = queue.pop_front() {
        let first = nodes.len() as u32;
        nodes[at] = match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => n
                .as_i64()
                .map_or(Node::Float(n.as_f64().unwrap_or(0.0)), Node::Int),
            Value::String(s) => {
                let start = text.len() as u32;
                text.push_str(s);
                Node::Str {
                    start,
                    len: s.len() as u32,
                }
            }
            Value::Array(items) => {
                for item in items {
                    queue.push_back((nodes.len(), item));
                    nodes.push(Node::Null);
                    names.push(NO_KEY);
                }
                Node::Array {
                    first,
                    len: items.len() as u32,
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    queue.push_back((nodes.len(), item));
                    nodes.push(Node::Null);
                    names.push(keys.id(key));
                }
                Node::Object {
                    first,
                    len: map.len() as u32,
                }
            }
        };
    }
    Compact {
        nodes: nodes.into_boxed_slice(),
        keys: names.into_boxed_slice(),
        text: text.into_boxed_str(),
    }
}

/// `n` items from `build`, with the heap bytes and allocations each added.
fn measure<T>(n: usize, mut build: impl FnMut() -> T) -> (Vec<T>, f64, f64) {
    let mut items = Vec::with_capacity(n);
    let (bytes, allocations) = (
        BYTES.load(Ordering::Relaxed),
        ALLOCATIONS.load(Ordering::Relaxed),
    );
    items.extend((0..n).map(|_| build()));
    let per = |now: usize, then: usize| (now - then) as f64 / n as f64;
    let heap = per(BYTES.load(Ordering::Relaxed), bytes);
    let count = per(ALLOCATIONS.load(Ordering::Relaxed), allocations);
    (items, heap, count)
}

fn main() {
    let text = include_str!("running_pod.json");
    let pod: Value = serde_json::from_str(text).expect("the fixture is JSON");
    let json = serde_json::to_vec(&pod).expect("a Value serializes");
    let n = 10_000;
    println!("one running pod (benches/running_pod.json), {n} copies");
    println!("  {:<44} {:>8} bytes", "JSON", json.len());
    let (trees, heap, count) = measure(n, || {
        serde_json::from_slice::<Value>(&json).expect("the pod decodes")
    });
    let value = heap + std::mem::size_of::<Value>() as f64;
    println!(
        "  {:<44} {value:>8.0} bytes, {count:.0} allocations",
        "serde_json::Value (heap + the value)"
    );
    let mut keys = Interner::default();
    let (compacts, heap, count) = {
        let mut next = trees.iter();
        measure(n, || compact(next.next().expect("n trees"), &mut keys))
    };
    let small = heap + std::mem::size_of::<Compact>() as f64;
    println!(
        "  {:<44} {small:>8.0} bytes, {count:.0} allocations ({} keys interned)",
        "compact tree (prototype)",
        keys.1.len()
    );
    println!("  {:<44} {:>8.1}x", "Value / compact", value / small);
    assert_eq!(
        compacts[0].thaw(&keys),
        pod,
        "the compact tree lost something"
    );
    std::hint::black_box((&trees, &compacts));
}
