//! `actas`: serves the app, or with `verify-audit` checks the audit chain.

use server::config::Config;
use server::{verify_audit, Server};
use std::process::ExitCode;

const USAGE: &str = "usage: actas [serve | verify-audit]

  serve          run the web app (the default)
  verify-audit   check the audit log's hash chain; exit code 1 names the first broken link

Settings come from the environment; see the README.";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .init();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("actas: {error}");
            return ExitCode::from(2);
        }
    };
    let command = std::env::args().nth(1);
    match command.as_deref() {
        None | Some("serve") => serve(&config).await,
        Some("verify-audit") => match verify_audit(&config.database_url).await {
            Ok(Ok(count)) => {
                println!("audit chain intact: {count} events verified");
                ExitCode::SUCCESS
            }
            Ok(Err(broken)) => {
                println!("audit chain broken: {broken}");
                ExitCode::from(1)
            }
            Err(error) => {
                eprintln!("actas: {error}");
                ExitCode::from(2)
            }
        },
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("actas: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn serve(config: &Config) -> ExitCode {
    let server = match Server::start(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("actas: {error}");
            return ExitCode::from(1);
        }
    };
    println!("Actas is listening on http://{}", server.addr);
    match server.serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("actas: {error}");
            ExitCode::from(1)
        }
    }
}
