//! The Atom feed of published alerts: one entry per alert, updated with each new version.

use super::{Publisher, plain_text};
use atom_syndication::{Category, Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use palisade_domain::alert::PublishedVersion;
use palisade_domain::clock::{from_unix, rfc3339};

/// The feed of `latest`, each alert's current version, newest first.
pub fn feed(p: Publisher<'_>, latest: &[PublishedVersion]) -> String {
    let feed_url = p.link("/alerts.atom");
    let feed = Feed {
        title: Text::plain(format!("{}: cyber alerts", p.name)),
        id: feed_url.clone(),
        updated: atom_time(latest.first().map_or(0, |v| v.at)),
        authors: vec![author(p)],
        links: vec![
            link(&feed_url, "self", Some("application/atom+xml")),
            link(&p.link("/public/alerts"), "alternate", Some("text/html")),
        ],
        subtitle: Some(Text::plain(
            "Cyber alerts published to health and care organisations",
        )),
        entries: latest.iter().map(|v| entry(p, v)).collect(),
        ..Feed::default()
    };
    feed.to_string()
}

fn author(p: Publisher<'_>) -> Person {
    Person {
        name: p.name.to_string(),
        uri: Some(p.link("/public/alerts")),
        ..Person::default()
    }
}

fn entry(p: Publisher<'_>, v: &PublishedVersion) -> Entry {
    let f = &v.fields;
    let url = p.alert_link(&v.reference);
    let category = |term: &str, label: &str| Category {
        term: term.to_string(),
        label: Some(label.to_string()),
        ..Category::default()
    };
    let categories = vec![
        category(f.severity.as_str(), f.severity.label()),
        category(f.alert_type.as_str(), f.alert_type.label()),
    ];
    Entry {
        title: Text::plain(format!(
            "{} ({}): {}",
            v.reference,
            f.severity.label(),
            f.title
        )),
        id: url.clone(),
        updated: atom_time(v.at),
        published: Some(atom_time(v.first_published_at)),
        authors: vec![author(p)],
        links: vec![link(&url, "alternate", Some("text/html"))],
        categories,
        summary: Some(Text::plain(f.summary.clone())),
        content: Some(Content {
            value: Some(plain_text(f, &v.changed)),
            content_type: Some("text".into()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

fn link(href: &str, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: mime.map(str::to_string),
        ..Link::default()
    }
}

fn atom_time(secs: i64) -> FixedDateTime {
    FixedDateTime::parse_from_rfc3339(&rfc3339(from_unix(secs)))
        .unwrap_or_else(|_| FixedDateTime::default())
}
