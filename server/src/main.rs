//! `actas`: serves the app, or with `verify-audit` checks the audit chain.

use app::ssr::hash_chain::ChainAnchor;
use app::ssr::store::VerifyError;
use server::config::Config;
use server::{verify_audit, Server};
use std::process::ExitCode;

const USAGE: &str = "usage: actas [serve | verify-audit [--anchor SEQ:HASH]]

  serve          run the web app (the default)
  verify-audit   check the audit log's hash chain; exit code 1 names the first broken link.
                 Prints the verified head as SEQ:HASH: kept outside the database and given
                 back with --anchor, it also catches a log rewritten with fresh hashes.

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => serve(&config).await,
        ["verify-audit", rest @ ..] => {
            let anchor = match rest {
                [] => None,
                ["--anchor", anchor] => match ChainAnchor::parse(anchor) {
                    Ok(anchor) => Some(anchor),
                    Err(problem) => {
                        eprintln!("actas: {problem}\n\n{USAGE}");
                        return ExitCode::from(2);
                    }
                },
                _ => {
                    eprintln!("actas: unexpected arguments {rest:?}\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            };
            verify(&config, anchor).await
        }
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        [other, ..] => {
            eprintln!("actas: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn verify(config: &Config, anchor: Option<ChainAnchor>) -> ExitCode {
    match verify_audit(&config.database_url, anchor).await {
        Ok(head) => {
            println!("audit chain intact: {} events verified", head.seq);
            println!("head: {head}");
            ExitCode::SUCCESS
        }
        Err(VerifyError::Broken(broken)) => {
            println!("audit chain broken: {broken}");
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("actas: {error}");
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
