use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use catalog::config::Config;
use catalog::{db, healthcheck, server, telemetry};

// `about` is the description in Cargo.toml.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: CliCommand,
}

#[derive(Debug, Subcommand)]
enum CliCommand {
    #[command(flatten)]
    Service(Command),
    /// Exit 0 if the service on this host answers `GET /livez` with 200, else 1.
    Healthcheck {
        #[arg(long, env = "APP_PORT", default_value_t = 8081)]
        port: u16,
    },
    /// Print the OpenAPI document `/openapi.json` serves (`make api` writes it to
    /// api/openapi.json).
    Openapi,
}

/// The commands that run the service, with its configuration.
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API until SIGTERM or Ctrl-C.
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Copy every product from product's API (PRODUCT_URL) into the read model, then exit.
    /// `serve` does it by itself on a database no backfill has finished on.
    Backfill,
    // svcgen:anchor commands
}

#[tokio::main]
async fn main() -> ExitCode {
    load_dotenv();
    let cli = Cli::parse();

    let command = match cli.command {
        // The container's probe reads no configuration: it only asks the running service.
        CliCommand::Healthcheck { port } => return healthcheck(port).await,
        // Nor does the contract: it comes from the code alone.
        CliCommand::Openapi => {
            print!("{}", catalog::http::openapi_json());
            return ExitCode::SUCCESS;
        }
        CliCommand::Service(command) => command,
    };

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{}", with_causes(&err));
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.app_env);

    let result = match command {
        Command::Serve => server::run(config).await.map_err(|err| with_causes(&err)),
        Command::Migrate => db::migrate(&config.database)
            .await
            .map_err(|err| with_causes(&err)),
        Command::Backfill => catalog::backfill::run_command(&config)
            .await
            .map(drop)
            .map_err(|err| with_causes(&err)),
        // svcgen:anchor command-run
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "{} failed", command_name(&command));
            ExitCode::FAILURE
        }
    }
}

async fn healthcheck(port: u16) -> ExitCode {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match healthcheck::probe(addr, "/livez", Duration::from_secs(3)).await {
        Ok(200) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("unhealthy: GET /livez answered {status}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("unhealthy: GET /livez failed: {}", with_causes(&err));
            ExitCode::FAILURE
        }
    }
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Serve => "serve",
        Command::Migrate => "migrate",
        Command::Backfill => "backfill",
        // svcgen:anchor command-names
    }
}

/// The error and each of its causes, `error: cause: cause`, since the outermost message alone
/// may not say why. Many errors already end with their cause's message (sqlx's "error
/// communicating with database: Connection refused"); a cause already said is not repeated.
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(err) = cause {
        let message = err.to_string();
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = err.source();
    }
    text
}

/// Reads `.env` outside production; real environment variables win over it.
fn load_dotenv() {
    if std::env::var("APP_ENV").is_ok_and(|env| env == "production") {
        return;
    }
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("warning: ignoring .env: {err}");
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::with_causes;

    /// An error saying `message`, caused by `cause`.
    #[derive(Debug)]
    struct Failed {
        message: &'static str,
        cause: Option<Box<Failed>>,
    }

    impl fmt::Display for Failed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.message)
        }
    }

    impl std::error::Error for Failed {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.cause.as_deref().map(|c| c as _)
        }
    }

    fn failed(message: &'static str, cause: Option<Failed>) -> Failed {
        Failed {
            message,
            cause: cause.map(Box::new),
        }
    }

    #[test]
    fn every_cause_is_said_once() {
        let refused = failed("connection refused", None);
        let io = failed(
            "error communicating with database: connection refused",
            Some(refused),
        );
        let err = failed("migrate failed", Some(io));
        assert_eq!(
            with_causes(&err),
            "migrate failed: error communicating with database: connection refused"
        );
        assert_eq!(with_causes(&failed("alone", None)), "alone");
    }
}
