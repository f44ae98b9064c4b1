//! Indicators of compromise on a case: added by the national team, shown to each caller as TLP
//! allows, and searched across every case ("has anyone seen this?").

use super::*;
use palisade_domain::indicator::{self, Audience, IndicatorType, Tlp};
use palisade_store::{IndicatorRecord, NewIndicator};

/// The most matches a search answers.
const SEARCH_LIMIT: i64 = 200;

/// One indicator found by a search, with its case.
#[derive(Debug, Clone)]
pub struct IndicatorMatch {
    pub indicator: IndicatorRecord,
    pub reference: String,
    pub org_code: String,
    pub org_name: String,
}

impl App {
    /// Where the caller stands towards the case under TLP.
    pub(super) async fn audience(
        &self,
        actor: &Actor,
        record: &IncidentRecord,
        org: &OrgView,
    ) -> Result<Audience> {
        let p = &actor.principal;
        if p.may_global(GlobalAction::ViewAllIncidents) {
            return Ok(Audience::National);
        }
        if p.may(OrgAction::ViewIncidents, &org.ancestry) {
            return Ok(Audience::Reporter);
        }
        for code in &record.state.shared_with {
            let Ok(code) = OrgCode::parse("code", code) else {
                continue;
            };
            if let Some((_, ancestry)) = self.store.find_org(&code).await?
                && p.may(OrgAction::ViewIncidents, &ancestry)
            {
                return Ok(Audience::SharedWith);
            }
        }
        Ok(if p.grants.is_empty() {
            Audience::Public
        } else {
            Audience::Community
        })
    }

    /// The case's indicators the caller may see.
    pub(super) async fn visible_indicators(
        &self,
        actor: &Actor,
        record: &IncidentRecord,
        org: &OrgView,
    ) -> Result<Vec<IndicatorRecord>> {
        let who = self.audience(actor, record, org).await?;
        let mut all = self.store.incident_indicators(record.id).await?;
        all.retain(|i| i.tlp.visible_to(who));
        Ok(all)
    }

    /// Adds an indicator to a notified case (the national team).
    pub async fn add_incident_indicator(
        &self,
        actor: &Actor,
        id: i64,
        kind: &str,
        value: &str,
        tlp: &str,
        description: &str,
    ) -> Result<IndicatorRecord> {
        actor.require(GlobalAction::TriageIncidents)?;
        let (org, record) = self.national_incident(actor, id).await?;
        let mut e = FieldErrors::default();
        let kind: Option<IndicatorType> = e.optional("type", kind);
        let tlp: Option<Tlp> = e.optional("tlp", tlp);
        if kind.is_none() && !e.0.iter().any(|x| x.field == "type") {
            e.push("type", "is required");
        }
        if tlp.is_none() && !e.0.iter().any(|x| x.field == "tlp") {
            e.push(
                "tlp",
                "is required: clear, green, amber, amber+strict or red",
            );
        }
        let value = kind.and_then(|k| e.take(indicator::check_value(k, value)));
        let description = message_text("description", description, false)?;
        e.into_result()?;
        let (kind, tlp, value) = (
            kind.expect("checked"),
            tlp.expect("checked"),
            value.expect("checked"),
        );
        let audit = self.incident_audit(
            actor,
            "incident.indicator",
            Some(record.id),
            org.org.id,
            json!({ "type": kind.as_str(), "tlp": tlp.as_str() }),
        );
        Ok(self
            .store
            .add_indicator(
                record.id,
                &NewIndicator {
                    stix_id: super::taxii::new_stix_id(),
                    indicator_type: kind,
                    value,
                    tlp,
                    description,
                },
                Stamp {
                    at: self.now(),
                    user_id: actor.user_id,
                },
                audit,
            )
            .await?)
    }

    /// Every case holding this indicator (national roles): the value is matched in each form
    /// it could take (an address, a domain in any case, a hash in any case).
    pub async fn search_indicators(&self, actor: &Actor, raw: &str) -> Result<Vec<IndicatorMatch>> {
        actor.require(GlobalAction::ViewAllIncidents)?;
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(AppError::invalid("value", "is required"));
        }
        let mut forms: Vec<String> = IndicatorType::ALL
            .iter()
            .filter_map(|k| indicator::check_value(*k, raw).ok())
            .collect();
        forms.push(raw.to_string());
        forms.sort();
        forms.dedup();
        let found = self.store.find_indicators(&forms, SEARCH_LIMIT).await?;
        Ok(found
            .into_iter()
            .map(|f| IndicatorMatch {
                reference: incident_reference(f.indicator.incident_id),
                org_code: f.org_code,
                org_name: f.org_name,
                indicator: f.indicator,
            })
            .collect())
    }
}
