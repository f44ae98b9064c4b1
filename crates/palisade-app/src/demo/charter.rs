//! Demo charter signatures: the demo supplier's lead has signed, two other suppliers are in
//! force (one due for reaffirmation) and one has lapsed, so the public list and the states
//! have something to show.

use crate::charter::SignatureInput;
use crate::{Actor, App, Result};
use palisade_domain::dates::date_text;
use palisade_domain::people::Role;
use palisade_domain::policy::{Grant, OrgAction, Principal};
use time::Duration;

/// The demo's IT supplier, whose lead signs in as `supplier@example.nhs.uk`.
pub(super) const SUPPLIER: &str = "8J000";

impl App {
    /// Signatures for four suppliers, unless the demo supplier has one already. The others are
    /// signed by a lead acting for each (the audit log says `demo`).
    pub(super) async fn seed_charter(&self, demo: &Actor) -> Result<()> {
        self.install_shipped_charter().await?;
        let lead = self.find_person_by_email("supplier@example.nhs.uk").await?;
        let lead = self.actor_of(&lead).await?;
        if self
            .supplier_charter(&lead, SUPPLIER)
            .await?
            .signature
            .is_some()
        {
            return Ok(());
        }
        let today = self.today();
        // (supplier, days since signing, signatory, position)
        let signed = [
            (SUPPLIER, 40, "Dana Whitfield", "Chief Executive"),
            ("8J001", 100, "Ravi Menon", "Managing Director"),
            ("8J002", 350, "Helen Cho", "Chief Operating Officer"),
            ("8J003", 400, "Owen Pryce", "Chief Executive"),
        ];
        for (code, days, name, position) in signed {
            let input = SignatureInput {
                signatory_name: name.into(),
                signatory_position: position.into(),
                signed_on: date_text(today - Duration::days(days)),
                confirmed: true,
            };
            let actor = if code == SUPPLIER {
                lead.clone()
            } else {
                let org = self.org_for(demo, code, OrgAction::View).await?;
                Actor {
                    user_id: None,
                    label: demo.label.clone(),
                    principal: Principal {
                        user_id: 0,
                        grants: vec![Grant {
                            role: Role::OrgLead,
                            org_id: Some(org.org.id),
                        }],
                    },
                }
            };
            self.sign_charter(&actor, code, &input).await?;
        }
        Ok(())
    }
}
