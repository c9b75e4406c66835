//! `/api/services`: the catalogue (public; inactive services for admins on request) and
//! creating services (admins only).

pub mod model;

use common::auth::Role;
use common::auth::caller::identify;
use common::{ApiError, AppState, HandlerResult, body, request, response};
use http::{Method, StatusCode};
use lambda_http::Request;
use rust_decimal::Decimal;
use serde::Deserialize;
use validator::{Validate, ValidationError};

use crate::routes::{Function, method_not_allowed};
use crate::session::{caller_role, session_gone, unless_session_gone, with_caller};
use model::{Service, service_columns};

pub async fn handle(state: &AppState, req: Request) -> HandlerResult {
    match *req.method() {
        Method::GET => list(state, req).await,
        Method::POST => create(state, req).await,
        _ => Err(method_not_allowed(Function::Services)),
    }
}

crate::lambda_handler!();

const ACTIVE: &str = concat!(
    "SELECT ",
    service_columns!(),
    " FROM services s WHERE s.is_active ORDER BY s.name, s.id"
);

/// Inactive services too, but only when the caller's live session belongs to an admin.
const ALL_FOR_ADMIN: &str = with_caller!(
    "SELECT ",
    service_columns!(),
    " FROM services s WHERE s.is_active OR EXISTS (SELECT 1 FROM caller WHERE role = 'ADMIN') ",
    "ORDER BY s.name, s.id"
);

async fn list(state: &AppState, req: Request) -> HandlerResult {
    let include_inactive = request::query(&req, "includeInactive").as_deref() == Some("true");
    // The token matters only to an admin asking for inactive services too.
    let caller = include_inactive
        .then(|| identify(&req, &state.keys).optional())
        .flatten();
    let db = state.db().await?;
    let rows = match caller {
        Some(caller) => {
            db.query(
                ALL_FOR_ADMIN,
                &[&caller.session_id, &caller.user_id],
                "list services",
            )
            .await?
        }
        _ => db.query(ACTIVE, &[], "list services").await?,
    };
    let services: Vec<Service> = rows.iter().map(Service::from_row).collect();
    Ok(response::success(StatusCode::OK, &services))
}

// 99999999.99 (the column is numeric(10, 2)): 9_999_999_999 x 10^-2, split into 32-bit words.
const MAX_PRICE: Decimal = Decimal::from_parts(1_410_065_407, 2, 0, false, 2);

#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct CreateServiceBody {
    #[validate(custom(function = common::validation::person_name))]
    pub name: String,
    #[validate(length(max = 2000, message = "Description must be at most 2000 characters"))]
    pub description: Option<String>,
    #[validate(range(
        min = 1,
        max = 1440,
        message = "Duration must be between 1 and 1440 minutes"
    ))]
    pub duration: i32,
    #[validate(custom(function = "valid_price"))]
    pub price: Option<serde_json::Number>,
    pub is_active: Option<bool>,
}

impl common::body::JsonBody for CreateServiceBody {
    const REQUIRED: &'static [&'static str] = &["name", "duration"];
}

/// The exact decimal a JSON number spells (`25.5` stays 25.5, never 25.4999...).
fn decimal(n: &serde_json::Number) -> Option<Decimal> {
    n.to_string().parse::<Decimal>().ok().or_else(|| {
        // Exponent notation such as 1e2.
        n.as_f64()
            .and_then(|f| Decimal::from_scientific(&format!("{f:e}")).ok())
    })
}

fn valid_price(n: &serde_json::Number) -> Result<(), ValidationError> {
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

const CALLER_ROLE: &str = with_caller!("SELECT role AS caller_role FROM caller");

const INSERT: &str = concat!(
    "WITH s AS (INSERT INTO services (name, description, duration, price, is_active) ",
    "VALUES ($1, $2, $3, $4, $5) RETURNING *) SELECT ",
    service_columns!(),
    " FROM s"
);

async fn create(state: &AppState, req: Request) -> HandlerResult {
    let caller = identify(&req, &state.keys).required()?;
    let input: CreateServiceBody = unless_session_gone(
        state,
        &caller,
        body::json(&req, state.config.http.max_body_bytes),
    )
    .await?;
    let db = state.db().await?;
    let row = db
        .query_opt(
            CALLER_ROLE,
            &[&caller.session_id, &caller.user_id],
            "check caller role",
        )
        .await?
        .ok_or_else(session_gone)?;
    if caller_role(&row)? != Role::Admin {
        return Err(ApiError::Forbidden("Admin access required".into()));
    }
    let price = input
        .price
        .as_ref()
        .and_then(decimal)
        .map(|d| d.round_dp(2));
    let name = input.name.trim().to_string();
    let row = db
        .query_opt(
            INSERT,
            &[
                &name,
                &input.description,
                &input.duration,
                &price,
                &input.is_active.unwrap_or(true),
            ],
            "insert service",
        )
        .await?
        .ok_or_else(|| ApiError::internal("service insert returned no row"))?;
    Ok(response::success_with_message(
        StatusCode::CREATED,
        &Service::from_row(&row),
        "Service created successfully",
    ))
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
