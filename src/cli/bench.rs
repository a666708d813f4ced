//! `tutti bench`: runs a scenario of the benchmark harness and prints its figures.

use super::BenchArgs;
use crate::bench;
use anyhow::Context as _;

/// Runs the scenario the arguments name.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.list {
        for (name, about) in bench::SCENARIOS {
            println!("{name:<8} {about}");
        }
        return Ok(());
    }
    let scenario = args.scenario.unwrap_or_default();
    let report = match scenario.as_str() {
        "api" => {
            bench::api::run(
                args.ops.unwrap_or(20_000),
                args.concurrency.unwrap_or(64),
                !args.with_control_plane,
            )
            .await?
        }
        // --ops is the replica count on each side.
        "docker" => bench::docker::run(args.ops.unwrap_or(50)).await?,
        // --ops is the pod count; nodes are a tenth of it, as in 5,000 nodes for 50,000 pods.
        "schedule" => {
            let pods = args.ops.unwrap_or(50_000);
            bench::schedule::run((pods / 10).max(1), pods, args.concurrency.unwrap_or(512)).await?
        }
        "store" => {
            bench::store::run(args.ops.unwrap_or(200_000), args.concurrency.unwrap_or(512)).await?
        }
        other => anyhow::bail!("unknown scenario {other:?} (tutti bench --list shows them)"),
    };
    print!("{}", report.table());
    if let Some(path) = args.output {
        std::fs::write(&path, serde_json::to_string_pretty(&report.json())?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
