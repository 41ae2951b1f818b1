use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ondo token")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of the JSON API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Ondo API", description = "Leads, their touchpoints and status, for one workspace per token."),
    paths(
        super::leads::create, super::leads::get_one, super::leads::patch, super::leads::list,
        super::leads::add_activity, super::misc::stats, super::misc::audit, super::events::ingest,
        super::queue::queue,
        super::tasks::create, super::tasks::list, super::tasks::patch,
        super::campaigns::create, super::campaigns::list, super::campaigns::get_one,
        super::campaigns::enroll, super::campaigns::get_settings, super::campaigns::put_settings,
        super::campaigns::put_triggers, super::campaigns::pause, super::campaigns::resume,
        super::campaigns::inbound::receive,
        super::segments::list, super::segments::create, super::segments::get_one,
        super::segments::put, super::segments::delete, super::segments::leads
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
