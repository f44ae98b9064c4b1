//! Authorisation, decided in one place.
//!
//! A [`Principal`] is a signed-in person (or API token) with the role grants they hold. Every
//! question "may this person do X to organisation Y?" is answered by [`Principal::may`] from the
//! grants and the target's ancestry (the organisation, its parent, its grandparent...). A role held
//! in an organisation also covers the organisations beneath it: a care group's lead acts for its
//! homes, an ICB's lead for its practices. Lists are filtered by [`Principal::scope`], which the
//! store applies in SQL, so a page can never show more than the same question would allow.

use crate::people::Role;

/// Database id of an organisation.
pub type OrgId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    /// `None` for national roles.
    pub org_id: Option<OrgId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub grants: Vec<Grant>,
}

/// Things done to one organisation (or what belongs to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgAction {
    View,
    Edit,
    ViewContacts,
    ManageContacts,
    ViewPeople,
    ManagePeople,
    ViewAudit,
    /// Read the assessment, its answers, evidence and publications.
    ViewAssessment,
    /// Answer items, upload evidence, record certificates.
    AnswerAssessment,
    /// Submit (publish) and reopen the assessment: the organisation lead's act.
    SubmitAssessment,
    /// Record the independent audit of a submitted assessment: the appointed auditor's act.
    AuditAssessment,
    /// See the organisation's cyber alerts and its responses to them.
    ViewAlerts,
    /// Take the steps of the response loop for the organisation.
    RespondToAlerts,
    /// See the organisation's inventory, its unsupported systems and its exposure.
    ViewInventory,
    /// Upload the organisation's inventory and record mitigations: the organisation's own act.
    ManageInventory,
    /// Read the organisation's incidents (the national team reads every notified one).
    ViewIncidents,
    /// Report incidents and add updates to them: the organisation's own act.
    ReportIncidents,
    /// Read a supplier's charter signature and commitments.
    ViewCharter,
    /// Sign, reaffirm or withdraw the supplier's charter signature: the lead's act, at board
    /// level, never the national team's.
    SignCharter,
    /// See which suppliers' products and services the organisation uses, and those suppliers'
    /// charter states.
    ViewSuppliers,
    /// Record which products and services the organisation uses: its own act.
    ManageSuppliers,
    /// List an IT supplier's products and services: the supplier's own act.
    ManageProducts,
}

/// Things that are not about one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GlobalAction {
    CreateOrganisation,
    ImportOrganisations,
    ManageAllPeople,
    ViewWholeAuditLog,
    GrantNationalRoles,
    /// Import assessment frameworks.
    ManageFrameworks,
    /// National figures and every organisation's status.
    ViewNationalReport,
    /// Approve or return organisations' improvement plans.
    ReviewPlans,
    /// Draft, publish and update cyber alerts; chase late responses.
    ManageAlerts,
    /// Every organisation's responses to an alert (the response board).
    ViewAlertResponses,
    /// Import data feeds (product lifecycles, known exploited vulnerabilities, advisories).
    ImportFeeds,
    /// The national estate: unsupported systems and exposure across organisations, with names.
    ViewNationalEstate,
    /// Every notified incident: the triage board, figures and indicator search.
    ViewAllIncidents,
    /// Triage incidents: assign, grade nationally, move their status, apply playbooks.
    TriageIncidents,
    /// One search over every organisation, alert, notified incident and person.
    SearchEverything,
    /// The background jobs: see how they ran, and run one now.
    ManageJobs,
}

/// Which organisations a list may include.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// These organisations and everything beneath them. May be empty: then nothing.
    Within(Vec<OrgId>),
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Within(v) if v.is_empty())
    }
}

