//! `/api/services`: the catalogue (public; inactive services for admins on request) and
//! creating services (admins only).

pub mod model;
pub mod queries;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use common::auth::{Caller, Role};
use common::domain::{Minutes, PersonName, Text};
use common::extract::{Authed, Json};
use common::{ApiError, AppState, HandlerResult, request, response, session};
use http::{StatusCode, Uri};
use rust_decimal::Decimal;
use serde::Deserialize;
use validator::{Validate, ValidationError};

use queries::NewService;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/services", get(list).post(create))
}

async fn list(State(state): State<AppState>, uri: Uri, caller: Option<Caller>) -> HandlerResult {
    let include_inactive = request::query(&uri, "includeInactive").as_deref() == Some("true");
    let db = state.db().await?;
    if let Some(project) = request::query(&uri, "projectId") {
        let project = project
            .parse()
            .map_err(|_| ApiError::validation("projectId", "Must be a UUID"))?;
        let services = queries::of_project(&db, project).await?;
        return Ok(response::success(StatusCode::OK, &services));
    }
    // The token matters only to an admin asking for inactive services too.
    let services = match caller.filter(|_| include_inactive) {
        Some(caller) => queries::all_for_admin(&db, &caller).await?,
        None => queries::active(&db).await?,
    };
    Ok(response::success(StatusCode::OK, &services))
}

// 99999999.99 (the column is numeric(10, 2)): 9_999_999_999 x 10^-2, split into 32-bit words.
const MAX_PRICE: Decimal = Decimal::from_parts(1_410_065_407, 2, 0, false, 2);

#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct CreateServiceBody {
    #[validate(custom(function = Text::rule))]
    pub name: PersonName,
    #[validate(length(max = 2000, message = "Description must be at most 2000 characters"))]
    pub description: Option<String>,
    #[validate(custom(function = Minutes::rule))]
    pub duration: Minutes,
    #[validate(custom(function = "valid_price"))]
    pub price: Option<serde_json::Number>,
    pub is_active: Option<bool>,
}

impl common::body::JsonBody for CreateServiceBody {
    const REQUIRED: &'static [&'static str] = &["name", "duration"];
}

/// The exact decimal a JSON number spells (`25.5` stays 25.5, never 25.4999...).
pub fn decimal(n: &serde_json::Number) -> Option<Decimal> {
    n.to_string().parse::<Decimal>().ok().or_else(|| {
        // Exponent notation such as 1e2.
        n.as_f64()
            .and_then(|f| Decimal::from_scientific(&format!("{f:e}")).ok())
    })
}

pub fn valid_price(n: &serde_json::Number) -> Result<(), ValidationError> {
    let ok = decimal(n)
        .is_some_and(|d| !d.is_sign_negative() && d <= MAX_PRICE && d.normalize().scale() <= 2);
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("price").with_message(
            "Price must be a number from 0 to 99999999.99 with at most 2 decimals".into(),
        ))
    }
}

async fn create(
    State(state): State<AppState>,
    Authed(caller, Json(input)): Authed<Json<CreateServiceBody>>,
) -> HandlerResult {
    if session::role(&state, &caller).await? != Role::Admin {
        return Err(ApiError::Forbidden("Admin access required".into()));
    }
    let new = NewService {
        name: input.name.as_str(),
        description: input.description.as_deref(),
        duration: input.duration.get(),
        price: input
            .price
            .as_ref()
            .and_then(decimal)
            .map(|d| d.round_dp(2)),
        is_active: input.is_active.unwrap_or(true),
    };
    let service = queries::insert(&state.db().await?, &new)
        .await?
        .ok_or_else(|| ApiError::internal("service insert returned no row"))?;
    Ok(response::created(&service, "Service created successfully"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(raw: &str) -> serde_json::Number {
        serde_json::from_str(raw).unwrap()
    }

    #[test]
    fn prices_are_exact_and_bounded() {
        for ok in ["0", "25", "25.5", "80.00", "0.01", "99999999.99", "1e2"] {
            assert!(valid_price(&num(ok)).is_ok(), "{ok} should be accepted");
            assert!(decimal(&num(ok)).is_some());
        }
        for bad in ["-1", "0.001", "100000000", "1e300", "-0.5"] {
            assert!(valid_price(&num(bad)).is_err(), "{bad} should be refused");
        }
        assert_eq!(decimal(&num("25.5")).unwrap().to_string(), "25.5");
    }
}
