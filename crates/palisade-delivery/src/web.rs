//! What the adapters that speak HTTPS share: which addresses may be plain HTTP, and reading a
//! body no larger than a limit.

/// Whether `url` names this machine (where plain HTTP is allowed, for tests and the demo).
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    url.host_str().is_some_and(|h| {
        h == "localhost"
            || h.trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// The body of `response`, refused (`Err(None)`) once larger than `max` bytes, whatever length it
/// announced: it is read a chunk at a time, so a server sending more than it said is stopped at
/// the limit. `Err(Some(e))` when the connection fails midway.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, Option<reqwest::Error>> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Some)? {
        if body.len() + chunk.len() > max {
            return Err(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
