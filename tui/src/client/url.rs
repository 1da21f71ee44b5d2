//! How a server address becomes the URLs the client talks to: `--server`
//! parsed into a base URL, the WebSocket URL derived from it, and the key
//! that names the server in the token file and the status line. Strings
//! only: nothing here connects.

use url::Url;

/// The server's WebSocket URL: `http` becomes `ws`, `https` becomes `wss`,
/// and the path is `/ws`.
pub fn ws_url(server: &Url) -> Result<Url, String> {
    let mut url = server.join("ws").map_err(|e| e.to_string())?;
    let scheme = match server.scheme() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        other => {
            return Err(format!(
                "unsupported scheme {other}: use http:// or https://"
            ));
        }
    };
    url.set_scheme(scheme)
        .map_err(|()| "cannot build the WebSocket URL".to_owned())?;
    Ok(url)
}

/// Parses `--server`: a bare `host:port` gets `http://`; the path is made
/// to end in `/` so relative REST paths join under it.
pub fn parse_server(text: &str) -> Result<Url, String> {
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| format!("bad server URL {text:?}: {e}"))?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    if url.host_str().is_none() {
        return Err(format!("bad server URL {text:?}: no host"));
    }
    Ok(url)
}

/// How a server is named in the token file and the status line.
pub fn server_key(server: &Url) -> String {
    server.as_str().trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_are_normalised() {
        let u = parse_server("localhost:3000").unwrap();
        assert_eq!(u.as_str(), "http://localhost:3000/");
        assert_eq!(server_key(&u), "http://localhost:3000");
        assert_eq!(ws_url(&u).unwrap().as_str(), "ws://localhost:3000/ws");
        let s = parse_server("https://chat.example/sapa").unwrap();
        assert_eq!(ws_url(&s).unwrap().as_str(), "wss://chat.example/sapa/ws");
        assert!(parse_server("http://").is_err());
        assert!(ws_url(&Url::parse("ftp://x/").unwrap()).is_err());
    }
}