/// The one table of who may do what. `true` means the role permits the action on an organisation
/// where it is held (or on every organisation, for national roles).
pub fn role_permits(role: Role, action: OrgAction) -> bool {
    use OrgAction::*;
    use Role::*;
    match role {
        // The self-assessment is the organisation's own: the national team reads it, never
        // answers or submits it.
        NationalAdmin => !matches!(
            action,
            AnswerAssessment
                | SubmitAssessment
                | AuditAssessment
                | RespondToAlerts
                | ManageInventory
                | ReportIncidents
                | SignCharter
                | ManageSuppliers
                | ManageProducts
        ),
        NationalAnalyst => matches!(
            action,
            View | ViewContacts
                | ViewPeople
                | ViewAssessment
                | ViewAlerts
                | ViewInventory
                | ViewIncidents
                | ViewCharter
                | ViewSuppliers
        ),
        // The register entry itself (type, category, parent) is national data.
        OrgLead => !matches!(action, Edit | AuditAssessment),
        OrgMember => matches!(
            action,
            View | ViewContacts
                | ViewAssessment
                | AnswerAssessment
                | ViewAlerts
                | RespondToAlerts
                | ViewInventory
                | ManageInventory
                | ViewIncidents
                | ReportIncidents
                | ViewCharter
                | ViewSuppliers
                | ManageSuppliers
                | ManageProducts
        ),
        // An auditor reads the submission and its evidence where appointed.
        Auditor => matches!(action, View | ViewAssessment | AuditAssessment),
    }
}

pub fn role_permits_global(role: Role, action: GlobalAction) -> bool {
    match action {
        GlobalAction::CreateOrganisation
        | GlobalAction::ImportOrganisations
        | GlobalAction::ManageAllPeople
        | GlobalAction::ViewWholeAuditLog
        | GlobalAction::GrantNationalRoles
        | GlobalAction::ManageFrameworks
        | GlobalAction::ReviewPlans
        | GlobalAction::ManageAlerts
        | GlobalAction::ImportFeeds
        | GlobalAction::TriageIncidents
        | GlobalAction::ManageJobs => role == Role::NationalAdmin,
        GlobalAction::ViewNationalReport
        | GlobalAction::ViewAlertResponses
        | GlobalAction::ViewNationalEstate
        | GlobalAction::ViewAllIncidents
        | GlobalAction::SearchEverything => role.is_national(),
    }
}

impl Principal {
    /// May this principal do `action` to the organisation whose ancestry (itself first, then its
    /// parent, and so on) is given?
    pub fn may(&self, action: OrgAction, ancestry: &[OrgId]) -> bool {
        self.grants.iter().any(|g| {
            role_permits(g.role, action)
                && match g.org_id {
                    None => g.role.is_national(),
                    Some(id) => ancestry.contains(&id),
                }
        })
    }

    pub fn may_global(&self, action: GlobalAction) -> bool {
        self.grants
            .iter()
            .any(|g| g.org_id.is_none() && role_permits_global(g.role, action))
    }

    /// May this principal give (or take away) `role` in the organisation with this ancestry?
    /// National roles and auditors are appointed nationally; leads and members by a lead above.
    pub fn may_grant(&self, role: Role, ancestry: &[OrgId]) -> bool {
        match role {
            Role::NationalAdmin | Role::NationalAnalyst => {
                self.may_global(GlobalAction::GrantNationalRoles)
            }
            Role::Auditor => self.may_global(GlobalAction::ManageAllPeople),
            Role::OrgLead | Role::OrgMember => {
                self.may_global(GlobalAction::ManageAllPeople)
                    || self.may(OrgAction::ManagePeople, ancestry)
            }
        }
    }

