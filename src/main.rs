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
    svcgen::apply::interrupt::install();
    let code = commands::run(cli.command, &ui);
    // A signal that arrived while files were written ends the process as the signal would have,
    // once the write is undone.
    let code = match svcgen::apply::interrupt::received() {
        Some(signal) => 128 + signal as u8,
        None => code,
    };
    ExitCode::from(code)
}
