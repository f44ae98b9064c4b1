//! The OpenAPI document, held to a snapshot.

#[test]
fn openapi_document_is_stable() {
    let doc = palisade_web::openapi();
    insta::assert_json_snapshot!("openapi", doc);
}

/// The served document is valid OpenAPI 3.1 by an independent validator
/// (`openapi-spec-validator`, run by the Python `PALISADE_TEST_PYTHON` names; CI installs it),
/// and every operation id is unique.
#[test]
fn openapi_document_is_valid_openapi() {
    let doc = serde_json::to_value(palisade_web::openapi()).unwrap();
    let mut ids = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                ids.entry(id.to_string())
                    .or_default()
                    .push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let twice: Vec<_> = ids.iter().filter(|(_, ops)| ops.len() > 1).collect();
    assert!(twice.is_empty(), "operation ids used twice: {twice:?}");

    let Some(python) = std::env::var_os("PALISADE_TEST_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI sets PALISADE_TEST_PYTHON for the OpenAPI validator"
        );
        eprintln!("skipped: set PALISADE_TEST_PYTHON to a Python with openapi-spec-validator");
        return;
    };
    let dir = std::env::temp_dir().join(format!("palisade-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = std::process::Command::new(python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the OpenAPI document is not valid:\n{text}"
    );
}