    /// The organisations a list for `action` may include.
    pub fn scope(&self, action: OrgAction) -> Scope {
        if self
            .grants
            .iter()
            .any(|g| g.org_id.is_none() && g.role.is_national() && role_permits(g.role, action))
        {
            return Scope::All;
        }
        let mut ids: Vec<OrgId> = self
            .grants
            .iter()
            .filter(|g| role_permits(g.role, action))
            .filter_map(|g| g.org_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Scope::Within(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrgAction::*;

    const PARENT: OrgId = 10;
    const CHILD: OrgId = 11;
    const OTHER: OrgId = 20;

    fn who(role: Role, org: Option<OrgId>) -> Principal {
        Principal {
            user_id: 1,
            grants: vec![Grant { role, org_id: org }],
        }
    }

    /// Every action. The match below stops compiling when a variant is added: list it here too.
    const ALL_ACTIONS: [OrgAction; 22] = [
        View,
        Edit,
        ViewContacts,
        ManageContacts,
        ViewPeople,
        ManagePeople,
        ViewAudit,
        ViewAssessment,
        AnswerAssessment,
        SubmitAssessment,
        AuditAssessment,
        ViewAlerts,
        RespondToAlerts,
        ViewInventory,
        ManageInventory,
        ViewIncidents,
        ReportIncidents,
        ViewCharter,
        SignCharter,
        ViewSuppliers,
        ManageSuppliers,
        ManageProducts,
    ];

    #[test]
    fn every_action_is_listed() {
        for a in ALL_ACTIONS {
            match a {
                View | Edit | ViewContacts | ManageContacts | ViewPeople | ManagePeople
                | ViewAudit | ViewAssessment | AnswerAssessment | SubmitAssessment
                | AuditAssessment | ViewAlerts | RespondToAlerts | ViewInventory
                | ManageInventory | ViewIncidents | ReportIncidents | ViewCharter | SignCharter
                | ViewSuppliers | ManageSuppliers | ManageProducts => {}
            }
        }
        let distinct: std::collections::HashSet<_> = ALL_ACTIONS.iter().collect();
        assert_eq!(distinct.len(), ALL_ACTIONS.len());
    }

    #[test]
    fn national_admin_may_everything_but_answer_for_an_organisation() {
        let p = who(Role::NationalAdmin, None);
        for a in ALL_ACTIONS {
            let answers = matches!(
                a,
                AnswerAssessment
                    | SubmitAssessment
                    | AuditAssessment
                    | RespondToAlerts
                    | ManageInventory
                    | ReportIncidents
                    | SignCharter
                    | ManageSuppliers
                    | ManageProducts
            );
            assert_eq!(p.may(a, &[OTHER]), !answers, "{a:?}");
            assert_eq!(
                p.scope(a),
                if answers {
                    Scope::Within(vec![])
                } else {
                    Scope::All
                }
            );
        }
        assert!(p.may_global(GlobalAction::ImportOrganisations));
        assert!(p.may_global(GlobalAction::ManageFrameworks));
        assert!(p.may_global(GlobalAction::ReviewPlans));
        assert!(p.may_global(GlobalAction::ViewNationalReport));
        assert!(p.may_grant(Role::NationalAdmin, &[]));
    }

    #[test]
    fn incidents_are_reported_by_the_organisation_and_triaged_nationally() {
        for role in [Role::OrgLead, Role::OrgMember] {
            let p = who(role, Some(PARENT));
            assert!(p.may(ReportIncidents, &[CHILD, PARENT]), "{role:?}");
            assert!(p.may(ViewIncidents, &[PARENT]), "{role:?}");
            assert!(!p.may(ViewIncidents, &[OTHER]), "{role:?}");
            assert!(!p.may_global(GlobalAction::ViewAllIncidents));
        }
        let auditor = who(Role::Auditor, Some(PARENT));
        assert!(!auditor.may(ViewIncidents, &[PARENT]));
        assert!(!auditor.may(ReportIncidents, &[PARENT]));
        let analyst = who(Role::NationalAnalyst, None);
        assert!(analyst.may(ViewIncidents, &[OTHER]));
        assert!(!analyst.may(ReportIncidents, &[OTHER]));
        assert!(analyst.may_global(GlobalAction::ViewAllIncidents));
        assert!(!analyst.may_global(GlobalAction::TriageIncidents));
        let admin = who(Role::NationalAdmin, None);
        assert!(admin.may_global(GlobalAction::TriageIncidents));
        assert!(!admin.may(ReportIncidents, &[OTHER]));
    }

    #[test]
    fn the_charter_is_signed_by_the_suppliers_lead_and_read_nationally() {
        for (role, view, sign) in [
            (Role::OrgLead, true, true),
            (Role::OrgMember, true, false),
            (Role::Auditor, false, false),
        ] {
            let p = who(role, Some(PARENT));
            assert_eq!(p.may(ViewCharter, &[CHILD, PARENT]), view, "{role:?}");
            assert_eq!(p.may(SignCharter, &[PARENT]), sign, "{role:?}");
            assert!(!p.may(ViewCharter, &[OTHER]), "{role:?} elsewhere");
            assert!(!p.may(SignCharter, &[OTHER]), "{role:?} elsewhere");
        }
        for role in [Role::NationalAdmin, Role::NationalAnalyst] {
            let p = who(role, None);
            assert!(p.may(ViewCharter, &[OTHER]), "{role:?}");
            assert!(!p.may(SignCharter, &[OTHER]), "{role:?}");
        }
    }

    #[test]
    fn suppliers_used_are_kept_by_the_organisation_and_read_nationally() {
        for (role, view, manage) in [
            (Role::OrgLead, true, true),
            (Role::OrgMember, true, true),
            (Role::Auditor, false, false),
        ] {
            let p = who(role, Some(PARENT));
            assert_eq!(p.may(ViewSuppliers, &[CHILD, PARENT]), view, "{role:?}");
            assert_eq!(p.may(ManageSuppliers, &[PARENT]), manage, "{role:?}");
            assert_eq!(p.may(ManageProducts, &[PARENT]), manage, "{role:?}");
            for a in [ViewSuppliers, ManageSuppliers, ManageProducts] {
                assert!(!p.may(a, &[OTHER]), "{role:?} {a:?} elsewhere");
            }
        }
        for role in [Role::NationalAdmin, Role::NationalAnalyst] {
            let p = who(role, None);
            assert!(p.may(ViewSuppliers, &[OTHER]), "{role:?}");
            assert!(!p.may(ManageSuppliers, &[OTHER]), "{role:?}");
            assert!(!p.may(ManageProducts, &[OTHER]), "{role:?}");
        }
    }

    #[test]
    fn assessments_are_answered_by_the_organisation_and_submitted_by_its_lead() {
        let at = |role| who(role, Some(PARENT));
        for (role, view, answer, submit, audit) in [
            (Role::OrgLead, true, true, true, false),
            (Role::OrgMember, true, true, false, false),
            (Role::Auditor, true, false, false, true),
        ] {
            let p = at(role);
            assert_eq!(p.may(ViewAssessment, &[PARENT]), view, "{role:?}");
            assert_eq!(p.may(AnswerAssessment, &[PARENT]), answer, "{role:?}");
            assert_eq!(p.may(SubmitAssessment, &[PARENT]), submit, "{role:?}");
            assert_eq!(p.may(AuditAssessment, &[PARENT]), audit, "{role:?}");
            assert!(!p.may(ViewAssessment, &[OTHER]), "{role:?} elsewhere");
            assert!(
                !p.may(AuditAssessment, &[OTHER]),
                "{role:?} audits elsewhere"
            );
            assert!(
                !p.may_global(GlobalAction::ReviewPlans),
                "{role:?} reviews plans"
            );
        }
        let analyst = who(Role::NationalAnalyst, None);
        assert!(analyst.may(ViewAssessment, &[OTHER]) && !analyst.may(AnswerAssessment, &[OTHER]));
        assert!(!analyst.may(AuditAssessment, &[OTHER]));
        assert!(analyst.may_global(GlobalAction::ViewNationalReport));
        assert!(!analyst.may_global(GlobalAction::ManageFrameworks));
        assert!(!analyst.may_global(GlobalAction::ReviewPlans));
        assert!(!at(Role::OrgLead).may_global(GlobalAction::ViewNationalReport));
    }

    #[test]
    fn inventories_are_the_organisations_own_and_read_nationally() {
        for (role, view, manage) in [
            (Role::OrgLead, true, true),
            (Role::OrgMember, true, true),
            (Role::Auditor, false, false),
        ] {
            let p = who(role, Some(PARENT));
            assert_eq!(p.may(ViewInventory, &[CHILD, PARENT]), view, "{role:?}");
            assert_eq!(p.may(ManageInventory, &[PARENT]), manage, "{role:?}");
            assert!(!p.may(ViewInventory, &[OTHER]), "{role:?} elsewhere");
            assert!(!p.may(ManageInventory, &[OTHER]), "{role:?} elsewhere");
        }
        let analyst = who(Role::NationalAnalyst, None);
        assert!(analyst.may(ViewInventory, &[OTHER]) && !analyst.may(ManageInventory, &[OTHER]));
        assert_eq!(analyst.scope(ViewInventory), Scope::All);
    }

    #[test]
    fn alerts_are_answered_by_the_organisation_and_run_by_the_national_team() {
        for (role, view, respond) in [
            (Role::OrgLead, true, true),
            (Role::OrgMember, true, true),
            (Role::Auditor, false, false),
        ] {
            let p = who(role, Some(PARENT));
            assert_eq!(p.may(ViewAlerts, &[CHILD, PARENT]), view, "{role:?}");
            assert_eq!(
                p.may(RespondToAlerts, &[CHILD, PARENT]),
                respond,
                "{role:?}"
            );
            assert!(!p.may(ViewAlerts, &[OTHER]), "{role:?} elsewhere");
            assert!(!p.may_global(GlobalAction::ManageAlerts));
            assert!(!p.may_global(GlobalAction::ViewAlertResponses));
        }
        let admin = who(Role::NationalAdmin, None);
        assert!(
            admin.may_global(GlobalAction::ManageAlerts) && !admin.may(RespondToAlerts, &[OTHER])
        );
        let analyst = who(Role::NationalAnalyst, None);
        assert!(analyst.may_global(GlobalAction::ViewAlertResponses));
        assert!(!analyst.may_global(GlobalAction::ManageAlerts));
        assert!(analyst.may(ViewAlerts, &[OTHER]) && !analyst.may(RespondToAlerts, &[OTHER]));
    }

    #[test]
    fn the_estate_is_the_organisations_and_the_national_view_the_national_teams() {
        // Inventories: the organisation (and those above it) manage; the national team reads.
        for (role, view, manage) in [
            (Role::OrgLead, true, true),
            (Role::OrgMember, true, true),
            (Role::Auditor, false, false),
        ] {
            let p = who(role, Some(PARENT));
            assert_eq!(p.may(ViewInventory, &[CHILD, PARENT]), view, "{role:?}");
            assert_eq!(p.may(ManageInventory, &[CHILD, PARENT]), manage, "{role:?}");
            assert!(!p.may(ViewInventory, &[OTHER]), "{role:?} elsewhere");
            assert!(!p.may_global(GlobalAction::ViewNationalEstate), "{role:?}");
            assert!(!p.may_global(GlobalAction::ImportFeeds), "{role:?}");
        }
        for (role, import) in [(Role::NationalAdmin, true), (Role::NationalAnalyst, false)] {
            let p = who(role, None);
            assert!(p.may(ViewInventory, &[OTHER]) && !p.may(ManageInventory, &[OTHER]));
            assert!(p.may_global(GlobalAction::ViewNationalEstate), "{role:?}");
            assert_eq!(p.may_global(GlobalAction::ImportFeeds), import, "{role:?}");
            assert_eq!(p.may_global(GlobalAction::ManageJobs), import, "{role:?}");
            assert_eq!(p.scope(ViewInventory), Scope::All, "{role:?}");
        }
    }

    #[test]
    fn analyst_reads_but_never_writes() {
        let p = who(Role::NationalAnalyst, None);
        assert!(p.may(View, &[OTHER]) && p.may(ViewContacts, &[OTHER]));
        for a in [Edit, ManageContacts, ManagePeople, ViewAudit] {
            assert!(!p.may(a, &[OTHER]), "{a:?}");
        }
        assert!(!p.may_global(GlobalAction::CreateOrganisation));
        assert_eq!(p.scope(ManageContacts), Scope::Within(vec![]));
    }

    #[test]
    fn lead_covers_own_org_and_children_but_not_parent_or_others() {
        let p = who(Role::OrgLead, Some(PARENT));
        assert!(p.may(ManageContacts, &[PARENT]));
        assert!(
            !p.may(Edit, &[PARENT]),
            "the register entry is national data"
        );
        assert!(p.may(ManageContacts, &[CHILD, PARENT]));
        assert!(!p.may(View, &[OTHER]));
        let child_lead = who(Role::OrgLead, Some(CHILD));
        assert!(!child_lead.may(View, &[PARENT]));
        assert_eq!(p.scope(View), Scope::Within(vec![PARENT]));
        assert!(!p.may_global(GlobalAction::CreateOrganisation));
    }

    #[test]
    fn member_reads_contacts_but_cannot_manage() {
        let p = who(Role::OrgMember, Some(PARENT));
        assert!(p.may(View, &[PARENT]) && p.may(ViewContacts, &[PARENT]));
        for a in [Edit, ManageContacts, ViewPeople, ManagePeople, ViewAudit] {
            assert!(!p.may(a, &[PARENT]), "{a:?}");
        }
    }

    #[test]
    fn auditor_sees_the_organisation_but_not_personal_contacts() {
        let p = who(Role::Auditor, Some(PARENT));
        assert!(p.may(View, &[PARENT]));
        assert!(!p.may(ViewContacts, &[PARENT]));
        assert!(p.scope(ViewContacts).is_empty());
    }

    #[test]
    fn a_national_role_held_with_an_org_is_not_national() {
        // Defensive: a malformed grant must not widen access.
        let p = who(Role::NationalAdmin, Some(PARENT));
        assert!(!p.may_global(GlobalAction::CreateOrganisation));
        assert!(p.may(View, &[PARENT]));
        assert!(!p.may(View, &[OTHER]));
    }

    #[test]
    fn granting_rules() {
        let lead = who(Role::OrgLead, Some(PARENT));
        assert!(lead.may_grant(Role::OrgMember, &[CHILD, PARENT]));
        assert!(lead.may_grant(Role::OrgLead, &[PARENT]));
        assert!(!lead.may_grant(Role::OrgMember, &[OTHER]));
        assert!(!lead.may_grant(Role::Auditor, &[PARENT]));
        assert!(!lead.may_grant(Role::NationalAdmin, &[]));
        let member = who(Role::OrgMember, Some(PARENT));
        assert!(!member.may_grant(Role::OrgMember, &[PARENT]));
    }

    #[test]
    fn several_grants_combine() {
        let p = Principal {
            user_id: 1,
            grants: vec![
                Grant {
                    role: Role::OrgMember,
                    org_id: Some(PARENT),
                },
                Grant {
                    role: Role::OrgLead,
                    org_id: Some(OTHER),
                },
                Grant {
                    role: Role::OrgLead,
                    org_id: Some(OTHER),
                },
            ],
        };
        assert!(p.may(ManageContacts, &[OTHER]));
        assert!(!p.may(ManageContacts, &[PARENT]));
        assert_eq!(p.scope(View), Scope::Within(vec![PARENT, OTHER]));
        assert_eq!(p.scope(ManageContacts), Scope::Within(vec![OTHER]));
    }
}
