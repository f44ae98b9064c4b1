//! Frameworks users already hold in other formats, mapped onto the ten-standard shape:
//! OSCAL catalog JSON (groups → standards, controls → assertions, sub-controls → items) and
//! CISO Assistant library YAML (depth-1 nodes → standards, depth-2 → assertions, assessable
//! nodes → items). References are positional (`2.3.1`); each item keeps its original id or
//! label as `source_ref`.

use palisade_domain::error::{FieldError, FieldErrors, one_line as clip};
use palisade_domain::framework::{
    AssertionFile, FORMAT, Framework, FrameworkFile, ItemFile, StandardFile, validate,
};
use serde::Deserialize;
use std::collections::HashMap;

/// What an external catalog does not say and the importer must be told.
#[derive(Debug, Clone)]
pub struct CatalogParams {
    pub key: String,
    pub year: i32,
    pub categories: Vec<u8>,
    pub deadline: String,
    pub interim_baseline: Option<String>,
}

/// Which format a framework file is in, judged from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Palisade,
    OscalCatalog,
    CisoAssistant,
}

impl SourceFormat {
    pub fn detect(text: &str) -> SourceFormat {
        let head: String = text.chars().take(4000).collect();
        if head.trim_start().starts_with('{') && head.contains("\"catalog\"") {
            SourceFormat::OscalCatalog
        } else if head.contains("requirement_nodes") || head.contains("urn:intuitem:") {
            SourceFormat::CisoAssistant
        } else {
            SourceFormat::Palisade
        }
    }
}

const TITLE_MAX: usize = 200;
const TEXT_MAX: usize = 4000;

fn item(reference: String, text: &str, source_ref: Option<String>) -> ItemFile {
    ItemFile {
        reference,
        text: clip(text, TEXT_MAX),
        answer: "yes_no".to_string(),
        min: None,
        certificate: None,
        source_ref,
        mandatory: vec!["all".to_string()],
        optional: Vec::new(),
        approaching: Vec::new(),
    }
}

fn file(
    params: &CatalogParams,
    name: &str,
    version: &str,
    standards: Vec<StandardFile>,
) -> FrameworkFile {
    FrameworkFile {
        format: FORMAT.to_string(),
        key: params.key.clone(),
        version: clip(if version.is_empty() { "1" } else { version }, 40),
        year: params.year,
        kind: "ten_standard".to_string(),
        name: clip(name, TITLE_MAX),
        notice: Some("Imported from an external catalog: every item is a yes/no question, mandatory for every organisation type.".to_string()),
        categories: params.categories.clone(),
        deadline: params.deadline.clone(),
        interim_baseline: params.interim_baseline.clone(),
        assurance_ratings: vec![
            "Substantial assurance".to_string(),
            "Moderate assurance".to_string(),
            "Limited assurance".to_string(),
            "Unsatisfactory assurance".to_string(),
        ],
        plan_horizon_months: None,
        certificates: Vec::new(),
        type_groups: Default::default(),
        standards,
        objectives: Vec::new(),
        profile: None,
    }
}

// --- OSCAL ----------------------------------------------------------------------------------

#[derive(Deserialize)]
struct OscalDoc {
    catalog: OscalCatalog,
}

#[derive(Deserialize)]
struct OscalCatalog {
    metadata: OscalMetadata,
    #[serde(default)]
    groups: Vec<OscalGroup>,
    #[serde(default)]
    controls: Vec<OscalControl>,
}

#[derive(Deserialize)]
struct OscalMetadata {
    title: String,
    #[serde(default)]
    version: String,
}

#[derive(Deserialize)]
struct OscalGroup {
    #[serde(default)]
    id: Option<String>,
    title: String,
    #[serde(default)]
    groups: Vec<OscalGroup>,
    #[serde(default)]
    controls: Vec<OscalControl>,
}

#[derive(Deserialize)]
struct OscalControl {
    id: String,
    title: String,
    #[serde(default)]
    props: Vec<OscalProp>,
    #[serde(default)]
    parts: Vec<OscalPart>,
    #[serde(default)]
    controls: Vec<OscalControl>,
}

