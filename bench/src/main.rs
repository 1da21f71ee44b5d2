//! `sapa-load`: parses the command line and runs it on a single-threaded
//! runtime (the benchmark gives the tool one CPU of its own; one thread
//! avoids cross-thread wake-ups on it).

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = sapa_bench::cli::Cli::parse();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(sapa_bench::run(cli))
}
