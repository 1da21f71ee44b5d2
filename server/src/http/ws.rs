//! The WebSocket endpoints (`/ws`, `/chat/{room}`) and `GET /ws-info`, which
//! tells a client where to connect and what to send.

use std::{net::SocketAddr, time::Duration};

use axum::{
    Json,
    extract::{ConnectInfo, State},
    http::{HeaderMap, header},
    response::Response,
};
use sapa_protocol::{RoomName, Secret, rest::ErrorBody};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::{
    client_ip::ClientIp,
    error::{ApiError, ApiPath, ApiQuery},
    upgrade::Upgrading,
};
use crate::{
    limits::{LimitKind, Limited},
    realtime::socket::{self, Upgrade},
    state::AppState,
};

/// Where the WebSocket is and how to talk to it.
#[derive(Serialize, ToSchema)]
pub struct WsInfo {
    /// The URL to connect to.
    #[schema(example = "ws://localhost:3000/ws")]
    pub url: String,
    /// The same protocol with a default room: replace {room}.
    #[schema(example = "ws://localhost:3000/chat/{room}")]
    pub room_url: String,
    /// Frames to try, in order.
    pub examples: Vec<serde_json::Value>,
}

/// The WebSocket URL, derived from this request (or SAPA_PUBLIC_URL), and
/// example frames.
#[utoipa::path(get, path = "/ws-info", tag = "WebSocket", responses((status = 200, body = WsInfo)))]
pub async fn info(State(state): State<AppState>, headers: HeaderMap) -> Json<WsInfo> {
    let base = match &state.config.public_url {
        Some(public) => {
            let public = public.trim_end_matches('/');
            public
                .replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1)
        }
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost:3000");
            // This listener's own TLS, or a TLS-terminating proxy's word.
            let secure = state.config.tls_files().is_some()
                || headers
                    .get("x-forwarded-proto")
                    .and_then(|h| h.to_str().ok())
                    .is_some_and(|p| p.eq_ignore_ascii_case("https"));
            format!("{}://{host}", if secure { "wss" } else { "ws" })
        }
    };
    Json(WsInfo {
        url: format!("{base}/ws"),
        room_url: format!("{base}/chat/{{room}}"),
        examples: vec![
            json!({"type": "join", "username": "alice", "password": "correct horse", "room": "general"}),
            json!({"type": "message", "content": "hello, world", "client_id": "c-1"}),
            json!({"type": "history", "before_id": 100, "limit": 20}),
            json!({"type": "ping", "nonce": "1"}),
            json!({"type": "leave"}),
        ],
    })
}

/// Query parameters of the upgrade request.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// A bearer token, for clients that cannot set headers; a join may then
    /// omit its password.
    #[param(value_type = Option<String>)]
    pub token: Option<Secret>,
}

/// Opens a WebSocket speaking protocol v1 (see GET /ws-info).
#[utoipa::path(get, path = "/ws", tag = "WebSocket", params(WsQuery), responses(
    (status = 101, description = "switching to the WebSocket protocol"),
    (status = 426, description = "not a WebSocket upgrade request (a plain GET, say)", body = ErrorBody),
    (status = 429, description = "too many connections from this address; see Retry-After", body = ErrorBody),
    (status = 503, description = "too many connections", body = ErrorBody),
))]
pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    client_ip: ClientIp,
    ApiQuery(query): ApiQuery<WsQuery>,
    ws: Upgrading,
) -> Result<Response, ApiError> {
    let client = Client {
        peer,
        ip: client_ip,
    };
    accept(state, client, query.token, RoomName::general(), ws)
}

/// The same protocol, with `room` as the room a join enters by default.
#[utoipa::path(get, path = "/chat/{room}", tag = "WebSocket",
    params(("room" = RoomName, Path, description = "the default room"), WsQuery),
    responses(
        (status = 101, description = "switching to the WebSocket protocol"),
        (status = 422, description = "invalid room name", body = ErrorBody),
        (status = 426, description = "not a WebSocket upgrade request (a plain GET, say)", body = ErrorBody),
        (status = 429, description = "too many connections from this address; see Retry-After", body = ErrorBody),
        (status = 503, description = "too many connections", body = ErrorBody),
    ))]
pub async fn upgrade_room(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    client_ip: ClientIp,
    // Before the upgrade, so a bad room name is 422 even on a plain GET.
    ApiPath(room): ApiPath<RoomName>,
    ApiQuery(query): ApiQuery<WsQuery>,
    ws: Upgrading,
) -> Result<Response, ApiError> {
    let client = Client {
        peer,
        ip: client_ip,
    };
    accept(state, client, query.token, room, ws)
}

/// Who is asking to connect: the socket's peer, and the client behind it.
struct Client {
    peer: SocketAddr,
    ip: ClientIp,
}

/// How long an address over its connection limit is told to wait: an
/// estimate (a slot frees when one of its connections closes).
const CONNECTIONS_WAIT: Duration = Duration::from_secs(5);

fn accept(
    state: AppState,
    client: Client,
    token: Option<Secret>,
    default_room: RoomName,
    ws: Upgrading,
) -> Result<Response, ApiError> {
    if state.shutdown.is_cancelled() {
        return Err(ApiError::unavailable("shutting down"));
    }
    // The concurrent count first: a refused upgrade should not also use up
    // the address's new connections for the minute.
    let ip_permit = state
        .limits
        .ws_open
        .try_open(client.ip.key())
        .ok_or(Limited {
            kind: LimitKind::WsConnections,
            wait: CONNECTIONS_WAIT,
        })?;
    state
        .limits
        .ws_connects
        .check(&client.ip.key())
        .map_err(|wait| Limited {
            kind: LimitKind::WsConnectRate,
            wait,
        })?;
    let permit = state
        .connection_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::unavailable("too many connections; try again later"))?;
    let tracker = state.connections.clone();
    let upgrade = Box::new(Upgrade {
        state,
        default_room,
        token,
        peer: client.peer,
        client_ip: client.ip.0,
        permit,
        ip_permit,
    });
    Ok(ws.on_upgrade(tracker, move |socket| socket::serve(socket, upgrade)))
}
