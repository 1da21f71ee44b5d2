//! `GET /search`: the `search` frame over REST.

use axum::{Json, extract::State};
use sapa_protocol::{
    RoomName, SearchLimit, SearchQuery, SearchResults, ServerMessage, rest::ErrorBody,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    bearer::Bearer,
    error::{ApiError, ApiQuery},
};
use crate::state::AppState;

/// What to look for.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words (quotes for a phrase, `-word` to exclude, `or`), or a
    /// substring of three or more characters in any script.
    #[param(value_type = SearchQuery)]
    pub q: String,
    /// Only this room.
    #[param(value_type = Option<RoomName>)]
    pub room: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Only matches older than this id (the next page; 1 or more).
    #[param(minimum = 1)]
    pub before_id: Option<i64>,
}

/// Messages matching `q`, newest first, never deleted ones: the same
/// object as the `search_results` frame, `type` included.
#[utoipa::path(get, path = "/search", tag = "Messages", params(SearchParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the matches", body = Object),
        (status = 401, body = ErrorBody),
        (status = 403, description = "another user's direct room", body = ErrorBody),
        (status = 422, description = "an empty query, a bad room name or limit", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ))]
pub async fn search(
    State(state): State<AppState>,
    caller: Bearer,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<ServerMessage>, ApiError> {
    let before_id = super::messages::before_id(params.before_id)?;
    let query = SearchQuery::parse(params.q)?;
    let room = params.room.map(RoomName::parse).transpose()?;
    if let Some(room) = &room {
        caller.may_read(room)?;
    }
    let limit = params
        .limit
        .map(SearchLimit::parse)
        .transpose()?
        .unwrap_or_default();
    let (messages, has_more) = state
        .store
        .search(
            caller.identity.user_id,
            &query,
            room.as_ref(),
            before_id,
            limit.get(),
        )
        .await?;
    Ok(Json(ServerMessage::SearchResults(SearchResults {
        q: query.into(),
        messages,
        has_more,
    })))
}
