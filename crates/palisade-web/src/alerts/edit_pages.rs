//! The national team's form to draft, preview, publish and edit an alert.

use crate::AppState;
use crate::alerts::alert_page::{Content, back_to, content};
use crate::kit::identity::PageUser;
use crate::kit::views::{
    Errors, Layout, Opt, Options, PageResult, Tag, form_errors, options, render, render_status,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_domain::alert::{
    AlertFields, AlertInput, AlertState, AlertType, ProductInput, Severity,
};
use palisade_domain::org::{Category, OrgType};
use palisade_domain::policy::GlobalAction;
use palisade_store::AlertRecord;

/// The alert form as typed: lists are one item per line.
#[derive(Default, Clone)]
pub struct AlertForm {
    pub title: String,
    pub severity: String,
    pub alert_type: String,
    pub summary: String,
    pub body: String,
    pub cves: String,
    /// `name | cpe or purl | vers`, one product per line.
    pub products: String,
    pub exploited: bool,
    pub remediation: String,
    pub org_types: Vec<String>,
    pub categories: Vec<String>,
    pub regions: String,
    pub codes: String,
    pub response_required: bool,
    pub expected_version: i64,
}

/// One line of the products box: `name | identifiers | vers range`, where the identifiers are
/// a CPE 2.3 name, a package URL or both (space-separated), and the range keeps its own `|`s.
pub(crate) fn product_line(line: &str) -> Result<ProductInput, AppError> {
    let mut parts = line.splitn(3, '|').map(str::trim);
    let name = parts.next().unwrap_or_default().to_string();
    let ids = parts.next().unwrap_or_default();
    let vers = parts.next().unwrap_or_default();
    let (mut cpe, mut purl) = (None, None);
    for id in ids.split_whitespace() {
        let slot = if id.starts_with("cpe:") {
            &mut cpe
        } else {
            &mut purl
        };
        if slot.replace(id.to_string()).is_some() {
            return Err(AppError::invalid(
                "products",
                format!("{name}: give at most one CPE name and one package URL"),
            ));
        }
    }
    Ok(ProductInput {
        name,
        cpe,
        purl,
        vers: Some(vers.to_string()).filter(|v| !v.is_empty()),
    })
}

pub(crate) fn lines(s: &str) -> Vec<String> {
    s.split(['\n', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

impl AlertForm {
    fn from_pairs(pairs: &[(String, String)]) -> (Self, String) {
        let mut f = AlertForm::default();
        let mut intent = String::new();
        for (k, v) in pairs {
            match k.as_str() {
                "title" => f.title = v.clone(),
                "severity" => f.severity = v.clone(),
                "type" => f.alert_type = v.clone(),
                "summary" => f.summary = v.clone(),
                "body" => f.body = v.clone(),
                "cves" => f.cves = v.clone(),
                "products" => f.products = v.clone(),
                "exploited" => f.exploited = v == "yes",
                "remediation" => f.remediation = v.clone(),
                "org_types" => f.org_types.push(v.clone()),
                "categories" => f.categories.push(v.clone()),
                "regions" => f.regions = v.clone(),
                "codes" => f.codes = v.clone(),
                "response_required" => f.response_required = v == "yes",
                "expected_version" => f.expected_version = v.parse().unwrap_or(0),
                "intent" => intent = v.clone(),
                _ => {}
            }
        }
        (f, intent)
    }

    fn from_fields(fields: &AlertFields, version: i64) -> Self {
        AlertForm {
            title: fields.title.clone(),
            severity: fields.severity.as_str().into(),
            alert_type: fields.alert_type.as_str().into(),
            summary: fields.summary.clone(),
            body: fields.body.clone(),
            cves: fields
                .cves
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            products: fields
                .products
                .iter()
                .map(|p| {
                    // Both identifiers, space-separated: an imported product often has both.
                    let ids = [
                        p.cpe.as_ref().map(|c| c.to_string()),
                        p.purl.as_ref().map(|c| c.to_string()),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                    let vers = p.vers.as_ref().map(|v| v.to_string()).unwrap_or_default();
                    format!("{} | {ids} | {vers}", p.name)
                })
                .collect::<Vec<_>>()
                .join("\n"),
            exploited: fields.exploited,
            remediation: fields.remediation.clone(),
            org_types: fields
                .audience
                .org_types
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
            categories: fields
                .audience
                .categories
                .iter()
                .map(|c| c.number().to_string())
                .collect(),
            regions: fields.audience.regions.join(", "),
            codes: fields
                .audience
                .codes
                .iter()
                .map(|c| c.as_str().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            response_required: fields.response_required,
            expected_version: version,
        }
    }

    fn input(&self) -> Result<AlertInput, AppError> {
        let mut categories = Vec::new();
        for c in &self.categories {
            categories.push(
                c.parse::<u8>()
                    .map_err(|_| AppError::invalid("categories", "choose categories 1 to 4"))?,
            );
        }
        let products = self
            .products
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(product_line)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AlertInput {
            title: self.title.clone(),
            severity: self.severity.clone(),
            alert_type: self.alert_type.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            cves: lines(&self.cves),
            products,
            exploited: self.exploited,
            remediation: self.remediation.clone(),
            org_types: self.org_types.clone(),
            categories,
            regions: lines(&self.regions),
            codes: lines(&self.codes),
            response_required: self.response_required,
        })
    }
}

#[derive(Template)]
#[template(path = "alert_form.html")]
pub struct AlertFormPage {
    pub l: Layout,
    pub errors: Errors,
    pub heading: String,
    pub action: String,
    pub f: AlertForm,
    pub severity_options: Options,
    pub type_options: Options,
    pub org_type_checks: Options,
    pub category_checks: Options,
    pub preview: Option<Content>,
    pub published: bool,
}

/// Checkboxes: each (value, text), ticked when its value is among `chosen`.
pub(crate) fn checks(items: impl Iterator<Item = (String, String)>, chosen: &[String]) -> Options {
    items
        .map(|(value, text)| Opt {
            selected: chosen.contains(&value),
            value,
            text,
        })
        .collect()
}

pub(crate) fn form_page(
    u: &PageUser,
    reference: Option<&str>,
    published: bool,
    f: AlertForm,
    errors: Errors,
    preview: Option<Content>,
) -> AlertFormPage {
    AlertFormPage {
        l: Layout::for_session(&u.0),
        errors,
        heading: match reference {
            Some(r) => format!("Change {r}"),
            None => "Draft an alert".into(),
        },
        action: match reference {
            Some(r) => format!("/alerts/{r}/edit"),
            None => "/alerts".into(),
        },
        severity_options: options(
            Severity::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), s.label().to_string())),
            &f.severity,
        ),
        type_options: options(
            AlertType::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), s.label().to_string())),
            &f.alert_type,
        ),
        org_type_checks: checks(
            OrgType::ALL
                .iter()
                .map(|t| (t.as_str().to_string(), t.label().to_string())),
            &f.org_types,
        ),
        category_checks: checks(
            Category::ALL
                .iter()
                .map(|c| (c.number().to_string(), format!("Category {}", c.number()))),
            &f.categories,
        ),
        f,
        preview,
        published,
    }
}

