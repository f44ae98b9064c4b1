//! Single sign-on's storage: flows spent once, identities unique per (issuer, subject), logout
//! tokens remembered, provider sessions ended, and roles from claims kept apart from roles
//! granted by hand.

use super::*;
use palisade_domain::sso::Logout;

fn flow(state: &str, at: i64) -> SignInFlow {
    SignInFlow {
        state_hash: state.into(),
        provider: "nhs".into(),
        browser_hash: "b".into(),
        nonce: "n".into(),
        verifier: "v".into(),
        next_path: "/".into(),
        created_at: at,
    }
}

#[tokio::test]
async fn single_sign_on_storage() {
    for db in TestDb::all().await {
        let s = &db.store;
        let rx1 = create(s, "RX1", "acute_trust", "").await;
        let r17 = create(s, "R17", "acute_trust", "").await;

        // A flow is taken once, and not at all once too old.
        s.begin_sign_in_flow(&flow("s1", 100)).await.unwrap();
        s.begin_sign_in_flow(&flow("s2", 100)).await.unwrap();
        assert_eq!(
            s.take_sign_in_flow("s1", 50).await.unwrap(),
            Some(flow("s1", 100))
        );
        assert_eq!(s.take_sign_in_flow("s1", 50).await.unwrap(), None);
        assert_eq!(s.take_sign_in_flow("s2", 101).await.unwrap(), None);

        // A first sign-in makes a person without roles, linked to (issuer, subject).
        let new = NewIdentity {
            to: LinkTo::New {
                email: "New@Example.nhs.uk".into(),
                name: "New Person".into(),
            },
            issuer: "https://id".into(),
            subject: "sub-1".into(),
            now: 200,
        };
        let linked = s
            .link_identity(
                &new,
                vec![draft("user.create", "user"), draft("identity.link", "user")],
            )
            .await
            .unwrap();
        assert_eq!(
            s.linked_user("https://id", "sub-1").await.unwrap(),
            Some(linked.user_id)
        );
        assert_eq!(s.linked_user("https://other", "sub-1").await.unwrap(), None);
        let person = s.get_user(linked.user_id).await.unwrap().unwrap();
        assert_eq!(person.email, "new@example.nhs.uk");
        assert!(
            s.grants_of(person.id, &Scope::All)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(s.password_hash(person.id).await.unwrap().is_none());
        // The same identity twice, or a new person with an email someone has, is a conflict,
        // and nothing of it is kept.
        let again = s
            .link_identity(
                &NewIdentity {
                    subject: "sub-1".into(),
                    ..new.clone()
                },
                vec![],
            )
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict { .. })),
            "{again:?}"
        );
        let clash = NewIdentity {
            subject: "sub-2".into(),
            ..new.clone()
        };
        assert!(
            matches!(s.link_identity(&clash, vec![]).await, Err(StoreError::Conflict { field, .. }) if field == "email")
        );
        assert_eq!(s.linked_user("https://id", "sub-2").await.unwrap(), None);

        // Invitations: found by email while recent, renewed by inviting again, spent by the link.
        s.invite_identity(person.id, None, draft("identity.invite", "user"))
            .await
            .unwrap();
        s.invite_identity(person.id, None, draft("identity.invite", "user"))
            .await
            .unwrap();
        let at = 1_700_000_000; // the audit entries' time, which the invitation takes
        assert_eq!(
            s.invited_user("NEW@example.nhs.uk", at).await.unwrap(),
            Some(person.id)
        );
        assert_eq!(
            s.invited_user("new@example.nhs.uk", at + 1).await.unwrap(),
            None,
            "too old"
        );
        let other_idp = NewIdentity {
            to: LinkTo::Invited(person.id),
            issuer: "https://other".into(),
            subject: "x".into(),
            now: 300,
        };
        s.link_identity(&other_idp, vec![draft("identity.link", "user")])
            .await
            .unwrap();
        assert_eq!(s.invited_user("new@example.nhs.uk", 0).await.unwrap(), None);
        assert_eq!(s.identity_invitation(person.id).await.unwrap(), None);
        // The invitation is spent: a second identity cannot link by it, and nothing is kept.
        let second = NewIdentity {
            subject: "y".into(),
            ..other_idp.clone()
        };
        let refused = s.link_identity(&second, vec![]).await;
        assert!(
            matches!(&refused, Err(StoreError::Conflict { field, .. }) if field == "invitation"),
            "{refused:?}"
        );
        assert_eq!(s.linked_user("https://other", "y").await.unwrap(), None);
        let ids = s.identities_of(person.id).await.unwrap();
        assert_eq!(
            ids.iter().map(|i| i.issuer.as_str()).collect::<Vec<_>>(),
            ["https://id", "https://other"]
        );

        // A back-channel logout ends the sessions of the provider session, once per token id.
        let session = |id: &str, sid: Option<&str>| NewSession {
            id_hash: id.into(),
            user_id: person.id,
            csrf_token: "c".into(),
            auth_version: person.auth_version,
            now: 10,
            expires_at: 10_000,
            idp: sid.map(|sid| IdpSession {
                issuer: "https://id".into(),
                subject: "sub-1".into(),
                sid: (!sid.is_empty()).then(|| sid.to_string()),
            }),
        };
        for (id, sid) in [
            ("a", Some("p1")),
            ("b", Some("p1")),
            ("c", Some("p2")),
            ("d", None),
            ("f", Some("")),
        ] {
            s.create_session(&session(id, sid), None).await.unwrap();
        }
        assert_eq!(
            s.get_session("a")
                .await
                .unwrap()
                .unwrap()
                .idp
                .unwrap()
                .sid
                .as_deref(),
            Some("p1")
        );
        let logout = |issuer: &str, jti: &str, sid: Option<&str>, sub: Option<&str>| Logout {
            issuer: issuer.into(),
            jti: jti.into(),
            iat: 400,
            sid: sid.map(str::to_string),
            subject: sub.map(str::to_string),
        };
        let end = |l: Logout, at: i64| async move {
            s.end_provider_sessions(&l, at, draft("session.backchannel_logout", "provider"))
                .await
                .unwrap()
        };
        assert_eq!(
            end(logout("https://id", "j1", Some("p1"), None), 500).await,
            Some(2)
        );
        assert_eq!(
            end(logout("https://id", "j1", Some("p2"), None), 500).await,
            None,
            "a replay ends nothing"
        );
        assert!(s.get_session("c").await.unwrap().is_some());
        // With sid and sub, the subject's sessions that recorded no sid end too ("f").
        assert_eq!(
            end(logout("https://id", "j2", Some("p2"), Some("sub-1")), 500).await,
            Some(2)
        );
        assert!(
            s.get_session("d").await.unwrap().is_some(),
            "a password session stays"
        );
        // Token ids are per issuer, and forgotten once purged.
        assert_eq!(
            end(logout("https://other", "j1", None, Some("x")), 501).await,
            Some(0)
        );
        s.begin_sign_in_flow(&flow("s3", 100)).await.unwrap();
        assert_eq!(s.purge_sign_in_state(1_000, 501).await.unwrap(), 3);
        assert_eq!(s.take_sign_in_flow("s3", 0).await.unwrap(), None);
        assert_eq!(
            end(logout("https://id", "j1", Some("p9"), None), 600).await,
            Some(0)
        );

        // Roles from claims: added and taken back with the claims; a role granted by hand stays,
        // even when the claims stop naming it.
        s.add_grant(
            person.id,
            Role::OrgMember,
            Some(r17.id),
            draft("role.grant", "user"),
        )
        .await
        .unwrap();
        let audit = |action: &str, _g: ClaimGrant| draft(action, "user");
        let lead = ClaimGrant {
            role: Role::OrgLead,
            org_id: Some(rx1.id),
        };
        let member = ClaimGrant {
            role: Role::OrgMember,
            org_id: Some(r17.id),
        };
        assert!(
            s.sync_claimed_grants(person.id, "https://id", &[lead, member], 700, &audit)
                .await
                .unwrap()
        );
        assert!(
            !s.sync_claimed_grants(person.id, "https://id", &[lead, member], 701, &audit)
                .await
                .unwrap()
        );
        assert_eq!(s.grants_of(person.id, &Scope::All).await.unwrap().len(), 2);
        assert!(
            s.sync_claimed_grants(person.id, "https://id", &[], 702, &audit)
                .await
                .unwrap()
        );
        let held = |grants: Vec<GrantRecord>| {
            grants
                .iter()
                .map(|g| (g.role, g.org_id))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            held(s.grants_of(person.id, &Scope::All).await.unwrap()),
            [(Role::OrgMember, Some(r17.id))]
        );

        // Unlinking ends the identity's sessions and takes back the roles its claims granted.
        assert!(
            s.sync_claimed_grants(person.id, "https://id", &[lead], 703, &audit)
                .await
                .unwrap()
        );
        s.create_session(&session("e", Some("p3")), None)
            .await
            .unwrap();
        let id1 = ids.iter().find(|i| i.issuer == "https://id").unwrap().id;
        let revoked = std::sync::Mutex::new(Vec::new());
        let revoke_of = |g: ClaimGrant| {
            revoked.lock().unwrap().push((g.role, g.org_id));
            draft("role.revoke", "user")
        };
        s.unlink_identity(person.id, id1, draft("identity.unlink", "user"), &revoke_of)
            .await
            .unwrap();
        assert_eq!(*revoked.lock().unwrap(), [(Role::OrgLead, Some(rx1.id))]);
        assert!(s.get_session("e").await.unwrap().is_none());
        assert_eq!(
            held(s.grants_of(person.id, &Scope::All).await.unwrap()),
            [(Role::OrgMember, Some(r17.id))]
        );
        assert!(matches!(
            s.unlink_identity(person.id, id1, draft("identity.unlink", "user"), &revoke_of)
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(s.linked_user("https://id", "sub-1").await.unwrap(), None);
        verify_chain(s).await.unwrap();
        db.cleanup().await;
    }
}
