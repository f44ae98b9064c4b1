//! Feed sources for the feeds job (`palisade_app::feed_refresh::FeedSource`): a directory on the
//! server, or a web address read over HTTPS (plain HTTP only to this machine itself).

use async_trait::async_trait;
use palisade_app::feed_refresh::{FeedSource, MAX_FEED_BYTES};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The source at `location`: a web address when it starts `https://` (or `http://` to this
/// machine), a directory that exists otherwise.
pub fn feed_source(location: &str) -> Result<Arc<dyn FeedSource>, String> {
    if location.starts_with("https://") || location.starts_with("http://") {
        return Ok(Arc::new(WebFeeds::new(location)?));
    }
    let dir = PathBuf::from(location);
    if !dir.is_dir() {
        return Err(format!(
            "feed_source: {location} is neither a directory nor an https:// address"
        ));
    }
    Ok(Arc::new(DirectoryFeeds { dir }))
}

/// Feed files in a directory.
pub struct DirectoryFeeds {
    dir: PathBuf,
}

#[async_trait]
impl FeedSource for DirectoryFeeds {
    fn location(&self) -> String {
        self.dir.display().to_string()
    }

    async fn fetch(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let path = self.dir.join(name);
        let read = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
            let size = match std::fs::metadata(&path) {
                Ok(m) => m.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            if size > MAX_FEED_BYTES as u64 {
                return Err(std::io::Error::other(too_large()));
            }
            std::fs::read(&path).map(Some)
        });
        read.await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }
}

/// Feed files under a web address: `{base}/{name}`.
pub struct WebFeeds {
    base: reqwest::Url,
    client: reqwest::Client,
}

impl WebFeeds {
    pub fn new(base: &str) -> Result<Self, String> {
        let mut url = reqwest::Url::parse(base)
            .map_err(|e| format!("feed_source: {base} is not a web address: {e}"))?;
        let loopback = crate::web::is_loopback(&url);
        if url.scheme() != "https" && !loopback {
            return Err(format!(
                "feed_source: {base} must be an https:// address (plain http only to this machine)"
            ));
        }
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
            return Err(format!(
                "feed_source: {base} must not carry credentials or a query"
            ));
        }
        // The files are found under the address, as under a directory.
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        let client = reqwest::Client::builder()
            .https_only(!loopback)
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(300))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { base: url, client })
    }
}

#[async_trait]
impl FeedSource for WebFeeds {
    fn location(&self) -> String {
        self.base.to_string()
    }

    async fn fetch(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let url = self.base.join(name).map_err(|e| e.to_string())?;
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("cannot be fetched: {e}"))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(format!("the server answered {status}"));
        }
        match crate::web::read_capped(response, MAX_FEED_BYTES).await {
            Ok(body) => Ok(Some(body)),
            Err(Some(e)) => Err(format!("was cut off: {e}")),
            Err(None) => Err(too_large()),
        }
    }
}

fn too_large() -> String {
    format!("is larger than {} MB", MAX_FEED_BYTES / (1024 * 1024))
}
