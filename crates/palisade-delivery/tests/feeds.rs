//! Feed sources: a directory, and a web address served here by a small HTTP server.

use palisade_app::feed_refresh::FeedSource;
use palisade_delivery::feeds::{WebFeeds, feed_source};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `GET /feeds/{name}` on a loopback port: the KEV file, a 500 for `broken.json`, a
/// response announcing more than the limit for `huge.zip`, 404 otherwise. Returns the base address.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = conn.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
                let response = match path.as_str() {
                    "/feeds/known_exploited_vulnerabilities.json" => {
                        "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"kev\": 1}\n"
                            .to_string()
                    }
                    "/feeds/broken.json" => {
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_string()
                    }
                    "/feeds/huge.zip" => {
                        "HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\nConnection: close\r\n\r\n"
                            .to_string()
                    }
                    _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string(),
                };
                let _ = conn.write_all(response.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    format!("http://{addr}/feeds")
}

#[tokio::test]
async fn a_web_source_reads_each_file_under_its_address() {
    let base = serve().await;
    let web = WebFeeds::new(&base).unwrap();
    assert_eq!(web.location(), format!("{base}/"));
    assert_eq!(
        web.fetch("known_exploited_vulnerabilities.json")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"{\"kev\": 1}\n"[..])
    );
    assert_eq!(web.fetch("endoflife.zip").await.unwrap(), None, "404");
    let err = web.fetch("broken.json").await.unwrap_err();
    assert!(err.contains("500"), "{err}");
    let err = web.fetch("huge.zip").await.unwrap_err();
    assert!(err.contains("larger than 64 MB"), "{err}");
}

#[test]
fn a_web_source_must_be_https_unless_on_this_machine() {
    for bad in [
        "http://feeds.example.org/",
        "https://user:secret@feeds.example.org/",
        "https://feeds.example.org/?token=1",
        "not a url",
    ] {
        assert!(feed_source(bad).is_err(), "{bad}");
    }
    assert!(WebFeeds::new("https://www.cisa.gov/sites/default/files/feeds").is_ok());
    assert!(WebFeeds::new("http://localhost:8080/feeds/").is_ok());
    assert!(WebFeeds::new("http://[::1]:8080/").is_ok());
}

#[tokio::test]
async fn a_directory_source_reads_its_files() {
    let dir = std::env::temp_dir().join(format!("palisade-feeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("endoflife.zip"), b"PK").unwrap();
    let source = feed_source(dir.to_str().unwrap()).unwrap();
    assert_eq!(
        source.fetch("endoflife.zip").await.unwrap().as_deref(),
        Some(&b"PK"[..])
    );
    assert_eq!(
        source
            .fetch("known_exploited_vulnerabilities.json")
            .await
            .unwrap(),
        None
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(feed_source(dir.to_str().unwrap()).is_err(), "gone");
}
