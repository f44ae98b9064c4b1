//! The store's behaviour, checked on SQLite and (when configured) PostgreSQL alike.

use palisade_domain::audit::{AuditDraft, ChainVerifier};
use palisade_domain::org::{OrgCode, OrgFields, OrgInput};
use palisade_domain::page::PageRequest;
use palisade_domain::people::{ContactInput, Email, Role};
use palisade_domain::policy::Scope;
use palisade_store::testkit::TestDb;
use palisade_store::*;

#[path = "conformance/figures.rs"]
mod figures;
#[path = "conformance/identities.rs"]
mod identities;
#[path = "conformance/outbox.rs"]
mod outbox;

fn draft(action: &str, entity: &str) -> AuditDraft {
    AuditDraft {
        at: 1_700_000_000,
        actor_user_id: None,
        actor: "test".into(),
        action: action.into(),
        entity_type: entity.into(),
        entity_id: "x".into(),
        org_id: None,
        summary: serde_json::json!({}),
    }
}

fn org(code: &str, t: &str, parent: &str) -> OrgFields {
    OrgInput {
        code: code.into(),
        name: format!("Organisation {code}"),
        org_type: t.into(),
        category: String::new(),
        region: "London".into(),
        parent_code: parent.into(),
    }
    .validate("")
    .unwrap()
}

/// Creates an organisation through the store, as every scenario here starts by doing.
async fn create(s: &SqlStore, code: &str, org_type: &str, parent: &str) -> Organisation {
    s.create_org(
        &org(code, org_type, parent),
        draft("organisation.create", "organisation"),
    )
    .await
    .unwrap()
}

fn code(c: &str) -> OrgCode {
    OrgCode::parse("code", c).unwrap()
}

/// A person with no password and no role yet.
async fn person(s: &SqlStore, email: &str) -> User {
    let new = NewUser {
        email: email.into(),
        name: "Pat Person".into(),
        password_hash: None,
        now: 1,
        first_grant: None,
    };
    s.create_user(&new, draft("user.create", "user"))
        .await
        .unwrap()
}

async fn verify_chain(s: &SqlStore) -> Result<u64, palisade_domain::audit::ChainBreak> {
    let mut v = ChainVerifier::default();
    let mut after = 0;
    loop {
        let batch = s.audit_batch(after, 500).await.unwrap();
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            v.push(e)?;
            after = e.seq;
        }
    }
    let (seq, hash) = s.audit_head().await.unwrap();
    v.finish(seq, &hash)
}

/// An organisation's chain runs nearest first over three levels, whatever order the
/// organisations were made in: the top one here is made last and put above the middle one.
#[tokio::test]
async fn an_organisation_s_chain_runs_nearest_first() {
    for db in TestDb::all().await {
        let s = &db.store;
        let middle = create(s, "QWE", "icb", "").await;
        let gp = create(s, "A81001", "gp_practice", "QWE").await;
        let top = create(s, "QAA", "icb", "").await;
        s.update_org(
            middle.id,
            &org("QWE", "icb", "QAA"),
            true,
            draft("organisation.update", "organisation"),
        )
        .await
        .unwrap();
        let (_, chain) = s.find_org(&code("A81001")).await.unwrap().unwrap();
        assert_eq!(chain, vec![gp.id, middle.id, top.id]);
        db.cleanup().await;
    }
}

