use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use product::config::Config;
use product::{db, healthcheck, seed, server, telemetry};

// `about` is the description in Cargo.toml.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API until SIGTERM or Ctrl-C.
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Exit 0 if the service on this host answers `GET /livez` with 200, else 1.
    Healthcheck {
        #[arg(long, env = "APP_PORT", default_value_t = 8080)]
        port: u16,
    },
    /// Relay the outbox to NATS until SIGTERM or Ctrl-C (`serve` also does it, in-process).
    Relay,
    /// Load sample products (each emits ProductChanged), skipping names that exist, then exit.
    Seed {
        /// A JSON list of product bodies; default: the bundled `seed/products.json`.
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
    // svcgen:anchor commands
}

#[tokio::main]
async fn main() -> ExitCode {
    load_dotenv();
    let cli = Cli::parse();

    if let Command::Healthcheck { port } = cli.command {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        return match healthcheck::probe(addr, "/livez", Duration::from_secs(3)).await {
            Ok(200) => ExitCode::SUCCESS,
            Ok(status) => {
                eprintln!("unhealthy: GET /livez answered {status}");
                ExitCode::FAILURE
            }
            Err(err) => {
                eprintln!("unhealthy: GET /livez failed: {err}");
                ExitCode::FAILURE
            }
        };
    }

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.app_env);

    let result = match cli.command {
        Command::Serve => server::run(config).await.map_err(|err| err.to_string()),
        Command::Migrate => db::migrate(&config.database)
            .await
            .map_err(|err| err.to_string()),
        Command::Healthcheck { .. } => Ok(()),
        Command::Relay => product::events::relay::run_until_signal(&config)
            .await
            .map_err(|err| err.to_string()),
        Command::Seed { ref file } => seed::run(&config.database, file.as_deref())
            .await
            .map(|report| println!("{report}"))
            .map_err(|err| err.to_string()),
        // svcgen:anchor command-run
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "{} failed", command_name(&cli.command));
            ExitCode::FAILURE
        }
    }
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Serve => "serve",
        Command::Migrate => "migrate",
        Command::Healthcheck { .. } => "healthcheck",
        Command::Relay => "relay",
        Command::Seed { .. } => "seed",
        // svcgen:anchor command-names
    }
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
