//! [`ClientIp`]: the address the limits count a request against: the
//! socket's peer, or what trusted proxies say in `X-Forwarded-For` (see
//! `limits/ip.rs`), and the REST limit per address that uses it.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::request::Parts,
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::ApiError;
use crate::{
    limits::{ClientKey, LimitKind, Limited},
    state::AppState,
};

/// The client's address, as the limits see it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The key its limits count against.
    pub fn key(self) -> ClientKey {
        ClientKey::of(self.0)
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A router driven without a socket (tests calling it directly) has
        // no peer: all such requests count as one unspecified address.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        Ok(Self(state.limits.trusted.client(peer, forwarded)))
    }
}

/// Middleware: REST requests per client address (a token bucket); over it,
/// 429 with `Retry-After` and the JSON error body.
pub async fn rest_limit(
    State(state): State<AppState>,
    ip: ClientIp,
    request: Request,
    next: Next,
) -> Response {
    match state.limits.rest.check(&ip.key()) {
        Ok(()) => next.run(request).await,
        Err(wait) => ApiError::from(Limited {
            kind: LimitKind::Rest,
            wait,
        })
        .into_response(),
    }
}
