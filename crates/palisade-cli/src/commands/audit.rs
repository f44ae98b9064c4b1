//! `palisade audit`: the audit log's hash chain.

use super::{app_error, open};
use crate::config::Settings;
use anyhow::Result;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; exit 0 if intact, 1 naming the first bad entry otherwise.
    Verify {
        /// An `ENTRY:HASH` printed by an earlier run and kept outside the database; proves the
        /// history up to that entry was not rewritten. May be repeated.
        #[arg(long = "anchor", value_parser = parse_anchor)]
        anchors: Vec<(i64, String)>,
    },
}

impl AuditCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        match self {
            Self::Verify { anchors } => {
                let app = open(settings).await?;
                match app.verify_audit(&anchors).await.map_err(app_error)? {
                    Ok((n, seq, hash)) => {
                        println!("Audit chain intact: {n} entries verified.");
                        if seq > 0 {
                            println!(
                                "Anchor (keep it outside the database; pass it to later runs with --anchor): {seq}:{hash}"
                            );
                        }
                    }
                    Err(b) => {
                        eprintln!("Audit chain BROKEN at entry {}: {}", b.seq, b.reason);
                        return Ok(ExitCode::from(1));
                    }
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn parse_anchor(s: &str) -> std::result::Result<(i64, String), String> {
    let (seq, hash) = s
        .split_once(':')
        .ok_or("expected ENTRY:HASH, for example 1200:3fa9...")?;
    let seq = seq
        .trim()
        .parse::<i64>()
        .map_err(|_| format!("'{seq}' is not an entry number"))?;
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("the hash must be 64 hexadecimal characters".into());
    }
    Ok((seq, hash))
}