/// Every change to an organisation moves the register's version on, whichever way it is made
/// (created, renamed, moved under another parent, made inactive, imported), and nothing else
/// does. The organisation, a token's owner and a session each come with the version they were
/// read at, so a server may hold an organisation for as long as the version stands.
#[tokio::test]
async fn the_register_s_version_moves_with_every_change_to_an_organisation() {
    for db in TestDb::all().await {
        let s = &db.store;
        let version = || async { s.find_org_as_of(&code("A81001")).await.unwrap().unwrap() };
        create(s, "QWE", "icb", "").await;
        create(s, "QAA", "icb", "").await;
        let gp = create(s, "A81001", "gp_practice", "QWE").await;
        let start = version().await;
        assert_eq!(start.org.id, gp.id);

        // Credentials come with the version, read in their own statement.
        let u = person(s, "reader@example.nhs.uk").await;
        s.create_token(
            &NewToken {
                user_id: u.id,
                label: "t".into(),
                token_hash: "th-register".into(),
                prefix: "pal_ab".into(),
                now: 5,
            },
            draft("token.create", "api_token"),
        )
        .await
        .unwrap();
        s.create_session(
            &NewSession {
                id_hash: "h-register".into(),
                user_id: u.id,
                csrf_token: "c".into(),
                auth_version: u.auth_version,
                now: 10,
                expires_at: 100,
                idp: None,
            },
            None,
        )
        .await
        .unwrap();
        let token = s.find_token("th-register").await.unwrap().unwrap();
        let session = s.get_session("h-register").await.unwrap().unwrap();
        assert_eq!(
            (token.register_version, session.register_version),
            (start.register_version, start.register_version),
            "people, tokens and sessions are not the register"
        );

        let mut seen = start.register_version;
        let mut moved_on = |found: FoundOrg, what: &str| {
            assert!(found.register_version > seen, "{what} moves the version on");
            seen = found.register_version;
            found
        };
        s.update_org(
            gp.id,
            &OrgFields {
                name: "Renamed practice".into(),
                ..org("A81001", "gp_practice", "QWE")
            },
            true,
            draft("organisation.update", "organisation"),
        )
        .await
        .unwrap();
        let renamed = moved_on(version().await, "a new name");
        assert_eq!(renamed.org.name, "Renamed practice");
        s.update_org(
            gp.id,
            &org("A81001", "gp_practice", "QAA"),
            true,
            draft("organisation.update", "organisation"),
        )
        .await
        .unwrap();
        let moved = moved_on(version().await, "a new parent");
        assert_eq!(
            moved.ancestry[1],
            s.find_org(&code("QAA")).await.unwrap().unwrap().0.id
        );
        s.update_org(
            gp.id,
            &org("A81001", "gp_practice", "QAA"),
            false,
            draft("organisation.update", "organisation"),
        )
        .await
        .unwrap();
        assert!(!moved_on(version().await, "made inactive").org.active);
        let who = ImportAudit {
            at: 1_700_000_000,
            actor_user_id: None,
            actor: "cli".into(),
        };
        let row = ImportRow {
            line: 2,
            fields: org("A81001", "gp_practice", "QWE"),
            active: true,
        };
        s.import_orgs(&[row], who).await.unwrap();
        let imported = moved_on(version().await, "an import");
        assert!(imported.org.active);
        create(s, "B82001", "gp_practice", "QWE").await;
        moved_on(version().await, "a new organisation");
        let token = s.find_token("th-register").await.unwrap().unwrap();
        let session = s.get_session("h-register").await.unwrap().unwrap();
        assert_eq!(
            (token.register_version, session.register_version),
            (seen, seen),
            "a token or a session read now sees the version now"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn organisations_scope_and_hierarchy() {
    for db in TestDb::all().await {
        let s = &db.store;
        let icb = create(s, "QWE", "icb", "").await;
        let gp = create(s, "a81001", "gp_practice", "qwe").await;
        let other = create(s, "RX1", "acute_trust", "").await;
        assert_eq!(gp.code, "A81001");
        assert_eq!(gp.parent_code.as_deref(), Some("QWE"));

        // Codes are unique case-insensitively.
        let dup = s
            .create_org(
                &org("rx1", "acute_trust", ""),
                draft("organisation.create", "organisation"),
            )
            .await;
        assert!(
            matches!(dup, Err(StoreError::Conflict { ref field, .. }) if field == "code"),
            "{:?}",
            db.engine()
        );
        // Unknown parent is refused.
        let orphan = s
            .create_org(
                &org("ZZZ", "icb", "NOPE"),
                draft("organisation.create", "organisation"),
            )
            .await;
        assert!(matches!(orphan, Err(StoreError::Invalid(_))));

        let (_, anc) = s.find_org(&code("a81001")).await.unwrap().unwrap();
        assert_eq!(anc, vec![gp.id, icb.id]);

        // A scope covers the organisation and what is beneath it, nothing else.
        let page = s
            .list_orgs(
                &Scope::Within(vec![icb.id]),
                &OrgFilter::default(),
                PageRequest::default(),
            )
            .await
            .unwrap();
        let codes: Vec<_> = page.items.iter().map(|o| o.code.as_str()).collect();
        assert_eq!(codes, ["A81001", "QWE"]);
        assert_eq!(page.total, 2);
        assert!(!page.items.iter().any(|o| o.id == other.id));
        let none = s
            .list_orgs(
                &Scope::Within(vec![]),
                &OrgFilter::default(),
                PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(none.total, 0);

        // Filters and search.
        let f = OrgFilter {
            q: Some("a810".into()),
            ..Default::default()
        };
        assert_eq!(
            s.list_orgs(&Scope::All, &f, PageRequest::default())
                .await
                .unwrap()
                .total,
            1
        );
        let f = OrgFilter {
            q: Some("%".into()),
            ..Default::default()
        };
        assert_eq!(
            s.list_orgs(&Scope::All, &f, PageRequest::default())
                .await
                .unwrap()
                .total,
            0,
            "wildcards are literal"
        );
        let f = OrgFilter {
            org_type: Some(palisade_domain::org::OrgType::AcuteTrust),
            ..Default::default()
        };
        assert_eq!(
            s.list_orgs(&Scope::All, &f, PageRequest::default())
                .await
                .unwrap()
                .total,
            1
        );
        let p2 = s
            .list_orgs(
                &Scope::All,
                &OrgFilter::default(),
                PageRequest::new(Some(2), Some(2)),
            )
            .await
            .unwrap();
        assert_eq!((p2.items.len(), p2.total), (1, 3));

        // Loops are refused on update; deactivation sticks.
        let mut icb_fields = org("QWE", "icb", "A81001");
        let looped = s
            .update_org(
                icb.id,
                &icb_fields,
                true,
                draft("organisation.update", "organisation"),
            )
            .await;
        assert!(matches!(looped, Err(StoreError::Invalid(_))));
        icb_fields.parent_code = None;
        icb_fields.name = "Renamed ICB".into();
        let updated = s
            .update_org(
                icb.id,
                &icb_fields,
                false,
                draft("organisation.update", "organisation"),
            )
            .await
            .unwrap();
        assert_eq!(
            (updated.name.as_str(), updated.active),
            ("Renamed ICB", false)
        );

        assert_eq!(
            verify_chain(s).await.unwrap(),
            4,
            "three creations and one update"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn import_is_idempotent_and_all_or_nothing() {
    for db in TestDb::all().await {
        let s = &db.store;
        let who = ImportAudit {
            at: 1_700_000_000,
            actor_user_id: None,
            actor: "cli".into(),
        };
        let rows = vec![
            ImportRow {
                line: 2,
                fields: org("A81001", "gp_practice", "QWE"),
                active: true,
            },
            ImportRow {
                line: 3,
                fields: org("QWE", "icb", ""),
                active: true,
            },
        ];
        let r = s.import_orgs(&rows, who.clone()).await.unwrap();
        assert_eq!(
            r,
            ImportReport {
                created: 2,
                updated: 0,
                unchanged: 0
            }
        );
        let r = s.import_orgs(&rows, who.clone()).await.unwrap();
        assert_eq!(
            r,
            ImportReport {
                created: 0,
                updated: 0,
                unchanged: 2
            }
        );

        let mut changed = rows.clone();
        changed[0].fields.name = "New name".into();
        changed.push(ImportRow {
            line: 4,
            fields: org("RX1", "acute_trust", "MISSING"),
            active: true,
        });
        let err = s.import_orgs(&changed, who.clone()).await.unwrap_err();
        match err {
            StoreError::Invalid(e) => assert_eq!(e.0[0].field, "line 4: parent_code"),
            other => panic!("{other:?}"),
        }
        // Nothing of the failed import landed.
        let (o, _) = s.find_org(&code("A81001")).await.unwrap().unwrap();
        assert_eq!(o.name, "Organisation A81001");
        assert!(s.find_org(&code("RX1")).await.unwrap().is_none());

        changed.pop();
        let r = s.import_orgs(&changed, who).await.unwrap();
        assert_eq!(
            r,
            ImportReport {
                created: 0,
                updated: 1,
                unchanged: 1
            }
        );
        assert_eq!(verify_chain(s).await.unwrap(), 3);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn contacts_are_held_per_organisation() {
    for db in TestDb::all().await {
        let s = &db.store;
        let a = create(s, "AAA", "icb", "").await;
        let b = create(s, "BBB", "icb", "").await;
        let input = ContactInput {
            name: "Sam Patel".into(),
            role: "siro".into(),
            email: "sam@nhs.net".into(),
            mobile: "07700 900123".into(),
            ..Default::default()
        };
        let c = s
            .create_contact(
                a.id,
                &input.validate().unwrap(),
                draft("contact.create", "contact"),
            )
            .await
            .unwrap();
        assert_eq!(c.mobile.as_deref(), Some("+447700900123"));
        // Another organisation's id never reaches it.
        assert!(s.get_contact(b.id, c.id).await.unwrap().is_none());
        let upd = s
            .update_contact(
                b.id,
                c.id,
                &input.validate().unwrap(),
                draft("contact.update", "contact"),
            )
            .await;
        assert!(matches!(upd, Err(StoreError::NotFound)));
        assert!(matches!(
            s.delete_contact(b.id, c.id, draft("contact.delete", "contact"))
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(s.list_contacts(a.id).await.unwrap().len(), 1);
        let code = |c: &str| OrgCode::parse("code", c).unwrap();
        let found: Vec<String> = s
            .orgs_by_codes(&[code("BBB"), code("ZZZ"), code("AAA")])
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.code)
            .collect();
        assert_eq!(found, ["AAA", "BBB"], "known codes only, in order");
        assert!(s.orgs_by_codes(&[]).await.unwrap().is_empty());

        // The bulk path adds a contact only where there is none, each with its audit entry.
        let seeded = |org_id| palisade_store::SeededContact {
            org_id,
            fields: input.validate().unwrap(),
            audit: draft("contact.create", "contact"),
        };
        let before = verify_chain(s).await.unwrap();
        assert_eq!(
            s.seed_contacts(&[seeded(a.id), seeded(b.id)])
                .await
                .unwrap(),
            1
        );
        assert_eq!(s.list_contacts(a.id).await.unwrap().len(), 1);
        assert_eq!(s.list_contacts(b.id).await.unwrap().len(), 1);
        assert_eq!(s.seed_contacts(&[seeded(b.id)]).await.unwrap(), 0);
        assert_eq!(verify_chain(s).await.unwrap(), before + 1);

        s.delete_contact(a.id, c.id, draft("contact.delete", "contact"))
            .await
            .unwrap();
        assert!(s.list_contacts(a.id).await.unwrap().is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn people_grants_sessions_and_tokens() {
    for db in TestDb::all().await {
        let s = &db.store;
        let a = create(s, "AAA", "icb", "").await;
        let new = NewUser {
            email: "Lead@Example.nhs.uk".into(),
            name: "Lee Lead".into(),
            password_hash: Some("h".into()),
            now: 1,
            first_grant: None,
        };
        let u = s
            .create_user(&new, draft("user.create", "user"))
            .await
            .unwrap();
        assert_eq!(u.email, "lead@example.nhs.uk");
        assert!(matches!(
            s.create_user(&new, draft("user.create", "user")).await,
            Err(StoreError::Conflict { .. })
        ));
        assert!(
            s.find_user_by_email(&Email::parse("e", "LEAD@example.nhs.uk").unwrap())
                .await
                .unwrap()
                .is_some()
        );

        s.add_grant(u.id, Role::OrgLead, Some(a.id), draft("role.grant", "user"))
            .await
            .unwrap();
        assert!(
            s.add_grant(u.id, Role::OrgLead, Some(a.id), draft("role.grant", "user"))
                .await
                .is_err()
        );
        s.add_grant(
            u.id,
            Role::NationalAnalyst,
            None,
            draft("role.grant", "user"),
        )
        .await
        .unwrap();
        assert!(
            s.add_grant(
                u.id,
                Role::NationalAnalyst,
                None,
                draft("role.grant", "user")
            )
            .await
            .is_err()
        );
        let grants = s.grants_of(u.id, &Scope::All).await.unwrap();
        assert_eq!(grants.len(), 2);
        assert_eq!(s.people_of_org(a.id).await.unwrap().len(), 1);
        let listed = s
            .list_users(&Scope::Within(vec![a.id]), "", PageRequest::default())
            .await
            .unwrap();
        assert_eq!(listed.total, 1);
        assert_eq!(
            s.list_users(&Scope::Within(vec![]), "", PageRequest::default())
                .await
                .unwrap()
                .total,
            0
        );

        let after_grants = s.get_user(u.id).await.unwrap().unwrap().auth_version;
        assert_eq!(after_grants, 3, "each role change bumps the auth version");

        let sess = NewSession {
            id_hash: "h1".into(),
            user_id: u.id,
            csrf_token: "c".into(),
            auth_version: after_grants,
            now: 10,
            expires_at: 100,
            idp: None,
        };
        s.create_session(&sess, None).await.unwrap();
        let got = s.get_session("h1").await.unwrap().unwrap();
        assert_eq!(
            (
                got.user.id,
                got.user.active,
                got.auth_version == got.user.auth_version
            ),
            (u.id, true, true)
        );
        assert_eq!(
            got.user.email, "lead@example.nhs.uk",
            "the person comes with the session"
        );
        let rotated = NewSession {
            id_hash: "h2".into(),
            ..sess.clone()
        };
        s.rotate_session("h1", &rotated).await.unwrap();
        assert!(s.get_session("h1").await.unwrap().is_none());
        assert_eq!(s.purge_sessions(100, 0).await.unwrap(), 1);

        let token = |user_id: i64, token_hash: &str| NewToken {
            user_id,
            label: "ci".into(),
            token_hash: token_hash.into(),
            prefix: "pal_ab".into(),
            now: 5,
        };
        let t = s
            .create_token(&token(u.id, "th"), draft("token.create", "api_token"))
            .await
            .unwrap();
        let found = s.find_token("th").await.unwrap().unwrap();
        assert_eq!((found.token.id, found.user.id), (t.id, u.id));
        assert_eq!(
            found.grants, grants,
            "the owner's roles come with the token"
        );
        // Someone with no role at all: a token, and no roles with it.
        let nobody = person(s, "nobody@example.nhs.uk").await;
        s.create_token(
            &token(nobody.id, "th-nobody"),
            draft("token.create", "api_token"),
        )
        .await
        .unwrap();
        let found = s.find_token("th-nobody").await.unwrap().unwrap();
        assert_eq!((found.user.id, found.grants), (nobody.id, vec![]));
        assert!(matches!(
            s.revoke_token(u.id + 99, t.id, 6, draft("token.revoke", "api_token"))
                .await,
            Err(StoreError::NotFound)
        ));
        s.revoke_token(u.id, t.id, 6, draft("token.revoke", "api_token"))
            .await
            .unwrap();
        assert!(s.find_token("th").await.unwrap().is_none());

        let attempt = |now| LoginAttempt {
            user_id: u.id,
            now,
            threshold: 2,
            lock_until: now + 900,
        };
        assert_eq!(s.claim_login_attempt(&attempt(100)).await.unwrap(), Some(1));
        assert_eq!(s.get_user(u.id).await.unwrap().unwrap().locked_until, None);
        assert_eq!(
            s.claim_login_attempt(&attempt(101)).await.unwrap(),
            Some(2),
            "the attempt that reaches the threshold is still checked"
        );
        assert_eq!(
            s.get_user(u.id).await.unwrap().unwrap().locked_until,
            Some(1001)
        );
        // Locked: refused up to the last second, counted again from the second it ends.
        assert_eq!(s.claim_login_attempt(&attempt(102)).await.unwrap(), None);
        assert_eq!(s.claim_login_attempt(&attempt(1000)).await.unwrap(), None);
        assert_eq!(
            s.claim_login_attempt(&attempt(1001)).await.unwrap(),
            Some(1)
        );
        assert_eq!(s.get_user(u.id).await.unwrap().unwrap().locked_until, None);
        s.record_login_success(u.id).await.unwrap();
        let cleared = s.get_user(u.id).await.unwrap().unwrap();
        assert_eq!((cleared.failed_logins, cleared.locked_until), (0, None));

        s.set_user_active(u.id, false, draft("user.deactivate", "user"))
            .await
            .unwrap();
        assert!(!s.get_user(u.id).await.unwrap().unwrap().active);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn audit_chain_detects_tampering_in_the_database() {
    for db in TestDb::all().await {
        let s = &db.store;
        for i in 0..5 {
            let mut d = draft("test.event", "thing");
            d.entity_id = i.to_string();
            s.append_audit(d).await.unwrap();
        }
        assert_eq!(verify_chain(s).await.unwrap(), 5);
        let page = s
            .list_audit(
                &Scope::All,
                &AuditFilter::default(),
                PageRequest::new(Some(1), Some(2)),
            )
            .await
            .unwrap();
        assert_eq!((page.total, page.items[0].seq), (5, 5));

        // Alter one row behind the application's back.
        let conn_url = db.url.clone();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&conn_url)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(verify_chain(s).await.unwrap_err().seq, 3);
        sqlx::query("UPDATE audit_log SET actor = 'test' WHERE seq = 3")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("DELETE FROM audit_log WHERE seq = 5")
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(verify_chain(s).await.unwrap_err().seq, 5);
        drop(conn);
        db.cleanup().await;
    }
}

/// Audited changes made at once take the audit head in turn: each gets the next sequence
/// number and links to the entry before it, whichever transaction wrote that (on PostgreSQL the
/// head is read by the statement that locks it).
#[tokio::test]
async fn audited_changes_at_once_keep_one_chain() {
    for db in TestDb::all().await {
        let s = &db.store;
        let writes = (0..24).map(|i| {
            let mut d = draft("test.event", "thing");
            d.entity_id = i.to_string();
            s.append_audit(d)
        });
        let mut seqs: Vec<i64> = futures_util::future::join_all(writes)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=24).collect::<Vec<i64>>());
        assert_eq!(verify_chain(s).await.unwrap(), 24);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn large_import_spans_batches_and_keeps_the_chain() {
    for db in TestDb::all().await {
        let s = &db.store;
        let who = ImportAudit {
            at: 1_700_000_000,
            actor_user_id: None,
            actor: "cli".into(),
        };
        // Children first in the file: their parents come later, in another batch.
        let mut rows: Vec<ImportRow> = (0..1_199)
            .map(|i| ImportRow {
                line: i + 2,
                fields: org(
                    &format!("B{:05}", 81_000 + i),
                    "gp_practice",
                    if i % 2 == 0 { "QAA" } else { "QBB" },
                ),
                active: true,
            })
            .collect();
        rows.push(ImportRow {
            line: 1_201,
            fields: org("QAA", "icb", ""),
            active: true,
        });
        rows.push(ImportRow {
            line: 1_202,
            fields: org("QBB", "icb", ""),
            active: true,
        });
        assert_eq!(
            s.import_orgs(&rows, who.clone()).await.unwrap().created,
            1_201
        );
        let (_, anc) = s.find_org(&code("B81998")).await.unwrap().unwrap();
        let (qaa, _) = s.find_org(&code("QAA")).await.unwrap().unwrap();
        assert_eq!(anc[1], qaa.id, "parent set across batches");

        // Move every practice to QBB and remove one parent: only those rows change.
        for r in rows.iter_mut().take(1_199) {
            r.fields.parent_code = Some(code("QBB"));
        }
        rows[1].fields.parent_code = None;
        let report = s.import_orgs(&rows, who).await.unwrap();
        assert_eq!(
            (report.created, report.updated, report.unchanged),
            (0, 601, 600),
            "600 practices moved, 1 left without a parent"
        );
        let (b1, _) = s.find_org(&code("B81001")).await.unwrap().unwrap();
        assert_eq!(b1.parent_id, None);
        let (b0, _) = s.find_org(&code("B81000")).await.unwrap().unwrap();
        assert_eq!(b0.parent_code.as_deref(), Some("QBB"));
        assert_eq!(verify_chain(s).await.unwrap(), 1_802);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_last_national_admin_cannot_be_removed() {
    for db in TestDb::all().await {
        let s = &db.store;
        let a = person(s, "a@x.nhs.uk").await;
        let b = person(s, "b@x.nhs.uk").await;
        s.add_grant(a.id, Role::NationalAdmin, None, draft("role.grant", "user"))
            .await
            .unwrap();
        let last = s
            .remove_grant(
                a.id,
                Role::NationalAdmin,
                None,
                draft("role.revoke", "user"),
            )
            .await;
        assert!(matches!(last, Err(StoreError::Conflict { .. })), "{last:?}");
        let last = s
            .set_user_active(a.id, false, draft("user.deactivate", "user"))
            .await;
        assert!(matches!(last, Err(StoreError::Conflict { .. })), "{last:?}");
        // With a second administrator, either may go.
        s.add_grant(b.id, Role::NationalAdmin, None, draft("role.grant", "user"))
            .await
            .unwrap();
        s.remove_grant(
            a.id,
            Role::NationalAdmin,
            None,
            draft("role.revoke", "user"),
        )
        .await
        .unwrap();
        assert!(s.grants_of(a.id, &Scope::All).await.unwrap().is_empty());
        assert_eq!(
            verify_chain(s).await.unwrap(),
            5,
            "refused changes leave no entry"
        );
        db.cleanup().await;
    }
}

fn new_framework(key: &str, hash: &str, categories: &[u8]) -> NewFramework {
    NewFramework {
        key: key.into(),
        year: 2026,
        version: "1".into(),
        kind: palisade_domain::framework::FrameworkKind::TenStandard,
        name: format!("Framework {key}"),
        deadline: "2027-06-30".into(),
        categories: categories
            .iter()
            .map(|c| (*c).try_into().unwrap())
            .collect(),
        content_hash: hash.into(),
        document: "{}".into(),
    }
}

fn change(r: &str, v: Option<&str>, expected: Option<i64>) -> AnswerChange {
    AnswerChange {
        reference: r.into(),
        value: v.map(str::to_string),
        expected_version: expected,
    }
}

const STAMP: Stamp = Stamp {
    at: 1_700_000_100,
    user_id: None,
};

#[tokio::test]
async fn frameworks_import_once_and_the_newest_applies() {
    use palisade_domain::org::Category;
    for db in TestDb::all().await {
        let s = &db.store;
        let (a, created) = s
            .import_framework(
                &new_framework("ten", "h1", &[3, 4]),
                draft("framework.import", "framework"),
            )
            .await
            .unwrap();
        assert!(created);
        assert_eq!(a.categories, vec![Category::Three, Category::Four]);
        let (again, created) = s
            .import_framework(
                &new_framework("ten", "h1", &[3, 4]),
                draft("framework.import", "framework"),
            )
            .await
            .unwrap();
        assert!(!created, "same content is not imported twice");
        assert_eq!(again.id, a.id);
        let (b, _) = s
            .import_framework(
                &new_framework("ten", "h2", &[3]),
                draft("framework.import", "framework"),
            )
            .await
            .unwrap();
        assert_eq!(
            s.current_framework(2026, Category::Three)
                .await
                .unwrap()
                .unwrap()
                .id,
            b.id
        );
        assert_eq!(
            s.current_framework(2026, Category::Four)
                .await
                .unwrap()
                .unwrap()
                .id,
            a.id
        );
        assert!(
            s.current_framework(2026, Category::One)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.current_framework(2025, Category::Three)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(s.list_frameworks().await.unwrap().len(), 2);
        let (rec, doc) = s.framework_document(a.id).await.unwrap().unwrap();
        assert_eq!((rec.key.as_str(), doc.as_str()), ("ten", "{}"));
        assert_eq!(
            verify_chain(s).await.unwrap(),
            2,
            "one audit entry per new version"
        );
        db.cleanup().await;
    }
}

/// A GP practice (A81001) and the key of its 2026 assessment under a new framework.
async fn gp_with_framework(s: &SqlStore) -> (Organisation, AssessmentKey) {
    let gp = create(s, "A81001", "gp_practice", "").await;
    let (fw, _) = s
        .import_framework(
            &new_framework("ten", "h1", &[4]),
            draft("framework.import", "framework"),
        )
        .await
        .unwrap();
    let key = AssessmentKey {
        org_id: gp.id,
        year: 2026,
        framework_id: fw.id,
    };
    (gp, key)
}

/// A save of many answers (their references travel to the database as one parameter, whatever
/// their number) checks each version and skips unchanged values as a smaller one does.
#[tokio::test]
async fn a_save_of_many_answers_checks_each_version() {
    for db in TestDb::all().await {
        let s = &db.store;
        let (_, key) = gp_with_framework(s).await;
        // Each side of the 160 references a statement once took, and well past it; each size
        // on answers of its own.
        for n in [160usize, 161, 300] {
            let refs: Vec<String> = (0..n).map(|i| format!("{n}.{i}")).collect();
            let save = |changes: Vec<AnswerChange>| async move {
                s.save_answers(
                    key,
                    &changes,
                    None,
                    STAMP,
                    draft("assessment.answers", "assessment"),
                )
                .await
            };
            let all = |value: &str| {
                refs.iter()
                    .map(|r| change(r, Some(value), Some(0)))
                    .collect::<Vec<_>>()
            };
            let (_, changed) = save(all("yes")).await.unwrap();
            assert_eq!(changed.len(), n);
            // Each answer is now at version 1: a batch still expecting 0 is refused, every
            // answer named, and nothing is written.
            match save(all("no")).await.unwrap_err() {
                StoreError::Stale(errs) => assert_eq!(errs.0.len(), n, "{errs:?}"),
                other => panic!("{other:?}"),
            }
            // The same values at their versions change nothing but the one that differs.
            let mut again: Vec<AnswerChange> = refs
                .iter()
                .map(|r| change(r, Some("yes"), Some(1)))
                .collect();
            again[150].value = Some("no".into());
            let (_, changed) = save(again).await.unwrap();
            assert_eq!(changed, vec![format!("{n}.150")]);
        }
        db.cleanup().await;
    }
}

/// An assessment's parts come back whole and in their orders on both engines: text that JSON
/// must escape, who changed what, documents taken off left out, publications newest first.
#[tokio::test]
async fn an_assessment_s_parts_read_back_whole_and_in_order() {
    use palisade_domain::assessment::Status;
    for db in TestDb::all().await {
        let s = &db.store;
        let (_, key) = gp_with_framework(s).await;
        let nothing = s.assessment_parts(i64::MAX).await.unwrap();
        assert!(nothing.answers.is_empty() && nothing.certificates.is_empty());
        assert!(nothing.evidence.is_empty() && nothing.publications.is_empty());

        let user = person(s, "parts@example.nhs.uk").await;
        let by_user = Stamp {
            at: STAMP.at,
            user_id: Some(user.id),
        };
        let save = |key: AssessmentKey, changes: Vec<AnswerChange>, stamp: Stamp| async move {
            s.save_answers(
                key,
                &changes,
                None,
                stamp,
                draft("assessment.answers", "assessment"),
            )
            .await
            .unwrap()
        };
        let (a, _) = save(key, vec![change("1.2", Some("no"), Some(0))], by_user).await;
        // Another organisation's assessment then answers the same references, twice: a save
        // here must see only this assessment's answers ("1.1" unanswered, so version 0).
        let other = create(s, "A81002", "gp_practice", "").await;
        let other_key = AssessmentKey {
            org_id: other.id,
            ..key
        };
        for (value, expected) in [("yes", 0), ("no", 1)] {
            let both = vec![
                change("1.1", Some(value), Some(expected)),
                change("1.2", Some(value), Some(expected)),
            ];
            save(other_key, both, STAMP).await;
        }
        let awkward = "Jo \"O'Neil\" \\ ü — 北\nline two\t[1, 2]";
        save(key, vec![change("1.1", Some(awkward), Some(0))], by_user).await;
        save(key, vec![change("1.2", Some("yes"), Some(1))], STAMP).await;
        let cert = |kind: &str, reference: &str, expires_on: &str| NewCertificate {
            kind: kind.into(),
            reference: reference.into(),
            expires_on: expires_on.into(),
        };
        s.set_certificates(
            key,
            &[
                cert("iso27001", "ISO-1", "2027-01-01"),
                cert("cyber_essentials_plus", "CE-2", "2028-01-01"),
                cert("cyber_essentials_plus", "CE-1", "2027-06-01"),
                cert("cyber_essentials_plus", "CE-0", "2027-06-01"),
            ],
            STAMP,
            draft("assessment.certificates", "assessment"),
        )
        .await
        .unwrap();
        let doc = |reference: &str, filename: &str| NewEvidence {
            reference: reference.into(),
            filename: filename.into(),
            content_type: "text/plain".into(),
            size: 12,
            sha256: "ab".repeat(32),
            object_key: format!("objects/{filename}"),
        };
        let mut ids = Vec::new();
        for (reference, filename) in [
            ("2.1", "b.txt"),
            ("1.1", "a \"quoted\".txt"),
            ("2.1", "c.txt"),
            ("2.1", "d.txt"),
        ] {
            let (record, e) = s
                .add_evidence(
                    key,
                    &doc(reference, filename),
                    by_user,
                    draft("evidence.add", "evidence"),
                )
                .await
                .unwrap();
            // The upload answers with the row as a later read gives it, uploader and all.
            assert_eq!(
                s.evidence_item(record.id, e.id).await.unwrap().as_ref(),
                Some(&e),
                "{:?}",
                db.engine()
            );
            assert_eq!(e.uploaded_by.as_deref(), Some("parts@example.nhs.uk"));
            ids.push(e.id);
        }
        s.remove_evidence(key, ids[2], STAMP, draft("evidence.remove", "evidence"))
            .await
            .unwrap();
        for (status, late) in [
            (Status::StandardsNotMet, true),
            (Status::StandardsMet, false),
        ] {
            let revision = s
                .get_assessment(key.org_id, 2026)
                .await
                .unwrap()
                .unwrap()
                .revision;
            let published = s
                .publish(
                    key,
                    revision,
                    status,
                    late,
                    by_user,
                    draft("assessment.submit", "assessment"),
                )
                .await
                .unwrap();
            // Each change answers with the assessment as a later read gives it.
            let read = || async { s.get_assessment(key.org_id, 2026).await.unwrap() };
            assert_eq!(Some(&published), read().await.as_ref());
            assert!(published.submitted && published.status == status);
            let reopened = s
                .reopen(a.id, STAMP, draft("assessment.reopen", "assessment"))
                .await
                .unwrap();
            assert_eq!(Some(&reopened), read().await.as_ref());
            assert!(!reopened.submitted && reopened.revision == published.revision + 1);
        }

        let parts = s.assessment_parts(a.id).await.unwrap();
        let answers: Vec<_> = parts
            .answers
            .iter()
            .map(|a| {
                (
                    a.reference.as_str(),
                    a.value.as_str(),
                    a.version,
                    a.updated_by.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            answers,
            vec![
                ("1.1", awkward, 1, Some("parts@example.nhs.uk")),
                ("1.2", "yes", 2, None),
            ]
        );
        assert_eq!(parts.answers[0].updated_at, STAMP.at);
        let certificates: Vec<_> = parts
            .certificates
            .iter()
            .map(|c| (c.kind.as_str(), c.reference.as_str(), c.expires_on.as_str()))
            .collect();
        assert_eq!(
            certificates,
            vec![
                ("cyber_essentials_plus", "CE-1", "2027-06-01"),
                ("cyber_essentials_plus", "CE-0", "2027-06-01"),
                ("cyber_essentials_plus", "CE-2", "2028-01-01"),
                ("iso27001", "ISO-1", "2027-01-01"),
            ]
        );
        assert_eq!(
            parts.evidence,
            vec![
                EvidenceRecord {
                    id: ids[1],
                    reference: "1.1".into(),
                    filename: "a \"quoted\".txt".into(),
                    content_type: "text/plain".into(),
                    size: 12,
                    sha256: "ab".repeat(32),
                    object_key: "objects/a \"quoted\".txt".into(),
                    uploaded_at: STAMP.at,
                    uploaded_by: Some("parts@example.nhs.uk".into()),
                },
                EvidenceRecord {
                    id: ids[0],
                    reference: "2.1".into(),
                    filename: "b.txt".into(),
                    content_type: "text/plain".into(),
                    size: 12,
                    sha256: "ab".repeat(32),
                    object_key: "objects/b.txt".into(),
                    uploaded_at: STAMP.at,
                    uploaded_by: Some("parts@example.nhs.uk".into()),
                },
                EvidenceRecord {
                    id: ids[3],
                    reference: "2.1".into(),
                    filename: "d.txt".into(),
                    content_type: "text/plain".into(),
                    size: 12,
                    sha256: "ab".repeat(32),
                    object_key: "objects/d.txt".into(),
                    uploaded_at: STAMP.at,
                    uploaded_by: Some("parts@example.nhs.uk".into()),
                },
            ]
        );
        let publications: Vec<_> = parts
            .publications
            .iter()
            .map(|p| (p.status, p.late, p.published_by.as_deref(), p.published_at))
            .collect();
        assert_eq!(
            publications,
            vec![
                (
                    Status::StandardsMet,
                    false,
                    Some("parts@example.nhs.uk"),
                    STAMP.at
                ),
                (
                    Status::StandardsNotMet,
                    true,
                    Some("parts@example.nhs.uk"),
                    STAMP.at
                ),
            ]
        );
        // Read with the assessment's row, the parts are the same, and so is the row.
        let (row, with_row) = s
            .assessment_with_parts(key.org_id, 2026)
            .await
            .unwrap()
            .unwrap();
        let alone = s.get_assessment(key.org_id, 2026).await.unwrap().unwrap();
        assert_eq!((row, with_row), (alone, parts), "{:?}", db.engine());
        let none = s.assessment_with_parts(key.org_id, 2030).await.unwrap();
        assert!(none.is_none(), "{:?}", db.engine());
        // Another organisation's, whose id is not its assessment's, comes with its own parts.
        create(s, "A81003", "gp_practice", "").await;
        let another = create(s, "A81004", "gp_practice", "").await;
        let theirs = AssessmentKey {
            org_id: another.id,
            ..key
        };
        save(theirs, vec![change("1.1", Some("no"), None)], STAMP).await;
        let (row, parts) = s
            .assessment_with_parts(another.id, 2026)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(row.id, another.id, "{:?}", db.engine());
        let values: Vec<_> = parts.answers.iter().map(|a| a.value.as_str()).collect();
        assert_eq!(values, vec!["no"], "{:?}", db.engine());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn saves_of_one_assessment_at_once_each_count_once() {
    // A save reads the answers before it takes the writer and keeps its writes only if the
    // assessment has not moved on since; one that finds it moved reads again under the writer.
    // Sixteen saves at once of one answer, each to a value of its own: every one must raise its
    // version by one, and none may write over another with a version it read too early.
    for db in TestDb::all().await {
        let s = &db.store;
        let (_, key) = gp_with_framework(s).await;
        s.save_answers(
            key,
            &[change("1.1.2", Some("v0"), None)],
            None,
            STAMP,
            draft("assessment.answers", "assessment"),
        )
        .await
        .unwrap();
        let changes: Vec<[AnswerChange; 1]> = (1..=16)
            .map(|i| [change("1.1.2", Some(&format!("v{i}")), None)])
            .collect();
        let saves = changes.iter().map(|c| {
            s.save_answers(
                key,
                c,
                None,
                STAMP,
                draft("assessment.answers", "assessment"),
            )
        });
        for saved in futures_util::future::join_all(saves).await {
            assert_eq!(saved.unwrap().1, vec!["1.1.2"], "{:?}", db.engine());
        }
        let a = s.get_assessment(key.org_id, 2026).await.unwrap().unwrap();
        assert_eq!(a.revision, 17, "{:?}", db.engine());
        // A reference twice in one save is refused (which of the two would stand is not clear),
        // for a year not yet started too, and nothing of that one is left behind.
        let twice = [
            change("1.1.2", Some("w"), None),
            change("1.1.2", None, None),
        ];
        for key in [key, AssessmentKey { year: 2027, ..key }] {
            let refused = s
                .save_answers(
                    key,
                    &twice,
                    None,
                    STAMP,
                    draft("assessment.answers", "assessment"),
                )
                .await;
            assert!(
                matches!(refused, Err(StoreError::Invalid(_))),
                "{refused:?}"
            );
        }
        assert!(s.get_assessment(key.org_id, 2027).await.unwrap().is_none());
        let parts = s.assessment_parts(a.id).await.unwrap();
        let answer = parts
            .answers
            .iter()
            .find(|x| x.reference == "1.1.2")
            .unwrap();
        assert_eq!(answer.version, 17, "{:?}", db.engine());
        verify_chain(s).await.unwrap();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn saves_and_other_changes_at_once_keep_one_chain() {
    // On PostgreSQL a save of answers read beforehand appends its entry in one statement, the
    // entry's hash worked out by the database; other changes append in transactions. Both at
    // once, with a person and an organisation named in each entry and text beyond ASCII in its
    // actor, must leave one unbroken chain (each hash checked against the one worked out here),
    // every entry in it, and every save's answers as saved. The first save waits for no one and
    // so takes the one statement; of those at once, some find the assessment moved on and save
    // again in a transaction.
    for db in TestDb::all().await {
        let s = &db.store;
        let (_, key) = gp_with_framework(s).await;
        let actor = |n: usize| AuditDraft {
            actor: format!("Zoë Ångström {n}"),
            actor_user_id: Some(1_000 + n as i64),
            org_id: Some(key.org_id),
            summary: serde_json::json!({ "note": format!("naïve café ✓ {n}") }),
            ..draft("assessment.answers", "assessment")
        };
        s.save_answers(
            key,
            &[
                change("1.1.1", Some("yes"), None),
                change("1.1.2", Some("Jo"), None),
            ],
            None,
            STAMP,
            actor(0),
        )
        .await
        .unwrap();
        let before = verify_chain(s).await.unwrap();
        let saves = (1..=8).map(|n| async move {
            // Each clears or writes one answer of its own, the first two clearing one already
            // there.
            let reference = format!("1.1.{n}");
            let value = (n > 2).then(|| format!("v{n}"));
            s.save_answers(
                key,
                &[change(&reference, value.as_deref(), None)],
                None,
                STAMP,
                actor(n),
            )
            .await
            .map(|(_, changed)| changed)
        });
        let others = (1..=8).map(|n| s.append_audit(actor(100 + n)));
        let (saved, appended) = tokio::join!(
            futures_util::future::join_all(saves),
            futures_util::future::join_all(others)
        );
        for (n, changed) in (1..=8).zip(saved) {
            assert_eq!(
                changed.unwrap(),
                vec![format!("1.1.{n}")],
                "{:?}",
                db.engine()
            );
        }
        for seq in appended {
            seq.unwrap();
        }
        assert_eq!(
            verify_chain(s).await.unwrap(),
            before + 16,
            "{:?}",
            db.engine()
        );
        let a = s.get_assessment(key.org_id, 2026).await.unwrap().unwrap();
        assert_eq!(a.revision, 9, "{:?}", db.engine());
        let mut answers: Vec<_> = s
            .assessment_parts(a.id)
            .await
            .unwrap()
            .answers
            .into_iter()
            .map(|x| (x.reference, x.value))
            .collect();
        answers.sort();
        let expected: Vec<_> = (3..=8)
            .map(|n| (format!("1.1.{n}"), format!("v{n}")))
            .collect();
        assert_eq!(answers, expected, "{:?}", db.engine());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_save_plans_against_the_callers_read_only_while_it_holds() {
    // A caller may pass the read it made with `read_for_save`. The save keeps that read's
    // plan only while the assessment is still at the revision read, and ignores a read that
    // did not look up every answer it changes.
    for db in TestDb::all().await {
        let s = &db.store;
        let (_, key) = gp_with_framework(s).await;
        let save_to = |key: AssessmentKey,
                       changes: Vec<AnswerChange>,
                       read: Option<AnswersRead>| async move {
            s.save_answers(
                key,
                &changes,
                read,
                STAMP,
                draft("assessment.answers", "assessment"),
            )
            .await
        };
        let save = |changes, read| save_to(key, changes, read);
        save(vec![change("1.1.1", Some("yes"), None)], None)
            .await
            .unwrap();
        // A read that covers the save is planned against as it is: one made to say "no" turns
        // a save of "no" into a save of nothing, and the answer stays "yes".
        let mut told = s
            .read_for_save(key.org_id, 2026, &["1.1.1"])
            .await
            .unwrap()
            .unwrap();
        told.current.insert("1.1.1".into(), ("no".into(), 1));
        let (a, changed) = save(vec![change("1.1.1", Some("no"), None)], Some(told))
            .await
            .unwrap();
        assert!(changed.is_empty(), "{:?} {changed:?}", db.engine());
        assert_eq!(a.revision, 1, "{:?}", db.engine());
        let read = s
            .read_for_save(key.org_id, 2026, &["1.1.1"])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.current["1.1.1"], ("yes".to_string(), 1));
        // Someone else answers "no" after the read; the same save with the old read finds the
        // answer already "no" and changes nothing.
        let (_, changed) = save(vec![change("1.1.1", Some("no"), None)], None)
            .await
            .unwrap();
        assert_eq!(changed, vec!["1.1.1"]);
        let (a, changed) = save(vec![change("1.1.1", Some("no"), None)], Some(read.clone()))
            .await
            .unwrap();
        assert!(changed.is_empty(), "{:?} {changed:?}", db.engine());
        assert_eq!(a.revision, 2, "{:?}", db.engine());
        // A read that did not look up 1.1.2 does not stand for it: 1.1.2 is answered, so a
        // save expecting it unanswered is refused.
        save(vec![change("1.1.2", Some("Jo"), None)], None)
            .await
            .unwrap();
        let read = s.read_for_save(key.org_id, 2026, &["1.1.1"]).await.unwrap();
        let stale = save(vec![change("1.1.2", Some("Sam"), Some(0))], read).await;
        assert!(matches!(stale, Err(StoreError::Stale(_))), "{stale:?}");
        // A fresh read that covers the change is used as it is.
        let read = s.read_for_save(key.org_id, 2026, &["1.1.2"]).await.unwrap();
        let (a, changed) = save(vec![change("1.1.2", Some("Sam"), Some(1))], read)
            .await
            .unwrap();
        assert_eq!(changed, vec!["1.1.2"]);
        assert_eq!(a.revision, 4, "{:?}", db.engine());
        // Nor does a read of another year's assessment, however fresh: the save makes that
        // year's own and leaves the other as it was.
        let read = s.read_for_save(key.org_id, 2026, &["1.1.2"]).await.unwrap();
        let next = AssessmentKey { year: 2027, ..key };
        let (a, _) = save_to(next, vec![change("1.1.2", Some("Ali"), None)], read)
            .await
            .unwrap();
        assert_eq!((a.year, a.revision), (2027, 1), "{:?}", db.engine());
        let this_year = s.get_assessment(key.org_id, 2026).await.unwrap().unwrap();
        assert_eq!(this_year.revision, 4, "{:?}", db.engine());
        verify_chain(s).await.unwrap();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn answers_are_versioned_locked_on_submission_and_counted() {
    use palisade_domain::assessment::Status;
    for db in TestDb::all().await {
        let s = &db.store;
        let (gp, key) = gp_with_framework(s).await;
        let other = create(s, "A81002", "gp_practice", "").await;
        assert!(s.get_assessment(gp.id, 2026).await.unwrap().is_none());

        let (a, changed) = s
            .save_answers(
                key,
                &[
                    change("1.1.1", Some("yes"), None),
                    change("1.1.2", Some("Jo"), Some(0)),
                ],
                None,
                STAMP,
                draft("assessment.answers", "assessment"),
            )
            .await
            .unwrap();
        assert_eq!(changed, vec!["1.1.1", "1.1.2"]);
        assert_eq!(a.revision, 1);
        // What a write returns is what it stored.
        let stored = s.get_assessment(gp.id, 2026).await.unwrap().unwrap();
        assert_eq!((stored.revision, stored.updated_at), (1, STAMP.at));
        // Saving the same values again changes nothing and writes no audit entry.
        let (same, changed) = s
            .save_answers(
                key,
                &[change("1.1.1", Some("yes"), None)],
                None,
                STAMP,
                draft("assessment.answers", "assessment"),
            )
            .await
            .unwrap();
        assert!(changed.is_empty());
        assert_eq!(same.revision, 1);
        // A stale version is refused, naming the answer, and nothing in the batch is written.
        let err = s
            .save_answers(
                key,
                &[
                    change("1.1.2", Some("Sam"), Some(0)),
                    change("1.1.3", Some("no"), None),
                ],
                None,
                STAMP,
                draft("assessment.answers", "assessment"),
            )
            .await
            .unwrap_err();
        match err {
            StoreError::Stale(errs) => {
                // Each stale answer is named with what it holds now.
                assert_eq!(errs.0.len(), 1, "{errs:?}");
                assert_eq!(errs.0[0].field, "answers.1.1.2");
                let message = &errs.0[0].message;
                assert!(message.contains("changed by someone else"), "{message}");
                assert!(message.contains("(now: Jo)"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let answers = s.assessment_parts(a.id).await.unwrap().answers;
        assert_eq!(answers.len(), 2);
        assert_eq!((answers[1].value.as_str(), answers[1].version), ("Jo", 1));
        // Clearing deletes; the next write of that ref starts again at version 1.
        let (_, changed) = s
            .save_answers(
                key,
                &[change("1.1.2", None, Some(1))],
                None,
                STAMP,
                draft("assessment.answers", "assessment"),
            )
            .await
            .unwrap();
        assert_eq!(changed, vec!["1.1.2"]);
        assert_eq!(s.assessment_parts(a.id).await.unwrap().answers.len(), 1);
        // Each save wrote its entry, the head and the assessment's revision in one round
        // trip: the head names the last entry, and the chain holds.
        verify_chain(s)
            .await
            .expect("the head ends the chain after saves");

        // Publishing needs the revision the status was decided from.
        let current = s.get_assessment(gp.id, 2026).await.unwrap().unwrap();
        let stale = s
            .publish(
                key,
                current.revision - 1,
                Status::StandardsMet,
                false,
                STAMP,
                draft("assessment.submit", "assessment"),
            )
            .await;
        assert!(matches!(stale, Err(StoreError::Conflict { .. })));
        let published = s
            .publish(
                key,
                current.revision,
                Status::StandardsNotMet,
                true,
                STAMP,
                draft("assessment.submit", "assessment"),
            )
            .await
            .unwrap();
        assert!(published.submitted);
        assert_eq!(published.status, Status::StandardsNotMet);
        // Locked: no answers, certificates or evidence until reopened.
        let locked = s
            .save_answers(
                key,
                &[change("1.1.3", Some("no"), None)],
                None,
                STAMP,
                draft("assessment.answers", "assessment"),
            )
            .await;
        assert!(matches!(locked, Err(StoreError::Conflict { .. })));
        let reopened = s
            .reopen(a.id, STAMP, draft("assessment.reopen", "assessment"))
            .await
            .unwrap();
        assert!(!reopened.submitted);
        assert_eq!(
            reopened.status,
            Status::StandardsNotMet,
            "the published status stands"
        );
        let certified = s
            .set_certificates(
                key,
                &[NewCertificate {
                    kind: "cyber_essentials_plus".into(),
                    reference: "CE-1".into(),
                    expires_on: "2027-09-01".into(),
                }],
                STAMP,
                draft("assessment.certificates", "assessment"),
            )
            .await
            .unwrap();
        let again = s.get_assessment(gp.id, 2026).await.unwrap().unwrap();
        assert_eq!(again.revision, certified.revision);
        assert_eq!(again.revision, reopened.revision + 1);
        s.publish(
            key,
            again.revision,
            Status::StandardsExceeded,
            false,
            STAMP,
            draft("assessment.submit", "assessment"),
        )
        .await
        .unwrap();
        let pubs = s.assessment_parts(a.id).await.unwrap().publications;
        assert_eq!(
            pubs.iter().map(|p| p.status).collect::<Vec<_>>(),
            vec![Status::StandardsExceeded, Status::StandardsNotMet]
        );
        assert!(pubs[1].late && !pubs[0].late);
        assert_eq!(
            s.assessment_parts(a.id).await.unwrap().certificates[0].expires_on,
            "2027-09-01"
        );

        // The national picture counts the unpublished organisation too, and keeps first lateness.
        let counts = s.status_counts(2026).await.unwrap();
        let n = |st: Status| {
            counts
                .iter()
                .filter(|c| c.status == st)
                .map(|c| (c.orgs, c.late))
                .next()
        };
        assert_eq!(n(Status::StandardsExceeded), Some((1, 1)));
        assert_eq!(n(Status::NotPublished), Some((1, 0)));
        let all = s
            .list_statuses(
                &Scope::All,
                2026,
                &StatusFilter::default(),
                Some(PageRequest::default()),
            )
            .await
            .unwrap();
        assert_eq!(all.total, 2);
        let mine = s
            .list_statuses(
                &Scope::Within(vec![other.id]),
                2026,
                &StatusFilter::default(),
                Some(PageRequest::default()),
            )
            .await
            .unwrap();
        assert_eq!(
            mine.items
                .iter()
                .map(|p| p.code.as_str())
                .collect::<Vec<_>>(),
            vec!["A81002"]
        );
        let met = s
            .list_statuses(
                &Scope::All,
                2026,
                &StatusFilter {
                    status: Some(Status::StandardsExceeded),
                    ..Default::default()
                },
                Some(PageRequest::default()),
            )
            .await
            .unwrap();
        assert_eq!(met.items[0].code, "A81001");
        verify_chain(s).await.unwrap();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn first_roles_are_atomic_and_new_passwords_end_sessions() {
    for db in TestDb::all().await {
        let s = &db.store;
        let org = create(s, "AAA", "icb", "").await;
        let with_grant = |email: &str, org_id| NewUser {
            email: email.into(),
            name: "Pat".into(),
            password_hash: Some("h".into()),
            now: 1,
            first_grant: Some(FirstGrant {
                role: Role::OrgLead,
                org_id,
                audit: draft("role.grant", "user"),
            }),
        };
        let u = s
            .create_user(
                &with_grant("pat@x.nhs.uk", Some(org.id)),
                draft("user.create", "user"),
            )
            .await
            .unwrap();
        let grants = s.grants_of(u.id, &Scope::All).await.unwrap();
        assert_eq!((grants.len(), grants[0].role), (1, Role::OrgLead));
        // A first role that cannot be given (no such organisation) leaves no account behind.
        let refused = s
            .create_user(
                &with_grant("sam@x.nhs.uk", Some(org.id + 999)),
                draft("user.create", "user"),
            )
            .await;
        assert!(refused.is_err());
        assert!(
            s.find_user_by_email(&Email::parse("e", "sam@x.nhs.uk").unwrap())
                .await
                .unwrap()
                .is_none()
        );
        // Scoped reads of roles: only those held within the scope.
        let other = create(s, "BBB", "icb", "").await;
        s.add_grant(
            u.id,
            Role::OrgMember,
            Some(other.id),
            draft("role.grant", "user"),
        )
        .await
        .unwrap();
        let within = s
            .grants_of(u.id, &Scope::Within(vec![other.id]))
            .await
            .unwrap();
        assert_eq!(
            within.iter().map(|g| g.org_id).collect::<Vec<_>>(),
            vec![Some(other.id)]
        );
        assert!(
            s.grants_of(u.id, &Scope::Within(vec![]))
                .await
                .unwrap()
                .is_empty()
        );

        // A new password ends every session and bumps the version sessions are checked against.
        let session = |id: &str| NewSession {
            id_hash: id.into(),
            user_id: u.id,
            csrf_token: "c".into(),
            auth_version: 1,
            now: 10,
            expires_at: 10_000,
            idp: None,
        };
        s.create_session(&session("one"), None).await.unwrap();
        s.create_session(&session("two"), None).await.unwrap();
        let before = s.get_user(u.id).await.unwrap().unwrap().auth_version;
        s.set_password(u.id, "h2", draft("user.password", "user"))
            .await
            .unwrap();
        assert!(s.get_session("one").await.unwrap().is_none());
        assert!(s.get_session("two").await.unwrap().is_none());
        assert_eq!(
            s.get_user(u.id).await.unwrap().unwrap().auth_version,
            before + 1
        );
        assert_eq!(s.password_hash(u.id).await.unwrap().as_deref(), Some("h2"));
        verify_chain(s).await.unwrap();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn seeded_assessments_are_written_once_with_their_audit_entries() {
    use palisade_domain::assessment::Status;
    for db in TestDb::all().await {
        let s = &db.store;
        let (a, a_key) = gp_with_framework(s).await;
        let b = create(s, "A81002", "gp_practice", "").await;
        let seeded = |org_id, publish: Option<Status>, n: usize| SeededAssessment {
            key: AssessmentKey { org_id, ..a_key },
            // Many answers, written in one statement.
            answers: (0..n)
                .map(|i| (format!("1.1.{i}"), "yes".to_string()))
                .collect(),
            // One shared demo document, attached to the first two items.
            documents: (0..n.min(2))
                .map(|i| NewEvidence {
                    reference: format!("1.1.{i}"),
                    filename: "policy.txt".into(),
                    content_type: "text/plain".into(),
                    size: 12,
                    sha256: "ab".repeat(32),
                    object_key: "evidence/demo/policy.txt".into(),
                })
                .collect(),
            publish,
            audit: vec![draft("assessment.answers", "assessment")],
        };
        let before = verify_chain(s).await.unwrap();
        let batch = [
            seeded(a.id, Some(Status::StandardsNotMet), 95),
            seeded(b.id, None, 3),
        ];
        assert_eq!(s.seed_assessments(&batch, STAMP).await.unwrap(), 2);
        let ra = s.get_assessment(a.id, 2026).await.unwrap().unwrap();
        assert_eq!(
            (ra.submitted, ra.status, ra.published_at),
            (true, Status::StandardsNotMet, Some(STAMP.at))
        );
        let parts = s.assessment_parts(ra.id).await.unwrap();
        assert_eq!(
            (
                parts.answers.len(),
                parts.evidence.len(),
                parts.publications.len()
            ),
            (95, 2, 1)
        );
        let rb = s.get_assessment(b.id, 2026).await.unwrap().unwrap();
        assert_eq!((rb.submitted, rb.status), (false, Status::NotPublished));
        assert_eq!(verify_chain(s).await.unwrap(), before + 2);
        // Seeding again skips what exists and writes no further entries.
        assert_eq!(s.seed_assessments(&batch, STAMP).await.unwrap(), 0);
        assert_eq!(s.assessment_parts(ra.id).await.unwrap().answers.len(), 95);
        assert_eq!(verify_chain(s).await.unwrap(), before + 2);
        db.cleanup().await;
    }
}

fn component(asset: &str, version: &str) -> palisade_domain::inventory::Component {
    palisade_domain::inventory::ComponentInput {
        asset: asset.into(),
        asset_type: "server".into(),
        vendor: "Apache".into(),
        product: "log4j-core".into(),
        version: version.into(),
        cpe: String::new(),
        purl: format!("pkg:maven/org.apache.logging.log4j/log4j-core@{version}"),
        internet_facing: "no".into(),
        location: String::new(),
    }
    .validate("")
    .unwrap()
}

/// The organisation's whole inventory, as `each_component` hands it over.
async fn inventory_of(
    s: &SqlStore,
    org: palisade_domain::policy::OrgId,
) -> Vec<palisade_domain::inventory::Component> {
    let mut all = Vec::new();
    let read = s.each_component(org, &mut |c| all.push(c)).await.unwrap();
    assert_eq!(read.components, all.len());
    assert_eq!(read.upload_id.is_some(), !all.is_empty());
    all
}

#[tokio::test]
async fn inventories_page_across_chunks_and_keep_what_changed() {
    for db in TestDb::all().await {
        let s = &db.store;
        let o = create(s, "RX1", "acute_trust", "").await;
        let stamp = Stamp {
            at: 1_700_000_000,
            user_id: None,
        };
        let first: Vec<_> = (0..2_500)
            .map(|i| component(&format!("SRV-{i:05}"), "2.14.1"))
            .collect();
        let up = s
            .replace_inventory(
                o.id,
                palisade_domain::inventory::InventoryFormat::Csv,
                &first,
                stamp,
                draft("inventory.upload", "inventory_upload"),
            )
            .await
            .unwrap();
        assert_eq!((up.components, up.added, up.removed), (2_500, 2_500, 0));
        assert_eq!(inventory_of(s, o.id).await, first);

        // A page that straddles the first two chunks, and the last, short page.
        let p = s
            .list_components(o.id, PageRequest::new(Some(34), Some(30)))
            .await
            .unwrap();
        assert_eq!(p.total, 2_500);
        let names: Vec<_> = p.items.iter().map(|c| c.component.asset.as_str()).collect();
        assert_eq!(names.len(), 30);
        assert_eq!((names[0], names[29]), ("SRV-00990", "SRV-01019"));
        assert_eq!(p.items[0].position, 991);
        let last = s
            .list_components(o.id, PageRequest::new(Some(25), Some(100)))
            .await
            .unwrap();
        assert_eq!(last.items.len(), 100);
        let beyond = s
            .list_components(o.id, PageRequest::new(Some(26), Some(100)))
            .await
            .unwrap();
        assert!(beyond.items.is_empty());

        // Upgrade every hundredth server and drop the last ten.
        let mut second = first.clone();
        for c in second.iter_mut().step_by(100) {
            *c = component(&c.asset, "2.17.1");
        }
        second.truncate(2_490);
        let up2 = s
            .replace_inventory(
                o.id,
                palisade_domain::inventory::InventoryFormat::Csv,
                &second,
                stamp,
                draft("inventory.upload", "inventory_upload"),
            )
            .await
            .unwrap();
        assert_eq!((up2.components, up2.added, up2.removed), (2_490, 25, 35));
        let changes = s
            .upload_changes(o.id, up2.id, PageRequest::new(Some(1), Some(100)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(changes.total, 60);
        assert!(changes.items[..25].iter().all(|c| c.added));
        assert!(changes.items[25..].iter().all(|c| !c.added));
        assert_eq!(changes.items[0].asset, "SRV-00000");
        assert_eq!(changes.items[0].version.as_deref(), Some("2.17.1"));
        assert_eq!(inventory_of(s, o.id).await, second);
        // The first upload's history is still whole.
        let history = s
            .upload_changes(o.id, up.id, PageRequest::new(Some(25), Some(100)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(history.items.len(), 100);
        assert_eq!(history.items[99].asset, "SRV-02499");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn searches_fold_case_and_accents_alike_on_both_engines() {
    for db in TestDb::all().await {
        let s = &db.store;
        let mut elan = org("VN1", "adult_social_care", "");
        elan.name = "Élan Care Ltd".into();
        s.create_org(&elan, draft("organisation.create", "organisation"))
            .await
            .unwrap();
        create(s, "VN2", "adult_social_care", "").await;
        let found = |q: &'static str| {
            let f = OrgFilter {
                q: Some(q.into()),
                ..Default::default()
            };
            async move {
                s.list_orgs(&Scope::All, &f, PageRequest::default())
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|o| o.code)
                    .collect::<Vec<_>>()
            }
        };
        for q in ["Élan", "ÉLAN", "élan", "elan", "ELAN CARE", "vn1"] {
            assert_eq!(found(q).await, ["VN1"], "{:?}: {q}", db.engine());
        }
        // A row written before search keys were kept is given one at the next start.
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
            .await
            .unwrap();
        sqlx::query("UPDATE organisations SET search_name = '' WHERE code = 'VN1'")
            .execute(&mut conn)
            .await
            .unwrap();
        if db.engine() == Engine::Sqlite {
            // Written before the key, it was put in the search index without one too.
            sqlx::query(
                "UPDATE organisations_search SET search_name = '' \
                 WHERE rowid = (SELECT id FROM organisations WHERE code = 'VN1')",
            )
            .execute(&mut conn)
            .await
            .unwrap();
        }
        assert!(found("elan").await.is_empty());
        s.migrate().await.unwrap();
        assert_eq!(found("Élan").await, ["VN1"], "{:?}", db.engine());
    }
}

/// A search finds any part of a code or name, of three characters or more through the trigram
/// index, as organisations are created, renamed and imported; shorter ones and ones holding
/// what would be syntax (quotes, wildcards) find the same on both engines.
#[tokio::test]
async fn searches_find_any_part_as_names_change() {
    for db in TestDb::all().await {
        let s = &db.store;
        let named = |code: &str, name: &str| {
            let mut f = org(code, "gp_practice", "");
            f.name = name.into();
            f
        };
        s.create_org(
            &named("A81001", "Riverside \"Surgery\" 100%"),
            draft("organisation.create", "organisation"),
        )
        .await
        .unwrap();
        let hill = s
            .create_org(
                &named("B82002", "Hillside Medical Practice"),
                draft("organisation.create", "organisation"),
            )
            .await
            .unwrap();
        let found = |q: &'static str| {
            let f = OrgFilter {
                q: Some(q.into()),
                ..Default::default()
            };
            async move {
                let page = s
                    .list_orgs(&Scope::All, &f, PageRequest::default())
                    .await
                    .unwrap();
                assert_eq!(page.total as usize, page.items.len(), "{q}");
                let mut codes: Vec<String> = page.items.into_iter().map(|o| o.code).collect();
                codes.sort();
                codes
            }
        };
        let engine = db.engine();
        for (q, codes) in [
            ("side", vec!["A81001", "B82002"]),
            ("1001", vec!["A81001"]),
            ("a81", vec!["A81001"]),
            ("82", vec!["B82002"]),
            ("\"surgery\"", vec!["A81001"]),
            ("100%", vec!["A81001"]),
            ("0%", vec!["A81001"]),
            ("medical practice", vec!["B82002"]),
            ("practice medical", vec![]),
            ("s%e", vec![]),
            // A NUL is left out, on both engines, not an error.
            ("a81\u{0}001", vec!["A81001"]),
        ] {
            assert_eq!(found(q).await, codes, "{engine:?}: {q}");
        }
        // Renamed, then a third imported and the second renamed again by the import.
        s.update_org(
            hill.id,
            &named("B82002", "Hilltop Health Centre"),
            true,
            draft("organisation.update", "organisation"),
        )
        .await
        .unwrap();
        assert_eq!(found("hillside").await, Vec::<String>::new(), "{engine:?}");
        assert_eq!(found("hilltop").await, ["B82002"], "{engine:?}");
        let who = ImportAudit {
            at: 1_700_000_000,
            actor_user_id: None,
            actor: "cli".into(),
        };
        let row = |line, fields| ImportRow {
            line,
            fields,
            active: true,
        };
        s.import_orgs(
            &[
                row(2, named("C83003", "Valley Health Centre")),
                row(3, named("B82002", "Hilltop Surgery")),
            ],
            who,
        )
        .await
        .unwrap();
        assert_eq!(found("health centre").await, ["C83003"], "{engine:?}");
        assert_eq!(found("surgery").await, ["A81001", "B82002"], "{engine:?}");
        db.cleanup().await;
    }
}

/// The benchmark's incident volume reads back as the app would write it: every incident parses
/// and lists, each has its indicators, TLP:CLEAR ones reach anyone, and a second run writes
/// nothing.
#[tokio::test]
async fn incident_volume_reads_back_and_is_written_once() {
    use palisade_store::volume::{IncidentVolume, seed_incident_volume, volume_indicator};
    fn stix() -> String {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("indicator--{n}")
    }
    for db in TestDb::all().await {
        let s = &db.store;
        create(s, "RX1", "acute_trust", "").await;
        create(s, "A81001", "gp_practice", "").await;
        let v = IncidentVolume {
            incidents: 30,
            indicators_per_incident: 5,
            now: 1_750_000_000,
        };
        assert_eq!(seed_incident_volume(s, v, stix).await.unwrap(), (30, 150));
        assert_eq!(seed_incident_volume(s, v, stix).await.unwrap(), (0, 0));
        let all = s
            .list_incidents(
                &Scope::All,
                &IncidentFilter::default(),
                PageRequest::new(Some(1), Some(100)),
            )
            .await
            .unwrap();
        assert_eq!(all.total, 30, "{:?}", db.engine());
        assert!(all.items.iter().all(|i| i.state.notified_at.is_some()));
        let first = all
            .items
            .iter()
            .find(|i| i.state.fields.title == "Bench incident 0")
            .unwrap();
        let ind = s.incident_indicators(first.id).await.unwrap();
        assert_eq!(ind.len(), 5);
        let (_, value, _) = volume_indicator(0, 0);
        assert_eq!(ind[0].value, value);
        let clear = s
            .indicator_feed(&FeedReader::Anonymous, &FeedQuery::default(), 1000)
            .await
            .unwrap();
        let expected = (0..30)
            .flat_map(|i| (0..5).map(move |n| volume_indicator(i, n).2))
            .filter(|t| *t == palisade_domain::indicator::Tlp::Clear)
            .count();
        assert_eq!(clear.len(), expected);
        assert!(expected > 0);
        db.cleanup().await;
    }
}

/// SBOM components read back in document order, whole or at chosen positions, across the
/// statements the reads are split into (fifty SBOMs, about 250 positions a statement).
#[tokio::test]
async fn sbom_components_read_back_across_statements() {
    for db in TestDb::all().await {
        let s = &db.store;
        let supplier = create(s, "8J000", "it_supplier", "").await;
        let offering = palisade_domain::supplier::OfferingInput {
            name: "CareRecord".into(),
            versions: (0..60).map(|v| format!("{v}.0")).collect(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let stamp = Stamp {
            at: 1_700_000_000,
            user_id: None,
        };
        let product = s
            .create_product(
                supplier.id,
                &offering,
                stamp,
                draft("product.create", "supplier_product"),
            )
            .await
            .unwrap();
        let mut ids = Vec::new();
        let mut lists = Vec::new();
        for (v, version) in offering.versions.iter().enumerate() {
            // The first SBOM is long enough to need several statements for its positions.
            let n = if v == 0 { 700 } else { 3 };
            let components: Vec<_> = (0..n)
                .map(|i| component(&format!("C{v}-{i:04}"), "2.17.1"))
                .collect();
            let kept = s
                .save_sbom(
                    &NewSbom {
                        product_id: product.id,
                        version,
                        format: "cyclonedx",
                        sha256: &format!("{v:064}"),
                        components: &components,
                    },
                    stamp,
                    draft("supplier.sbom", "supplier_sbom"),
                )
                .await
                .unwrap();
            ids.push(kept.id);
            lists.push(components);
        }
        // Sixty SBOMs: two statements.
        let all = s.sbom_components(&ids).await.unwrap();
        assert_eq!(all.len(), 60, "{:?}", db.engine());
        for (id, list) in ids.iter().zip(&lists) {
            assert_eq!(&all[id], list);
        }
        assert!(s.sbom_components(&[]).await.unwrap().is_empty());

        // 350 positions of the long SBOM, asked out of order, and two of a short one.
        let mut positions: Vec<u32> = (0..700).step_by(2).rev().collect();
        positions.push(699);
        let at = s
            .sbom_components_at(&[(ids[0], positions), (ids[7], vec![2, 0])])
            .await
            .unwrap();
        let expected: Vec<_> = lists[0]
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == 0 || *i == 699)
            .map(|(_, c)| c.clone())
            .collect();
        assert_eq!(at[&ids[0]].len(), 351);
        assert_eq!(at[&ids[0]], expected);
        assert_eq!(at[&ids[7]], vec![lists[7][0].clone(), lists[7][2].clone()]);
        db.cleanup().await;
    }
}
