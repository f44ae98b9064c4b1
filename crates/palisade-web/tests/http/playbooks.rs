//! Response playbooks: applied to a case as tasks with due times, marked done or not
//! applicable, seen by each side as it should, exported as CACAO 2.0 that the OASIS schemas
//! accept, and imported back.

use crate::support::*;

async fn send(h: &H, method: Method, uri: &str, token: &str, body: Option<Value>) -> Resp {
    h.api(method, uri, Some(token), body).await
}

/// A notified ransomware case of QAA, with the shipped playbooks installed.
async fn case(h: &H, w: &World) -> String {
    assert_eq!(h.app.install_shipped_playbooks().await.unwrap(), 6);
    assert_eq!(h.app.install_shipped_playbooks().await.unwrap(), 0);
    let r = send(
        h,
        Method::POST,
        "/api/v1/organisations/QAA/incidents",
        &w.lead.1,
        Some(incident_body(true)),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["reference"].as_str().unwrap().to_string()
}

per_engine!(
    a_playbook_becomes_tasks_each_side_sees_and_marks,
    a_playbook_becomes_tasks_each_side_sees_and_marks_sqlite,
    a_playbook_becomes_tasks_each_side_sees_and_marks_postgres
);

async fn a_playbook_becomes_tasks_each_side_sees_and_marks(h: H) {
    let w = world(&h).await;
    let reference = case(&h, &w).await;
    let admin = w.admin.1.as_str();
    let apply = format!("/api/v1/incidents/{reference}/playbooks");

    // Only a triager applies, only a playbook that exists, and only to a case it can see.
    let r = send(
        &h,
        Method::POST,
        &apply,
        &w.analyst.1,
        Some(json!({"key": "ransomware"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &h,
        Method::POST,
        &apply,
        admin,
        Some(json!({"key": "no-such"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "key");
    let r = send(
        &h,
        Method::POST,
        "/api/v1/incidents/INC-999999/playbooks",
        admin,
        Some(json!({"key": "ransomware"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = send(
        &h,
        Method::POST,
        &apply,
        admin,
        Some(json!({"key": "ransomware"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let tasks = r.json();
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 8);
    // Due from awareness (07:00) or from applying it (the clock's now, 15:06:40).
    assert_eq!(tasks[0]["step"], "isolate-hosts");
    assert_eq!(tasks[0]["due_at"], "2025-06-15T09:00:00Z");
    assert_eq!(tasks[0]["overdue"], true);
    assert_eq!(tasks[2]["step"], "national-call");
    assert_eq!(tasks[2]["actor"], "national");
    assert_eq!(tasks[2]["due_at"], "2025-06-15T17:06:40Z");
    assert_eq!(tasks[2]["overdue"], false);
    assert_eq!(tasks[0]["playbook"], "ransomware");
    assert_eq!(tasks[0]["phase"], "Contain");

    // Twice is refused, whatever the version.
    let r = send(
        &h,
        Method::POST,
        &apply,
        admin,
        Some(json!({"key": "ransomware"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // The organisation sees its own steps; the national team all of them.
    let org_view = send(
        &h,
        Method::GET,
        &format!("/api/v1/organisations/QAA/incidents/{reference}"),
        &w.lead.1,
        None,
    )
    .await
    .json();
    let org_steps: Vec<&str> = org_view["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["step"].as_str().unwrap())
        .collect();
    assert_eq!(org_steps.len(), 6);
    assert!(!org_steps.contains(&"national-call"));
    let national = send(
        &h,
        Method::GET,
        &format!("/api/v1/incidents/{reference}"),
        &w.analyst.1,
        None,
    )
    .await
    .json();
    assert_eq!(national["tasks"].as_array().unwrap().len(), 8);

    // Done with a note; not applicable needs a reason; open again clears who and when.
    let first = tasks[0]["id"].as_i64().unwrap();
    let task = format!("/api/v1/incidents/{reference}/tasks/{first}");
    let r = send(
        &h,
        Method::POST,
        &task,
        admin,
        Some(json!({"state": "done", "note": "Unplugged"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let done = r.json();
    assert_eq!(
        (
            &done["state"],
            &done["overdue"],
            &done["done_by"],
            &done["note"]
        ),
        (
            &json!("done"),
            &json!(false),
            &json!("admin@x.nhs.uk"),
            &json!("Unplugged")
        )
    );
    assert_eq!(done["done_at"], "2025-06-15T15:06:40Z");
    // The organisation's audit log says a national step moved, not what its note says.
    assert_eq!(
        h.audit_summary(&w.lead.1, "incident.task").await,
        json!({"state": "done", "length": 9})
    );
    let r = send(
        &h,
        Method::POST,
        &task,
        admin,
        Some(json!({"state": "not_applicable"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "note");
    let r = send(
        &h,
        Method::POST,
        &task,
        admin,
        Some(json!({"state": "finished"})),
    )
    .await;
    assert_eq!(r.json()["error"]["field"], "state");
    let r = send(
        &h,
        Method::POST,
        &task,
        admin,
        Some(json!({"state": "open"})),
    )
    .await;
    let reopened = r.json();
    assert_eq!(reopened["state"], "open");
    assert_eq!(reopened["done_at"], Value::Null);
    assert_eq!(reopened["overdue"], true);
    let r = send(
        &h,
        Method::POST,
        &task,
        &w.analyst.1,
        Some(json!({"state": "done"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A task is found on its own case only.
    let other = send(
        &h,
        Method::POST,
        "/api/v1/organisations/QAA/incidents",
        &w.lead.1,
        Some(incident_body(true)),
    )
    .await
    .json();
    let elsewhere = format!(
        "/api/v1/incidents/{}/tasks/{first}",
        other["reference"].as_str().unwrap()
    );
    let r = send(
        &h,
        Method::POST,
        &elsewhere,
        admin,
        Some(json!({"state": "done"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(
        &h,
        Method::POST,
        &format!("/api/v1/incidents/{reference}/tasks/x"),
        admin,
        Some(json!({"state": "done"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The national-call step falls overdue once its two hours pass.
    h.clock.advance(time::Duration::seconds(2 * 3600 + 1));
    let later = send(
        &h,
        Method::GET,
        &format!("/api/v1/incidents/{reference}"),
        admin,
        None,
    )
    .await
    .json();
    assert_eq!(later["tasks"][2]["overdue"], true);

    let audit = h.audit_actions(admin).await;
    assert!(
        audit.contains(&"incident.playbook".to_string()),
        "{audit:?}"
    );
    assert_eq!(audit.iter().filter(|a| *a == "incident.task").count(), 2);
    assert_eq!(audit.iter().filter(|a| *a == "playbook.import").count(), 6);
}

per_engine!(
    playbooks_export_as_valid_cacao_and_import_back,
    playbooks_export_as_valid_cacao_and_import_back_sqlite,
    playbooks_export_as_valid_cacao_and_import_back_postgres
);

async fn playbooks_export_as_valid_cacao_and_import_back(h: H) {
    let w = world(&h).await;
    h.app.install_shipped_playbooks().await.unwrap();
    let analyst = w.analyst.1.as_str();
    let list = send(&h, Method::GET, "/api/v1/playbooks", analyst, None)
        .await
        .json();
    let keys: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "account-compromise",
            "denial-of-service",
            "personal-data-breach",
            "ransomware",
            "supplier-compromise",
            "unsupported-system-exploited"
        ]
    );
    let r = send(&h, Method::GET, "/api/v1/playbooks", &w.lead.1, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &h,
        Method::GET,
        "/api/v1/playbooks/nope/cacao",
        analyst,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let mut docs = Vec::new();
    for key in &keys {
        let r = send(
            &h,
            Method::GET,
            &format!("/api/v1/playbooks/{key}/cacao"),
            analyst,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        docs.push((key.to_string(), r.json()));
    }
    validate_cacao(&docs);

    // An export imported as a new version is kept as one; the same again changes nothing, and
    // other content under a kept version is refused.
    let (_, mut doc) = docs[3].clone();
    let ext = doc["playbook_extensions"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    doc["playbook_extensions"][&ext]["version"] = json!(2);
    doc["name"] = json!("Ransomware, revised");
    let cli = palisade_app::Actor::cli();
    let (kept, created) = h.app.import_playbook(&cli, &doc.to_string()).await.unwrap();
    assert!(created);
    assert_eq!((kept.key.as_str(), kept.version), ("ransomware", 2));
    let (_, created) = h.app.import_playbook(&cli, &doc.to_string()).await.unwrap();
    assert!(!created);
    doc["name"] = json!("Ransomware, revised again");
    let e = h
        .app
        .import_playbook(&cli, &doc.to_string())
        .await
        .unwrap_err();
    assert!(
        matches!(e, palisade_app::AppError::Conflict { ref field, .. } if field == "version"),
        "{e:?}"
    );
    let newest = send(
        &h,
        Method::GET,
        "/api/v1/playbooks/ransomware",
        analyst,
        None,
    )
    .await
    .json();
    assert_eq!(
        (newest["version"].clone(), newest["title"].clone()),
        (json!(2), json!("Ransomware, revised"))
    );
    let first = send(
        &h,
        Method::GET,
        "/api/v1/playbooks/ransomware?version=1",
        analyst,
        None,
    )
    .await
    .json();
    assert_eq!(first["title"], "Ransomware");
    assert_eq!(
        first["phases"][0]["steps"][0]["due"],
        json!({"hours": 2, "from": "awareness"})
    );

    // A file that breaks the rules is refused by field, and nothing is written.
    let mut bad = docs[0].1.clone();
    bad["spec_version"] = json!("cacao-1.0");
    let e = h
        .app
        .import_playbook(&cli, &bad.to_string())
        .await
        .unwrap_err();
    let palisade_app::AppError::Invalid(errs) = e else {
        panic!("{e:?}")
    };
    assert_eq!(errs.0[0].field, "spec_version");
    let e = h
        .app
        .import_playbook(&cli, "format: palisade-playbook/1\nkey: Bad Key\n")
        .await
        .unwrap_err();
    assert!(matches!(e, palisade_app::AppError::Invalid(_)), "{e:?}");
    let after = send(&h, Method::GET, "/api/v1/playbooks", analyst, None)
        .await
        .json();
    assert_eq!(after.as_array().unwrap().len(), 7);
}

/// Every document validates against the OASIS CACAO 2.0 schemas beside the repository, by the
/// Python `jsonschema` validator `PALISADE_TEST_PYTHON` names (CI installs it).
fn validate_cacao(docs: &[(String, Value)]) {
    let Some(schemas) = shared_data("data/cacao-2.0/schemas") else {
        return;
    };
    let Some(python) = std::env::var_os("PALISADE_TEST_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI sets PALISADE_TEST_PYTHON for the CACAO validator"
        );
        eprintln!("skipped: set PALISADE_TEST_PYTHON to a Python with jsonschema");
        return;
    };
    let dir = std::env::temp_dir().join(format!(
        "palisade-cacao-{}",
        palisade_app::auth::random_hex(6)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (key, doc) in docs {
        let file = dir.join(format!("{key}.json"));
        std::fs::write(&file, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
        files.push(file);
    }
    // A broken copy must fail, or the check proves nothing.
    let mut broken = docs[0].1.clone();
    broken.as_object_mut().unwrap().remove("workflow_start");
    let broken_file = dir.join("broken.json");
    std::fs::write(&broken_file, broken.to_string()).unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cacao/validate.py");
    let run = |files: &[std::path::PathBuf]| {
        std::process::Command::new(&python)
            .arg(&script)
            .arg(&schemas)
            .args(files)
            .output()
            .unwrap()
    };
    let good = run(&files);
    let bad = run(std::slice::from_ref(&broken_file));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        good.status.success(),
        "CACAO export is not valid:\n{}{}",
        String::from_utf8_lossy(&good.stdout),
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(
        !bad.status.success(),
        "the validator accepted a playbook without workflow_start"
    );
    assert!(String::from_utf8_lossy(&bad.stdout).contains("workflow_start"));
}

per_engine!(
    the_case_page_applies_a_playbook_and_marks_tasks,
    the_case_page_applies_a_playbook_and_marks_tasks_sqlite,
    the_case_page_applies_a_playbook_and_marks_tasks_postgres
);

async fn the_case_page_applies_a_playbook_and_marks_tasks(h: H) {
    let w = world(&h).await;
    let reference = case(&h, &w).await;
    let (session, csrf) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    let page = format!("/incidents/{reference}");
    let html = h.page(Method::GET, &page, &session, None).await.text();
    assert!(html.contains("No playbook applied yet"), "{html}");
    assert!(html.contains("<option value=\"ransomware\">Ransomware (version 1)</option>"));
    // The playbooks for the case's kind come first.
    let first_option = html.find("(version 1)</option>").unwrap();
    assert!(
        html[..first_option].ends_with("Ransomware "),
        "{}",
        &html[first_option - 80..first_option]
    );
    // A newer version is offered in place of the older, once.
    let v2 =
        palisade_domain::incident::playbook::SHIPPED[0].replace("\nversion: 1\n", "\nversion: 2\n");
    let (kept, created) = h
        .app
        .import_playbook(&palisade_app::Actor::cli(), &v2)
        .await
        .unwrap();
    assert_eq!(
        (kept.key.as_str(), kept.version, created),
        ("ransomware", 2, true)
    );
    let html = h.page(Method::GET, &page, &session, None).await.text();
    assert_eq!(
        html.matches("<option value=\"ransomware\">").count(),
        1,
        "{html}"
    );
    assert!(html.contains("<option value=\"ransomware\">Ransomware (version 2)</option>"));

    let r = h
        .page(
            Method::POST,
            &format!("{page}/playbooks"),
            &session,
            Some(format!("csrf_token={csrf}&key=ransomware")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = h.page(Method::GET, &page, &session, None).await.text();
    assert!(html.contains("Isolate affected machines from the network"));
    assert!(html.contains("Overdue"));

    let task = h
        .app
        .national_incident_view(
            &palisade_app::Actor::cli(),
            palisade_store::incident_id(&reference).unwrap(),
        )
        .await
        .unwrap()
        .tasks[1]
        .task
        .id;
    let r = h
        .page(
            Method::POST,
            &format!("{page}/tasks/{task}"),
            &session,
            Some(format!("csrf_token={csrf}&state=not_applicable&note=")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains(&format!("href=\"#task-{task}-note\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("The note for task {task} is required")),
        "{html}"
    );
    let r = h
        .page(
            Method::POST,
            &format!("{page}/tasks/{task}"),
            &session,
            Some(format!(
                "csrf_token={csrf}&state=not_applicable&note=No+accounts+used"
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let html = h.page(Method::GET, &page, &session, None).await.text();
    assert!(html.contains("Not applicable by admin@x.nhs.uk"), "{html}");

    // The playbook pages, and the CACAO file to save.
    let list = h
        .page(Method::GET, "/playbooks", &session, None)
        .await
        .text();
    assert!(list.contains("/playbooks/ransomware?version=1"));
    assert!(list.contains("/playbooks/ransomware?version=2"));
    let one = h
        .page(Method::GET, "/playbooks/ransomware", &session, None)
        .await
        .text();
    assert!(one.contains("due 2 hours after awareness"), "{one}");
    let file = h
        .page(
            Method::GET,
            "/playbooks/ransomware/cacao.json",
            &session,
            None,
        )
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("ransomware-2.cacao.json")
    );
    assert_eq!(file.json()["spec_version"], "cacao-2.0");

    // The organisation's page shows its own steps, without the forms.
    let (org_session, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let html = h
        .page(
            Method::GET,
            &format!("/organisations/QAA/incidents/{reference}"),
            &org_session,
            None,
        )
        .await
        .text();
    assert!(html.contains("Isolate affected machines from the network"));
    assert!(!html.contains("Hold the first call with the organisation"));
    assert!(!html.contains("/tasks/"));
}

per_engine!(
    a_foreign_cacao_playbook_is_versioned_by_its_content,
    a_foreign_cacao_playbook_is_versioned_by_its_content_sqlite,
    a_foreign_cacao_playbook_is_versioned_by_its_content_postgres
);

/// A CACAO playbook from elsewhere carries no Palisade version: the same document again is the
/// kept version, a revision of it is the next, and another playbook of the same name keeps its
/// own key.
async fn a_foreign_cacao_playbook_is_versioned_by_its_content(h: H) {
    let cli = palisade_app::Actor::cli();
    let doc = |id: &str, guidance: &str| {
        let (start, action, end, agent) = (
            "start--0b7c2d8e-1f3a-4b5c-8d6e-7f8a9b0c1d2e",
            "action--1c8d3e9f-2a4b-4c6d-9e7f-8a9b0c1d2e3f",
            "end--3e0f5a1b-4c6d-4e8f-9a0b-1c2d3e4f5a6b",
            "organization--2d9e4f0a-3b5c-4d7e-8f9a-0b1c2d3e4f5a",
        );
        json!({
            "type": "playbook", "spec_version": "cacao-2.0",
            "id": format!("playbook--{id}"),
            "name": "Phishing response",
            "created_by": "identity--5b1f7a4e-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
            "created": "2024-01-02T03:04:05Z", "modified": "2024-02-03T04:05:06Z",
            "workflow_start": start,
            "workflow": {
                start: {"type": "start", "on_completion": action},
                action: {"type": "action", "name": "Purge the message",
                    "commands": [{"type": "manual", "command": guidance}],
                    "agent": agent, "on_completion": end},
                end: {"type": "end"}
            },
            "agent_definitions": {agent: {"type": "organization", "name": "Local IT"}}
        })
        .to_string()
    };
    let ours = "3f2d1b1e-6a3c-4c8e-9a55-1c2b3d4e5f60";
    let import = |text: String| {
        let (h, cli) = (&h, &cli);
        async move { h.app.import_playbook(cli, &text).await.unwrap() }
    };
    let (first, created) = import(doc(ours, "Remove it from every mailbox.")).await;
    assert!(created);
    assert_eq!(
        (first.key.as_str(), first.version),
        ("phishing-response-3f2d1b1e", 1)
    );
    let (again, created) = import(doc(ours, "Remove it from every mailbox.")).await;
    assert!(!created);
    assert_eq!(again.version, 1);
    let (revised, created) = import(doc(ours, "Remove it and block the sender.")).await;
    assert!(created);
    assert_eq!((revised.key, revised.version), (first.key.clone(), 2));
    // The revision again changes nothing, and neither does the first revision again.
    let (again, created) = import(doc(ours, "Remove it and block the sender.")).await;
    assert_eq!((again.version, created), (2, false));
    let (old, created) = import(doc(ours, "Remove it from every mailbox.")).await;
    assert_eq!((old.version, created), (1, false));
    let (other, created) = import(doc(
        "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "Remove it from every mailbox.",
    ))
    .await;
    assert!(created);
    assert_eq!(
        (other.key.as_str(), other.version),
        ("phishing-response-9a8b7c6d", 1)
    );
    // Two different revisions imported at once both land, as the next two versions.
    let (warn, reset) = (
        doc(ours, "Quarantine it and warn staff."),
        doc(ours, "Quarantine it and reset passwords."),
    );
    let (a, b) = tokio::join!(
        h.app.import_playbook(&cli, &warn),
        h.app.import_playbook(&cli, &reset),
    );
    let mut versions = [a.unwrap().0.version, b.unwrap().0.version];
    versions.sort_unstable();
    assert_eq!(versions, [3, 4]);
}
