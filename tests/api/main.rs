//! The contract, route by route, against a real PostgreSQL: one integration-test crate so the
//! database server and its migrated template are prepared once for every test.

mod support;

mod agent_keys;
mod auth;
mod availability;
mod body_cost;
mod booking_item;
mod bookings;
mod concurrency;
mod conversations;
mod db_role;
mod events;
mod faults;
mod gateway;
mod hostile_input;
mod openapi;
mod project_bookings;
mod projects;
mod properties;
mod rate_limits;
mod round_trips;
mod server;
mod services;
mod shared_connections;
mod startup_options;
mod template_routes;
mod template_rules;
mod tokens;
mod users;
