//! The API's integration tests, one binary: in process with `oneshot`, and over a real socket with
//! `spawn_app()`, each test on a fresh temporary SQLite store (PostgreSQL when `CROSSDOCK_TEST_PG_URL` is set).

mod audit;
mod auth;
mod bad_input;
mod console;
mod dead_letters;
mod edi;
mod helpers;
mod inbound;
mod keys;
mod kpis;
mod orchestration;
mod orders;
mod pii;
mod postgres;
mod reports;
mod sourcing;
mod systems;
mod tls;
mod validation;