pub(crate) async fn new_form(State(_s): State<AppState>, u: PageUser) -> PageResult {
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    let f = AlertForm {
        severity: "high".into(),
        alert_type: "vulnerability".into(),
        response_required: true,
        ..Default::default()
    };
    Ok(render(&form_page(
        &u,
        None,
        false,
        f,
        Errors::default(),
        None,
    )))
}

pub(crate) async fn edit_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
) -> PageResult {
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    let view = s.app.alert(&u.0.actor, &id).await?;
    let a = &view.alert;
    let f = AlertForm::from_fields(&a.fields, a.version);
    Ok(render(&form_page(
        &u,
        Some(&a.reference),
        a.state == AlertState::Published,
        f,
        Errors::default(),
        None,
    )))
}

/// Validates the form for a preview: the alert as organisations will read it, or the errors.
pub(crate) fn preview(f: &AlertForm) -> Result<Content, AppError> {
    let fields = f.input()?.validate()?;
    Ok(content("(new)", &fields))
}

pub(crate) async fn save(
    s: &AppState,
    u: &PageUser,
    current: Option<&AlertRecord>,
    pairs: Vec<(String, String)>,
) -> PageResult {
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    let (f, intent) = AlertForm::from_pairs(&pairs);
    let reference = current.map(|a| a.reference.as_str());
    let published = current.is_some_and(|a| a.state == AlertState::Published);
    let again = |f: AlertForm, errors: Errors, preview: Option<Content>| {
        form_page(u, reference, published, f, errors, preview)
    };
    if intent == "preview" {
        return Ok(match preview(&f) {
            Ok(mut c) => {
                c.reference = reference.unwrap_or("(new)").to_string();
                render(&again(f, Errors::default(), Some(c)))
            }
            Err(e) => render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &again(f.clone(), form_errors(e)?, None),
            ),
        });
    }
    let publish = intent == "publish";
    let result = match f.input() {
        Ok(input) => match current {
            Some(a) => s
                .app
                .update_alert(
                    &u.0.actor,
                    &a.reference,
                    f.expected_version,
                    &input,
                    publish,
                )
                .await
                .map(|r| {
                    (
                        r,
                        if published {
                            "updated"
                        } else if publish {
                            "published"
                        } else {
                            "saved"
                        },
                    )
                }),
            None => s
                .app
                .create_alert(&u.0.actor, &input, publish)
                .await
                .map(|r| (r, if publish { "published" } else { "saved" })),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok((alert, done)) => Ok(back_to(&alert.reference, done)),
        Err(e) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &again(f, form_errors(e)?, None),
        )),
    }
}

pub(crate) async fn create(
    State(s): State<AppState>,
    u: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    save(&s, &u, None, pairs).await
}

pub(crate) async fn update(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    let view = s.app.alert(&u.0.actor, &id).await?;
    save(&s, &u, Some(&view.alert), pairs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_survive_the_edit_form_with_both_identifiers_and_a_two_limit_range() {
        let input = AlertInput {
            title: "Log4Shell".into(),
            severity: "high".into(),
            alert_type: "vulnerability".into(),
            summary: "Patch now".into(),
            products: vec![
                ProductInput {
                    name: "Log4j core".into(),
                    cpe: Some("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*".into()),
                    purl: Some("pkg:maven/org.apache.logging.log4j/log4j-core".into()),
                    vers: Some("vers:maven/>=2.0.0|<2.15.0".into()),
                },
                ProductInput {
                    name: "Windows 7".into(),
                    cpe: Some("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let fields = input.validate().unwrap();
        let again = AlertForm::from_fields(&fields, 1).input().unwrap();
        assert_eq!(again.products, input.products);
        assert_eq!(again.validate().unwrap().products, fields.products);
    }

    #[test]
    fn a_product_line_takes_one_identifier_of_each_kind() {
        let p = product_line("X | pkg:npm/x").unwrap();
        assert_eq!(
            (p.cpe, p.purl.as_deref(), p.vers),
            (None, Some("pkg:npm/x"), None)
        );
        let e = product_line("X | pkg:npm/x pkg:npm/y | vers:npm/<2").unwrap_err();
        assert!(e.to_string().contains("at most one"), "{e}");
    }
}
