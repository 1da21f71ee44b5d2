//! The REST boundary's one error type, [`ApiError`], and the extractors that
//! make axum's own rejections speak it. Every error body is
//! `{"error": code, "message": text}`; internal causes are logged here and
//! never sent to the client.
//!
//! This is the one place where a failure becomes a status code: the errors
//! of the layers below (store, accounts, writer, validation) convert with
//! `From`, so handlers use `?` and never map errors by hand.

use axum::{
    Json,
    extract::{
        FromRequest, FromRequestParts, Request,
        rejection::{JsonRejection, PathRejection, QueryRejection},
    },
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use std::time::Duration;

use sapa_protocol::{ErrorCode, ValidationError, rest::ErrorBody, retry_secs};
use serde::de::DeserializeOwned;

use crate::{
    accounts::AuthError,
    limits::Limited,
    persist::{WriteError, changes::ChangeError},
    store::StoreError,
};

/// An error a REST handler returns.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    /// Sent as `Retry-After` (429s).
    retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 429: over a limit; try again after `wait`.
    pub fn rate_limited(message: impl Into<String>, wait: Duration) -> Self {
        Self {
            retry_after: Some(wait),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                message,
            )
        }
    }

    /// 401: no valid credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    /// 422: a value broke the rules.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Validation,
            message,
        )
    }

    /// 403: a room the caller may not read (another's direct room).
    pub fn not_your_room(room: &sapa_protocol::RoomName) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            format!("{room} is not your conversation"),
        )
    }

    /// 409: the thing already exists.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
    }

    /// 503: the server cannot take this now; nothing was done.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            message,
        )
    }

    /// 404 with the standard body.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// 500, with the cause logged and not shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal server error",
        )
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::validation(error.0)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                Self::unavailable("the database is unavailable; nothing was stored")
            }
            StoreError::Other(cause) => Self::internal(cause),
        }
    }
}

/// Refused credentials are 401 with the reason the accounts give (which
/// never tells whether the name or the password was wrong); a rule broken
/// is 422; the database as for [`StoreError`]; a hashing failure is a bug.
impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Denied(why) => Self::unauthorized(why),
            AuthError::Invalid(why) => Self::validation(why),
            AuthError::Store(error) => error.into(),
            error @ AuthError::Hashing(_) => Self::internal(error),
            AuthError::Throttled(limited) => limited.into(),
        }
    }
}

/// Every REST refusal by a limit passes here, so it is counted here.
impl From<Limited> for ApiError {
    fn from(limited: Limited) -> Self {
        crate::telemetry::rate_limited(limited.kind.as_str());
        Self::rate_limited(limited.message(), limited.wait)
    }
}

/// A message not stored: 503 when the database is down (the sender may
/// retry with the same client_id), 500 otherwise (logged by the writer).
impl From<ChangeError> for ApiError {
    fn from(error: ChangeError) -> Self {
        match error {
            ChangeError::NotFound => Self::not_found("no such message"),
            ChangeError::NotAuthor => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "only its author may edit or delete a message",
            ),
            ChangeError::Store(error) => error.into(),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Unavailable => Self::unavailable(error.to_string()),
            WriteError::Internal => Self::internal(error),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_secs(wait)));
        }
        response
    }
}

/// `Json<T>` whose rejections (bad JSON, wrong content type, invalid fields)
/// come back as [`ErrorBody`] instead of axum's plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    // Well-formed JSON with a wrong or missing field is a validation error;
    // anything else (syntax, content type, body) is not JSON we can read.
    let code = match rejection {
        JsonRejection::JsonDataError(_) => ErrorCode::Validation,
        _ => ErrorCode::InvalidJson,
    };
    ApiError::new(status, code, rejection.body_text())
}

/// `Query<T>` with the same JSON error body on rejection (422).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::validation(rejection.body_text())
}

/// `Path<T>` with the same JSON error body on rejection (422): a message id
/// that is not a number, say.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(path_rejection(rejection)),
        }
    }
}

fn path_rejection(rejection: PathRejection) -> ApiError {
    ApiError::validation(rejection.body_text())
}
