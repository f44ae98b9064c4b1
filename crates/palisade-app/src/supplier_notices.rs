//! Supplier incident notices (`docs/SUPPLIERS.md`): an IT supplier tells every organisation using
//! the products and services an incident affects, through the outbox to each one's alert
//! contacts; each recipient acknowledges it, and the national team sees who was told and who
//! acknowledged.

use crate::{Actor, App, AppError, Result};
use palisade_domain::FieldErrors;
use palisade_domain::error::{bounded_text, long_text};
use palisade_domain::incident::IncidentStatus;
use palisade_domain::org::OrgType;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::{GlobalAction, OrgAction};
use palisade_store::{
    NewSupplierNotice, Notice, NoticeRecipient, Organisation, ReceivedNotice, SentNotice,
    SupplierNoticeRecord, incident_id, incident_reference,
};
use serde_json::json;

/// A notice as typed.
#[derive(Debug, Clone, Default)]
pub struct NoticeInput {
    pub title: String,
    pub message: String,
    /// Ids of the supplier's own products and services the incident affects.
    pub products: Vec<i64>,
}

/// The notices a supplier sent, with what it may send them about.
#[derive(Debug, Clone)]
pub struct SentNotices {
    pub org: Organisation,
    pub notices: Vec<SupplierNoticeRecord>,
    /// The caller may send notices (the supplier's lead or members).
    pub may_send: bool,
}

impl App {
    /// The supplier tells every organisation using the affected products and services about a
    /// notified incident of its own. Sending the same notice again sends nothing more.
    pub async fn send_supplier_notice(
        &self,
        actor: &Actor,
        code: &str,
        reference: &str,
        input: &NoticeInput,
    ) -> Result<SentNotice> {
        let id = incident_id(reference).ok_or(AppError::NotFound)?;
        let (org, record) = self
            .org_incident(actor, code, id, OrgAction::ReportIncidents)
            .await?;
        if org.org.org_type != OrgType::ItSupplier {
            return Err(AppError::invalid(
                "code",
                format!(
                    "{} is not an IT supplier: only IT suppliers send notices to customers",
                    org.org.code
                ),
            ));
        }
        if record.state.status == IncidentStatus::Draft {
            return Err(AppError::invalid(
                "incident",
                "notify the incident first: customers are told of notified incidents only",
            ));
        }
        let mut e = FieldErrors::default();
        let title = e.take(bounded_text("title", &input.title, 1, 200));
        let message = e.take(long_text("message", &input.message, 1, 4000));
        let catalogue = self.store.products(&[org.org.id]).await?;
        let mut products: Vec<i64> = Vec::new();
        if input.products.is_empty() {
            e.push(
                "products",
                "name at least one product or service the incident affects",
            );
        }
        for (i, p) in input.products.iter().enumerate() {
            if !catalogue.iter().any(|c| c.id == *p) {
                e.push(
                    format!("products[{i}]"),
                    format!("{p} is not a product or service {} lists", org.org.code),
                );
            } else if !products.contains(p) {
                products.push(*p);
            }
        }
        let (Some(title), Some(message)) = (title, message) else {
            return Err(e.into());
        };
        e.into_result()?;
        products.sort_unstable();
        let names: Vec<&str> = catalogue
            .iter()
            .filter(|c| products.contains(&c.id))
            .map(|c| c.name.as_str())
            .collect();
        let names = names.join(", ");
        let supplier = &org.org;
        let content_hash = crate::auth::sha256_hex(json!([title, message, products]).to_string());
        let notice = Notice {
            key: "supplier-notice".into(),
            subject: format!("Supplier incident: {}: {title}", supplier.name),
            email_body: Some(format!(
                "{} ({}) reports an incident affecting {names}, which your organisation records \
                 using.\n\n{title}\n\n{message}\n\nAcknowledge it on your organisation's \
                 Suppliers page in Palisade.",
                supplier.name, supplier.code
            )),
            sms_body: Some(format!(
                "Palisade: {} reports an incident affecting {names}: {title}. Details by email \
                 and on your Suppliers page.",
                supplier.name
            )),
            sms_to_all: true,
        };
        let audit = self.draft(
            actor,
            "supplier.notice",
            "supplier_notice",
            "",
            Some(supplier.id),
            json!({"incident": incident_reference(record.id), "title": title,
                   "products": products}),
        );
        Ok(self
            .store
            .send_supplier_notice(
                supplier.id,
                &NewSupplierNotice {
                    incident_id: record.id,
                    title,
                    message,
                    product_ids: products,
                    content_hash,
                    notice,
                },
                self.stamp(actor),
                audit,
            )
            .await?)
    }

    /// The notices a supplier sent, for its people and the national team.
    pub async fn sent_supplier_notices(&self, actor: &Actor, code: &str) -> Result<SentNotices> {
        let view = self.org_for(actor, code, OrgAction::ViewIncidents).await?;
        if view.org.org_type != OrgType::ItSupplier {
            return Err(AppError::NotFound);
        }
        Ok(SentNotices {
            notices: self.store.sent_notices(view.org.id).await?,
            may_send: actor
                .principal
                .may(OrgAction::ReportIncidents, &view.ancestry),
            org: view.org,
        })
    }

    /// The notices the organisation received from its suppliers, newest first.
    pub async fn received_supplier_notices(
        &self,
        actor: &Actor,
        code: &str,
    ) -> Result<Vec<ReceivedNotice>> {
        let view = self.org_for(actor, code, OrgAction::ViewSuppliers).await?;
        Ok(self.store.received_notices(view.org.id).await?)
    }

    /// The organisation acknowledges a notice it received.
    pub async fn acknowledge_supplier_notice(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
    ) -> Result<ReceivedNotice> {
        let view = self
            .org_for(actor, code, OrgAction::ManageSuppliers)
            .await?;
        let audit = self.draft(
            actor,
            "supplier.notice.acknowledge",
            "supplier_notice",
            "",
            Some(view.org.id),
            json!({"notice": id}),
        );
        Ok(self
            .store
            .acknowledge_notice(view.org.id, id, self.stamp(actor), audit)
            .await?)
    }

    /// The newest notices from every supplier, for the national team.
    pub async fn recent_supplier_notices(
        &self,
        actor: &Actor,
    ) -> Result<Vec<SupplierNoticeRecord>> {
        actor.require(GlobalAction::ViewNationalReport)?;
        Ok(self.store.recent_notices(50).await?)
    }

    /// A notice and who was told, with who acknowledged, for the national team.
    pub async fn supplier_notice_recipients(
        &self,
        actor: &Actor,
        id: i64,
        page: PageRequest,
    ) -> Result<(SupplierNoticeRecord, Page<NoticeRecipient>)> {
        actor.require(GlobalAction::ViewNationalReport)?;
        let notice = self
            .store
            .supplier_notice(id)
            .await?
            .ok_or(AppError::NotFound)?;
        let page = self.store.notice_recipients(id, page).await?;
        Ok((notice, page))
    }
}
