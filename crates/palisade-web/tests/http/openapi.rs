//! The OpenAPI document, held to a snapshot.

#[test]
fn openapi_document_is_stable() {
    let doc = palisade_web::openapi();
    insta::assert_json_snapshot!("openapi", doc);
}