#[derive(Deserialize)]
struct OscalProp {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct OscalPart {
    name: String,
    #[serde(default)]
    prose: Option<String>,
    #[serde(default)]
    parts: Vec<OscalPart>,
}

impl OscalControl {
    fn label(&self) -> String {
        self.props
            .iter()
            .find(|p| p.name == "label")
            .map(|p| p.value.clone())
            .unwrap_or_else(|| self.id.clone())
    }

    /// The control's statement prose, or its title when it has none.
    fn text(&self) -> String {
        fn collect(parts: &[OscalPart], out: &mut Vec<String>) {
            for p in parts {
                if let Some(t) = &p.prose {
                    out.push(t.clone());
                }
                collect(&p.parts, out);
            }
        }
        let mut out = Vec::new();
        for p in self.parts.iter().filter(|p| p.name == "statement") {
            if let Some(t) = &p.prose {
                out.push(t.clone());
            }
            collect(&p.parts, &mut out);
        }
        if out.is_empty() {
            self.title.clone()
        } else {
            format!("{}: {}", self.title, out.join(" "))
        }
    }
}

fn oscal_controls<'a>(group: &'a OscalGroup, out: &mut Vec<&'a OscalControl>) {
    out.extend(group.controls.iter());
    for g in &group.groups {
        oscal_controls(g, out);
    }
}

/// Maps an OSCAL catalog (JSON) onto the ten-standard shape.
pub fn from_oscal(text: &str, params: &CatalogParams) -> Result<Framework, FieldErrors> {
    let doc: OscalDoc = serde_json::from_str(text)
        .map_err(|e| FieldError::new("file", format!("not an OSCAL catalog: {e}")))?;
    let cat = doc.catalog;
    let mut sections: Vec<(String, Vec<&OscalControl>)> = Vec::new();
    for g in &cat.groups {
        let mut controls = Vec::new();
        oscal_controls(g, &mut controls);
        let title = if g.title.trim().is_empty() {
            g.id.clone().unwrap_or_default()
        } else {
            g.title.clone()
        };
        sections.push((title, controls));
    }
    if !cat.controls.is_empty() {
        sections.push(("Controls".to_string(), cat.controls.iter().collect()));
    }
    let mut standards = Vec::new();
    for (title, controls) in sections.into_iter().filter(|(_, c)| !c.is_empty()) {
        let s = standards.len() + 1;
        let assertions = controls
            .iter()
            .enumerate()
            .map(|(a, control)| {
                let aref = format!("{s}.{}", a + 1);
                let leaves: Vec<&OscalControl> = if control.controls.is_empty() {
                    vec![control]
                } else {
                    std::iter::once(*control)
                        .chain(control.controls.iter())
                        .collect()
                };
                AssertionFile {
                    reference: aref.clone(),
                    text: clip(&format!("{} {}", control.label(), control.title), TEXT_MAX),
                    items: leaves
                        .iter()
                        .enumerate()
                        .map(|(i, c)| item(format!("{aref}.{}", i + 1), &c.text(), Some(c.label())))
                        .collect(),
                }
            })
            .collect();
        standards.push(StandardFile {
            reference: s.to_string(),
            title: clip(&title, TITLE_MAX),
            group: "process".to_string(),
            assertions,
        });
    }
    if standards.is_empty() {
        return Err(FieldError::new("catalog", "has no controls to import").into());
    }
    validate(file(
        params,
        &cat.metadata.title,
        &cat.metadata.version,
        standards,
    ))
}

// --- CISO Assistant -------------------------------------------------------------------------

#[derive(Deserialize)]
struct CisoLibrary {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<serde_json::Value>,
    objects: CisoObjects,
}

#[derive(Deserialize)]
struct CisoObjects {
    framework: CisoFramework,
}

#[derive(Deserialize)]
struct CisoFramework {
    #[serde(default)]
    name: Option<String>,
    requirement_nodes: Vec<CisoNode>,
}

#[derive(Deserialize)]
struct CisoNode {
    urn: String,
    #[serde(default)]
    assessable: bool,
    #[serde(default)]
    depth: Option<u32>,
    #[serde(default)]
    parent_urn: Option<String>,
    #[serde(default)]
    ref_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

impl CisoNode {
    fn title(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.ref_id.clone())
            .or_else(|| self.description.clone())
            .unwrap_or_else(|| self.urn.clone())
    }
    fn text(&self) -> String {
        match (&self.name, &self.description) {
            (Some(n), Some(d)) => format!("{n}: {d}"),
            (Some(t), None) | (None, Some(t)) => t.clone(),
            (None, None) => self.ref_id.clone().unwrap_or_else(|| self.urn.clone()),
        }
    }
}

