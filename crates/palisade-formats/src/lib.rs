//! The formats Palisade reads from outside, each turned into the domain's checked types, and
//! what it writes for others: the spreadsheets, the published alerts as Atom, CSAF and STIX
//! (`publish`), and assessments as OSCAL assessment results (`oscal`). Pure functions: no I/O
//! beyond a directory listing, no clock, no store. Errors name where in the input they are
//! (`line 12: version`, `components[3].purl`, `vulnerabilities[1].dateAdded`).

pub mod cacao;
pub mod catalogs;
pub mod csaf;
pub mod csv_file;
pub mod csv_out;
pub mod eol;
pub mod files;
pub mod inventory;
pub mod kev;
pub mod oscal;
pub mod osv;
pub mod publish;
pub mod register;
pub mod sbom;
pub mod spreadsheet;
pub mod suppliers;
pub mod vex;
