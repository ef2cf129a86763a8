//! Terminal output for the CLI: cargo-style status lines and errors on stderr, colour only when
//! it can be seen and is wanted (`--color`, `NO_COLOR`, not a terminal).

use std::io::IsTerminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub struct Ui {
    color: bool,
    quiet: bool,
}

const GREEN: &str = "\x1b[1;32m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BOLD: &str = "\x1b[1m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

impl Ui {
    pub fn new(choice: ColorChoice, quiet: bool) -> Ui {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stderr().is_terminal(),
        };
        Ui { color, quiet }
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    /// `    Created catalog ...`: a right-aligned verb, like cargo.
    pub fn status(&self, verb: &str, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{} {message}", self.paint(GREEN, &format!("{verb:>12}")));
        }
    }

    /// A status line that needs the reader's attention (a conflict), in yellow.
    pub fn attention(&self, verb: &str, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{} {message}", self.paint(YELLOW, &format!("{verb:>12}")));
        }
    }

    pub fn warn(&self, message: impl std::fmt::Display) {
        eprintln!("{}: {message}", self.paint(YELLOW, "warning"));
    }

    pub fn error(&self, error: &svcgen::Error) {
        let mut text = error.to_string();
        let mut cause = std::error::Error::source(error);
        // Io and Git errors already print their source; only add causes not yet in the text.
        while let Some(inner) = cause {
            let inner_text = inner.to_string();
            if !text.contains(&inner_text) {
                text.push_str(&format!(": {inner_text}"));
            }
            cause = inner.source();
        }
        eprintln!("{}: {text}", self.paint(RED, "error"));
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint(BOLD, text)
    }

    /// `error: message` for one of several problems reported before the command fails.
    pub fn problem(&self, message: impl std::fmt::Display) {
        eprintln!("{}: {message}", self.paint(RED, "error"));
    }

    /// A unified diff on stderr, removed lines red and added lines green when colour is on.
    pub fn diff(&self, diff: &str) {
        for line in diff.lines() {
            let styled = if line.starts_with("+++") || line.starts_with("---") {
                self.paint(BOLD, line)
            } else if line.starts_with('+') {
                self.paint(GREEN, line)
            } else if line.starts_with('-') {
                self.paint(RED, line)
            } else if line.starts_with("@@") {
                self.paint(CYAN, line)
            } else {
                line.to_owned()
            };
            eprintln!("    {styled}");
        }
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }
}
