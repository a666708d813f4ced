//! Progress bars for the command line's long waits (nodes getting Ready, pods getting Running):
//! drawn on stderr, and not at all when stderr is not a terminal (indicatif's stderr target
//! hides itself then), so logs and test output stay clean.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps, `{msg} [{bar:40}] {pos}/{len} {unit} ({elapsed})`, starting with `msg`.
pub fn bar(len: u64, msg: &str, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let template = format!("{{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{elapsed}})");
    bar.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(msg.to_string());
    bar
}
