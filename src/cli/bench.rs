//! `tutti bench`: runs a scenario of the benchmark harness and prints its figures.

use super::BenchArgs;
use crate::bench;
use anyhow::{bail, Context as _};
use std::time::Duration;

/// Runs the scenario the arguments name.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.list {
        for (name, about) in bench::SCENARIOS {
            println!("{name:<8} {about}");
        }
        return Ok(());
    }
    let scenario = args.scenario.clone().unwrap_or_default();
    check_flags(&scenario, &args)?;
    let report = match scenario.as_str() {
        "api" => {
            bench::api::run(
                args.ops.unwrap_or(20_000),
                args.concurrency.unwrap_or(64),
                !args.with_control_plane,
            )
            .await?
        }
        "churn" => {
            let rate = args.rate.unwrap_or(100.0);
            if !(rate.is_finite() && rate > 0.0) {
                bail!("--rate must be a positive number of pods per second, not {rate}");
            }
            let duration = args.duration.unwrap_or(Duration::from_secs(60));
            if duration.is_zero() {
                bail!("--duration must be longer than 0s");
            }
            bench::churn::run(bench::churn::Churn {
                nodes: positive("--nodes", args.nodes, 100)?,
                rate,
                duration,
                population: positive("--pods", args.pods, 1_000)?,
            })
            .await?
        }
        "density" => {
            let nodes = positive("--nodes", args.nodes, 1_000)?;
            bench::density::run(nodes, positive("--pods", args.pods, 100_000)?).await?
        }
        // --ops is the replica count on each side.
        "docker" => bench::docker::run(args.ops.unwrap_or(50)).await?,
        "failover" => {
            let nodes = positive("--nodes", args.nodes, 500)?;
            bench::failover::run(nodes, positive("--pods", args.pods, 5_000)?).await?
        }
        // --ops is the pod count; nodes are a tenth of it, as in 5,000 nodes for 50,000 pods.
        "schedule" => {
            let pods = args.ops.unwrap_or(50_000);
            bench::schedule::run((pods / 10).max(1), pods, args.concurrency.unwrap_or(512)).await?
        }
        "store" => {
            bench::store::run(args.ops.unwrap_or(200_000), args.concurrency.unwrap_or(512)).await?
        }
        other => bail!("unknown scenario {other:?} (tutti bench --list shows them)"),
    };
    print!("{}", report.table());
    if let Some(path) = args.output {
        std::fs::write(&path, serde_json::to_string_pretty(&report.json())?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// A count flag's value, or its default; 0 is refused.
fn positive(flag: &str, value: Option<usize>, default: usize) -> anyhow::Result<usize> {
    match value.unwrap_or(default) {
        0 => bail!("{flag} must be at least 1"),
        n => Ok(n),
    }
}

/// Refuses a flag the scenario does not read, rather than ignoring it.
fn check_flags(scenario: &str, args: &BenchArgs) -> anyhow::Result<()> {
    let flags: [(&str, bool, &[&str]); 7] = [
        (
            "--ops",
            args.ops.is_some(),
            &["api", "docker", "schedule", "store"],
        ),
        (
            "--concurrency",
            args.concurrency.is_some(),
            &["api", "schedule", "store"],
        ),
        ("--with-control-plane", args.with_control_plane, &["api"]),
        (
            "--nodes",
            args.nodes.is_some(),
            &["churn", "density", "failover"],
        ),
        (
            "--pods",
            args.pods.is_some(),
            &["churn", "density", "failover"],
        ),
        ("--rate", args.rate.is_some(), &["churn"]),
        ("--duration", args.duration.is_some(), &["churn"]),
    ];
    let known = bench::SCENARIOS.iter().any(|(name, _)| *name == scenario);
    for (flag, given, scenarios) in flags {
        if known && given && !scenarios.contains(&scenario) {
            bail!(
                "{flag} does not apply to {scenario} (it applies to {})",
                scenarios.join(", ")
            );
        }
    }
    Ok(())
}
