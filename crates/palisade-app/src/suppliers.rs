//! IT suppliers' products and services, and which of them each organisation uses
//! (`docs/SUPPLIERS.md`): the supplier keeps its catalogue, an organisation records what it uses
//! (one at a time or as a CSV file that replaces the list) and sees where each of its suppliers
//! stands; a supplier sees how many organisations use each version, never who.

use crate::{Actor, App, AppError, Result};
use palisade_domain::FieldErrors;
use palisade_domain::assessment::Status;
use palisade_domain::charter::{CommitmentKey, CommitmentState, SignatureState};
use palisade_domain::dates::date_text;
use palisade_domain::org::{OrgCode, OrgType};
use palisade_domain::policy::OrgAction;
use palisade_domain::supplier::{LinkFields, LinkInput, OfferingInput, OfferingKind};
use palisade_formats::suppliers::parse_link_csv;
use palisade_store::{CustomerRecord, LinkRecord, NewLink, Organisation, ProductRecord};
use serde_json::json;
use std::collections::HashMap;
use time::Date;

/// A supplier's catalogue as the caller may see it.
#[derive(Debug, Clone)]
pub struct SupplierProducts {
    pub org: Organisation,
    /// Customer counts are zero unless `shows_customers`.
    pub products: Vec<ProductRecord>,
    /// The caller is the supplier's own or national: it sees how many use each version.
    pub shows_customers: bool,
    /// The caller may list and change the supplier's products.
    pub may_manage: bool,
    /// The caller may read the customers by name (national, or the supplier's own once allowed).
    pub may_see_names: bool,
    /// The SBOMs in force per product version, for the supplier's own and national eyes.
    pub sboms: Vec<palisade_store::SbomRecord>,
    /// VEX statements per product version: (product, version, statements), likewise.
    pub vex: Vec<(i64, String, i64)>,
}

/// One supplier of an organisation, where it stands today, and what the organisation uses.
#[derive(Debug, Clone)]
pub struct SupplierSummary {
    pub supplier: Organisation,
    pub charter: SignatureState,
    pub charter_expires_on: Option<Date>,
    /// Each commitment's state (never the supplier's evidence or the reasons behind it).
    pub commitments: Vec<(CommitmentKey, String, CommitmentState)>,
    /// The supplier's latest published assessment: (year, status).
    pub dspt: Option<(i32, Status)>,
    pub uses: Vec<LinkRecord>,
}

/// The suppliers an organisation uses.
#[derive(Debug, Clone)]
pub struct OrgSuppliers {
    pub org: Organisation,
    pub suppliers: Vec<SupplierSummary>,
    pub may_manage: bool,
    /// Incident notices from suppliers, newest first.
    pub notices: Vec<palisade_store::ReceivedNotice>,
}

impl App {
    /// An active IT supplier by code, for a catalogue read by anyone signed in (customers
    /// choose from it); not found for any other organisation.
    async fn supplier_by_code(&self, code: &str) -> Result<(Organisation, Vec<i64>)> {
        let code = OrgCode::parse("code", code).map_err(|_| AppError::NotFound)?;
        match self.store.find_org(&code).await? {
            Some((org, ancestry)) if org.org_type == OrgType::ItSupplier && org.active => {
                Ok((org, ancestry))
            }
            _ => Err(AppError::NotFound),
        }
    }

