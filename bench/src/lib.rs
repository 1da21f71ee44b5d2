//! sapa-load, the load generator behind `scripts/bench`, as a library so its
//! pure parts (the send schedule, the content marker, the percentile
//! summary) are unit-tested; `main.rs` only parses arguments.
//!
//! The tool speaks the sapa protocol over ws:// (and the tutorial's subset of
//! it), runs on one thread (it is pinned to one CPU by `scripts/bench`), and
//! prints one JSON line of results per run.

pub mod cli;
pub mod conn;
pub mod frames;
pub mod host;
pub mod load;
pub mod resume;
pub mod schedule;
pub mod stats;
pub mod usage;
pub mod users;

use anyhow::Result;

use crate::cli::{Cli, Command};

/// Runs the command and prints its report as one JSON line on stdout.
pub async fn run(cli: Cli) -> Result<()> {
    let line = match cli.command {
        Command::Run(args) => serde_json::to_string(&load::run(args).await?)?,
        Command::Resume(args) => serde_json::to_string(&resume::run(args).await?)?,
        Command::Users(common) => serde_json::to_string(&users::prepare(common).await?)?,
    };
    println!("{line}");
    Ok(())
}