/// An assertion node and the item nodes under it.
type Grouped = (usize, Vec<usize>);

/// Maps a CISO Assistant framework library (YAML) onto the ten-standard shape.
pub fn from_ciso_assistant(text: &str, params: &CatalogParams) -> Result<Framework, FieldErrors> {
    let lib: CisoLibrary = yaml_serde::from_str(text).map_err(|e| {
        FieldError::new(
            "file",
            format!("not a CISO Assistant framework library: {e}"),
        )
    })?;
    let nodes = &lib.objects.framework.requirement_nodes;
    let by_urn: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.urn.as_str(), i))
        .collect();
    let mut errs = FieldErrors::default();
    // The chain of ancestors (root first) of every node, checked for unknown parents and loops.
    let chain = |i: usize, errs: &mut FieldErrors| -> Vec<usize> {
        let mut out = vec![i];
        let mut cur = i;
        while let Some(p) = nodes[cur].parent_urn.as_deref() {
            match by_urn.get(p) {
                Some(&j) if !out.contains(&j) => {
                    out.push(j);
                    cur = j;
                }
                Some(_) => {
                    errs.push(format!("requirement_nodes[{i}].parent_urn"), "forms a loop");
                    break;
                }
                None => {
                    errs.push(
                        format!("requirement_nodes[{i}].parent_urn"),
                        format!("\"{p}\" is not a node of this framework"),
                    );
                    break;
                }
            }
        }
        out.reverse();
        out
    };
    // standard node → (assertion node or the standard itself) → items, in document order.
    let mut standards: Vec<(usize, Vec<Grouped>)> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let before = errs.0.len();
        let c = chain(i, &mut errs);
        if errs.0.len() > before {
            continue; // an unknown parent or a loop: its depth and place mean nothing
        }
        if let Some(d) = n.depth
            && d as usize != c.len()
        {
            errs.push(
                format!("requirement_nodes[{i}].depth"),
                format!("is {d} but the node sits at depth {}", c.len()),
            );
        }
        if !n.assessable {
            continue;
        }
        let top = c[0];
        let mid = c.get(1).copied().unwrap_or(top);
        let s = match standards.iter().position(|(t, _)| *t == top) {
            Some(p) => p,
            None => {
                standards.push((top, Vec::new()));
                standards.len() - 1
            }
        };
        let assertions = &mut standards[s].1;
        match assertions.iter_mut().find(|(m, _)| *m == mid) {
            Some((_, items)) => items.push(i),
            None => assertions.push((mid, vec![i])),
        }
    }
    errs.into_result()?;
    if standards.is_empty() {
        return Err(FieldError::new("requirement_nodes", "has no assessable requirement").into());
    }
    let standards = standards
        .iter()
        .enumerate()
        .map(|(s, (top, assertions))| {
            let sref = (s + 1).to_string();
            StandardFile {
                reference: sref.clone(),
                title: clip(&nodes[*top].title(), TITLE_MAX),
                group: "process".to_string(),
                assertions: assertions
                    .iter()
                    .enumerate()
                    .map(|(a, (mid, items))| {
                        let aref = format!("{sref}.{}", a + 1);
                        AssertionFile {
                            reference: aref.clone(),
                            text: clip(&nodes[*mid].text(), TEXT_MAX),
                            items: items
                                .iter()
                                .enumerate()
                                .map(|(k, i)| {
                                    item(
                                        format!("{aref}.{}", k + 1),
                                        &nodes[*i].text(),
                                        nodes[*i].ref_id.clone(),
                                    )
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let name = lib
        .objects
        .framework
        .name
        .or(lib.name)
        .unwrap_or_else(|| params.key.clone());
    let version = match lib.version {
        Some(serde_json::Value::String(s)) => s,
        Some(v) => v.to_string(),
        None => "1".to_string(),
    };
    validate(file(params, &name, &version, standards))
}
