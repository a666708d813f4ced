//! The `tutti` binary: parses the command line and runs the command.

use clap::Parser;
use tutti::cli::{Cli, Command};

// The control plane allocates and frees millions of small JSON trees: glibc's malloc spent a
// third of the scheduling benchmark's CPU in itself (perf). With mimalloc a 10,000-replica
// Deployment on 100 nodes is Available in 12 s instead of 21.5 s, for 36% less CPU and the same
// RSS (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = actix_web::rt::System::new().block_on(async move {
        match cli.command {
            Command::Up(args) => tutti::cli::up::run(args).await,
            Command::Bench(args) => tutti::cli::bench::run(args).await,
            Command::Node(command) => tutti::cli::sim::node(command).await,
            Command::Pod(command) => tutti::cli::sim::pod(command).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
