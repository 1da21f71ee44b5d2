//! The OpenAPI document's frame: title, tags and the bearer security
//! scheme (so Swagger UI's Authorize button works). The routes add
//! themselves through `utoipa-axum`.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// The API description served at /openapi.json.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "sapa",
        description = "A real-time chat server. Register with POST /users, use the token as a bearer token \
                       (Authorize), and chat over REST or the WebSocket at /ws (see GET /ws-info)."
    ),
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
