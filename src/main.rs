//! The `pacts` binary: parse the command line, set up logging, run the subcommand.

use std::process::ExitCode;

use clap::Parser;
use pacts::config::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.settings() {
        Ok(s) => s,
        Err(line) => {
            eprintln!("pacts: {line}");
            return ExitCode::from(2);
        }
    };
    pacts::telemetry::init(&cli.log, cli.log_format);
    pacts::cli::run(cli.command.unwrap_or_default(), settings).await
}
