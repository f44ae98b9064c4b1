//! The cross-tenant matrix over the pages, signed in as each role.

use crate::support::*;

per_engine!(
    cross_tenant_matrix_over_pages,
    cross_tenant_matrix_over_pages_sqlite,
    cross_tenant_matrix_over_pages_postgres
);

async fn cross_tenant_matrix_over_pages(h: H) {
    let w = world(&h).await;
    let (rx1c, foreign_id) = (w.c_rx1, w.foreign.0);
    let mut sessions = Vec::new();
    for who in ["admin", "analyst", "lead", "member", "auditor", "foreign"] {
        sessions.push((
            who,
            h.sign_in(&format!("{who}@x.nhs.uk"), PASSWORD)
                .await
                .unwrap_or_else(|_| panic!("{who} signs in")),
        ));
    }
    let incident = h.incident("QAA", &w.lead.1, incident_body(true)).await;
    let draft = h.incident("QAA", &w.lead.1, incident_body(false)).await;
    let rx1_incident = h.incident("RX1", &w.foreign.1, incident_body(true)).await;
    h.app.install_shipped_playbooks().await.unwrap();
    h.app.install_shipped_charter().await.unwrap();
    let contact_form = "name=Kim+Lee&role=alert_contact&email=kim%40nhs.net&mobile=07700+900999";
    let cases: Vec<(Method, String, Option<&str>, [u16; 6])> = vec![
        (
            Method::GET,
            "/".into(),
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/organisations".into(),
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/organisations/RX1".into(),
            None,
            [200, 200, 404, 404, 404, 200],
        ),
        (
            Method::GET,
            "/organisations/A81001".into(),
            None,
            [200, 200, 200, 200, 200, 404],
        ),
        (
            Method::GET,
            "/estate".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/jobs".into(),
            None,
            [200, 403, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            "/jobs/housekeeping/run".into(),
            Some(""),
            [303, 403, 403, 403, 403, 403],
        ),
        // What the practice uses of its suppliers: its own and national eyes only.
        (
            Method::GET,
            "/organisations/A81001/suppliers".into(),
            None,
            [200, 200, 200, 200, 403, 404],
        ),
        (
            Method::POST,
            "/organisations/A81001/suppliers/1/remove".into(),
            Some("remove=yes"),
            [403, 403, 404, 404, 403, 404],
        ),
        (
            Method::GET,
            "/charter/figures".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/supplier-notices/999999".into(),
            None,
            [404, 404, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/organisations/A81001/supplier-notices".into(),
            None,
            [404, 404, 404, 404, 403, 404],
        ),
        // A catalogue is an IT supplier's: the trust lists none.
        (
            Method::GET,
            "/organisations/RX1/products".into(),
            None,
            [404, 404, 404, 404, 404, 404],
        ),
        (
            // The CSV links on the national pages work with the page's session.
            Method::GET,
            "/estate.csv".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/reports/national.csv?year=2026".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            // Everyone may ask; the answer holds only the organisations they act for.
            Method::GET,
            "/estate/exposure?cve=CVE-2017-0144".into(),
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/organisations/QAA/incidents".into(),
            None,
            [200, 200, 200, 200, 403, 404],
        ),
        (
            Method::GET,
            "/organisations/QAA/incidents/new".into(),
            None,
            [403, 403, 200, 200, 403, 404],
        ),
        (
            Method::GET,
            format!("/organisations/QAA/incidents/{incident}"),
            None,
            [200, 200, 200, 200, 403, 404],
        ),
        (
            // A draft is the organisation's alone.
            Method::GET,
            format!("/organisations/QAA/incidents/{draft}"),
            None,
            [404, 404, 200, 200, 403, 404],
        ),
        (
            Method::GET,
            format!("/organisations/QAA/incidents/{draft}/edit"),
            None,
            [404, 404, 200, 200, 403, 404],
        ),
        (
            Method::GET,
            format!("/organisations/RX1/incidents/{rx1_incident}"),
            None,
            [200, 200, 404, 404, 404, 200],
        ),
        (
            Method::GET,
            format!("/organisations/QAA/incidents/{incident}/regulator"),
            None,
            [200, 200, 200, 200, 403, 404],
        ),
        (
            Method::GET,
            "/incidents/figures?year=2025".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/incidents".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/search?q=rx".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/".into(),
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/incidents/{incident}"),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            format!("/organisations/QAA/incidents/{incident}/messages"),
            Some("text=On+site+now"),
            [403, 403, 303, 303, 403, 404],
        ),
        (
            Method::GET,
            "/playbooks".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/playbooks/ransomware".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/playbooks/ransomware/cacao.json".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            format!("/incidents/{incident}/playbooks"),
            Some("key=denial-of-service"),
            [303, 403, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            format!("/incidents/{incident}/text"),
            Some("text=Isolate+PACS"),
            [303, 403, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            format!("/incidents/{incident}/messages"),
            Some("text=Briefed&internal=yes"),
            [303, 403, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/organisations/new".into(),
            None,
            [200, 403, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/organisations/RX1/edit".into(),
            None,
            [200, 403, 404, 404, 404, 403],
        ),
        (
            Method::GET,
            "/organisations/RX1/contacts/new".into(),
            None,
            [200, 403, 404, 404, 404, 200],
        ),
        (
            Method::GET,
            format!("/organisations/RX1/contacts/{rx1c}/edit"),
            None,
            [200, 403, 404, 404, 404, 200],
        ),
        (
            Method::GET,
            format!("/organisations/A81001/contacts/{rx1c}/edit"),
            None,
            [404, 403, 404, 403, 403, 404],
        ),
        (
            Method::POST,
            "/organisations/RX1/contacts".into(),
            Some(contact_form),
            [303, 403, 404, 404, 404, 303],
        ),
        (
            Method::POST,
            format!("/organisations/RX1/contacts/{rx1c}/edit"),
            Some(contact_form),
            [303, 403, 404, 404, 404, 303],
        ),
        (
            Method::GET,
            "/people".into(),
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/people/{foreign_id}"),
            None,
            [200, 200, 404, 404, 404, 200],
        ),
        (
            Method::GET,
            "/audit".into(),
            None,
            [200, 403, 200, 403, 403, 200],
        ),
        (
            Method::GET,
            "/tokens".into(),
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            Method::POST,
            format!("/organisations/RX1/contacts/{rx1c}/delete"),
            Some(""),
            [303, 403, 404, 404, 404, 404],
        ),
        (
            Method::GET,
            "/organisations/import".into(),
            None,
            [200, 403, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/organisations/export.csv".into(),
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/people/new".into(),
            None,
            [200, 403, 200, 403, 403, 200],
        ),
        (
            Method::POST,
            "/organisations".into(),
            Some("code=ZZ9&name=New+Org&type=pharmacy&category=&region=London&parent_code="),
            [303, 403, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            "/organisations/RX1/edit".into(),
            Some(
                "code=RX1&name=Renamed+Trust&type=acute_trust&category=1&region=London&parent_code=&active=true",
            ),
            [303, 403, 404, 404, 404, 403],
        ),
        (
            Method::POST,
            "/people".into(),
            Some("name=New+Person&email=np%40x.nhs.uk&password=&role=org_member&org_code=RX1"),
            // The foreign lead invites the person the admin added: the same answer as for
            // someone new, since nothing may say that an account exists.
            [303, 403, 422, 422, 422, 303],
        ),
        (
            Method::POST,
            format!("/people/{foreign_id}/roles"),
            Some("role=org_member&org_code=RX1"),
            [303, 403, 404, 404, 404, 422],
        ),
        (
            Method::POST,
            format!("/people/{foreign_id}/roles/remove"),
            Some("role=org_member&org_code=RX1"),
            [303, 403, 404, 404, 404, 404],
        ),
        (
            Method::POST,
            format!("/people/{foreign_id}/active"),
            Some("active=true"),
            [303, 403, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            "/tokens".into(),
            Some("label=matrix"),
            [201, 201, 201, 201, 201, 201],
        ),
        (
            Method::POST,
            "/tokens/999999/revoke".into(),
            Some(""),
            [404, 404, 404, 404, 404, 404],
        ),
    ];
    for (method, uri, form, expected) in &cases {
        for (i, (who, (session, csrf))) in sessions.iter_mut().enumerate() {
            let body = form.map(|f| {
                if f.is_empty() {
                    format!("csrf_token={csrf}")
                } else {
                    format!("csrf_token={csrf}&{f}")
                }
            });
            let res = h.page(method.clone(), uri, session, body).await;
            // Like a browser, follow a rotated session (roles changed by an earlier row).
            if let Some(rotated) = res.cookie("palisade_session") {
                *session = rotated;
            }
            assert_eq!(
                res.status.as_u16(),
                expected[i],
                "{:?}: {method} {uri} as {who}: {}",
                h.db.engine(),
                res.text().chars().take(300).collect::<String>()
            );
            let html = res
                .headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"));
            if html {
                let text = res.text();
                let title = text
                    .split_once("<title>")
                    .and_then(|(_, rest)| rest.split_once("</title>"))
                    .map(|(t, _)| t.to_string())
                    .unwrap_or_default();
                assert!(
                    !title.trim().is_empty() && !title.contains('<'),
                    "{method} {uri} as {who}: a page's title is plain text: {title:?}"
                );
            }
            if res.status == StatusCode::NOT_FOUND || res.status == StatusCode::FORBIDDEN {
                // Markers that stay put while the rows above edit and delete contacts: the
                // trust's name, and the name every test contact carries.
                let text = res.text();
                assert!(
                    !text.contains("Org RX1") && !text.contains("Sam Patel"),
                    "a refusal shows nothing of the organisation or its contacts"
                );
            }
        }
    }
}
