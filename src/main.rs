//! The `svcgen` command line: argument parsing and exit codes. Everything else lives in the
//! library (`src/lib.rs`); each subcommand in `commands/` is a thin adapter over it.

mod commands;
mod ui;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with 2.
    let cli = commands::Cli::parse();
    let ui = ui::Ui::new(cli.color, cli.quiet);
    ExitCode::from(commands::run(cli.command, &ui))
}
