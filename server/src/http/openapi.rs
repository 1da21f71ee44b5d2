//! The OpenAPI document's frame: title, tags and the bearer security
//! scheme (so Swagger UI's Authorize button works). The routes add
//! themselves through `utoipa-axum`; the answers every route of a kind can
//! give are added here from the route's shape, so none is forgotten.

use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type,
        path::{Operation, PathItem},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

/// The API description served at /openapi.json.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "sapa",
        description = "A real-time chat server. Register with POST /users, use the token as a bearer token \
                       (Authorize), and chat over REST or the WebSocket at /ws (see GET /ws-info)."
    ),
    // Named only in query parameters, which do not register their schemas.
    components(schemas(sapa_protocol::SearchQuery)),
    modifiers(&BearerScheme),
    tags(
        (name = "Users", description = "Accounts and who is online"),
        (name = "Sessions", description = "Log in and out: bearer tokens"),
        (name = "Messages", description = "Read and send messages"),
        (name = "Rooms", description = "Rooms and their online counts"),
        (name = "WebSocket", description = "The real-time protocol"),
        (name = "Health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme that protected routes refer to.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token from POST /users or POST /sessions"))
                    .build(),
            ),
        );
    }
}

/// Adds 429 to every operation of `openapi`: the routes behind the REST
/// limit per address.
pub fn rate_limited(openapi: &mut utoipa::openapi::OpenApi) {
    for operation in operations(openapi) {
        add(
            operation,
            "429",
            error_response("too many requests from this address; see Retry-After"),
        );
    }
}

/// Adds the answers implied by each operation's shape: a JSON body can be
/// malformed (400), too large (413), of another media type (415) or break
/// a rule (422); a route that asks for a token answers 401 without a good
/// one, and 503 when the database that checks it is down; every 429 comes
/// with `Retry-After`.
pub fn shared_responses(openapi: &mut utoipa::openapi::OpenApi) {
    for operation in operations(openapi) {
        if operation.request_body.is_some() {
            for (status, description) in [
                ("400", "the body is not JSON"),
                ("413", "the body is larger than 2 MB"),
                ("415", "the body is not `application/json`"),
                ("422", "a field is missing or breaks its rule"),
            ] {
                add(operation, status, error_response(description));
            }
        }
        if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
            add(
                operation,
                "401",
                error_response("no token, or an unknown or expired one"),
            );
            add(operation, "503", error_response("the database is down"));
        }
        if let Some(RefOr::T(too_many)) = operation.responses.responses.get_mut("429") {
            let retry_after = HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                )
                .description(Some("seconds to wait before trying again"))
                .build();
            too_many
                .headers
                .insert("Retry-After".to_owned(), retry_after);
        }
    }
}

fn operations(openapi: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = &mut Operation> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        let PathItem {
            get,
            put,
            post,
            delete,
            patch,
            ..
        } = item;
        [get, put, post, delete, patch].into_iter().flatten()
    })
}

/// Adds a response unless the route documents that status itself.
fn add(operation: &mut Operation, status: &str, response: ResponseBuilder) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::T(response.build()));
}

fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", error_body())
}

fn error_body() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build()
}
