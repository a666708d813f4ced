//! `cargo bench --bench object_size`: what one running pod costs in memory as a decoded
//! `serde_json::Value` (the form requests and watch events carry) and as a [`Compact`] tree (the
//! form the caches hold pods in), counted by a global allocator that rounds each allocation up
//! to a size class as mimalloc does. Prints figures; the only check is that the compact tree
//! gives back the pod it was made from.

use serde_json::Value;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use tutti::api::compact::Compact;

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
    let (compacts, heap, count) = {
        let mut next = trees.iter();
        measure(n, || {
            Compact::from_value(next.next().expect("n trees")).expect("a pod fits")
        })
    };
    let small = heap + std::mem::size_of::<Compact>() as f64;
    println!(
        "  {:<44} {small:>8.0} bytes, {count:.0} allocations",
        "tutti::api::compact::Compact (heap + the tree)"
    );
    println!("  {:<44} {:>8.1}x", "Value / Compact", value / small);
    assert_eq!(
        compacts[0].to_value(),
        pod,
        "the compact tree lost something"
    );
    std::hint::black_box((&trees, &compacts));
}