    /// The supplier's products and services. Anyone signed in reads the catalogue; customer
    /// counts are shown to the supplier's own people and the national team only.
    pub async fn supplier_products(&self, actor: &Actor, code: &str) -> Result<SupplierProducts> {
        let (org, ancestry) = self.supplier_by_code(code).await?;
        let shows_customers = actor.principal.may(OrgAction::ViewCharter, &ancestry);
        let mut products = self.store.products(&[org.id]).await?;
        if !shows_customers {
            for p in &mut products {
                p.customers = 0;
                for v in &mut p.versions {
                    v.customers = 0;
                }
            }
        }
        let national = actor
            .principal
            .may_global(palisade_domain::policy::GlobalAction::ViewNationalReport);
        let may_see_names =
            national || (shows_customers && self.store.customer_names_allowed(org.id).await?);
        let (sboms, vex) = if shows_customers {
            (
                self.store.current_sboms(org.id).await?,
                self.store.vex_counts(org.id).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(SupplierProducts {
            vex,
            sboms,
            may_see_names,
            may_manage: actor.principal.may(OrgAction::ManageProducts, &ancestry),
            shows_customers,
            products,
            org,
        })
    }

    /// Lists a product or service for the supplier (its lead or members).
    pub async fn create_product(
        &self,
        actor: &Actor,
        code: &str,
        input: &OfferingInput,
    ) -> Result<ProductRecord> {
        self.keep_product(actor, code, None, input).await
    }

    /// Changes a product or service of the supplier's: a version in use is never dropped.
    pub async fn update_product(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
        input: &OfferingInput,
    ) -> Result<ProductRecord> {
        self.keep_product(actor, code, Some(id), input).await
    }

    /// Lists a new product (`id` None) or changes one, with its audit entry.
    async fn keep_product(
        &self,
        actor: &Actor,
        code: &str,
        id: Option<i64>,
        input: &OfferingInput,
    ) -> Result<ProductRecord> {
        let org = self.product_owner(actor, code).await?;
        let o = input.validate()?;
        let action = if id.is_some() {
            "product.update"
        } else {
            "product.create"
        };
        let audit = self.draft(
            actor,
            action,
            "product",
            "",
            Some(org.id),
            offering_summary(&o),
        );
        let stamp = self.stamp(actor);
        Ok(match id {
            Some(id) => {
                self.store
                    .update_product(org.id, id, &o, stamp, audit)
                    .await?
            }
            None => self.store.create_product(org.id, &o, stamp, audit).await?,
        })
    }

    async fn product_owner(&self, actor: &Actor, code: &str) -> Result<Organisation> {
        let view = self.org_for(actor, code, OrgAction::ManageProducts).await?;
        if view.org.org_type != OrgType::ItSupplier {
            return Err(AppError::invalid(
                "code",
                format!(
                    "{} is not an IT supplier: only IT suppliers list products",
                    view.org.code
                ),
            ));
        }
        Ok(view.org)
    }

    /// The suppliers the organisation uses, each with its charter state, commitments and
    /// assessment status, and the product versions and services used.
    pub async fn org_suppliers(&self, actor: &Actor, code: &str) -> Result<OrgSuppliers> {
        let view = self.org_for(actor, code, OrgAction::ViewSuppliers).await?;
        let links = self.store.links(view.org.id).await?;
        // Every supplier named, read at once.
        let mut ids: Vec<i64> = links.iter().map(|l| l.supplier_id).collect();
        ids.dedup();
        let orgs = self.store.orgs_by_ids(&ids).await?;
        let charter = self.charter().await.ok();
        let named: Vec<Organisation> = ids
            .iter()
            .filter_map(|id| orgs.iter().find(|o| o.id == *id).cloned())
            .collect();
        let standings: HashMap<i64, crate::charter::Standing> = named
            .iter()
            .map(|o| o.id)
            .zip(
                self.standings(&named, charter.as_ref().map(|c| &c.charter))
                    .await?,
            )
            .collect();
        let mut suppliers: Vec<SupplierSummary> = Vec::new();
        for link in links {
            if let Some(s) = suppliers
                .last_mut()
                .filter(|s| s.supplier.id == link.supplier_id)
            {
                s.uses.push(link);
                continue;
            }
            let supplier = orgs
                .iter()
                .find(|o| o.id == link.supplier_id)
                .cloned()
                .ok_or(AppError::NotFound)?;
            let standing = standings
                .get(&supplier.id)
                .cloned()
                .ok_or(AppError::NotFound)?;
            suppliers.push(SupplierSummary {
                charter: standing.state,
                charter_expires_on: standing.expires_on,
                commitments: standing
                    .commitments
                    .into_iter()
                    .map(|v| (v.commitment.key, v.commitment.title, v.state))
                    .collect(),
                dspt: standing.dspt,
                uses: vec![link],
                supplier,
            });
        }
        Ok(OrgSuppliers {
            notices: self.store.received_notices(view.org.id).await?,
            may_manage: actor
                .principal
                .may(OrgAction::ManageSuppliers, &view.ancestry),
            org: view.org,
            suppliers,
        })
    }

    /// Records one product version or service the organisation uses.
    pub async fn add_supplier_link(
        &self,
        actor: &Actor,
        code: &str,
        input: &LinkInput,
    ) -> Result<LinkRecord> {
        let view = self
            .org_for(actor, code, OrgAction::ManageSuppliers)
            .await?;
        let fields = input.validate("", self.today())?;
        let link = self
            .resolve_links(&[(0, fields)], |_| String::new())
            .await?
            .pop()
            .ok_or(AppError::NotFound)?;
        let audit = self.draft(
            actor,
            "supplier.link",
            "supplier_link",
            "",
            Some(view.org.id),
            json!({"supplier": input.supplier_code.trim().to_uppercase(),
                   "product_id": link.product_id, "version": link.version,
                   "contract_end": link.contract_end.map(date_text)}),
        );
        Ok(self
            .store
            .add_link(view.org.id, &link, self.stamp(actor), audit)
            .await?)
    }

    /// Removes one product version or service from what the organisation uses.
    pub async fn remove_supplier_link(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
    ) -> Result<LinkRecord> {
        let view = self
            .org_for(actor, code, OrgAction::ManageSuppliers)
            .await?;
        let audit = self.draft(
            actor,
            "supplier.unlink",
            "supplier_link",
            "",
            Some(view.org.id),
            json!({"link": id}),
        );
        Ok(self.store.remove_link(view.org.id, id, audit).await?)
    }

    /// Replaces what the organisation uses with the supplier file's lines
    /// (`supplier_code,product,version,service,contract_end`); any bad line refuses the whole
    /// file, naming the line. Returns the number of links kept.
    pub async fn import_supplier_links(
        &self,
        actor: &Actor,
        code: &str,
        data: &[u8],
    ) -> Result<usize> {
        let view = self
            .org_for(actor, code, OrgAction::ManageSuppliers)
            .await?;
        let rows = parse_link_csv(data, self.today())?;
        let links = self
            .resolve_links(&rows, |line| format!("line {line}: "))
            .await?;
        let audit = self.draft(
            actor,
            "supplier.import",
            "supplier_links",
            "",
            Some(view.org.id),
            json!({"links": links.len(),
                   "sha256": crate::auth::sha256_hex(data)}),
        );
        Ok(self
            .store
            .replace_links(view.org.id, &links, self.stamp(actor), audit)
            .await?)
    }

    /// Finds each link's product (or service) and version in its supplier's catalogue; every
    /// line that names an unknown supplier, product or version is reported, nothing resolved.
    async fn resolve_links(
        &self,
        rows: &[(usize, LinkFields)],
        prefix: impl Fn(usize) -> String,
    ) -> Result<Vec<NewLink>> {
        let mut e = FieldErrors::default();
        let mut catalogues: HashMap<String, Option<Vec<ProductRecord>>> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for (line, l) in rows {
            let f = |name: &str| format!("{}{name}", prefix(*line));
            let code = l.supplier_code.as_str().to_string();
            if !catalogues.contains_key(&code) {
                let products = match self.supplier_by_code(&code).await {
                    Ok((org, _)) => Some(self.store.products(&[org.id]).await?),
                    Err(AppError::NotFound) => None,
                    Err(other) => return Err(other),
                };
                catalogues.insert(code.clone(), products);
            }
            let Some(products) = catalogues.get(&code).and_then(Option::as_ref) else {
                e.push(
                    f("supplier_code"),
                    format!("no active IT supplier {code} in the register"),
                );
                continue;
            };
            let kind = l.kind.as_str();
            let Some(p) = products
                .iter()
                .find(|p| p.kind == l.kind && p.name.to_lowercase() == l.offering.to_lowercase())
            else {
                e.push(f(kind), format!("{code} lists no {kind} '{}'", l.offering));
                continue;
            };
            if l.kind == OfferingKind::Product && !p.versions.iter().any(|v| v.version == l.version)
            {
                let listed: Vec<&str> = p.versions.iter().map(|v| v.version.as_str()).collect();
                e.push(
                    f("version"),
                    format!(
                        "'{}' is not a version of {}: {}",
                        l.version,
                        p.name,
                        listed.join(", ")
                    ),
                );
                continue;
            }
            out.push(NewLink {
                product_id: p.id,
                version: l.version.clone(),
                contract_end: l.contract_end,
            });
        }
        e.capped(50, "lines").into_result()?;
        Ok(out)
    }
}

fn offering_summary(o: &palisade_domain::supplier::Offering) -> serde_json::Value {
    json!({"name": o.name, "kind": o.kind.as_str(),
           "service_type": o.service_type.map(|t| t.as_str()),
           "cpe": o.cpe.as_ref().map(|c| c.as_str()),
           "purl": o.purl.as_ref().map(|p| p.as_str()), "versions": o.versions})
}

/// One commitment across every active IT supplier.
#[derive(Debug, Clone)]
pub struct CommitmentFigure {
    pub key: CommitmentKey,
    pub title: String,
    /// Suppliers in each state, in the order of [`CommitmentState::ALL`].
    pub by_state: Vec<(CommitmentState, usize)>,
    /// Suppliers for which it is evidenced or met live.
    pub met: usize,
}

/// One supplier on the national view.
#[derive(Debug, Clone)]
pub struct SupplierFigure {
    pub org: Organisation,
    pub customers: i64,
    pub state: SignatureState,
    pub expires_on: Option<Date>,
    pub dspt: Option<(i32, Status)>,
    /// Commitments evidenced or met live, of those in the charter.
    pub met: usize,
}

/// The charter across every active IT supplier, for the national team.
#[derive(Debug, Clone)]
pub struct CharterFigures {
    /// By number of customer organisations, most first, then by name.
    pub suppliers: Vec<SupplierFigure>,
    /// Suppliers in each signature state, in the order of [`SignatureState::ALL`].
    pub states: Vec<(SignatureState, usize)>,
    pub commitments: Vec<CommitmentFigure>,
}

impl CharterFigures {
    /// Suppliers whose latest published assessment is below Standards Met, or who have none.
    pub fn below_standards_met(&self) -> impl Iterator<Item = &SupplierFigure> {
        self.suppliers.iter().filter(|s| {
            !matches!(
                s.dspt,
                Some((_, Status::StandardsMet | Status::StandardsExceeded))
            )
        })
    }
}

/// Whether a commitment in this state counts as kept.
fn kept(state: CommitmentState) -> bool {
    matches!(state, CommitmentState::Evidenced | CommitmentState::LiveMet)
}

impl App {
    /// Every active IT supplier's signature and commitments today, for the national team.
    pub async fn charter_figures(&self, actor: &Actor) -> Result<CharterFigures> {
        actor.require(palisade_domain::policy::GlobalAction::ViewNationalReport)?;
        let charter = self.charter().await?;
        let mut suppliers = Vec::new();
        let mut commitments: Vec<CommitmentFigure> = charter
            .charter
            .commitments
            .iter()
            .map(|c| CommitmentFigure {
                key: c.key,
                title: c.title.clone(),
                by_state: CommitmentState::ALL.iter().map(|s| (*s, 0)).collect(),
                met: 0,
            })
            .collect();
        let orgs = self.store.active_suppliers().await?;
        let standings = self.standings(&orgs, Some(&charter.charter)).await?;
        let customers = self.customers_by_supplier().await?;
        for (org, standing) in orgs.into_iter().zip(standings) {
            let mut met = 0;
            for (figure, view) in commitments.iter_mut().zip(&standing.commitments) {
                if let Some(slot) = figure.by_state.iter_mut().find(|(s, _)| *s == view.state) {
                    slot.1 += 1;
                }
                if kept(view.state) {
                    figure.met += 1;
                    met += 1;
                }
            }
            suppliers.push(SupplierFigure {
                state: standing.state,
                expires_on: standing.expires_on,
                dspt: standing.dspt,
                customers: customers
                    .get(org.code.as_str())
                    .map_or(0, |n| i64::try_from(*n).unwrap_or(i64::MAX)),
                org,
                met,
            });
        }
        suppliers.sort_by(|a, b| {
            b.customers
                .cmp(&a.customers)
                .then_with(|| a.org.name.cmp(&b.org.name))
        });
        let states = SignatureState::ALL
            .iter()
            .map(|s| (*s, suppliers.iter().filter(|x| x.state == *s).count()))
            .collect();
        Ok(CharterFigures {
            suppliers,
            states,
            commitments,
        })
    }

    /// The organisations using the supplier's products and services, by name: for the national
    /// team, and for the supplier's own people once the national team has allowed it.
    pub async fn supplier_customers(
        &self,
        actor: &Actor,
        code: &str,
        page: palisade_domain::page::PageRequest,
    ) -> Result<(
        SupplierCustomers,
        palisade_domain::page::Page<CustomerRecord>,
    )> {
        let (org, ancestry) = self.supplier_by_code(code).await?;
        let national = actor
            .principal
            .may_global(palisade_domain::policy::GlobalAction::ViewNationalReport);
        if !national && !actor.principal.may(OrgAction::ViewCharter, &ancestry) {
            return Err(AppError::NotFound);
        }
        let allowed = self.store.customer_names_allowed(org.id).await?;
        if !national && !allowed {
            return Err(AppError::Forbidden);
        }
        let page = self.store.customers(org.id, page).await?;
        Ok((
            SupplierCustomers {
                may_allow: actor
                    .principal
                    .may_global(palisade_domain::policy::GlobalAction::ManageFrameworks),
                allowed,
                org,
            },
            page,
        ))
    }

    /// The national team lets a supplier's people see its customers' names, or stops it.
    pub async fn allow_customer_names(
        &self,
        actor: &Actor,
        code: &str,
        allowed: bool,
    ) -> Result<()> {
        actor.require(palisade_domain::policy::GlobalAction::ManageFrameworks)?;
        let (org, _) = self.supplier_by_code(code).await?;
        let audit = self.draft(
            actor,
            if allowed {
                "supplier.customer_names.allow"
            } else {
                "supplier.customer_names.withdraw"
            },
            "supplier_settings",
            "",
            Some(org.id),
            json!({"supplier": org.code, "customer_names": allowed}),
        );
        Ok(self
            .store
            .allow_customer_names(org.id, allowed, self.stamp(actor), audit)
            .await?)
    }
}

/// A supplier whose customers are listed, and what the caller may do about the list.
#[derive(Debug, Clone)]
pub struct SupplierCustomers {
    pub org: Organisation,
    /// The national team lets the supplier's own people see the names.
    pub allowed: bool,
    /// The caller may allow or withdraw that (the national admin).
    pub may_allow: bool,
}

impl App {
    /// The supplier's lead or members upload a product version's SBOM (CycloneDX or SPDX JSON),
    /// replacing the one in force. The version must be one the product lists.
    pub async fn upload_supplier_sbom(
        &self,
        actor: &Actor,
        code: &str,
        product_id: i64,
        version: &str,
        format: palisade_domain::inventory::InventoryFormat,
        data: &[u8],
    ) -> Result<palisade_store::SbomRecord> {
        let (org, product) = self
            .product_version(actor, code, product_id, version)
            .await?;
        if format == palisade_domain::inventory::InventoryFormat::Csv {
            return Err(AppError::invalid(
                "file",
                "an SBOM is CycloneDX or SPDX JSON, not CSV",
            ));
        }
        let components = self.parse_components(format, data)?;
        if components.is_empty() {
            return Err(AppError::invalid("file", "lists no components"));
        }
        let sha256 = crate::auth::sha256_hex(data);
        let audit = self.draft(
            actor,
            "supplier.sbom",
            "supplier_sbom",
            "",
            Some(org.id),
            json!({"product": product.name, "product_id": product.id, "version": version,
                   "format": format.as_str(), "components": components.len(),
                   "sha256": sha256}),
        );
        Ok(self
            .store
            .save_sbom(
                &palisade_store::NewSbom {
                    product_id,
                    version,
                    format: format.as_str(),
                    sha256: &sha256,
                    components: &components,
                },
                self.stamp(actor),
                audit,
            )
            .await?)
    }
}

impl App {
    /// The supplier's own product and one of its versions, for an SBOM or VEX upload by its
    /// lead or members: not found for another supplier's product, refused by field for a
    /// service or a version the product does not list.
    async fn product_version(
        &self,
        actor: &Actor,
        code: &str,
        product_id: i64,
        version: &str,
    ) -> Result<(Organisation, ProductRecord)> {
        let org = self.product_owner(actor, code).await?;
        let product = self
            .store
            .products(&[org.id])
            .await?
            .into_iter()
            .find(|p| p.id == product_id)
            .ok_or(AppError::NotFound)?;
        if product.kind != OfferingKind::Product {
            return Err(AppError::invalid(
                "product",
                format!(
                    "'{}' is a service: SBOMs and VEX describe product versions",
                    product.name
                ),
            ));
        }
        if !product.versions.iter().any(|v| v.version == version) {
            let listed: Vec<&str> = product
                .versions
                .iter()
                .map(|v| v.version.as_str())
                .collect();
            return Err(AppError::invalid(
                "version",
                format!(
                    "'{version}' is not a version of {}: {}",
                    product.name,
                    listed.join(", ")
                ),
            ));
        }
        Ok((org, product))
    }

    /// The supplier's lead or members upload a product version's VEX (CycloneDX VEX, CSAF VEX
    /// or OpenVEX JSON), replacing its statements. The version needs its SBOM first, and every
    /// component a statement names must be in it (by package URL).
    pub async fn upload_supplier_vex(
        &self,
        actor: &Actor,
        code: &str,
        product_id: i64,
        version: &str,
        data: &[u8],
    ) -> Result<usize> {
        use palisade_formats::vex::{detect_vex, parse_vex};
        let (org, product) = self
            .product_version(actor, code, product_id, version)
            .await?;
        if data.len() > palisade_formats::inventory::MAX_INVENTORY_BYTES {
            return Err(AppError::invalid("file", "is larger than an SBOM may be"));
        }
        let Some(sbom) = self
            .store
            .current_sboms(org.id)
            .await?
            .into_iter()
            .find(|s| s.product_id == product_id && s.version == version)
        else {
            return Err(AppError::invalid(
                "version",
                format!(
                    "{} {version} has no SBOM: upload the SBOM before its VEX",
                    product.name
                ),
            ));
        };
        let format = detect_vex(data).ok_or_else(|| {
            AppError::invalid(
                "file",
                "is not CycloneDX VEX (bomFormat), CSAF VEX (document.category csaf_vex) or \
                 OpenVEX (@context) JSON",
            )
        })?;
        let statements = parse_vex(data, format)?;
        // Components are matched by package URL: type, namespace, name and version.
        let key = |p: &palisade_domain::ident::Purl| {
            (
                p.purl_type().to_string(),
                p.namespace().map(str::to_string),
                p.name().to_string(),
                p.version().map(str::to_string),
            )
        };
        let listed: std::collections::HashSet<_> = self
            .store
            .sbom_components(&[sbom.id])
            .await?
            .remove(&sbom.id)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| c.purl.as_ref().map(key))
            .collect();
        let mut e = FieldErrors::default();
        let mut kept = Vec::with_capacity(statements.len());
        for s in statements {
            let mut components = Vec::new();
            for (purl, path) in &s.components {
                match palisade_domain::ident::Purl::parse(purl) {
                    Ok(p) if listed.contains(&key(&p)) => components.push(p.as_str().to_string()),
                    Ok(_) => e.push(
                        path.clone(),
                        format!(
                            "names {purl}, which the SBOM of {} {version} lacks",
                            product.name
                        ),
                    ),
                    Err(m) => e.push(path.clone(), format!("is not a package URL: {m}")),
                }
            }
            kept.push(palisade_store::NewVex {
                cve: s.cve.as_str().to_string(),
                status: s.status,
                justification: s.justification,
                detail: s.detail,
                components,
            });
        }
        e.capped(50, "statements").into_result()?;
        let sha256 = crate::auth::sha256_hex(data);
        let audit = self.draft(
            actor,
            "supplier.vex",
            "supplier_vex",
            "",
            Some(org.id),
            json!({"product": product.name, "product_id": product.id, "version": version,
                   "format": format.as_str(), "statements": kept.len(), "sha256": sha256}),
        );
        Ok(self
            .store
            .replace_vex(
                product_id,
                version,
                format.as_str(),
                &kept,
                self.stamp(actor),
                audit,
            )
            .await?)
    }
}
