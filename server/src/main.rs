//! `actas`: serves the app, and the operator's commands (`actas --help`).

use app::ssr::hash_chain::ChainAnchor;
use app::ssr::store::VerifyError;
use clap::{Parser, Subcommand};
use server::config::Config;
use server::{create_owner, migrate, verify_audit, verify_receipt, ReceiptCheckError, Server};
use std::process::ExitCode;

/// Actas: consent-based "act as this user" for support teams. Settings come from the
/// environment (DATABASE_URL, ACTAS_ADDR, ACTAS_DEMO, …); see the README.
#[derive(Parser)]
#[command(name = "actas", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web app (the default).
    Serve,
    /// Create an owner account and print its one-time Set password link (valid 24 hours).
    /// The way to the first account on a database without demo accounts (ACTAS_DEMO=0).
    CreateOwner {
        /// The owner's email: they sign in with it.
        #[arg(long)]
        email: String,
        /// The owner's name, as others see it.
        #[arg(long)]
        name: String,
    },
    /// Check the audit log's hash chain; exit status 1 names the first broken link. Prints
    /// the verified head as SEQ:HASH: kept outside the database and given back with
    /// --anchor, it also catches a log rewritten with fresh hashes.
    VerifyAudit {
        /// A head printed by an earlier run, SEQ:HASH.
        #[arg(long, value_name = "SEQ:HASH", value_parser = ChainAnchor::parse)]
        anchor: Option<ChainAnchor>,
    },
    /// Check a session's receipt (downloaded with `Download receipt`) against the audit log;
    /// exit status 1 names the first event that differs, a receipt that does not link, an
    /// event's time or sentence that is not what it hashes, a header field that is not the
    /// session's, an event of the session the receipt leaves out, or a log cut back below the
    /// receipt's chain head.
    VerifyReceipt {
        /// The receipt, a JSON file.
        file: std::path::PathBuf,
    },
    /// Create the database if needed and apply its migrations, then exit.
    Migrate,
}

/// Rendering a page allocates many small, short-lived values, across the runtime's threads:
/// with glibc's allocator, malloc and free took about a sixth of the server's time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
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
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::CreateOwner { email, name } => match create_owner(&config, &email, &name).await {
            Ok(link) => {
                println!(
                    "Owner {email} created. Their one-time Set password link (valid 24 hours):"
                );
                println!("  {link}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("actas: {error}");
                ExitCode::from(1)
            }
        },
        Command::VerifyAudit { anchor } => verify(&config, anchor).await,
        Command::VerifyReceipt { file } => check_receipt(&config, &file).await,
        Command::Migrate => match migrate(&config).await {
            Ok(()) => {
                println!("migrations applied");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("actas: {error}");
                ExitCode::from(1)
            }
        },
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

async fn check_receipt(config: &Config, file: &std::path::Path) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("actas: cannot read {}: {error}", file.display());
            return ExitCode::from(2);
        }
    };
    match verify_receipt(&config.database_url, &text).await {
        Ok(events) => {
            println!("receipt holds: it is the whole session up to its chain head, its {events} events are in the audit log as they were, and the chain is intact");
            ExitCode::SUCCESS
        }
        Err(ReceiptCheckError::Store(error)) => {
            eprintln!("actas: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            println!("receipt does not hold: {error}");
            ExitCode::from(1)
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
