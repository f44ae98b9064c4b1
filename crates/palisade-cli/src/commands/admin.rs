//! `palisade admin`: people and API tokens.

use super::{app_error, open};
use crate::config::Settings;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use palisade_app::Actor;
use palisade_domain::people::Role;
use std::io::Read;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a person with a role; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// national_admin, national_analyst, org_lead, org_member or auditor.
        #[arg(long)]
        role: String,
        /// The organisation code, for roles held in an organisation.
        #[arg(long)]
        org: Option<String>,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Create an API token for a person; the token is printed alone on the last line.
    CreateToken {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "command line")]
        label: String,
    },
    /// Link an identity at an OpenID Connect provider (its issuer and subject) to a person, who
    /// may then sign in with it.
    LinkIdentity {
        #[arg(long)]
        email: String,
        /// The provider's issuer, exactly as its tokens name it.
        #[arg(long)]
        issuer: String,
        /// The person's `sub` at that provider.
        #[arg(long)]
        subject: String,
    },
}

impl AdminCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        match self {
            Self::CreateUser {
                email,
                name,
                role,
                org,
                password_stdin: _,
            } => {
                let role: Role = role
                    .parse()
                    .map_err(|m: String| anyhow::anyhow!("--role: {m}"))?;
                let mut password = String::new();
                std::io::stdin()
                    .read_to_string(&mut password)
                    .context("cannot read the password from standard input")?;
                let password = password.trim_end_matches(['\r', '\n']).to_string();
                if password.is_empty() {
                    bail!("no password on standard input");
                }
                let app = open(settings).await?;
                let input = palisade_app::people::NewPersonInput {
                    email,
                    name,
                    password,
                };
                let user = app
                    .create_person(&Actor::cli(), &input, role, org.as_deref())
                    .await
                    .map_err(app_error)?;
                println!("Created {} ({}) as {}.", user.email, user.id, role.as_str());
            }
            Self::CreateToken { email, label } => {
                let app = open(settings).await?;
                let user = app.find_person_by_email(&email).await.map_err(app_error)?;
                let (t, plain) = app
                    .create_token_for(&Actor::cli(), user.id, &label)
                    .await
                    .map_err(app_error)?;
                println!(
                    "Token {} created for {}. It is shown once; store it now:",
                    t.prefix, user.email
                );
                println!("{plain}");
            }
            Self::LinkIdentity {
                email,
                issuer,
                subject,
            } => {
                let app = open(settings).await?;
                let linked = app
                    .link_identity(&Actor::cli(), &email, &issuer, &subject)
                    .await
                    .map_err(app_error)?;
                println!(
                    "Linked {issuer} subject {subject} to {email} (person {}).",
                    linked.user_id
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
