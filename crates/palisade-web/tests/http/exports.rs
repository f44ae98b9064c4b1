//! The long downloads (the register, the public statuses, an alert's responses) are read from
//! the store a chunk at a time as they are sent: each must still come whole, in code order and
//! with every row once, across the chunks' edges and within each reader's scope.

use crate::support::*;
use axum::http::{Method, StatusCode};
use std::fmt::Write;
use std::io::Read;

/// Practices imported beside the world's three organisations: two full chunks of 2,000 and a
/// short third for the national readers; every other one is under QAA, so QAA's lead reads one
/// full chunk and a short second.
const PRACTICES: usize = 4_100;

async fn long_downloads_come_whole_and_in_order(h: H) {
    let w = world(&h).await;
    let mut register = String::from("code,name,type,category,region,parent_code\n");
    for i in 0..PRACTICES {
        let parent = if i % 2 == 0 { "QAA" } else { "" };
        writeln!(
            register,
            "G{i:05},Practice {i},gp_practice,4,London,{parent}"
        )
        .unwrap();
    }
    let r = h
        .raw(
            Method::POST,
            "/api/v1/organisations/import",
            &w.admin.1,
            "text/csv",
            register,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let practices: Vec<String> = (0..PRACTICES).map(|i| format!("G{i:05}")).collect();
    let under_qaa: Vec<String> = practices.iter().step_by(2).cloned().collect();
    let with = |extra: &[&str], codes: &[String]| {
        let mut all: Vec<String> = extra.iter().map(|c| c.to_string()).collect();
        all.extend(codes.iter().cloned());
        all.sort();
        all
    };

    let admin = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap().0;
    let lead = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap().0;
    for (who, session, expected) in [
        ("admin", &admin, with(&["A81001", "QAA", "RX1"], &practices)),
        ("QAA's lead", &lead, with(&["A81001", "QAA"], &under_qaa)),
    ] {
        let r = h
            .page(Method::GET, "/organisations/export.csv", session, None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_codes(
            &r.text(),
            "code,name,type,category,region,parent_code,active",
            &expected,
            &format!("the register for {who}"),
        );
    }

    let r = anonymous(&h, "/api/v1/public/organisations.csv?year=2026").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_codes(
        &r.text(),
        "code,name,type,status,published_at",
        &with(&["A81001", "QAA", "RX1"], &practices),
        "the public statuses",
    );
    let r = anonymous(&h, "/api/v1/public/organisations.csv?year=2026&q=G0400").await;
    assert_codes(
        &r.text(),
        "code,name,type,status,published_at",
        &practices[4000..4010],
        "the public statuses searched",
    );

    let r = anonymous(&h, "/api/v1/public/organisations.xlsx?year=2026").await;
    assert_eq!(r.status, StatusCode::OK);
    let mut book = zip::ZipArchive::new(std::io::Cursor::new(r.body)).expect("an xlsx is a zip");
    let mut sheet = String::new();
    book.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    let rows = 1 + PRACTICES + 3;
    assert_eq!(
        sheet.matches("<row ").count(),
        rows,
        "a header and a row each"
    );
    assert!(sheet.contains(&format!("<autoFilter ref=\"A1:F{rows}\"/>")));
    let last = format!("G{:05}", PRACTICES - 1);
    let (before_last, after_last) = sheet.split_once(&last).expect("the last practice");
    assert!(before_last.contains("G02000") && !after_last.contains("<t>G0"));

    // The alert reaches practices and acute trusts: every practice, A81001 and RX1.
    let id = h.create_alert(&w.admin.1, high_alert(true)).await;
    for (who, token, expected) in [
        (
            "the analyst",
            &w.analyst.1,
            with(&["A81001", "RX1"], &practices),
        ),
        ("QAA's lead", &w.lead.1, with(&["A81001"], &under_qaa)),
    ] {
        let r = h
            .api(
                Method::GET,
                &format!("/api/v1/alerts/{id}/responses.csv"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_codes(
            &r.text(),
            "org_code,org_name,org_type,region,status,due_at,late,applies,closure,closed_at,escalated_at",
            &expected,
            &format!("the responses for {who}"),
        );
    }
    let r = h
        .api(
            Method::GET,
            &format!("/api/v1/alerts/{id}/responses.csv"),
            Some(&w.foreign.1),
            None,
        )
        .await;
    assert_codes(
        &r.text(),
        "org_code,org_name,org_type,region,status,due_at,late,applies,closure,closed_at,escalated_at",
        &["RX1".to_string()],
        "the responses for RX1's lead",
    );
}
per_engine!(
    long_downloads_come_whole_and_in_order,
    long_downloads_come_whole_and_in_order_sqlite,
    long_downloads_come_whole_and_in_order_postgres
);

/// `csv` is `header` and then one row for each of `codes`, in that order.
fn assert_codes(csv: &str, header: &str, codes: &[String], what: &str) {
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(header), "{what}");
    let got: Vec<&str> = lines
        .map(|l| l.split(',').next().unwrap_or_default())
        .collect();
    assert_eq!(got.len(), codes.len(), "{what}: rows");
    if let Some(i) = got.iter().zip(codes).position(|(g, c)| g != c) {
        panic!(
            "{what}: row {} is {} where {} belongs",
            i + 1,
            got[i],
            codes[i]
        );
    }
}
