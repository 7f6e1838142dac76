//! kokuho's HTTP shell: a health page, the JSON API under `/api/v1` and its
//! OpenAPI document. Handlers only translate between HTTP and the use cases
//! of `kokuho-app`.

mod annual_outpatient_ui;
mod api;
pub mod auth;
mod benefits_ui;
mod burden_ui;
mod calc_api;
mod claims_ui;
mod combined_care_ui;
mod documents_ui;
mod eligibility_api;
mod error;
mod exchange_ui;
mod high_cost_ui;
mod jobs_ui;
mod levy_ui;
mod share_notice_ui;
mod statistics_ui;
mod ui;
mod yearly_cap_ui;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use kokuho_app::Kokuho;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

pub use api::ApiDoc;

/// The whole application: pages, API, OpenAPI document and Swagger UI.
pub fn router(app: Kokuho) -> Router {
    router_with(app, auth::CookiePolicy::default())
}

pub fn router_with(app: Kokuho, cookies: auth::CookiePolicy) -> Router {
    use axum::http::{HeaderName, HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer;
    let (app_router, spec) = api_parts(app);
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    app_router
        .layer(axum::Extension(cookies))
        // Security headers on the screens and the API (Swagger UI keeps its own).
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        // Personal data is never cached (static assets set their own policy).
        .layer(header(header::CACHE_CONTROL, "no-store"))
        .merge(SwaggerUi::new("/swagger-ui").url("/api-docs/openapi.json", spec))
        .layer(DefaultBodyLimit::max(64 * 1024))
        // Log the path only: query strings carry names and kana.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
        }))
}

fn api_parts(app: Kokuho) -> (Router, utoipa::openapi::OpenApi) {
    let (router, spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .merge(eligibility_api::routes())
        .merge(calc_api::routes())
        .split_for_parts();
    (router.merge(ui::routes()).with_state(app), spec)
}

/// The OpenAPI document, as served at `/api-docs/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    OpenApiRouter::<Kokuho>::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .merge(eligibility_api::routes())
        .merge(calc_api::routes())
        .split_for_parts()
        .1
}

/// Serves until ctrl-c (or SIGTERM); `on_listen` is told the bound address.
pub async fn serve(
    app: Kokuho,
    listen: SocketAddr,
    cookies: auth::CookiePolicy,
    on_listen: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    // Jobs an earlier server on this host left running died with it.
    match app.mark_dead_jobs(time::OffsetDateTime::now_utc()).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            jobs = n,
            "marked jobs left running by a stopped process as interrupted"
        ),
        Err(e) => tracing::warn!(error = %e, "could not check for interrupted jobs"),
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    on_listen(listener.local_addr()?);
    axum::serve(
        listener,
        router_with(app, cookies).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
