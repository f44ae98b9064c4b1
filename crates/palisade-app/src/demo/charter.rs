//! Demo charter signatures: the demo supplier's lead has signed, two other suppliers are in
//! force (one due for reaffirmation) and one has lapsed, so the public list and the states
//! have something to show. The demo supplier lists a product (with an SBOM for 4.2) and a
//! service, and the demo trust uses both and is told of the supplier's incident.

use crate::charter::SignatureInput;
use crate::supplier_notices::NoticeInput;
use crate::{Actor, App, Result};
use palisade_domain::dates::date_text;
use palisade_domain::people::Role;
use palisade_domain::policy::{Grant, OrgAction, Principal};
use palisade_domain::supplier::OfferingInput;
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
                    register_version: None,
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

    /// The demo supplier's catalogue and the demo trust's use of it, unless listed already.
    pub(super) async fn seed_suppliers(&self, trust: &str, care_group: &str) -> Result<()> {
        let supplier = self.find_person_by_email("supplier@example.nhs.uk").await?;
        let supplier = self.actor_of(&supplier).await?;
        if !self
            .supplier_products(&supplier, SUPPLIER)
            .await?
            .products
            .is_empty()
        {
            return Ok(());
        }
        let product = OfferingInput {
            name: "CareRecord".into(),
            description: "Electronic patient record for acute and community care".into(),
            cpe: "cpe:2.3:a:demo-supplier:carerecord:*:*:*:*:*:*:*:*".into(),
            purl: "pkg:maven/uk.example.demo/carerecord".into(),
            versions: vec!["4.1".into(), "4.2".into(), "4.3".into()],
            ..Default::default()
        };
        let service = OfferingInput {
            name: "CareRecord Cloud".into(),
            description: "CareRecord hosted and run by the supplier".into(),
            kind: "service".into(),
            service_type: "hosting".into(),
            ..Default::default()
        };
        let mut ids = Vec::new();
        for o in [product, service] {
            ids.push(self.create_product(&supplier, SUPPLIER, &o).await?.id);
        }
        // CareRecord 4.2 ships a Log4j the demo's Log4Shell alert names, so its users are
        // exposed through it.
        self.demo_sbom(&supplier, ids[0], "4.2", "2.14.1").await?;
        let lead = self.find_person_by_email("lead@example.nhs.uk").await?;
        let lead = self.actor_of(&lead).await?;
        let file = format!(
            "supplier_code,product,version,service,contract_end\n\
             {SUPPLIER},CareRecord,4.2,,{}\n{SUPPLIER},,,CareRecord Cloud,\n",
            date_text(self.today() + Duration::days(400))
        );
        self.import_supplier_links(&lead, trust, file.as_bytes())
            .await?;
        // CareRecord 4.1 ships Log4j 2.16.0, which the Log4Shell alert's range names; its
        // supplier says both of the alert's CVEs are fixed there, so the care group using 4.1
        // is left out of that alert's exposure, with the reason shown.
        self.demo_sbom(&supplier, ids[0], "4.1", "2.16.0").await?;
        let vex_41 = r#"{"@context": "https://openvex.dev/ns/v0.2.0",
          "@id": "https://supplier.example/vex/carerecord-4.1", "author": "Aldbury Clinical Systems",
          "timestamp": "2026-01-05T09:00:00Z", "version": 1, "statements": [
            {"vulnerability": {"name": "CVE-2021-44228"},
             "products": [{"@id": "pkg:maven/uk.example.demo/carerecord@4.1",
               "subcomponents": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.16.0"}]}],
             "status": "fixed", "status_notes": "Log4j 2.16.0 removes message lookups"},
            {"vulnerability": {"name": "CVE-2021-45046"},
             "products": [{"@id": "pkg:maven/uk.example.demo/carerecord@4.1",
               "subcomponents": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.16.0"}]}],
             "status": "fixed", "status_notes": "Log4j 2.16.0 disables JNDI by default"}]}"#;
        self.upload_supplier_vex(&supplier, SUPPLIER, ids[0], "4.1", vex_41.as_bytes())
            .await?;
        let carer = self
            .find_person_by_email("caregroup@example.nhs.uk")
            .await?;
        let carer = self.actor_of(&carer).await?;
        let file = format!(
            "supplier_code,product,version,service,contract_end\n{SUPPLIER},CareRecord,4.1,,\n"
        );
        self.import_supplier_links(&carer, care_group, file.as_bytes())
            .await?;
        // The supplier notifies an incident at its hosting service and tells its customers.
        let now = self.now();
        let incident = super::incidents::report(
            "Stolen service desk credentials at CareRecord Cloud",
            "An attacker used a service desk engineer's stolen password to reach the CareRecord \
             Cloud support console.",
            "account_compromise",
            (now - 20 * 3600, now - 6 * 3600),
            true,
            ("likely", "serious"),
        );
        let case = self
            .report_incident(&supplier, SUPPLIER, &incident, true)
            .await?;
        let cloud = self
            .supplier_products(&supplier, SUPPLIER)
            .await?
            .products
            .into_iter()
            .filter(|p| p.name == "CareRecord Cloud")
            .map(|p| p.id)
            .collect();
        let notice = NoticeInput {
            title: "Reset CareRecord Cloud service accounts".into(),
            message: "Our support console was reached with a stolen engineer's password. Reset \
                      the passwords of CareRecord Cloud service accounts and review sign-ins \
                      since yesterday."
                .into(),
            products: cloud,
        };
        self.send_supplier_notice(&supplier, SUPPLIER, &case.reference, &notice)
            .await?;
        Ok(())
    }

    /// The SBOM of a CareRecord version: its Log4j at `log4j`, and Spring.
    async fn demo_sbom(
        &self,
        supplier: &Actor,
        product: i64,
        version: &str,
        log4j: &str,
    ) -> Result<()> {
        let sbom = format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6",
          "metadata": {{"component": {{"type": "application", "name": "CareRecord", "version": "{version}"}}}},
          "components": [
            {{"type": "library", "name": "log4j-core", "version": "{log4j}",
             "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@{log4j}"}},
            {{"type": "library", "name": "spring-web", "version": "6.1.14",
             "purl": "pkg:maven/org.springframework/spring-web@6.1.14"}}]}}"#
        );
        self.upload_supplier_sbom(
            supplier,
            SUPPLIER,
            product,
            version,
            palisade_domain::inventory::InventoryFormat::Cyclonedx,
            sbom.as_bytes(),
        )
        .await?;
        Ok(())
    }
}
