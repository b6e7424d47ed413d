//! The JSON API under `/api/v1`. Every route is registered through
//! `utoipa_axum`, so the OpenAPI document is generated from the same code
//! that serves the routes.

pub mod account;
pub mod backup_centre;
pub mod bundle;
pub mod card;
pub mod care;
pub mod catalog;
pub mod ckan;
pub mod clock;
pub mod disclosure;
pub mod exchange;
pub mod hall;
pub mod hotline;
pub mod identity;
pub mod journal;
pub mod licence;
pub mod materials;
pub mod registry;
pub mod sharing;
pub mod supervision;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::guard::{Bucket, PerClient};
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Sunshine e-Government API", description = "The JSON API of the Sunshine platform (阳光政务). Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}`; messages follow Accept-Language (zh-CN by default, en on request)."),
    modifiers(&BearerAuth),
    tags(
        (name = "backup_centre", description = "The backup centre (数据容灾集中备份中心): keepers register departments' systems and keys; systems send archives in signed, resumable uploads, kept once per SHA-256 within quota and retention, re-verified on a schedule; overdue systems raise supervision warnings"),
        (name = "card", description = "The citizen card (市民卡): cards and their life, wallet and account on a double-entry ledger, operators, merchants and terminals; the terminal API is signed with each terminal's ed25519 key"),
        (name = "care", description = "Home care of the elderly (居家养老) on the population registry: the city's rules, the housekeeping alliance's providers, residents registered with a needs assessment, age allowances, and service orders placed online, by a community worker, the 96345 hotline, a kiosk or the TV page, served, confirmed and rated"),
        (name = "catalog", description = "The power-item catalogue (权力事项库) and its solidification workflow"),
        (name = "registry", description = "The community population registry (社区人口基础库): persons, households and addresses collected by communities to the city's standard, held by districts"),
        (name = "disclosure", description = "Sunshine disclosure (阳光公示): the public, masked board of cases"),
        (name = "hall", description = "The online government hall (网上政务大厅): applications and cases"),
        (name = "hotline", description = "The 96345 service hotline (统一服务热线): requests, dispatch, units' answers, return visits; other systems use Open311 GeoReport v2 at /open311/v2"),
        (name = "identity", description = "Sign-in, tokens, staff, citizens and enterprises (统一认证)"),
        (name = "journal", description = "The hash-chained journal of every state change (运行数据)"),
        (name = "sharing", description = "Resource sharing (资源共享): the catalogue of departments' information resources with their sharing class, subscriptions approved by the owner, access keys and the log of every read; enterprise basic information (企业基础信息) assembled from three departments' feeds, with its conflicts"),
        (name = "exchange", description = "The two-level platform: the city and districts exchanging signed messages (两级平台)"),
        (name = "platform", description = "The platform's clock (a simulated one can be moved forward for demonstrations and tests)"),
        (name = "supervision", description = "Electronic supervision (电子监察): signals, their rectification, the rules, the public board")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and the OpenAPI document that describes exactly them.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(catalog_routes())
        .merge(hall_routes())
        .merge(bundle_routes())
        .merge(materials_routes())
        .merge(licence_routes())
        .merge(disclosure_routes())
        .merge(identity_routes())
        .merge(supervision_routes())
        .merge(hotline_routes())
        .merge(platform_routes())
        .merge(card_routes())
        .merge(backup_centre_routes())
        .merge(sharing_routes())
        .split_for_parts();
    let doc = openapi.clone();
    let router = router.route(
        "/api/v1/openapi.json",
        get(move || async move { Json(doc) }),
    );
    (router, openapi)
}

/// The power-item catalogue and its workflow.
fn catalog_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalog::search_public))
        .routes(routes!(catalog::public_item))
        .routes(routes!(catalog::create_item))
        .routes(routes!(catalog::list_versions))
        .routes(routes!(catalog::get_version, catalog::update_draft))
        .routes(routes!(catalog::declare))
        .routes(routes!(catalog::review))
        .routes(routes!(catalog::approve))
        .routes(routes!(catalog::publish))
        .routes(routes!(catalog::return_to_draft))
        .routes(routes!(catalog::open_new_version))
        .routes(routes!(catalog::item_history))
        .routes(routes!(catalog::panorama))
        .routes(routes!(catalog::export))
        .routes(routes!(catalog::import))
        .routes(routes!(registry::import))
        .routes(routes!(registry::households))
        .routes(routes!(registry::household))
        .routes(routes!(registry::lookup))
        .routes(routes!(registry::correct))
        .routes(routes!(registry::corrections))
        .routes(routes!(registry::decide))
        .routes(routes!(registry::statistics))
        .routes(routes!(registry::pairs))
        .routes(routes!(registry::decide_pair))
        .routes(routes!(registry::mine))
        .routes(routes!(registry::ask))
        .routes(routes!(
            registry::named_reads::ask,
            registry::named_reads::list
        ))
        .routes(routes!(registry::named_reads::one))
        .routes(routes!(registry::named_reads::decide))
        .routes(routes!(registry::named_reads::withdraw))
        .routes(routes!(registry::named_reads::person))
        .routes(routes!(registry::standard::view))
        .routes(routes!(registry::standard::change))
        .routes(routes!(care::rules))
        .routes(routes!(care::providers, care::register_provider))
        .routes(routes!(care::register_recipient))
        .routes(routes!(care::recipients))
        .routes(routes!(care::allowances))
        .routes(routes!(care::pay_allowances))
        // A TV's code must not be guessed at speed.
        .routes(limited(routes!(care::pair_tv), Bucket::Lookups))
        .routes(limited(routes!(care::preview_tv), Bucket::Lookups))
        .routes(routes!(care::tv_pairings))
        .routes(routes!(care::unpair_tv))
        .routes(routes!(care::orders, care::place))
        .routes(routes!(care::order))
        .routes(routes!(care::command))
        .routes(routes!(care::mine))
        .routes(routes!(care::volunteer, care::my_volunteering))
        .routes(routes!(care::record_hours))
        .routes(routes!(care::announce))
        .routes(routes!(care::open_hours))
        .routes(routes!(care::decide_hours))
        .routes(routes!(care::record_aid))
        .routes(routes!(care::community_aid))
        .routes(routes!(care::review_aid))
        .routes(routes!(care::pay_aid))
}

/// The online hall's cases.
fn hall_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(hall::apply))
        .routes(routes!(hall::register_at_counter))
        .routes(routes!(hall::get_case))
        .routes(routes!(hall::command))
        .routes(routes!(hall::my_cases))
        .routes(limited(routes!(hall::track), Bucket::Lookups))
        .routes(routes!(hall::rate))
        .routes(routes!(hall::charge_fee))
        .routes(routes!(hall::decide_penalty))
}

/// One-stop bundles.
fn bundle_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(bundle::list))
        .routes(routes!(bundle::get, bundle::put))
        .routes(uploads(routes!(bundle::apply)))
        .routes(limited(routes!(bundle::track), Bucket::Lookups))
        .routes(routes!(bundle::application))
        .routes(routes!(bundle::mine))
}

/// Application materials.
fn materials_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(uploads(routes!(materials::apply)))
        .routes(uploads(routes!(materials::add, materials::list)))
        .routes(routes!(materials::download))
}

/// E-licences.
fn licence_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(licence::get_licence))
        .routes(routes!(licence::verify))
        .routes(routes!(licence::revoke))
        .routes(routes!(licence::keys))
}

/// Sunshine disclosure.
fn disclosure_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(disclosure::cases))
        .routes(limited(routes!(disclosure::stats), Bucket::Aggregates))
        .routes(routes!(disclosure::stream))
}

/// Identity: accounts, tokens, sessions, staff, real names, units.
fn identity_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(identity::issue_token, account::list_tokens))
        .routes(routes!(account::revoke_token))
        .routes(routes!(account::list_sessions, account::end_all_sessions))
        .routes(routes!(account::end_session))
        .routes(routes!(account::disable_staff))
        .routes(routes!(account::enable_staff))
        .routes(routes!(account::my_reads))
        .routes(routes!(identity::me))
        .routes(routes!(identity::create_staff))
        .routes(routes!(identity::grant_role))
        .routes(routes!(identity::assign_post))
        .routes(limited(
            routes!(identity::register_citizen),
            Bucket::SignUps,
        ))
        .routes(limited(
            routes!(identity::register_enterprise),
            Bucket::SignUps,
        ))
        .routes(routes!(identity::binding::issue_code))
        .routes(limited(routes!(identity::binding::bind), Bucket::Lookups))
        .routes(routes!(identity::binding::set_pin))
        .routes(routes!(identity::binding::set_centre))
        .routes(routes!(identity::organisations, identity::add_unit))
        .routes(routes!(identity::rename_unit))
}

/// Electronic supervision: signals, rules, evaluation, complaints.
fn supervision_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(supervision::list))
        .routes(routes!(supervision::get))
        .routes(routes!(supervision::command))
        .routes(routes!(supervision::rules, supervision::set_rules))
        .routes(limited(routes!(supervision::board), Bucket::Aggregates))
        .routes(limited(
            routes!(supervision::evaluation),
            Bucket::Aggregates,
        ))
        .routes(routes!(
            supervision::file_complaint,
            supervision::complaints
        ))
        .routes(routes!(supervision::complaint_command))
}

/// The 96345 hotline.
fn hotline_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(hotline::take))
        .routes(limited(routes!(hotline::claim), Bucket::Lookups))
        .routes(routes!(hotline::get))
        .routes(routes!(hotline::command))
        .routes(routes!(hotline::merge))
        .routes(routes!(hotline::inbox))
        .routes(routes!(hotline::queue))
        .routes(routes!(hotline::mine))
        .routes(routes!(hotline::categories))
        .routes(routes!(hotline::put_category))
        .routes(routes!(hotline::dispatch))
        .routes(routes!(hotline::put_dispatch))
        .routes(routes!(hotline::issue_key, hotline::keys))
        .routes(routes!(hotline::revoke_key))
        .routes(limited(routes!(hotline::indicators), Bucket::Aggregates))
        .routes(routes!(hotline::search_knowledge, hotline::add_article))
        .routes(routes!(hotline::get_article, hotline::put_article))
        .routes(routes!(hotline::nearby))
        .routes(routes!(hotline::assist))
}

/// The platform's clock and journal.
fn platform_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(clock::now, clock::move_to))
        .routes(routes!(journal::read))
        .routes(routes!(journal::verify))
        .routes(routes!(exchange::key))
        .routes(routes!(exchange::overview))
        .routes(routes!(exchange::messages))
        .routes(routes!(exchange::trust))
        .routes(routes!(exchange::district_cases))
        .routes(routes!(exchange::district_aggregates))
}

/// The citizen card.
fn card_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(card::issue, card::list))
        .routes(routes!(card::mine))
        .routes(routes!(card::get))
        .routes(routes!(card::command))
        .routes(routes!(card::top_up))
        .routes(routes!(card::add_party, card::parties))
        .routes(routes!(card::add_terminal, card::terminals))
        .routes(routes!(card::change_terminal_key))
        .routes(routes!(card::retire_terminal))
        .routes(uploads(routes!(card::upload)))
        .routes(routes!(card::deny_list))
        .routes(routes!(card::clearing))
        .routes(routes!(card::settle))
        .routes(routes!(card::grant))
        .routes(routes!(card::revoke_entitlement))
        .routes(routes!(card::check))
        .routes(routes!(card::counter_check))
        .routes(routes!(card::medical))
        .routes(routes!(card::credit_medical))
        .routes(routes!(card::credit_medical_roll))
        .routes(routes!(card::payouts))
        .routes(routes!(card::bike_deposit))
        .routes(routes!(card::buy_pass))
}

/// The backup centre.
fn backup_centre_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(backup_centre::systems, backup_centre::register))
        .routes(routes!(backup_centre::system))
        .routes(routes!(backup_centre::rotate_key))
        .routes(routes!(backup_centre::revoke_key))
        .routes(routes!(backup_centre::verify))
        .routes(routes!(backup_centre::start_upload))
        .routes(routes!(backup_centre::upload, backup_centre::put_chunk))
        .routes(routes!(backup_centre::finish))
}

/// Resource sharing and enterprise basic information.
fn sharing_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sharing::catalogue, sharing::register))
        .routes(routes!(sharing::resource, sharing::change))
        .routes(uploads(routes!(sharing::publish_rows)))
        .routes(routes!(sharing::subscribe))
        .routes(routes!(sharing::subscriptions))
        .routes(routes!(sharing::subscription))
        .routes(routes!(sharing::command))
        .routes(routes!(sharing::issue_key))
        .routes(routes!(sharing::revoke_key))
        .routes(routes!(sharing::reads))
        // Each read is logged in a write of its own: limited per client.
        .routes(limited(routes!(sharing::data), Bucket::Lookups))
        .routes(routes!(sharing::setup))
        .routes(uploads(routes!(sharing::feed)))
        .routes(routes!(sharing::conflicts))
        .routes(routes!(sharing::enterprise))
        .routes(routes!(sharing::resolve))
        .routes(routes!(sharing::prefill))
}

/// A route that takes files: its body may be as large as a case's materials.
fn uploads(r: UtoipaMethodRouter<AppState>) -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, method_router) = r;
    (
        schemas,
        paths,
        method_router.layer(DefaultBodyLimit::max(crate::uploads::UPLOAD_BODY_LIMIT)),
    )
}

/// A route limited per client address (`crate::guard`).
fn limited(r: UtoipaMethodRouter<AppState>, bucket: Bucket) -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, method_router) = r;
    (schemas, paths, method_router.layer(PerClient(bucket)))
}

/// The OpenAPI document, for tests and tools.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().1
}
